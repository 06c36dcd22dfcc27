// A lab on the engine: bring it up from its plan, use it, take it down.
import { LabError, EnvironmentError } from "../errors.js";
import { connectEngine, type Engine } from "../engine/docker.js";
import { execIn, type ExecResult } from "../engine/exec.js";
import { ensureNodeImage } from "../engine/images.js";
import { createNetwork, createNode, createsWithAllNetworks, existingSubnets, listLabs, removeLab } from "../engine/resources.js";
import { list } from "../lab/endpoint.js";
import { loadLab, type LoadedLab } from "../lab/load.js";
import { overlaps, parseSubnet, type Subnet } from "../lab/ip.js";
import type { Lab } from "../lab/types.js";
import { parseAddr, parseRoutes, parseRules, type InterfaceState, type KernelState } from "../observe/kernel.js";
import type { ConfigureJob, ConfigureResult } from "../agent/protocol.js";
import { FLOW_TABLE, planLab } from "../plan/plan.js";
import { parseFlowSet, type FlowCount } from "../observe/flows.js";
import type { LabPlan, NodePlan } from "../plan/types.js";
import { hostRoutes } from "./host.js";
import { readKernel, run } from "./kernel-reader.js";
import { compareWithPlan } from "./verify.js";

export interface UpOptions {
  /** Aborting removes whatever was created so far. */
  signal?: AbortSignal;
  /** Progress lines (to stderr in the CLI). */
  log?: (line: string) => void;
  engine?: Engine;
}

export class Cancelled extends Error {
  readonly exitCode = 130;
  constructor() {
    super("interrupted: the lab was removed");
  }
}

/** A lab that is up on the engine. */
export class RunningLab {
  constructor(
    readonly lab: Lab,
    readonly plan: LabPlan,
    readonly engine: Engine,
    /** Milliseconds spent per phase of `up`, for benchmarks and progress. */
    readonly timings: Record<string, number> = {},
  ) {}

  get name(): string {
    return this.lab.name;
  }

  node(name: string): NodePlan {
    const node = this.plan.nodes.find((n) => n.name === name);
    if (!node) throw new LabError([{ path: "nodes", message: `no node "${name}" in lab ${this.name}`, hint: `nodes: ${this.plan.nodes.map((n) => n.name).join(", ")}` }]);
    return node;
  }

  /** Run a command (an argument list) in a node. */
  exec(node: string, argv: string[]): Promise<ExecResult> {
    return execIn(this.engine, this.node(node).containerName, argv);
  }

  /** The node's interfaces and addresses as its kernel shows them (one exec). */
  async interfaces(node: string): Promise<InterfaceState[]> {
    return parseAddr(await run(this.engine, this.node(node).containerName, node, ["ip", "-j", "addr", "show"]));
  }

  /** The node's addresses, routes and rules as its kernel shows them. */
  kernel(node: string): Promise<KernelState> {
    return readKernel(this.engine, this.node(node).containerName, node, nodeHasIpv6(this.plan, this.node(node)));
  }

  /** Packets each forwarding node forwarded, per (source, destination) address. */
  async flows(node: string): Promise<FlowCount[]> {
    const plan = this.node(node);
    if (!plan.forward) return [];
    const sets = nodeHasIpv6(this.plan, plan) ? ["flows4", "flows6"] : ["flows4"];
    const outputs = await Promise.all(sets.map((set) => run(this.engine, plan.containerName, node, ["nft", "-j", "list", "set", "inet", FLOW_TABLE, set])));
    return outputs.flatMap(parseFlowSet);
  }

  /** Zero the flow counters of every forwarding node (before traffic whose path is judged). */
  async resetFlows(): Promise<void> {
    await Promise.all(
      this.plan.nodes.filter((n) => n.forward).flatMap((n) =>
        (nodeHasIpv6(this.plan, n) ? ["flows4", "flows6"] : ["flows4"]).map((set) => run(this.engine, n.containerName, n.name, ["nft", "flush", "set", "inet", FLOW_TABLE, set])),
      ),
    );
  }

  /** Remove every container and network of this lab. Idempotent. */
  async down(): Promise<void> {
    await removeLab(this.engine, this.name);
  }
}

const nodeHasIpv6 = (plan: LabPlan, node: NodePlan) => node.interfaces.some((i) => plan.networks.find((n) => n.name === i.network)?.ipv6);

function load(target: string | LoadedLab): LoadedLab {
  return typeof target === "string" ? loadLab(target) : target;
}

/** Bring a lab up exactly as declared, check the kernel agrees, and return it. */
export async function up(target: string | LoadedLab, options: UpOptions = {}): Promise<RunningLab> {
  const { lab } = load(target);
  const log = options.log ?? (() => {});
  const engine = options.engine ?? (await connectEngine());
  const timings: Record<string, number> = {};
  const phase = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    if (options.signal?.aborted) throw new Cancelled();
    const started = performance.now();
    const result = await work();
    timings[name] = performance.now() - started;
    return result;
  };

  const [existing] = await listLabs(engine, lab.name);
  // Networks alone are what a crashed run leaves: clear them. Containers mean the lab is up.
  if (existing && existing.containers.length === 0) await removeLab(engine, lab.name);
  else if (existing) {
    throw new EnvironmentError(`Lab ${lab.name} is already up on this engine.`, `use it as it is (zmqlab test, zmqlab run), or remove it first: zmqlab down ${lab.name}`);
  }
  await checkCollisions(engine, lab);
  let plan = planLab(lab);
  if (plan.nodes.some((n) => n.defaultImage)) {
    const image = await phase("image", () => ensureNodeImage(engine, log));
    plan = planLab(lab, { image });
  }
  const running = new RunningLab(lab, plan, engine, timings);
  try {
    log(`creating ${plan.networks.length} networks`);
    await phase("networks", () => settled(plan.networks.map((n) => createNetwork(engine, n))));
    log(`creating ${plan.nodes.length} nodes`);
    const allNetworksAtCreate = await createsWithAllNetworks(engine);
    await phase("nodes", () => settled(plan.nodes.map((n) => createNode(engine, n, allNetworksAtCreate))));
    log("configuring addresses and routes");
    const states = await phase("configure", () => settled(plan.nodes.map((n) => configureNode(engine, n, nodeHasIpv6(plan, n)))));
    log("checking the kernel state");
    await phase("verify", async () => verify(plan, states));
    if (options.signal?.aborted) throw new Cancelled();
    return running;
  } catch (err) {
    await removeLab(engine, lab.name);
    throw options.signal?.aborted ? new Cancelled() : err;
  }
}

/** Wait for every operation, so a failure never tears down under one still running. */
async function settled<T>(work: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(work);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failure) throw failure.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

const CONFIGURE_ARGV = ["node", "/opt/zmqlab/agent/configure.js"];

/**
 * Name each interface after its lab network (an altname), run the node's commands, and read
 * the kernel state back. zmqlab's image does it all in one exec (execs are what costs time);
 * other images get one exec per command.
 */
async function configureNode(engine: Engine, node: NodePlan, ipv6: boolean): Promise<KernelState> {
  if (!node.defaultImage) return configureCommandByCommand(engine, node, ipv6);
  const job: ConfigureJob = { interfaces: node.interfaces.map((i) => ({ network: i.network, ipv4: i.ipv4 })), commands: node.commands, ipv6 };
  const output = await run(engine, node.containerName, node.name, [...CONFIGURE_ARGV, JSON.stringify(job)]);
  const result = JSON.parse(output) as ConfigureResult;
  if (result.failed) {
    const why = node.commands[result.failed.index]?.why ?? "name the interface after its network";
    throw commandFailed(node, result.failed.argv, why, result.failed.exitCode, result.failed.output);
  }
  return {
    interfaces: parseAddr(result.state.addr),
    routes: result.state.routes.flatMap((r) => parseRoutes(r)),
    rules: result.state.rules.flatMap((r) => parseRules(r)),
  };
}

async function configureCommandByCommand(engine: Engine, node: NodePlan, ipv6: boolean): Promise<KernelState> {
  // As in zmqlab's image (agent/configure.ts): each interface is found by the IPv4 address
  // Docker assigned it; one that is not found shows up in the kernel check as a missing name.
  const links = parseAddr(await run(engine, node.containerName, node.name, ["ip", "-j", "addr", "show"]));
  for (const iface of node.interfaces) {
    const link = links.find((l) => l.addresses.some((a) => a.split("/")[0] === iface.ipv4));
    if (link) await run(engine, node.containerName, node.name, ["ip", "link", "property", "add", "dev", link.name, "altname", iface.network]);
  }
  for (const command of node.commands) {
    const result = await execIn(engine, node.containerName, command.argv);
    if (result.exitCode !== 0) throw commandFailed(node, command.argv, command.why, result.exitCode, result.stderr.trim() || result.stdout.trim());
  }
  return readKernel(engine, node.containerName, node.name, ipv6);
}

function commandFailed(node: NodePlan, argv: string[], why: string, exitCode: number, output: string): EnvironmentError {
  return new EnvironmentError(`In node ${node.name}, \`${argv.join(" ")}\` (${why}) failed with exit code ${exitCode}: ${output}`, kernelHint(argv, output));
}

/** Some kernels lack netem and IPVS: say so, rather than leave tc's or ipvsadm's words alone. */
export function kernelHint(argv: string[], output: string): string {
  if (argv.includes("netem") && /unknown qdisc|no such file|not supported|specified qdisc kind is unknown/i.test(output)) {
    return "this kernel has no netem (the sch_netem module): delay and loss cannot be emulated here; use tc tbf/htb for rate limits and nftables (statistic, numgen) for random drops, or run on a kernel with netem";
  }
  if (argv[0] === "ipvsadm" || /ip_vs/.test(output)) {
    return "this kernel has no IPVS: build the load balancer with nftables instead (dnat to jhash ip saddr mod N map {...}; see labs/nat-lb)";
  }
  return "if this command came from the lab file, check it by hand: zmqlab up --dry-run shows every command";
}

function verify(plan: LabPlan, states: KernelState[]): void {
  const all = plan.nodes.flatMap((node, i) => compareWithPlan(node, states[i]!).map((d) => `${node.name}: ${d}`));
  if (all.length > 0) throw new EnvironmentError(`The kernel state differs from the lab file:\n  ${all.join("\n  ")}`);
}

/** A lab subnet must not collide with another Docker network or a route of this host. */
async function checkCollisions(engine: Engine, lab: Lab): Promise<void> {
  const ours = Object.entries(lab.networks).flatMap(([name, n]) => list(n.subnet).map((s) => ({ name, subnet: parseSubnet(s) as Subnet })));
  const problems: string[] = [];
  const labs = new Set<string>();
  for (const existing of await existingSubnets(engine)) {
    const theirs = parseSubnet(existing.subnet);
    if (typeof theirs === "string") continue;
    for (const mine of ours) {
      if (!overlaps(mine.subnet, theirs)) continue;
      problems.push(`network ${mine.name} (${mine.subnet.cidr}) overlaps Docker network ${existing.network} (${existing.subnet}${existing.lab ? `, lab ${existing.lab}` : ""})`);
      if (existing.lab) labs.add(existing.lab);
    }
  }
  for (const route of hostRoutes()) {
    const theirs = parseSubnet(route.to);
    if (typeof theirs === "string" || theirs.prefix === 0) continue;
    for (const mine of ours) {
      if (overlaps(mine.subnet, theirs)) problems.push(`network ${mine.name} (${mine.subnet.cidr}) overlaps the host route ${route.to} dev ${route.dev}`);
    }
  }
  if (problems.length > 0) {
    throw new EnvironmentError(`Lab ${lab.name} cannot come up: ${problems.join("; ")}.`, `give the lab other subnets (198.18.0.0/15 is set aside for labs), or remove the other ${labs.size ? `lab if it is yours: ${[...labs].map((l) => `zmqlab down ${l}`).join("; ")}` : "network"}`);
  }
}

/** A lab that is already up, found by its name, for tests and re-checks without provisioning. */
export async function attach(target: string | LoadedLab, options: { engine?: Engine } = {}): Promise<RunningLab> {
  const { lab, file } = load(target);
  const engine = options.engine ?? (await connectEngine());
  const [found] = await listLabs(engine, lab.name);
  const expected = Object.keys(lab.nodes);
  const missing = expected.filter((n) => !found?.containers.some((c) => c.node === n && c.state === "running"));
  if (!found || missing.length > 0) {
    throw new EnvironmentError(`Lab ${lab.name} is not up${found ? ` (nodes not running: ${missing.join(", ")})` : ""}.`, `bring it up first: zmqlab up ${file.replace(/\/lab\.ya?ml$/, "")}`);
  }
  const image = found.containers.length ? (await engine.getContainer(found.containers[0]!.id).inspect()).Config.Image : undefined;
  const plan = planLab(lab, image ? { image } : {});
  return new RunningLab(lab, plan, engine);
}

/** Remove a lab by its file or by its name. */
export async function down(target: string, options: { engine?: Engine } = {}): Promise<{ containers: number; networks: number }> {
  let name = target;
  if (target.includes("/") || target.endsWith(".yaml") || target.endsWith(".yml")) name = loadLab(target).lab.name;
  const engine = options.engine ?? (await connectEngine());
  return removeLab(engine, name);
}
