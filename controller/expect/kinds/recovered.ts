// recovered: after a fault, messages reach the endpoint again within a bound.
// The outage is the silence (a gap between two messages longer than the agent's threshold,
// 100 ms) that belongs to the fault, ended by the first message after it:
// - one that spans the fault, or begins after it while the messages that arrived in between had
//   been sent before it (their headers say when: the stream had stopped at the fault, and what
//   still arrived was on its way); for messages without a send time (a program's own, raw ones),
//   one that begins within one threshold of the fault;
// - followed by the silences after it while only messages sent before the fault arrive in
//   between (a trickle of retransmissions is still the outage);
// - never a later hiccup of a stream that went on after the fault (then the outage is 0), and
//   never the end of the traffic: a silence still going on at stop that began when every sender
//   this endpoint depends on had finished (the senders it heard from, and itself when it sends
//   requests whose replies it receives) is the end of the traffic, not an outage.
// Recovery time = the first message after the outage, minus the fault's time; it must be at most
// `within` (equal holds). The outage (ms) is from the outage's first silence's start to its end.
// A silence still going on at stop, while its senders were still sending, is an outage that never
// ended: that fails. When the receiver had no message before the fault, the first message after
// it ends the outage.
import { parseDuration } from "../../../shared/duration.js";
import Type, { type Static } from "typebox";
import type { EndpointReport, Silence } from "../../traffic/types.js";
import { duration, endpointName, expectation, faultName } from "../kind.js";
import { type ExpectationResult, type Observations } from "../types.js";

const body = Type.Object(
  {
    endpoint: endpointName("The receiving endpoint."),
    after: faultName("The fault it must recover from."),
    within: duration({ description: "The bound on the recovery: ms, or a string such as 1500ms, 5s." }),
  },
  { additionalProperties: false, description: "Messages reach the endpoint again within `within` after the fault; the report gives the measured outage." },
);
type Spec = Static<typeof body>;

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
  const since = (ms: number) => Math.round((ms - at) * 10) / 10;
  const next = Math.min(...Object.values(observations.faults ?? {}).filter((t) => t > at));
  const trafficEnd = endOfTraffic(endpoint, observations);
  // The stream stopped before the next fault (by the last message's send time, where it says):
  // else the silence is that fault's, even when two faults land a moment apart.
  const beforeNext = (s: Silence) => (s.lastSent ?? s.start) < next;
  const belongs = (s: Silence, first: boolean) =>
    beforeNext(s) && (s.end === null || s.end > at) && (s.start <= at || (s.lastSent !== undefined ? s.lastSent < at : first && s.start - at <= timeline.silenceMs));
  const ordered = [...timeline.silences].sort((a, b) => a.start - b.start);
  const firstIndex = ordered.findIndex((s) => belongs(s, true));
  const outage: Silence[] = [];
  for (let i = firstIndex; i >= 0 && i < ordered.length && belongs(ordered[i]!, i === firstIndex); i++) {
    outage.push(ordered[i]!);
    if (ordered[i]!.end === null) break;
  }
  const silences = timeline.silences.map((s) => ({ start: since(s.start), end: s.end === null ? null : since(s.end) }));
  const last = outage.at(-1);
  // A silence at stop that began once the senders were done is the end of the traffic.
  if (last?.end === null && last.start >= trafficEnd) outage.pop();
  const end = outage.at(-1);
  if (end && end.end === null) {
    return fail(
      "no message since",
      `${spec.endpoint} received nothing from ${Math.round(since(outage[0]!.start))} ms (relative to ${spec.after}) until the traffic stopped: it never recovered${endpoint.errors.length ? ` (${endpoint.errors.join("; ")})` : ""}`,
      { faultAt: at, silenceStart: since(outage[0]!.start), outageMs: null, recoveredAfterMs: null, silences },
    );
  }
  // Stryker disable next-line EqualityOperator: a first message exactly at the fault gives recovery 0 and outage 0 either way
  const firstAfter = timeline.firstMessage !== undefined && timeline.firstMessage > at ? timeline.firstMessage : undefined;
  let recoveredAfter: number;
  let outageMs: number;
  if (end && end.end !== null) {
    recoveredAfter = since(end.end);
    outageMs = Math.round((end.end - outage[0]!.start) * 10) / 10;
  } else if (firstAfter !== undefined) {
    // Nothing came before the fault: the wait for the first message is the outage.
    recoveredAfter = since(firstAfter);
    outageMs = recoveredAfter;
  } else if (timeline.lastMessage !== undefined && timeline.lastMessage > at) {
    recoveredAfter = 0;
    outageMs = 0;
  } else {
    return fail(
      "no message after the fault",
      `${spec.endpoint} received no message after ${spec.after}${timeline.lastMessage !== undefined ? ` (its last came ${Math.round(-since(timeline.lastMessage))} ms before it)` : " (nor before it)"}`,
      { faultAt: at, outageMs: null, recoveredAfterMs: null, silences },
    );
  }
  const ok = recoveredAfter <= within;
  // Whole ms for reading; the evidence keeps tenths.
  const [again, lasted, past] = [recoveredAfter, outageMs, recoveredAfter - within].map(Math.round);
  const observed = outageMs === 0 ? `no silence over ${timeline.silenceMs} ms` : `outage ${lasted} ms, messages again ${again} ms after ${spec.after}`;
  const message = ok
    ? outageMs === 0
      ? `${spec.endpoint} kept receiving across ${spec.after} (no silence over ${timeline.silenceMs} ms)`
      : `${spec.endpoint} received again ${again} ms after ${spec.after} (outage ${lasted} ms)`
    : `${spec.endpoint} received again only ${again} ms after ${spec.after}, ${past} ms past the ${within} ms allowed (outage ${lasted} ms)`;
  return { ...base, ok, observed, message, evidence: { faultAt: at, outageMs, recoveredAfterMs: recoveredAfter, silences } };
}

/**
 * When the traffic this endpoint receives ended: the latest end of sending among the agent
 * senders it heard from and itself (a requester's replies end with its requests); when none of
 * them says, the latest of every agent sender; when no sender says, never.
 */
export function endOfTraffic(endpoint: EndpointReport, observations: Observations): number {
  const ends = (names: string[]) =>
    names.flatMap((name) => {
      const ended = observations.traffic.endpoints.find((e) => e.name === name)?.timeline?.sendingEnded;
      return ended === undefined ? [] : [ended];
    });
  const own = ends([...Object.keys(endpoint.from), endpoint.name]);
  if (own.length > 0) return Math.max(...own);
  const all = ends(observations.traffic.endpoints.map((e) => e.name));
  return all.length > 0 ? Math.max(...all) : Infinity;
}

export const recoveredKind = expectation({
  kind: "recovered",
  body,
  doc: {
    holds: "messages reach the endpoint again at most `within` (ms, or `5s`) after the fault `after`; the report gives the measured outage",
    observedFrom: "the receiver's timeline (silences, send times)",
  },
  timed: true,
  needs: { endpoint: { of: "agent", hint: "recovered reads zmqlab's agent's receive timeline; for a program, judge its output" } },
  validate(spec, check, at) {
    if (spec.within !== undefined && parseDuration(spec.within) === undefined)
      check.problem([...at, "within"], `"${spec.within}" is not a duration`, "ms as a number, or a string such as 1500ms or 5s");
  },
  judge: recovered,
});
