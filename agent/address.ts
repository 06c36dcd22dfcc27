// Matching libzmq's endpoints back to the job's: where a bind listens (for its kernel peers) and
// which connect a handshake event belongs to. The agent passes endpoints to libzmq unchanged;
// they are read with the one endpoint parser the lab and the judges use (shared/endpoint.ts).

import { canonicalAddress } from "../shared/address.js";
import { parseTcpEndpoint } from "../shared/endpoint.js";
import type { BindAddr } from "../shared/proc-net.js";

/**
 * Where a bound endpoint listens, from the socket's lastEndpoint after bind (libzmq resolves
 * interface names and `*` ports there). Null when it is not a tcp endpoint with a numeric port.
 */
export function bindAddress(endpoint: string): BindAddr | null {
  const e = parseTcpEndpoint(endpoint);
  if (typeof e === "string" || e.destination.port === "*") return null;
  const { host, port } = e.destination;
  const any = host === "*" || host === "0.0.0.0" || host === "::";
  return { address: any ? null : canonicalAddress(host), port: Number(port) };
}

/**
 * The connect a handshake event belongs to. libzmq reports a connecting socket's events with
 * the endpoint string exactly as passed to connect (source part included), so an exact match is
 * the rule. The fallback, for a build that would drop the source part, matches on the
 * destination, but only when that names a single connect: two connects to one server from
 * different sources must not be confused.
 */
export function matchConnect(address: string, connects: readonly string[]): string | undefined {
  if (connects.includes(address)) return address;
  if (address.includes(";")) return undefined;
  const dest = destinationOf(address);
  const same = connects.filter((c) => dest !== undefined && destinationOf(c) === dest);
  return same.length === 1 ? same[0] : undefined;
}

function destinationOf(endpoint: string): string | undefined {
  const e = parseTcpEndpoint(endpoint);
  return typeof e === "string" ? undefined : `${canonicalAddress(e.destination.host)}:${e.destination.port}`;
}
