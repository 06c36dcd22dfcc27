// Golden outputs: what people read (the terminal tables, the dry run, Mermaid, JUnit, TAP, the
// HTML page) for a few labs, compared with checked-in files under test/golden/reports/. A change
// of wording or a count that slips shows as a diff; `npm run golden:update` rewrites them when
// the change is intended.
import t, { type Test } from "tap";
import { loadLab } from "../../controller/lab/load.js";
import type { Lab } from "../../controller/lab/types.js";
import { planLab } from "../../controller/plan/plan.js";
import { expectationsText } from "../../controller/report/expectations-text.js";
import { htmlReport } from "../../controller/report/html.js";
import { jsonReport, reportSchema } from "../../controller/report/json.js";
import { Ajv } from "ajv";
import { countsPerInterval } from "../../controller/traffic/timeline.js";
import type { TimelineSample } from "../../controller/traffic/types.js";
import { junitXml } from "../../controller/report/junit.js";
import { topologyMermaid } from "../../controller/report/mermaid.js";
import { interfacesText, planText } from "../../controller/report/plan-text.js";
import { dockerNames } from "../../controller/engine/naming.js";
import { tapText } from "../../controller/report/tap.js";
import { trafficText } from "../../controller/report/traffic-text.js";
import { judge } from "../../controller/run/index.js";
import type { Observations } from "../../controller/expect/types.js";
import { golden } from "../support/golden.js";
import { endpoint, flow, noHandshake, observations, peer } from "./expect-cases.js";

function all(t: Test, name: string, lab: Lab, obs: Observations): void {
  const report = judge(lab, { ...obs, traffic: { ...obs.traffic, lab: lab.name } });
  golden(t, `reports/${name}.traffic.txt`, trafficText(report) + "\n");
  golden(t, `reports/${name}.expectations.txt`, expectationsText(report.expectations) + "\n");
  golden(t, `reports/${name}.tap`, tapText(report));
  golden(t, `reports/${name}.junit.xml`, junitXml(report));
  golden(t, `reports/${name}.json`, jsonReport(report));
  golden(t, `reports/${name}.html`, htmlReport(lab, report));
}

const sourceIp = loadLab("labs/source-ip").lab;
const natLb = loadLab("labs/nat-lb").lab;
// The balancer's mapping pinned, as a lab run at the file's addresses may pin it: the reports'
// failure paths for a source on the wrong backend.
const six = [10, 11, 12, 13, 14, 15].map((n) => `198.18.20.${n}`);
const natLbPinned: Lab = {
  ...natLb,
  expect: [
    ...natLb.expect!.slice(0, 6),
    { sourceSeen: { endpoint: "pub-b1", source: ["198.18.20.10", "198.18.20.11", "198.18.20.14"], only: true } },
    { sourceSeen: { endpoint: "pub-b2", source: ["198.18.20.12", "198.18.20.13", "198.18.20.15"], only: true } },
    natLb.expect![8]!,
    { balanced: { sources: six, to: "198.18.20.100", over: ["b1", "b2"], mapping: Object.fromEntries(six.map((s, i) => [s, [0, 1, 4].includes(i) ? "b1" : "b2"])) } },
  ],
};
const ecmp = loadLab("labs/ecmp").lab;
const policy = loadLab("labs/policy-routing").lab;

// source-ip as it goes when everything holds.
const quotes = (peers: string[]) => endpoint("quotes", "server", { socket: "pub", bind: ["tcp://198.18.2.10:5556"], sent: 1000, rate: 12000, peers: peers.map((p) => peer(p)) });
const sub = (name: string, src: string, received: number, fields = {}) =>
  endpoint(name, "client", { connect: [`tcp://${src}:0;198.18.2.10:5556`], handshakes: [`tcp://${src}:0;198.18.2.10:5556`], received, from: received ? { quotes: received } : {}, ...fields });
const wrongIp = endpoint("wrong-ip", "client", {
  connect: ["tcp://198.18.1.10:0;198.18.2.11:5556"],
  noHandshake: [noHandshake("198.18.1.10", "198.18.2.11:5556", "wrong-ip on client: no ZeroMQ handshake with 198.18.2.11:5556 from 198.18.1.10 within 2000 ms")],
});
const goodRun = observations([quotes(["198.18.1.10", "198.18.1.11"]), sub("via-r1", "198.18.1.10", 1000), sub("via-r2", "198.18.1.11", 1000), wrongIp], {
  r1: [flow("198.18.1.10", "198.18.2.10", 20), flow("198.18.2.10", "198.18.1.10", 18)],
  r2: [flow("198.18.1.11", "198.18.2.10", 19)],
});
// Policy routes swapped and one subscriber lossy: 3 of 6 fail (two paths, one delivery).
const brokenRun = observations(
  [quotes(["198.18.1.11", "198.18.1.10"]), sub("via-r1", "198.18.1.10", 1000), sub("via-r2", "198.18.1.11", 997, { gaps: 3, duplicates: 2, reordered: 1, errors: ["late subscription"] }), wrongIp],
  { r1: [flow("198.18.1.11", "198.18.2.10", 19)], r2: [flow("198.18.1.10", "198.18.2.10", 20)] },
);
brokenRun.traffic.durationMs = 1534;

// nat-lb: the balancer's hash sent .14 to b2 instead of b1.
const backend = (name: string, node: string, address: string, sources: string[]) =>
  endpoint(name, node, { socket: "pub", bind: [`tcp://${address}:5556`], sent: 500, peers: sources.map((s) => peer(s, `${address}:5556`)) });
const client = (n: number) =>
  endpoint(`c${n}`, "client", {
    connect: [`tcp://198.18.20.${n}:0;198.18.20.100:5556`],
    handshakes: [`tcp://198.18.20.${n}:0;198.18.20.100:5556`],
    received: 500,
    from: { [n % 2 ? "pub-b1" : "pub-b2"]: 500 },
  });
const natRun = observations(
  [
    backend("pub-b1", "b1", "198.18.21.10", ["198.18.20.10", "198.18.20.11"]),
    backend("pub-b2", "b2", "198.18.21.11", ["198.18.20.12", "198.18.20.13", "198.18.20.14", "198.18.20.15"]),
    ...[10, 11, 12, 13, 14, 15].map(client),
  ],
  { lb: [10, 11, 14].map((n) => flow(`198.18.20.${n}`, n === 14 ? "198.18.21.11" : "198.18.21.10", 12)).concat([12, 13, 15].map((n) => flow(`198.18.20.${n}`, "198.18.21.11", 12))) },
  { lb: ["198.18.20.2", "198.18.20.100", "198.18.21.2"] },
);

t.test("reports for source-ip when everything holds", async (t) => all(t, "source-ip-good", sourceIp, goodRun));
t.test("reports for source-ip with swapped routes and a lossy subscriber", async (t) => all(t, "source-ip-broken", sourceIp, brokenRun));
t.test("reports for nat-lb with one source on the wrong backend", async (t) => all(t, "nat-lb", natLbPinned, natRun));
t.test("reports for a lab with no expectations", async (t) => all(t, "no-expectations", { ...sourceIp, expect: undefined }, goodRun));

t.test("up --dry-run text and Mermaid for every shipped lab", async (t) => {
  for (const [name, lab] of Object.entries({ "source-ip": sourceIp, "nat-lb": natLb, ecmp, "policy-routing": policy })) {
    golden(t, `plans/${name}.dry-run.txt`, planText(planLab(lab), dockerNames(planLab(lab))) + "\n");
    golden(t, `plans/${name}.mmd`, topologyMermaid(lab) + "\n");
  }
  golden(
    t,
    "plans/source-ip.paths.mmd",
    topologyMermaid(sourceIp, [
      { from: "198.18.1.10", to: "198.18.2.10", via: ["r1"] },
      { from: "198.18.1.11", to: "198.18.2.10", via: ["r2"] },
    ]) + "\n",
  );
});

t.test("up's interface table", async (t) => {
  const text = interfacesText([
    {
      name: "client",
      interfaces: [
        { name: "lo", altnames: [], addresses: ["127.0.0.1/8"], mac: "02:42:c6:12:01:0a" },
        { name: "eth0", altnames: ["clients"], addresses: ["198.18.1.10/24", "198.18.1.11/24"], mac: "02:42:c6:12:01:0a" },
        { name: "eth1", altnames: [], addresses: [], mac: "02:42:c6:12:01:0a" },
      ],
    },
    { name: "server", interfaces: [{ name: "eth0", altnames: ["servers", "x"], addresses: ["198.18.2.10/24"], mac: "02:42:c6:12:01:0a" }] },
  ]);
  golden(t, "reports/interfaces.txt", text + "\n");
});

// source-ip through a fault timeline: r1 down at 2 s (t0 + 2000), back at 5 s. via-r1 goes silent
// for 2.6 s and recovers; 40 messages lost; a new handshake after r1-back. Phased expectations
// that hold and fail, and one naming a fault that never ran.
const T0 = 0; // times are ms since the traffic's time 0
const DOWN = T0 + 2000;
const BACK = T0 + 5000;
const tick = (ms: number, received: number, gaps = 0): TimelineSample => ({
  ms: T0 + ms,
  received,
  gaps,
  duplicates: 0,
  from: received ? { quotes: received } : ({} as Record<string, number>),
  ...(received ? { highest: { quotes: received + gaps - 1 } } : {}),
});
const samples = [tick(0, 0), tick(100, 60), tick(1000, 500), tick(1900, 950), tick(2000, 980), tick(4700, 990, 40), tick(5200, 1200, 40), tick(7000, 1950, 40), tick(7600, 1960, 40)];
const viaR1Timeline = {
  tickMs: 100,
  silenceMs: 100,
  samples,
  counts: countsPerInterval(samples, 100),
  silences: [
    { start: T0 + 2020, end: T0 + 4620 },
    { start: T0 + 7010, end: null },
  ],
  firstMessage: T0 + 50,
  lastMessage: T0 + 7010,
  handshakes: [
    { ms: T0 + 20, address: "tcp://198.18.1.10:0;198.18.2.10:5556", connect: "tcp://198.18.1.10:0;198.18.2.10:5556" },
    { ms: BACK + 300, address: "tcp://198.18.1.10:0;198.18.2.10:5556", connect: "tcp://198.18.1.10:0;198.18.2.10:5556" },
  ],
  disconnects: [{ ms: DOWN + 900, address: "tcp://198.18.1.10:0;198.18.2.10:5556" }],
  peers: [],
};
const faultRun: Observations = {
  ...observations(
    [
      {
        ...quotes(["198.18.1.10", "198.18.1.11"]),
        sent: 2000,
        timeline: { tickMs: 100, silenceMs: 100, samples: [], counts: { start: T0, values: [] }, silences: [], sendingEnded: T0 + 7000, handshakes: [], disconnects: [], peers: [] },
      },
      sub("via-r1", "198.18.1.10", 1960, { gaps: 40, timeline: viaR1Timeline }),
    ],
    { r1: [flow("198.18.1.10", "198.18.2.10", 30), flow("198.18.2.10", "198.18.1.10", 900)], r2: [flow("198.18.2.10", "198.18.1.10", 300)] },
  ),
  faults: { "r1-down": DOWN, "r1-back": BACK },
  snapshots: {
    "r1-down": { ms: DOWN, flows: { r1: [flow("198.18.1.10", "198.18.2.10", 20), flow("198.18.2.10", "198.18.1.10", 600)], r2: [] } },
    "r1-back": { ms: BACK, flows: { r1: [flow("198.18.1.10", "198.18.2.10", 22), flow("198.18.2.10", "198.18.1.10", 610)], r2: [flow("198.18.2.10", "198.18.1.10", 290)] } },
  },
};
const faultLab: Lab = {
  ...sourceIp,
  expect: [
    { path: { from: "198.18.2.10", to: "198.18.1.10", via: "r1", not: "r2", before: "r1-down" } },
    { path: { from: "198.18.2.10", to: "198.18.1.10", via: "r2", between: ["r1-down", "r1-back"] } },
    { delivered: { endpoint: "via-r1", atLeast: 900, after: "r1-back", allowGaps: true } },
    { recovered: { endpoint: "via-r1", after: "r1-down", within: "3s" } },
    { recovered: { endpoint: "via-r1", after: "r1-down", within: 2000 } },
    { lost: { endpoint: "via-r1", atMost: 0 } },
    { lost: { endpoint: "via-r1", atMost: 0, before: "r1-down" } },
    { reconnected: { endpoint: "via-r1", after: "r1-back" } },
    { delivered: { endpoint: "via-r1", atLeast: 1, after: "r3-down" } },
  ],
};
t.test("reports for a run with faults: phases, timeline, outage", async (t) => {
  all(t, "faults", faultLab, faultRun);
  const report = judge(faultLab, faultRun);
  const ajv = new Ajv({ allErrors: true });
  t.ok(ajv.validate(reportSchema(), JSON.parse(jsonReport(report))), `the report validates against its schema: ${JSON.stringify(ajv.errors)}`);
  t.same(
    report.phases?.map((p) => [p.from, p.to, p.received["via-r1"]]),
    [
      ["start", "r1-down", 980],
      ["r1-down", "r1-back", 10],
      ["r1-back", "end", 970],
    ],
    "each phase's messages",
  );
});
