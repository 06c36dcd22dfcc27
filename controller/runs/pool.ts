// Many runs of a lab, at most `jobs` at a time: each one the public runLab as a separate instance
// (its own networks and containers, its address blocks moved to free ones), on one engine or
// across a cluster's. One signal stops them all: runs not started never start, running ones end
// their traffic and remove what they made (runLab does), and the pool then throws Cancelled.
// `zmqlab run --repeat` and `zmqlab sweep` are both made of it.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connectRuntime } from "../engine/connect.js";
import type { Runtime } from "../engine/runtime.js";
import { Cancelled, ZmqlabError } from "../errors.js";
import type { LoadedLab } from "../lab/load.js";
import type { Lab } from "../lab/types.js";
import { runLab, type LabReport } from "../run/index.js";

/** One run to make: its name (a file name's part, a row's label) and the lab it runs. */
export interface RunJob {
  name: string;
  loaded: LoadedLab;
}

/** Where a run's own report went. */
export interface RunFiles {
  json: string;
  html?: string;
}

export interface RunOutcome {
  job: RunJob;
  /** Its place in the list given (0 the first). */
  index: number;
  /** Absent when the run could not be made (`error` says why). */
  report?: LabReport;
  /** Why there is no report: the engine refused, a node would not come up (an environment's error, exit 3). */
  error?: string;
  durationMs: number;
  files?: RunFiles;
}

export interface PoolProgress {
  total: number;
  done: number;
  running: number;
  left: number;
  /** Runs done that failed an expectation or could not be made. */
  failed: number;
}

/** A page of one run's report (report/html.ts's, at the addresses the run had). */
export type RunPage = (lab: Lab, report: LabReport) => string;

export interface PoolOptions {
  /** At most this many runs at once (default 1). */
  jobs?: number;
  /** The engine (default: the one DOCKER_HOST names, or the cluster's). */
  runtime?: Runtime;
  /** A cluster file: every run spread over its engines (default $ZMQLAB_CLUSTER). */
  cluster?: string;
  /** Aborting stops every run (each removes its lab) and the pool throws Cancelled. */
  signal?: AbortSignal;
  /** Called when a run starts or ends (with the run that ended). */
  onProgress?: (progress: PoolProgress, ended?: RunOutcome) => void;
  /**
   * Keep a run's own report: written as `DIR/NAME.json` (and `.html` with `page`) as soon as it
   * is judged, before its lab is taken down. Which runs: `keep` says (default every one).
   */
  reports?: { dir: string; keep?: (report: LabReport) => boolean; page?: RunPage };
}

/** A file name made of a run's place and name: `03-down-r1-servers`. */
export function runFileName(index: number, name: string, total: number): string {
  const width = String(Math.max(1, total - 1)).length;
  return `${String(index).padStart(width, "0")}-${
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "run"
  }`;
}

/** Run every job, at most `jobs` at a time; outcomes in the jobs' order. */
export async function runMany(jobs: RunJob[], options: PoolOptions = {}): Promise<RunOutcome[]> {
  if (options.signal?.aborted) throw new Cancelled("interrupted: no run was started");
  const stop = new AbortController();
  const abort = () => stop.abort();
  options.signal?.addEventListener("abort", abort, { once: true });
  const nodes = [...new Set(jobs.flatMap((j) => Object.keys(j.loaded.lab.nodes)))];
  const runtime = options.runtime ?? (await connectRuntime({ ...(options.cluster !== undefined ? { cluster: options.cluster } : {}), nodes }));
  const outcomes: RunOutcome[] = new Array(jobs.length);
  const progress: PoolProgress = { total: jobs.length, done: 0, running: 0, left: jobs.length, failed: 0 };
  const tell = (ended?: RunOutcome) => options.onProgress?.({ ...progress }, ended);
  let bug: unknown;
  let next = 0;

  const one = async (index: number): Promise<RunOutcome> => {
    const job = jobs[index]!;
    const started = performance.now();
    const outcome: RunOutcome = { job, index, durationMs: 0 };
    const onReport = (report: LabReport) => {
      const reports = options.reports;
      if (!reports || !(reports.keep?.(report) ?? true)) return;
      mkdirSync(reports.dir, { recursive: true });
      const base = join(reports.dir, runFileName(index, job.name, jobs.length));
      writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
      outcome.files = { json: `${base}.json` };
      if (reports.page) {
        writeFileSync(`${base}.html`, reports.page(job.loaded.lab, report));
        outcome.files.html = `${base}.html`;
      }
    };
    try {
      outcome.report = await runLab(job.loaded, { instance: "auto", runtime, signal: stop.signal, onReport });
    } catch (err) {
      if (err instanceof Cancelled || stop.signal.aborted) outcome.error = "interrupted";
      else if (err instanceof ZmqlabError) outcome.error = err.message;
      else {
        // Our bug: the other runs are stopped (and remove their labs) before it is thrown.
        bug ??= err;
        outcome.error = err instanceof Error ? err.message : String(err);
        stop.abort();
      }
    }
    outcome.durationMs = Math.round(performance.now() - started);
    return outcome;
  };

  const worker = async () => {
    while (!stop.signal.aborted && next < jobs.length) {
      const index = next++;
      progress.left--;
      progress.running++;
      tell();
      const outcome = await one(index);
      outcomes[index] = outcome;
      progress.running--;
      progress.done++;
      if (outcome.error !== undefined || !outcome.report?.ok) progress.failed++;
      tell(outcome);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.jobs ?? 1, jobs.length)) }, worker));
  } finally {
    options.signal?.removeEventListener("abort", abort);
  }
  if (bug !== undefined) throw bug;
  if (stop.signal.aborted) throw new Cancelled(`interrupted: ${progress.done} of ${jobs.length} runs done; every run stopped and its lab removed`);
  return outcomes;
}
