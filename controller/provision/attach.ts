// A lab that is already up, found on the engine by its name (and instance): planned again with
// the placement and images it came up with, for tests and re-checks without provisioning.
import { EnvironmentError } from "../errors.js";
import type { LockShare } from "../engine/lock.js";
import type { LabResources, Runtime } from "../engine/runtime.js";
import { loadLab, type LoadedLab } from "../lab/load.js";
import { checkInstanceName, formatRelocations, instanceKey, instanceLab, parseRelocations } from "../lab/relocate.js";
import type { Lab } from "../lab/types.js";
import { planLab } from "../plan/plan.js";
import { lockFor, runtimeFor, type LabOptions } from "./lifecycle.js";
import { RunningLab } from "./running-lab.js";

/**
 * A lab that is up, for tests and re-checks without provisioning. It holds the lab's lock until
 * `down()` or `release()`; `await using` releases it at the block's end and leaves the lab up.
 */
export async function attach(target: string | LoadedLab, options: LabOptions = {}): Promise<RunningLab> {
  const loaded = typeof target === "string" ? loadLab(target) : target;
  const runtime = await runtimeFor(options, Object.keys(loaded.lab.nodes));
  const instance = options.instance === undefined ? undefined : checkInstanceName(options.instance);
  const lock = await lockFor(runtime, instanceKey(loaded.lab.name, instance), { ...options, command: options.command ?? "check" });
  try {
    return await attachLocked(runtime, loaded, instance, lock);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/** `attach` with the lab's lock held: every node of the file must be running. */
export async function attachLocked(runtime: Runtime, loaded: LoadedLab, instance: string | undefined, lock: LockShare): Promise<RunningLab> {
  const { lab: fileLab, file } = loaded;
  const key = instanceKey(fileLab.name, instance);
  await lock.live();
  const [found] = await runtime.listLabs(key);
  const expected = Object.keys(fileLab.nodes);
  const missing = expected.filter((n) => !found?.containers.some((c) => c.node === n && c.state === "running"));
  if (!found || found.containers.length === 0 || missing.length > 0) {
    const up = `zmqlab up ${file.replace(/\/lab\.ya?ml$/, "")}${instance !== undefined ? ` --instance ${instance}` : ""}`;
    throw new EnvironmentError(`Lab ${key} is not up${found?.containers.length ? ` (nodes not running: ${missing.join(", ")})` : ""}.`, `bring it up first: ${up}`);
  }
  return foundLab(runtime, fileLab, instance, found, lock, "release");
}

/** A lab found on the runtime, planned with the placement and images it came up with. */
export function foundLab(runtime: Runtime, fileLab: Lab, instance: string | undefined, found: LabResources, lock: LockShare, disposal: "down" | "release"): RunningLab {
  const relocations = parseRelocations(found.relocation);
  const lab = instance === undefined ? fileLab : instanceLab(fileLab, instance, relocations);
  // Planned with the images the nodes came up with: zmqlab's node image and the built ones.
  const imageOf = (node: string) => found.containers.find((c) => c.node === node)?.image;
  const defaultNode = Object.entries(fileLab.nodes).find(([, n]) => n.image === undefined && n.build === undefined && n.routing === undefined)?.[0];
  const image = defaultNode !== undefined ? imageOf(defaultNode) : undefined;
  const routingNode = Object.entries(fileLab.nodes).find(([, n]) => n.routing !== undefined)?.[0];
  const frrImage = routingNode !== undefined ? imageOf(routingNode) : undefined;
  const builds = Object.fromEntries(Object.entries(fileLab.nodes).flatMap(([name, n]) => (n.build !== undefined && imageOf(name) ? [[n.build, imageOf(name)!]] : [])));
  const planOptions = instance !== undefined ? { instance: { name: instance, labName: fileLab.name, relocation: formatRelocations(relocations) } } : {};
  const hosts = Object.fromEntries(found.containers.flatMap((c) => (c.host !== undefined ? [[c.node, c.host]] : [])));
  const plan = planLab(lab, { ...planOptions, ...(Object.keys(hosts).length ? { hosts } : {}), builds, ...(image ? { image } : {}), ...(frrImage ? { frrImage } : {}) });
  return new RunningLab(lab, plan, runtime, {}, { fileLab, ...(instance !== undefined ? { instance } : {}), relocations }, lock, disposal);
}
