// One-way latency from send time to arrival: the agent's per-sender histograms per tick, and the
// controller's merging of them over the whole run, a phase, one tick.
import t from "tap";
import { Latencies } from "../../agent/latency.js";
import { decodeLatency, encodeLatency, latencyHistogram } from "../../shared/latency.js";
import { figures, latencyOf, latencyPoints } from "../../controller/traffic/latency.js";
import { mergeLives, timelineOf } from "../../controller/traffic/timeline.js";
import type { TimelineSample } from "../../controller/traffic/types.js";
import type { AgentEvent } from "../../shared/protocol.js";

/** A histogram of these latencies (ms), encoded as an agent sends it. */
export function encoded(...ms: number[]): string {
  const h = latencyHistogram();
  for (const x of ms) h.recordValue(Math.round(x * 1000));
  return encodeLatency(h);
}

const sample = (ms: number, latency?: Record<string, string>): TimelineSample => ({ ms, received: 0, gaps: 0, duplicates: 0, from: {}, ...(latency ? { latency } : {}) });

t.test("the agent: per sender, the messages since the last take, in µs", async (t) => {
  const l = new Latencies();
  t.equal(l.take(), undefined, "nothing arrived: nothing to send");
  l.record("a", 1000, 1001.5);
  l.record("a", 1000, 1002);
  l.record("b", 2000, 2000.25);
  const first = l.take()!;
  t.same(Object.keys(first), ["a", "b"]);
  const a = decodeLatency(first.a!);
  t.equal(a.totalCount, 2);
  t.equal(a.minNonZeroValue, 1500, "1.5 ms is 1500 µs");
  t.equal(a.maxValue, 2000);
  t.equal(decodeLatency(first.b!).maxValue, 250);
  t.equal(l.take(), undefined, "taken: started afresh");
  l.record("b", 10, 9.9);
  const second = l.take()!;
  t.same(Object.keys(second), ["b"], "only the senders heard since");
  const b = decodeLatency(second.b!);
  t.same([b.totalCount, b.maxValue], [1, 0], "a message that seems to arrive before it left counts as 0");
});

t.test("figures: count, p50, p99, max in ms to the µs", async (t) => {
  const h = latencyHistogram();
  for (let i = 1; i <= 100; i++) h.recordValue(i * 10);
  t.same(figures(h), { count: 100, p50: 0.5, p99: 0.99, max: 1 });
  const large = latencyHistogram();
  large.recordValue(50_000);
  t.same(figures(large), { count: 1, p50: 50, p99: 50, max: 50 }, "a percentile (the top of its value's bucket) is never above the max");
  large.recordValue(60_000);
  t.same(figures(large), { count: 2, p50: 50.015, p99: 60, max: 60 }, "above 2 ms, to within 0.1%: the top of the value's bucket");
  const small = latencyHistogram();
  small.recordValue(123);
  t.same(figures(small), { count: 1, p50: 0.123, p99: 0.123, max: 0.123 });
});

t.test("latencyOf merges every sample's histograms, all senders and per sender", async (t) => {
  const samples = [sample(0), sample(100, { b: encoded(0.4), a: encoded(0.1, 0.2) }), sample(200), sample(300, { a: encoded(0.3) })];
  t.same(latencyOf(samples), {
    count: 4,
    p50: 0.2,
    p99: 0.4,
    max: 0.4,
    from: { a: { count: 3, p50: 0.2, p99: 0.3, max: 0.3 }, b: { count: 1, p50: 0.4, p99: 0.4, max: 0.4 } },
  });
  t.same(Object.keys(latencyOf(samples)!.from), ["a", "b"], "senders in name order");
  t.equal(latencyOf([sample(0), sample(100)]), undefined, "no sample with a histogram: none");
  t.equal(latencyOf([sample(0, {})]), undefined, "an empty record: none");
  t.equal(latencyOf([sample(0, { a: encodeLatency(latencyHistogram()) })]), undefined, "empty histograms: none");
  t.same(latencyOf(samples), latencyOf(samples), "read twice (decoded once): the same");
});

t.test("latencyPoints: one point per sample with messages, all senders", async (t) => {
  const samples = [sample(0), sample(100, { a: encoded(1), b: encoded(1.5) }), sample(200, { a: encodeLatency(latencyHistogram()) }), sample(300, { a: encoded(2) })];
  t.same(latencyPoints(samples), [
    { ms: 100, count: 2, p50: 1, p99: 1.5, max: 1.5 },
    { ms: 300, count: 1, p50: 2, p99: 2, max: 2 },
  ]);
  t.same(latencyPoints([]), []);
});

t.test("timelineOf keeps each tick's histograms on its sample and charts them; mergeLives keeps both lives'", async (t) => {
  const t0 = 1_000_000;
  const tick = (wall: number, received: number, latency?: Record<string, string>): AgentEvent => ({
    type: "tick",
    endpoint: "s",
    wall,
    sent: 0,
    received,
    gaps: 0,
    duplicates: 0,
    reordered: 0,
    from: { a: received },
    highest: {},
    ...(latency ? { latency } : {}),
  });
  const events = [tick(t0, 0), tick(t0 + 100, 2, { a: encoded(1, 1) }), tick(t0 + 200, 3, {}), tick(t0 + 300, 4, { a: encoded(1.5) })];
  const timeline = timelineOf(events, "s", t0)!;
  t.same(
    timeline.samples.map((s) => s.latency),
    [undefined, { a: encoded(1, 1) }, undefined, { a: encoded(1.5) }],
    "an empty record is left out",
  );
  t.same(timeline.latency, [
    { ms: 100, count: 2, p50: 1, p99: 1, max: 1 },
    { ms: 300, count: 1, p50: 1.5, p99: 1.5, max: 1.5 },
  ]);
  const quiet = timelineOf([tick(t0, 0), tick(t0 + 100, 1)], "s", t0)!;
  t.notOk("latency" in quiet, "no histograms: no latency chart");
  const later = timelineOf([tick(t0 + 1000, 0), tick(t0 + 1100, 1, { a: encoded(0.7) })], "s", t0)!;
  t.same(
    mergeLives([timeline, later])!.latency!.map((p) => p.ms),
    [100, 300, 1100],
  );
  t.same(mergeLives([timeline, later])!.samples.at(-1)!.latency, { a: encoded(0.7) });
  t.same(
    mergeLives([quiet, later])!.latency!.map((p) => p.ms),
    [1100],
    "a life without latency and one with",
  );
  t.notOk("latency" in mergeLives([quiet, quiet])!, "neither: none");
});
