// One self-contained page: the topology drawn as SVG, each flow drawn along the routers whose
// own counters showed it, every expectation with its status, and the endpoints' table.
// No scripts, no external resources: it opens from a file anywhere.
import { commandText, latencyText, programState } from "./traffic-text.js";
import { addressesOf } from "../lab/addresses.js";
import { list } from "../../shared/list.js";
import type { Lab } from "../lab/types.js";
import type { InterruptedNode, LatencyPoint, Timeline } from "../traffic/types.js";
import type { LabReport } from "../run/index.js";
import { verdictLine } from "./expectations-text.js";
import { instanceText } from "./instance-text.js";
import { captureHtml } from "./capture-html.js";
import { instanceLab } from "../lab/relocate.js";

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export interface Box {
  name: string;
  x: number;
  y: number;
  w: number;
  h: number;
  forward: boolean;
  lines: string[];
}

export interface DrawnFlow {
  from: string;
  to: string;
  via: string[];
  packets: number;
  /** A connect that never completed a handshake. */
  failed?: boolean;
}

const COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"];

/** Flows the run showed: each source a bound endpoint's kernel saw, and the routers that carried it. */
export function observedFlows(report: LabReport): DrawnFlow[] {
  const flows: DrawnFlow[] = [];
  const seen = new Set<string>();
  for (const endpoint of report.endpoints) {
    for (const peer of endpoint.peers) {
      const to = peer.local.replace(/^\[?(.*?)\]?:\d+$/, "$1");
      const key = `${peer.address}>${to}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const routers = Object.entries(report.flows)
        .map(([router, counts]) => [router, counts.filter((c) => c.from === peer.address && c.to === to).reduce((n, c) => n + c.packets, 0)] as const)
        .filter(([, packets]) => packets > 0);
      flows.push({ from: peer.address, to, via: routers.map(([r]) => r), packets: routers.reduce((n, [, p]) => n + p, 0) });
    }
    for (const missing of endpoint.noHandshake) {
      flows.push({ from: missing.source ?? endpoint.node, to: missing.destination.replace(/:\d+$/, "").replace(/^\[|\]$/g, ""), via: [], packets: 0, failed: true });
    }
  }
  return flows;
}

function layout(lab: Lab, hosts: Record<string, string>): { boxes: Box[]; bars: { name: string; x: number; subnet: string }[]; width: number; height: number } {
  const networks = Object.keys(lab.networks);
  // Box contents first: a line per interface, at most three addresses a line.
  const contents = Object.entries(lab.nodes).map(([name, node]) => {
    const lines = Object.entries(node.interfaces).flatMap(([network, addresses]) => {
      const all = list(addresses);
      const chunks = Array.from({ length: Math.ceil(all.length / 3) }, (_, i) => all.slice(i * 3, i * 3 + 3).join(", "));
      return chunks.map((c, i) => (i === 0 ? `${network}: ${c}` : c));
    });
    if (hosts[name] !== undefined) lines.unshift(`on host ${hosts[name]}`);
    const attached = Object.keys(node.interfaces)
      .map((n) => networks.indexOf(n))
      .sort((a, b) => a - b);
    return { name, forward: node.forward ?? false, lines, attached, w: Math.max(120, ...lines.map((l) => l.length * 6.6 + 16)) };
  });
  const middle = contents.filter((c) => c.attached.length > 1).map((c) => c.w);
  const gap = Math.max(330, ...middle.map((w) => w + 100));
  const outer = Math.max(0, ...contents.filter((c) => c.attached.length === 1).map((c) => c.w));
  const barX = networks.map((_, i) => outer + 60 + i * gap);
  const slots = new Map<number, number>();
  const boxes: Box[] = contents.map((c) => {
    const first = c.attached[0]!;
    const last = c.attached[c.attached.length - 1]!;
    const x = c.attached.length > 1 ? (barX[first]! + barX[last]!) / 2 : first === 0 ? barX[0]! - 40 - c.w / 2 : barX[first]! + 40 + c.w / 2;
    const slot = slots.get(x) ?? 0;
    slots.set(x, slot + 1);
    return { name: c.name, x, y: 80 + slot * 120, w: c.w, h: 30 + c.lines.length * 15, forward: c.forward, lines: c.lines };
  });
  // Shift right so that the leftmost box is whole.
  const shift = Math.max(0, 20 - Math.min(...boxes.map((b) => b.x - b.w / 2)));
  for (const b of boxes) b.x += shift;
  const bars = networks.map((name, i) => ({ name, x: barX[i]! + shift, subnet: list(lab.networks[name]!.subnet).join("  ") }));
  const height = Math.max(...boxes.map((b) => b.y + b.h)) + 60;
  const width = Math.max(...bars.map((b) => b.x + 120), ...boxes.map((b) => b.x + b.w / 2 + 20));
  return { boxes, bars, width, height };
}

/**
 * One hop of a flow drawn along the network, at right angles only: out of `from` sideways to the
 * bar of a network both boxes are on (else the bar of `from` nearest `to`), along that bar, and
 * sideways into `to`. `offset` moves the whole route (its lane) so parallel flows stay apart.
 */
export function hop(from: Box, to: Box, barsOf: (b: Box) => number[], offset: number): [number, number][] {
  const mine = barsOf(from);
  const shared = mine.filter((x) => barsOf(to).includes(x));
  const candidates = shared.length > 0 ? shared : mine;
  const bar = candidates.reduce((best, x) => (Math.abs(x - to.x) < Math.abs(best - to.x) ? x : best));
  const lane = bar + offset;
  const side = (b: Box) => (lane < b.x ? b.x - b.w / 2 : b.x + b.w / 2);
  const [y1, y2] = [from.y + from.h / 2 + offset, to.y + to.h / 2 + offset];
  const r = (n: number) => Math.round(n * 10) / 10;
  return [
    [r(side(from)), r(y1)],
    [r(lane), r(y1)],
    [r(lane), r(y2)],
    [r(side(to)), r(y2)],
  ];
}

function ownerOf(lab: Lab, address: string): string | undefined {
  return Object.entries(lab.nodes).find(([, n]) => addressesOf(n).includes(address))?.[0] ?? (lab.nodes[address] ? address : undefined);
}

/** `hosts`: on a cluster, each node's host (a line of its box). */
export function topologySvg(lab: Lab, flows: DrawnFlow[], hosts: Record<string, string> = {}): string {
  const { boxes, bars, width, height } = layout(lab, hosts);
  const box = (name: string) => boxes.find((b) => b.name === name);
  const parts: string[] = [];
  for (const bar of bars) {
    parts.push(`<line x1="${bar.x}" y1="50" x2="${bar.x}" y2="${height - 20}" stroke="#555" stroke-width="6" stroke-linecap="round"/>`);
    parts.push(`<text x="${bar.x}" y="28" text-anchor="middle" class="net">${esc(bar.name)}</text><text x="${bar.x}" y="44" text-anchor="middle" class="small">${esc(bar.subnet)}</text>`);
  }
  for (const b of boxes) {
    for (const network of Object.keys(lab.nodes[b.name]!.interfaces)) {
      const bar = bars.find((x) => x.name === network)!;
      const edge = bar.x < b.x ? b.x - b.w / 2 : b.x + b.w / 2;
      parts.push(`<line x1="${edge}" y1="${b.y + b.h / 2}" x2="${bar.x}" y2="${b.y + b.h / 2}" stroke="#999" stroke-width="2"/>`);
    }
  }
  // Failed connects first, underneath: the flows that happened stay visible on top.
  const order = flows.map((flow, i) => ({ flow, i })).sort((a, b) => Number(b.flow.failed ?? false) - Number(a.flow.failed ?? false));
  const barsOf = (b: Box) => Object.keys(lab.nodes[b.name]!.interfaces).map((n) => bars.find((x) => x.name === n)!.x);
  order.forEach(({ flow, i }) => {
    const src = box(ownerOf(lab, flow.from) ?? "");
    const dst = box(ownerOf(lab, flow.to) ?? "");
    if (!src) return;
    // Each flow its own lane beside the others, a few pixels apart.
    const offset = (i - (flows.length - 1) / 2) * 7;
    const stops = [src, ...flow.via.map(box).filter((b): b is Box => !!b), ...(dst ? [dst] : [])];
    const points = stops
      .slice(1)
      .flatMap((b, k) => hop(stops[k]!, b, barsOf, offset))
      .map(([x, y]) => `${x},${y}`);
    if (points.length < 2) return;
    const color = flow.failed ? "#c00" : COLORS[i % COLORS.length]!;
    parts.push(
      `<polyline points="${points.join(" ")}" fill="none" stroke="${color}" stroke-width="3" opacity="0.75" ${flow.failed ? 'stroke-dasharray="8 6"' : ""} marker-end="url(#arrow)"><title>${esc(`${flow.from} → ${flow.to}`)}</title></polyline>`,
    );
  });
  for (const b of boxes) {
    parts.push(`<rect x="${b.x - b.w / 2}" y="${b.y}" width="${b.w}" height="${b.h}" rx="8" class="${b.forward ? "router" : "node"}"/>`);
    parts.push(`<text x="${b.x}" y="${b.y + 18}" text-anchor="middle" class="name">${esc(b.name)}${b.forward ? " (forwards)" : ""}</text>`);
    b.lines.forEach((line, j) => parts.push(`<text x="${b.x}" y="${b.y + 34 + j * 15}" text-anchor="middle" class="small">${esc(line)}</text>`));
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="4" markerHeight="4" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>
${parts.join("\n")}
</svg>`;
}

/** A fault on the time axis: its name and when it took effect (ms since time 0). */
export interface FaultMark {
  name: string;
  ms: number;
}

/** The faults that ran, from the report's phases (each phase after the first opens at one). */
export function faultMarks(report: LabReport): FaultMark[] {
  return (report.phases ?? []).filter((p) => p.start !== undefined).map((p) => ({ name: p.from, ms: p.start! }));
}

/** About the width of one character of a chart's small text (11 px), to tell when labels would meet. */
const LABEL_CHAR = 6.5;

/**
 * A row for each label (0 the top one) so that labels close in time do not overlap: from left to
 * right, each goes on the first row where the label before it ends (with a little room) left of
 * where it starts. `x`: where a label starts; `width`: how long it is.
 */
export function labelRows(labels: { x: number; width: number }[]): number[] {
  const ends: number[] = [];
  const rows: number[] = new Array<number>(labels.length).fill(0);
  const order = labels.map((l, i) => ({ ...l, i })).sort((a, b) => a.x - b.x);
  for (const l of order) {
    let row = ends.findIndex((end) => end + 4 <= l.x);
    if (row < 0) row = ends.push(0) - 1;
    ends[row] = l.x + l.width;
    rows[l.i] = row;
  }
  return rows;
}

/**
 * A receiver's message rate over time as a small inline SVG: one bar per interval of the
 * timeline, silences shaded, each fault a dashed line with its name. `t0`..`t1`: the axis (ms since time 0).
 */
export function rateChart(timeline: Timeline, t0: number, t1: number, faults: FaultMark[]): string {
  const [w, h, left, top] = [640, 120, 44, 14];
  const span = Math.max(1, t1 - t0);
  const round = (n: number) => Math.round(n * 10) / 10;
  const x = (ms: number) => round(left + ((ms - t0) / span) * (w - left - 8));
  const perSecond = timeline.counts.values.map((v) => (v * 1000) / timeline.tickMs);
  const peak = Math.max(1, ...perSecond);
  const y = (rate: number) => round(top + (1 - rate / peak) * (h - top - 20));
  const base = h - 20;
  const barWidth = Math.max(1, round(x(t0 + timeline.tickMs) - x(t0)));
  const parts: string[] = [];
  for (const s of timeline.silences) {
    const end = s.end ?? t1;
    parts.push(
      `<rect x="${x(s.start)}" y="${top}" width="${Math.max(1, round(x(end) - x(s.start)))}" height="${base - top}" class="silence"><title>${esc(`silence ${end - s.start} ms${s.end === null ? " (until stop)" : ""}`)}</title></rect>`,
    );
  }
  perSecond.forEach((rate, i) => {
    if (rate === 0) return;
    const start = timeline.counts.start + i * timeline.tickMs;
    parts.push(`<rect x="${x(start)}" y="${y(rate)}" width="${barWidth}" height="${round(base - y(rate))}" class="bar"/>`);
  });
  const rows = labelRows(faults.map((f) => ({ x: x(f.ms) + 3, width: f.name.length * LABEL_CHAR })));
  faults.forEach((f, i) => {
    parts.push(`<line x1="${x(f.ms)}" y1="${top - 4}" x2="${x(f.ms)}" y2="${base}" class="fault"/><text x="${x(f.ms) + 3}" y="${top + 6 + rows[i]! * 11}" class="small">${esc(f.name)}</text>`);
  });
  const seconds = Math.floor(span / 1000);
  const ticks = Array.from({ length: seconds + 1 }, (_, s) => s).filter((s) => seconds <= 10 || s % Math.ceil(seconds / 10) === 0);
  for (const s of ticks) parts.push(`<text x="${x(t0 + s * 1000)}" y="${h - 4}" text-anchor="middle" class="small">${s}s</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" class="chart">
<line x1="${left}" y1="${base}" x2="${w - 8}" y2="${base}" stroke="#999"/><text x="${left - 4}" y="${top + 4}" text-anchor="end" class="small">${Math.round(peak)}/s</text><text x="${left - 4}" y="${base}" text-anchor="end" class="small">0</text>
${parts.join("\n")}
</svg>`;
}

/**
 * A receiver's one-way latency over time as a small inline SVG: p50 and p99 of each sample's
 * messages, on a log scale (a queue's seconds and a quiet link's tenths of a ms both show), each
 * fault a dashed line with its name. Same axis as rateChart.
 */
export function latencyChart(points: LatencyPoint[], t0: number, t1: number, faults: FaultMark[]): string {
  const [w, h, left, top] = [640, 120, 44, 14];
  const span = Math.max(1, t1 - t0);
  const round = (n: number) => Math.round(n * 10) / 10;
  const x = (ms: number) => round(left + ((ms - t0) / span) * (w - left - 8));
  const base = h - 20;
  // Decades from the lowest p50 to the highest p99, at least one.
  const floor = 10 ** Math.floor(Math.log10(Math.max(0.001, Math.min(...points.map((p) => p.p50)))));
  const ceiling = Math.max(floor * 10, 10 ** Math.ceil(Math.log10(Math.max(0.001, ...points.map((p) => p.p99)))));
  const y = (ms: number) => round(top + (1 - Math.log10(Math.max(ms, floor) / floor) / Math.log10(ceiling / floor)) * (base - top));
  const line = (of: (p: LatencyPoint) => number, cls: string) => `<polyline points="${points.map((p) => `${x(p.ms)},${y(of(p))}`).join(" ")}" class="${cls}"/>`;
  const parts = [line((p) => p.p99, "p99"), line((p) => p.p50, "p50")];
  const rows = labelRows(faults.map((f) => ({ x: x(f.ms) + 3, width: f.name.length * LABEL_CHAR })));
  faults.forEach((f, i) => {
    parts.push(`<line x1="${x(f.ms)}" y1="${top - 4}" x2="${x(f.ms)}" y2="${base}" class="fault"/><text x="${x(f.ms) + 3}" y="${top + 6 + rows[i]! * 11}" class="small">${esc(f.name)}</text>`);
  });
  const seconds = Math.floor(span / 1000);
  const ticks = Array.from({ length: seconds + 1 }, (_, s) => s).filter((s) => seconds <= 10 || s % Math.ceil(seconds / 10) === 0);
  for (const s of ticks) parts.push(`<text x="${x(t0 + s * 1000)}" y="${h - 4}" text-anchor="middle" class="small">${s}s</text>`);
  const label = (ms: number) => (ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" class="chart">
<line x1="${left}" y1="${base}" x2="${w - 8}" y2="${base}" stroke="#999"/><text x="${left - 4}" y="${top + 4}" text-anchor="end" class="small">${label(ceiling)}</text><text x="${left - 4}" y="${base}" text-anchor="end" class="small">${label(floor)}</text>
<text x="${w - 10}" y="${top + 4}" text-anchor="end" class="small"><tspan class="p50">p50</tspan> <tspan class="p99">p99</tspan></text>
${parts.join("\n")}
</svg>`;
}

/** The timeline section: faults, the counters of each phase, and each receiver's rate chart. Empty when no endpoint has a receive timeline. */
export function timelineHtml(report: LabReport): string {
  const receivers = report.endpoints.filter((e) => e.socket !== "pub" && e.socket !== "xpub" && e.timeline && e.timeline.counts.values.length > 0);
  const phases = report.phases ?? [];
  if (receivers.length === 0 && phases.length === 0) return "";
  const faults = faultMarks(report);
  const t0 = Math.min(...receivers.map((e) => e.timeline!.counts.start), ...faults.map((f) => f.ms));
  // The axis ends at the last thing known: the last sample (the agent's stop), a count, a fault.
  const ends = receivers.flatMap((e) => [
    e.timeline!.counts.start + e.timeline!.counts.values.length * e.timeline!.tickMs,
    ...e.timeline!.samples.map((s) => s.ms),
    ...e.timeline!.silences.map((s) => s.end ?? s.start),
  ]);
  const t1 = Math.max(...ends, ...faults.map((f) => f.ms));
  // One clock for every report: seconds since time 0 (when the senders were released).
  const at = (ms: number | undefined) => (ms === undefined ? "" : ` (${(ms / 1000).toFixed(1)} s)`);
  const phaseRows = phases
    .map(
      (p) =>
        `<tr><td>${esc(p.from)}${at(p.start)} → ${esc(p.to)}${at(p.end)}</td><td>${esc(
          Object.entries(p.received)
            .map(([k, v]) => `${k}: ${v}`)
            .join(", ") || "-",
        )}</td><td>${esc(
          Object.entries(p.flows)
            .map(([node, flows]) => `${node}: ${flows.reduce((n, f) => n + f.packets, 0)}`)
            .join(", ") || "-",
        )}</td></tr>`,
    )
    .join("\n");
  const charts = receivers
    .map((e) => {
      const silences = e.timeline!.silences;
      const longest = silences.reduce((n, s) => Math.max(n, (s.end ?? t1) - s.start), 0);
      const latency =
        e.latency && e.timeline!.latency
          ? `\n<div class="small">one-way latency, ms (p50/p99/max over the run: ${latencyText(e.latency)})</div>\n${latencyChart(e.timeline!.latency, t0, t1, faults)}`
          : "";
      return `<h3>${esc(e.name)} on ${esc(e.node)}: ${e.received} received${silences.length ? `, ${silences.length} silence${silences.length === 1 ? "" : "s"} over ${e.timeline!.silenceMs} ms (longest ${longest} ms)` : ""}</h3>\n${rateChart(e.timeline!, t0, t1, faults)}${latency}`;
    })
    .join("\n");
  // Its own styles: pages without a timeline stay as they were.
  return `<h2>Timeline</h2>
<style>svg rect.bar { fill: #1f77b4; } svg rect.silence { fill: #fdd; } svg line.fault { stroke: #c62828; stroke-width: 1.5; stroke-dasharray: 4 3; } svg polyline { fill: none; stroke-width: 1.5; } svg polyline.p50 { stroke: #2e7d32; } svg polyline.p99 { stroke: #ef6c00; } svg tspan.p50 { fill: #2e7d32; } svg tspan.p99 { fill: #ef6c00; } h3 { font-size: 14px; margin: 14px 0 4px; }</style>
${faults.length ? `<div>faults: ${faults.map((f) => `${esc(f.name)}${at(f.ms)}`).join(", ")}</div>` : ""}
${phaseRows ? `<table><tr><th>phase</th><th>messages received</th><th>packets forwarded</th></tr>\n${phaseRows}\n</table>` : ""}
${charts}
`;
}

/** The lab's networks an address is on (by the nodes' interfaces). */
function networksOf(lab: Lab, address: string): string[] {
  return Object.values(lab.nodes).flatMap((n) => Object.keys(n.interfaces).filter((network) => addressesOf(n, network).includes(address)));
}

/**
 * How a flow crossed the lab, and the packets the routers counted, for the flows table. With no
 * router's counters showing it: direct when both ends share a network (no router was needed);
 * otherwise the counters that should have shown it did not (a router stopped or restarted).
 */
export function crossing(lab: Lab, flow: DrawnFlow): { crossed: string; packets: string } {
  if (flow.failed) return { crossed: "no handshake", packets: "-" };
  if (flow.via.length > 0) return { crossed: flow.via.join(" → "), packets: String(flow.packets) };
  const shared = networksOf(lab, flow.from).some((n) => networksOf(lab, flow.to).includes(n));
  return shared ? { crossed: "direct (no router on the way)", packets: "-" } : { crossed: "no router's counters showed it", packets: "0" };
}

/** Whether a fault of the lab stopped, paused or restarted the node (no fault removes one). */
const planned = (n: InterruptedNode): n is InterruptedNode & { faults: string[] } => (n.faults?.length ?? 0) > 0 && n.state !== "gone";

/** A node a fault of the lab took away: planned, said plainly; any other a warning. */
function interruptionItem(n: InterruptedNode): string {
  if (!planned(n)) return `<li class="why">${esc(`${n.state}: ${n.message}`)}</li>`;
  const by = `${n.faults.length === 1 ? "fault" : "faults"} ${n.faults.join(", ")}`;
  return `<li class="planned" title="${esc(n.message)}">${esc(`${n.node} ${n.state} by ${by}, as the lab plans`)}</li>`;
}

/** `pageDir`: the folder the page is written to, for links to the capture's files. */
export function htmlReport(lab: Lab, report: LabReport, pageDir?: string): string {
  const flows = observedFlows(report);
  const flowRows = flows
    .map((f, i) => {
      const { crossed, packets } = crossing(lab, f);
      return `<tr><td><span class="swatch" style="background:${f.failed ? "#c00" : COLORS[i % COLORS.length]}"></span></td><td>${esc(f.from)}</td><td>${esc(f.to)}</td><td>${esc(crossed)}</td><td>${packets}</td></tr>`;
    })
    .join("\n");
  const expectationRows = report.expectations
    .map(
      (e) =>
        `<tr class="${e.ok ? "pass" : "fail"}"><td><b>${e.ok ? "PASS" : "FAIL"}</b></td><td>${esc(e.kind)}</td><td>${esc(e.description)}${e.actual ? `<div class="small">actual: ${esc(e.actual.description)}</div>` : ""}</td><td>${esc(e.expected)}</td><td>${esc(e.observed)}${e.ok ? "" : `<div class="why">${esc(e.message)}</div>`}</td></tr>`,
    )
    .join("\n");
  const endpointRows = report.endpoints
    .map(
      (e) =>
        `<tr><td>${esc(e.name)}</td><td>${esc(e.node)}</td><td>${esc(e.socket)}</td><td>${e.program || e.failures ? "-" : e.sent}</td><td>${e.program || e.failures ? "-" : e.received}</td><td>${esc(
          Object.entries(e.from)
            .map(([k, v]) => `${k}: ${v}`)
            .join(", ") || "-",
        )}</td><td>${esc([...new Set(e.peers.map((p) => p.address))].join(", ") || "-")}</td><td>${e.failures ? `<b class="why">endpoint failure: ${esc(e.failures.join("; "))}</b>` : esc([...e.noHandshake.map((n) => n.message), ...e.errors].join("; ") || "ok")}</td></tr>`,
    )
    .join("\n");
  const programRows = report.endpoints
    .filter((e) => e.program)
    .map(
      (e) =>
        `<tr><td>${esc(e.name)}</td><td>${esc(e.node)}</td><td><code>${esc(commandText(e.program!.command))}</code></td><td>${esc(programState(e.program!))}</td><td><pre>${esc(e.program!.lastLines.join("\n")) || "(no output)"}</pre></td></tr>`,
    )
    .join("\n");
  const passed = report.expectations.filter((e) => e.ok).length;
  // Nodes that went away during the traffic, and counters that could not be read (as planned as
  // their node's going away).
  const plannedNodes = new Set((report.interrupted ?? []).filter(planned).map((n) => n.node));
  const nodeNotes = [
    ...(report.interrupted ?? []).map(interruptionItem),
    ...Object.entries(report.flowsUnavailable ?? {}).map(([n, why]) => `<li class="${plannedNodes.has(n) ? "planned" : "why"}">${esc(`counters of ${n} unavailable: ${why}`)}</li>`),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>zmqlab: ${esc(report.lab)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.verdict { display: inline-block; padding: 4px 10px; border-radius: 6px; color: #fff; font-weight: bold; }
.ok { background: #2e7d32; } .bad { background: #c62828; }
table { border-collapse: collapse; } pre { margin: 0; font-size: 12px; white-space: pre-wrap; } div.small { font-size: 12px; color: #555; }
td, th { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } tr.pass td:first-child { color: #2e7d32; } tr.fail td:first-child { color: #c62828; } tr.fail { background: #fff3f3; }
.why { color: #c62828; font-size: 12px; margin-top: 2px; } .planned { color: #555; font-size: 12px; } .swatch { display: inline-block; width: 22px; height: 6px; border-radius: 3px; }
svg text.net { font-weight: bold; font-size: 14px; } svg text.name { font-weight: bold; font-size: 13px; } svg text.small { font-size: 11px; fill: #333; }
svg rect.node { fill: #e3f0ff; stroke: #3367d6; stroke-width: 1.5; } svg rect.router { fill: #fde8c8; stroke: #b96b00; stroke-width: 1.5; }
</style></head><body>
<h1>Lab ${esc(report.lab)}</h1>
${
  report.instance
    ? `<div>${esc(instanceText(report.instance))}</div>
`
    : ""
}<div>${esc(report.started)} · traffic ${report.durationMs} ms · <span class="verdict ${report.ok ? "ok" : "bad"}">${esc(verdictLine(report.expectations))}</span></div>
${
  nodeNotes.length
    ? `<h2>Nodes that went away during the traffic</h2>
<ul>${nodeNotes.join("")}</ul>
`
    : ""
}<h2>Topology and the paths the routers' counters showed</h2>
${topologySvg(lab, flows, report.hosts)}
<table><tr><th></th><th>source</th><th>destination</th><th>crossed (by the routers' own counters)</th><th>packets forwarded</th></tr>
${flowRows || '<tr><td colspan="5">no flows observed</td></tr>'}
</table>
<h2>Expectations (${passed} of ${report.expectations.length} hold)</h2>
<table><tr><th></th><th>kind</th><th>expectation</th><th>expected</th><th>observed</th></tr>
${expectationRows || '<tr><td colspan="5">this lab states no expectations</td></tr>'}
</table>
<h2>Endpoints</h2>
<table><tr><th>endpoint</th><th>node</th><th>socket</th><th>sent</th><th>received</th><th>from</th><th>peers seen by the kernel</th><th>notes</th></tr>
${endpointRows}
</table>
${timelineHtml(report)}${captureHtml(report.capture, faultMarks(report), pageDir)}${
    programRows
      ? `<h2>Programs</h2>
<table><tr><th>endpoint</th><th>node</th><th>command</th><th>run</th><th>last lines of output</th></tr>
${programRows}
</table>`
      : ""
  }
</body></html>
`;
}

/** A run's page at the addresses it ran at: an instance's moved ones, which its flows and peers carry. */
export function runPageHtml(lab: Lab, report: LabReport, pageDir?: string): string {
  return htmlReport(report.instance ? instanceLab(lab, report.instance.name, report.instance.relocations) : lab, report, pageDir);
}
