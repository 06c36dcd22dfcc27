// The receive timeline of one endpoint, pure: progress samples and silences, in wall time
// (Date.now(): lab containers share the host's clock, so the controller can place faults on it).

/** How often a receiver reports its progress (when something changed), in ms. */
export const TICK_MS = 100;
/** An inter-arrival gap longer than this is a silence (ms). */
export const SILENCE_MS = 100;

/** A stretch without messages: from the last message before it to the first after it (wall ms); `end` null when none came after. */
export interface Silence {
  start: number;
  end: number | null;
}

/** Finds silences among the arrival times of one receiver's messages. */
export class Silences {
  private firstAt: number | undefined;
  private lastAt: number | undefined;

  constructor(readonly thresholdMs = SILENCE_MS) {}

  /** A message arrived at `now`: returns the silence it ends, when the gap since the previous message was longer than the threshold. */
  arrival(now: number): Silence | undefined {
    const previous = this.lastAt;
    this.lastAt = now;
    this.firstAt ??= now;
    if (previous !== undefined && now - previous > this.thresholdMs) return { start: previous, end: now };
    return undefined;
  }

  /** At stop (`now`): the silence still going on, if the last message is longer ago than the threshold. */
  open(now: number): Silence | undefined {
    if (this.lastAt !== undefined && now - this.lastAt > this.thresholdMs) return { start: this.lastAt, end: null };
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
  received: number;
  gaps: number;
  duplicates: number;
  reordered: number;
  from: Record<string, number>;
}

export function progressKey(p: Progress): string {
  return `${p.received}/${p.gaps}/${p.duplicates}/${p.reordered}`;
}
