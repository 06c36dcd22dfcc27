// How long the engine takes to act on a node (stop, start, restart, pause, unpause), learned from
// the actions of this process and earlier runs on the same engine: an engine action starts ahead
// of its fault's time by that much.
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NodeAction } from "../plan/types.js";

/**
 * An engine action's latency from the call to its effect, until some were measured: a stop takes
 * a node off its networks 90-250 ms after the call on a 2-core machine (its processes die after
 * 20-50 ms, its network namespace is torn down after); a start runs its process after 200-300 ms.
 */
const FIRST_GUESS: Record<NodeAction, number> = { stop: 120, restart: 120, start: 250, pause: 15, unpause: 15 };
/** Latencies measured, per action, newest last: kept for the next runs on this engine (a small file in the temp folder). */
const measured: Partial<Record<NodeAction, number[]>> = loadLatencies();

function latencyFile(): string {
  const engine = (process.env["DOCKER_HOST"] ?? "local").replace(/[^a-zA-Z0-9.-]/g, "_");
  return join(tmpdir(), `zmqlab-engine-latency-${engine}.json`);
}

function loadLatencies(): Partial<Record<NodeAction, number[]>> {
  try {
    const saved = JSON.parse(readFileSync(latencyFile(), "utf8")) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(saved).filter(([k, v]) => k in FIRST_GUESS && Array.isArray(v) && v.every((x) => typeof x === "number" && x >= 0 && x < 60_000)));
  } catch {
    return {};
  }
}

/** An engine action never starts more than this ahead of its time (ms), whatever was measured. */
const MAX_LEAD_MS = 1_000;

/**
 * How long before its time an engine action starts: the lower quartile of the last latencies
 * measured, at most MAX_LEAD_MS. Low rather than the median: on an engine whose load falls, a
 * lead learned under load would land actions early, and early is worse than late (a node back
 * before its time shortens the phase it closes); seconds of latency seen once never move the
 * next runs' actions seconds ahead.
 */
export function engineLead(action: NodeAction): number {
  const seen = measured[action] ?? [];
  if (seen.length === 0) return FIRST_GUESS[action];
  const sorted = [...seen].sort((a, b) => a - b);
  return Math.min(MAX_LEAD_MS, sorted[Math.floor((sorted.length - 1) / 4)]!);
}

/** A held start never begins more than this ahead of its time (ms). */
const MAX_HELD_LEAD_MS = 5_000;

/**
 * How long before its time a held start begins (held-start.ts): twice the slowest start seen, and
 * a second to configure the node again, at most MAX_HELD_LEAD_MS; the whole MAX_HELD_LEAD_MS
 * before any start was measured on this engine (the first guess is no measure of a busy engine:
 * with four labs starting at once, 1.5 s ahead landed starts 200-600 ms late). Early costs nothing
 * there: the node waits for its moment cut off, so the lead is generous where a plain one must be low.
 */
export function heldStartLead(): number {
  const seen = measured.start ?? [];
  if (seen.length === 0) return MAX_HELD_LEAD_MS;
  return Math.min(MAX_HELD_LEAD_MS, 2 * Math.max(...seen) + 1_000);
}

/** Remember what an action took on this engine (ms), for the next leads of this run and the next runs. */
export function learnLatency(action: NodeAction, ms: number): void {
  const seen = (measured[action] ??= []);
  seen.push(Math.round(ms));
  if (seen.length > 9) seen.shift();
  try {
    writeFileSync(latencyFile(), JSON.stringify(measured));
  } catch {
    // Only a better first guess next time is lost.
  }
}
