// Durations as users write them: `1500ms`, `2s`, `10m`, `1h`.

/** Milliseconds, or undefined when the text is not a duration. A bare number is `bareUnit`. */
export function parseDuration(text: string | number, bareUnit: "ms" | "s" = "ms"): number | undefined {
  if (typeof text === "number") return Number.isFinite(text) && text >= 0 ? text * (bareUnit === "s" ? 1000 : 1) : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) return undefined;
  const unit = m[2] ?? bareUnit;
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit]!;
  return Math.round(Number(m[1]) * factor);
}
