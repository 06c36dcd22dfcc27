// sourceSeen: a bound endpoint's kernel showed a connection from the given source address(es)
// (its established TCP connections on the bound ports), and with `only`, from no other.
import { list } from "../lab/endpoint.js";
import type { SourceSeenSpec } from "../lab/types.js";
import { andList, byAddress, normalAddress, type ExpectationResult, type Observations } from "./types.js";

type Spec = SourceSeenSpec["sourceSeen"];

export function describeSourceSeen(spec: Spec): string {
  const sources = list(spec.source);
  const named = sources.length > 3 ? `${sources.slice(0, 2).join(", ")} and ${sources.length - 2} more` : andList(sources);
  const some = spec.atLeast !== undefined && spec.atLeast < sources.length ? `at least ${spec.atLeast} of ` : "";
  return `connections to ${spec.endpoint} come ${spec.only ? "only " : ""}from ${some}${named}`;
}

export function sourceSeen(spec: Spec, observations: Observations): ExpectationResult {
  const wanted = list(spec.source).map(normalAddress);
  const description = describeSourceSeen(spec);
  const need = Math.min(spec.atLeast ?? wanted.length, wanted.length);
  const partial = need < wanted.length;
  const expected = `${partial ? `at least ${need} of ` : ""}${wanted.join(", ")}${spec.only ? " (only)" : ""}`;
  const base = { kind: "sourceSeen" as const, description, expected, spec: { ...spec } };
  const endpoint = observations.traffic.endpoints.find((e) => e.name === spec.endpoint);
  if (!endpoint) return { ...base, ok: false, observed: "no such endpoint in the report", message: `no endpoint ${spec.endpoint} in the traffic report`, evidence: {} };

  const seen = [...new Set(endpoint.peers.map((p) => normalAddress(p.address)))].sort(byAddress);
  const unseen = wanted.filter((s) => !seen.includes(s));
  // With atLeast, sources may go unseen as long as enough of them were seen.
  const missing = wanted.length - unseen.length >= need ? [] : unseen;
  const extra = spec.only ? seen.filter((s) => !wanted.includes(s)) : [];
  const observed = seen.length ? seen.join(", ") : "no connection";
  const evidence = { seen, missing, extra, peers: endpoint.peers };
  const ok = missing.length === 0 && extra.length === 0 && endpoint.bind.length > 0;
  let message: string;
  if (endpoint.bind.length === 0) {
    message = `${spec.endpoint} binds nothing: only a bound endpoint's kernel shows where connections come from`;
  } else if (ok) {
    message = `${endpoint.node} saw ${andList(seen)} on ${andList(endpoint.bind)}`;
  } else {
    const parts: string[] = [];
    parts.push(seen.length ? `${endpoint.node} saw ${andList(seen)}${seen.length === 1 ? " only" : ""}` : `${endpoint.node} saw no connection on ${andList(endpoint.bind)}`);
    if (missing.length) {
      const why = observations.traffic.endpoints.flatMap((e) => e.noHandshake.filter((n) => n.source !== undefined && missing.includes(normalAddress(n.source))).map((n) => n.message));
      parts.push(partial ? `${wanted.length - unseen.length} of the sources seen, at least ${need} expected${why.length ? ` (${why.join("; ")})` : ""}` : `${andList(missing)} missing${why.length ? ` (${why.join("; ")})` : ""}`);
    }
    if (extra.length) parts.push(`${andList(extra)} ${extra.length === 1 ? "is" : "are"} not among the expected sources (a connect took another source address than intended, the endpoint accepts connections on more addresses than intended, a balancer sent that client here, or SNAT rewrote it on the way)`);
    message = parts.join("; ");
  }
  return { ...base, ok, observed, message, evidence };
}
