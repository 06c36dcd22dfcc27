// Drive a lab's traffic: one agent per node, started concurrently over exec, every wait bounded.
import type { AgentEvent, AgentJob, EndpointResult } from "../agent/protocol.js";
import type { Process } from "../engine/exec.js";
import { EnvironmentError } from "../errors.js";
import { list, parseTcpEndpoint } from "../lab/endpoint.js";
import type { InterfaceState } from "../observe/kernel.js";
import { parseAddress } from "../lab/ip.js";
import { Cancelled, type RunningLab } from "../provision/running.js";
import { agentJobs, settingsOf } from "./jobs.js";
import { ProgramEndpoint, recordConnections } from "./programs.js";
import { isProgram } from "../lab/types.js";
import type { EndpointReport, InterruptedNode, NoHandshake, Snapshot, TrafficReport } from "./types.js";
import { checkNetem, FaultRunner, type FaultHook } from "./faults.js";
import { bounded, interruptedNodes, READ_BOUND_MS, watchForPaused } from "./nodes.js";
import { timelineOf } from "./timeline.js";

export const AGENT_PATH = "/opt/zmqlab/agent/main.js";
export const AGENT_ARGV = ["node", AGENT_PATH];

/** A running agent: its events as they come, and a way to stop it. */
export class Agent {
  readonly events: AgentEvent[] = [];
  readonly finished: Promise<number>;
  private listeners: ((e: AgentEvent) => void)[] = [];

  constructor(readonly job: AgentJob, private readonly process: Process) {
    this.finished = (async () => {
      for await (const line of process.lines) {
        let event: AgentEvent;
        try {
          event = JSON.parse(line) as AgentEvent;
        } catch {
          event = { type: "error", message: `agent said: ${line}` };
        }
        this.events.push(event);
        for (const l of this.listeners) l(event);
      }
      return process.exited;
    })();
  }

  onEvent(listener: (e: AgentEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Ask the agent to report and end; kill nothing, every agent ends on its own deadline. */
  stop(): void {
    this.process.write(JSON.stringify({ cmd: "stop" }));
    this.process.closeInput();
  }

  stderr(): string {
    return this.process.stderr();
  }
}

/**
 * A node with an image of the lab's own runs endpoints only if that image carries Node.js and
 * zmqlab's agent: check before any traffic, and say so rather than report broken endpoints.
 */
export async function checkAgent(lab: RunningLab, job: AgentJob): Promise<void> {
  const node = lab.node(job.node);
  if (node.defaultImage) return;
  // One exec: node itself must start, and find the agent.
  const probe = ["node", "-e", `require("fs").accessSync(${JSON.stringify(AGENT_PATH)})`];
  const result = await lab.handle(job.node).exec(probe);
  if (result.exitCode === 0) return;
  const output = (result.stderr.trim() || result.stdout.trim()).split("\n")[0] ?? "";
  const lacks = result.exitCode === 126 || result.exitCode === 127 || /executable file not found|no such file or directory: unknown/i.test(output) ? "Node.js (node)" : `zmqlab's agent (${AGENT_PATH})`;
  throw new EnvironmentError(
    `Node ${job.node} runs the image ${node.image}, which lacks ${lacks}: ${endpointNames(job, "its endpoint")} cannot run (${output || `exit ${result.exitCode}`}).`,
    `build the image FROM zmqlab's node image (zmqlab/node:latest), which carries Node.js and the agent in /opt/zmqlab; or drop image: from nodes.${job.node} to use zmqlab's node image`,
  );
}

/** "its endpoint a" or "its endpoints a, b". */
const endpointNames = (job: AgentJob, lead: string) => `${lead}${job.endpoints.length === 1 ? "" : "s"} ${job.endpoints.map((e) => e.name).join(", ")}`;

export async function startAgent(lab: RunningLab, job: AgentJob): Promise<Agent> {
  const process = await lab.handle(job.node).spawn([...AGENT_ARGV, JSON.stringify(job)]);
  return new Agent(job, process);
}

/**
 * The jobs for a lab that is up: network names in endpoints become the node's kernel names,
 * read (one exec) only from the nodes whose endpoints name an interface.
 */
export async function jobsFor(lab: RunningLab): Promise<AgentJob[]> {
  const namesInterface = (endpoint: string) => {
    const parsed = parseTcpEndpoint(endpoint);
    return typeof parsed !== "string" && [parsed.source, parsed.destination].some((hp) => hp && hp.host !== "*" && !parseAddress(hp.host));
  };
  const nodes = new Set(Object.values(lab.lab.traffic ?? {}).filter((e) => [...list(e.bind), ...list(e.connect)].some(namesInterface)).map((e) => e.node));
  const names = new Map<string, Map<string, string>>();
  await Promise.all(
    [...nodes].map(async (node) => {
      const interfaces = await lab.interfaces(node);
      names.set(node, new Map(interfaces.flatMap((i) => i.altnames.map((a) => [a, i.name] as [string, string]))));
    }),
  );
  return agentJobs(lab.lab, (node, name) => names.get(node)?.get(name) ?? name);
}

export interface TrafficOptions {
  log?: (line: string) => void;
  /** Aborting ends the traffic early (agents report and exit) and throws Cancelled. */
  signal?: AbortSignal;
  /** Awaited just before each fault of the lab runs (e.g. to snapshot counters). */
  atFault?: FaultHook;
  /**
   * Called once every endpoint has started, with the session's hooks. Whoever runs faults (the
   * fault runner, or a test that breaks the lab by hand) awaits `atFault(name)` just before each
   * fault: it snapshots the counters each phase is judged from (then `atFault` runs, if given).
   */
  onStarted?: (hooks: SessionHooks) => void;
}

export interface SessionHooks {
  /** Snapshot the counters for the fault `name`; resolves when done, just before the fault may run. */
  atFault(name: string): Promise<void>;
}

/**
 * Every forwarding node's packet counters, and each receiver's count by its agent's latest tick.
 * Never fails: a node that cannot be read now (stopped, paused, gone) is left out.
 */
export async function snapshot(lab: RunningLab, agents: Agent[]): Promise<Snapshot> {
  const routers = lab.plan.nodes.filter((n) => n.forward).map((n) => n.name);
  // Bounded: an exec into a paused node hangs.
  const counts = await Promise.all(routers.map((r) => bounded(lab.flows(r), READ_BOUND_MS, `node ${r}`).catch(() => undefined)));
  const received: Record<string, number> = {};
  for (const agent of agents) {
    for (const e of agent.events) if (e.type === "tick") received[e.endpoint] = e.received;
  }
  const flows = Object.fromEntries(routers.flatMap((r, i) => (counts[i] ? [[r, counts[i]]] : [])));
  return { wall: Date.now(), flows, received };
}

/** Run every endpoint to its end and collect what happened. */
export async function runTraffic(lab: RunningLab, options: TrafficOptions = {}): Promise<TrafficReport> {
  return (await trafficSession(lab, options)).report;
}

/** The traffic report, and every program endpoint's whole output (the report keeps the last lines). */
export interface TrafficSession {
  report: TrafficReport;
  outputs: Record<string, string[]>;
  /** The counters at each fault, by the fault's name (see SessionHooks.atFault). */
  snapshots: Record<string, Snapshot>;
}

/**
 * The traffic phase, step by step: programs that bind start first and must become ready; then
 * zmqlab's agents and the other programs start together; senders send and programs run to their
 * end (each bounded by its timeout, the whole by trafficTimeout); receivers linger; whatever
 * still runs is stopped; then each endpoint is reported.
 */
export async function trafficSession(lab: RunningLab, options: TrafficOptions = {}): Promise<TrafficSession> {
  const log = options.log ?? (() => {});
  const settings = settingsOf(lab.lab);
  const started = new Date();
  const t0 = performance.now();
  const jobs = await jobsFor(lab);
  const programs = Object.entries(lab.lab.traffic ?? {}).flatMap(([name, spec]) => (isProgram(spec) ? [new ProgramEndpoint(lab, name, spec, settings.trafficTimeout)] : []));
  const [serving, connecting] = [programs.filter((p) => p.binds.length > 0), programs.filter((p) => p.binds.length === 0)];
  const senders = new Set(jobs.flatMap((j) => j.endpoints.filter((e) => e.send && e.send.count > 0).map((e) => e.name)));
  // An agent endpoint on a node whose image lacks the agent is the environment's problem (exit 3).
  await Promise.all(jobs.map((job) => checkAgent(lab, job)));
  // So is a delay fault on a kernel without netem: found now, not in the middle of the traffic.
  await checkNetem(lab);

  if (serving.length > 0) {
    await Promise.all([...new Set(serving.map((p) => p.node))].map((node) => recordConnections(lab, node)));
    log(`traffic: starting ${serving.length} programs that bind, waiting until they are ready`);
    await Promise.all(serving.map((p) => p.start()));
    await Promise.all(serving.map((p) => p.ready(settings.trafficTimeout)));
  }
  log(`traffic: ${jobs.length} agents, ${senders.size} senders${programs.length ? `, ${programs.length} programs` : ""} (handshakes, subscriptions, then messages)`);
  // Before each fault: the counters its phases are judged from, then the caller's own hook.
  const snapshots: Record<string, Snapshot> = {};
  let running: Agent[] = [];
  const hooks: SessionHooks = {
    atFault: async (name) => {
      snapshots[name] = await snapshot(lab, running);
    },
  };
  const atFault: FaultHook = async (name) => {
    await hooks.atFault(name);
    await options.atFault?.(name);
  };
  // Fault times count from here: the moment the agents and the connecting programs are started.
  const faults = lab.plan.faults?.length ? new FaultRunner(lab, performance.now(), atFault, log) : undefined;
  let faultsOver = faults === undefined;
  const [agents] = await Promise.all([Promise.all(jobs.map((job) => startAgent(lab, job))), Promise.all(connecting.map((p) => p.start()))]).catch(async (err: unknown) => {
    // No fault may act on a lab whose traffic never started (and that is about to be removed).
    faults?.stop();
    await faults?.done;
    throw err;
  });
  running = agents;
  options.onStarted?.(hooks);

  // Senders and programs end on their own, and the last fault has run; receivers get `linger` ms
  // more; nothing waits past the bound.
  const pending = new Set([...senders, ...programs.map((p) => p.name)]);
  let watch: { stop(): void } | undefined;
  await new Promise<void>((resolve) => {
    const bound = setTimeout(resolve, settings.trafficTimeout);
    let waited = pending.size > 0;
    const check = () => {
      if (pending.size === 0 && faultsOver && waited) {
        clearTimeout(bound);
        resolve();
      }
    };
    for (const agent of agents) {
      agent.onEvent((e) => {
        if (e.type === "sent" || (e.type === "final" && pending.has(e.endpoint))) pending.delete(e.endpoint);
        // An endpoint that could not start sends nothing: no need to wait for it.
        if (e.type === "error" && e.stage === "start" && e.endpoint) pending.delete(e.endpoint);
        if (e.type === "no-handshake") log(`no handshake: ${e.endpoint} ${e.connect}`);
        check();
      });
      // An agent that ends early (a crash, its container gone) has nothing more to send.
      agent.finished.catch(() => -1).then(() => {
        for (const e of agent.job.endpoints) pending.delete(e.name);
        check();
      });
    }
    // A paused node's agent and programs neither send nor end: stop waiting for them.
    const waitedOn = [...agents.flatMap((a) => a.job.endpoints.filter((e) => pending.has(e.name)).map((e) => [a.job.node, e.name])), ...programs.map((p) => [p.node, p.name])];
    watch = watchForPaused(lab, [...new Set(waitedOn.map(([node]) => node!))], (node) => {
      log(`node ${node} is paused: not waiting for its endpoints`);
      for (const [n, name] of waitedOn) if (n === node) pending.delete(name!);
      check();
    });
    for (const p of programs) {
      void p.done.then(() => {
        pending.delete(p.name);
        check();
      });
    }
    // Nothing sends: give the connects their handshake time.
    if (!waited) setTimeout(() => {
      waited = true;
      check();
    }, settings.handshakeTimeout);
    void faults?.done.then(() => {
      faultsOver = true;
      check();
    });
    options.signal?.addEventListener("abort", () => resolve(), { once: true });
  });
  // Past the bound (or interrupted), no further fault starts; one that runs is finished.
  faults?.stop();
  await faults?.done;
  watch?.stop();
  log(pending.size ? `traffic bound reached; still running: ${[...pending].join(", ")}` : "senders done; collecting");
  if (!options.signal?.aborted) await new Promise((r) => setTimeout(r, settings.linger));
  for (const agent of agents) agent.stop();
  // A node that went away or froze (paused) leaves its agent or program unfinished: bounded.
  await Promise.all([
    ...agents.map((a) => Promise.race([a.finished.catch(() => -1), new Promise((r) => setTimeout(r, settings.handshakeTimeout + 5000))])),
    ...programs.map((p) => bounded(p.finish(), READ_BOUND_MS, `program ${p.name} on ${p.node}`).catch(() => undefined)),
  ]);
  if (options.signal?.aborted) throw new Cancelled();
  const interrupted = await interruptedNodes(lab, started);
  checkLabStillThere(lab, interrupted);

  const endpoints = await Promise.all(
    Object.entries(lab.lab.traffic ?? {}).map(([name, spec]) => {
      const program = programs.find((p) => p.name === name);
      const lost = interrupted.find((n) => n.node === spec.node);
      return program ? programReport(program, lost) : endpointReport(lab, name, spec.node, agents.find((a) => a.job.node === spec.node)!, lost);
    }),
  );
  const report: TrafficReport = { lab: lab.name, started: started.toISOString(), durationMs: Math.round(performance.now() - t0), endpoints, ...(faults ? { faults: faults.events } : {}), ...(interrupted.length ? { interrupted } : {}) };
  return { report, outputs: Object.fromEntries(programs.map((p) => [p.name, p.output()])), snapshots };
}

function programReport(p: ProgramEndpoint, lost?: InterruptedNode): EndpointReport {
  const outcome = p.outcome();
  const errors = [...p.errors];
  if (outcome.stopped) errors.push(`still running at the end of its time (${p.timeoutMs} ms or the traffic phase): stopped with SIGTERM${outcome.killed ? ", then SIGKILL" : ""}`);
  // Its node went away under it: unless it had already ended well by itself, what it would have
  // done is unknown, and that fails the run.
  const endedWell = outcome.exitCode === 0 && !outcome.stopped;
  const failures = lost && !endedWell ? [`${lost.message}: program ${p.name} could not finish there`] : [];
  errors.push(...failures);
  return {
    name: p.name,
    node: p.node,
    socket: "program",
    program: outcome,
    bind: list(p.spec.bind),
    connect: list(p.spec.connect),
    sent: 0,
    received: 0,
    from: {},
    gaps: 0,
    duplicates: 0,
    reordered: 0,
    peers: p.peersSeen(),
    handshakes: [],
    noHandshake: [],
    errors,
    ...(failures.length ? { failures } : {}),
  };
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

async function endpointReport(lab: RunningLab, name: string, node: string, agent: Agent, lost?: InterruptedNode): Promise<EndpointReport> {
  const job = agent.job.endpoints.find((e) => e.name === name)!;
  const final = agent.events.find((e): e is Extract<AgentEvent, { type: "final" }> => e.type === "final" && e.endpoint === name);
  const errorEvents = agent.events.filter((e): e is Extract<AgentEvent, { type: "error" }> => e.type === "error" && (e.endpoint === name || e.endpoint === undefined));
  const errors = errorEvents.map((e) => e.message);
  // Broken: it could not start (socket, bind, connect), or the agent failed or left it unreported.
  const failures = errorEvents.filter((e) => e.endpoint === undefined || e.stage === "start").map((e) => e.message);
  if (!final) {
    const missing = lost
      ? `${lost.message}: ${name} could not report (what it sent or received until then is unknown)`
      : `the agent on ${node} reported no result for ${name}${agent.stderr() ? `: ${agent.stderr().trim().split("\n").slice(-3).join(" | ")}` : ""}`;
    errors.push(missing);
    failures.push(missing);
  }
  const reported: EndpointResult = final?.result ?? { sent: 0, received: 0, from: {}, gaps: 0, duplicates: 0, reordered: 0, handshakes: [], noHandshake: [], peers: [] };
  // A broken endpoint's messages went nowhere: never report them as sent.
  const result = failures.length > 0 ? { ...reported, sent: 0 } : reported;
  const noHandshake = result.noHandshake.length
    ? await bounded(describeNoHandshake(lab, node, name, result.noHandshake, agent), READ_BOUND_MS, `node ${node}`).catch((err) => plainNoHandshake(lab, node, name, result.noHandshake, err))
    : [];
  const spec = lab.lab.traffic![name]!;
  const timeline = failures.length === 0 ? timelineOf(agent.events, name) : undefined;
  return {
    name,
    node,
    socket: job.socket,
    bind: list(spec.bind),
    connect: list(spec.connect),
    sent: result.sent,
    received: result.received,
    from: result.from,
    gaps: result.gaps,
    duplicates: result.duplicates,
    reordered: result.reordered,
    peers: result.peers,
    handshakes: result.handshakes,
    noHandshake,
    errors,
    ...(failures.length > 0 ? { failures } : {}),
    ...(result.rate !== undefined && failures.length === 0 ? { rate: result.rate } : {}),
    ...(timeline ? { timeline } : {}),
  };
}

/** Connects without a handshake, described without the node (which could not be read). */
function plainNoHandshake(lab: RunningLab, node: string, name: string, connects: string[], err: unknown): NoHandshake[] {
  const afterMs = settingsOf(lab.lab).handshakeTimeout;
  return connects.map((connect) => ({ connect, destination: connect, afterMs, nodeAddresses: [], message: `${name} on ${node}: no ZeroMQ handshake on ${connect} (the node could not be read: ${(err as Error).message})` }));
}

/** How the node's kernel would route a connect: `ip route get DST [from SRC]`, in words. */
async function routeFor(lab: RunningLab, node: string, interfaces: InterfaceState[], destination: string, source?: string): Promise<string> {
  const argv = ["ip", "-j", "route", "get", destination, ...(source && parseAddress(source) ? ["from", source] : [])];
  const result = await lab.exec(node, argv);
  if (result.exitCode !== 0) return `the node has no route to ${destination} (${result.stderr.trim()})`;
  const [route] = JSON.parse(result.stdout) as { gateway?: string; dev?: string; prefsrc?: string; table?: string }[];
  if (!route) return `the node has no route to ${destination}`;
  const dev = route.dev ? interfaces.find((i) => i.name === route.dev)?.altnames[0] ?? route.dev : "?";
  return `the node sends it ${route.gateway ? `via ${route.gateway}` : "directly"} on ${dev}${route.prefsrc ? ` from ${route.prefsrc}` : ""}${route.table && route.table !== "main" ? ` (table ${route.table})` : ""}`;
}

async function describeNoHandshake(lab: RunningLab, node: string, name: string, connects: string[], agent: Agent): Promise<NoHandshake[]> {
  const interfaces = await lab.interfaces(node);
  const nodeAddresses = interfaces.filter((i) => i.name !== "lo").flatMap((i) => i.addresses.map((a) => `${a.split("/")[0]} (${i.altnames[0] ?? i.name})`));
  return Promise.all(
    connects.map(async (connect) => {
      const parsed = parseTcpEndpoint(connect);
      const source = typeof parsed !== "string" && parsed.source ? parsed.source.host : undefined;
      const destinationHost = typeof parsed !== "string" ? parsed.destination.host : connect;
      const destination = typeof parsed !== "string" ? `${parsed.destination.host}:${parsed.destination.port}` : connect;
      const event = agent.events.find((e) => e.type === "no-handshake" && e.endpoint === name && e.connect === connect) as Extract<AgentEvent, { type: "no-handshake" }> | undefined;
      const afterMs = event?.after ?? settingsOf(lab.lab).handshakeTimeout;
      const owned = source === undefined || nodeAddresses.some((a) => a.startsWith(`${source} `)) || /^[a-z]/.test(source);
      if (!owned) {
        const message = `${name} on ${node}: no ZeroMQ handshake with ${destination} within ${afterMs} ms: the source ${source} is not an address of ${node} (it has ${nodeAddresses.join(", ")})`;
        return { connect, ...(source ? { source } : {}), destination, afterMs, nodeAddresses, message };
      }
      const route = await routeFor(lab, node, interfaces, destinationHost, source);
      const message = `${name} on ${node}: no ZeroMQ handshake with ${destination}${source ? ` from ${source}` : ""} within ${afterMs} ms; ${route} (nothing listens there, or no route carries the traffic there and back, or a node on the way filters it)`;
      return { connect, ...(source ? { source } : {}), destination, afterMs, nodeAddresses, route, message };
    }),
  );
}
