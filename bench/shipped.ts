// Every shipped lab under load (issue 19): each lab in labs/ and each workshop solution run N
// times (default 20) as separate `zmqlab run --instance auto` processes, four at once, the way a
// CI job running suites in parallel would. Reports per lab how many runs passed, the failures'
// verdicts, and how late the labs' faults landed under that load.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { PACKAGE_ROOT } from "../controller/engine/images.js";
import type { LabReport } from "../controller/index.js";
import type Docker from "dockerode";
import { startKernelFloor, type KernelFloor } from "./kernel-floor.js";
import { TARGET_LATENESS_MS } from "./faults.js";

export interface ShippedLabResult {
  lab: string;
  runs: number;
  passed: number;
  /** Per failed run: its exit code and verdict (or stderr's last line). */
  failures: string[];
  /** |actual - planned| of every fault that ran, ms. */
  lateness: number[];
  /** The faults more than TARGET_LATENESS_MS off their plan: "run 3 lossy +61 ms". */
  offTarget: string[];
}

export interface ShippedResult {
  runsPerLab: number;
  jobs: number;
  labs: ShippedLabResult[];
  /** All faults of all runs: lateness distribution, ms. */
  lateness: { count: number; p50: number; p95: number; max: number; over50: number } | undefined;
  /** A kernel change (rtnetlink) under the same load, ms: the floor beside the faults' lateness (kernel-floor.ts). */
  kernelFloor?: KernelFloor | undefined;
}

/** The shipped labs: labs/<name>/lab.yaml and labs/workshop/solutions/<step>/lab.yaml. */
export function shippedLabs(root = PACKAGE_ROOT): string[] {
  const found: string[] = [];
  const scan = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (!entry.isDirectory()) continue;
      const file = join(dir, entry.name, "lab.yaml");
      if (existsSync(file)) found.push(file);
    }
  };
  scan(join(root, "labs"));
  scan(join(root, "labs", "workshop", "solutions"));
  return found;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

interface RunOutcome {
  code: number;
  report?: LabReport;
  tail: string;
}

function runOnce(file: string, out: string): Promise<RunOutcome> {
  return new Promise((resolve) => {
    const cli = join(PACKAGE_ROOT, "dist", "controller", "cli.js");
    const child = spawn(process.execPath, [cli, "run", file, "--instance", "auto", "--json", out], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout = (stdout + d.toString()).slice(-4000)));
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on("close", (code) => {
      let report: LabReport | undefined;
      try {
        report = JSON.parse(readFileSync(out, "utf8")) as LabReport;
      } catch {
        report = undefined;
      }
      const lines = (stdout + "\n" + stderr)
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean);
      resolve({ code: code ?? 1, ...(report ? { report } : {}), tail: lines.slice(-3).join(" | ") });
    });
  });
}

/** The failed expectations of a report, by kind and description, with what was observed. */
function failedChecks(report: LabReport | undefined): string | undefined {
  const failed = report?.expectations.filter((e) => !e.ok).map((e) => `${e.kind} ${e.description} (observed: ${e.observed})`) ?? [];
  return failed.length ? failed.join("; ") : undefined;
}

/** Runs every shipped lab `runs` times, `jobs` processes at once (interleaved across labs). */
export async function benchShipped(runs: number, jobs: number, log: (line: string) => void, labs = shippedLabs(), floor?: { docker: Docker; image: string }): Promise<ShippedResult> {
  const dir = mkdtempSync(join(tmpdir(), "zmqlab-bench-shipped-"));
  const results = new Map<string, ShippedLabResult>();
  const queue: { file: string; n: number }[] = [];
  for (let n = 0; n < runs; n++) for (const file of labs) queue.push({ file, n });
  for (const file of labs) results.set(file, { lab: relative(PACKAGE_ROOT, file).replace(/\/lab\.yaml$/, ""), runs: 0, passed: 0, failures: [], lateness: [], offTarget: [] });
  let done = 0;
  /** Whether a failed run's report is kept in `dir`. */
  let kept = false;
  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const result = results.get(item.file)!;
      const out = join(dir, `${result.lab.replace(/\W+/g, "-")}-${item.n + 1}.json`);
      const outcome = await runOnce(item.file, out);
      result.runs++;
      if (outcome.code === 0) result.passed++;
      else {
        result.failures.push(`run ${item.n + 1}: exit ${outcome.code}: ${failedChecks(outcome.report) ?? outcome.tail}${outcome.report ? ` (report kept: ${out})` : ""}`);
        kept = true;
      }
      // A passing run's report goes; a failing run's stays, to read (its capture, where it has
      // one, is where the report's capture.path says).
      if (outcome.code === 0) rmSync(out, { force: true });
      for (const f of outcome.report?.faults ?? []) {
        if (f.actualMs === undefined) continue;
        const off = f.actualMs - f.atMs;
        result.lateness.push(Math.abs(off));
        if (Math.abs(off) > TARGET_LATENESS_MS) result.offTarget.push(`run ${item.n + 1} ${f.name} ${off > 0 ? "+" : ""}${Math.round(off)} ms`);
      }
      done++;
      if (outcome.code !== 0 || done % 10 === 0) log(`shipped labs: ${done}/${runs * labs.length} runs${outcome.code !== 0 ? `; ${result.lab} failed (${result.failures.at(-1)})` : ""}`);
    }
  };
  const probe = floor ? await startKernelFloor(floor.docker, floor.image) : undefined;
  let kernelFloor: KernelFloor | undefined;
  try {
    await Promise.all(Array.from({ length: jobs }, () => worker()));
  } finally {
    kernelFloor = await probe?.stop();
    if (!kept) rmSync(dir, { recursive: true, force: true });
  }
  const all = [...results.values()].flatMap((r) => r.lateness).sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    runsPerLab: runs,
    jobs,
    labs: [...results.values()],
    lateness: all.length
      ? { count: all.length, p50: round(percentile(all, 50)), p95: round(percentile(all, 95)), max: round(all.at(-1)!), over50: all.filter((ms) => ms > TARGET_LATENESS_MS).length }
      : undefined,
    kernelFloor,
  };
}

export function printShipped(result: ShippedResult, print: (line: string) => void): void {
  print(`\nshipped labs, ${result.runsPerLab} runs each, ${result.jobs} at once (separate zmqlab run --instance auto processes):`);
  for (const lab of result.labs) {
    const late = [...lab.lateness].sort((a, b) => a - b);
    print(
      `  ${lab.lab.padEnd(36)} ${String(lab.passed).padStart(3)}/${lab.runs} passed${late.length ? `   faults late p50 ${percentile(late, 50).toFixed(0)} ms, max ${late.at(-1)!.toFixed(0)} ms` : ""}`,
    );
    for (const failure of lab.failures) print(`    ${failure}`);
    if (lab.offTarget.length) print(`    over ${TARGET_LATENESS_MS} ms off plan: ${lab.offTarget.join(", ")}`);
  }
  if (result.lateness)
    print(
      `  faults under this load: ${result.lateness.count} ran, late p50 ${result.lateness.p50} ms, p95 ${result.lateness.p95} ms, max ${result.lateness.max} ms, ${result.lateness.over50} over ${TARGET_LATENESS_MS} ms`,
    );
  if (result.kernelFloor)
    print(
      `  floor, the same load: a link set down or up (rtnetlink, as link, rate and clear faults change the kernel), every 100 ms in a container of its own: ${result.kernelFloor.count} changes, p50 ${result.kernelFloor.p50} ms, p95 ${result.kernelFloor.p95} ms, max ${result.kernelFloor.max} ms`,
    );
}
