// Shared by the unit tests of many runs (runs/): a lab a user could have written, and the reports
// of its runs made by hand, as runLab would have judged them: a verdict per expectation, zmqlab's
// own checks, the routers' counters of the phase from the fault sweep on, and a receiver's
// timeline with the silences a failure leaves.
import { parseLab } from "../../controller/lab/load.js";
import type { Relocation } from "../../controller/lab/relocate.js";
import type { FlowCount } from "../../controller/observe/flows.js";
import type { LabReport } from "../../controller/run/index.js";
import type { RunOutcome } from "../../controller/runs/pool.js";
import type { Silence } from "../../controller/traffic/types.js";
import { endpoint } from "../unit/expect-cases.js";

/** Two routers between a client and a server; three expectations, the first with its own quorum. */
export const RUNS_LAB = `name: sw
networks:
  clients: { subnet: 198.18.50.0/24 }
  servers: { subnet: 198.18.51.0/24 }
nodes:
  client: { interfaces: { clients: 198.18.50.10 }, routes: [{ to: 198.18.51.0/24, via: 198.18.50.2 }] }
  r1: { forward: true, interfaces: { clients: 198.18.50.2, servers: 198.18.51.2 } }
  r2: { forward: true, interfaces: { clients: 198.18.50.3, servers: 198.18.51.3 } }
  server: { interfaces: { servers: 198.18.51.10 }, routes: [{ to: 198.18.50.0/24, via: 198.18.51.2 }] }
traffic:
  quotes: { node: server, socket: pub, bind: tcp://198.18.51.10:5556, send: { rate: 300, duration: 12s } }
  ticker: { node: client, socket: sub, connect: "tcp://198.18.50.10:0;198.18.51.10:5556" }
expect:
  - delivered: { endpoint: ticker, atLeast: 2400, allowGaps: true, quorum: 0.5 }
  - path: { from: 198.18.50.10, to: 198.18.51.10, via: r1, before: sweep }
  - recovered: { endpoint: ticker, after: sweep, within: 5s }
`;

export const runsLab = () => parseLab(RUNS_LAB, "lab.yaml");

const SWEEP_AT = 4000;

export interface RunShape {
  /** Each of the lab's expectations held or not. */
  ok: boolean[];
  /** zmqlab's own checks that failed (an endpoint that did not start, a fault that did not run). */
  checks?: string[];
  /** The evidence behind each verdict. */
  evidence?: Record<string, unknown>[];
  /** The routers' counters from the fault sweep on (default: r1 carried both directions). */
  after?: Record<string, FlowCount[]>;
  /** The receiver's silences (default: none). */
  silences?: Silence[];
  received?: number;
  instance?: { name: string; relocations: Relocation[] };
}

export const flow = (from: string, to: string, packets: number): FlowCount => ({ from, to, packets, bytes: packets * 60 });

/** The baseline's paths: both directions through r1 (at the lab file's addresses, or moved by `by`). */
export function throughR1(packets = 900, at = (a: string) => a): Record<string, FlowCount[]> {
  return { r1: [flow(at("198.18.50.10"), at("198.18.51.10"), packets), flow(at("198.18.51.10"), at("198.18.50.10"), packets)], r2: [] };
}

/** A run's report, as runLab judges one. */
export function runReport(shape: RunShape): LabReport {
  const kinds = ["delivered", "path", "recovered"];
  const own = shape.ok.map((ok, i) => ({
    kind: kinds[i] ?? "delivered",
    description: `expectation ${i + 1}`,
    ok,
    expected: "what the lab says",
    observed: ok ? `held ${i + 1}` : `failed ${i + 1}`,
    message: ok ? `fine ${i + 1}` : `broken ${i + 1}`,
    spec: {},
    evidence: shape.evidence?.[i] ?? {},
  }));
  const checks = (shape.checks ?? []).map((message) => ({
    kind: "fault",
    description: message,
    ok: false,
    expected: "it ran",
    observed: "it did not",
    message,
    spec: { fault: "sweep" },
    evidence: {},
  }));
  const expectations = [...own, ...checks];
  const received = shape.received ?? 3600;
  const silences = shape.silences ?? [];
  const after = shape.after ?? throughR1();
  return {
    lab: "sw",
    started: "2026-12-06T10:00:00.000Z",
    durationMs: 12500,
    clock: { t0: "2026-12-06T10:00:00.500Z", epochMs: 1796551200500 },
    endpoints: [
      endpoint("quotes", "server", {
        socket: "pub",
        sent: 3600,
        timeline: { tickMs: 100, silenceMs: 100, samples: [], counts: { start: 0, values: [] }, silences: [], handshakes: [], disconnects: [], peers: [], sendingStarted: 0, sendingEnded: 12000 },
      }),
      endpoint("ticker", "client", {
        received,
        from: { quotes: received },
        timeline: {
          tickMs: 100,
          silenceMs: 100,
          samples: [{ ms: 12000, received, gaps: 3600 - received, duplicates: 0, from: { quotes: received }, highest: { quotes: 3599 } }],
          counts: { start: 0, values: [] },
          silences,
          handshakes: [],
          disconnects: [],
          peers: [],
          firstMessage: 3,
          lastMessage: 11998,
        },
      }),
    ],
    faults: [{ name: "sweep", atMs: SWEEP_AT, actualMs: SWEEP_AT + 5, ok: true }],
    ok: expectations.every((e) => e.ok),
    expectations,
    flows: Object.fromEntries(Object.entries(after).map(([node, list]) => [node, list.map((f) => ({ ...f, packets: f.packets * 2 }))])),
    phases: [
      { from: "start", to: "sweep", end: SWEEP_AT + 5, received: { ticker: 1200 }, flows: throughR1(1200) },
      { from: "sweep", to: "end", start: SWEEP_AT + 5, received: { ticker: received - 1200 }, flows: after },
    ],
    ...(shape.instance ? { instance: { name: shape.instance.name, lab: "sw", relocations: shape.instance.relocations } } : {}),
  };
}

/** A finished run of the pool. */
export function ran(index: number, report: LabReport | undefined, fields: Partial<RunOutcome> = {}): RunOutcome {
  return { job: { name: `run-${index + 1}`, loaded: runsLab() }, index, durationMs: 30000 + index, ...(report ? { report } : { error: "the engine refused" }), ...fields };
}
