// Many runs at once (issues 22 and 23): `zmqlab sweep labs/resilience` with --jobs 4 against the
// same runs one after another, and `--repeat 8 --jobs 4` of the flagship against 8 runs one after
// another, each beside the floor's ratio measured in the same round: the same number of the lab's
// networks and containers made and removed straight through dockerode, one after another and then
// four at once. The engine alone sets how far runs can overlap on a machine with few cores; a
// pool that starts runs late or serialises something of its own shows as a speed-up below it.
import type Docker from "dockerode";
import { join } from "node:path";
import { repeat, sweep, type Lab, type LoadedLab } from "../controller/index.js";
import { loadLab, planLab, planSweep } from "../controller/advanced.js";
import { ensureFrrImage, PACKAGE_ROOT } from "../controller/engine/images.js";
import { parseSubnet, type Subnet } from "../controller/lab/ip.js";
import { chooseRelocations, instanceLab } from "../controller/lab/relocate.js";
import { rawDown, rawLab, rawUp, type RawLab } from "./raw.js";

/** The sweep's (or repeat's) speed-up with --jobs 4 must reach this share of the floor's. */
export const TARGET_SHARE_OF_FLOOR = 0.9;
const JOBS = 4;

export interface ManyRunsResult {
  what: string;
  runs: number;
  jobs: number;
  /** Wall time, ms, per round: the runs one after another, then JOBS at once. */
  serialMs: number[];
  parallelMs: number[];
  floorSerialMs: number[];
  floorParallelMs: number[];
  /** Medians' ratios: serial / parallel. */
  speedup: number;
  floorSpeedup: number;
  /** speedup / floorSpeedup. */
  shareOfFloor: number;
  target: number;
  met: boolean;
  /** What the runs found, per round (serial, parallel): a sweep's broken rows, a repeat's pass count. */
  verdicts: string[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { ms: Math.round(performance.now() - started), result };
}

/** `count` jobs over at most `workers` at once; worker w always gets w (its own copy of a lab). */
async function pool(count: number, workers: number, job: (worker: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(workers, count) }, async (_, w) => {
      while (next < count) {
        next++;
        await job(w);
      }
    }),
  );
}

/**
 * JOBS copies of the lab's networks and containers for the floor, each named `bench-NAME.fK` and
 * moved, as an instance would be, to a block no network on the engine (nor another copy) holds.
 */
async function floorCopies(docker: Docker, lab: Lab, images: { image: string; frrImage: string }): Promise<RawLab[]> {
  const taken: Subnet[] = (await docker.listNetworks()).flatMap((n) => (n.IPAM?.Config ?? []).map((c) => parseSubnet(c.Subnet ?? ""))).filter((s): s is Subnet => typeof s !== "string");
  const named = { ...lab, name: `bench-${lab.name}` };
  return Array.from({ length: JOBS }, (_, k) => {
    const relocations = chooseRelocations(named, taken);
    taken.push(...relocations.map((r) => parseSubnet(r.to) as Subnet));
    return rawLab(planLab(instanceLab(named, `f${k + 1}`, relocations), images));
  });
}

/** The floor's serial and JOBS-at-once times for `count` cycles (up and down) of the lab. */
async function floorRound(docker: Docker, copies: RawLab[], count: number): Promise<{ serial: number; parallel: number }> {
  const cycle = async (raw: RawLab) => {
    await rawUp(docker, raw);
    await rawDown(docker, raw);
  };
  const serial = await timed(() => pool(count, 1, () => cycle(copies[0]!)));
  const parallel = await timed(() => pool(count, JOBS, (w) => cycle(copies[w]!)));
  return { serial: serial.ms, parallel: parallel.ms };
}

/**
 * One measurement: per round the floor (serial, then JOBS at once), then zmqlab's runs (serial
 * and JOBS at once, in alternating order so neither always follows the other).
 */
async function measure(
  docker: Docker,
  what: string,
  loaded: LoadedLab,
  runs: number,
  rounds: number,
  zmqlab: (jobs: number) => Promise<string>,
  images: { image: string; frrImage: string },
  log: (line: string) => void,
): Promise<ManyRunsResult> {
  const copies = await floorCopies(docker, loaded.lab, images);
  const r: Pick<ManyRunsResult, "serialMs" | "parallelMs" | "floorSerialMs" | "floorParallelMs" | "verdicts"> = { serialMs: [], parallelMs: [], floorSerialMs: [], floorParallelMs: [], verdicts: [] };
  for (let round = 0; round < rounds; round++) {
    const floor = await floorRound(docker, copies, runs);
    r.floorSerialMs.push(floor.serial);
    r.floorParallelMs.push(floor.parallel);
    for (const jobs of round % 2 === 0 ? [1, JOBS] : [JOBS, 1]) {
      const { ms, result } = await timed(() => zmqlab(jobs));
      (jobs === 1 ? r.serialMs : r.parallelMs).push(ms);
      r.verdicts.push(`--jobs ${jobs}: ${result}`);
      log(`  round ${round + 1}, --jobs ${jobs}: ${ms} ms; ${result}`);
    }
    log(`  round ${round + 1}, floor: ${runs} cycles one after another ${floor.serial} ms, ${JOBS} at once ${floor.parallel} ms`);
  }
  const speedup = ratio(median(r.serialMs), median(r.parallelMs));
  const floorSpeedup = ratio(median(r.floorSerialMs), median(r.floorParallelMs));
  const shareOfFloor = ratio(speedup, floorSpeedup);
  return { what, runs, jobs: JOBS, ...r, speedup, floorSpeedup, shareOfFloor, target: TARGET_SHARE_OF_FLOOR, met: shareOfFloor >= TARGET_SHARE_OF_FLOOR };
}

/** `zmqlab sweep labs/resilience`: its default failures and the baseline, --jobs 1 against --jobs 4. */
export async function benchSweep(docker: Docker, nodeImage: string, rounds: number, log: (line: string) => void): Promise<ManyRunsResult> {
  const loaded = loadLab(join(PACKAGE_ROOT, "labs", "resilience"));
  const frrImage = await ensureFrrImage(docker, nodeImage, log);
  const zmqlab = async (jobs: number) => {
    const report = await sweep(loaded, { jobs });
    if (!report.complete)
      return `INCOMPLETE: ${[report.baseline, ...report.failures]
        .filter((f) => f.error)
        .map((f) => `${f.failure}: ${f.error!.split("\n")[0]}`)
        .join("; ")}`;
    const broke = report.failures.filter((f) => f.broke.length > 0).map((f) => f.failure);
    return `${report.failures.length} failures, broke: ${broke.join(", ") || "none"}`;
  };
  log(`\nsweep of labs/resilience: --jobs 1, then --jobs ${JOBS}; the floor likewise`);
  // The floor makes as many labs as the sweep runs: the baseline and each failure.
  const runs = planSweep(loaded.lab).cases.length + 1;
  return measure(docker, "zmqlab sweep labs/resilience", loaded, runs, rounds, zmqlab, { image: nodeImage, frrImage }, log);
}

/** `zmqlab run labs/source-ip --repeat 8`: --jobs 1 against --jobs 4. */
export async function benchRepeat(docker: Docker, nodeImage: string, rounds: number, log: (line: string) => void): Promise<ManyRunsResult> {
  const loaded = loadLab(join(PACKAGE_ROOT, "labs", "source-ip"));
  const times = 8;
  const zmqlab = async (jobs: number) => {
    const report = await repeat(loaded, { times, jobs });
    if (!report.complete)
      return `INCOMPLETE: ${report.results
        .filter((r) => r.error)
        .map((r) => `run ${r.run}: ${r.error!.split("\n")[0]}`)
        .join("; ")}`;
    return `${report.results.filter((r) => r.ok).length}/${times} runs held every expectation`;
  };
  log(`\nzmqlab run labs/source-ip --repeat ${times}: --jobs 1, then --jobs ${JOBS}; the floor likewise`);
  return measure(docker, `zmqlab run labs/source-ip --repeat ${times}`, loaded, times, rounds, zmqlab, { image: nodeImage, frrImage: nodeImage }, log);
}

export function manyRunsText(r: ManyRunsResult): string {
  const m = (xs: number[]) => `${(median(xs) / 1000).toFixed(1)} s`;
  return [
    `\n${r.what}: ${r.runs} runs, median of ${r.serialMs.length} round(s)`,
    `  zmqlab: one after another ${m(r.serialMs)}, ${r.jobs} at once ${m(r.parallelMs)}   speed-up ${r.speedup.toFixed(2)}x`,
    `  floor (up + down of the same ${r.runs} labs through dockerode): one after another ${m(r.floorSerialMs)}, ${r.jobs} at once ${m(r.floorParallelMs)}   speed-up ${r.floorSpeedup.toFixed(2)}x`,
    `  zmqlab's speed-up is ${r.shareOfFloor.toFixed(2)} of the floor's   target >=${r.target}   ${r.met ? "met" : "NOT met"}`,
    ...r.verdicts.map((v) => `  ${v}`),
  ].join("\n");
}
