// `zmqlab sweep labs/resilience` on the real engine, as its README says: of every router stopped
// and every router link taken down, exactly r1's link to the backends breaks the lab's claims
// (exit 1); without it the sweep exits 0; the terminal, JSON (valid), JUnit and HTML agree, and
// every run's own report is there; Ctrl-C in the middle leaves nothing of the lab on the engine.
import t from "tap";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Ajv } from "ajv";
import { connectEngine } from "../../controller/engine/docker.js";
import { listLabs } from "../../controller/engine/resources.js";
import { reportSchema, sweepSchema } from "../../controller/report/schema.js";
import type { SweepReport } from "../../controller/runs/sweep.js";
import { cli } from "../support/helpers.js";

const LAB = "labs/resilience";
const ajv = new Ajv({ allErrors: true });
const validSweep = ajv.compile(sweepSchema());
const validRun = ajv.compile(reportSchema());
const exitOf = (r: { code: number | null; stderr: string }) => `exit ${r.code}: ${r.stderr.split("\n").slice(-8).join(" | ")}`;

/** Containers and networks of the lab and of every instance of it. */
async function left(lab: string): Promise<{ containers: number; networks: number }> {
  const labs = (await listLabs(await connectEngine())).filter((l) => l.lab === lab || l.lab.startsWith(`${lab}.`));
  return { containers: labs.reduce((n, l) => n + l.containers.length + l.locks.length, 0), networks: labs.reduce((n, l) => n + l.networks.length, 0) };
}

/** The matrix's rows as the terminal prints them: failure -> its cells. */
function matrix(stdout: string): Map<string, string[]> {
  const lines = stdout.split("\n");
  const start = lines.findIndex((l) => /^\s+1\s+2\s+3\s+4\s+5\s+checks$/.test(l));
  const rows = new Map<string, string[]>();
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === "") break;
    const cells = line.trim().split(/\s{2,}/);
    rows.set(cells[0]!, cells.slice(1));
  }
  return rows;
}

t.test("the default sweep: exactly down r1:servers breaks the documented claims; every report agrees", async (t) => {
  const dir = t.testdir();
  const files = { json: join(dir, "sweep.json"), junit: join(dir, "sweep.xml"), html: join(dir, "sweep.html"), reports: join(dir, "runs") };
  const result = await cli(["sweep", LAB, "--jobs", "4", "--json", files.json, "--junit", files.junit, "--html", files.html, "--reports", files.reports]);
  t.equal(result.code, 1, exitOf(result));
  const rows = matrix(result.stdout);
  t.same(
    [...rows.keys()],
    ["baseline", "stop r1", "down r1:clients", "down r1:vip", "down r1:servers", "stop r2", "down r2:clients", "down r2:vip", "down r2:servers"],
    "the baseline and the 8 default failures, node by node",
  );
  for (const [failure, cells] of rows) {
    const expected = failure === "down r1:servers" ? ["held", "FAIL*", "FAIL*", "FAIL*", "FAIL*", "held"] : ["held", "held", "held", "held", "held", "held"];
    t.same(cells, expected, `${failure}: ${cells.join(" ")}`);
  }
  t.match(result.stdout, /\n1 of 8 failures broke what the baseline held: down r1:servers \(2, 3, 4, 5\)\n/);
  t.match(result.stdout, /  down r1:servers .*\n    BROKE 2, 3, 4, 5\n(    moved: .*: r1, now no path\n)+/, "its flows lost their path");
  t.match(result.stdout, /  stop r1 .*\n(    moved: .*: r1, now r2\n)+    receivers: /, "stopping r1 moved the flows to r2");
  t.match(result.stderr, /sweep of resilience: 9 done, 0 running, 0 left; 1 failed so far/, "the progress line");

  const report = JSON.parse(readFileSync(files.json, "utf8")) as SweepReport;
  t.ok(validSweep(report), JSON.stringify(validSweep.errors));
  t.same([report.ok, report.complete], [false, true]);
  t.same(
    report.failures.filter((f) => f.broke.length).map((f) => [f.failure, f.broke]),
    [["down r1:servers", [1, 2, 3, 4]]],
    "the JSON says the same",
  );
  const lesson = report.failures.find((f) => f.failure === "down r1:servers")!;
  t.ok(
    lesson.receivers.filter((r) => r.endpoint.startsWith("ask")).every((r) => r.outageMs === null),
    "the clients' outage never ended",
  );
  const stopped = report.failures.find((f) => f.failure === "stop r1")!;
  t.ok(
    stopped.receivers.filter((r) => r.endpoint.startsWith("ask")).every((r) => r.outageMs !== null && r.outageMs < 10000),
    `stop r1: the clients were back within 10 s (${stopped.receivers.map((r) => `${r.endpoint} ${r.outageMs}`).join(", ")})`,
  );

  const xml = readFileSync(files.junit, "utf8");
  const suites = [...xml.matchAll(/<testsuite name="resilience: ([^"]+)" tests="(\d+)" failures="(\d+)"/g)].map((m) => [m[1], Number(m[2]), Number(m[3])]);
  t.same(
    suites,
    [...rows.keys()].map((f) => [f, 6, f === "down r1:servers" ? 4 : 0]),
    "JUnit: a suite per run, failures only where the terminal has FAIL*",
  );

  const html = readFileSync(files.html, "utf8");
  t.equal((html.match(/<td class="failed differs">/g) ?? []).length, 4, "HTML: the same four cells");
  t.equal((html.match(/<td class="failed/g) ?? []).length, 4, "and no other failed cell");
  const links = [...html.matchAll(/<a href="([^"#]+)">report<\/a>/g)].map((m) => resolve(dirname(files.html), m[1]!));
  t.equal(new Set(links).size, 9, "a link to every run's own page");
  t.ok(
    links.every((l) => existsSync(l)),
    "each exists",
  );
  for (const row of [report.baseline, ...report.failures]) {
    const own = JSON.parse(readFileSync(row.report!.json, "utf8"));
    t.ok(validRun(own), `${row.failure}: its own report is valid (${JSON.stringify(validRun.errors)})`);
  }
  t.same(await left("resilience"), { containers: 0, networks: 0 }, "nothing left on the engine");
});

// r1's other failures only: one round of four runs at --jobs 4 (the first test sweeps every failure).
t.test("without the lesson's link: exit 0", async (t) => {
  const result = await cli(["sweep", LAB, "--jobs", "4", "--failures", "stop r1;down r1:clients;down r1:vip;down r1:servers", "--exclude", "down r1:servers", "--reports", t.testdir()]);
  t.equal(result.code, 0, exitOf(result));
  t.same([...matrix(result.stdout).keys()], ["baseline", "stop r1", "down r1:clients", "down r1:vip"], "the baseline and r1's 3 other failures");
  t.notMatch(result.stdout, /FAIL/);
  t.match(result.stdout, /\nevery one of 3 failures kept what the baseline held\n/);
  t.same(await left("resilience"), { containers: 0, networks: 0 });
});

t.test("Ctrl-C during a sweep: every run stops, nothing is left, exit 130", async (t) => {
  let sent = false;
  const result = await cli(["sweep", LAB, "--jobs", "3", "--reports", t.testdir()], (text, child) => {
    // Interrupted once the first runs are well under way (coming up, OSPF converging, or traffic).
    if (!sent && /sweep of resilience: 0 done/.test(text)) {
      sent = true;
      setTimeout(() => child.kill("SIGINT"), 15000);
    }
  });
  t.ok(sent, "the runs had started");
  t.equal(result.code, 130, exitOf(result));
  t.match(result.stderr, /interrupted: \d of 9 runs done; every run stopped and its lab removed/);
  t.same(await left("resilience"), { containers: 0, networks: 0 }, "no instance left");
});
