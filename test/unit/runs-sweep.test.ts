// `zmqlab sweep` before and after its runs, without Docker: what it plans to try (the default
// failures, the options, the lab file's section, exclusions, pairs and samples; every mistake an
// exit 2 naming the option), and the differential report of runs made by hand: cells that
// differ from the baseline either way, flows that moved by the routers' counters, receivers'
// outages and losses; the terminal, JSON (valid), JUnit and HTML agreeing.
import t from "tap";
import { Ajv } from "ajv";
import { LabError } from "../../controller/errors.js";
import { parseLab } from "../../controller/lab/load.js";
import { sweepSchema } from "../../controller/report/schema.js";
import { sweepHtml } from "../../controller/report/sweep-html.js";
import { sweepJunitXml } from "../../controller/report/sweep-junit.js";
import { sweepText } from "../../controller/report/sweep-text.js";
import { differential, movedFlows, planSweep, receiversOf, type SweepOptions } from "../../controller/runs/sweep.js";
import { flow, ran, RUNS_LAB, runReport, runsLab, throughR1 } from "../support/runs.js";

const validate = new Ajv({ allErrors: true }).compile(sweepSchema());
const lab = () => runsLab().lab;
const cases = (options: Parameters<typeof planSweep>[1] = {}, l = lab()) => planSweep(l, options).cases.map((c) => c.text);

function problemsOf(options: Omit<SweepOptions, "jobs">, l = lab()): { path: string; message: string; hint?: string }[] {
  try {
    planSweep(l, options);
    return [];
  } catch (err) {
    if (!(err instanceof LabError)) throw err;
    return err.problems.map((p) => ({ path: p.path, message: p.message, ...(p.hint ? { hint: p.hint } : {}) }));
  }
}

t.test("the plan: the default failures at a third of the traffic; options instead; the file's section instead of the default", async (t) => {
  const plan = planSweep(lab());
  t.equal(plan.at, 4000);
  t.equal(plan.restore, undefined);
  t.same(
    plan.cases.map((c) => c.text),
    ["stop r1", "down r1:clients", "down r1:servers", "stop r2", "down r2:clients", "down r2:servers"],
  );
  t.same(cases({ nodes: ["r1", "client"], links: ["r2:servers"], partitions: ["client/server"] }), ["stop r1", "stop client", "down r2:servers", "partition client/server"]);
  t.same(cases({ nodes: ["r1"], pause: true }), ["pause r1"]);
  t.same(
    cases({ pause: true }).filter((c) => !c.startsWith("down")),
    ["pause r1", "pause r2"],
    "--pause alone: the default nodes paused",
  );
  t.same(cases({ failures: ["down r1:servers", "stop r2"] }), ["down r1:servers", "stop r2"]);
  t.same(planSweep(lab(), { at: "2s", restore: 1500 }).at, 2000);
  t.same(planSweep(lab(), { at: "2s", restore: 1500 }).restore, 1500);
  const declared = parseLab(`${RUNS_LAB}sweep: { at: 3s, restore: 2s, failures: [stop r2, "down r1:servers"], exclude: [stop r2] }\n`, "lab.yaml").lab;
  t.same(
    planSweep(declared),
    { at: 3000, restore: 2000, cases: [{ failures: [{ action: "down", node: "r1", network: "servers" }], text: "down r1:servers" }], skipped: [] },
    "the file's failures, minus its exclusions",
  );
  t.same(cases({ nodes: ["r1"] }, declared), ["stop r1"], "options win over the file's failures");
  t.same(
    problemsOf({ nodes: ["r2"] }, declared).map((p) => p.message),
    ["nothing to sweep: no failure is left to try"],
    "the file's exclusions hold for them too",
  );
  t.same(planSweep(declared, { at: 5000 }).at, 5000, "and over its time");
});

t.test("exclusions, pairs, samples", async (t) => {
  t.same(cases({ exclude: ["down r1:servers", "stop r2"] }), ["stop r1", "down r1:clients", "down r2:clients", "down r2:servers"]);
  const pairs = cases({ k: 2 });
  t.equal(pairs.length, 9);
  t.same(pairs.slice(0, 2), ["stop r1 + stop r2", "stop r1 + down r2:clients"]);
  t.notOk(
    cases({ k: 2, exclude: ["stop r2"] }).some((c) => c.includes("stop r2")),
    "an excluded failure is in no pair",
  );
  const sampled = planSweep(lab(), { k: 2, sample: 4, seed: 3 });
  t.equal(sampled.cases.length, 4);
  t.same(sampled.sampled, { of: 9, seed: 3 });
  t.same(planSweep(lab(), { k: 2, sample: 4, seed: 3 }).cases, sampled.cases, "the same seed, the same pairs");
  t.equal(planSweep(lab(), { k: 2, sample: 20 }).sampled, undefined, "a sample of more than there are is all of them");
});

t.test("what the lab's own faults rule out: skipped from the default, an error when asked for", async (t) => {
  const own = parseLab(`${RUNS_LAB}faults:\n  r2-down: { at: 1s, node: r2, action: stop }\n`, "lab.yaml").lab;
  const plan = planSweep(own);
  t.same(
    plan.cases.map((c) => c.text),
    ["stop r1", "down r1:clients", "down r1:servers"],
  );
  t.same(
    plan.skipped.map((s) => s.failure),
    ["stop r2", "down r2:clients", "down r2:servers"],
  );
  t.match(plan.skipped[0]!.why, /stop of node "r2" at 4000 ms, which is stopped \(by fault r2-down\)/);
  t.same(problemsOf({ nodes: ["r2"] }, own), [
    { path: "--at", message: 'stop r2 at 4000 ms: stop of node "r2" at 4000 ms, which is stopped (by fault r2-down)', hint: "another time (--at), or leave that failure out (--exclude)" },
  ]);
});

t.test("the options' mistakes: exit 2, naming the option, before any run", async (t) => {
  t.same(problemsOf({ nodes: ["r9"], links: ["r1:nowhere", "r1"], at: "soon" }), [
    { path: "--at", message: '"soon" is not a duration', hint: "ms, or 1500ms, 4s" },
    { path: "--nodes[0]", message: 'no node "r9" in this lab', hint: 'did you mean "r1"?' },
    { path: "--links[0]", message: 'node "r1" is not on network "nowhere"', hint: "its networks: clients, servers" },
    { path: "--links[1]", message: '"down r1": down names an interface as NODE:NETWORK', hint: "stop NODE, pause NODE, down NODE:NETWORK or partition A,B/C" },
  ]);
  t.same(
    problemsOf({ exclude: ["down r1:server"] }).map((p) => p.message),
    ['node "r1" is not on network "server"'],
  );
  t.same(problemsOf({ exclude: ["stop client"] }), [
    { path: "--exclude[0]", message: "stop client is not among the failures of this sweep", hint: "they are: stop r1, down r1:clients, down r1:servers, stop r2, down r2:clients, down r2:servers" },
  ]);
  t.same(
    problemsOf({ k: 3 as 2 }).map((p) => p.path),
    ["--k"],
  );
  t.same(
    problemsOf({ nodes: ["r1"], exclude: ["stop r1"] }).map((p) => p.message),
    ["nothing to sweep: no failure is left to try"],
  );
  const unpaced = parseLab(RUNS_LAB.replace("send: { rate: 300, duration: 12s }", "send: { count: 100 }").replace(/expect:[\s\S]*$/, ""), "lab.yaml").lab;
  t.same(
    problemsOf({}, unpaced).map((p) => [p.path, p.hint]),
    [["--at", "say when: --at 4s (or sweep: { at: 4s } in the lab file)"]],
  );
  t.same(problemsOf({ at: 2000 }, unpaced), []);
});

/** The lab's three expectations held (path, delivered, recovered), r1 carried everything: the baseline. */
const baseline = () => runReport({ ok: [true, true, true] });

t.test("the differential: a cell that differs either way is marked; a row is ok when it keeps what the baseline held", async (t) => {
  const plan = planSweep(lab(), { nodes: ["r1", "r2"], links: ["r1:servers"] });
  const outcomes = [
    ran(0, runReport({ ok: [true, false, true] })),
    // stop r1: r2 takes over, the receiver waits 3.6 s, loses 20.
    ran(
      1,
      runReport({
        ok: [true, true, true],
        after: { r1: [], r2: [flow("198.18.50.10", "198.18.51.10", 700), flow("198.18.51.10", "198.18.50.10", 700)] },
        silences: [{ start: 3990, end: 7605, lastSent: 3990 }],
        received: 3580,
      }),
    ),
    // stop r2: nothing happens.
    ran(2, runReport({ ok: [true, false, true] })),
    // down r1:servers: nothing gets through; a few packets in flight on r1 are no path; a zmqlab check fails too.
    ran(
      3,
      runReport({
        ok: [true, false, false],
        checks: ["the fault sweep-2 failed"],
        after: { r1: [flow("198.18.50.10", "198.18.51.10", 9)], r2: [] },
        silences: [{ start: 3990, end: null, lastSent: 3990 }],
        received: 1200,
      }),
    ),
  ];
  const report = differential(lab(), plan, outcomes, { jobs: 2, started: "2026-12-06T10:00:00.000Z", durationMs: 120000, k: 1 });
  t.same(
    report.columns.map((c) => c.kind),
    ["delivered", "path", "recovered", "checks"],
  );
  t.same(
    [report.baseline, ...report.failures].map((r) => [r.failure, r.cells.map((c) => `${c.ok ? "held" : "FAIL"}${c.differs ? "*" : ""}`).join(" "), r.ok]),
    [
      ["baseline", "held FAIL held held", true],
      ["stop r1", "held held* held held", true],
      ["stop r2", "held FAIL held held", true],
      ["down r1:servers", "held FAIL FAIL* FAIL*", false],
    ],
  );
  t.same(report.failures[0]!.fixed, [1], "a failing expectation that passes with the failure is shown too");
  t.same(report.failures[2]!.broke, [2, 3]);
  t.same(report.failures[0]!.flows, [
    { from: "198.18.50.10", to: "198.18.51.10", baseline: ["r1"], now: ["r2"] },
    { from: "198.18.51.10", to: "198.18.50.10", baseline: ["r1"], now: ["r2"] },
  ]);
  t.same(report.failures[1]!.flows, [], "stop r2: nothing moved");
  t.same(
    report.failures[2]!.flows.map((f) => f.now),
    [[], []],
    "9 packets of 900 are no path; the way back has none",
  );
  t.same(report.failures[0]!.receivers, [{ endpoint: "ticker", outageMs: 3615, recoveredAfterMs: 3600, lost: 0, received: 3580 }]);
  t.same(report.failures[2]!.receivers[0]!.outageMs, null, "an outage that never ended");
  t.same(report.baseline.receivers[0]!.outageMs, 0);
  t.equal(report.ok, false);
  t.equal(report.complete, true);
  t.ok(validate(JSON.parse(JSON.stringify(report))), JSON.stringify(validate.errors));

  const text = sweepText(report);
  t.match(text, /^sweep of lab sw: the baseline and 3 failures, each at 4000 ms \(the fault sweep\); 2 at once, 120\.0 s/);
  t.match(text, /\n +1 +2 +3 +checks\nbaseline +held +FAIL +held +held\nstop r1 +held +held\* +held +held\nstop r2 +held +FAIL +held +held\ndown r1:servers +held +FAIL +FAIL\* +FAIL\*\n/);
  t.match(text, /stop r1\n    mended 2 \(failed in the baseline\)\n    moved: 198\.18\.50\.10 -> 198\.18\.51\.10: r1, now r2\n/);
  t.match(text, /receivers: ticker outage 3615 ms, lost 0/);
  t.match(text, /down r1:servers\n    BROKE 3, checks\n    moved: 198\.18\.50\.10 -> 198\.18\.51\.10: r1, now no path/);
  t.match(text, /    checks: the fault sweep-2 failed/);
  t.match(text, /1 of 3 failures broke what the baseline held: down r1:servers \(3, checks\)$/);

  const xml = sweepJunitXml(report);
  t.match(xml, /<testsuites name="zmqlab sweep sw" tests="16" failures="3" errors="0"/, "the baseline's own failure, and the two the failure broke");
  t.match(xml, /<testsuite name="sw: baseline" tests="4" failures="1" errors="0" skipped="0"/);
  t.match(xml, /<testsuite name="sw: stop r2" tests="4" failures="0" errors="0" skipped="1"/, "failing in the baseline too: skipped");
  t.match(xml, /<testsuite name="sw: down r1:servers" tests="4" failures="2" errors="0" skipped="1"/);
  t.match(xml, /<property name="moved" value="198\.18\.50\.10 -&gt; 198\.18\.51\.10: r1, now r2"\/>/);
  t.match(xml, /<failure message="broken 3" type="recovered">observed: failed 3\nbroken 3\n\(held in the baseline\)<\/failure>/);

  const html = sweepHtml(report, "/tmp/sweep.html");
  t.equal((html.match(/<td class="failed differs">/g) ?? []).length, 2, "two cells broke");
  t.equal((html.match(/<td class="held differs">/g) ?? []).length, 1, "one mended");
  t.match(html, /<li class="bad"><b>3 FAILED<\/b> \(broke: held in the baseline\): broken 3<\/li>/, "each cell's reason as text");
  t.match(html, /<li class="ok"><b>2 held<\/b> \(mended: failed in the baseline\): fine 2<\/li>/);
  t.match(html, /1 of 3 failures broke what the baseline held/);
});

t.test("runs that could not be made; a baseline that could not", async (t) => {
  const plan = planSweep(lab(), { nodes: ["r1", "r2"] });
  const meta = { jobs: 1, started: "2026-12-06T10:00:00.000Z", durationMs: 1, k: 1 };
  const partly = differential(lab(), plan, [ran(0, baseline()), ran(1, undefined), ran(2, baseline())], meta);
  t.same([partly.failures[0]!.ok, partly.failures[0]!.error, partly.failures[0]!.cells], [false, "the engine refused", []]);
  t.equal(partly.complete, false);
  t.equal(partly.ok, false);
  t.match(sweepText(partly), /  stop r1: could not be made: the engine refused/);
  t.match(sweepText(partly), /the failure kept what the baseline held; 1 run could not be made \(stop r1\)$/);
  t.match(sweepJunitXml(partly), /<testsuite name="sw: stop r1" tests="4" failures="0" errors="1" skipped="0"/);
  const headless = differential(lab(), plan, [ran(0, undefined), ran(1, baseline()), ran(2, baseline())], meta);
  t.same(
    headless.failures.map((f) => [f.ok, f.cells.some((c) => c.differs)]),
    [
      [false, false],
      [false, false],
    ],
    "without a baseline nothing can be said to hold",
  );
  t.same(
    headless.columns.map((c) => c.description),
    ["expectation 1", "expectation 2", "expectation 3", "zmqlab's own checks: every endpoint started, every fault ran"],
    "the columns as the runs that were made describe them",
  );
  t.match(sweepText(headless), /the baseline could not be made: nothing to compare the failures with$/);
  const none = differential(lab(), plan, [ran(0, undefined), ran(1, undefined, { error: "OSPF did not converge within 30 s:\n  client: no Full neighbour\n  more" }), ran(2, undefined)], meta);
  t.same(
    none.columns.map((c) => c.kind),
    ["delivered", "path", "recovered", "checks"],
    "none made: the lab file's kinds",
  );
  t.match(sweepText(none), /  stop r1: could not be made: OSPF did not converge within 30 s: client: no Full neighbour\n/);
  t.match(sweepText(none), /nothing to compare the failures with; the runs of 2 failures could not be made either$/);
  t.ok(validate(JSON.parse(JSON.stringify(headless))), JSON.stringify(validate.errors));
});

t.test("instances: flows compared at the lab file's addresses", async (t) => {
  const moved = { name: "i123456", relocations: [{ from: "198.18.48.0/22", to: "198.19.8.0/22" }] };
  const at = (a: string) => a.replace("198.18.5", "198.19.1");
  const run = runReport({ ok: [true, true, true], instance: moved, after: { r1: [], r2: [flow(at("198.18.50.10"), at("198.18.51.10"), 500)] } });
  t.same(movedFlows(runReport({ ok: [true, true, true], instance: { ...moved, name: "i654321" }, after: throughR1(900, at) }), run), [
    { from: "198.18.50.10", to: "198.18.51.10", baseline: ["r1"], now: ["r2"] },
    { from: "198.18.51.10", to: "198.18.50.10", baseline: ["r1"], now: [] },
  ]);
  t.same(receiversOf(run, []), [], "only receivers that got something in the baseline");
});
