// A start fault held until its moment (engine/hold.ts): which starts are, how far ahead they
// begin, and when the node joined its networks.
import { RELEASE_WORDS, releasedAt, waitReleasedArgv } from "../engine/hold.js";
import type { NodeHandle } from "../engine/runtime.js";
import type { FaultPlan } from "../plan/types.js";
import type { RunningLab } from "../provision/running-lab.js";
import { wallNow } from "../../shared/clock.js";
import { ArmedNode } from "./armed.js";
import { batched } from "./armed-tools.js";

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

/**
 * How long after its moment a node released from beside it (releaseBeside) lifts its own hold: the
 * fallback, should the release beside not come (ms).
 */
export const FALLBACK_MS = 250;

/** The moment a held node releases itself (its hold file): FALLBACK_MS later where it is released from beside it. */
export const ownRelease = (handle: NodeHandle, holdUntil: number | undefined): number | undefined => (holdUntil !== undefined && handle.spawnBeside ? holdUntil + FALLBACK_MS : holdUntil);

/**
 * Lift the node's hold at `due` from beside it (engine/beside.ts), where the node's own boot (its
 * daemons, its configuration again) does not make the release wait for the node's turn on the
 * CPU: an armed list of one nft line. When it did (ms since the epoch, the node's clock);
 * undefined where it could not (no place beside the node, the node gone, or its own release first).
 */
export async function releaseBeside(lab: RunningLab, node: string, due: number): Promise<number | undefined> {
  let armed: ArmedNode | undefined;
  if (!lab.node(node).handle.spawnBeside) return undefined;
  try {
    armed = await ArmedNode.arm(lab.node(node).handle, [[batched(["nft", ...RELEASE_WORDS])!]], true, true);
    const run = await armed.fireAt(0, due);
    const command = run?.commands[0];
    return command?.exitCode === 0 ? (command.end ?? run!.end) : undefined;
  } catch {
    return undefined;
  } finally {
    armed?.close();
  }
}

/**
 * When a held node joined its networks (ms since the epoch): released from beside it at `due`
 * where the engine can (begun now: call it as soon as the engine started the node), else as it
 * wrote itself; undefined when neither said.
 */
export async function joined(lab: RunningLab, node: string, due: number): Promise<number | undefined> {
  return (await releaseBeside(lab, node, due)) ?? (await releasedTime(lab, node, due));
}
