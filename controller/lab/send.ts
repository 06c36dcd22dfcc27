// What a sender sends, worked out from its `send`: how many messages, at what rate, for how long.
// Pure; shared by validation (the traffic bound must hold the sending) and the agent jobs.
import { parseDuration } from "../../shared/duration.js";
import type { Lab, SendSpec } from "./types.js";

export interface PlannedSend {
  /** Messages to send. */
  count: number;
  /** Messages per second; absent: as fast as possible. */
  rate?: number;
  /** How long the sending takes at that rate (ms); absent when there is no rate. */
  ms?: number;
}

/**
 * `count` alone: that many, as fast as possible (or at `rate`). `duration` with `rate`: the rate
 * for that long, so count = rate x duration (rounded down); a `count` given as well caps it.
 * `duration` with `count` and no rate: the count spread evenly over the duration.
 * A duration that does not parse, or one with neither rate nor count, plans nothing (validation
 * reports it).
 */
export function plannedSend(send: SendSpec): PlannedSend {
  const duration = send.duration !== undefined ? parseDuration(send.duration) : undefined;
  if (duration === undefined || duration <= 0) {
    const count = send.count ?? 0;
    return { count, ...(send.rate ? { rate: send.rate, ms: Math.round((count / send.rate) * 1000) } : {}) };
  }
  if (send.rate) {
    const count = Math.min(Math.floor((send.rate * duration) / 1000), send.count ?? Infinity);
    return { count, rate: send.rate, ms: Math.round((count / send.rate) * 1000) };
  }
  if (send.count !== undefined && send.count > 0) return { count: send.count, rate: send.count / (duration / 1000), ms: duration };
  return { count: send.count ?? 0 };
}

/** The longest time any agent sender of the lab sends at its rate (ms); 0 when none is paced. */
export function longestSending(lab: Lab): number {
  return Math.max(0, ...Object.values(lab.traffic ?? {}).map((e) => (e.send ? (plannedSend(e.send).ms ?? 0) : 0)));
}
