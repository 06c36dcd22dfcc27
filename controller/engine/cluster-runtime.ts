// The Runtime over a Docker Swarm: a lab's networks are attachable overlays (created on a
// manager), each node is a standalone container on the engine its host names, with its static
// addresses; listings, removal and images span every engine. What the Swarm adds and a lab must
// not have (the gateway bridge, `docker_gwbridge`, with a default route out) is removed from
// every node whenever it is configured (provision/, with the plan's `host`).
import Docker from "dockerode";
import { EnvironmentError } from "../errors.js";
import { placeNodes, type Cluster, type ClusterHost } from "../lab/cluster.js";
import type { LabPlan, NetworkPlan, NodeAction, NodePlan } from "../plan/types.js";
import { describe, withTimeout, type Engine } from "./docker.js";
import { DockerNode, DockerRuntime } from "./docker-runtime.js";
import type { ExecResult, Stdio } from "./exec.js";
import type { HostRoute } from "./host-routes.js";
import { BASE_IMAGE, copyImage, imageExists } from "./images.js";
import type { LockOptions } from "./lock.js";
import { containerName } from "./naming.js";
import { containerStatus, createNetwork, createNode, createsWithAllNetworks, listLabs, removeLab, type LabResources } from "./resources.js";
import { onEngine } from "./failures.js";
import { recordNetworks, streamNetwork, type LiveCapture, type Recording, type Ring } from "./capture.js";
import type { ActionEffect, CreatedNode, EngineSubnet, NodeHandle, NodeStatus, Runtime } from "./runtime.js";

interface Member extends ClusterHost {
  docker: Engine;
  runtime: DockerRuntime;
}

/** A dockerode client for an engine address of a cluster file. */
export function engineAt(address: string): Engine {
  const url = new URL(address);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (url.protocol === "unix:") return new Docker({ socketPath: url.pathname });
  if (url.protocol === "ssh:") return new Docker({ protocol: "ssh", host, port: Number(url.port || 22), ...(url.username ? { username: url.username } : {}) });
  return new Docker({ protocol: "http", host, port: Number(url.port || 2375) });
}

/**
 * Connect to every engine of the cluster and check it is one Swarm: each engine answers, is an
 * active member, and the first manager among them (in file order) knows every other as a node.
 */
export async function connectCluster(cluster: Cluster, timeoutMs = 5000): Promise<ClusterRuntime> {
  const members = cluster.hosts.map((h) => ({ ...h, docker: engineAt(h.engine) }));
  const infos = await Promise.all(
    members.map(async (m) => {
      try {
        return (await withTimeout(m.docker.info(), timeoutMs, "no answer")) as { Swarm?: { LocalNodeState?: string; NodeID?: string; ControlAvailable?: boolean } };
      } catch (err) {
        throw new EnvironmentError(
          `Host ${m.name} of cluster ${cluster.file}: no Docker engine answers at ${m.engine} (${describe(err)}).`,
          "start its engine (scripts/cluster.sh up N starts a cluster of engines on this machine), or correct the address in the cluster file",
        );
      }
    }),
  );
  const outside = members.filter((_, i) => infos[i]!.Swarm?.LocalNodeState !== "active");
  if (outside.length === members.length && members.length > 1) {
    throw new EnvironmentError(
      `The engines of cluster ${cluster.file} form no Swarm.`,
      `on ${members[0]!.name}: docker -H ${members[0]!.engine} swarm init --advertise-addr <its address>; then on each other host the \`swarm join\` command it prints (scripts/cluster.sh up does both)`,
    );
  }
  if (outside.length > 0 && members.length > 1) {
    throw new EnvironmentError(
      `Host${outside.length > 1 ? "s" : ""} ${outside.map((m) => m.name).join(", ")} of cluster ${cluster.file} ${outside.length > 1 ? "are" : "is"} not in a Swarm.`,
      `join ${outside.length > 1 ? "them" : "it"} to the others' Swarm: docker -H ${members.find((_, i) => infos[i]!.Swarm?.ControlAvailable)?.engine ?? "<a manager>"} swarm join-token worker prints the command`,
    );
  }
  const managerIndex = infos.findIndex((i) => i.Swarm?.ControlAvailable);
  if (members.length > 1 && managerIndex < 0) {
    throw new EnvironmentError(
      `No host of cluster ${cluster.file} is a Swarm manager: the lab's overlay networks are created on one.`,
      "name a manager of the Swarm among the hosts (docker node ls on a manager shows which nodes are)",
    );
  }
  if (members.length > 1) {
    const manager = members[managerIndex]!;
    const nodes = (await onEngine("list the Swarm's nodes on", { kind: "engine" }, () => manager.docker.listNodes())) as { ID: string }[];
    const strangers = members.filter((_, i) => !nodes.some((n) => n.ID === infos[i]!.Swarm?.NodeID));
    if (strangers.length > 0) {
      throw new EnvironmentError(
        `Host${strangers.length > 1 ? "s" : ""} ${strangers.map((m) => m.name).join(", ")} of cluster ${cluster.file} ${strangers.length > 1 ? "are" : "is"} in another Swarm than ${manager.name}.`,
        `make them one Swarm: docker -H ${manager.engine} swarm join-token worker prints the join command`,
      );
    }
  }
  const withRuntimes = members.map((m) => ({ ...m, runtime: new DockerRuntime(m.docker) }));
  return new ClusterRuntime(cluster, withRuntimes, Math.max(managerIndex, 0));
}

/** A Swarm's momentary failure to give an engine an overlay (createNode). */
const SWARM_BLIP = /attaching to network failed|network \S+ not found/;
/** Tries of a node whose engine met SWARM_BLIP, in all. */
const SWARM_TRIES = 3;
/** How long an engine may go on listing an overlay the manager has removed (removeLab). */
const OVERLAY_GONE_MS = 30_000;

export class ClusterRuntime implements Runtime {
  private readonly allNetworksAtCreate = new Map<string, Promise<boolean>>();
  private readonly spread = new Map<string, Promise<void>>();
  /** Container name -> the engine it is on (each handle asks here: one lookup per node, not per call). */
  private readonly located = new Map<string, Promise<Member>>();

  constructor(
    readonly cluster: Cluster,
    private readonly members: Member[],
    private readonly managerIndex: number,
  ) {}

  private get manager(): Member {
    return this.members[this.managerIndex]!;
  }

  private member(host: string): Member {
    const found = this.members.find((m) => m.name === host);
    if (!found) throw new Error(`no host ${host} in the cluster`);
    return found;
  }

  /** Where each node runs (the cluster file's `place:`, the rest spread). */
  place(nodes: string[]): Record<string, string> {
    return placeNodes(this.cluster, nodes);
  }

  createNetwork(lab: LabPlan, network: NetworkPlan): Promise<void> {
    return createNetwork(this.manager.docker, lab, network, this.members.length > 1);
  }

  /**
   * A node on its host's engine. That engine asks the manager for the overlay and the container's
   * attachment to it, and a busy Swarm lets the ask fail for a moment ("network ... not found" for
   * an overlay the manager has, "attaching to network failed ... context deadline exceeded"; seen
   * in 2 of 7 cluster runs with two labs coming up at once on a loaded 2-core machine): the
   * container is removed and made again, at most SWARM_TRIES times in all.
   */
  async createNode(lab: LabPlan, node: NodePlan, boot?: string[]): Promise<CreatedNode> {
    const host = node.host ?? this.place(lab.nodes.map((n) => n.name))[node.name]!;
    const member = this.member(host);
    if (!this.allNetworksAtCreate.has(host)) this.allNetworksAtCreate.set(host, createsWithAllNetworks(member.docker));
    const name = containerName(lab.lab, node.name);
    let output: ExecResult | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        output = await createNode(member.docker, lab, node, await this.allNetworksAtCreate.get(host)!, boot);
        break;
      } catch (err) {
        if (attempt >= SWARM_TRIES || !SWARM_BLIP.test(describe(err))) throw err;
        await member.docker
          .getContainer(name)
          .remove({ force: true })
          .catch(() => undefined);
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
    }
    this.located.set(name, Promise.resolve(member));
    return { handle: this.node(lab.lab, node.name), ...(output ? { boot: output } : {}) };
  }

  node(lab: string, node: string): NodeHandle {
    const resource = containerName(lab, node);
    return new ClusterNode(node, resource, () => this.engineOf(resource));
  }

  /**
   * The engine a container is on: known for the nodes this runtime created, else asked of every
   * engine once (a node found nowhere is asked again next time; the first engine answers "gone").
   */
  private engineOf(resource: string): Promise<Member> {
    const known = this.located.get(resource);
    if (known) return known;
    const found = (async () => {
      const states = await Promise.all(this.members.map((m) => containerStatus(m.docker, resource)));
      const i = states.findIndex((s) => s.state !== "gone");
      if (i < 0) this.located.delete(resource);
      return this.members[Math.max(i, 0)]!;
    })();
    this.located.set(resource, found);
    return found;
  }

  /** Every engine's labs, merged by lab: each container says its host; an overlay seen from several engines counts once. */
  async listLabs(lab?: string): Promise<LabResources[]> {
    const perEngine = await Promise.all(this.members.map((m) => m.runtime.listLabs(lab)));
    const labs = new Map<string, LabResources>();
    perEngine.forEach((found, i) => {
      for (const l of found) {
        const entry = labs.get(l.lab) ?? { lab: l.lab, containers: [], networks: [], locks: [], helpers: [] };
        labs.set(l.lab, entry);
        entry.containers.push(...l.containers.map((c) => ({ ...c, host: this.members[i]!.name })));
        entry.networks.push(...l.networks.filter((n) => !entry.networks.some((e) => e.id === n.id)));
        entry.locks.push(...l.locks);
        entry.helpers.push(...l.helpers);
        if (l.instance !== undefined) entry.instance = l.instance;
        if (l.relocation !== undefined) entry.relocation = l.relocation;
      }
    });
    return [...labs.values()].sort((a, b) => a.lab.localeCompare(b.lab));
  }

  /** Every engine's containers first, then the overlays on the manager, until no engine lists them. */
  async removeLab(lab: string): Promise<{ containers: number; networks: number }> {
    const others = this.members.filter((m) => m !== this.manager);
    const removed = await Promise.all(others.map((m) => removeLab(m.docker, lab, false)));
    const last = await removeLab(this.manager.docker, lab);
    await this.overlaysGone(lab);
    return { containers: removed.reduce((n, r) => n + r.containers, last.containers), networks: last.networks };
  }

  /**
   * The manager's removal of an overlay returns before each engine has dropped its own copy (the
   * manager listed both of a lab's overlays for up to a second after `down` had said them
   * removed). Wait until no engine lists one, so that what down says is gone is gone.
   */
  private async overlaysGone(lab: string): Promise<void> {
    const started = Date.now();
    for (;;) {
      const listed = await Promise.all(this.members.map(async (m) => ((await listLabs(m.docker, lab))[0]?.networks ?? []).map((n) => `${n.name} on ${m.name}`)));
      const left = listed.flat();
      if (left.length === 0) return;
      if (Date.now() - started >= OVERLAY_GONE_MS) {
        throw new EnvironmentError(
          `The Swarm removed the overlay networks of lab ${lab}, but ${OVERLAY_GONE_MS / 1000} s later an engine still lists ${left.join(", ")}.`,
          `\`docker -H ENGINE network ls\` shows what is left; when \`docker node ls\` on the manager shows every engine Ready, \`zmqlab down ${lab} --cluster FILE\` removes it`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async removeStaleLocks(lab?: string): Promise<number> {
    return (await Promise.all(this.members.map((m) => m.runtime.removeStaleLocks(lab)))).reduce((a, b) => a + b, 0);
  }

  async subnets(): Promise<EngineSubnet[]> {
    const all = (await Promise.all(this.members.map((m) => m.runtime.subnets()))).flat();
    return all.filter((s, i) => all.findIndex((o) => o.network === s.network && o.subnet === s.subnet) === i);
  }

  /** Every host's routes: a lab's networks span them all. */
  async hostRoutes(lab: string): Promise<HostRoute[]> {
    await this.onEveryEngine(BASE_IMAGE);
    return (await Promise.all(this.members.map((m) => m.runtime.hostRoutes(lab)))).flat();
  }

  async nodeImage(log?: (line: string) => void): Promise<string> {
    await this.onEveryEngine(BASE_IMAGE, log);
    const tag = await this.manager.runtime.nodeImage(log);
    await this.onEveryEngine(tag, log);
    return tag;
  }

  async frrImage(nodeImage: string, log?: (line: string) => void): Promise<string> {
    const tag = await this.manager.runtime.frrImage(nodeImage, log);
    await this.onEveryEngine(tag, log);
    return tag;
  }

  async builtImage(dir: string, nodeImage: string, log?: (line: string) => void): Promise<string> {
    const tag = await this.manager.runtime.builtImage(dir, nodeImage, log);
    await this.onEveryEngine(tag, log);
    return tag;
  }

  /** The lab's lock lives on the manager: every zmqlab process using the cluster asks there. */
  lock(key: string, options: Omit<LockOptions, "image">) {
    return this.manager.runtime.lock(key, options);
  }

  dropLock(key: string) {
    return this.manager.runtime.dropLock(key);
  }

  /** Each engine records the networks it holds (an overlay lives on every engine with a node on it). */
  async record(lab: string, networks: { name: string; hosts?: string[] }[], ring: Ring, log?: (line: string) => void): Promise<Recording[]> {
    const image = await this.nodeImage(log);
    const recordings = await Promise.allSettled(
      this.members.map((m) => {
        const held = networks.filter((n) => n.hosts === undefined || n.hosts.includes(m.name)).map((n) => n.name);
        return held.length ? recordNetworks(m.docker, lab, held, ring, async () => image, m.name) : Promise.resolve(undefined);
      }),
    );
    const failed = recordings.find((r): r is PromiseRejectedResult => r.status === "rejected");
    const made = recordings.flatMap((r) => (r.status === "fulfilled" && r.value ? [r.value] : []));
    if (failed) {
      await Promise.all(made.map((r) => r.remove()));
      throw failed.reason;
    }
    return made;
  }

  /** A node's interface on its engine; a whole network on the manager's (name a node to see another engine's side). */
  async stream(lab: string, network: string, node?: string): Promise<LiveCapture> {
    const member = node !== undefined ? await this.engineOf(containerName(lab, node)) : this.manager;
    return streamNetwork(member.docker, lab, network, node, () => this.nodeImage());
  }

  /** Copy an image from an engine that has it to every engine that has not (once per runtime). */
  private onEveryEngine(tag: string, log: (line: string) => void = () => {}): Promise<void> {
    if (!this.spread.has(tag)) {
      this.spread.set(
        tag,
        (async () => {
          const has = await Promise.all(this.members.map((m) => imageExists(m.docker, tag)));
          const source = this.members.find((_, i) => has[i]);
          const missing = this.members.filter((_, i) => !has[i]);
          if (missing.length === 0 || !source) return;
          await Promise.all(missing.map((m) => copyImage(source.docker, m.docker, tag, log)));
        })().catch((err: unknown) => {
          this.spread.delete(tag);
          throw err;
        }),
      );
    }
    return this.spread.get(tag)!;
  }
}

/**
 * A node on its engine (which the runtime finds once). Docker attaches the gateway bridge anew
 * whenever a container on an overlay starts: configuring the node (again, after a start) removes it.
 */
class ClusterNode implements NodeHandle {
  constructor(
    readonly node: string,
    readonly resource: string,
    private readonly where: () => Promise<Member>,
  ) {}

  private async inner(): Promise<DockerNode> {
    return new DockerNode((await this.where()).docker, this.node, this.resource);
  }

  async exec(argv: string[]): Promise<ExecResult> {
    return (await this.inner()).exec(argv);
  }

  async spawn(argv: string[]) {
    return (await this.inner()).spawn(argv);
  }

  async spawnBeside(argv: string[]) {
    return (await this.inner()).spawnBeside(argv);
  }

  async start(argv: string[], env?: Record<string, string>) {
    return (await this.inner()).start(argv, env);
  }

  async attach(argv: string[], stdio: Stdio, env?: string[]): Promise<number> {
    return (await this.inner()).attach(argv, stdio, env);
  }

  async act(action: NodeAction, holdUntil?: number): Promise<ActionEffect> {
    return (await this.inner()).act(action, holdUntil);
  }

  async status(): Promise<NodeStatus> {
    return (await this.inner()).status();
  }
}
