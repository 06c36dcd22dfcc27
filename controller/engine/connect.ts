// Which runtime a command uses: a cluster of engines when a cluster file is given (option, or
// ZMQLAB_CLUSTER), else the one engine DOCKER_HOST names (or the default socket).
import { loadCluster, placeNodes } from "../lab/cluster.js";
import { connectCluster } from "./cluster-runtime.js";
import { connectEngine } from "./docker.js";
import { DockerRuntime } from "./docker-runtime.js";
import type { Runtime } from "./runtime.js";

export interface ConnectOptions {
  /** A cluster file (hosts: their engines; place: nodes on hosts); default $ZMQLAB_CLUSTER. */
  cluster?: string;
  /** How long an engine may take to answer. */
  timeoutMs?: number;
  /** The lab's nodes: a cluster file's placement of them is checked before any engine is asked. */
  nodes?: string[];
}

/** ` --cluster FILE` when the cluster comes from the environment (or --cluster): hints that name a command say it too. */
export function clusterFlag(): string {
  const cluster = process.env.ZMQLAB_CLUSTER;
  return cluster ? ` --cluster ${cluster}` : "";
}

/** The runtime to use, once its engines answer (and, for a cluster, form one Swarm). */
export async function connectRuntime(options: ConnectOptions = {}): Promise<Runtime> {
  const cluster = options.cluster ?? (process.env.ZMQLAB_CLUSTER || undefined);
  if (cluster !== undefined) {
    const loaded = loadCluster(cluster);
    if (options.nodes) placeNodes(loaded, options.nodes);
    return connectCluster(loaded, options.timeoutMs);
  }
  return new DockerRuntime(await connectEngine(options.timeoutMs));
}
