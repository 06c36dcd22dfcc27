// balanced: flows from a set of sources spread over a set of routers or backends: each source
// lands on exactly one of them, each of them gets at least one source, and (with `mapping`)
// each source lands where the mapping says (to pin a hash).
// - A router (a forwarding node) takes a source when its counters show packets from that source
//   to `to` (or to what `to` was translated to, see `destinations`).
// - A backend (any other node) takes a source when an endpoint on it showed that source among
//   its kernel peers. `to` is not matched there: behind DNAT the local address is the
//   backend's own, not the virtual address the client connected to.
import Type, { type Static } from "typebox";
import { canonicalAddress } from "../../../shared/address.js";
import { expectation } from "../kind.js";
import { andList, destinations, normalAddress, packets, plural, type ExpectationResult, type Observations } from "../types.js";

const body = Type.Object(
  {
    sources: Type.Array(Type.String(), { minItems: 1, description: "The source addresses that must spread." }),
    to: Type.String({ description: "Their destination (a load balancer's virtual address matches where it translated it to)." }),
    over: Type.Array(Type.String(), { minItems: 2, description: "The routers (by their counters) or backends (by their kernel peers) they spread over." }),
    mapping: Type.Optional(Type.Record(Type.String(), Type.String(), { description: "Each source to the one of over it must land on (to pin a hash)." })),
  },
  { additionalProperties: false },
);
type Spec = Static<typeof body>;

export function describeBalanced(spec: Spec): string {
  return `${plural(spec.sources.length, "source")} -> ${spec.to} spread over ${andList(spec.over)}, each source on exactly one${spec.mapping ? ", as mapped" : ""}`;
}

/** For each target in `over`, the sources it took. */
export function takenBy(spec: Spec, observations: Observations): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  const sources = spec.sources.map(normalAddress);
  for (const target of spec.over) {
    if (target in observations.flows) {
      result[target] = sources.filter((s) => packets(observations.flows[target], s, destinations(observations, s, spec.to)) > 0);
    } else {
      const seen = new Set(observations.traffic.endpoints.filter((e) => e.node === target).flatMap((e) => e.peers.map((p) => normalAddress(p.address))));
      result[target] = sources.filter((s) => seen.has(s));
    }
  }
  return result;
}

export function balanced(spec: Spec, observations: Observations): ExpectationResult {
  const sources = spec.sources.map(normalAddress);
  const taken = takenBy(spec, observations);
  const landed = Object.fromEntries(sources.map((s) => [s, spec.over.filter((o) => taken[o]!.includes(s))]));
  const nowhere = sources.filter((s) => landed[s]!.length === 0);
  const split = sources.filter((s) => landed[s]!.length > 1);
  const idle = spec.over.filter((o) => taken[o]!.length === 0);
  const mapping = Object.entries(spec.mapping ?? {}).map(([s, o]) => [normalAddress(s), o] as const);
  const wrong = mapping.filter(([s, o]) => landed[s]!.length === 1 && landed[s]![0] !== o);

  const problems: string[] = [];
  if (nowhere.length) problems.push(`${andList(nowhere)} reached none of ${andList(spec.over)}`);
  for (const s of split) problems.push(`${s} split over ${andList(landed[s]!)}`);
  if (idle.length) problems.push(`${andList(idle)} got no source`);
  // A backend that saw other addresses than the sources: they were rewritten on the way.
  for (const o of spec.over.filter((o) => !(o in observations.flows))) {
    const strangers = [...new Set(observations.traffic.endpoints.filter((e) => e.node === o).flatMap((e) => e.peers.map((p) => normalAddress(p.address))))].filter((a) => !sources.includes(a));
    if (strangers.length && (idle.includes(o) || nowhere.length))
      problems.push(`${o}'s kernel saw ${andList(strangers)} instead (not among the sources: SNAT on the way hides them, or a connect took another source)`);
  }
  if (wrong.length) problems.push(`mapping differs: ${wrong.map(([s, o]) => `${s} went to ${landed[s]![0]}, not ${o}`).join(", ")}`);
  const ok = problems.length === 0;

  const kinds = spec.over.map((o) => (o in observations.flows ? "router" : "backend"));
  // With a mapping, expected reads like observed: each target with its sources.
  const expected = spec.mapping
    ? spec.over
        .map(
          (o) =>
            `${o}: ${
              mapping
                .filter(([, t]) => t === o)
                .map(([s]) => s)
                .join(" ") || "none"
            }`,
        )
        .join("; ")
    : `each source on one of ${spec.over.join(", ")}; each of them at least one`;
  const observed = spec.over.map((o) => `${o}: ${taken[o]!.join(" ") || "none"}`).join("; ");
  const message = ok
    ? `${spec.over.map((o) => `${o} took ${plural(taken[o]!.length, "source")}`).join(", ")}; every source on one ${kinds.every((k) => k === "router") ? "router" : kinds.every((k) => k === "backend") ? "backend" : "target"}`
    : problems.join("; ");
  return {
    kind: "balanced",
    description: describeBalanced(spec),
    ok,
    expected,
    observed,
    message,
    spec: { ...spec },
    evidence: { taken, landed },
  };
}

export const balancedKind = expectation({
  kind: "balanced",
  body,
  doc: {
    holds:
      "every source landed on exactly one of `over` (routers by their counters, backends by their kernel peers), each of `over` took at least one, and with `mapping`, each source landed where it says",
    observedFrom: "flow counters and kernel peers",
  },
  needs: { counters: ["over"] },
  validate(spec, check, at) {
    spec.sources.forEach((s, j) => check.address(s, [...at, "sources", j]));
    spec.over.forEach((n, j) => check.node(n, [...at, "over", j]));
    const sources = spec.sources.map(canonicalAddress);
    for (const [src, target] of Object.entries(spec.mapping ?? {})) {
      if (!sources.includes(canonicalAddress(src))) check.problem([...at, "mapping", src], `${src} is not among the sources`, "map each listed source to one of over");
      if (!spec.over.includes(target)) check.problem([...at, "mapping", src], `"${target}" is not among over`, `one of ${spec.over.join(", ")}`);
    }
  },
  judge: balanced,
});
