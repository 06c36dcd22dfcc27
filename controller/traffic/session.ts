// The traffic phase of a lab that is up, as one object with explicit states:
//   starting    agents and programs start; programs that bind become ready; nodes are armed for
//               the faults; every sender gets its peers (handshakes, subscriptions)
//   running     time 0: every sender is released at once, the faults run at their times
//   lingering   senders and programs are done and the last fault ran: receivers get `linger` more
//   collecting  agents report and end, programs are stopped, each endpoint is reported
//   done
// The session owns every timer, listener, agent, program and armed process it starts, and ends
// them all when it is done or disposed (`await using session = new TrafficSession(...)`).
import { Cancelled, EnvironmentError } from "../errors.js";
import { isProgram } from "../lab/types.js";
import type { RunningLab } from "../provision/running-lab.js";
import { checkAgent, jobsFor, startAgent, wallNow, type Agent } from "./agent.js";
import { agentEndpointReport, programEndpointReport, type NodeLife } from "./endpoint-report.js";
import { FaultRunner, type FaultHook } from "./fault-runner.js";
import { checkNetem } from "./netem.js";
import { settingsOf } from "./jobs.js";
import { bounded, interruptedNodes, READ_BOUND_MS, watchForPaused } from "./nodes.js";
import { ProgramEndpoint, recordConnections } from "./programs.js";
import type { EndedBy, InterruptedNode, Snapshot, TrafficReport } from "./types.js";

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
  private readonly lives = new Map<string, NodeLife[]>();
  private readonly pending = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly cleanups: (() => void)[] = [];
  private faults: FaultRunner | undefined;
  private t0 = 0;
  private started = new Date();
  private startedAt = 0;
  private wake: (() => void) | undefined;
  private waitedForHandshakes = true;
  private disposed = false;

  constructor(
    private readonly lab: RunningLab,
    private readonly options: TrafficOptions = {},
  ) {
    this.settings = settingsOf(lab.lab);
    this.log = options.log ?? (() => {});
  }

  /** Every agent of every life, in start order. */
  private agents(): Agent[] {
    return [...this.lives.values()].flatMap((lives) => lives.flatMap((l) => (l.agent ? [l.agent] : [])));
  }

  private programs(): ProgramEndpoint[] {
    return [...this.lives.values()].flatMap((lives) => lives.flatMap((l) => l.programs));
  }

  private current(node: string): NodeLife {
    let lives = this.lives.get(node);
    if (!lives) this.lives.set(node, (lives = []));
    let life = lives.at(-1);
    if (!life) lives.push((life = { life: 1, startedAt: wallNow(), programs: [] }));
    return life;
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
    for (const p of programs) this.current(p.node).programs.push(p);
    const [serving, connecting] = [programs.filter((p) => p.binds.length > 0), programs.filter((p) => p.binds.length === 0)];
    // An agent endpoint on a node whose image lacks the agent is the environment's problem (exit 3),
    // and so is a delay fault on a kernel without netem: found now, not in the middle of the traffic.
    await Promise.all([...jobs.map((job) => checkAgent(lab, job)), checkNetem(lab)]);
    if (lab.plan.faults?.length) {
      this.faults = new FaultRunner({
        lab,
        log: this.log,
        ...(this.options.atFault ? { hook: this.options.atFault } : {}),
        checkpoint: () => this.agents().forEach((a) => a.checkpoint()),
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
    const primed = new Set<string>();
    const everyonePrimed = new Promise<void>((resolve) => {
      const check = () => senders.every((s) => primed.has(s)) && resolve();
      this.onPrimed = (key) => {
        primed.add(key);
        check();
      };
      check();
    });
    const agents = await Promise.all([Promise.all(jobs.map((job) => startAgent(lab, job))), Promise.all(connecting.map((p) => p.start())), this.faults?.arm()]).then(([agents]) => agents);
    for (const agent of agents) this.adopt(agent, this.current(agent.job.node));
    for (const s of senders) this.pending.add(s);
    for (const p of programs) this.pending.add(`program/${p.name}/1`);
    for (const p of programs) void p.done.then(() => this.settle(`program/${p.name}/1`));
    this.waitedForHandshakes = senders.length > 0;
    // Every sender has its peers (or gave up waiting for them), or the bound passed.
    await Promise.race([everyonePrimed, this.sleep(this.settings.handshakeTimeout + START_SLACK_MS), this.aborted()]);
  }

  private onPrimed: (key: string) => void = () => {};

  /** Watch an agent: its senders' progress, and its end. */
  private adopt(agent: Agent, life: NodeLife): void {
    life.agent = agent;
    const key = (endpoint: string) => `${agent.job.node}/${endpoint}/${agent.life}`;
    agent.onEvent((e) => {
      if (e.type === "primed") this.onPrimed(key(e.endpoint));
      if (e.type === "sent" || e.type === "final") this.settle(key(e.endpoint));
      // An endpoint that could not start sends nothing: no need to wait for it.
      if (e.type === "error" && e.stage === "start" && e.endpoint) {
        this.onPrimed(key(e.endpoint));
        this.settle(key(e.endpoint));
      }
      if (e.type === "no-handshake") this.log(`no handshake: ${e.endpoint} ${e.connect}`);
    });
    // An agent that ends early (a crash, its node stopped) has nothing more to send.
    void agent.finished.then(() => {
      for (const e of agent.job.endpoints) {
        this.onPrimed(key(e.name));
        this.settle(key(e.name));
      }
    });
  }

  private settle(key: string): void {
    if (this.pending.delete(key)) this.wake?.();
  }

  private async running(): Promise<void> {
    if (this.options.signal?.aborted) return;
    this.state = "running";
    const lead = Math.max(GO_AHEAD_MS, this.faults?.leadBeforeStart() ?? 0);
    this.t0 = wallNow() + lead;
    this.faults?.start(this.t0);
    // Each agent gets the moment now and releases its senders at it, by its own clock.
    for (const agent of this.agents()) agent.go(this.t0);
    await this.sleep(lead);
    this.log("traffic: senders released (time 0)");
    const lab = this.lab;
    // A paused node's agent and programs neither send nor end: stop waiting for them (a pause
    // the lab's faults made is known already).
    const watched = [...new Set([...this.pending].map((k) => k.split("/")[0]!).filter((n) => n !== "program"))];
    const watch = watchForPaused(lab, [...watched, ...new Set(this.programs().map((p) => p.node))], (node) => {
      this.log(`node ${node} is paused: not waiting for its endpoints`);
      for (const k of [...this.pending]) if (k.startsWith(`${node}/`)) this.settle(k);
      for (const p of this.programs()) if (p.node === node) this.settle(`program/${p.name}/${p.life}`);
    });
    this.cleanups.push(() => watch.stop());
    let faultsOver = this.faults === undefined;
    void this.faults?.done.then(() => {
      faultsOver = true;
      this.wake?.();
    });
    // Nothing sends: give the connects their handshake time.
    if (!this.waitedForHandshakes) void this.sleep(this.settings.handshakeTimeout).then(() => {
      this.waitedForHandshakes = true;
      this.wake?.();
    });
    const bound = this.startedAt + this.settings.trafficTimeout;
    for (;;) {
      if (this.pending.size === 0 && faultsOver && this.waitedForHandshakes) break;
      if (this.options.signal?.aborted || wallNow() >= bound) break;
      await Promise.race([new Promise<void>((resolve) => (this.wake = resolve)), this.sleep(bound - wallNow()), this.aborted()]);
    }
    this.wake = undefined;
    // Past the bound (or interrupted), no further fault starts; one that runs is finished.
    await this.faults?.stop();
    this.log(this.pending.size ? `traffic bound reached; still running: ${[...this.pending].map((k) => k.split("/")[1]).join(", ")}` : "senders done; collecting");
  }

  private async lingering(): Promise<void> {
    if (this.options.signal?.aborted) return;
    this.state = "lingering";
    await Promise.race([this.sleep(this.settings.linger), this.aborted()]);
  }

  private async collecting(): Promise<TrafficResult> {
    this.state = "collecting";
    const lab = this.lab;
    for (const agent of this.agents()) agent.stop();
    // A node that went away or froze (paused) leaves its agent or program unfinished: bounded.
    await Promise.all([
      ...this.agents().map((a) => Promise.race([a.finished, this.sleep(this.settings.handshakeTimeout + 5000)])),
      ...this.programs().map((p) => bounded(p.finish(), READ_BOUND_MS, `program ${p.name} on ${p.node}`).catch(() => undefined)),
    ]);
    if (this.options.signal?.aborted) throw new Cancelled();
    const interrupted = await interruptedNodes(lab, this.started);
    checkLabStillThere(lab, interrupted);
    const t0 = this.t0 || this.startedAt;
    const endpoints = await Promise.all(
      Object.entries(lab.lab.traffic ?? {}).map(([name, spec]) => {
        const lives = this.lives.get(spec.node) ?? [];
        const lost = interrupted.find((n) => n.node === spec.node);
        return isProgram(spec) ? programEndpointReport(name, spec.node, lives, t0, lost) : agentEndpointReport(lab, name, spec.node, lives, t0, lost);
      }),
    );
    const report: TrafficReport = {
      lab: lab.name,
      started: this.started.toISOString(),
      durationMs: Math.round(wallNow() - this.startedAt),
      clock: { t0: new Date(Math.floor(t0)).toISOString(), epochMs: t0 },
      endpoints,
      ...(this.faults ? { faults: this.faults.events() } : {}),
      ...(interrupted.length ? { interrupted } : {}),
    };
    const outputs = Object.fromEntries(
      Object.entries(lab.lab.traffic ?? {}).flatMap(([name, spec]) => (isProgram(spec) ? [[name, this.programs().filter((p) => p.name === name).flatMap((p, i) => [...(i > 0 ? [`--- zmqlab: ${name} started again (life ${p.life}) ---`] : []), ...p.output()])]] : [])),
    );
    this.state = "done";
    return { report, outputs, snapshots: this.faults?.snapshots() ?? {} };
  }

  /** A fault stopped, restarted or paused `node`: its current life ended then (or froze). */
  private nodeDown(node: string, ended: EndedBy): void {
    const life = this.current(node);
    if (ended.action === "pause") life.paused = ended;
    else life.ended = ended;
    for (const k of [...this.pending]) if (k.startsWith(`${node}/`)) this.settle(k);
    for (const p of life.programs) this.settle(`program/${p.name}/${p.life}`);
  }

  /** A fault started or restarted `node`, configured again: its endpoints run again, as a new life. */
  private async nodeBack(node: string, fault: string): Promise<void> {
    const lives = this.lives.get(node) ?? [];
    const previous = lives.at(-1);
    if (previous?.paused && !previous.ended) return; // unpaused: the same life goes on
    const number = (previous?.life ?? 0) + 1;
    const life: NodeLife = { life: number, startedAt: wallNow(), programs: [] };
    lives.push(life);
    this.lives.set(node, lives);
    this.log(`node ${node} is back (fault ${fault}): its endpoints run again (life ${number})`);
    const [job] = await jobsFor(this.lab, [node]);
    if (job) {
      const endpoints = job.endpoints.map((e) => (e.send ? { ...e, send: { ...e.send, count: this.remaining(node, e.name, e.send) } } : e));
      for (const e of endpoints) if (e.send && e.send.count > 0) this.pending.add(`${node}/${e.name}/${number}`);
      try {
        this.adopt(await startAgent(this.lab, { ...job, endpoints, life: number }), life);
      } catch (err) {
        this.log(`node ${node}: its agent could not start again: ${(err as Error).message}`);
        for (const e of endpoints) this.settle(`${node}/${e.name}/${number}`);
      }
    }
    for (const [name, spec] of Object.entries(this.lab.lab.traffic ?? {})) {
      if (spec.node !== node || !isProgram(spec)) continue;
      const program = new ProgramEndpoint(this.lab, name, spec, this.settings.trafficTimeout, number);
      life.programs.push(program);
      this.pending.add(`program/${name}/${number}`);
      void program.start().then(() => program.done).then(() => this.settle(`program/${name}/${number}`));
    }
  }

  /**
   * What a sender still has to send in a new life: what its schedule had not reached by now
   * (a paced sender), or what its earlier lives had not sent (one as fast as possible).
   */
  private remaining(node: string, endpoint: string, send: { count: number; rate?: number }): number {
    const before = (this.lives.get(node) ?? []).flatMap((l) => (l.agent ? [l.agent] : [])).reduce((n, a) => {
      const tick = [...a.events].reverse().find((e) => (e.type === "tick" || e.type === "sent") && e.endpoint === endpoint);
      return n + (tick?.type === "tick" ? tick.sent : tick?.type === "sent" ? tick.count : 0);
    }, 0);
    const due = send.rate ? Math.floor(((wallNow() - this.t0) * send.rate) / 1000) : 0;
    return Math.max(0, send.count - Math.max(before, due));
  }

  private abort: Promise<void> | undefined;

  /** Resolves when the caller aborts (never without a signal); one listener for the whole session. */
  private aborted(): Promise<void> {
    const signal = this.options.signal;
    if (!signal) return new Promise(() => {});
    this.abort ??= signal.aborted
      ? Promise.resolve()
      : new Promise((resolve) => {
          const listener = () => resolve();
          signal.addEventListener("abort", listener, { once: true });
          this.cleanups.push(() => signal.removeEventListener("abort", listener));
        });
    return this.abort;
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.disposed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  /** End everything the session started: timers, listeners, the fault runner, agents and programs. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.cleanups.splice(0)) c();
    this.wake?.();
    await this.faults?.stop();
    for (const agent of this.agents()) agent.stop();
    await Promise.all(this.programs().map((p) => bounded(p.finish(), READ_BOUND_MS, `program ${p.name}`).catch(() => undefined)));
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

/**
 * Every node removed: the lab itself was taken away (`zmqlab down`, `zmqlab clean`, a second run
 * of the same lab finishing first). That is the environment's doing (exit 3); a node or some
 * nodes stopped, paused or removed are reported as such, with the rest of the run.
 */
function checkLabStillThere(lab: RunningLab, interrupted: InterruptedNode[]): void {
  if (interrupted.length < lab.plan.nodes.length || interrupted.some((n) => n.state !== "gone")) return;
  throw new EnvironmentError(
    `Every container of lab ${lab.name} was removed while the traffic ran: nothing is left to report on.`,
    "something else took the lab down (`zmqlab down`, `zmqlab clean`, or a second run of the same lab finishing first); run the lab again, and give concurrent runs separate instances",
  );
}
