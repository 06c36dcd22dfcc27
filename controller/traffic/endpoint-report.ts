// Each lab endpoint's report from what its agents (one per life of its node) or its programs
// said: counts, peers, handshakes, errors, failures, and the timeline.
import type { AgentEvent, EndpointResult } from "../../shared/protocol.js";
import { parseTcpEndpoint } from "../../shared/endpoint.js";
import { list } from "../../shared/list.js";
import { parseAddress } from "../lab/ip.js";
import type { InterfaceState } from "../observe/kernel.js";
import type { RunningLab } from "../provision/running-lab.js";
import type { Agent } from "./agent.js";
import { settingsOf } from "./jobs.js";
import { bounded, READ_BOUND_MS } from "./nodes.js";
import type { ProgramEndpoint } from "./programs.js";
import { latencyOf } from "./latency.js";
import { mergeLives, sinceT0, timelineOf } from "./timeline.js";
import type { Counts, EndedBy, EndpointLife, EndpointReport, InterruptedNode, NoHandshake, Timeline } from "./types.js";

type Of<T extends AgentEvent["type"]> = Extract<AgentEvent, { type: T }>;

/** One life of a node during the traffic: what ran in it, and how it ended (ms since the epoch). */
export interface NodeLife {
  life: number;
  startedAt: number;
  agent?: Agent;
  programs: ProgramEndpoint[];
  /** A fault stopped or restarted the node: this life ended then. */
  ended?: EndedBy;
  /** A fault paused the node, and nothing unpaused it before the end. */
  paused?: EndedBy;
}

const NO_COUNTS: Counts = { sent: 0, received: 0, from: {}, gaps: 0, duplicates: 0, reordered: 0 };

function sum(parts: Counts[]): Counts {
  const from: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p.from)) from[k] = (from[k] ?? 0) + v;
  const unanswered = parts.some((p) => p.unanswered !== undefined) ? parts.reduce((n, p) => n + (p.unanswered ?? 0), 0) : undefined;
  return {
    sent: parts.reduce((n, p) => n + p.sent, 0),
    received: parts.reduce((n, p) => n + p.received, 0),
    from,
    gaps: parts.reduce((n, p) => n + p.gaps, 0),
    duplicates: parts.reduce((n, p) => n + p.duplicates, 0),
    reordered: parts.reduce((n, p) => n + p.reordered, 0),
    ...(unanswered !== undefined ? { unanswered } : {}),
  };
}

/**
 * What happened to the node beyond the lab's faults: a restart the lab's own fault made is its
 * lives' business (each life reports for itself), not a loss of the last one.
 */
function unplanned(lost: InterruptedNode | undefined, lives: NodeLife[]): InterruptedNode | undefined {
  return lost?.state === "restarted" && lives.length > 1 && lost.faults?.length ? undefined : lost;
}

/** An agent endpoint's report over every life of its node. */
export async function agentEndpointReport(lab: RunningLab, name: string, node: string, lives: NodeLife[], t0: number, interrupted?: InterruptedNode): Promise<EndpointReport> {
  const spec = lab.lab.traffic![name]!;
  const lost = unplanned(interrupted, lives);
  const at = sinceT0(t0);
  const errors: string[] = [];
  const failures: string[] = [];
  const parts: { life: NodeLife; counts: Counts; result?: EndpointResult; timeline?: Timeline; agent: Agent }[] = [];
  for (const life of lives) {
    const agent = life.agent;
    if (!agent || !agent.job.endpoints.some((e) => e.name === name)) continue;
    const final = agent.events.find((e): e is Of<"final"> => e.type === "final" && e.endpoint === name);
    const errorEvents = agent.events.filter((e): e is Of<"error"> => e.type === "error" && (e.endpoint === name || e.endpoint === undefined));
    errors.push(...errorEvents.map((e) => e.message));
    failures.push(...errorEvents.filter((e) => e.endpoint === undefined || e.stage === "start").map((e) => e.message));
    // A life that a fault ended (or froze until the end) reports what it said until then.
    const expectedEnd = life.ended ?? life.paused;
    const endedByFault = expectedEnd !== undefined && (agent.endedAt === undefined || agent.endedAt >= expectedEnd.atMs - 50);
    if (!final && !endedByFault) {
      const missing = lost
        ? `${lost.message}: ${name} could not report (what it sent or received until then is unknown)`
        : `the agent on ${node} reported no result for ${name}${agent.stderr() ? `: ${agent.stderr().trim().split("\n").slice(-3).join(" | ")}` : ""}`;
      errors.push(missing);
      failures.push(missing);
    }
    const tick = agent.events.findLast((e): e is Of<"tick"> => e.type === "tick" && e.endpoint === name);
    const counts: Counts = final
      ? final.result
      : tick
        ? {
            sent: tick.sent,
            received: tick.received,
            from: tick.from,
            gaps: tick.gaps,
            duplicates: tick.duplicates,
            reordered: tick.reordered,
            ...(tick.unanswered !== undefined ? { unanswered: tick.unanswered } : {}),
          }
        : NO_COUNTS;
    parts.push({
      life,
      counts,
      ...(final ? { result: final.result } : {}),
      agent,
      ...(() => {
        const timeline = timelineOf(agent.events, name, t0);
        return timeline ? { timeline } : {};
      })(),
    });
  }
  if (parts.length === 0) failures.push(`no agent ran for ${name} on ${node}`);
  const broken = failures.length > 0;
  const total = sum(parts.map((p) => p.counts));
  const lastPart = parts.at(-1);
  const finalResult = lastPart?.result;
  // Handshakes and peers from every life: a connect that completed one in any life did.
  const shaken = new Set(
    parts.flatMap((p) => [
      ...(p.result?.handshakes ?? []),
      ...p.agent.events.filter((e): e is Of<"handshake"> => e.type === "handshake" && e.endpoint === name && e.connect !== undefined).map((e) => e.connect!),
    ]),
  );
  const connects = list(spec.connect);
  const peers = new Map(
    parts
      .flatMap((p) => [...(p.result?.peers ?? []), ...p.agent.events.filter((e): e is Of<"peers"> => e.type === "peers" && e.endpoint === name).flatMap((e) => e.peers)])
      .map((peer) => [`${peer.local} ${peer.address} ${peer.port}`, peer] as const),
  );
  // Connects judged by the last life that reported them (an ended life cannot say they never would).
  const unshaken = finalResult ? finalResult.noHandshake.filter((c) => !shaken.has(c)) : [];
  const agentOfLast = lastPart?.agent;
  const noHandshake =
    unshaken.length && agentOfLast
      ? await bounded(describeNoHandshake(lab, node, name, unshaken, agentOfLast), READ_BOUND_MS, `node ${node}`).catch((err) => plainNoHandshake(lab, node, name, unshaken, err))
      : [];
  const multi = parts.length > 1 || parts.some((p) => p.life.ended !== undefined || p.life.paused !== undefined);
  const lastEnd = lastPart?.life.ended ?? lastPart?.life.paused;
  const rate = finalResult?.rate;
  const timeline = broken ? undefined : mergeLives(parts.flatMap((p) => (p.timeline ? [p.timeline] : [])));
  const counts = broken ? { ...total, sent: 0 } : total;
  const latency = timeline ? latencyOf(timeline.samples) : undefined;
  return {
    name,
    node,
    socket: spec.socket!,
    bind: list(spec.bind),
    connect: connects,
    ...counts,
    peers: [...peers.values()],
    handshakes: connects.filter((c) => shaken.has(c)),
    noHandshake,
    errors,
    ...(broken ? { failures } : {}),
    ...(multi ? { lives: parts.map((p) => lifeOf(p.life, p.counts, at)) } : {}),
    ...(lastEnd ? { endedBy: { ...lastEnd, atMs: at(lastEnd.atMs) } } : {}),
    ...(rate !== undefined && !broken && parts.length === 1 ? { rate } : {}),
    ...(latency ? { latency } : {}),
    ...(timeline ? { timeline } : {}),
  };
}

function lifeOf(life: NodeLife, counts: Counts, at: (wall: number) => number): EndpointLife {
  const end = life.ended ?? life.paused;
  return {
    life: life.life,
    startMs: at(life.startedAt),
    ...counts,
    ...(end ? { endMs: at(end.atMs), endedBy: { ...end, atMs: at(end.atMs) } } : {}),
  };
}

/** A program endpoint's report over every life of its node. */
export function programEndpointReport(name: string, node: string, lives: NodeLife[], t0: number, interrupted?: InterruptedNode): EndpointReport {
  const at = sinceT0(t0);
  const lost = unplanned(interrupted, lives);
  const runs = lives.flatMap((life) => life.programs.filter((p) => p.name === name).map((p) => ({ life, p })));
  const last = runs.at(-1)!;
  const errors: string[] = [];
  const failures: string[] = [];
  for (const { life, p } of runs) {
    const outcome = p.outcome();
    errors.push(...p.errors);
    if (outcome.stopped) errors.push(`still running at the end of its time (${p.timeoutMs} ms or the traffic phase): stopped with SIGTERM${outcome.killed ? ", then SIGKILL" : ""}`);
    const end = life.ended ?? life.paused;
    // Its node went away under it, and no fault of the lab did that: unless it had already ended
    // well by itself, what it would have done is unknown, and that fails the run.
    const endedWell = outcome.exitCode === 0 && !outcome.stopped;
    if (lost && !end && !endedWell && life === last.life) {
      const failure = `${lost.message}: program ${name} could not finish there`;
      errors.push(failure);
      failures.push(failure);
    }
  }
  const multi = runs.length > 1 || runs.some(({ life }) => life.ended !== undefined || life.paused !== undefined);
  const lastEnd = last.life.ended ?? last.life.paused;
  const spec = last.p.spec;
  const peers = new Map(runs.flatMap(({ p }) => p.peersSeen()).map((peer) => [`${peer.local} ${peer.address} ${peer.port}`, peer] as const));
  return {
    name,
    node,
    socket: "program",
    program: last.p.outcome(),
    bind: list(spec.bind),
    connect: list(spec.connect),
    ...NO_COUNTS,
    peers: [...peers.values()],
    handshakes: [],
    noHandshake: [],
    errors,
    ...(failures.length ? { failures } : {}),
    ...(multi ? { lives: runs.map(({ life, p }) => ({ ...lifeOf(life, NO_COUNTS, at), program: p.outcome() })) } : {}),
    ...(lastEnd ? { endedBy: { ...lastEnd, atMs: at(lastEnd.atMs) } } : {}),
  };
}

/** Connects without a handshake, described without the node (which could not be read). */
function plainNoHandshake(lab: RunningLab, node: string, name: string, connects: string[], err: unknown): NoHandshake[] {
  const afterMs = settingsOf(lab.lab).handshakeTimeout;
  return connects.map((connect) => ({
    connect,
    destination: connect,
    afterMs,
    nodeAddresses: [],
    message: `${name} on ${node}: no ZeroMQ handshake on ${connect} (the node could not be read: ${(err as Error).message})`,
  }));
}

/** How the node's kernel would route a connect: `ip route get DST [from SRC]`, in words. */
async function routeFor(lab: RunningLab, node: string, interfaces: InterfaceState[], destination: string, source?: string): Promise<string> {
  const argv = ["ip", "-j", "route", "get", destination, ...(source && parseAddress(source) ? ["from", source] : [])];
  const result = await lab.node(node).exec(argv);
  if (result.exitCode !== 0) return `the node has no route to ${destination} (${result.stderr.trim()})`;
  const [route] = JSON.parse(result.stdout) as { gateway?: string; dev?: string; prefsrc?: string; table?: string }[];
  if (!route) return `the node has no route to ${destination}`;
  const dev = route.dev ? (interfaces.find((i) => i.name === route.dev)?.altnames[0] ?? route.dev) : "?";
  return `the node sends it ${route.gateway ? `via ${route.gateway}` : "directly"} on ${dev}${route.prefsrc ? ` from ${route.prefsrc}` : ""}${route.table && route.table !== "main" ? ` (table ${route.table})` : ""}`;
}

async function describeNoHandshake(lab: RunningLab, node: string, name: string, connects: string[], agent: Agent): Promise<NoHandshake[]> {
  const interfaces = await lab.node(node).interfaces();
  const nodeAddresses = interfaces.filter((i) => i.name !== "lo").flatMap((i) => i.addresses.map((a) => `${a.split("/")[0]} (${i.altnames[0] ?? i.name})`));
  return Promise.all(
    connects.map(async (connect) => {
      const parsed = parseTcpEndpoint(connect);
      const source = typeof parsed !== "string" && parsed.source ? parsed.source.host : undefined;
      const destinationHost = typeof parsed !== "string" ? parsed.destination.host : connect;
      const destination = typeof parsed !== "string" ? `${parsed.destination.host}:${parsed.destination.port}` : connect;
      const event = agent.events.find((e): e is Of<"no-handshake"> => e.type === "no-handshake" && e.endpoint === name && e.connect === connect);
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
