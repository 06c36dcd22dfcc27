// The configuration's steps one exec at a time, for an image without `sh` (the script's
// interpreter): each command is an exec of its argument list, and what the script decides inside
// the node (which interface holds an address, which are not the lab's) is decided here, from the
// node's `ip -j addr show`. Files cannot be written without a shell: only zmqlab's image gets
// files (FRR's), and it has one.
import type { ExecResult } from "../../engine/exec.js";
import type { InterfaceState, KernelState } from "../../observe/kernel.js";
import { readInterfaces, readKernel, type CommandRunner } from "../../observe/read.js";
import type { Step, StepFailure } from "./steps.js";

/** IPv4 addresses without their prefix length. */
const ipv4Of = (link: InterfaceState) => link.addresses.map((a) => a.split("/")[0]!).filter((a) => !a.includes(":"));

/** The `drop` step's rule: every interface but lo with an IPv4 address, none of which is one of `keep`. */
export function strayInterfaces(links: InterfaceState[], keep: string[]): string[] {
  return links.filter((l) => l.name !== "lo" && ipv4Of(l).length > 0 && !ipv4Of(l).some((a) => keep.includes(a))).map((l) => l.name);
}

/** The `name` step's interface: the first that holds the address. */
export function holderOf(links: InterfaceState[], ipv4: string): string | undefined {
  return links.find((l) => ipv4Of(l).includes(ipv4))?.name;
}

/** Run the steps in order; the first that fails ends them (and nothing is read back). */
export async function runByCommand(node: CommandRunner, steps: Step[]): Promise<{ failed?: StepFailure; state?: KernelState }> {
  let links: InterfaceState[] | undefined;
  const discovered = async () => (links ??= await readInterfaces(node));
  let state: KernelState | undefined;
  for (const step of steps) {
    const commands: string[][] = [];
    if (step.kind === "drop") commands.push(...strayInterfaces(await discovered(), step.keep).map((name) => ["ip", "link", "del", "dev", name]));
    if (step.kind === "name") {
      // An interface that cannot be found shows up in the kernel check as a missing name.
      const holder = holderOf(await discovered(), step.ipv4);
      if (holder !== undefined) commands.push(["ip", "link", "property", "add", "dev", holder, "altname", step.network]);
    }
    if (step.kind === "write") return { failed: { step, argv: ["write", step.path], exitCode: 127, output: "the node's image has no sh: zmqlab writes files only with one" } };
    if (step.kind === "run") commands.push(step.argv);
    if (step.kind === "state") state = await readKernel(node, step.ipv6);
    for (const argv of commands) {
      const result: ExecResult = await node.exec(argv);
      if (result.exitCode !== 0) return { failed: { step, argv, exitCode: result.exitCode, output: result.stderr.trim() || result.stdout.trim() } };
    }
  }
  return state ? { state } : {};
}
