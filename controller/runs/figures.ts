// Numbers over many runs: every number a verdict's evidence holds (an outage, packets per node, a
// count, a latency percentile: whatever its kind puts there), each endpoint's counts and each
// forwarding node's packets, gathered run by run and drawn as distributions. Pure, and generic:
// a kind that puts a new number in its evidence gets its distribution without a change here.
import Type, { type Static } from "typebox";

/**
 * Every finite number in a value, by its dotted path (`outageMs`, `packets.r1`, `from.quotes`):
 * objects are walked, lists are not (a list of silences or handshakes is no figure of the run).
 */
export function numbersIn(value: unknown, skip: readonly string[] = [], prefix = ""): Record<string, number> {
  const found: Record<string, number> = {};
  if (typeof value === "number") {
    if (Number.isFinite(value) && prefix) found[prefix] = value;
    return found;
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) return found;
  for (const [key, inner] of Object.entries(value)) {
    if (skip.includes(key)) continue;
    Object.assign(found, numbersIn(inner, [], prefix ? `${prefix}.${key}` : key));
  }
  return found;
}

/**
 * The one place that says what of a run is no figure. Every other number is one, by its dotted
 * path: a verdict's evidence (`outageMs`, `packets.r1`, a latency kind's `p99`) and an endpoint's
 * report (`received`, `from.quotes`, and latency percentiles as soon as an endpoint carries them,
 * e.g. `latency.p50`). A new structure of numbers that are not one figure each (a histogram's
 * buckets, a per-tick series outside `timeline`) goes here.
 */
export const NOT_FIGURES = {
  /** A phased verdict's window (the faults' times), not a measurement of its kind. */
  evidence: ["phase"],
  /** Per-tick series and the lives of a restarted node's endpoint: lists, or sums already counted. */
  endpoint: ["timeline", "lives"],
} as const;

export const DISTRIBUTION = Type.Object(
  {
    n: Type.Integer({ minimum: 1, description: "Runs that gave this figure." }),
    min: Type.Number(),
    p50: Type.Number({ description: "The median (nearest rank)." }),
    p95: Type.Number({ description: "The 95th percentile (nearest rank: with fewer than 20 runs, the largest but none or one)." }),
    max: Type.Number(),
    values: Type.Array(Type.Number(), { description: "Each run's value, in the order of the runs that gave one." }),
  },
  { additionalProperties: false, description: "One figure over the runs." },
);
export type Distribution = Static<typeof DISTRIBUTION>;

/** The value at a percentile by nearest rank (the smallest value at or above that share of the runs). */
export function percentile(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function distribution(values: number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: values.length, min: sorted[0]!, p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted[sorted.length - 1]!, values };
}

/** Per figure, the distribution of its values over the runs that gave it (figures in the order they first appear). */
export function distributions(runs: Record<string, number>[]): Record<string, Distribution> {
  const byFigure = new Map<string, number[]>();
  for (const figures of runs) for (const [name, value] of Object.entries(figures)) byFigure.set(name, [...(byFigure.get(name) ?? []), value]);
  return Object.fromEntries([...byFigure].map(([name, values]) => [name, distribution(values)]));
}
