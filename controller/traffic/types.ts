// What the traffic phase produced: the report's `endpoints`, one per lab endpoint, its faults as
// they happened, and the nodes that went away. Every time in it is ms since the traffic's time 0
// (`clock`): the moment zmqlab released the senders.
import type { Peer } from "../../shared/protocol.js";
import type { SocketType } from "../lab/types.js";
import type { FlowCount } from "../observe/flows.js";

/** Time 0 of a run: when the senders were released. Every `...Ms` and timeline time counts from it. */
export interface Clock {
  /** ISO time of time 0. */
  t0: string;
  /** Time 0 in ms since the Unix epoch (with sub-ms precision). */
  epochMs: number;
}

export interface TrafficReport {
  lab: string;
  /** ISO time the traffic phase started (agents being started, before time 0). */
  started: string;
  durationMs: number;
  clock: Clock;
  endpoints: EndpointReport[];
  /** The lab's faults as they happened, in time order (present when the lab declares faults). */
  faults?: FaultEvent[];
  /**
   * Nodes that stopped, paused, went away or restarted during the traffic phase (by a fault or
   * by hand), as found when it ended; absent when none did.
   */
  interrupted?: InterruptedNode[];
}

/** One fault as it happened. */
export interface FaultEvent {
  name: string;
  /** When it was planned (the lab's `at`). */
  atMs: number;
  /**
   * When it had taken effect: the node's process killed (stop, restart) or started (start), as
   * the engine recorded it; frozen or thawed (pause, unpause: when the engine answered); its
   * commands in the nodes done (they take a few ms). Absent when it never ran.
   */
  actualMs?: number;
  /** When it was done: its commands finished, or a started node configured again. */
  doneMs?: number;
  ok: boolean;
  /** Why it failed or did not run (a command's exit code and output, the engine's answer). */
  error?: string;
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
export interface Counts {
  sent: number;
  received: number;
  /** Sender endpoint name to messages received from it (every life of the sender). */
  from: Record<string, number>;
  gaps: number;
  duplicates: number;
  reordered: number;
  /** A req: requests that got no reply within its reply timeout. */
  unanswered?: number;
}

/** How a life of an endpoint ended by the lab's own fault: the node stopped, restarted or paused. */
export interface EndedBy {
  fault: string;
  action: "stop" | "restart" | "pause";
  /** When the fault took effect. */
  atMs: number;
}

/**
 * One life of an endpoint: from when its agent (or program) started to when its node was stopped,
 * restarted or paused by a fault, or to the end of the traffic.
 */
export interface EndpointLife extends Counts {
  life: number;
  /** When it started (a second life: after its node came back). */
  startMs: number;
  /** When it ended, when a fault ended it. */
  endMs?: number;
  endedBy?: EndedBy;
  /** A program's run in this life. */
  program?: ProgramOutcome;
}

export interface EndpointReport extends Counts {
  name: string;
  node: string;
  /** The agent's socket type, or "program" for the user's own program. */
  socket: SocketType | "program";
  /** A program endpoint's run (its last life's): its exit, run time and last lines of output. */
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
  /**
   * Present when a fault of the lab stopped, restarted or paused the endpoint's node: each life,
   * with its own counts (the endpoint's counts are their sums). A node stopped by a fault is no
   * endpoint failure: what it did until then is reported.
   */
  lives?: EndpointLife[];
  /** The fault that ended the endpoint's last life (its node stopped, or paused until the end), if any. */
  endedBy?: EndedBy;
  /** Messages per second while sending (senders) or receiving (receivers). */
  rate?: number;
  /** What happened when: progress, silences, handshakes (ms since time 0). */
  timeline?: Timeline;
}

/** One point of an endpoint's progress: cumulative counts at a time. */
export interface TimelineSample {
  /** ms since time 0. */
  ms: number;
  sent?: number;
  received: number;
  gaps: number;
  duplicates: number;
  from: Record<string, number>;
  /** The highest sequence number seen from each sender's life (`name`, `name#2`, ...). */
  highest?: Record<string, number>;
  /** A req: requests unanswered so far. */
  unanswered?: number;
}

/** A stretch without messages, from the last message before it to the first after it (`end` null: none came until stop). */
export interface Silence {
  start: number;
  end: number | null;
  /** When the messages on either side were sent (their headers' time), where they said. */
  lastSent?: number;
  nextSent?: number;
}

/**
 * An endpoint's timeline, from its agent. Samples come every `tickMs` while the counts changed
 * (and at start, at stop and just before each fault), so a count at a given time is exact to one
 * tick, and exact at a fault. Silences are exact: the agent measures them between arrivals.
 */
export interface Timeline {
  tickMs: number;
  /** A silence is a gap between two messages longer than this (ms). */
  silenceMs: number;
  /** Cumulative counts (across lives). */
  samples: TimelineSample[];
  /** Messages received per interval of `tickMs` from `start`, for the chart. */
  counts: { start: number; values: number[] };
  silences: Silence[];
  /** Times of the first and last message received. */
  firstMessage?: number;
  lastMessage?: number;
  /** Every ZeroMQ handshake, connect and bind side (a reconnection after a broken connection adds one). */
  handshakes: { ms: number; address: string; connect?: string }[];
  /** A sender: when it sent its first message, and when it finished sending. */
  sendingStarted?: number;
  sendingEnded?: number;
  /** Every connection libzmq saw close. */
  disconnects: { ms: number; address: string }[];
  /** A bound endpoint: the peers its kernel showed established, each time that set changed. */
  peers: { ms: number; established: Peer[] }[];
}

/** Counters taken just before a fault took effect: what each phase is judged from. */
export interface Snapshot {
  /** When the snapshot was taken (ms since time 0). */
  ms: number;
  /** Every forwarding node's packet counters then (cumulative since the traffic began); a node that could not be read is absent. */
  flows: Record<string, FlowCount[]>;
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
