// The workshop under labs/workshop/ on the real engine. For every exercise: its starting state
// fails exactly the expectations it should (through the CLI, exit 1, as a participant runs it),
// its solution passes (exit 0), and the fix the exercise's README gives passes without
// provisioning again: the `docker exec` commands of its "By hand" block, run in the exercise
// while it is up and checked again (as `zmqlab check` does); for 01, whose part is the program's
// bind, `zmqlab check` with the solution's traffic on the running exercise. The checks that need
// no Docker (each solution is its exercise's lab) are in test/unit/workshop-files.test.ts.
import t, { type Test } from "tap";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { check, down, EnvironmentError, up, type LabReport, type RunningLab } from "../../controller/index.js";
import { cli, labeled, ROOT } from "../support/helpers.js";
import { byHandCommands, EXERCISES, exercisePath, solutionPath } from "../support/workshop.js";

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
    t.equal(
      solved.code,
      0,
      `solution: exit 0 (${solved.stdout
        .split("\n")
        .filter((l) => l.startsWith("  FAIL"))
        .join(" / ")})`,
    );
    const good = JSON.parse(readFileSync(join(dir, "solution.json"), "utf8")) as LabReport;
    expectFailures(t, good, []);
    t.match(solved.stdout, new RegExp(`all ${total} expectations hold\\n?$`));
    t.same(await labeled(e.name), { containers: 0, networks: 0 }, "run took the solution down");
  });
}

t.test("01-bind without provisioning again: zmqlab check with the fixed bind, on the running exercise", async (t) => {
  const e = EXERCISES[0]!;
  await upFresh(t, exercisePath(e), e.name);
  const before = await cli(["check", exercisePath(e)]);
  t.equal(before.code, 1, "the exercise as it is: exit 1");
  t.match(before.stdout, /2 of 3 expectations failed/);
  // The bind is the program's: the sockets start afresh from the file on every check, so the
  // solution's traffic runs on the lab that is up, with nothing provisioned again.
  const after = await cli(["check", solutionPath(e)]);
  t.equal(
    after.code,
    0,
    `the fixed bind: exit 0 (${after.stdout
      .split("\n")
      .filter((l) => l.startsWith("  FAIL"))
      .join(" / ")})`,
  );
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
      const result = await lab.node(node).exec(argv);
      t.equal(result.exitCode, 0, `${node}: ${argv.join(" ")}${result.exitCode ? `: ${result.stderr.trim()}` : ""}`);
    }
    const fixed = await check(lab);
    expectFailures(t, fixed, []);
    for (const i of e.failing) t.comment(`now ${i + 1}: ${fixed.expectations[i]!.message}`);
    // The solution file, checked against the exercise fixed by hand, agrees (same lab name).
    const viaSolution = await cli(["check", solutionPath(e)]);
    t.equal(viaSolution.code, 0, "zmqlab check with the solution's file agrees");
  });
}
