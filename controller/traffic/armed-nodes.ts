// The nodes armed for the lab's faults (armed.ts): which node holds which fault's commands, its
// stop's cut, and (a router) the reading of its counters; what a command takes in each; and the
// faults planned with the interface names read when their nodes were armed.
import { READ_FLOWS_ARGV } from "../observe/counters.js";
import { planFaults } from "../plan/faults.js";
import { describe } from "../engine/docker.js";
import type { Command, FaultPlan } from "../plan/types.js";
import type { RunningLab } from "../provision/running-lab.js";
import { wallNow } from "./agent.js";
import { ArmedNode, type ArmedList, type ListRun } from "./armed.js";
import { batched } from "./armed-tools.js";

/** What one command takes in a node before any was measured there (ms): a process spawned in a container. */
const FIRST_COMMAND_MS = 5;

/** The armed list of a stop's or restart's cut (plan/types.ts), beside the fault's own steps. */
export const cutKey = (fault: string) => `cut:${fault}`;

/** zmqlab's own command, through its tool where it can be (armed.ts). */
const own = (argv: string[]): ArmedList[number] => batched(argv) ?? argv;
/** A fault's command: the lab's own argv as written. */
const armedCommand = (c: Command): ArmedList[number] => (c.asWritten ? c.argv : own(c.argv));

export class ArmedNodes {
  private readonly armed = new Map<string, { node: ArmedNode; lists: Map<string, number>; snapshot?: number }>();
  /** Each node's interface names by network, read when it is armed. */
  private readonly names = new Map<string, Map<string, string>>();

  constructor(private readonly lab: RunningLab) {}

  /** Arm `node` for the faults given (those not yet fired), with its interface names as they are now. */
  async arm(node: string, faults: FaultPlan[]): Promise<void> {
    this.armed.get(node)?.node.close();
    this.armed.delete(node);
    await this.readNames(node);
    const lists: ArmedList[] = [];
    const index = new Map<string, number>();
    for (const fault of this.planned(faults)) {
      const step = fault.steps.find((s) => s.node === node);
      if (step) {
        index.set(fault.name, lists.length);
        lists.push(step.commands.map(armedCommand));
      }
      if (fault.engine?.node === node && fault.engine.cut) {
        // A router reads its counters once cut off: they hold still from then on.
        index.set(cutKey(fault.name), lists.length);
        lists.push([...fault.engine.cut.map(armedCommand), ...(this.lab.node(node).plan.forward ? [own(READ_FLOWS_ARGV)] : [])]);
      }
    }
    const plan = this.lab.node(node).plan;
    const router = plan.forward;
    if (router) lists.push([own(READ_FLOWS_ARGV)]);
    const armed = await ArmedNode.arm(this.lab.node(node).handle, lists, plan.defaultImage || plan.build !== undefined || plan.routing !== undefined);
    this.armed.set(node, { node: armed, lists: index, ...(router ? { snapshot: lists.length - 1 } : {}) });
  }

  /** Read `node`'s interface names again (a restart may have renamed them). */
  async readNames(node: string): Promise<void> {
    this.names.set(node, new Map((await this.lab.node(node).interfaces()).flatMap((i) => i.altnames.map((a) => [a, i.name] as const))));
  }

  /** The faults planned with the interface names read when their nodes were armed. */
  planned(faults: FaultPlan[]): FaultPlan[] {
    const wanted = new Set(faults.map((f) => f.name));
    return planFaults(this.lab.lab, this.lab.plan, (node, network) => this.names.get(node)?.get(network) ?? network).filter((f) => wanted.has(f.name));
  }

  /** Whether `node` holds the list `key` (a fault's name, or cutKey of one). */
  has(node: string, key: string): boolean {
    return this.armed.get(node)?.lists.has(key) ?? false;
  }

  /** Fire `node`'s list `key` at `at` (ms since the epoch; 0: now); a string says why it could not. */
  async fire(key: string, node: string, at: number): Promise<ListRun | string> {
    const armed = this.armed.get(node);
    const index = armed?.lists.get(key);
    if (!armed || index === undefined) return `node ${node} was not armed for fault ${key} (it was not running)`;
    return (await armed.node.fireAt(index, at)) ?? `node ${node} did not answer: its container stopped or went away`;
  }

  /** A router's armed reading of its counters, fired at `at`; undefined where it has none. */
  readCounters(router: string): ((at: number) => Promise<ListRun | undefined>) | undefined {
    const armed = this.armed.get(router);
    if (!armed || armed.snapshot === undefined) return undefined;
    const index = armed.snapshot;
    return (at) => armed.node.fireAt(index, at);
  }

  /** What one command takes in `node` (measured there, else in any armed node, else a first guess), ms. */
  commandMs(node: string): number {
    const measured = [...this.armed.values()]
      .map((a) => a.node.commandMs())
      .filter((ms): ms is number => ms !== undefined)
      .sort((a, b) => a - b);
    return this.armed.get(node)?.node.commandMs() ?? measured[Math.floor(measured.length / 2)] ?? FIRST_COMMAND_MS;
  }

  /** Every armed process ends. */
  close(): void {
    for (const { node } of this.armed.values()) node.close();
  }
}

/** A node's list run now, command by command through the engine's exec (faults run by a caller's hook are not armed). */
export async function runNow(lab: RunningLab, node: string, commands: Command[]): Promise<ListRun> {
  const begin = wallNow();
  const results = [];
  for (const c of commands) {
    const r = await lab
      .node(node)
      .exec(c.argv)
      .catch((err: unknown) => ({ exitCode: -1, stdout: "", stderr: describe(err) }));
    results.push(r);
    if (r.exitCode !== 0) break;
  }
  return { begin, end: wallNow(), commands: results, nodeClock: false };
}
