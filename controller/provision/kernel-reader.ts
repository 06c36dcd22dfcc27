// Read a node's kernel state through exec: addresses, routes of every table, policy rules.
import type { NodeHandle } from "../engine/runtime.js";
import { parseAddr, parseRoutes, parseRules, type KernelState } from "../observe/kernel.js";
import { EnvironmentError } from "../errors.js";

export async function run(node: NodeHandle, argv: string[]): Promise<string> {
  const result = await node.exec(argv);
  if (result.exitCode !== 0) {
    throw new EnvironmentError(`In node ${node.node}, \`${argv.join(" ")}\` failed (exit ${result.exitCode}): ${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result.stdout;
}

export async function readKernel(node: NodeHandle, ipv6: boolean): Promise<KernelState> {
  const families = ipv6 ? ["-4", "-6"] : ["-4"];
  const [addr, ...rest] = await Promise.all([
    run(node, ["ip", "-j", "addr", "show"]),
    ...families.map((f) => run(node, ["ip", "-j", f, "route", "show", "table", "all"])),
    ...families.map((f) => run(node, ["ip", "-j", f, "rule", "show"])),
  ]);
  const routes = rest.slice(0, families.length);
  const rules = rest.slice(families.length);
  return {
    interfaces: parseAddr(addr!),
    routes: routes.flatMap((r) => parseRoutes(r)),
    rules: rules.flatMap((r) => parseRules(r)),
  };
}
