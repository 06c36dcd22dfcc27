// sourceSeen: a bound endpoint's kernel showed a connection from the given source address(es)
// (its established TCP connections on the bound ports, or on one of them with `bind`), and with
// `only`, from no other.
import { parseTcpEndpoint } from "../../../shared/endpoint.js";
import { list } from "../../../shared/list.js";
import { parseAddress } from "../../lab/ip.js";
import Type, { type Static } from "typebox";
import { endpointName, expectation, stringOrList } from "../kind.js";
import { andList, byAddress, normalAddress, type ExpectationResult, type Observations } from "../types.js";

const body = Type.Object(
  {
    endpoint: endpointName("The bound endpoint whose kernel's connections count."),
    source: stringOrList({ description: "The source address (or addresses) the connections must come from." }),
    only: Type.Optional(Type.Boolean({ description: "From no other address." })),
    atLeast: Type.Optional(
      Type.Integer({ minimum: 1, description: "How many of the sources must be seen (all when absent). With only: every peer is one of the sources, and at least this many of them were seen." }),
    ),
    bind: Type.Optional(
      Type.Unsafe<string | number>({
        type: ["string", "integer"],
        minimum: 1,
        maximum: 65535,
        description: "Count only the peers on this one of the endpoint's binds: the bind as written under traffic (tcp://198.18.2.10:5556), or its port (5556).",
      }),
    ),
  },
  { additionalProperties: false },
);
type Spec = Static<typeof body>;

/**
 * Whether a peer's local end ("198.18.2.10:5556", "[2001:2::10]:5556") is on `bind`: a port, or
 * a bind endpoint as the lab file writes it. A bind on `*`, 0.0.0.0, :: or an interface name
 * matches by its port alone (any local address); a `*` or 0 port by its address alone.
 */
export function onBind(local: string, bind: string | number): boolean {
  const colon = local.lastIndexOf(":");
  const port = local.slice(colon + 1);
  if (typeof bind === "number") return port === String(bind);
  const endpoint = parseTcpEndpoint(bind);
  if (typeof endpoint === "string") return false;
  const { host, port: bound } = endpoint.destination;
  if (bound !== "*" && bound !== "0" && Number(bound) !== Number(port)) return false;
  const address = parseAddress(host);
  if (address === undefined || address.value === 0n) return true;
  const own = local.slice(0, colon);
  return parseAddress(own.startsWith("[") ? own.slice(1, -1) : own)?.text === address.text;
}

/** "port 5556", or the bind endpoint as written. */
const bindName = (bind: string | number) => (typeof bind === "number" ? `port ${bind}` : bind);

export function describeSourceSeen(spec: Spec): string {
  const sources = list(spec.source);
  const named = sources.length > 3 ? `${sources.slice(0, 2).join(", ")} and ${sources.length - 2} more` : andList(sources);
  const some = spec.atLeast !== undefined && spec.atLeast < sources.length ? `at least ${spec.atLeast} of ` : "";
  const on = spec.bind === undefined ? "" : ` on ${bindName(spec.bind)}`;
  return `connections to ${spec.endpoint}${on} come ${spec.only ? "only " : ""}from ${some}${named}`;
}

export function sourceSeen(spec: Spec, observations: Observations): ExpectationResult {
  const wanted = list(spec.source).map(normalAddress);
  const description = describeSourceSeen(spec);
  const need = Math.min(spec.atLeast ?? wanted.length, wanted.length);
  const partial = need < wanted.length;
  const expected = `${partial ? `at least ${need} of ` : ""}${wanted.join(", ")}${spec.only ? " (only)" : ""}`;
  const base = { kind: "sourceSeen" as const, description, expected, spec: { ...spec } };
  const endpoint = observations.traffic.endpoints.find((e) => e.name === spec.endpoint);
  if (!endpoint) return { ...base, ok: false, observed: "no such endpoint in the report", message: `no endpoint ${spec.endpoint} in the traffic report`, evidence: {} };

  // With bind, only the peers on that bind count (a broker's backend peers are not its clients).
  const bind = spec.bind;
  const peers = bind === undefined ? endpoint.peers : endpoint.peers.filter((p) => onBind(p.local, bind));
  const on = bind === undefined ? andList(endpoint.bind) : bindName(bind);
  const seen = [...new Set(peers.map((p) => normalAddress(p.address)))].sort(byAddress);
  const unseen = wanted.filter((s) => !seen.includes(s));
  // With atLeast, sources may go unseen as long as enough of them were seen.
  const missing = wanted.length - unseen.length >= need ? [] : unseen;
  const extra = spec.only ? seen.filter((s) => !wanted.includes(s)) : [];
  const observed = seen.length ? seen.join(", ") : "no connection";
  const evidence = { seen, missing, extra, peers };
  const ok = missing.length === 0 && extra.length === 0 && endpoint.bind.length > 0;
  let message: string;
  if (endpoint.bind.length === 0) {
    message = `${spec.endpoint} binds nothing: only a bound endpoint's kernel shows where connections come from`;
  } else if (ok) {
    message = `${endpoint.node} saw ${andList(seen)} on ${on}`;
  } else {
    const parts: string[] = [];
    parts.push(seen.length ? `${endpoint.node} saw ${andList(seen)}${seen.length === 1 ? " only" : ""}${bind === undefined ? "" : ` on ${on}`}` : `${endpoint.node} saw no connection on ${on}`);
    if (missing.length) {
      const why = observations.traffic.endpoints.flatMap((e) => e.noHandshake.filter((n) => n.source !== undefined && missing.includes(normalAddress(n.source))).map((n) => n.message));
      parts.push(
        partial
          ? `${wanted.length - unseen.length} of the sources seen, at least ${need} expected${why.length ? ` (${why.join("; ")})` : ""}`
          : `${andList(missing)} missing${why.length ? ` (${why.join("; ")})` : ""}`,
      );
    }
    if (extra.length)
      parts.push(
        `${andList(extra)} ${extra.length === 1 ? "is" : "are"} not among the expected sources (a connect took another source address than intended, the endpoint accepts connections on more addresses than intended, a balancer sent that client here, or SNAT rewrote it on the way)`,
      );
    message = parts.join("; ");
  }
  return { ...base, ok, observed, message, evidence };
}

export const sourceSeenKind = expectation({
  kind: "sourceSeen",
  body,
  doc: {
    holds:
      "the bound endpoint's kernel showed a connection from each `source` (with `atLeast: N`: from at least N of them; with `only`: from no other address); with `bind`, only connections to that one of the endpoint's binds count",
    observedFrom: "`/proc/net/tcp{,6}` in the endpoint's node (and, for a program, every connection the kernel saw start)",
  },
  validate(spec, check, at) {
    check.endpoint(spec.endpoint, [...at, "endpoint"]);
    const sources = list(spec.source);
    sources.forEach((s, j) => check.address(s, Array.isArray(spec.source) ? [...at, "source", j] : [...at, "source"]));
    if (spec.atLeast !== undefined && spec.atLeast > sources.length) {
      check.problem([...at, "atLeast"], `atLeast ${spec.atLeast} is more than the ${sources.length} sources listed`, `list more sources, or lower atLeast to at most ${sources.length}`);
    }
    const ep = check.lookup(spec.endpoint);
    if (spec.bind === undefined || !ep) return;
    const ports = ep.bind.flatMap((b) => {
      const parsed = parseTcpEndpoint(b);
      return typeof parsed === "string" ? [] : [parsed.destination.port];
    });
    if (ep.bind.length === 0) {
      check.problem([...at, "bind"], `endpoint "${spec.endpoint}" binds nothing`, "bind picks one of the endpoint's binds; remove it, or judge an endpoint that binds");
    } else if (!(typeof spec.bind === "number" ? ports.includes(String(spec.bind)) : ep.bind.includes(spec.bind))) {
      check.problem([...at, "bind"], `${bindName(spec.bind)} is not one of the binds of endpoint "${spec.endpoint}"`, `one of ${ep.bind.join(", ")}, as written there, or its port`);
    }
  },
  judge: sourceSeen,
});
