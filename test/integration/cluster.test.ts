// Labs across a Docker Swarm (issue 11): three engines started in containers on this machine
// (scripts/cluster.sh), the flagship lab with its client, routers and server on different
// engines, the routers' kernel counters proving the packets crossed hosts, nothing of the
// Swarm's way out left in a node, and nothing left on any engine afterwards.
import t from "tap";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseCluster } from "../../controller/lab/cluster.js";
import type { SweepReport } from "../../controller/runs/sweep.js";
import { cli, labeled, ROOT } from "../support/helpers.js";
import { scratchDir } from "../support/scratch.js";

const run = promisify(execFile);
const LAB = "labs/source-ip";
const said = (r: { code: number | null; stderr: string }) => `exit ${r.code}: ${r.stderr.split("\n").slice(-8).join(" | ")}`;

/** Containers and networks labelled zmqlab.lab on one engine of the cluster. */
async function onEngine(engine: string): Promise<{ containers: string[]; networks: string[] }> {
  const containers = (await run("docker", ["-H", engine, "ps", "-a", "--filter", "label=zmqlab.lab", "--format", "{{.Names}}"])).stdout.split("\n").filter(Boolean);
  const networks = (await run("docker", ["-H", engine, "network", "ls", "--filter", "label=zmqlab.lab", "--format", "{{.Name}}"])).stdout.split("\n").filter(Boolean);
  return { containers: containers.sort(), networks: networks.sort() };
}

t.test("the flagship lab across three engines of a Swarm", async (t) => {
  const up = await run("bash", ["scripts/cluster.sh", "up", "3"], { cwd: ROOT, maxBuffer: 1 << 24 }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`scripts/cluster.sh up 3 failed: ${err.message} ${err.stderr ?? ""}`);
  });
  // ZMQLAB_KEEP_CLUSTER=1 leaves it up for the next try (starting one takes minutes).
  if (!process.env["ZMQLAB_KEEP_CLUSTER"]) t.teardown(() => run("bash", ["scripts/cluster.sh", "down"], { cwd: ROOT }).then(() => undefined));
  const file = up.stdout.trim().split("\n").at(-1)!;
  const cluster = parseCluster(readFileSync(file, "utf8"), file);
  t.same(
    cluster.hosts.map((h) => h.name),
    ["h1", "h2", "h3"],
    "cluster.sh wrote a file with three hosts",
  );
  const engines = Object.fromEntries(cluster.hosts.map((h) => [h.name, h.engine]));

  // Client, routers and server on three engines: every packet between client and server crosses hosts.
  const dir = scratchDir("zmqlab-cluster-");
  const placed = join(dir, "cluster.yaml");
  writeFileSync(placed, `${readFileSync(file, "utf8")}\nplace: { client: h1, r1: h2, r2: h2, server: h3 }\n`);
  const json = join(dir, "report.json");
  const result = await cli(["run", LAB, "--keep", "--cluster", placed, "--json", json]);
  t.teardown(() => cli(["down", LAB, "--cluster", placed]).then(() => undefined));
  t.equal(result.code, 0, `the run passes (${said(result)})`);
  t.match(result.stdout, /nodes on hosts: h1: client; h2: r1, r2; h3: server/, "the report says where each node ran");
  const report = JSON.parse(readFileSync(json, "utf8")) as { hosts?: Record<string, string>; expectations: { ok: boolean }[]; flows: Record<string, { from: string; to: string; packets: number }[]> };
  t.same(report.hosts, { client: "h1", r1: "h2", r2: "h2", server: "h3" }, "the JSON report too");
  t.equal(report.expectations.filter((e) => e.ok).length, 6, "all six expectations hold");
  const packets = (router: string, from: string) => report.flows[router]?.filter((f) => f.from === from && f.to === "198.18.2.10").reduce((n, f) => n + f.packets, 0) ?? 0;
  t.ok(packets("r1", "198.18.1.10") > 0, `r1 (on h2) forwarded the client's (on h1) packets to the server (on h3): ${packets("r1", "198.18.1.10")}`);
  t.ok(packets("r2", "198.18.1.11") > 0, `r2 (on h2) forwarded the other source's: ${packets("r2", "198.18.1.11")}`);

  // Each node is on its host's engine, and only there.
  t.same((await onEngine(engines.h1!)).containers, ["zmqlab-source-ip-client"], "h1 runs the client");
  t.same((await onEngine(engines.h2!)).containers, ["zmqlab-source-ip-r1", "zmqlab-source-ip-r2"], "h2 runs the routers");
  t.same((await onEngine(engines.h3!)).containers, ["zmqlab-source-ip-server"], "h3 runs the server");
  t.same(await labeled("source-ip"), { containers: 0, networks: 0 }, "nothing of the lab on this machine's own engine");
  const ls = await cli(["ls", "--cluster", placed]);
  t.match(ls.stdout, /client\(running on h1\)/, `ls shows each node's host (${ls.stdout.trim()})`);

  // The Swarm gives each container a way out (docker_gwbridge, with a default route): gone.
  for (const node of ["client", "r1", "server"]) {
    const addr = await cli(["exec", LAB, node, "--cluster", placed, "--", "ip", "-j", "-4", "addr", "show"]);
    const names = (JSON.parse(addr.stdout) as { ifname: string; addr_info: { local: string }[] }[]).flatMap((l) => l.addr_info.map((a) => a.local)).sort();
    t.ok(
      names.every((a) => a === "127.0.0.1" || a.startsWith("198.18.")),
      `${node} has only lab addresses and loopback: ${names.join(" ")}`,
    );
    const routes = await cli(["exec", LAB, node, "--cluster", placed, "--", "ip", "-j", "-4", "route", "show", "default"]);
    t.same(JSON.parse(routes.stdout || "[]"), [], `${node} has no default route`);
  }

  const down = await cli(["down", LAB, "--cluster", placed]);
  t.equal(down.code, 0, said(down));
  t.match(down.stdout, /removed 4 containers and 2 networks/, "down removes the nodes on every engine and the overlays");
  for (const [host, engine] of Object.entries(engines)) t.same(await onEngine(engine), { containers: [], networks: [] }, `nothing left on ${host}`);
  const after = await cli(["ls", "--cluster", placed]);
  t.match(after.stdout, /no labs on any engine of the cluster/, "ls --cluster: nothing left");

  // A sweep across the cluster (issue 23): the baseline and r1 stopped, two at once, each run an
  // instance with its nodes spread over the engines. The baseline holds every claim; stopping r1
  // breaks the ones through r1 (the check can fail); nothing is left on any engine.
  const sweepJson = join(dir, "sweep.json");
  const swept = await cli(["sweep", LAB, "--nodes", "r1", "--at", "300ms", "--jobs", "2", "--cluster", file, "--json", sweepJson, "--reports", join(dir, "sweep")]);
  t.equal(swept.code, 1, `stopping r1 breaks what the baseline held (${said(swept)})`);
  const sweepReport = JSON.parse(readFileSync(sweepJson, "utf8")) as SweepReport;
  const unmade = [sweepReport.baseline, ...sweepReport.failures].filter((r) => r.error !== undefined).map((r) => `${r.failure}: ${r.error}`);
  t.same([sweepReport.complete, sweepReport.baseline.cells.every((c) => c.ok)], [true, true], `both runs made; the baseline held every column (${unmade.join("; ") || "every run made"})`);
  t.same(
    sweepReport.failures.map((f) => f.failure),
    ["stop r1"],
  );
  t.ok(sweepReport.failures[0]!.broke.length > 0, `stop r1 broke columns ${sweepReport.failures[0]!.broke.join(", ")}`);
  for (const row of [sweepReport.baseline, ...sweepReport.failures]) {
    if (!row.report) continue; // an unmade run: said above
    const own = JSON.parse(readFileSync(row.report!.json, "utf8")) as { hosts?: Record<string, string> };
    t.ok(own.hosts && new Set(Object.values(own.hosts)).size > 1, `${row.failure}: its nodes ran on several engines (${JSON.stringify(own.hosts)})`);
  }
  for (const [host, engine] of Object.entries(engines)) t.same(await onEngine(engine), { containers: [], networks: [] }, `after the sweep, nothing left on ${host}`);

  // An engine outside the Swarm (this machine's own) in the cluster file: refused, nothing created.
  const stranger = join(dir, "stranger.yaml");
  writeFileSync(stranger, `hosts:\n  h1: { engine: ${engines.h1} }\n  mine: { engine: unix:///var/run/docker.sock }\n`);
  const refused = await cli(["run", LAB, "--cluster", stranger]);
  t.equal(refused.code, 3, said(refused));
  t.match(
    refused.stderr,
    `Host mine of cluster ${stranger} is not in a Swarm.\n  hint: join it to the others' Swarm: docker -H ${engines.h1} swarm join-token worker prints the command`,
    "names the host outside the Swarm and what to run",
  );
  t.same(await onEngine(engines.h1!), { containers: [], networks: [] }, "nothing created on the Swarm's engine");
  t.same(await labeled("source-ip"), { containers: 0, networks: 0 }, "nor on this machine's");
});

t.test("a cluster file that places a node the lab does not have: exit 2, nothing touched", async (t) => {
  const dir = scratchDir("zmqlab-cluster-");
  const file = join(dir, "cluster.yaml");
  // No engine answers at this address: the placement is refused before any engine is asked.
  writeFileSync(file, "hosts:\n  h1: { engine: tcp://127.0.0.1:9 }\nplace:\n  clinet: h1\n");
  const result = await cli(["run", LAB, "--cluster", file]);
  t.equal(result.code, 2, said(result));
  t.match(result.stderr, `${file}:4:3: place.clinet: the lab has no node "clinet"\n  hint: did you mean "client"?`, "file, line, path and hint");
});
