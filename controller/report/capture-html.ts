// The capture on the HTML page: links to its files (relative to the page), and each ZeroMQ
// connection the packets showed as a ladder on the faults' time axis: the client's rail above,
// the server's below, a rung for each step (SYN, SYN-ACK, each side's greeting and READY, the
// first message each way), red rungs where a segment was sent again, the stretches when packets
// flowed drawn on the rails (an outage is the gap between two), FIN or RST at its end.
import { isAbsolute, relative } from "node:path";
import type { CaptureReport, CapturedConnection } from "../capture/types.js";
import { labelRows, type FaultMark } from "./html.js";

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** A file's link from the page: relative to the page's folder when both are relative to where zmqlab ran. */
export function linkTo(path: string, pageDir: string | undefined): string {
  if (pageDir === undefined || isAbsolute(path) !== isAbsolute(pageDir)) return path;
  return relative(pageDir, path) || path;
}

const end = (a: { address: string; port: number }) => `${a.address.includes(":") ? `[${a.address}]` : a.address}:${a.port}`;

interface Rung {
  ms: number;
  label: string;
  /** Drawn from the client's rail down (true) or from the server's up. */
  down: boolean;
  kind: "handshake" | "zmtp" | "message" | "retransmission" | "end";
}

/** The rungs of one connection's ladder, in time order. */
export function rungsOf(c: CapturedConnection): Rung[] {
  const rungs: Rung[] = [];
  const add = (ms: number | undefined, label: string, down: boolean, kind: Rung["kind"]) => ms !== undefined && rungs.push({ ms, label, down, kind });
  add(c.synMs, "SYN", true, "handshake");
  add(c.synAckMs, "SYN-ACK", false, "handshake");
  add(c.clientSide.greetingMs, `greeting ${c.clientSide.version ?? ""}`.trim(), true, "zmtp");
  add(c.serverSide.greetingMs, `greeting ${c.serverSide.version ?? ""}`.trim(), false, "zmtp");
  add(c.clientSide.readyMs, `READY ${c.clientSide.socketType ?? ""}`.trim(), true, "zmtp");
  add(c.serverSide.readyMs, `READY ${c.serverSide.socketType ?? ""}`.trim(), false, "zmtp");
  add(c.clientSide.firstMessageMs, "1st message", true, "message");
  add(c.serverSide.firstMessageMs, "1st message", false, "message");
  for (const r of c.retransmissions) add(r.ms, "", r.from === "client", "retransmission");
  if (c.end) add(c.end.ms, c.end.kind.toUpperCase(), c.end.from === "client", "end");
  return rungs.sort((a, b) => a.ms - b.ms);
}

/** Consecutive items within `px` of the group's first, as groups. */
export function labelGroups<T>(items: T[], at: (item: T) => number, px: number): T[][] {
  const groups: T[][] = [];
  for (const item of items) {
    const last = groups.at(-1);
    if (last && at(item) - at(last[0]!) < px) last.push(item);
    else groups.push([item]);
  }
  return groups;
}

/** One step's label, or the first and last of a group and how long it took: `SYN … 1st message (28 ms)`. */
const groupLabel = (g: Rung[]) => (g.length === 1 ? g[0]!.label : `${g[0]!.label} … ${g.at(-1)!.label} (${Math.round(g.at(-1)!.ms - g[0]!.ms)} ms)`);

/** Every ZeroMQ connection's ladder in one SVG, on the axis t0..t1 (ms since time 0), the faults across it. */
export function ladderSvg(connections: CapturedConnection[], t0: number, t1: number, faults: FaultMark[]): string {
  const [w, left, right, row, gapY, top] = [960, 250, 80, 70, 26, 24];
  const span = Math.max(1, t1 - t0);
  const r1 = (n: number) => Math.round(n * 10) / 10;
  const x = (ms: number) => r1(left + ((Math.min(Math.max(ms, t0), t1) - t0) / span) * (w - left - right));
  const h = top + connections.length * row + 24;
  const parts: string[] = [];
  connections.forEach((c, i) => {
    const yc = top + i * row + 12;
    const ys = yc + gapY;
    const who = (side: CapturedConnection["clientSide"]) => (side.socketType ? ` (${side.socketType})` : "");
    parts.push(
      `<text x="4" y="${yc + 4}" class="small">${esc(`${end(c.client)}${who(c.clientSide)}`)}</text><text x="4" y="${ys + 4}" class="small">${esc(`→ ${end(c.server)}${who(c.serverSide)}`)}</text>`,
    );
    const from = c.synMs ?? c.active[0]?.startMs ?? t0;
    const to = c.end?.ms ?? c.lastMs;
    for (const y of [yc, ys]) parts.push(`<line x1="${x(from)}" y1="${y}" x2="${x(to)}" y2="${y}" class="rail"/>`);
    for (const a of c.active)
      for (const y of [yc, ys])
        parts.push(
          `<line x1="${x(a.startMs)}" y1="${y}" x2="${Math.max(x(a.endMs), x(a.startMs) + 1)}" y2="${y}" class="active"><title>${esc(`packets from ${a.startMs} to ${a.endMs} ms`)}</title></line>`,
        );
    const rungs = rungsOf(c);
    for (const r of rungs) {
      const [y1, y2] = r.down ? [yc, ys] : [ys, yc];
      parts.push(
        `<line x1="${x(r.ms)}" y1="${y1}" x2="${x(r.ms)}" y2="${y2}" class="rung ${r.kind}" marker-end="url(#rung)"><title>${esc(`${r.label || "sent again"} ${r.down ? "client → server" : "server → client"} at ${r.ms} ms`)}</title></line>`,
      );
    }
    // Steps too close to tell apart on the axis (a handshake takes a few ms) share one label.
    const groups = labelGroups(
      rungs.filter((r) => r.label),
      (r) => x(r.ms),
      40,
    );
    const rows = labelRows(groups.map((g) => ({ x: x(g[0]!.ms) + 2, width: groupLabel(g).length * 5.5 })));
    groups.forEach((g, k) =>
      parts.push(`<text x="${x(g[0]!.ms) + 2}" y="${ys + 12 + rows[k]! * 9}" class="tiny"><title>${esc(g.map((r) => `${r.label} at ${r.ms} ms`).join("\n"))}</title>${esc(groupLabel(g))}</text>`),
    );
    const resent = c.retransmissions.length;
    if (resent) parts.push(`<text x="${x(to) + 3}" y="${yc + 4}" class="tiny resent">${resent} sent again</text>`);
  });
  const rows = labelRows(faults.map((f) => ({ x: x(f.ms) + 3, width: f.name.length * 6.5 })));
  faults.forEach((f, i) =>
    parts.push(`<line x1="${x(f.ms)}" y1="${top - 8}" x2="${x(f.ms)}" y2="${h - 20}" class="fault"/><text x="${x(f.ms) + 3}" y="${top - 10 + rows[i]! * 10}" class="small">${esc(f.name)}</text>`),
  );
  const seconds = Math.floor(span / 1000);
  const step = seconds <= 10 ? 1 : Math.ceil(seconds / 10);
  for (let s = Math.ceil(t0 / 1000); s * 1000 <= t1; s += step) parts.push(`<text x="${x(s * 1000)}" y="${h - 6}" text-anchor="middle" class="small">${s}s</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" class="ladder">
<defs><marker id="rung" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5" markerHeight="5" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>
${parts.join("\n")}
</svg>`;
}

/** The page's capture section: the files, and the ladders (empty when nothing was recorded). */
export function captureHtml(capture: CaptureReport | undefined, faults: FaultMark[], pageDir?: string): string {
  if (!capture) return "";
  if (capture.unavailable !== undefined) return `<h2>Capture</h2>\n<div class="why">nothing recorded: ${esc(capture.unavailable)}</div>\n`;
  const files = capture.kept
    ? `<ul>${capture.files.map((f) => `<li><a href="${esc(linkTo(f.path, pageDir))}">${esc(f.path)}</a>: network ${esc(f.network)}, ${f.packets} packets${f.wrapped ? `, from ${f.firstMs} ms (the ring wrapped)` : ""}</li>`).join("")}${capture.windows.map((w) => `<li><a href="${esc(linkTo(w.path, pageDir))}">${esc(w.path)}</a>: every network from ${w.fromMs} to ${w.toMs} ms, around fault ${esc(w.fault)} (${w.packets} packets)</li>`).join("")}</ul>`
    : `<div class="small">recorded, not kept: the run passed (--capture always keeps the files)</div>`;
  const zmq = capture.connections.filter((c) => c.zmtp);
  if (zmq.length === 0) return `<h2>Capture</h2>\n${files}\n`;
  const times = zmq.flatMap((c) => [c.synMs ?? c.active[0]?.startMs ?? c.lastMs, c.end?.ms ?? c.lastMs]);
  const t0 = Math.min(...times, ...faults.map((f) => f.ms));
  const t1 = Math.max(...times, ...faults.map((f) => f.ms));
  return `<h2>Capture: each ZeroMQ connection, as its packets showed it</h2>
<style>svg line.rail { stroke: #ccc; stroke-width: 1; } svg line.active { stroke: #1f77b4; stroke-width: 4; opacity: 0.35; } svg line.rung { stroke: #555; stroke-width: 1.2; } svg line.rung.zmtp { stroke: #2e7d32; } svg line.rung.message { stroke: #1f77b4; stroke-width: 2; } svg line.rung.retransmission { stroke: #c62828; } svg line.rung.end { stroke: #000; stroke-width: 2; } svg text.tiny { font-size: 9px; fill: #333; } svg text.resent { fill: #c62828; }</style>
${files}
<div class="small">client above, server below; rungs: SYN and SYN-ACK, each side's ZMTP greeting and READY (green), the first message each way (blue), segments sent again (red), FIN or RST (black); shaded: when packets flowed. Times are ms since time 0, as everywhere in this report.</div>
${ladderSvg(zmq, t0, t1, faults)}
`;
}
