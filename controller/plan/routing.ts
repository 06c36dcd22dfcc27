// Pure planning of dynamic routing: a node's `routing:` becomes FRR's configuration files, the
// commands that start FRR's daemons, and the OSPF adjacencies `up` waits for.
import { list } from "../../shared/list.js";
import { parseAddress } from "../lab/ip.js";
import type { Lab, NodeSpec } from "../lab/types.js";
import type { AdjacencyPlan, Command, FilePlan, RoutingPlan } from "./types.js";

/** zmqlab's node image with Debian's frr package: only nodes with `routing:` run it. */
export const FRR_IMAGE = "zmqlab/node-frr";
export const FRR_CONF = "/etc/frr/frr.conf";
export const FRR_DAEMONS = "/etc/frr/daemons";
/** Fast failure detection: hellos every second, a neighbour is dead after three missed ones. */
export const OSPF_HELLO_S = 1;
export const OSPF_DEAD_S = 3;
/** ECMP: OSPF installs up to this many equal-cost next hops. */
export const OSPF_MAXIMUM_PATHS = 16;
/** What a raw frr.conf may use: zmqlab cannot know which routing protocols it configures. */
const RAW_DAEMONS = ["ospfd", "ospf6d", "bgpd", "ripd", "ripngd", "isisd", "bfdd"];
/**
 * zebra and ospfd ask for CAP_SYS_ADMIN at start (FRR's privilege code wants it for network
 * namespaces) and refuse to start without it, so routing nodes get it.
 */
export const ROUTING_CAPABILITIES = ["SYS_ADMIN"];

export interface NodeRouting {
  files: FilePlan[];
  commands: Command[];
  routing: RoutingPlan;
}

/** The node's FRR: files, start commands and awaited adjacencies; undefined without `routing:`. */
export function planRouting(lab: Lab, name: string, spec: NodeSpec): NodeRouting | undefined {
  const routing = spec.routing;
  if (routing === undefined) return undefined;
  const daemons = routing.ospf ? ["ospfd"] : RAW_DAEMONS;
  const files: FilePlan[] = [{ path: FRR_DAEMONS, content: daemonsFile(daemons), mode: 0o640, why: `FRR's daemons: zebra, staticd, ${daemons.join(", ")}` }];
  if (routing.ospf) {
    files.push({ path: FRR_CONF, content: ospfConfig(lab, name, spec), mode: 0o640, kernelInterfaceNames: true, why: `OSPF on ${routing.ospf.networks.join(", ")}` });
  } else if (routing.frr !== undefined) {
    files.push({ path: FRR_CONF, source: routing.frr, mode: 0o640, kernelInterfaceNames: true, why: "the lab's own FRR configuration (routing.frr)" });
  }
  const commands: Command[] = [
    // A restarted container keeps /var/run: pid files of daemons that died with it would look alive to watchfrr.
    { argv: ["find", "/run", "-path", "/run/frr/*.pid", "-delete"], why: "clear pid files a stopped container left" },
    { argv: ["/usr/lib/frr/frrinit.sh", "start"], why: "start FRR: watchfrr starts the daemons, vtysh -b loads frr.conf" },
  ];
  return { files, commands, routing: { daemons, adjacencies: routing.ospf ? adjacencies(lab, name, routing.ospf.networks) : [], routes: routing.ospf ? learnedRoutes(lab, name) : [] } };
}

function daemonsFile(daemons: string[]): string {
  const lines = ["# written by zmqlab: the daemons frrinit.sh starts (zebra and staticd always)"];
  for (const d of daemons) lines.push(`${d}=yes`);
  lines.push("vtysh_enable=yes");
  // The vty listens on loopback only; `-s` is zebra's netlink buffer, as Debian's default file has it.
  lines.push(`zebra_options="-A 127.0.0.1 -s 90000000"`, `staticd_options="-A 127.0.0.1"`);
  for (const d of daemons) lines.push(`${d}_options="-A 127.0.0.1"`);
  return lines.join("\n") + "\n";
}

/** Nodes that run OSPF (declared with `ospf:`) on a network. */
function ospfNodesOn(lab: Lab, network: string): string[] {
  return Object.entries(lab.nodes)
    .filter(([, n]) => n.routing?.ospf?.networks.includes(network))
    .map(([name]) => name);
}

/** Nodes with a raw frr.conf on a network: they may speak OSPF there, zmqlab cannot tell. */
function rawNodesOn(lab: Lab, network: string): string[] {
  return Object.entries(lab.nodes)
    .filter(([, n]) => n.routing?.frr !== undefined && network in n.interfaces)
    .map(([name]) => name);
}

function adjacencies(lab: Lab, name: string, networks: string[]): AdjacencyPlan[] {
  return networks.flatMap((network) => {
    const neighbours = ospfNodesOn(lab, network).filter((n) => n !== name);
    if (neighbours.length === 0) return [];
    const addresses = neighbours.map(
      (n) =>
        list(lab.nodes[n]!.interfaces[network]!)
          .map((t) => parseAddress(String(t)))
          .find((a) => a?.family === 4)!.text,
    );
    return [{ network, subnet: ipv4Subnet(lab, network), neighbours, addresses }];
  });
}

/** The node's OSPF domain (networks and nodes linked by OSPF declarations): its networks the node is not on. */
function learnedRoutes(lab: Lab, name: string): { network: string; subnet: string }[] {
  const networks = new Set<string>();
  const nodes = new Set([name]);
  const queue = [name];
  while (queue.length > 0) {
    for (const network of lab.nodes[queue.shift()!]!.routing?.ospf?.networks ?? []) {
      if (networks.has(network)) continue;
      networks.add(network);
      for (const other of ospfNodesOn(lab, network)) {
        if (nodes.has(other)) continue;
        nodes.add(other);
        queue.push(other);
      }
    }
  }
  return Object.keys(lab.networks)
    .filter((n) => networks.has(n) && !(n in lab.nodes[name]!.interfaces))
    .map((network) => ({ network, subnet: ipv4Subnet(lab, network) }));
}

const ipv4Subnet = (lab: Lab, network: string): string => list(lab.networks[network]!.subnet).find((s) => !s.includes(":"))!;

/** The node's first IPv4 address: a router id that is unique in the lab and readable. */
export function routerId(spec: NodeSpec): string {
  for (const value of Object.values(spec.interfaces)) {
    const v4 = list(value)
      .map((t) => parseAddress(String(t)))
      .find((a) => a?.family === 4);
    if (v4) return v4.text;
  }
  throw new Error("bug: a node without an IPv4 address (validation requires one per interface)");
}

/**
 * frr.conf for OSPF: each routing network's interface in area 0 with fast timers and its cost;
 * point-to-point where exactly two OSPF nodes share the network (no DR election to wait for),
 * broadcast otherwise; ECMP over equal-cost paths.
 */
export function ospfConfig(lab: Lab, name: string, spec: NodeSpec): string {
  const ospf = spec.routing!.ospf!;
  const lines = [
    `! written by zmqlab for node ${name} of lab ${lab.name}`,
    "frr defaults traditional",
    `hostname ${name}`,
    "log file /var/log/frr/frr.log informational",
    "service integrated-vtysh-config",
    "!",
  ];
  for (const network of ospf.networks) {
    const pointToPoint = ospfNodesOn(lab, network).length === 2 && rawNodesOn(lab, network).length === 0;
    lines.push(`interface ${network}`, " ip ospf area 0.0.0.0", ` ip ospf hello-interval ${OSPF_HELLO_S}`, ` ip ospf dead-interval ${OSPF_DEAD_S}`);
    if (ospf.cost?.[network] !== undefined) lines.push(` ip ospf cost ${ospf.cost[network]}`);
    if (pointToPoint) lines.push(" ip ospf network point-to-point");
    lines.push("!");
  }
  // No throttling: FRR's defaults hold a new LSA back up to 5 s and SPF runs up to 5 s apart, so a
  // route could still be on its way after up's 2 s of stillness (seen: the client routed via r2).
  lines.push(
    "router ospf",
    ` ospf router-id ${routerId(spec)}`,
    ` maximum-paths ${OSPF_MAXIMUM_PATHS}`,
    " timers throttle lsa all 0",
    " timers lsa min-arrival 0",
    " timers throttle spf 0 50 200",
    "!",
  );
  return lines.join("\n") + "\n";
}
