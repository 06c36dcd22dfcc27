// A sweep as JUnit XML: a test suite per run (the baseline first, then each failure), a test
// case per column (the lab's expectations, then zmqlab's own checks). In the baseline a case
// fails as in a plain run; under a failure it fails when it held in the baseline and failed
// here (what the sweep's exit code counts), and is skipped when it fails in the baseline too.
import { writeFileSync } from "node:fs";
import type { SweepReport, SweepRow } from "../runs/sweep.js";
import { properties, xmlEscape } from "./junit.js";
import { movedText, receiverText } from "./sweep-text.js";

/** A case's outcome under a row: passed, failed (with why), or skipped (failing in the baseline too). */
function outcome(report: SweepReport, row: SweepRow, i: number): "pass" | "fail" | "skip" {
  const cell = row.cells[i]!;
  if (cell.ok) return "pass";
  if (row === report.baseline) return "fail";
  return cell.differs ? "fail" : "skip";
}

export function sweepJunitXml(report: SweepReport): string {
  const a = xmlEscape;
  const rows = [report.baseline, ...report.failures];
  const counts = rows.map((r) =>
    r.error !== undefined
      ? { failures: 0, skipped: 0, errors: 1 }
      : { failures: report.columns.filter((_, i) => outcome(report, r, i) === "fail").length, skipped: report.columns.filter((_, i) => outcome(report, r, i) === "skip").length, errors: 0 },
  );
  const sum = (k: "failures" | "skipped" | "errors") => counts.reduce((n, c) => n + c[k], 0);
  const tests = rows.length * report.columns.length;
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="zmqlab sweep ${a(report.lab)}" tests="${tests}" failures="${sum("failures")}" errors="${sum("errors")}" time="${(report.durationMs / 1000).toFixed(3)}">`,
  ];
  rows.forEach((row, r) => {
    const c = counts[r]!;
    lines.push(
      `  <testsuite name="${a(`${report.lab}: ${row.failure}`)}" tests="${report.columns.length}" failures="${c.failures}" errors="${c.errors}" skipped="${c.skipped}" time="${(row.durationMs / 1000).toFixed(3)}" timestamp="${a(report.started.replace(/Z$/, ""))}">`,
    );
    lines.push(
      ...properties("    ", [
        ["failure", row.failure],
        ["at", String(report.at)],
        ...(row.instance ? [["instance", row.instance] as [string, string]] : []),
        ...(row.report ? [["report", row.report.html ?? row.report.json] as [string, string]] : []),
        ...row.flows.map((f): [string, string] => ["moved", movedText(f)]),
        ...row.receivers.map((x): [string, string] => ["receiver", receiverText(x)]),
      ]),
    );
    if (row.error !== undefined) {
      lines.push(`    <error message="${a("the run could not be made")}">${a(row.error)}</error>`);
    } else {
      report.columns.forEach((column, i) => {
        const cell = row.cells[i]!;
        lines.push(`    <testcase name="${a(column.description)}" classname="${a(column.kind)}" time="0">`);
        const result = outcome(report, row, i);
        if (result === "fail")
          lines.push(
            `      <failure message="${a(cell.message)}" type="${a(column.kind)}">${a(`observed: ${cell.observed}\n${cell.message}${row === report.baseline ? "" : "\n(held in the baseline)"}`)}</failure>`,
          );
        if (result === "skip") lines.push(`      <skipped message="${a(`fails in the baseline too: ${cell.message}`)}"/>`);
        lines.push(`      <system-out>${a(`observed: ${cell.observed}${cell.differs ? "\n(differs from the baseline)" : ""}`)}</system-out>`);
        lines.push(`    </testcase>`);
      });
    }
    lines.push(`  </testsuite>`);
  });
  lines.push(`</testsuites>`, "");
  return lines.join("\n");
}

export function writeSweepJunit(file: string, report: SweepReport): void {
  writeFileSync(file, sweepJunitXml(report));
}
