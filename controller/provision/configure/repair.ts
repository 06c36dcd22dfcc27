// Pure: what brings a node whose kernel drifted back to its plan. A node restarted by Docker has
// a fresh network namespace (interfaces without their network names): it gets its whole plan
// again, as at `up`. A node that kept its namespace gets only what it lacks, so running the repair
// twice changes nothing (`ip addr add` of an address that is there would fail).
import { sameDestination, type KernelState } from "../../observe/kernel.js";
import { compareWithPlan } from "./verify.js";
import { FLOW_TABLE } from "../../plan/plan.js";
import type { Command, NodePlan } from "../../plan/types.js";

export interface Repair {
  /** `fresh`: the namespace is new, run the whole plan; `partial`: run `commands`; `none`: nothing differs. */
  kind: "fresh" | "partial" | "none";
  commands: Command[];
  /** What differed, one sentence each. */
  differences: string[];
}

/** A namespace Docker made anew (a started or restarted container): its interfaces lack their network names. */
export function freshNamespace(node: NodePlan, state: KernelState): boolean {
  return !node.interfaces.every((i) => state.interfaces.some((s) => s.altnames.includes(i.network) || s.name === i.network));
}

/** Whether a planned command installs the flow counters (the table of `nft` commands on FLOW_TABLE). */
const isCounter = (argv: string[]) => argv[0] === "nft" && argv.includes(FLOW_TABLE);

/**
 * What to run on a node, given its kernel state and whether its flow counter table is there.
 * Commands from the lab file (`run:`) are run again only on a fresh namespace: whether they still
 * hold in a kept one, zmqlab cannot tell.
 */
export function planRepair(node: NodePlan, state: KernelState, hasCounters: boolean): Repair {
  const differences = compareWithPlan(node, state);
  if (node.forward && !hasCounters) differences.push(`no flow counters (nftables table inet ${FLOW_TABLE})`);
  if (freshNamespace(node, state)) return { kind: "fresh", commands: node.commands, differences };
  if (differences.length === 0) return { kind: "none", commands: [], differences };
  const commands = node.commands
    .filter((c) => {
      const [tool, family, object, verb] = c.argv;
      if (isCounter(c.argv)) return node.forward && !hasCounters;
      if (tool !== "ip") return false;
      const fam = family === "-6" ? 6 : 4;
      if (object === "route" && verb === "flush") return state.routes.some((r) => r.to === "default" && r.table === "main" && r.family === fam);
      if (object === "addr" && verb === "add") {
        const [address, , dev] = c.argv.slice(4);
        const iface = state.interfaces.find((s) => s.altnames.includes(dev!) || s.name === dev);
        return !iface?.addresses.includes(address!);
      }
      if (object === "rule" && verb === "add") {
        const from = c.argv[5]!;
        const table = c.argv[7]!;
        return !state.rules.some((r) => sameDestination(r.from, from) && r.table === table);
      }
      if (object === "route") {
        const route = node.routes.find((r) => r.to === c.argv[4] && (c.argv.includes("table") ? c.argv[c.argv.indexOf("table") + 1] : "main") === r.table);
        if (!route) return true;
        const found = state.routes.find((r) => r.family === route.family && r.table === route.table && sameDestination(r.to, route.to));
        return !found || [...found.via].sort().join(",") !== [...route.via].sort().join(",");
      }
      return false;
    })
    .map((c) => (c.argv[2] === "route" && c.argv[3] === "add" ? { ...c, argv: c.argv.map((a, i) => (i === 3 ? "replace" : a)) } : c));
  return { kind: "partial", commands, differences };
}
