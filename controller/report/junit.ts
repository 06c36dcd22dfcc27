// The expectations as a JUnit XML file for CI dashboards: one test suite per lab, one test case
// per expectation (named by its description, classed by its kind), a <failure> for each failure.
// Names come from the lab file whatever the instance (CI keys its per-test history and flaky
// tracking on them); an instance's name and the addresses it ran at are properties.
import { writeFileSync } from "node:fs";
import type { LabReport } from "../run/index.js";

/** Escape text for XML attributes and content; characters XML 1.0 cannot carry are dropped. */
export function xmlEscape(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "")
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&apos;")
  );
}

/** `<properties>` at the given indent, or nothing when there are none. */
export function properties(indent: string, entries: [string, string][]): string[] {
  if (entries.length === 0) return [];
  return [`${indent}<properties>`, ...entries.map(([name, value]) => `${indent}  <property name="${xmlEscape(name)}" value="${xmlEscape(value)}"/>`), `${indent}</properties>`];
}

/**
 * The capture's files as attachments of a failing test case, one `[[ATTACHMENT|path]]` line each
 * (Jenkins' JUnit attachments and GitLab read them from the test case's output): the windows
 * around the faults first (small), then every network's file.
 */
export function attachments(report: LabReport): string {
  const capture = report.capture;
  if (!capture?.kept) return "";
  return [...capture.windows.map((w) => w.path), ...capture.files.map((f) => f.path)].map((p) => `\n[[ATTACHMENT|${p}]]`).join("");
}

export function junitXml(report: LabReport): string {
  const failures = report.expectations.filter((e) => !e.ok).length;
  const tests = report.expectations.length;
  const seconds = (report.durationMs / 1000).toFixed(3);
  const a = xmlEscape;
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="zmqlab" tests="${tests}" failures="${failures}" errors="0" time="${seconds}">`,
    `  <testsuite name="${a(report.lab)}" tests="${tests}" failures="${failures}" errors="0" skipped="0" time="${seconds}" timestamp="${a(report.started.replace(/Z$/, ""))}">`,
    ...properties("    ", [
      // The time base of every ms in the messages: time 0, when the senders were released.
      ["clock.t0", report.clock.t0],
      ...(report.instance
        ? ([["instance.name", report.instance.name], ...report.instance.relocations.map((r): [string, string] => ["instance.relocation", `${r.from} -> ${r.to}`])] as [string, string][])
        : []),
    ]),
  ];
  for (const e of report.expectations) {
    lines.push(`    <testcase name="${a(e.description)}" classname="${a(e.kind)}" time="0">`);
    lines.push(...properties("      ", e.actual ? [["actual.description", e.actual.description]] : []));
    if (!e.ok) {
      lines.push(`      <failure message="${a(e.message)}" type="${a(e.kind)}">${a(`expected: ${e.expected}\nobserved: ${e.observed}\n${e.message}`)}</failure>`);
    }
    lines.push(`      <system-out>${a(`expected: ${e.expected}\nobserved: ${e.observed}${e.ok ? "" : attachments(report)}`)}</system-out>`);
    lines.push(`    </testcase>`);
  }
  lines.push(`  </testsuite>`, `</testsuites>`, "");
  return lines.join("\n");
}

export function writeJunitReport(file: string, report: LabReport): void {
  writeFileSync(file, junitXml(report));
}
