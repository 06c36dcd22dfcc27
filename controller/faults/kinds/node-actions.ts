// A node's container stopped, started, restarted, paused or unpaused through the engine.
import { faultKind, type FaultKind, type NodeAction, type NodeCondition } from "../kind.js";

/** Which condition each action needs its node in, and leaves it in. */
const NEEDS: Record<NodeAction, NodeCondition[]> = { stop: ["running", "paused"], start: ["stopped"], restart: ["running"], pause: ["running"], unpause: ["paused"] };
const LEAVES: Record<NodeAction, NodeCondition> = { stop: "stopped", start: "running", restart: "running", pause: "paused", unpause: "running" };

const DESCRIPTION: Record<NodeAction, (node: string) => string> = {
  stop: (n) => `stop node ${n} (no grace time)`,
  start: (n) => `start node ${n}, then configure it as declared`,
  restart: (n) => `restart node ${n} (no grace time), then configure it as declared`,
  pause: (n) => `pause node ${n} (its processes freeze)`,
  unpause: (n) => `unpause node ${n}`,
};

function hintFor(action: NodeAction, condition: NodeCondition): string {
  return {
    stop: "it is stopped already; remove this fault or start it in between",
    start: "a start follows a stop: stop the node with an earlier fault (action: stop), or use restart",
    restart: condition === "stopped" ? "the node is stopped: use start" : "unpause it first",
    pause: condition === "stopped" ? "the node is stopped: start it first" : "it is paused already",
    unpause: "an unpause follows a pause: pause the node with an earlier fault",
  }[action];
}

function nodeAction<K extends NodeAction>(action: K, doc: { does: string; kernel: string }): FaultKind<K, "action"> {
  return faultKind({
    kind: action,
    written: "action",
    target: "node",
    doc,
    walk(state, step, when) {
      const node = step.spec.node!;
      const { condition, by } = state.condition(node);
      if (!NEEDS[action].includes(condition)) {
        return { key: "action", message: `${action} of node "${node}" ${when}, which is ${condition}${by ? ` (by fault ${by})` : ""}`, hint: hintFor(action, condition) };
      }
      state.setCondition(node, LEAVES[action], step.name);
      // A start or restart gives the node a fresh kernel state: interface faults are gone.
      if (action === "start" || action === "restart") state.freshNode(node);
      return undefined;
    },
    plan(step) {
      const node = step.spec.node!;
      return { description: DESCRIPTION[action](node), engine: { node, action }, ...(action === "start" || action === "restart" ? { reconfigure: node } : {}), steps: [] };
    },
  });
}

const RESTART_NOTE = "a restarted container has a new network namespace";

export const stopKind = nodeAction("stop", { does: "the engine stops the node's container, with no grace time (`-t 0`: a node that fails does not shut down politely); its endpoints report what they did until then", kernel: "its processes die, then its network namespace is torn down (a router forwards until then)" });
export const startKind = nodeAction("start", { does: "the engine starts the node's container; it counts as done once the node is configured again (see [Nodes come back as declared](lab-file.md#nodes-come-back-as-declared)) and its endpoints run again, as a new life", kernel: RESTART_NOTE });
export const restartKind = nodeAction("restart", { does: "the engine restarts the node's container, with no grace time; done once the node is configured again and its endpoints run again, as a new life", kernel: RESTART_NOTE });
export const pauseKind = nodeAction("pause", { does: "the engine freezes the container's processes", kernel: "unchanged: packets to the node go unanswered, a router still forwards" });
export const unpauseKind = nodeAction("unpause", { does: "the engine thaws the container's processes", kernel: "unchanged" });
