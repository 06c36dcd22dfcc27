// The receive timeline of one endpoint, pure: progress samples and silences, in wall time
// (Date.now(): lab containers share the host's clock, so the controller can place faults on it).
import { SILENCE_MS } from "../shared/protocol.js";

/**
 * A stretch without messages: from the last message before it to the first after it (wall ms);
 * `end` null when none came after. `lastSent` and `nextSent`: when those two messages were sent
 * (their headers' time), where they said: whether the stream had stopped at a fault is read from them.
 */
export interface Silence {
  start: number;
  end: number | null;
  lastSent?: number;
  nextSent?: number;
}

/** Finds silences among the arrival times of one receiver's messages. */
export class Silences {
  private firstAt: number | undefined;
  private lastAt: number | undefined;
  private lastSent: number | undefined;

  constructor(readonly thresholdMs = SILENCE_MS) {}

  /**
   * A message arrived at `now` (sent at `sentAt`, when its header says): returns the silence it
   * ends, when the gap since the previous message was longer than the threshold.
   */
  arrival(now: number, sentAt?: number): Silence | undefined {
    const previous = this.lastAt;
    const previousSent = this.lastSent;
    this.lastAt = now;
    this.lastSent = sentAt;
    this.firstAt ??= now;
    if (previous !== undefined && now - previous > this.thresholdMs) {
      return { start: previous, end: now, ...(previousSent !== undefined ? { lastSent: previousSent } : {}), ...(sentAt !== undefined ? { nextSent: sentAt } : {}) };
    }
    return undefined;
  }

  /** At stop (`now`): the silence still going on, if the last message is longer ago than the threshold. */
  open(now: number): Silence | undefined {
    if (this.lastAt !== undefined && now - this.lastAt > this.thresholdMs) return { start: this.lastAt, end: null, ...(this.lastSent !== undefined ? { lastSent: this.lastSent } : {}) };
    return undefined;
  }

  get first(): number | undefined {
    return this.firstAt;
  }

  get last(): number | undefined {
    return this.lastAt;
  }
}

/** The counts a tick reports; a tick is due when any of them changed. */
export interface Progress {
  sent: number;
  received: number;
  gaps: number;
  duplicates: number;
  reordered: number;
  from: Record<string, number>;
}

export function progressKey(p: Progress): string {
  return `${p.sent}/${p.received}/${p.gaps}/${p.duplicates}/${p.reordered}`;
}
