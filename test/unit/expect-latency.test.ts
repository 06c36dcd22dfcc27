// latency: bounds on p50, p99 and max of the one-way latency a receiver measured, on the whole run
// or a phase (the histograms of the samples inside it); each bound held when equal, failed one
// over; from one sender; nothing measured; a program; the lab file's checks.
import t from "tap";
import { evaluateOne } from "../../controller/expect/index.js";
import { boundMs, describeLatency, latency, latencyKind } from "../../controller/expect/kinds/latency.js";
import { endpointIn } from "../../controller/expect/phases.js";
import type { Observations } from "../../controller/expect/types.js";
import type { ExpectationSpec, Lab } from "../../controller/lab/types.js";
import { validateLab } from "../../controller/lab/validate.js";
import type { EndpointReport, Latency, Timeline, TimelineSample } from "../../controller/traffic/types.js";
import { encodeLatency, latencyHistogram } from "../../shared/latency.js";
import { endpoint, observations } from "./expect-cases.js";

/** A histogram of these latencies (ms; below 2 ms they are exact), encoded as an agent sends it. */
function encoded(...ms: number[]): string {
  const h = latencyHistogram();
  for (const x of ms) h.recordValue(Math.round(x * 1000));
  return encodeLatency(h);
}

// Latency of reader: a 1.0, 1.2, 1.4 (p50 1.2, p99 = max 1.4); b 0.5.
const measured: Latency = {
  count: 4,
  p50: 1,
  p99: 1.4,
  max: 1.4,
  from: { a: { count: 3, p50: 1.2, p99: 1.4, max: 1.4 }, b: { count: 1, p50: 0.5, p99: 0.5, max: 0.5 } },
};
const reader = (fields: Partial<EndpointReport> = {}) => endpoint("reader", "client", { received: 4, from: { a: 3, b: 1 }, latency: measured, ...fields });
const judged = (body: Parameters<typeof latency>[0], o: Observations = observations([reader()])) => latency(body, o);

t.test("boundMs: ms as a number, or a number with us, µs, ms or s", async (t) => {
  t.equal(boundMs(5), 5);
  t.equal(boundMs(0.25), 0.25);
  t.equal(boundMs(0), 0);
  t.equal(boundMs(-1), undefined);
  t.equal(boundMs(Number.NaN), undefined);
  t.equal(boundMs(Number.POSITIVE_INFINITY), undefined);
  t.equal(boundMs("500us"), 0.5);
  t.equal(boundMs("250µs"), 0.25);
  t.equal(boundMs("5ms"), 5);
  t.equal(boundMs("1.5s"), 1500);
  t.equal(boundMs("7"), 7, "a bare number: ms");
  t.equal(boundMs(" 2 ms "), 2, "spaces around and between");
  for (const bad of ["", "ms", "5 min", "-5ms", ".5ms", "5ms later", "x5ms", "5m"]) t.equal(boundMs(bad), undefined, `"${bad}" is no latency`);
});

t.test("describeLatency: the bounds in order, from a sender when given", async (t) => {
  t.equal(describeLatency({ endpoint: "reader", max: "1s", p50: 1, p99: "2500us" }), "reader latency: p50 at most 1 ms, p99 at most 2.5 ms, max at most 1000 ms");
  t.equal(describeLatency({ endpoint: "reader", from: "a", p99: 0.1234 }), "reader latency from a: p99 at most 0.123 ms");
});

t.test("every bound holds when equal to the measurement", async (t) => {
  t.same(judged({ endpoint: "reader", p50: 1, p99: "1.4ms", max: "1400us" }), {
    kind: "latency",
    description: "reader latency: p50 at most 1 ms, p99 at most 1.4 ms, max at most 1.4 ms",
    expected: "p50 <= 1 ms, p99 <= 1.4 ms, max <= 1.4 ms",
    spec: { endpoint: "reader", p50: 1, p99: "1.4ms", max: "1400us" },
    ok: true,
    observed: "p50 1 ms, p99 1.4 ms, max 1.4 ms (4 messages)",
    message: "reader: p50 1 ms, p99 1.4 ms, max 1.4 ms (4 messages)",
    evidence: { count: 4, p50: 1, p99: 1.4, max: 1.4, bounds: { p50: 1, p99: 1.4, max: 1.4 } },
  });
});

t.test("each bound fails one over, naming the percentile and both numbers", async (t) => {
  const p50 = judged({ endpoint: "reader", p50: 0.999 });
  t.equal(p50.ok, false);
  t.equal(p50.message, "latency of reader over its bound: p50 1 ms > 0.999 ms (p50 1 ms, p99 1.4 ms, max 1.4 ms (4 messages))");
  const p99 = judged({ endpoint: "reader", p99: 1.399, p50: 1 });
  t.equal(p99.ok, false);
  t.equal(p99.message, "latency of reader over its bound: p99 1.4 ms > 1.399 ms (p50 1 ms, p99 1.4 ms, max 1.4 ms (4 messages))");
  const max = judged({ endpoint: "reader", max: "1399us", p99: 2 });
  t.equal(max.ok, false);
  t.equal(max.message, "latency of reader over its bound: max 1.4 ms > 1.399 ms (p50 1 ms, p99 1.4 ms, max 1.4 ms (4 messages))");
  t.same(max.evidence, { count: 4, p50: 1, p99: 1.4, max: 1.4, bounds: { p99: 2, max: 1.399 } });
  const all = judged({ endpoint: "reader", p50: 0.5, p99: 0.5, max: 0.5 });
  t.equal(all.message, "latency of reader over its bound: p50 1 ms > 0.5 ms, p99 1.4 ms > 0.5 ms, max 1.4 ms > 0.5 ms (p50 1 ms, p99 1.4 ms, max 1.4 ms (4 messages))");
});

t.test("from one sender: its own figures", async (t) => {
  const b = judged({ endpoint: "reader", from: "b", max: 0.5 });
  t.equal(b.ok, true);
  t.equal(b.description, "reader latency from b: max at most 0.5 ms");
  t.equal(b.observed, "p50 0.5 ms, p99 0.5 ms, max 0.5 ms (1 message)");
  t.equal(b.message, "reader from b: p50 0.5 ms, p99 0.5 ms, max 0.5 ms (1 message)");
  const a = judged({ endpoint: "reader", from: "a", p50: 1.1 });
  t.equal(a.ok, false);
  t.equal(a.message, "latency of reader from a over its bound: p50 1.2 ms > 1.1 ms (p50 1.2 ms, p99 1.4 ms, max 1.4 ms (3 messages))");
});

t.test("nothing measured: no endpoint, a program, no message, none from that sender", async (t) => {
  const none = { ok: false, observed: "no messages measured" };
  t.same(judged({ endpoint: "nobody", p99: 1 }), {
    kind: "latency",
    description: "nobody latency: p99 at most 1 ms",
    expected: "p99 <= 1 ms",
    spec: { endpoint: "nobody", p99: 1 },
    ok: false,
    observed: "no such endpoint in the report",
    message: "no endpoint nobody in the traffic report",
    evidence: {},
  });
  const program = judged({ endpoint: "app", p99: 1 }, observations([endpoint("app", "client", { socket: "program", received: 0 })]));
  t.same(
    [program.ok, program.observed, program.message, program.evidence],
    [false, "not measured: a program", "app is a program: zmqlab measures latency where its own agent receives (let an agent endpoint receive the stream)", {}],
  );
  const silent = judged({ endpoint: "reader", p99: 1 }, observations([reader({ latency: undefined, received: 0, from: {} })]));
  t.match(silent, none);
  t.equal(silent.message, "reader received no message with a send time, so there is no latency to judge (0 messages received)");
  t.same(silent.evidence, { received: 0 });
  const untimed = judged({ endpoint: "reader", p99: 1 }, observations([reader({ latency: undefined, received: 1, from: { prog: 1 } })]));
  t.equal(untimed.message, "reader received no message with a send time, so there is no latency to judge (1 message received)");
  const other = judged({ endpoint: "reader", from: "c", p99: 1 });
  t.match(other, none);
  t.equal(other.message, "reader received no message from c with a send time; it measured messages from a, b, so there is no latency to judge (4 messages received)");
  const nobodyHeard = judged({ endpoint: "reader", from: "c", p99: 1 }, observations([reader({ latency: undefined })]));
  t.equal(nobodyHeard.message, "reader received no message from c with a send time, so there is no latency to judge (4 messages received)");
});

// A receiver whose samples hold: before `slow` (at 1000) fast messages, between `slow` and
// `fast` (at 2000) slow ones, after `fast` fast ones again. A sample at exactly a fault's time
// closes the phase before it (its messages arrived up to then).
const t0Samples: TimelineSample[] = [
  { ms: 0, received: 0, gaps: 0, duplicates: 0, from: {} },
  { ms: 500, received: 2, gaps: 0, duplicates: 0, from: { a: 2 }, latency: { a: encoded(0.1, 0.2) } },
  { ms: 1000, received: 3, gaps: 0, duplicates: 0, from: { a: 3 }, latency: { a: encoded(0.3) } },
  { ms: 1500, received: 4, gaps: 0, duplicates: 0, from: { a: 4 }, latency: { a: encoded(1.5) } },
  { ms: 2000, received: 5, gaps: 0, duplicates: 0, from: { a: 5 }, latency: { a: encoded(1.9) } },
  { ms: 2100, received: 6, gaps: 0, duplicates: 0, from: { a: 6 }, latency: { a: encoded(0.4) } },
];
const timeline: Timeline = { tickMs: 100, silenceMs: 100, samples: t0Samples, counts: { start: 0, values: [] }, silences: [], handshakes: [], disconnects: [], peers: [] };
const phased: Observations = {
  ...observations([reader({ received: 6, from: { a: 6 }, latency: { count: 6, p50: 0.3, p99: 1.9, max: 1.9, from: {} }, timeline })]),
  faults: { slow: 1000, fast: 2000 },
  snapshots: { slow: { ms: 1000, flows: {} }, fast: { ms: 2000, flows: {} } },
};

t.test("a phase judges the messages that arrived in it, from its samples' histograms", async (t) => {
  const before = evaluateOne({ latency: { endpoint: "reader", max: 0.3, before: "slow" } }, phased);
  t.equal(before.ok, true, before.message);
  t.equal(before.observed, "p50 0.2 ms, p99 0.3 ms, max 0.3 ms (3 messages)", "the sample at the fault's time belongs before it");
  t.equal(before.description, "reader latency: max at most 0.3 ms, before slow");
  const during = evaluateOne({ latency: { endpoint: "reader", p99: 1.8, between: ["slow", "fast"] } }, phased);
  t.equal(during.ok, false);
  t.equal(during.observed, "p50 1.5 ms, p99 1.9 ms, max 1.9 ms (2 messages)");
  const after = evaluateOne({ latency: { endpoint: "reader", max: 0.4, after: "fast" } }, phased);
  t.equal(after.ok, true, after.message);
  t.equal(after.observed, "p50 0.4 ms, p99 0.4 ms, max 0.4 ms (1 message)");
  const whole = evaluateOne({ latency: { endpoint: "reader", max: 0.4 } }, phased);
  t.equal(whole.observed, "p50 0.3 ms, p99 1.9 ms, max 1.9 ms (6 messages)", "no phase: the endpoint's own figures");
  const empty = evaluateOne({ latency: { endpoint: "reader", max: 1, between: ["slow", "slow"] } }, { ...phased });
  t.equal(empty.ok, false);
  t.equal(empty.observed, "no messages measured", "a phase with no message in it");
});

t.test("endpointIn: the window's latency replaces the endpoint's, and goes when it has none", async (t) => {
  const e = phased.traffic.endpoints[0]!;
  t.same(endpointIn(e, { start: 1000, end: 2000 }).latency, { count: 2, p50: 1.5, p99: 1.9, max: 1.9, from: { a: { count: 2, p50: 1.5, p99: 1.9, max: 1.9 } } });
  t.same(endpointIn(e, { start: 1000 }).latency?.count, 3, "to the end: every sample after the start");
  t.same(endpointIn(e, { end: 500 }).latency?.count, 2, "from the start");
  t.same(endpointIn(e, {}).latency?.count, 6, "the whole run, from the samples");
  t.notOk("latency" in endpointIn(e, { start: 2100 }), "no sample after the start: no latency");
  t.notOk("latency" in endpointIn(e, { start: 500, end: 500 }), "an empty window ending at a fault: none either");
  const bare = reader();
  t.equal(endpointIn(bare, { start: 0 }), bare, "without a timeline the endpoint stays whole");
});

type Finding = { at: string; message: string; hint?: string };
function findings(expect: unknown[]): Finding[] {
  const lab = {
    name: "latency",
    networks: { n: { subnet: "198.19.71.0/24" } },
    nodes: { a: { interfaces: { n: "198.19.71.10" } }, b: { interfaces: { n: "198.19.71.11" } } },
    traffic: {
      feed: { node: "a", socket: "pub", bind: "tcp://198.19.71.10:5556", send: { count: 10 } },
      reader: { node: "b", socket: "sub", connect: "tcp://198.19.71.10:5556" },
      raw: { node: "b", socket: "sub", connect: "tcp://198.19.71.10:5556", format: "raw" },
      prog: { node: "b", command: ["true"] },
    },
    faults: { slow: { at: "1s", node: "a", exec: ["true"] } },
    expect: expect as ExpectationSpec[],
  } as Lab;
  return validateLab(lab).map((f) => ({ at: f.at.join("."), message: f.message, ...(f.hint !== undefined ? { hint: f.hint } : {}) }));
}

t.test("the lab file: a bound at least, each a latency, an agent receiver, a known sender", async (t) => {
  t.same(
    findings([
      { latency: { endpoint: "reader", p99: "5ms", before: "slow" } },
      { latency: { endpoint: "reader", from: "feed", p50: 1, max: "1s", after: "slow" } },
      { latency: { endpoint: "reader", from: "prog", max: "250us" } },
    ]),
    [],
    "valid, with phases and a program as the sender",
  );
  t.same(findings([{ latency: { endpoint: "reader" } }]), [{ at: "expect.0.latency", message: "no bound: give p50, p99 or max", hint: "e.g. latency: { endpoint: reader, p99: 5ms }" }]);
  t.same(
    findings([{ latency: { endpoint: "reader", p50: "fast", p99: "5 min", max: -1 } }]),
    ["p50", "p99", "max"].map((p) => ({ at: `expect.0.latency.${p}`, message: `"${{ p50: "fast", p99: "5 min", max: -1 }[p]}" is not a latency`, hint: "ms as a number, or 500us, 5ms, 1.5s" })),
  );
  t.same(findings([{ latency: { endpoint: "raw", p99: 1 } }]), [
    { at: "expect.0.latency.endpoint", message: "raw reads raw messages: they carry no send time", hint: "let the sender use zmqlab's framing (see docs/traffic.md, the message framing)" },
  ]);
  t.same(findings([{ latency: { endpoint: "prog", p99: 1 } }]), [{ at: "expect.0.latency.endpoint", message: 'endpoint "prog" is a program', hint: latencyKind.needs!.endpoint!.hint }]);
  t.match(findings([{ latency: { endpoint: "reader", from: "feeed", p99: 1 } }]), [{ at: "expect.0.latency.from", message: /feeed/ }]);
  t.match(findings([{ latency: { endpoint: "readr", p99: 1 } }]), [{ at: "expect.0.latency.endpoint", message: /readr/ }]);
});

t.test("the kind's module: judge, doc, needs", async (t) => {
  t.equal(latencyKind.kind, "latency");
  t.equal(latencyKind.judge, latency);
  t.notOk(latencyKind.timed, "phase-scoped like every kind");
  t.equal(latencyKind.needs?.endpoint?.of, "agent");
  t.match(latencyKind.doc.holds, /p50.*p99.*max/);
});
