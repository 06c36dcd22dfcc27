// The in-memory engine answers as Docker and the kernel do where zmqlab's tests rely on it: its
// refusals (in Docker's words, through failures.ts), container states, and the kernel commands
// a plan uses. What it does is checked against what the real engine was seen to do.
import t from "tap";
import { EnvironmentError } from "../../controller/errors.js";
import { dockerError, MemoryEngine } from "../../controller/engine/memory-runtime.js";
import { planLab } from "../../controller/plan/plan.js";
import { lab, outcome } from "../support/memory.js";

const plan = planLab(lab().lab);
const [clients, servers] = plan.networks as [(typeof plan.networks)[0], (typeof plan.networks)[0]];
const client = plan.nodes.find((n) => n.name === "client")!;
/** A lab whose subnet overlaps the first's. */
const LAB_OTHER = `name: other
networks:
  lan: { subnet: 198.18.0.0/22 }
nodes:
  a: { interfaces: { lan: 198.18.0.10 } }
`;

t.test("networks: Docker's atomic pool check and unique names, in Docker's words", async (t) => {
  const engine = new MemoryEngine();
  const runtime = engine.runtime();
  await runtime.createNetwork(plan, clients);
  const again = await outcome(runtime.createNetwork(plan, clients));
  t.match(!again.ok && String(again.error), "the name is taken (network with name zmqlab-mem-clients already exists)");
  const other = planLab(lab(LAB_OTHER).lab);
  const overlap = await outcome(runtime.createNetwork(other, other.networks[0]!));
  t.notOk(overlap.ok);
  if (!overlap.ok) {
    t.type(overlap.error, EnvironmentError);
    t.match(String(overlap.error), "its subnet overlaps another Docker network (Pool overlaps with other one on this address space)");
  }
  t.same(engine.left(), ["network zmqlab-mem-clients"], "only the first was created");
  t.same(
    (await runtime.subnets()).map((s) => s.subnet),
    ["172.17.0.0/16", "198.18.1.0/24"],
    "Docker's default bridge and the lab's",
  );
});

t.test("containers: a node on a network that is not there, a name taken, commands in a stopped, paused or removed node", async (t) => {
  const engine = new MemoryEngine();
  const runtime = engine.runtime();
  const lost = await outcome(runtime.createNode(plan, client));
  t.match(!lost.ok && String(lost.error), "The network of container zmqlab-mem-client (node client) is gone (network zmqlab-mem-clients not found)");
  await runtime.createNetwork(plan, clients);
  await runtime.createNetwork(plan, servers);
  const { handle } = await runtime.createNode(plan, client);
  const taken = await outcome(runtime.createNode(plan, client));
  t.match(!taken.ok && String(taken.error), "Could not create container zmqlab-mem-client (node client): the name is taken");
  t.same((await handle.status()).state, "running");
  await handle.act("start");
  t.pass("starting a running node is what Docker answers 304 to: nothing happens");
  await handle.act("pause");
  const whilePaused = await outcome(handle.exec(["true"]));
  t.match(!whilePaused.ok && String(whilePaused.error), /the container is not running \(Container \w+ is paused, unpause the container before exec\)/);
  await handle.act("unpause");
  await handle.act("stop");
  t.same((await handle.status()).state, "exited");
  const stopped = await outcome(handle.exec(["true"]));
  t.match(!stopped.ok && String(stopped.error), /Could not run `true` in container zmqlab-mem-client: the container is not running \(Container \w+ is not running\)/);
  const paused = await outcome(handle.act("pause"));
  t.match(!paused.ok && String(paused.error), "is not running");
  engine.vanish("client");
  t.same((await handle.status()).state, "gone", "a removed node's state is gone");
  const gone = await outcome(handle.exec(["true"]));
  t.match(!gone.ok && String(gone.error), "The container zmqlab-mem-client is gone (No such container: zmqlab-mem-client)");
  t.same(engine.vanished, ["zmqlab-mem-client"]);
});

t.test("a node's kernel: Docker's namespace, then the commands of the plan, refusing as the kernel does", async (t) => {
  const engine = new MemoryEngine();
  const runtime = engine.runtime();
  await runtime.createNetwork(plan, clients);
  const { handle } = await runtime.createNode(plan, client);
  const run = async (argv: string[]) => handle.exec(argv);
  const routes = async () => JSON.parse((await run(["ip", "-j", "-4", "route", "show", "table", "all"])).stdout) as { dst: string; gateway?: string; table?: string }[];
  t.same(
    (await routes()).map((r) => `${r.dst} ${r.gateway ?? "-"}`),
    ["198.18.1.0/24 -", "default 198.18.1.1"],
    "Docker's: a connected route and a default route via the gateway",
  );
  t.same(
    JSON.parse((await run(["ip", "-j", "addr", "show"])).stdout).map((i: { ifname: string }) => i.ifname),
    ["lo", "eth0"],
  );
  t.equal((await run(["ip", "-4", "addr", "add", "198.18.1.11/24", "dev", "clients"])).exitCode, 1, "no interface named clients yet");
  t.equal((await run(["ip", "link", "property", "add", "dev", "eth0", "altname", "clients"])).exitCode, 0);
  t.equal((await run(["ip", "link", "property", "add", "dev", "eth0", "altname", "clients"])).exitCode, 2, "an altname twice: File exists");
  t.equal((await run(["ip", "-4", "addr", "add", "198.18.1.11/24", "dev", "clients"])).exitCode, 0);
  t.same(await run(["ip", "-4", "addr", "add", "198.18.1.11/24", "dev", "clients"]), { exitCode: 2, stdout: "", stderr: "RTNETLINK answers: File exists\n" }, "an address twice");
  t.match((await run(["ip", "-4", "route", "add", "198.18.9.0/24", "via", "198.18.7.1", "dev", "clients"])).stderr, "Nexthop has invalid gateway", "a next hop on no attached subnet");
  t.equal((await run(["ip", "-4", "route", "replace", "198.18.2.0/24", "via", "198.18.1.2", "dev", "clients", "table", "100"])).exitCode, 0);
  t.equal((await run(["ip", "-4", "route", "flush", "exact", "0.0.0.0/0"])).exitCode, 0);
  t.same(
    (await routes()).map((r) => `${r.dst} ${r.gateway ?? "-"} ${r.table ?? "main"}`),
    ["198.18.1.0/24 - main", "198.18.2.0/24 198.18.1.2 100"],
    "the default route flushed, the policy route in its table",
  );
  t.equal((await run(["nft", "list", "table", "inet", "zmqlab"])).exitCode, 1, "no flow counters");
  t.equal((await run(["nft", "add", "table", "inet", "zmqlab"])).exitCode, 0);
  t.equal((await run(["nft", "list", "table", "inet", "zmqlab"])).exitCode, 0, "counters");
  await handle.act("restart");
  t.same(
    (await routes()).map((r) => `${r.dst} ${r.gateway ?? "-"}`),
    ["198.18.1.0/24 -", "default 198.18.1.1"],
    "a restart: a fresh namespace",
  );
  t.equal((await run(["nft", "list", "table", "inet", "zmqlab"])).exitCode, 1, "without counters");
  t.same(await run(["sleep", "1"]), { exitCode: 0, stdout: "", stderr: "" }, "a command that is not the kernel's succeeds with no output");
});

t.test("scripts, mishaps and the record of calls", async (t) => {
  const engine = new MemoryEngine();
  const runtime = engine.runtime();
  engine.script("client", ["cat"], { exitCode: 0, stdout: "first\n", stderr: "" });
  engine.script("client", (argv) => argv[0] === "cat" && argv[1] === "/etc/hostname", { exitCode: 0, stdout: "client\n", stderr: "" });
  engine.at("exec", 3, { error: dockerError(500, "boom") });
  await runtime.createNetwork(plan, clients);
  const { handle } = await runtime.createNode(plan, client);
  t.equal((await handle.exec(["cat", "/etc/hostname"])).stdout, "client\n", "the later script wins");
  t.equal((await handle.exec(["cat", "/etc/os-release"])).stdout, "first\n", "an argv prefix");
  const third = await outcome(handle.exec(["true"]));
  t.match(!third.ok && String(third.error), "The Docker engine failed to run `true` in container zmqlab-mem-client (boom)", "the third exec fails");
  t.equal((await handle.exec(["true"])).exitCode, 0, "the fourth does not");
  t.same(
    engine.calls.map((c) => `${c.op}#${c.nth}`),
    ["createNetwork#1", "createNode#1", "exec#1", "exec#2", "exec#3", "exec#4"],
  );
});
