// The expectations as TAP version 14: one test point each, with a YAML diagnostic block that
// carries kind, expected, observed and the message.
import { stringify } from "yaml";
import type { LabReport } from "../run/index.js";
import { verdictLine } from "./expectations-text.js";

/** A test point's description: no line breaks, and `#` escaped so it is not read as a directive. */
function tapDescription(text: string): string {
  return text
    .replace(/[\r\n]+/g, " ")
    .replace(/\\/g, "\\\\")
    .replace(/#/g, "\\#");
}

export function tapText(report: LabReport): string {
  const lines = ["TAP version 14", `1..${report.expectations.length}`];
  report.expectations.forEach((e, i) => {
    lines.push(`${e.ok ? "ok" : "not ok"} ${i + 1} - ${tapDescription(e.description)}`);
    const yaml = stringify({ kind: e.kind, ...(e.actual ? { actual: e.actual.description } : {}), expected: e.expected, observed: e.observed, message: e.message }, { lineWidth: 0 });
    lines.push(
      "  ---",
      ...yaml
        .trimEnd()
        .split("\n")
        .map((l) => `  ${l}`),
      "  ...",
    );
  });
  lines.push(`# lab ${report.lab}${report.instance ? ` (instance ${report.instance.name})` : ""}: ${verdictLine(report.expectations)}`);
  return lines.join("\n") + "\n";
}
