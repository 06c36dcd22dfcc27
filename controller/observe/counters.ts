// The routers' flow counters: the nftables sets the plan installs on every forwarding node
// (flows4, and flows6 on a node with IPv6), packets per (source, destination). Read one way for
// every reader: one node's now (LabNode.flows), every router's now (readFlows), every router's
// after the traffic with a bound for a node that does not answer (readCounters), and zeroed
// before a window of traffic (zeroFlows). The traffic's fault runner reads the same argv through
// its armed processes (READ_FLOWS_ARGV) and parses it with parseFlowSet.
import { FLOW_TABLE } from "../plan/plan.js";
import { parseFlowSet, type FlowCount } from "./flows.js";
import { outputOf, type CommandRunner } from "./read.js";

/** A node of a lab that is up, as counting needs it: the lab's LabNode is one. */
export interface CountedNode {
  readonly name: string;
  readonly plan: { readonly forward: boolean };
  /** Whether one of its networks has IPv6 (it then has the flows6 set too). */
  readonly ipv6: boolean;
  readonly handle: CommandRunner;
}

/** What a node that has not stopped, paused or gone away is said to be in `interrupted`. */
export interface Interruption {
  node: string;
  state: string;
  message: string;
}

/** How long a read from a node after the traffic may take before the node counts as not answering. */
export const READ_BOUND_MS = 15_000;

/** One exec lists both sets: the table holds the flow sets alone. */
export const READ_FLOWS_ARGV = ["nft", "-j", "list", "table", "inet", FLOW_TABLE];

/** `work`, or a rejection saying `what` did not answer within `ms` (a paused node never does). */
export function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Packets the node forwarded, per (source, destination); none for a node that does not forward. */
export async function flowsOf(node: CountedNode): Promise<FlowCount[]> {
  if (!node.plan.forward) return [];
  return parseFlowSet(await outputOf(node.handle, READ_FLOWS_ARGV));
}

/** Whether the node's counters are there (a node restarted by hand has lost them). */
export async function countersInstalled(node: CommandRunner): Promise<boolean> {
  return (await node.exec(["nft", "list", "table", "inet", FLOW_TABLE])).exitCode === 0;
}

/** The argv that zeroes a forwarding node's counters: one nft call, its commands separated by ";". */
export function zeroArgv(ipv6: boolean): string[] {
  const flushes = (ipv6 ? ["flows4", "flows6"] : ["flows4"]).map((set) => ["flush", "set", "inet", FLOW_TABLE, set]);
  return ["nft", ...flushes.flatMap((c, i) => (i === 0 ? c : [";", ...c]))];
}

const routers = (nodes: readonly CountedNode[]) => nodes.filter((n) => n.plan.forward);

/** Zero the counters of every forwarding node: one exec each, side by side. */
export async function zeroFlows(nodes: readonly CountedNode[]): Promise<void> {
  await Promise.all(routers(nodes).map((n) => outputOf(n.handle, zeroArgv(n.ipv6))));
}

/** Every forwarding node's counters as they are now (a node that cannot be read fails the call). */
export async function readFlows(lab: { readonly nodes: readonly CountedNode[] }): Promise<Record<string, FlowCount[]>> {
  const forwarding = routers(lab.nodes);
  const counts = await Promise.all(forwarding.map(flowsOf));
  return Object.fromEntries(forwarding.map((r, i) => [r.name, counts[i]!]));
}

/**
 * Every forwarding node's counters that can be read: a node the traffic found stopped, paused or
 * gone is not asked (an exec into a paused node hangs; a restarted one is), and a read that fails
 * or does not answer within `boundMs` makes that node's counters unavailable, with why, instead
 * of failing the run.
 */
export async function readCounters(
  lab: { readonly nodes: readonly CountedNode[] },
  interrupted: readonly Interruption[] = [],
  boundMs = READ_BOUND_MS,
): Promise<{ flows: Record<string, FlowCount[]>; unavailable: Record<string, string> }> {
  const forwarding = routers(lab.nodes);
  const read = await Promise.all(
    forwarding.map(async (r): Promise<FlowCount[] | string> => {
      const lost = interrupted.find((n) => n.node === r.name && n.state !== "restarted");
      if (lost) return lost.message;
      return bounded(flowsOf(r), boundMs, `node ${r.name}`).catch((err: unknown) => (err instanceof Error ? err.message : String(err)).split("\n")[0]!);
    }),
  );
  const flows: Record<string, FlowCount[]> = {};
  const unavailable: Record<string, string> = {};
  forwarding.forEach((r, i) => {
    const result = read[i]!;
    if (typeof result === "string") unavailable[r.name] = result;
    else flows[r.name] = result;
  });
  return { flows, unavailable };
}
