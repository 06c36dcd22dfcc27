// Run a lab and judge it: bring it up (or use one that is up), drive its traffic with the flow
// counters zeroed first, read every forwarding node's counters, and evaluate the expectations.
import { connectEngine, type Engine } from "../engine/docker.js";
import { listLabs } from "../engine/resources.js";
import { endpointFailures, evaluate } from "../expect/index.js";
import type { ExpectationResult, Observations } from "../expect/types.js";
import { loadLab, type LoadedLab } from "../lab/load.js";
import { addressesOf } from "../lab/addresses.js";
import type { Lab } from "../lab/types.js";
import type { FlowCount } from "../observe/flows.js";
import { attach, up, type RunningLab } from "../provision/running.js";
import { runTraffic } from "../traffic/run.js";
import type { TrafficReport } from "../traffic/types.js";

/** The traffic report, the counters read after it, and every expectation's verdict. */
export interface LabReport extends TrafficReport {
  /** Whether every expectation holds and every endpoint started (true when the lab has no expectations and no endpoint broke). */
  ok: boolean;
  expectations: ExpectationResult[];
  /** Packets each forwarding node forwarded during the traffic, per (source, destination). */
  flows: Record<string, FlowCount[]>;
}

export interface CheckOptions {
  /** Progress lines (to stderr in the CLI). */
  log?: (line: string) => void;
  /** Aborting ends the traffic early and throws Cancelled (runLab then takes the lab down). */
  signal?: AbortSignal;
}

export interface RunOptions extends CheckOptions {
  /** Leave the lab up afterwards (it is taken down otherwise). */
  keep?: boolean;
  /**
   * When the lab is already up, use it as it is (and leave it up) instead of failing with
   * "already up". The CLI's `run` does this.
   */
  reuse?: boolean;
  engine?: Engine;
}

/** Each node's lab addresses, by the lab file. */
export function labAddresses(lab: Lab): Record<string, string[]> {
  return Object.fromEntries(Object.entries(lab.nodes).map(([name, node]) => [name, addressesOf(node)]));
}

/** Packet counters of every forwarding node, as they are now. */
export async function readFlows(lab: RunningLab): Promise<Record<string, FlowCount[]>> {
  const routers = lab.plan.nodes.filter((n) => n.forward).map((n) => n.name);
  const counts = await Promise.all(routers.map((r) => lab.flows(r)));
  return Object.fromEntries(routers.map((r, i) => [r, counts[i]!]));
}

/** Zero the counters, drive the lab's traffic, and read the counters: one run's observations. */
export async function observe(lab: RunningLab, options: CheckOptions = {}): Promise<Observations> {
  await lab.resetFlows();
  const traffic = await runTraffic(lab, options);
  const flows = await readFlows(lab);
  return { traffic, flows, addresses: labAddresses(lab.lab) };
}

/**
 * Judge observations against a lab's expectations, in the lab file's order, followed by a
 * failed built-in `endpoint` check for each endpoint that could not start. Pure.
 */
export function judge(lab: Lab, observations: Observations): LabReport {
  const expectations = [...evaluate(lab.expect, observations), ...endpointFailures(observations)];
  return { ...observations.traffic, ok: expectations.every((e) => e.ok), expectations, flows: observations.flows };
}

/**
 * Check a lab that is up, as it is now (someone may have changed it by hand): run its traffic
 * again, without provisioning anything, and evaluate its expectations.
 */
export async function check(lab: RunningLab, options: CheckOptions = {}): Promise<LabReport> {
  return judge(lab.lab, await observe(lab, options));
}

/** Bring a lab up, check it, and take it down (unless `keep`). */
export async function runLab(target: string | LoadedLab, options: RunOptions = {}): Promise<LabReport> {
  const loaded = typeof target === "string" ? loadLab(target) : target;
  const log = options.log ?? (() => {});
  const engine = options.engine ?? (await connectEngine());
  const wasUp = options.reuse ? (await listLabs(engine, loaded.lab.name)).length > 0 : false;
  const lab = wasUp ? await attach(loaded, { engine }) : await up(loaded, { engine, log, ...(options.signal ? { signal: options.signal } : {}) });
  if (wasUp) log(`lab ${lab.name} is already up: using it as it is (networks, nodes and routes are not re-applied from the file; zmqlab down first to start fresh)`);
  try {
    return await check(lab, { log, ...(options.signal ? { signal: options.signal } : {}) });
  } finally {
    if (!options.keep && !wasUp) await lab.down();
    else log(`lab ${lab.name} stays up; remove it with: zmqlab down ${loaded.file.replace(/\/lab\.ya?ml$/, "")}`);
  }
}
