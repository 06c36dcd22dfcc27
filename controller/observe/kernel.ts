// The kernel's own view of a node, parsed from `ip -j` output. Pure parsers. Addresses in the
// one spelling of shared/address.ts (the kernel's own, but for IPv4-mapped ones).
import { canonicalAddress } from "../../shared/address.js";

export interface InterfaceState {
  name: string;
  altnames: string[];
  mac: string;
  /** Addresses with prefix length, link-local IPv6 left out. */
  addresses: string[];
}

export interface RouteState {
  to: string;
  family: 4 | 6;
  /** Next-hop gateways (several for ECMP). */
  via: string[];
  dev: string[];
  table: string;
}

export interface RuleState {
  priority: number;
  from: string;
  table: string;
}

export interface KernelState {
  interfaces: InterfaceState[];
  routes: RouteState[];
  rules: RuleState[];
}

interface IpAddrEntry {
  ifname: string;
  altnames?: string[];
  address?: string;
  addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[];
}

export function parseAddr(json: string): InterfaceState[] {
  return (JSON.parse(json) as IpAddrEntry[]).map((e) => ({
    name: e.ifname,
    altnames: e.altnames ?? [],
    mac: (e.address ?? "").toLowerCase(),
    addresses: (e.addr_info ?? []).filter((a) => a.scope !== "link").map((a) => `${canonicalAddress(a.local)}/${a.prefixlen}`),
  }));
}

interface IpRouteEntry {
  dst: string;
  gateway?: string;
  dev?: string;
  table?: string;
  type?: string;
  nexthops?: { gateway?: string; dev?: string }[];
}

export function parseRoutes(json: string): RouteState[] {
  return (JSON.parse(json) as IpRouteEntry[])
    .filter((r) => (r.type ?? "unicast") === "unicast" && r.table !== "local")
    .map((r) => ({
      to: r.dst,
      // "default" names no family: the next hop (or the prefix) tells.
      family: (r.gateway ?? r.nexthops?.[0]?.gateway ?? r.dst).includes(":") ? (6 as const) : (4 as const),
      via: (r.nexthops ? r.nexthops.map((n) => n.gateway ?? "").filter(Boolean) : r.gateway ? [r.gateway] : []).map(canonicalAddress),
      dev: r.nexthops ? r.nexthops.map((n) => n.dev ?? "") : r.dev ? [r.dev] : [],
      table: r.table ?? "main",
    }));
}

interface IpRuleEntry {
  priority: number;
  src?: string;
  srclen?: number;
  table?: string;
}

export function parseRules(json: string): RuleState[] {
  return (JSON.parse(json) as IpRuleEntry[]).map((r) => ({
    priority: r.priority,
    from: r.src === undefined ? "all" : r.srclen !== undefined && r.srclen !== 32 && r.srclen !== 128 ? `${r.src}/${r.srclen}` : canonicalAddress(r.src),
    table: r.table ?? "",
  }));
}

/** `198.18.1.10/32` and `198.18.1.10` name the same host route. */
export function sameDestination(a: string, b: string): boolean {
  const strip = (s: string) => s.replace(/\/(32|128)$/, "");
  return strip(a) === strip(b);
}
