// Faults on time (issue 19): how far from its plan each fault took effect, per kind of fault, on
// an engine doing nothing else and on one running four such labs at once. Every fault kind that
// runs on this kernel: a router stopped and started, restarted, paused and unpaused, a link down
// and up, loss and its clear, a rate limit, a partition and its heal, an exec.
import { runLab, type LabReport } from "../controller/index.js";
import { parseLab } from "../controller/advanced.js";
import { waitedText } from "../controller/report/traffic-text.js";
import type Docker from "dockerode";
import { startKernelFloor, type KernelFloor } from "./kernel-floor.js";

const LAB = `
name: bench-faults
networks:
  clients: { subnet: 198.18.230.0/24 }
  servers: { subnet: 198.18.231.0/24 }
nodes:
  client:
    interfaces: { clients: 198.18.230.10 }
    routes: [{ to: 198.18.231.0/24, via: 198.18.230.2 }]
  r1: { forward: true, interfaces: { clients: 198.18.230.2, servers: 198.18.231.2 } }
  r2: { forward: true, interfaces: { clients: 198.18.230.3, servers: 198.18.231.3 } }
  server:
    interfaces: { servers: 198.18.231.10 }
    routes: [{ to: 198.18.230.0/24, via: 198.18.231.2 }]
traffic:
  feed: { node: server, socket: pub, bind: tcp://198.18.231.10:5556, send: { rate: 200, duration: 21s } }
  reader: { node: client, socket: sub, connect: "tcp://198.18.230.10:0;198.18.231.10:5556" }
faults:
  cut: { at: 500ms, node: r1, network: servers, action: down }
  mend: { at: 1s, node: r1, network: servers, action: up }
  lossy: { at: 1500ms, node: r1, network: clients, loss: 5 }
  calm: { at: 2s, node: r1, network: clients, action: clear }
  slow: { at: 2500ms, node: r1, network: clients, rate: 1mbit }
  fast: { at: 3s, node: r1, network: clients, action: clear }
  split: { at: 3500ms, partition: [[client], [server]] }
  heal: { at: 4s, action: heal }
  poke: { at: 4500ms, node: client, exec: [ip, route, show] }
  freeze: { at: 5s, node: r2, action: pause }
  thaw: { at: 5500ms, node: r2, action: unpause }
  r2-down: { at: 6s, node: r2, action: stop }
  r2-up: { at: 12s, node: r2, action: start }
  r2-again: { at: 19s, node: r2, action: restart }
`;
// The engine actions on r2 are spaced by what they take with four labs at once on 2 cores
// (2026-12-07: a stop 0.4-1.2 s, a start 1.1-2.3 s and its place beside the node 0.4-1 s more,
// configuring it again up to 4 s): a start planned 1 s after the stop began only when the stop
// was over and landed 1.1-4.9 s late, and the report says so (`waitedFor`). Such faults are
// listed apart below, and counted as off target.

/** What each fault does, for grouping: the lab's fault names by kind. */
const KINDS: Record<string, string[]> = {
  "link down/up": ["cut", "mend"],
  "loss, rate, clear": ["lossy", "calm", "slow", "fast"],
  "partition, heal": ["split", "heal"],
  exec: ["poke"],
  "pause, unpause": ["freeze", "thaw"],
  stop: ["r2-down"],
  start: ["r2-up"],
  restart: ["r2-again"],
};

/** The bound the issue sets: a fault lands within this many ms of its plan. */
export const TARGET_LATENESS_MS = 50;

export interface Lateness {
  kind: string;
  /** |actual - planned| per fault that ran, ms. */
  samples: number[];
  min: number;
  p50: number;
  p95: number;
  max: number;
  /** How many of the samples are within the target. */
  within: number;
}

export interface FaultTimingResult {
  runs: { alone: number; fourAtOnce: number };
  alone: Lateness[];
  fourAtOnce: Lateness[];
  /** Faults that failed or did not run, with why (they count as off target). */
  failed: string[];
  /** Faults that began only when an earlier one on their node was over, how late (they count as off target). */
  waited: string[];
  /** A kernel change (rtnetlink) while the four labs ran, ms (kernel-floor.ts). */
  kernelFloor?: KernelFloor | undefined;
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

function lateness(reports: LabReport[], failed: string[], waited: string[]): Lateness[] {
  return Object.entries(KINDS).map(([kind, names]) => {
    const samples: number[] = [];
    for (const r of reports) {
      for (const f of r.faults ?? []) {
        if (!names.includes(f.name)) continue;
        if (!f.ok || f.actualMs === undefined) failed.push(`${f.name}: ${f.error ?? "no time"}`);
        else if (f.waitedFor) waited.push(`${f.name} ${Math.round(f.actualMs - f.atMs)} ms late: ${waitedText(f.waitedFor)}`);
        else samples.push(Math.abs(f.actualMs - f.atMs));
      }
    }
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      kind,
      samples,
      min: round(Math.min(...samples)),
      p50: round(percentile(samples, 50)),
      p95: round(percentile(samples, 95)),
      max: round(Math.max(...samples)),
      within: samples.filter((s) => s <= TARGET_LATENESS_MS).length,
    };
  });
}

export async function benchFaults(rounds: number, log: (line: string) => void, floor?: { docker: Docker; image: string }): Promise<FaultTimingResult> {
  const loaded = parseLab(LAB, "bench/faults.ts");
  const once = async (instance: string) => {
    const report = await runLab(loaded, { instance });
    log(`  ${instance}: ${(report.faults ?? []).map((f) => `${f.name} ${f.actualMs === undefined ? "-" : Math.round(f.actualMs - f.atMs)}`).join(", ")}`);
    return report;
  };
  log("\nfaults on time: one lab alone, then four at once (--instance auto)");
  const alone: LabReport[] = [];
  for (let r = 0; r < rounds; r++) alone.push(await once("auto"));
  const four: LabReport[] = [];
  const probe = floor ? await startKernelFloor(floor.docker, floor.image) : undefined;
  let kernelFloor: KernelFloor | undefined;
  try {
    for (let r = 0; r < rounds; r++) four.push(...(await Promise.all([0, 1, 2, 3].map(() => once("auto")))));
  } finally {
    kernelFloor = await probe?.stop();
  }
  const failed: string[] = [];
  const waited: string[] = [];
  return { runs: { alone: alone.length, fourAtOnce: four.length }, alone: lateness(alone, failed, waited), fourAtOnce: lateness(four, failed, waited), failed, waited, kernelFloor };
}

export function faultTimingText(result: FaultTimingResult): string {
  const rows = (title: string, runs: number, list: Lateness[]) => [
    `  ${title} (${runs} runs): |actual - planned| in ms`,
    `    ${"fault".padEnd(20)} ${"min".padStart(7)} ${"p50".padStart(7)} ${"p95".padStart(7)} ${"max".padStart(7)}   within ${TARGET_LATENESS_MS} ms`,
    ...list.map(
      (l) => `    ${l.kind.padEnd(20)} ${String(l.min).padStart(7)} ${String(l.p50).padStart(7)} ${String(l.p95).padStart(7)} ${String(l.max).padStart(7)}   ${l.within}/${l.samples.length}`,
    ),
  ];
  const all = [...result.alone, ...result.fourAtOnce];
  const within = all.reduce((n, l) => n + l.within, 0);
  const total = all.reduce((n, l) => n + l.samples.length, 0) + result.failed.length + result.waited.length;
  return [
    `\nfaults on time (target: within ${TARGET_LATENESS_MS} ms of plan)`,
    ...rows("alone", result.runs.alone, result.alone),
    ...rows("four labs at once", result.runs.fourAtOnce, result.fourAtOnce),
    ...(result.kernelFloor
      ? [
          `    floor, the same load: a link set down or up (rtnetlink, as link, rate and clear faults change the kernel): ${result.kernelFloor.count} changes, p50 ${result.kernelFloor.p50} ms, p95 ${result.kernelFloor.p95} ms, max ${result.kernelFloor.max} ms`,
        ]
      : []),
    `  ${within}/${total} within ${TARGET_LATENESS_MS} ms${result.failed.length ? `; failed: ${result.failed.join("; ")}` : ""}${result.waited.length ? `; waited for an earlier fault on their node: ${result.waited.join("; ")}` : ""}`,
  ].join("\n");
}
