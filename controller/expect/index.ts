// Judge a lab's expectations from one run's observations. Pure.
import type { ExpectationSpec } from "../lab/types.js";
import { balanced } from "./balanced.js";
import { delivered } from "./delivered.js";
import { path } from "./path.js";
import { sourceSeen } from "./source-seen.js";
import type { ExpectationResult, Observations } from "./types.js";
import { unreachable } from "./unreachable.js";

export { balanced, takenBy } from "./balanced.js";
export { delivered } from "./delivered.js";
export { endpointCheck, endpointFailures } from "./endpoint.js";
export { path } from "./path.js";
export { sourceSeen } from "./source-seen.js";
export { unreachable } from "./unreachable.js";
export type { ExpectationKind, ExpectationResult, Observations } from "./types.js";

export function evaluateOne(spec: ExpectationSpec, observations: Observations): ExpectationResult {
  if ("delivered" in spec) return delivered(spec.delivered, observations);
  if ("sourceSeen" in spec) return sourceSeen(spec.sourceSeen, observations);
  if ("path" in spec) return path(spec.path, observations);
  if ("unreachable" in spec) return unreachable(spec.unreachable, observations);
  if ("balanced" in spec) return balanced(spec.balanced, observations);
  throw new Error(`unknown expectation kind: ${Object.keys(spec as object).join(", ")}`);
}

/** Every expectation, in the lab file's order. */
export function evaluate(specs: ExpectationSpec[] | undefined, observations: Observations): ExpectationResult[] {
  return (specs ?? []).map((s) => evaluateOne(s, observations));
}
