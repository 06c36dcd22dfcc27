// The lab file's format, defined once: the TypeScript types (lab/types.ts) are this schema's, and
// lab.schema.json (for editors, shipped with the package) is written from it by `npm run
// generate`. Expectations and faults come from their kinds' registries.
import Type, { type Static } from "typebox";
import { expectationSchema, faultName, type ExpectationSpec, type Kinds } from "../expect/registry.js";
import { oneOf, stringOrList } from "../expect/kind.js";
import { FAULT_SCHEMA } from "../faults/registry.js";
import { SOCKET_TYPES } from "../../shared/socket.js";
import { SWEEP } from "./sweep.js";

const name = (description?: string) => Type.String({ pattern: "^[a-z][a-z0-9-]{0,14}$", ...(description ? { description } : {}) });

export const NETWORK = Type.Object({ subnet: stringOrList({ description: "An IPv4 subnet, or a list of one IPv4 and one IPv6 subnet for dual stack." }) }, { additionalProperties: false });

export const ROUTE = Type.Object(
  {
    to: Type.String({ description: "Destination CIDR, address, or default." }),
    via: stringOrList({ description: "Next hop; a list for ECMP." }),
    from: Type.Optional(Type.String({ description: "Policy routing: only traffic from this own address." })),
  },
  { additionalProperties: false },
);

export const ROUTING = Type.Object(
  {
    ospf: Type.Optional(
      Type.Object(
        {
          networks: Type.Array(name(), { minItems: 1, description: "The node's networks that run OSPF (area 0)." }),
          cost: Type.Optional(
            Type.Record(Type.String(), Type.Integer({ minimum: 1, maximum: 65535 }), { description: "OSPF interface cost per network (default 10): a higher cost makes the path less preferred." }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    frr: Type.Optional(Type.String({ minLength: 1, description: "A raw frr.conf, relative to the lab file; `interface NETWORK` lines name lab networks and become the kernel's interface names." })),
  },
  { additionalProperties: false, description: "Dynamic routing with FRR (Debian's frr package, in zmqlab's node-frr image): ospf (zmqlab writes the configuration) or frr (a raw frr.conf)." },
);

export const NODE = Type.Object(
  {
    image: Type.Optional(Type.String({ minLength: 1, description: "Image to run (default: the zmqlab node image)." })),
    build: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "A folder (relative to the lab file) with a Dockerfile that zmqlab builds with the build argument ZMQLAB_NODE_IMAGE set to its node image: start it with ARG ZMQLAB_NODE_IMAGE and FROM ${ZMQLAB_NODE_IMAGE}. Rebuilt only when the folder's files or the node image change.",
      }),
    ),
    forward: Type.Optional(Type.Boolean({ description: "Forward packets between interfaces (a router)." })),
    hash: Type.Optional(oneOf(["l3", "l4"] as const, { description: "ECMP hash policy: l3 (addresses) or l4 (adds ports)." })),
    hashSeed: Type.Optional(Type.Integer({ minimum: 1, maximum: 4294967295, description: "ECMP hash seed, for a repeatable flow-to-next-hop mapping (Linux 6.11+)." })),
    interfaces: Type.Unsafe<Record<string, string | string[]>>({
      type: "object",
      description: "Network name to the node's addresses on it.",
      minProperties: 1,
      propertyNames: name(),
      additionalProperties: stringOrList(),
    }),
    routes: Type.Optional(Type.Array(ROUTE)),
    run: Type.Optional(Type.Array(Type.Array(Type.String(), { minItems: 1 }), { description: "Extra commands, each an argument list, run after addresses and routes." })),
    routing: Type.Optional(ROUTING),
  },
  { additionalProperties: false },
);

export const SEND = Type.Object(
  {
    count: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000000, description: "Messages to send; with duration and rate, a cap on rate x duration." })),
    size: Type.Optional(Type.Integer({ minimum: 0, maximum: 16777216, description: "Payload size in bytes (the header with sender, sequence and send time is extra)." })),
    rate: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "Messages per second; as fast as possible when absent." })),
    duration: Type.Optional(
      Type.Unsafe<number | string>({
        type: ["integer", "string"],
        description: "Send for this long: ms, or 1500ms, 5s, 2m. With rate: count = rate x duration (a count given too caps it); with count and no rate: the count spread over it.",
      }),
    ),
    topic: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const ENDPOINT = Type.Object(
  {
    node: Type.String(),
    socket: Type.Optional(oneOf(SOCKET_TYPES)),
    bind: Type.Optional(stringOrList()),
    connect: Type.Optional(stringOrList()),
    subscribe: Type.Optional(stringOrList()),
    reply: Type.Optional(Type.Boolean()),
    send: Type.Optional(SEND),
    command: Type.Optional(Type.Array(Type.String(), { minItems: 1, description: "Your own program, an argument list (never a shell string), run in the node during the traffic phase." })),
    env: Type.Optional(Type.Record(Type.String(), Type.String(), { description: "Program: environment variables." })),
    ready: Type.Optional(
      Type.Unsafe<"listen" | { output: string }>({
        description:
          "Program: when it counts as started, before the connecting side starts: listen (the node's kernel listens on every declared bind; the default when it declares a bind) or { output: PATTERN } (a line of its output matches).",
        oneOf: [{ const: "listen" }, { type: "object", additionalProperties: false, required: ["output"], properties: { output: { type: "string", minLength: 1 } } }],
      }),
    ),
    timeout: Type.Optional(
      Type.Unsafe<number | string>({
        type: ["integer", "string"],
        description: "Program: stopped (SIGTERM, then SIGKILL) when still running after this long: ms, or 1500ms, 20s, 2m (default: settings.trafficTimeout).",
      }),
    ),
    format: Type.Optional(
      oneOf(["zmqlab", "raw"] as const, {
        description: "Agent message format: zmqlab (sequence header, exact gap accounting; default) or raw (plain payloads: receive a foreign sender's messages, send what a foreign receiver reads).",
      }),
    ),
  },
  {
    additionalProperties: false,
    description: "A traffic endpoint: zmqlab's agent with a ZeroMQ socket (socket:), or your own program (command:), whose bind and connect are declarations zmqlab validates, draws and observes.",
  },
);

export const SETTINGS = Type.Object(
  {
    handshakeTimeout: Type.Optional(
      Type.Integer({ minimum: 100, maximum: 600000, description: "ms a connect may go without a handshake before it is reported, and a req waits for each reply (default 3000)." }),
    ),
    trafficTimeout: Type.Optional(Type.Integer({ minimum: 1000, maximum: 3600000, description: "ms bound on the whole traffic phase (default 60000)." })),
    linger: Type.Optional(Type.Integer({ minimum: 0, maximum: 60000, description: "ms receivers keep listening after the last sender finished (default 500)." })),
    capture: Type.Optional(
      Type.Unsafe<"failed" | "always" | "off">({
        enum: ["failed", "always", "off"],
        description: "Record every network of the lab during the run and keep the pcapng files when the run fails (failed, the default), always, or never record (off). --capture overrides it.",
      }),
    ),
    captureLimit: Type.Optional(
      Type.Unsafe<string | number>({
        type: ["string", "integer"],
        description: "The capture's ring per network: bytes, or a size such as 64MB, 1GB, 512MiB (default 64MB, at least 2MB). Past it the oldest packets go.",
      }),
    ),
    captureWindow: Type.Optional(
      Type.Unsafe<string | number>({
        type: ["string", "integer"],
        description: "Each fault's capture window reaches this far on either side: ms, or a duration such as 2s (default 2s). --capture-window overrides it.",
      }),
    ),
  },
  { additionalProperties: false },
);

export const LAB = Type.Object(
  {
    name: Type.String({ pattern: "^[a-z][a-z0-9-]{0,23}$", description: "Lab name: labels and container names derive from it." }),
    networks: Type.Unsafe<Record<string, Static<typeof NETWORK>>>({ type: "object", description: "Bridge networks by name.", propertyNames: name(), minProperties: 1, additionalProperties: NETWORK }),
    nodes: Type.Unsafe<Record<string, Static<typeof NODE>>>({ type: "object", description: "Containers by name.", propertyNames: name(), minProperties: 1, additionalProperties: NODE }),
    traffic: Type.Optional(Type.Unsafe<Record<string, Static<typeof ENDPOINT>>>({ type: "object", description: "ZeroMQ endpoints by name.", propertyNames: name(), additionalProperties: ENDPOINT })),
    expect: Type.Optional(Type.Unsafe<ExpectationSpec[]>({ type: "array", description: "What must hold after the traffic.", items: expectationSchema() })),
    settings: Type.Optional(SETTINGS),
    faults: Type.Optional(
      Type.Unsafe<Record<string, Static<typeof FAULT_SCHEMA>>>({
        type: "object",
        description: "Faults at their times during the traffic phase, by name (see docs/faults.md).",
        propertyNames: faultName(),
        additionalProperties: FAULT_SCHEMA,
      }),
    ),
    sweep: Type.Optional(SWEEP),
  },
  { additionalProperties: false },
);

/** The lab file's JSON Schema as written to lab.schema.json; `kinds`: the expectation kinds it admits (the registry's). */
export function labSchema(kinds?: Kinds): object {
  const expect = { ...LAB.properties.expect, items: expectationSchema(kinds) };
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://zmqlab.dev/schema/lab.schema.json",
    title: "zmqlab lab file",
    description: "A containerised network lab: bridge networks, nodes with several addresses per interface, routes, ZeroMQ traffic and expectations.",
    ...LAB,
    properties: { ...LAB.properties, expect },
  };
}
