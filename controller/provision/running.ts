// A lab on the engine: bring it up from its plan, use it, take it down.
import { LabError, EnvironmentError } from "../errors.js";
import { connectEngine, type Engine } from "../engine/docker.js";
import { execIn, type ExecResult } from "../engine/exec.js";
import { ensureNodeImage } from "../engine/images.js";
import { createNetwork, createNode, existingSubnets, listLabs, macAddresses, removeLab } from "../engine/resources.js";
import { loadLab, type LoadedLab } from "../lab/load.js";
import { overlaps, parseSubnet, type Subnet } from "../lab/ip.js";
import type { Lab } from "../lab/types.js";
import type { KernelState } from "../observe/kernel.js";
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

  if ((await listLabs(engine, lab.name)).length > 0) {
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
    await phase("networks", () => Promise.all(plan.networks.map((n) => createNetwork(engine, n))));
    log(`creating ${plan.nodes.length} nodes`);
    await phase("nodes", () => Promise.all(plan.nodes.map((n) => createNode(engine, n))));
    log("configuring addresses and routes");
    await phase("configure", () => Promise.all(plan.nodes.map((n) => configureNode(engine, n))));
    log("checking the kernel state");
    await phase("verify", () => verify(running));
    if (options.signal?.aborted) throw new Cancelled();
    return running;
  } catch (err) {
    await removeLab(engine, lab.name);
    throw options.signal?.aborted ? new Cancelled() : err;
  }
}

/** Name each interface after its lab network (an altname), then run the node's commands. */
async function configureNode(engine: Engine, node: NodePlan): Promise<void> {
  const macs = await macAddresses(engine, node.containerName);
  const links = JSON.parse(await run(engine, node.containerName, node.name, ["ip", "-j", "link", "show"])) as { ifname: string; address?: string }[];
  for (const iface of node.interfaces) {
    const mac = macs.get(iface.dockerNetwork);
    const link = links.find((l) => l.address?.toLowerCase() === mac);
    if (!link) throw new EnvironmentError(`In node ${node.name}, no interface has the MAC address Docker reports for network ${iface.dockerNetwork} (${mac}).`);
    await run(engine, node.containerName, node.name, ["ip", "link", "property", "add", "dev", link.ifname, "altname", iface.network]);
  }
  for (const command of node.commands) {
    const result = await execIn(engine, node.containerName, command.argv);
    if (result.exitCode !== 0) {
      throw new EnvironmentError(
        `In node ${node.name}, \`${command.argv.join(" ")}\` (${command.why}) failed with exit code ${result.exitCode}: ${result.stderr.trim() || result.stdout.trim()}`,
        "if this command came from the lab file, check it by hand: zmqlab up --dry-run shows every command",
      );
    }
  }
}

async function verify(running: RunningLab): Promise<void> {
  const differences = await Promise.all(
    running.plan.nodes.map(async (node) => compareWithPlan(node, await running.kernel(node.name)).map((d) => `${node.name}: ${d}`)),
  );
  const all = differences.flat();
  if (all.length > 0) throw new EnvironmentError(`The kernel state differs from the lab file:\n  ${all.join("\n  ")}`);
}

/** A lab subnet must not collide with another Docker network or a route of this host. */
async function checkCollisions(engine: Engine, lab: Lab): Promise<void> {
  const ours = Object.entries(lab.networks).flatMap(([name, n]) => ([] as string[]).concat(n.subnet).map((s) => ({ name, subnet: parseSubnet(s) as Subnet })));
  const problems: string[] = [];
  for (const existing of await existingSubnets(engine)) {
    const theirs = parseSubnet(existing.subnet);
    if (typeof theirs === "string") continue;
    for (const mine of ours) {
      if (overlaps(mine.subnet, theirs)) problems.push(`network ${mine.name} (${mine.subnet.cidr}) overlaps Docker network ${existing.network} (${existing.subnet}${existing.lab ? `, lab ${existing.lab}` : ""})`);
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
    throw new EnvironmentError(`Lab ${lab.name} cannot come up: ${problems.join("; ")}.`, "give the lab other subnets (198.18.0.0/15 is set aside for labs), or remove the other network (zmqlab ls shows labs left behind; zmqlab clean removes them)");
  }
}

/** A lab that is already up, found by its name, for tests and re-checks without provisioning. */
export async function attach(target: string | LoadedLab, options: { engine?: Engine } = {}): Promise<RunningLab> {
  const { lab } = load(target);
  const engine = options.engine ?? (await connectEngine());
  const [found] = await listLabs(engine, lab.name);
  const expected = Object.keys(lab.nodes);
  const missing = expected.filter((n) => !found?.containers.some((c) => c.node === n && c.state === "running"));
  if (!found || missing.length > 0) {
    throw new EnvironmentError(`Lab ${lab.name} is not up${found ? ` (nodes not running: ${missing.join(", ")})` : ""}.`, `bring it up first: zmqlab up ${lab.name === "source-ip" ? "labs/source-ip" : "LAB"}`);
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
