// Messages per second and one-way latency, PUB -> SUB, 64-byte messages, measured in one run on
// one lab whose nodes run zmqlab's agent and, beside it, plain programs on the same path (the
// floor, bench/floor/): pyzmq (libzmq) and zeromq.js without the agent. Measured:
// - the agent on one node, through a router, and on one node without time stamps;
// - the floor: pyzmq on one node and through the router (one 64-byte frame, no high-water
//   mark), pyzmq with zmqlab's three frames, zeromq.js (the agent's binding) with one and three;
// - latency: p50 and p99 of a paced stream (the agent's histograms) on one node and through the router.
// Every round runs each measurement once, in reverse order every other round, so load hits all.
import { join } from "node:path";
import { up, type RunningLab } from "../controller/index.js";
import { parseLab, jobsFor, startAgent, type AgentEvent, type AgentJob } from "../controller/advanced.js";
import { PACKAGE_ROOT } from "../controller/engine/images.js";
import { decodeLatency, latencyHistogram } from "../shared/latency.js";

/** PUB -> router -> SUB against PUB -> SUB on one node. */
export const TARGET_THROUGHPUT = 0.7;
/** The agent against the plain pyzmq program on one node (issue 22). */
export const TARGET_FLOOR = 0.5;
/** The agent with time stamps against without. */
export const TARGET_STAMPS = 0.95;
const COUNT = Number.parseInt(process.env.BENCH_MESSAGES ?? "200000", 10);
/** The paced stream whose latency is measured: 2000 messages a second for 3 s. */
const LATENCY_RATE = 2000;
const LATENCY_COUNT = 6000;

const SERVER = "198.19.51.10";
const CLIENT = "198.19.50.10";
const LAB = `
name: bench-msg
networks:
  near: { subnet: 198.19.50.0/24 }
  far:  { subnet: 198.19.51.0/24 }
nodes:
  client: { build: floor, interfaces: { near: ${CLIENT} }, routes: [{ to: 198.19.51.0/24, via: 198.19.50.2 }] }
  router: { forward: true, interfaces: { near: 198.19.50.2, far: 198.19.51.2 } }
  server: { build: floor, interfaces: { far: ${SERVER} }, routes: [{ to: 198.19.50.0/24, via: 198.19.51.2 }] }
traffic:
  routed-pub: { node: server, socket: pub, bind: tcp://${SERVER}:7000, send: { count: ${COUNT}, size: 64 } }
  routed-sub: { node: client, socket: sub, connect: "tcp://${CLIENT}:0;${SERVER}:7000" }
  local-pub:  { node: server, socket: pub, bind: tcp://${SERVER}:7001, send: { count: ${COUNT}, size: 64 } }
  local-sub:  { node: server, socket: sub, connect: "tcp://${SERVER}:0;${SERVER}:7001" }
  lat-routed-pub: { node: server, socket: pub, bind: tcp://${SERVER}:7002, send: { count: ${LATENCY_COUNT}, rate: ${LATENCY_RATE}, size: 64 } }
  lat-routed-sub: { node: client, socket: sub, connect: "tcp://${CLIENT}:0;${SERVER}:7002" }
  lat-local-pub:  { node: server, socket: pub, bind: tcp://${SERVER}:7003, send: { count: ${LATENCY_COUNT}, rate: ${LATENCY_RATE}, size: 64 } }
  lat-local-sub:  { node: server, socket: sub, connect: "tcp://${SERVER}:0;${SERVER}:7003" }
settings: { handshakeTimeout: 5000, trafficTimeout: 120000 }
`;

export interface Sample {
  rate: number;
  received: number;
}

export interface LatencySample {
  count: number;
  p50: number;
  p99: number;
}

/** What is measured, by name; each a sample per round. */
const THROUGHPUT = ["agent-local", "agent-local-unstamped", "agent-routed", "pyzmq-local", "pyzmq-routed", "pyzmq-local-3", "zeromqjs-local", "zeromqjs-local-3"] as const;
type Measure = (typeof THROUGHPUT)[number];
const LATENCY = ["latency-local", "latency-routed"] as const;
type LatencyMeasure = (typeof LATENCY)[number];

export interface ThroughputResult {
  messages: number;
  samples: Partial<Record<Measure, Sample[]>>;
  /** Median msg/s received per measurement. */
  median: Partial<Record<Measure, number>>;
  /** Routed against local (agent). */
  ratio: number;
  met: boolean;
  /** The agent against the plain pyzmq program, one node, one 64-byte frame. */
  floorRatio: number;
  floorMet: boolean;
  /** The agent with time stamps against without. */
  stampRatio: number;
  stampMet: boolean;
}

export interface LatencyResult {
  rate: number;
  messages: number;
  samples: Record<LatencyMeasure, LatencySample[]>;
  /** Medians of the rounds' p50 and p99, ms. */
  local: { p50: number; p99: number };
  routed: { p50: number; p99: number };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const ratioOf = (a: number, b: number) => (b ? Math.round((a / b) * 100) / 100 : 0);

/** Only the named endpoints' jobs; `stamp: false` turns their time stamps off. */
function only(jobs: AgentJob[], names: string[], stamp: boolean): AgentJob[] {
  return jobs.map((j) => ({ ...j, endpoints: j.endpoints.filter((e) => names.includes(e.name)).map((e) => (stamp ? e : { ...e, stamp: false })) })).filter((j) => j.endpoints.length);
}

/** Start only the named endpoints, wait for the publisher to finish, stop; the subscriber's events and result. */
async function pair(lab: RunningLab, jobs: AgentJob[], pub: string, sub: string, stamp = true): Promise<{ result: Sample; events: AgentEvent[] }> {
  const agents = await Promise.all(only(jobs, [pub, sub], stamp).map((job) => startAgent(lab, job)));
  const publisher = agents.find((a) => a.job.endpoints.some((e) => e.name === pub))!;
  await new Promise<void>((resolve) => {
    const bound = setTimeout(resolve, 120000);
    const done = () => {
      clearTimeout(bound);
      resolve();
    };
    publisher.onEvent((e) => e.type === "sent" && done());
    publisher.finished.then(done);
  });
  await new Promise((r) => setTimeout(r, 500));
  for (const a of agents) a.stop();
  await Promise.all(agents.map((a) => a.finished));
  const events = agents.flatMap((a) => a.events).filter((e) => "endpoint" in e && e.endpoint === sub);
  const final = events.find((e): e is Extract<AgentEvent, { type: "final" }> => e.type === "final");
  return { result: { rate: Math.round(final?.result.rate ?? 0), received: final?.result.received ?? 0 }, events };
}

/** p50 and p99 (ms) of every message the subscriber measured, from its ticks' histograms. */
function latencyOfTicks(events: AgentEvent[]): LatencySample {
  const all = latencyHistogram();
  for (const e of events) if (e.type === "tick") for (const text of Object.values(e.latency ?? {})) all.add(decodeLatency(text));
  const ms = (us: number) => Math.round(Math.min(us, all.maxValue)) / 1000;
  return { count: all.totalCount, p50: ms(all.getValueAtPercentile(50)), p99: ms(all.getValueAtPercentile(99)) };
}

let port = 7100;

/** The floor: a plain program's SUB (on the server itself, or on the client) and PUB on the server. */
async function floor(lab: RunningLab, program: "pyzmq" | "zeromqjs", path: "local" | "routed", frames: 1 | 3): Promise<Sample> {
  const p = port++;
  const run = program === "pyzmq" ? ["python3", "/floor/floor.py"] : ["node", "/opt/zmqlab/floor/floor.mjs"];
  const source = path === "local" ? SERVER : CLIENT;
  const subscriber = lab.node(path === "local" ? "server" : "client").exec([...run, "sub", `tcp://${source}:0;${SERVER}:${p}`, String(COUNT), String(frames)]);
  const publisher = lab.node("server").exec([...run, "pub", `tcp://${SERVER}:${p}`, String(COUNT), String(frames)]);
  const [sub, pub] = await Promise.all([subscriber, publisher]);
  if (sub.exitCode !== 0 || pub.exitCode !== 0) throw new Error(`the floor's ${program} ${path} failed: ${sub.stderr}${pub.stderr}`.trim());
  const out = JSON.parse(sub.stdout.trim().split("\n").at(-1)!) as Sample;
  return { rate: out.rate, received: out.received };
}

export async function benchThroughput(
  rounds: number,
  log: (line: string) => void,
  parts: { throughput: boolean; latency: boolean },
): Promise<{ throughput?: ThroughputResult; latency?: LatencyResult }> {
  const lab = await up(parseLab(LAB, join(PACKAGE_ROOT, "bench", "throughput.ts")));
  try {
    const jobs = await jobsFor(lab);
    const samples: Partial<Record<Measure, Sample[]>> = {};
    const latency: Record<LatencyMeasure, LatencySample[]> = { "latency-local": [], "latency-routed": [] };
    const measures: (Measure | LatencyMeasure)[] = [...(parts.throughput ? THROUGHPUT : []), ...(parts.latency ? LATENCY : [])];
    const once = async (m: Measure | LatencyMeasure): Promise<Sample | LatencySample> => {
      switch (m) {
        case "agent-local":
          return (await pair(lab, jobs, "local-pub", "local-sub")).result;
        case "agent-local-unstamped":
          return (await pair(lab, jobs, "local-pub", "local-sub", false)).result;
        case "agent-routed":
          return (await pair(lab, jobs, "routed-pub", "routed-sub")).result;
        case "pyzmq-local":
          return floor(lab, "pyzmq", "local", 1);
        case "pyzmq-routed":
          return floor(lab, "pyzmq", "routed", 1);
        case "pyzmq-local-3":
          return floor(lab, "pyzmq", "local", 3);
        case "zeromqjs-local":
          return floor(lab, "zeromqjs", "local", 1);
        case "zeromqjs-local-3":
          return floor(lab, "zeromqjs", "local", 3);
        case "latency-local":
          return latencyOfTicks((await pair(lab, jobs, "lat-local-pub", "lat-local-sub")).events);
        case "latency-routed":
          return latencyOfTicks((await pair(lab, jobs, "lat-routed-pub", "lat-routed-sub")).events);
      }
    };
    for (let i = 0; i < rounds; i++) {
      for (const m of i % 2 === 0 ? measures : [...measures].reverse()) {
        const s = await once(m);
        if ("rate" in s) {
          (samples[m as Measure] ??= []).push(s);
          log(`  round ${i + 1} ${m}: ${s.rate} msg/s, ${s.received} of ${COUNT} received`);
        } else {
          latency[m as LatencyMeasure].push(s);
          log(`  round ${i + 1} ${m}: p50 ${s.p50} ms, p99 ${s.p99} ms (${s.count} of ${LATENCY_COUNT} measured)`);
        }
      }
    }
    const result: { throughput?: ThroughputResult; latency?: LatencyResult } = {};
    if (parts.throughput) {
      const med = Object.fromEntries(Object.entries(samples).map(([m, xs]) => [m, median(xs.map((x) => x.rate))])) as Partial<Record<Measure, number>>;
      const ratio = ratioOf(med["agent-routed"]!, med["agent-local"]!);
      const floorRatio = ratioOf(med["agent-local"]!, med["pyzmq-local"]!);
      const stampRatio = ratioOf(med["agent-local"]!, med["agent-local-unstamped"]!);
      result.throughput = {
        messages: COUNT,
        samples,
        median: med,
        ratio,
        met: ratio >= TARGET_THROUGHPUT,
        floorRatio,
        floorMet: floorRatio >= TARGET_FLOOR,
        stampRatio,
        stampMet: stampRatio >= TARGET_STAMPS,
      };
    }
    if (parts.latency) {
      const of = (m: LatencyMeasure) => ({ p50: median(latency[m].map((s) => s.p50)), p99: median(latency[m].map((s) => s.p99)) });
      result.latency = { rate: LATENCY_RATE, messages: LATENCY_COUNT, samples: latency, local: of("latency-local"), routed: of("latency-routed") };
    }
    return result;
  } finally {
    await lab.down();
  }
}

const LABELS: Record<Measure, string> = {
  "agent-local": "agent, PUB -> SUB on one node",
  "agent-local-unstamped": "agent, one node, without time stamps",
  "agent-routed": "agent, PUB -> router -> SUB",
  "pyzmq-local": "floor: pyzmq, one node, one 64 B frame",
  "pyzmq-routed": "floor: pyzmq, through the router",
  "pyzmq-local-3": "pyzmq, one node, zmqlab's 3 frames",
  "zeromqjs-local": "zeromq.js, one node, one 64 B frame",
  "zeromqjs-local-3": "zeromq.js, one node, zmqlab's 3 frames",
};

export function throughputText(t: ThroughputResult, rounds: number): string {
  const row = (m: Measure) => `  ${LABELS[m].padEnd(40)} ${String(t.median[m] ?? "-").padStart(9)} msg/s`;
  const met = (ok: boolean) => (ok ? "met" : "NOT met");
  return [
    `\nbench-msg: ${t.messages} messages of 64 bytes, median of ${rounds} rounds (received per second by the SUB; the agent's PUB drops at its high-water mark, the floor's has none)`,
    ...THROUGHPUT.map(row),
    `  agent / floor (pyzmq, one node)          ${t.floorRatio.toFixed(2)}x   target >=${TARGET_FLOOR}x   ${met(t.floorMet)}`,
    `  with / without time stamps               ${t.stampRatio.toFixed(2)}x   target >=${TARGET_STAMPS}x   ${met(t.stampMet)}`,
    `  routed / one node (agent)                ${t.ratio.toFixed(2)}x   target >=${TARGET_THROUGHPUT}x   ${met(t.met)}`,
  ].join("\n");
}

export function latencyText(l: LatencyResult, rounds: number): string {
  return [
    `\none-way latency, PUB -> SUB, ${l.messages} messages of 64 bytes at ${l.rate}/s, median of ${rounds} rounds (the agent's histograms)`,
    `  one node             p50 ${l.local.p50} ms   p99 ${l.local.p99} ms`,
    `  through one router   p50 ${l.routed.p50} ms   p99 ${l.routed.p99} ms`,
  ].join("\n");
}
