// The lab's faults at their times. Nothing that must happen at a moment waits for a round trip
// started at that moment:
// - commands in nodes (a link down, loss, a partition, an exec) are armed in each node before the
//   traffic starts (armed.ts); their line goes ahead with the moment, and the node runs them at
//   that moment by its own clock, started ahead by what a command takes there, so they end on time;
// - engine actions (stop, start, restart, pause, unpause) are started ahead by their latency on
//   this engine (learned from earlier actions of the process), and their effect is read back from
//   the engine (when a stopped node left its networks, when a started one's process started);
// - the routers' counters are read, armed too: for a fault of commands, once, ending just before
//   they begin; for an engine action, from just before it until it took effect. Each phase takes
//   the last reading before that moment.
// A fault's actual time is when it had surely taken effect: the engine's record of the node
// leaving its networks or starting, the engine's answer to a pause, the end of a node's commands.
// Each fault is recorded planned beside actual. Faults on one node run in order; a start or
// restart counts as done once the node is configured again and armed anew.
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe } from "../engine/docker.js";
import type { ActionEffect } from "../engine/runtime.js";
import { EnvironmentError } from "../errors.js";
import { parseFlowSet, type FlowCount } from "../observe/flows.js";
import { planFaults } from "../plan/faults.js";
import { READ_FLOWS_ARGV } from "../observe/counters.js";
import type { Command, FaultPlan, NodeAction } from "../plan/types.js";
import { kernelHint } from "../provision/configure/failure.js";
import type { RunningLab } from "../provision/running-lab.js";
import { wallNow } from "./agent.js";
import { ArmedNode, type ArmedList, type ListRun } from "./armed.js";
import type { EndedBy, FaultEvent, Snapshot } from "./types.js";

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
/** What one command takes in a node before any was measured there (ms): a process spawned in a container. */
const FIRST_COMMAND_MS = 5;
/** A router's reading before a fault ends this long before the fault's commands begin there (ms). */
const READ_MARGIN_MS = 2;
/**
 * How long a stop or restart waits for its cut's answer before the engine acts anyway (ms). The
 * node is off its networks from the cut on, so the wait moves nothing but the moment its processes
 * die; and the answer carries the router's last counters, which a kill arriving first would lose.
 */
const CUT_ANSWER_MS = 5_000;
/** Readings stop after this many per router and fault, whatever happens. */
const MAX_READINGS = 200;
/**
 * An engine action's latency from the call to its effect, until some were measured: a stop takes
 * a node off its networks 90-250 ms after the call on a 2-core machine (its processes die after
 * 20-50 ms, its network namespace is torn down after); a start runs its process after 200-300 ms.
 */
const FIRST_GUESS: Record<NodeAction, number> = { stop: 120, restart: 120, start: 250, pause: 15, unpause: 15 };
/** Latencies measured, per action, newest last: kept for the next runs on this engine (a small file in the temp folder). */
const measured: Partial<Record<NodeAction, number[]>> = loadLatencies();

function latencyFile(): string {
  const engine = (process.env["DOCKER_HOST"] ?? "local").replace(/[^a-zA-Z0-9.-]/g, "_");
  return join(tmpdir(), `zmqlab-engine-latency-${engine}.json`);
}

function loadLatencies(): Partial<Record<NodeAction, number[]>> {
  try {
    const saved = JSON.parse(readFileSync(latencyFile(), "utf8")) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(saved).filter(([k, v]) => k in FIRST_GUESS && Array.isArray(v) && v.every((x) => typeof x === "number" && x >= 0 && x < 60_000)));
  } catch {
    return {};
  }
}

/** An engine action never starts more than this ahead of its time (ms), whatever was measured. */
const MAX_LEAD_MS = 1_000;

/**
 * How long before its time an engine action starts: the lower quartile of the last latencies
 * measured, at most MAX_LEAD_MS. Low rather than the median: on an engine whose load falls, a
 * lead learned under load would land actions early, and early is worse than late (a node back
 * before its time shortens the phase it closes); seconds of latency seen once never move the
 * next runs' actions seconds ahead.
 */
export function engineLead(action: NodeAction): number {
  const seen = measured[action] ?? [];
  if (seen.length === 0) return FIRST_GUESS[action];
  const sorted = [...seen].sort((a, b) => a - b);
  return Math.min(MAX_LEAD_MS, sorted[Math.floor((sorted.length - 1) / 4)]!);
}

function learn(action: NodeAction, ms: number): void {
  const seen = (measured[action] ??= []);
  seen.push(Math.round(ms));
  if (seen.length > 9) seen.shift();
  try {
    writeFileSync(latencyFile(), JSON.stringify(measured));
  } catch {
    // Only a better first guess next time is lost.
  }
}

const NOT_RUN = "it did not run: the traffic phase ended before its time";

/** The armed list of a stop's or restart's cut (plan/types.ts), beside the fault's own steps. */
const cutKey = (fault: string) => `cut:${fault}`;


interface Reading {
  at: number;
  flows: FlowCount[];
}

interface Outcome {
  actual?: number;
  done?: number;
  error?: string;
}

export class FaultRunner {
  private readonly faults: FaultPlan[];
  private readonly armed = new Map<string, { node: ArmedNode; lists: Map<string, number>; snapshot?: number }>();
  /** Each node's interface names by network, read when it is armed. */
  private readonly names = new Map<string, Map<string, string>>();
  private readonly condition = new Map<string, "running" | "stopped" | "paused">();
  private readonly outcomes = new Map<string, Outcome>();
  private readonly readings = new Map<string, Map<string, Reading[]>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly wakers = new Set<() => void>();
  private readonly fired = new Set<string>();
  private stopped = false;
  private t0 = 0;
  done: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: FaultContext) {
    this.faults = ctx.lab.plan.faults ?? [];
  }

  private get lab(): RunningLab {
    return this.ctx.lab;
  }

  private routers(): string[] {
    return this.lab.plan.nodes.filter((n) => n.forward).map((n) => n.name);
  }

  /** How long before time 0 the first fault's work must start (an engine action at 0 s starts early). */
  leadBeforeStart(): number {
    return Math.max(0, ...this.faults.map((f) => this.lead(f) + READ_AHEAD_MS - f.atMs));
  }

  /** How long before its time a fault's work starts: an engine action's latency, or sending its commands ahead. */
  private lead(fault: FaultPlan): number {
    if (this.ctx.hook) return fault.engine ? engineLead(fault.engine.action) : 0;
    if (fault.engine) return fault.engine.cut ? SEND_AHEAD_MS : engineLead(fault.engine.action);
    return SEND_AHEAD_MS;
  }

  /** What one command takes in `node` (measured there, else in any armed node, else a first guess), ms. */
  private commandMs(node: string): number {
    const measured = [...this.armed.values()].map((a) => a.node.commandMs()).filter((ms): ms is number => ms !== undefined).sort((a, b) => a - b);
    return this.armed.get(node)?.node.commandMs() ?? measured[Math.floor(measured.length / 2)] ?? FIRST_COMMAND_MS;
  }

  /** Arm every node that has commands to run at a fault, and every router (its counters are read at each fault). */
  async arm(): Promise<void> {
    if (this.ctx.hook) return; // with a hook, each fault runs when the hook returns: nothing to arm
    const nodes = new Set([...this.faults.flatMap((f) => [...f.steps.map((s) => s.node), ...(f.engine?.cut ? [f.engine.node] : [])]), ...this.routers()]);
    await Promise.all([...nodes].map((node) => this.armNode(node, this.faults)));
  }

  /** Arm `node` for the faults given (not yet fired), with its interface names as they are now. */
  private async armNode(node: string, faults: FaultPlan[]): Promise<void> {
    this.armed.get(node)?.node.close();
    this.armed.delete(node);
    this.names.set(node, await this.interfaceNames(node));
    const lists: ArmedList[] = [];
    const index = new Map<string, number>();
    for (const fault of this.planned(faults)) {
      if (this.fired.has(fault.name)) continue;
      const step = fault.steps.find((s) => s.node === node);
      if (step) {
        index.set(fault.name, lists.length);
        lists.push(step.commands.map((c) => c.argv));
      }
      if (fault.engine?.node === node && fault.engine.cut) {
        // A router reads its counters once cut off: they hold still from then on.
        index.set(cutKey(fault.name), lists.length);
        lists.push([...fault.engine.cut.map((c) => c.argv), ...(this.lab.node(node).plan.forward ? [READ_FLOWS_ARGV] : [])]);
      }
    }
    const plan = this.lab.node(node).plan;
    const router = plan.forward;
    if (router) lists.push([READ_FLOWS_ARGV]);
    const armed = await ArmedNode.arm(this.lab.node(node).handle, lists, plan.defaultImage || plan.build !== undefined || plan.routing !== undefined);
    this.armed.set(node, { node: armed, lists: index, ...(router ? { snapshot: lists.length - 1 } : {}) });
  }

  private async interfaceNames(node: string): Promise<Map<string, string>> {
    return new Map((await this.lab.node(node).interfaces()).flatMap((i) => i.altnames.map((a) => [a, i.name] as const)));
  }

  /** The faults planned with the interface names read when their nodes were armed. */
  private planned(faults: FaultPlan[]): FaultPlan[] {
    const wanted = new Set(faults.map((f) => f.name));
    return planFaults(this.lab.lab, this.lab.plan, (node, network) => this.names.get(node)?.get(network) ?? network).filter((f) => wanted.has(f.name));
  }

  /** Run every fault at time 0 (`t0`, ms since the epoch) plus its `atMs`. */
  start(t0: number): void {
    this.t0 = t0;
    // Faults on one node run in the timeline's order, whatever their leads: each waits for the
    // one before it on any of its nodes (a command waits for a start: configured and armed again).
    const chains = new Map<string, Promise<void>>();
    this.done = Promise.all(
      this.faults.map((fault) => {
        const nodes = [...new Set([...(fault.engine ? [fault.engine.node] : []), ...fault.steps.map((s) => s.node)])];
        const previous = Promise.all(nodes.map((n) => chains.get(n)));
        const mine = this.run(fault, previous);
        for (const n of nodes) chains.set(n, mine);
        return mine;
      }),
    ).then(() => undefined);
  }

  /** No fault starts after this (one that runs is finished); the armed processes end. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const wake of this.wakers) wake();
    await this.done;
    for (const { node } of this.armed.values()) node.close();
  }

  /** Each fault as it happened, times since time 0. */
  events(): FaultEvent[] {
    return this.faults.map((f) => {
      const o = this.outcomes.get(f.name);
      const since = (ms: number | undefined) => (ms === undefined ? undefined : Math.round((ms - this.t0) * 10) / 10);
      if (!o) return { name: f.name, atMs: f.atMs, ok: false, error: NOT_RUN };
      const actualMs = since(o.actual);
      const doneMs = since(o.done);
      return { name: f.name, atMs: f.atMs, ...(actualMs !== undefined ? { actualMs } : {}), ...(doneMs !== undefined ? { doneMs } : {}), ok: o.error === undefined, ...(o.error !== undefined ? { error: o.error } : {}) };
    });
  }

  /** The routers' counters at each fault that took effect: per router, the last reading before that moment. */
  snapshots(): Record<string, Snapshot> {
    const result: Record<string, Snapshot> = {};
    for (const fault of this.faults) {
      const actual = this.outcomes.get(fault.name)?.actual;
      const readings = this.readings.get(fault.name);
      if (actual === undefined || !readings) continue;
      const flows: Record<string, FlowCount[]> = {};
      const unread: Record<string, string> = {};
      let latest = -Infinity;
      // A router with an entry was running at the fault; with no reading, it did not answer.
      for (const [router, list] of readings) {
        const before = list.filter((r) => r.at <= actual);
        const chosen = before.at(-1) ?? list[0];
        if (!chosen) {
          unread[router] = `its counters could not be read at fault ${fault.name}`;
          continue;
        }
        flows[router] = chosen.flows;
        latest = Math.max(latest, chosen.at);
      }
      result[fault.name] = { ms: Math.round(((Number.isFinite(latest) ? latest : actual) - this.t0) * 10) / 10, flows, ...(Object.keys(unread).length ? { unread } : {}) };
    }
    return result;
  }

  private async run(fault: FaultPlan, previous: Promise<unknown>): Promise<void> {
    const due = this.t0 + fault.atMs;
    await this.until(due - this.lead(fault) - READ_AHEAD_MS);
    await previous;
    if (this.stopped) return;
    const outcome: Outcome = {};
    this.outcomes.set(fault.name, outcome);
    if (this.ctx.hook) {
      await this.until(due);
      try {
        await this.ctx.hook(fault.name);
      } catch (err) {
        outcome.error = `the atFault hook failed: ${describe(err)}`;
      }
    }
    this.fired.add(fault.name);
    let effect: { stop(): void; done: Promise<void> };
    const cut = fault.engine?.cut && !this.ctx.hook && this.armed.get(fault.engine.node)?.lists.has(cutKey(fault.name)) ? fault.engine : undefined;
    if (cut) {
      // A stop or restart with its cut armed: the node cuts itself off at the moment (started
      // ahead by what a command takes there) and, a router, reads its counters then; the other
      // routers read just before; the engine acts once the cut answered.
      const start = due - this.commandMs(cut.node);
      void this.until(start - READ_AHEAD_MS).then(() => this.stopped || this.ctx.checkpoint());
      effect = this.read(fault.name, (router) => due - this.commandMs(router) - READ_MARGIN_MS, cut.node);
      const off = await Promise.race([this.runStep(cutKey(fault.name), cut.node, cut.cut!, start), this.sleep(start - wallNow() + CUT_ANSWER_MS).then(() => undefined)]);
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
      this.ctx.checkpoint();
      effect = this.read(fault.name);
      if (fault.engine) await this.engineAction(fault, fault.engine.node, fault.engine.action, due - this.lead(fault), outcome);
      if (fault.steps.length > 0) await this.commands(fault, due, outcome);
    } else {
      // Commands only, armed: each node starts its list ahead by what its commands take there,
      // so that they end at the moment; each router's reading ends just before the list begins
      // there (lines run in the order sent: the reading's first).
      const starts = new Map(fault.steps.map((s) => [s.node, due - this.commandMs(s.node) * s.commands.length] as const));
      const first = Math.min(due, ...starts.values());
      void this.until(first - READ_AHEAD_MS).then(() => this.stopped || this.ctx.checkpoint());
      effect = this.read(fault.name, (router) => (starts.get(router) ?? first) - this.commandMs(router) - READ_MARGIN_MS);
      await this.commands(fault, due, outcome, starts);
    }
    effect.stop();
    await effect.done;
    this.ctx.log(`fault ${fault.name}: planned at ${fault.atMs} ms, ${outcome.actual !== undefined ? `took effect at ${Math.round(outcome.actual - this.t0)} ms` : "did not take effect"}: ${fault.description}${outcome.error !== undefined ? ` FAILED: ${outcome.error}` : ""}`);
  }

  /**
   * Read every running router's counters from now until stopped, each reading with its time; with
   * `at`, once per router, at the time it gives (sent now, run by the router at that moment).
   */
  private read(fault: string, at?: (router: string) => number, except?: string): { stop(): void; done: Promise<void> } {
    const byRouter = new Map<string, Reading[]>();
    this.readings.set(fault, byRouter);
    let stopped = false;
    const loops = this.routers().filter((r) => r !== except).map(async (router) => {
      if (this.condition.get(router) === "paused" || this.condition.get(router) === "stopped") return;
      const armed = this.armed.get(router);
      const list: Reading[] = [];
      byRouter.set(router, list);
      if (!armed || armed.snapshot === undefined) {
        // Not armed (a caller's hook runs the faults): one reading now, through an exec.
        const at = wallNow();
        const flows = await this.lab.node(router).flows().catch(() => undefined);
        if (flows) list.push({ at, flows });
        return;
      }
      // At least one reading, then more while the fault has not yet taken effect (one, when at a time).
      for (let i = 0; i < MAX_READINGS && (i === 0 || (!stopped && !at)); i++) {
        const run = await armed.node.fireAt(armed.snapshot, i === 0 && at ? at(router) : 0);
        const out = run?.commands[0];
        if (!run || !out || out.exitCode !== 0) return;
        try {
          list.push({ at: run.begin, flows: parseFlowSet(out.stdout) });
        } catch {
          return;
        }
      }
    });
    return {
      stop: () => void (stopped = true),
      // A paused router's reading waits for its unpause: never wait for readings beyond a moment.
      done: Promise.race([Promise.all(loops).then(() => undefined), this.sleep(200)]),
    };
  }

  /**
   * The engine's action at `at`; `cutAt`: when the node's cut took it off its networks (before the
   * engine did), `diedAt`: when its processes were ended there.
   */
  private async engineAction(fault: FaultPlan, node: string, action: NodeAction, at: number, outcome: Outcome, cut: { cutAt?: number; diedAt?: number } = {}): Promise<void> {
    if (!this.ctx.hook) await this.until(at);
    if (this.stopped) return void (outcome.error = NOT_RUN);
    const handle = this.lab.node(node).handle;
    const called = wallNow();
    let effect: ActionEffect;
    try {
      effect = await handle.act(action);
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
    learn(action, outcome.actual - called);
    // Cut off in the node before the engine took it off its networks: that is when it went.
    if (cut.cutAt !== undefined) outcome.actual = Math.min(outcome.actual, cut.cutAt);
    if (action === "stop" || action === "restart" || action === "pause") {
      this.condition.set(node, action === "pause" ? "paused" : "stopped");
      // Its own endpoints ended when its processes died.
      this.ctx.nodeDown(node, { fault: fault.name, action, atMs: cut.diedAt ?? own(effect.died) ?? outcome.actual });
    }
    if (action === "unpause") this.condition.set(node, "running");
    outcome.done = answered;
    if (action === "start" || action === "restart") {
      try {
        await this.lab.node(node).reconfigure();
        this.condition.set(node, "running");
        if (!this.ctx.hook) await this.armNode(node, this.faults.filter((f) => !this.fired.has(f.name)));
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
    if (this.ctx.hook) await Promise.all(fault.steps.map(async (s) => this.names.set(s.node, await this.interfaceNames(s.node))));
    const steps = this.planned([fault])[0]?.steps ?? fault.steps;
    if (!this.ctx.hook && !starts) await this.until(due);
    if (this.stopped) return void (outcome.error = NOT_RUN);
    const runs = await Promise.all(steps.map(async (step) => ({ step, run: await this.runStep(fault.name, step.node, step.commands, starts?.get(step.node) ?? 0) })));
    // Commands take effect somewhere between their list's begin and end: by its end, surely
    // (a list is one or a few commands, milliseconds when armed).
    const ended = runs.flatMap(({ run }) => (typeof run === "string" ? [] : [run.end]));
    if (ended.length > 0) {
      outcome.actual ??= Math.max(...ended);
      outcome.done = Math.max(outcome.done ?? 0, ...ended);
    }
    const failures = runs.flatMap(({ step, run }) => {
      if (typeof run === "string") return [run];
      const index = run.commands.findIndex((c) => c.exitCode !== 0);
      if (index < 0) return [];
      const command = step.commands[index]!;
      const failed = run.commands[index]!;
      const output = (failed.stderr.trim() || failed.stdout.trim()).slice(0, 2000);
      return [`in node ${step.node}, \`${command.argv.join(" ")}\` (${command.why}) failed with exit code ${failed.exitCode}${output ? `: ${output}` : ""}${/netem/.test(command.argv.join(" ")) ? ` (${kernelHint(command.argv, output)})` : ""}`];
    });
    if (failures.length > 0) outcome.error = [outcome.error, ...failures].filter(Boolean).join("; ");
  }

  /** One node's part of a fault (armed as `list`): fired in its armed process, or (with a hook) run right now, command by command. */
  private async runStep(list: string, node: string, commands: Command[], at: number): Promise<ListRun | string> {
    if (this.ctx.hook) {
      const begin = wallNow();
      const results = [];
      for (const c of commands) {
        const r = await this.lab.node(node).exec(c.argv).catch((err: unknown) => ({ exitCode: -1, stdout: "", stderr: describe(err) }));
        results.push(r);
        if (r.exitCode !== 0) break;
      }
      return { begin, end: wallNow(), commands: results, nodeClock: false };
    }
    const armed = this.armed.get(node);
    const index = armed?.lists.get(list);
    if (!armed || index === undefined) return `node ${node} was not armed for fault ${list} (it was not running)`;
    return (await armed.node.fireAt(index, at)) ?? `node ${node} did not answer: its container stopped or went away`;
  }

  /** Resolves at `epochMs` (at once if that passed, or when the runner stops). */
  private until(epochMs: number): Promise<void> {
    return this.sleep(epochMs - wallNow());
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.timers.delete(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.timers.add(timer);
      this.wakers.add(wake);
    });
  }
}
