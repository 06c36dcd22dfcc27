// `down` on the in-memory engine: by file, folder, loaded lab or name; idempotent; it removes
// what a crashed or killed run left, and nothing of other labs.
import t from "tap";
import { MemoryEngine } from "../../controller/engine/memory-runtime.js";
import { loadLab } from "../../controller/lab/load.js";
import { planLab } from "../../controller/plan/plan.js";
import { down } from "../../controller/provision/down.js";
import { up } from "../../controller/provision/up.js";
import { lab, LAB, outcome, WAIT } from "../support/memory.js";

t.test("down twice is fine: the second finds nothing", async (t) => {
  const engine = new MemoryEngine();
  await (await up(lab(), { wait: WAIT, runtime: engine.runtime() })).release();
  const first = await down(lab(), { wait: WAIT, runtime: engine.runtime() });
  t.same(first, { lab: "mem", found: true, containers: 5, networks: 2 }, "the first removes 5 nodes and 2 networks");
  const second = await down(lab(), { wait: WAIT, runtime: engine.runtime() });
  t.same(second, { lab: "mem", found: false, containers: 0, networks: 0 }, "the second finds nothing");
  t.notOk(
    engine.calls.slice(engine.calls.findLastIndex((c) => c.op === "listLabs")).some((c) => c.op === "lock"),
    "and takes no lock for it",
  );
  t.same(engine.left(), [], "nothing left");
});

t.test("RunningLab.down twice is fine", async (t) => {
  const engine = new MemoryEngine();
  const running = await up(lab(), { wait: WAIT, runtime: engine.runtime() });
  await running.down();
  await running.down();
  t.same(engine.left(), [], "nothing left");
});

t.test("down by lab folder, by loaded lab and by name", async (t) => {
  const engine = new MemoryEngine();
  await (await up(loadLab("labs/source-ip"), { wait: WAIT, runtime: engine.runtime() })).release();
  t.ok((await down("labs/source-ip", { wait: WAIT, runtime: engine.runtime() })).found, "by its folder");
  await (await up(lab(), { wait: WAIT, runtime: engine.runtime() })).release();
  t.ok((await down("mem", { wait: WAIT, runtime: engine.runtime() })).found, "by its name");
  t.same(engine.left(), [], "nothing left");
});

t.test("down removes the lock a killed process left", async (t) => {
  const engine = new MemoryEngine();
  const killed = engine.runtime();
  await up(lab(), { wait: WAIT, runtime: killed });
  killed.die();
  const removed = await down(lab(), { runtime: engine.runtime(), wait: 100 });
  t.ok(removed.found);
  t.same(engine.left(), [], "the lab and the stale lock are gone");
});

t.test("down removes the networks a crashed run left (no container)", async (t) => {
  const engine = new MemoryEngine();
  const runtime = engine.runtime();
  const plan = planLab(lab().lab);
  for (const network of plan.networks) await runtime.createNetwork(plan, network);
  const removed = await down(lab(), { runtime });
  t.same(removed, { lab: "mem", found: true, containers: 0, networks: 2 });
  t.same(engine.left(), [], "nothing left");
});

t.test("down removes stopped and paused nodes as well", async (t) => {
  const engine = new MemoryEngine();
  const running = await up(lab(), { wait: WAIT, runtime: engine.runtime() });
  await running.node("r1").act("stop");
  await running.node("r2").act("pause");
  await running.down();
  t.same(engine.left(), [], "nothing left");
});

t.test("down leaves other labs alone", async (t) => {
  const engine = new MemoryEngine();
  const other = LAB.replace("name: mem", "name: other").replaceAll("198.18.1.", "198.18.11.").replaceAll("198.18.2.", "198.18.12.").replaceAll("2001:2:0:2::", "2001:2:0:12::");
  const theirs = await up(lab(other), { wait: WAIT, runtime: engine.runtime() });
  const ours = await up(lab(), { wait: WAIT, runtime: engine.runtime() });
  const before = engine.left("other");
  await ours.down();
  t.same(engine.left("mem"), [], "ours is gone");
  t.same(engine.left("other"), before, "theirs is as it was");
  await theirs.down();
});

t.test("a lab that failed to come up needs no down: a down after it finds nothing", async (t) => {
  const engine = new MemoryEngine().script("server", ["ip", "-4", "route", "add"], { exitCode: 2, stdout: "", stderr: "RTNETLINK answers: File exists\n" });
  const failed = await outcome(up(lab(), { wait: WAIT, runtime: engine.runtime() }));
  t.notOk(failed.ok);
  t.same(await down(lab(), { wait: WAIT, runtime: engine.runtime() }), { lab: "mem", found: false, containers: 0, networks: 0 });
});
