// Pure: a lab's traffic section -> one agent job per node, with the number of peers each
// sender must wait for (the slow-joiner problem) worked out from the lab's binds and connects.
import type { AgentJob, EndpointJob } from "../../shared/protocol.js";
import { formatHostPort, parseTcpEndpoint, type HostPort } from "../../shared/endpoint.js";
import { list } from "../../shared/list.js";
import { addressesOf } from "../lab/addresses.js";
import { parseAddress } from "../lab/ip.js";
import type { EndpointSpec, Lab, SendSpec, SocketType } from "../lab/types.js";
import { longestSending, plannedSend } from "../lab/send.js";

export const DEFAULTS = { handshakeTimeout: 3000, trafficTimeout: 60000, linger: 500 };

/** Room past the longest sender's sending, for connecting and subscribing before it. */
const SENDING_SLACK_MS = 10_000;

export function settingsOf(lab: Lab): typeof DEFAULTS {
  const settings = { ...DEFAULTS, ...lab.settings };
  // With no bound of the lab's own, the traffic phase makes room for its longest paced sender.
  if (lab.settings?.trafficTimeout === undefined) {
    settings.trafficTimeout = Math.max(DEFAULTS.trafficTimeout, longestSending(lab) + settings.handshakeTimeout + SENDING_SLACK_MS);
  }
  return settings;
}

/** Kernel interface name for a lab network name on a node (network names are altnames). */
export type InterfaceResolver = (node: string, name: string) => string;

/** Whether a connect's destination reaches one of a bind's addresses and its port. */
function reaches(lab: Lab, destination: HostPort, bindNode: string, bind: HostPort): boolean {
  if (destination.port !== bind.port) return false;
  const target = parseAddress(destination.host)?.text;
  if (!target) return false;
  const bound = bind.host === "*" ? addressesOf(lab.nodes[bindNode]!) : parseAddress(bind.host) ? [parseAddress(bind.host)!.text] : addressesOf(lab.nodes[bindNode]!, bind.host);
  if (bound.includes(target)) return true;
  // A forwarding node's own address (a load balancer's virtual address) may be translated by
  // DNAT to any bind on that port: count it, so a publisher behind it waits for subscribers
  // (bounded by the handshake timeout when the balancer sends some of them elsewhere).
  return Object.entries(lab.nodes).some(([name, node]) => name !== bindNode && node.forward === true && addressesOf(node).includes(target));
}

/** Pairs (connecting endpoint, bound endpoint) whose connect reaches the other's bind. */
export function connections(lab: Lab): { from: string; to: string; connect: string }[] {
  const result: { from: string; to: string; connect: string }[] = [];
  const traffic = Object.entries(lab.traffic ?? {});
  for (const [name, spec] of traffic) {
    for (const connect of list(spec.connect)) {
      const c = parseTcpEndpoint(connect);
      if (typeof c === "string") continue;
      for (const [otherName, other] of traffic) {
        if (otherName === name) continue;
        const binds = list(other.bind)
          .map((b) => parseTcpEndpoint(b))
          .filter((b) => typeof b !== "string");
        if (binds.some((b) => reaches(lab, c.destination, other.node, b.destination))) result.push({ from: name, to: otherName, connect });
      }
    }
  }
  return result;
}

const SUBSCRIBERS = new Set(["sub", "xsub"]);
const PUBLISHERS = new Set(["pub", "xpub"]);

/**
 * How many peers a sender waits for before its first message: for publishers, the number of
 * subscriptions their subscribers will send; for the rest, the number of peers they will meet.
 */
export function expectedPeers(lab: Lab, name: string): number {
  const me = lab.traffic![name]!;
  const binds = list(me.bind)
    .map((b) => parseTcpEndpoint(b))
    .filter((b) => typeof b !== "string");
  const connects = list(me.connect)
    .map((c) => parseTcpEndpoint(c))
    .filter((c) => typeof c !== "string");
  let count = 0;
  for (const [otherName, other] of Object.entries(lab.traffic ?? {})) {
    if (otherName === name) continue;
    // A program's socket type is its own business: one that connects to a publisher is taken
    // for one subscriber.
    const subscriptions = other.socket === undefined ? 1 : SUBSCRIBERS.has(other.socket) ? Math.max(1, list(other.subscribe).length) : 0;
    const weight = me.socket !== undefined && PUBLISHERS.has(me.socket) ? subscriptions : 1;
    if (weight === 0) continue;
    for (const c of list(other.connect).map((x) => parseTcpEndpoint(x))) {
      if (typeof c === "string") continue;
      if (binds.some((b) => reaches(lab, c.destination, me.node, b.destination))) count += weight;
    }
    for (const b of list(other.bind).map((x) => parseTcpEndpoint(x))) {
      if (typeof b === "string") continue;
      if (connects.some((c) => reaches(lab, c.destination, other.node, b.destination))) count += weight;
    }
  }
  return count;
}

const SPREADERS = new Set(["push", "dealer", "req"]);

/** A sender that shares its messages among several receivers: a PUSH, DEALER or REQ with more than one peer. */
export function spreads(lab: Lab, name: string): boolean {
  const spec = lab.traffic?.[name];
  return spec?.socket !== undefined && SPREADERS.has(spec.socket) && spec.send !== undefined && expectedPeers(lab, name) > 1;
}

function resolveInterfaces(endpoint: string, node: string, resolve: InterfaceResolver): string {
  const parsed = parseTcpEndpoint(endpoint);
  if (typeof parsed === "string") return endpoint;
  const fix = (hp: HostPort): string => formatHostPort({ ...hp, host: parseAddress(hp.host) || hp.host === "*" ? hp.host : resolve(node, hp.host) });
  return `tcp://${parsed.source ? fix(parsed.source) + ";" : ""}${fix(parsed.destination)}`;
}

function isIpv6(endpoint: string): boolean {
  return endpoint.includes("[");
}

export function endpointJob(lab: Lab, name: string, spec: EndpointSpec & { socket: SocketType }, resolve: InterfaceResolver): EndpointJob {
  const spreading = Object.keys(lab.traffic ?? {}).filter((other) => other !== name && spreads(lab, other));
  const bind = list(spec.bind).map((b) => resolveInterfaces(b, spec.node, resolve));
  const connect = list(spec.connect).map((c) => resolveInterfaces(c, spec.node, resolve));
  return {
    name,
    socket: spec.socket,
    bind,
    connect,
    // Only where an endpoint names IPv6: with the option on, libzmq may resolve an interface-name
    // source to one of the interface's IPv6 addresses, which cannot reach an IPv4 destination.
    ipv6: [...bind, ...connect].some(isIpv6),
    subscribe: SUBSCRIBERS.has(spec.socket) ? (spec.subscribe === undefined ? [""] : list(spec.subscribe)) : [],
    ...(spec.send ? { send: sendJob(spec.send) } : {}),
    reply: spec.reply ?? (spec.socket === "rep" || spec.socket === "router"),
    expectPeers: expectedPeers(lab, name),
    format: spec.format ?? "zmqlab",
    ...(spreading.length ? { spreading } : {}),
  };
}

/** The agent sends a count at a rate: a duration becomes both (see plannedSend). */
export function sendJob(send: SendSpec): NonNullable<EndpointJob["send"]> {
  const planned = plannedSend(send);
  return { count: planned.count, size: send.size ?? 16, ...(planned.rate ? { rate: planned.rate } : {}), ...(send.topic !== undefined ? { topic: send.topic } : {}) };
}

/** One job per node that has endpoints, in lab order. */
export function agentJobs(lab: Lab, resolve: InterfaceResolver): AgentJob[] {
  const settings = settingsOf(lab);
  const byNode = new Map<string, EndpointJob[]>();
  for (const [name, spec] of Object.entries(lab.traffic ?? {})) {
    if (spec.socket === undefined) continue; // a program: run by traffic/programs.ts
    if (!byNode.has(spec.node)) byNode.set(spec.node, []);
    byNode.get(spec.node)!.push(endpointJob(lab, name, { ...spec, socket: spec.socket }, resolve));
  }
  return [...byNode].map(([node, endpoints]) => ({
    node,
    endpoints,
    handshakeTimeout: settings.handshakeTimeout,
    deadline: settings.trafficTimeout + settings.handshakeTimeout + settings.linger,
  }));
}
