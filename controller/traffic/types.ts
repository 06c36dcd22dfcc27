// What the traffic phase produced: the report's `endpoints`, one per lab endpoint.
import type { EndpointResult, Peer } from "../agent/protocol.js";
import type { SocketType } from "../lab/types.js";
import type { FaultEvent } from "./faults.js";

export type { FaultEvent };

export interface TrafficReport {
  lab: string;
  /** ISO time the traffic started. */
  started: string;
  durationMs: number;
  endpoints: EndpointReport[];
  /** The lab's faults as they happened, in time order (present when the lab declares faults). */
  faults?: FaultEvent[];
  /**
   * Nodes that stopped, paused, went away or restarted during the traffic phase (by a fault or
   * by hand), as found when it ended; absent when none did.
   */
  interrupted?: InterruptedNode[];
}

export interface InterruptedNode {
  node: string;
  container: string;
  state: "stopped" | "paused" | "gone" | "restarting" | "restarted";
  message: string;
  /** The lab's faults that acted on the node (stop, start, restart, pause, unpause), when any did. */
  faults?: string[];
}

/** The agent's accounting, as it reported it: sent, received, per sender, gaps, duplicates, reordering. */
export type Counts = Pick<EndpointResult, "sent" | "received" | "from" | "gaps" | "duplicates" | "reordered">;

export interface EndpointReport extends Counts {
  name: string;
  node: string;
  /** The agent's socket type, or "program" for the user's own program. */
  socket: SocketType | "program";
  /** A program endpoint's run: its exit, run time and last lines of output. */
  program?: ProgramOutcome;
  bind: string[];
  connect: string[];
  /** Source addresses the node's kernel showed connected to this endpoint's bound ports. */
  peers: Peer[];
  /** Connects that completed a ZeroMQ handshake. */
  handshakes: string[];
  /** Connects that never did, with what the node really had. */
  noHandshake: NoHandshake[];
  /** Every error the endpoint or its agent reported (the notes of the traffic table). */
  errors: string[];
  /**
   * Present when the endpoint is broken: why it could not bind, connect or start, or why its
   * agent failed. It then carried no traffic (`sent` is 0) and its built-in check fails.
   */
  failures?: string[];
  /** Messages per second while sending (senders) or receiving (receivers). */
  rate?: number;
}

export interface NoHandshake {
  connect: string;
  source?: string;
  destination: string;
  afterMs: number;
  /** The node's addresses as its kernel showed them, to spot a wrong source at a glance. */
  nodeAddresses: string[];
  /** How the node's kernel routes the connect (`ip route get`), when its source is the node's. */
  route?: string;
  message: string;
}

/** How a program endpoint ran. */
export interface ProgramOutcome {
  command: string[];
  /** Exit code; null when it never started. */
  exitCode: number | null;
  /** zmqlab stopped it at its deadline (SIGTERM; `killed`: SIGKILL after the grace period). */
  stopped: boolean;
  killed: boolean;
  durationMs: number;
  /** When it counted as ready (`ready:`), ms after it started; absent when it never did or had no ready. */
  readyAfterMs?: number;
  /** The last lines of its stdout and stderr. */
  lastLines: string[];
}
