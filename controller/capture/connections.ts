// What zmqlab reads back from its own captures: every TCP connection (who sent the SYN, from which
// address, to which), the ZeroMQ greeting each side sent (ZMTP signature, version, mechanism) and
// its READY (socket type), the first message each way, retransmissions, and how it ended (FIN or
// RST), each with its time; and how many packets each (source MAC, destination MAC, source
// address, destination address) carried on each network, in short time buckets, for the
// cross-checks with the routers' counters. Pure: packets in (each with its network and time),
// an analysis out.
import type { IpPacket, TcpSegment } from "./packet.js";

/** One side's ZeroMQ handshake, as its bytes showed it. */
export interface ZmtpSide {
  /** When its greeting was complete (its 64th byte arrived), ms since time 0. */
  greetingMs?: number;
  /** `3.1`, from the greeting's version bytes. */
  version?: string;
  /** `NULL`, `PLAIN`, `CURVE`. */
  mechanism?: string;
  /** When its READY command arrived. */
  readyMs?: number;
  /** The socket type its READY announced (`PUB`, `SUB`, ...). */
  socketType?: string;
  /** When its first message (not a command) arrived. */
  firstMessageMs?: number;
}

export interface TcpEnd {
  address: string;
  port: number;
}

/** One TCP connection as the packets showed it, times in ms since time 0. */
export interface TcpConnection {
  /** Who opened it (sent the SYN); when no SYN was seen, the side with the higher port. */
  client: TcpEnd;
  server: TcpEnd;
  /** The lab networks it was seen on. */
  networks: string[];
  /** Where a NAT on the way rewrote an end: its ends as seen on each network where they differ from client and server. */
  translated?: { network: string; client: TcpEnd; server: TcpEnd }[];
  /** When the first SYN was seen; absent when the capture started after it. */
  synMs?: number;
  /** When the server's SYN-ACK was seen. */
  synAckMs?: number;
  /** Whether it was ZeroMQ (a ZMTP 3 signature opened a side's stream). */
  zmtp: boolean;
  clientSide: ZmtpSide;
  serverSide: ZmtpSide;
  /** Segments sent again (data already seen, or a SYN again), each side's times. */
  retransmissions: { ms: number; from: "client" | "server" }[];
  /** How it ended, when it did while the capture ran: the first FIN or RST. */
  end?: { kind: "fin" | "rst"; ms: number; from: "client" | "server" };
  /** When its last packet was seen. */
  lastMs: number;
  packets: number;
  /** When packets flowed: stretches with no gap over 200 ms between packets (an outage is a gap between two). */
  active: { startMs: number; endMs: number }[];
}

/** How much of a network the capture holds. */
export interface NetworkCoverage {
  packets: number;
  /** The first and last packet's times (absent when it holds none). */
  firstMs?: number;
  lastMs?: number;
}

/** Packets per 10 ms bucket, by bucket index (floor(ms / 10)). */
export type Buckets = Map<number, number>;

export const BUCKET_MS = 10;

export interface CaptureAnalysis {
  connections: TcpConnection[];
  coverage: Record<string, NetworkCoverage>;
  /**
   * Per network, packets by `srcMac>dstMac|src>dst` (IP packets of any protocol): what the
   * cross-checks read to tell which router a packet left or entered.
   */
  frames: Record<string, Map<string, Buckets>>;
}

/** How many bytes of each side's stream are kept to read the handshake and the first message's header. */
const STREAM_BYTES = 2048;
/** Two packets of a connection further apart than this end a stretch of activity. */
const ACTIVE_GAP_MS = 200;
/** Retransmissions listed per connection (all are counted in the HTML page's ladder up to this). */
const RETRANSMISSIONS_KEPT = 200;

interface Side {
  /** The initial sequence number (its SYN's), or the first seen minus one. */
  isn?: number;
  /** The highest sequence number seen past data (relative to isn). */
  high: number;
  bytes: Buffer;
  filled: number;
  /** Where each captured piece of the stream's start arrived: offset range and time. */
  arrivals: { from: number; to: number; ms: number }[];
  fin: boolean;
}

interface Tracked {
  connection: TcpConnection;
  client: Side;
  server: Side;
  /** The ISN of the client's SYN: a connection is the same across networks (and NAT) by it. */
  key: string;
  /** Per network: the highest data end seen from each side, to tell a retransmission from the same packet on another network. */
  seen: Map<string, { client: number; server: number; syn: boolean }>;
}

const side = (): Side => ({ high: 0, bytes: Buffer.alloc(STREAM_BYTES), filled: 0, arrivals: [], fin: false });

/** Sequence arithmetic modulo 2^32: b - a as a signed 32-bit distance. */
const distance = (a: number, b: number) => (b - a) | 0;

/** Reads packets as they come (each network's in time order) and says what it saw. */
export class CaptureAnalyzer {
  private readonly tracked = new Map<string, Tracked>();
  /** A 4-tuple (as seen on a network) to the connection it belongs to. */
  private readonly byTuple = new Map<string, Tracked>();
  private readonly coverage: Record<string, NetworkCoverage> = {};
  private readonly frames: Record<string, Map<string, Buckets>> = {};

  add(network: string, ms: number, packet: IpPacket | undefined): void {
    const cover = (this.coverage[network] ??= { packets: 0 });
    cover.packets++;
    cover.firstMs = cover.firstMs === undefined ? ms : Math.min(cover.firstMs, ms);
    cover.lastMs = cover.lastMs === undefined ? ms : Math.max(cover.lastMs, ms);
    if (!packet) return;
    const flows = (this.frames[network] ??= new Map());
    const key = `${packet.srcMac ?? "-"}>${packet.dstMac ?? "-"}|${packet.src}>${packet.dst}`;
    let buckets = flows.get(key);
    if (!buckets) flows.set(key, (buckets = new Map()));
    const bucket = Math.floor(ms / BUCKET_MS);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + 1);
    if (packet.tcp) this.tcp(network, ms, packet, packet.tcp);
  }

  private tcp(network: string, ms: number, ip: IpPacket, tcp: TcpSegment): void {
    const tuple = `${network}|${ip.src}|${tcp.srcPort}|${ip.dst}|${tcp.dstPort}`;
    const reverse = `${network}|${ip.dst}|${tcp.dstPort}|${ip.src}|${tcp.srcPort}`;
    let t = this.byTuple.get(tuple) ?? this.byTuple.get(reverse);
    if (t && tcp.syn && !tcp.ack_ && t.client.isn !== undefined && t.client.isn !== tcp.seq && t.connection.end) {
      // A new connection on the same ports after the last one ended.
      this.byTuple.delete(tuple);
      t = undefined;
    }
    if (!t) t = this.open(network, ms, ip, tcp, tuple);
    const c = t.connection;
    if (!c.networks.includes(network)) c.networks.push(network);
    const fromClient = ip.src === c.client.address && tcp.srcPort === c.client.port;
    const from = fromClient ? "client" : "server";
    const me = fromClient ? t.client : t.server;
    const seen = t.seen.get(network) ?? { client: 0, server: 0, syn: false };
    t.seen.set(network, seen);
    c.packets++;
    c.lastMs = Math.max(c.lastMs, ms);
    const last = c.active.at(-1);
    if (last && ms <= last.endMs + ACTIVE_GAP_MS) last.endMs = Math.max(last.endMs, ms);
    // (Each network is read in turn: a second network's packets fall into the stretches of the first's.)
    else if (c.active.length < 2000 && !c.active.some((a) => ms >= a.startMs - ACTIVE_GAP_MS && ms <= a.endMs + ACTIVE_GAP_MS)) c.active.push({ startMs: ms, endMs: ms });
    if (tcp.syn) {
      if (me.isn === undefined) me.isn = tcp.seq;
      if (fromClient && !tcp.ack_) {
        // The same SYN on a second network is not a retransmission; on the same network it is.
        if (c.synMs === undefined) c.synMs = ms;
        else if (seen.syn) this.retransmitted(c, ms, from);
        seen.syn = true;
      } else if (!fromClient && tcp.ack_) {
        if (c.synAckMs === undefined) c.synAckMs = ms;
      }
      return;
    }
    if (me.isn === undefined) me.isn = (tcp.seq - 1) >>> 0;
    const start = distance(me.isn, tcp.seq) - 1;
    const end = start + tcp.length;
    if (tcp.length > 0) {
      const mine = fromClient ? seen.client : seen.server;
      // Already seen on this network: sent again (a keep-alive's one byte before the next is not data).
      if (end <= mine && !(tcp.length <= 1 && end === mine)) this.retransmitted(c, ms, from);
      if (fromClient) seen.client = Math.max(seen.client, end);
      else seen.server = Math.max(seen.server, end);
      this.stream(me, start, tcp.payload, ms);
      me.high = Math.max(me.high, end);
    }
    if ((tcp.fin || tcp.rst) && !c.end) c.end = { kind: tcp.rst ? "rst" : "fin", ms, from };
  }

  private retransmitted(c: TcpConnection, ms: number, from: "client" | "server"): void {
    if (c.retransmissions.length < RETRANSMISSIONS_KEPT) c.retransmissions.push({ ms, from });
  }

  private open(network: string, ms: number, ip: IpPacket, tcp: TcpSegment, tuple: string): Tracked {
    // Who opened it: the SYN's sender; without a SYN, the side with the higher (ephemeral) port.
    const clientIsSource = tcp.syn ? !tcp.ack_ : tcp.srcPort > tcp.dstPort;
    const client = clientIsSource ? { address: ip.src, port: tcp.srcPort } : { address: ip.dst, port: tcp.dstPort };
    const server = clientIsSource ? { address: ip.dst, port: tcp.dstPort } : { address: ip.src, port: tcp.srcPort };
    // The same connection on another network (or behind a NAT that rewrote one end) carries the
    // same client ISN and client end.
    const key = tcp.syn && !tcp.ack_ ? `${client.address}|${client.port}|${tcp.seq}` : `${client.address}|${client.port}|${server.address}|${server.port}`;
    let t = this.tracked.get(key);
    if (t) {
      const c = t.connection;
      const same = (a: TcpEnd, b: TcpEnd) => a.address === b.address && a.port === b.port;
      if ((!same(client, c.client) || !same(server, c.server)) && !c.translated?.some((v) => v.network === network)) (c.translated ??= []).push({ network, client, server });
    } else {
      t = {
        key,
        client: side(),
        server: side(),
        seen: new Map(),
        connection: { client, server, networks: [network], zmtp: false, clientSide: {}, serverSide: {}, retransmissions: [], lastMs: ms, packets: 0, active: [] },
      };
      this.tracked.set(key, t);
    }
    this.byTuple.set(tuple, t);
    return t;
  }

  /** Keep the first bytes of a side's stream, and when each arrived. */
  private stream(me: Side, start: number, payload: Buffer, ms: number): void {
    if (start >= STREAM_BYTES || start < 0) return;
    const take = payload.subarray(0, STREAM_BYTES - start);
    if (take.length === 0) return;
    take.copy(me.bytes, start);
    me.arrivals.push({ from: start, to: start + take.length, ms });
    // Contiguous bytes from 0 on.
    let filled = me.filled;
    for (let moved = true; moved;) {
      moved = false;
      for (const a of me.arrivals) {
        if (a.from <= filled && a.to > filled) {
          filled = a.to;
          moved = true;
        }
      }
    }
    me.filled = filled;
  }

  /** What the packets showed. */
  result(): CaptureAnalysis {
    const connections = [...this.tracked.values()].map((t) => {
      const c = t.connection;
      c.clientSide = readZmtp(t.client);
      c.serverSide = readZmtp(t.server);
      c.zmtp = c.clientSide.version !== undefined || c.serverSide.version !== undefined;
      c.retransmissions.sort((a, b) => a.ms - b.ms);
      c.active = mergeSpans(c.active);
      return c;
    });
    connections.sort((a, b) => (a.synMs ?? a.lastMs) - (b.synMs ?? b.lastMs));
    return { connections, coverage: this.coverage, frames: this.frames };
  }
}

/** Stretches of activity in time order, those that meet (within the gap) made one. */
function mergeSpans(spans: { startMs: number; endMs: number }[]): { startMs: number; endMs: number }[] {
  const merged: { startMs: number; endMs: number }[] = [];
  for (const s of [...spans].sort((a, b) => a.startMs - b.startMs)) {
    const last = merged.at(-1);
    if (last && s.startMs <= last.endMs + ACTIVE_GAP_MS) last.endMs = Math.max(last.endMs, s.endMs);
    else merged.push({ ...s });
  }
  return merged;
}

/** When the byte at `offset` of a side's stream first arrived. */
function arrival(me: Side, offset: number): number | undefined {
  let first: number | undefined;
  for (const a of me.arrivals) if (a.from <= offset && offset < a.to && (first === undefined || a.ms < first)) first = a.ms;
  return first;
}

/** The ZMTP 3 greeting, READY and first message at the start of one side's stream. */
export function readZmtp(me: Pick<Side, "bytes" | "filled" | "arrivals">): ZmtpSide {
  const b = me.bytes.subarray(0, me.filled);
  const result: ZmtpSide = {};
  if (b.length < 10 || b[0] !== 0xff || b[9] !== 0x7f) return result;
  if (b.length < 64) return result;
  const major = b[10]!;
  const minor = b[11]!;
  if (major < 3) return result;
  result.version = `${major}.${minor}`;
  result.mechanism = b.subarray(12, 32).toString("latin1").replace(/\0+$/, "");
  const greeting = arrival(me as Side, 63);
  if (greeting !== undefined) result.greetingMs = greeting;
  // Frames: flags (bit 0 more, bit 1 long size, bit 2 command), size (1 or 8 bytes), body.
  let at = 64;
  while (at + 2 <= b.length) {
    const flags = b[at]!;
    const long = (flags & 0x02) !== 0;
    const headerLength = long ? 9 : 2;
    if (at + headerLength > b.length) break;
    const size = long ? Number(b.readBigUInt64BE(at + 1)) : b[at + 1]!;
    const bodyAt = at + headerLength;
    const when = arrival(me as Side, at);
    if ((flags & 0x04) !== 0) {
      if (bodyAt + size > b.length) break;
      const nameLength = b[bodyAt]!;
      const name = b.subarray(bodyAt + 1, bodyAt + 1 + nameLength).toString("latin1");
      if (name === "READY" && result.readyMs === undefined) {
        if (when !== undefined) result.readyMs = arrival(me as Side, bodyAt + size - 1) ?? when;
        const type = readyProperty(b.subarray(bodyAt + 1 + nameLength, bodyAt + size), "Socket-Type");
        if (type !== undefined) result.socketType = type;
      }
    } else {
      if (when !== undefined) result.firstMessageMs = when;
      break;
    }
    at = bodyAt + size;
  }
  return result;
}

/** A property of a READY command's metadata: name (1-byte length), value (4-byte length). */
function readyProperty(body: Buffer, wanted: string): string | undefined {
  let at = 0;
  while (at + 1 <= body.length) {
    const nameLength = body[at]!;
    const name = body.subarray(at + 1, at + 1 + nameLength).toString("latin1");
    at += 1 + nameLength;
    if (at + 4 > body.length) return undefined;
    const valueLength = body.readUInt32BE(at);
    const value = body.subarray(at + 4, at + 4 + valueLength).toString("latin1");
    at += 4 + valueLength;
    if (name.toLowerCase() === wanted.toLowerCase()) return value;
  }
  return undefined;
}

/**
 * Packets in a time window (ms since time 0) of one set of buckets. `"touching"`: every bucket the
 * window touches (a packet up to a bucket's width outside may count); `"within"`: only buckets the
 * window holds whole (one up to a bucket's width inside may not). A check that accuses picks the one
 * that cannot accuse wrongly.
 */
export function countIn(buckets: Buckets | undefined, fromMs: number, toMs: number, edge: "touching" | "within" = "touching"): number {
  if (!buckets) return 0;
  let n = 0;
  const first = edge === "touching" ? Math.floor(fromMs / BUCKET_MS) : Math.ceil(fromMs / BUCKET_MS);
  const last = edge === "touching" ? Math.floor(toMs / BUCKET_MS) : Math.floor(toMs / BUCKET_MS) - 1;
  for (const [bucket, count] of buckets) if (bucket >= first && bucket <= last) n += count;
  return n;
}
