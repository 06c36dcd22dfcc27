// The expectations as a terminal table: one row each, then why each failure failed.
import type { ExpectationResult } from "../expect/types.js";
import { table } from "./plan-text.js";

/** The run's verdict in one line: broken endpoints first, then the lab's expectations. */
export function verdictLine(results: ExpectationResult[]): string {
  const broken = results.filter((r) => r.kind === "endpoint" && !r.ok);
  const expectations = results.filter((r) => r.kind !== "endpoint");
  const failed = expectations.filter((r) => !r.ok).length;
  const judged = expectations.length === 0
    ? "no expectations"
    : failed === 0
      ? expectations.length === 1 ? "the expectation holds" : `all ${expectations.length} expectations hold`
      : `${failed} of ${expectations.length} expectations failed`;
  if (broken.length === 0) return judged;
  const names = broken.map((r) => String(r.spec["endpoint"]));
  return `${broken.length === 1 ? "1 endpoint failed" : `${broken.length} endpoints failed`} (${names.join(", ")}); ${judged}`;
}

export function expectationsText(results: ExpectationResult[]): string {
  if (results.length === 0) return "no expectations in this lab (add an expect: list to judge the run)";
  const rows = [["", "kind", "expectation", "expected", "observed"]];
  results.forEach((r) => rows.push([r.ok ? "PASS" : "FAIL", r.kind, r.actual ? `${r.description} (actual: ${r.actual.description})` : r.description, r.expected, r.observed]));
  const failed = results.map((r, i) => ({ r, i })).filter(({ r }) => !r.ok);
  return [
    table(rows),
    "",
    // Built-in endpoint checks are not in the lab file's expect list: no number of theirs.
    ...failed.map(({ r, i }) => (r.kind === "endpoint" ? `  FAIL ${r.message}` : `  FAIL ${i + 1} (${r.kind}): ${r.message}`)),
    ...(failed.length ? [""] : []),
    verdictLine(results),
  ].join("\n");
}
