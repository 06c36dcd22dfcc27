// The topology as a Mermaid flowchart: networks, nodes, every address per interface, forwarding
// nodes, endpoints and which connect reaches which bind. Pure.
import { list } from "../../shared/list.js";
import type { Lab } from "../lab/types.js";
import { connections } from "../traffic/jobs.js";

const id = (kind: string, name: string) => `${kind}_${name.replace(/[^a-zA-Z0-9]/g, "_")}`;
const text = (s: string) => s.replace(/"/g, "#quot;");

export interface FlowPath {
  /** Source address, destination address, and the forwarding nodes its packets crossed. */
  from: string;
  to: string;
  via: string[];
}

/** `hosts`: on a cluster, the host each node runs on (shown under its name). */
export function topologyMermaid(lab: Lab, paths: FlowPath[] = [], hosts: Record<string, string> = {}): string {
  const lines = ["flowchart LR"];
  for (const [name, network] of Object.entries(lab.networks)) {
    lines.push(`  ${id("net", name)}(["${text(`${name}<br/>${list(network.subnet).join("<br/>")}`)}"])`);
  }
  for (const [name, node] of Object.entries(lab.nodes)) {
    const label = [name, ...(hosts[name] !== undefined ? [`<i>on ${hosts[name]}</i>`] : []), ...(node.forward ? ["<i>forwards</i>"] : [])].join("<br/>");
    lines.push(`  ${id("node", name)}${node.forward ? `{{"${text(label)}"}}` : `["${text(label)}"]`}`);
    for (const [network, addresses] of Object.entries(node.interfaces)) {
      lines.push(`  ${id("node", name)} ---|"${text(list(addresses).join("<br/>"))}"| ${id("net", network)}`);
    }
  }
  for (const [name, endpoint] of Object.entries(lab.traffic ?? {})) {
    const detail = [...list(endpoint.bind).map((b) => `bind ${b}`), ...list(endpoint.connect).map((c) => `connect ${c}`)];
    const what = endpoint.socket ?? `program ${endpoint.command?.[0] ?? ""}`;
    lines.push(`  ${id("ep", name)}[/"${text(`${name}: ${what}<br/>${detail.join("<br/>")}`)}"/]`);
    lines.push(`  ${id("ep", name)} -.- ${id("node", endpoint.node)}`);
  }
  for (const c of connections(lab)) lines.push(`  ${id("ep", c.from)} ==>|connects| ${id("ep", c.to)}`);
  paths.forEach((p, i) => {
    lines.push(`  %% flow ${i + 1}: ${p.from} -> ${p.to} via ${p.via.join(", ") || "(direct)"}`);
    for (const router of p.via) lines.push(`  ${id("node", router)} -. "${text(`${p.from} → ${p.to}`)}" .-> ${id("node", router)}`);
  });
  lines.push("  classDef router fill:#fde8c8,stroke:#b96b00;");
  lines.push("  classDef endpoint fill:#e3f0ff,stroke:#3367d6;");
  const routers = Object.entries(lab.nodes)
    .filter(([, n]) => n.forward)
    .map(([n]) => id("node", n));
  if (routers.length) lines.push(`  class ${routers.join(",")} router;`);
  const endpoints = Object.keys(lab.traffic ?? {}).map((n) => id("ep", n));
  if (endpoints.length) lines.push(`  class ${endpoints.join(",")} endpoint;`);
  return lines.join("\n");
}
