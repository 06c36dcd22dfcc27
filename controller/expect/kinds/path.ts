// path: traffic from a source address to a destination crossed a named forwarding node and none
// of the `not` nodes, by the packet counters zmqlab installs on forwarding nodes (nftables).
// A destination that is a forwarding node's own (virtual) address, like a load balancer's, is
// matched together with the addresses that node translated it to (see `destinations`).
import { list } from "../../../shared/list.js";
import Type, { type Static } from "typebox";
import { expectation, stringOrList } from "../kind.js";
import { andList, destinations, normalAddress, packets, plural, type ExpectationResult, type Observations } from "../types.js";

const body = Type.Object(
  {
    from: Type.String({ description: "The flow's source address." }),
    to: Type.String({ description: "The flow's destination address (a load balancer's virtual address matches where it translated it to)." }),
    via: Type.String({ description: "The forwarding node the flow must cross." }),
    not: Type.Optional(stringOrList({ description: "Forwarding nodes it must not cross." })),
  },
  { additionalProperties: false },
);
type Spec = Static<typeof body>;

export function describePath(spec: Spec): string {
  const not = list(spec.not);
  return `${spec.from} -> ${spec.to} crosses ${spec.via}${not.length ? `, not ${andList(not)}` : ""}`;
}

export function path(spec: Spec, observations: Observations): ExpectationResult {
  const from = normalAddress(spec.from);
  const not = list(spec.not);
  const targets = destinations(observations, from, spec.to);
  const count = (node: string) => packets(observations.flows[node], from, targets);
  const via = count(spec.via);
  const others = Object.fromEntries(not.map((n) => [n, count(n)]));
  const crossedNot = not.filter((n) => others[n]! > 0);
  const ok = via > 0 && crossedNot.length === 0 && spec.via in observations.flows;
  const counts = { [spec.via]: via, ...others };
  const observed = Object.entries(counts)
    .map(([n, c]) => `${n}: ${plural(c, "packet")}`)
    .join(", ");
  const expected = `${spec.via} > 0 packets${not.length ? `, ${not.map((n) => `${n} = 0`).join(", ")}` : ""}`;
  const flow = `${spec.from} -> ${spec.to}${targets.size > 1 ? ` (translated to ${[...targets].filter((t) => t !== normalAddress(spec.to)).join(", ")})` : ""}`;
  let message: string;
  if (!(spec.via in observations.flows)) {
    message = `${spec.via} is not a forwarding node: it has no packet counters`;
  } else if (ok) {
    message = `${flow} crossed ${spec.via} (${plural(via, "packet")})${not.length ? `, not ${not.map((n) => `${n} (0)`).join(", ")}` : ""}`;
  } else if (crossedNot.length && via === 0) {
    message = `${flow} crossed ${crossedNot.map((n) => `${n} (${plural(others[n]!, "packet")})`).join(", ")}, not ${spec.via} (0)`;
  } else if (crossedNot.length) {
    message = `${flow} crossed ${spec.via} (${plural(via, "packet")}) but also ${crossedNot.map((n) => `${n} (${plural(others[n]!, "packet")})`).join(", ")}`;
  } else {
    // Nothing crossed the expected node: say where this source's traffic did go, if anywhere.
    const elsewhere = Object.entries(observations.flows)
      .map(([node]) => [node, count(node)] as const)
      .filter(([, c]) => c > 0);
    message = elsewhere.length
      ? `${flow} crossed ${elsewhere.map(([n, c]) => `${n} (${plural(c, "packet")})`).join(", ")}, not ${spec.via} (0)`
      : `${flow} crossed no forwarding node: ${spec.via} counted 0 packets${not.length ? `, ${not.map((n) => `${n} 0`).join(", ")}` : ""} (nothing from ${spec.from} was forwarded: the connect never left its node, or a node on the way dropped it)`;
  }
  return { kind: "path", description: describePath(spec), ok, expected, observed, message, spec: { ...spec }, evidence: { packets: counts, destinations: [...targets] } };
}

export const pathKind = expectation({
  kind: "path",
  body,
  doc: { holds: "node `via` forwarded packets from `from` to `to`, and no node in `not` did", observedFrom: "the routers' nftables flow counters, zeroed before the traffic" },
  needs: { counters: ["via", "not"] },
  validate(spec, check, at) {
    check.address(spec.from, [...at, "from"]);
    if (!check.isAddress(spec.to)) check.problem([...at, "to"], `"${spec.to}" is not an IP address`, "the destination address of the flow");
    for (const [key, names] of [
      ["via", [spec.via]],
      ["not", list(spec.not)],
    ] as const) {
      for (const n of names) {
        const node = check.node(n, [...at, key]);
        if (node && !node.forward) check.problem([...at, key], `node "${n}" does not forward`, `a path crosses routers: set forward: true on ${n}`);
      }
    }
  },
  judge: path,
});
