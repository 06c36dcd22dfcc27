// A sweep in the terminal: the matrix (rows failures, columns expectations, each cell held or
// FAIL, a * where it differs from the baseline), then per failure what broke or mended, the
// flows that moved and each receiver's outage and losses, and the verdict.
import type { SweepReport, SweepRow } from "../runs/sweep.js";
import { table } from "./plan-text.js";
import { plural } from "../expect/types.js";

/** A column's short name: its number in the lab file's expect list, or `checks`. */
export const columnName = (report: SweepReport, i: number): string => (i === report.columns.length - 1 ? "checks" : String(i + 1));

/** "held", "FAIL", with * where it differs from the baseline; "-" for a run that could not be made. */
export function cellText(row: SweepRow, i: number): string {
  const cell = row.cells[i];
  if (!cell) return "-";
  return `${cell.ok ? "held" : "FAIL"}${cell.differs ? "*" : ""}`;
}

/** "outage 4075 ms", "no outage", "outage never ended". */
export function outageText(ms: number | null): string {
  if (ms === null) return "outage never ended";
  return ms === 0 ? "no outage" : `outage ${Math.round(ms)} ms`;
}

/** "198.18.80.10 -> 198.18.82.10: r1, now r2" ("no path" when nothing carried it). */
export const movedText = (f: SweepRow["flows"][number]): string => `${f.from} -> ${f.to}: ${f.baseline.join("+") || "no path"}, now ${f.now.join("+") || "no path"}`;

/** "c10 outage 4075 ms, lost 3". */
export const receiverText = (r: SweepRow["receivers"][number]): string => `${r.endpoint} ${outageText(r.outageMs)}, lost ${r.lost}`;

/** An error's first two lines, as one (a heading ending in a colon says little alone). */
export const firstLines = (text: string): string =>
  text
    .split("\n")
    .slice(0, 2)
    .map((l) => l.trim())
    .join(" ");

/** The columns a row broke or mended, by name. */
const names = (report: SweepReport, columns: number[]) => columns.map((c) => columnName(report, c)).join(", ");

/** "1 of 8 failures broke what the baseline held: down r1:servers (1, 2, 3, 4)". */
export function sweepVerdict(report: SweepReport): string {
  const broken = report.failures.filter((f) => f.cells.length && f.broke.length);
  const errors = [report.baseline, ...report.failures].filter((r) => r.error !== undefined);
  // Of the failures whose runs were made.
  const n = report.failures.filter((f) => f.error === undefined).length;
  if (report.baseline.error !== undefined)
    return `the baseline could not be made: nothing to compare the failures with${errors.length > 1 ? `; the runs of ${plural(errors.length - 1, "failure")} could not be made either` : ""}`;
  const parts = [
    broken.length
      ? `${broken.length} of ${plural(n, "failure")} broke what the baseline held: ${broken.map((f) => `${f.failure} (${names(report, f.broke)})`).join("; ")}`
      : n === 1
        ? "the failure kept what the baseline held"
        : `every one of ${n} failures kept what the baseline held`,
    ...(errors.length ? [`${plural(errors.length, "run")} could not be made (${errors.map((r) => r.failure).join(", ")})`] : []),
  ];
  return parts.join("; ");
}

export function sweepText(report: SweepReport): string {
  const rows = [report.baseline, ...report.failures];
  const matrix = [["", ...report.columns.map((_, i) => columnName(report, i))], ...rows.map((r) => [r.failure, ...report.columns.map((_, i) => cellText(r, i))])];
  const columns = report.columns.map((c, i) => `  ${columnName(report, i).padStart(6)}  ${c.kind === "checks" ? c.description : `${c.kind}: ${c.description}`}`);
  const restore = report.restore !== undefined ? `, undone ${report.restore} ms later (sweep-restore)` : "";
  const pairs = report.k === 2 ? " pairs of" : "";
  const sampled = report.sampled ? ` (${report.failures.length} of ${report.sampled.of}, chosen with seed ${report.sampled.seed})` : "";
  const detail = rows.flatMap((r) => {
    if (r.error !== undefined) return [`  ${r.failure}: could not be made: ${firstLines(r.error)}`];
    const lines = [
      ...(r.broke.length ? [`    BROKE ${names(report, r.broke)}`] : []),
      ...(r.fixed.length ? [`    mended ${names(report, r.fixed)} (failed in the baseline)`] : []),
      ...r.flows.map((f) => `    moved: ${movedText(f)}`),
      ...(r.receivers.length ? [`    receivers: ${r.receivers.map(receiverText).join("; ")}`] : []),
      ...[...r.broke, ...r.fixed].map((c) => `    ${columnName(report, c)}: ${r.cells[c]!.message}`),
    ];
    const file = r.report ? `  (report: ${r.report.html ?? r.report.json})` : "";
    return [`  ${r.failure}${file}`, ...lines];
  });
  return [
    `sweep of lab ${report.lab}: the baseline and ${report.failures.length}${pairs} failures${sampled}, each at ${report.at} ms (the fault sweep)${restore}; ${report.jobs} at once, ${(report.durationMs / 1000).toFixed(1)} s`,
    "",
    table(matrix),
    "",
    "* differs from the baseline. columns:",
    ...columns,
    "",
    "each run (flows whose path moved from the sweep on, by the routers' counters; each receiver's outage after it and messages lost):",
    ...detail,
    ...(report.skipped.length ? ["", "skipped (the lab's own faults rule them out then):", ...report.skipped.map((s) => `  ${s.failure}: ${s.why}`)] : []),
    "",
    sweepVerdict(report),
  ].join("\n");
}
