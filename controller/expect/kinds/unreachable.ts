// unreachable: every connect of an endpoint went without a ZeroMQ handshake for the lab's
// handshake timeout (a connect from a given source to a given destination never completed).
import Type, { type Static } from "typebox";
import { endpointName, expectation } from "../kind.js";
import { andList, type ExpectationResult, type Observations } from "../types.js";

const body = Type.Object({ endpoint: endpointName("The connecting endpoint.") }, { additionalProperties: false });
type Spec = Static<typeof body>;

export function describeUnreachable(spec: Spec, observations?: Observations): string {
  const endpoint = observations?.traffic.endpoints.find((e) => e.name === spec.endpoint);
  // Stryker disable next-line Regex: every connect starts with tcp:// (validated), so the anchor changes nothing
  const connects = endpoint?.connect.map((c) => c.replace(/^tcp:\/\//, "").replace(";", " -> ")) ?? [];
  return `${spec.endpoint} never completes a handshake${connects.length ? ` (${connects.join(", ")})` : ""}`;
}

export function unreachable(spec: Spec, observations: Observations): ExpectationResult {
  const description = describeUnreachable(spec, observations);
  const base = { kind: "unreachable" as const, description, expected: "no handshake", spec: { ...spec } };
  const endpoint = observations.traffic.endpoints.find((e) => e.name === spec.endpoint);
  if (!endpoint) return { ...base, ok: false, observed: "no such endpoint in the report", message: `no endpoint ${spec.endpoint} in the traffic report`, evidence: {} };
  const evidence = { handshakes: endpoint.handshakes, noHandshake: endpoint.noHandshake.map((n) => n.connect), received: endpoint.received };
  if (endpoint.handshakes.length > 0) {
    return {
      ...base,
      ok: false,
      observed: "handshake completed",
      // Stryker disable next-line Regex: every connect starts with tcp:// (validated), so the anchor changes nothing
      message: `handshake completed: ${andList(endpoint.handshakes.map((c) => c.replace(/^tcp:\/\//, "").replace(";", " -> ")))}${endpoint.received ? `, and ${endpoint.received} messages arrived` : ""} (something listens there and a route carries the traffic both ways)`,
      evidence,
    };
  }
  if (endpoint.noHandshake.length === 0) {
    // Neither: the agent reported nothing, so nothing can be said about the connect.
    return { ...base, ok: false, observed: "no result", message: `no result for ${spec.endpoint}${endpoint.errors.length ? `: ${endpoint.errors.join("; ")}` : ""}`, evidence };
  }
  const after = Math.max(...endpoint.noHandshake.map((n) => n.afterMs));
  return { ...base, ok: true, observed: `no handshake within ${after} ms`, message: endpoint.noHandshake.map((n) => n.message).join("; "), evidence };
}

export const unreachableKind = expectation({
  kind: "unreachable",
  body,
  doc: { holds: "none of the endpoint's connects completed a handshake, and the agent reported them as timed out (a missing report is no proof)", observedFrom: "the agent's handshake watch" },
  needs: { endpoint: { of: "agent", hint: "unreachable reads zmqlab's agent's handshake watch; for a program, judge its exit or output" } },
  validate(spec, check, at) {
    const ep = check.lookup(spec.endpoint);
    if (ep && ep.connect.length === 0) check.problem([...at, "endpoint"], `endpoint "${spec.endpoint}" does not connect`, "unreachable is about a connect that never completes a handshake");
  },
  judge: unreachable,
});
