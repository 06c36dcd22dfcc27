// A repeat report in the terminal: each expectation's pass count against its quorum, every
// figure as min / p50 / p95 / max, why each failing run failed, and where its report is.
import type { Distribution } from "../runs/figures.js";
import type { RepeatReport } from "../runs/repeat.js";
import { table } from "./plan-text.js";
import { plural } from "../expect/types.js";

/** A figure's value for reading: whole numbers as they are, others to one decimal. */
export const figure = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** "3512 / 3620 / 3701 / 6410", or "3600 in every run" when it never changed. */
export function spread(d: Distribution, runs: number): string {
  const all = d.n === runs ? "every run" : `${d.n} of ${runs} runs`;
  if (d.min === d.max) return `${figure(d.min)} in ${all}`;
  return `${[d.min, d.p50, d.p95, d.max].map(figure).join(" / ")}${d.n === runs ? "" : ` (${all})`}`;
}

/** "every run", "95% of the runs (19 of 20)". */
export function quorumText(quorum: number, runs: number): string {
  return quorum >= 1 ? "every run" : `${Math.round(quorum * 1000) / 10}% of the runs (${Math.ceil(quorum * runs - 1e-9)} of ${runs})`;
}

/** "2 of 5 expectations missed their quorum (recovered, path)". */
export function repeatVerdict(report: RepeatReport): string {
  const missed = report.expectations.filter((e) => !e.ok);
  const errors = report.results.filter((r) => r.error !== undefined).length;
  const held = report.results.filter((r) => r.ok).length;
  const parts = [
    `${held} of ${report.runs} runs held every expectation`,
    missed.length
      ? `${missed.length} of ${report.expectations.length} expectations missed their quorum (${missed.map((e) => e.kind).join(", ")})`
      : report.expectations.length
        ? `every expectation met its quorum`
        : "no expectations",
    ...(report.checks.passed < report.runs - errors ? [`zmqlab's own checks failed in ${plural(report.runs - errors - report.checks.passed, "run")}`] : []),
    ...(errors ? [`${plural(errors, "run")} could not be made`] : []),
  ];
  return parts.join("; ");
}

export function repeatText(report: RepeatReport): string {
  const runs = report.runs;
  const rows = [["", "held", "kind", "expectation"]];
  report.expectations.forEach((e) => rows.push([e.ok ? "PASS" : "FAIL", `${e.passed}/${runs}`, e.kind, `${e.description}${e.quorum < 1 ? ` (quorum ${quorumText(e.quorum, runs)})` : ""}`]));
  const made = report.results.filter((r) => r.error === undefined).length;
  rows.push([report.checks.passed === made ? "PASS" : "FAIL", `${report.checks.passed}/${runs}`, "checks", "zmqlab's own checks: every endpoint started, every fault ran"]);
  const figureRows: string[][] = [["", "figure", "min / p50 / p95 / max"]];
  report.expectations.forEach((e, i) => {
    Object.entries(e.figures).forEach(([name, d], j) => figureRows.push([j === 0 ? `${i + 1} ${e.kind}` : "", name, spread(d, runs)]));
  });
  // An endpoint's figures that were 0 in every run (no gaps, nothing sent by a receiver) say nothing here; the JSON and HTML keep them.
  for (const [endpoint, figures] of Object.entries(report.endpoints)) {
    Object.entries(figures)
      .filter(([, d]) => d.min !== 0 || d.max !== 0)
      .forEach(([name, d], j) => figureRows.push([j === 0 ? `endpoint ${endpoint}` : "", name, spread(d, runs)]));
  }
  Object.entries(report.routers).forEach(([router, d]) => figureRows.push([`router ${router}`, "packets", spread(d, runs)]));
  const fileOf = (run: number) => report.results.find((r) => r.run === run)?.report;
  const where = (run: number) => {
    const files = fileOf(run);
    return files ? ` (report: ${files.html ?? files.json})` : "";
  };
  const failures = report.expectations.flatMap((e, i) =>
    e.failures.length === 0
      ? []
      : [
          `  ${e.ok ? "flaky" : "FAIL"} ${i + 1} (${e.kind}): held in ${e.passed} of ${runs} runs, ${quorumText(e.quorum, runs)} needed`,
          ...e.failures.map((f) => `    run ${f.run}: ${f.message}${where(f.run)}`),
        ],
  );
  const checkFailures = report.checks.failures.map((f) => `  FAIL run ${f.run}: ${f.message}${where(f.run)}`);
  const errors = report.results.filter((r) => r.error !== undefined).map((r) => `  run ${r.run} could not be made: ${r.error!.split("\n")[0]}`);
  const detail = [...failures, ...checkFailures, ...errors];
  return [
    `lab ${report.lab}: ${runs} runs, ${report.jobs} at once, ${(report.durationMs / 1000).toFixed(1)} s; an expectation must hold in ${quorumText(report.quorum, runs)}`,
    "",
    table(rows),
    "",
    "figures over the runs:",
    table(figureRows.map((r) => r.map((c, k) => (k === 0 ? `  ${c}` : c)))),
    ...(detail.length ? ["", ...detail] : []),
    "",
    repeatVerdict(report),
  ].join("\n");
}
