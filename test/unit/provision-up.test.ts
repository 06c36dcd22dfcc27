// `up` on the in-memory engine: the lab comes up as its file declares (read back from each node's
// kernel), and when it cannot (a command fails, the kernel disagrees, a subnet is taken) it ends
// with exit 3 and leaves nothing behind.
import t from "tap";
import { MemoryEngine } from "../../controller/engine/memory-runtime.js";
import { loadLab } from "../../controller/lab/load.js";
import { planLab } from "../../controller/plan/plan.js";
import { down } from "../../controller/provision/down.js";
import { up } from "../../controller/provision/up.js";
import { lab, LAB, outcome, WAIT } from "../support/memory.js";

t.test("up brings the lab up as declared, down leaves nothing", async (t) => {
  const engine = new MemoryEngine();
  const running = await up(lab(), { wait: WAIT, runtime: engine.runtime() });
  const execs = engine.calls.filter((c) => c.op === "exec").map((c) => c.subject.split(":")[0]);
  t.same([...new Set(execs)], ["node box"], "only the node of its own image took execs: zmqlab's image is configured as it starts");
  t.same(
    engine.left(),
    [
      "container zmqlab-mem-box (running)",
      "container zmqlab-mem-client (running)",
      "container zmqlab-mem-r1 (running)",
      "container zmqlab-mem-r2 (running)",
      "container zmqlab-mem-server (running)",
      "lock zmqlab-lock.mem (running)",
      "network zmqlab-mem-clients",
      "network zmqlab-mem-servers",
    ],
    "every network and node, and the lock up holds",
  );

  const client = await running.node("client").kernel();
  const clients = client.interfaces.find((i) => i.altnames.includes("clients"));
  t.same(clients?.addresses, ["198.18.1.10/24", "198.18.1.11/24"], "the client's interface is named after its network and has both addresses");
  t.same(
    client.rules.filter((r) => r.table === "100" || r.table === "101").map((r) => `${r.from} ${r.table}`),
    ["198.18.1.10 100", "198.18.1.11 101"],
    "a policy rule per source",
  );
  t.same(
    client.routes.filter((r) => r.table !== "main").map((r) => `${r.to} via ${r.via.join(",")} table ${r.table}`),
    ["198.18.2.0/24 via 198.18.1.2 table 100", "198.18.2.0/24 via 198.18.1.3 table 101"],
    "the policy routes",
  );
  t.notOk(
    client.routes.some((r) => r.to === "default"),
    "no default route: Docker's was removed",
  );

  const server = await running.node("server").kernel();
  t.same(server.interfaces.find((i) => i.altnames.includes("servers"))?.addresses, ["198.18.2.10/24", "2001:2:0:2::10/64", "198.18.2.11/24"], "the server's IPv4 and IPv6 addresses");
  t.notOk(
    server.routes.some((r) => r.to === "default"),
    "no IPv4 or IPv6 default route",
  );
  t.same(await running.node("r1").flows(), [], "r1 has its flow counters (none counted yet)");
  const box = await running.node("box").kernel();
  t.same(box.interfaces.find((i) => i.altnames.includes("clients"))?.addresses, ["198.18.1.20/24", "198.18.1.21/24"], "a node of its own image is configured command by command");

  await running.down();
  t.same(engine.left(), [], "down leaves nothing");
});

t.test("a node's command that fails: exit 3 naming the node, the command and why it was planned; nothing left", async (t) => {
  const engine = new MemoryEngine().script("client", ["ip", "-4", "rule", "add"], { exitCode: 2, stdout: "", stderr: "RTNETLINK answers: Operation not supported\n" });
  const result = await outcome(up(lab(), { wait: WAIT, runtime: engine.runtime() }));
  t.notOk(result.ok);
  if (!result.ok) {
    t.equal(result.exit, 3);
    t.match(
      String(result.error),
      "In node client, `ip -4 rule add from 198.18.1.10 table 100 priority 1000` (policy: traffic from 198.18.1.10 uses table 100) failed with exit code 2: RTNETLINK answers: Operation not supported",
    );
  }
  t.same(engine.left(), [], "nothing left");
});

t.test("a command of a node of its own image that fails: the same", async (t) => {
  const engine = new MemoryEngine().script("box", ["ip", "-4", "route", "add"], { exitCode: 2, stdout: "", stderr: "Error: Nexthop has invalid gateway.\n" });
  const result = await outcome(up(lab(), { wait: WAIT, runtime: engine.runtime() }));
  t.notOk(result.ok);
  if (!result.ok) {
    t.equal(result.exit, 3);
    t.match(String(result.error), "In node box, `ip -4 route add 198.18.2.0/24 via 198.18.1.2 dev clients` (static route) failed with exit code 2: Error: Nexthop has invalid gateway.");
  }
  t.same(engine.left(), [], "nothing left");
});

t.test("the kernel disagrees with the plan after configuring (verify): exit 3 with every difference; nothing left", async (t) => {
  // The rule command says it worked, and did nothing.
  const engine = new MemoryEngine().script("client", ["ip", "-4", "rule", "add"], { exitCode: 0, stdout: "", stderr: "" });
  const result = await outcome(up(lab(), { wait: WAIT, runtime: engine.runtime() }));
  t.notOk(result.ok);
  if (!result.ok) {
    t.equal(result.exit, 3);
    t.match(String(result.error), /The kernel state differs from the lab file:\n {2}client: no rule "from 198\.18\.1\.10 lookup 100"\n {2}client: no rule "from 198\.18\.1\.11 lookup 101"/);
  }
  t.same(engine.left(), [], "nothing left");
});

t.test("a lab whose own command undoes it (test/fixtures/drift): exit 3, nothing left", async (t) => {
  const engine = new MemoryEngine();
  const result = await outcome(up(loadLab("test/fixtures/drift"), { wait: WAIT, runtime: engine.runtime() }));
  t.notOk(result.ok);
  if (!result.ok) {
    t.equal(result.exit, 3);
    t.match(String(result.error), "a: lan (eth0) lacks 198.18.61.11/24");
  }
  t.same(engine.left(), [], "nothing left");
});

t.test("a configure that stops short (its output cut): exit 3, nothing left", async (t) => {
  const engine = new MemoryEngine().script("r2", (argv) => argv[0] === "sh", { exitCode: 0, stdout: "\n--zmqlab-- addr\n[]\n", stderr: "" });
  const result = await outcome(up(lab(), { wait: WAIT, runtime: engine.runtime() }));
  t.notOk(result.ok);
  if (!result.ok) {
    t.equal(result.exit, 3);
    t.match(String(result.error), "In node r2, zmqlab's configure script did not finish");
  }
  t.same(engine.left(), [], "nothing left");
});

t.test("a node removed or stopped while the others come up: exit 3 naming it, nothing left", async (t) => {
  // While box, the last node, is configured (its one configure script), client is removed (someone's docker rm -f) and r1 stopped.
  const engine = new MemoryEngine();
  engine.at("exec", 1, {
    before: async () => {
      engine.vanish("client");
      await engine.runtime().node("mem", "r1").act("stop");
    },
  });
  const result = await outcome(up(lab(), { wait: WAIT, runtime: engine.runtime() }));
  t.notOk(result.ok, "up does not hand over a lab that is not up");
  if (!result.ok) {
    t.equal(result.exit, 3);
    t.match(String(result.error), "Lab mem did not come up: nodes client (gone), r1 (exited) stopped or went away while zmqlab set it up");
  }
  t.same(engine.left(), [], "nothing left");
});

t.test("a subnet another network holds: exit 3 naming both, before anything is created", async (t) => {
  const engine = new MemoryEngine();
  const other = LAB.replace("name: mem", "name: other");
  const theirs = await up(lab(other), { wait: WAIT, runtime: engine.runtime() });
  const result = await outcome(up(lab(), { wait: WAIT, runtime: engine.runtime() }));
  t.notOk(result.ok);
  if (!result.ok) {
    t.equal(result.exit, 3);
    t.match(String(result.error), "network clients (198.18.1.0/24) overlaps Docker network zmqlab-other-clients (198.18.1.0/24, lab other)");
    t.match(String(result.error), "zmqlab down other");
  }
  t.same(engine.left("mem"), [], "nothing of this lab");
  t.notOk(
    engine.calls.some((c) => c.op === "createNetwork" && c.nth > 2),
    "no network was asked for",
  );
  await theirs.down();

  engine.hostRoutes.push({ to: "198.18.2.0/23", dev: "wg0" });
  const route = await outcome(up(lab(), { wait: WAIT, runtime: engine.runtime() }));
  t.notOk(route.ok);
  if (!route.ok) t.match(String(route.error), "network servers (198.18.2.0/24) overlaps the host route 198.18.2.0/23 dev wg0", "a route of the host counts too");
  t.same(engine.left(), [], "nothing left");
});

t.test("networks a crashed run left are removed first; then the lab comes up", async (t) => {
  const engine = new MemoryEngine();
  const runtime = engine.runtime();
  const plan = planLab(lab().lab);
  for (const network of plan.networks) await runtime.createNetwork(plan, network);
  const running = await up(lab(), { runtime });
  t.notOk(running.reconciled, "created, not reconciled");
  await running.down();
  t.same(engine.left(), [], "nothing left");
});

t.test("a lab that is up already is refused without reconciling: exit 3, left as it is", async (t) => {
  const engine = new MemoryEngine();
  const running = await up(lab(), { wait: WAIT, runtime: engine.runtime() });
  await running.release();
  const before = engine.left().filter((l) => !l.startsWith("lock "));
  const again = await outcome(up(lab(), { wait: WAIT, runtime: engine.runtime(), reconcile: false }));
  t.notOk(again.ok);
  if (!again.ok) {
    t.equal(again.exit, 3);
    t.match(String(again.error), "Lab mem is already up on this engine");
  }
  t.same(engine.left(), before, "the lab is untouched, and the refused up released its lock");
  await down(lab(), { wait: WAIT, runtime: engine.runtime() });
  t.same(engine.left(), [], "nothing left");
});

t.test("every shipped lab comes up and goes down on the in-memory engine", async (t) => {
  // failover waits for OSPF, which this engine does not run: see provision-routing.
  for (const dir of ["labs/source-ip", "labs/ecmp", "labs/nat-lb", "labs/policy-routing", "labs/lossy-link", "labs/latency", "labs/own-app", "test/fixtures/dual-stack"]) {
    const engine = new MemoryEngine();
    const running = await outcome(up(loadLab(dir), { wait: WAIT, runtime: engine.runtime() }));
    t.ok(running.ok, `${dir} comes up${running.ok ? "" : `: ${String(running.error)}`}`);
    if (running.ok) await running.value.down();
    t.same(engine.left(), [], `${dir} leaves nothing`);
  }
});
