// Pure planning: a validated lab in, networks, nodes and per-node commands out (how an engine
// names and labels them is engine/'s business).
import { list } from "../../shared/list.js";
import { freeRange, gatewayOf, parseAddress, parseSubnet, type Address, type Subnet } from "../lab/ip.js";
import type { Lab, NodeSpec } from "../lab/types.js";
import { FRR_IMAGE, planRouting, ROUTING_CAPABILITIES } from "./routing.js";
import { planFaults } from "./faults.js";
import type { Command, InstancePlan, InterfacePlan, LabPlan, NetworkPlan, NodePlan, RoutePlan, RulePlan } from "./types.js";

export const DEFAULT_IMAGE = "zmqlab/node";

export interface PlanOptions {
  /** The node image to use where a node names none (a tag of zmqlab's own image). */
  image?: string;
  /** The node image's FRR flavour (a tag), for nodes with `routing:`. */
  frrImage?: string;
  /** Tags of the images built from nodes' `build:` folders, by folder. */
  builds?: Record<string, string>;
  /** On a cluster: each node's host. */
  hosts?: Record<string, string>;
  /** An instance of a lab (whose name is then `lab.instance`): `ls` and `test` find it by this. */
  instance?: InstancePlan;
}

export function planLab(lab: Lab, options: PlanOptions = {}): LabPlan {
  const addresses = allAddresses(lab);
  const networks = Object.entries(lab.networks).map(([name, spec]): NetworkPlan => {
    const [v4, v6] = subnetsOf(spec.subnet);
    const planSubnet = (subnet: Subnet) => {
      const taken = [...addresses, gatewayOf(subnet)].filter((a) => a.family === subnet.family);
      const range = freeRange(subnet, taken);
      return { subnet: subnet.cidr, gateway: gatewayOf(subnet).text, ...(range ? { ipRange: range.cidr } : {}) };
    };
    return {
      name,
      ipv4: planSubnet(v4!),
      ...(v6 ? { ipv6: planSubnet(v6) } : {}),
    };
  });
  const nodes = Object.entries(lab.nodes).map(([name, spec]) => planNode(lab, name, spec, options));
  return {
    lab: lab.name,
    ...(options.instance ? { instance: options.instance } : {}),
    networks,
    nodes,
    ...(lab.faults && Object.keys(lab.faults).length > 0 ? { faults: planFaults(lab, { nodes }) } : {}),
  };
}

function subnetsOf(value: string | string[]): [Subnet | undefined, Subnet | undefined] {
  const parsed = list(value).map((t) => parseSubnet(t) as Subnet);
  return [parsed.find((s) => s.family === 4), parsed.find((s) => s.family === 6)];
}

function allAddresses(lab: Lab): Address[] {
  return Object.values(lab.nodes).flatMap((n) => Object.values(n.interfaces).flatMap((v) => list(v).map((t) => parseAddress(String(t))!)));
}

function planNode(lab: Lab, name: string, spec: NodeSpec, options: PlanOptions): NodePlan {
  const interfaces = Object.entries(spec.interfaces).map(([network, value]): InterfacePlan => {
    const [v4, v6] = subnetsOf(lab.networks[network]!.subnet);
    const own = list(value).map((t) => parseAddress(String(t))!);
    const first4 = own.find((a) => a.family === 4)!;
    const first6 = own.find((a) => a.family === 6);
    return {
      network,
      ipv4: first4.text,
      ...(first6 ? { ipv6: first6.text } : {}),
      addresses: own.map((a) => `${a.text}/${(a.family === 4 ? v4 : v6)!.prefix}`),
    };
  });
  const hasIpv6 = interfaces.some((i) => lab.networks[i.network] && subnetsOf(lab.networks[i.network]!.subnet)[1]);
  const { routes, rules } = planRoutes(spec);
  const commands: Command[] = [];

  // Docker gives every container a default route through the host; lab nodes get none unless
  // the lab declares one, so traffic cannot leave the lab.
  commands.push({ argv: ["ip", "-4", "route", "flush", "exact", "0.0.0.0/0"], why: "remove Docker's default route (lab traffic stays in the lab)" });
  if (hasIpv6) commands.push({ argv: ["ip", "-6", "route", "flush", "exact", "::/0"], why: "remove Docker's IPv6 default route" });

  for (const iface of interfaces) {
    const docker = new Set([iface.ipv4, iface.ipv6]);
    for (const address of iface.addresses) {
      if (docker.has(address.split("/")[0]!)) continue;
      const v6 = address.includes(":");
      commands.push({
        argv: v6 ? ["ip", "-6", "addr", "add", address, "dev", iface.network, "nodad"] : ["ip", "-4", "addr", "add", address, "dev", iface.network],
        why: `extra address on ${iface.network}`,
      });
    }
  }
  if (options.hosts) commands.push(...overlayNeighbours(lab, name, spec, options.hosts));
  for (const rule of rules) {
    commands.push({
      argv: ["ip", `-${rule.family}`, "rule", "add", "from", rule.from, "table", rule.table, "priority", String(rule.priority)],
      why: `policy: traffic from ${rule.from} uses table ${rule.table}`,
    });
  }
  for (const route of routes) {
    const nexthops = route.via.map((via) => ["via", via, "dev", deviceFor(lab, spec, via)]);
    const argv = ["ip", `-${route.family}`, "route", route.to === "default" || route.table !== "main" ? "replace" : "add", route.to];
    if (nexthops.length === 1) argv.push(...nexthops[0]!);
    else for (const hop of nexthops) argv.push("nexthop", ...hop);
    if (route.table !== "main") argv.push("table", route.table);
    commands.push({ argv, why: route.via.length > 1 ? `ECMP over ${route.via.join(", ")}` : route.table !== "main" ? `policy route in table ${route.table}` : "static route" });
  }
  if (spec.forward) commands.push(...flowCounters(hasIpv6));
  // FRR starts after addresses and counters, before the lab's own commands (which may use its routes).
  const routing = planRouting(lab, name, spec);
  if (routing) commands.push(...routing.commands);
  for (const argv of spec.run ?? []) commands.push({ argv, why: "from the lab file (run)" });

  const sysctls: Record<string, string> = {};
  if (spec.forward) {
    sysctls["net.ipv4.ip_forward"] = "1";
    if (hasIpv6) sysctls["net.ipv6.conf.all.forwarding"] = "1";
  }
  if (spec.hash) {
    sysctls["net.ipv4.fib_multipath_hash_policy"] = spec.hash === "l4" ? "1" : "0";
    if (hasIpv6) sysctls["net.ipv6.fib_multipath_hash_policy"] = spec.hash === "l4" ? "1" : "0";
  }
  if (spec.hashSeed !== undefined) sysctls["net.ipv4.fib_multipath_hash_seed"] = String(spec.hashSeed);

  const image =
    spec.image ?? (spec.build !== undefined ? (options.builds?.[spec.build] ?? `(built from ${spec.build})`) : routing ? (options.frrImage ?? FRR_IMAGE) : (options.image ?? DEFAULT_IMAGE));
  return {
    name,
    ...(options.hosts?.[name] !== undefined ? { host: options.hosts[name] } : {}),
    image,
    defaultImage: spec.image === undefined && spec.build === undefined,
    ...(spec.build !== undefined ? { build: spec.build } : {}),
    sysctls,
    capabilities: ["NET_ADMIN", "NET_RAW", ...(routing ? ROUTING_CAPABILITIES : [])],
    interfaces,
    commands,
    routes,
    rules,
    forward: spec.forward ?? false,
    ...(routing ? { files: routing.files, routing: routing.routing } : {}),
  };
}

/**
 * On a Swarm overlay, ARP and neighbour discovery across hosts are answered by Docker from the
 * addresses it assigned (the overlay's proxy), never for an address added in the node: a node
 * reaches another host's extra addresses only when told their link address. Docker derives an
 * overlay endpoint's MAC from its IPv4 address (02:42 and its four bytes), which the plan knows.
 */
function overlayNeighbours(lab: Lab, name: string, spec: NodeSpec, hosts: Record<string, string>): Command[] {
  const commands: Command[] = [];
  for (const network of Object.keys(spec.interfaces)) {
    for (const [other, theirs] of Object.entries(lab.nodes)) {
      if (other === name || hosts[other] === hosts[name] || theirs.interfaces[network] === undefined) continue;
      const addresses = list(theirs.interfaces[network]!).map((t) => parseAddress(String(t))!);
      // Docker's own addresses: the first of each family.
      const docker4 = addresses.find((a) => a.family === 4)!;
      const docker6 = addresses.find((a) => a.family === 6);
      for (const address of addresses) {
        if (address === docker4 || address === docker6) continue;
        commands.push({
          argv: ["ip", `-${address.family}`, "neigh", "replace", address.text, "lladdr", overlayMac(docker4.text), "dev", network, "nud", "permanent"],
          why: `${other}'s extra address on ${network} (on host ${hosts[other]}): the overlay answers only for Docker's addresses`,
        });
      }
    }
  }
  return commands;
}

/** Docker's MAC for an overlay endpoint without one given: 02:42 and the IPv4 address's bytes. */
export function overlayMac(ipv4: string): string {
  return ["02", "42", ...ipv4.split(".").map((b) => Number(b).toString(16).padStart(2, "0"))].join(":");
}

export const FLOW_TABLE = "zmqlab";

/**
 * Per-flow packet counters on a forwarding node: every forwarded packet updates a dynamic set
 * keyed by (source, destination) address, so paths are read from the router's own kernel.
 */
export function flowCounters(ipv6: boolean): Command[] {
  const why = "count forwarded packets per (source, destination)";
  const commands: Command[] = [
    { argv: ["nft", "add", "table", "inet", FLOW_TABLE], why },
    { argv: ["nft", "add", "set", "inet", FLOW_TABLE, "flows4", "{ type ipv4_addr . ipv4_addr; flags dynamic; counter; size 65536; }"], why },
    { argv: ["nft", "add", "chain", "inet", FLOW_TABLE, "forward", "{ type filter hook forward priority -5; policy accept; }"], why },
    { argv: ["nft", "add", "rule", "inet", FLOW_TABLE, "forward", "meta", "nfproto", "ipv4", "update", "@flows4", "{ ip saddr . ip daddr }"], why },
  ];
  if (ipv6) {
    commands.splice(2, 0, { argv: ["nft", "add", "set", "inet", FLOW_TABLE, "flows6", "{ type ipv6_addr . ipv6_addr; flags dynamic; counter; size 65536; }"], why });
    commands.push({ argv: ["nft", "add", "rule", "inet", FLOW_TABLE, "forward", "meta", "nfproto", "ipv6", "update", "@flows6", "{ ip6 saddr . ip6 daddr }"], why });
  }
  return commands;
}

/** The interface (by its lab network name) on whose subnet a next hop lies. */
function deviceFor(lab: Lab, spec: NodeSpec, via: string): string {
  const address = parseAddress(via)!;
  for (const network of Object.keys(spec.interfaces)) {
    const subnet = subnetsOf(lab.networks[network]!.subnet)[address.family === 4 ? 0 : 1];
    if (subnet && address.value >= subnet.first && address.value <= subnet.last) return network;
  }
  throw new Error(`bug: next hop ${via} on no attached network (validation should have caught it)`);
}

function planRoutes(spec: NodeSpec): { routes: RoutePlan[]; rules: RulePlan[] } {
  const rules: RulePlan[] = [];
  const routes: RoutePlan[] = [];
  for (const route of spec.routes ?? []) {
    const via = list(route.via).map((v) => parseAddress(v)!.text);
    const family = parseAddress(via[0]!)!.family;
    const to = route.to === "default" ? "default" : normaliseDestination(route.to);
    let table = "main";
    if (route.from !== undefined) {
      const from = parseAddress(route.from)!.text;
      let rule = rules.find((r) => r.from === from);
      if (!rule) {
        rule = { from, table: String(100 + rules.length), priority: 1000 + rules.length, family };
        rules.push(rule);
      }
      table = rule.table;
    }
    routes.push({ to, via, table, family });
  }
  return { routes, rules };
}

/** A single address becomes a host route; CIDRs are printed the way the kernel prints them. */
function normaliseDestination(to: string): string {
  const address = parseAddress(to);
  if (address) return address.text;
  const subnet = parseSubnet(to) as Subnet;
  return subnet.cidr;
}
