// The floor: the same networks and containers as zmqlab creates for a lab (same image, subnets,
// gateways, IP ranges, static addresses, network options, capabilities and sysctls), made and
// removed straight through dockerode, as parallel as the engine allows, with no configuration.
import Docker from "dockerode";
import type { LabPlan, NodePlan } from "../controller/index.js";
import { LABEL_LAB, LABEL_NETWORK, LABEL_NODE } from "../controller/engine/labels.js";
import { NETWORK_OPTIONS } from "../controller/engine/naming.js";

export const RAW_LAB = "bench-raw";

export interface RawLab {
  networks: { name: string; subnet: string; gateway: string; ipRange?: string; ipv6?: { subnet: string; gateway: string; ipRange?: string }; options: Record<string, string>; network: string }[];
  containers: { name: string; node: NodePlan; interfaces: { network: string; ipv4: string; ipv6?: string }[] }[];
}

/** zmqlab's plan with every Docker name moved to `bench-raw-<lab>-...` and the bench-raw label. */
export function rawLab(plan: LabPlan): RawLab {
  const short = plan.lab.replace(/^bench-/, "");
  const netName = (n: string) => `bench-raw-${short}-${n}`;
  return {
    networks: plan.networks.map((n) => ({
      name: netName(n.name),
      network: n.name,
      subnet: n.ipv4.subnet,
      gateway: n.ipv4.gateway,
      ...(n.ipv4.ipRange ? { ipRange: n.ipv4.ipRange } : {}),
      ...(n.ipv6 ? { ipv6: n.ipv6 } : {}),
      options: NETWORK_OPTIONS,
    })),
    containers: plan.nodes.map((node) => ({
      name: `bench-raw-${short}-${node.name}`,
      node,
      interfaces: node.interfaces.map((i) => ({ network: netName(i.network), ipv4: i.ipv4, ...(i.ipv6 ? { ipv6: i.ipv6 } : {}) })),
    })),
  };
}

const endpoint = (i: { ipv4: string; ipv6?: string }) => ({ IPAMConfig: { IPv4Address: i.ipv4, ...(i.ipv6 ? { IPv6Address: i.ipv6 } : {}) } });

/**
 * Every operation of a step runs in parallel, but a failure is thrown only once all of them have
 * settled: removing a lab while a connect is still in flight can leave Docker 20.10 with a
 * network it will never remove ("has active endpoints").
 */
async function settled(work: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

/** All networks in parallel, then all containers in parallel (create on the first network, connect the rest, start). */
export async function rawUp(docker: Docker, lab: RawLab): Promise<void> {
  await settled(
    lab.networks.map((n) =>
      docker.createNetwork({
        Name: n.name,
        Driver: "bridge",
        CheckDuplicate: true,
        EnableIPv6: n.ipv6 !== undefined,
        IPAM: {
          Driver: "default",
          Config: [
            { Subnet: n.subnet, Gateway: n.gateway, ...(n.ipRange ? { IPRange: n.ipRange } : {}) },
            ...(n.ipv6 ? [{ Subnet: n.ipv6.subnet, Gateway: n.ipv6.gateway, ...(n.ipv6.ipRange ? { IPRange: n.ipv6.ipRange } : {}) }] : []),
          ],
        },
        Options: n.options,
        Labels: { [LABEL_LAB]: RAW_LAB, [LABEL_NETWORK]: n.network },
      }),
    ),
  );
  await settled(
    lab.containers.map(async (c) => {
      const [first, ...others] = c.interfaces;
      const container = await docker.createContainer({
        name: c.name,
        Hostname: c.node.name,
        Image: c.node.image,
        ...(c.node.defaultImage ? { Cmd: ["sleep", "infinity"] } : {}),
        Labels: { [LABEL_LAB]: RAW_LAB, [LABEL_NODE]: c.node.name },
        HostConfig: { NetworkMode: first!.network, CapAdd: c.node.capabilities, Sysctls: c.node.sysctls },
        NetworkingConfig: { EndpointsConfig: { [first!.network]: endpoint(first!) } },
      });
      for (const iface of others) await docker.getNetwork(iface.network).connect({ Container: c.name, EndpointConfig: endpoint(iface) });
      await container.start();
    }),
  );
}

/** Containers force-removed in parallel, then networks in parallel. */
export async function rawDown(docker: Docker, lab: RawLab): Promise<void> {
  await settled(lab.containers.map((c) => docker.getContainer(c.name).remove({ force: true, v: true })));
  await settled(lab.networks.map((n) => docker.getNetwork(n.name).remove()));
}

export interface StuckNetwork {
  name: string;
  lab: string;
  subnets: string[];
}

/**
 * Remove everything labeled zmqlab.lab=bench-* (the bench's own labs and its floor). Networks the
 * engine refuses to remove for good ("has active endpoints" with no container left: Docker 20.10
 * leaked an endpoint, moby/moby#43286; only a daemon restart clears it) come back as stuck.
 */
export async function removeBenchResources(docker: Docker): Promise<{ containers: number; networks: number; stuck: StuckNetwork[] }> {
  const filters = { label: [LABEL_LAB] };
  const ours = (labels: Record<string, string> | undefined) => (labels?.[LABEL_LAB] ?? "").startsWith("bench-");
  const containers = (await docker.listContainers({ all: true, filters })).filter((c) => ours(c.Labels));
  await settled(containers.map((c) => ignoreGone(docker.getContainer(c.Id).remove({ force: true, v: true }))));
  const networks = (await docker.listNetworks({ filters })).filter((n) => ours(n.Labels));
  const stuck: StuckNetwork[] = [];
  await settled(
    networks.map(async (n) => {
      if (!(await removeNetwork(docker, n.Id))) {
        stuck.push({ name: n.Name, lab: n.Labels?.[LABEL_LAB] ?? "", subnets: (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? "").filter(Boolean) });
      }
    }),
  );
  return { containers: containers.length, networks: networks.length - stuck.length, stuck };
}

/**
 * Docker 20.10 may hold a force-removed container's endpoint for a moment ("has active
 * endpoints", moby/moby#42119): wait, force-disconnect what it still lists, retry. False when
 * the network is still there after that (stuck).
 */
async function removeNetwork(docker: Docker, id: string): Promise<boolean> {
  const network = docker.getNetwork(id);
  for (let i = 0; i < 12; i++) {
    try {
      await ignoreGone(network.remove());
      return true;
    } catch (err) {
      if (!/active endpoints/.test((err as Error).message ?? "")) throw err;
      await new Promise((r) => setTimeout(r, 250));
      if (i >= 3) {
        const info = (await network.inspect()) as { Containers?: Record<string, unknown> };
        await settled(Object.keys(info.Containers ?? {}).map((c) => ignoreGone(network.disconnect({ Container: c, Force: true }))));
      }
    }
  }
  return false;
}

async function ignoreGone(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    const e = err as { statusCode?: number; message?: string };
    if (e.statusCode === 404 || /already in progress/.test(e.message ?? "")) return;
    throw err;
  }
}
