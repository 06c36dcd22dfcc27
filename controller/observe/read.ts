// A node's kernel as its own tools show it, read through one exec each: interfaces and addresses,
// routes of every table and policy rules (`ip -j`), TCP sockets (/proc/net/tcp). What reads them
// is anything that runs commands in the node (the engine's NodeHandle); the parsers are pure
// (kernel.ts, shared/proc-net.ts).
import { EnvironmentError } from "../errors.js";
import { parseProcNetTcp, peersFor, type TcpEntry } from "../../shared/proc-net.js";
import type { Peer } from "../../shared/protocol.js";
import { parseAddr, parseRoutes, parseRules, type InterfaceState, type KernelState } from "./kernel.js";

/** A node that runs commands (argument lists): the engine's NodeHandle is one. */
export interface CommandRunner {
  /** The node's name in the lab, for messages. */
  readonly node: string;
  exec(argv: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}

/** A command's standard output; a command that fails is the environment's problem, said with its output. */
export async function outputOf(node: CommandRunner, argv: string[]): Promise<string> {
  const result = await node.exec(argv);
  if (result.exitCode !== 0) {
    throw new EnvironmentError(`In node ${node.node}, \`${argv.join(" ")}\` failed (exit ${result.exitCode}): ${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result.stdout;
}

/** `ip -j addr show`: the node's interfaces with their names, altnames and addresses. */
export const ADDR_ARGV = ["ip", "-j", "addr", "show"];
/** `ip -j -4 route show table all` (or -6): routes of every table. */
export const routeArgv = (family: "-4" | "-6"): string[] => ["ip", "-j", family, "route", "show", "table", "all"];
/** `ip -j -4 rule show` (or -6): the policy rules. */
export const ruleArgv = (family: "-4" | "-6"): string[] => ["ip", "-j", family, "rule", "show"];
/** The address families to read on a node: IPv6 too where one of its networks has it. */
export const familiesOf = (ipv6: boolean): ("-4" | "-6")[] => (ipv6 ? ["-4", "-6"] : ["-4"]);

export async function readInterfaces(node: CommandRunner): Promise<InterfaceState[]> {
  return parseAddr(await outputOf(node, ADDR_ARGV));
}

/** Addresses, routes and rules, read at once (three or five execs side by side). */
export async function readKernel(node: CommandRunner, ipv6: boolean): Promise<KernelState> {
  const families = familiesOf(ipv6);
  const [addr, ...rest] = await Promise.all([outputOf(node, ADDR_ARGV), ...families.map((f) => outputOf(node, routeArgv(f))), ...families.map((f) => outputOf(node, ruleArgv(f)))]);
  return kernelState(addr!, rest.slice(0, families.length), rest.slice(families.length));
}

/** The kernel state from `ip -j` output: addr, then route and rule output per family. */
export function kernelState(addr: string, routes: string[], rules: string[]): KernelState {
  return { interfaces: parseAddr(addr), routes: routes.flatMap((r) => parseRoutes(r)), rules: rules.flatMap((r) => parseRules(r)) };
}

/** The node's TCP sockets (/proc/net/tcp and tcp6). */
export async function readSockets(node: CommandRunner): Promise<TcpEntry[]> {
  // tcp6 is missing where the node has no IPv6: cat then fails after printing tcp.
  const result = await node.exec(["cat", "/proc/net/tcp", "/proc/net/tcp6"]);
  return parseProcNetTcp(result.stdout);
}

/** Connected peers on a local port of the node (any local address). */
export async function readPeers(node: CommandRunner, port: number): Promise<Peer[]> {
  return peersFor(await readSockets(node), [{ address: null, port }]);
}
