// The traffic report as a terminal table, one row per endpoint.
import type { EndedBy, EndpointReport, FaultEvent, LatencyFigures, ProgramOutcome, TrafficReport } from "../traffic/types.js";
import { table } from "./plan-text.js";

export function trafficText(report: TrafficReport & { flowsUnavailable?: Record<string, string> }): string {
  const rows = [["endpoint", "node", "socket", "sent", "received", "from", "latency ms p50/p99/max", "peers seen by the kernel", "notes"]];
  for (const e of report.endpoints) {
    const notes = [
      ...livesNotes(e),
      ...(e.program ? [programState(e.program)] : []),
      ...(e.gaps ? [`${e.gaps} gaps`] : []),
      ...(e.duplicates ? [`${e.duplicates} duplicates`] : []),
      ...(e.reordered ? [`${e.reordered} reordered`] : []),
      ...e.noHandshake.map((n) => `no handshake ${n.source ? `${n.source} -> ` : ""}${n.destination}`),
      ...e.errors.map((x) => (e.failures?.includes(x) ? `FAILED: ${x}` : x)),
    ];
    rows.push([
      e.name,
      e.node,
      e.socket,
      // A broken endpoint carried no traffic, a program counts nothing: no numbers that could mislead.
      e.program || e.failures ? "-" : String(e.sent),
      e.program || e.failures ? "-" : String(e.received),
      Object.entries(e.from)
        .map(([k, v]) => `${k}:${v}`)
        .join(" ") || "-",
      e.latency ? latencyText(e.latency) : "-",
      [...new Set(e.peers.map((p) => p.address))].sort(byAddress).join(" ") || "-",
      notes.join("; ") || "ok",
    ]);
  }
  const details = [
    ...(report.faults?.length ? [`  faults (ms since time 0, when the senders were released): ${report.faults.map(faultText).join("; ")}`] : []),
    ...(report.interrupted ?? []).map((n) => `  ${n.faults?.length ? `${n.state} (planned)` : n.state.toUpperCase()}: ${n.message}`),
    ...Object.entries(report.flowsUnavailable ?? {})
      .filter(([node]) => !report.interrupted?.some((n) => n.node === node && n.state !== "restarted"))
      .map(([node, why]) => `  counters of ${node} unavailable: ${why}`),
    ...report.endpoints.flatMap((e) => e.noHandshake.map((n) => `  ${n.message}`)),
    ...report.endpoints.flatMap((e) =>
      e.program
        ? [`  ${e.name} (${commandText(e.program.command)}): ${programState(e.program)}${e.program.lastLines.length ? `; last lines: ${e.program.lastLines.slice(-3).join(" | ")}` : "; no output"}`]
        : [],
    ),
  ];
  return [table(rows), ...(details.length ? ["", ...details] : [])].join("\n");
}

/** "0.21/1.3/4.02": p50, p99 and max in ms, to 3 significant digits (below 1 ms to the µs). */
export function latencyText(l: LatencyFigures): string {
  const ms = (x: number) => (x >= 1 ? String(Number(x.toPrecision(3))) : String(Math.round(x * 1000) / 1000));
  return `${ms(l.p50)}/${ms(l.p99)}/${ms(l.max)}`;
}

/** "it began after fault r2-down on r2 was over, at 7205 ms": why a fault began late (times since time 0). */
export function waitedText(w: { fault: string; node: string; doneMs: number }): string {
  return `it began after fault ${w.fault} on ${w.node} was over, at ${Math.round(w.doneMs)} ms`;
}

/** "r1-down planned 2000, took effect 2003", or why it failed. */
export function faultText(f: FaultEvent): string {
  const when = `${f.name} planned ${f.atMs}${f.actualMs !== undefined ? `, took effect ${Math.round(f.actualMs)}` : ""}${f.waitedFor ? ` (${waitedText(f.waitedFor)})` : ""}`;
  return f.ok ? when : `${when}: FAILED: ${f.error ?? "no reason given"}`;
}

/** "stopped by fault c-down at 2003 ms", "restarted by fault b-restart at 2001 ms". */
export function endedText(e: EndedBy): string {
  return `${{ stop: "stopped", restart: "restarted", pause: "paused" }[e.action]} by fault ${e.fault} at ${Math.round(e.atMs)} ms`;
}

/** What the lab's faults did to an endpoint's node: its lives, and how the last one ended. */
function livesNotes(e: EndpointReport): string[] {
  const notes = (e.lives ?? []).slice(0, -1).flatMap((l) => (l.endedBy ? [endedText(l.endedBy)] : []));
  if (e.lives && e.lives.length > 1) notes.push(`${e.lives.length} lives`);
  if (e.endedBy) notes.push(endedText(e.endedBy));
  return notes;
}

/** "exit 0 after 1.7 s", "stopped after 20.0 s (SIGKILL)", "never started". */
export function programState(p: ProgramOutcome): string {
  const time = `${(p.durationMs / 1000).toFixed(1)} s`;
  if (p.exitCode === null) return "never started";
  return p.stopped ? `stopped after ${time}${p.killed ? " (SIGKILL)" : ""}` : `exit ${p.exitCode} after ${time}`;
}

/** A command for reading: long arguments (an inline script) shortened. */
export function commandText(argv: string[]): string {
  return argv.map((a) => (a.includes("\n") || a.length > 40 ? `${a.replace(/\s+/g, " ").slice(0, 37)}...` : a)).join(" ");
}

/** Addresses in numeric order (198.18.1.9 before 198.18.1.10), IPv4 before IPv6. */
export function byAddress(a: string, b: string): number {
  const key = (s: string) =>
    s.includes(":")
      ? "6" +
        s
          .split(":")
          .map((g) => g.padStart(4, "0"))
          .join(":")
      : "4" +
        s
          .split(".")
          .map((o) => o.padStart(3, "0"))
          .join(".");
  return key(a).localeCompare(key(b));
}
