// A what-if, not part of `npm run bench`: the floor plus zmqlab's configuration and verification
// done with ONE exec per node (a shell script that names interfaces by their planned address,
// runs the node's commands in order and prints the kernel state), compared with the plain floor
// in the same run. Measures what batching execs in controller/provision/running.ts would give.
// Run: `npx tsc -p . && node dist/bench/whatif.js` (BENCH_ROUNDS, default 3).
import Docker from "dockerode";
import { planLab, type LoadedLab, type NodePlan } from "../controller/index.js";
import { ensureNodeImage } from "../controller/engine/images.js";
import { execIn } from "../controller/engine/exec.js";
import { LABEL_LAB } from "../controller/plan/plan.js";
import { parseAddr, parseRoutes, parseRules } from "../controller/observe/kernel.js";
import { compareWithPlan } from "../controller/provision/verify.js";
import { bench20, benchSourceIp } from "./labs.js";
import { rawDown, rawLab, rawUp, removeBenchResources, type RawLab } from "./raw.js";
import { pickVariant } from "./select.js";

const log = (line: string) => process.stderr.write(`${line}\n`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const q = (s: string) => (/^[A-Za-z0-9@%+=:,./_-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** One script per node: altnames by planned IPv4 address, then the commands, then the state. */
function script(node: NodePlan, ipv6: boolean): string {
  const lines = ["set -e"];
  for (const iface of node.interfaces) {
    lines.push(`set -- $(ip -o -4 addr show to ${iface.ipv4})`);
    lines.push(`[ -n "$2" ] || { echo "no interface carries ${iface.ipv4}" >&2; exit 3; }`);
    lines.push(`ip link property add dev "$2" altname ${q(iface.network)}`);
  }
  for (const c of node.commands) lines.push(c.argv.map(q).join(" "));
  const families = ipv6 ? ["-4", "-6"] : ["-4"];
  lines.push("echo @@addr", "ip -j addr show");
  for (const f of families) lines.push("echo @@route", `ip -j ${f} route show table all`);
  for (const f of families) lines.push("echo @@rule", `ip -j ${f} rule show`);
  return lines.join("\n");
}

async function configureAndVerify(docker: Docker, raw: RawLab, ipv6: (n: NodePlan) => boolean): Promise<void> {
  const differences = await Promise.all(
    raw.containers.map(async (c) => {
      const result = await execIn(docker, c.name, ["sh", "-c", script(c.node, ipv6(c.node))]);
      if (result.exitCode !== 0) throw new Error(`${c.node.name}: exit ${result.exitCode}: ${result.stderr}`);
      const sections = result.stdout.split(/^@@/m).slice(1).map((s) => ({ kind: s.slice(0, s.indexOf("\n")), body: s.slice(s.indexOf("\n") + 1) }));
      const state = {
        interfaces: sections.filter((s) => s.kind === "addr").flatMap((s) => parseAddr(s.body)),
        routes: sections.filter((s) => s.kind === "route").flatMap((s) => parseRoutes(s.body)),
        rules: sections.filter((s) => s.kind === "rule").flatMap((s) => parseRules(s.body)),
      };
      return compareWithPlan(c.node, state).map((d) => `${c.node.name}: ${d}`);
    }),
  );
  const all = differences.flat();
  if (all.length) throw new Error(`kernel differs from plan:\n  ${all.join("\n  ")}`);
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await work();
  return performance.now() - t;
}

async function whatIf(docker: Docker, loaded: LoadedLab, image: string, rounds: number) {
  const plan = planLab(loaded.lab, { image });
  const raw = rawLab(plan);
  const ipv6 = (n: NodePlan) => n.interfaces.some((i) => plan.networks.find((net) => net.name === i.network)?.ipv6 !== undefined);
  const floor: number[] = [];
  const batched: number[] = [];
  const configure: number[] = [];
  const list: number[] = [];
  // Warm-up, untimed.
  await rawUp(docker, raw);
  await configureAndVerify(docker, raw, ipv6);
  await rawDown(docker, raw);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ["floor", "batched"] : ["batched", "floor"];
    for (const side of order) {
      if (side === "floor") {
        floor.push(await timed(() => rawUp(docker, raw)));
      } else {
        let c = 0;
        batched.push(await timed(async () => {
          await rawUp(docker, raw);
          c = await timed(() => configureAndVerify(docker, raw, ipv6));
        }));
        configure.push(c);
        // What RunningLab.down() adds before removing: listLabs (containers and networks by label).
        const filters = { label: [`${LABEL_LAB}=bench-raw`] };
        list.push(await timed(() => Promise.all([docker.listContainers({ all: true, filters }), docker.listNetworks({ filters })])));
      }
      await rawDown(docker, raw);
    }
  }
  const f = median(floor);
  const b = median(batched);
  return { lab: loaded.lab.name, floorUp: f, batchedUp: b, ratio: b / f, configureVerify: median(configure), listLabs: median(list), floor, batched };
}

async function main() {
  const rounds = Number.parseInt(process.env.BENCH_ROUNDS ?? "3", 10);
  const docker = new Docker();
  await removeBenchResources(docker);
  try {
    const image = await ensureNodeImage(docker, log);
    for (const variants of [benchSourceIp, bench20]) {
      const r = await whatIf(docker, await pickVariant(docker, variants, log), image, rounds);
      console.log(
        `${r.lab}: floor up ${r.floorUp.toFixed(0)} ms; floor + one exec per node (configure + verify) ${r.batchedUp.toFixed(0)} ms ` +
          `(ratio ${r.ratio.toFixed(2)}x, of which configure+verify ${r.configureVerify.toFixed(0)} ms); listLabs before down ${r.listLabs.toFixed(0)} ms` +
          `\n  rounds: floor ${r.floor.map((x) => x.toFixed(0)).join(", ")}; batched ${r.batched.map((x) => x.toFixed(0)).join(", ")}`,
      );
    }
  } finally {
    await removeBenchResources(docker);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
