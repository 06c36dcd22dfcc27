// Pure planning of faults: each fault becomes an engine action and/or argument lists per node,
// each with its why, shown by `up --dry-run` and run by one executor (traffic/faults.ts).
import { addressesOf } from "../lab/addresses.js";
import { parseDuration } from "../lab/duration.js";
import { rateBits, walkFaults, type Step } from "../lab/faults.js";
import type { Lab, FaultSpec } from "../lab/types.js";
import type { Command, FaultPlan, LabPlan, NodeAction, NodePlan } from "./types.js";

/** The node's kernel name for its interface on a lab network (read from the node when the fault runs). */
export type InterfaceNames = (node: string, network: string) => string;

/** For a dry run, where no node runs yet: `<servers>` stands for the kernel name of the interface on servers. */
export const PLACEHOLDER_NAMES: InterfaceNames = (_node, network) => `<${network}>`;

/** nftables tables of faults: loss per interface (by network), the partition. Never the flow counters' table. */
export const lossTable = (network: string): string => `zmqlab_loss_${network.replace(/-/g, "_")}`;
export const PARTITION_TABLE = "zmqlab_partition";

/** Every fault of a valid lab, planned in time order. */
export function planFaults(lab: Lab, plan: Pick<LabPlan, "nodes">, names: InterfaceNames = PLACEHOLDER_NAMES): FaultPlan[] {
  return walkFaults(lab).map((step) => planStep(lab, plan, step, names));
}

/** One fault of a valid lab, by name (planned again when it runs, with the node's actual interface names). */
export function planFault(lab: Lab, plan: Pick<LabPlan, "nodes">, name: string, names: InterfaceNames): FaultPlan {
  const step = walkFaults(lab).find((s) => s.name === name);
  if (!step) throw new Error(`bug: no fault ${name} on the timeline (validation should have caught it)`);
  return planStep(lab, plan, step, names);
}

function planStep(lab: Lab, plan: Pick<LabPlan, "nodes">, step: Step, names: InterfaceNames): FaultPlan {
  const { name, atMs, spec } = step;
  const base = { name, atMs };
  const node = spec.node!;
  const why = (text: string) => `fault ${name}: ${text}`;
  const action = spec.action;
  if (action === "stop" || action === "start" || action === "restart" || action === "pause" || action === "unpause") {
    const description = { stop: `stop node ${node} (no grace time)`, start: `start node ${node}, then configure it as declared`, restart: `restart node ${node} (no grace time), then configure it as declared`, pause: `pause node ${node} (its processes freeze)`, unpause: `unpause node ${node}` }[action];
    return { ...base, description, engine: { node, action: action as NodeAction }, ...(action === "start" || action === "restart" ? { reconfigure: node } : {}), steps: [] };
  }
  if (spec.partition !== undefined) return planPartition(lab, step, why);
  if (action === "heal") {
    const members = (step.partition ?? []).flat();
    return {
      ...base,
      description: `heal the partition (${members.join(", ")})`,
      steps: members.map((m) => ({ node: m, commands: dropTable(PARTITION_TABLE, why("end the partition")) })),
    };
  }
  if (spec.exec !== undefined) {
    return { ...base, description: `run ${spec.exec.join(" ")} in ${node}`, steps: [{ node, commands: [{ argv: spec.exec, why: why("from the lab file (exec)") }] }] };
  }
  const network = spec.network!;
  const dev = names(node, network);
  const commands = interfaceCommands(spec, step, node, network, dev, plan.nodes.find((n) => n.name === node), why);
  return {
    ...base,
    description: interfaceDescription(spec, node, network),
    steps: [{ node, commands }],
    ...(spec.delay !== undefined ? { netem: node } : {}),
  };
}

function interfaceDescription(spec: FaultSpec, node: string, network: string): string {
  const where = `${node}'s interface on ${network}`;
  if (spec.action === "down") return `take ${where} down`;
  if (spec.action === "up") return `bring ${where} up, with its addresses and routes`;
  if (spec.action === "clear") return `clear loss, rate and delay on ${where}`;
  if (spec.loss !== undefined) return `drop ${spec.loss}% of packets on ${where}, both directions`;
  if (spec.rate !== undefined) return `limit ${where} to ${spec.rate} (egress)`;
  return `delay ${where} by ${parseDuration(spec.delay!)} ms (egress)`;
}

function interfaceCommands(spec: FaultSpec, step: Step, node: string, network: string, dev: string, nodePlan: NodePlan | undefined, why: (t: string) => string): Command[] {
  if (spec.action === "down") return [{ argv: ["ip", "link", "set", "dev", dev, "down"], why: why("link down") }];
  if (spec.action === "up") {
    // A link taken down loses its IPv6 addresses and every route through it: put them back.
    const iface = nodePlan?.interfaces.find((i) => i.network === network);
    const readd = (iface?.addresses ?? []).filter((a) => a.includes(":")).map((a) => ({ argv: ["ip", "-6", "addr", "replace", a, "dev", dev, "nodad"], why: why("the link's IPv6 address again") }));
    const routes = (nodePlan?.commands ?? []).filter((c) => isRouteThrough(c.argv, network)).map((c) => ({ argv: asReplace(c.argv, network, dev), why: why(`again: ${c.why}`) }));
    return [{ argv: ["ip", "link", "set", "dev", dev, "up"], why: why("link up") }, ...readd, ...routes];
  }
  if (spec.action === "clear") {
    const commands: Command[] = [];
    if (step.before?.loss !== undefined) commands.push(...dropTable(lossTable(network), why("no more loss")));
    if (step.before?.rate !== undefined || step.before?.delay !== undefined) commands.push({ argv: ["tc", "qdisc", "del", "dev", dev, "root"], why: why("no more rate limit or delay") });
    return commands;
  }
  if (spec.loss !== undefined) {
    const table = lossTable(network);
    const w = why(`drop ${spec.loss}% of packets on ${network}`);
    // numgen's values are 0-99, so `< 100` is out of its range for nft: 100% is a plain drop.
    const drop = spec.loss >= 100 ? ["drop"] : ["numgen", "random", "mod", "100", "<", String(spec.loss), "drop"];
    return [
      { argv: ["nft", "add", "table", "inet", table], why: w },
      { argv: ["nft", "add", "chain", "inet", table, "arriving", "{ type filter hook prerouting priority -300; policy accept; }"], why: w },
      { argv: ["nft", "add", "chain", "inet", table, "leaving", "{ type filter hook postrouting priority 300; policy accept; }"], why: w },
      // An earlier loss on this interface is replaced, not added to.
      { argv: ["nft", "flush", "table", "inet", table], why: w },
      { argv: ["nft", "add", "rule", "inet", table, "arriving", "iifname", dev, ...drop], why: w },
      { argv: ["nft", "add", "rule", "inet", table, "leaving", "oifname", dev, ...drop], why: w },
    ];
  }
  if (spec.rate !== undefined) {
    // tbf needs a bucket of at least one rate's worth of a timer tick; 10 ms of traffic, at least 15000 bytes.
    const burst = Math.max(15000, Math.ceil(rateBits(spec.rate)! / 8 / 100));
    return [{ argv: ["tc", "qdisc", "replace", "dev", dev, "root", "tbf", "rate", spec.rate, "burst", String(burst), "latency", "50ms"], why: why(`rate limit ${spec.rate} on ${network} (egress)`) }];
  }
  return [{ argv: ["tc", "qdisc", "replace", "dev", dev, "root", "netem", "delay", `${parseDuration(spec.delay!)}ms`], why: why(`delay on ${network} (egress, netem)`) }];
}

/** A planned `ip route add|replace` with a next hop on the network. */
function isRouteThrough(argv: string[], network: string): boolean {
  if (argv[0] !== "ip" || argv[2] !== "route" || (argv[3] !== "add" && argv[3] !== "replace")) return false;
  return argv.some((a, i) => a === "dev" && argv[i + 1] === network);
}

const asReplace = (argv: string[], network: string, dev: string): string[] => argv.map((a, i) => (i === 3 ? "replace" : a === network && argv[i - 1] === "dev" ? dev : a));

/** Delete a table whether or not it is there (a node restarted since has none): add, then delete. */
function dropTable(table: string, why: string): Command[] {
  return [
    { argv: ["nft", "add", "table", "inet", table], why },
    { argv: ["nft", "delete", "table", "inet", table], why },
  ];
}

function planPartition(lab: Lab, step: Step, why: (t: string) => string): FaultPlan {
  const groups = step.spec.partition!;
  const steps = groups.flatMap((group, g) => {
    const others = groups.filter((_, h) => h !== g).flat().flatMap((n) => addressesOf(lab.nodes[n]!));
    return group.map((member) => {
      const w = why(`drop traffic between ${member} and ${groups.filter((_, h) => h !== g).flat().join(", ")}`);
      const commands: Command[] = [
        { argv: ["nft", "add", "table", "inet", PARTITION_TABLE], why: w },
        { argv: ["nft", "add", "chain", "inet", PARTITION_TABLE, "arriving", "{ type filter hook prerouting priority -300; policy accept; }"], why: w },
        { argv: ["nft", "add", "chain", "inet", PARTITION_TABLE, "leaving", "{ type filter hook postrouting priority 300; policy accept; }"], why: w },
      ];
      for (const [family, match] of [["ip", others.filter((a) => !a.includes(":"))], ["ip6", others.filter((a) => a.includes(":"))]] as const) {
        if (match.length === 0) continue;
        const set = `{ ${match.join(", ")} }`;
        commands.push({ argv: ["nft", "add", "rule", "inet", PARTITION_TABLE, "arriving", family, "saddr", set, "drop"], why: w });
        commands.push({ argv: ["nft", "add", "rule", "inet", PARTITION_TABLE, "leaving", family, "daddr", set, "drop"], why: w });
      }
      return { node: member, commands };
    });
  });
  return { name: step.name, atMs: step.atMs, description: `partition ${groups.map((g) => `[${g.join(", ")}]`).join(" from ")}`, steps };
}
