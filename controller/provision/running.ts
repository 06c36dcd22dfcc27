// A lab on the engine: bring it up from its plan, use it, take it down.
import { existsSync } from "node:fs";
import { Cancelled, closest, LabError, EnvironmentError } from "../errors.js";
import { describe } from "../engine/docker.js";
import { clusterFlag, connectRuntime } from "../engine/connect.js";
import type { ExecResult, Stdio } from "../engine/exec.js";
import type { LockShare } from "../engine/lock.js";
import { configureShellArgv, parseConfigureShell } from "./configure-shell.js";
import { Program } from "../engine/program.js";
import type { ActionEffect, LabResources, NodeHandle, Runtime } from "../engine/runtime.js";
import { parseProcNetTcp, peersFor, type TcpEntry } from "../../shared/proc-net.js";
import type { Peer } from "../../shared/protocol.js";
import { autoInstanceName, checkInstanceName, chooseRelocations, formatRelocations, instanceKey, instanceLab, parseRelocations, RelocationError, type Relocation } from "../lab/relocate.js";
import { list } from "../../shared/list.js";
import { loadLab, type LoadedLab } from "../lab/load.js";
import { overlaps, parseSubnet, type Subnet } from "../lab/ip.js";
import type { Lab } from "../lab/types.js";
import { parseAddr, parseRoutes, parseRules, type InterfaceState, type KernelState } from "../observe/kernel.js";
import type { ConfigureJob, ConfigureResult } from "../../shared/protocol.js";
import { strayInterfaces } from "../../shared/stray-interfaces.js";
import { FLOW_TABLE, planLab } from "../plan/plan.js";
import { parseFlowSet, type FlowCount } from "../observe/flows.js";
import type { LabPlan, NodePlan } from "../plan/types.js";
import { readKernel, run } from "./kernel-reader.js";
import { compareWithPlan } from "./verify.js";
import { waitForAdjacencies } from "./routing.js";
import { readFileSync } from "node:fs";
import { freshNamespace, planRepair } from "./repair.js";
import type { Command, NodeAction } from "../plan/types.js";

export interface LabOptions {
  /** The engine to use (default: the one DOCKER_HOST names, see connectRuntime). */
  runtime?: Runtime;
  /** A cluster file: run the lab across its engines (default $ZMQLAB_CLUSTER; ignored when `runtime` is given). */
  cluster?: string;
  /**
   * Run a separate copy of the lab: its resources carry the instance's name and its subnets move
   * to free blocks of 198.18.0.0/15 (and 2001:2::/48). `auto` picks a unique name (`up` only).
   */
  instance?: string;
  /** How long to wait while another zmqlab process uses the lab (ms; default 10 minutes). */
  wait?: number;
  /**
   * `up` only: a lab that is already up is repaired to match its file (stopped nodes started,
   * drifted nodes configured again) instead of refused. Default true.
   */
  reconcile?: boolean;
  /** Progress lines (to stderr in the CLI). */
  log?: (line: string) => void;
  /** Aborting removes whatever was created so far (and stops waiting for the lock). */
  signal?: AbortSignal;
  /** The command holding the lock, shown to whoever waits for it. */
  command?: string;
  /** `up` only: called once the lab's networks exist, before its nodes are created (a run's capture starts recording them then). */
  onNetworks?: (plan: LabPlan) => void;
}

export type UpOptions = LabOptions;

export const DEFAULT_WAIT_MS = 10 * 60_000;

export { Cancelled };

/** What sets an instance apart from the lab file: its name and where its addresses moved. */
export interface Placement {
  /** The lab as its file states it (addresses as written). */
  fileLab: Lab;
  instance?: string;
  relocations: Relocation[];
}

/** A lab that is up on the engine. */
export class RunningLab {
  readonly fileLab: Lab;
  readonly instance: string | undefined;
  readonly relocations: Relocation[];
  /** What `up` repaired on a lab that was already up (one line each); empty when it created the lab or nothing differed. */
  repairs: string[] = [];
  /** Whether `up` found the lab up already and reconciled it (instead of creating it). */
  reconciled = false;

  constructor(
    /** The lab as it runs: an instance's addresses are the moved ones. */
    readonly lab: Lab,
    readonly plan: LabPlan,
    readonly runtime: Runtime,
    /** Milliseconds spent per phase of `up`, for benchmarks and progress. */
    readonly timings: Record<string, number> = {},
    placement?: Placement,
    private lock?: LockShare,
  ) {
    this.fileLab = placement?.fileLab ?? lab;
    this.instance = placement?.instance;
    this.relocations = placement?.relocations ?? [];
  }

  /** Let other zmqlab processes use the lab (it stays up). Idempotent. */
  async release(): Promise<void> {
    await this.lock?.release();
    this.lock = undefined;
  }

  get name(): string {
    return this.lab.name;
  }

  node(name: string): NodePlan {
    const node = this.plan.nodes.find((n) => n.name === name);
    if (!node) throw new LabError([{ path: "nodes", message: `no node "${name}" in lab ${this.name}`, hint: `nodes: ${this.plan.nodes.map((n) => n.name).join(", ")}` }]);
    return node;
  }

  /** The node on its engine: commands, programs, its state. */
  handle(node: string): NodeHandle {
    return this.runtime.node(this.plan.lab, this.node(node).name);
  }

  /** Run a command (an argument list) in a node. */
  exec(node: string, argv: string[]): Promise<ExecResult> {
    return this.handle(node).exec(argv);
  }

  /**
   * Start a program (an argument list) in a node in the background: its output as it comes,
   * `wait()` for its exit, `stop()` to end it (SIGTERM, then SIGKILL).
   */
  spawn(node: string, argv: string[], options: { env?: Record<string, string>; keepLines?: number } = {}): Promise<Program> {
    return Program.start(this.handle(node), argv, options.env, options.keepLines);
  }

  /** The node's TCP sockets as its kernel shows them (/proc/net/tcp and tcp6). */
  async sockets(node: string): Promise<TcpEntry[]> {
    const result = await this.exec(node, ["cat", "/proc/net/tcp", "/proc/net/tcp6"]);
    // tcp6 is missing where the node has no IPv6: cat then fails after printing tcp.
    return parseProcNetTcp(result.stdout);
  }

  /** Connected peers on a local port of the node (any local address), as its kernel shows them. */
  async peers(node: string, port: number): Promise<Peer[]> {
    return peersFor(await this.sockets(node), [{ address: null, port }]);
  }

  /** The node's interfaces and addresses as its kernel shows them (one exec). */
  async interfaces(node: string): Promise<InterfaceState[]> {
    return parseAddr(await run(this.handle(node), ["ip", "-j", "addr", "show"]));
  }

  /** The node's addresses, routes and rules as its kernel shows them. */
  kernel(node: string): Promise<KernelState> {
    return readKernel(this.handle(node), nodeHasIpv6(this.plan, this.node(node)));
  }

  /** Packets each forwarding node forwarded, per (source, destination) address. */
  async flows(node: string): Promise<FlowCount[]> {
    const plan = this.node(node);
    if (!plan.forward) return [];
    // The table holds the flow sets alone (flows4, and flows6 on a node with IPv6): one exec reads both.
    return parseFlowSet(await run(this.handle(node), ["nft", "-j", "list", "table", "inet", FLOW_TABLE]));
  }

  /** Zero the flow counters of every forwarding node (before traffic whose path is judged): one exec per node. */
  async resetFlows(): Promise<void> {
    await Promise.all(
      this.plan.nodes.filter((n) => n.forward).map((n) => {
        const flushes = (nodeHasIpv6(this.plan, n) ? ["flows4", "flows6"] : ["flows4"]).map((set) => ["flush", "set", "inet", FLOW_TABLE, set]);
        // One nft call runs several commands separated by ";".
        return run(this.handle(n.name), ["nft", ...flushes.flatMap((c, i) => (i === 0 ? c : [";", ...c]))]);
      }),
    );
  }

  /** Stop, start, restart, pause or unpause a node's container (a start or restart is not reconfigured here: see reconfigure). */
  nodeAction(node: string, action: NodeAction): Promise<ActionEffect> {
    return this.handle(node).act(action);
  }

  /**
   * Run commands (argument lists) in a node in order, stopping at the first that fails: in
   * zmqlab's image in one exec, else one exec each. Returns the failure, if any.
   */
  async apply(node: string, commands: Command[]): Promise<CommandFailure | undefined> {
    const plan = this.node(node);
    if (plan.defaultImage) {
      const result = scriptResult(node, await run(this.handle(node), configureShellArgv({ interfaces: [], commands, ipv6: false })), commands);
      if (!result.failed) return undefined;
      return { ...result.failed, why: commands[result.failed.index]?.why ?? "" };
    }
    for (const command of commands) {
      const result = await this.handle(node).exec(command.argv);
      if (result.exitCode !== 0) return { argv: command.argv, why: command.why, exitCode: result.exitCode, output: result.stderr.trim() || result.stdout.trim() };
    }
    return undefined;
  }

  /**
   * Bring a running node back to its plan: a node Docker started or restarted (a fresh network
   * namespace: no network names, Docker's default route back, no counters) gets its whole plan
   * again; a node that kept its namespace gets what it lacks (unless `onlyRestarted`). Idempotent. Returns what differed
   * (empty when nothing did); throws an EnvironmentError when the kernel still differs after.
   */
  async reconfigure(node: string, options: { onlyRestarted?: boolean } = {}): Promise<string[]> {
    const plan = this.node(node);
    const ipv6 = nodeHasIpv6(this.plan, plan);
    const before = await this.kernel(node);
    // `onlyRestarted`: a node that kept its namespace but differs was changed on purpose (a route
    // deleted by hand to see an expectation fail): leave it as it is, without asking for its counters.
    if (options.onlyRestarted && !freshNamespace(plan, before)) return [];
    const hasCounters = plan.forward ? (await this.handle(node).exec(["nft", "list", "table", "inet", FLOW_TABLE])).exitCode === 0 : true;
    const repair = planRepair(plan, before, hasCounters);
    if (repair.kind === "none") return [];
    let state: KernelState;
    if (repair.kind === "fresh") state = await configureNode(this.handle(node), plan, ipv6);
    else {
      const failed = await this.apply(node, repair.commands);
      if (failed) throw commandFailed(plan, failed.argv, failed.why, failed.exitCode, failed.output);
      state = await this.kernel(node);
    }
    const left = compareWithPlan(plan, state);
    if (left.length > 0) throw new EnvironmentError(`Node ${node} of lab ${this.name} could not be configured as declared:\n  ${left.join("\n  ")}`, "zmqlab up --dry-run shows every planned command; zmqlab down, then zmqlab up, starts it fresh");
    return repair.differences.length > 0 ? repair.differences : ["a fresh network namespace"];
  }

  /** Remove every container and network of this lab, then release it. Idempotent. */
  async down(): Promise<void> {
    try {
      await this.runtime.removeLab(this.name);
    } finally {
      await this.release();
      // Other RunningLabs of this process for the same lab (an attach) have nothing left to guard.
      await this.runtime.dropLock(this.name);
    }
  }
}

/** A command that failed in a node: what it was, why it was planned, and what it said. */
export interface CommandFailure {
  argv: string[];
  why: string;
  exitCode: number;
  output: string;
}

const nodeHasIpv6 = (plan: LabPlan, node: NodePlan) => node.interfaces.some((i) => plan.networks.find((n) => n.name === i.network)?.ipv6);

function load(target: string | LoadedLab): LoadedLab {
  return typeof target === "string" ? loadLab(target) : target;
}

/** Take the lab's lock (waiting for another process that uses it), for the given command. */
export async function lockFor(runtime: Runtime, key: string, options: LabOptions): Promise<LockShare> {
  return runtime.lock(key, {
    waitMs: options.wait ?? DEFAULT_WAIT_MS,
    command: options.command ?? "api",
    ...(options.log ? { log: options.log } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** No lock at all: for an instance whose name was just made up, which nobody else can use yet. */
export const unshared = (key: string): LockShare => ({ key, release: async () => {}, live: async () => {} });

/** The instance's name: `auto` becomes a name no lab on the engine has. */
export async function resolveInstance(runtime: Runtime, lab: Lab, instance: string | undefined): Promise<string | undefined> {
  if (instance === undefined) return undefined;
  if (instance !== "auto") return checkInstanceName(instance);
  const taken = new Set((await runtime.listLabs()).map((l) => l.lab));
  for (;;) {
    const name = autoInstanceName();
    if (!taken.has(instanceKey(lab.name, name))) return name;
  }
}

/**
 * Bring a lab up exactly as declared, check the kernel agrees, and return it. The returned lab
 * holds the lab's lock until `down()` or `release()`.
 */
export async function up(target: string | LoadedLab, options: UpOptions = {}): Promise<RunningLab> {
  const loaded = load(target);
  const fileLab = loaded.lab;
  const runtime = options.runtime ?? (await connectRuntime({ ...(options.cluster !== undefined ? { cluster: options.cluster } : {}), nodes: Object.keys(fileLab.nodes) }));
  const instance = await resolveInstance(runtime, fileLab, options.instance);
  const key = instanceKey(fileLab.name, instance);
  // The host's routes may take a short-lived container (unless this process shares dockerd's
  // network namespace): read them while the lock is taken (the runtime keeps them for the
  // collision check; a failure here is met again there).
  if (instance === undefined) runtime.hostRoutes(key).catch(() => {});
  // A name just made up (--instance auto) is no one else's yet: nothing to wait for, no lock to take.
  const lock = options.instance === "auto" ? unshared(key) : await lockFor(runtime, key, { ...options, command: options.command ?? "up" });
  try {
    if (options.reconcile !== false && options.instance !== "auto" && (await isUp(runtime, key))) return await reconcileLocked(runtime, loaded, instance, lock, options);
    return await upLocked(runtime, fileLab, instance, lock, options);
  } catch (err) {
    // The engine may refuse this too: the error that ended up is the one to report.
    await lock.release().catch((release: unknown) => options.log?.(`could not release the lab's lock (${firstLine(release)}): it goes when this process ends`));
    throw err;
  }
}

/**
 * `up` with the lab's lock held. An instance chooses free blocks at random among those the
 * engine's networks and the host's routes leave, so zmqlab processes choosing at the same moment
 * rarely meet; Docker's pool check is the arbiter when they do (or when any other network takes
 * the block first), and the instance then chooses again.
 */
export async function upLocked(runtime: Runtime, fileLab: Lab, instance: string | undefined, lock: LockShare, options: UpOptions): Promise<RunningLab> {
  if (instance === undefined) return create(runtime, fileLab, { fileLab, relocations: [] }, lock, options);
  const log = options.log ?? (() => {});
  const avoid: Subnet[] = [];
  for (let attempt = 1; ; attempt++) {
    const placement = await placeInstance(runtime, fileLab, instance, avoid);
    log(`instance ${instance}: ${placement.relocations.map((r) => `${r.from} runs at ${r.to}`).join(", ")}`);
    avoid.push(...placement.relocations.map((r) => parseSubnet(r.to) as Subnet));
    try {
      return await create(runtime, instanceLab(fileLab, instance, placement.relocations), placement, lock, options);
    } catch (err) {
      if (attempt < 8 && /pool overlaps|overlaps with other/i.test(describe(err))) {
        log("another network took those subnets at the same moment: choosing again");
        continue;
      }
      throw err;
    }
  }
}

/** Subnets in use on the engine and on the host: an instance's blocks must avoid them. */
async function takenSubnets(runtime: Runtime, key: string): Promise<Subnet[]> {
  // Both at once: the host's routes take a short-lived container.
  const [subnets, routes] = await Promise.all([runtime.subnets(), runtime.hostRoutes(key)]);
  const texts = [...subnets.map((s) => s.subnet), ...routes.map((r) => r.to)];
  return texts.map((t) => parseSubnet(t)).filter((s): s is Subnet => typeof s !== "string" && s.prefix > 0);
}

async function placeInstance(runtime: Runtime, fileLab: Lab, instance: string, avoid: Subnet[]): Promise<Placement> {
  try {
    return { fileLab, instance, relocations: chooseRelocations(fileLab, [...(await takenSubnets(runtime, instanceKey(fileLab.name, instance))), ...avoid], Math.random) };
  } catch (err) {
    if (err instanceof RelocationError) throw new EnvironmentError(`Instance ${instance} of lab ${fileLab.name} cannot be placed: ${err.message}.`, err.hint);
    throw err;
  }
}

async function create(runtime: Runtime, lab: Lab, placement: Placement, lock: LockShare, options: UpOptions): Promise<RunningLab> {
  const log = options.log ?? (() => {});
  const timings: Record<string, number> = {};
  const phase = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    if (options.signal?.aborted) throw new Cancelled();
    const started = performance.now();
    const result = await work();
    timings[name] = performance.now() - started;
    return result;
  };

  const [existing] = await runtime.listLabs(lab.name);
  // Networks alone are what a crashed run leaves: clear them. Containers mean the lab is up.
  if (existing && existing.containers.length === 0) await runtime.removeLab(lab.name);
  else if (existing) {
    throw new EnvironmentError(`Lab ${lab.name} is already up on this engine.`, `use it as it is (zmqlab test, zmqlab run), or remove it first: zmqlab down ${downTarget(placement)}`);
  }
  if (placement.instance === undefined) await checkCollisions(runtime, lab);
  const hosts = runtime.place?.(Object.keys(lab.nodes));
  const planOptions = { ...(hosts ? { hosts } : {}), ...(placement.instance !== undefined ? { instance: { name: placement.instance, labName: placement.fileLab.name, relocation: formatRelocations(placement.relocations) } } : {}) };
  let plan = planLab(lab, planOptions);
  if (plan.nodes.some((n) => n.defaultImage || n.build !== undefined)) {
    const image = await phase("image", () => runtime.nodeImage(log));
    // Nodes' own images derive from the node image: built after it, once per folder.
    const folders = [...new Set(plan.nodes.flatMap((n) => (n.build !== undefined ? [n.build] : [])))];
    const tags = await phase("build", () => Promise.all(folders.map((dir) => runtime.builtImage(dir, image, log))));
    // Only labs with dynamic routing build (once) and run the node image's FRR flavour.
    const frrImage = plan.nodes.some((n) => n.routing) ? await phase("frr-image", () => runtime.frrImage(image, log)) : undefined;
    plan = planLab(lab, { ...planOptions, image, ...(frrImage ? { frrImage } : {}), builds: Object.fromEntries(folders.map((dir, i) => [dir, tags[i]!])) });
  }
  const running = new RunningLab(lab, plan, runtime, timings, placement, lock);
  try {
    log(`creating ${plan.networks.length} networks`);
    await phase("networks", () => settled(plan.networks.map((n) => runtime.createNetwork(plan, n))));
    options.onNetworks?.(plan);
    // Each node is configured as soon as it has started, not after the last one has.
    log(`creating ${plan.nodes.length} nodes, configuring each (addresses, routes) as soon as it runs`);
    const states = await phase("nodes", () => settled(plan.nodes.map((n) => createConfigured(runtime, plan, n))));
    log("checking the kernel state");
    await phase("verify", async () => verify(plan, states));
    await phase("adjacencies", () => waitForAdjacencies(runtime, plan, { log, ...(options.signal ? { signal: options.signal } : {}) }));
    await stillRunning(runtime, plan);
    // The lock's container started meanwhile: handed over, the lab is guarded even against a SIGKILL.
    await lock.live();
    if (options.signal?.aborted) throw new Cancelled();
    return running;
  } catch (err) {
    // The engine may refuse the removal too: the cause is what to report, what is left is said beside it.
    await runtime.removeLab(lab.name).catch((removal: unknown) => log(`could not remove what was created (${firstLine(removal)}): zmqlab down ${downTarget(placement)} removes what is left`));
    throw options.signal?.aborted ? new Cancelled() : err;
  }
}

const firstLine = (err: unknown): string => describe(err).split("\n")[0]!;

/** How a user names this lab (and instance) to `zmqlab down`. */
const downTarget = (p: Placement): string => `${p.fileLab.name}${p.instance !== undefined ? ` --instance ${p.instance}` : ""}${clusterFlag()}`;

/** Wait for every operation, so a failure never tears down under one still running. */
async function settled<T>(work: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(work);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failure) throw failure.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

const CONFIGURE_ARGV = ["node", "/opt/zmqlab/agent/configure.js"];
const DROP_WHY = "remove an interface that is not the lab's (the Swarm's gateway bridge, a way out of the lab)";

/**
 * Name each interface after its lab network (an altname), run the node's commands, and read
 * the kernel state back. zmqlab's image does it all in one exec (execs are what costs time; a new
 * node runs the same command as it starts, see createConfigured): the configure script (bash),
 * or the agent's configure.js (Node.js) for a node with files to write (FRR's configuration);
 * other images get one exec per command.
 */
async function configureNode(handle: NodeHandle, node: NodePlan, ipv6: boolean): Promise<KernelState> {
  if (!node.defaultImage) return configureCommandByCommand(handle, node, ipv6);
  const argv = configureArgv(node, ipv6);
  return configured(node, argv, await handle.exec(argv));
}

/** Create and start a node, configured as it starts (zmqlab's image) or right after (others). */
async function createConfigured(runtime: Runtime, plan: LabPlan, node: NodePlan): Promise<KernelState> {
  const ipv6 = nodeHasIpv6(plan, node);
  const argv = node.defaultImage ? configureArgv(node, ipv6) : undefined;
  const created = await runtime.createNode(plan, node, argv);
  return argv && created.boot ? configured(node, argv, created.boot) : configureNode(created.handle, node, ipv6);
}

/** The agent's command that configures a node of zmqlab's image. */
function configureArgv(node: NodePlan, ipv6: boolean): string[] {
  // A file the lab names (routing.frr) is read here, at the edge; planning only names it.
  const files = (node.files ?? []).map((f) => ({ path: f.path, content: f.content ?? readFileSync(f.source!, "utf8"), mode: f.mode, ...(f.kernelInterfaceNames ? { kernelInterfaceNames: true } : {}) }));
  const job: ConfigureJob = { interfaces: node.interfaces.map((i) => ({ network: i.network, ipv4: i.ipv4 })), commands: node.commands, ipv6, ...(files.length ? { files } : {}), ...(node.host !== undefined ? { onlyLabInterfaces: true } : {}) };
  // Without files to write, a fixed bash script does it: Node.js costs ~70 ms of CPU to start.
  return files.length ? [...CONFIGURE_ARGV, JSON.stringify(job)] : configureShellArgv(job);
}

/** The configure's result, from configure.js's JSON line or the bash script's sections. */
function configureResult(node: NodePlan, argv: string[], stdout: string): ConfigureResult {
  return argv[0] === "bash" ? scriptResult(node.name, stdout, node.commands) : (JSON.parse(stdout) as ConfigureResult);
}

/** The configure script's sections; one that stopped short (its node stopped under it) is the environment's. */
function scriptResult(node: string, stdout: string, commands: Command[]): ConfigureResult {
  try {
    return parseConfigureShell(stdout, commands);
  } catch (err) {
    throw new EnvironmentError(`In node ${node}, zmqlab's configure script did not finish: ${(err as Error).message}`);
  }
}

/** What the agent's configure printed: the kernel state, or the command that failed. */
function configured(node: NodePlan, argv: string[], output: ExecResult): KernelState {
  if (output.exitCode !== 0) {
    const what = argv[0] === "bash" ? "zmqlab's configure script (bash)" : `the agent's configure (\`${argv.slice(0, 2).join(" ")}\`)`;
    throw new EnvironmentError(`In node ${node.name}, ${what} failed (exit ${output.exitCode}): ${output.stderr.trim() || output.stdout.trim()}`);
  }
  const result = configureResult(node, argv, output.stdout);
  if (result.failed) {
    const file = result.failed.file !== undefined ? node.files?.find((f) => f.path === result.failed!.file) : undefined;
    const why = file?.why ?? node.commands[result.failed.index]?.why ?? (result.failed.argv[2] === "del" ? DROP_WHY : "name the interface after its network");
    throw commandFailed(node, result.failed.argv, why, result.failed.exitCode, result.failed.output);
  }
  return {
    interfaces: parseAddr(result.state.addr),
    routes: result.state.routes.flatMap((r) => parseRoutes(r)),
    rules: result.state.rules.flatMap((r) => parseRules(r)),
  };
}

async function configureCommandByCommand(handle: NodeHandle, node: NodePlan, ipv6: boolean): Promise<KernelState> {
  // As in zmqlab's image (agent/configure.ts): each interface is found by the IPv4 address
  // Docker assigned it; one that is not found shows up in the kernel check as a missing name.
  const links = parseAddr(await run(handle, ["ip", "-j", "addr", "show"]));
  if (node.host !== undefined) {
    const ipv4 = links.map((l) => ({ name: l.name, ipv4: l.addresses.map((a) => a.split("/")[0]!).filter((a) => !a.includes(":")) }));
    for (const name of strayInterfaces(ipv4, node.interfaces.map((i) => i.ipv4))) {
      const argv = ["ip", "link", "del", "dev", name];
      const result = await handle.exec(argv);
      if (result.exitCode !== 0) throw commandFailed(node, argv, DROP_WHY, result.exitCode, result.stderr.trim() || result.stdout.trim());
    }
  }
  for (const iface of node.interfaces) {
    const link = links.find((l) => l.addresses.some((a) => a.split("/")[0] === iface.ipv4));
    if (link) await run(handle, ["ip", "link", "property", "add", "dev", link.name, "altname", iface.network]);
  }
  for (const command of node.commands) {
    const result = await handle.exec(command.argv);
    if (result.exitCode !== 0) throw commandFailed(node, command.argv, command.why, result.exitCode, result.stderr.trim() || result.stdout.trim());
  }
  return readKernel(handle, ipv6);
}

export function commandFailed(node: NodePlan, argv: string[], why: string, exitCode: number, output: string): EnvironmentError {
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
async function checkCollisions(runtime: Runtime, lab: Lab): Promise<void> {
  const ours = Object.entries(lab.networks).flatMap(([name, n]) => list(n.subnet).map((s) => ({ name, subnet: parseSubnet(s) as Subnet })));
  const problems: string[] = [];
  // A Docker network's bridge is also a host route: name that overlap once, as the network.
  const dockerSubnets = new Set<string>();
  const labs = new Set<string>();
  // Both at once: the host's routes take a short-lived container.
  const [subnets, routes] = await Promise.all([runtime.subnets(), runtime.hostRoutes(lab.name)]);
  for (const existing of subnets) {
    const theirs = parseSubnet(existing.subnet);
    if (typeof theirs === "string") continue;
    dockerSubnets.add(theirs.cidr);
    for (const mine of ours) {
      if (!overlaps(mine.subnet, theirs)) continue;
      problems.push(`network ${mine.name} (${mine.subnet.cidr}) overlaps Docker network ${existing.network} (${existing.subnet}${existing.lab ? `, lab ${existing.lab}` : ""})`);
      if (existing.lab) labs.add(existing.lab);
    }
  }
  for (const route of routes) {
    const theirs = parseSubnet(route.to);
    if (typeof theirs === "string" || theirs.prefix === 0 || dockerSubnets.has(theirs.cidr)) continue;
    for (const mine of ours) {
      if (overlaps(mine.subnet, theirs)) problems.push(`network ${mine.name} (${mine.subnet.cidr}) overlaps the host route ${route.to} dev ${route.dev}`);
    }
  }
  if (problems.length > 0) {
    throw new EnvironmentError(`Lab ${lab.name} cannot come up: ${problems.join("; ")}.`, `run a copy at free subnets beside it (--instance auto), give the lab other subnets (198.18.0.0/15 is set aside for labs), or remove the other ${labs.size ? `lab if it is yours: ${[...labs].map((l) => `zmqlab down ${l}`).join("; ")}` : "network"}`);
  }
}

/**
 * A lab that is already up, found by its name (and instance), for tests and re-checks without
 * provisioning. It holds the lab's lock until `down()` or `release()`.
 */
export async function attach(target: string | LoadedLab, options: LabOptions = {}): Promise<RunningLab> {
  const loaded = load(target);
  const runtime = options.runtime ?? (await connectRuntime({ ...(options.cluster !== undefined ? { cluster: options.cluster } : {}), nodes: Object.keys(loaded.lab.nodes) }));
  const instance = options.instance === undefined ? undefined : checkInstanceName(options.instance);
  const lock = await lockFor(runtime, instanceKey(loaded.lab.name, instance), { ...options, command: options.command ?? "test" });
  try {
    return await attachLocked(runtime, loaded, instance, lock);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

export async function attachLocked(runtime: Runtime, loaded: LoadedLab, instance: string | undefined, lock: LockShare): Promise<RunningLab> {
  const { lab: fileLab, file } = loaded;
  const key = instanceKey(fileLab.name, instance);
  await lock.live();
  const [found] = await runtime.listLabs(key);
  const expected = Object.keys(fileLab.nodes);
  const missing = expected.filter((n) => !found?.containers.some((c) => c.node === n && c.state === "running"));
  if (!found || found.containers.length === 0 || missing.length > 0) {
    const up = `zmqlab up ${file.replace(/\/lab\.ya?ml$/, "")}${instance !== undefined ? ` --instance ${instance}` : ""}`;
    throw new EnvironmentError(`Lab ${key} is not up${found?.containers.length ? ` (nodes not running: ${missing.join(", ")})` : ""}.`, `bring it up first: ${up}`);
  }
  return foundLab(runtime, fileLab, instance, found, lock);
}

/** A lab found on the runtime, planned with the placement and images it came up with. */
function foundLab(runtime: Runtime, fileLab: Lab, instance: string | undefined, found: LabResources, lock: LockShare): RunningLab {
  const relocations = parseRelocations(found.relocation);
  const lab = instance === undefined ? fileLab : instanceLab(fileLab, instance, relocations);
  // Planned with the images the nodes came up with: zmqlab's node image and the built ones.
  const imageOf = (node: string) => found.containers.find((c) => c.node === node)?.image;
  const defaultNode = Object.entries(fileLab.nodes).find(([, n]) => n.image === undefined && n.build === undefined && n.routing === undefined)?.[0];
  const image = defaultNode !== undefined ? imageOf(defaultNode) : undefined;
  const routingNode = Object.entries(fileLab.nodes).find(([, n]) => n.routing !== undefined)?.[0];
  const frrImage = routingNode !== undefined ? imageOf(routingNode) : undefined;
  const builds = Object.fromEntries(Object.entries(fileLab.nodes).flatMap(([name, n]) => (n.build !== undefined && imageOf(name) ? [[n.build, imageOf(name)!]] : [])));
  const planOptions = instance !== undefined ? { instance: { name: instance, labName: fileLab.name, relocation: formatRelocations(relocations) } } : {};
  const hosts = Object.fromEntries(found.containers.flatMap((c) => (c.host !== undefined ? [[c.node, c.host]] : [])));
  const plan = planLab(lab, { ...planOptions, ...(Object.keys(hosts).length ? { hosts } : {}), builds, ...(image ? { image } : {}), ...(frrImage ? { frrImage } : {}) });
  return new RunningLab(lab, plan, runtime, {}, { fileLab, ...(instance !== undefined ? { instance } : {}), relocations }, lock);
}

/**
 * `up` on a lab that is already up: make it match its file again. Nodes Docker stopped are
 * started, paused ones unpaused, and every node whose kernel differs from its plan (a restarted
 * one: Docker's default route back, no counters) is configured again. A lab whose nodes or
 * networks differ from the file's is refused: repairing cannot add or remove them.
 */
export async function reconcileLocked(runtime: Runtime, loaded: LoadedLab, instance: string | undefined, lock: LockShare, options: UpOptions = {}): Promise<RunningLab> {
  const log = options.log ?? (() => {});
  const key = instanceKey(loaded.lab.name, instance);
  await lock.live();
  const [found] = await runtime.listLabs(key);
  if (!found || found.containers.length === 0) throw new EnvironmentError(`Lab ${key} is not up.`, `bring it up: zmqlab up ${loaded.file}`);
  const lab = foundLab(runtime, loaded.lab, instance, found, lock);
  const structural = structureDifferences(lab.plan, found);
  if (structural.length > 0) {
    throw new EnvironmentError(
      `Lab ${key} is up, but not as its file declares it: ${structural.join("; ")}.`,
      `repairing can start nodes and configure them again, not add or remove nodes and networks: take it down and bring it up again (zmqlab down ${loaded.file}${instance !== undefined ? ` --instance ${instance}` : ""}, then zmqlab up)`,
    );
  }
  log(`lab ${key} is up already: checking it against ${loaded.file}`);
  const repairs: string[] = [];
  await settled(lab.plan.nodes.map(async (node) => {
    const state = found.containers.find((c) => c.node === node.name)!.state;
    if (state === "paused") await lab.nodeAction(node.name, "unpause");
    else if (state !== "running") await lab.nodeAction(node.name, "start");
    if (state !== "running") repairs.push(`${node.name}: ${state === "paused" ? "unpaused" : "started"} (it was ${state})`);
    const differences = await lab.reconfigure(node.name);
    if (differences.length > 0) repairs.push(`${node.name}: configured again (${differences.join("; ")})`);
  }));
  await stillRunning(runtime, lab.plan);
  lab.repairs = repairs.sort();
  lab.reconciled = true;
  return lab;
}

/**
 * Every node still runs: one removed or stopped while the others were made or repaired (another
 * process's clean, an image that exits) was configured and checked, but the lab is not up.
 */
async function stillRunning(runtime: Runtime, plan: LabPlan): Promise<void> {
  const [found] = await runtime.listLabs(plan.lab);
  const lost = plan.nodes.flatMap((n) => {
    const state = found?.containers.find((c) => c.node === n.name)?.state ?? "gone";
    return state === "running" ? [] : [`${n.name} (${state})`];
  });
  if (lost.length === 0) return;
  throw new EnvironmentError(
    `Lab ${plan.lab} did not come up: ${lost.length > 1 ? "nodes" : "node"} ${lost.join(", ")} stopped or went away while zmqlab set it up.`,
    "something else removed or stopped it: another `zmqlab down`/`clean`, or an image of your own that does not keep running (its CMD, e.g. `sleep infinity`); `docker logs` on a stopped one says why. Run the lab again",
  );
}

/** Nodes and networks of the plan the engine lacks or has beyond it, and nodes on other networks. */
function structureDifferences(plan: LabPlan, found: LabResources): string[] {
  const result: string[] = [];
  const nodes = found.containers.map((c) => c.node);
  const planned = plan.nodes.map((n) => n.name);
  const missingNodes = planned.filter((n) => !nodes.includes(n));
  const extraNodes = nodes.filter((n) => !planned.includes(n));
  if (missingNodes.length) result.push(`the file declares nodes it lacks (${missingNodes.join(", ")})`);
  if (extraNodes.length) result.push(`it has nodes the file does not declare (${extraNodes.join(", ")})`);
  const networks = found.networks.map((n) => n.network);
  const missingNetworks = plan.networks.filter((n) => !networks.includes(n.name)).map((n) => n.name);
  const extraNetworks = networks.filter((n) => !plan.networks.some((p) => p.name === n));
  // The lab's names for the engine's networks a node is attached to (another network keeps the engine's name).
  const labNetwork = (attached: string) => found.networks.find((n) => n.name === attached)?.network ?? attached;
  if (missingNetworks.length) result.push(`the file declares networks it lacks (${missingNetworks.join(", ")})`);
  if (extraNetworks.length) result.push(`it has networks the file does not declare (${extraNetworks.join(", ")})`);
  for (const node of plan.nodes) {
    const container = found.containers.find((c) => c.node === node.name);
    if (!container) continue;
    const want = node.interfaces.map((i) => i.network).sort().join(", ");
    const have = container.networks.map(labNetwork).sort().join(", ");
    // A stopped container lists no networks: its attachments are checked once it runs.
    if (container.state === "running" && want !== have) result.push(`node ${node.name} is on ${have || "no network"}, the file says ${want}`);
  }
  return result;
}

/** Whether the lab (or instance) has nodes on the engine. */
export async function isUp(runtime: Runtime, key: string): Promise<boolean> {
  const [found] = await runtime.listLabs(key);
  return (found?.containers.length ?? 0) > 0;
}

/** Whether a command's LAB names a lab file or folder, rather than a lab on the engine by its name. */
export function namesLabFile(target: string): boolean {
  return existsSync(target) || target.includes("/") || /\.ya?ml$/.test(target);
}

/** What `down` removed; `found` is false when the engine had nothing of the lab (`lab`: its key). */
export interface Removed {
  lab: string;
  found: boolean;
  containers: number;
  networks: number;
}

/**
 * Remove a lab by its file or by its name (and instance); idempotent (a lab that is not up is
 * `found: false`). It waits while another zmqlab process uses the lab, and clears the lock a
 * killed one left.
 */
export async function down(target: string | LoadedLab, options: LabOptions = {}): Promise<Removed> {
  const name = typeof target !== "string" ? target.lab.name : namesLabFile(target) ? loadLab(target).lab.name : target;
  const runtime = options.runtime ?? (await connectRuntime(options.cluster !== undefined ? { cluster: options.cluster } : {}));
  const key = instanceKey(name, options.instance === undefined ? undefined : checkInstanceName(options.instance));
  const [found] = await runtime.listLabs(key);
  if (!found) return { lab: key, found: false, containers: 0, networks: 0 };
  const lock = await lockFor(runtime, key, { ...options, command: options.command ?? "down" });
  try {
    await lock.live();
    return { lab: key, found: true, ...(await runtime.removeLab(key)) };
  } finally {
    await lock.release();
    // The lab is gone: a RunningLab of this process that still holds its lock has nothing to guard.
    await runtime.dropLock(key);
    await runtime.removeStaleLocks(key);
  }
}

/** One node of a lab that is up, for commands typed by hand (zmqlab exec, zmqlab shell). */
export class RunningNode {
  constructor(
    readonly lab: string,
    readonly name: string,
    private readonly handle: NodeHandle,
  ) {}

  /** The engine's name for the node (a container name). */
  get containerName(): string {
    return this.handle.resource;
  }

  /** Run a command (an argument list) and collect its output. */
  exec(argv: string[]): Promise<ExecResult> {
    return this.handle.exec(argv);
  }

  /** Run a command with the caller's streams attached (a terminal if `stdio.tty`); resolves with its exit code. */
  attach(argv: string[], stdio: Stdio, env: string[] = []): Promise<number> {
    return this.handle.attach(argv, stdio, env);
  }
}

/**
 * A node of a lab that is up, by the lab's file, folder or name and the node's name. A node the
 * lab does not have is the user's mistake (exit 2, naming the nodes); a lab or node that is not
 * running is the environment's (exit 3).
 */
export async function findNode(target: string, node: string, options: { runtime?: Runtime; cluster?: string; instance?: string } = {}): Promise<RunningNode> {
  const declared = namesLabFile(target) ? loadLab(target) : undefined;
  const name = instanceKey(declared?.lab.name ?? target, options.instance === undefined ? undefined : checkInstanceName(options.instance));
  if (declared && !(node in declared.lab.nodes)) throw noSuchNode(name, node, Object.keys(declared.lab.nodes), declared.file);
  const runtime = options.runtime ?? (await connectRuntime(options.cluster !== undefined ? { cluster: options.cluster } : {}));
  const found = (await runtime.listLabs(name))[0];
  if (!found || found.containers.length === 0) {
    const others = (await runtime.listLabs()).filter((l) => l.containers.length > 0).map((l) => l.lab);
    const likely = declared ? undefined : closest(name, others);
    throw new EnvironmentError(
      `Lab ${name} is not up on this engine.`,
      likely ? `did you mean ${likely}?` : declared ? `bring it up first: zmqlab up ${target}` : `labs that are up: ${others.join(", ") || "none"} (zmqlab ls); to bring one up: zmqlab up LAB_FILE`,
    );
  }
  const container = found.containers.find((c) => c.node === node);
  if (!container) throw noSuchNode(name, node, found.containers.map((c) => c.node).sort());
  if (container.state !== "running") {
    throw new EnvironmentError(`Node ${node} of lab ${name} is not running (${container.state}).`, `recreate the lab: zmqlab down ${name}, then zmqlab up LAB_FILE`);
  }
  return new RunningNode(name, node, runtime.node(name, node));
}

function noSuchNode(lab: string, node: string, nodes: string[], file?: string): LabError {
  const likely = closest(node, nodes);
  return new LabError([{ ...(file ? { file } : {}), path: "nodes", message: `lab ${lab} has no node "${node}"`, hint: `${likely ? `did you mean ${likely}? ` : ""}nodes: ${nodes.join(", ")}` }]);
}
