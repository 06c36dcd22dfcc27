// Phases and the timed kinds on the real engine: a publisher's traffic crosses r1; mid-traffic
// the test marks the fault `cut` (the session's atFault hook, as the fault runner does), takes
// r1's server-side link down by hand, then marks `back` and brings it up again. The receiver's
// timeline must show the silence; recovered holds with a generous bound and fails with a tiny
// one; messages were lost; the path shows r1 before the cut and not during it.
import t from "tap";
import { Ajv } from "ajv";
import { evaluate, judge, observe } from "../../controller/index.js";
import type { SessionHooks } from "../../controller/traffic/run.js";
import type { ExpectationSpec } from "../../controller/lab/types.js";
import { writeFileSync } from "node:fs";
import { jsonReport, reportSchema } from "../../controller/report/json.js";
import { htmlReport } from "../../controller/report/html.js";
import { sh, upWhenFree } from "../support/helpers.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const lab = await upWhenFree("test/fixtures/phases");
t.teardown(() => lab.down());

let hooks: SessionHooks | undefined;
const running = observe(lab, { onStarted: (h) => (hooks = h) });
// Let messages flow, then cut r1's link to the servers for 3 s. `down` marks the moment the
// link is surely down (the exec that downs it takes a moment after the cut's snapshot).
while (!hooks) await sleep(50);
await sleep(2500);
await hooks.atFault("cut");
await sh(lab, "r1", ["ip", "link", "set", "dev", "servers", "down"]);
await hooks.atFault("down");
await sleep(3000);
await hooks.atFault("back");
await sh(lab, "r1", ["ip", "link", "set", "dev", "servers", "up"]);
const observations = await running;
const reader = observations.traffic.endpoints.find((e) => e.name === "reader")!;
const cut = observations.faults!["cut"]!;
const back = observations.faults!["back"]!;
t.comment(`reader: ${reader.received} received, ${reader.gaps} gaps; silences (ms from cut): ${JSON.stringify(reader.timeline?.silences.map((s) => [s.start - cut, s.end === null ? null : s.end - cut]))}`);

t.test("the agent's timeline shows the cut as a silence", async (t) => {
  t.ok(reader.timeline, "the receiver has a timeline");
  const tl = reader.timeline!;
  t.ok(tl.samples.length > 10, `samples every tick while counts changed (${tl.samples.length})`);
  const down = observations.faults!["down"]!;
  const spanning = tl.silences.find((s) => s.start <= down && s.end !== null && s.end >= back);
  t.ok(spanning, "a silence from before the link was down until after it was back");
  t.ok(tl.handshakes.length >= 1 && tl.handshakes[0]!.wall < cut, "the handshake, before the cut, with its wall time");
  t.ok(observations.snapshots?.["cut"]?.flows["r1"], "the snapshot at the cut holds r1's counters");
});

const specs: ExpectationSpec[] = [
  { recovered: { endpoint: "reader", after: "cut", within: "30s" } },
  { recovered: { endpoint: "reader", after: "cut", within: 1 } },
  { lost: { endpoint: "reader", atMost: 0 } },
  { delivered: { endpoint: "reader", atLeast: 100, before: "cut" } },
  { path: { from: "198.19.71.10", to: "198.19.70.10", via: "r1", before: "cut" } },
  { path: { from: "198.19.71.10", to: "198.19.70.10", via: "r1", between: ["down", "back"] } },
  { path: { from: "198.19.71.10", to: "198.19.70.10", via: "r1", after: "back" } },
  { reconnected: { endpoint: "reader", after: "cut" } },
];

t.test("the verdicts", async (t) => {
  const results = evaluate(specs, observations);
  for (const r of results) t.comment(`${r.ok ? "PASS" : "FAIL"} ${r.description}: ${r.observed}`);
  const [generous, tiny, lost, before, pathBefore, pathDuring, pathAfter, reconnected] = results;
  t.equal(generous!.ok, true, "recovered within 30 s holds");
  const outage = generous!.evidence["outageMs"] as number;
  const down = observations.faults!["down"]!;
  t.ok(outage >= back - down, `the outage (${outage} ms) covers the time the link was down (${back - down} ms)`);
  t.equal(tiny!.ok, false, "recovered within 1 ms fails");
  t.match(tiny!.message, /^reader received again only \d+ ms after cut/);
  t.equal(lost!.ok, false, "messages were lost during the cut");
  t.ok((lost!.evidence["lost"] as number) > 0, `lost counted (${JSON.stringify(lost!.evidence)})`);
  t.equal(before!.ok, true, "messages flowed before the cut");
  t.equal(pathBefore!.ok, true, "r1 forwarded before the cut");
  t.equal(pathDuring!.ok, false, "r1 forwarded nothing from the server while its link was down");
  t.equal(pathAfter!.ok, true, "r1 forwarded again after");
  // TCP retransmits across a 3 s cut: the connection lives through it, no new handshake.
  t.equal(reconnected!.ok, false, "no reconnection: the TCP connection survived the cut");
});

t.test("the report carries the phases and validates against its schema", async (t) => {
  const report = judge({ ...lab.lab, expect: specs }, observations);
  t.same(report.phases?.map((p) => [p.from, p.to]), [["start", "cut"], ["cut", "down"], ["down", "back"], ["back", "end"]]);
  t.ok(report.phases![0]!.received["reader"]! > 0, "messages in the first phase");
  const ajv = new Ajv({ allErrors: true });
  t.ok(ajv.validate(reportSchema, JSON.parse(JSON.stringify(report))), JSON.stringify(ajv.errors));
  const page = htmlReport(lab.lab, report);
  t.match(page, /<h3>reader on client: \d+ received, \d+ silences? over 100 ms/, "the page charts the reader");
  t.match(page, /<line x1="[\d.]+" y1="10" x2="[\d.]+" y2="100" class="fault"\/><text [^>]*>cut<\/text>/, "with the cut marked");
  t.notMatch(page, /<script/, "no scripts");
  if (process.env["ZMQLAB_PHASES_OUT"]) {
    writeFileSync(`${process.env["ZMQLAB_PHASES_OUT"]}.json`, jsonReport(report));
    writeFileSync(`${process.env["ZMQLAB_PHASES_OUT"]}.html`, page);
  }
});
