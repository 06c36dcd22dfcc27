// Human-readable views of a plan (dry run) and of a running lab's interfaces.
import type { LabPlan } from "../plan/types.js";
import type { InterfaceState } from "../observe/kernel.js";

/** Quote an argument for display only; commands are never run through a shell. */
export function displayArgv(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(" ");
}

/** How the engine names and labels the plan's networks and nodes (engine/ says; the dry run shows it). */
export interface EngineNames {
  networks: Record<string, { name: string; labels: Record<string, string>; options: Record<string, string> }>;
  nodes: Record<string, { name: string }>;
}

export function planText(plan: LabPlan, names: EngineNames): string {
  const lines: string[] = [`lab ${plan.lab}: dry run, nothing is created`, "", "networks:"];
  for (const n of plan.networks) {
    const engine = names.networks[n.name]!;
    for (const s of [n.ipv4, ...(n.ipv6 ? [n.ipv6] : [])]) {
      lines.push(`  ${n.name}  docker network ${engine.name}  subnet ${s.subnet}  gateway ${s.gateway} (Docker's)  docker allocates from ${s.ipRange ?? "(nothing free)"}`);
    }
    lines.push(
      `    options ${Object.entries(engine.options)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ")}  labels ${Object.entries(engine.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ")}`,
    );
  }
  lines.push("", "nodes:");
  for (const node of plan.nodes) {
    lines.push(`  ${node.name}  container ${names.nodes[node.name]!.name}${node.host !== undefined ? ` on host ${node.host}` : ""}  image ${node.image}${node.forward ? "  forwards" : ""}`);
    lines.push(
      `    capabilities ${node.capabilities.join(", ")}${
        Object.keys(node.sysctls).length
          ? `  sysctls ${Object.entries(node.sysctls)
              .map(([k, v]) => `${k}=${v}`)
              .join(" ")}`
          : ""
      }`,
    );
    for (const iface of node.interfaces) {
      lines.push(`    interface ${iface.network}: ${iface.addresses.join(", ")}  (Docker attaches ${[iface.ipv4, iface.ipv6].filter(Boolean).join(" and ")})`);
    }
    for (const f of node.files ?? []) {
      const interfaces = f.kernelInterfaceNames ? "; `interface NETWORK` lines get the kernel's interface name" : "";
      lines.push(`    file ${f.path} (mode ${f.mode.toString(8)})${f.source !== undefined ? ` from ${f.source}` : ""}   # ${f.why}${interfaces}`);
      if (f.content !== undefined)
        lines.push(
          ...f.content
            .trimEnd()
            .split("\n")
            .map((l) => `      | ${l}`),
        );
    }
    lines.push(`    commands:`);
    if (node.host !== undefined)
      lines.push(`      ip link del dev <the interface on docker_gwbridge>   # the Swarm's way out of the lab (with its default route); again whenever the node is configured`);
    lines.push(`      ip link property add dev <Docker's name for ${node.interfaces.map((i) => i.network).join(" / ")}> altname <network>   # name interfaces after their networks`);
    for (const c of node.commands) lines.push(`      ${displayArgv(c.argv)}   # ${c.why}`);
    for (const a of node.routing?.adjacencies ?? []) lines.push(`    then waits for a Full OSPF neighbour on ${a.network} (OSPF there: ${a.neighbours.join(", ")})`);
  }
  if (plan.faults?.length) lines.push("", ...faultsText(plan, names));
  return lines.join("\n");
}

/** One line per interface: its lab network, kernel name, and every address it carries. */
export function interfacesText(nodes: { name: string; interfaces: InterfaceState[] }[]): string {
  const rows: string[][] = [["node", "interface", "addresses"]];
  for (const node of nodes) {
    for (const iface of node.interfaces.filter((i) => i.name !== "lo")) {
      rows.push([node.name, iface.altnames.length ? `${iface.altnames[0]} (${iface.name})` : iface.name, iface.addresses.join(" ")]);
    }
  }
  return table(rows);
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n");
}

/** The fault timeline of a dry run: when, what, and every engine action and command. */
export function faultsText(plan: LabPlan, names: Pick<EngineNames, "nodes">): string[] {
  const lines = ["faults (ms since time 0, when the senders are released; <network> is the node's kernel name for that interface, read when the fault runs):"];
  for (const f of plan.faults ?? []) {
    lines.push(`  ${String(f.atMs).padStart(6)} ms  ${f.name}: ${f.description}`);
    if (f.engine)
      lines.push(
        `      engine: ${f.engine.action} container ${names.nodes[f.engine.node]?.name ?? f.engine.node}${f.engine.action === "stop" || f.engine.action === "restart" ? " (timeout 0: no grace time)" : ""}`,
      );
    if (f.reconfigure) lines.push(`      then: configure ${f.reconfigure} again from its plan (its commands above; Docker's default route removed, counters reinstalled)`);
    for (const step of f.steps) for (const c of step.commands) lines.push(`      ${step.node}: ${displayArgv(c.argv)}   # ${c.why}`);
    if (f.netem) lines.push(`      needs netem in ${f.netem}'s kernel: checked before the traffic starts (exit 3 without it)`);
  }
  return lines;
}
