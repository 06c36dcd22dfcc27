// `up` waits for dynamic routing: every node that runs OSPF must have a Full neighbour on each
// of its OSPF networks that another OSPF node shares, and OSPF's routes to the rest of its OSPF
// domain in its kernel, before the lab counts as up (and so before any traffic). Bounded: when
// they never come, exit 3 with FRR's own account.
import { EnvironmentError } from "../errors.js";
import type { NodeHandle, Runtime } from "../engine/runtime.js";
import { parseRoutes } from "../observe/kernel.js";
import { missingAdjacencies, missingRoutes, parseOspfNeighbours, type MissingAdjacency } from "../observe/ospf.js";
import type { LabPlan, NodePlan } from "../plan/types.js";

/** How long `up` waits for OSPF adjacencies (hello 1 s, dead 3 s: they form in a few seconds). */
export const ADJACENCY_TIMEOUT_MS = 30_000;
const POLL_MS = 250;
/**
 * Routes must also hold still this long: the first SPF runs may pick a path through whichever
 * router's LSAs arrived first (seen: the server routed via the costlier r2 for a moment).
 */
export const SETTLE_MS = 2_000;
export const NEIGHBOUR_ARGV = ["vtysh", "-c", "show ip ospf neighbor json"];
const ROUTES_ARGV = ["ip", "-j", "-4", "route", "show"];
/** FRR's account of itself when adjacencies never form: its daemons, and OSPF per interface. */
const STATE_ARGV = [
  ["vtysh", "-c", "show watchfrr"],
  ["vtysh", "-c", "show ip ospf interface"],
];

export interface AdjacencyWait {
  log?: (line: string) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** What one node lacks after the wait, with the last output of the neighbour query. */
export interface NodeAdjacencies {
  node: string;
  missing: MissingAdjacency[];
  /** OSPF domain networks the kernel has no route to yet. */
  missingRoutes: string[];
  lastOutput: string;
  /** The kernel's routes (destination and next hops), to see them settle. */
  routes: string;
}

/** Resolves when every awaited adjacency is Full; returns the milliseconds it took. */
export async function waitForAdjacencies(runtime: Runtime, plan: LabPlan, options: AdjacencyWait = {}): Promise<number> {
  const nodes = plan.nodes.filter((n) => (n.routing?.adjacencies.length ?? 0) + (n.routing?.routes.length ?? 0) > 0);
  if (nodes.length === 0) return 0;
  const started = performance.now();
  const deadline = started + (options.timeoutMs ?? ADJACENCY_TIMEOUT_MS);
  options.log?.(`waiting for OSPF adjacencies and routes (${nodes.map((n) => n.name).join(", ")})`);
  let pending: NodeAdjacencies[] = [];
  let routes = "";
  let stableSince = performance.now();
  for (;;) {
    const checks = await Promise.all(nodes.map((n) => check(runtime.node(plan.lab, n.name), n)));
    pending = checks.filter((r) => r.missing.length + r.missingRoutes.length > 0);
    const now = performance.now();
    const current = checks.map((c) => c.routes).join("\n");
    if (current !== routes) [routes, stableSince] = [current, now];
    if (pending.length === 0 && now - stableSince >= SETTLE_MS) {
      const ms = now - started;
      options.log?.(`OSPF converged after ${(ms / 1000).toFixed(1)} s (adjacencies Full, routes in place and unchanged for ${SETTLE_MS / 1000} s)`);
      return ms;
    }
    if (performance.now() >= deadline || options.signal?.aborted) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  if (options.signal?.aborted) return performance.now() - started;
  const states = await Promise.all(pending.map((p) => daemonState(runtime.node(plan.lab, p.node))));
  throw new EnvironmentError(adjacencyMessage(pending, states, options.timeoutMs ?? ADJACENCY_TIMEOUT_MS), ADJACENCY_HINT);
}

async function check(handle: NodeHandle, node: NodePlan): Promise<NodeAdjacencies> {
  const [result, routes] = await Promise.all([handle.exec(NEIGHBOUR_ARGV), handle.exec(ROUTES_ARGV)]);
  const output = (compact(result.stdout) || result.stderr.trim()) + (result.exitCode !== 0 ? ` (exit ${result.exitCode})` : "");
  const kernelRoutes = routes.exitCode === 0 ? parseRoutes(routes.stdout) : [];
  return {
    node: node.name,
    missing: missingAdjacencies(node.routing!.adjacencies, parseOspfNeighbours(result.stdout)),
    missingRoutes: missingRoutes(node.routing!.routes, kernelRoutes),
    lastOutput: output,
    routes: kernelRoutes.map((r) => `${node.name} ${r.to} ${r.via.join(",")}`).join(";"),
  };
}

/** FRR pretty-prints its JSON over many lines: one line in the message. */
function compact(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text.trim();
  }
}

async function daemonState(handle: NodeHandle): Promise<string> {
  const outputs = await Promise.all(
    STATE_ARGV.map((argv) =>
      handle.exec(argv).then(
        (r) => `$ ${argv.map((a) => (a.includes(" ") ? `'${a}'` : a)).join(" ")}\n${r.stdout.trim() || r.stderr.trim() || `(no output, exit ${r.exitCode})`}`,
        (err: unknown) => `${argv.join(" ")}: ${String(err)}`,
      ),
    ),
  );
  return outputs.join("\n");
}

export const ADJACENCY_HINT =
  "a network's OSPF nodes must all reach each other and run OSPF there (routing: { ospf: { networks: [...] } }); FRR's state above is from the moment the wait ended (the lab is removed); its log is /var/log/frr/frr.log in each node";

/** Which node lacks which adjacency, then FRR's state and last answer per node. Pure. */
export function adjacencyMessage(pending: NodeAdjacencies[], states: string[], timeoutMs: number): string {
  const lines = [`OSPF did not converge within ${Math.round(timeoutMs / 1000)} s:`];
  for (const p of pending) {
    for (const m of p.missing) {
      const what = [m.absent.length ? `${m.absent.join(", ")} not seen as OSPF neighbour${m.absent.length > 1 ? "s" : ""}` : "", m.full ? "" : "no Full neighbour"].filter(Boolean).join(", ");
      lines.push(`  ${p.node} on ${m.network}: ${what} (OSPF nodes there: ${m.expected.join(", ")}; ${p.node} sees: ${m.seen.join(", ") || "none"})`);
    }
    if (p.missingRoutes.length > 0) lines.push(`  ${p.node}: no route to ${p.missingRoutes.join(", ")} in its kernel (OSPF networks it is not on)`);
  }
  pending.forEach((p, i) => {
    lines.push(`  ${p.node}, last \`${NEIGHBOUR_ARGV.slice(0, 2).join(" ")} '${NEIGHBOUR_ARGV[2]}'\`: ${p.lastOutput || "(no output)"}`);
    lines.push(...(states[i] ?? "").split("\n").map((l) => `    ${l}`));
  });
  return lines.join("\n");
}
