// Message framing and receive accounting. Pure: no sockets, no clocks except what callers pass.
//
// zmqlab's agent sends each message as ONE frame, its header at the end (a trailer):
//
//   [topic bytes, payload bytes, trailer]
//
// - topic: the send topic's bytes, or nothing. It comes first so that SUB/XSUB prefix matching,
//   which libzmq applies to the start of the first frame, sees it.
// - payload: `size` bytes of "x".
// - trailer: who sent it, its sequence number, the sender's life, and when it was sent; 20 bytes
//   and the sender's name (L bytes), read from the frame's end:
//     +0       0x5A ("Z")            its first byte (never 0 or 1: see FILL)
//     +1..2    life, u16 big-endian  1 for a sender's first run; a sender started again after
//                                    its node was restarted counts its messages again from 0 as life 2
//     +3..8    seq, u48 big-endian   0, 1, 2, ... per sender and life
//     +9..16   sent at, f64 BE       ms since the Unix epoch, with sub-ms precision (lab containers
//                                    share the host's clock, so receivers can read one-way latency)
//     +17..    the sender's name, UTF-8, L bytes
//     end-3    L, u8
//     end-2    0x02                  version
//     end-1    0x5A ("Z")            marks zmqlab's trailer
// One frame, not three: zeromq.js makes a Buffer per frame received, and a three-frame message
// carries 1.5 to 1.9 times fewer messages per second through it than a one-frame one (the bench).
//
// Receivers also read the three-frame framing, which programs send (and the agent's replies):
//
//   [topic, header, payload]
//
// with the header in binary (version 1, below) or as compact JSON
// {"s": sender, "n": seq, "l": life, "t": sent at}, "l" and "t" optional. The binary header,
// 18 bytes and the sender's name:
//   0      0x5A ("Z")            marks zmqlab's binary header
//   1      0x01                  version
//   2..3   life, u16 big-endian
//   4..9   seq, u48 big-endian
//   10..17 sent at, f64 BE, ms since the Unix epoch
//   18..   the sender's name, UTF-8
//
// Sockets that route add frames in front (a ROUTER sees [identity, "", ...], a DEALER sends
// ["", ...] so that a REP accepts it), so receivers parse from the end: a message whose
// second-to-last frame is a header is three-frame (the payload last); otherwise the last frame
// must end with a trailer. Whatever precedes the topic is the routing envelope, which a ROUTER
// copies into its reply.
import { wallNow } from "../shared/clock.js";

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
const TRAILER_VERSION = 2;
/** A trailer's bytes besides the name: Z, life, seq, sent at, name length, version, Z. */
const TRAILER_FIXED = 20;
/** Sequence numbers fit 48 bits (Buffer.writeUIntBE's limit): 2.8e14 messages per sender and life. */
const SEQ_BYTES = 6;

// "x" rather than zeros: an XPUB treats any frame starting with byte 0 or 1 as an
// (un)subscription, including the parts of a message an XSUB sends upstream.
const FILL = 0x78;

/** The wall clock with sub-ms precision (Date.now() counts whole ms). */
export { wallNow };

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

/**
 * libzmq copies frames of up to 128 bytes when they are sent (zeromq.js's zero-copy threshold),
 * so a frame that short can be written again for the next message once send() returned.
 */
const COPIED_ON_SEND = 128;

/**
 * A sender's messages, one frame each (topic, payload, trailer), with the per-message work cut
 * to the trailer's changing fields: the frame is made once; one that libzmq copies on send is
 * rewritten in place (see COPIED_ON_SEND), a longer one copied per message. A name longer than
 * 255 bytes does not fit the trailer: such a sender sends three frames.
 */
export class MessageWriter {
  private readonly frame: Buffer;
  /** Where the trailer starts. */
  private readonly at: number;
  private readonly reuse: boolean;
  private readonly frames: Buffer[];
  private readonly long?: { topic: Buffer; header: Buffer; payload: Buffer };

  constructor(sender: string, payload: Buffer, topic = "", life = 1) {
    const name = Buffer.from(sender);
    const head = Buffer.from(topic);
    this.at = head.length + payload.length;
    if (name.length > 255) {
      this.long = { topic: head, header: encodeHeader(sender, 0, life, 0), payload };
      this.frame = this.long.header;
    } else {
      const trailer = Buffer.alloc(TRAILER_FIXED + name.length);
      trailer[0] = MAGIC;
      trailer.writeUInt16BE(life, 1);
      name.copy(trailer, 17);
      trailer[17 + name.length] = name.length;
      trailer[18 + name.length] = TRAILER_VERSION;
      trailer[19 + name.length] = MAGIC;
      this.frame = Buffer.concat([head, payload, trailer]);
    }
    this.reuse = this.frame.length <= COPIED_ON_SEND;
    this.frames = this.long ? [this.long.topic, this.long.header, payload] : [this.frame];
  }

  /**
   * The frames of message `seq`, sent at `sentAt` (0: no time, for measuring what the time stamp
   * costs). Valid until the next call: send them before asking for the next message.
   */
  message(seq: number, sentAt: number): Buffer[] {
    const frame = this.reuse ? this.frame : Buffer.from(this.frame);
    if (this.long) {
      frame.writeUIntBE(seq, 4, SEQ_BYTES);
      frame.writeDoubleBE(sentAt, 10);
      return this.reuse ? this.frames : [this.long.topic, frame, this.long.payload];
    }
    frame.writeUIntBE(seq, this.at + 3, SEQ_BYTES);
    frame.writeDoubleBE(sentAt, this.at + 9);
    return this.reuse ? this.frames : [frame];
  }
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

const NO_ENVELOPE: Buffer[] = [];

/** Null when the message is not one of ours (no header of ours second to last, and no trailer of ours last). */
export function decodeMessage(frames: Buffer[]): Decoded | null {
  const n = frames.length;
  const last = frames[n - 1];
  if (last === undefined) return null;
  const headerFrame = frames[n - 2];
  if (headerFrame !== undefined) {
    const envelope = n > 3 ? frames.slice(0, n - 3) : NO_ENVELOPE;
    // The agent's own binary header, without an intermediate object: this runs for every message.
    if (headerFrame.length >= FIXED && headerFrame[0] === MAGIC && headerFrame[1] === VERSION) {
      const life = headerFrame.readUInt16BE(2);
      if (life < 1) return null;
      return { sender: senderName(headerFrame, FIXED, headerFrame.length - FIXED), seq: headerFrame.readUIntBE(4, SEQ_BYTES), life, sentAt: headerFrame.readDoubleBE(10), envelope, payload: last };
    }
    const header = decodeHeader(headerFrame);
    if (header) return { sender: header.sender, seq: header.seq, life: header.life, ...(header.sentAt !== undefined ? { sentAt: header.sentAt } : {}), envelope, payload: last };
  }
  return decodeTrailer(last, n > 1 ? frames.slice(0, n - 1) : NO_ENVELOPE);
}

/** One frame ending with zmqlab's trailer (see the top of this file); null when it does not. */
function decodeTrailer(frame: Buffer, envelope: Buffer[]): Decoded | null {
  const end = frame.length;
  if (end < TRAILER_FIXED || frame[end - 1] !== MAGIC || frame[end - 2] !== TRAILER_VERSION) return null;
  const length = frame[end - 3]!;
  const at = end - TRAILER_FIXED - length;
  if (at < 0 || frame[at] !== MAGIC) return null;
  const life = frame.readUInt16BE(at + 1);
  if (life < 1) return null;
  return { sender: senderName(frame, at + 17, length), seq: frame.readUIntBE(at + 3, SEQ_BYTES), life, sentAt: frame.readDoubleBE(at + 9), envelope, payload: frame.subarray(0, at) };
}

/** The names last read from binary headers, by their bytes: a receiver hears few senders, each many times. */
const names: { bytes: Buffer; name: string }[] = [];
const NAMES_KEPT = 16;

/** The name in `length` bytes of `frame` from `start`. */
function senderName(frame: Buffer, start: number, length: number): string {
  for (const known of names) {
    if (known.bytes.length === length && frame.compare(known.bytes, 0, length, start, start + length) === 0) return known.name;
  }
  const bytes = Buffer.from(frame.subarray(start, start + length));
  const name = bytes.toString("utf8");
  if (names.length >= NAMES_KEPT) names.shift();
  names.push({ bytes, name });
  return name;
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
 * The sequence numbers seen from one sender's life, as runs of consecutive numbers: a stream in
 * order is one run however long, and each gap (or late arrival still missing its neighbours)
 * adds one. Cheaper than a set of every number, and exact.
 */
export class SeenNumbers {
  /** Run i holds starts[i] up to (not including) ends[i]; runs are sorted and never touch. */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  /** How many numbers were seen. */
  count = 0;
  /** The highest seen; -1 before the first. */
  max = -1;

  /** Adds `n`; false when it had been seen already. */
  add(n: number): boolean {
    const last = this.ends.length - 1;
    if (last >= 0 && n === this.ends[last]) {
      this.ends[last] = n + 1;
    } else if (last < 0 || n > this.ends[last]!) {
      this.starts.push(n);
      this.ends.push(n + 1);
    } else {
      // Below the last run's end: in a run (seen), or in the hole before run `i + 1`.
      let lo = 0;
      let hi = last;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (this.starts[mid]! <= n) lo = mid + 1;
        else hi = mid - 1;
      }
      const i = hi;
      if (i >= 0 && n < this.ends[i]!) return false;
      const joinsLeft = i >= 0 && this.ends[i] === n;
      const joinsRight = this.starts[i + 1] === n + 1;
      if (joinsLeft && joinsRight) {
        this.ends[i] = this.ends[i + 1]!;
        this.starts.splice(i + 1, 1);
        this.ends.splice(i + 1, 1);
      } else if (joinsLeft) {
        this.ends[i] = n + 1;
      } else if (joinsRight) {
        this.starts[i + 1] = n;
      } else {
        this.starts.splice(i + 1, 0, n);
        this.ends.splice(i + 1, 0, n + 1);
      }
    }
    this.count++;
    if (n > this.max) this.max = n;
    return true;
  }

  /** Numbers below the highest seen that never came. */
  get missing(): number {
    return this.max + 1 - this.count;
  }
}

/** What a receiver knows of one sender: its messages, and the numbers of each of its lives. */
interface SenderState {
  count: number;
  /** It shares its messages among several receivers: no gap accounting. */
  spreading: boolean;
  lives: Map<number, SeenNumbers>;
  /** The life of its last message, and its numbers: the next message is almost always of the same. */
  lastLife: number;
  last: SeenNumbers | undefined;
}

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
  private readonly senders = new Map<string, SenderState>();
  private first: number | undefined;
  private last: number | undefined;

  /**
   * `spreading`: senders whose messages are shared among several receivers (a PUSH, DEALER or REQ
   * with several peers): a receiver sees only some of their numbers, so their gaps say nothing.
   */
  constructor(private readonly spreading: ReadonlySet<string> = new Set()) {}

  /** `now` in ms, any monotonic clock; used for the receive rate only. */
  record(sender: string, seq: number, now: number, life = 1): void {
    const s = this.tick(now, sender);
    if (s.spreading) return;
    let seen = s.last;
    if (seen === undefined || s.lastLife !== life) {
      seen = s.lives.get(life);
      if (seen === undefined) {
        seen = new SeenNumbers();
        s.lives.set(life, seen);
      }
      s.last = seen;
      s.lastLife = life;
    }
    const max = seen.max;
    if (!seen.add(seq)) {
      this.duplicates++;
      return;
    }
    if (seq < max) this.reordered++;
  }

  /** A message that was not ours (or read raw): counted, but it has no sequence to check. */
  recordUnknown(now: number, sender = UNKNOWN_SENDER): void {
    this.tick(now, sender);
  }

  get gaps(): number {
    let missing = 0;
    for (const s of this.senders.values()) for (const seen of s.lives.values()) missing += seen.missing;
    return missing;
  }

  /** The highest sequence number seen from each sender's life (see lifeKey; numbered messages only). */
  get highest(): Record<string, number> {
    const highest: Record<string, number> = {};
    for (const [sender, s] of this.senders) for (const [life, seen] of s.lives) highest[lifeKey(sender, life)] = seen.max;
    return highest;
  }

  get from(): Record<string, number> {
    const from: Record<string, number> = {};
    for (const [sender, s] of this.senders) from[sender] = s.count;
    return from;
  }

  /** Messages per second between the first and the last message. */
  get rate(): number | undefined {
    if (this.first === undefined || this.last === undefined) return undefined;
    return rateOf(this.received, this.first, this.last);
  }

  private tick(now: number, sender: string): SenderState {
    this.received++;
    let s = this.senders.get(sender);
    if (s === undefined) {
      s = { count: 0, spreading: this.spreading.has(sender), lives: new Map(), lastLife: 0, last: undefined };
      this.senders.set(sender, s);
    }
    s.count++;
    this.first ??= now;
    this.last = now;
    return s;
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
