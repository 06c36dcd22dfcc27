// The expectations as a terminal table: one row each, then why each failure failed.
import type { ExpectationResult } from "../expect/types.js";
import { table } from "./plan-text.js";

/** zmqlab's own checks, not in the lab file's expect list: an endpoint started, a fault ran, the packets agree. */
export const BUILT_IN: ReadonlySet<string> = new Set(["endpoint", "fault", "capture"]);

/** The run's verdict in one line: broken endpoints and failed faults first, then the lab's expectations. */
export function verdictLine(results: ExpectationResult[]): string {
  const expectations = results.filter((r) => !BUILT_IN.has(r.kind));
  const failed = expectations.filter((r) => !r.ok).length;
  const judged =
    expectations.length === 0
      ? "no expectations"
      : failed === 0
        ? expectations.length === 1
          ? "the expectation holds"
          : `all ${expectations.length} expectations hold`
        : `${failed} of ${expectations.length} expectations failed`;
  const failedChecks = (kind: string, key: string, one: string, many: string) => {
    const names = results.filter((r) => r.kind === kind && !r.ok).map((r) => String(r.spec[key]));
    return names.length ? [`${names.length === 1 ? `1 ${one} failed` : `${names.length} ${many} failed`} (${names.join(", ")})`] : [];
  };
  const captures = results
    .filter((r) => r.kind === "capture" && !r.ok)
    .map((r) => (r.spec["expectation"] !== undefined ? `expectation ${r.spec["expectation"]}` : String(r.spec["capture"] ?? "capture")));
  const captureChecks = captures.length ? [`${captures.length === 1 ? "1 capture check failed" : `${captures.length} capture checks failed`} (${captures.join(", ")})`] : [];
  return [...failedChecks("endpoint", "endpoint", "endpoint", "endpoints"), ...failedChecks("fault", "fault", "fault", "faults"), ...captureChecks, judged].join("; ");
}

export function expectationsText(results: ExpectationResult[]): string {
  if (results.length === 0) return "no expectations in this lab (add an expect: list to judge the run)";
  const rows = [["", "kind", "expectation", "expected", "observed"]];
  results.forEach((r) => rows.push([r.ok ? "PASS" : "FAIL", r.kind, r.actual ? `${r.description} (actual: ${r.actual.description})` : r.description, r.expected, r.observed]));
  const failed = results.map((r, i) => ({ r, i })).filter(({ r }) => !r.ok);
  return [
    table(rows),
    "",
    // Built-in checks are not in the lab file's expect list: no number of theirs.
    ...failed.map(({ r, i }) => (BUILT_IN.has(r.kind) ? `  FAIL ${r.message}` : `  FAIL ${i + 1} (${r.kind}): ${r.message}`)),
    ...(failed.length ? [""] : []),
    verdictLine(results),
  ].join("\n");
}
