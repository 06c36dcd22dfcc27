// What the traffic phase produced: the report's `endpoints`, one per lab endpoint, its faults as
// they happened, and the nodes that went away. Every time in it is ms since the traffic's time 0
// (`clock`): the moment zmqlab released the senders. Defined once, as schemas: the types below
// are theirs, and report.schema.json is written from them (scripts/generate.ts).
import Type, { type Static } from "typebox";
import type { Peer as WirePeer } from "../../shared/protocol.js";
import { SOCKET_TYPES } from "../../shared/socket.js";
import type { FlowCount } from "../observe/flows.js";
import { oneOf } from "../expect/kind.js";

export const COUNT = Type.Integer({ minimum: 0 });
/** ms since the run's time 0. */
export const MS = Type.Number({ description: "ms since the run's time 0 (`clock`: when the senders were released); negative before it." });
const counts = (description: string) => Type.Record(Type.String(), COUNT, { description });

export const PEER = Type.Object(
  {
    local: Type.String({ description: "The local address:port (the bind) the peer was connected to." }),
    address: Type.String({ description: "The peer's source address." }),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
  },
  { additionalProperties: false },
);
export type Peer = Static<typeof PEER>;
/** The agent's wire type and the report's are one shape (this fails to compile when they differ). */
export const PEER_IS_THE_WIRE_PEER: [Peer, WirePeer] extends [WirePeer, Peer] ? true : never = true;

export const CLOCK = Type.Object(
  {
    t0: Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}T", description: "ISO 8601 time of time 0." }),
    epochMs: Type.Number({ description: "Time 0 in ms since the Unix epoch (lab containers share the host's clock)." }),
  },
  { additionalProperties: false, description: "Time 0 of the run: when the senders were released. Every time in the report (faults, phases, timelines, lives) is ms since then." },
);
/** Time 0 of a run: when the senders were released. Every `...Ms` and timeline time counts from it. */
export type Clock = Static<typeof CLOCK>;

export const FAULT_EVENT = Type.Object(
  {
    name: Type.String(),
    atMs: Type.Number({ minimum: 0, description: "When it was planned (the lab's `at`), ms since time 0." }),
    actualMs: Type.Optional({
      ...MS,
      description:
        "When it had taken effect: the node off its networks (stop, restart: its cut, or the engine's record); back on them (start: a held node lifting its cut, as it recorded it; else its process started, as the engine recorded it); frozen or thawed (pause, unpause: when the engine answered); its commands in the nodes done. Absent when it never ran.",
    }),
    doneMs: Type.Optional({ ...MS, description: "When it was done: its commands finished, or a started node configured again." }),
    waitedFor: Type.Optional(
      Type.Object(
        { fault: Type.String(), node: Type.String(), doneMs: MS },
        {
          additionalProperties: false,
          description:
            "It landed late (over 50 ms after its plan) and an earlier fault on its node was over only after this one's work had to begin (its lead: an engine action's latency, a held start's seconds ahead, its commands sent ahead): it began then. Absent when it was on time or began in time.",
        },
      ),
    ),
    ok: Type.Boolean({ description: "It did what the lab says; false: its built-in check (kind `fault`) fails the run." }),
    error: Type.Optional(Type.String({ description: "Why it failed, or that it did not run." })),
  },
  { additionalProperties: false },
);
/** One fault as it happened. */
export type FaultEvent = Static<typeof FAULT_EVENT>;

export const INTERRUPTED_NODE = Type.Object(
  {
    node: Type.String(),
    container: Type.String(),
    state: oneOf(["stopped", "paused", "gone", "restarting", "restarted"] as const),
    message: Type.String(),
    faults: Type.Optional(Type.Array(Type.String(), { description: "The lab's faults that left the node so (present when they did: as the lab plans)." })),
  },
  { additionalProperties: false },
);
export type InterruptedNode = Static<typeof INTERRUPTED_NODE>;

const COUNTS = {
  sent: COUNT,
  received: COUNT,
  from: counts("Sender endpoint name to messages received from it (every life of the sender)."),
  gaps: COUNT,
  duplicates: COUNT,
  reordered: COUNT,
  unanswered: Type.Optional({ ...COUNT, description: "A req: requests that got no reply within its reply timeout (it sent the next one)." }),
};
/** The agent's accounting, as it reported it: sent, received, per sender, gaps, duplicates, reordering. */
export type Counts = Static<ReturnType<typeof countsObject>>;
const countsObject = () => Type.Object(COUNTS);

export const ENDED_BY = Type.Object(
  { fault: Type.String(), action: oneOf(["stop", "restart", "pause"] as const), atMs: MS },
  { additionalProperties: false, description: "A fault of the lab that stopped, restarted or paused the endpoint's node." },
);
/** How a life of an endpoint ended by the lab's own fault: the node stopped, restarted or paused. */
export type EndedBy = Static<typeof ENDED_BY>;

export const PROGRAM_OUTCOME = Type.Object(
  {
    command: Type.Array(Type.String()),
    exitCode: Type.Unsafe<number | null>({ type: ["integer", "null"], description: "Its exit code; null when it never started." }),
    stopped: Type.Boolean({ description: "zmqlab stopped it at its deadline (SIGTERM)." }),
    killed: Type.Boolean({ description: "It needed SIGKILL after the grace period." }),
    durationMs: COUNT,
    readyAfterMs: Type.Optional({ ...COUNT, description: "When it counted as ready (`ready:`), ms after it started." }),
    lastLines: Type.Array(Type.String(), { description: "The last lines of its stdout and stderr." }),
  },
  { additionalProperties: false, description: "A program endpoint's run: its exit, run time and last lines of output." },
);
/** How a program endpoint ran. */
export type ProgramOutcome = Static<typeof PROGRAM_OUTCOME>;

export const ENDPOINT_LIFE = Type.Object(
  {
    life: Type.Integer({ minimum: 1 }),
    startMs: MS,
    endMs: Type.Optional(MS),
    endedBy: Type.Optional(ENDED_BY),
    ...COUNTS,
    program: Type.Optional(PROGRAM_OUTCOME),
  },
  { additionalProperties: false, description: "One life of an endpoint: from its start (or its node's start after a fault) to the fault that ended it, or to the end of the traffic." },
);
export type EndpointLife = Static<typeof ENDPOINT_LIFE>;

/** Latency in ms, to the µs. */
const LATENCY_MS = (description: string) => Type.Number({ minimum: 0, description });

export const LATENCY_FIGURES = Type.Object(
  {
    count: { ...COUNT, description: "Messages measured: those that carried their send time (zmqlab's agents' all do; a program's when its header has `t`)." },
    p50: LATENCY_MS("Median one-way latency, ms (send time in the header to arrival at the receiver; lab containers share the host's clock)."),
    p99: LATENCY_MS("99th percentile, ms."),
    max: LATENCY_MS("Largest, ms."),
  },
  { additionalProperties: false },
);
/** Percentiles of one-way latency over some messages, in ms (HDR histograms: to within 0.1%). */
export type LatencyFigures = Static<typeof LATENCY_FIGURES>;

export const LATENCY = Type.Object(
  {
    ...LATENCY_FIGURES.properties,
    from: Type.Record(Type.String(), LATENCY_FIGURES, { description: "The same per sender endpoint." }),
  },
  {
    additionalProperties: false,
    description: "One-way latency of the messages a receiver got (all senders, and per sender); present when any carried its send time. Within a phase: the messages that arrived in it.",
  },
);
export type Latency = Static<typeof LATENCY>;

export const LATENCY_POINT = Type.Object(
  { ms: MS, ...LATENCY_FIGURES.properties },
  { additionalProperties: false, description: "The latency of the messages that arrived between the previous sample and this one (`ms`), all senders." },
);
export type LatencyPoint = Static<typeof LATENCY_POINT>;

export const TIMELINE_SAMPLE = Type.Object(
  {
    ms: MS,
    sent: Type.Optional(COUNT),
    received: COUNT,
    gaps: COUNT,
    duplicates: COUNT,
    from: counts("Messages received per sender so far."),
    highest: Type.Optional(counts("The highest sequence number seen from each sender's life: `name` for its first life, `name#2` for its second (after its node was restarted), ...")),
    unanswered: Type.Optional({ ...COUNT, description: "A req: requests unanswered so far." }),
    latency: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description:
          "Per sender, the one-way latency of the messages that arrived since the previous sample: an HDR histogram of µs in HdrHistogram's compressed base64 encoding (any HdrHistogram library decodes it; histograms add exactly, so a phase's are the sum of its samples').",
      }),
    ),
  },
  { additionalProperties: false },
);
/** One point of an endpoint's progress: cumulative counts at a time. */
export type TimelineSample = Static<typeof TIMELINE_SAMPLE>;

export const SILENCE = Type.Object(
  {
    start: MS,
    end: Type.Unsafe<number | null>({ type: ["number", "null"], description: "The first message after it; null when none came until stop." }),
    lastSent: Type.Optional({ ...MS, description: "When the message before the silence was sent (its header's time), where it said." }),
    nextSent: Type.Optional({ ...MS, description: "When the message that ended it was sent, where it said." }),
  },
  { additionalProperties: false, description: "A stretch without messages, from the last message before it to the first after it." },
);
export type Silence = Static<typeof SILENCE>;

export const TIMELINE = Type.Object(
  {
    tickMs: Type.Integer({ minimum: 1, description: "How often the agent reported progress while it changed." }),
    silenceMs: Type.Integer({ minimum: 1, description: "A gap between two messages longer than this is a silence." }),
    samples: Type.Array(TIMELINE_SAMPLE, { description: "Cumulative counts: at start, every tickMs while they changed, just before each fault, and at stop." }),
    counts: Type.Object({ start: MS, values: Type.Array(COUNT) }, { additionalProperties: false, description: "Messages received per tickMs interval from `start`: the chart of the HTML page." }),
    silences: Type.Array(SILENCE),
    latency: Type.Optional(
      Type.Array(LATENCY_POINT, { description: "Per sample with messages that carried their send time: p50, p99 and max of those since the previous sample (the latency chart of the HTML page)." }),
    ),
    firstMessage: Type.Optional({ ...MS, description: "When the first message was received." }),
    lastMessage: Type.Optional({ ...MS, description: "When the last message was received." }),
    handshakes: Type.Array(Type.Object({ ms: MS, address: Type.String(), connect: Type.Optional(Type.String()) }, { additionalProperties: false }), {
      description: "Every ZeroMQ handshake, connect and bind side (a reconnection after a broken connection adds one).",
    }),
    sendingStarted: Type.Optional({ ...MS, description: "A sender: when it sent its first message." }),
    sendingEnded: Type.Optional({ ...MS, description: "A sender: when its last message went." }),
    disconnects: Type.Array(Type.Object({ ms: MS, address: Type.String() }, { additionalProperties: false }), { description: "Every connection libzmq saw close." }),
    peers: Type.Array(Type.Object({ ms: MS, established: Type.Array(PEER) }, { additionalProperties: false }), {
      description: "A bound endpoint: the peers its kernel showed established, each time that set changed.",
    }),
  },
  {
    additionalProperties: false,
    description:
      "An endpoint's timeline, from its agent: counts every tickMs while they changed (exact at each fault), silences (exact: measured between arrivals), handshakes, disconnects, kernel peers; ms since time 0. Across the lives of an endpoint whose node a fault restarted, counts run on.",
  },
);
export type Timeline = Static<typeof TIMELINE>;

export const NO_HANDSHAKE = Type.Object(
  {
    connect: Type.String(),
    source: Type.Optional(Type.String()),
    destination: Type.String(),
    afterMs: COUNT,
    nodeAddresses: Type.Array(Type.String(), { description: "The node's addresses as its kernel showed them, to spot a wrong source at a glance." }),
    route: Type.Optional(Type.String({ description: "How the node's kernel routes the connect (`ip route get`), when its source is the node's." })),
    message: Type.String(),
  },
  { additionalProperties: false },
);
export type NoHandshake = Static<typeof NO_HANDSHAKE>;

export const ENDPOINT_REPORT = Type.Object(
  {
    name: Type.String(),
    node: Type.String(),
    socket: oneOf([...SOCKET_TYPES, "program"] as const, { description: "The agent's socket type, or program for the user's own program." }),
    program: Type.Optional({ ...PROGRAM_OUTCOME, description: "A program endpoint's run (its last life's)." }),
    bind: Type.Array(Type.String()),
    connect: Type.Array(Type.String()),
    ...COUNTS,
    peers: Type.Array(PEER, { description: "Established TCP connections the node's kernel showed on this endpoint's bound ports." }),
    handshakes: Type.Array(Type.String(), { description: "Connects that completed a ZeroMQ handshake." }),
    noHandshake: Type.Array(NO_HANDSHAKE, { description: "Connects that never completed one within the handshake timeout." }),
    errors: Type.Array(Type.String(), { description: "Every error the endpoint or its agent reported (the notes of the traffic table)." }),
    failures: Type.Optional(
      Type.Array(Type.String(), {
        minItems: 1,
        description:
          "Present when the endpoint is broken: why it could not bind, connect or start, or why its agent failed. It then carried no traffic (`sent` is 0) and its built-in check (kind `endpoint`) fails.",
      }),
    ),
    lives: Type.Optional(
      Type.Array(ENDPOINT_LIFE, {
        description: "Present when a fault of the lab stopped, restarted or paused the endpoint's node: each life with its own counts (the endpoint's counts are their sums).",
      }),
    ),
    endedBy: Type.Optional({
      ...ENDED_BY,
      description: "The fault that ended the endpoint's last life: its node stopped, or paused until the end. No endpoint failure: what it did until then is reported.",
    }),
    rate: Type.Optional(Type.Number({ minimum: 0, description: "Messages per second while sending (senders) or receiving (receivers)." })),
    latency: Type.Optional(LATENCY),
    timeline: Type.Optional(TIMELINE),
  },
  { additionalProperties: false, description: "One ZeroMQ endpoint of the lab and what it did." },
);
export type EndpointReport = Static<typeof ENDPOINT_REPORT>;

export const TRAFFIC_REPORT = {
  lab: Type.String({ description: "The lab file's name, for an instance too (the instance is in `instance`)." }),
  started: Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}T", description: "ISO 8601 time the traffic phase started (agents being started, before time 0)." }),
  durationMs: Type.Integer({ minimum: 0, description: "How long the traffic phase took." }),
  clock: CLOCK,
  endpoints: Type.Array(ENDPOINT_REPORT),
  faults: Type.Optional(Type.Array(FAULT_EVENT, { description: "The lab's faults as they happened, in time order (present when the lab declares faults), planned beside actual." })),
  interrupted: Type.Optional(
    Type.Array(INTERRUPTED_NODE, {
      description:
        "Nodes that stopped, paused, were removed or restarted during the traffic phase (by a fault or by hand), as found when it ended. An endpoint on such a node that the lab's faults did not stop and that could not report carries a failure saying so.",
    }),
  ),
};
const trafficReportObject = () => Type.Object(TRAFFIC_REPORT, { additionalProperties: false });
export type TrafficReport = Static<ReturnType<typeof trafficReportObject>>;

/** Counters taken just before a fault took effect: what each phase is judged from (not in the report). */
export interface Snapshot {
  /** When the snapshot was taken (ms since time 0). */
  ms: number;
  /** Every forwarding node's packet counters then (cumulative since the traffic began); a node that could not be read is absent. */
  flows: Record<string, FlowCount[]>;
  /** Forwarding nodes that were running at the fault but could not be read then, with why: a phase that starts or ends there cannot be judged from their counters. */
  unread?: Record<string, string>;
}
