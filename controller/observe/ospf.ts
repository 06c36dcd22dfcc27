// OSPF state as FRR reports it (`vtysh -c 'show ip ospf neighbor json'`), and which of a node's
// awaited adjacencies it lacks. Pure.
import { contains, parseAddress, parseSubnet, type Subnet } from "../lab/ip.js";
import type { AdjacencyPlan } from "../plan/types.js";
import { sameDestination, type RouteState } from "./kernel.js";

export interface OspfNeighbour {
  routerId: string;
  /** The neighbour's address on the shared network. */
  address: string;
  /** FRR's state, e.g. "Full/DR", "Full/-", "Init/DROther", "2-Way/DROther". */
  state: string;
  /** FRR's `eth1:198.18.50.2` (kernel name and own address). */
  interface: string;
}

interface NeighbourJson {
  address?: string;
  ifaceAddress?: string;
  nbrState?: string;
  state?: string;
  ifaceName?: string;
}

/** FRR 8's JSON: `{ neighbors: { ROUTER_ID: [ { address, nbrState, ifaceName, ... } ] } }`. */
export function parseOspfNeighbours(json: string): OspfNeighbour[] {
  let data: { neighbors?: Record<string, NeighbourJson[] | NeighbourJson> };
  try {
    data = JSON.parse(json) as typeof data;
  } catch {
    return [];
  }
  return Object.entries(data?.neighbors ?? {}).flatMap(([routerId, entries]) =>
    (Array.isArray(entries) ? entries : [entries]).map((n) => ({
      routerId,
      address: n.ifaceAddress ?? n.address ?? "",
      state: n.nbrState ?? n.state ?? "",
      interface: n.ifaceName ?? "",
    })),
  );
}

export const isFull = (n: OspfNeighbour): boolean => n.state.startsWith("Full");

/** An awaited adjacency that is not there: the network, who should be there, who is not. */
export interface MissingAdjacency {
  network: string;
  expected: string[];
  /** OSPF nodes on the network the node does not see (not even 2-Way). */
  absent: string[];
  /** Whether some neighbour there is Full (one is enough to route). */
  full: boolean;
  /** Neighbours seen on the network, e.g. "198.18.50.3 Init/DROther". */
  seen: string[];
}

/**
 * Networks where the node has no Full neighbour yet, or does not yet see every other OSPF node
 * (at least 2-Way: on a broadcast network routers that are neither DR nor BDR stay 2-Way with
 * each other). One Full neighbour per network is enough to route.
 */
export function missingAdjacencies(awaited: AdjacencyPlan[], neighbours: OspfNeighbour[]): MissingAdjacency[] {
  return awaited.flatMap((a) => {
    const subnet = parseSubnet(a.subnet) as Subnet;
    const here = neighbours.filter((n) => {
      const address = parseAddress(n.address);
      return address !== undefined && address.family === subnet.family && contains(subnet, address);
    });
    const seen = (address: string) => here.some((n) => n.address === address && (isFull(n) || n.state.startsWith("2-Way")));
    const absent = a.neighbours.filter((_, i) => !seen(a.addresses[i]!));
    const full = here.some(isFull);
    if (full && absent.length === 0) return [];
    return [{ network: a.network, expected: a.neighbours, absent, full, seen: here.map((n) => `${n.address} ${n.state}`) }];
  });
}

/** Networks of the OSPF domain the node's kernel has no route to yet (main table). */
export function missingRoutes(expected: { network: string; subnet: string }[], routes: RouteState[]): string[] {
  return expected.filter((e) => !routes.some((r) => r.table === "main" && sameDestination(r.to, e.subnet))).map((e) => e.network);
}
