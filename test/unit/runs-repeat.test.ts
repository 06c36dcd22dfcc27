// `zmqlab run --repeat N` judged from its runs' reports (made by hand, as runLab judges them):
// pass counts against each expectation's quorum, every number of the verdicts' evidence as a
// distribution, zmqlab's own checks, runs that could not be made; the terminal text, JUnit, HTML
// and JSON (valid against repeat.schema.json) saying the same. No Docker.
import t from "tap";
import { Ajv } from "ajv";
import { repeatSchema } from "../../controller/report/schema.js";
import { repeatText, spread } from "../../controller/report/repeat-text.js";
import { repeatJunitXml } from "../../controller/report/repeat-junit.js";
import { repeatHtml, stripChart } from "../../controller/report/repeat-html.js";
import { distribution, distributions, NOT_FIGURES, numbersIn, percentile } from "../../controller/runs/figures.js";
import { summarize } from "../../controller/runs/repeat.js";
import { ran, runReport, runsLab } from "../support/runs.js";

const validate = new Ajv({ allErrors: true }).compile(repeatSchema());
const META = { jobs: 3, quorum: 1, started: "2026-12-06T10:00:00.000Z", durationMs: 95000 };

t.test("figures: every finite number of a value by its dotted path; lists and skipped keys are no figure", async (t) => {
  t.same(numbersIn({ outageMs: 3616.4, recoveredAfterMs: null, packets: { r1: 10, r2: 0 }, silences: [{ start: 1 }], ok: true, name: "x", nan: NaN }), {
    outageMs: 3616.4,
    "packets.r1": 10,
    "packets.r2": 0,
  });
  t.same(numbersIn({ sent: 1, timeline: { firstMessage: 3 } }, ["timeline"]), { sent: 1 });
  t.same(numbersIn(5), {}, "a bare number has no name");
});

t.test("distributions: min, nearest-rank p50 and p95, max, and every value in run order", async (t) => {
  const sorted = Array.from({ length: 20 }, (_, i) => i + 1);
  t.equal(percentile(sorted, 50), 10);
  t.equal(percentile(sorted, 95), 19, "19 of 20 runs at or below it");
  t.equal(percentile([7], 95), 7);
  t.same(distribution([5, 1, 3]), { n: 3, min: 1, p50: 3, p95: 5, max: 5, values: [5, 1, 3] });
  t.same(Object.keys(distributions([{ a: 1 }, { b: 2, a: 3 }])), ["a", "b"], "figures in the order they first appear");
  t.same(distributions([{ a: 1 }, { b: 2, a: 3 }])["b"]!.n, 1, "a figure counts the runs that gave it");
  t.equal(spread(distribution([3600, 3600]), 2), "3600 in every run");
  t.equal(spread(distribution([1, 2.25, 9]), 4), "1 / 2.3 / 9 / 9 (3 of 4 runs)");
});

t.test("pass counts against quorums: every run by default, an expectation's own quorum wins", async (t) => {
  const lab = runsLab().lab;
  const outcomes = [
    ran(0, runReport({ ok: [true, true, true], evidence: [{ counted: 3600 }, { packets: { r1: 900 }, phase: { to: "sweep", end: 4005 } }, { outageMs: 0 }] })),
    ran(1, runReport({ ok: [false, true, false], evidence: [{ counted: 2100 }, { packets: { r1: 880 } }, { outageMs: 6200, silences: [{ start: 1 }] }] }), {
      files: { json: "out/1-run-2.json", html: "out/1-run-2.html" },
    }),
    ran(2, runReport({ ok: [true, true, true], evidence: [{ counted: 3500 }, { packets: { r1: 910 } }, { outageMs: 3600 }] })),
  ];
  const report = summarize(lab, outcomes, META);
  t.same(
    report.expectations.map((e) => [e.kind, e.passed, e.runs, e.quorum, e.ok]),
    [
      ["delivered", 2, 3, 0.5, true],
      ["path", 3, 3, 1, true],
      ["recovered", 2, 3, 1, false],
    ],
  );
  t.same(report.expectations[2]!.failures, [{ run: 2, observed: "failed 3", message: "broken 3" }], "runs count from 1");
  t.same(report.expectations[2]!.figures["outageMs"], { n: 3, min: 0, p50: 3600, p95: 6200, max: 6200, values: [0, 6200, 3600] }, "the outage over the runs");
  t.same(Object.keys(report.expectations[1]!.figures), ["packets.r1"], "the phase's times are no figure of the kind");
  t.equal(report.ok, false);
  t.equal(report.complete, true);
  t.same(report.routers["r1"]!.values, [3600, 3600, 3600], "packets each router forwarded, per run");
  t.same(report.endpoints["ticker"]!["received"]!.values, [3600, 3600, 3600]);
  t.notOk("timeline.firstMessage" in report.endpoints["ticker"]!, "an endpoint's timeline is no figure");
  t.same(
    report.results.map((r) => [r.run, r.ok, r.report?.html]),
    [
      [1, true, undefined],
      [2, false, "out/1-run-2.html"],
      [3, true, undefined],
    ],
  );
  t.ok(validate(JSON.parse(JSON.stringify(report))), JSON.stringify(validate.errors));

  const looser = summarize(lab, outcomes, { ...META, quorum: 0.6 });
  t.same(
    looser.expectations.map((e) => e.ok),
    [true, true, true],
    "2 of 3 is more than 60%",
  );
  t.equal(looser.ok, true);
  t.equal(summarize(lab, outcomes, { ...META, quorum: 0.7 }).expectations[2]!.ok, false, "2 of 3 is less than 70%");
  t.equal(summarize(lab, outcomes.slice(0, 2), META).expectations[0]!.ok, true, "1 of 2 meets its own 0.5 exactly");
});

t.test("a number an endpoint or a verdict gains (latency percentiles) is a figure with no change here; what NOT_FIGURES names is not", async (t) => {
  const lab = runsLab().lab;
  const withLatency = (p50: number, p99: number) => {
    const report = runReport({ ok: [true, true, true], evidence: [{ counted: 3600 }, { packets: { r1: 900 } }, { outageMs: 0, p99 }] });
    const ticker = report.endpoints.find((e) => e.name === "ticker")!;
    Object.assign(ticker, { latency: { p50, p99, max: p99 * 2, histogram: [[1, 5]] } });
    return report;
  };
  const report = summarize(lab, [ran(0, withLatency(0.4, 1.5)), ran(1, withLatency(0.6, 9.5))], META);
  t.same(report.endpoints["ticker"]!["latency.p99"]!.values, [1.5, 9.5], "an endpoint's latency.p99, run by run");
  t.same(report.endpoints["ticker"]!["latency.max"]!.max, 19);
  t.notOk(
    Object.keys(report.endpoints["ticker"]!).some((k) => k.startsWith("latency.histogram")),
    "a list is no figure",
  );
  t.same(report.expectations[2]!.figures["p99"]!.values, [1.5, 9.5], "a verdict's new number too");
  t.match(repeatText(report), /endpoint ticker .*\n(.*\n)* +latency\.p99 +1\.5 \/ 1\.5 \/ 9\.5 \/ 9\.5\n/, "and printed");
  t.same([...NOT_FIGURES.endpoint, ...NOT_FIGURES.evidence].sort(), ["lives", "phase", "timeline"]);
  t.notOk(
    Object.keys(report.endpoints["ticker"]!).some((k) => k.startsWith("timeline.")),
    "an endpoint's timeline is not",
  );
});

t.test("zmqlab's own checks and runs that could not be made: not ok, incomplete", async (t) => {
  const lab = runsLab().lab;
  const report = summarize(lab, [ran(0, runReport({ ok: [true, true, true], checks: ["the fault sweep did not run"] })), ran(1, undefined), ran(2, runReport({ ok: [true, true, true] }))], META);
  t.same(report.checks, { passed: 1, failures: [{ run: 1, observed: "it did not", message: "the fault sweep did not run" }] });
  t.same(
    report.expectations.map((e) => e.passed),
    [2, 2, 2],
    "a run not made held nothing",
  );
  t.equal(report.complete, false);
  t.equal(report.ok, false);
  t.same(report.results[1], { run: 2, ok: false, durationMs: 30001, error: "the engine refused" });
  t.ok(validate(JSON.parse(JSON.stringify(report))), JSON.stringify(validate.errors));
  const text = repeatText(report);
  t.match(text, /FAIL +1\/3 +checks/);
  t.match(text, /FAIL run 1: the fault sweep did not run/);
  t.match(text, /run 2 could not be made: the engine refused/);
  t.match(text, /zmqlab's own checks failed in 1 run; 1 run could not be made$/);
  t.match(repeatJunitXml(report), /<error message="1 of 3 runs could not be made">run 2: the engine refused<\/error>/);
});

t.test("the terminal, JUnit and HTML say the same", async (t) => {
  const lab = runsLab().lab;
  const report = summarize(
    lab,
    [
      ran(0, runReport({ ok: [true, true, true], evidence: [{}, {}, { outageMs: 3500 }] })),
      ran(1, runReport({ ok: [true, true, false], evidence: [{}, {}, { outageMs: 7100 }] }), { files: { json: "/tmp/out/1-run-2.json", html: "/tmp/out/1-run-2.html" } }),
    ],
    META,
  );
  const text = repeatText(report);
  t.match(text, /^lab sw: 2 runs, 3 at once, 95\.0 s; an expectation must hold in every run/);
  t.match(text, /PASS +2\/2 +delivered +expectation 1 \(quorum 50% of the runs \(1 of 2\)\)/);
  t.match(text, /FAIL +1\/2 +recovered +expectation 3\n/);
  t.match(text, /3 recovered +outageMs +3500 \/ 3500 \/ 7100 \/ 7100/, "nearest rank: of two runs the median is the smaller");
  t.match(text, /FAIL 3 \(recovered\): held in 1 of 2 runs, every run needed\n    run 2: broken 3 \(report: \/tmp\/out\/1-run-2\.html\)/);
  t.match(text, /1 of 2 runs held every expectation; 1 of 3 expectations missed their quorum \(recovered\)$/);

  const xml = repeatJunitXml(report);
  t.match(xml, /<testsuite name="sw" tests="4" failures="1" errors="0"/, "a case per expectation and one for the checks");
  t.match(xml, /<testcase name="expectation 3" classname="recovered" time="0">\n      <properties>\n        <property name="passed" value="1\/2"\/>\n        <property name="quorum" value="1"\/>/);
  t.match(xml, /<failure message="held in 1\/2 runs, every run needed" type="recovered">run 2: broken 3 \(report: \/tmp\/out\/1-run-2\.html\)<\/failure>/);
  t.equal((xml.match(/<failure /g) ?? []).length, 1);

  const html = repeatHtml(report, "/tmp/out/repeat.html");
  t.match(html, /<a href="1-run-2\.html">run 2<\/a>: broken 3/, "a failing run links its own page, relative to this one");
  t.match(html, /<tr class="fail"><td><b>FAIL<\/b><\/td><td>3<\/td><td>recovered<\/td>/);
  t.match(html, /1 of 2 runs held every expectation/);
  t.equal(
    (html.match(/<svg /g) ?? []).length,
    Object.values(report.expectations).reduce((n, e) => n + Object.keys(e.figures).length, 0) +
      Object.values(report.endpoints).reduce((n, f) => n + Object.keys(f).length, 0) +
      Object.keys(report.routers).length,
    "a chart per figure",
  );
  t.notMatch(html, /<script|(src|href)="https?:/, "self-contained");
});

t.test("a figure's chart: a dot per run, p50 and p95 ticks, both ends labelled", async (t) => {
  const svg = stripChart(distribution([3500, 7100, 3600]));
  t.equal((svg.match(/<circle /g) ?? []).length, 3);
  t.match(svg, /<title>p50 3600<\/title>/);
  t.match(svg, /<title>p95 7100<\/title>/);
  t.match(svg, />3500<\/text>/);
  t.match(svg, />7100<\/text>/);
  t.match(stripChart(distribution([5, 5])), /cx="210"/, "one value: in the middle");
});
