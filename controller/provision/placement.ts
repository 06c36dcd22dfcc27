// Where a lab goes on the engine: an instance's name, its subnets moved to free blocks, and the
// check that the lab's own subnets collide with no other network or host route.
import { EnvironmentError } from "../errors.js";
import type { Runtime } from "../engine/runtime.js";
import { overlaps, parseSubnet, type Subnet } from "../lab/ip.js";
import { autoInstanceName, checkInstanceName, chooseRelocations, instanceKey, RelocationError, type Relocation } from "../lab/relocate.js";
import type { Lab } from "../lab/types.js";
import { list } from "../../shared/list.js";

/** What sets an instance apart from the lab file: its name and where its addresses moved. */
export interface Placement {
  /** The lab as its file states it (addresses as written). */
  fileLab: Lab;
  instance?: string;
  relocations: Relocation[];
}

/** The instance's name: `auto` becomes a name no lab on the engine has. */
export async function resolveInstance(runtime: Runtime, lab: Lab, instance: string | undefined): Promise<string | undefined> {
  if (instance === undefined) return undefined;
  if (instance !== "auto") return checkInstanceName(instance);
  const taken = new Set((await runtime.listLabs()).map((l) => l.lab));
  for (;;) {
    const name = autoInstanceName();
    if (!taken.has(instanceKey(lab.name, name))) return name;
  }
}

/** Subnets in use on the engine and on the host: an instance's blocks must avoid them. */
async function takenSubnets(runtime: Runtime, key: string): Promise<Subnet[]> {
  // Both at once: the host's routes take a short-lived container.
  const [subnets, routes] = await Promise.all([runtime.subnets(), runtime.hostRoutes(key)]);
  const texts = [...subnets.map((s) => s.subnet), ...routes.map((r) => r.to)];
  return texts.map((t) => parseSubnet(t)).filter((s): s is Subnet => typeof s !== "string" && s.prefix > 0);
}

/** Free blocks for an instance's subnets, chosen at random among those the engine and the host leave (and not `avoid`). */
export async function placeInstance(runtime: Runtime, fileLab: Lab, instance: string, avoid: Subnet[]): Promise<Placement> {
  try {
    return { fileLab, instance, relocations: chooseRelocations(fileLab, [...(await takenSubnets(runtime, instanceKey(fileLab.name, instance))), ...avoid], Math.random) };
  } catch (err) {
    if (err instanceof RelocationError) throw new EnvironmentError(`Instance ${instance} of lab ${fileLab.name} cannot be placed: ${err.message}.`, err.hint);
    throw err;
  }
}

/** A lab subnet must not collide with another Docker network or a route of this host. */
export async function checkCollisions(runtime: Runtime, lab: Lab): Promise<void> {
  const ours = Object.entries(lab.networks).flatMap(([name, n]) => list(n.subnet).map((s) => ({ name, subnet: parseSubnet(s) as Subnet })));
  const problems: string[] = [];
  // A Docker network's bridge is also a host route: name that overlap once, as the network.
  const dockerSubnets = new Set<string>();
  const labs = new Set<string>();
  // Both at once: the host's routes take a short-lived container.
  const [subnets, routes] = await Promise.all([runtime.subnets(), runtime.hostRoutes(lab.name)]);
  for (const existing of subnets) {
    const theirs = parseSubnet(existing.subnet);
    if (typeof theirs === "string") continue;
    dockerSubnets.add(theirs.cidr);
    for (const mine of ours) {
      if (!overlaps(mine.subnet, theirs)) continue;
      problems.push(`network ${mine.name} (${mine.subnet.cidr}) overlaps Docker network ${existing.network} (${existing.subnet}${existing.lab ? `, lab ${existing.lab}` : ""})`);
      if (existing.lab) labs.add(existing.lab);
    }
  }
  for (const route of routes) {
    const theirs = parseSubnet(route.to);
    if (typeof theirs === "string" || theirs.prefix === 0 || dockerSubnets.has(theirs.cidr)) continue;
    for (const mine of ours) {
      if (overlaps(mine.subnet, theirs)) problems.push(`network ${mine.name} (${mine.subnet.cidr}) overlaps the host route ${route.to} dev ${route.dev}`);
    }
  }
  if (problems.length > 0) {
    throw new EnvironmentError(
      `Lab ${lab.name} cannot come up: ${problems.join("; ")}.`,
      `run a copy at free subnets beside it (--instance auto), give the lab other subnets (198.18.0.0/15 is set aside for labs), or remove the other ${labs.size ? `lab if it is yours: ${[...labs].map((l) => `zmqlab down ${l}`).join("; ")}` : "network"}`,
    );
  }
}
