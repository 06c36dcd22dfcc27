// Endpoint timelines from agent events, and reading them at a moment. Pure.
import type { AgentEvent } from "../agent/protocol.js";
import { SILENCE_MS, TICK_MS } from "../agent/timeline.js";
import type { Timeline, TimelineSample } from "./types.js";

type Of<T extends AgentEvent["type"]> = Extract<AgentEvent, { type: T }>;

/** The timeline of one endpoint from its agent's events; undefined when the agent sent none (an older agent, or a broken endpoint). */
export function timelineOf(events: AgentEvent[], endpoint: string): Timeline | undefined {
  const mine = events.filter((e) => "endpoint" in e && e.endpoint === endpoint);
  const ticks = mine.filter((e): e is Of<"tick"> => e.type === "tick");
  const handshakes = mine.filter((e): e is Of<"handshake"> => e.type === "handshake" && typeof e.wall === "number");
  if (ticks.length === 0 && handshakes.length === 0 && !mine.some((e) => e.type === "sent")) return undefined;
  const samples: TimelineSample[] = ticks.map((t) => ({ wall: t.wall, received: t.received, gaps: t.gaps, duplicates: t.duplicates, from: t.from, ...(t.highest && Object.keys(t.highest).length ? { highest: t.highest } : {}) }));
  const sent = mine.find((e): e is Of<"sent"> => e.type === "sent");
  const firsts = mine.filter((e): e is Of<"silence"> => e.type === "silence");
  const last = ticks.map((t) => t.last).filter((l): l is number => l !== undefined);
  const first = ticks.map((t) => t.first).filter((l): l is number => l !== undefined);
  const timeline: Timeline = {
    tickMs: TICK_MS,
    silenceMs: SILENCE_MS,
    samples,
    counts: countsPerInterval(samples, TICK_MS),
    silences: firsts.map((s) => ({ start: s.start, end: s.end })),
    handshakes: handshakes.map((h) => ({ wall: h.wall, address: h.address, ...(h.connect !== undefined ? { connect: h.connect } : {}) })),
    disconnects: mine.filter((e): e is Of<"disconnect"> => e.type === "disconnect").map((d) => ({ wall: d.wall, address: d.address })),
    peers: mine.filter((e): e is Of<"peers"> => e.type === "peers").map((p) => ({ wall: p.wall, established: p.peers })),
  };
  if (sent?.wall !== undefined) timeline.sendingEnded = sent.wall;
  if (first.length > 0) timeline.firstMessage = Math.min(...first);
  if (last.length > 0) timeline.lastMessage = Math.max(...last);
  return timeline;
}

/**
 * Messages per interval of `interval` ms from the first sample: each sample's increase goes to
 * the interval its wall time falls in.
 */
export function countsPerInterval(samples: TimelineSample[], interval: number): { start: number; values: number[] } {
  const first = samples[0];
  if (!first) return { start: 0, values: [] };
  const values: number[] = [];
  let previous = first.received;
  for (const s of samples.slice(1)) {
    const slot = Math.floor((s.wall - first.wall) / interval);
    while (values.length <= slot) values.push(0);
    values[slot]! += s.received - previous;
    previous = s.received;
  }
  return { start: first.wall, values };
}

/** The cumulative counts at `wall`: the last sample at or before it (zeros before the first). */
export function sampleAt(samples: TimelineSample[], wall: number): TimelineSample {
  let found: TimelineSample = { wall, received: 0, gaps: 0, duplicates: 0, from: {} };
  for (const s of samples) if (s.wall <= wall) found = s;
  return found;
}
