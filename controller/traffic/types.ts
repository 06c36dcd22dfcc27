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
  /** What happened when: an agent endpoint's receive progress, silences, handshakes (wall times, ms since the epoch). */
  timeline?: Timeline;
}

/** One point of a receiver's progress: cumulative counts at a wall time. */
export interface TimelineSample {
  wall: number;
  received: number;
  gaps: number;
  duplicates: number;
  from: Record<string, number>;
  /** The highest sequence number seen from each sender. */
  highest?: Record<string, number>;
}

/**
 * An endpoint's timeline, from its agent. Samples come every `tickMs` while the counts changed
 * (and at start and stop), so a count at a given time is exact to one tick. Silences are exact:
 * the agent measures them between arrivals.
 */
export interface Timeline {
  tickMs: number;
  /** A silence is a gap between two messages longer than this (ms). */
  silenceMs: number;
  /** Cumulative receive counts (receivers only). */
  samples: TimelineSample[];
  /** Messages per interval of `tickMs` from `start`, for the chart. */
  counts: { start: number; values: number[] };
  /** From the last message before to the first after; `end` null when none came until stop. */
  silences: { start: number; end: number | null }[];
  /** Wall times of the first and last message received. */
  firstMessage?: number;
  lastMessage?: number;
  /** Every ZeroMQ handshake, connect and bind side (a reconnection after a broken connection adds one). */
  handshakes: { wall: number; address: string; connect?: string }[];
  /** A sender: the wall time it finished sending. */
  sendingEnded?: number;
  /** Every connection libzmq saw close. */
  disconnects: { wall: number; address: string }[];
  /** A bound endpoint: the peers its kernel showed established, each time that set changed. */
  peers: { wall: number; established: Peer[] }[];
}

/** Counters taken when a fault was about to run (the hook `atFault`): what each phase is judged from. */
export interface Snapshot {
  /** Wall time (ms since the epoch) when the snapshot was complete, just before the fault ran. */
  wall: number;
  /** Every forwarding node's packet counters at that moment (cumulative since the traffic began). */
  flows: Record<string, import("../observe/flows.js").FlowCount[]>;
  /** Each agent receiver's received count by its latest tick. */
  received: Record<string, number>;
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
