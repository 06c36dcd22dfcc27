// Faults at their times during the traffic phase: each planned fault is run by one executor,
// after the `atFault` hook, and recorded with when it really happened and whether it worked.
import { EnvironmentError } from "../errors.js";
import { describe } from "../engine/docker.js";
import { planFault, type InterfaceNames } from "../plan/faults.js";
import type { FaultPlan } from "../plan/types.js";
import { commandFailed, kernelHint, type RunningLab } from "../provision/running.js";

/** One fault as it happened. */
export interface FaultEvent {
  name: string;
  /** When it was planned, ms after the traffic phase started. */
  atMs: number;
  /** When it was executed (its action done), ms after the traffic phase started. */
  executedAtMs: number;
  /** Date.now() when it was executed. */
  wallTime: number;
  ok: boolean;
  /** Why it failed (a command's exit code and output, the engine's answer). */
  error?: string;
}

/** Called just before each fault runs (after waiting for its time); the fault waits for it. */
export type FaultHook = (name: string) => Promise<void> | void;

const NETEM_PROBE = ["tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"];

/**
 * Before any traffic: a delay fault needs netem in its node's kernel. Probed on the node's
 * loopback (and removed at once), so a kernel without it ends the run with exit 3 and the same
 * words as a netem command in a lab file, rather than a failed fault in the middle.
 */
export async function checkNetem(lab: RunningLab): Promise<void> {
  const nodes = [...new Set((lab.plan.faults ?? []).flatMap((f) => (f.netem ? [f.netem] : [])))];
  await Promise.all(
    nodes.map(async (node) => {
      const result = await lab.exec(node, NETEM_PROBE);
      const faults = (lab.plan.faults ?? []).filter((f) => f.netem === node).map((f) => f.name);
      if (result.exitCode !== 0) throw commandFailed(lab.node(node), NETEM_PROBE, `fault ${faults.join(", ")} delays packets with netem: probed before the traffic`, result.exitCode, result.stderr.trim() || result.stdout.trim());
      await lab.exec(node, ["tc", "qdisc", "del", "dev", "lo", "root"]);
    }),
  );
}

/** The faults of a running lab, run in time order from `t0` (performance.now()) until done or stopped. */
export class FaultRunner {
  readonly events: FaultEvent[] = [];
  readonly done: Promise<FaultEvent[]>;
  private stopped = false;
  private wake: (() => void) | undefined;

  constructor(private readonly lab: RunningLab, private readonly t0: number, private readonly hook: FaultHook = () => {}, private readonly log: (line: string) => void = () => {}) {
    this.done = this.runAll();
  }

  /** No fault starts after this (one that runs is finished). */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private async runAll(): Promise<FaultEvent[]> {
    for (const fault of this.lab.plan.faults ?? []) {
      await this.until(fault.atMs);
      if (this.stopped) break;
      let error: string | undefined;
      try {
        await this.hook(fault.name);
      } catch (err) {
        error = `the atFault hook failed: ${describe(err)}`;
      }
      try {
        await executeFault(this.lab, fault);
      } catch (err) {
        error = [error, err instanceof EnvironmentError ? err.message : describe(err)].filter(Boolean).join("; ");
      }
      const executedAtMs = Math.round(performance.now() - this.t0);
      this.events.push({ name: fault.name, atMs: fault.atMs, executedAtMs, wallTime: Date.now(), ok: error === undefined, ...(error !== undefined ? { error } : {}) });
      this.log(`fault ${fault.name} at ${executedAtMs} ms: ${fault.description}${error !== undefined ? ` FAILED: ${error}` : ""}`);
    }
    return this.events;
  }

  private until(atMs: number): Promise<void> {
    const wait = this.t0 + atMs - performance.now();
    if (wait <= 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, wait);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/**
 * Run one fault: the engine action (a start or restart then reconfigures the node from its plan
 * before the fault counts as done), then its commands, planned again with the kernel's current
 * interface names (a restart may have renamed them). Throws when any part fails.
 */
export async function executeFault(lab: RunningLab, planned: FaultPlan): Promise<void> {
  if (planned.engine) await lab.nodeAction(planned.engine.node, planned.engine.action);
  if (planned.reconfigure) await lab.reconfigure(planned.reconfigure);
  if (planned.steps.length === 0) return;
  const fault = lab.lab.faults?.[planned.name];
  let plan = planned;
  if (fault?.network !== undefined && fault.node !== undefined) {
    const interfaces = await lab.interfaces(fault.node);
    const names: InterfaceNames = (node, network) => (node === fault.node ? interfaces.find((i) => i.altnames.includes(network))?.name : undefined) ?? network;
    plan = planFault(lab.lab, lab.plan, planned.name, names);
  }
  const failures = await Promise.all(plan.steps.map(async (step) => ({ node: step.node, failed: await lab.apply(step.node, step.commands) })));
  const failed = failures.filter((f) => f.failed);
  if (failed.length > 0) {
    throw new Error(failed.map(({ node, failed: f }) => `in node ${node}, \`${f!.argv.join(" ")}\` (${f!.why}) failed with exit code ${f!.exitCode}${f!.output ? `: ${f!.output}` : ""}${/netem/.test(f!.argv.join(" ")) ? ` (${kernelHint(f!.argv, f!.output)})` : ""}`).join("; "));
  }
}
