// The capture in the report: where its files are, what it could not record, and the connections
// zmqlab read back from its packets. Defined once, as schemas (report.schema.json is written from
// them); every time is ms since the run's time 0.
import Type, { type Static } from "typebox";
import { oneOf } from "../expect/kind.js";
import { MS } from "../traffic/types.js";

export const CAPTURE_MODES = ["failed", "always", "off"] as const;
export type CaptureMode = (typeof CAPTURE_MODES)[number];

const END = Type.Object({ address: Type.String(), port: Type.Integer({ minimum: 0, maximum: 65535 }) }, { additionalProperties: false });

const ZMTP_SIDE = Type.Object(
  {
    greetingMs: Type.Optional({ ...MS, description: "When its ZMTP greeting was complete (64 bytes)." }),
    version: Type.Optional(Type.String({ description: "The ZMTP version its greeting announced, e.g. 3.1." })),
    mechanism: Type.Optional(Type.String({ description: "NULL, PLAIN or CURVE." })),
    readyMs: Type.Optional({ ...MS, description: "When its READY command arrived." }),
    socketType: Type.Optional(Type.String({ description: "The socket type its READY announced." })),
    firstMessageMs: Type.Optional({ ...MS, description: "When its first message (not a command) arrived." }),
  },
  { additionalProperties: false, description: "One side's ZeroMQ handshake, as its bytes showed it." },
);

export const CAPTURED_CONNECTION = Type.Object(
  {
    client: { ...END, description: "Who opened it (sent the SYN): its source address and port. Without a SYN in the capture, the side with the higher port." },
    server: { ...END, description: "The end it connected to (after a NAT on the way, as first seen)." },
    networks: Type.Array(Type.String(), { description: "The lab networks it was seen on." }),
    translated: Type.Optional(
      Type.Array(Type.Object({ network: Type.String(), client: END, server: END }, { additionalProperties: false }), {
        description: "Where a NAT on the way rewrote an end (the same SYN, by its sequence number): its ends as seen on each network where they differ from client and server.",
      }),
    ),
    synMs: Type.Optional({ ...MS, description: "When its first SYN was seen; absent when the capture began after it." }),
    synAckMs: Type.Optional(MS),
    zmtp: Type.Boolean({ description: "A ZMTP 3 greeting opened it: a ZeroMQ connection." }),
    clientSide: ZMTP_SIDE,
    serverSide: ZMTP_SIDE,
    retransmissions: Type.Array(Type.Object({ ms: MS, from: oneOf(["client", "server"] as const) }, { additionalProperties: false }), {
      description: "Segments seen again on a network (the first 200).",
    }),
    end: Type.Optional(
      Type.Object({ kind: oneOf(["fin", "rst"] as const), ms: MS, from: oneOf(["client", "server"] as const) }, { additionalProperties: false, description: "Its first FIN or RST." }),
    ),
    lastMs: MS,
    packets: Type.Integer({ minimum: 0 }),
    active: Type.Array(Type.Object({ startMs: MS, endMs: MS }, { additionalProperties: false }), {
      description: "When packets flowed: stretches with no gap over 200 ms (an outage shows as the gap between two).",
    }),
  },
  { additionalProperties: false, description: "One TCP connection as the capture showed it." },
);
export type CapturedConnection = Static<typeof CAPTURED_CONNECTION>;

export const CAPTURE_FILE = Type.Object(
  {
    network: Type.String(),
    path: Type.String({ description: "The pcapng file, as zmqlab wrote it (relative to where it ran, unless --capture-dir was absolute)." }),
    interface: Type.String({ description: "The interface recorded: the network's bridge on the engine's host." }),
    host: Type.Optional(Type.String({ description: "On a cluster: the host whose engine recorded it." })),
    packets: Type.Integer({ minimum: 0, description: "Packets in the file, zmqlab's marks included." }),
    bytes: Type.Integer({ minimum: 0 }),
    firstMs: Type.Optional({ ...MS, description: "The first packet recorded." }),
    lastMs: Type.Optional(MS),
    wrapped: Type.Boolean({ description: "The ring reached captureLimit and dropped its oldest packets: the file starts at firstMs." }),
  },
  { additionalProperties: false },
);

export const CAPTURE_REPORT = Type.Object(
  {
    mode: oneOf(["failed", "always"] as const, { description: "When the files are kept: when the run fails, or always (--capture, settings.capture)." }),
    kept: Type.Boolean({ description: "The files were written (the run failed, or mode always)." }),
    from: Type.Optional(oneOf(["host", "container"] as const, { description: "Where tcpdump ran: on the engine's host beside zmqlab, or in a capture container of network mode host." })),
    limitBytes: Type.Integer({ minimum: 0, description: "The ring's bound per network (settings.captureLimit)." }),
    windowMs: Type.Integer({ minimum: 0, description: "Each fault's window reaches this far on either side (--capture-window)." }),
    unavailable: Type.Optional(Type.String({ description: "Why nothing was recorded (the run went on without)." })),
    problems: Type.Optional(Type.Array(Type.String(), { description: "Recorders that ended early." })),
    files: Type.Array(CAPTURE_FILE, { description: "One pcapng file per network (when kept), with a marked packet at each fault and at each failed expectation's moment." }),
    windows: Type.Array(Type.Object({ fault: Type.String(), fromMs: MS, toMs: MS, path: Type.String(), packets: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }), {
      description: "Per fault (when kept): every network's packets from fromMs to toMs in one pcapng file.",
    }),
    marks: Type.Array(Type.Object({ ms: MS, text: Type.String() }, { additionalProperties: false }), { description: "The marked moments in the files: faults, failed expectations." }),
    connections: Type.Array(CAPTURED_CONNECTION, { description: "Every TCP connection the packets showed, in the order they opened." }),
  },
  { additionalProperties: false, description: "Present when the lab's networks were recorded (--capture failed or always, the default failed): the files and what zmqlab read in them." },
);
export type CaptureReport = Static<typeof CAPTURE_REPORT>;
