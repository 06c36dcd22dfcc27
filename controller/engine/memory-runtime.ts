// An engine in memory behind the Runtime seam, for tests of everything above engine/ without
// Docker: networks (with Docker's atomic subnet check), containers with their labels and states
// and a kernel each (memory-kernel.ts), the labs' locks (one holder per key, shared inside a
// process, released when the holder dies), the host's routes and images. Commands in nodes answer
// as zmqlab's configure and the kernel would, or as a test scripts them. Any call can be made to
// fail as Docker fails, or a container to vanish at that moment: `at(operation, nth, mishap)`.
//
// Engine errors come out of every call as the Docker runtime's do, through failures.ts: an
// EnvironmentError that names the resource.
import { basename } from "node:path";
import type { Readable } from "node:stream";
import { Cancelled, EnvironmentError } from "../errors.js";
import { gatewayOf, overlaps, parseSubnet, type Subnet } from "../lab/ip.js";
import type { LabPlan, NetworkPlan, NodeAction, NodePlan } from "../plan/types.js";
import type { ExecResult, Process, Started, Stdio } from "./exec.js";
import { engineFailure, onEngine, type Resource } from "./failures.js";
import type { HostRoute } from "./host-routes.js";
import { LABEL_INSTANCE, LABEL_LAB, LABEL_NODE, LABEL_RELOCATION, LABEL_NETWORK } from "./labels.js";
import { describeOwner, formatWait, HeldLocks, lockName, type HeldLock, type LockOptions, type LockOwner, type LockShare } from "./lock.js";
import { MemoryKernel, type Attachment } from "./memory-kernel.js";
import { containerName, networkLabels, networkName, nodeLabels } from "./naming.js";
import type { ActionEffect, CreatedNode, EngineSubnet, LabResources, LiveCapture, NodeHandle, NodeStatus, Recording, Runtime } from "./runtime.js";

/** What a Runtime asks of its engine, one name per kind of call (createNode's boot and a lab's removal in their steps). */
export type Operation =
  | "createNetwork"
  | "createNode"
  /** A node of zmqlab's image running its configure as it starts (part of createNode). */
  | "boot"
  | "exec"
  | "spawn"
  | "start"
  | "attach"
  | "act"
  | "status"
  | "listLabs"
  | "removeLab"
  /** One container of a lab being removed (part of removeLab). */
  | "removeContainer"
  /** One network of a lab being removed (part of removeLab). */
  | "removeNetwork"
  | "removeStaleLocks"
  | "subnets"
  | "hostRoutes"
  | "nodeImage"
  | "frrImage"
  | "builtImage"
  /** Creating a lab's lock container: taking the lock, or finding its holder. */
  | "lock"
  /** Starting the lock's container once taken (what `live()` waits for). */
  | "lockStart"
  /** Removing the lock's container. */
  | "release";

/** One call made to the engine: the nth of its operation, and what it was about. */
export interface Call {
  op: Operation;
  nth: number;
  /** e.g. `network clients`, `node r1`, `node r1: ip -j addr show`, `lab source-ip`. */
  subject: string;
  /** The container it concerns, when one. */
  container?: string;
}

/** An error as dockerode gives it: the engine's HTTP status and its message. */
export interface DockerError extends Error {
  statusCode: number;
  json: { message: string };
}

/** The error dockerode throws when the engine answers `statusCode` with `message`. */
export function dockerError(statusCode: number, message: string): DockerError {
  return Object.assign(new Error(`(HTTP code ${statusCode}) ${message}`), { statusCode, json: { message } });
}

/** What goes wrong at a call. */
export type Mishap =
  /** The engine answers with this error, nothing of the call done: a `dockerError`, or a dropped connection (`code: "ECONNRESET"`). */
  | { error: Error }
  /**
   * A container is removed, as by someone's `docker rm -f`, then the call goes on: the call's own
   * container (a node's; createNode's right after its creation; the lock's), else the one named
   * (a container or a node name), else the newest container on the engine.
   */
  | { vanish: true | string }
  /** Something else happens first (another process takes a subnet, a node stops). */
  | { before: (call: Call) => void | Promise<void> };

/** A scripted answer to a command in a node: its result, or a function of the command and the node's kernel. */
export type Answer = ExecResult | ((argv: string[], kernel: MemoryKernel) => ExecResult);

interface Script {
  node: string;
  matches: (argv: string[]) => boolean;
  answer: Answer;
}

export interface MemoryNetwork {
  id: string;
  name: string;
  labels: Record<string, string>;
  subnets: { subnet: string; gateway: string }[];
}

export interface MemoryContainer {
  id: string;
  name: string;
  labels: Record<string, string>;
  image: string;
  state: "created" | "running" | "exited" | "paused";
  startedAt?: string;
  finishedAt?: string;
  /** The engine's names of the networks it is attached to, in attach order. */
  networks: string[];
  attachments: Attachment[];
  kernel: MemoryKernel;
  /** A lock's container: whose lock it is. */
  lock?: { key: string; owner: LockOwner; pid: number };
  /** A held start's moment (ms since the epoch): the node says it joined its networks then (hold.ts). */
  heldUntil?: number;
}

const HOST_ROUTES: HostRoute[] = [
  { to: "0.0.0.0/0", dev: "eth0" },
  { to: "10.0.2.0/24", dev: "eth0" },
];

let ids = 0;
const newId = () => (++ids).toString(16).padStart(12, "0") + "0".repeat(52);

/** The state of the engine that every MemoryRuntime (every zmqlab process) on it shares. */
export class MemoryEngine {
  readonly networks = new Map<string, MemoryNetwork>();
  readonly containers = new Map<string, MemoryContainer>();
  readonly images = new Set<string>();
  /** The engine host's own routes (besides one per network's bridge). */
  hostRoutes: HostRoute[] = [...HOST_ROUTES];
  /** Every call made, in order. */
  readonly calls: Call[] = [];
  /** The containers a mishap removed, in order. */
  readonly vanished: string[] = [];
  private readonly counts = new Map<Operation, number>();
  private readonly mishaps: { op: Operation; nth: number; mishap: Mishap }[] = [];
  private readonly scripts: Script[] = [];
  private nextPid = 4000;

  constructor() {
    // Docker's default bridge is on every engine.
    this.addNetwork("bridge", "172.17.0.0/16");
  }

  /** A zmqlab process on this engine. */
  runtime(): MemoryRuntime {
    return new MemoryRuntime(this);
  }

  /** At the nth call (from 1) of `op`: `mishap`. */
  at(op: Operation, nth: number, mishap: Mishap): this {
    this.mishaps.push({ op, nth, mishap });
    return this;
  }

  /**
   * How `node` (a node's name in its lab, any lab) answers commands that `match` (an argv prefix,
   * or a predicate), wherever they run: an exec, or a command of its configure. Later scripts win.
   */
  script(node: string, match: string[] | ((argv: string[]) => boolean), answer: Answer): this {
    const matches = typeof match === "function" ? match : (argv: string[]) => match.every((word, i) => argv[i] === word);
    this.scripts.unshift({ node, matches, answer });
    return this;
  }

  /** A network of someone else's (`docker network create --subnet ...`): its subnets are taken. */
  addNetwork(name: string, ...subnets: string[]): this {
    this.networks.set(name, { id: newId(), name, labels: {}, subnets: subnets.map((s) => ({ subnet: s, gateway: gatewayOf(parseSubnet(s) as Subnet).text })) });
    return this;
  }

  /** A node's container (by its lab's key and its name), if the engine has it. */
  container(lab: string, node: string): MemoryContainer | undefined {
    return this.containers.get(containerName(lab, node));
  }

  /** Everything of a lab (or of every lab) on the engine, one line each: `network NAME`, `container NAME (STATE)`, `lock NAME (STATE)`. */
  left(lab?: string): string[] {
    const ours = (labels: Record<string, string>) => (lab === undefined ? labels[LABEL_LAB] !== undefined : labels[LABEL_LAB] === lab);
    return [
      ...[...this.networks.values()].filter((n) => ours(n.labels)).map((n) => `network ${n.name}`),
      ...[...this.containers.values()].filter((c) => ours(c.labels)).map((c) => `${c.lock ? "lock" : "container"} ${c.name} (${c.state})`),
    ].sort();
  }

  /** Count the call, let its mishaps happen, then do it. */
  async call<T>(op: Operation, subject: string, container: string | undefined, work: () => T | Promise<T>): Promise<T> {
    const nth = (this.counts.get(op) ?? 0) + 1;
    this.counts.set(op, nth);
    const call: Call = { op, nth, subject, ...(container !== undefined ? { container } : {}) };
    this.calls.push(call);
    // As an engine answers: later, and calls made at once interleave.
    await new Promise((resolve) => setImmediate(resolve));
    const mishaps = this.mishaps.filter((m) => m.op === op && m.nth === nth).map((m) => m.mishap);
    // A call that creates its container (a node's, the lock's) makes it vanish once created.
    const creates = op === "createNode" || op === "lock";
    const vanish = () => {
      for (const m of mishaps) if ("vanish" in m) this.vanish(m.vanish === true ? container : m.vanish);
    };
    for (const mishap of mishaps) {
      if ("before" in mishap) await mishap.before(call);
      else if ("error" in mishap) throw mishap.error;
    }
    if (!creates) vanish();
    const result = await work();
    if (creates) vanish();
    return result;
  }

  /** Remove a container (by its name, or a node's name), as `docker rm -f` does; the newest when none is named. */
  vanish(name?: string): void {
    const all = [...this.containers.values()];
    const found = name === undefined ? all[all.length - 1] : all.find((c) => c.name === name || c.labels[LABEL_NODE] === name);
    if (!found) return;
    this.containers.delete(found.name);
    this.vanished.push(found.name);
  }

  /** A process id no process on this engine had. */
  newPid(): number {
    return this.nextPid++;
  }

  /** How a node answers a command: a script, zmqlab's configure, its kernel, else success with no output. */
  answer(container: MemoryContainer, argv: string[]): ExecResult {
    const node = container.labels[LABEL_NODE] ?? "";
    const script = this.scripts.find((s) => s.node === node && s.matches(argv));
    if (script) return typeof script.answer === "function" ? script.answer(argv, container.kernel) : script.answer;
    if (argv[0] === "sh" && argv[3] === "zmqlab-configure") return this.configure(container, argv.slice(4));
    if (argv[0] === "sh" && argv[3] === "zmqlab-wait" && container.heldUntil !== undefined) return { exitCode: 0, stdout: `${container.heldUntil / 1000}\n`, stderr: "" };
    return container.kernel.run(argv) ?? { exitCode: 0, stdout: "", stderr: "" };
  }

  /**
   * What zmqlab's configure script does in a node (provision/configure/script.ts), from its
   * arguments: drop, name, write, run in order until one fails, read the state back; its output
   * in the script's sections.
   */
  private configure(container: MemoryContainer, a: string[]): ExecResult {
    const kernel = container.kernel;
    const mark = (head: string, body = "") => `\n--zmqlab-- ${head}\n${body}`;
    let out = "";
    let failed = false;
    const run = (step: number, argv: string[], shown = argv) => {
      const result = this.answer(container, argv);
      if (result.exitCode === 0) return true;
      out += mark(`failed ${step} ${result.exitCode} ${shown.join(" ")}`, `${result.stderr.trim() || result.stdout.trim()}\n`);
      failed = true;
      return false;
    };
    for (let i = 0, step = 0; i < a.length; step++) {
      const kind = a[i++];
      if (kind === "drop") {
        const keep = a.slice(i + 1, i + 1 + Number(a[i]));
        i += 1 + keep.length;
        if (failed) continue;
        for (const iface of [...kernel.interfaces]) {
          if (!iface.addresses.some((x) => keep.includes(x.split("/")[0]!)) && !run(step, ["ip", "link", "del", "dev", iface.name])) break;
        }
      } else if (kind === "name") {
        const [network, ipv4] = [a[i]!, a[i + 1]!];
        i += 2;
        if (failed) continue;
        const iface = kernel.interfaces.find((k) => k.addresses.some((x) => x.split("/")[0] === ipv4));
        if (iface) run(step, ["ip", "link", "property", "add", "dev", iface.name, "altname", network]);
      } else if (kind === "write") {
        i += 4; // a file: nothing in this kernel reads it
      } else if (kind === "run") {
        const argv = a.slice(i + 1, i + 1 + Number(a[i]));
        i += 1 + argv.length;
        if (!failed) run(step, argv);
      } else if (kind === "state") {
        const families = a[i++] === "1" ? ([4, 6] as const) : ([4] as const);
        out += mark("addr", `${kernel.showAddr()}\n`);
        for (const f of families) out += mark(`route -${f}`, `${kernel.showRoutes(f, true)}\n`);
        for (const f of families) out += mark(`rule -${f}`, `${kernel.showRules(f)}\n`);
      } else return { exitCode: 2, stdout: out, stderr: `zmqlab-configure: no step ${kind}\n` };
    }
    return { exitCode: 0, stdout: out + mark("end"), stderr: "" };
  }
}

/** The resource an engine error names, as the Docker runtime names it. */
const networkResource = (name: string, network: string): Resource => ({ kind: "network", name, role: `network ${network}` });
const containerResource = (name: string, node?: string): Resource => ({ kind: "container", name, ...(node ? { role: `node ${node}` } : {}) });

const notFound = (name: string) => dockerError(404, `No such container: ${name}`);

/** One zmqlab process on a MemoryEngine. */
export class MemoryRuntime implements Runtime {
  private readonly held = new HeldLocks<MemoryLock>();

  constructor(
    readonly engine: MemoryEngine = new MemoryEngine(),
    readonly pid: number = engine.newPid(),
  ) {}

  /** This process is killed: the engine ends its locks' containers (stale: the next process takes them over). */
  die(): void {
    for (const c of this.engine.containers.values()) {
      if (c.lock?.pid === this.pid) c.state = "exited";
    }
  }

  createNetwork(lab: LabPlan, network: NetworkPlan): Promise<void> {
    const name = networkName(lab.lab, network.name);
    return onEngine("create", networkResource(name, network.name), () =>
      this.engine.call("createNetwork", `network ${network.name}`, undefined, () => {
        if (this.engine.networks.has(name)) throw dockerError(409, `network with name ${name} already exists`);
        const subnets = [network.ipv4, ...(network.ipv6 ? [network.ipv6] : [])];
        // Docker's pool check: atomic, as here (nothing else runs between the check and the creation).
        const taken = [...this.engine.networks.values()].flatMap((n) => n.subnets.map((s) => parseSubnet(s.subnet) as Subnet));
        if (subnets.some((s) => taken.some((t) => overlaps(parseSubnet(s.subnet) as Subnet, t)))) throw dockerError(403, "Pool overlaps with other one on this address space");
        this.engine.networks.set(name, { id: newId(), name, labels: networkLabels(lab, network), subnets: subnets.map((s) => ({ subnet: s.subnet, gateway: s.gateway })) });
      }),
    );
  }

  async createNode(lab: LabPlan, node: NodePlan, boot?: string[]): Promise<CreatedNode> {
    const name = containerName(lab.lab, node.name);
    const resource = containerResource(name, node.name);
    await onEngine("create", resource, () =>
      this.engine.call("createNode", `node ${node.name}`, name, () => {
        const same = this.engine.containers.get(name);
        if (same)
          throw dockerError(409, `Conflict. The container name "/${name}" is already in use by container "${same.id}". You have to remove (or rename) that container to be able to reuse that name.`);
        const attachments = node.interfaces.map((iface): Attachment => {
          const network = this.engine.networks.get(networkName(lab.lab, iface.network));
          if (!network) throw dockerError(404, `network ${networkName(lab.lab, iface.network)} not found`);
          const [v4, v6] = [network.subnets.find((s) => !s.subnet.includes(":")), network.subnets.find((s) => s.subnet.includes(":"))];
          return {
            ipv4: `${iface.ipv4}/${v4!.subnet.split("/")[1]}`,
            gateway4: v4!.gateway,
            ...(iface.ipv6 && v6 ? { ipv6: `${iface.ipv6}/${v6.subnet.split("/")[1]}`, gateway6: v6.gateway } : {}),
          };
        });
        this.engine.containers.set(name, {
          id: newId(),
          name,
          labels: nodeLabels(lab, node),
          image: node.image,
          state: "created",
          networks: node.interfaces.map((i) => networkName(lab.lab, i.network)),
          attachments,
          kernel: new MemoryKernel(),
        });
      }),
    );
    await onEngine("start", resource, async () => {
      const container = this.engine.containers.get(name);
      if (!container) throw notFound(name);
      startContainer(container);
    });
    const handle = this.node(lab.lab, node.name);
    if (!boot) return { handle };
    const output = await onEngine(`run \`${boot.slice(0, 2).join(" ")}\` as it starts in`, resource, () =>
      this.engine.call("boot", `node ${node.name}: ${commandName(boot)}`, name, (): ExecResult => {
        const container = this.engine.containers.get(name);
        // Removed while its first command ran: the output ends there.
        if (!container || container.state !== "running") return { exitCode: -1, stdout: "", stderr: "(the node stopped before its first command ended)" };
        return this.engine.answer(container, boot);
      }),
    );
    return { handle, boot: output };
  }

  node(lab: string, node: string): NodeHandle {
    return new MemoryNode(this.engine, node, containerName(lab, node));
  }

  listLabs(lab?: string): Promise<LabResources[]> {
    return onEngine("list labs on", { kind: "engine" }, () => this.engine.call("listLabs", `lab ${lab ?? "(all)"}`, undefined, () => this.labs(lab)));
  }

  private labs(lab?: string): LabResources[] {
    const labs = new Map<string, LabResources>();
    const entry = (name: string) => {
      if (!labs.has(name)) labs.set(name, { lab: name, containers: [], networks: [], locks: [], helpers: [] });
      return labs.get(name)!;
    };
    const wanted = (labels: Record<string, string>) => labels[LABEL_LAB] !== undefined && (lab === undefined || labels[LABEL_LAB] === lab);
    for (const c of this.engine.containers.values()) {
      if (!wanted(c.labels)) continue;
      const found = entry(c.labels[LABEL_LAB]!);
      if (c.lock) found.locks.push({ id: c.id, state: c.state, owner: c.lock.owner });
      // A stopped container lists no networks.
      else
        found.containers.push({
          id: c.id,
          name: c.name,
          node: c.labels[LABEL_NODE] ?? "",
          state: c.state,
          image: c.image,
          networks: c.state === "exited" || c.state === "created" ? [] : [...c.networks],
        });
      if (c.labels[LABEL_INSTANCE]) found.instance = c.labels[LABEL_INSTANCE];
    }
    for (const n of this.engine.networks.values()) {
      if (!wanted(n.labels)) continue;
      const found = entry(n.labels[LABEL_LAB]!);
      found.networks.push({ id: n.id, name: n.name, network: n.labels[LABEL_NETWORK] ?? n.name });
      if (n.labels[LABEL_INSTANCE]) found.instance = n.labels[LABEL_INSTANCE];
      if (n.labels[LABEL_RELOCATION]) found.relocation = n.labels[LABEL_RELOCATION];
    }
    return [...labs.values()].sort((a, b) => a.lab.localeCompare(b.lab));
  }

  /** Its containers (each its own step), then its networks (each its own step); what is gone stays gone. */
  async removeLab(lab: string): Promise<{ containers: number; networks: number }> {
    const [found] = await onEngine("list labs on", { kind: "engine" }, () => this.engine.call("removeLab", `lab ${lab}`, undefined, () => this.labs(lab)));
    if (!found) return { containers: 0, networks: 0 };
    const removals = await Promise.allSettled(
      found.containers.map((c) =>
        onEngine("remove", containerResource(c.name, c.node), () =>
          this.engine.call("removeContainer", `node ${c.node}`, c.name, () => {
            this.engine.containers.delete(c.name);
          }),
        ),
      ),
    );
    const failed = removals.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    const networks = await Promise.allSettled(
      found.networks.map((n) =>
        onEngine("remove", networkResource(n.name, n.network), () =>
          this.engine.call("removeNetwork", `network ${n.network}`, undefined, () => {
            const users = [...this.engine.containers.values()].filter((c) => c.networks.includes(n.name));
            if (users.length > 0) throw dockerError(403, `error while removing network: network ${n.name} id ${n.id} has active endpoints`);
            this.engine.networks.delete(n.name);
          }),
        ),
      ),
    );
    const refused = networks.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (refused) throw refused.reason;
    return { containers: found.containers.length, networks: found.networks.length };
  }

  removeStaleLocks(lab?: string): Promise<number> {
    return onEngine("remove the stale locks on", { kind: "engine" }, () =>
      this.engine.call("removeStaleLocks", `lab ${lab ?? "(all)"}`, undefined, () => {
        const stale = [...this.engine.containers.values()].filter((c) => c.lock && (lab === undefined || c.lock.key === lab) && c.state !== "running" && c.state !== "created");
        for (const c of stale) this.engine.containers.delete(c.name);
        return stale.length;
      }),
    );
  }

  subnets(): Promise<EngineSubnet[]> {
    return onEngine("list the networks of", { kind: "engine" }, () =>
      this.engine.call("subnets", "networks", undefined, () =>
        [...this.engine.networks.values()].flatMap((n) => n.subnets.map((s) => ({ network: n.name, subnet: s.subnet, ...(n.labels[LABEL_LAB] ? { lab: n.labels[LABEL_LAB] } : {}) }))),
      ),
    );
  }

  /** The host's own routes, and one per network's bridge. */
  hostRoutes(lab: string): Promise<HostRoute[]> {
    const resource = containerResource(`zmqlab-host-routes.${lab}`);
    return onEngine("create", { ...resource, role: "reading the engine host's routes" }, () =>
      this.engine.call("hostRoutes", `lab ${lab}`, undefined, () => [
        ...this.engine.hostRoutes,
        ...[...this.engine.networks.values()].flatMap((n) => n.subnets.map((s) => ({ to: s.subnet, dev: n.name === "bridge" ? "docker0" : `br-${n.id.slice(0, 12)}` }))),
      ]),
    );
  }

  nodeImage(): Promise<string> {
    return this.image("nodeImage", "zmqlab/node:memory");
  }

  frrImage(): Promise<string> {
    return this.image("frrImage", "zmqlab/node-frr:memory");
  }

  builtImage(dir: string): Promise<string> {
    return this.image("builtImage", `zmqlab/built-${basename(dir)}:memory`);
  }

  private image(op: Operation, tag: string): Promise<string> {
    return onEngine("build", { kind: "image", name: tag }, () =>
      this.engine.call(op, `image ${tag}`, undefined, () => {
        this.engine.images.add(tag);
        return tag;
      }),
    );
  }

  lock(key: string, options: Omit<LockOptions, "image">): Promise<LockShare> {
    return this.held.share(key, () => this.acquire(key, options));
  }

  dropLock(key: string): Promise<void> {
    return this.held.drop(key);
  }

  /** No packets flow in memory: nothing records (a run's report says its capture was unavailable). */
  async record(): Promise<Recording[]> {
    return [];
  }

  async stream(lab: string, network: string): Promise<LiveCapture> {
    throw new EnvironmentError(`Network ${network} of lab ${lab} cannot be captured: the in-memory engine carries no packets.`, "capture a lab on a Docker engine");
  }

  /** As lock.ts's: create the lock's container; a live holder's: wait; a dead holder's: take it over. */
  private async acquire(key: string, options: Omit<LockOptions, "image">): Promise<MemoryLock> {
    const name = lockName(key);
    const deadline = Date.now() + options.waitMs;
    let told = false;
    for (;;) {
      if (options.signal?.aborted) throw new Cancelled("interrupted while waiting for the lab's lock: nothing was created");
      // The lock taken, or its live holder (undefined when unknown), or "retry" after clearing a dead one's.
      let holder: LockOwner | undefined | "taken" | "retry";
      try {
        holder = await this.engine.call("lock", `lock ${key}`, name, () => {
          const there = this.engine.containers.get(name);
          if (!there) {
            const owner: LockOwner = { pid: this.pid, host: "memory", command: options.command, since: new Date().toISOString() };
            this.engine.containers.set(name, {
              id: newId(),
              name,
              labels: { [LABEL_LAB]: key },
              image: "memory",
              state: "created",
              networks: [],
              attachments: [],
              kernel: new MemoryKernel(),
              lock: { key, owner, pid: this.pid },
            });
            return "taken";
          }
          if (there.state === "running" || there.state === "created") return there.lock?.owner;
          this.engine.containers.delete(name);
          return "retry";
        });
      } catch (err) {
        // 409: another process created it at the same moment; it is looked at again.
        if ((err as { statusCode?: number }).statusCode === 409) continue;
        throw lockError(key, err);
      }
      if (holder === "taken") return this.started(key, name);
      if (holder === "retry") continue;
      if (Date.now() >= deadline) {
        throw new EnvironmentError(
          `Lab ${key} is in use by ${holder ? describeOwner(holder) : "another zmqlab process"}; waited ${formatWait(options.waitMs)}.`,
          `wait longer (--wait 30m), or run a separate copy beside it: --instance auto`,
        );
      }
      if (!told) options.log?.(`lab ${key} is in use by ${holder ? describeOwner(holder) : "another zmqlab process"}: waiting up to ${formatWait(deadline - Date.now())} (--wait)`);
      told = true;
      await sleep(10, options.signal);
    }
  }

  /** The lock taken: its container starts while the caller goes on. */
  private started(key: string, name: string): MemoryLock {
    const started = this.engine
      .call("lockStart", `lock ${key}`, name, () => {
        const container = this.engine.containers.get(name);
        if (!container) throw notFound(name);
        container.state = "running";
      })
      .catch((err: unknown) => {
        this.engine.containers.delete(name);
        throw lockError(key, err);
      });
    started.catch(() => {});
    return new MemoryLock(this.engine, key, name, this.pid, started);
  }
}

function lockError(key: string, err: unknown): unknown {
  const failure = engineFailure(err, "create", { kind: "container", name: lockName(key), role: `the lock of lab ${key}` });
  return failure instanceof EnvironmentError ? new EnvironmentError(`Could not take the lock of lab ${key} on the engine: ${failure.message}`) : failure;
}

class MemoryLock implements HeldLock {
  constructor(
    private readonly engine: MemoryEngine,
    readonly key: string,
    private readonly name: string,
    private readonly pid: number,
    readonly started: Promise<void>,
  ) {}

  async release(): Promise<void> {
    await this.started.catch(() => {});
    await onEngine("remove", { kind: "container", name: this.name, role: `the lock of lab ${this.key}` }, () =>
      this.engine.call("release", `lock ${this.key}`, this.name, () => {
        // Only its own: a lock taken over after this process was thought dead is the new holder's.
        if (this.engine.containers.get(this.name)?.lock?.pid === this.pid) this.engine.containers.delete(this.name);
      }),
    );
  }
}

function startContainer(container: MemoryContainer): void {
  container.state = "running";
  container.startedAt = new Date().toISOString();
  // A fresh network namespace: Docker's addresses and default route only.
  container.kernel = MemoryKernel.fresh(container.attachments);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** A node's container on a MemoryEngine. */
class MemoryNode implements NodeHandle {
  constructor(
    private readonly engine: MemoryEngine,
    readonly node: string,
    readonly resource: string,
  ) {}

  /** The container, ready for a command (running), or the engine's refusal. */
  private running(): MemoryContainer {
    const container = this.engine.containers.get(this.resource);
    if (!container) throw notFound(this.resource);
    if (container.state === "paused") throw dockerError(409, `Container ${container.id} is paused, unpause the container before exec`);
    if (container.state !== "running") throw dockerError(409, `Container ${container.id} is not running`);
    return container;
  }

  private command(op: Operation, argv: string[], action: string): Promise<ExecResult> {
    return onEngine(action, containerResource(this.resource), () => this.engine.call(op, `node ${this.node}: ${commandName(argv)}`, this.resource, () => this.engine.answer(this.running(), argv)));
  }

  exec(argv: string[]): Promise<ExecResult> {
    return this.command("exec", argv, `run \`${argv.join(" ")}\` in`);
  }

  async spawn(argv: string[]): Promise<Process> {
    const result = await this.command("spawn", argv, `run \`${argv[0]} ${argv[1] ?? ""}\` in`);
    return {
      lines: (async function* () {
        yield* lines(result.stdout);
      })(),
      stderr: () => result.stderr,
      write: () => {},
      closeInput: () => {},
      release: () => {},
      exited: Promise.resolve(result.exitCode),
    };
  }

  async start(argv: string[]): Promise<Started> {
    const result = await this.command("start", argv, `run \`${argv[0]} ${argv[1] ?? ""}\` in`);
    const listeners: ((line: string, stream: "stdout" | "stderr") => void)[] = [];
    // Lines come after the caller has had a moment to listen, as from an engine.
    const exited = new Promise<number>((resolve) =>
      setImmediate(() => {
        for (const line of lines(result.stdout)) listeners.forEach((l) => l(line, "stdout"));
        for (const line of lines(result.stderr)) listeners.forEach((l) => l(line, "stderr"));
        resolve(result.exitCode);
      }),
    );
    return { onLine: (listener) => void listeners.push(listener), exited };
  }

  async attach(argv: string[], stdio: Stdio): Promise<number> {
    const result = await this.command("attach", argv, `run \`${argv[0]} ${argv[1] ?? ""}\` in`);
    if (stdio.stdin) (stdio.stdin as Readable).resume?.();
    stdio.stdout.write(result.stdout);
    stdio.stderr.write(result.stderr);
    return result.exitCode;
  }

  async act(action: NodeAction, holdUntil?: number): Promise<ActionEffect> {
    await onEngine(action, containerResource(this.resource, this.node), () =>
      this.engine.call("act", `node ${this.node}: ${action}`, this.resource, () => {
        const c = this.engine.containers.get(this.resource);
        if (!c) throw notFound(this.resource);
        // What Docker answers 304 to (already stopped, already started) holds as asked: nothing to do.
        if (action === "stop") {
          if (c.state === "running" || c.state === "paused") [c.state, c.finishedAt] = ["exited", new Date().toISOString()];
        } else if (action === "start") {
          if (c.state === "paused") throw dockerError(409, "cannot start a paused container, try unpause instead");
          if (c.state !== "running") startContainer(c);
          c.heldUntil = holdUntil;
        } else if (action === "restart") startContainer(c);
        else if (action === "pause") {
          if (c.state !== "running") throw dockerError(409, `Container ${c.id} is not running`);
          c.state = "paused";
        } else {
          if (c.state !== "paused") throw dockerError(409, `Container ${c.id} is not paused`);
          c.state = "running";
        }
      }),
    );
    // The engine's record of when it took effect, as Docker's inspect gives it.
    const c = this.engine.containers.get(this.resource);
    const ms = (iso: string | undefined) => (iso ? Date.parse(iso) : undefined);
    const died = action === "stop" || action === "restart" ? ms(c?.finishedAt) : undefined;
    const started = action === "start" || action === "restart" ? ms(c?.startedAt) : undefined;
    return { ...(died !== undefined ? { died, offNetwork: died } : {}), ...(started !== undefined ? { started } : {}) };
  }

  async status(): Promise<NodeStatus> {
    try {
      return await this.engine.call("status", `node ${this.node}: status`, this.resource, () => {
        const c = this.engine.containers.get(this.resource);
        if (!c) return { state: "gone" };
        return { state: c.state, ...(c.startedAt ? { startedAt: c.startedAt } : {}), ...(c.finishedAt ? { finishedAt: c.finishedAt } : {}) };
      });
    } catch (err) {
      throw engineFailure(err, "inspect", containerResource(this.resource));
    }
  }
}

/** A command as a step names it: zmqlab's configure by that name, anything else by its words. */
function commandName(argv: string[]): string {
  if (argv[0] === "sh" && argv[3] === "zmqlab-configure") {
    // The commands it runs, in order: what a test checks a repair by.
    const a = argv.slice(4);
    const commands: string[] = [];
    for (let i = 0; i < a.length;) {
      const kind = a[i++];
      const n = kind === "drop" || kind === "run" ? Number(a[i]) + 1 : kind === "name" ? 2 : kind === "write" ? 4 : 1;
      if (kind === "run") commands.push(a.slice(i + 1, i + n).join(" "));
      i += n;
    }
    return `zmqlab's configure script${commands.length ? `: ${commands.join("; ")}` : ""}`;
  }
  return argv.join(" ");
}

function lines(text: string): string[] {
  return text.split("\n").filter((line, i, all) => line !== "" || i < all.length - 1);
}
