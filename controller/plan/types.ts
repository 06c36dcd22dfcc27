// What a lab becomes: plain data, shown by a dry run and applied through engine/ (which decides
// how its engine names and labels each network and node).

/** A command run inside a node, as an argument list (never a shell string). */
export interface Command {
  argv: string[];
  /** Why the command is there, for the dry run and for error messages. */
  why: string;
  /** The lab's own argv (an exec fault): always run as a process of its own, never through a tool zmqlab keeps running (traffic/armed.ts). */
  asWritten?: true;
  /** The fault took effect when this command ended: the ones after it in its node's list only tidy up. */
  effect?: true;
}

export interface NetworkPlan {
  /** The name in the lab file. */
  name: string;
  ipv4: SubnetPlan;
  ipv6?: SubnetPlan;
}

export interface SubnetPlan {
  subnet: string;
  /** Docker's bridge address (the host side): reserved, never a lab address. */
  gateway: string;
  /** Where Docker's own allocation may pick addresses: clear of every lab address. */
  ipRange?: string;
}

export interface InterfacePlan {
  /** Lab network name; inside the node it is also the interface's alternative name. */
  network: string;
  /** The addresses Docker assigns when it attaches the node (the first of each family). */
  ipv4: string;
  ipv6?: string;
  /** Every address the interface must carry, with prefix length, in lab order. */
  addresses: string[];
}

export interface RoutePlan {
  to: string;
  via: string[];
  /** Routing table: "main" or a number for policy routes. */
  table: string;
  family: 4 | 6;
}

export interface RulePlan {
  from: string;
  table: string;
  priority: number;
  family: 4 | 6;
}

export interface NodePlan {
  name: string;
  /**
   * On a cluster: the host (a cluster file's name) whose engine runs the node. Such a node also
   * loses every interface that is not the lab's (the Swarm's gateway bridge, a way out of the
   * lab) whenever it is configured.
   */
  host?: string;
  image: string;
  /** Whether the image is zmqlab's own (with the agent), built by the controller. */
  defaultImage: boolean;
  /** The folder of the node's own Dockerfile (absolute), built FROM zmqlab's node image. */
  build?: string;
  sysctls: Record<string, string>;
  capabilities: string[];
  interfaces: InterfacePlan[];
  /** Run in order after the node starts and its interfaces carry their network names. */
  commands: Command[];
  /** The kernel state the commands produce, checked after `up`. */
  routes: RoutePlan[];
  rules: RulePlan[];
  forward: boolean;
  /** Files written into the node before its commands run (their text passed as it is: no shell reads it). */
  files?: FilePlan[];
  /** FRR on the node: what `up` waits for before the lab counts as up. */
  routing?: RoutingPlan;
}

// --- dynamic routing (issue 9, point 4) ---

/** A file written into a node before its commands run. */
export interface FilePlan {
  path: string;
  /** The file's text; or `source`, a file on the controller's host that holds it. */
  content?: string;
  source?: string;
  /** Permission bits, e.g. 0o644. */
  mode: number;
  /**
   * FRR names interfaces by their kernel names, which Docker chooses (eth0, eth1, ...) in the
   * order it attaches networks: lines `interface NETWORK` that name a lab network are written
   * with the kernel's name of that network's interface instead.
   */
  kernelInterfaceNames?: boolean;
  why: string;
}

export interface RoutingPlan {
  /** FRR daemons enabled besides zebra and staticd. */
  daemons: string[];
  /** OSPF adjacencies `up` waits for: per network, the other nodes that run OSPF on it. */
  adjacencies: AdjacencyPlan[];
  /**
   * Networks OSPF must have brought into the node's kernel before the lab counts as up: those of
   * its OSPF domain it is not attached to (a Full adjacency comes before the routes do).
   */
  routes: { network: string; subnet: string }[];
}

export interface AdjacencyPlan {
  network: string;
  /** The network's IPv4 subnet: a neighbour is placed by its address. */
  subnet: string;
  neighbours: string[];
  /** The neighbours' first IPv4 address on the network (FRR's neighbour address), in the same order. */
  addresses: string[];
}

export interface LabPlan {
  /** The lab's key: its name, or `name.instance` for an instance. */
  lab: string;
  /** Set for an instance: what sets it apart from the lab file. */
  instance?: InstancePlan;
  networks: NetworkPlan[];
  nodes: NodePlan[];
  /** The lab's faults in time order (absent when it declares none). */
  faults?: FaultPlan[];
}

/** An instance of a lab: the lab file's name, the instance's, and where its addresses moved. */
export interface InstancePlan {
  name: string;
  labName: string;
  /** The relocations, as `formatRelocations` writes them (empty when nothing moved). */
  relocation: string;
}

// --- faults (issue 9) ---

export type NodeAction = "stop" | "start" | "restart" | "pause" | "unpause";

/** One fault, planned: an engine action on a node, and/or commands in nodes. */
export interface FaultPlan {
  name: string;
  /** When, in ms since time 0 (when the senders are released). */
  atMs: number;
  /** What it does, in words. */
  description: string;
  /**
   * A node stopped, started, restarted, paused or unpaused through the engine. `cut`: run in the
   * node at the fault's moment, just before a stop or restart, in order: what takes the node off
   * its networks (all but its connections' last FIN and RST), then what ends its processes as the
   * engine's stop would. So the stop happens at its moment, whenever the engine gets to it. Best
   * effort: where they cannot run, the engine's own effect counts.
   */
  engine?: { node: string; action: NodeAction; cut?: [off: Command, end: Command] };
  /** A node started or restarted: reconfigured from its plan before the fault counts as done. */
  reconfigure?: string;
  /** Commands per node; each node's run in order, nodes side by side. */
  steps: { node: string; commands: Command[] }[];
  /** The node whose kernel must have netem (a delay): checked before the traffic starts. */
  netem?: string;
}
