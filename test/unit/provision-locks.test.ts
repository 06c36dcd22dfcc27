// One zmqlab process at a time per lab (README, "Parallel runs and instances"), on the in-memory
// engine: each MemoryRuntime is a process, and they share one engine. Waits are short here.
import t from "tap";
import { MemoryEngine } from "../../controller/engine/memory-runtime.js";
import { attach } from "../../controller/provision/attach.js";
import { down } from "../../controller/provision/down.js";
import { up } from "../../controller/provision/up.js";
import { lab, outcome, WAIT } from "../support/memory.js";

t.test("a second up of the same lab waits for the holder, then ends with exit 3 naming it; it made nothing", async (t) => {
  const engine = new MemoryEngine();
  const first = engine.runtime();
  const held = await up(lab(), { wait: WAIT, runtime: first });
  const before = engine.left();
  const lines: string[] = [];
  const started = performance.now();
  const second = await outcome(up(lab(), { runtime: engine.runtime(), wait: 150, log: (l) => lines.push(l) }));
  const waited = performance.now() - started;
  t.notOk(second.ok, "the second up fails");
  if (!second.ok) {
    t.equal(second.exit, 3, "exit 3");
    t.match(String(second.error), new RegExp(`Lab mem is in use by pid ${first.pid} on host memory \\(zmqlab up since .*\\); waited 0s`), "it names the holder");
    t.match(String(second.error), /--instance auto/, "and says how to run beside it");
  }
  t.ok(waited >= 150, `it waited its --wait (${Math.round(waited)} ms)`);
  t.match(lines.join("\n"), /lab mem is in use by pid \d+ .*: waiting up to/, "and said so while waiting");
  t.same(engine.left(), before, "the lab is as the holder has it");
  await held.down();
  t.same(engine.left(), [], "the holder's down leaves nothing");
});

t.test("the waiting up gets the lab once the holder releases it (and finds it up: it repairs it)", async (t) => {
  const engine = new MemoryEngine();
  const held = await up(lab(), { wait: WAIT, runtime: engine.runtime() });
  setTimeout(() => void held.release(), 50);
  const second = await up(lab(), { runtime: engine.runtime(), wait: 5000 });
  t.ok(second.reconciled, "the second up found the lab up and reconciled it");
  t.same(second.repairs, [], "nothing to repair");
  await second.down();
  t.same(engine.left(), [], "nothing left");
});

t.test("a holder that dies releases the lab: the next process takes the lock over at once", async (t) => {
  const engine = new MemoryEngine();
  const first = engine.runtime();
  await up(lab(), { wait: WAIT, runtime: first });
  first.die();
  t.match(engine.left().join("\n"), /lock zmqlab-lock\.mem \(exited\)/, "its lock's container ended with it");
  const next = engine.runtime();
  const started = performance.now();
  const second = await up(lab(), { runtime: next, wait: 1000 });
  t.ok(performance.now() - started < 500, "no waiting");
  t.ok(second.reconciled, "the lab was still up: reconciled");
  t.match(engine.left().join("\n"), /lock zmqlab-lock\.mem \(running\)/, "the lock is the new holder's");
  await second.down();
  t.same(engine.left(), [], "nothing left");
});

t.test("down waits for the holder too, and ends with exit 3 leaving the lab as it is", async (t) => {
  const engine = new MemoryEngine();
  const held = await up(lab(), { wait: WAIT, runtime: engine.runtime() });
  const before = engine.left();
  const result = await outcome(down(lab(), { runtime: engine.runtime(), wait: 100 }));
  t.notOk(result.ok);
  if (!result.ok) t.equal(result.exit, 3, `exit 3: ${String(result.error).split("\n")[0]}`);
  t.same(engine.left(), before, "the lab is untouched");
  await held.down();
  t.same(engine.left(), [], "nothing left");
});

t.test("within one process the lock is shared: up then attach does not wait on itself", async (t) => {
  const engine = new MemoryEngine();
  const process = engine.runtime();
  const held = await up(lab(), { wait: WAIT, runtime: process });
  const started = performance.now();
  const attached = await attach(lab(), { runtime: process, wait: 1000 });
  t.ok(performance.now() - started < 500, "attach did not wait");
  t.equal(engine.left().filter((l) => l.startsWith("lock ")).length, 1, "one lock");
  await attached.release();
  t.equal(engine.left().filter((l) => l.startsWith("lock ")).length, 1, "the lock stays while up's share is out");
  await held.down();
  t.same(engine.left(), [], "nothing left");
});

t.test("down by name while a RunningLab of the same process holds the lab leaves no lock", async (t) => {
  const engine = new MemoryEngine();
  const process = engine.runtime();
  await up(lab(), { wait: WAIT, runtime: process });
  const removed = await down("mem", { runtime: process, wait: 100 });
  t.ok(removed.found, "the lab was found by its name");
  t.same(engine.left(), [], "no network, no container, and no lock: nothing is left to guard");
  // Another process can use the name at once.
  const again = await up(lab(), { runtime: engine.runtime(), wait: 100 });
  await again.down();
  t.same(engine.left(), [], "nothing left");
});

t.test("Ctrl-C while waiting for the lock: exit 130, nothing created", async (t) => {
  const engine = new MemoryEngine();
  const held = await up(lab(), { wait: WAIT, runtime: engine.runtime() });
  const before = engine.left();
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  const result = await outcome(up(lab(), { runtime: engine.runtime(), wait: 5000, signal: controller.signal }));
  t.notOk(result.ok);
  if (!result.ok) t.equal(result.exit, 130, "exit 130");
  t.same(engine.left(), before, "nothing of the interrupted up");
  await held.down();
});

t.test("an instance named auto takes no lock: nobody else can know its name yet", async (t) => {
  const engine = new MemoryEngine();
  const held = await up(lab(), { wait: WAIT, runtime: engine.runtime(), instance: "auto" });
  t.same(
    engine.left().filter((l) => l.startsWith("lock ")),
    [],
    "no lock",
  );
  t.notOk(
    engine.calls.some((c) => c.op === "lock"),
    "none was asked for",
  );
  await held.down();
  t.same(engine.left(), [], "nothing left");
});
