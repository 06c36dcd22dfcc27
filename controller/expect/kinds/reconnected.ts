// reconnected: the endpoint completed a new ZeroMQ handshake at or after a fault (libzmq reports
// one for each connection made, on the connecting and the binding side). A connection that lives
// through the fault (TCP retransmits across a short cut) needs none, so this fails then.
import Type, { type Static } from "typebox";
import { endpointName, expectation, faultName } from "../kind.js";
import { plural, type ExpectationResult, type Observations } from "../types.js";

const body = Type.Object(
  { endpoint: endpointName(), after: faultName("The fault after which it must handshake anew.") },
  { additionalProperties: false, description: "A new ZeroMQ handshake at the endpoint at or after the fault." },
);
type Spec = Static<typeof body>;

export function describeReconnected(spec: Spec): string {
  return `${spec.endpoint} completes a new handshake after ${spec.after}`;
}

export function reconnected(spec: Spec, observations: Observations): ExpectationResult {
  const base = { kind: "reconnected" as const, description: describeReconnected(spec), expected: `a handshake at or after ${spec.after}`, spec: { ...spec } };
  const fail = (observed: string, message: string, evidence: Record<string, unknown> = {}) => ({ ...base, ok: false, observed, message, evidence });
  const endpoint = observations.traffic.endpoints.find((e) => e.name === spec.endpoint);
  if (!endpoint) return fail("no such endpoint in the report", `no endpoint ${spec.endpoint} in the traffic report`);
  const at = observations.faults?.[spec.after];
  if (at === undefined) return fail("the fault did not run", `the fault ${spec.after} did not run (see the report's faults)`);
  const timeline = endpoint.timeline;
  if (!timeline) return fail("no timeline", `${spec.endpoint} has no timeline (a program endpoint, or its agent reported none)`);
  const after = timeline.handshakes.filter((h) => h.ms >= at);
  const disconnects = timeline.disconnects.filter((d) => d.ms >= at).length;
  const evidence = { faultAt: at, handshakes: timeline.handshakes.map((h) => h.ms - at), disconnectsAfter: disconnects };
  if (after.length === 0) {
    return fail(
      `no handshake after ${spec.after} (${timeline.handshakes.length} before)`,
      `${spec.endpoint} completed no handshake at or after ${spec.after}: ${plural(timeline.handshakes.length, "handshake")} before it${disconnects ? `, ${plural(disconnects, "disconnect")} after it` : ", no disconnect after it (the connection lived through the fault, or nothing reconnected)"}`,
      evidence,
    );
  }
  const first = Math.round(after[0]!.ms - at);
  return {
    ...base,
    ok: true,
    observed: `handshake ${first} ms after ${spec.after}`,
    message: `${spec.endpoint} completed ${plural(after.length, "handshake")} after ${spec.after}, the first ${first} ms after it (${after[0]!.address})`,
    evidence,
  };
}

export const reconnectedKind = expectation({
  kind: "reconnected",
  body,
  doc: { holds: "the endpoint completed a new ZeroMQ handshake at or after the fault `after`", observedFrom: "the timeline's handshakes" },
  timed: true,
  needs: { endpoint: { of: "agent", hint: "reconnected reads zmqlab's agent's handshakes; for a program, judge its output" } },
  judge: reconnected,
});
