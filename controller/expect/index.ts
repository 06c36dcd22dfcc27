// Judge a lab's expectations from one run's observations. Pure.
import type { ExpectationSpec, PhaseScope } from "../lab/types.js";
import { balanced } from "./balanced.js";
import { delivered } from "./delivered.js";
import { path } from "./path.js";
import { sourceSeen } from "./source-seen.js";
import type { LabExpectationKind as ExpectationKind, ExpectationResult, Observations } from "./types.js";
import { unreachable } from "./unreachable.js";
import { exited } from "./exited.js";
import { output } from "./output.js";
import { lost } from "./lost.js";
import { describeScope, scopeOf, scoped, windowOf, withoutPhase } from "./phases.js";
import { reconnected } from "./reconnected.js";
import { recovered } from "./recovered.js";

export { balanced, takenBy } from "./balanced.js";
export { delivered } from "./delivered.js";
export { endpointCheck, endpointFailures } from "./endpoint.js";
export { faultCheck, faultFailures } from "./fault.js";
export { path } from "./path.js";
export { sourceSeen } from "./source-seen.js";
export { unreachable } from "./unreachable.js";
export { exited } from "./exited.js";
export { output } from "./output.js";
export { lost } from "./lost.js";
export { reconnected } from "./reconnected.js";
export { recovered } from "./recovered.js";
export { phasesOf, type Phase } from "./phases.js";
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
  recovered,
  lost,
  reconnected,
};

/** Kinds whose own `after` is part of what they judge (they read the whole timeline around the fault): not cut to a phase. */
const TIMED: ReadonlySet<ExpectationKind> = new Set(["recovered", "reconnected"]);

export const KINDS = Object.keys(JUDGES) as ExpectationKind[];

export function evaluateOne(spec: ExpectationSpec, observations: Observations): ExpectationResult {
  const kind = KINDS.find((k) => k in spec);
  if (kind === undefined) throw new Error(`unknown expectation kind: ${Object.keys(spec as object).join(", ")}`);
  const judge = JUDGES[kind] as (body: unknown, o: Observations) => ExpectationResult;
  const body = (spec as unknown as Record<string, PhaseScope>)[kind]!;
  const scope = TIMED.has(kind) ? undefined : scopeOf(body);
  if (!scope) return judge(body, observations);
  // A phased expectation: the same judge, on the observations of that phase only.
  const window = windowOf(scope, observations);
  const result = typeof window === "string" ? judge(withoutPhase(body), observations) : judge(withoutPhase(body), scoped(observations, scope, window));
  const phased = { ...result, description: `${result.description}, ${describeScope(scope)}`, spec: { ...body } };
  if (typeof window === "string") return { ...phased, ok: false, observed: "the fault did not run", message: window, evidence: {} };
  return { ...phased, evidence: { ...result.evidence, phase: { ...scope, ...window } } };
}

/** Every expectation, in the lab file's order. */
export function evaluate(specs: ExpectationSpec[] | undefined, observations: Observations): ExpectationResult[] {
  return (specs ?? []).map((s) => evaluateOne(s, observations));
}
