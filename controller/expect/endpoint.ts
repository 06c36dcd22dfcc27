// The built-in check behind every lab's traffic: each endpoint bound, connected and ran. It is
// not written in the lab file; it shows (and fails the run) only for an endpoint that is broken.
import type { EndpointReport } from "../traffic/types.js";
import type { ExpectationResult, Observations } from "./types.js";

export function endpointCheck(endpoint: EndpointReport): ExpectationResult {
  const failures = endpoint.failures ?? [];
  const what = [...endpoint.bind.map((b) => `binds ${b}`), ...endpoint.connect.map((c) => `connects ${c}`)].join(", ");
  return {
    kind: "endpoint",
    description: `endpoint ${endpoint.name} on ${endpoint.node} starts${what ? ` (${what})` : ""}`,
    ok: failures.length === 0,
    expected: "bound, connected, running",
    observed: failures.length === 0 ? "running" : failures.join("; "),
    message:
      failures.length === 0
        ? `${endpoint.name} started`
        : `endpoint failure: ${endpoint.name} on ${endpoint.node} could not start: ${failures.join("; ")}; it carried no traffic (nothing is counted as sent)`,
    spec: { endpoint: endpoint.name, node: endpoint.node },
    evidence: { failures, errors: endpoint.errors },
  };
}

/** One failed check per broken endpoint, in the traffic report's order; none when all started. */
export function endpointFailures(observations: Observations): ExpectationResult[] {
  return observations.traffic.endpoints.filter((e) => (e.failures ?? []).length > 0).map(endpointCheck);
}
