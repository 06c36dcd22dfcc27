// The HTML page's timeline: fault marks, the per-phase table, each receiver's rate chart.
import t from "tap";
import { faultMarks, rateChart, timelineHtml } from "../../controller/report/html.js";
import type { LabReport } from "../../controller/run/index.js";
import type { Timeline } from "../../controller/traffic/types.js";
import { endpoint } from "./expect-cases.js";

const T0 = 0; // times are ms since the traffic's time 0
const timeline = (fields: Partial<Timeline> = {}): Timeline => ({
  tickMs: 100,
  silenceMs: 100,
  samples: [],
  counts: { start: T0, values: [] },
  silences: [],
  handshakes: [],
  disconnects: [],
  peers: [],
  ...fields,
});
const report = (fields: Partial<LabReport>): LabReport => ({
  lab: "x",
  started: "2026-01-01T00:00:00.000Z",
  durationMs: 1,
  clock: { t0: "2026-01-01T00:00:00.000Z", epochMs: 1767225600000 },
  endpoints: [],
  ok: true,
  expectations: [],
  flows: {},
  ...fields,
});

t.test("fault marks come from the phases that open at a fault", async (t) => {
  const r = report({
    phases: [
      { from: "start", to: "a", end: T0 + 10, received: {}, flows: {} },
      { from: "a", to: "end", start: T0 + 10, received: {}, flows: {} },
    ],
  });
  t.same(faultMarks(r), [{ name: "a", ms: T0 + 10 }]);
  t.same(faultMarks(report({})), [], "no phases: no marks");
});

t.test("the rate chart: bars per interval scaled to the peak, silences shaded, faults marked, seconds on the axis", async (t) => {
  const svg = rateChart(
    timeline({
      counts: { start: T0, values: [10, 0, 5] },
      silences: [
        { start: T0 + 100, end: T0 + 200 },
        { start: T0 + 250, end: null },
      ],
    }),
    T0,
    T0 + 1000,
    [{ name: "cut", ms: T0 + 500 }],
  );
  t.match(svg, /<text x="40" y="18" text-anchor="end" class="small">100\/s<\/text>/, "the peak: 10 messages in 100 ms = 100/s");
  const bars = [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" class="bar"\/>/g)].map((m) => m.slice(1).map(Number));
  t.same(
    bars,
    [
      [44, 14, 58.8, 86],
      [161.6, 57, 58.8, 43],
    ],
    "two bars (an empty interval draws none): the peak full height, half the rate half as high",
  );
  t.match(svg, /<rect x="102.8" y="14" width="58.8" height="86" class="silence"><title>silence 100 ms<\/title><\/rect>/);
  t.match(svg, /<rect x="191" y="14" width="441" height="86" class="silence"><title>silence 750 ms \(until stop\)<\/title><\/rect>/, "an open silence runs to the axis' end");
  t.match(svg, /<line x1="338" y1="10" x2="338" y2="100" class="fault"\/><text x="341" y="20" class="small">cut<\/text>/);
  t.match(svg, /<text x="44" y="116" text-anchor="middle" class="small">0s<\/text>\n<text x="632" y="116" text-anchor="middle" class="small">1s<\/text>/, "a label per second");
  t.notMatch(svg, /<script/);
  const quiet = rateChart(timeline(), T0, T0, []);
  t.match(quiet, /1\/s<\/text>/, "nothing received: the scale does not divide by zero");
});

t.test("the axis labels every second up to ten, then every n-th", async (t) => {
  const labels = (ms: number) => [...rateChart(timeline(), T0, T0 + ms, []).matchAll(/class="small">(\d+)s</g)].map((m) => Number(m[1]));
  t.same(labels(10_000), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  t.same(labels(25_000), [0, 3, 6, 9, 12, 15, 18, 21, 24]);
});

t.test("the timeline section", async (t) => {
  t.equal(timelineHtml(report({ endpoints: [endpoint("s", "c")] })), "", "no timeline, no phases: nothing, so pages without faults stay as they were");
  t.equal(timelineHtml(report({ endpoints: [endpoint("p", "s", { socket: "pub", timeline: timeline({ counts: { start: T0, values: [1] } }) })] })), "", "a publisher's timeline charts nothing");
  const html = timelineHtml(
    report({
      endpoints: [
        endpoint("s", "c", {
          received: 7,
          timeline: timeline({
            counts: { start: T0, values: [3, 4] },
            silences: [
              { start: T0 + 20, end: T0 + 150 },
              { start: T0 + 160, end: T0 + 170 },
            ],
            samples: [{ ms: T0 + 300, received: 7, gaps: 0, duplicates: 0, from: {} }],
          }),
        }),
      ],
      phases: [
        {
          from: "start",
          to: "cut",
          end: T0 + 100,
          received: { s: 3 },
          flows: {
            r1: [
              { from: "a", to: "b", packets: 2, bytes: 1 },
              { from: "a", to: "c", packets: 3, bytes: 1 },
            ],
          },
        },
        { from: "cut", to: "end", start: T0 + 100, received: { s: 4 }, flows: {} },
      ],
    }),
  );
  t.match(html, /<div>faults: cut \(0.1 s\)<\/div>/);
  t.match(html, /<tr><td>start → cut \(0.1 s\)<\/td><td>s: 3<\/td><td>r1: 5<\/td><\/tr>/, "packets summed per router");
  t.match(html, /<tr><td>cut \(0.1 s\) → end<\/td><td>s: 4<\/td><td>-<\/td><\/tr>/);
  t.match(html, /<h3>s on c: 7 received, 2 silences over 100 ms \(longest 130 ms\)<\/h3>/);
  t.match(html, /<svg [^>]*class="chart">/);
});
