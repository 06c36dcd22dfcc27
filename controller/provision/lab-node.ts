// One node of a lab that is up: run commands and programs in it, read its kernel and counters,
// act on its container, configure it again. Its plan is `plan`; the engine's handle, `handle`.
import type { ExecResult } from "../engine/exec.js";
import { Program } from "../engine/program.js";
import type { ActionEffect, NodeHandle, NodeStatus } from "../engine/runtime.js";
import type { FlowCount } from "../observe/flows.js";
import { flowsOf } from "../observe/counters.js";
import type { InterfaceState, KernelState } from "../observe/kernel.js";
import { readInterfaces, readKernel, readPeers, readSockets } from "../observe/read.js";
import type { NodeAction, NodePlan } from "../plan/types.js";
import type { Peer } from "../../shared/protocol.js";
import type { TcpEntry } from "../../shared/proc-net.js";
import { reconfigure } from "./configure/reconfigure.js";

export interface SpawnOptions {
  /** Extra environment variables of the program. */
  env?: Record<string, string>;
  /** How many lines of its output to keep for `wait()` (default 20 000; the last ones). */
  keepLines?: number;
}

export class LabNode {
  constructor(
    /** What the node was planned as: image, interfaces, commands, routes, rules. */
    readonly plan: NodePlan,
    /** The node on its engine (advanced use: the traffic phase starts agents through it). */
    readonly handle: NodeHandle,
    /** Whether one of its networks has IPv6. */
    readonly ipv6: boolean,
    /** The lab's name (with its instance), for messages. */
    private readonly lab: string,
  ) {}

  /** Its name in the lab file. */
  get name(): string {
    return this.plan.name;
  }

  /** The engine's name for it (a container name). */
  get container(): string {
    return this.handle.resource;
  }

  /** Run a command (an argument list, no shell) and collect its output; a non-zero exit is no error. */
  exec(argv: string[]): Promise<ExecResult> {
    return this.handle.exec(argv);
  }

  /**
   * Start a program (an argument list) in the background: its output as it comes (`onLine`),
   * `wait()` for its exit, `stop()` to end it (SIGTERM, then SIGKILL). The image needs `sh`.
   */
  spawn(argv: string[], options: SpawnOptions = {}): Promise<Program> {
    return Program.start(this.handle, argv, options.env, options.keepLines);
  }

  /** Its container's state: `running`, `exited`, `paused`, ... or `gone`. */
  status(): Promise<NodeStatus> {
    return this.handle.status();
  }

  /** Stop, start, restart, pause or unpause its container (a start or restart is not configured here: see reconfigure); `holdUntil`: see NodeHandle. */
  act(action: NodeAction, holdUntil?: number): Promise<ActionEffect> {
    return this.handle.act(action, holdUntil);
  }

  /** Its interfaces and their addresses, as its kernel shows them. */
  interfaces(): Promise<InterfaceState[]> {
    return readInterfaces(this.handle);
  }

  /** Its addresses, routes and rules, as its kernel shows them. */
  kernel(): Promise<KernelState> {
    return readKernel(this.handle, this.ipv6);
  }

  /** Its TCP sockets, as its kernel shows them (/proc/net/tcp and tcp6). */
  sockets(): Promise<TcpEntry[]> {
    return readSockets(this.handle);
  }

  /** Connected peers on a local port (any local address), as its kernel shows them. */
  peers(port: number): Promise<Peer[]> {
    return readPeers(this.handle, port);
  }

  /** Packets it forwarded, per (source, destination), since the counters were last zeroed; none for a node that does not forward. */
  flows(): Promise<FlowCount[]> {
    return flowsOf(this);
  }

  /**
   * Bring it back to its plan: after the engine started or restarted it (a fresh network
   * namespace) its whole configuration again; otherwise what it lacks (unless `onlyRestarted`).
   * Idempotent. Returns what differed (empty when nothing did); throws an EnvironmentError when
   * the kernel still differs after.
   */
  reconfigure(options: { onlyRestarted?: boolean } = {}): Promise<string[]> {
    return reconfigure(this, this.lab, options);
  }
}
