// recovered: after a fault, messages reach the endpoint again within a bound. The outage is the
// receiver's longest silence (a gap between two messages longer than the agent's silence
// threshold, 100 ms) among those that span the fault or begin after it, and begin before the next
// fault (whose own outage it would be); the longest, because a busy node's short hiccups (and the
// messages still on their way when the fault struck) come before and after the real outage.
// Of equally long ones, the earliest. A silence still going on at stop that began after every sender this
// endpoint heard from had finished sending is the end of the traffic, not an outage.
// Recovery time = the first message after the outage, minus the fault's time (a silence that
// began before the fault counts from the fault); it must be at most `within` (equal holds).
// The outage (ms) is the silence's whole length. Without an outage, messages kept flowing:
// recovered, outage 0, provided any message came after the fault. An outage that never ended
// (no message until the traffic stopped) fails. When the receiver had no message before the
// fault, the first message after it ends the outage.
import { parseDuration } from "../lab/duration.js";
import type { RecoveredSpec } from "../lab/types.js";
import { type ExpectationResult, type Observations } from "./types.js";

type Spec = RecoveredSpec["recovered"];

const withinText = (spec: Spec) => (typeof spec.within === "number" ? `${spec.within} ms` : spec.within);

export function describeRecovered(spec: Spec): string {
  return `${spec.endpoint} receives messages again within ${withinText(spec)} after ${spec.after}`;
}

export function recovered(spec: Spec, observations: Observations): ExpectationResult {
  const within = parseDuration(spec.within) ?? 0;
  const base = { kind: "recovered" as const, description: describeRecovered(spec), expected: `messages again within ${within} ms of ${spec.after}`, spec: { ...spec } };
  const fail = (observed: string, message: string, evidence: Record<string, unknown> = {}) => ({ ...base, ok: false, observed, message, evidence });
  const endpoint = observations.traffic.endpoints.find((e) => e.name === spec.endpoint);
  if (!endpoint) return fail("no such endpoint in the report", `no endpoint ${spec.endpoint} in the traffic report`);
  const at = observations.faults?.[spec.after];
  if (at === undefined) return fail("the fault did not run", `the fault ${spec.after} did not run, so nothing can have recovered from it (see the report's faults)`);
  const timeline = endpoint.timeline;
  if (!timeline) return fail("no timeline", `${spec.endpoint} has no receive timeline (a program endpoint, or its agent reported none)`);
  const since = (wall: number) => wall - at;
  // An open silence lasts at least until the last wall time the report knows of.
  const length = (s: { start: number; end: number | null }) => (s.end ?? Infinity) - s.start;
  const next = Math.min(...Object.values(observations.faults ?? {}).filter((w) => w > at));
  const senders = Object.keys(endpoint.from).map((name) => observations.traffic.endpoints.find((e) => e.name === name)?.timeline?.sendingEnded);
  const sendingEnded = senders.length > 0 && senders.every((w) => w !== undefined) ? Math.max(...(senders as number[])) : Infinity;
  const outage = timeline.silences
    .filter((s) => (s.end === null ? s.start < sendingEnded : s.end > at) && s.start < next)
    .sort((a, b) => length(b) - length(a) || a.start - b.start)[0];
  const silences = timeline.silences.map((s) => ({ start: since(s.start), end: s.end === null ? null : since(s.end) }));
  if (outage?.end === null) {
    return fail(
      "no message since",
      `${spec.endpoint} received nothing from ${since(outage.start)} ms (relative to ${spec.after}) until the traffic stopped: it never recovered${endpoint.errors.length ? ` (${endpoint.errors.join("; ")})` : ""}`,
      { faultAt: at, silenceStart: since(outage.start), outageMs: null, recoveredAfterMs: null, silences },
    );
  }
  // Stryker disable next-line EqualityOperator: a first message exactly at the fault gives recovery 0 and outage 0 either way
  const firstAfter = timeline.firstMessage !== undefined && timeline.firstMessage > at ? timeline.firstMessage : undefined;
  let recoveredAfter: number;
  let outageMs: number;
  if (outage) {
    recoveredAfter = since(outage.end);
    outageMs = outage.end - outage.start;
  } else if (firstAfter !== undefined) {
    // Nothing came before the fault: the wait for the first message is the outage.
    recoveredAfter = since(firstAfter);
    outageMs = recoveredAfter;
  } else if (timeline.lastMessage !== undefined && timeline.lastMessage > at) {
    recoveredAfter = 0;
    outageMs = 0;
  } else {
    return fail("no message after the fault", `${spec.endpoint} received no message after ${spec.after}${timeline.lastMessage !== undefined ? ` (its last came ${-since(timeline.lastMessage)} ms before it)` : " (nor before it)"}`, { faultAt: at, outageMs: null, recoveredAfterMs: null, silences });
  }
  const ok = recoveredAfter <= within;
  const observed = outageMs === 0 ? `no silence over ${timeline.silenceMs} ms` : `outage ${outageMs} ms, messages again ${recoveredAfter} ms after ${spec.after}`;
  const message = ok
    ? outageMs === 0 ? `${spec.endpoint} kept receiving across ${spec.after} (no silence over ${timeline.silenceMs} ms)` : `${spec.endpoint} received again ${recoveredAfter} ms after ${spec.after} (outage ${outageMs} ms)`
    : `${spec.endpoint} received again only ${recoveredAfter} ms after ${spec.after}, ${recoveredAfter - within} ms past the ${within} ms allowed (outage ${outageMs} ms)`;
  return { ...base, ok, observed, message, evidence: { faultAt: at, outageMs, recoveredAfterMs: recoveredAfter, silences } };
}
