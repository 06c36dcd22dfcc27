// The fault timeline: faults in time order, and the state each one finds on its target. Pure;
// shared by validation (is every step possible then?) and planning (what does `clear` remove?).
import { parseDuration } from "../../shared/duration.js";
import type { FaultSpec, InterfaceFaults, NodeCondition, Step, TimelineState } from "./kind.js";
import { kindsOf } from "./registry.js";

export interface TimedFault {
  name: string;
  spec: FaultSpec;
  atMs: number;
}

/** Faults whose time parses, in time order (the lab file's order among equal times). */
export function orderedFaults(lab: { faults?: Record<string, FaultSpec> }): TimedFault[] {
  return Object.entries(lab.faults ?? {})
    .map(([name, spec]) => ({ name, spec, atMs: parseDuration(spec.at) }))
    .filter((f): f is TimedFault => f.atMs !== undefined)
    .sort((a, b) => a.atMs - b.atMs);
}

/** The lab as the walk needs it: its nodes and their networks. */
interface Topology {
  nodes: Record<string, { interfaces: Record<string, unknown> }>;
  faults?: Record<string, FaultSpec>;
}

function state(): TimelineState {
  const nodes = new Map<string, { condition: NodeCondition; by?: string }>();
  const interfaces = new Map<string, InterfaceFaults>();
  return {
    condition: (node) => nodes.get(node) ?? { condition: "running" },
    setCondition: (node, condition, by) => void nodes.set(node, { condition, by }),
    interfaceFaults: (node, network) => ({ ...(interfaces.get(`${node}/${network}`) ?? { down: false }) }),
    setInterfaceFaults: (node, network, faults) => void interfaces.set(`${node}/${network}`, faults),
    freshNode(node) {
      for (const key of [...interfaces.keys()]) if (key.startsWith(`${node}/`)) interfaces.delete(key);
    },
    partition: undefined,
  };
}

/**
 * Walk the timeline of the faults that state one kind and name existing nodes and networks
 * (validation reports the others), each kind checking its target's state and changing it. A
 * fault that acts inside nodes needs them running then (not stopped or paused by an earlier one).
 */
export function walkFaults(lab: Topology): Step[] {
  const s = state();
  const steps: Step[] = [];
  for (const fault of orderedFaults(lab)) {
    const kinds = kindsOf(fault.spec);
    const kind = kinds[0];
    if (kinds.length !== 1 || !kind) continue;
    const { node, network } = fault.spec;
    if (node !== undefined && !lab.nodes[node]) continue;
    if (kind.target === "interface" && (network === undefined || !lab.nodes[node ?? ""] || !(network in lab.nodes[node!]!.interfaces))) continue;
    const step: Step = { ...fault };
    steps.push(step);
    const when = `at ${fault.atMs} ms`;
    if (kind.inside) {
      const members = kind.target === "sets" ? (fault.spec.partition ?? []).flat() : node !== undefined ? [node] : [];
      const down = members.map((m) => ({ m, ...s.condition(m) })).find((c) => c.condition !== "running");
      if (down) {
        step.problem = {
          key: kind.target === "sets" ? "partition" : "node",
          message: `node "${down.m}" is ${down.condition} ${when} (by fault ${down.by})`,
          hint: `${down.condition === "stopped" ? "start" : "unpause"} it first with an earlier fault, or move this fault`,
        };
        continue;
      }
    }
    const problem = kind.walk(s, step, when);
    if (problem) step.problem = problem;
  }
  return steps;
}
