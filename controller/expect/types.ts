// Expectations are judged from observations only: what the sockets and the kernels showed
// during one traffic run. Each kind is a pure function (spec, observations) -> result.
import Type, { type Static } from "typebox";
import { canonicalAddress } from "../../shared/address.js";
import type { FlowCount } from "../observe/flows.js";
import type { Snapshot, TrafficReport } from "../traffic/types.js";
import type { CaptureObservation } from "./capture.js";

/** Everything the expectations are judged from, gathered after one traffic run. */
export interface Observations {
  /** What the endpoints reported: counts, gaps, kernel peers, handshakes. */
  traffic: TrafficReport;
  /**
   * Packets each forwarding node forwarded during the run, per (source, destination), from the
   * nftables counters zmqlab installs on every node with `forward: true`. Every forwarding node
   * is a key (with an empty list when it forwarded nothing); other nodes are not.
   */
  flows: Record<string, FlowCount[]>;
  /** Each node's lab addresses, to recognise a virtual address held by a forwarding node. */
  addresses: Record<string, string[]>;
  /** Each program endpoint's whole output (the report keeps only its last lines). */
  outputs?: Record<string, string[]>;
  /** Forwarding nodes whose counters could not be read (stopped, paused, gone), with why: not in `flows`. */
  flowsUnavailable?: Record<string, string>;
  /** Each fault that ran: its name to when it took effect (ms since time 0). */
  faults?: Record<string, number>;
  /** The counters taken just before each fault ran, by the fault's name. */
  snapshots?: Record<string, Snapshot>;
  /** What the run's capture showed (present when the lab's networks were recorded): the built-in `capture` check reads it. */
  capture?: CaptureObservation;
}

export type { ExpectationKind } from "./registry.js";

/**
 * One expectation's verdict, in every report. Its kind is the registry's (the report's schema
 * lists them: expectationResultSchema); a string here, since the kinds' own judges make verdicts.
 */
export const EXPECTATION_RESULT = Type.Object(
  {
    kind: Type.String(),
    description: Type.String({ minLength: 1, description: "What must hold, made from the lab file, at its addresses (for an instance too: the same description in every run)." }),
    ok: Type.Boolean(),
    expected: Type.String({ description: "What must hold, in short." }),
    observed: Type.String({ description: "What the run showed, in short." }),
    message: Type.String({ description: "On failure, what went wrong and where to look; on success, a one-line confirmation." }),
    spec: Type.Record(Type.String(), Type.Unknown(), {
      description: "The expectation as the lab file states it (the body under its kind); for an instance, at the addresses it ran at, as `expected`, `observed`, `message` and `evidence` are.",
    }),
    evidence: Type.Record(Type.String(), Type.Unknown(), { description: "The numbers behind `observed` (per kind: counts, peers seen, packets per node, sources per target, the outage)." }),
    actual: Type.Optional(
      Type.Object(
        { description: Type.String() },
        {
          additionalProperties: false,
          description: "Only for an instance whose addresses were moved, when the description names one: the description at the addresses the instance ran at (`description` has the lab file's).",
        },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ExpectationResult = Static<typeof EXPECTATION_RESULT>;

/** An address as one spelling, the agent's and the lab's: see shared/address.ts. */
export const normalAddress = canonicalAddress;

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** "a", "a and b", "a, b and c" */
export function andList(items: string[]): string {
  // Stryker disable next-line StringLiteral: joining one item or none never uses the separator
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** Sum of packets on one node from a source to any of the destinations. */
export function packets(flows: FlowCount[] | undefined, from: string, to: Set<string>): number {
  return (flows ?? []).filter((f) => normalAddress(f.from) === from && to.has(normalAddress(f.to))).reduce((n, f) => n + f.packets, 0);
}

/**
 * Where traffic from `from` to `to` was really headed. Normally just `to`. When `to` is an
 * address of a forwarding node (a load balancer's virtual address), that node forwards such
 * packets only after rewriting their destination (DNAT), so its counters hold them under the
 * translated destinations: those are taken as well, as that node's counters show them for this
 * source.
 */
export function destinations(observations: Observations, from: string, to: string): Set<string> {
  const target = normalAddress(to);
  const result = new Set([target]);
  for (const [node, flows] of Object.entries(observations.flows)) {
    // Stryker disable next-line ArrayDeclaration: a made-up address list never holds a normalised (lower-case) target
    if (!(observations.addresses[node] ?? []).map(normalAddress).includes(target)) continue;
    for (const f of flows) if (normalAddress(f.from) === from && f.packets > 0) result.add(normalAddress(f.to));
  }
  return result;
}

/** Order addresses numerically within a family (IPv4 first), for stable listings. */
export function byAddress(a: string, b: string): number {
  const key = (t: string) => (t.includes(":") ? [1, ...t.split(":").map((x) => parseInt(x || "0", 16))] : [0, ...t.split(".").map(Number)]);
  const ka = key(a);
  const kb = key(b);
  // Stryker disable next-line EqualityOperator: one step past the longer key compares -1 with -1, which changes nothing
  for (let i = 0; i < Math.max(ka.length, kb.length); i++) if ((ka[i] ?? -1) !== (kb[i] ?? -1)) return (ka[i] ?? -1) - (kb[i] ?? -1);
  return 0;
}
