// Phases and the timed kinds on the real engine, with a real fault timeline: a publisher's
// traffic crosses r1; at 2.5 s r1's server-side link goes down (`cut`), `down` marks the moment
// that is done, and at 5 s it comes back (`back`). The receiver's timeline must show the
// silence; recovered holds with a generous bound and fails with a tiny one; messages were lost;
// the path shows r1 before the cut and not while the link was down.
import t from "tap";
import { Ajv } from "ajv";
import { writeFileSync } from "node:fs";
import { judge, observe } from "../../controller/advanced.js";
import { jsonReport, reportSchema } from "../../controller/report/json.js";
import { htmlReport } from "../../controller/report/html.js";
import { expectationsText } from "../../controller/report/expectations-text.js";
import { upWhenFree } from "../support/helpers.js";

const lab = await upWhenFree("test/fixtures/phases");
t.teardown(() => lab.down());

const hooked: string[] = [];
const observations = await observe(lab, { atFault: (name) => void hooked.push(name) });
const report = judge(lab.lab, observations);
const reader = observations.traffic.endpoints.find((e) => e.name === "reader")!;
const cut = observations.faults!["cut"]!;
const back = observations.faults!["back"]!;
t.comment(
  `reader: ${reader.received} received, ${reader.gaps} gaps; silences (ms from cut): ${JSON.stringify(reader.timeline?.silences.map((s) => [s.start - cut, s.end === null ? null : s.end - cut]))}`,
);
t.comment(`faults: ${JSON.stringify(observations.traffic.faults)}`);
t.comment(expectationsText(report.expectations));

t.test("the faults ran, each after the caller's hook, with a snapshot", async (t) => {
  t.same(hooked, ["cut", "down", "back"], "the caller's atFault, in order");
  t.same(
    observations.traffic.faults?.map((f) => [f.name, f.ok]),
    [
      ["cut", true],
      ["down", true],
      ["back", true],
    ],
  );
  t.same(Object.keys(observations.snapshots ?? {}), ["cut", "down", "back"]);
  const ran = observations.traffic.faults!.find((f) => f.name === "cut")!;
  t.equal(cut, ran.actualMs, "a fault's phase time is when it took effect");
  t.ok(ran.doneMs! >= ran.actualMs!, "and it was done no earlier");
});

t.test("the agent's timeline shows the cut as a silence", async (t) => {
  t.ok(reader.timeline, "the receiver has a timeline");
  const tl = reader.timeline!;
  t.ok(tl.samples.length > 10, `samples every tick while counts changed (${tl.samples.length})`);
  const down = observations.faults!["down"]!;
  const spanning = tl.silences.find((s) => s.start <= down && s.end !== null && s.end >= back);
  t.ok(spanning, "a silence from before the link was down until after it was back");
  t.ok(tl.handshakes.length >= 1 && tl.handshakes[0]!.ms < cut, "the handshake, before the cut, with its time");
  t.ok(observations.snapshots?.["cut"]?.flows["r1"], "the snapshot at the cut holds r1's counters");
});

t.test("the verdicts", async (t) => {
  const results = report.expectations;
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
  // TCP retransmits across a 2.5 s cut: the connection lives through it, no new handshake.
  t.equal(reconnected!.ok, false, "no reconnection: the TCP connection survived the cut");
});

t.test("the report carries the phases and validates against its schema", async (t) => {
  t.same(
    report.phases?.map((p) => [p.from, p.to]),
    [
      ["start", "cut"],
      ["cut", "down"],
      ["down", "back"],
      ["back", "end"],
    ],
  );
  t.ok(report.phases![0]!.received["reader"]! > 0, "messages in the first phase");
  const ajv = new Ajv({ allErrors: true });
  t.ok(ajv.validate(reportSchema(), JSON.parse(JSON.stringify(report))), JSON.stringify(ajv.errors));
  const page = htmlReport(lab.lab, report);
  t.match(page, /<h3>reader on client: \d+ received, \d+ silences? over 100 ms/, "the page charts the reader");
  t.match(page, /<line x1="[\d.]+" y1="10" x2="[\d.]+" y2="100" class="fault"\/><text [^>]*>cut<\/text>/, "with the cut marked");
  t.notMatch(page, /<script/, "no scripts");
  if (process.env["ZMQLAB_PHASES_OUT"]) {
    writeFileSync(`${process.env["ZMQLAB_PHASES_OUT"]}.json`, jsonReport(report));
    writeFileSync(`${process.env["ZMQLAB_PHASES_OUT"]}.html`, page);
  }
});
