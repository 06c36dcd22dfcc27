// OSPF state as FRR reports it (`vtysh -c 'show ip ospf neighbor json'`), and which of a node's
// awaited adjacencies it lacks. Pure.
import { contains, parseAddress, parseSubnet, type Subnet } from "../lab/ip.js";
import type { AdjacencyPlan } from "../plan/types.js";

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

/** An awaited adjacency that is not there: the network, and who is (not fully) adjacent on it. */
export interface MissingAdjacency {
  network: string;
  expected: string[];
  /** Neighbours seen on the network that are not Full yet, e.g. "198.18.50.3 Init/DROther". */
  seen: string[];
}

/**
 * Networks where the node has no Full neighbour yet. One Full neighbour per network is enough
 * for the lab to route (on a broadcast network every router is adjacent to the DR and BDR only).
 */
export function missingAdjacencies(awaited: AdjacencyPlan[], neighbours: OspfNeighbour[]): MissingAdjacency[] {
  return awaited.flatMap((a) => {
    const subnet = parseSubnet(a.subnet) as Subnet;
    const here = neighbours.filter((n) => {
      const address = parseAddress(n.address);
      return address !== undefined && address.family === subnet.family && contains(subnet, address);
    });
    if (here.some(isFull)) return [];
    return [{ network: a.network, expected: a.neighbours, seen: here.map((n) => `${n.address} ${n.state}`) }];
  });
}
