// delivered: an endpoint received exactly (or at least) N messages, optionally from one named
// sender, with no gaps and no duplicates unless `allowGaps` (which allows both: a lossy stream).
import type { DeliveredSpec } from "../lab/types.js";
import type { EndpointReport } from "../traffic/types.js";
import { plural, type ExpectationResult, type Observations } from "./types.js";

type Spec = DeliveredSpec["delivered"];

export function describeDelivered(spec: Spec): string {
  const amount = spec.count !== undefined ? `exactly ${plural(spec.count, "message")}` : `at least ${plural(spec.atLeast ?? 1, "message")}`;
  return `${spec.endpoint} receives ${amount}${spec.from ? ` from ${spec.from}` : ""}${spec.allowGaps ? " (gaps allowed)" : ", no gaps or duplicates"}`;
}

export function delivered(spec: Spec, observations: Observations): ExpectationResult {
  const description = describeDelivered(spec);
  const endpoint = observations.traffic.endpoints.find((e) => e.name === spec.endpoint);
  const amount = spec.count !== undefined ? `exactly ${spec.count}` : `at least ${spec.atLeast ?? 1}`;
  const expected = `${amount}${spec.from ? ` from ${spec.from}` : ""}${spec.allowGaps ? "" : ", 0 gaps, 0 duplicates"}`;
  const base = { kind: "delivered" as const, description, expected, spec: { ...spec } };
  if (!endpoint) {
    return { ...base, ok: false, observed: "no such endpoint in the report", message: `no endpoint ${spec.endpoint} in the traffic report`, evidence: {} };
  }
  const got = spec.from !== undefined ? (endpoint.from[spec.from] ?? 0) : endpoint.received;
  const evidence = { received: endpoint.received, from: endpoint.from, gaps: endpoint.gaps, duplicates: endpoint.duplicates, counted: got };
  const others = Object.entries(endpoint.from).filter(([name]) => name !== spec.from);
  const observed = `${got}${spec.from ? ` from ${spec.from}` : ""}${spec.from && others.length ? ` (${endpoint.received} in all)` : ""}, ${plural(endpoint.gaps, "gap")}, ${plural(endpoint.duplicates, "duplicate")}`;

  const problems: string[] = [];
  const countOk = spec.count !== undefined ? got === spec.count : got >= (spec.atLeast ?? 1);
  if (!countOk) {
    const want = spec.count !== undefined ? `${spec.count}` : `at least ${spec.atLeast ?? 1}`;
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
    notes.push(`it heard from ${Object.entries(endpoint.from).map(([k, v]) => `${k} (${v})`).join(", ")} instead`);
  }
  if (notes.length === 0 && endpoint.connect.length > 0 && endpoint.handshakes.length === endpoint.connect.length && got === 0) {
    notes.push("every connect completed its handshake, so the sender sent nothing it subscribed to, or sent before it subscribed");
  }
  return notes.length ? `: ${notes.join("; ")}` : "";
}
