// The lab file as a user writes it (after YAML parsing and schema validation): the types of the
// one definition in schema.ts (expectations and faults from their kinds' registries).
// Names follow the domain: lab, network, node, interface, address, route, endpoint, expectation.
import type { Static } from "typebox";
import type { ENDPOINT, LAB, NETWORK, NODE, ROUTE, ROUTING, SEND, SETTINGS } from "./schema.js";
import type { FAULT_SCHEMA } from "../faults/registry.js";

export type Lab = Static<typeof LAB>;
export type LabSettings = Static<typeof SETTINGS>;
/** One IPv4 subnet, optionally followed by one IPv6 subnet (dual stack). */
export type NetworkSpec = Static<typeof NETWORK>;
export type NodeSpec = Static<typeof NODE>;
/** FRR on a node: zmqlab writes the configuration (`ospf`) or takes the user's (`frr`). */
export type RoutingSpec = Static<typeof ROUTING>;
export type OspfSpec = NonNullable<RoutingSpec["ospf"]>;
export type RouteSpec = Static<typeof ROUTE>;
/**
 * A traffic endpoint: zmqlab's agent (`socket`) or the user's own program (`command`). For a
 * program, `bind` and `connect` are declarations: zmqlab does not open them, it validates them,
 * draws them and observes the program through them.
 */
export type EndpointSpec = Static<typeof ENDPOINT>;
export type SendSpec = Static<typeof SEND>;
/**
 * One fault: at a time (ms or "2s" after time 0, when the senders are released), exactly one of
 * `action`, `loss`, `rate`, `delay`, `partition`, `exec`, on a node (`node`), an interface (`node`
 * and `network`), or node sets (`partition`).
 */
export type FaultSpec = Static<typeof FAULT_SCHEMA>;

export type { SocketType } from "../../shared/socket.js";
export type { ExpectationSpec, PhaseScope, BodyOf } from "../expect/registry.js";
export type { FaultAction } from "../faults/registry.js";

/** Whether an endpoint is the user's program (else zmqlab's agent). */
export const isProgram = (e: EndpointSpec): e is EndpointSpec & { command: string[] } => e.command !== undefined;
