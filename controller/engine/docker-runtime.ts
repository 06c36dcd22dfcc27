// The Runtime over one Docker engine: each call is one of engine/'s Docker functions, with the
// Docker names derived from the plan (naming.ts).
import type { HostRoute } from "./host-routes.js";
import type { LabPlan, NetworkPlan, NodeAction, NodePlan } from "../plan/types.js";
import type { Engine } from "./docker.js";
import { ensureBeside } from "./beside.js";
import { execAttached, execIn, spawnIn, startIn, type Stdio } from "./exec.js";
import { ensureBuiltImage, ensureFrrImage, ensureNodeImage, lockImage } from "./images.js";
import { hostRoutes } from "./host-routes.js";
import { recordNetworks, removeHostCapture, streamNetwork, type Ring } from "./capture.js";
import { dropLock, lockLab, type LockOptions } from "./lock.js";
import { containerName } from "./naming.js";
import { nodeAction } from "./node-actions.js";
import { containerStatus, createNetwork, createNode, createsWithAllNetworks, existingSubnets, listLabs, removeLab, removeStaleLocks } from "./resources.js";
import type { CreatedNode, NodeHandle, Runtime } from "./runtime.js";

/** One Docker engine. */
export class DockerRuntime implements Runtime {
  private allNetworksAtCreate: Promise<boolean> | undefined;
  /** Read once per runtime (a container start, 0.2-0.3 s on a busy 2-core machine): a command asks at most once or twice. */
  private routes: Promise<HostRoute[]> | undefined;

  constructor(private readonly docker: Engine) {}

  createNetwork(lab: LabPlan, network: NetworkPlan): Promise<void> {
    return createNetwork(this.docker, lab, network);
  }

  async createNode(lab: LabPlan, node: NodePlan, boot?: string[]): Promise<CreatedNode> {
    this.allNetworksAtCreate ??= createsWithAllNetworks(this.docker);
    const output = await createNode(this.docker, lab, node, await this.allNetworksAtCreate, boot);
    return { handle: this.node(lab.lab, node.name), ...(output ? { boot: output } : {}) };
  }

  node(lab: string, node: string): NodeHandle {
    return new DockerNode(this.docker, node, containerName(lab, node));
  }

  listLabs(lab?: string) {
    return listLabs(this.docker, lab);
  }

  async removeLab(lab: string) {
    // A recorder a crashed run left on this host (its container goes with the lab's helpers).
    removeHostCapture(lab);
    return removeLab(this.docker, lab);
  }

  removeStaleLocks(lab?: string) {
    return removeStaleLocks(this.docker, lab);
  }

  subnets() {
    return existingSubnets(this.docker);
  }

  hostRoutes(lab: string): Promise<HostRoute[]> {
    this.routes ??= hostRoutes(this.docker, lab).catch((err: unknown) => {
      this.routes = undefined;
      throw err;
    });
    return this.routes;
  }

  nodeImage(log?: (line: string) => void) {
    return ensureNodeImage(this.docker, log);
  }

  frrImage(nodeImage: string, log?: (line: string) => void) {
    return ensureFrrImage(this.docker, nodeImage, log);
  }

  builtImage(dir: string, nodeImage: string, log?: (line: string) => void) {
    return ensureBuiltImage(this.docker, dir, nodeImage, log);
  }

  lock(key: string, options: Omit<LockOptions, "image">) {
    return lockLab(this.docker, key, { ...options, image: () => lockImage(this.docker, options.log) });
  }

  dropLock(key: string) {
    return dropLock(key);
  }

  async record(lab: string, networks: { name: string }[], ring: Ring, log?: (line: string) => void) {
    return [
      await recordNetworks(
        this.docker,
        lab,
        networks.map((n) => n.name),
        ring,
        () => this.nodeImage(log),
      ),
    ];
  }

  stream(lab: string, network: string, node?: string) {
    return streamNetwork(this.docker, lab, network, node, () => this.nodeImage());
  }
}

export class DockerNode implements NodeHandle {
  constructor(
    private readonly docker: Engine,
    readonly node: string,
    readonly resource: string,
  ) {}

  exec(argv: string[]) {
    return execIn(this.docker, this.resource, argv);
  }

  spawn(argv: string[]) {
    return spawnIn(this.docker, this.resource, argv);
  }

  async spawnBeside(argv: string[]) {
    return spawnIn(this.docker, await ensureBeside(this.docker, this.resource), argv);
  }

  start(argv: string[], env?: Record<string, string>) {
    return startIn(this.docker, this.resource, argv, env);
  }

  attach(argv: string[], stdio: Stdio, env?: string[]) {
    return execAttached(this.docker, this.resource, argv, stdio, env);
  }

  act(action: NodeAction, holdUntil?: number) {
    return nodeAction(this.docker, this.resource, this.node, action, holdUntil);
  }

  status() {
    return containerStatus(this.docker, this.resource);
  }
}
