// What the lifecycle calls (up.ts, attach.ts, reconcile.ts, down.ts) take and share: their
// options, the engine to use, the lab's lock (which keeps other zmqlab processes out while one
// uses the lab), and whether a lab is up.
import { connectRuntime } from "../engine/connect.js";
import type { LockShare } from "../engine/lock.js";
import type { Runtime } from "../engine/runtime.js";
import { EnvironmentError } from "../errors.js";
import type { LabPlan } from "../plan/types.js";

export interface LabOptions {
  /** The engine to use (default: the one DOCKER_HOST names, see connectRuntime). */
  runtime?: Runtime;
  /** A cluster file: run the lab across its engines (default $ZMQLAB_CLUSTER; ignored when `runtime` is given). */
  cluster?: string;
  /**
   * Run a separate copy of the lab: its resources carry the instance's name and its subnets move
   * to free blocks of 198.18.0.0/15 (and 2001:2::/48). `auto` picks a unique name (`up` only).
   */
  instance?: string;
  /** How long to wait while another zmqlab process uses the lab (ms; default 10 minutes). */
  wait?: number;
  /**
   * `up` only: a lab that is already up is repaired to match its file (stopped nodes started,
   * drifted nodes configured again) instead of refused. Default true.
   */
  reconcile?: boolean;
  /** Progress lines (to stderr in the CLI). */
  log?: (line: string) => void;
  /** Aborting removes whatever was created so far (and stops waiting for the lock). */
  signal?: AbortSignal;
  /** The command holding the lock, shown to whoever waits for it. */
  command?: string;
}

export type UpOptions = LabOptions;

export const DEFAULT_WAIT_MS = 10 * 60_000;

/** The runtime the options name, or a connection to the default one (a cluster's placement of `nodes` checked first). */
export async function runtimeFor(options: { runtime?: Runtime; cluster?: string }, nodes?: string[]): Promise<Runtime> {
  return options.runtime ?? (await connectRuntime({ ...(options.cluster !== undefined ? { cluster: options.cluster } : {}), ...(nodes ? { nodes } : {}) }));
}

/** Take the lab's lock (waiting for another process that uses it), for the given command. */
export async function lockFor(runtime: Runtime, key: string, options: LabOptions): Promise<LockShare> {
  return runtime.lock(key, {
    waitMs: options.wait ?? DEFAULT_WAIT_MS,
    command: options.command ?? "api",
    ...(options.log ? { log: options.log } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** No lock at all: for an instance whose name was just made up, which nobody else can use yet. */
export const unshared = (key: string): LockShare => ({ key, release: async () => {}, live: async () => {} });

/** Whether the lab (or instance) has nodes on the engine. */
export async function isUp(runtime: Runtime, key: string): Promise<boolean> {
  const [found] = await runtime.listLabs(key);
  return (found?.containers.length ?? 0) > 0;
}

/** Wait for every operation, so a failure never tears down under one still running. */
export async function settled<T>(work: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(work);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failure) throw failure.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/**
 * Every node still runs: one removed or stopped while the others were made or repaired (another
 * process's clean, an image that exits) was configured and checked, but the lab is not up.
 */
export async function stillRunning(runtime: Runtime, plan: LabPlan): Promise<void> {
  const [found] = await runtime.listLabs(plan.lab);
  const lost = plan.nodes.flatMap((n) => {
    const state = found?.containers.find((c) => c.node === n.name)?.state ?? "gone";
    return state === "running" ? [] : [`${n.name} (${state})`];
  });
  if (lost.length === 0) return;
  throw new EnvironmentError(
    `Lab ${plan.lab} did not come up: ${lost.length > 1 ? "nodes" : "node"} ${lost.join(", ")} stopped or went away while zmqlab set it up.`,
    "something else removed or stopped it: another `zmqlab down`/`clean`, or an image of your own that does not keep running (its CMD, e.g. `sleep infinity`); `docker logs` on a stopped one says why. Run the lab again",
  );
}
