// The one door to a container engine. Everything above engine/ asks a Runtime (networks, nodes,
// commands in nodes, labs found by label, images, locks, the engine host's routes) and gets
// plain data or handles back; which engine answers, and how it names things, stays in here.
// One implementation today (a single Docker engine, docker.ts); a cluster of engines fits the
// same shape: a node is created from its plan and returned as a handle, listings are plain data.
import type { HostRoute } from "./host-routes.js";
import type { LabPlan, NetworkPlan, NodeAction, NodePlan } from "../plan/types.js";
import type { ExecResult, Process, Started, Stdio } from "./exec.js";
import type { LockOptions, LockShare } from "./lock.js";
import type { LabResources } from "./resources.js";
import type { LiveCapture, Recording, Ring } from "./capture.js";

export type { HostRoute, LabResources, LiveCapture, Recording, Ring };

/** A node's container as the engine sees it: `running`, `exited`, `paused`, ... or `gone`. */
export interface NodeStatus {
  state: string;
  /** When it last started (ISO time, to the nanosecond), when the engine says. */
  startedAt?: string;
  /** When its main process last ended (ISO time), when it ever did. */
  finishedAt?: string;
}

/**
 * When an engine action took effect, by the engine's own record (ms since the epoch): the node
 * off its networks (stop, restart: its network namespace torn down, after its processes died),
 * its processes dead, its main process started again (start, restart). Absent where the engine
 * did not say.
 */
export interface ActionEffect {
  died?: number;
  offNetwork?: number;
  started?: number;
}

/** An engine's ISO time (nanoseconds) as ms since the epoch, with sub-ms precision. */
export function isoToMs(iso: string): number {
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? "";
  return Date.parse(iso) + Number(`0.${fraction.slice(3) || "0"}`);
}

/** One node of a lab on its engine. */
export interface NodeHandle {
  /** The node's name in the lab file. */
  readonly node: string;
  /** The engine's name for it (a container name), for messages. */
  readonly resource: string;
  /** Run argv and wait for it; never throws for a non-zero exit code. */
  exec(argv: string[]): Promise<ExecResult>;
  /** A long-running process: lines out, lines in, its exit code at the end. */
  spawn(argv: string[]): Promise<Process>;
  /**
   * A long-running process beside the node: in the node's network and process namespaces, in a
   * cgroup of its own (beside.ts), so the node's own load does not delay it. Absent where the
   * engine has no such thing: callers use `spawn`.
   */
  spawnBeside?(argv: string[]): Promise<Process>;
  /** A program in the background with extra environment variables: its lines as they come, its exit. */
  start(argv: string[], env?: Record<string, string>): Promise<Started>;
  /** Run argv with the caller's streams attached; resolves with its exit code. */
  attach(argv: string[], stdio: Stdio, env?: string[]): Promise<number>;
  /**
   * Stop, start, restart, pause or unpause the node; says when it took effect, where the engine
   * recorded it. `holdUntil` (ms since the epoch; a start of a node of zmqlab's image): it boots
   * cut off and joins its networks then (hold.ts).
   */
  act(action: NodeAction, holdUntil?: number): Promise<ActionEffect>;
  status(): Promise<NodeStatus>;
}

/** A subnet the engine's networks already hold (collisions, instance placement). */
export interface EngineSubnet {
  network: string;
  subnet: string;
  /** The zmqlab lab it belongs to, if any. */
  lab?: string;
}

/** A node just created and started, and what its boot command printed (when it had one). */
export interface CreatedNode {
  handle: NodeHandle;
  boot?: ExecResult;
}

export interface Runtime {
  /** On a cluster: the host each node runs on (absent for one engine). */
  place?(nodes: string[]): Record<string, string>;
  /** Create one of the lab's networks (the plan gives the lab's key and instance). */
  createNetwork(lab: LabPlan, network: NetworkPlan): Promise<void>;
  /**
   * Create the node on its networks and start it. \`boot\`, for a node of zmqlab's image, runs as
   * it starts (once: not again after a restart); its output comes back as \`boot\`.
   */
  createNode(lab: LabPlan, node: NodePlan, boot?: string[]): Promise<CreatedNode>;
  /** A node of a lab that is up (by the lab's key and the node's name); nothing is asked yet. */
  node(lab: string, node: string): NodeHandle;
  /** Every lab on the engine (or the one given), found by label: also what a crashed run left. */
  listLabs(lab?: string): Promise<LabResources[]>;
  /** Remove a lab's nodes and networks; idempotent. */
  removeLab(lab: string): Promise<{ containers: number; networks: number }>;
  /** Remove the locks killed processes left (on one lab, or all); returns how many. */
  removeStaleLocks(lab?: string): Promise<number>;
  subnets(): Promise<EngineSubnet[]>;
  /** The routes of the engine's host, where the lab's networks will live (read for lab `lab`, labelled so). */
  hostRoutes(lab: string): Promise<HostRoute[]>;
  /** zmqlab's node image, built if missing; returns its tag. */
  nodeImage(log?: (line: string) => void): Promise<string>;
  /** The node image's FRR flavour, built from `nodeImage` if missing. */
  frrImage(nodeImage: string, log?: (line: string) => void): Promise<string>;
  /** A node's own image from its `build:` folder, FROM the node image. */
  builtImage(dir: string, nodeImage: string, log?: (line: string) => void): Promise<string>;
  /** Take a lab's lock for this process, waiting for another process's. */
  lock(key: string, options: Omit<LockOptions, "image">): Promise<LockShare>;
  /** Release this process's lock of a lab whatever shares of it are still out: the lab is gone, nothing is left to guard. */
  dropLock(key: string): Promise<void>;
  /**
   * Record the lab's networks (its key, the lab file's network names, each with the cluster hosts
   * that hold it) in rings of files until stopped: one recording per engine that records (none
   * where the engine has no packets to show). Every recorder is the lab's: `removeLab` ends it.
   */
  record(lab: string, networks: { name: string; hosts?: string[] }[], ring: Ring, log?: (line: string) => void): Promise<Recording[]>;
  /** Stream one network of the lab live as pcap; with `node`, that node's interface on it. */
  stream(lab: string, network: string, node?: string): Promise<LiveCapture>;
}
