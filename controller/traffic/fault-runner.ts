// The lab's faults at their times. Nothing that must happen at a moment waits for a round trip
// started at that moment:
// - commands in nodes (a link down, loss, an exec; a stop's cut) are armed in each node before
//   the traffic starts (armed.ts) and run at their moment by the node's own clock, started ahead
//   by what a command takes there;
// - a start of a node of zmqlab's image begins seconds ahead, and the node itself keeps off its
//   networks until the moment (held-start.ts); other engine actions start ahead by their latency
//   on this engine (engine-latency.ts), their effect read back from the engine;
// - the routers' counters are read, armed too, around each fault; a phase takes the last reading before its moment.
// A fault's actual time, recorded beside the plan, is when it had surely taken effect: the node
// cut off or joined, the engine's record, its answer to a pause, the end of a node's commands.
// Faults on one node run in order; a start or restart is done once the node is configured and armed anew.
import { describe } from "../engine/docker.js";
import type { ActionEffect } from "../engine/runtime.js";
import { EnvironmentError } from "../errors.js";
import { parseFlowSet } from "../observe/flows.js";
import type { Command, FaultPlan, NodeAction } from "../plan/types.js";
import type { RunningLab } from "../provision/running-lab.js";
import { wallNow } from "./agent.js";
import type { ListRun } from "./armed.js";
import { ArmedNodes, cutKey, runNow } from "./armed-nodes.js";
import { engineLead, heldStartLead, learnLatency } from "./engine-latency.js";
import { isHeldStart, joined, ownRelease } from "./held-start.js";
import { effectCount, effectEnd, faultEvents, faultLine, NOT_RUN, stepFailure, waitedFor, type Chain, type Outcome } from "./fault-outcomes.js";
import { readRouters, snapshotAt, type Reading } from "./fault-readings.js";
import type { EndedBy, FaultEvent, Snapshot } from "./types.js";
import { Waits } from "./waits.js";

/** Called just before each fault runs (at its time); the fault waits for it, and may then land late. */
export type FaultHook = (name: string) => Promise<void> | void;

/** What the runner tells the traffic session. */
export interface FaultContext {
  lab: RunningLab;
  log: (line: string) => void;
  /** The caller's hook (see FaultHook); without one, faults are armed and land on time. */
  hook?: FaultHook;
  /** Every agent reports its progress now: the counts at the fault. */
  checkpoint(): void;
  /** A fault stopped, restarted or paused a node (at `ended.atMs`, ms since the epoch here). */
  nodeDown(node: string, ended: EndedBy): void;
  /** A fault started or restarted a node, and it is configured again: its endpoints run again. */
  nodeBack(node: string, fault: string): Promise<void>;
}

/** How long before its time a reading of the counters starts (ms). */
const READ_AHEAD_MS = 8;
/**
 * A fault's commands go to their nodes this long before their time, and each node waits for the
 * moment itself: an exec's input takes 5-40 ms to reach a node, hundreds on a busy engine.
 */
const SEND_AHEAD_MS = 300;
/** A router's reading before a fault ends this long before the fault's commands begin there (ms). */
const READ_MARGIN_MS = 2;
/**
 * How long a stop or restart waits for its cut's answer before the engine acts anyway (ms). The
 * node is off its networks from the cut on, so the wait moves nothing but the moment its processes
 * die; and the answer carries the router's last counters, which a kill arriving first would lose.
 */
const CUT_ANSWER_MS = 5_000;

export class FaultRunner {
  private readonly faults: FaultPlan[];
  private readonly armed: ArmedNodes;
  private readonly condition = new Map<string, "running" | "stopped" | "paused">();
  private readonly outcomes = new Map<string, Outcome>();
  private readonly readings = new Map<string, Map<string, Reading[]>>();
  private readonly waits = new Waits();
  private readonly fired = new Set<string>();
  private t0 = 0;
  done: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: FaultContext) {
    this.faults = ctx.lab.plan.faults ?? [];
    this.armed = new ArmedNodes(ctx.lab);
  }

  private get stopped(): boolean {
    return this.waits.stopped;
  }

  private get lab(): RunningLab {
    return this.ctx.lab;
  }

  private routers(): string[] {
    return this.lab.plan.nodes.filter((n) => n.forward).map((n) => n.name);
  }

  /** How long before time 0 the first fault's work must start (an engine action at 0 s starts early; a held start needs a plain one's lead). */
  leadBeforeStart(): number {
    return Math.max(0, ...this.faults.map((f) => (isHeldStart(this.lab, f, !!this.ctx.hook) ? engineLead("start") : this.lead(f)) + READ_AHEAD_MS - f.atMs));
  }

  /** How long before its time a fault's work starts: an engine action's latency, or sending its commands ahead. */
  private lead(fault: FaultPlan): number {
    if (this.ctx.hook) return fault.engine ? engineLead(fault.engine.action) : 0;
    if (fault.engine) return fault.engine.cut ? SEND_AHEAD_MS : isHeldStart(this.lab, fault, false) ? heldStartLead() : engineLead(fault.engine.action);
    return SEND_AHEAD_MS;
  }

  private commandMs(node: string): number {
    return this.armed.commandMs(node);
  }

  /** Arm every node that has commands to run at a fault, and every router (its counters are read at each fault). */
  async arm(): Promise<void> {
    if (this.ctx.hook) return; // with a hook, each fault runs when the hook returns: nothing to arm
    const nodes = new Set([...this.faults.flatMap((f) => [...f.steps.map((s) => s.node), ...(f.engine?.cut ? [f.engine.node] : [])]), ...this.routers()]);
    await Promise.all([...nodes].map((node) => this.armed.arm(node, this.faults)));
  }

  /** Run every fault at time 0 (`t0`, ms since the epoch) plus its `atMs`. */
  start(t0: number): void {
    this.t0 = t0;
    // Faults on one node run in the timeline's order, whatever their leads: each waits for the
    // one before it on any of its nodes (a command waits for a start: configured and armed again).
    const chains = new Map<string, Chain>();
    this.done = Promise.all(
      this.faults.map((fault) => {
        const nodes = [...new Set([...(fault.engine ? [fault.engine.node] : []), ...fault.steps.map((s) => s.node)])];
        const earlier = nodes.flatMap((n) => chains.get(n) ?? []);
        const over = this.run(fault, earlier).then(() => wallNow());
        for (const node of nodes) chains.set(node, { fault: fault.name, node, over });
        return over;
      }),
    ).then(() => undefined);
  }

  /** No fault starts after this (one that runs is finished); the armed processes end. */
  async stop(): Promise<void> {
    this.waits.stop();
    await this.done;
    this.armed.close();
  }

  /** Each fault as it happened, times since time 0. */
  events(): FaultEvent[] {
    return faultEvents(this.faults, this.outcomes, this.t0);
  }

  /** The routers' counters at each fault that took effect: per router, the last reading before that moment. */
  snapshots(): Record<string, Snapshot> {
    const result: Record<string, Snapshot> = {};
    for (const fault of this.faults) {
      const actual = this.outcomes.get(fault.name)?.actual;
      const readings = this.readings.get(fault.name);
      if (actual !== undefined && readings) result[fault.name] = snapshotAt(fault.name, actual, readings, this.t0);
    }
    return result;
  }

  private async run(fault: FaultPlan, earlier: Chain[]): Promise<void> {
    const due = this.t0 + fault.atMs;
    const begin = due - this.lead(fault) - READ_AHEAD_MS;
    await this.waits.until(begin);
    const waited = await waitedFor(earlier, begin);
    if (this.stopped) return;
    const outcome: Outcome = waited ? { waitedFor: waited } : {};
    this.outcomes.set(fault.name, outcome);
    if (this.ctx.hook) {
      await this.waits.until(due);
      try {
        await this.ctx.hook(fault.name);
      } catch (err) {
        outcome.error = `the atFault hook failed: ${describe(err)}`;
      }
    }
    this.fired.add(fault.name);
    let effect: { stop(): void; done: Promise<void> };
    const cut = fault.engine?.cut && !this.ctx.hook && this.armed.has(fault.engine.node, cutKey(fault.name)) ? fault.engine : undefined;
    if (cut) {
      // A stop or restart with its cut armed: the node cuts itself off at the moment (started
      // ahead by what a command takes there) and, a router, reads its counters then; the other
      // routers read just before; the engine acts once the cut answered.
      const start = due - this.commandMs(cut.node);
      void this.waits.until(start - READ_AHEAD_MS).then(() => this.stopped || this.ctx.checkpoint());
      effect = this.read(fault.name, (router) => due - this.commandMs(router) - READ_MARGIN_MS, cut.node);
      const off = await Promise.race([this.runStep(cutKey(fault.name), cut.node, cut.cut!, start), this.waits.sleep(start - wallNow() + CUT_ANSWER_MS).then(() => undefined)]);
      const ran = off !== undefined && typeof off !== "string" ? off.commands : [];
      const endOf = (i: number) => (ran[i]?.exitCode === 0 ? (ran[i]!.end ?? (off as ListRun).end) : undefined);
      const cutAt = endOf(0);
      const diedAt = cutAt !== undefined ? endOf(1) : undefined;
      const counters = ran[cut.cut!.length];
      if (this.lab.node(cut.node).plan.forward) {
        const list: Reading[] = [];
        this.readings.get(fault.name)?.set(cut.node, list);
        try {
          if (cutAt !== undefined && counters?.exitCode === 0) list.push({ at: cutAt, flows: parseFlowSet(counters.stdout) });
        } catch {
          // Left unread: phases that end here cannot be judged from its counters.
        }
      }
      await this.engineAction(fault, cut.node, cut.action, 0, outcome, { cutAt, diedAt });
    } else if (fault.engine || this.ctx.hook) {
      const held = isHeldStart(this.lab, fault, this.ctx.hook !== undefined);
      // The counts at the fault: now, or a held start's moment (it begins seconds ahead).
      void this.waits.until(held ? due - READ_AHEAD_MS : 0).then(() => this.stopped || this.ctx.checkpoint());
      effect = this.read(fault.name);
      if (fault.engine) await this.engineAction(fault, fault.engine.node, fault.engine.action, due - this.lead(fault), outcome, {}, held ? due : undefined);
      if (fault.steps.length > 0) await this.commands(fault, due, outcome);
    } else {
      // Commands only, armed: each node starts its list ahead by what its commands take there,
      // so that they end at the moment; each router's reading ends just before the list begins
      // there (lines run in the order sent: the reading's first).
      const starts = new Map(fault.steps.map((s) => [s.node, due - this.commandMs(s.node) * effectCount(s.commands)] as const));
      const first = Math.min(due, ...starts.values());
      void this.waits.until(first - READ_AHEAD_MS).then(() => this.stopped || this.ctx.checkpoint());
      effect = this.read(fault.name, (router) => (starts.get(router) ?? first) - this.commandMs(router) - READ_MARGIN_MS);
      await this.commands(fault, due, outcome, starts);
    }
    effect.stop();
    await effect.done;
    this.ctx.log(faultLine(fault, outcome, this.t0));
  }

  /** Read the running routers' counters (but `except`) for `fault`: see readRouters. */
  private read(fault: string, at?: (router: string) => number, except?: string): { stop(): void; done: Promise<void> } {
    const byRouter = new Map<string, Reading[]>();
    this.readings.set(fault, byRouter);
    const running = this.routers().filter((r) => r !== except && this.condition.get(r) !== "paused" && this.condition.get(r) !== "stopped");
    return readRouters(this.lab, this.armed, running, byRouter, (ms) => this.waits.sleep(ms), at);
  }

  /**
   * The engine's action at `at`; `cutAt`: when the node's cut took it off its networks (before the
   * engine did), `diedAt`: when its processes were ended there; `holdUntil`: a held start's moment.
   */
  private async engineAction(fault: FaultPlan, node: string, action: NodeAction, at: number, outcome: Outcome, cut: { cutAt?: number; diedAt?: number } = {}, holdUntil?: number): Promise<void> {
    if (!this.ctx.hook) await this.waits.until(at);
    if (this.stopped) return void (outcome.error = NOT_RUN);
    const handle = this.lab.node(node).handle;
    const called = wallNow();
    let effect: ActionEffect;
    try {
      effect = await handle.act(action, ownRelease(handle, holdUntil));
    } catch (err) {
      outcome.error = err instanceof EnvironmentError ? err.message : describe(err);
      return;
    }
    const answered = wallNow();
    // The engine's record, where it is this clock's (a remote engine's may be another's).
    const own = (ms: number | undefined) => (ms !== undefined && ms >= called - 50 && ms <= answered + 50 ? ms : undefined);
    // A stopped node is gone when it left its networks (a router forwards until then, after its
    // processes died); a started one is back when its process started; a pause when the engine answered.
    outcome.actual = action === "stop" || action === "restart" ? (own(effect.offNetwork) ?? own(effect.died) ?? answered) : action === "start" ? (own(effect.started) ?? answered) : answered;
    learnLatency(action, outcome.actual - called);
    // Cut off in the node before the engine took it off its networks: that is when it went.
    if (cut.cutAt !== undefined) outcome.actual = Math.min(outcome.actual, cut.cutAt);
    if (action === "stop" || action === "restart" || action === "pause") {
      this.condition.set(node, action === "pause" ? "paused" : "stopped");
      if (action !== "pause") this.armed.down(node);
      // Its own endpoints ended when its processes died.
      this.ctx.nodeDown(node, { fault: fault.name, action, atMs: cut.diedAt ?? own(effect.died) ?? outcome.actual });
    }
    if (action === "unpause") this.condition.set(node, "running");
    outcome.done = answered;
    if (action === "start" || action === "restart") {
      const released = holdUntil !== undefined && own(effect.started) !== undefined ? joined(this.lab, node, holdUntil) : undefined;
      try {
        await this.lab.node(node).reconfigure();
        this.condition.set(node, "running");
        const unfired = this.faults.filter((f) => !this.fired.has(f.name));
        if (!this.ctx.hook) await this.armed.arm(node, unfired);
        // Held: back when it joined its networks, as it says (configured and armed meanwhile).
        if (released) outcome.actual = (await released) ?? outcome.actual;
        outcome.done = wallNow();
        await this.ctx.nodeBack(node, fault.name);
      } catch (err) {
        outcome.error = `node ${node} started, but could not be configured again: ${err instanceof EnvironmentError ? err.message : describe(err)}`;
      }
    }
  }

  /** A fault's commands in its nodes: at `starts` (per node, armed), or now (after an engine action, or a hook). */
  private async commands(fault: FaultPlan, due: number, outcome: Outcome, starts?: Map<string, number>): Promise<void> {
    // With a hook, the interface names are read now (a restart may have renamed them).
    if (this.ctx.hook) await Promise.all(fault.steps.map((s) => this.armed.readNames(s.node)));
    const steps = this.armed.planned([fault])[0]?.steps ?? fault.steps;
    if (!this.ctx.hook && !starts) await this.waits.until(due);
    if (this.stopped) return void (outcome.error = NOT_RUN);
    const runs = await Promise.all(steps.map(async (step) => ({ step, run: await this.runStep(fault.name, step.node, step.commands, starts?.get(step.node) ?? 0) })));
    // Commands take effect by the end of their list (a few commands, ms when armed), or of the one marked to.
    const ended = runs.flatMap(({ run }) => (typeof run === "string" ? [] : [run.end]));
    const effective = runs.flatMap(({ step, run }) => (typeof run === "string" ? [] : [effectEnd(step.commands, run)]));
    if (ended.length > 0) {
      outcome.actual ??= Math.max(...effective);
      outcome.done = Math.max(outcome.done ?? 0, ...ended);
    }
    const failures = runs.flatMap(({ step, run }) => stepFailure(step.node, step.commands, run) ?? []);
    if (failures.length > 0) outcome.error = [outcome.error, ...failures].filter(Boolean).join("; ");
  }

  /** One node's part of a fault (armed as `list`): fired in its armed process, or (with a hook) run right now, command by command. */
  private runStep(list: string, node: string, commands: Command[], at: number): Promise<ListRun | string> {
    return this.ctx.hook ? runNow(this.lab, node, commands) : this.armed.fire(list, node, at);
  }
}
