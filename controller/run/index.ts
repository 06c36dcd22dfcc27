// Run a lab and judge it: bring it up (or use one that is up), drive its traffic with the flow
// counters zeroed first, read every forwarding node's counters, and evaluate the expectations.
import Type, { type Static } from "typebox";
import { clusterFlag, connectRuntime } from "../engine/connect.js";
import type { Runtime } from "../engine/runtime.js";
import { captureFailures, endpointFailures, evaluate, faultFailures, phasesOf } from "../expect/index.js";
import { LabCapture } from "../capture/session.js";
import { captureSettings, type CaptureOptions } from "../capture/settings.js";
import { CAPTURE_REPORT } from "../capture/types.js";
import { PHASE, scopeOf } from "../expect/phases.js";
import type { PhaseScope } from "../expect/registry.js";
import { EXPECTATION_RESULT, type ExpectationResult, type Observations } from "../expect/types.js";
import { loadLab, type LoadedLab } from "../lab/load.js";
import { addressesOf } from "../lab/addresses.js";
import type { Lab } from "../lab/types.js";
import type { FlowCount } from "../observe/flows.js";
import type { LabPlan } from "../plan/types.js";
import { readCounters } from "../observe/counters.js";
import { attachLocked } from "../provision/attach.js";
import { isUp, lockFor, runtimeFor, unshared } from "../provision/lifecycle.js";
import { resolveInstance, type Placement } from "../provision/placement.js";
import type { RunningLab } from "../provision/running-lab.js";
import { upLocked } from "../provision/up.js";
import { instanceKey, reverse, translateText, type Relocation } from "../lab/relocate.js";
import { trafficSession } from "../traffic/session.js";
import type { Snapshot, TrafficReport } from "../traffic/types.js";
import { FLOW_COUNT } from "../observe/flows.js";
import { RELOCATION } from "../lab/relocate.js";
import { TRAFFIC_REPORT } from "../traffic/types.js";

/** The traffic report, the counters read after it, and every expectation's verdict. */
export const LAB_REPORT = Type.Object(
  {
    ...TRAFFIC_REPORT,
    ok: Type.Boolean({ description: "Every expectation holds, every endpoint started and every fault ran (true when the lab has no expectations and nothing broke)." }),
    expectations: Type.Array(EXPECTATION_RESULT),
    flows: Type.Record(Type.String(), Type.Array(FLOW_COUNT), {
      description:
        "Forwarding node name to the packets it forwarded during the traffic, per (source, destination), from the nftables counters zmqlab installs. Every forwarding node is a key, except those in flowsUnavailable.",
    }),
    flowsUnavailable: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description:
          "Forwarding nodes whose counters could not be read after the traffic (stopped, paused, removed, or the read failed), with why. An expectation that reads them (via, not, over) fails.",
      }),
    ),
    instance: Type.Optional(
      Type.Object(
        { name: Type.String(), lab: Type.String(), relocations: Type.Array(RELOCATION) },
        {
          additionalProperties: false,
          description:
            "Present when the run was an instance (--instance): the lab file's name, the instance, and where the lab's address blocks were moved. Endpoints, peers and flows carry the addresses the instance ran at; `lab` and the expectations' `description` are the lab file's.",
        },
      ),
    ),
    phases: Type.Optional(Type.Array(PHASE, { description: "Present when faults ran: the run cut at each fault, in time order, with what each phase counted." })),
    hosts: Type.Optional(Type.Record(Type.String(), Type.String(), { description: "Present when the lab ran across a cluster (--cluster): the host (a cluster file's name) each node ran on." })),
    capture: Type.Optional(CAPTURE_REPORT),
  },
  { additionalProperties: false },
);
export type LabReport = Static<typeof LAB_REPORT>;

export interface CheckOptions {
  /** Progress lines (to stderr in the CLI). */
  log?: (line: string) => void;
  /** Aborting ends the traffic early and throws Cancelled (`run` then takes the lab down). */
  signal?: AbortSignal;
  /**
   * Awaited just before each fault runs (see TrafficOptions.atFault): with it, faults run when it
   * returns and may land late; without it, they are armed ahead and land on time.
   */
  atFault?: (name: string) => Promise<void> | void;
  /**
   * The lab was created just now, for this check, and nothing has run in it since (`run`): no
   * node can have been restarted since `up`, and its counters start at zero. Otherwise running
   * nodes restarted since (a fresh network namespace) are configured again before the traffic,
   * and the counters are zeroed.
   */
  justCreated?: boolean;
  /**
   * Record every network of the lab during the run (default: as the lab file's settings say, else
   * `failed`: recorded, and the files kept when the run fails). See docs/reports.md.
   */
  capture?: CaptureOptions;
  /** A capture already recording the lab (runLab starts it as the networks come up). */
  recording?: LabCapture;
}

export interface RunOptions extends CheckOptions {
  /** Leave the lab up afterwards (it is taken down otherwise). */
  keep?: boolean;
  /**
   * When the lab is already up and no zmqlab process uses it (left up by `up` or `run --keep`),
   * use it as it is (and leave it up) instead of failing with "already up". The CLI's `run`
   * does this. A lab another process is using is waited for, never shared.
   */
  reuse?: boolean;
  /** The engine to use (default: the one DOCKER_HOST names). */
  runtime?: Runtime;
  /** A cluster file: run the lab across its engines (default $ZMQLAB_CLUSTER). */
  cluster?: string;
  /** Run a separate copy (see LabOptions.instance); `auto` picks a unique name. */
  instance?: string;
  /** How long to wait while another zmqlab process uses the lab (ms; default 10 minutes). */
  wait?: number;
  /**
   * Called with the report as soon as it is judged, before the lab is taken down: reports
   * written here survive a teardown that fails.
   */
  onReport?: (report: LabReport) => void | Promise<void>;
}

/** Each node's lab addresses, by the lab file. */
export function labAddresses(lab: Lab): Record<string, string[]> {
  return Object.fromEntries(Object.entries(lab.nodes).map(([name, node]) => [name, addressesOf(node)]));
}

/** Zero the counters, drive the lab's traffic, and read the counters: one run's observations. */
export async function observe(lab: RunningLab, options: CheckOptions = {}): Promise<Observations> {
  if (!options.justCreated) await bringBack(lab, options.log ?? (() => {}));
  // Zeroed before any endpoint starts: the counters cover the whole traffic phase, programs too.
  // Not needed on a lab created just now of zmqlab's image alone, without routing daemons: its
  // counters started at zero, and nothing has run in its nodes but zmqlab's configure (another
  // image's own program, or a daemon's session, may have crossed a router already).
  const quiet = options.justCreated && lab.plan.nodes.every((n) => n.defaultImage && !n.routing);
  if (!quiet) await lab.resetFlows();
  const { report: traffic, outputs, snapshots } = await trafficSession(lab, options);
  const { flows, unavailable } = await readCounters(lab, traffic.interrupted);
  return { traffic, flows, addresses: labAddresses(lab.lab), outputs, ...(Object.keys(unavailable).length ? { flowsUnavailable: unavailable } : {}), ...faultsObserved(traffic, snapshots) };
}

/**
 * A node restarted by hand since `up` (Docker's default route back, its addresses, routes and
 * counters gone) is configured from the plan again before the traffic, so it counts as back as
 * declared. A node that kept its namespace is left as it is, even when it differs (a route deleted
 * by hand to see an expectation fail); so are stopped or paused nodes: the run reports them.
 */
async function bringBack(lab: RunningLab, log: (line: string) => void): Promise<void> {
  const states = await Promise.all(lab.nodes.map((n) => n.status()));
  await Promise.all(
    lab.nodes.map(async (n, i) => {
      if (states[i]!.state !== "running") return;
      const differences = await n.reconfigure({ onlyRestarted: true });
      if (differences.length > 0) log(`${n.name}: configured again before the traffic (${differences.join("; ")})`);
    }),
  );
}

/** Spec keys that name forwarding nodes whose counters an expectation reads. */
const COUNTER_NODE_KEYS = ["via", "not", "over"];

/**
 * A verdict that rests on counters that could not be read cannot hold: `path ... not: r1` with
 * r1's counters unavailable says nothing about r1. Such an expectation fails, saying why.
 */
function withoutUnavailableCounters(result: ExpectationResult, observations: Observations): ExpectationResult {
  // An expectation scoped to a phase (before/after/between a fault) is judged from the counters
  // snapshotted at the faults, not from the final reading: what could not be read is what was
  // running but unread at its faults.
  const scope = scopeOf(result.spec as PhaseScope);
  const unavailable = scope
    ? (Object.assign({}, ...[scope.from, scope.to].map((f) => (f === undefined ? {} : (observations.snapshots?.[f]?.unread ?? {})))) as Record<string, string>)
    : (observations.flowsUnavailable ?? {});
  const named = [...new Set(COUNTER_NODE_KEYS.flatMap((k) => [result.spec[k]].flat()).filter((n): n is string => typeof n === "string" && n in unavailable))];
  if (named.length === 0) return result;
  const why = named.map((n) => `the counters of ${n} could not be read (${unavailable[n]})`).join("; ");
  return {
    ...result,
    ok: false,
    observed: `${result.observed} (unavailable: ${named.join(", ")})`,
    // Whatever it said besides rests on counters nobody read (a node missing from them looks like one that forwarded nothing).
    message: `cannot be judged: ${why}`,
    evidence: { ...result.evidence, unavailable: named },
  };
}

/**
 * Judge observations against a lab's expectations, in the lab file's order, followed by a
 * failed built-in `endpoint` check for each endpoint that could not start. Pure.
 */
export function judge(lab: Lab, observations: Observations, placement?: Placement): LabReport {
  const relocated = placement?.instance !== undefined && placement.relocations.length > 0;
  const back = relocated ? reverse(placement.relocations) : [];
  // An instance is judged at its actual addresses, and named by the lab file (its name, its
  // addresses), so that every run's report names the same checks: CI keeps one history per
  // test case. The actual addresses stay beside them.
  const judged = evaluate(lab.expect, observations).map((e) => withoutUnavailableCounters(e, observations));
  const expectations = [...judged, ...endpointFailures(observations), ...faultFailures(observations), ...captureFailures(judged, observations)].map((e) => {
    const description = translateText(e.description, back);
    return description !== e.description ? { ...e, description, actual: { description: e.description } } : e;
  });
  return {
    ...observations.traffic,
    ...(placement?.instance !== undefined ? { lab: placement.fileLab.name } : {}),
    ok: expectations.every((e) => e.ok),
    expectations,
    flows: observations.flows,
    ...(observations.flowsUnavailable ? { flowsUnavailable: observations.flowsUnavailable } : {}),
    ...(observations.faults ? { phases: phasesOf(observations) } : {}),
    ...(placement?.instance !== undefined ? { instance: { name: placement.instance, lab: placement.fileLab.name, relocations: placement.relocations } } : {}),
  };
}

/**
 * Check a lab that is up, as it is now (someone may have changed it by hand): run its traffic
 * again, without provisioning anything, and evaluate its expectations.
 */
export async function check(lab: RunningLab, options: CheckOptions = {}): Promise<LabReport> {
  const settings = captureSettings(lab.lab.settings, options.capture ?? {}, lab.plan.lab);
  const capture = options.recording ?? (settings.mode !== "off" ? await LabCapture.start(lab.runtime, lab.plan, settings, options.log) : undefined);
  try {
    const observations = await observe(lab, options);
    const observed = await capture?.observe(observations.traffic);
    const report = judge(lab.lab, { ...observations, ...(observed ? { capture: observed } : {}) }, lab);
    const hosts = hostsOf(lab.plan.nodes);
    const recorded = capture ? { capture: await capture.finish(observations.traffic, report.expectations, report.ok, observed) } : {};
    return { ...report, ...(hosts ? { hosts } : {}), ...recorded };
  } finally {
    await capture?.remove();
  }
}

/** Each node's host, when the lab runs on a cluster. */
export function hostsOf(nodes: { name: string; host?: string }[]): Record<string, string> | undefined {
  const placed = nodes.flatMap((n) => (n.host !== undefined ? [[n.name, n.host] as const] : []));
  return placed.length ? Object.fromEntries(placed) : undefined;
}

/** Bring a lab up, check it, and take it down (unless `keep`): the CLI's `zmqlab run`. */
export async function run(target: string | LoadedLab, options: RunOptions = {}): Promise<LabReport> {
  const loaded = typeof target === "string" ? loadLab(target) : target;
  const log = options.log ?? (() => {});
  const runtime = await runtimeFor(options, Object.keys(loaded.lab.nodes));
  const instance = await resolveInstance(runtime, loaded.lab, options.instance);
  const key = instanceKey(loaded.lab.name, instance);
  const signal = options.signal ? { signal: options.signal } : {};
  // A name just made up (--instance auto) is no one else's yet: nothing to wait for, no lock to take.
  const lock = options.instance === "auto" ? unshared(key) : await lockFor(runtime, key, { command: "run", log, ...signal, ...(options.wait !== undefined ? { wait: options.wait } : {}) });
  let lab: RunningLab | undefined;
  let wasUp = false;
  // Recording starts as soon as the networks exist, while the nodes are made: it costs the run no time of its own.
  const settings = captureSettings(loaded.lab.settings, options.capture ?? {}, key);
  let recording: Promise<LabCapture> | undefined;
  // On a cluster an overlay's namespace (where it is recorded) exists on an engine only once a node there joined it: check starts the capture then.
  const onNetworks =
    settings.mode === "off" ? undefined : (plan: LabPlan) => void (plan.nodes.some((n) => n.host !== undefined) ? undefined : (recording = LabCapture.start(runtime, plan, settings, log)));
  try {
    wasUp = options.reuse ? await isUp(runtime, key) : false;
    lab = wasUp ? await attachLocked(runtime, loaded, instance, lock) : await upLocked(runtime, loaded.lab, instance, lock, { log, ...signal, ...(onNetworks ? { onNetworks } : {}) });
    if (wasUp) log(`lab ${lab.name} is already up: using it as it is (networks, nodes and routes are not re-applied from the file; zmqlab down first to start fresh)`);
    const report = await check(lab, { log, ...signal, justCreated: !wasUp, ...(options.capture ? { capture: options.capture } : {}), ...(recording ? { recording: await recording } : {}) });
    await options.onReport?.(report);
    return report;
  } finally {
    // A capture that started while `up` failed (check removes one it was given).
    if (recording && !lab) await (await recording).remove();
    if (lab && !options.keep && !wasUp) await lab.down();
    else if (lab) log(`lab ${lab.name} stays up; remove it with: zmqlab down ${loaded.file.replace(/\/lab\.ya?ml$/, "")}${instance !== undefined ? ` --instance ${instance}` : ""}${clusterFlag()}`);
    await lock.release();
  }
}

/** `run`, by its former name. */
export const runLab = run;

/**
 * When each fault took effect, for the phases (ms since time 0). A fault that failed did not
 * happen as the lab says: phases that name it are not judged (and its own check fails the run).
 */
export function faultsObserved(traffic: TrafficReport, snapshots: Record<string, Snapshot>): Pick<Observations, "faults" | "snapshots"> {
  const faults: Record<string, number> = {};
  for (const f of traffic.faults ?? []) if (f.ok && f.actualMs !== undefined) faults[f.name] = f.actualMs;
  return Object.keys(faults).length === 0 ? {} : { faults, snapshots };
}
