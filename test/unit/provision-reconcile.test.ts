// `up` on a lab that is up already repairs it to match its file (README, "Nodes come back as
// declared"), and `attach` finds it; on the in-memory engine, each node's kernel changed by hand
// through its handle as a user would with `docker exec`.
import t from "tap";
import { dockerError, MemoryEngine } from "../../controller/engine/memory-runtime.js";
import { attach } from "../../controller/provision/attach.js";
import { down } from "../../controller/provision/down.js";
import { up } from "../../controller/provision/up.js";
import type { RunningLab } from "../../controller/provision/running-lab.js";
import { lab, LAB, outcome, WAIT } from "../support/memory.js";

/** The lab up, released as the CLI's up leaves it; and a way to run `up` again in a new process. */
async function upAlready(): Promise<{ engine: MemoryEngine; first: RunningLab; again: (text?: string) => Promise<RunningLab> }> {
  const engine = new MemoryEngine();
  const first = await up(lab(), { wait: WAIT, runtime: engine.runtime() });
  await first.release();
  return { engine, first, again: (text = LAB) => up(lab(text), { runtime: engine.runtime(), wait: 200 }) };
}

/** Run argv in a node by hand; a failure is the test's own bug. */
async function byHand(running: RunningLab, node: string, argv: string[]): Promise<void> {
  const result = await running.node(node).exec(argv);
  if (result.exitCode !== 0) throw new Error(`test bug: ${node}: ${argv.join(" ")}: ${result.stderr}`);
}

t.test("nothing differs: nothing to repair", async (t) => {
  const { engine, again } = await upAlready();
  const second = await again();
  t.ok(second.reconciled);
  t.same(second.repairs, []);
  t.notOk(
    engine.calls.some((c) => c.op === "createNode" && c.nth > 5),
    "no node was created",
  );
  await second.down();
  t.same(engine.left(), []);
});

t.test("a stopped node is started and configured again; a paused one unpaused", async (t) => {
  const { engine, first, again } = await upAlready();
  await first.node("r1").act("stop");
  await first.node("r2").act("pause");
  const second = await again();
  t.same(
    second.repairs.filter((r) => !r.includes("configured again")),
    ["r1: started (it was exited)", "r2: unpaused (it was paused)"],
  );
  t.match(
    second.repairs.find((r) => r.startsWith("r1: configured again")),
    /no interface named clients.*no flow counters/,
    "r1 came back with a fresh namespace: configured again",
  );
  t.notOk(
    second.repairs.some((r) => r.startsWith("r2: configured")),
    "r2 kept its namespace: nothing to configure",
  );
  t.equal(engine.container("mem", "r1")?.state, "running");
  t.equal(engine.container("mem", "r2")?.state, "running");
  const r1 = await second.node("r1").kernel();
  t.same(
    r1.interfaces.filter((i) => i.altnames.length > 0).map((i) => i.altnames[0]),
    ["clients", "servers"],
    "r1's interfaces have their names again",
  );
  t.notOk(
    r1.routes.some((r) => r.to === "default"),
    "and Docker's default route is gone again",
  );
  t.same(await second.node("r1").flows(), [], "and its flow counters are back");
  await second.down();
  t.same(engine.left(), []);
});

t.test("a restarted node (a fresh namespace) gets its whole plan again", async (t) => {
  const { engine, first, again } = await upAlready();
  await first.node("client").act("restart");
  const second = await again();
  t.equal(second.repairs.length, 1, "one node repaired");
  t.match(
    second.repairs[0],
    /^client: configured again \(no interface named clients; .*an IPv4 default route via 198\.18\.1\.1 that the lab did not declare; no rule "from 198\.18\.1\.10 lookup 100"/,
  );
  t.same((await second.node("client").kernel()).rules.filter((r) => r.table === "100").length, 1, "its rule is back");
  await second.down();
  t.same(engine.left(), []);
});

t.test("a drifted node gets what it lacks, and only that", async (t) => {
  const { engine, first, again } = await upAlready();
  await byHand(first, "client", ["ip", "-4", "rule", "del", "from", "198.18.1.10", "table", "100", "priority", "1000"]);
  await byHand(first, "server", ["ip", "-4", "addr", "del", "198.18.2.11/24", "dev", "servers"]);
  await byHand(first, "r1", ["nft", "delete", "table", "inet", "zmqlab"]);
  await byHand(first, "box", ["ip", "-4", "route", "del", "198.18.2.0/24"]);
  const before = engine.calls.length;
  const second = await again();
  t.same(second.repairs, [
    "box: configured again (no route to 198.18.2.0/24)",
    'client: configured again (no rule "from 198.18.1.10 lookup 100")',
    "r1: configured again (no flow counters (nftables table inet zmqlab))",
    "server: configured again (servers (eth0) lacks 198.18.2.11/24)",
  ]);
  const box = engine.calls.slice(before).filter((c) => c.op === "exec" && c.subject.startsWith("node box: zmqlab's configure script:"));
  t.same(
    box.map((c) => c.subject),
    ["node box: zmqlab's configure script: ip -4 route replace 198.18.2.0/24 via 198.18.1.2 dev clients"],
    "box (its own image, with sh) got the one command it lacked",
  );
  const third = await up(lab(), { runtime: second.runtime, wait: 200 });
  t.same(third.repairs, [], "repaired twice: nothing the second time");
  await third.down();
  t.same(engine.left(), []);
});

t.test("a repair that the kernel refuses: exit 3, and the lab stays (it was not this up's to remove)", async (t) => {
  const { engine, first, again } = await upAlready();
  await byHand(first, "client", ["ip", "-4", "rule", "del", "from", "198.18.1.10", "table", "100", "priority", "1000"]);
  engine.script("client", ["sh"], {
    exitCode: 0,
    stdout: "\n--zmqlab-- failed 0 2\nRTNETLINK answers: Operation not supported\n--zmqlab-- addr\n[]\n--zmqlab-- route -4\n[]\n--zmqlab-- rule -4\n[]\n--zmqlab-- end\n",
    stderr: "",
  });
  const before = engine.left().filter((l) => !l.startsWith("lock "));
  const second = await outcome(again());
  t.notOk(second.ok);
  if (!second.ok) {
    t.equal(second.exit, 3);
    t.match(String(second.error), "In node client, `ip -4 rule add from 198.18.1.10 table 100 priority 1000` (policy: traffic from 198.18.1.10 uses table 100) failed with exit code 2");
  }
  t.same(engine.left(), before, "the lab is there, and the lock released");
  await down(lab(), { wait: WAIT, runtime: engine.runtime() });
  t.same(engine.left(), []);
});

t.test("an engine error while repairing: exit 3, the lab stays", async (t) => {
  const { engine, first, again } = await upAlready();
  await first.node("r1").act("stop");
  engine.at("act", engine.calls.filter((c) => c.op === "act").length + 1, { error: dockerError(500, "cannot start container: OCI runtime create failed") });
  const second = await outcome(again());
  t.notOk(second.ok);
  if (!second.ok) {
    t.equal(second.exit, 3);
    t.match(String(second.error), "The Docker engine failed to start container zmqlab-mem-r1 (node r1)");
  }
  t.ok(engine.left().includes("container zmqlab-mem-r1 (exited)"), "r1 is as it was");
  t.same(
    engine.left().filter((l) => l.startsWith("lock ")),
    [],
    "the lock is released",
  );
  await down(lab(), { wait: WAIT, runtime: engine.runtime() });
  t.same(engine.left(), []);
});

t.test("a node that goes away while the others are repaired: exit 3 naming it", async (t) => {
  const { engine, first, again } = await upAlready();
  await first.node("r1").act("stop");
  // r1 takes a while to start again; meanwhile the other nodes are checked, then client is removed.
  engine.at("act", engine.calls.filter((c) => c.op === "act").length + 1, {
    before: async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      engine.vanish("client");
    },
  });
  const second = await outcome(again());
  t.notOk(second.ok);
  if (!second.ok) {
    t.equal(second.exit, 3);
    t.match(String(second.error), "Lab mem did not come up: node client (gone) stopped or went away while zmqlab set it up");
  }
  t.same(
    engine.left().filter((l) => l.startsWith("lock ")),
    [],
    "the lock is released",
  );
  await down(lab(), { wait: WAIT, runtime: engine.runtime() });
  t.same(engine.left(), []);
});

t.test("a structural difference is refused (exit 3): repairing cannot add or remove nodes and networks", async (t) => {
  const { engine, again } = await upAlready();
  engine.vanish("zmqlab-mem-server");
  const missing = await outcome(again());
  t.notOk(missing.ok);
  if (!missing.ok) {
    t.equal(missing.exit, 3);
    t.match(String(missing.error), "Lab mem is up, but not as its file declares it: the file declares nodes it lacks (server)");
    t.match(String(missing.error), "take it down and bring it up again");
  }
  const fewer = await outcome(again(LAB.replace(/ {2}box:\n(.*\n){4}/, "")));
  t.notOk(fewer.ok);
  if (!fewer.ok) t.match(String(fewer.error), "it has nodes the file does not declare (box)");
  t.same(
    engine.left().filter((l) => l.startsWith("lock ")),
    [],
    "each refused up released its lock",
  );
  t.ok(engine.left().includes("container zmqlab-mem-box (running)"), "and removed nothing");
  await down(lab(), { wait: WAIT, runtime: engine.runtime() });
  t.same(engine.left(), []);
});

t.test("attach: a lab that is up, as it is", async (t) => {
  const { engine, first } = await upAlready();
  const attached = await attach(lab(), { wait: WAIT, runtime: engine.runtime() });
  t.same(
    attached.plan.nodes.map((n) => n.image),
    first.plan.nodes.map((n) => n.image),
    "planned with the images it came up with",
  );
  t.same((await attached.node("client").kernel()).rules.length, (await first.node("client").kernel()).rules.length, "the same kernel");
  await attached.release();

  await first.node("r2").act("stop");
  const stopped = await outcome(attach(lab(), { wait: WAIT, runtime: engine.runtime() }));
  t.notOk(stopped.ok);
  if (!stopped.ok) {
    t.equal(stopped.exit, 3);
    t.match(String(stopped.error), "Lab mem is not up (nodes not running: r2)");
  }
  await down(lab(), { wait: WAIT, runtime: engine.runtime() });
  const none = await outcome(attach(lab(), { wait: WAIT, runtime: engine.runtime() }));
  t.notOk(none.ok);
  if (!none.ok) t.match(String(none.error), "Lab mem is not up.");
  t.same(engine.left(), [], "nothing left, not even a lock");
});
