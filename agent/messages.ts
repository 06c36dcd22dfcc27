// Message framing and receive accounting. Pure: no sockets, no clocks except what callers pass.
//
// Every message the agent sends ends with the same three frames:
//
//   [topic, header, payload]
//
// - topic: the send topic, or "" (an empty frame). It comes first so that SUB/XSUB prefix
//   matching, which libzmq applies to the first frame only, sees the topic.
// - header: who sent it, its sequence number, the sender's life, and when it was sent. The agent
//   writes it in binary (below); a program may write the same as compact JSON
//   {"s": sender, "n": seq, "l": life, "t": sent at}, with "l" and "t" optional.
// - payload: `size` bytes of "x".
//
// The binary header, 18 bytes and the sender's name:
//   0      0x5A ("Z")            marks zmqlab's binary header
//   1      0x01                  version
//   2..3   life, u16 big-endian  1 for a sender's first run; a sender started again after its
//                                node was restarted counts its messages again from 0 as life 2
//   4..9   seq, u48 big-endian   0, 1, 2, ... per sender and life
//   10..17 sent at, f64 BE       ms since the Unix epoch, with sub-ms precision (lab containers
//                                share the host's clock, so receivers can read one-way latency)
//   18..   the sender's name, UTF-8
//
// Sockets that route add frames in front (a ROUTER sees [identity, "", ...], a DEALER sends
// ["", ...] so that a REP accepts it), so receivers parse from the end: the header is always the
// second-to-last frame and the payload the last. Whatever precedes the topic is the routing
// envelope, which a ROUTER copies into its reply.

export interface Header {
  /** Sender endpoint name. */
  sender: string;
  /** Sequence number, 0.. per sender and life (for replies: per requester, see Replies). */
  seq: number;
  /** The sender's life: 1, or 2, 3, ... after its node was started again. */
  life: number;
  /** When it was sent, ms since the Unix epoch; absent in a program's JSON header without "t". */
  sentAt?: number;
}

export interface Decoded extends Header {
  /** Frames before the topic: a ROUTER's identity and delimiter; empty for other sockets. */
  envelope: Buffer[];
  payload: Buffer;
}

const MAGIC = 0x5a;
const VERSION = 1;
const FIXED = 18;
/** Sequence numbers fit 48 bits (Buffer.writeUIntBE's limit): 2.8e14 messages per sender and life. */
const SEQ_BYTES = 6;

// "x" rather than zeros: an XPUB treats any frame starting with byte 0 or 1 as an
// (un)subscription, including the parts of a message an XSUB sends upstream.
const FILL = 0x78;

/** The wall clock with sub-ms precision (Date.now() counts whole ms). */
export const wallNow = (): number => performance.timeOrigin + performance.now();

export function encodeHeader(sender: string, seq: number, life = 1, sentAt = wallNow()): Buffer {
  const name = Buffer.from(sender);
  const header = Buffer.allocUnsafe(FIXED + name.length);
  header[0] = MAGIC;
  header[1] = VERSION;
  header.writeUInt16BE(life, 2);
  header.writeUIntBE(seq, 4, SEQ_BYTES);
  header.writeDoubleBE(sentAt, 10);
  name.copy(header, FIXED);
  return header;
}

/** The header a program may write instead, as JSON. */
export function jsonHeader(h: Header): Buffer {
  return Buffer.from(JSON.stringify({ s: h.sender, n: h.seq, ...(h.life !== 1 ? { l: h.life } : {}), ...(h.sentAt !== undefined ? { t: h.sentAt } : {}) }));
}

export function makePayload(size: number): Buffer {
  return Buffer.alloc(size, FILL);
}

/** What a sender puts in every header besides the sequence number. */
export interface SenderMark {
  life?: number;
  /** Sending time (ms since the epoch); now when absent. */
  sentAt?: number;
}

/** [topic, header, payload]; pass a ready payload to avoid allocating one per message. */
export function encodeMessage(sender: string, seq: number, payload: Buffer, topic = "", mark: SenderMark = {}): Buffer[] {
  return [Buffer.from(topic), encodeHeader(sender, seq, mark.life ?? 1, mark.sentAt ?? wallNow()), payload];
}

/** A reply goes back through `envelope` (empty for REP, which keeps the envelope itself). */
export function encodeReply(envelope: Buffer[], replier: string, seq: number, payload: Buffer, mark: SenderMark = {}): Buffer[] {
  return [...envelope, Buffer.alloc(0), encodeHeader(replier, seq, mark.life ?? 1, mark.sentAt ?? wallNow()), payload];
}

/** The binary header or the JSON one; null when it is neither (not one of ours). */
export function decodeHeader(frame: Buffer): Header | null {
  if (frame.length >= FIXED && frame[0] === MAGIC && frame[1] === VERSION) {
    const life = frame.readUInt16BE(2);
    if (life < 1) return null;
    return { sender: frame.toString("utf8", FIXED), seq: frame.readUIntBE(4, SEQ_BYTES), life, sentAt: frame.readDoubleBE(10) };
  }
  // JSON starts with "{": anything else is not a header (and not worth parsing).
  if (frame[0] !== 0x7b) return null;
  let header: unknown;
  try {
    header = JSON.parse(frame.toString("utf8"));
  } catch {
    return null;
  }
  if (typeof header !== "object" || header === null) return null;
  const { s, n, l, t } = header as Record<string, unknown>;
  if (typeof s !== "string" || !isCount(n)) return null;
  if (l !== undefined && !(isCount(l) && l >= 1)) return null;
  if (t !== undefined && (typeof t !== "number" || !Number.isFinite(t))) return null;
  return { sender: s, seq: n, life: (l as number | undefined) ?? 1, ...(t !== undefined ? { sentAt: t as number } : {}) };
}

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

/** Null when the message is not one of ours (fewer than two frames, or no header of ours). */
export function decodeMessage(frames: Buffer[]): Decoded | null {
  const n = frames.length;
  const headerFrame = frames[n - 2];
  const payload = frames[n - 1];
  if (headerFrame === undefined || payload === undefined) return null;
  const header = decodeHeader(headerFrame);
  if (!header) return null;
  return { ...header, envelope: frames.slice(0, Math.max(0, n - 3)), payload };
}

/** XSUB subscribes by sending byte 1 followed by the prefix. */
export function subscribeMessage(prefix: string): Buffer {
  return Buffer.concat([Buffer.from([1]), Buffer.from(prefix)]);
}

/** What an XPUB read: a subscribe (1), an unsubscribe (0), or data. */
export function subscriptionKind(frames: Buffer[]): "subscribe" | "unsubscribe" | "data" {
  if (frames.length === 1) {
    // An empty frame has no first byte: data.
    if (frames[0]![0] === 1) return "subscribe";
    if (frames[0]![0] === 0) return "unsubscribe";
  }
  return "data";
}

/** Messages whose header could not be parsed are counted under this sender name. */
export const UNKNOWN_SENDER = "?";
/** A `format: raw` receiver counts every message under this name (it cannot tell senders apart). */
export const RAW_SENDER = "raw";

/** What a `format: raw` sender sends: one frame, the topic's bytes then the payload's. */
export function encodeRaw(payload: Buffer, topic = ""): Buffer[] {
  return [topic ? Buffer.concat([Buffer.from(topic), payload]) : payload];
}

/** The key of a sender's life in `highest`: its name for life 1, `name#2` for life 2, ... */
export const lifeKey = (sender: string, life: number): string => (life === 1 ? sender : `${sender}#${life}`);

/**
 * Counts what a receiver got, per sender, and checks each sender's sequence numbers (per life:
 * a sender started again counts from 0 again):
 * - duplicate: a number already seen;
 * - reordered: a new number lower than the highest already seen (it arrived late);
 * - gaps: numbers below the highest seen that never arrived (counted at the end, so a late
 *   message fills its gap).
 */
export class Accounting {
  received = 0;
  duplicates = 0;
  reordered = 0;
  private readonly counts = new Map<string, number>();
  private readonly lives = new Map<string, { max: number; seen: Set<number> }>();
  private first: number | undefined;
  private last: number | undefined;

  /**
   * `spreading`: senders whose messages are shared among several receivers (a PUSH, DEALER or REQ
   * with several peers): a receiver sees only some of their numbers, so their gaps say nothing.
   */
  constructor(private readonly spreading: ReadonlySet<string> = new Set()) {}

  /** `now` in ms, any monotonic clock; used for the receive rate only. */
  record(sender: string, seq: number, now: number, life = 1): void {
    this.tick(now, sender);
    if (this.spreading.has(sender)) return;
    const key = lifeKey(sender, life);
    let s = this.lives.get(key);
    if (!s) {
      s = { max: -1, seen: new Set() };
      this.lives.set(key, s);
    }
    if (s.seen.has(seq)) {
      this.duplicates++;
      return;
    }
    if (seq < s.max) this.reordered++;
    s.seen.add(seq);
    if (seq > s.max) s.max = seq;
  }

  /** A message that was not ours (or read raw): counted, but it has no sequence to check. */
  recordUnknown(now: number, sender = UNKNOWN_SENDER): void {
    this.tick(now, sender);
  }

  get gaps(): number {
    let missing = 0;
    for (const s of this.lives.values()) missing += s.max + 1 - s.seen.size;
    return missing;
  }

  /** The highest sequence number seen from each sender's life (see lifeKey; numbered messages only). */
  get highest(): Record<string, number> {
    return Object.fromEntries([...this.lives].map(([key, s]) => [key, s.max]));
  }

  get from(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  /** Messages per second between the first and the last message. */
  get rate(): number | undefined {
    if (this.first === undefined || this.last === undefined) return undefined;
    return rateOf(this.received, this.first, this.last);
  }

  private tick(now: number, sender: string): void {
    this.received++;
    this.counts.set(sender, (this.counts.get(sender) ?? 0) + 1);
    this.first ??= now;
    this.last = now;
  }
}

/**
 * `count` events from `first` to `last` (ms) span count-1 intervals; undefined when that says
 * nothing (fewer than two events, or no measurable time between them).
 */
export function rateOf(count: number, first: number, last: number): number | undefined {
  if (count < 2 || last <= first) return undefined;
  return Math.round(((count - 1) * 1000 * 100) / (last - first)) / 100;
}

/**
 * Numbering of replies: a replier numbers the replies to each requester 0, 1, 2, ... so that
 * the requester's accounting per replier is contiguous even when a DEALER spreads its requests
 * over several repliers or several requesters share one replier.
 */
export class Replies {
  private readonly next = new Map<string, number>();

  seqFor(requester: string): number {
    const n = this.next.get(requester) ?? 0;
    this.next.set(requester, n + 1);
    return n;
  }
}
