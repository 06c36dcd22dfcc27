// Judge a lab's expectations from one run's observations, each by its kind's judge (registry.ts),
// on the whole run or on the phase it names. Pure.
import { kindOf, type ExpectationSpec, type Kinds } from "./registry.js";
import type { ExpectationResult, Observations } from "./types.js";
import { describeScope, scopeOf, scoped, windowOf, withoutPhase } from "./phases.js";

// Each kind's judge, for tests and for judging by hand.
export { balanced, takenBy } from "./kinds/balanced.js";
export { delivered } from "./kinds/delivered.js";
export { exited } from "./kinds/exited.js";
export { lost } from "./kinds/lost.js";
export { output } from "./kinds/output.js";
export { path } from "./kinds/path.js";
export { reconnected } from "./kinds/reconnected.js";
export { recovered } from "./kinds/recovered.js";
export { sourceSeen } from "./kinds/source-seen.js";
export { unreachable } from "./kinds/unreachable.js";
export { endpointCheck, endpointFailures } from "./endpoint.js";
export { faultCheck, faultFailures } from "./fault.js";
export { captureFailures, type CaptureObservation } from "./capture.js";
export { phasesOf, type Phase } from "./phases.js";
export { EXPECTATION_KINDS, kindOf, type ExpectationSpec, type Kinds, type LabExpectationKind, type PhaseScope, type BodyOf } from "./registry.js";
export type { ExpectationKind, ExpectationResult, Observations } from "./types.js";

export function evaluateOne(spec: ExpectationSpec, observations: Observations, kinds?: Kinds): ExpectationResult {
  const { kind: definition, body } = kindOf(spec, kinds);
  const judge = definition.judge as (body: unknown, o: Observations) => ExpectationResult;
  const scope = definition.timed ? undefined : scopeOf(body);
  if (!scope) return judge(body, observations);
  // A phased expectation: the same judge, on the observations of that phase only.
  const window = windowOf(scope, observations);
  const result = typeof window === "string" ? judge(withoutPhase(body), observations) : judge(withoutPhase(body), scoped(observations, scope, window));
  const phased = { ...result, description: `${result.description}, ${describeScope(scope)}`, spec: { ...body } };
  if (typeof window === "string") return { ...phased, ok: false, observed: "the fault did not run", message: window, evidence: {} };
  return { ...phased, evidence: { ...result.evidence, phase: { ...scope, ...window } } };
}

/** Every expectation, in the lab file's order. */
export function evaluate(specs: ExpectationSpec[] | undefined, observations: Observations, kinds?: Kinds): ExpectationResult[] {
  return (specs ?? []).map((s) => evaluateOne(s, observations, kinds));
}
