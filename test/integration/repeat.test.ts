// `zmqlab run --repeat N` on the real engine: labs/failover three times at once prints each
// expectation's pass count and the outage's distribution, its exit code follows the pass counts,
// and its reports validate; a lab whose claim is wrong in every run exits 1 with every run's own
// report kept; the options' mistakes are exit 2 before any engine call.
import t from "tap";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { connectEngine } from "../../controller/engine/docker.js";
import { listLabs } from "../../controller/engine/resources.js";
import { repeatSchema, reportSchema } from "../../controller/report/schema.js";
import type { RepeatReport } from "../../controller/runs/repeat.js";
import { cli, labFile } from "../support/helpers.js";

const ajv = new Ajv({ allErrors: true });
const validRepeat = ajv.compile(repeatSchema());
const validRun = ajv.compile(reportSchema());
const exitOf = (r: { code: number | null; stderr: string }) => `exit ${r.code}: ${r.stderr.split("\n").slice(-8).join(" | ")}`;

async function left(lab: string): Promise<number> {
  const labs = (await listLabs(await connectEngine())).filter((l) => l.lab.startsWith(`${lab}.`));
  return labs.reduce((n, l) => n + l.containers.length + l.networks.length + l.locks.length, 0);
}

t.test("labs/failover three times, three at once: pass counts, the outage's distribution, valid reports", async (t) => {
  const dir = t.testdir();
  const json = join(dir, "repeat.json");
  const result = await cli([
    "run",
    "labs/failover",
    "--repeat",
    "3",
    "--jobs",
    "3",
    "--json",
    json,
    "--junit",
    join(dir, "repeat.xml"),
    "--html",
    join(dir, "repeat.html"),
    "--reports",
    join(dir, "runs"),
  ]);
  const report = JSON.parse(readFileSync(json, "utf8")) as RepeatReport;
  t.ok(validRepeat(report), JSON.stringify(validRepeat.errors));
  t.equal(result.code, report.ok ? 0 : 1, `the exit code follows the pass counts (${exitOf(result)})`);
  t.match(result.stdout, /^lab failover: 3 runs, 3 at once, [\d.]+ s; an expectation must hold in every run\n/);
  for (const e of report.expectations)
    t.match(
      result.stdout,
      new RegExp(`${e.ok ? "PASS" : "FAIL"} +${e.passed}/3 +${e.kind} +${e.description.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`),
      `its pass count: ${e.passed}/3 ${e.description}`,
    );
  const outage = report.expectations.find((e) => e.kind === "recovered")!.figures["outageMs"];
  t.ok(outage, "the outage is a figure");
  t.match(result.stdout, /6 recovered +faultAt .*\n +outageMs +[\d.]+ \/ [\d.]+ \/ [\d.]+ \/ [\d.]+/, "printed as min / p50 / p95 / max");
  t.same(
    report.results.map((r) => r.run),
    [1, 2, 3],
  );
  for (const r of report.results.filter((x) => !x.ok)) t.ok(r.report && validRun(JSON.parse(readFileSync(r.report.json, "utf8"))), `failing run ${r.run} kept its own valid report`);
  t.match(readFileSync(join(dir, "repeat.xml"), "utf8"), /<testsuite name="failover" tests="7"/);
  t.match(readFileSync(join(dir, "repeat.html"), "utf8"), /<h1>Lab failover: 3 runs<\/h1>/);
  t.equal(await left("failover"), 0, "every instance removed");
});

t.test("a claim wrong in every run: exit 1, 0/2, every run's own report kept", async (t) => {
  const text = readFileSync("labs/source-ip/lab.yaml", "utf8").replace("- delivered: { endpoint: via-r1, count: 1000, from: quotes }", "- delivered: { endpoint: via-r1, count: 999, from: quotes }");
  const file = labFile(text);
  const dir = t.testdir();
  const result = await cli(["run", file, "--repeat", "2", "--jobs", "2", "--reports", dir]);
  t.equal(result.code, 1, exitOf(result));
  t.match(result.stdout, /FAIL +0\/2 +delivered +via-r1 receives exactly 999 messages from quotes/);
  t.match(result.stdout, /PASS +2\/2 +delivered +via-r2 receives exactly 1000 messages/);
  t.match(
    result.stdout,
    /FAIL 1 \(delivered\): held in 0 of 2 runs, every run needed\n    run 1: via-r1 received 1000 from quotes, expected 999 \(report: .*0-run-1\.html\)\n    run 2: .*1-run-2\.html\)/,
  );
  t.match(result.stdout, /\n0 of 2 runs held every expectation; 1 of 6 expectations missed their quorum \(delivered\)\n/);
  t.ok(existsSync(join(dir, "0-run-1.json")) && existsSync(join(dir, "1-run-2.html")), "their reports");
  t.equal(await left("source-ip"), 0);
});

t.test("the options' mistakes: exit 2, nothing touched", async (t) => {
  for (const [args, message] of [
    [["--repeat", "0"], /--repeat: "0" is not a whole number of 1 or more/],
    [["--repeat", "2", "--keep"], /--keep: --keep with --repeat/],
    [["--repeat", "2", "--instance", "x"], /--instance: --instance with --repeat/],
    [["--jobs", "2"], /--jobs: --jobs without --repeat/],
    [["--repeat", "2", "--quorum", "1.5"], /--quorum: "1.5" is not a share of the runs/],
  ] as const) {
    const result = await cli(["run", "labs/source-ip", ...args]);
    t.equal(result.code, 2, `${args.join(" ")}: ${exitOf(result)}`);
    t.match(result.stderr, message);
  }
  const bad = await cli(["sweep", "labs/resilience", "--links", "r1:nowhere", "--exclude", "stop r9"]);
  t.equal(bad.code, 2, exitOf(bad));
  t.match(bad.stderr, /--links\[0\]: node "r1" is not on network "nowhere"\n  hint: its networks: clients, vip, servers/);
  t.match(bad.stderr, /--exclude\[0\]: no node "r9" in this lab/);
});
