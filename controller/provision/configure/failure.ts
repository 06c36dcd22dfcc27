// A command that failed in a node, said as the environment's problem: which node, what ran, why
// it was planned, and what it said; with a hint where the kernel lacks what the command needs.
import { EnvironmentError } from "../../errors.js";

/** A command that failed in a node: what it was, why it was planned, and what it said. */
export interface CommandFailure {
  argv: string[];
  why: string;
  exitCode: number;
  output: string;
}

export function commandFailed(node: { readonly name: string }, argv: string[], why: string, exitCode: number, output: string): EnvironmentError {
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
