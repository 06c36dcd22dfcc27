// The traffic phase of a lab that is up, as one object with explicit states:
//   starting    agents and programs start; programs that bind become ready; nodes are armed for
//               the faults; every sender gets its peers (handshakes, subscriptions)
//   running     time 0: every sender is released at once, the faults run at their times
//   lingering   senders and programs are done and the last fault ran: receivers get `linger` more
//   collecting  agents report and end, programs are stopped, each endpoint is reported
//   done
// The session owns every timer, listener, agent, program and armed process it starts, and ends
// them all when it is done or disposed (`await using session = new TrafficSession(...)`).
import { Cancelled } from "../errors.js";
import { isProgram } from "../lab/types.js";
import type { RunningLab } from "../provision/running-lab.js";
import { checkAgent, jobsFor, startAgent, wallNow, type Agent } from "./agent.js";
import { collectReport } from "./collect.js";
import type { NodeLife } from "./endpoint-report.js";
import { NodeLives } from "./lives.js";
import { Waiting } from "./waiting.js";
import { Waits } from "./waits.js";
import { whenAborted } from "../abort.js";
import { FaultRunner, type FaultHook } from "./fault-runner.js";
import { checkNetem } from "./netem.js";
import { settingsOf } from "./jobs.js";
import { bounded, READ_BOUND_MS, watchForPaused } from "./nodes.js";
import { ProgramEndpoint, recordConnections } from "./programs.js";
import type { EndedBy, Snapshot, TrafficReport } from "./types.js";

export type SessionState = "idle" | "starting" | "running" | "lingering" | "collecting" | "done";

export interface TrafficOptions {
  log?: (line: string) => void;
  /** Aborting ends the traffic early (agents report and exit) and throws Cancelled. */
  signal?: AbortSignal;
  /**
   * Awaited just before each fault of the lab runs. With it, faults run when it returns (they may
   * land late; the report says when they took effect); without it, they are armed ahead and land on time.
   */
  atFault?: FaultHook;
}

/** The traffic report, every program endpoint's whole output, and the counters at each fault. */
export interface TrafficResult {
  report: TrafficReport;
  outputs: Record<string, string[]>;
  /** The routers' counters just before each fault took effect, by the fault's name. */
  snapshots: Record<string, Snapshot>;
}

/** How long senders may take to start and meet their peers beyond the handshake timeout (agents start in ~0.1-1 s). */
const START_SLACK_MS = 10_000;
/**
 * Time 0 is this far ahead of the moment it is chosen: every agent hears `go` (with the moment)
 * before it, and waits for it by its own clock. An exec's input reaches a node in 5-40 ms, more
 * on a busy engine; a later `go` starts those senders late, the rest on time.
 */
const GO_AHEAD_MS = 150;

export class TrafficSession implements AsyncDisposable {
  state: SessionState = "idle";
  private readonly settings: ReturnType<typeof settingsOf>;
  private readonly log: (line: string) => void;
  private readonly lives = new NodeLives();
  private readonly waiting = new Waiting();
  private readonly waits = new Waits();
  private readonly cleanups: (() => void)[] = [];
  private faults: FaultRunner | undefined;
  private t0 = 0;
  private started = new Date();
  private startedAt = 0;
  private waitedForHandshakes = true;
  private disposed = false;

  constructor(
    private readonly lab: RunningLab,
    private readonly options: TrafficOptions = {},
  ) {
    this.settings = settingsOf(lab.lab);
    this.log = options.log ?? (() => {});
  }

  /** Run the traffic phase to its end and report it. */
  async run(): Promise<TrafficResult> {
    if (this.state !== "idle") throw new Error("bug: a traffic session runs once");
    try {
      await this.starting();
      await this.running();
      await this.lingering();
      return await this.collecting();
    } finally {
      await this[Symbol.asyncDispose]();
    }
  }

  private async starting(): Promise<void> {
    this.state = "starting";
    this.started = new Date();
    this.startedAt = wallNow();
    const lab = this.lab;
    const jobs = (await jobsFor(lab)).map((job) => ({ ...job, waitForGo: true, life: 1 }));
    const programs = Object.entries(lab.lab.traffic ?? {}).flatMap(([name, spec]) => (isProgram(spec) ? [new ProgramEndpoint(lab, name, spec, this.settings.trafficTimeout)] : []));
    for (const p of programs) this.lives.current(p.node).programs.push(p);
    const [serving, connecting] = [programs.filter((p) => p.binds.length > 0), programs.filter((p) => p.binds.length === 0)];
    // An agent endpoint on a node whose image lacks the agent is the environment's problem (exit 3),
    // and so is a delay fault on a kernel without netem: found now, not in the middle of the traffic.
    await Promise.all([...jobs.map((job) => checkAgent(lab, job)), checkNetem(lab)]);
    if (lab.plan.faults?.length) {
      this.faults = new FaultRunner({
        lab,
        log: this.log,
        ...(this.options.atFault ? { hook: this.options.atFault } : {}),
        checkpoint: () => this.lives.agents().forEach((a) => a.checkpoint()),
        nodeDown: (node, ended) => this.nodeDown(node, ended),
        nodeBack: (node, fault) => this.nodeBack(node, fault),
      });
    }
    if (serving.length > 0) {
      await Promise.all([...new Set(serving.map((p) => p.node))].map((node) => recordConnections(lab, node)));
      this.log(`traffic: starting ${serving.length} programs that bind, waiting until they are ready`);
      await Promise.all(serving.map((p) => p.start()));
      await Promise.all(serving.map((p) => p.ready(this.settings.trafficTimeout)));
    }
    const senders = jobs.flatMap((j) => j.endpoints.filter((e) => e.send && e.send.count > 0).map((e) => `${j.node}/${e.name}/1`));
    this.log(`traffic: ${jobs.length} agents, ${senders.length} senders${programs.length ? `, ${programs.length} programs` : ""} (handshakes, subscriptions, then messages)`);
    const everyonePrimed = this.waiting.allPrimed(senders);
    const agents = await Promise.all([Promise.all(jobs.map((job) => startAgent(lab, job))), Promise.all(connecting.map((p) => p.start())), this.faults?.arm()]).then(([agents]) => agents);
    for (const agent of agents) this.adopt(agent, this.lives.current(agent.job.node));
    for (const s of senders) this.waiting.add(s);
    for (const p of programs) this.waiting.add(`program/${p.name}/1`);
    for (const p of programs) void p.done.then(() => this.waiting.settle(`program/${p.name}/1`));
    this.waitedForHandshakes = senders.length > 0;
    // Every sender has its peers (or gave up waiting for them), or the bound passed.
    await Promise.race([everyonePrimed, this.sleep(this.settings.handshakeTimeout + START_SLACK_MS), this.aborted()]);
  }

  /** Watch an agent: its senders' progress, and its end. */
  private adopt(agent: Agent, life: NodeLife): void {
    life.agent = agent;
    const key = (endpoint: string) => `${agent.job.node}/${endpoint}/${agent.life}`;
    agent.onEvent((e) => {
      if (e.type === "primed") this.waiting.primed(key(e.endpoint));
      if (e.type === "sent" || e.type === "final") this.waiting.settle(key(e.endpoint));
      // An endpoint that could not start sends nothing: no need to wait for it.
      if (e.type === "error" && e.stage === "start" && e.endpoint) {
        this.waiting.primed(key(e.endpoint));
        this.waiting.settle(key(e.endpoint));
      }
      if (e.type === "no-handshake") this.log(`no handshake: ${e.endpoint} ${e.connect}`);
    });
    // An agent that ends early (a crash, its node stopped) has nothing more to send.
    void agent.finished.then(() => {
      for (const e of agent.job.endpoints) {
        this.waiting.primed(key(e.name));
        this.waiting.settle(key(e.name));
      }
    });
  }

  private async running(): Promise<void> {
    if (this.options.signal?.aborted) return;
    this.state = "running";
    const lead = Math.max(GO_AHEAD_MS, this.faults?.leadBeforeStart() ?? 0);
    this.t0 = wallNow() + lead;
    this.faults?.start(this.t0);
    // Each agent gets the moment now and releases its senders at it, by its own clock.
    for (const agent of this.lives.agents()) agent.go(this.t0);
    await this.sleep(lead);
    this.log("traffic: senders released (time 0)");
    const lab = this.lab;
    // A paused node's agent and programs neither send nor end: stop waiting for them (a pause
    // the lab's faults made is known already).
    const watched = this.waiting.nodes();
    const watch = watchForPaused(lab, [...watched, ...new Set(this.lives.programs().map((p) => p.node))], (node) => {
      this.log(`node ${node} is paused: not waiting for its endpoints`);
      this.waiting.settleNode(
        node,
        this.lives.programs().filter((p) => p.node === node),
      );
    });
    this.cleanups.push(() => watch.stop());
    let faultsOver = this.faults === undefined;
    void this.faults?.done.then(() => {
      faultsOver = true;
      this.waiting.wakeUp();
    });
    // Nothing sends: give the connects their handshake time.
    if (!this.waitedForHandshakes)
      void this.sleep(this.settings.handshakeTimeout).then(() => {
        this.waitedForHandshakes = true;
        this.waiting.wakeUp();
      });
    const bound = this.startedAt + this.settings.trafficTimeout;
    for (;;) {
      if (this.waiting.size === 0 && faultsOver && this.waitedForHandshakes) break;
      if (this.options.signal?.aborted || wallNow() >= bound) break;
      await Promise.race([this.waiting.next(), this.sleep(bound - wallNow()), this.aborted()]);
    }
    this.waiting.stop();
    // Past the bound (or interrupted), no further fault starts; one that runs is finished.
    await this.faults?.stop();
    this.log(this.waiting.size ? `traffic bound reached; still running: ${this.waiting.names().join(", ")}` : "senders done; collecting");
  }

  private async lingering(): Promise<void> {
    if (this.options.signal?.aborted) return;
    this.state = "lingering";
    await Promise.race([this.sleep(this.settings.linger), this.aborted()]);
  }

  private async collecting(): Promise<TrafficResult> {
    this.state = "collecting";
    const lab = this.lab;
    for (const agent of this.lives.agents()) agent.stop();
    // A node that went away or froze (paused) leaves its agent or program unfinished: bounded.
    await Promise.all([
      ...this.lives.agents().map((a) => Promise.race([a.finished, this.sleep(this.settings.handshakeTimeout + 5000)])),
      ...this.lives.programs().map((p) => bounded(p.finish(), READ_BOUND_MS, `program ${p.name} on ${p.node}`).catch(() => undefined)),
    ]);
    if (this.options.signal?.aborted) throw new Cancelled();
    const { report, outputs } = await collectReport(lab, this.lives, { started: this.started, startedAt: this.startedAt, t0: this.t0 || this.startedAt }, this.faults?.events());
    this.state = "done";
    return { report, outputs, snapshots: this.faults?.snapshots() ?? {} };
  }

  /** A fault stopped, restarted or paused `node`: its current life ended then (or froze). */
  private nodeDown(node: string, ended: EndedBy): void {
    const life = this.lives.current(node);
    if (ended.action === "pause") life.paused = ended;
    else life.ended = ended;
    this.waiting.settleNode(node, life.programs);
  }

  /** A fault started or restarted `node`, configured again: its endpoints run again, as a new life. */
  private async nodeBack(node: string, fault: string): Promise<void> {
    const life = this.lives.next(node);
    if (!life) return; // unpaused: the same life goes on
    const number = life.life;
    this.log(`node ${node} is back (fault ${fault}): its endpoints run again (life ${number})`);
    const [job] = await jobsFor(this.lab, [node]);
    if (job) {
      const endpoints = job.endpoints.map((e) => (e.send ? { ...e, send: { ...e.send, count: this.lives.remaining(node, e.name, e.send, this.t0) } } : e));
      for (const e of endpoints) if (e.send && e.send.count > 0) this.waiting.add(`${node}/${e.name}/${number}`);
      try {
        this.adopt(await startAgent(this.lab, { ...job, endpoints, life: number }), life);
      } catch (err) {
        this.log(`node ${node}: its agent could not start again: ${(err as Error).message}`);
        for (const e of endpoints) this.waiting.settle(`${node}/${e.name}/${number}`);
      }
    }
    for (const [name, spec] of Object.entries(this.lab.lab.traffic ?? {})) {
      if (spec.node !== node || !isProgram(spec)) continue;
      const program = new ProgramEndpoint(this.lab, name, spec, this.settings.trafficTimeout, number);
      life.programs.push(program);
      this.waiting.add(`program/${name}/${number}`);
      void program
        .start()
        .then(() => program.done)
        .then(() => this.waiting.settle(`program/${name}/${number}`));
    }
  }

  private abort: ReturnType<typeof whenAborted> | undefined;

  /** Resolves when the caller aborts (never without a signal); one listener for the whole session. */
  private aborted(): Promise<void> {
    if (!this.abort) this.cleanups.push((this.abort = whenAborted(this.options.signal)).dispose);
    return this.abort.aborted;
  }

  private sleep(ms: number): Promise<void> {
    return this.waits.sleep(ms);
  }

  /** End everything the session started: timers, listeners, the fault runner, agents and programs. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.waits.stop();
    for (const c of this.cleanups.splice(0)) c();
    this.waiting.wakeUp();
    await this.faults?.stop();
    for (const agent of this.lives.agents()) agent.stop();
    await Promise.all(this.lives.programs().map((p) => bounded(p.finish(), READ_BOUND_MS, `program ${p.name}`).catch(() => undefined)));
    if (this.state !== "done") this.state = "done";
  }
}

/** Run the traffic phase of a lab that is up: every endpoint to its end, every fault at its time. */
export async function trafficSession(lab: RunningLab, options: TrafficOptions = {}): Promise<TrafficResult> {
  await using session = new TrafficSession(lab, options);
  // Awaited here: the session is disposed when this function returns.
  return await session.run();
}

/** The traffic report alone. */
export async function runTraffic(lab: RunningLab, options: TrafficOptions = {}): Promise<TrafficReport> {
  return (await trafficSession(lab, options)).report;
}
