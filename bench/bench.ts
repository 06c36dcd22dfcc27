// zmqlab's up/down against the floor: the same networks and containers made straight through
// dockerode, with no configuration. `npm run bench`; BENCH_ROUNDS (default 3) rounds per lab.
// Prints a table and writes bench/results.json. Reports targets; never fails on a missed one.
import { benchThroughput, latencyText, throughputText, type LatencyResult, type ThroughputResult } from "./throughput.js";
import { benchFaults, faultTimingText, type FaultTimingResult } from "./faults.js";
import { benchCapture, captureCostText, VARIANTS, type CaptureCost } from "./capture.js";
import { benchRepeat, benchSweep, manyRunsText, type ManyRunsResult } from "./runs.js";
import { benchShipped, printShipped, type ShippedResult } from "./shipped.js";
import Docker from "dockerode";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { promisify } from "node:util";
import { join } from "node:path";
import { runLab, up, type LabPlan, type LoadedLab, type RunningLab } from "../controller/index.js";
import { connectRuntime, planLab } from "../controller/advanced.js";
import { ensureNodeImage, PACKAGE_ROOT } from "../controller/engine/images.js";
import { execIn } from "../controller/engine/exec.js";
import { loadCluster } from "../controller/lab/cluster.js";
import { bench100, bench20, benchSourceIp, type LabVariants } from "./labs.js";
import { rawDown, rawLab, rawUp, removeBenchResources, type RawLab, type StuckNetwork } from "./raw.js";
import { pickVariant } from "./select.js";

const TARGET_UP = 1.25;
const TARGET_DOWN = 1.2;
/** The flagship's whole `run` (up, traffic, expectations, down) against the floor's up + down. */
const TARGET_CYCLE = 2.5;
/** Four `zmqlab run` at once against one (issue 10). */
const TARGET_CONCURRENT = 2;
/** The controller's peak resident memory, through the 100-node lab. */
const TARGET_MEMORY_MIB = 150;
/** `nodes`: created, started and configured, each node as soon as it runs. */
const PHASES = ["image", "networks", "nodes", "verify"] as const;
const RESULTS = join(PACKAGE_ROOT, "bench", "results.json");
/** Tries per round: a shared engine (other people's labs, `zmqlab clean`) can break one. */
const ATTEMPTS = 3;

const log = (line: string) => process.stderr.write(`${line}\n`);
const run = promisify(execFile);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round1 = (x: number) => Math.round(x * 10) / 10;
/** a / b to two decimals. */
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { ms: performance.now() - started, result };
}

interface ZmqlabSample {
  up: number;
  down: number;
  phases: Record<string, number>;
}
interface RawSample {
  up: number;
  down: number;
}

/** Said once at the top of the output and kept in results.json. */
const notes: string[] = [];
const note = (line: string) => {
  if (notes.includes(line)) return;
  log(`note: ${line}`);
  notes.push(line);
};
const warnStuck = (stuck: StuckNetwork[]) => {
  for (const n of stuck)
    note(
      `Docker will not remove network ${n.name} (${n.subnets.join(", ")}): "has active endpoints" with no container left, a leaked endpoint (moby/moby#42119, #43286); only a dockerd restart clears it`,
    );
};

/** The node image tag the rounds expect (ensured before timing; follows rebuilds by others). */
let currentImage = "";

class ImageChanged extends Error {
  constructor(readonly image: string) {
    super(`the node image changed to ${image} during the round (rebuilt inside up); redoing the round`);
  }
}

async function zmqlabRound(loaded: LoadedLab): Promise<ZmqlabSample> {
  const u = await timed(() => up(loaded));
  const running: RunningLab = u.result;
  const d = await timed(() => running.down());
  // Others recompiling dist/agent or dist/shared change the image tag: up() then built a new image
  // inside its timed "image" phase. Such a round measures a build, not up: redo it.
  const used = running.plan.nodes.find((n) => n.defaultImage)?.image;
  if (used !== undefined && used !== currentImage) throw new ImageChanged(used);
  return { up: u.ms, down: d.ms, phases: { ...running.timings } };
}

async function rawRound(docker: Docker, raw: RawLab): Promise<RawSample> {
  const u = await timed(() => rawUp(docker, raw));
  const d = await timed(() => rawDown(docker, raw));
  return { up: u.ms, down: d.ms };
}

interface LabResult {
  lab: string;
  nodes: number;
  networks: number;
  connects: number;
  execs: ReturnType<typeof execCounts>;
  execLatencyMs?: { serialMedian: number; parallelAllContainers: number; containers: number };
  zmqlab: ZmqlabSample[];
  floor: RawSample[];
  median: {
    zmqlabUp: number;
    floorUp: number;
    upRatio: number;
    zmqlabDown: number;
    floorDown: number;
    downRatio: number;
    phases: Record<string, number>;
  };
  targets: { up: number; down: number; upMet: boolean; downMet: boolean };
  /** Rounds (and warm-ups) redone after a failure. */
  redone: { what: string; message: string }[];
}

/**
 * How many execs zmqlab's configure phase runs (it also reads the kernel state back): none for a
 * node in zmqlab's image (configured as its container starts); per command, plus the kernel
 * reads, in other images.
 */
function execCounts(plan: LabPlan) {
  const ipv6 = (n: LabPlan["nodes"][number]) => n.interfaces.some((i) => plan.networks.find((net) => net.name === i.network)?.ipv6);
  const perNode = plan.nodes.map((n) => (n.defaultImage ? 0 : 1 + n.interfaces.length + n.commands.length + (ipv6(n) ? 5 : 3)));
  return {
    configure: perNode.reduce((a, b) => a + b, 0),
    configureLongestChain: Math.max(...perNode),
    inspects: plan.nodes.filter((n) => !n.defaultImage).length,
  };
}

/** Latency of one `true` exec: alone (serial, median of 10), and one per container all at once. */
async function execLatency(docker: Docker, raw: RawLab) {
  const first = raw.containers[0]!.name;
  const serial: number[] = [];
  for (let i = 0; i < 10; i++) serial.push((await timed(() => execIn(docker, first, ["true"]))).ms);
  const fanOut = (await timed(() => Promise.all(raw.containers.map((c) => execIn(docker, c.name, ["true"]))))).ms;
  return { serialMedian: round1(median(serial)), parallelAllContainers: round1(fanOut), containers: raw.containers.length };
}

async function benchLab(docker: Docker, variants: LabVariants, rounds: number): Promise<LabResult> {
  let loaded = await pickVariant(docker, variants, note);
  const redone: LabResult["redone"] = [];
  // The floor runs the image zmqlab runs (re-planned if someone's rebuild changed its tag).
  const raw = () => rawLab(planLab(loaded.lab, { image: currentImage }));

  /** Run one round; after a failure clean up, move to another variant if this one is now blocked, and redo it. */
  const attempt = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    let rebuilds = 0;
    for (let i = 1; ; i++) {
      try {
        return await work();
      } catch (err) {
        if (err instanceof ImageChanged && ++rebuilds <= 3) {
          log(`  ${what}: ${err.message}`);
          currentImage = err.image;
          i--;
          continue;
        }
        const message = ((err as Error).message ?? String(err)).trim();
        log(`  ${what} failed (attempt ${i}/${ATTEMPTS}): ${message}`);
        redone.push({ what, message });
        warnStuck((await removeBenchResources(docker)).stuck);
        if (i >= ATTEMPTS) throw err;
        loaded = await pickVariant(docker, variants, note);
      }
    }
  };

  const plan = planLab(loaded.lab, { image: currentImage });
  log(`\n${loaded.lab.name}: ${plan.nodes.length} nodes, ${plan.networks.length} networks`);

  // Warm-up, untimed: the engine's caches, both ways (the image is already built).
  log("  warm-up");
  await attempt("warm-up zmqlab", () => zmqlabRound(loaded));
  const latency = await attempt("warm-up floor", async () => {
    const lab = raw();
    await rawUp(docker, lab);
    try {
      return await execLatency(docker, lab);
    } finally {
      await rawDown(docker, lab);
    }
  });

  const zmqlab: ZmqlabSample[] = [];
  const floor: RawSample[] = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate which side goes first, so neither always follows the other's teardown.
    const order = r % 2 === 0 ? (["zmqlab", "floor"] as const) : (["floor", "zmqlab"] as const);
    for (const side of order) {
      if (side === "zmqlab") {
        const s = await attempt(`round ${r + 1} zmqlab`, () => zmqlabRound(loaded));
        zmqlab.push(s);
        log(`  round ${r + 1} zmqlab: up ${s.up.toFixed(0)} ms, down ${s.down.toFixed(0)} ms  (${PHASES.map((p) => `${p} ${(s.phases[p] ?? 0).toFixed(0)}`).join(", ")})`);
      } else {
        const s = await attempt(`round ${r + 1} floor`, () => rawRound(docker, raw()));
        floor.push(s);
        log(`  round ${r + 1} floor:  up ${s.up.toFixed(0)} ms, down ${s.down.toFixed(0)} ms`);
      }
    }
  }

  const phases: Record<string, number> = {};
  for (const p of PHASES) phases[p] = round1(median(zmqlab.map((s) => s.phases[p] ?? 0)));
  phases.other = round1(median(zmqlab.map((s) => s.up - PHASES.reduce((sum, p) => sum + (s.phases[p] ?? 0), 0))));
  const m = {
    zmqlabUp: round1(median(zmqlab.map((s) => s.up))),
    floorUp: round1(median(floor.map((s) => s.up))),
    zmqlabDown: round1(median(zmqlab.map((s) => s.down))),
    floorDown: round1(median(floor.map((s) => s.down))),
  };
  const upRatio = ratio(m.zmqlabUp, m.floorUp);
  const downRatio = ratio(m.zmqlabDown, m.floorDown);
  return {
    lab: loaded.lab.name,
    nodes: plan.nodes.length,
    networks: plan.networks.length,
    connects: plan.nodes.reduce((n, node) => n + node.interfaces.length - 1, 0),
    execs: execCounts(plan),
    execLatencyMs: latency,
    zmqlab: zmqlab.map((s) => ({ up: round1(s.up), down: round1(s.down), phases: Object.fromEntries(Object.entries(s.phases).map(([k, v]) => [k, round1(v)])) })),
    floor: floor.map((s) => ({ up: round1(s.up), down: round1(s.down) })),
    median: { ...m, upRatio, downRatio, phases },
    targets: { up: TARGET_UP, down: TARGET_DOWN, upMet: upRatio <= TARGET_UP, downMet: downRatio <= TARGET_DOWN },
    redone,
  };
}

interface CycleResult {
  rounds: number[];
  medianMs: number;
  floorMs: number;
  ratio: number;
}

/** The flagship's whole `zmqlab run` against the floor's up + down of the same lab (medians of its rounds). */
async function benchCycle(flagship: LabResult, rounds: number): Promise<CycleResult> {
  log(`\n${flagship.lab}: full run cycle`);
  const loaded = benchSourceIp(0);
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const { ms, result } = await timed(() => runLab(loaded));
    if (!result.ok)
      throw new Error(
        `the bench's ${flagship.lab} run failed its expectations: ${result.expectations
          .filter((e) => !e.ok)
          .map((e) => e.description)
          .join("; ")}`,
      );
    times.push(ms);
    log(`  round ${r + 1}: run ${ms.toFixed(0)} ms`);
  }
  const medianMs = round1(median(times));
  const floorMs = round1(flagship.median.floorUp + flagship.median.floorDown);
  return { rounds: times.map(round1), medianMs, floorMs, ratio: ratio(medianMs, floorMs) };
}

interface ConcurrencyResult {
  /** `zmqlab run labs/source-ip --instance auto`: one process alone, then four at once (median ms). */
  zmqlab: { oneMs: number; fourMs: number; ratio: number };
  /** The floor's up + down of the flagship: one alone, then four copies at once (median ms). */
  floor: { oneMs: number; fourMs: number; ratio: number };
  cpus: number;
}

/** A `zmqlab` command as a user types it; resolves with its time, rejects when it does not exit 0. */
async function cli(args: string[]): Promise<number> {
  const { ms } = await timed(() => run(process.execPath, [join(PACKAGE_ROOT, "dist", "controller", "cli.js"), ...args], { maxBuffer: 1 << 24 }));
  return ms;
}

/**
 * Issue 10's parallel CI: four `zmqlab run` processes of the flagship at once (each its own
 * instance) against one alone, beside the same ratio for the floor (four copies of its networks
 * and containers made and removed at once, against one). On a machine with few cores the engine
 * alone sets how far four can overlap.
 */
async function benchConcurrency(docker: Docker, rounds: number): Promise<ConcurrencyResult> {
  log("\nfour at once: zmqlab run labs/source-ip --instance auto, one process, then four; the floor likewise");
  const args = ["run", join(PACKAGE_ROOT, "labs", "source-ip"), "--instance", "auto"];
  const raws = [1, 2, 3, 4].map((k) => rawLab(planLab(benchSourceIp(k).lab, { image: currentImage })));
  const cycle = async (raw: RawLab) => {
    await rawUp(docker, raw);
    await rawDown(docker, raw);
  };
  const z = { one: [] as number[], four: [] as number[] };
  const f = { one: [] as number[], four: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    z.one.push(await cli(args));
    z.four.push((await timed(() => Promise.all([0, 1, 2, 3].map(() => cli(args))))).ms);
    f.one.push((await timed(() => cycle(raws[0]!))).ms);
    f.four.push((await timed(() => Promise.all(raws.map(cycle)))).ms);
    log(`  round ${r + 1}: zmqlab one ${z.one[r]!.toFixed(0)} ms, four ${z.four[r]!.toFixed(0)} ms; floor one ${f.one[r]!.toFixed(0)} ms, four ${f.four[r]!.toFixed(0)} ms`);
  }
  const summary = (x: { one: number[]; four: number[] }) => {
    const oneMs = round1(median(x.one));
    const fourMs = round1(median(x.four));
    return { oneMs, fourMs, ratio: ratio(fourMs, oneMs) };
  };
  return { zmqlab: summary(z), floor: summary(f), cpus: availableParallelism() };
}

interface ClusterResult {
  file: string;
  hosts: number;
  upMs: number;
  downMs: number;
  oneEngineUpMs: number;
}

/**
 * A cluster file to measure on: BENCH_CLUSTER's, else three engines from scripts/cluster.sh
 * (started for the bench and removed afterwards, unless a cluster was up already).
 */
async function withCluster<T>(given: string | undefined, work: (file: string) => Promise<T>): Promise<T> {
  if (given) return work(given);
  const script = join(PACKAGE_ROOT, "scripts", "cluster.sh");
  const wasUp = !/no cluster is up/.test((await run("bash", [script, "status"])).stdout);
  log("\nstarting 3 engines in containers, one Swarm (scripts/cluster.sh up 3; set BENCH_CLUSTER to use another cluster, or none)");
  const file = (await run("bash", [script, "up", "3"], { maxBuffer: 1 << 24 })).stdout.trim().split("\n").at(-1)!;
  try {
    return await work(file);
  } finally {
    if (!wasUp) await run("bash", [script, "down"]);
  }
}

/** The flagship brought up across a cluster's engines, beside its up time on one engine. */
async function benchCluster(file: string, flagship: LabResult, rounds: number): Promise<ClusterResult> {
  log(`\n${flagship.lab}: across the cluster of ${file}`);
  const runtime = await connectRuntime({ cluster: file });
  const loaded = benchSourceIp(0);
  const ups: number[] = [];
  const downs: number[] = [];
  // The first round also copies the node image to every engine: untimed.
  await (await up(loaded, { runtime })).down();
  for (let r = 0; r < rounds; r++) {
    const u = await timed(() => up(loaded, { runtime }));
    const d = await timed(() => u.result.down());
    ups.push(u.ms);
    downs.push(d.ms);
    log(`  round ${r + 1}: up ${u.ms.toFixed(0)} ms, down ${d.ms.toFixed(0)} ms`);
  }
  return { file, hosts: loadCluster(file).hosts.length, upMs: round1(median(ups)), downMs: round1(median(downs)), oneEngineUpMs: flagship.median.zmqlabUp };
}

function table(results: LabResult[], rounds: number): string {
  const out: string[] = [];
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  const widths = [6, 11, 11, 7, 7, 5];
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  for (const r of results) {
    const m = r.median;
    out.push("");
    out.push(`${r.lab}: ${r.nodes} nodes, ${r.networks} networks, ${r.connects} extra connects; median of ${rounds} rounds`);
    out.push(row(["", "zmqlab", "floor", "ratio", "target", "met"]));
    out.push(row(["up", ms(m.zmqlabUp), ms(m.floorUp), `${m.upRatio.toFixed(2)}x`, `<=${TARGET_UP}x`, r.targets.upMet ? "yes" : "NO"]));
    out.push(row(["down", ms(m.zmqlabDown), ms(m.floorDown), `${m.downRatio.toFixed(2)}x`, `<=${TARGET_DOWN}x`, r.targets.downMet ? "yes" : "NO"]));
    out.push(`  zmqlab up by phase (median ms, share of median up):`);
    for (const [p, v] of Object.entries(m.phases)) out.push(`    ${p.padEnd(10)} ${v.toFixed(0).padStart(7)} ms  ${((v / m.zmqlabUp) * 100).toFixed(0).padStart(3)}%`);
    out.push(`  execs: configure and read-back ${r.execs.configure} (+${r.execs.inspects} inspects; longest serial chain in one node: ${r.execs.configureLongestChain})`);
    if (r.execLatencyMs)
      out.push(`  one exec (\`true\`): ${r.execLatencyMs.serialMedian} ms alone; one in each of the ${r.execLatencyMs.containers} containers at once: ${r.execLatencyMs.parallelAllContainers} ms`);
    for (const f of r.redone) out.push(`  redone: ${f.what}: ${f.message.split("\n")[0]}`);
    out.push(
      `  rounds (up/down ms): zmqlab ${r.zmqlab.map((s) => `${s.up.toFixed(0)}/${s.down.toFixed(0)}`).join(", ")}; floor ${r.floor.map((s) => `${s.up.toFixed(0)}/${s.down.toFixed(0)}`).join(", ")}`,
    );
  }
  return out.join("\n");
}

async function main(): Promise<void> {
  const rounds = Number.parseInt(process.env.BENCH_ROUNDS ?? "3", 10);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`BENCH_ROUNDS must be a whole number >= 1, not ${process.env.BENCH_ROUNDS}`);
  const docker = new Docker();
  const version = await docker.version();

  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    log("interrupted: removing the bench's containers and networks");
    removeBenchResources(docker).finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  // BENCH_ONLY=up,cluster,throughput,latency,faults,shipped,capture,repeat,sweep picks parts
  // (default: all). `up` is the labs' up and down against the floor, with the flagship's run
  // cycle and four at once; `throughput` the agent's messages per second against plain programs;
  // `latency` its one-way latency; `shipped` runs every shipped lab BENCH_SHIPPED_RUNS times
  // (default 20), four at once; `capture` the flagship's and the 100-node lab's whole run with
  // the capture off and on; `repeat` and `sweep` are many runs with --jobs 4 against one after
  // another, beside the floor (BENCH_RUNS_ROUNDS rounds, default 1: a sweep round is some 10 minutes).
  const only = new Set(
    (process.env.BENCH_ONLY ?? "")
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean),
  );
  const want = (part: string) => only.size === 0 || only.has(part);
  const results: LabResult[] = [];
  let faults: FaultTimingResult | undefined;
  let shipped: ShippedResult | undefined;
  let throughput: ThroughputResult | undefined;
  let latency: LatencyResult | undefined;
  let cycle: CycleResult | undefined;
  let concurrency: ConcurrencyResult | undefined;
  let cluster: ClusterResult | undefined;
  const capture: CaptureCost[] = [];
  const many: ManyRunsResult[] = [];
  let peakAt100 = 0;
  try {
    const stale = await removeBenchResources(docker);
    if (stale.containers || stale.networks) log(`removed ${stale.containers} containers and ${stale.networks} networks left by an earlier run`);
    warnStuck(stale.stuck);
    // Build the node image (if needed) before anything is timed.
    const image = await timed(() => ensureNodeImage(docker, log));
    currentImage = image.result;
    log(`node image ${image.result} (${image.ms.toFixed(0)} ms to ensure)`);
    for (const variants of want("up") ? [benchSourceIp, bench20, bench100] : []) {
      results.push(await benchLab(docker, variants, rounds));
      if (variants === benchSourceIp) {
        cycle = await benchCycle(results[0]!, rounds);
        concurrency = await benchConcurrency(docker, rounds);
      }
    }
    peakAt100 = Math.round(process.resourceUsage().maxRSS / 1024);
    if (!want("cluster") || !results[0]) note("no cluster measured (BENCH_ONLY, or the labs' up not measured)");
    else if (process.env.BENCH_CLUSTER === "none") note("no cluster measured (BENCH_CLUSTER=none)");
    else cluster = await withCluster(process.env.BENCH_CLUSTER, (file) => benchCluster(file, results[0]!, rounds));
    if (want("throughput") || want("latency")) {
      log("\nbench-msg: the agent's PUB -> SUB on one node and through a router, beside plain programs (bench/floor/)");
      ({ throughput, latency } = await benchThroughput(rounds, log, { throughput: want("throughput"), latency: want("latency") }));
    }
    if (want("faults")) faults = await benchFaults(rounds, log, { docker, image: currentImage });
    if (want("shipped")) {
      const runs = Number(process.env.BENCH_SHIPPED_RUNS ?? 20);
      if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_SHIPPED_RUNS must be a whole number >= 1, not ${process.env.BENCH_SHIPPED_RUNS}`);
      shipped = await benchShipped(runs, 4, log, undefined, { docker, image: currentImage });
    }
    if (want("capture")) {
      capture.push(await benchCapture(await pickVariant(docker, benchSourceIp, note), rounds, log));
      // The 100-node lab takes minutes a round: BENCH_CAPTURE_ROUNDS_100 (default 1), off beside the default only.
      const rounds100 = Number.parseInt(process.env.BENCH_CAPTURE_ROUNDS_100 ?? "1", 10);
      capture.push(await benchCapture(await pickVariant(docker, bench100, note), rounds100, log, VARIANTS.slice(0, 2)));
      peakAt100 = Math.max(peakAt100, Math.round(process.resourceUsage().maxRSS / 1024));
    }
    const manyRounds = Number.parseInt(process.env.BENCH_RUNS_ROUNDS ?? "1", 10);
    if (want("repeat")) many.push(await benchRepeat(docker, currentImage, manyRounds, log));
    if (want("sweep")) many.push(await benchSweep(docker, currentImage, manyRounds, log));
  } finally {
    warnStuck((await removeBenchResources(docker)).stuck);
  }

  const report = {
    date: new Date().toISOString(),
    engine: { version: version.Version, api: version.ApiVersion, kernel: version.KernelVersion },
    node: process.version,
    image: currentImage,
    rounds,
    targets: { up: TARGET_UP, down: TARGET_DOWN },
    notes,
    labs: results,
    throughput,
    latency,
    faults,
    shipped,
    cycle,
    concurrency,
    cluster,
    capture: capture.length ? capture : undefined,
    many,
    controllerPeakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    controllerPeakRssMiBThrough100Nodes: peakAt100,
    memoryTargetMiB: TARGET_MEMORY_MIB,
  };
  writeFileSync(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`zmqlab bench: Docker ${version.Version} (API ${version.ApiVersion}), kernel ${version.KernelVersion}, Node ${process.version}`);
  console.log(`floor = the same networks and containers through dockerode, in parallel, without configuration`);
  for (const n of notes) console.log(`note: ${n}`);
  if (results.length) console.log(table(results, rounds));
  if (faults) console.log(faultTimingText(faults));
  if (shipped) printShipped(shipped, (line) => console.log(line));
  if (throughput) console.log(throughputText(throughput, rounds));
  if (latency) console.log(latencyText(latency, rounds));
  if (cycle) {
    console.log(`\nfull run cycle of ${results[0]!.lab} (up, traffic, expectations, down), median of ${rounds} rounds`);
    console.log(
      `  zmqlab run ${cycle.medianMs.toFixed(0)} ms   floor up + down ${cycle.floorMs.toFixed(0)} ms   ratio ${cycle.ratio.toFixed(2)}x   target <=${TARGET_CYCLE}x   ${cycle.ratio <= TARGET_CYCLE ? "met" : "NOT met"}`,
    );
  }
  if (concurrency) {
    const { zmqlab: z, floor: f } = concurrency;
    console.log(`\nfour at once (parallel CI), median of ${rounds} rounds, ${concurrency.cpus} CPUs`);
    console.log(
      `  zmqlab run --instance auto: one ${z.oneMs.toFixed(0)} ms, four at once ${z.fourMs.toFixed(0)} ms   ratio ${z.ratio.toFixed(2)}x   target <${TARGET_CONCURRENT}x   ${z.ratio < TARGET_CONCURRENT ? "met" : "NOT met"}`,
    );
    console.log(`  floor up + down:            one ${f.oneMs.toFixed(0)} ms, four at once ${f.fourMs.toFixed(0)} ms   ratio ${f.ratio.toFixed(2)}x (the engine alone)`);
  }
  if (cluster) {
    console.log(`\n${results[0]!.lab} across ${cluster.hosts} engines of a Swarm (${cluster.file}), median of ${rounds} rounds`);
    console.log(
      `  up ${cluster.upMs.toFixed(0)} ms on the cluster, ${cluster.oneEngineUpMs.toFixed(0)} ms on one engine (${(cluster.upMs / cluster.oneEngineUpMs).toFixed(2)}x); down ${cluster.downMs.toFixed(0)} ms`,
    );
  }
  if (capture.length) console.log(captureCostText(capture));
  for (const m of many) console.log(manyRunsText(m));
  if (results.length || capture.length)
    console.log(
      `\ncontroller peak memory (max RSS): ${peakAt100} MiB through the 100-node lab (target <=${TARGET_MEMORY_MIB} MiB: ${peakAt100 <= TARGET_MEMORY_MIB ? "met" : "NOT met"}), ${report.controllerPeakRssMiB} MiB in all`,
    );
  console.log(`\nwrote ${RESULTS}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
