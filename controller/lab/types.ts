// The lab file as a user writes it (after YAML parsing and schema validation).
// Names follow the domain: lab, network, node, interface, address, route, endpoint, expectation.
import type { SocketType } from "../../shared/socket.js";

export interface Lab {
  name: string;
  /** Bridge networks, by name. */
  networks: Record<string, NetworkSpec>;
  /** Containers, by name. */
  nodes: Record<string, NodeSpec>;
  /** ZeroMQ endpoints, by name. */
  traffic?: Record<string, EndpointSpec>;
  /** What must hold after the traffic. */
  expect?: ExpectationSpec[];
  settings?: LabSettings;
  /** Faults at their times during the traffic phase, by name. */
  faults?: Record<string, FaultSpec>;
}

export interface LabSettings {
  /** How long a connect may go without a ZeroMQ handshake before it is reported (ms). */
  handshakeTimeout?: number;
  /** Upper bound for the whole traffic phase (ms). */
  trafficTimeout?: number;
  /** How long receivers keep listening after the last sender finished (ms). */
  linger?: number;
}

export interface NetworkSpec {
  /** One IPv4 subnet, optionally followed by one IPv6 subnet (dual stack). */
  subnet: string | string[];
}

export interface NodeSpec {
  /** Image to run; the zmqlab node image when absent. */
  image?: string;
  /**
   * A folder (relative to the lab file) with a Dockerfile that zmqlab builds, with the build
   * argument ZMQLAB_NODE_IMAGE set to its node image (`FROM ${ZMQLAB_NODE_IMAGE}`).
   */
  build?: string;
  /** Forward packets between interfaces (a router). */
  forward?: boolean;
  /** ECMP hash: l3 (source and destination address) or l4 (adds ports and protocol). */
  hash?: "l3" | "l4";
  /** Seed of the ECMP hash, so a lab's mapping of flows to next hops is repeatable (Linux 6.11+). */
  hashSeed?: number;
  /** Network name to its addresses on that network; the first of each family is the primary. */
  interfaces: Record<string, string | string[]>;
  routes?: RouteSpec[];
  /** Commands run in the node after addresses and routes, as argument lists (e.g. nft rules). */
  run?: string[][];
  /** Dynamic routing with FRR: OSPF on some of the node's networks, or a raw frr.conf. */
  routing?: RoutingSpec;
}

// --- dynamic routing (issue 9, point 4) ---

/** FRR on a node: zmqlab writes the configuration (`ospf`) or takes the user's (`frr`). */
export interface RoutingSpec {
  ospf?: OspfSpec;
  /** A raw frr.conf, relative to the lab file (absolute after loading). */
  frr?: string;
}

export interface OspfSpec {
  /** The node's networks that run OSPF (area 0). */
  networks: string[];
  /** Interface cost per network (OSPF's default is 10); a higher cost makes a path less preferred. */
  cost?: Record<string, number>;
}

export interface RouteSpec {
  /** Destination: a CIDR, a single address, or "default". */
  to: string;
  /** Next hop; several for ECMP. */
  via: string | string[];
  /** Policy routing: only traffic from this source address takes the route. */
  from?: string;
}

export type { SocketType };

/**
 * A traffic endpoint: zmqlab's agent (`socket`) or the user's own program (`command`). For a
 * program, `bind` and `connect` are declarations: zmqlab does not open them, it validates them,
 * draws them and observes the program through them.
 */
export interface EndpointSpec {
  node: string;
  /** zmqlab's agent with this ZeroMQ socket type. */
  socket?: SocketType;
  /** The user's program, an argument list (no shell), run in the node for the traffic phase. */
  command?: string[];
  bind?: string | string[];
  connect?: string | string[];
  send?: SendSpec;
  /** Topic prefixes a sub/xsub subscribes to; "" (everything) when absent. */
  subscribe?: string | string[];
  /** For req/dealer/router/rep: reply to every request (rep/router default true). */
  reply?: boolean;
  /**
   * Agent message format: `zmqlab` (default: sequence header, exact gap accounting) or `raw`
   * (plain payloads: a receiver counts every message of a foreign sender, a sender sends what a
   * foreign receiver reads).
   */
  format?: "zmqlab" | "raw";
  /** Program: environment variables. */
  env?: Record<string, string>;
  /**
   * Program: when it counts as started, before the connecting side starts: `listen` (the node's
   * kernel listens on every declared bind) or `{ output: PATTERN }` (a line of its output matches).
   */
  ready?: "listen" | { output: string };
  /** Program: stopped (SIGTERM, then SIGKILL) when still running after this long (ms or "20s"). */
  timeout?: number | string;
}

/** Whether an endpoint is the user's program (else zmqlab's agent). */
export const isProgram = (e: EndpointSpec): e is EndpointSpec & { command: string[] } => e.command !== undefined;

export interface SendSpec {
  /** Messages to send; with `duration` and `rate`, a cap on rate x duration. */
  count?: number;
  /** Payload size in bytes (the header with sender and sequence is extra). */
  size?: number;
  /** Messages per second; as fast as possible when absent. */
  rate?: number;
  /**
   * Send for this long (ms, or "5s"): at `rate` (count = rate x duration), or `count` spread
   * evenly over it. Needs `rate` or `count`.
   */
  duration?: number | string;
  topic?: string;
}

// Expectations: each kind's body is declared by its module (controller/expect/kinds/), listed in
// controller/expect/registry.ts.
import type { ExpectationSpec } from "../expect/registry.js";
export type { ExpectationSpec, PhaseScope, BodyOf } from "../expect/registry.js";

// --- faults: each kind declared by its module (controller/faults/kinds/), listed in controller/faults/registry.ts ---

import type { Static } from "typebox";
import type { FAULT_SCHEMA } from "../faults/registry.js";

/**
 * One fault: at a time (ms or "2s" after time 0, when the senders are released), exactly one of
 * `action`, `loss`, `rate`, `delay`, `partition`, `exec`, on a node (`node`), an interface (`node`
 * and `network`), or node sets (`partition`).
 */
export type FaultSpec = Static<typeof FAULT_SCHEMA>;
export type { FaultAction } from "../faults/registry.js";
