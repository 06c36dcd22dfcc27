// Nodes that went away during the traffic phase: stopped, paused, removed or restarted, by a
// fault or by hand. A run reports them and keeps every observation made until then; it does not
// crash on them. Reads of such a node are bounded (an exec into a paused node hangs).
import { isNodeAction } from "../faults/registry.js";
import { orderedFaults } from "../faults/timeline.js";
import type { RunningLab } from "../provision/running-lab.js";
import type { InterruptedNode } from "./types.js";

// The bound on a read from a node (counters.ts reads the routers' counters with it).
export { bounded, READ_BOUND_MS } from "../observe/counters.js";

/** Docker's state as the lab's words: an exited container was stopped. */
export function stateWord(state: string): InterruptedNode["state"] {
  if (state === "exited" || state === "dead" || state === "created") return "stopped";
  if (state === "paused" || state === "gone" || state === "restarting") return state;
  // Being removed: gone by the time anyone looks again.
  if (state === "removing") return "gone";
  return "stopped";
}

export function interruptionMessage(node: string, container: string, state: InterruptedNode["state"]): string {
  const [how, so] = {
    stopped: ["was stopped (or its main process ended)", ""],
    paused: ["was paused (docker pause)", ": its processes were frozen"],
    gone: ["was removed", ""],
    restarting: ["was restarting", ""],
    restarted: ["was restarted", ": what ran in it (zmqlab's agent, programs, its counters) started over"],
  }[state];
  return `node ${node} (container ${container}) ${how} during the traffic phase${so}`;
}

/**
 * Every node of the lab that is not running now, or that started again after `since` (the
 * traffic's start): one inspect per node, concurrently.
 */
export async function interruptedNodes(lab: RunningLab, since: Date): Promise<InterruptedNode[]> {
  const handles = lab.nodes.map((n) => n.handle);
  const states = await Promise.all(handles.map((h) => h.status()));
  return lab.plan.nodes.flatMap((n, i): InterruptedNode[] => {
    const container = handles[i]!.resource;
    const { state, startedAt } = states[i]!;
    const restarted = state === "running" && startedAt !== undefined && Date.parse(startedAt) > since.getTime();
    if (state === "running" && !restarted) return [];
    const word = restarted ? "restarted" : stateWord(state);
    // The lab's own faults that stopped, restarted or paused the node: declared, not a surprise,
    // when they leave the node as it was found (a node removed, or stopped when they would have
    // it running, is someone else's doing).
    const declared = orderedFaults(lab.lab).filter((f) => f.spec.node === n.name && isNodeAction(f.spec.action));
    const planned = declared.length > 0 && expectedState(declared.map((f) => f.spec.action!)) === word;
    const names = declared.map((f) => f.name);
    const message = interruptionMessage(n.name, container, word) + (planned ? ` (by the lab's faults: ${names.join(", ")})` : "");
    return [{ node: n.name, container, state: word, message, ...(planned ? { faults: names } : {}) }];
  });
}

/** How a node's own engine faults, in time order, leave it: stopped, paused, or restarted (running again). */
export function expectedState(actions: string[]): InterruptedNode["state"] | "running" {
  let state: InterruptedNode["state"] | "running" = "running";
  let beforePause: InterruptedNode["state"] | "running" = state;
  for (const action of actions) {
    if (action === "stop") state = "stopped";
    else if (action === "start" || action === "restart") state = "restarted";
    else if (action === "pause") [beforePause, state] = [state, "paused"];
    else if (action === "unpause") state = beforePause;
  }
  return state;
}

const WATCH_MS = 500;

/**
 * Call `onFrozen(node)` once for each of `nodes` found paused, checking every 500 ms until
 * stopped: a paused node's agent neither sends nor ends, so the traffic phase must not wait for
 * it until its bound. (A stopped or removed node's agent ends by itself.)
 */
export function watchForPaused(lab: RunningLab, nodes: string[], onFrozen: (node: string) => void): { stop(): void } {
  const left = new Set(nodes);
  let stopped = false;
  const look = async () => {
    while (!stopped && left.size > 0) {
      await new Promise((r) => setTimeout(r, WATCH_MS));
      const states = await Promise.all(
        [...left].map(
          async (n) =>
            [
              n,
              await lab
                .node(n)
                .status()
                .catch(() => undefined),
            ] as const,
        ),
      );
      for (const [node, status] of states) {
        if (stopped || status?.state !== "paused") continue;
        left.delete(node);
        onFrozen(node);
      }
    }
  };
  void look();
  return { stop: () => void (stopped = true) };
}
