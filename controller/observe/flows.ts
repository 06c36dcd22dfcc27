// Forwarded-packet counters from a router's nftables flow sets (installed by the plan).
import Type, { type Static } from "typebox";
import { canonicalAddress } from "../../shared/address.js";

export const FLOW_COUNT = Type.Object(
  { from: Type.String(), to: Type.String(), packets: Type.Integer({ minimum: 0 }), bytes: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false, description: "Packets (and bytes) a forwarding node forwarded from one source address to one destination." },
);
export type FlowCount = Static<typeof FLOW_COUNT>;

interface NftSetOutput {
  nftables: { set?: { elem?: { elem?: { val: { concat: [string, string] }; counter?: { packets: number; bytes: number } } }[] } }[];
}

/** Parse `nft -j list set inet zmqlab flows4` (or flows6). */
export function parseFlowSet(json: string): FlowCount[] {
  const data = JSON.parse(json) as NftSetOutput;
  return data.nftables
    .flatMap((entry) => entry.set?.elem ?? [])
    .flatMap((e) => (e.elem ? [e.elem] : []))
    .map((e) => ({ from: canonicalAddress(e.val.concat[0]), to: canonicalAddress(e.val.concat[1]), packets: e.counter?.packets ?? 0, bytes: e.counter?.bytes ?? 0 }));
}

/** A TCP connection a node's kernel saw start (its SYN), from zmqlab's connection sets. */
export interface ConnectionSeen {
  source: string;
  sourcePort: number;
  local: string;
  port: number;
}

interface NftConnectionSetOutput {
  nftables: { set?: { elem?: { elem?: { val: { concat: [string, number, string, number] } } }[] } }[];
}

/** Parse `nft -j list set inet zmqlab_peers peers4` (or peers6). */
export function parseConnectionSet(json: string): ConnectionSeen[] {
  const data = JSON.parse(json) as NftConnectionSetOutput;
  return data.nftables
    .flatMap((entry) => entry.set?.elem ?? [])
    .flatMap((e) => (e.elem ? [e.elem] : []))
    .map((e) => ({ source: canonicalAddress(e.val.concat[0]), sourcePort: Number(e.val.concat[1]), local: canonicalAddress(e.val.concat[2]), port: Number(e.val.concat[3]) }));
}
