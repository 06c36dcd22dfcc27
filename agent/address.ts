// Reading libzmq tcp endpoints: "tcp://host:port", "tcp://[v6]:port" and the source form
// "tcp://src:port;host:port". The agent passes endpoints to libzmq unchanged; these helpers only
// serve to match events and kernel connections back to them.

import { canonicalAddress } from "../shared/address.js";
import type { BindAddr } from "../shared/proc-net.js";

export interface TcpEndpoint {
  /** The part before ";" (source address or interface, and port), when given. */
  source?: string;
  host: string;
  port: string;
}

export function parseTcpEndpoint(endpoint: string): TcpEndpoint | null {
  if (!endpoint.startsWith("tcp://")) return null;
  const rest = endpoint.slice("tcp://".length);
  const semi = rest.indexOf(";");
  const source = semi >= 0 ? rest.slice(0, semi) : undefined;
  const dest = splitHostPort(rest.slice(semi + 1)); // without ";", semi + 1 is 0: all of it
  if (!dest) return null;
  return source === undefined ? dest : { source, ...dest };
}

function splitHostPort(text: string): { host: string; port: string } | null {
  const m = /^\[([^\]]+)\]:([^:]+)$/.exec(text) ?? /^([^:[\]]+):([^:]+)$/.exec(text);
  if (!m || m[1] === undefined || m[2] === undefined) return null;
  return { host: m[1], port: m[2] };
}

/**
 * Where a bound endpoint listens, from the socket's lastEndpoint after bind (libzmq resolves
 * interface names and `*` ports there). Null when it is not a tcp endpoint with a numeric port.
 */
export function bindAddress(endpoint: string): BindAddr | null {
  const e = parseTcpEndpoint(endpoint);
  if (!e || !/^\d+$/.test(e.port)) return null;
  const any = e.host === "*" || e.host === "0.0.0.0" || e.host === "::";
  return { address: any ? null : canonicalAddress(e.host), port: Number(e.port) };
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
  return e ? `${canonicalAddress(e.host)}:${e.port}` : undefined;
}
