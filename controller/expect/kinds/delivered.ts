// delivered: an endpoint received exactly N messages (or at least, at most, between), optionally
// from one named sender, with no gaps and no duplicates unless `allowGaps` (which allows both: a
// lossy stream).
import Type, { type Static } from "typebox";
import type { EndpointReport } from "../../traffic/types.js";
import { endpointName, expectation } from "../kind.js";
import { plural, type ExpectationResult, type Observations } from "../types.js";

const body = Type.Object(
  {
    endpoint: endpointName("The receiving endpoint."),
    count: Type.Optional(Type.Integer({ minimum: 0, description: "Exactly this many messages." })),
    atLeast: Type.Optional(Type.Integer({ minimum: 0, description: "At least this many messages (with atMost: a range, both ends included). Not with count." })),
    atMost: Type.Optional(Type.Integer({ minimum: 0, description: "At most this many messages (with atLeast: a range, both ends included). Not with count." })),
    from: Type.Optional(Type.String({ description: "Only the messages of this sender endpoint." })),
    allowGaps: Type.Optional(Type.Boolean({ description: "Allow gaps and duplicates (a lossy stream)." })),
  },
  { additionalProperties: false },
);
type Spec = Static<typeof body>;

/**
 * The counts that hold, both ends included: `count` alone; else `atLeast` up to `atMost`. With
 * neither, at least one; `atMost` alone starts at 0 ("at most 10 after the fault" holds with none).
 */
export function countRange(spec: Spec): { low: number; high: number } {
  if (spec.count !== undefined) return { low: spec.count, high: spec.count };
  return { low: spec.atLeast ?? (spec.atMost === undefined ? 1 : 0), high: spec.atMost ?? Infinity };
}

/** "exactly 2", "at least 1", "at most 10", "between 5 and 10"; `unit` words the last number. */
function amount(spec: Spec, unit: (n: number) => string = String): string {
  const { low, high } = countRange(spec);
  if (low === high) return `exactly ${unit(low)}`;
  if (high === Infinity) return `at least ${unit(low)}`;
  if (spec.atLeast === undefined) return `at most ${unit(high)}`;
  return `between ${low} and ${unit(high)}`;
}

export function describeDelivered(spec: Spec): string {
  return `${spec.endpoint} receives ${amount(spec, (n) => plural(n, "message"))}${spec.from ? ` from ${spec.from}` : ""}${spec.allowGaps ? " (gaps allowed)" : ", no gaps or duplicates"}`;
}

export function delivered(spec: Spec, observations: Observations): ExpectationResult {
  const description = describeDelivered(spec);
  const endpoint = observations.traffic.endpoints.find((e) => e.name === spec.endpoint);
  const expected = `${amount(spec)}${spec.from ? ` from ${spec.from}` : ""}${spec.allowGaps ? "" : ", 0 gaps, 0 duplicates"}`;
  const base = { kind: "delivered" as const, description, expected, spec: { ...spec } };
  if (!endpoint) {
    return { ...base, ok: false, observed: "no such endpoint in the report", message: `no endpoint ${spec.endpoint} in the traffic report`, evidence: {} };
  }
  const got = spec.from !== undefined ? (endpoint.from[spec.from] ?? 0) : endpoint.received;
  const evidence = { received: endpoint.received, from: endpoint.from, gaps: endpoint.gaps, duplicates: endpoint.duplicates, counted: got };
  const others = Object.entries(endpoint.from).filter(([name]) => name !== spec.from);
  const observed = `${got}${spec.from ? ` from ${spec.from}` : ""}${spec.from && others.length ? ` (${endpoint.received} in all)` : ""}, ${plural(endpoint.gaps, "gap")}, ${plural(endpoint.duplicates, "duplicate")}`;

  const problems: string[] = [];
  const { low, high } = countRange(spec);
  if (got < low || got > high) {
    const want = spec.count !== undefined ? `${spec.count}` : amount(spec);
    problems.push(`${spec.endpoint} received ${got}${spec.from ? ` from ${spec.from}` : ""}, expected ${want}${causes(endpoint, got, spec.from)}`);
  }
  if (!spec.allowGaps && endpoint.gaps > 0) problems.push(`${plural(endpoint.gaps, "message")} missing in the sequence (gaps): lost on the way or sent before the subscription arrived`);
  if (!spec.allowGaps && endpoint.duplicates > 0) problems.push(`${plural(endpoint.duplicates, "duplicate")}`);
  const ok = problems.length === 0;
  const message = ok ? `${spec.endpoint} received ${got}${spec.from ? ` from ${spec.from}` : ""}` : problems.join("; ");
  return { ...base, ok, observed, message, evidence };
}

/** Why fewer (or more) messages came: what the endpoint itself reported. */
function causes(endpoint: EndpointReport, got: number, from: string | undefined): string {
  const notes: string[] = [];
  for (const n of endpoint.noHandshake) notes.push(n.message);
  for (const e of endpoint.errors) notes.push(e);
  if (from !== undefined && got === 0 && Object.keys(endpoint.from).length > 0) {
    notes.push(
      `it heard from ${Object.entries(endpoint.from)
        .map(([k, v]) => `${k} (${v})`)
        .join(", ")} instead`,
    );
  }
  if (notes.length === 0 && endpoint.connect.length > 0 && endpoint.handshakes.length === endpoint.connect.length && got === 0) {
    notes.push("every connect completed its handshake, so the sender sent nothing it subscribed to, or sent before it subscribed");
  }
  return notes.length ? `: ${notes.join("; ")}` : "";
}

export const deliveredKind = expectation({
  kind: "delivered",
  body,
  doc: {
    holds:
      "the endpoint received exactly `count` messages, or at least `atLeast`, or at most `atMost` (both: a range, ends included; `atMost` alone holds with none; neither: at least 1), from the sender endpoint `from` when given, with no gaps and no duplicates (`allowGaps` allows both: a lossy stream). `count` with a bound, or `atLeast` above `atMost`, is refused (exit 2)",
    observedFrom: "the receiver's sequence numbers per sender",
  },
  needs: { endpoint: { of: "agent", hint: 'delivered counts what zmqlab\'s agent received; for a program, judge its output: output: { endpoint, matches: "received 500" }' } },
  validate(spec, check, at) {
    if (spec.from !== undefined) {
      if (check.lookup(spec.endpoint)?.format === "raw")
        check.problem(
          [...at, "from"],
          `${spec.endpoint} reads raw messages: it cannot tell senders apart`,
          "remove from (a raw receiver counts every message), or let the sender use zmqlab's framing (see docs/traffic.md, the message framing)",
        );
      check.endpoint(spec.from, [...at, "from"]);
    }
    for (const bound of ["atLeast", "atMost"] as const) {
      if (spec.count !== undefined && spec[bound] !== undefined)
        check.problem(at, `both count and ${bound}`, "count for exactly N, atLeast for N or more, atMost for N or fewer (atLeast with atMost: a range)");
    }
    if (spec.atLeast !== undefined && spec.atMost !== undefined && spec.atLeast > spec.atMost) {
      check.problem(
        [...at, "atLeast"],
        `atLeast ${spec.atLeast} is more than atMost ${spec.atMost}: no count can hold`,
        `swap them (atLeast: ${spec.atMost}, atMost: ${spec.atLeast}), or count: N for exactly N`,
      );
    }
  },
  judge: delivered,
});
