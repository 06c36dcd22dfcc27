// lost: at most N messages went missing at an endpoint, by the sequence numbers zmqlab's senders
// put in every message.
// - At a receiver: gaps (numbers below the highest seen that never arrived), and, from a
//   publisher, the messages it sent after the last one that arrived (every message of a publisher
//   the endpoint hears from is for it: its topic matched), per life of the publisher. Senders
//   that share their messages among several receivers (a PUSH, DEALER or REQ with several peers)
//   leave no gaps to count: a receiver sees only its share.
// - At a sender that shares (push, dealer, req): what it sent that no receiver of the lab got;
//   at a requester (a req, or a dealer that got replies), the requests that got no reply.
// Scoped with a phase, it counts what went missing in that phase, and unreceived messages only
// when the phase reaches the end of the traffic.
import Type, { type Static } from "typebox";
import type { EndpointReport } from "../../traffic/types.js";
import { endpointName, expectation } from "../kind.js";
import { plural, type ExpectationResult, type Observations } from "../types.js";

const body = Type.Object(
  {
    endpoint: endpointName("The endpoint whose losses count: a receiver, a sender that shares its messages, or a requester."),
    atMost: Type.Integer({ minimum: 0, description: "How many messages may go missing." }),
  },
  { additionalProperties: false, description: "At most atMost messages went missing." },
);
type Spec = Static<typeof body>;

export function describeLost(spec: Spec): string {
  return `${spec.endpoint} loses at most ${plural(spec.atMost, "message")}`;
}

/**
 * Messages publishers sent after the last one that reached `endpoint`, by its timeline's last
 * sample: per life of each publisher (a publisher started again counts from 0 again).
 */
export function unreceived(endpoint: EndpointReport, observations: Observations): number {
  const highest = endpoint.timeline?.samples[endpoint.timeline.samples.length - 1]?.highest ?? {};
  let missing = 0;
  for (const [key, seq] of Object.entries(highest)) {
    const [sender, life] = key.includes("#") ? [key.slice(0, key.lastIndexOf("#")), Number(key.slice(key.lastIndexOf("#") + 1))] : [key, 1];
    const publisher = observations.traffic.endpoints.find((e) => e.name === sender && (e.socket === "pub" || e.socket === "xpub"));
    if (!publisher) continue;
    const sent = publisher.lives ? (publisher.lives.find((l) => l.life === life)?.sent ?? 0) : publisher.sent;
    missing += Math.max(0, sent - (seq + 1));
  }
  return missing;
}

const SHARING = new Set(["push", "dealer", "req"]);

/** A sender that shares: what it sent that nobody got, or (a requester) the requests that got no reply. */
function lostBySender(endpoint: EndpointReport, observations: Observations): { count: number; how: string } {
  const requester = endpoint.socket === "req" || (endpoint.socket === "dealer" && endpoint.received > 0);
  if (requester) {
    const count = Math.max(0, endpoint.sent - endpoint.received);
    return { count, how: `${plural(count, "request")} of ${endpoint.sent} got no reply` };
  }
  const got = observations.traffic.endpoints.reduce((n, e) => n + (e.name === endpoint.name ? 0 : (e.from[endpoint.name] ?? 0)), 0);
  const count = Math.max(0, endpoint.sent - got);
  return { count, how: `${endpoint.sent} sent, ${got} received by the lab's endpoints` };
}

export function lost(spec: Spec, observations: Observations): ExpectationResult {
  const base = { kind: "lost" as const, description: describeLost(spec), expected: `at most ${spec.atMost} lost`, spec: { ...spec } };
  const endpoint = observations.traffic.endpoints.find((e) => e.name === spec.endpoint);
  if (!endpoint) return { ...base, ok: false, observed: "no such endpoint in the report", message: `no endpoint ${spec.endpoint} in the traffic report`, evidence: {} };
  if (SHARING.has(endpoint.socket) && endpoint.sent > 0) {
    const { count, how } = lostBySender(endpoint, observations);
    const ok = count <= spec.atMost;
    return {
      ...base,
      ok,
      observed: `${count} lost (${plural(endpoint.sent, "message")} sent)`,
      message: ok ? `${spec.endpoint} lost ${count} (${how})` : `${spec.endpoint} lost ${plural(count, "message")} (${how}), ${count - spec.atMost} more than the ${spec.atMost} allowed`,
      evidence: { lost: count, sent: endpoint.sent, received: endpoint.received },
    };
  }
  const tail = unreceived(endpoint, observations);
  const count = endpoint.gaps + tail;
  const ok = count <= spec.atMost;
  const observed = `${count} lost (${plural(endpoint.received, "message")} received)`;
  const how = `${plural(endpoint.gaps, "gap")} in the senders' sequences${tail ? `, ${tail} sent after the last that arrived` : ""}`;
  const message = ok ? `${spec.endpoint} lost ${count} (${how})` : `${spec.endpoint} lost ${plural(count, "message")} (${how}), ${count - spec.atMost} more than the ${spec.atMost} allowed`;
  return { ...base, ok, observed, message, evidence: { lost: count, gaps: endpoint.gaps, unreceived: tail, received: endpoint.received, duplicates: endpoint.duplicates } };
}

export const lostKind = expectation({
  kind: "lost",
  body,
  doc: {
    holds:
      "at most `atMost` messages went missing: at a receiver, gaps plus a publisher's messages sent after the last that arrived; at a sharing sender, what no receiver got; at a requester, requests with no reply",
    observedFrom: "sequence numbers; the senders' sent counts",
  },
  needs: { endpoint: { of: "agent", hint: "lost reads zmqlab's agent's sequence numbers; for a program, judge its output" } },
  validate(spec, check, at) {
    if (check.lookup(spec.endpoint)?.format === "raw")
      check.problem([...at, "endpoint"], `${spec.endpoint} reads raw messages: they carry no sequence numbers`, "lost counts gaps in zmqlab's sequence numbers: let the sender use zmqlab's framing");
  },
  judge: lost,
});
