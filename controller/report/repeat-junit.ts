// A repeat report as JUnit XML: one test suite for the lab, one test case per expectation (and
// one for zmqlab's own checks), failing when it missed its quorum; its pass rate and quorum as
// properties, the failing runs' reasons in its output (and in the failure when it missed).
import { writeFileSync } from "node:fs";
import type { RepeatReport } from "../runs/repeat.js";
import { properties, xmlEscape } from "./junit.js";
import { quorumText } from "./repeat-text.js";

export function repeatJunitXml(report: RepeatReport): string {
  const a = xmlEscape;
  const made = report.results.filter((r) => r.error === undefined).length;
  const cases = [
    ...report.expectations.map((e) => ({ name: e.description, kind: e.kind, ok: e.ok, passed: e.passed, quorum: e.quorum, failures: e.failures })),
    {
      name: "zmqlab's own checks: every endpoint started, every fault ran",
      kind: "checks",
      ok: report.checks.passed === made && made === report.runs,
      passed: report.checks.passed,
      quorum: 1,
      failures: report.checks.failures,
    },
  ];
  const failed = cases.filter((c) => !c.ok).length;
  const seconds = (report.durationMs / 1000).toFixed(3);
  const fileOf = (run: number) => report.results.find((r) => r.run === run)?.report;
  const errors = report.results.filter((r) => r.error !== undefined);
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="zmqlab" tests="${cases.length}" failures="${failed}" errors="${errors.length ? 1 : 0}" time="${seconds}">`,
    `  <testsuite name="${a(report.lab)}" tests="${cases.length}" failures="${failed}" errors="${errors.length ? 1 : 0}" skipped="0" time="${seconds}" timestamp="${a(report.started.replace(/Z$/, ""))}">`,
    ...properties("    ", [
      ["runs", String(report.runs)],
      ["jobs", String(report.jobs)],
      ["quorum", String(report.quorum)],
      ...errors.map((r): [string, string] => [`run.${r.run}.error`, r.error!.split("\n")[0]!]),
    ]),
  ];
  for (const c of cases) {
    const rate = `${c.passed}/${report.runs}`;
    const why = c.failures.map((f) => `run ${f.run}: ${f.message}${fileOf(f.run) ? ` (report: ${fileOf(f.run)!.html ?? fileOf(f.run)!.json})` : ""}`).join("\n");
    lines.push(`    <testcase name="${a(c.name)}" classname="${a(c.kind)}" time="0">`);
    lines.push(
      ...properties("      ", [
        ["passed", rate],
        ["quorum", String(c.quorum)],
      ]),
    );
    if (!c.ok) lines.push(`      <failure message="${a(`held in ${rate} runs, ${quorumText(c.quorum, report.runs)} needed`)}" type="${a(c.kind)}">${a(why)}</failure>`);
    lines.push(`      <system-out>${a(`held in ${rate} runs${why ? `\n${why}` : ""}`)}</system-out>`);
    lines.push(`    </testcase>`);
  }
  if (errors.length) lines.push(`    <error message="${a(`${errors.length} of ${report.runs} runs could not be made`)}">${a(errors.map((r) => `run ${r.run}: ${r.error}`).join("\n"))}</error>`);
  lines.push(`  </testsuite>`, `</testsuites>`, "");
  return lines.join("\n");
}

export function writeRepeatJunit(file: string, report: RepeatReport): void {
  writeFileSync(file, repeatJunitXml(report));
}
