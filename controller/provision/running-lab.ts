// A lab that is up on the engine: its nodes, its plan, its lock; taken down with `down()` (or at
// the end of an `await using` block, when `up` brought it up).
import { closest, LabError } from "../errors.js";
import type { LockShare } from "../engine/lock.js";
import type { Runtime } from "../engine/runtime.js";
import type { FlowCount } from "../observe/flows.js";
import { readFlows, zeroFlows } from "../observe/counters.js";
import type { Relocation } from "../lab/relocate.js";
import type { Lab } from "../lab/types.js";
import type { LabPlan, NodePlan } from "../plan/types.js";
import { LabNode } from "./lab-node.js";
import type { Placement } from "./placement.js";

/** What disposing the lab does: `down` for a lab `up` brought up, `release` for one `attach` found. */
export type Disposal = "down" | "release";

export class RunningLab implements AsyncDisposable {
  /** The lab as its file states it (an instance's addresses as written, not as moved). */
  readonly fileLab: Lab;
  /** The instance's name, when this is a separate copy of the lab. */
  readonly instance: string | undefined;
  /** Where an instance's subnets moved. */
  readonly relocations: Relocation[];
  /** What `up` repaired on a lab that was already up (one line each); empty when it created the lab or nothing differed. */
  repairs: string[] = [];
  /** Whether `up` found the lab up already and reconciled it (instead of creating it). */
  reconciled = false;
  /** Every node, in the lab file's order. */
  readonly nodes: readonly LabNode[];
  private readonly byName: Map<string, LabNode>;

  constructor(
    /** The lab as it runs: an instance's addresses are the moved ones. */
    readonly lab: Lab,
    readonly plan: LabPlan,
    readonly runtime: Runtime,
    /** Milliseconds spent per phase of `up`, for benchmarks and progress. */
    readonly timings: Record<string, number> = {},
    placement?: Placement,
    private lock?: LockShare,
    /** What the end of an `await using` block does with it. */
    readonly disposal: Disposal = "down",
  ) {
    this.fileLab = placement?.fileLab ?? lab;
    this.instance = placement?.instance;
    this.relocations = placement?.relocations ?? [];
    const ipv6 = (node: NodePlan) => node.interfaces.some((i) => plan.networks.find((n) => n.name === i.network)?.ipv6);
    this.nodes = plan.nodes.map((n) => new LabNode(n, runtime.node(plan.lab, n.name), ipv6(n), lab.name));
    this.byName = new Map(this.nodes.map((n) => [n.name, n]));
  }

  /** The lab's name (an instance's: the lab's name and the instance's). */
  get name(): string {
    return this.lab.name;
  }

  /** A node by its name in the lab file; a name the lab does not have is the user's mistake (exit 2). */
  node(name: string): LabNode {
    const node = this.byName.get(name);
    if (!node) {
      const likely = closest(name, this.byName.keys());
      throw new LabError([{ path: "nodes", message: `no node "${name}" in lab ${this.name}`, hint: `${likely ? `did you mean ${likely}? ` : ""}nodes: ${[...this.byName.keys()].join(", ")}` }]);
    }
    return node;
  }

  /** Packets each forwarding node forwarded since the counters were last zeroed, per (source, destination). */
  flows(): Promise<Record<string, FlowCount[]>> {
    return readFlows(this);
  }

  /** Zero the flow counters of every forwarding node (before traffic whose path is judged). */
  resetFlows(): Promise<void> {
    return zeroFlows(this.nodes);
  }

  /** Let other zmqlab processes use the lab (it stays up). Idempotent. */
  async release(): Promise<void> {
    await this.lock?.release();
    this.lock = undefined;
  }

  /** Remove every container and network of this lab, then release it. Idempotent. */
  async down(): Promise<void> {
    try {
      await this.runtime.removeLab(this.name);
    } finally {
      await this.release();
      // Other RunningLabs of this process for the same lab (an attach) have nothing left to guard.
      await this.runtime.dropLock(this.name);
    }
  }

  /** The end of `await using lab = await up(...)`: the lab goes (`down`); one from `attach` is released and stays up. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.disposal === "down") await this.down();
    else await this.release();
  }
}
