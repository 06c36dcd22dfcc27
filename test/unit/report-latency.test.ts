// The HTML page's latency chart: p50 and p99 per tick on a log scale, faults marked, under each
// receiver's rate chart when it measured latency.
import t from "tap";
import { latencyChart, timelineHtml } from "../../controller/report/html.js";
import type { LabReport } from "../../controller/run/index.js";
import type { LatencyPoint, Timeline } from "../../controller/traffic/types.js";
import { endpoint } from "./expect-cases.js";

const point = (ms: number, p50: number, p99: number): LatencyPoint => ({ ms, count: 10, p50, p99, max: p99 });
const polyline = (svg: string, cls: string) => [...svg.matchAll(new RegExp(`<polyline points="([^"]*)" class="${cls}"/>`, "g"))].map((m) => m[1]!.split(" ").map((xy) => xy.split(",").map(Number)));

t.test("p50 and p99 as lines, decades from the lowest p50 to the highest p99", async (t) => {
  const svg = latencyChart([point(0, 0.2, 0.5), point(500, 20, 300), point(1000, 0.3, 0.9)], 0, 1000, [{ name: "slow", ms: 400 }]);
  t.match(svg, /<text x="40" y="18" text-anchor="end" class="small">1s<\/text><text x="40" y="100" text-anchor="end" class="small">0.1ms<\/text>/, "0.1 ms to 1 s: the decades around the values");
  // y = 14 + (1 - log10(v / 0.1) / 4) * 86: four decades over 86 px.
  t.same(
    polyline(svg, "p50"),
    [
      [
        [44, 93.5],
        [338, 50.5],
        [632, 89.7],
      ],
    ],
    "p50 on a log scale",
  );
  t.same(
    polyline(svg, "p99"),
    [
      [
        [44, 85],
        [338, 25.2],
        [632, 79.5],
      ],
    ],
    "p99 above it",
  );
  t.match(svg, /<line x1="279.2" y1="10" x2="279.2" y2="100" class="fault"\/><text x="282.2" y="20" class="small">slow<\/text>/, "the fault on the time axis");
  t.match(svg, /<tspan class="p50">p50<\/tspan> <tspan class="p99">p99<\/tspan>/, "a legend");
  t.match(svg, /<text x="44" y="116" text-anchor="middle" class="small">0s<\/text>\n<text x="632" y="116" text-anchor="middle" class="small">1s<\/text>/, "seconds on the axis");
  t.notMatch(svg, /<script/);
});

t.test("the scale: one decade at least, a floor for zeros, seconds and ms labels", async (t) => {
  const flat = latencyChart([point(0, 2, 2)], 0, 1000, []);
  t.match(flat, /class="small">10ms<\/text><text x="40" y="100" text-anchor="end" class="small">1ms<\/text>/, "one value: the decade around it");
  t.same(polyline(flat, "p50"), [[[44, 74.1]]]);
  const zero = latencyChart([point(0, 0, 0)], 0, 1000, []);
  t.match(zero, /class="small">0.01ms<\/text><text x="40" y="100" text-anchor="end" class="small">0.001ms<\/text>/, "0 ms: the lowest decade, 1 µs");
  t.same(polyline(zero, "p99"), [[[44, 100]]], "drawn at the floor");
  const slow = latencyChart([point(0, 1500, 2500)], 0, 1000, []);
  t.match(slow, /class="small">10s<\/text><text x="40" y="100" text-anchor="end" class="small">1s<\/text>/, "seconds");
});

const T = (fields: Partial<Timeline>): Timeline => ({
  tickMs: 100,
  silenceMs: 100,
  samples: [],
  counts: { start: 0, values: [1, 1] },
  silences: [],
  handshakes: [],
  disconnects: [],
  peers: [],
  ...fields,
});
const report = (endpoints: LabReport["endpoints"]): LabReport => ({
  lab: "x",
  started: "2026-01-01T00:00:00.000Z",
  durationMs: 1,
  clock: { t0: "2026-01-01T00:00:00.000Z", epochMs: 1767225600000 },
  endpoints,
  ok: true,
  expectations: [],
  flows: {},
});

t.test("the timeline section: a latency chart under the rate chart of a receiver that measured it", async (t) => {
  const latency = { count: 20, p50: 0.2, p99: 1.25, max: 3, from: {} };
  const html = timelineHtml(report([endpoint("r", "c", { received: 20, latency, timeline: T({ latency: [point(100, 0.2, 1), point(200, 0.3, 1.5)] }) })]));
  t.match(html, /<div class="small">one-way latency, ms \(p50\/p99\/max over the run: 0.2\/1.25\/3\)<\/div>\n<svg[^>]*class="chart">/);
  t.equal(html.match(/class="chart"/g)?.length, 2, "the rate chart and the latency chart");
  t.match(html, /svg polyline\.p50 \{ stroke: #2e7d32; \}/, "its styles");
  const untimed = timelineHtml(report([endpoint("r", "c", { received: 20, timeline: T({}) })]));
  t.notMatch(untimed, /one-way latency/, "no latency measured: the rate chart alone");
  t.equal(untimed.match(/class="chart"/g)?.length, 1);
});
