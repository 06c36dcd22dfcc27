// Who is connected to a bound port, as the kernel sees it. zeromq.js does not expose peer
// addresses, so the agent reads /proc/net/tcp and /proc/net/tcp6 of its node.
//
// Line format (after one header line):
//   sl local_address rem_address st ...
//   0: 0100007F:1F90 0200007F:D2B4 01 ...
// Addresses are hex in the kernel's memory order: IPv4 one 32-bit word, IPv6 four 32-bit words,
// each word little-endian on the usual hosts; ports are hex big-endian. State 01 = ESTABLISHED.

import { readFile } from "node:fs/promises";
import { canonicalAddress } from "./address.js";
import type { Peer } from "./protocol.js";

export interface SockAddr {
  address: string;
  port: number;
}

export interface TcpEntry {
  local: SockAddr;
  remote: SockAddr;
  /** Two hex digits, e.g. "01" (established), "0A" (listen). */
  state: string;
}

export const ESTABLISHED = "01";

/** A bound endpoint: `address` null means any local address (`*`, 0.0.0.0, ::). */
export interface BindAddr {
  address: string | null;
  port: number;
}

/** Parses the text of /proc/net/tcp or /proc/net/tcp6; lines that do not parse are skipped. */
export function parseProcNetTcp(text: string): TcpEntry[] {
  const entries: TcpEntry[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    const [sl, local, remote, state] = fields;
    if (sl === undefined || !/^\d+:$/.test(sl) || local === undefined || remote === undefined || state === undefined) {
      continue; // the header line, or an empty one
    }
    const l = decodeSockAddr(local);
    const r = decodeSockAddr(remote);
    if (l && r && /^[0-9A-Fa-f]{2}$/.test(state)) entries.push({ local: l, remote: r, state: state.toUpperCase() });
  }
  return entries;
}

/** "0100007F:1F90" -> {address: "127.0.0.1", port: 8080}. */
export function decodeSockAddr(text: string): SockAddr | null {
  const m = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(text);
  if (!m || m[1] === undefined || m[2] === undefined) return null;
  return { address: decodeAddress(m[1]), port: parseInt(m[2], 16) };
}

/** 8 hex digits (IPv4) or 32 (IPv6), each 32-bit word little-endian. */
export function decodeAddress(hex: string): string {
  const bytes = Buffer.from(hex, "hex");
  // Reverse each 4-byte word into network order.
  for (let i = 0; i < bytes.length; i += 4) bytes.subarray(i, i + 4).reverse();
  if (bytes.length === 4) return bytes.join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return canonicalAddress(groups.join(":"));
}

/** "a.b.c.d:port" or "[v6]:port". */
export function formatSockAddr(a: SockAddr): string {
  return a.address.includes(":") ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

/** Established connections whose local end is one of the binds. */
export function peersFor(entries: TcpEntry[], binds: BindAddr[]): Peer[] {
  const peers: Peer[] = [];
  for (const e of entries) {
    if (e.state !== ESTABLISHED) continue;
    const bound = binds.some((b) => b.port === e.local.port && (b.address === null || b.address === e.local.address));
    if (bound) peers.push({ local: formatSockAddr(e.local), address: e.remote.address, port: e.remote.port });
  }
  return peers;
}

export function peerKey(p: Peer): string {
  return `${p.local} ${p.address} ${p.port}`;
}

/** Both tables; a missing file (no IPv6 in the kernel) counts as empty. */
export async function readTcpTables(paths = ["/proc/net/tcp", "/proc/net/tcp6"]): Promise<TcpEntry[]> {
  const texts = await Promise.all(paths.map((p) => readFile(p, "utf8").catch(() => "")));
  return texts.flatMap(parseProcNetTcp);
}
