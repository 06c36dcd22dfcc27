// Networks and containers of a lab, created from the plan and found again by their labels.
import type { LabPlan, NetworkPlan, NodePlan } from "../plan/types.js";
import { LABEL_INSTANCE, LABEL_LAB, LABEL_NETWORK, LABEL_NODE, LABEL_RELOCATION, LABEL_ROLE } from "./labels.js";
import { containerName, NETWORK_OPTIONS, networkLabels, networkName, nodeLabels } from "./naming.js";
import { ownerOf, type LockOwner } from "./lock.js";
import { describe, isNotFound, type Engine } from "./docker.js";
import { EnvironmentError } from "../errors.js";
import { engineFailure, onEngine, type Resource } from "./failures.js";
import { readUntil, type ExecResult } from "./exec.js";
import { HOLD_AT_BOOT } from "./hold.js";
import type { Duplex } from "node:stream";

const networkOf = (name: string, role?: string): Resource => ({ kind: "network", name, ...(role ? { role: `network ${role}` } : {}) });
const containerOf = (name: string, role?: string): Resource => ({ kind: "container", name, ...(role ? { role: `node ${role}` } : {}) });

/**
 * A lab network: a bridge on one engine; on a Swarm (`overlay`), an attachable overlay that
 * standalone containers on every engine of the Swarm join with their static addresses.
 */
export async function createNetwork(docker: Engine, lab: LabPlan, plan: NetworkPlan, overlay = false): Promise<void> {
  const config = [plan.ipv4, ...(plan.ipv6 ? [plan.ipv6] : [])].map((s) => ({
    Subnet: s.subnet,
    Gateway: s.gateway,
    ...(s.ipRange ? { IPRange: s.ipRange } : {}),
  }));
  const name = networkName(lab.lab, plan.name);
  await onEngine("create", networkOf(name, plan.name), () =>
    docker.createNetwork({
      Name: name,
      Driver: overlay ? "overlay" : "bridge",
      ...(overlay ? { Attachable: true } : {}),
      CheckDuplicate: true,
      EnableIPv6: plan.ipv6 !== undefined,
      IPAM: { Driver: "default", Config: config },
      // An overlay has no masquerading of its own: its way out is the gateway bridge, which the cluster runtime removes from every node.
      Options: overlay ? {} : NETWORK_OPTIONS,
      Labels: networkLabels(lab, plan),
    }),
  );
}

function endpointConfig(iface: NodePlan["interfaces"][number]) {
  return { IPAMConfig: { IPv4Address: iface.ipv4, ...(iface.ipv6 ? { IPv6Address: iface.ipv6 } : {}) } };
}

/** Engines from API 1.44 on take every network at create time; older ones take one. */
export async function createsWithAllNetworks(docker: Engine): Promise<boolean> {
  const [major, minor] = (await onEngine("read the version of", { kind: "engine" }, () => docker.version())).ApiVersion.split(".").map(Number);
  return major! > 1 || (major === 1 && minor! >= 44);
}

/**
 * How a node of zmqlab's image starts: the first command (its argv after the script's name) runs
 * once, on the container's first start only, and its exit code follows its output; then the node
 * settles into \`sleep infinity\`, as after a restart. Every start first honours a hold (hold.ts).
 * The script is fixed: lab input only ever arrives as its arguments.
 */
export const BOOT_SCRIPT = HOLD_AT_BOOT + 'if [ ! -e /run/zmqlab-booted ]; then : > /run/zmqlab-booted; "$@"; echo "zmqlab-boot-exit $?"; fi; exec sleep infinity';
const BOOT_EXIT = /(?:^|\n)zmqlab-boot-exit (\d+)\n/;

/**
 * Create the container and start it. Below API 1.44 it is created on its first network and the
 * others are connected one by one before the start. With \`boot\` (the caller passes it for
 * zmqlab's image only: it needs \`sh\` and the agent), that command runs as the container starts,
 * in place of an exec after it (an exec is the slow part of a node's configuration), and its
 * output is returned.
 */
export async function createNode(docker: Engine, lab: LabPlan, plan: NodePlan, allNetworksAtCreate = false, boot?: string[]): Promise<ExecResult | undefined> {
  const [first, ...rest] = plan.interfaces;
  const atCreate = allNetworksAtCreate ? plan.interfaces : [first!];
  const others = allNetworksAtCreate ? [] : rest;
  const name = containerName(lab.lab, plan.name);
  const dockerNetwork = (iface: NodePlan["interfaces"][number]) => networkName(lab.lab, iface.network);
  const container = containerOf(name, plan.name);
  await onEngine("create", container, () =>
    docker.createContainer({
      name,
      Hostname: plan.name,
      Image: plan.image,
      ...(boot ? { Cmd: ["sh", "-c", BOOT_SCRIPT, "zmqlab-boot", ...boot] } : plan.defaultImage ? { Cmd: ["sleep", "infinity"] } : {}),
      Labels: nodeLabels(lab, plan),
      HostConfig: {
        NetworkMode: dockerNetwork(first!),
        CapAdd: plan.capabilities,
        Sysctls: plan.sysctls,
      },
      NetworkingConfig: { EndpointsConfig: Object.fromEntries(atCreate.map((i) => [dockerNetwork(i), endpointConfig(i)])) },
    }),
  );
  for (const iface of others) {
    await onEngine(`connect container ${name} to`, networkOf(dockerNetwork(iface), iface.network), () =>
      docker.getNetwork(dockerNetwork(iface)).connect({ Container: name, EndpointConfig: endpointConfig(iface) }),
    );
  }
  if (!boot) {
    await onEngine("start", container, () => docker.getContainer(name).start());
    return undefined;
  }
  // Attached before the start, so no line of the first command's output is missed.
  const stream = (await onEngine("attach to", container, () => docker.getContainer(name).attach({ stream: true, stdout: true, stderr: true }))) as unknown as Duplex;
  const output = readUntil(docker, stream, BOOT_EXIT);
  try {
    await onEngine("start", container, () => docker.getContainer(name).start());
  } catch (err) {
    stream.destroy();
    throw err;
  }
  const { stdout, stderr, ended } = await onEngine(`run \`${boot.slice(0, 2).join(" ")}\` as it starts in`, container, () => output);
  const exit = BOOT_EXIT.exec(stdout);
  if (exit) return { exitCode: Number(exit[1]), stdout: stdout.slice(0, exit.index), stderr };
  return { exitCode: -1, stdout, stderr: `${stderr}${ended ? "(the node stopped before its first command ended)" : ""}` };
}

export interface LabResources {
  /** The lab's key: its name, or `name.instance` for an instance. */
  lab: string;
  /** The instance, when this is one (its name is in `lab` too). */
  instance?: string;
  /** Where an instance's addresses were moved (the label on its networks). */
  relocation?: string;
  /** `networks`: the engine's names of the networks each is attached to. */
  containers: { id: string; name: string; node: string; state: string; image: string; networks: string[]; host?: string; macs?: Record<string, string> }[];
  /** `name` is the engine's, `network` the lab file's. */
  networks: { id: string; name: string; network: string }[];
  /** The lock of a zmqlab process using the lab now (or a stale one a killed process left). */
  locks: { id: string; state: string; owner?: LockOwner }[];
  /** Short-lived containers of zmqlab's own for the lab (reading the host's routes): ones a crash left. */
  helpers: { id: string; role: string }[];
}

/** Every lab on the engine, found by label: also the ones a crashed run left behind. */
export async function listLabs(docker: Engine, lab?: string): Promise<LabResources[]> {
  const filters = { label: [lab ? `${LABEL_LAB}=${lab}` : LABEL_LAB] };
  const [containers, networks] = await onEngine("list labs on", { kind: "engine" }, () => Promise.all([docker.listContainers({ all: true, filters }), docker.listNetworks({ filters })]));
  const labs = new Map<string, LabResources>();
  const entry = (name: string) => {
    if (!labs.has(name)) labs.set(name, { lab: name, containers: [], networks: [], locks: [], helpers: [] });
    return labs.get(name)!;
  };
  for (const c of containers) {
    const found = entry(c.Labels[LABEL_LAB]!);
    if (c.Labels[LABEL_ROLE] === "lock") {
      const owner = ownerOf(c.Labels);
      found.locks.push({ id: c.Id, state: c.State, ...(owner ? { owner } : {}) });
    } else if (c.Labels[LABEL_ROLE]) found.helpers.push({ id: c.Id, role: c.Labels[LABEL_ROLE] });
    else {
      const attached = c.NetworkSettings?.Networks ?? {};
      // Each network's MAC address: the capture tells by it which node a frame left.
      const macs = Object.fromEntries(Object.entries(attached).flatMap(([n, e]) => (e.MacAddress ? [[n, e.MacAddress]] : [])));
      found.containers.push({
        id: c.Id,
        name: (c.Names[0] ?? c.Id).replace(/^\//, ""),
        node: c.Labels[LABEL_NODE] ?? "",
        state: c.State,
        image: c.Image,
        networks: Object.keys(attached),
        ...(Object.keys(macs).length ? { macs } : {}),
      });
    }
    if (c.Labels[LABEL_INSTANCE]) found.instance = c.Labels[LABEL_INSTANCE];
  }
  for (const n of networks) {
    const found = entry(n.Labels?.[LABEL_LAB] ?? "");
    found.networks.push({ id: n.Id, name: n.Name, network: n.Labels?.[LABEL_NETWORK] ?? n.Name });
    if (n.Labels?.[LABEL_INSTANCE]) found.instance = n.Labels[LABEL_INSTANCE];
    if (n.Labels?.[LABEL_RELOCATION]) found.relocation = n.Labels[LABEL_RELOCATION];
  }
  return [...labs.values()].sort((a, b) => a.lab.localeCompare(b.lab));
}

/** Remove the locks that killed processes left on a lab (ones whose container no longer runs). */
export async function removeStaleLocks(docker: Engine, lab?: string): Promise<number> {
  const stale = (await listLabs(docker, lab)).flatMap((l) => l.locks.filter((k) => k.state !== "running" && k.state !== "created"));
  await Promise.all(stale.map((k) => onEngine("remove", { kind: "container", name: k.id, role: "a stale lock" }, () => ignoreGone(docker.getContainer(k.id).remove({ force: true })))));
  return stale.length;
}

/**
 * Remove a lab's containers, then its networks. Idempotent: what is gone stays gone.
 *
 * Docker 20.10 keeps a per-network endpoint count that concurrent endpoint removals on the same
 * network can corrupt (a lost decrement, libnetwork's endpoint_cnt.go): the network then refuses
 * removal for good ("has active endpoints" with no container) until dockerd restarts. Removing
 * 100 containers on 10 networks all at once (`docker rm -f` in parallel) leaked 1-4 networks in
 * 5 of 22 cycles. So each network's endpoints are disconnected one at a time (networks in
 * parallel), and a container, once on no network, is force-removed at once: 0 leaks in 12
 * cycles; the removals, the costly part, still run in parallel.
 */
export async function removeLab(docker: Engine, lab: string, withNetworks = true): Promise<{ containers: number; networks: number }> {
  const [found] = await listLabs(docker, lab);
  if (!found) return { containers: 0, networks: 0 };
  const failures: unknown[] = [];
  await Promise.all(found.helpers.map((h) => onEngine("remove", { kind: "container", name: h.id, role: h.role }, () => ignoreGone(docker.getContainer(h.id).remove({ force: true })))));
  const remove = (c: (typeof found.containers)[number]) =>
    ignoreGone(docker.getContainer(c.id).remove({ force: true, v: true })).catch((err) => void failures.push(engineFailure(err, "remove", containerOf(c.name, c.node))));
  // A container is removed as soon as its last endpoint is gone, while other networks still disconnect.
  const left = new Map(found.containers.map((c) => [c.id, c.networks.filter((n) => found.networks.some((f) => f.name === n)).length]));
  const removals = found.containers.filter((c) => left.get(c.id) === 0).map(remove);
  await Promise.all(
    found.networks.map(async (n) => {
      for (const c of found.containers.filter((c) => c.networks.includes(n.name))) {
        await onEngine(`disconnect container ${c.name} from`, networkOf(n.name, n.network), () => ignoreGone(docker.getNetwork(n.id).disconnect({ Container: c.id, Force: true })));
        left.set(c.id, left.get(c.id)! - 1);
        if (left.get(c.id) === 0) removals.push(remove(c));
      }
    }),
  );
  await Promise.all(removals);
  if (failures.length > 0) throw failures[0];
  // A Swarm's overlays are removed on a manager, once every engine's containers are gone.
  if (!withNetworks) return { containers: found.containers.length, networks: 0 };
  await Promise.all(found.networks.map((n) => removeNetwork(docker, n.id, n.name, lab)));
  return { containers: found.containers.length, networks: found.networks.length };
}

/**
 * Right after its containers were removed, Docker may still count an endpoint on the network
 * for a moment ("has active endpoints"): retry for a few seconds. A count that stays is the
 * engine's leak, which only a dockerd restart clears: say so, with the commands. A Swarm's
 * manager refuses an overlay while the attachment task of a container removed on another engine
 * is not yet released ("is in use by task": that engine reports it in its own time, seconds on a
 * busy machine): retry for longer.
 */
async function removeNetwork(docker: Engine, id: string, name: string, lab: string): Promise<void> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      await ignoreGone(docker.getNetwork(id).remove());
      return;
    } catch (err) {
      const why = describe(err);
      if (/is in use by task/.test(why)) {
        if (Date.now() - started >= SWARM_RELEASE_MS) {
          throw new EnvironmentError(
            `The Swarm will not remove overlay network ${name} of lab ${lab}: ${Math.round(SWARM_RELEASE_MS / 1000)} s after its containers were removed, a task still holds it (${why}).`,
            `an engine of the Swarm has not reported its container gone; when \`docker node ls\` on the manager shows every engine Ready, \`zmqlab down ${lab} --cluster FILE\` removes what is left`,
          );
        }
      } else if (!/active endpoints/.test(why)) throw engineFailure(err, "remove", networkOf(name));
      else if (attempt >= 15) {
        throw new EnvironmentError(
          `Docker will not remove network ${name} of lab ${lab}: it still counts an endpoint on it although no container is attached (${why}).`,
          `this is a Docker engine bug (a leaked endpoint count); only restarting the engine clears it: restart dockerd (\`sudo systemctl restart docker\`, or stop dockerd and start it again), then \`zmqlab down ${lab}\` removes what is left`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** How long a Swarm's manager may refuse an overlay whose containers are gone before that is an error. */
const SWARM_RELEASE_MS = 60_000;

async function ignoreGone(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    // 404: already gone; 409 "removal already in progress", "is not connected", "marked for
    // removal": another teardown got there first.
    if (isNotFound(err) || /already in progress|is not connected|marked for removal/.test(describe(err))) return;
    throw err;
  }
}

/** Subnets of the engine's existing networks (for collisions with a lab's). */
export async function existingSubnets(docker: Engine): Promise<{ network: string; subnet: string; lab?: string }[]> {
  const networks = await onEngine("list the networks of", { kind: "engine" }, () => docker.listNetworks());
  return networks.flatMap((n) => (n.IPAM?.Config ?? []).filter((c) => c.Subnet).map((c) => ({ network: n.Name, subnet: c.Subnet!, ...(n.Labels?.[LABEL_LAB] ? { lab: n.Labels[LABEL_LAB] } : {}) })));
}

/** The image a container runs (to plan a lab found on the engine with the image it came up with). */
export async function containerImage(docker: Engine, id: string): Promise<string | undefined> {
  try {
    return (await docker.getContainer(id).inspect()).Config.Image;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw engineFailure(err, "inspect", { kind: "container", name: id });
  }
}

/** The container's state (`running`, `exited`, ...), or `gone` when it no longer exists. */
export async function containerState(docker: Engine, name: string): Promise<string> {
  try {
    return (await docker.getContainer(name).inspect()).State.Status;
  } catch (err) {
    if (isNotFound(err)) return "gone";
    throw engineFailure(err, "inspect", { kind: "container", name });
  }
}

/** The container's state and when it last started, or `gone` when it no longer exists. */
export async function containerStatus(docker: Engine, name: string): Promise<{ state: string; startedAt?: string; finishedAt?: string }> {
  try {
    const { State } = await docker.getContainer(name).inspect();
    // Docker writes 0001-01-01T00:00:00Z for "never".
    const when = (iso: string | undefined) => (iso && !iso.startsWith("0001-") ? iso : undefined);
    const startedAt = when(State.StartedAt);
    const finishedAt = when(State.FinishedAt);
    return { state: State.Status, ...(startedAt ? { startedAt } : {}), ...(finishedAt ? { finishedAt } : {}) };
  } catch (err) {
    if (isNotFound(err)) return { state: "gone" };
    throw engineFailure(err, "inspect", { kind: "container", name });
  }
}
