// Which variant of a bench lab can come up on this engine right now.
import type Docker from "dockerode";
import type { LoadedLab } from "../controller/index.js";
import { overlaps, parseSubnet, type Subnet } from "../controller/lab/ip.js";
import { LABEL_LAB } from "../controller/engine/labels.js";
import type { LabVariants } from "./labs.js";

/**
 * The first variant of a lab whose name no network on the engine carries and whose subnets
 * overlap none: Docker 20.10 sometimes keeps a network it refuses to remove (a leaked endpoint,
 * until dockerd restarts), which would otherwise block the bench for good.
 */
export async function pickVariant(docker: Docker, variants: LabVariants, note: (line: string) => void): Promise<LoadedLab> {
  const networks = await docker.listNetworks();
  const taken = networks.flatMap((n) => (n.IPAM?.Config ?? []).map((c) => ({ name: n.Name, lab: n.Labels?.[LABEL_LAB], subnet: parseSubnet(c.Subnet ?? "") })));
  for (let variant = 0; variant < 6; variant++) {
    const loaded = variants(variant);
    const mine = Object.values(loaded.lab.networks)
      .flatMap((n) => ([] as string[]).concat(n.subnet))
      .map((t) => parseSubnet(t) as Subnet);
    const blocker = taken.find((t) => t.lab === loaded.lab.name || (typeof t.subnet !== "string" && mine.some((m) => overlaps(m, t.subnet as Subnet))));
    if (!blocker) return loaded;
    note(`${loaded.lab.name} is blocked by Docker network ${blocker.name}${blocker.lab ? ` (lab ${blocker.lab})` : ""}: using another name and subnets`);
  }
  throw new Error(`no variant of ${variants(0).lab.name} fits on this engine (its networks: ${networks.map((n) => n.Name).join(", ")})`);
}
