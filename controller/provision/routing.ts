// `up` waits for dynamic routing: every node that runs OSPF must have a Full neighbour on each
// of its OSPF networks that another OSPF node shares, before the lab counts as up (and so before
// any traffic). Bounded: when adjacencies never form, exit 3 with FRR's own account.
import { EnvironmentError } from "../errors.js";
import type { Engine } from "../engine/docker.js";
import { execIn } from "../engine/exec.js";
import { missingAdjacencies, parseOspfNeighbours, type MissingAdjacency } from "../observe/ospf.js";
import type { LabPlan, NodePlan } from "../plan/types.js";

/** How long `up` waits for OSPF adjacencies (hello 1 s, dead 3 s: they form in a few seconds). */
export const ADJACENCY_TIMEOUT_MS = 30_000;
const POLL_MS = 250;
export const NEIGHBOUR_ARGV = ["vtysh", "-c", "show ip ospf neighbor json"];
/** FRR's account of itself when adjacencies never form: its daemons, and OSPF per interface. */
const STATE_ARGV = [["vtysh", "-c", "show watchfrr"], ["vtysh", "-c", "show ip ospf interface"]];

export interface AdjacencyWait {
  log?: (line: string) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** What one node lacks after the wait, with the last output of the neighbour query. */
export interface NodeAdjacencies {
  node: string;
  missing: MissingAdjacency[];
  lastOutput: string;
}

/** Resolves when every awaited adjacency is Full; returns the milliseconds it took. */
export async function waitForAdjacencies(engine: Engine, plan: LabPlan, options: AdjacencyWait = {}): Promise<number> {
  const nodes = plan.nodes.filter((n) => (n.routing?.adjacencies.length ?? 0) > 0);
  if (nodes.length === 0) return 0;
  const started = performance.now();
  const deadline = started + (options.timeoutMs ?? ADJACENCY_TIMEOUT_MS);
  options.log?.(`waiting for OSPF adjacencies (${nodes.map((n) => n.name).join(", ")})`);
  let pending: NodeAdjacencies[] = [];
  for (;;) {
    pending = (await Promise.all(nodes.map((n) => check(engine, n)))).filter((r) => r.missing.length > 0);
    if (pending.length === 0) return performance.now() - started;
    if (performance.now() >= deadline || options.signal?.aborted) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  if (options.signal?.aborted) return performance.now() - started;
  const states = await Promise.all(pending.map((p) => daemonState(engine, plan.nodes.find((n) => n.name === p.node)!)));
  throw new EnvironmentError(adjacencyMessage(pending, states, options.timeoutMs ?? ADJACENCY_TIMEOUT_MS), ADJACENCY_HINT);
}

async function check(engine: Engine, node: NodePlan): Promise<NodeAdjacencies> {
  const result = await execIn(engine, node.containerName, NEIGHBOUR_ARGV);
  const output = (result.stdout.trim() || result.stderr.trim()) + (result.exitCode !== 0 ? ` (exit ${result.exitCode})` : "");
  return { node: node.name, missing: missingAdjacencies(node.routing!.adjacencies, parseOspfNeighbours(result.stdout)), lastOutput: output };
}

async function daemonState(engine: Engine, node: NodePlan): Promise<string> {
  const outputs = await Promise.all(STATE_ARGV.map((argv) => execIn(engine, node.containerName, argv).then((r) => `$ ${argv.map((a) => (a.includes(" ") ? `'${a}'` : a)).join(" ")}\n${(r.stdout.trim() || r.stderr.trim() || `(no output, exit ${r.exitCode})`)}`, (err: unknown) => `${argv.join(" ")}: ${String(err)}`)));
  return outputs.join("\n");
}

export const ADJACENCY_HINT =
  "a network's OSPF nodes must all reach each other and run OSPF there (routing: { ospf: { networks: [...] } }); FRR's state above is from the moment the wait ended (the lab is removed); its log is /var/log/frr/frr.log in each node";

/** Which node lacks which adjacency, then FRR's state and last answer per node. Pure. */
export function adjacencyMessage(pending: NodeAdjacencies[], states: string[], timeoutMs: number): string {
  const lines = [`OSPF adjacencies did not form within ${Math.round(timeoutMs / 1000)} s:`];
  for (const p of pending) {
    for (const m of p.missing) {
      lines.push(`  ${p.node}: no Full neighbour on ${m.network} (OSPF nodes there: ${m.expected.join(", ")}; seen: ${m.seen.join(", ") || "none"})`);
    }
  }
  pending.forEach((p, i) => {
    lines.push(`  ${p.node}, last \`${NEIGHBOUR_ARGV.slice(0, 2).join(" ")} '${NEIGHBOUR_ARGV[2]}'\`: ${p.lastOutput || "(no output)"}`);
    lines.push(...(states[i] ?? "").split("\n").map((l) => `    ${l}`));
  });
  return lines.join("\n");
}
