// The lab engine on a real Docker engine: labs come up exactly as their files say (read back
// from each node's kernel), traffic takes the routers the routes name (read from the routers'
// own counters), and nothing of ours is left afterwards.
import t, { type Test } from "tap";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { up, type RunningLab } from "../../controller/index.js";
import { connectEngine } from "../../controller/engine/docker.js";
import { ensureNodeImage } from "../../controller/engine/images.js";
import { cli, labeled, labFile } from "../support/helpers.js";

interface LabText {
  networks: Record<string, { subnet: string | string[] }>;
  nodes: Record<string, { interfaces: Record<string, string | string[]>; routes?: { to: string; via: string | string[]; from?: string }[] }>;
}
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const prefixOf = (lab: LabText, network: string, address: string) =>
  list(lab.networks[network]!.subnet)
    .find((s) => s.includes(":") === address.includes(":"))!
    .split("/")[1];
const host = (s: string) => s.replace(/\/(32|128)$/, "");

/** Compare every node's kernel state with the lab file itself (not with our own plan). */
async function assertKernelMatchesFile(t: Test, lab: RunningLab, file: string) {
  const text = parse(readFileSync(file, "utf8")) as LabText;
  for (const [name, node] of Object.entries(text.nodes)) {
    const state = await lab.node(name).kernel();
    for (const [network, addresses] of Object.entries(node.interfaces)) {
      const iface = state.interfaces.find((i) => i.altnames.includes(network));
      t.ok(iface, `${name} has an interface named ${network}`);
      t.same(
        [...(iface?.addresses ?? [])].sort(),
        list(addresses)
          .map((a) => `${a}/${prefixOf(text, network, a)}`)
          .sort(),
        `${name}/${network} carries exactly the file's addresses`,
      );
    }
    t.notOk(
      state.routes.some((r) => r.to === "default"),
      `${name} has no default route`,
    );
    for (const route of node.routes ?? []) {
      const table = route.from ? state.rules.find((r) => r.from === route.from)?.table : "main";
      t.ok(table, `${name} has a rule for traffic from ${route.from ?? "any"}`);
      const found = state.routes.find((r) => r.table === table && host(r.to) === host(route.to));
      t.same([...(found?.via ?? [])].sort(), list(route.via).sort(), `${name}: ${route.to}${route.from ? ` from ${route.from}` : ""} via ${list(route.via).join(", ")}`);
    }
  }
}

/** Packets a router forwarded from `source` to `destination`, by its own nftables counters. */
async function forwarded(lab: RunningLab, router: string, source: string, destination: string): Promise<number> {
  const flows = await lab.node(router).flows();
  return flows.filter((f) => f.from === source && f.to === destination).reduce((n, f) => n + f.packets, 0);
}

async function ping(t: Test, lab: RunningLab, node: string, source: string, destination: string) {
  const result = await lab.node(node).exec(["ping", "-c", "2", "-i", "0.2", "-W", "2", "-I", source, destination]);
  t.equal(result.exitCode, 0, `${node} reaches ${destination} from ${source}`);
}

t.test("source-ip: kernel state as declared, each source through its own router", async (t) => {
  const lab = await up("labs/source-ip");
  t.teardown(() => lab.down());
  await assertKernelMatchesFile(t, lab, "labs/source-ip/lab.yaml");
  const labels = await labeled("source-ip");
  t.same(labels, { containers: 4, networks: 2 }, "every container and network carries zmqlab.lab");

  await lab.resetFlows();
  await ping(t, lab, "client", "198.18.1.10", "198.18.2.10");
  await ping(t, lab, "client", "198.18.1.11", "198.18.2.10");
  t.ok((await forwarded(lab, "r1", "198.18.1.10", "198.18.2.10")) >= 2, "r1 forwarded traffic from .10");
  t.equal(await forwarded(lab, "r2", "198.18.1.10", "198.18.2.10"), 0, "r2 forwarded nothing from .10");
  t.ok((await forwarded(lab, "r2", "198.18.1.11", "198.18.2.10")) >= 2, "r2 forwarded traffic from .11");
  t.equal(await forwarded(lab, "r1", "198.18.1.11", "198.18.2.10"), 0, "r1 forwarded nothing from .11");

  // The same measurement can fail: swap the policy routes by hand and the counters follow.
  await lab.node("client").exec(["ip", "route", "replace", "198.18.2.0/24", "via", "198.18.1.3", "dev", "clients", "table", "100"]);
  await lab.resetFlows();
  await ping(t, lab, "client", "198.18.1.10", "198.18.2.10");
  t.equal(await forwarded(lab, "r1", "198.18.1.10", "198.18.2.10"), 0, "after the swap r1 sees nothing from .10");
  t.ok((await forwarded(lab, "r2", "198.18.1.10", "198.18.2.10")) >= 2, "after the swap .10 goes through r2");

  await lab.down();
  t.same(await labeled("source-ip"), { containers: 0, networks: 0 }, "down leaves nothing with the label");
  await lab.down();
  t.same(await labeled("source-ip"), { containers: 0, networks: 0 }, "a second down succeeds on a lab that is gone and still leaves nothing");
});

t.test("ecmp: every source sticks to one router, both routers carry traffic", async (t) => {
  const lab = await up("labs/ecmp");
  t.teardown(() => lab.down());
  await assertKernelMatchesFile(t, lab, "labs/ecmp/lab.yaml");
  await lab.resetFlows();
  const sources = Array.from({ length: 8 }, (_, i) => `198.18.3.${10 + i}`);
  const carried = { r1: 0, r2: 0 };
  for (const source of sources) {
    await ping(t, lab, "client", source, "198.18.4.10");
    const byR1 = await forwarded(lab, "r1", source, "198.18.4.10");
    const byR2 = await forwarded(lab, "r2", source, "198.18.4.10");
    t.ok(byR1 > 0 !== byR2 > 0, `${source} took exactly one router (r1: ${byR1}, r2: ${byR2})`);
    if (byR1 > 0) carried.r1++;
    if (byR2 > 0) carried.r2++;
  }
  t.ok(carried.r1 >= 1 && carried.r2 >= 1, `both routers carry at least one source (r1: ${carried.r1}, r2: ${carried.r2})`);
});

t.test("dual stack: extra IPv6 addresses and IPv6 policy routes", async (t) => {
  const lab = await up("test/fixtures/dual-stack");
  t.teardown(() => lab.down());
  await assertKernelMatchesFile(t, lab, "test/fixtures/dual-stack/lab.yaml");
  await lab.resetFlows();
  await ping(t, lab, "client", "2001:2:0:5::10", "2001:2:0:6::10");
  await ping(t, lab, "client", "2001:2:0:5::11", "2001:2:0:6::10");
  await ping(t, lab, "client", "198.18.5.10", "198.18.6.10");
  t.ok((await forwarded(lab, "r1", "2001:2:0:5::10", "2001:2:0:6::10")) >= 2, "IPv6 from ::10 through r1");
  t.ok((await forwarded(lab, "r2", "2001:2:0:5::11", "2001:2:0:6::10")) >= 2, "IPv6 from ::11 through r2");
  t.equal(await forwarded(lab, "r1", "2001:2:0:5::11", "2001:2:0:6::10"), 0, "nothing from ::11 through r1");
});

t.test("invalid labs create nothing and exit 2", async (t) => {
  const before = await labeled();
  const result = await cli(["up", "test/fixtures/invalid-route"]);
  t.equal(result.code, 2, "exit code 2");
  t.match(result.stderr, /lab\.yaml:\d+:\d+: nodes\.client\.routes\[0\]\.via: /, "file, line and path");
  t.match(result.stderr, /hint: /, "a hint");
  t.same(await labeled(), before, "nothing was created");
});

t.test("a subnet that collides with an existing Docker network: exit 3, nothing created", async (t) => {
  const { connectEngine } = await import("../../controller/engine/docker.js");
  const engine = await connectEngine();
  const squatter = await engine.createNetwork({ Name: "zmqlab-test-squatter", IPAM: { Config: [{ Subnet: "198.18.2.0/24" }] } });
  t.teardown(() => squatter.remove().catch(() => {}));
  const result = await cli(["up", "labs/source-ip"]);
  t.equal(result.code, 3, "exit code 3");
  t.match(result.stderr, /overlaps Docker network zmqlab-test-squatter/, "names the other network");
  t.same(await labeled("source-ip"), { containers: 0, networks: 0 }, "nothing of the lab was created");
});

/** Run the CLI, press Ctrl-C once its progress shows `moment`, and check nothing is left. */
async function interruptAt(t: Test, args: string[], moment: RegExp, what: string, labName = "source-ip") {
  let interrupted = false;
  const result = await cli(args, (text, child) => {
    if (!interrupted && moment.test(text)) {
      interrupted = true;
      child.kill("SIGINT");
    }
  });
  t.ok(interrupted, `interrupted ${what}`);
  t.equal(result.code, 130, "exit code 130");
  t.same(await labeled(labName), { containers: 0, networks: 0 }, "nothing left");
  return result;
}

// slow-up's configuration sleeps 30 s: the signal surely lands while up is still at work.
t.test("Ctrl-C during up removes what was created", async (t) => {
  const result = await interruptAt(t, ["up", "test/fixtures/slow-up"], /creating \d+ nodes/, "while creating nodes", "slow-up");
  // Not after the node's 30 s command has ended on its own: the removal ends it.
  t.notMatch(result.stdout + result.stderr, /interrupted[\s\S]*checking the kernel state/, "up goes no further once interrupted");
});

t.test("a crashed run is listed by ls and removed by clean", async (t) => {
  const result = await cli(["up", "test/fixtures/slow-up"], (text, child) => {
    if (/configuring/.test(text)) child.kill("SIGKILL");
  });
  t.equal(result.code, null, "the run died");
  const left = await labeled("slow-up");
  t.ok(left.containers + left.networks > 0, "it left resources behind");
  const ls = await cli(["ls"]);
  t.match(ls.stdout, /slow-up/, "ls lists the lab it left");
  const clean = await cli(["clean"]);
  t.equal(clean.code, 0);
  t.same(await labeled(), { containers: 0, networks: 0 }, "clean left nothing of ours");
});

t.test("up and down from the command line", async (t) => {
  const upResult = await cli(["up", "labs/source-ip"]);
  t.teardown(() => cli(["down", "labs/source-ip"]));
  t.equal(upResult.code, 0, upResult.stderr);
  t.match(upResult.stdout, /client\s+clients \(eth\d\)\s+198\.18\.1\.10\/24 198\.18\.1\.11\/24/, "prints every address per interface");
  const down = await cli(["down", "labs/source-ip"]);
  t.equal(down.code, 0);
  t.same(await labeled("source-ip"), { containers: 0, networks: 0 });
});

t.test("a kernel feature the machine lacks (netem) fails up with a clear message and leaves nothing", async (t) => {
  const result = await cli(["up", "test/fixtures/netem"]);
  if (result.code === 0) {
    // This kernel has netem after all: the missing-feature path cannot be exercised here.
    await cli(["down", "test/fixtures/netem"]);
    t.plan(0, "this kernel has netem, so the message for a kernel without it cannot be checked here");
    return;
  }
  t.equal(result.code, 3, "exit code 3: the environment");
  t.match(result.stderr, /In node a, `tc qdisc add dev lan root netem delay 20ms`/, "names the node and the command");
  t.match(result.stderr, /hint: this kernel has no netem/, "says what is missing and what to use instead");
  t.same(await labeled("netem"), { containers: 0, networks: 0 }, "nothing left");
});

t.test("Ctrl-C during the traffic of run ends it early and removes the lab", (t) => interruptAt(t, ["run", "labs/source-ip"], /traffic: /, "during the traffic"));

t.test("up reads the kernel back: a node that differs from the lab file fails up", async (t) => {
  const result = await cli(["up", "test/fixtures/drift"]);
  t.equal(result.code, 3, "exit code 3");
  t.match(result.stderr, /The kernel state differs from the lab file:\n\s+a: lan \(eth0\) lacks 198\.18\.61\.11\/24/, "names the node, interface and missing address");
  t.same(await labeled("drift"), { containers: 0, networks: 0 }, "nothing left");
});

t.test("a node with an image of its own is configured through its sh, just as exactly", async (t) => {
  const lines: string[] = [];
  const lab = await up("test/fixtures/own-image", { log: (l) => lines.push(l) });
  t.teardown(() => lab.down());
  t.equal(lab.node("box").plan.defaultImage, false, "the image is the lab's, not zmqlab's default");
  await assertKernelMatchesFile(t, lab, "test/fixtures/own-image/lab.yaml");
  t.notOk(
    lines.some((l) => /one command at a time/.test(l)),
    "in one exec: the image has sh",
  );
});

t.test("an image without sh is configured one command at a time, just as exactly", async (t) => {
  // zmqlab's node image with every shell taken out: `ip` and `nft` are there, `sh` is not.
  const engine = await connectEngine();
  const base = await ensureNodeImage(engine);
  const builder = await engine.createContainer({ Image: base, Cmd: ["rm", "-f", "/usr/bin/sh", "/usr/bin/dash", "/usr/bin/bash", "/usr/bin/rbash"] });
  await builder.start();
  await builder.wait();
  await builder.commit({ repo: "zmqlab-test/no-sh", tag: "engine", changes: 'CMD ["sleep", "infinity"]' });
  await builder.remove();
  t.teardown(() =>
    engine
      .getImage("zmqlab-test/no-sh:engine")
      .remove({ force: true })
      .catch(() => undefined),
  );
  const text = readFileSync("test/fixtures/own-image/lab.yaml", "utf8")
    .replaceAll("zmqlab/node:latest", "zmqlab-test/no-sh:engine")
    .replace("name: own-image", "name: own-image-no-sh")
    .replaceAll("198.18.6", "198.19.9");
  const file = labFile(text);
  const lines: string[] = [];
  const lab = await up(file, { log: (l) => lines.push(l) });
  t.teardown(() => lab.down());
  t.equal((await lab.node("box").exec(["sh", "-c", "true"])).exitCode, 126, "the image has no sh");
  await assertKernelMatchesFile(t, lab, file);
  t.ok(
    lines.some((l) => l === "box: its image zmqlab-test/no-sh:engine has no sh: configuring it one command at a time"),
    "up says how it configures it",
  );
  t.same(await lab.node("box").reconfigure(), [], "and the node is as its plan says: nothing to repair");
});
