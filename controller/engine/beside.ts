// A container beside a node: same image, the node's network namespace and process namespace,
// its own cgroup. zmqlab's own network commands at a fault's moment (tc, ip, nft: armed scripts,
// traffic/armed.ts) run there, so a node busy with its own work does not make them late: CFS
// schedules a cgroup as a whole, and a command that wakes in a busy node's cgroup waits for that
// node's turn (a 20 ms sleep beside two busy loops in the node and three busy containers: p50 12,
// p99 32 ms late inside the node; p50 2.1, p99 9.8 ms in a container sharing only its network).
// Its CPU weight is 8 times a container's: it works a few ms at a fault and sleeps otherwise, and
// with four fault labs at once on two cores a list beside a router at the default weight still
// began up to 181 ms late (its nft up to 91 ms); at 8 times, 34 ms at most (8 runs of lossy-link).
// It shares the node's processes too, so a stop's cut can end them from there. It lives as long as
// the node's life: a stop or restart of the node ends it (its process namespace goes), and the
// next arm starts it again in the node's new namespaces. It is a helper of the lab (role
// `beside`): removed with the lab, before its nodes.
import type { Engine } from "./docker.js";
import { onEngine } from "./failures.js";
import { LABEL_INSTANCE, LABEL_LAB, LABEL_LAB_NAME, LABEL_NODE, LABEL_ROLE } from "./labels.js";

export const BESIDE_ROLE = "beside";
export const besideName = (container: string): string => `${container}-beside`;

/** Start (creating it if needed) the container beside `container`; returns its name. */
export async function ensureBeside(docker: Engine, container: string): Promise<string> {
  const name = besideName(container);
  const resource = { kind: "container" as const, name, role: `beside ${container}` };
  const existing = await onEngine("inspect", resource, () =>
    docker
      .getContainer(name)
      .inspect()
      .catch((err: { statusCode?: number }) => {
        if (err.statusCode === 404) return undefined;
        throw err;
      }),
  );
  if (existing?.State.Running) return name;
  if (!existing) {
    // Made from the node itself (its image, its labels): asked only when it is to be made.
    const node = await onEngine("inspect", { kind: "container", name: container }, () => docker.getContainer(container).inspect());
    const labels = node.Config.Labels ?? {};
    await onEngine("create", resource, () =>
      docker
        .createContainer({
          name,
          Image: node.Image,
          Entrypoint: ["sleep", "infinity"],
          Cmd: [],
          Labels: {
            [LABEL_LAB]: labels[LABEL_LAB] ?? "",
            [LABEL_ROLE]: BESIDE_ROLE,
            [LABEL_NODE]: labels[LABEL_NODE] ?? "",
            ...(labels[LABEL_LAB_NAME] ? { [LABEL_LAB_NAME]: labels[LABEL_LAB_NAME] } : {}),
            ...(labels[LABEL_INSTANCE] ? { [LABEL_INSTANCE]: labels[LABEL_INSTANCE] } : {}),
          },
          HostConfig: { NetworkMode: `container:${container}`, PidMode: `container:${container}`, CapAdd: ["NET_ADMIN", "NET_RAW"], CpuShares: 8192 },
        })
        .catch((err: { statusCode?: number }) => {
          // 409: made at the same moment by another arm of the same node; it is started below.
          if (err.statusCode !== 409) throw err;
        }),
    );
  }
  await onEngine("start", resource, () =>
    docker
      .getContainer(name)
      .start()
      .catch((err: { statusCode?: number }) => {
        // 304: already started.
        if (err.statusCode !== 304) throw err;
      }),
  );
  return name;
}
