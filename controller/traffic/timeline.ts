// Endpoint timelines from agent events, with times since the traffic's time 0, and reading them
// at a moment. Pure.
import { SILENCE_MS, TICK_MS, type AgentEvent } from "../../shared/protocol.js";
import { latencyPoints } from "./latency.js";
import type { Timeline, TimelineSample } from "./types.js";

type Of<T extends AgentEvent["type"]> = Extract<AgentEvent, { type: T }>;

/** Wall time (ms since the epoch) to ms since time 0, to a tenth of a ms. */
export const sinceT0 =
  (t0: number) =>
  (wall: number): number =>
    Math.round((wall - t0) * 10) / 10;

/**
 * The timeline of one endpoint from one agent's events; undefined when the agent sent none for it
 * (a broken endpoint). `t0`: time 0 in ms since the epoch.
 */
export function timelineOf(events: AgentEvent[], endpoint: string, t0: number): Timeline | undefined {
  const at = sinceT0(t0);
  const mine = events.filter((e) => "endpoint" in e && e.endpoint === endpoint);
  const ticks = mine.filter((e): e is Of<"tick"> => e.type === "tick");
  const handshakes = mine.filter((e): e is Of<"handshake"> => e.type === "handshake" && typeof e.wall === "number");
  if (ticks.length === 0 && handshakes.length === 0 && !mine.some((e) => e.type === "sent")) return undefined;
  const samples: TimelineSample[] = ticks.map((t) => ({
    ms: at(t.wall),
    ...(t.sent !== undefined ? { sent: t.sent } : {}),
    received: t.received,
    gaps: t.gaps,
    duplicates: t.duplicates,
    from: t.from,
    ...(t.highest && Object.keys(t.highest).length ? { highest: t.highest } : {}),
    ...(t.unanswered !== undefined ? { unanswered: t.unanswered } : {}),
    ...(t.latency && Object.keys(t.latency).length ? { latency: t.latency } : {}),
  }));
  const sending = mine.find((e): e is Of<"sending"> => e.type === "sending");
  const sent = mine.find((e): e is Of<"sent"> => e.type === "sent");
  const last = ticks.map((t) => t.last).filter((l): l is number => l !== undefined);
  const first = ticks.map((t) => t.first).filter((l): l is number => l !== undefined);
  const timeline: Timeline = {
    tickMs: TICK_MS,
    silenceMs: SILENCE_MS,
    samples,
    counts: countsPerInterval(samples, TICK_MS),
    silences: mine
      .filter((e): e is Of<"silence"> => e.type === "silence")
      .map((s) => ({
        start: at(s.start),
        end: s.end === null ? null : at(s.end),
        ...(s.lastSent !== undefined ? { lastSent: at(s.lastSent) } : {}),
        ...(s.nextSent !== undefined ? { nextSent: at(s.nextSent) } : {}),
      })),
    handshakes: handshakes.map((h) => ({ ms: at(h.wall), address: h.address, ...(h.connect !== undefined ? { connect: h.connect } : {}) })),
    disconnects: mine.filter((e): e is Of<"disconnect"> => e.type === "disconnect").map((d) => ({ ms: at(d.wall), address: d.address })),
    peers: mine.filter((e): e is Of<"peers"> => e.type === "peers").map((p) => ({ ms: at(p.wall), established: p.peers })),
  };
  const latency = latencyPoints(samples);
  if (latency.length > 0) timeline.latency = latency;
  if (sending) timeline.sendingStarted = at(sending.wall);
  if (sent?.wall !== undefined) timeline.sendingEnded = at(sent.wall);
  if (first.length > 0) timeline.firstMessage = at(Math.min(...first));
  if (last.length > 0) timeline.lastMessage = at(Math.max(...last));
  return timeline;
}

/**
 * One timeline of several lives of an endpoint (its node restarted in between): counts run on
 * across lives, and the time between the last message of one life and the first of the next is a
 * silence like any other.
 */
export function mergeLives(lives: Timeline[]): Timeline | undefined {
  const [first, ...rest] = lives;
  if (!first) return undefined;
  let merged: Timeline = first;
  for (const next of rest) {
    const base = merged.samples.at(-1);
    const add = (s: TimelineSample): TimelineSample => {
      if (!base) return s;
      const from = { ...base.from };
      for (const [k, v] of Object.entries(s.from)) from[k] = (from[k] ?? 0) + v;
      return {
        ...s,
        ...(s.sent !== undefined || base.sent !== undefined ? { sent: (base.sent ?? 0) + (s.sent ?? 0) } : {}),
        received: base.received + s.received,
        gaps: base.gaps + s.gaps,
        duplicates: base.duplicates + s.duplicates,
        from,
        ...(s.unanswered !== undefined || base.unanswered !== undefined ? { unanswered: (base.unanswered ?? 0) + (s.unanswered ?? 0) } : {}),
      };
    };
    const between =
      merged.lastMessage !== undefined && next.firstMessage !== undefined && next.firstMessage - merged.lastMessage > merged.silenceMs ? [{ start: merged.lastMessage, end: next.firstMessage }] : [];
    const samples = [...merged.samples, ...next.samples.map(add)];
    const latency = [...(merged.latency ?? []), ...(next.latency ?? [])];
    merged = {
      ...merged,
      samples,
      counts: countsPerInterval(samples, merged.tickMs),
      silences: [...merged.silences, ...between, ...next.silences],
      handshakes: [...merged.handshakes, ...next.handshakes],
      disconnects: [...merged.disconnects, ...next.disconnects],
      peers: [...merged.peers, ...next.peers],
      ...(latency.length > 0 ? { latency } : {}),
      ...((merged.firstMessage ?? next.firstMessage) !== undefined ? { firstMessage: (merged.firstMessage ?? next.firstMessage)! } : {}),
      ...((next.lastMessage ?? merged.lastMessage) !== undefined ? { lastMessage: (next.lastMessage ?? merged.lastMessage)! } : {}),
      ...((merged.sendingStarted ?? next.sendingStarted) !== undefined ? { sendingStarted: (merged.sendingStarted ?? next.sendingStarted)! } : {}),
      ...((next.sendingEnded ?? merged.sendingEnded) !== undefined ? { sendingEnded: (next.sendingEnded ?? merged.sendingEnded)! } : {}),
    };
  }
  return merged;
}

/**
 * Messages received per interval of `interval` ms from the first sample: each sample's increase
 * goes to the interval its time falls in.
 */
export function countsPerInterval(samples: TimelineSample[], interval: number): { start: number; values: number[] } {
  const first = samples[0];
  if (!first) return { start: 0, values: [] };
  const values: number[] = [];
  let previous = first.received;
  for (const s of samples.slice(1)) {
    const slot = Math.floor((s.ms - first.ms) / interval);
    while (values.length <= slot) values.push(0);
    values[slot]! += s.received - previous;
    previous = s.received;
  }
  return { start: first.ms, values };
}

/** The cumulative counts at `ms`: the last sample at or before it (zeros before the first). */
export function sampleAt(samples: TimelineSample[], ms: number): TimelineSample {
  let found: TimelineSample = { ms, received: 0, gaps: 0, duplicates: 0, from: {} };
  for (const s of samples) if (s.ms <= ms) found = s;
  return found;
}
