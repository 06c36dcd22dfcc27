// The floor of a fault's kernel change under the bench's own load: a link set down and up with
// rtnetlink (what `ip link` and `tc` use, and zmqlab's link, rate and clear faults), every 100 ms
// in a container of its own, through an `ip -batch -` kept running as zmqlab's armed tools keep
// theirs (controller/traffic/armed-tools.ts), so a sample is the kernel's answer, not a process
// start. rtnetlink changes take one lock for the whole kernel (RTNL), which the engine holds too
// while it creates, moves and removes the network interfaces of the other labs' containers: a
// fault's change waits for it in any namespace. This measures that wait beside the faults.
import type Docker from "dockerode";
import { LABEL_LAB } from "../controller/engine/labels.js";
import { percentile } from "../controller/runs/figures.js";

/** The probe: a veth pair of its own, each sample "start down-end up-end" (EPOCHREALTIME). Fixed text. */
const PROBE = `ip link add p0 type veth peer name p1 || exit 1
coproc IP { ip -force -batch - 2>&1; }
step() { printf '%s\\n%%zmqlab-sync%%\\n' "$1" >&\${IP[1]}; while read -r line <&\${IP[0]}; do case $line in 'Command failed'*) break ;; esac; done; }
while :; do
  a=$EPOCHREALTIME; step 'link set p0 down'; b=$EPOCHREALTIME; step 'link set p0 up'; c=$EPOCHREALTIME
  echo "$a $b $c"; sleep 0.1
done`;

export interface KernelFloor {
  /** Changes measured (each down and each up). */
  count: number;
  p50: number;
  p95: number;
  max: number;
}

/** ms per change from the probe's lines. */
export function kernelFloorOf(output: string): KernelFloor | undefined {
  const ms: number[] = [];
  for (const line of output.split("\n")) {
    const [a, b, c] = line.trim().split(/\s+/).map(Number);
    if (a === undefined || b === undefined || c === undefined || ![a, b, c].every(Number.isFinite)) continue;
    ms.push((b - a) * 1000, (c - b) * 1000);
  }
  if (ms.length === 0) return undefined;
  ms.sort((x, y) => x - y);
  const round = (x: number) => Math.round(x * 10) / 10;
  return { count: ms.length, p50: round(percentile(ms, 50)), p95: round(percentile(ms, 95)), max: round(ms.at(-1)!) };
}

/** Start the probe (labelled as the bench's, so removeBenchResources takes it); `stop` ends it and reads it. */
export async function startKernelFloor(docker: Docker, image: string): Promise<{ stop(): Promise<KernelFloor | undefined> }> {
  const container = await docker.createContainer({
    name: `bench-kernel-floor-${process.pid}`,
    Image: image,
    Entrypoint: ["bash", "-c", PROBE],
    Cmd: [],
    Labels: { [LABEL_LAB]: "bench-kernel-floor" },
    // A TTY: its log is the output as written, without the engine's stream headers.
    Tty: true,
    HostConfig: { NetworkMode: "none", CapAdd: ["NET_ADMIN"] },
  });
  await container.start();
  return {
    async stop() {
      try {
        await container.kill().catch(() => undefined);
        return kernelFloorOf(String(await container.logs({ stdout: true, stderr: false })));
      } finally {
        await container.remove({ force: true }).catch(() => undefined);
      }
    },
  };
}
