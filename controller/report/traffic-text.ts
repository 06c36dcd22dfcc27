// The traffic report as a terminal table, one row per endpoint.
import type { TrafficReport } from "../traffic/types.js";
import { table } from "./plan-text.js";

export function trafficText(report: TrafficReport): string {
  const rows = [["endpoint", "node", "socket", "sent", "received", "from", "peers seen by the kernel", "notes"]];
  for (const e of report.endpoints) {
    const notes = [
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
      // A broken endpoint carried no traffic: no numbers that could read as if it had.
      e.failures ? "-" : String(e.sent),
      e.failures ? "-" : String(e.received),
      Object.entries(e.from).map(([k, v]) => `${k}:${v}`).join(" ") || "-",
      [...new Set(e.peers.map((p) => p.address))].sort(byAddress).join(" ") || "-",
      notes.join("; ") || "ok",
    ]);
  }
  const details = report.endpoints.flatMap((e) => e.noHandshake.map((n) => `  ${n.message}`));
  return [table(rows), ...(details.length ? ["", ...details] : [])].join("\n");
}

/** Addresses in numeric order (198.18.1.9 before 198.18.1.10), IPv4 before IPv6. */
export function byAddress(a: string, b: string): number {
  const key = (s: string) => (s.includes(":") ? "6" + s.split(":").map((g) => g.padStart(4, "0")).join(":") : "4" + s.split(".").map((o) => o.padStart(3, "0")).join("."));
  return key(a).localeCompare(key(b));
}
