// A delay fault needs the kernel's netem qdisc, which some kernels lack: probed before any traffic.
import { commandFailed } from "../provision/configure/failure.js";
import type { RunningLab } from "../provision/running-lab.js";

const NETEM_PROBE = ["tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"];

/**
 * Before any traffic: a delay fault needs netem in its node's kernel. Probed on the node's
 * loopback (and removed at once), so a kernel without it ends the run with exit 3 and the same
 * words as a netem command in a lab file, rather than a failed fault in the middle.
 */
export async function checkNetem(lab: RunningLab): Promise<void> {
  const nodes = [...new Set((lab.plan.faults ?? []).flatMap((f) => (f.netem ? [f.netem] : [])))];
  await Promise.all(
    nodes.map(async (node) => {
      const result = await lab.node(node).exec(NETEM_PROBE);
      const faults = (lab.plan.faults ?? []).filter((f) => f.netem === node).map((f) => f.name);
      if (result.exitCode !== 0)
        throw commandFailed(
          lab.node(node),
          NETEM_PROBE,
          `fault ${faults.join(", ")} delays packets with netem: probed before the traffic`,
          result.exitCode,
          result.stderr.trim() || result.stdout.trim(),
        );
      await lab.node(node).exec(["tc", "qdisc", "del", "dev", "lo", "root"]);
    }),
  );
}
