// A node's container stopped, started, restarted, paused or unpaused through the engine.
import { faultKind, type Command, type FaultKind, type NodeAction, type NodeCondition } from "../kind.js";
import { nftTransaction } from "./shaping.js";

/** nftables table that cuts a node off just before the engine stops it. */
export const CUT_TABLE = "zmqlab_cut";

/**
 * Every packet in and out of the node dropped, in one transaction, but the FIN and RST its own
 * connections send as they close: what arrives (also what it would forward) and what it sends. A
 * stop takes a node off its networks 100-250 ms after the call, later on a busy engine: this cut
 * lands at the fault's moment, and the node's peers still see their connections close (as they do
 * on a docker stop), so that a ZeroMQ peer reconnects elsewhere.
 */
export function cutOff(why: string): Command {
  return nftTransaction(
    [
      ["add", "table", "inet", CUT_TABLE],
      ["add", "chain", "inet", CUT_TABLE, "arriving", "{ type filter hook prerouting priority -400; policy drop; }"],
      ["add", "chain", "inet", CUT_TABLE, "sending", "{ type filter hook output priority -400; policy drop; }"],
      ["add", "rule", "inet", CUT_TABLE, "sending", "tcp flags & (fin | rst) != 0 accept"],
    ],
    why,
  );
}

/**
 * The node's processes ended at once (SIGKILL, as the engine's stop ends those of a container), but
 * its init and the armed script that runs this: a function of that script (traffic/armed.ts), as
 * `kill -1` from a process of its own would end the script too.
 */
export const END_PROCESSES = "zmqlab_end_processes";

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
    plan(step, context) {
      const node = step.spec.node!;
      const cut =
        action === "stop" || action === "restart"
          ? {
              cut: [cutOff(context.why("off its networks at the moment")), { argv: [END_PROCESSES], why: context.why("its processes end at the moment, their connections closing") }] as [
                Command,
                Command,
              ],
            }
          : {};
      return { description: DESCRIPTION[action](node), engine: { node, action, ...cut }, ...(action === "start" || action === "restart" ? { reconfigure: node } : {}), steps: [] };
    },
  });
}

const RESTART_NOTE = "a restarted container has a new network namespace";

export const stopKind = nodeAction("stop", {
  does: "at its moment the node drops every packet in and out but its connections' last FIN and RST (table `inet zmqlab_cut`, one transaction: nothing forwarded from then on) and its processes end (SIGKILL, but its init), so its peers see their connections close at the moment, as on a docker stop; then the engine stops its container with no grace time (`-t 0`); its endpoints report what they did until then",
  kernel: "nftables for the cut (without it in the node, the engine's stop alone: the node forwards until its network namespace is torn down, 100-250 ms after the call)",
});
export const startKind = nodeAction("start", {
  does: "the engine starts the node's container; it counts as done once the node is configured again (see [Nodes come back as declared](lab-file.md#nodes-come-back-as-declared)) and its endpoints run again, as a new life",
  kernel: RESTART_NOTE,
});
export const restartKind = nodeAction("restart", {
  does: "cut off at its moment as a stop is, then the engine restarts the node's container, with no grace time; done once the node is configured again and its endpoints run again, as a new life",
  kernel: RESTART_NOTE,
});
export const pauseKind = nodeAction("pause", { does: "the engine freezes the container's processes", kernel: "unchanged: packets to the node go unanswered, a router still forwards" });
export const unpauseKind = nodeAction("unpause", { does: "the engine thaws the container's processes", kernel: "unchanged" });
