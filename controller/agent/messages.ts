// Message framing and receive accounting. Pure: no sockets, no clocks except what callers pass.
//
// Every message the agent sends ends with the same three frames:
//
//   [topic, header, payload]
//
// - topic: the send topic, or "" (an empty frame). It comes first so that SUB/XSUB prefix
//   matching, which libzmq applies to the first frame only, sees the topic.
// - header: compact JSON {"s": sender endpoint name, "n": sequence number}.
// - payload: `size` bytes of "x".
//
// Sockets that route add frames in front (a ROUTER sees [identity, "", ...], a DEALER sends
// ["", ...] so that a REP accepts it), so receivers parse from the end: the header is always the
// second-to-last frame and the payload the last. Whatever precedes the topic is the routing
// envelope, which a ROUTER copies into its reply.

export interface Header {
  /** Sender endpoint name. */
  s: string;
  /** Sequence number, 0..count-1 per sender (for replies: per requester, see Replies). */
  n: number;
}

export interface Decoded {
  sender: string;
  seq: number;
  /** Frames before the topic: a ROUTER's identity and delimiter; empty for other sockets. */
  envelope: Buffer[];
  payload: Buffer;
}

// "x" rather than zeros: an XPUB treats any frame starting with byte 0 or 1 as an
// (un)subscription, including the parts of a message an XSUB sends upstream.
const FILL = 0x78;

export function encodeHeader(sender: string, seq: number): Buffer {
  const header: Header = { s: sender, n: seq };
  return Buffer.from(JSON.stringify(header));
}

export function makePayload(size: number): Buffer {
  return Buffer.alloc(size, FILL);
}

/** [topic, header, payload]; pass a ready payload to avoid allocating one per message. */
export function encodeMessage(sender: string, seq: number, payload: Buffer, topic = ""): Buffer[] {
  return [Buffer.from(topic), encodeHeader(sender, seq), payload];
}

/** A reply goes back through `envelope` (empty for REP, which keeps the envelope itself). */
export function encodeReply(envelope: Buffer[], replier: string, seq: number, payload: Buffer): Buffer[] {
  return [...envelope, Buffer.alloc(0), encodeHeader(replier, seq), payload];
}

/** Null when the message is not one of ours (fewer than two frames, header not our JSON). */
export function decodeMessage(frames: Buffer[]): Decoded | null {
  const n = frames.length;
  const headerFrame = frames[n - 2];
  const payload = frames[n - 1];
  if (headerFrame === undefined || payload === undefined) return null;
  let header: unknown;
  try {
    header = JSON.parse(headerFrame.toString("utf8"));
  } catch {
    return null;
  }
  if (typeof header !== "object" || header === null) return null;
  const { s, n: seq } = header as Record<string, unknown>;
  if (typeof s !== "string" || typeof seq !== "number" || !Number.isInteger(seq) || seq < 0) return null;
  return { sender: s, seq, envelope: frames.slice(0, Math.max(0, n - 3)), payload };
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

/**
 * Counts what a receiver got, per sender, and checks each sender's sequence numbers:
 * - duplicate: a number already seen;
 * - reordered: a new number lower than the highest already seen (it arrived late);
 * - gaps: numbers below the highest seen that never arrived (counted at the end, so a late
 *   message fills its gap).
 */
export class Accounting {
  received = 0;
  duplicates = 0;
  reordered = 0;
  private readonly perSender = new Map<string, { count: number; max: number; seen: Set<number> }>();
  private first: number | undefined;
  private last: number | undefined;

  /** `now` in ms, any monotonic clock; used for the receive rate only. */
  record(sender: string, seq: number, now: number): void {
    this.tick(now);
    let s = this.perSender.get(sender);
    if (!s) {
      s = { count: 0, max: -1, seen: new Set() };
      this.perSender.set(sender, s);
    }
    s.count++;
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
    this.tick(now);
    const s = this.perSender.get(sender) ?? { count: 0, max: -1, seen: new Set<number>() };
    s.count++;
    this.perSender.set(sender, s);
  }

  get gaps(): number {
    let missing = 0;
    for (const s of this.perSender.values()) missing += s.max + 1 - s.seen.size;
    return missing;
  }

  /** The highest sequence number seen from each sender (senders with numbered messages only). */
  get highest(): Record<string, number> {
    return Object.fromEntries([...this.perSender].filter(([, s]) => s.max >= 0).map(([name, s]) => [name, s.max]));
  }

  get from(): Record<string, number> {
    return Object.fromEntries([...this.perSender].map(([name, s]) => [name, s.count]));
  }

  /** Messages per second between the first and the last message. */
  get rate(): number | undefined {
    if (this.first === undefined || this.last === undefined) return undefined;
    return rateOf(this.received, this.first, this.last);
  }

  private tick(now: number): void {
    this.received++;
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
