// One zmqlab process at a time per lab (or instance), across hosts and pid namespaces: the lock
// is a container on the engine itself. Its name makes taking it atomic (Docker refuses a second
// container of the same name), and its only process reads the holder's attached stdin, so when
// the holder ends in any way, SIGKILL included, the engine closes that stdin and the container
// exits: a lock whose container is not running is stale and is taken over.
import { hostname } from "node:os";
import type { Duplex } from "node:stream";
import { Cancelled, EnvironmentError } from "../errors.js";
import { describe, isNotFound, type Engine } from "./docker.js";
import { engineFailure } from "./failures.js";
import { LABEL_LAB, LABEL_ROLE } from "./labels.js";

export interface LockOwner {
  pid: number;
  host: string;
  /** The zmqlab command that holds it (run, up, test, down). */
  command: string;
  /** ISO time it was taken. */
  since: string;
}

export interface LockOptions {
  /** An image on the engine with `cat` (the node image's base); asked only when the lock must be taken. */
  image: () => Promise<string>;
  /** How long to wait for another holder (ms); then exit 3. */
  waitMs: number;
  command: string;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

const LABEL_PID = "zmqlab.lock.pid";
const LABEL_HOST = "zmqlab.lock.host";
const LABEL_COMMAND = "zmqlab.lock.command";
const LABEL_SINCE = "zmqlab.lock.since";
/** A lock container not yet started is another holder's moment between create and start. */
const CREATED_GRACE_MS = 10_000;
const POLL_MS = 250;

export const lockName = (key: string): string => `zmqlab-lock.${key}`;

/** A lock this process holds; release it when done (a crash releases it too). */
export class LabLock {
  constructor(
    private readonly engine: Engine,
    readonly key: string,
    private readonly id: string,
    /** Its container attached and started: the stdin the engine watches, or why it could not start. */
    readonly started: Promise<Duplex>,
  ) {}

  async release(): Promise<void> {
    setEnv(this.key, undefined);
    (await this.started.catch(() => undefined))?.destroy();
    try {
      await this.engine.getContainer(this.id).remove({ force: true });
    } catch (err) {
      if (!isNotFound(err) && !/already in progress/.test(describe(err))) throw engineFailure(err, "remove", { kind: "container", name: lockName(this.key), role: `the lock of lab ${this.key}` });
    }
  }
}

export function ownerOf(labels: Record<string, string> | undefined): LockOwner | undefined {
  if (!labels?.[LABEL_PID]) return undefined;
  return { pid: Number(labels[LABEL_PID]), host: labels[LABEL_HOST] ?? "?", command: labels[LABEL_COMMAND] ?? "?", since: labels[LABEL_SINCE] ?? "?" };
}

export const describeOwner = (o: LockOwner): string => `pid ${o.pid} on host ${o.host} (zmqlab ${o.command} since ${o.since.replace(/\.\d+Z$/, "Z")})`;

/** A share of a lock held by this process: releasing the last share releases the lock. */
export interface LockShare {
  key: string;
  release(): Promise<void>;
  /**
   * Resolves once the lock's container runs, so that the engine ends it when this process ends
   * (a lock is taken by creating it, and started while the lab is being made); rejects when it
   * could not start. Await it before handing a lab over.
   */
  live(): Promise<void>;
}

/** A lock as one process holds it: started (or not) on its engine, released once. */
export interface HeldLock {
  readonly started: Promise<unknown>;
  release(): Promise<void>;
}

/**
 * The locks one process holds, by lab key, with how many users inside the process share each:
 * within one process a lock is shared (an API user's `up` then `attach` of the same lab must not
 * wait on itself); the lock guards against other processes. Any engine's locks share this way.
 */
export class HeldLocks<L extends HeldLock> {
  private readonly held = new Map<string, { lock: Promise<L>; users: number }>();

  has(key: string): boolean {
    return this.held.has(key);
  }

  /** A share of the key's lock: the one this process holds, else one `acquire` takes. */
  async share(key: string, acquire: () => Promise<L>): Promise<LockShare> {
    let entry = this.held.get(key);
    if (!entry) {
      entry = { lock: acquire(), users: 0 };
      this.held.set(key, entry);
      entry.lock.catch(() => this.held.delete(key));
    }
    entry.users++;
    const lock = await entry.lock;
    const share = entry;
    let released = false;
    return {
      key,
      live: async () => {
        await lock.started;
      },
      release: async () => {
        if (released) return;
        released = true;
        if (--share.users > 0) return;
        // The entry may be gone already (drop), or be a newer one: leave that alone.
        if (this.held.get(key) === share) this.held.delete(key);
        await lock.release();
      },
    };
  }

  /**
   * Release the key's lock whatever shares of it are still out: the lab was removed (a `down` by
   * name while a RunningLab of the same process still held it), so nothing is left to guard, and
   * a lock kept until the process exits would be left on the engine as a stale one.
   */
  async drop(key: string): Promise<void> {
    const entry = this.held.get(key);
    if (!entry) return;
    this.held.delete(key);
    await (await entry.lock).release();
  }
}

/** Locks this process holds on Docker engines. */
const held = new HeldLocks<LabLock>();

/**
 * Take the lab's lock for this process, waiting for another process's up to `waitMs`. Within
 * one process it is shared (see HeldLocks).
 */
export async function lockLab(engine: Engine, key: string, options: LockOptions): Promise<LockShare> {
  if (await inherited(engine, key)) return { key, release: async () => {}, live: async () => {} };
  return held.share(key, () => acquire(engine, key, options));
}

/** Release this process's lock of a lab whatever shares of it are still out (see HeldLocks.drop). */
export function dropLock(key: string): Promise<void> {
  return held.drop(key);
}

/**
 * The locks this process holds, in its environment, so the programs it starts (a test suite that
 * runs `zmqlab test` on the lab it brought up) share them instead of waiting for their parent.
 */
const ENV = "ZMQLAB_LOCKS";

function heldInEnv(): Record<string, string> {
  try {
    return JSON.parse(process.env[ENV] ?? "{}") as Record<string, string>;
  } catch {
    return {};
  }
}

function setEnv(key: string, id: string | undefined): void {
  const locks = heldInEnv();
  if (id === undefined) delete locks[key];
  else locks[key] = id;
  if (Object.keys(locks).length === 0) delete process.env[ENV];
  else process.env[ENV] = JSON.stringify(locks);
}

/** A lock a parent process holds (named in the environment) and still holds (its container runs). */
async function inherited(engine: Engine, key: string): Promise<boolean> {
  const id = heldInEnv()[key];
  if (id === undefined || held.has(key)) return false;
  try {
    const info = await engine.getContainer(lockName(key)).inspect();
    return info.Id === id && info.State.Running;
  } catch {
    return false;
  }
}

async function acquire(engine: Engine, key: string, lockOptions: LockOptions): Promise<LabLock> {
  const options = { ...lockOptions, image: await lockOptions.image() };
  const log = options.log ?? (() => {});
  const name = lockName(key);
  const deadline = Date.now() + options.waitMs;
  let told = 0;
  for (;;) {
    if (options.signal?.aborted) throw new Cancelled("interrupted while waiting for the lab's lock: nothing was created");
    const taken = await tryLock(engine, key, name, options);
    if (taken instanceof LabLock) return taken;
    if (taken === "retry") continue;
    const owner = taken;
    if (Date.now() >= deadline) {
      throw new EnvironmentError(
        `Lab ${key} is in use by ${owner ? describeOwner(owner) : "another zmqlab process"}; waited ${formatWait(options.waitMs)}.`,
        `wait longer (--wait 30m), or run a separate copy beside it: --instance auto`,
      );
    }
    if (Date.now() - told > 30_000) {
      told = Date.now();
      log(`lab ${key} is in use by ${owner ? describeOwner(owner) : "another zmqlab process"}: waiting up to ${formatWait(deadline - Date.now())} (--wait)`);
    }
    await sleep(POLL_MS, options.signal);
  }
}

/** The lock, or the live holder (undefined when unknown), or "retry" after clearing a stale one. */
async function tryLock(engine: Engine, key: string, name: string, options: Omit<LockOptions, "image"> & { image: string }): Promise<LabLock | LockOwner | undefined | "retry"> {
  let id: string;
  try {
    const container = await engine.createContainer({
      name,
      Image: options.image,
      Entrypoint: ["cat"],
      Cmd: [],
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      Labels: {
        [LABEL_LAB]: key,
        [LABEL_ROLE]: "lock",
        [LABEL_PID]: String(process.pid),
        [LABEL_HOST]: hostname(),
        [LABEL_COMMAND]: options.command,
        [LABEL_SINCE]: new Date().toISOString(),
      },
      HostConfig: { NetworkMode: "none" },
    });
    id = container.id;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 409) throw lockError(key, options.image, err);
    return holderOrStale(engine, name);
  }
  // Created is taken (the name is ours): it starts while the caller goes on, within the grace
  // period others give a created lock. Until then a crash leaves a lock that goes stale after it.
  const started = start(engine, key, id, options.image);
  started.catch(() => {});
  return new LabLock(engine, key, id, started);
}

async function start(engine: Engine, key: string, id: string, image: string): Promise<Duplex> {
  const container = engine.getContainer(id);
  try {
    const stdin = (await container.attach({ stream: true, stdin: true, stdout: false, stderr: false, hijack: true })) as Duplex;
    // The engine answers on this stream only when the process ends: nothing to read. Unref'd:
    // a process that holds a lock may still end (its lock then goes stale, as on a crash).
    stdin.on("error", () => {});
    (stdin as Duplex & { unref?: () => void }).unref?.();
    await container.start();
    setEnv(key, id);
    return stdin;
  } catch (err) {
    await container.remove({ force: true }).catch(() => {});
    throw lockError(key, image, err);
  }
}

async function holderOrStale(engine: Engine, name: string): Promise<LockOwner | undefined | "retry"> {
  let info;
  try {
    info = await engine.getContainer(name).inspect();
  } catch (err) {
    if (isNotFound(err)) return "retry";
    throw engineFailure(err, "inspect", { kind: "container", name, role: "a lab's lock" });
  }
  const owner = ownerOf(info.Config.Labels);
  const justCreated = info.State.Status === "created" && Date.now() - Date.parse(info.Created) < CREATED_GRACE_MS;
  if (info.State.Running || justCreated) return owner;
  // The holder ended without releasing it (killed, crashed, its host gone): take it over.
  try {
    await engine.getContainer(info.Id).remove({ force: true });
  } catch (err) {
    if (!isNotFound(err) && !/already in progress/.test(describe(err))) throw engineFailure(err, "remove", { kind: "container", name, role: "a stale lock" });
  }
  return "retry";
}

function lockError(key: string, image: string, err: unknown): EnvironmentError {
  return new EnvironmentError(
    `Could not take the lock of lab ${key} on the engine (a container of image ${image}): ${describe(err)}.`,
    "check that the engine can create containers (docker run --rm " + image + " true)",
  );
}

export function formatWait(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ""}` : `${s}s`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
