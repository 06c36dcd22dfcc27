// `up` on a lab that is already up: make it match its file again. Nodes the engine stopped are
// started, paused ones unpaused, and every node whose kernel differs from its plan (a restarted
// one: Docker's default route back, no counters) is configured again. A lab whose nodes or
// networks differ from the file's is refused: repairing cannot add or remove them.
import { EnvironmentError } from "../errors.js";
import type { LockShare } from "../engine/lock.js";
import type { LabResources, Runtime } from "../engine/runtime.js";
import type { LoadedLab } from "../lab/load.js";
import { instanceKey } from "../lab/relocate.js";
import type { LabPlan } from "../plan/types.js";
import { foundLab } from "./attach.js";
import { settled, stillRunning, type UpOptions } from "./lifecycle.js";
import type { RunningLab } from "./running-lab.js";

export async function reconcileLocked(runtime: Runtime, loaded: LoadedLab, instance: string | undefined, lock: LockShare, options: UpOptions = {}): Promise<RunningLab> {
  const log = options.log ?? (() => {});
  const key = instanceKey(loaded.lab.name, instance);
  await lock.live();
  const [found] = await runtime.listLabs(key);
  if (!found || found.containers.length === 0) throw new EnvironmentError(`Lab ${key} is not up.`, `bring it up: zmqlab up ${loaded.file}`);
  // Brought up by `up` all the same: disposing it takes it down.
  const lab = foundLab(runtime, loaded.lab, instance, found, lock, "down");
  const structural = structureDifferences(lab.plan, found);
  if (structural.length > 0) {
    throw new EnvironmentError(
      `Lab ${key} is up, but not as its file declares it: ${structural.join("; ")}.`,
      `repairing can start nodes and configure them again, not add or remove nodes and networks: take it down and bring it up again (zmqlab down ${loaded.file}${instance !== undefined ? ` --instance ${instance}` : ""}, then zmqlab up)`,
    );
  }
  log(`lab ${key} is up already: checking it against ${loaded.file}`);
  const repairs: string[] = [];
  await settled(
    lab.nodes.map(async (node) => {
      const state = found.containers.find((c) => c.node === node.name)!.state;
      if (state === "paused") await node.act("unpause");
      else if (state !== "running") await node.act("start");
      if (state !== "running") repairs.push(`${node.name}: ${state === "paused" ? "unpaused" : "started"} (it was ${state})`);
      const differences = await node.reconfigure();
      if (differences.length > 0) repairs.push(`${node.name}: configured again (${differences.join("; ")})`);
    }),
  );
  await stillRunning(runtime, lab.plan);
  lab.repairs = repairs.sort();
  lab.reconciled = true;
  return lab;
}

/** Nodes and networks of the plan the engine lacks or has beyond it, and nodes on other networks. */
function structureDifferences(plan: LabPlan, found: LabResources): string[] {
  const result: string[] = [];
  const nodes = found.containers.map((c) => c.node);
  const planned = plan.nodes.map((n) => n.name);
  const missingNodes = planned.filter((n) => !nodes.includes(n));
  const extraNodes = nodes.filter((n) => !planned.includes(n));
  if (missingNodes.length) result.push(`the file declares nodes it lacks (${missingNodes.join(", ")})`);
  if (extraNodes.length) result.push(`it has nodes the file does not declare (${extraNodes.join(", ")})`);
  const networks = found.networks.map((n) => n.network);
  const missingNetworks = plan.networks.filter((n) => !networks.includes(n.name)).map((n) => n.name);
  const extraNetworks = networks.filter((n) => !plan.networks.some((p) => p.name === n));
  // The lab's names for the engine's networks a node is attached to (another network keeps the engine's name).
  const labNetwork = (attached: string) => found.networks.find((n) => n.name === attached)?.network ?? attached;
  if (missingNetworks.length) result.push(`the file declares networks it lacks (${missingNetworks.join(", ")})`);
  if (extraNetworks.length) result.push(`it has networks the file does not declare (${extraNetworks.join(", ")})`);
  for (const node of plan.nodes) {
    const container = found.containers.find((c) => c.node === node.name);
    if (!container) continue;
    const want = node.interfaces
      .map((i) => i.network)
      .sort()
      .join(", ");
    const have = container.networks.map(labNetwork).sort().join(", ");
    // A stopped container lists no networks: its attachments are checked once it runs.
    if (container.state === "running" && want !== have) result.push(`node ${node.name} is on ${have || "no network"}, the file says ${want}`);
  }
  return result;
}
