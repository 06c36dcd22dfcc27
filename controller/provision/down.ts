// Remove a lab from the engine, by its file or by its name (and instance).
import { existsSync } from "node:fs";
import { loadLab, type LoadedLab } from "../lab/load.js";
import { checkInstanceName, instanceKey } from "../lab/relocate.js";
import { lockFor, runtimeFor, type LabOptions } from "./lifecycle.js";

/** What `down` removed; `found` is false when the engine had nothing of the lab (`lab`: its key). */
export interface Removed {
  lab: string;
  found: boolean;
  containers: number;
  networks: number;
}

/** Whether a command's LAB names a lab file or folder, rather than a lab on the engine by its name. */
export function namesLabFile(target: string): boolean {
  return existsSync(target) || target.includes("/") || /\.ya?ml$/.test(target);
}

/**
 * Remove a lab by its file or by its name (and instance); idempotent (a lab that is not up is
 * `found: false`). It waits while another zmqlab process uses the lab, and clears the lock a
 * killed one left.
 */
export async function down(target: string | LoadedLab, options: LabOptions = {}): Promise<Removed> {
  const name = typeof target !== "string" ? target.lab.name : namesLabFile(target) ? loadLab(target).lab.name : target;
  const runtime = await runtimeFor(options);
  const key = instanceKey(name, options.instance === undefined ? undefined : checkInstanceName(options.instance));
  const [found] = await runtime.listLabs(key);
  if (!found) return { lab: key, found: false, containers: 0, networks: 0 };
  const lock = await lockFor(runtime, key, { ...options, command: options.command ?? "down" });
  try {
    await lock.live();
    return { lab: key, found: true, ...(await runtime.removeLab(key)) };
  } finally {
    await lock.release();
    // The lab is gone: a RunningLab of this process that still holds its lock has nothing to guard.
    await runtime.dropLock(key);
    await runtime.removeStaleLocks(key);
  }
}
