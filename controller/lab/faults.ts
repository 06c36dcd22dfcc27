// The fault timeline: faults in time order, and the state each one finds on its target. Pure;
// shared by validation (is every step possible then?) and planning (what does `clear` remove?).
import { parseDuration } from "./duration.js";
import { INTERFACE_ACTIONS, NODE_ACTIONS, type FaultSpec, type Lab } from "./types.js";

/** What a fault does: the one key of `action`, `loss`, `rate`, `delay`, `partition`, `exec` it has. */
export const FAULT_KINDS = ["action", "loss", "rate", "delay", "partition", "exec"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const kindsOf = (spec: FaultSpec): FaultKind[] => FAULT_KINDS.filter((k) => spec[k] !== undefined);

export const isNodeAction = (a: string | undefined): boolean => (NODE_ACTIONS as readonly (string | undefined)[]).includes(a);
export const isInterfaceAction = (a: string | undefined): boolean => (INTERFACE_ACTIONS as readonly (string | undefined)[]).includes(a);

/** Whether the fault acts on an interface (node and network). */
export const onInterface = (spec: FaultSpec): boolean => isInterfaceAction(spec.action) || spec.loss !== undefined || spec.rate !== undefined || spec.delay !== undefined;

export interface TimedFault {
  name: string;
  spec: FaultSpec;
  atMs: number;
}

/** What zmqlab has done to an interface so far. */
export interface InterfaceFaults {
  down: boolean;
  loss?: number;
  rate?: string;
  delay?: string | number;
}

export type NodeCondition = "running" | "stopped" | "paused";

/** A fault with the state its target is in just before it, and why it cannot happen then (if so). */
export interface Step extends TimedFault {
  /** The interface's faults before this one (interface faults only). */
  before?: InterfaceFaults;
  /** The groups of the partition in force before this one (heal). */
  partition?: string[][];
  problem?: { key: string; message: string; hint: string };
}

/** Faults whose time parses, in time order (the lab file's order among equal times). */
export function orderedFaults(lab: Lab): TimedFault[] {
  return Object.entries(lab.faults ?? {})
    .map(([name, spec]) => ({ name, spec, atMs: parseDuration(spec.at) }))
    .filter((f): f is TimedFault => f.atMs !== undefined)
    .sort((a, b) => a.atMs - b.atMs);
}

/**
 * Walk the timeline of faults that name existing nodes and networks, tracking each node's
 * condition, each interface's faults and the partition in force. A start or restart brings a
 * node back as declared: whatever faults its interfaces had are gone with its old kernel state.
 */
export function walkFaults(lab: Lab): Step[] {
  const nodes = new Map<string, { condition: NodeCondition; by?: string }>();
  const interfaces = new Map<string, InterfaceFaults>();
  let partition: { groups: string[][]; by: string } | undefined;
  const conditionOf = (node: string) => nodes.get(node) ?? { condition: "running" as NodeCondition };
  const steps: Step[] = [];
  for (const fault of orderedFaults(lab)) {
    const { spec, name } = fault;
    if (kindsOf(spec).length !== 1) continue;
    if (spec.node !== undefined && !lab.nodes[spec.node]) continue;
    const step: Step = { ...fault };
    steps.push(step);
    const when = `at ${fault.atMs} ms`;
    const node = spec.node;
    const notRunning = (n: string) => {
      const c = conditionOf(n);
      return c.condition === "running" ? undefined : { key: "node", message: `node "${n}" is ${c.condition} ${when} (by fault ${c.by})`, hint: `${c.condition === "stopped" ? "start" : "unpause"} it first with an earlier fault, or move this fault` };
    };
    if (spec.action !== undefined && isNodeAction(spec.action) && node !== undefined) {
      const c = conditionOf(node).condition;
      const needs: Record<string, NodeCondition[]> = { stop: ["running", "paused"], start: ["stopped"], restart: ["running"], pause: ["running"], unpause: ["paused"] };
      const after: Record<string, NodeCondition> = { stop: "stopped", start: "running", restart: "running", pause: "paused", unpause: "running" };
      if (!needs[spec.action]!.includes(c)) {
        const by = conditionOf(node).by;
        const hints: Record<string, string> = {
          stop: "it is stopped already; remove this fault or start it in between",
          start: "a start follows a stop: stop the node with an earlier fault (action: stop), or use restart",
          restart: c === "stopped" ? "the node is stopped: use start" : "unpause it first",
          pause: c === "stopped" ? "the node is stopped: start it first" : "it is paused already",
          unpause: "an unpause follows a pause: pause the node with an earlier fault",
        };
        const hint = hints[spec.action]!;
        step.problem = { key: "action", message: `${spec.action} of node "${node}" ${when}, which is ${c}${by ? ` (by fault ${by})` : ""}`, hint };
        continue;
      }
      nodes.set(node, { condition: after[spec.action]!, by: name });
      // A start or restart gives the node a fresh kernel state: interface faults are gone.
      if (spec.action === "start" || spec.action === "restart") for (const key of [...interfaces.keys()]) if (key.startsWith(`${node}/`)) interfaces.delete(key);
      continue;
    }
    if (spec.partition !== undefined) {
      // A name the lab lacks (validation reports it) counts as running.
      const members = spec.partition.flat();
      const down = members.map(notRunning).find(Boolean);
      if (partition) step.problem = { key: "partition", message: `a partition ${when}, while fault ${partition.by}'s partition is in force`, hint: `heal it first (an earlier fault with action: heal), or put every set into one partition` };
      else if (down) step.problem = { ...down, key: "partition" };
      else partition = { groups: spec.partition, by: name };
      continue;
    }
    if (spec.action === "heal") {
      if (!partition) step.problem = { key: "action", message: `heal ${when}, but no partition is in force then`, hint: "heal follows a fault with partition: [[a], [b]]" };
      else {
        step.partition = partition.groups;
        partition = undefined;
      }
      continue;
    }
    if (node === undefined) continue;
    const down = notRunning(node);
    if (down) {
      step.problem = down;
      continue;
    }
    if (!onInterface(spec) || spec.network === undefined || !(spec.network in lab.nodes[node]!.interfaces)) continue;
    const key = `${node}/${spec.network}`;
    const before: InterfaceFaults = { ...(interfaces.get(key) ?? { down: false }) };
    step.before = before;
    const now: InterfaceFaults = { ...before };
    const target = `${node}'s interface on ${spec.network}`;
    if (spec.action === "down") {
      if (before.down) step.problem = { key: "action", message: `down ${when}, but ${target} is down already`, hint: "bring it up in between (action: up), or remove this fault" };
      now.down = true;
    } else if (spec.action === "up") {
      if (!before.down) step.problem = { key: "action", message: `up ${when}, but ${target} is not down then`, hint: "up follows a fault with action: down on the same node and network" };
      now.down = false;
    } else if (spec.action === "clear") {
      if (before.loss === undefined && before.rate === undefined && before.delay === undefined) step.problem = { key: "action", message: `clear ${when}, but ${target} has no loss, rate or delay then`, hint: "clear follows a fault with loss, rate or delay on the same node and network" };
      delete now.loss;
      delete now.rate;
      delete now.delay;
    } else if (spec.loss !== undefined) now.loss = spec.loss;
    else if (spec.rate !== undefined) {
      if (before.delay !== undefined) step.problem = { key: "rate", message: `rate ${when}, while ${target} has a delay`, hint: "one root qdisc per interface: clear the delay first (action: clear)" };
      now.rate = spec.rate;
    } else if (spec.delay !== undefined) {
      if (before.rate !== undefined) step.problem = { key: "delay", message: `delay ${when}, while ${target} has a rate limit`, hint: "one root qdisc per interface: clear the rate first (action: clear)" };
      now.delay = spec.delay;
    }
    if (!step.problem) interfaces.set(key, now);
  }
  return steps;
}

/** A tc rate in bits per second ("1mbit", "500kbit", "2mbps"), or undefined when it is not one. */
export function rateBits(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)$/.exec(text);
  if (!m) return undefined;
  const factor = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9, bps: 8, kbps: 8e3, mbps: 8e6, gbps: 8e9 }[m[2]!]!;
  const bits = Number(m[1]) * factor;
  return bits > 0 ? bits : undefined;
}
