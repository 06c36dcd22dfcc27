// What a fault kind is: one module says everything about it (how the lab file writes it, its
// checks, what it needs of the timeline and leaves there, what it does as engine actions and
// commands, its row in the docs), and the registry (registry.ts) lists the modules. Validation,
// the timeline walk, planning, the lab file's schema and the docs are driven from there.
import type { TSchema } from "typebox";
import type { Command } from "../plan/types.js";

export type Path = (string | number)[];

/** One fault as the lab file writes it: its time, its target, and the one key that says what it does. */
export interface FaultSpec {
  at: number | string;
  node?: string;
  network?: string;
  action?: string;
  loss?: number;
  rate?: string;
  delay?: number | string;
  partition?: string[][];
  exec?: string[];
}

export type NodeCondition = "running" | "stopped" | "paused";

/** A command in a node, an argument list, with why it is there (plan/types.ts). */
export type { Command };

export type NodeAction = "stop" | "start" | "restart" | "pause" | "unpause";

/** What a fault needs of a node's plan: its interfaces' addresses, and its commands (routes through an interface). */
export interface PlannedNode {
  interfaces: { network: string; addresses: string[] }[];
  commands: Command[];
}

/** What zmqlab has done to an interface so far. */
export interface InterfaceFaults {
  down: boolean;
  loss?: number;
  rate?: string;
  delay?: string | number;
}

/** Why a fault cannot happen when it is planned: reported at `faults.NAME.KEY`. */
export interface Problem {
  key: string;
  message: string;
  hint: string;
}

/** A fault on the timeline, in time order: with what it found (its interface's faults, the partition it ends), and why it cannot happen then. */
export interface Step {
  name: string;
  spec: FaultSpec;
  atMs: number;
  /** The interface's faults before this one (faults on an interface). */
  before?: InterfaceFaults;
  /** The groups of the partition in force before this one (heal). */
  partition?: string[][];
  problem?: Problem;
}

/** The state of the lab along the fault timeline: each node's condition, each interface's faults, the partition in force. */
export interface TimelineState {
  condition(node: string): { condition: NodeCondition; by?: string };
  setCondition(node: string, condition: NodeCondition, by: string): void;
  interfaceFaults(node: string, network: string): InterfaceFaults;
  setInterfaceFaults(node: string, network: string, faults: InterfaceFaults): void;
  /** A node started again: its kernel state is fresh, and whatever faults its interfaces had are gone. */
  freshNode(node: string): void;
  partition: { groups: string[][]; by: string } | undefined;
}

/** Where a fault's commands run and what they need to know. */
export interface PlanContext {
  /** Every node's lab addresses (a partition drops traffic between sets by address). */
  addresses(node: string): string[];
  /** The node's plan (an interface coming back up gets its planned addresses and routes again). */
  nodePlan(node: string): PlannedNode | undefined;
  /** The node's kernel name for its interface on a network (read from the node; `<network>` in a dry run). */
  dev(node: string, network: string): string;
  /** The `why` of the fault's commands. */
  why(text: string): string;
}

/** A fault as actions: an engine action on a node, and/or commands in nodes. */
export interface FaultActions {
  description: string;
  /** `cut`: commands run in the node at the moment, just before a stop or restart (see plan/types.ts). */
  engine?: { node: string; action: NodeAction; cut?: [off: Command, end: Command] };
  /** A node started or restarted: configured from its plan again before the fault counts as done. */
  reconfigure?: string;
  steps: { node: string; commands: Command[] }[];
  /** The node whose kernel must have netem (a delay): checked before the traffic starts. */
  netem?: string;
}

/** Checks a fault kind may make of its value, reporting into the lab's findings. */
export interface FaultCheck {
  /** Whether the lab has that node (reported when it has not). */
  node(name: string, at: Path): boolean;
  problem(at: Path, message: string, hint: string): void;
}

export interface FaultKind<K extends string = string, W extends Written = Written> {
  kind: K;
  /** How the lab file writes it: `action: K`, or a key of its own with a value. */
  written: W;
  /** What it acts on: a node; a node's interface (node and network); node sets (its value); the whole lab. */
  target: "node" | "interface" | "sets" | "lab";
  /** It runs commands in its node (or its sets' nodes), which must be running then (not stopped or paused by an earlier fault). */
  inside?: boolean;
  /** Its row in the docs' table. */
  doc: { does: string; kernel: string };
  /** Checks of its value beyond the schema. */
  validate?(spec: FaultSpec, check: FaultCheck, at: Path): void;
  /**
   * Its step on the timeline: whether it can happen then (its target's condition, its
   * interface's faults, the partition in force), and what it leaves. A node or interface that
   * does not exist was reported elsewhere: the walk never sees it.
   */
  walk(state: TimelineState, step: Step, when: string): Problem | undefined;
  plan(step: Step, context: PlanContext): FaultActions;
}

export type Written = "action" | { key: Exclude<keyof FaultSpec, "at" | "node" | "network" | "action">; value: TSchema };

export function faultKind<K extends string, W extends Written>(kind: FaultKind<K, W>): FaultKind<K, W> {
  return kind;
}
