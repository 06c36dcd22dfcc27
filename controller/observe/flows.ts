// Forwarded-packet counters from a router's nftables flow sets (installed by the plan).
export interface FlowCount {
  from: string;
  to: string;
  packets: number;
  bytes: number;
}

interface NftSetOutput {
  nftables: { set?: { elem?: { elem?: { val: { concat: [string, string] }; counter?: { packets: number; bytes: number } } }[] } }[];
}

/** Parse `nft -j list set inet zmqlab flows4` (or flows6). */
export function parseFlowSet(json: string): FlowCount[] {
  const data = JSON.parse(json) as NftSetOutput;
  return data.nftables
    .flatMap((entry) => entry.set?.elem ?? [])
    .flatMap((e) => (e.elem ? [e.elem] : []))
    .map((e) => ({ from: e.val.concat[0], to: e.val.concat[1], packets: e.counter?.packets ?? 0, bytes: e.counter?.bytes ?? 0 }));
}
