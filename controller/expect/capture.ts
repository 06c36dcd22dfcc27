// The built-in check behind a recorded run: what the kernels and counters said agrees with the
// packets. A `sourceSeen`'s peers (the bound node's kernel) must be the sources of the TCP
// connections the packets show reaching that endpoint; a `path`'s counters (each router's
// nftables) must agree with the frames the capture saw leaving that router (its own MAC address as
// the source, on any of its networks). A disagreement is a failed check of kind `capture`: an
// observation that is wrong cannot pass unnoticed. It shows only when it fails; a recorder that
// ended early fails it too. Pure.
import { parseTcpEndpoint } from "../../shared/endpoint.js";
import { list } from "../../shared/list.js";
import { countIn, type CaptureAnalysis } from "../capture/connections.js";
import { onBind } from "./kinds/source-seen.js";
import { andList, byAddress, normalAddress, plural, type ExpectationResult, type Observations } from "./types.js";

/** What the run's capture gives the checks. */
export interface CaptureObservation {
  analysis: CaptureAnalysis;
  /** Each node's MAC address on each lab network it was on, where the engine said. */
  macs: Record<string, Record<string, string>>;
  /** When the traffic phase began (its counters were zeroed just before) and ended, ms since time 0. */
  trafficMs: { start: number; end: number };
  /** Recorders that ended early. */
  problems: string[];
  /** Each node's lab networks (from the plan): a connection reaches a node on these, whatever a NAT showed elsewhere. */
  networks?: Record<string, string[]>;
}

/** Packets within this much of a phase's edge are left out of "none seen" and taken into "some seen": a fault's edge is not sharp. */
export const EDGE_MS = 250;

const failed = (description: string, observed: string, message: string, spec: Record<string, unknown>, evidence: Record<string, unknown>): ExpectationResult => ({
  kind: "capture",
  description,
  ok: false,
  expected: "the packets agree with the kernels and counters",
  observed,
  message,
  spec,
  evidence,
});

/** One failed check per expectation the packets contradict, and per recorder that ended early; none when all agree. */
export function captureFailures(results: ExpectationResult[], observations: Observations): ExpectationResult[] {
  const capture = observations.capture;
  if (!capture) return [];
  const out: ExpectationResult[] = capture.problems.map((p) =>
    failed("the lab's networks are recorded for the whole run", "recording ended early", `capture: ${p}`, { capture: "recording" }, { problem: p }),
  );
  results.forEach((r, i) => {
    const number = i + 1;
    if (r.kind === "sourceSeen") {
      const f = sourceSeenAgrees(r, number, observations, capture);
      if (f) out.push(f);
    } else if (r.kind === "path") {
      const f = pathAgrees(r, number, capture);
      if (f) out.push(f);
    }
  });
  return out;
}

/** Where the endpoint's connections arrive: `address:port` of each bind (a wildcard bind: each of its node's addresses). */
function localEnds(binds: string[], nodeAddresses: string[]): string[] {
  return binds.flatMap((b) => {
    const parsed = parseTcpEndpoint(b);
    if (typeof parsed === "string") return [];
    const { host, port } = parsed.destination;
    const literal = normalAddress(host.replace(/^\[|\]$/g, ""));
    const hosts = /^[\d.]+$|:/.test(literal) && literal !== "0.0.0.0" && literal !== "::" ? [literal] : nodeAddresses.map(normalAddress);
    return hosts.map((h) => `${h.includes(":") ? `[${h}]` : h}:${port}`);
  });
}

function sourceSeenAgrees(r: ExpectationResult, number: number, observations: Observations, capture: CaptureObservation): ExpectationResult | undefined {
  const name = String(r.spec["endpoint"]);
  const endpoint = observations.traffic.endpoints.find((e) => e.name === name);
  const kernel = (r.evidence["seen"] as string[] | undefined) ?? undefined;
  if (!endpoint || endpoint.bind.length === 0 || !kernel) return undefined;
  const bind = r.spec["bind"] as string | number | undefined;
  const ends = localEnds(endpoint.bind, observations.addresses[endpoint.node] ?? []).filter((l) => bind === undefined || onBind(l, bind));
  const phase = r.evidence["phase"] as { start?: number; end?: number } | undefined;
  const within = (ms: number | undefined) => ms === undefined || ((phase?.start === undefined || ms >= phase.start - EDGE_MS) && (phase?.end === undefined || ms <= phase.end + EDGE_MS));
  // Each connection as it reached the endpoint's node: on the node's own networks (a NAT elsewhere
  // shows other ends), with the ends that network showed, at one of the endpoint's binds.
  const nodeNetworks = capture.networks?.[endpoint.node];
  const sources = capture.analysis.connections.flatMap((c) => {
    // Established: the server answered the SYN (or, begun before the capture, sent data).
    if (!(c.synAckMs !== undefined || c.serverSide.greetingMs !== undefined) || !within(c.synAckMs ?? c.synMs)) return [];
    return c.networks
      .filter((n) => !nodeNetworks || nodeNetworks.includes(n))
      .map((n) => c.translated?.find((v) => v.network === n) ?? c)
      .filter((v) => ends.includes(`${v.server.address.includes(":") ? `[${v.server.address}]` : v.server.address}:${v.server.port}`))
      .map((v) => normalAddress(v.client.address));
  });
  const packets = [...new Set(sources)].sort(byAddress);
  const missing = kernel.filter((a) => !packets.includes(a));
  const extra = packets.filter((a) => !kernel.includes(a));
  // A source the kernel saw whose SYN the ring dropped (it wrapped) cannot be told apart from one that never connected.
  const covered = Object.values(capture.analysis.coverage).every((c) => c.firstMs === undefined || c.firstMs <= capture.trafficMs.start);
  if (extra.length === 0 && (missing.length === 0 || !covered)) return undefined;
  const parts = [
    ...(missing.length ? [`the kernel of ${endpoint.node} showed ${andList(missing)}, whose connections the packets do not show`] : []),
    ...(extra.length ? [`the packets show connections from ${andList(extra)} to ${andList(ends)} that the kernel of ${endpoint.node} did not show`] : []),
  ];
  return failed(
    `the packets agree with expectation ${number} (${r.description})`,
    `kernel: ${kernel.join(", ") || "none"}; packets: ${packets.join(", ") || "none"}`,
    `capture disagrees with expectation ${number} (sourceSeen): ${parts.join("; ")}`,
    { expectation: number, kind: r.kind },
    { kernel, packets, missing, extra, ends },
  );
}

function pathAgrees(r: ExpectationResult, number: number, capture: CaptureObservation): ExpectationResult | undefined {
  const counted = r.evidence["packets"] as Record<string, number> | undefined;
  const targets = ((r.evidence["destinations"] as string[] | undefined) ?? [String(r.spec["to"])]).map(normalAddress);
  const from = normalAddress(String(r.spec["from"]));
  if (!counted) return undefined;
  const unavailable = new Set((r.evidence["unavailable"] as string[] | undefined) ?? []);
  const phase = r.evidence["phase"] as { start?: number; end?: number } | undefined;
  const start = phase?.start ?? capture.trafficMs.start;
  const end = phase?.end ?? capture.trafficMs.end;
  // The capture must hold the whole window (a wrapped ring lost its start).
  const firsts = Object.values(capture.analysis.coverage).map((c) => c.firstMs ?? Infinity);
  if (firsts.some((f) => f > start)) return undefined;
  const disagreements: string[] = [];
  const evidence: Record<string, { counters: number; leaving: number; entering: number }> = {};
  for (const [node, count] of Object.entries(counted)) {
    const macs = capture.macs[node];
    // A node the engine no longer shows MAC addresses for (stopped by a fault: read at the end) cannot be told in the frames.
    if (!macs || Object.keys(macs).length === 0 || unavailable.has(node)) continue;
    // Frames from the source to the destination(s) that left the node (its MAC the source) or entered it, on each of its networks.
    const frames = (fromMs: number, toMs: number, leaving: boolean, edge: "touching" | "within" = "touching") =>
      Object.entries(macs).reduce((n, [network, mac]) => {
        let sum = 0;
        for (const [key, buckets] of capture.analysis.frames[network] ?? []) {
          const [macPart, ipPart] = key.split("|") as [string, string];
          const [srcMac, dstMac] = macPart.split(">");
          const [src, dst] = ipPart.split(">") as [string, string];
          if (src !== from || !targets.includes(dst)) continue;
          if ((leaving ? srcMac : dstMac) !== mac.toLowerCase()) continue;
          sum += countIn(buckets, fromMs, toMs, edge);
        }
        return n + sum;
      }, 0);
    const wide = frames(start - EDGE_MS, end + EDGE_MS, true);
    // "Counters 0 but frames left" accuses the counters: only frames surely inside the narrowed window.
    const narrow = frames(start + EDGE_MS, end - EDGE_MS, true, "within");
    const entering = frames(start - EDGE_MS, end + EDGE_MS, false);
    evidence[node] = { counters: count, leaving: wide, entering };
    // Frames that entered and did not leave with the same addresses were translated on the way
    // (a balancer's DNAT and SNAT, as labs/resilience's routers do) or dropped after the
    // counters: the packets cannot tell which, so only a node no such frame even entered is accused.
    if (count > 0 && wide === 0 && entering === 0) disagreements.push(`${node}'s counters showed ${plural(count, "packet")}, but no frame from ${from} entered or left ${node} in the capture`);
    if (count === 0 && narrow > 0) disagreements.push(`${node}'s counters showed 0 packets, but the capture shows ${plural(narrow, "frame")} from ${from} leaving ${node}`);
  }
  if (disagreements.length === 0) return undefined;
  return failed(
    `the packets agree with expectation ${number} (${r.description})`,
    Object.entries(evidence)
      .map(([n, e]) => `${n}: counters ${e.counters}, frames leaving ${e.leaving}`)
      .join(", "),
    `capture disagrees with expectation ${number} (path): ${disagreements.join("; ")}`,
    { expectation: number, kind: r.kind, ...(phase ? { phase: { ...phase } } : {}) },
    { routers: evidence, window: { start, end }, from, destinations: targets, not: list(r.spec["not"] as string | string[] | undefined) },
  );
}
