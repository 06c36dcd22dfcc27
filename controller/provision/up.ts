// Bring a lab up exactly as declared: its networks, its nodes each configured as it starts, the
// kernel read back and compared with the plan, routing adjacencies awaited. A lab that is up
// already is reconciled (reconcile.ts); an instance is placed at free subnets first.
import { Cancelled, EnvironmentError } from "../errors.js";
import { describe } from "../engine/docker.js";
import { clusterFlag } from "../engine/connect.js";
import type { LockShare } from "../engine/lock.js";
import type { Runtime } from "../engine/runtime.js";
import { parseSubnet, type Subnet } from "../lab/ip.js";
import { loadLab, type LoadedLab } from "../lab/load.js";
import { formatRelocations, instanceKey, instanceLab } from "../lab/relocate.js";
import type { Lab } from "../lab/types.js";
import type { KernelState } from "../observe/kernel.js";
import { planLab } from "../plan/plan.js";
import type { LabPlan } from "../plan/types.js";
import { createConfigured } from "./configure/apply.js";
import { compareWithPlan } from "./configure/verify.js";
import { isUp, lockFor, runtimeFor, settled, stillRunning, unshared, type UpOptions } from "./lifecycle.js";
import { checkCollisions, placeInstance, resolveInstance, type Placement } from "./placement.js";
import { reconcileLocked } from "./reconcile.js";
import { waitForAdjacencies } from "./routing.js";
import { RunningLab } from "./running-lab.js";
import { whenAborted } from "../abort.js";

/**
 * Bring a lab up exactly as declared, check the kernel agrees, and return it. The returned lab
 * holds the lab's lock until `down()` or `release()`; `await using` takes it down at the block's end.
 */
export async function up(target: string | LoadedLab, options: UpOptions = {}): Promise<RunningLab> {
  const loaded = typeof target === "string" ? loadLab(target) : target;
  const fileLab = loaded.lab;
  const runtime = await runtimeFor(options, Object.keys(fileLab.nodes));
  const instance = await resolveInstance(runtime, fileLab, options.instance);
  const key = instanceKey(fileLab.name, instance);
  // The host's routes may take a short-lived container (unless this process shares dockerd's
  // network namespace): read them while the lock is taken (the runtime keeps them for the
  // collision check; a failure here is met again there).
  if (instance === undefined) runtime.hostRoutes(key).catch(() => {});
  // A name just made up (--instance auto) is no one else's yet: nothing to wait for, no lock to take.
  const lock = options.instance === "auto" ? unshared(key) : await lockFor(runtime, key, { ...options, command: options.command ?? "up" });
  try {
    if (options.reconcile !== false && options.instance !== "auto" && (await isUp(runtime, key))) return await reconcileLocked(runtime, loaded, instance, lock, options);
    return await upLocked(runtime, fileLab, instance, lock, options);
  } catch (err) {
    // The engine may refuse this too: the error that ended up is the one to report.
    await lock.release().catch((release: unknown) => options.log?.(`could not release the lab's lock (${firstLine(release)}): it goes when this process ends`));
    throw err;
  }
}

/**
 * `up` with the lab's lock held. An instance chooses free blocks at random among those the
 * engine's networks and the host's routes leave, so zmqlab processes choosing at the same moment
 * rarely meet; Docker's pool check is the arbiter when they do (or when any other network takes
 * the block first), and the instance then chooses again.
 */
export async function upLocked(runtime: Runtime, fileLab: Lab, instance: string | undefined, lock: LockShare, options: UpOptions): Promise<RunningLab> {
  if (instance === undefined) return create(runtime, fileLab, { fileLab, relocations: [] }, lock, options);
  const log = options.log ?? (() => {});
  const avoid: Subnet[] = [];
  for (let attempt = 1; ; attempt++) {
    const placement = await placeInstance(runtime, fileLab, instance, avoid);
    log(`instance ${instance}: ${placement.relocations.map((r) => `${r.from} runs at ${r.to}`).join(", ")}`);
    avoid.push(...placement.relocations.map((r) => parseSubnet(r.to) as Subnet));
    try {
      return await create(runtime, instanceLab(fileLab, instance, placement.relocations), placement, lock, options);
    } catch (err) {
      if (attempt < 8 && /pool overlaps|overlaps with other/i.test(describe(err))) {
        log("another network took those subnets at the same moment: choosing again");
        continue;
      }
      throw err;
    }
  }
}

async function create(runtime: Runtime, lab: Lab, placement: Placement, lock: LockShare, options: UpOptions): Promise<RunningLab> {
  const log = options.log ?? (() => {});
  const timings: Record<string, number> = {};
  // Work the signal cut short goes on in the engine (a node's `run` commands, a container being
  // made): the lab is removed at once, which ends it, then it is awaited and the lab removed
  // again, for anything made in between (below).
  const cut: Promise<unknown>[] = [];
  const phase = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    if (options.signal?.aborted) throw new Cancelled();
    const started = performance.now();
    const done = work();
    const abort = whenAborted(options.signal);
    try {
      const result = await Promise.race([
        done,
        abort.aborted.then(() => {
          cut.push(done.catch(() => undefined));
          throw new Cancelled();
        }),
      ]);
      timings[name] = performance.now() - started;
      return result;
    } finally {
      abort.dispose();
    }
  };

  // The host's routes are read by a container labelled as this lab's (the read up started while
  // taking the lock): let it finish first, or clearing what a crash left below removes it mid-read.
  if (placement.instance === undefined) await runtime.hostRoutes(lab.name).catch(() => {});
  const [existing] = await runtime.listLabs(lab.name);
  // Networks alone are what a crashed run left: clear them. Containers mean the lab is up.
  if (existing && existing.containers.length === 0) await runtime.removeLab(lab.name);
  else if (existing) {
    throw new EnvironmentError(`Lab ${lab.name} is already up on this engine.`, `use it as it is (zmqlab check, zmqlab run), or remove it first: zmqlab down ${downTarget(placement)}`);
  }
  if (placement.instance === undefined) await checkCollisions(runtime, lab);
  const hosts = runtime.place?.(Object.keys(lab.nodes));
  const planOptions = {
    ...(hosts ? { hosts } : {}),
    ...(placement.instance !== undefined ? { instance: { name: placement.instance, labName: placement.fileLab.name, relocation: formatRelocations(placement.relocations) } } : {}),
  };
  let plan = planLab(lab, planOptions);
  if (plan.nodes.some((n) => n.defaultImage || n.build !== undefined)) {
    const image = await phase("image", () => runtime.nodeImage(log));
    // Nodes' own images derive from the node image: built after it, once per folder.
    const folders = [...new Set(plan.nodes.flatMap((n) => (n.build !== undefined ? [n.build] : [])))];
    const tags = await phase("build", () => Promise.all(folders.map((dir) => runtime.builtImage(dir, image, log))));
    // Only labs with dynamic routing build (once) and run the node image's FRR flavour.
    const frrImage = plan.nodes.some((n) => n.routing) ? await phase("frr-image", () => runtime.frrImage(image, log)) : undefined;
    plan = planLab(lab, { ...planOptions, image, ...(frrImage ? { frrImage } : {}), builds: Object.fromEntries(folders.map((dir, i) => [dir, tags[i]!])) });
  }
  const running = new RunningLab(lab, plan, runtime, timings, placement, lock, "down");
  try {
    log(`creating ${plan.networks.length} networks`);
    await phase("networks", () => settled(plan.networks.map((n) => runtime.createNetwork(plan, n))));
    options.onNetworks?.(plan);
    // Each node is configured as soon as it has started, not after the last one has.
    log(`creating ${plan.nodes.length} nodes, configuring each (addresses, routes) as soon as it runs`);
    const states = await phase("nodes", () => settled(running.nodes.map((n) => createConfigured(runtime, plan, n.plan, n.ipv6, log))));
    log("checking the kernel state");
    await phase("verify", async () => verify(plan, states));
    await phase("adjacencies", () => waitForAdjacencies(runtime, plan, { log, ...(options.signal ? { signal: options.signal } : {}) }));
    await stillRunning(runtime, plan);
    // The lock's container started meanwhile: handed over, the lab is guarded even against a SIGKILL.
    await lock.live();
    if (options.signal?.aborted) throw new Cancelled();
    return running;
  } catch (err) {
    // The engine may refuse the removal too: the cause is what to report, what is left is said beside it.
    const remove = () =>
      runtime.removeLab(lab.name).catch((removal: unknown) => log(`could not remove what was created (${firstLine(removal)}): zmqlab down ${downTarget(placement)} removes what is left`));
    await remove();
    if (cut.length > 0) {
      await Promise.all(cut);
      await remove();
    }
    throw options.signal?.aborted ? new Cancelled() : err;
  }
}

const firstLine = (err: unknown): string => describe(err).split("\n")[0]!;

/** How a user names this lab (and instance) to `zmqlab down`. */
const downTarget = (p: Placement): string => `${p.fileLab.name}${p.instance !== undefined ? ` --instance ${p.instance}` : ""}${clusterFlag()}`;

function verify(plan: LabPlan, states: KernelState[]): void {
  const all = plan.nodes.flatMap((node, i) => compareWithPlan(node, states[i]!).map((d) => `${node.name}: ${d}`));
  if (all.length > 0) throw new EnvironmentError(`The kernel state differs from the lab file:\n  ${all.join("\n  ")}`);
}
