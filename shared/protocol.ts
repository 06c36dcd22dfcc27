// What the controller tells an agent and what the agent reports back, one JSON object a line.
// Shared by the controller (traffic/) and the agent (agent/), which runs inside lab nodes.
import type { SocketType } from "./socket.js";

/** How often a receiver reports its progress (when something changed), in ms. */
export const TICK_MS = 100;
/** An inter-arrival gap longer than this is a silence (ms). */
export const SILENCE_MS = 100;

/** Everything one agent runs: the endpoints of one node. Passed as one argv element (JSON). */
export interface AgentJob {
  node: string;
  endpoints: EndpointJob[];
  /** ms a connect may go without a handshake before `no-handshake` is reported. */
  handshakeTimeout: number;
  /** Hard bound on the agent's life (ms); it reports and exits when it passes. */
  deadline: number;
  /**
   * Senders wait for the command `go` before their first message (after their peers, see
   * expectPeers): the controller releases every sender of the lab at one moment, the traffic's
   * time 0. Without it they start as soon as their peers are there.
   */
  waitForGo?: boolean;
  /** The life of these endpoints: 1, or 2, 3, ... when their node was started again mid-run. */
  life?: number;
}

export interface EndpointJob {
  name: string;
  socket: SocketType;
  /** Endpoints as libzmq takes them; interface names already resolved to kernel names. */
  bind: string[];
  connect: string[];
  /** Set when any bind or connect is IPv6. */
  ipv6: boolean;
  subscribe: string[];
  send?: { count: number; size: number; rate?: number; topic?: string };
  /** req: how long a request waits for its reply (ms) before it counts as unanswered and the next one goes. */
  replyTimeout?: number;
  /**
   * Senders whose messages are shared among several receivers (a PUSH, DEALER or REQ with several
   * peers): counted, but without gap accounting (each receiver sees only some of their numbers).
   */
  spreading?: string[];
  /** rep/router: answer each request. */
  reply: boolean;
  /**
   * Senders that publish (pub/xpub) wait until this many subscriptions arrived (or the
   * handshake timeout passed) before the first message: the slow-joiner problem.
   * Other senders wait for this many peers' handshakes.
   */
  expectPeers: number;
  /**
   * `zmqlab`: messages carry the sequence header (see messages.ts). `raw`: a sender sends plain
   * payloads (the topic, if any, is their first bytes), a receiver counts every message under
   * the sender name `raw` without gap accounting.
   */
  format: "zmqlab" | "raw";
  /**
   * false: a sender writes no send time (0) in its headers and a receiver records no latency.
   * Not in the lab file: the bench measures what the time stamps cost with it. Default true.
   */
  stamp?: boolean;
}

export type AgentEvent =
  | { type: "ready"; endpoint: string }
  /** `wall`: Date.now() at the handshake; a reconnection (after a broken connection) reports a new one. */
  | { type: "handshake"; endpoint: string; address: string; wall: number; connect?: string }
  | { type: "disconnect"; endpoint: string; address: string; wall: number }
  /**
   * An endpoint's progress, every TICK_MS while it changed (and once at start, at stop, and at
   * each `tick` command): cumulative counts at wall time `wall`; `highest`: the highest sequence
   * number seen per sender's life (see lifeKey); `first` and `last`: wall times of the first and
   * latest message received; `unanswered`: a req's requests that got no reply; `latency`: per
   * sender, the one-way latency of the messages that arrived since the previous tick and carried
   * their send time, as an HDR histogram of µs in compressed base64 (shared/latency.ts).
   */
  | {
      type: "tick";
      endpoint: string;
      wall: number;
      sent: number;
      received: number;
      gaps: number;
      duplicates: number;
      reordered: number;
      from: Record<string, number>;
      highest: Record<string, number>;
      first?: number;
      last?: number;
      unanswered?: number;
      latency?: Record<string, string>;
    }
  /**
   * A receiver went longer than SILENCE_MS without a message (wall times; `end` null: none came
   * until stop); `lastSent`, `nextSent`: when the messages on either side were sent, where known.
   */
  | { type: "silence"; endpoint: string; start: number; end: number | null; lastSent?: number; nextSent?: number }
  /** A sender has its peers (or gave up waiting for them) and waits for `go` (waitForGo). */
  | { type: "primed"; endpoint: string; wall: number }
  /** A sender sent its first message at `wall`. */
  | { type: "sending"; endpoint: string; wall: number }
  /** The peers a bound endpoint's kernel shows established now, when that set changed. */
  | { type: "peers"; endpoint: string; wall: number; peers: Peer[] }
  | { type: "no-handshake"; endpoint: string; connect: string; after: number }
  | { type: "subscribed"; endpoint: string; subscriptions: number; expected: number; waited: number }
  /** A sender finished sending; `wall`: when its last message went. */
  | { type: "sent"; endpoint: string; count: number; elapsed: number; wall: number }
  | { type: "final"; endpoint: string; result: EndpointResult }
  /**
   * `stage: "start"`: the endpoint could not start (socket, subscribe, bind, connect, a send its
   * socket cannot do); it then sends and receives nothing. `"traffic"`: a later error (a send or
   * receive that failed, a request with no reply). Without an endpoint: the agent itself failed.
   */
  | { type: "error"; endpoint?: string; message: string; stage?: "start" | "traffic" }
  | { type: "done" };

/**
 * Commands on the agent's stdin: `stop` (EOF means stop as well); `go` releases the senders
 * (waitForGo), at `at` (ms since the epoch, the node's clock) when given: the controller sends it
 * ahead, so the engine's exec stream does not delay time 0; `tick` makes every endpoint report its
 * progress now (a checkpoint just before a fault).
 */
export type AgentCommand = { cmd: "stop" } | { cmd: "go"; at?: number } | { cmd: "tick" };

export interface EndpointResult {
  sent: number;
  received: number;
  /** Sender endpoint name to messages received from it. */
  from: Record<string, number>;
  gaps: number;
  duplicates: number;
  reordered: number;
  /** Connects that completed a handshake, and those that never did. */
  handshakes: string[];
  noHandshake: string[];
  /** Peers the node's kernel showed connected to this endpoint's bound ports. */
  peers: Peer[];
  /** Messages per second over the sending (or receiving) period, when anything moved. */
  rate?: number;
  /** A req: requests that got no reply within its reply timeout (it sent the next one). */
  unanswered?: number;
}

export interface Peer {
  /** The local address:port (the bind) the peer was connected to. */
  local: string;
  address: string;
  port: number;
}
