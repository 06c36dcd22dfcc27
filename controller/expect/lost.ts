// lost: at most N messages went missing at an endpoint, by the sequence numbers zmqlab's senders
// put in every message: gaps (numbers below the highest seen that never arrived), and, from a
// publisher, the messages it sent after the last one that arrived (every message of a publisher
// the endpoint hears from is for it: its topic matched). Other senders (push, dealer, ...) may
// spread their messages over several receivers, so only their gaps count. Scoped with a phase,
// it counts the gaps that appeared in that phase, and unreceived messages only when the phase
// reaches the end of the traffic.
import type { LostSpec } from "../lab/types.js";
import type { EndpointReport } from "../traffic/types.js";
import { plural, type ExpectationResult, type Observations } from "./types.js";

type Spec = LostSpec["lost"];

export function describeLost(spec: Spec): string {
  return `${spec.endpoint} loses at most ${plural(spec.atMost, "message")}`;
}

/** Messages publishers sent after the last one that reached `endpoint`, by its timeline's last sample. */
export function unreceived(endpoint: EndpointReport, observations: Observations): number {
  const highest = endpoint.timeline?.samples[endpoint.timeline.samples.length - 1]?.highest ?? {};
  let missing = 0;
  for (const [sender, seq] of Object.entries(highest)) {
    const publisher = observations.traffic.endpoints.find((e) => e.name === sender && (e.socket === "pub" || e.socket === "xpub"));
    if (publisher) missing += Math.max(0, publisher.sent - (seq + 1));
  }
  return missing;
}

export function lost(spec: Spec, observations: Observations): ExpectationResult {
  const base = { kind: "lost" as const, description: describeLost(spec), expected: `at most ${spec.atMost} lost`, spec: { ...spec } };
  const endpoint = observations.traffic.endpoints.find((e) => e.name === spec.endpoint);
  if (!endpoint) return { ...base, ok: false, observed: "no such endpoint in the report", message: `no endpoint ${spec.endpoint} in the traffic report`, evidence: {} };
  const tail = unreceived(endpoint, observations);
  const count = endpoint.gaps + tail;
  const ok = count <= spec.atMost;
  const observed = `${count} lost (${plural(endpoint.received, "message")} received)`;
  const how = `${plural(endpoint.gaps, "gap")} in the senders' sequences${tail ? `, ${tail} sent after the last that arrived` : ""}`;
  const message = ok
    ? `${spec.endpoint} lost ${count} (${how})`
    : `${spec.endpoint} lost ${plural(count, "message")} (${how}), ${count - spec.atMost} more than the ${spec.atMost} allowed`;
  return { ...base, ok, observed, message, evidence: { lost: count, gaps: endpoint.gaps, unreceived: tail, received: endpoint.received, duplicates: endpoint.duplicates } };
}
