// The expectations as a terminal table: one row each, then why each failure failed.
import type { ExpectationResult } from "../expect/types.js";
import { table } from "./plan-text.js";

export function expectationsText(results: ExpectationResult[]): string {
  if (results.length === 0) return "no expectations in this lab (add an expect: list to judge the run)";
  const rows = [["", "kind", "expectation", "expected", "observed"]];
  results.forEach((r) => rows.push([r.ok ? "PASS" : "FAIL", r.kind, r.labFile ? `${r.description} (lab file: ${r.labFile.description})` : r.description, r.expected, r.observed]));
  const failed = results.map((r, i) => ({ r, i })).filter(({ r }) => !r.ok);
  const summary = failed.length === 0 ? (results.length === 1 ? "the expectation holds" : `all ${results.length} expectations hold`) : `${failed.length} of ${results.length} expectations failed`;
  return [
    table(rows),
    "",
    ...failed.map(({ r, i }) => `  FAIL ${i + 1} (${r.kind}): ${r.message}`),
    ...(failed.length ? [""] : []),
    summary,
  ].join("\n");
}
