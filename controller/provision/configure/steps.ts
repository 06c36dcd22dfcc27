// A node's configuration as one list of steps, in the order they run. Both ways of applying it
// are made from this list: a POSIX sh script that runs every step in one exec (or as the node's
// container starts), and, for an image without `sh`, one exec per command (script.ts,
// by-command.ts). The first step that fails skips the others, but for reading the state back.
//
//   drop   interfaces that are not the lab's go (a Swarm's gateway bridge, with its default
//          route out of the lab): every interface but `lo` with an IPv4 address, none of which
//          is one of `keep`
//   name   the interface that holds `ipv4` (the address Docker assigned it) gets its network's
//          name as an altname: commands and the kernel check name interfaces by their networks
//   write  a file, before the commands that read it (FRR's configuration); with `kernelNames`,
//          lines `interface NETWORK` naming a network named above get the kernel's interface
//          name instead (FRR knows interfaces by their kernel names only)
//   run    a planned command, an argument list, run as it is (no shell parses its words)
//   state  read the kernel back: addresses, routes and rules (IPv6 too with `ipv6`)
import type { Command, FilePlan, NodePlan } from "../../plan/types.js";

export type Step =
  | { kind: "drop"; keep: string[]; why: string }
  | { kind: "name"; network: string; ipv4: string; why: string }
  | { kind: "write"; path: string; content: string; mode: number; kernelNames: boolean; why: string }
  | { kind: "run"; argv: string[]; why: string }
  | { kind: "state"; ipv6: boolean; why: string };

export const DROP_WHY = "remove an interface that is not the lab's (the Swarm's gateway bridge, a way out of the lab)";
export const NAME_WHY = "name the interface after its network";
const STATE_WHY = "read the kernel state back";

/**
 * A node's whole configuration, as at `up` or after a restart (a fresh network namespace).
 * `text` gives a file's text (a file the lab names, routing.frr, is read at the edge, by the caller).
 * Interfaces that are not the lab's are dropped only on a cluster, where the Swarm adds one.
 */
export function nodeSteps(node: NodePlan, ipv6: boolean, text: (file: FilePlan) => string): Step[] {
  const keep = node.interfaces.map((i) => i.ipv4);
  return [
    ...(node.host !== undefined ? [{ kind: "drop" as const, keep, why: DROP_WHY }] : []),
    ...node.interfaces.map((i) => ({ kind: "name" as const, network: i.network, ipv4: i.ipv4, why: NAME_WHY })),
    ...(node.files ?? []).map((f) => ({ kind: "write" as const, path: f.path, content: text(f), mode: f.mode, kernelNames: f.kernelInterfaceNames === true, why: f.why })),
    ...commandSteps(node.commands, ipv6),
  ];
}

/** Commands alone (a repair of a node that kept its namespace), then the state. */
export function commandSteps(commands: Command[], ipv6: boolean): Step[] {
  return [...commands.map((c) => ({ kind: "run" as const, argv: c.argv, why: c.why })), { kind: "state", ipv6, why: STATE_WHY }];
}

/** A step that failed: which, what ran (argv; for a file, `write PATH`), its exit code and what it said. */
export interface StepFailure {
  step: Step;
  argv: string[];
  exitCode: number;
  output: string;
}
