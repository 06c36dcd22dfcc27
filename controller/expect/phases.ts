// Phases: an expectation with `before: F`, `after: F` or `between: [F, G]` is judged on what
// happened in that window of the fault timeline only. One layer for every kind: it cuts the
// observations down to the window, and the kind's judge runs unchanged on them.
//
// A window runs from the start of the traffic (or a fault) to a fault (or the end). At each end:
// - receive counts (received, per sender, gaps, duplicates) come from the endpoint's timeline: the
//   last sample at or before the fault's time (samples come every 100 ms while counts change), and
//   the endpoint's final counts at the end of the traffic; the window holds the difference;
// - latency: the histograms of the samples after the opening one up to the closing one (the
//   messages the window counts), merged;
// - packet counters come from the snapshot taken just before the fault, and the final counters at
//   the end (a counter lower later than earlier was reset, by a node restart: its later value counts);
// - kernel peers are those established at the window's start or seen established inside it;
// - handshakes (the connects that completed one) are those whose handshake came inside it;
// - a window that ends at a fault drops the endpoint's timeline (see endpointIn).
// A fault's time is when it took effect (ms since time 0); an event at exactly that time belongs to `after`.
import type { PhaseScope } from "./registry.js";
import Type, { type Static } from "typebox";
import { FLOW_COUNT, type FlowCount } from "../observe/flows.js";
import { COUNT, MS, type EndpointReport, type TimelineSample } from "../traffic/types.js";
import { sampleAt } from "../traffic/timeline.js";
import { latencyOf } from "../traffic/latency.js";
import type { Observations } from "./types.js";

export const PHASE_KEYS = ["before", "after", "between"] as const;

/** A window of the timeline: from a fault (or the start) to a fault (or the end). */
export interface Scope {
  from?: string;
  to?: string;
}

/** The window an expectation's body names, if any. */
export function scopeOf(body: PhaseScope): Scope | undefined {
  if (body.between) return { from: body.between[0], to: body.between[1] };
  if (body.after !== undefined) return { from: body.after };
  if (body.before !== undefined) return { to: body.before };
  return undefined;
}

export function describeScope(scope: Scope): string {
  if (scope.from !== undefined && scope.to !== undefined) return `between ${scope.from} and ${scope.to}`;
  return scope.from !== undefined ? `after ${scope.from}` : `before ${scope.to}`;
}

/** The body without its phase keys: what the kind's judge reads. */
export function withoutPhase<T extends PhaseScope>(body: T): Omit<T, keyof PhaseScope> {
  const { before: _b, after: _a, between: _w, ...plain } = body;
  return plain;
}

/** Times of the window's ends, ms since time 0 (undefined: the start or the end of the traffic). */
export interface Window {
  start?: number;
  end?: number;
}

/** The window's times, or why there is none: a fault it names did not run. */
export function windowOf(scope: Scope, observations: Observations): Window | string {
  const missing = [scope.from, scope.to].filter((f): f is string => f !== undefined && observations.faults?.[f] === undefined);
  if (missing.length > 0) return `the fault ${missing.join(" and ")} did not run, so there is no such phase to judge (see the report's faults)`;
  const window: Window = {};
  if (scope.from !== undefined) window.start = observations.faults![scope.from]!;
  if (scope.to !== undefined) window.end = observations.faults![scope.to]!;
  return window;
}

/** The observations cut down to a window: what each judge sees for a phased expectation. */
export function scoped(observations: Observations, scope: Scope, window: Window): Observations {
  const flowsAt = (fault: string | undefined, fallback: Record<string, FlowCount[]>) => (fault !== undefined ? (observations.snapshots?.[fault]?.flows ?? {}) : fallback);
  const endFlows = flowsAt(scope.to, observations.flows);
  const startFlows = flowsAt(scope.from, {});
  // Every forwarding node stays a key. One that could not be read at the closing fault (stopped,
  // paused) counts nothing in the window; at the opening fault, all it shows later counts.
  // So is one whose final counters could not be read (stopped at the end): a window that closes
  // at a fault before then has its counters from that fault's snapshot.
  const nodes = [...Object.keys(observations.flows), ...Object.keys(observations.flowsUnavailable ?? {})];
  const flows = Object.fromEntries(nodes.map((node) => [node, flowDifference(startFlows[node] ?? [], endFlows[node] ?? [])]));
  return {
    ...observations,
    traffic: { ...observations.traffic, endpoints: observations.traffic.endpoints.map((e) => endpointIn(e, window)) },
    flows,
  };
}

/** Packets counted between two readings of one node's counters. */
export function flowDifference(earlier: FlowCount[], later: FlowCount[]): FlowCount[] {
  const before = new Map(earlier.map((f) => [`${f.from}>${f.to}`, f]));
  return later
    .map((f) => {
      const e = before.get(`${f.from}>${f.to}`);
      // A counter that went down was reset (its node restarted): all it shows came since.
      if (!e || f.packets < e.packets) return f;
      return { from: f.from, to: f.to, packets: f.packets - e.packets, bytes: f.bytes - e.bytes };
    })
    .filter((f) => f.packets > 0);
}

/** One endpoint as it was within the window. Without a timeline (a program, a broken endpoint) it is left whole. */
export function endpointIn(endpoint: EndpointReport, window: Window): EndpointReport {
  const timeline = endpoint.timeline;
  if (!timeline) return endpoint;
  const final: TimelineSample = { ms: Infinity, sent: endpoint.sent, received: endpoint.received, gaps: endpoint.gaps, duplicates: endpoint.duplicates, from: endpoint.from };
  const at = (ms: number | undefined, otherwise: TimelineSample) => (ms === undefined ? otherwise : sampleAt(timeline.samples, ms));
  // Stryker disable next-line UnaryOperator: the time of the opening sample is never read
  const first = at(window.start, { ms: -Infinity, sent: 0, received: 0, gaps: 0, duplicates: 0, from: {} });
  const last = at(window.end, final);
  const from = Object.fromEntries(
    Object.entries(last.from)
      .map(([sender, n]) => [sender, n - (first.from[sender] ?? 0)] as const)
      .filter(([, n]) => n > 0),
  );
  const inside = (ms: number) => (window.start === undefined || ms >= window.start) && (window.end === undefined || ms < window.end);
  // Peers: the set established when the window opened, and every set seen inside it.
  // Stryker disable next-line ConditionalExpression: without a start, no set is older than it either (a comparison with undefined is false)
  const opening = window.start === undefined ? undefined : [...timeline.peers].reverse().find((p) => p.ms < window.start!);
  const sets = [...(opening ? [opening] : []), ...timeline.peers.filter((p) => inside(p.ms))];
  const peers = [...new Map(sets.flatMap((s) => s.established).map((p) => [`${p.address}:${p.port}>${p.local}`, p])).values()];
  const shaken = new Set(timeline.handshakes.filter((h) => inside(h.ms)).map((h) => h.connect));
  // Latency of the messages counted in the window: those of the samples after its opening sample,
  // up to and with its closing one.
  const latency = latencyOf(timeline.samples.filter((s) => (window.start === undefined || s.ms > window.start) && (window.end === undefined || s.ms <= window.end)));
  // A window that ends at a fault has no timeline: what was still on its way then is not lost
  // (`lost` counts unreceived messages only when the window reaches the end of the traffic).
  const { timeline: _t, latency: _l, ...rest } = endpoint;
  const { latency: _m, ...whole } = endpoint;
  return {
    ...(window.end === undefined ? whole : rest),
    ...(latency ? { latency } : {}),
    // What it sent in the window, where its samples say (an agent's do).
    ...(last.sent !== undefined && first.sent !== undefined ? { sent: last.sent - first.sent } : {}),
    received: last.received - first.received,
    from,
    gaps: last.gaps - first.gaps,
    duplicates: last.duplicates - first.duplicates,
    peers,
    handshakes: endpoint.handshakes.filter((c) => shaken.has(c)),
  };
}

/** One phase of the run, for the report: the span between two faults (or the start or end) and what was counted in it. */
export const PHASE = Type.Object(
  {
    from: Type.String({ description: "`start`, or the fault that opens the phase." }),
    to: Type.String({ description: "The fault that closes the phase, or `end`." }),
    start: Type.Optional({ ...MS, description: "When it began (ms since time 0); absent for the traffic's start." }),
    end: Type.Optional({ ...MS, description: "When it ended; absent for the traffic's end." }),
    received: Type.Record(Type.String(), COUNT, { description: "Each agent receiver's messages in this phase." }),
    flows: Type.Record(Type.String(), Type.Array(FLOW_COUNT), { description: "Each forwarding node's packets in this phase, per (source, destination)." }),
  },
  { additionalProperties: false, description: "One phase of a run with faults: from the start (or a fault) to a fault (or the end), and what was counted in it." },
);
export type Phase = Static<typeof PHASE>;

/** The run cut at every fault that ran, in time order: start -> F1 -> ... -> end. Empty without faults. */
export function phasesOf(observations: Observations): Phase[] {
  const faults = Object.entries(observations.faults ?? {}).sort((a, b) => a[1] - b[1]);
  if (faults.length === 0) return [];
  const marks: (string | undefined)[] = [undefined, ...faults.map(([name]) => name), undefined];
  return marks.slice(1).map((to, i) => {
    const from = marks[i];
    // Stryker disable next-line ConditionalExpression: an end given as undefined reads as an end not given
    const scope: Scope = { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
    const window = windowOf(scope, observations) as Window;
    const o = scoped(observations, scope, window);
    const receivers = new Set(observations.traffic.endpoints.filter((e) => e.socket !== "pub" && e.socket !== "xpub" && e.timeline && e.timeline.samples.length > 0).map((e) => e.name));
    const received = Object.fromEntries(o.traffic.endpoints.filter((e) => receivers.has(e.name)).map((e) => [e.name, e.received]));
    return { from: from ?? "start", to: to ?? "end", ...window, received, flows: o.flows };
  });
}
