// The workshop under labs/workshop/ on the real engine. For every exercise: its starting state
// fails exactly the expectations it should (through the CLI, exit 1, as a participant runs it),
// its solution passes (exit 0), and the fix the exercise's README gives passes without
// provisioning again: the `docker exec` commands of its "By hand" block, run in the exercise
// while it is up and checked again (as `zmqlab test` does); for 01, whose part is the program's
// bind, `zmqlab test` with the solution's traffic on the running exercise. Also without Docker:
// each solution is the same lab as its exercise, with the same expectations.
import t, { type Test } from "tap";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { check, down, EnvironmentError, loadLab, up, validateLab, type LabReport, type RunningLab } from "../../controller/index.js";
import { cli, labeled, ROOT } from "../support/helpers.js";

interface Exercise {
  dir: string;
  name: string;
  /** Indexes (0-based, lab file order) of the expectations the starting state fails. */
  failing: number[];
  /** Messages the failures must carry (what was observed), by index. */
  messages: Record<number, RegExp>;
  /** Whether the README has a "By hand" block of docker exec commands that fixes the lab. */
  byHand: boolean;
}

const EXERCISES: Exercise[] = [
  {
    dir: "01-bind",
    name: "ws-01-bind",
    // delivered app | unreachable outsider | sourceSeen metrics only the app
    failing: [1, 2],
    messages: {
      1: /^handshake completed: 198\.18\.101\.10:5556, and 500 messages arrived/,
      2: /^server saw 198\.18\.101\.20 and 198\.18\.102\.20; 198\.18\.101\.20 is not among the expected sources/,
    },
    byHand: false,
  },
  {
    dir: "02-source",
    name: "ws-02-source",
    // delivered feed-sub | delivered news-sub | sourceSeen feed | sourceSeen news | unreachable guest
    failing: [0, 2, 3],
    messages: {
      0: /^feed-sub received 0 from feed, expected 500: .*no ZeroMQ handshake with 198\.18\.112\.10:5556/,
      2: /^exchange saw no connection on tcp:\/\/198\.18\.112\.10:5556; 198\.18\.111\.11 missing/,
      3: /^exchange saw 198\.18\.111\.10 only; 198\.18\.111\.11 missing; 198\.18\.111\.10 is not among the expected sources/,
    },
    byHand: true,
  },
  {
    dir: "03-policy-routes",
    name: "ws-03-policy-routes",
    // delivered via-isp1 | delivered via-isp2 | sourceSeen quotes | path .10 via isp1 | path .11 via isp2
    failing: [1, 2, 4],
    messages: {
      1: /^via-isp2 received 0 from quotes, expected 500/,
      2: /^server saw 198\.18\.121\.10 only; 198\.18\.121\.11 missing/,
      4: /^198\.18\.121\.11 -> 198\.18\.122\.10 crossed isp1 \(\d+ packets?\), not isp2 \(0\)$/,
    },
    byHand: true,
  },
  {
    dir: "04-load-balancer",
    name: "ws-04-load-balancer",
    // delivered c10..c13 | sourceSeen pub-b1 | sourceSeen pub-b2 | balanced
    failing: [4, 5, 6],
    messages: {
      4: /^b1 saw 198\.18\.131\.10, 198\.18\.131\.11, 198\.18\.131\.12 and 198\.18\.131\.13; 198\.18\.131\.12 and 198\.18\.131\.13 are not among/,
      5: /^b2 saw no connection on tcp:\/\/198\.18\.132\.11:5556; 198\.18\.131\.12 and 198\.18\.131\.13 missing/,
      6: /^b2 got no source; mapping differs: 198\.18\.131\.12 went to b1, not b2, 198\.18\.131\.13 went to b1, not b2$/,
    },
    byHand: true,
  },
];

const exercisePath = (e: Exercise) => join("labs", "workshop", e.dir);
const solutionPath = (e: Exercise) => join("labs", "workshop", "solutions", e.dir);

function failures(report: LabReport): number[] {
  return report.expectations.flatMap((r, i) => (r.ok ? [] : [i]));
}

function expectFailures(t: Test, report: LabReport, indexes: number[]): void {
  const failed = failures(report);
  t.same(failed, indexes, `failing exactly: ${indexes.map((i) => report.expectations[i]?.description).join(" | ") || "none"}`);
  for (const i of failed.filter((i) => !indexes.includes(i))) t.comment(`unexpected failure ${i + 1}: ${report.expectations[i]!.message}`);
  t.equal(report.ok, indexes.length === 0, "ok says the same");
}

/** A lab of the workshop that a crashed earlier run may have left: remove it before starting. */
async function fresh(t: Test, name: string): Promise<void> {
  await down(name);
  t.teardown(async () => {
    await down(name);
  });
}

async function upFresh(t: Test, target: string, name: string): Promise<RunningLab> {
  await fresh(t, name);
  try {
    return await up(target);
  } catch (err) {
    if (err instanceof EnvironmentError) t.comment(`up failed: ${err.message}`);
    throw err;
  }
}

/** Split one shell command line as the READMEs write them: words, '...' quoting, # comments. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in: ${line}`);
      word = (word ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "#" && word === undefined) {
      break;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The `docker exec` commands of a README's "By hand" block, as (node, argv). */
function byHandCommands(readme: string, lab: string): { node: string; argv: string[] }[] {
  const start = readme.indexOf("**By hand**");
  if (start < 0) throw new Error("no **By hand** part in the README");
  const open = readme.indexOf("```sh\n", start);
  const close = readme.indexOf("```", open + 6);
  const block = readme.slice(open + 6, close).replace(/\\\n\s*/g, " ");
  const prefix = `zmqlab-${lab}-`;
  return block
    .split("\n")
    .map((l) => shellWords(l.trim()))
    .filter((w) => w[0] === "docker" && w[1] === "exec")
    .map((w) => {
      const container = w[2]!;
      if (!container.startsWith(prefix)) throw new Error(`${container} is not a node of ${lab}`);
      return { node: container.slice(prefix.length), argv: w.slice(3) };
    });
}

t.test("each solution is its exercise's lab, with the same expectations (no Docker)", async (t) => {
  const names = new Set<string>();
  for (const e of EXERCISES) {
    const exercise = loadLab(exercisePath(e)).lab;
    const solution = loadLab(solutionPath(e)).lab;
    t.equal(exercise.name, e.name, `${e.dir}: lab ${e.name}`);
    t.equal(solution.name, exercise.name, `${e.dir}: the solution has the exercise's name`);
    t.same(solution.expect, exercise.expect, `${e.dir}: same expectations`);
    t.same(Object.keys(solution.traffic ?? {}), Object.keys(exercise.traffic ?? {}), `${e.dir}: same endpoints`);
    t.same(Object.keys(solution.nodes), Object.keys(exercise.nodes), `${e.dir}: same nodes`);
    t.same(solution.networks, exercise.networks, `${e.dir}: same networks`);
    t.same(validateLab(exercise), [], `${e.dir}: valid`);
    t.same(validateLab(solution), [], `${e.dir}: solution valid`);
    for (const f of e.failing) t.ok(f < (exercise.expect ?? []).length, `${e.dir}: expectation ${f + 1} exists`);
    for (const n of Object.values(exercise.networks)) for (const s of ([] as string[]).concat(n.subnet)) {
      const third = Number(s.split(".")[2]);
      t.ok(s.startsWith("198.18.") && third >= 101 && third <= 140, `${e.dir}: ${s} in the workshop's range`);
      t.notOk(names.has(s), `${s} used once`);
      names.add(s);
    }
    if (e.byHand) t.ok(byHandCommands(readFileSync(join(ROOT, exercisePath(e), "README.md"), "utf8"), e.name).length > 0, `${e.dir}: the README has by-hand commands`);
  }
});

for (const e of EXERCISES) {
  t.test(`${e.dir}: the starting state fails exactly ${e.failing.map((i) => i + 1).join(", ")}; the solution passes`, async (t) => {
    await fresh(t, e.name);
    const dir = t.testdir();

    const start = await cli(["run", exercisePath(e), "--json", join(dir, "start.json")]);
    t.equal(start.code, 1, `exit 1 (${start.stderr.split("\n").slice(-3).join(" / ")})`);
    const report = JSON.parse(readFileSync(join(dir, "start.json"), "utf8")) as LabReport;
    expectFailures(t, report, e.failing);
    for (const [i, pattern] of Object.entries(e.messages)) t.match(report.expectations[Number(i)]!.message, pattern, `what was observed for ${Number(i) + 1}`);
    // What a participant reads: a FAIL row per failure, a FAIL line with the message, the count.
    const total = report.expectations.length;
    t.match(start.stdout, new RegExp(`\\n${e.failing.length} of ${total} expectations failed\\n?$`), "the last line counts the failures");
    for (const i of e.failing) t.ok(start.stdout.includes(`  FAIL ${i + 1} (${report.expectations[i]!.kind}): ${report.expectations[i]!.message}`), `FAIL ${i + 1} line with its message`);
    t.equal(start.stdout.split("\n").filter((l) => l.startsWith("PASS  ")).length, total - e.failing.length, "a PASS row for each of the others");
    t.same(await labeled(e.name), { containers: 0, networks: 0 }, "run took it down");

    const solved = await cli(["run", solutionPath(e), "--json", join(dir, "solution.json")]);
    t.equal(solved.code, 0, `solution: exit 0 (${solved.stdout.split("\n").filter((l) => l.startsWith("  FAIL")).join(" / ")})`);
    const good = JSON.parse(readFileSync(join(dir, "solution.json"), "utf8")) as LabReport;
    expectFailures(t, good, []);
    t.match(solved.stdout, new RegExp(`all ${total} expectations hold\\n?$`));
    t.same(await labeled(e.name), { containers: 0, networks: 0 }, "run took the solution down");
  });
}

t.test("01-bind without provisioning again: zmqlab test with the fixed bind, on the running exercise", async (t) => {
  const e = EXERCISES[0]!;
  await upFresh(t, exercisePath(e), e.name);
  const before = await cli(["test", exercisePath(e)]);
  t.equal(before.code, 1, "the exercise as it is: exit 1");
  t.match(before.stdout, /2 of 3 expectations failed/);
  // The bind is the program's: the sockets start afresh from the file on every check, so the
  // solution's traffic runs on the lab that is up, with nothing provisioned again.
  const after = await cli(["test", solutionPath(e)]);
  t.equal(after.code, 0, `the fixed bind: exit 0 (${after.stdout.split("\n").filter((l) => l.startsWith("  FAIL")).join(" / ")})`);
  t.match(after.stdout, /all 3 expectations hold/);
  t.match(after.stderr, /lab ws-01-bind is up: checking it as it is/);
  t.equal((await labeled(e.name)).containers, 3, "test left it up");
});

for (const e of EXERCISES.filter((x) => x.byHand)) {
  t.test(`${e.dir} fixed by hand: the README's commands in the running lab, then checked again`, async (t) => {
    const lab = await upFresh(t, exercisePath(e), e.name);
    expectFailures(t, await check(lab), e.failing);
    const commands = byHandCommands(readFileSync(join(ROOT, exercisePath(e), "README.md"), "utf8"), e.name);
    for (const { node, argv } of commands) {
      const result = await lab.exec(node, argv);
      t.equal(result.exitCode, 0, `${node}: ${argv.join(" ")}${result.exitCode ? `: ${result.stderr.trim()}` : ""}`);
    }
    const fixed = await check(lab);
    expectFailures(t, fixed, []);
    for (const i of e.failing) t.comment(`now ${i + 1}: ${fixed.expectations[i]!.message}`);
    // The solution file, checked against the exercise fixed by hand, agrees (same lab name).
    const viaSolution = await cli(["test", solutionPath(e)]);
    t.equal(viaSolution.code, 0, "zmqlab test with the solution's file agrees");
  });
}
