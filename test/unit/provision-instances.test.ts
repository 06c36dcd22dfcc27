// Instances (README, "Parallel runs and instances") on the in-memory engine: separate copies of a
// lab with their own names and relocated subnets, placed again when Docker's pool check refuses
// the block they chose.
import t from "tap";
import { dockerError, MemoryEngine } from "../../controller/engine/memory-runtime.js";
import { overlaps, parseSubnet, type Subnet } from "../../controller/lab/ip.js";
import { attach } from "../../controller/provision/attach.js";
import { down } from "../../controller/provision/down.js";
import { up } from "../../controller/provision/up.js";
import { lab, outcome, WAIT } from "../support/memory.js";

const subnet = (text: string) => parseSubnet(text) as Subnet;

/** The subnets the lab's (or instance's) networks hold on the engine. */
function subnetsOf(engine: MemoryEngine, key: string): string[] {
  return [...engine.networks.values()].filter((n) => n.labels["zmqlab.lab"] === key).flatMap((n) => n.subnets.map((s) => s.subnet));
}

t.test("instances of one lab at once, beside the lab itself: distinct names, subnets that overlap nothing", async (t) => {
  const engine = new MemoryEngine();
  const plain = await up(lab(), { wait: WAIT, runtime: engine.runtime() });
  const [a, b] = await Promise.all([up(lab(), { wait: WAIT, runtime: engine.runtime(), instance: "a" }), up(lab(), { wait: WAIT, runtime: engine.runtime(), instance: "b" })]);
  t.equal(a.plan.lab, "mem.a");
  t.equal(b.plan.lab, "mem.b");
  t.ok(engine.left("mem.a").includes("network zmqlab-mem--a-clients"), "the instance's resources carry its name (a network's as a DNS label: a Swarm's overlays must be)");
  t.equal(engine.container("mem.b", "client")?.labels["zmqlab.instance"], "b", "and its label");
  const all = ["mem", "mem.a", "mem.b"].flatMap((key) => subnetsOf(engine, key).map((s) => ({ key, s: subnet(s) })));
  const clashes = all.flatMap((x, i) =>
    all
      .slice(i + 1)
      .filter((y) => overlaps(x.s, y.s))
      .map((y) => `${x.key} ${x.s.cidr} / ${y.key} ${y.s.cidr}`),
  );
  t.same(clashes, [], "no two networks share addresses");
  t.same(
    a.relocations.map((r) => r.from),
    ["198.18.0.0/22", "2001:2:0:2::/64"],
    "the lab's blocks moved",
  );
  t.not(a.relocations[0]!.to, "198.18.0.0/22", "to other blocks than the lab file's");
  const client = await a.node("client").kernel();
  const moved = a.relocations[0]!;
  t.ok(
    client.interfaces.some((i) => i.addresses.some((x) => overlaps(subnet(moved.to), subnet(`${x.split("/")[0]}/32`)))),
    "the instance's client has its moved addresses",
  );
  await Promise.all([plain.down(), a.down(), b.down()]);
  t.same(engine.left(), [], "nothing left");
});

t.test("--instance auto: a unique name, each time", async (t) => {
  const engine = new MemoryEngine();
  const [a, b] = await Promise.all([up(lab(), { wait: WAIT, runtime: engine.runtime(), instance: "auto" }), up(lab(), { wait: WAIT, runtime: engine.runtime(), instance: "auto" })]);
  t.match(a.instance, /^i[0-9a-f]{6}$/);
  t.not(a.instance, b.instance, "two names");
  await Promise.all([a.down(), b.down()]);
  t.same(engine.left(), []);
});

t.test("a network taking the chosen block at the same moment: Docker refuses, the instance chooses again", async (t) => {
  const engine = new MemoryEngine();
  const lines: string[] = [];
  // Someone else's network takes the block the instance chose, just before the instance creates its first network.
  engine.at("createNetwork", 1, {
    before: () => {
      const chosen = /runs at (198\.1[89]\.\d+\.\d+\/22)/.exec(lines.join("\n"))![1]!;
      engine.addNetwork("someone-else", chosen);
    },
  });
  const running = await up(lab(), { wait: WAIT, runtime: engine.runtime(), instance: "race", log: (l) => lines.push(l) });
  t.match(lines.join("\n"), "another network took those subnets at the same moment: choosing again", "it says so");
  const taken = subnet([...engine.networks.get("someone-else")!.subnets][0]!.subnet);
  t.notOk(
    subnetsOf(engine, "mem.race").some((s) => overlaps(subnet(s), taken)),
    "its networks are elsewhere",
  );
  t.equal(lines.filter((l) => l.startsWith("instance race:")).length, 2, "it chose twice");
  await running.down();
  t.same(engine.left(), [], "nothing left of it (the other network is not its own)");
});

t.test("refused every time: after 8 choices, exit 3 and nothing left", async (t) => {
  const engine = new MemoryEngine();
  for (let n = 1; n <= 40; n++) engine.at("createNetwork", n, { error: dockerError(403, "Pool overlaps with other one on this address space") });
  const result = await outcome(up(lab(), { wait: WAIT, runtime: engine.runtime(), instance: "unlucky" }));
  t.notOk(result.ok);
  if (!result.ok) {
    t.equal(result.exit, 3);
    t.match(String(result.error), "its subnet overlaps another Docker network (Pool overlaps with other one on this address space)");
  }
  t.equal(engine.calls.filter((c) => c.op === "createNetwork").length, 16, "8 placements of 2 networks each");
  t.same(engine.left(), [], "nothing left");
});

t.test("the lab file's own lab is refused on a pool overlap (exit 3): only an instance chooses again", async (t) => {
  const engine = new MemoryEngine().at("createNetwork", 2, { error: dockerError(403, "Pool overlaps with other one on this address space") });
  const result = await outcome(up(lab(), { wait: WAIT, runtime: engine.runtime() }));
  t.notOk(result.ok);
  if (!result.ok) t.equal(result.exit, 3);
  t.same(engine.left(), [], "nothing left");
});

t.test("attach and down find an instance by its name, with its relocations read back from the engine", async (t) => {
  const engine = new MemoryEngine();
  const running = await up(lab(), { wait: WAIT, runtime: engine.runtime(), instance: "ci-3" });
  await running.release();
  const attached = await attach(lab(), { wait: WAIT, runtime: engine.runtime(), instance: "ci-3" });
  t.same(attached.relocations, running.relocations, "the same relocations");
  t.same(attached.node("client").interfaces, running.node("client").interfaces, "the same addresses");
  await attached.release();
  t.same(await down("mem", { wait: WAIT, runtime: engine.runtime() }), { lab: "mem", found: false, containers: 0, networks: 0 }, "the lab's own name is another lab");
  t.same(await down(lab(), { wait: WAIT, runtime: engine.runtime(), instance: "ci-3" }), { lab: "mem.ci-3", found: true, containers: 5, networks: 2 });
  t.same(engine.left(), []);
});

t.test("an instance name that is not one: exit 2 before anything is asked", async (t) => {
  const engine = new MemoryEngine();
  const result = await outcome(up(lab(), { wait: WAIT, runtime: engine.runtime(), instance: "no/slashes" }));
  t.notOk(result.ok);
  if (!result.ok) t.equal(result.exit, 2);
  t.same(engine.calls, [], "no call made");
});
