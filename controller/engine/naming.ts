// How Docker names and labels a lab's networks and nodes: derived from the plan, never stored in it.
import type { LabPlan, NetworkPlan, NodePlan } from "../plan/types.js";
import { LABEL_INSTANCE, LABEL_LAB, LABEL_LAB_NAME, LABEL_NETWORK, LABEL_NODE, LABEL_RELOCATION } from "./labels.js";

export const containerName = (lab: string, node: string): string => `zmqlab-${lab}-${node}`;
/**
 * An instance's key (`lab.instance`) written with `--` for its dot: a Swarm's overlay networks
 * must be named as DNS labels, and every lab network gets the same name on one engine or several.
 */
export const networkName = (lab: string, network: string): string => `zmqlab-${lab.replaceAll(".", "--")}-${network}`;

/** Lab traffic stays in the lab: Docker must not masquerade it out through the host. */
export const NETWORK_OPTIONS: Record<string, string> = { "com.docker.network.bridge.enable_ip_masquerade": "false" };

/** Labels of an instance's resources: the lab file's name, the instance, where it moved. */
function instanceLabels(plan: LabPlan, withRelocation: boolean): Record<string, string> {
  if (!plan.instance) return {};
  const { name, labName, relocation } = plan.instance;
  return { [LABEL_LAB_NAME]: labName, [LABEL_INSTANCE]: name, ...(withRelocation && relocation ? { [LABEL_RELOCATION]: relocation } : {}) };
}

export function networkLabels(plan: LabPlan, network: NetworkPlan): Record<string, string> {
  return { [LABEL_LAB]: plan.lab, [LABEL_NETWORK]: network.name, ...instanceLabels(plan, true) };
}

export function nodeLabels(plan: LabPlan, node: NodePlan): Record<string, string> {
  return { [LABEL_LAB]: plan.lab, [LABEL_NODE]: node.name, ...instanceLabels(plan, false) };
}

/** What the dry run shows of Docker's side: each network's and node's name, labels and options. */
export interface DockerNames {
  networks: Record<string, { name: string; labels: Record<string, string>; options: Record<string, string> }>;
  nodes: Record<string, { name: string }>;
}

export function dockerNames(plan: LabPlan): DockerNames {
  return {
    networks: Object.fromEntries(plan.networks.map((n) => [n.name, { name: networkName(plan.lab, n.name), labels: networkLabels(plan, n), options: NETWORK_OPTIONS }])),
    nodes: Object.fromEntries(plan.nodes.map((n) => [n.name, { name: containerName(plan.lab, n.name) }])),
  };
}
