// latency: the one-way latency of the messages an endpoint received (from one sender, when
// `from` is given) stays within bounds on its percentiles: p50, p99, max. zmqlab's receiving
// agent measures it per message, from the send time in the message's header to its arrival
// (lab containers share the host's clock); scoped with a phase, over the messages that arrived in it.
import Type, { type Static } from "typebox";
import type { LatencyFigures } from "../../traffic/types.js";
import { endpointName, expectation } from "../kind.js";
import { plural, type ExpectationResult, type Observations } from "../types.js";

/** ms as a number, or a duration: 500us, 0.5ms, 5ms, 1s. */
const bound = (description: string) => Type.Optional(Type.Unsafe<number | string>({ type: ["number", "string"], description: `${description} ms, or a duration: 500us, 5ms, 1.5s.` }));

const PERCENTILES = ["p50", "p99", "max"] as const;
type Percentile = (typeof PERCENTILES)[number];

const body = Type.Object(
  {
    endpoint: endpointName("The receiving endpoint (zmqlab's agent: it measures each message's latency)."),
    from: Type.Optional(Type.String({ description: "Only the messages of this sender endpoint." })),
    p50: bound("The median may be at most this:"),
    p99: bound("The 99th percentile may be at most this:"),
    max: bound("No message may take longer than this:"),
  },
  { additionalProperties: false, description: "One-way latency within bounds: at least one of p50, p99, max." },
);
type Spec = Static<typeof body>;

const UNITS: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000 };

/** A bound in ms: a number of ms, or a number with us, µs, ms or s; undefined when it is neither. */
export function boundMs(value: number | string): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s)?\s*$/.exec(value);
  if (!m) return undefined;
  // To the ns: 1400us is 1.4 ms, not 1.4000000000000001.
  return Math.round(Number(m[1]) * UNITS[m[2] ?? "ms"]! * 1e6) / 1e6;
}

/** The bounds the body gives, in ms, in the order p50, p99, max. */
function boundsOf(spec: Spec): [Percentile, number][] {
  return PERCENTILES.flatMap((p) => (spec[p] === undefined ? [] : [[p, boundMs(spec[p]!)!] as [Percentile, number]]));
}

/** ms for reading: to the µs, without trailing zeros. */
const ms = (x: number) => `${Math.round(x * 1000) / 1000} ms`;

export function describeLatency(spec: Spec): string {
  return `${spec.endpoint} latency${spec.from !== undefined ? ` from ${spec.from}` : ""}: ${boundsOf(spec)
    .map(([p, b]) => `${p} at most ${ms(b)}`)
    .join(", ")}`;
}

export function latency(spec: Spec, observations: Observations): ExpectationResult {
  const bounds = boundsOf(spec);
  const base = { kind: "latency" as const, description: describeLatency(spec), expected: bounds.map(([p, b]) => `${p} <= ${ms(b)}`).join(", "), spec: { ...spec } };
  const endpoint = observations.traffic.endpoints.find((e) => e.name === spec.endpoint);
  if (!endpoint) return { ...base, ok: false, observed: "no such endpoint in the report", message: `no endpoint ${spec.endpoint} in the traffic report`, evidence: {} };
  if (endpoint.socket === "program") {
    return {
      ...base,
      ok: false,
      observed: "not measured: a program",
      message: `${spec.endpoint} is a program: zmqlab measures latency where its own agent receives (let an agent endpoint receive the stream)`,
      evidence: {},
    };
  }
  const measured: LatencyFigures | undefined = spec.from !== undefined ? endpoint.latency?.from[spec.from] : endpoint.latency;
  if (!measured) {
    const what = spec.from !== undefined ? `no message from ${spec.from}` : "no message";
    // Messages from other senders were measured only when `from` named one it did not hear.
    const heard = Object.keys(endpoint.latency?.from ?? {});
    const others = heard.length > 0 ? `; it measured messages from ${heard.join(", ")}` : "";
    return {
      ...base,
      ok: false,
      observed: "no messages measured",
      message: `${spec.endpoint} received ${what} with a send time${others}, so there is no latency to judge (${plural(endpoint.received, "message")} received)`,
      evidence: { received: endpoint.received },
    };
  }
  const over = bounds.filter(([p, b]) => measured[p] > b);
  const observed = `p50 ${ms(measured.p50)}, p99 ${ms(measured.p99)}, max ${ms(measured.max)} (${plural(measured.count, "message")})`;
  const ok = over.length === 0;
  const who = `${spec.endpoint}${spec.from !== undefined ? ` from ${spec.from}` : ""}`;
  const message = ok ? `${who}: ${observed}` : `latency of ${who} over its bound: ${over.map(([p, b]) => `${p} ${ms(measured[p])} > ${ms(b)}`).join(", ")} (${observed})`;
  const { count, p50, p99, max } = measured;
  return { ...base, ok, observed, message, evidence: { count, p50, p99, max, bounds: Object.fromEntries(bounds) } };
}

export const latencyKind = expectation({
  kind: "latency",
  body,
  doc: {
    holds:
      "the one-way latency of the messages the endpoint received (from the sender `from` when given) is at most each bound given: `p50`, `p99`, `max` (ms, or `500us`, `5ms`, `1s`; at least one). None measured (no message, or none with a send time) fails",
    observedFrom: "the receiver's latency histograms: send time in each message's header to its arrival",
  },
  needs: { endpoint: { of: "agent", hint: 'latency is measured by zmqlab\'s agent as it receives; let an agent endpoint receive the stream (a program may send it, with "t" in its header)' } },
  validate(spec, check, at) {
    if (!PERCENTILES.some((p) => spec[p] !== undefined)) check.problem(at, "no bound: give p50, p99 or max", "e.g. latency: { endpoint: reader, p99: 5ms }");
    for (const p of PERCENTILES) {
      if (spec[p] !== undefined && boundMs(spec[p]!) === undefined) check.problem([...at, p], `"${spec[p]}" is not a latency`, "ms as a number, or 500us, 5ms, 1.5s");
    }
    if (check.lookup(spec.endpoint)?.format === "raw")
      check.problem([...at, "endpoint"], `${spec.endpoint} reads raw messages: they carry no send time`, "let the sender use zmqlab's framing (see docs/traffic.md, the message framing)");
    if (spec.from !== undefined) check.endpoint(spec.from, [...at, "from"]);
  },
  judge: latency,
});
