// Judge a lab's expectations from one run's observations. Pure.
import type { ExpectationSpec } from "../lab/types.js";
import { balanced } from "./balanced.js";
import { delivered } from "./delivered.js";
import { path } from "./path.js";
import { sourceSeen } from "./source-seen.js";
import type { LabExpectationKind as ExpectationKind, ExpectationResult, Observations } from "./types.js";
import { unreachable } from "./unreachable.js";
import { exited } from "./exited.js";
import { output } from "./output.js";

export { balanced, takenBy } from "./balanced.js";
export { delivered } from "./delivered.js";
export { endpointCheck, endpointFailures } from "./endpoint.js";
export { path } from "./path.js";
export { sourceSeen } from "./source-seen.js";
export { unreachable } from "./unreachable.js";
export { exited } from "./exited.js";
export { output } from "./output.js";
export type { ExpectationKind, ExpectationResult, Observations } from "./types.js";

/** The body of an expectation of kind K (what follows `K:` in the lab file). */
type BodyOf<K extends ExpectationKind> = Extract<ExpectationSpec, Record<K, unknown>>[K];

/**
 * Every kind, one entry each: the compiler refuses a kind of the lab file's types that has no
 * judge here, and a judge for a kind the lab file cannot state.
 */
export const JUDGES: { [K in ExpectationKind]: (spec: BodyOf<K>, observations: Observations) => ExpectationResult } = {
  delivered,
  sourceSeen,
  path,
  unreachable,
  balanced,
  exited,
  output,
};

export const KINDS = Object.keys(JUDGES) as ExpectationKind[];

export function evaluateOne(spec: ExpectationSpec, observations: Observations): ExpectationResult {
  const kind = KINDS.find((k) => k in spec);
  if (kind === undefined) throw new Error(`unknown expectation kind: ${Object.keys(spec as object).join(", ")}`);
  const judge = JUDGES[kind] as (body: unknown, o: Observations) => ExpectationResult;
  return judge((spec as unknown as Record<string, unknown>)[kind], observations);
}

/** Every expectation, in the lab file's order. */
export function evaluate(specs: ExpectationSpec[] | undefined, observations: Observations): ExpectationResult[] {
  return (specs ?? []).map((s) => evaluateOne(s, observations));
}
