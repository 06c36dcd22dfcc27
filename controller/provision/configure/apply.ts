// Configure a node: its steps (steps.ts) through the script, in one exec or as its container
// starts (zmqlab's image: no exec at all); one exec per command where the image has no `sh`. The
// kernel's state comes back from the same run. A step that failed is the environment's problem,
// said with why it was planned.
import { readFileSync } from "node:fs";
import { EnvironmentError } from "../../errors.js";
import type { ExecResult } from "../../engine/exec.js";
import type { NodeHandle, Runtime } from "../../engine/runtime.js";
import type { KernelState } from "../../observe/kernel.js";
import { kernelState } from "../../observe/read.js";
import type { FilePlan, LabPlan, NodePlan } from "../../plan/types.js";
import { runByCommand } from "./by-command.js";
import { commandFailed } from "./failure.js";
import { noShell, parseScriptOutput, scriptArgv } from "./script.js";
import { nodeSteps, type Step, type StepFailure } from "./steps.js";

/** A file the lab names (routing.frr) is read here, at the edge; planning only names it. */
const fileText = (file: FilePlan): string => file.content ?? readFileSync(file.source!, "utf8");

/** The node's whole configuration, as at `up`. */
export const fullSteps = (plan: NodePlan, ipv6: boolean): Step[] => nodeSteps(plan, ipv6, fileText);

/** Create and start a node, configured as it starts (zmqlab's image) or right after (others). */
export async function createConfigured(runtime: Runtime, lab: LabPlan, plan: NodePlan, ipv6: boolean, log?: (line: string) => void): Promise<KernelState> {
  const steps = fullSteps(plan, ipv6);
  const boot = plan.defaultImage ? scriptArgv(steps) : undefined;
  const created = await runtime.createNode(lab, plan, boot);
  if (boot && created.boot) return fromScript(plan, steps, created.boot);
  return applySteps(created.handle, plan, steps, log);
}

/** Run the steps in a running node: the script in one exec; one exec per command where the image has no `sh`. */
export async function applySteps(handle: NodeHandle, plan: NodePlan, steps: Step[], log?: (line: string) => void): Promise<KernelState> {
  const result = await handle.exec(scriptArgv(steps));
  if (plan.defaultImage || !noShell(result)) return fromScript(plan, steps, result);
  log?.(`${plan.name}: its image ${plan.image} has no sh: configuring it one command at a time`);
  const outcome = await runByCommand(handle, steps);
  if (outcome.failed) throw failedStep(plan, outcome.failed);
  if (!outcome.state) throw new Error(`the steps of node ${plan.name} do not read its state back`);
  return outcome.state;
}

/** The kernel state the script printed, or the step that failed as the environment's error. */
function fromScript(plan: NodePlan, steps: Step[], output: ExecResult): KernelState {
  if (output.exitCode !== 0) {
    throw new EnvironmentError(`In node ${plan.name}, zmqlab's configure script (sh) failed (exit ${output.exitCode}): ${output.stderr.trim() || output.stdout.trim()}`);
  }
  let parsed;
  try {
    parsed = parseScriptOutput(output.stdout, steps);
  } catch (err) {
    // It stopped short: its node stopped under it.
    throw new EnvironmentError(`In node ${plan.name}, zmqlab's configure script did not finish: ${(err as Error).message}`);
  }
  if (parsed.failed) throw failedStep(plan, parsed.failed);
  try {
    return kernelState(parsed.state.addr, parsed.state.routes, parsed.state.rules);
  } catch (err) {
    throw new EnvironmentError(
      `In node ${plan.name}, the kernel's state could not be read (\`ip -j\`: ${(err as Error).message}).`,
      `the node's image needs iproute2's ip (with -j); ${output.stderr.trim().split("\n")[0] ?? ""}`,
    );
  }
}

const failedStep = (plan: NodePlan, failure: StepFailure) => commandFailed(plan, failure.argv, failure.step.why, failure.exitCode, failure.output);
