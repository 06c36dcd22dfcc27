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
/** The key of a router's own reading of its counters (no fault's name has a colon). */
const SNAPSHOT = "snapshot:";

/** zmqlab's own command, through its tool where it can be (armed.ts). */
const own = (argv: string[]): ArmedList[number] => batched(argv) ?? argv;
/** A fault's command: the lab's own argv as written. */
const armedCommand = (c: Command): ArmedList[number] => (c.asWritten ? c.argv : own(c.argv));

/** Where a node's list runs: beside the node (zmqlab's own commands) or in it (the lab's own commands). */
interface Slot {
  on: ArmedNode;
  index: number;
}

export class ArmedNodes {
  private readonly armed = new Map<string, { processes: ArmedNode[]; lists: Map<string, Slot>; snapshot?: Slot }>();
  /** Each node's interface names by network, read when it is armed. */
  private readonly names = new Map<string, Map<string, string>>();

  constructor(private readonly lab: RunningLab) {}

  /**
   * Arm `node` for the faults given (those not yet fired), with its interface names as they are
   * now. Lists of zmqlab's own commands (network and the stop's cut) run beside the node, out of
   * its CPU share (engine/beside.ts); a list with a command the lab wrote runs in the node.
   */
  async arm(node: string, faults: FaultPlan[]): Promise<void> {
    this.down(node);
    await this.readNames(node);
    const plan = this.lab.node(node).plan;
    const router = plan.forward;
    const bash = plan.defaultImage || plan.build !== undefined || plan.routing !== undefined;
    const handle = this.lab.node(node).handle;
    // Where nothing can run beside the node, one process in it holds every list.
    const besideAtAll = bash && handle.spawnBeside !== undefined;
    const sides = { beside: [] as ArmedList[], inside: [] as ArmedList[] };
    const keys: [key: string, side: keyof typeof sides, index: number][] = [];
    const add = (key: string, commands: Command[], extra: ArmedList = []) => {
      const side = besideAtAll && !commands.some((c) => c.asWritten) ? "beside" : "inside";
      keys.push([key, side, sides[side].length]);
      sides[side].push([...commands.map(armedCommand), ...extra]);
    };
    for (const fault of this.planned(faults)) {
      const step = fault.steps.find((s) => s.node === node);
      if (step) add(fault.name, step.commands);
      // A router reads its counters once cut off: they hold still from then on.
      if (fault.engine?.node === node && fault.engine.cut) add(cutKey(fault.name), fault.engine.cut, router ? [own(READ_FLOWS_ARGV)] : []);
    }
    if (router) add(SNAPSHOT, [], [own(READ_FLOWS_ARGV)]);
    const [beside, inside] = await Promise.all([
      sides.beside.length > 0 ? ArmedNode.arm(handle, sides.beside, bash, true) : undefined,
      sides.inside.length > 0 ? ArmedNode.arm(handle, sides.inside, bash) : undefined,
    ]);
    const on = { beside, inside };
    const lists = new Map(keys.map(([key, side, index]) => [key, { on: on[side]!, index }]));
    const snapshot = lists.get(SNAPSHOT);
    lists.delete(SNAPSHOT);
    this.armed.set(node, { processes: [beside, inside].filter((p): p is ArmedNode => p !== undefined), lists, ...(snapshot ? { snapshot } : {}) });
  }

  /** `node` went down (stopped, restarted) or is armed anew: its armed processes are let go. */
  down(node: string): void {
    for (const p of this.armed.get(node)?.processes ?? []) p.drop();
    this.armed.delete(node);
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
    const slot = this.armed.get(node)?.lists.get(key);
    if (!slot) return `node ${node} was not armed for fault ${key} (it was not running)`;
    return (await slot.on.fireAt(slot.index, at)) ?? `node ${node} did not answer: its container stopped or went away`;
  }

  /** A router's armed reading of its counters, fired at `at`; undefined where it has none. */
  readCounters(router: string): ((at: number) => Promise<ListRun | undefined>) | undefined {
    const slot = this.armed.get(router)?.snapshot;
    if (!slot) return undefined;
    return (at) => slot.on.fireAt(slot.index, at);
  }

  /** How far ahead one command starts in `node` (ArmedNode.commandMs there, else the median of the other armed nodes', else a first guess), ms. */
  commandMs(node: string): number {
    const of = (processes: ArmedNode[]) => processes.map((p) => p.commandMs()).filter((ms): ms is number => ms !== undefined);
    const measured = of([...this.armed.values()].flatMap((a) => a.processes)).sort((a, b) => a - b);
    return of(this.armed.get(node)?.processes ?? [])[0] ?? measured[Math.floor(measured.length / 2)] ?? FIRST_COMMAND_MS;
  }

  /** Every armed process ends. */
  close(): void {
    for (const { processes } of this.armed.values()) for (const p of processes) p.close();
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
