// The HTML page read by someone new to it: fault labels close in time on rows of their own, flow
// lines at right angles along the network bars, a flow without a router said plainly, a node the
// lab's own fault stopped shown as planned (not as an alert), programs without counts.
import t from "tap";
import { loadLab } from "../../controller/lab/load.js";
import { crossing, hop, htmlReport, labelRows, rateChart, topologySvg, type Box } from "../../controller/report/html.js";
import type { LabReport } from "../../controller/run/index.js";
import type { EndpointReport, Timeline } from "../../controller/traffic/types.js";

const { lab } = loadLab("labs/source-ip");
const endpoint = (over: Partial<EndpointReport>): EndpointReport => ({
  name: "e",
  node: "client",
  socket: "sub",
  sent: 0,
  received: 0,
  from: {},
  gaps: 0,
  duplicates: 0,
  reordered: 0,
  bind: [],
  connect: [],
  peers: [],
  handshakes: [],
  noHandshake: [],
  errors: [],
  ...over,
});
const base: LabReport = {
  lab: "source-ip",
  started: "2026-11-28T10:00:00.000Z",
  durationMs: 1500,
  clock: { t0: "2026-01-01T00:00:00.000Z", epochMs: 1767225600000 },
  ok: true,
  endpoints: [],
  flows: {},
  expectations: [],
};
const text = (html: string) => html.replace(/<style>[\s\S]*?<\/style>/g, "").replace(/<svg[\s\S]*?<\/svg>/g, "");

t.test("fault labels: a row each when they would meet, the top row when there is room", async (t) => {
  t.same(
    labelRows([
      { x: 10, width: 40 },
      { x: 30, width: 40 },
    ]),
    [0, 1],
    "overlapping: the second one row down",
  );
  t.same(
    labelRows([
      { x: 10, width: 40 },
      { x: 100, width: 40 },
    ]),
    [0, 0],
    "far apart: both on top",
  );
  t.same(
    labelRows([
      { x: 10, width: 40 },
      { x: 30, width: 40 },
      { x: 60, width: 10 },
    ]),
    [0, 1, 0],
    "a third one clear of the first goes back to the top",
  );
  t.same(
    labelRows([
      { x: 10, width: 40 },
      { x: 20, width: 40 },
      { x: 30, width: 40 },
    ]),
    [0, 1, 2],
    "three crowded: three rows",
  );
  t.same(
    labelRows([
      { x: 30, width: 40 },
      { x: 10, width: 40 },
    ]),
    [1, 0],
    "placed from left to right, whatever the order given",
  );
  t.same(
    labelRows([
      { x: 0, width: 10 },
      { x: 14, width: 10 },
    ]),
    [0, 0],
    "4 px of room is enough",
  );
  t.same(
    labelRows([
      { x: 0, width: 10 },
      { x: 13, width: 10 },
    ]),
    [0, 1],
    "3 px is not",
  );
  t.same(labelRows([]), []);

  const T0 = 1_000_000;
  const timeline: Timeline = { tickMs: 100, silenceMs: 100, samples: [], counts: { start: T0, values: [5, 5] }, silences: [], handshakes: [], disconnects: [], peers: [] };
  const labelsY = (faults: { name: string; ms: number }[]) =>
    [...rateChart(timeline, T0, T0 + 20_000, faults).matchAll(/<text x="[\d.]+" y="([\d.]+)" class="small">(c-down|c-up|other)<\/text>/g)].map((m) => [m[2], Number(m[1])]);
  t.same(
    labelsY([
      { name: "c-down", ms: T0 + 2000 },
      { name: "c-up", ms: T0 + 3000 },
    ]),
    [
      ["c-down", 20],
      ["c-up", 31],
    ],
    "1 s apart on a 20 s axis: the second label one row lower",
  );
  t.same(
    labelsY([
      { name: "c-down", ms: T0 + 2000 },
      { name: "other", ms: T0 + 12000 },
    ]),
    [
      ["c-down", 20],
      ["other", 20],
    ],
    "10 s apart: one row",
  );
});

t.test("flows run at right angles along the bars", async (t) => {
  const box = (name: string, x: number, y: number): Box => ({ name, x, y, w: 100, h: 40, forward: false, lines: [] });
  const bars: Record<string, number[]> = { a: [200], b: [200, 500], c: [500], d: [800] };
  const barsOf = (b: Box) => bars[b.name]!;
  t.same(
    hop(box("a", 100, 80), box("b", 350, 200), barsOf, 0),
    [
      [150, 100],
      [200, 100],
      [200, 220],
      [300, 220],
    ],
    "out of a sideways to the bar they share, down it, into b",
  );
  t.same(
    hop(box("b", 350, 200), box("c", 600, 80), barsOf, 5),
    [
      [400, 225],
      [505, 225],
      [505, 105],
      [550, 105],
    ],
    "the shared bar on the right; the lane moved by the offset",
  );
  t.same(
    hop(box("a", 100, 80), box("d", 900, 80), barsOf, -3),
    [
      [150, 97],
      [197, 97],
      [197, 97],
      [850, 97],
    ],
    "no shared bar: from a's own bar straight across",
  );
  t.same(
    hop(box("b", 350, 80), box("d", 900, 200), barsOf, 0),
    [
      [400, 100],
      [500, 100],
      [500, 220],
      [850, 220],
    ],
    "no shared bar: of b's bars the one nearest d",
  );

  // On a real lab: every segment of every flow horizontal or vertical.
  const svg = topologySvg(lab, [
    { from: "198.18.1.10", to: "198.18.2.10", via: ["r1"], packets: 5 },
    { from: "198.18.1.11", to: "198.18.2.10", via: ["r2"], packets: 5 },
    { from: "198.18.1.11", to: "198.18.2.11", via: [], packets: 0, failed: true },
  ]);
  const lines = [...svg.matchAll(/<polyline points="([^"]+)"/g)].map((m) => m[1]!.split(" ").map((p) => p.split(",").map(Number) as [number, number]));
  t.equal(lines.length, 3, "three flows drawn");
  const diagonal = lines.flatMap((points) => points.slice(1).filter(([x, y], k) => x !== points[k]![0] && y !== points[k]![1]));
  t.same(diagonal, [], "no diagonal segment");
  t.ok(
    lines.flat(2).every((n) => Math.round(n * 10) === n * 10),
    "points rounded to a tenth",
  );
});

t.test("the flows table: a router's path, direct on one network, or counters that showed nothing", async (t) => {
  t.same(crossing(lab, { from: "198.18.1.10", to: "198.18.2.10", via: ["r1"], packets: 30 }), { crossed: "r1", packets: "30" });
  t.same(crossing(lab, { from: "198.18.1.10", to: "198.18.2.10", via: ["r1", "r2"], packets: 3 }), { crossed: "r1 → r2", packets: "3" });
  t.same(crossing(lab, { from: "198.18.1.10", to: "198.18.1.2", via: [], packets: 0 }), { crossed: "direct (no router on the way)", packets: "-" }, "client and r1 share the clients network");
  t.same(
    crossing(lab, { from: "198.18.1.10", to: "198.18.2.10", via: [], packets: 0 }),
    { crossed: "no router's counters showed it", packets: "0" },
    "across networks no router counted it: not direct",
  );
  t.same(crossing(lab, { from: "198.18.1.10", to: "198.18.2.10", via: [], packets: 0, failed: true }), { crossed: "no handshake", packets: "-" });
  const page = text(
    htmlReport(lab, {
      ...base,
      endpoints: [endpoint({ name: "r", node: "r1", socket: "pub", bind: ["tcp://198.18.1.2:5556"], peers: [{ local: "198.18.1.2:5556", address: "198.18.1.10", port: 4 }] })],
    }),
  );
  t.match(page, "<td>198.18.1.10</td><td>198.18.1.2</td><td>direct (no router on the way)</td><td>-</td></tr>", "in the page");
  t.notMatch(page, "direct</td><td>0</td>", 'no "direct, 0 packets forwarded"');
});

t.test("a node the lab's own fault stopped is planned; any other stays an alert", async (t) => {
  const report: LabReport = {
    ...base,
    interrupted: [
      {
        node: "client",
        container: "zmqlab-source-ip-client",
        state: "stopped",
        message: "node client (container zmqlab-source-ip-client) was stopped during the traffic phase (by the lab's faults: c-down)",
        faults: ["c-down"],
      },
      { node: "r1", container: "c1", state: "restarted", message: "r1 was restarted", faults: ["r1-off", "r1-on"] },
      { node: "r2", container: "c2", state: "paused", message: "r2 <was paused>" },
      { node: "server", container: "c3", state: "gone", message: "server was removed", faults: ["s-stop"] },
    ],
    flowsUnavailable: { r1: "its counters started over", r2: "paused", x: "no answer", server: "removed" },
  };
  const page = text(htmlReport(lab, report));
  t.match(
    page,
    '<li class="planned" title="node client (container zmqlab-source-ip-client) was stopped during the traffic phase (by the lab&#39;s faults: c-down)">client stopped by fault c-down, as the lab plans</li>',
    "planned: neutral, by which fault",
  );
  t.match(page, '<li class="planned" title="r1 was restarted">r1 restarted by faults r1-off, r1-on, as the lab plans</li>', "several faults");
  t.match(page, '<li class="why">paused: r2 &lt;was paused&gt;</li>', "not the lab's doing: red");
  t.match(page, '<li class="why">gone: server was removed</li>', "removed: no fault removes a node, so an alert");
  t.match(page, '<li class="planned">counters of r1 unavailable: its counters started over</li>', "the counters of a node a fault restarted: planned too");
  t.match(page, '<li class="why">counters of x unavailable: no answer</li>', "a node that did not go away");
  t.match(page, '<li class="why">counters of server unavailable: removed</li>', "a node removed: red, whatever its faults");
  t.match(page, '<li class="why">counters of r2 unavailable: paused</li>');
  t.notMatch(page, /class="why">stopped: /, "no red line for the planned stop");
});

t.test("programs show - for sent and received, as the terminal does", async (t) => {
  const page = text(
    htmlReport(lab, {
      ...base,
      endpoints: [
        endpoint({ name: "app", socket: "program", sent: 0, received: 0, program: { command: ["true"], exitCode: 0, stopped: false, killed: false, durationMs: 100, lastLines: [] } }),
        endpoint({ name: "agent", sent: 4, received: 2 }),
      ],
    }),
  );
  t.match(page, "<tr><td>app</td><td>client</td><td>program</td><td>-</td><td>-</td>", "a program: no counts");
  t.match(page, "<tr><td>agent</td><td>client</td><td>sub</td><td>4</td><td>2</td>", "an agent: its counts");
});
