// The report as JSON: the traffic report plus `ok`, `expectations` and `flows`.
// Its format is documented as a JSON Schema in report.schema.json (next to this file).
import { writeFileSync } from "node:fs";
import type { LabReport } from "../run/index.js";
import schema from "./report.schema.json" with { type: "json" };

export const reportSchema = schema;

export function jsonReport(report: LabReport): string {
  return JSON.stringify(report, null, 2) + "\n";
}

export function writeJsonReport(file: string, report: LabReport): void {
  writeFileSync(file, jsonReport(report));
}
