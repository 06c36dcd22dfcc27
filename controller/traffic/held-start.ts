// A start fault held until its moment (engine/hold.ts): which starts are, how far ahead they
// begin, and when the node joined its networks.
import { releasedAt, waitReleasedArgv } from "../engine/hold.js";
import type { FaultPlan } from "../plan/types.js";
import type { RunningLab } from "../provision/running-lab.js";
import { wallNow } from "../../shared/clock.js";

/**
 * A start of a node of zmqlab's image (its boot script honours a hold), run by the runner's own
 * clock (a hook runs each fault when it returns: nothing to hold for).
 */
export function isHeldStart(lab: RunningLab, fault: FaultPlan, hook: boolean): boolean {
  return !hook && fault.engine?.action === "start" && lab.node(fault.engine.node).plan.defaultImage;
}

/** How long the node may take to say it joined, past its moment (s): the engine's start and a busy node. */
const RELEASE_BOUND_S = 30;

/** When the node joined its networks (ms since the epoch), as it wrote it; undefined when it could not say (it went away, or no hold was honoured). */
export async function releasedTime(lab: RunningLab, node: string, due: number): Promise<number | undefined> {
  try {
    const result = await lab.node(node).exec(waitReleasedArgv(Math.max(0, due - wallNow()) / 1000 + RELEASE_BOUND_S));
    return result.exitCode === 0 ? releasedAt(result.stdout) : undefined;
  } catch {
    return undefined;
  }
}
