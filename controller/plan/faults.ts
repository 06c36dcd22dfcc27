// Pure planning of faults: each fault becomes an engine action and/or argument lists per node,
// each with its why, by its kind's module (controller/faults/kinds/), shown by `up --dry-run`
// and run by traffic/fault-runner.ts.
import { addressesOf } from "../lab/addresses.js";
import type { Lab } from "../lab/types.js";
import type { Step } from "../faults/kind.js";
import { kindsOf } from "../faults/registry.js";
import { walkFaults } from "../faults/timeline.js";
import type { FaultPlan, LabPlan } from "./types.js";

/** The node's kernel name for its interface on a lab network (read from the node when the fault runs). */
export type InterfaceNames = (node: string, network: string) => string;

/** For a dry run, where no node runs yet: `<servers>` stands for the kernel name of the interface on servers. */
export const PLACEHOLDER_NAMES: InterfaceNames = (_node, network) => `<${network}>`;

/** Every fault of a valid lab, planned in time order. */
export function planFaults(lab: Lab, plan: Pick<LabPlan, "nodes">, names: InterfaceNames = PLACEHOLDER_NAMES): FaultPlan[] {
  return walkFaults(lab).map((step) => planStep(lab, plan, step, names));
}

function planStep(lab: Lab, plan: Pick<LabPlan, "nodes">, step: Step, names: InterfaceNames): FaultPlan {
  const [kind] = kindsOf(step.spec);
  if (!kind) throw new Error(`bug: fault ${step.name} states no kind (validation should have caught it)`);
  const actions = kind.plan(step, {
    addresses: (node) => (lab.nodes[node] ? addressesOf(lab.nodes[node]) : []),
    nodePlan: (node) => plan.nodes.find((n) => n.name === node),
    dev: names,
    why: (text) => `fault ${step.name}: ${text}`,
  });
  return { name: step.name, atMs: step.atMs, ...actions };
}

/** One fault of a valid lab, by name, planned with the nodes' kernel interface names. */
export function planFault(lab: Lab, plan: Pick<LabPlan, "nodes">, name: string, names: InterfaceNames): FaultPlan {
  const step = walkFaults(lab).find((s) => s.name === name);
  if (!step) throw new Error(`bug: no fault ${name} on the timeline (validation should have caught it)`);
  return planStep(lab, plan, step, names);
}
