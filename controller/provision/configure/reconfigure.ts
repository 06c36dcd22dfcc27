// A running node brought back to its plan: a node the engine started or restarted (a fresh
// network namespace: no network names, Docker's default route back, no counters) gets its whole
// configuration again; a node that kept its namespace gets what it lacks (repair.ts).
import { EnvironmentError } from "../../errors.js";
import type { NodeHandle } from "../../engine/runtime.js";
import { countersInstalled } from "../../observe/counters.js";
import { readKernel } from "../../observe/read.js";
import type { NodePlan } from "../../plan/types.js";
import { applySteps, fullSteps } from "./apply.js";
import { freshNamespace, planRepair } from "./repair.js";
import { commandSteps } from "./steps.js";
import { compareWithPlan } from "./verify.js";

/**
 * Idempotent. With `onlyRestarted`, a node that kept its namespace is left as it is, even when it
 * differs (a route deleted by hand to see an expectation fail). Returns what differed (empty when
 * nothing did); throws an EnvironmentError when the kernel still differs after.
 */
export async function reconfigure(node: { readonly plan: NodePlan; readonly ipv6: boolean; readonly handle: NodeHandle }, lab: string, options: { onlyRestarted?: boolean } = {}): Promise<string[]> {
  const { plan, ipv6, handle } = node;
  const before = await readKernel(handle, ipv6);
  if (options.onlyRestarted && !freshNamespace(plan, before)) return [];
  const repair = planRepair(plan, before, plan.forward ? await countersInstalled(handle) : true);
  if (repair.kind === "none") return [];
  const steps = repair.kind === "fresh" ? fullSteps(plan, ipv6) : commandSteps(repair.commands, ipv6);
  const left = compareWithPlan(plan, await applySteps(handle, plan, steps));
  if (left.length > 0) {
    throw new EnvironmentError(
      `Node ${plan.name} of lab ${lab} could not be configured as declared:\n  ${left.join("\n  ")}`,
      "zmqlab up --dry-run shows every planned command; zmqlab down, then zmqlab up, starts it fresh",
    );
  }
  return repair.differences.length > 0 ? repair.differences : ["a fresh network namespace"];
}
