// The report as JSON: the traffic report plus `ok`, `expectations` and `flows`.
// Its format is defined in schema.ts (report.schema.json, next to this file, is written from it).
import { writeFileSync } from "node:fs";
import type { LabReport } from "../run/index.js";
export { reportSchema } from "./schema.js";

export function jsonReport(report: LabReport): string {
  return JSON.stringify(report, null, 2) + "\n";
}

export function writeJsonReport(file: string, report: LabReport): void {
  writeFileSync(file, jsonReport(report));
}
