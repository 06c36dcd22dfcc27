// The traffic report as a terminal table, one row per endpoint.
import type { ProgramOutcome, TrafficReport } from "../traffic/types.js";
import { table } from "./plan-text.js";

export function trafficText(report: TrafficReport & { flowsUnavailable?: Record<string, string> }): string {
  const rows = [["endpoint", "node", "socket", "sent", "received", "from", "peers seen by the kernel", "notes"]];
  for (const e of report.endpoints) {
    const notes = [
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
      Object.entries(e.from).map(([k, v]) => `${k}:${v}`).join(" ") || "-",
      [...new Set(e.peers.map((p) => p.address))].sort(byAddress).join(" ") || "-",
      notes.join("; ") || "ok",
    ]);
  }
  const details = [
    ...(report.interrupted ?? []).map((n) => `  ${n.state.toUpperCase()}: ${n.message}`),
    ...Object.entries(report.flowsUnavailable ?? {}).filter(([node]) => !report.interrupted?.some((n) => n.node === node && n.state !== "restarted")).map(([node, why]) => `  counters of ${node} unavailable: ${why}`),
    ...report.endpoints.flatMap((e) => e.noHandshake.map((n) => `  ${n.message}`)),
    ...report.endpoints.flatMap((e) => (e.program ? [`  ${e.name} (${commandText(e.program.command)}): ${programState(e.program)}${e.program.lastLines.length ? `; last lines: ${e.program.lastLines.slice(-3).join(" | ")}` : "; no output"}`] : [])),
  ];
  return [table(rows), ...(details.length ? ["", ...details] : [])].join("\n");
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
  const key = (s: string) => (s.includes(":") ? "6" + s.split(":").map((g) => g.padStart(4, "0")).join(":") : "4" + s.split(".").map((o) => o.padStart(3, "0")).join("."));
  return key(a).localeCompare(key(b));
}
