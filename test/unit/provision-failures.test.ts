// The engine failing at every step of `up` and `down`, on the in-memory engine: each step of a
// clean run is counted from the engine's record of its calls, then made to fail in turn (a new
// step is covered as soon as `up` or `down` makes it). Whatever fails, the command ends with the
// right exit class and the engine holds nothing of the lab once it is over (a failed `down` may
// leave the lab, never its lock, and the next `down` removes it).
import t, { type Test } from "tap";
import { dockerError, MemoryEngine, type Call, type MemoryRuntime, type Mishap } from "../../controller/engine/memory-runtime.js";
import { down } from "../../controller/provision/down.js";
import { up } from "../../controller/provision/up.js";
import { cleanSteps, exitClass, lab, outcome, step, WAIT } from "../support/memory.js";

const steps = await cleanSteps();
/** An instance (named: it takes a lock) places itself on the engine's free blocks instead of checking for collisions. */
const INSTANCE = "ci";
const instanceSteps = await cleanSteps(INSTANCE);

/** What the engine does wrong at a step, by name. */
const MISHAPS: Record<string, () => Mishap> = {
  "an engine error (HTTP 500)": () => ({ error: dockerError(500, "driver failed programming external connectivity") }),
  "a dropped connection": () => ({ error: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }) }),
  "a container vanishing": () => ({ vanish: true }),
};

/** `zmqlab up` as the CLI runs it: up, then the lock released (the lab stays up). */
async function cliUp(process: MemoryRuntime, instance?: string): Promise<void> {
  const running = await up(lab(), { runtime: process, wait: WAIT, ...(instance !== undefined ? { instance } : {}) });
  await running.release();
}

t.test("a clean up makes every kind of step the loops below fail", async (t) => {
  const ops = new Set(steps.up.map((c) => c.op));
  for (const op of ["lock", "lockStart", "listLabs", "subnets", "hostRoutes", "nodeImage", "createNetwork", "createNode", "boot", "exec", "release"] as const)
    t.ok(ops.has(op), `up makes a ${op} call`);
  t.equal(steps.up.filter((c) => c.op === "createNetwork").length, 2, "one network create per network");
  t.equal(steps.up.filter((c) => c.op === "createNode").length, 5, "one node create per node");
  const downOps = new Set(steps.down.map((c) => c.op));
  for (const op of ["listLabs", "lock", "lockStart", "removeLab", "removeContainer", "removeNetwork", "release", "removeStaleLocks"] as const) t.ok(downOps.has(op), `down makes a ${op} call`);
});

/**
 * The early reads of the host's routes (while the lock is taken, and awaited before a crash's
 * leftovers are cleared) are read again by the collision check: their failure does not end `up`.
 * (The in-memory engine answers each read; Docker's runtime reads once and shares it.)
 */
const retried = (c: Call) => c.op === "hostRoutes" && c.nth <= 2;

/**
 * What a container vanishing does to `up`: a node's is noticed at once (its start, its configure,
 * its commands); the lock's only before its container started (after that, nothing of `up` uses it).
 */
function upAfterVanish(c: Call, vanished: string[]): "up" | 3 {
  if (vanished.length === 0) return "up";
  if (vanished.every((name) => name.startsWith("zmqlab-lock."))) return c.op === "lock" || c.op === "lockStart" ? 3 : "up";
  return 3;
}

/** Every step of a clean up (of the lab, or of an instance), failed in turn. */
function everyStepOfUp(t: Test, upSteps: Call[], instance?: string): void {
  const options = { wait: WAIT, ...(instance !== undefined ? { instance } : {}) };
  for (const c of upSteps) {
    for (const [what, mishap] of Object.entries(MISHAPS)) {
      t.test(`${step(c)}: ${what}`, async (t) => {
        const engine = new MemoryEngine().at(c.op, c.nth, mishap());
        const process = engine.runtime();
        const result = await outcome(cliUp(process, instance));
        const expected = "vanish" in mishap() ? upAfterVanish(c, engine.vanished) : retried(c) && instance === undefined ? "up" : 3;
        if (expected === "up") {
          t.ok(result.ok, `up goes on${result.ok ? "" : `: ${String((result as { error: unknown }).error)}`}`);
          await down(lab(), { ...options, runtime: engine.runtime() });
          t.same(engine.left(), [], "down removes all of it");
          return;
        }
        t.notOk(result.ok, "up fails");
        if (!result.ok) t.equal(result.exit, expected, `exit ${expected}: ${String(result.error).split("\n")[0]}`);
        if (c.op === "release") {
          // The lab came up; releasing its lock failed: the lab stays up, and the lock's
          // container ends with the process (stale), which the next down removes.
          t.ok(
            engine.left().some((l) => l.startsWith("container ")),
            "the lab is up",
          );
          process.die();
          t.ok((await outcome(down(lab(), { ...options, runtime: engine.runtime() }))).ok, "the next down succeeds");
          t.same(engine.left(), [], "and removes the lab and the stale lock");
          return;
        }
        t.same(engine.left(), [], "nothing of the lab is left: no network, no container, no lock");
      });
    }
  }
}

t.test("up: every step fails in turn", async (t) => everyStepOfUp(t, steps.up));

t.test("up of an instance: every step fails in turn", async (t) => {
  t.ok(
    instanceSteps.up.some((c) => c.op === "subnets") && !instanceSteps.up.some((c, i) => c.op === "hostRoutes" && i === 0),
    "it reads the engine's subnets to place itself, and no host routes ahead",
  );
  everyStepOfUp(t, instanceSteps.up, INSTANCE);
});

t.test("up: Ctrl-C at every step ends with exit 130 and nothing left", async (t) => {
  // The CLI's up releases the lock once up returned: Ctrl-C there finds the lab up, as it should.
  for (const c of steps.up.filter((c) => c.op !== "release")) {
    t.test(step(c), async (t) => {
      const controller = new AbortController();
      const engine = new MemoryEngine().at(c.op, c.nth, { before: () => controller.abort() });
      const result = await outcome(up(lab(), { runtime: engine.runtime(), signal: controller.signal, wait: WAIT }));
      t.notOk(result.ok, "up ends");
      if (!result.ok) t.equal(result.exit, 130, `exit 130: ${String(result.error).split("\n")[0]}`);
      t.same(engine.left(), [], "nothing of the lab is left");
    });
  }
});

t.test("up: Ctrl-C while a node's first command runs ends up at once, and the removal ends the command", async (t) => {
  // The command (a lab's `run: [[sleep, "30"]]`) runs until its container is removed: up must not
  // wait for it to end before removing the lab, as it did (a Ctrl-C then took 30 s).
  const controller = new AbortController();
  const engine = new MemoryEngine();
  let endedBy = "";
  engine.at("boot", 1, {
    before: async (call) => {
      controller.abort();
      for (let i = 0; i < 2000 && engine.containers.has(call.container!); i++) await new Promise((r) => setTimeout(r, 1));
      endedBy = engine.containers.has(call.container!) ? "itself (2 s)" : "its container's removal";
    },
  });
  const result = await outcome(up(lab(), { runtime: engine.runtime(), signal: controller.signal, wait: WAIT }));
  t.notOk(result.ok, "up ends");
  if (!result.ok) t.equal(result.exit, 130, `exit 130: ${String(result.error).split("\n")[0]}`);
  t.equal(endedBy, "its container's removal", "the command ended because up removed the lab");
  t.same(engine.left(), [], "nothing of the lab is left, not even what was made while the command ran");
});

t.test("up: Ctrl-C while a node is being made: what it makes after the removal is removed too", async (t) => {
  // The last node's container is made only after up's first removal of the lab: a second removal
  // (once the cut-short work has ended) takes it.
  const controller = new AbortController();
  const engine = new MemoryEngine();
  const last = steps.up.filter((c) => c.op === "createNode").length;
  let madeAfterRemoval = false;
  engine.at("createNode", last, {
    before: async () => {
      controller.abort();
      // The removal has listed the lab's containers when it removes the first.
      const listed = () => engine.calls.some((c) => c.op === "removeContainer");
      for (let i = 0; i < 2000 && !listed(); i++) await new Promise((r) => setTimeout(r, 1));
      madeAfterRemoval = listed();
    },
  });
  const result = await outcome(up(lab(), { runtime: engine.runtime(), signal: controller.signal, wait: WAIT }));
  if (!result.ok) t.equal(result.exit, 130, `exit 130: ${String(result.error).split("\n")[0]}`);
  else t.fail("up ends");
  t.ok(madeAfterRemoval, "the node's container was made after up's removal had listed the lab's");
  t.same(engine.left(), [], "nothing of the lab is left");
});

/** `zmqlab down` (by file) in a process of its own, after a clean `zmqlab up`. */
t.test("down (another process): every step fails in turn", async (t) => {
  for (const c of steps.down) {
    for (const [what, mishap] of Object.entries(MISHAPS)) {
      t.test(`${step(c)}: ${what}`, async (t) => {
        const engine = new MemoryEngine();
        await cliUp(engine.runtime());
        engine.at(c.op, c.nth, mishap());
        const process = engine.runtime();
        const result = await outcome(down(lab(), { runtime: process, wait: WAIT }));
        const vanishing = "vanish" in mishap();
        // The lock's container vanishing before it started: down cannot know the lab is its own.
        const lockGone = vanishing && engine.vanished.some((n) => n.startsWith("zmqlab-lock.")) && (c.op === "lock" || c.op === "lockStart");
        if (vanishing && !lockGone) {
          t.ok(result.ok, "what is gone stays gone: down goes on");
          t.same(engine.left(), [], "nothing of the lab is left");
          return;
        }
        t.notOk(result.ok, "down fails");
        if (!result.ok) t.equal(result.exit, 3, `exit 3: ${String(result.error).split("\n")[0]}`);
        if (c.op !== "release")
          t.same(
            engine.left().filter((l) => l.startsWith("lock ")),
            [],
            "its lock is released",
          );
        // The process ends (its lock, if releasing failed, goes stale); the next down removes the rest.
        process.die();
        const again = await outcome(down(lab(), { runtime: engine.runtime(), wait: WAIT }));
        t.ok(again.ok, "the next down succeeds");
        t.same(engine.left(), [], "and leaves nothing of the lab");
      });
    }
  }
});

/** RunningLab.down() in the process that brought the lab up through the API. */
t.test("RunningLab.down: every step fails in turn", async (t) => {
  for (const c of steps.apiDown) {
    for (const [what, mishap] of Object.entries(MISHAPS)) {
      t.test(`${step(c)}: ${what}`, async (t) => {
        const engine = new MemoryEngine();
        const process = engine.runtime();
        const running = await up(lab(), { wait: WAIT, runtime: process });
        // The counts of a fresh engine's up are those of the clean run: the step's nth is this down's.
        engine.at(c.op, c.nth, mishap());
        const result = await outcome(running.down());
        if ("vanish" in mishap()) {
          t.ok(result.ok, "what is gone stays gone: down goes on");
          t.same(engine.left(), [], "nothing of the lab is left");
          return;
        }
        t.notOk(result.ok, "down fails");
        if (!result.ok) t.equal(result.exit, 3, `exit 3: ${String(result.error).split("\n")[0]}`);
        if (c.op !== "release")
          t.same(
            engine.left().filter((l) => l.startsWith("lock ")),
            [],
            "its lock is released",
          );
        process.die();
        t.ok((await outcome(down(lab(), { runtime: engine.runtime(), wait: WAIT }))).ok, "the next down succeeds");
        t.same(engine.left(), [], "and leaves nothing of the lab");
      });
    }
  }
});

t.test("a bug is not an engine error: it stays a bug (exit 4), and up still removes what it made", async (t) => {
  const engine = new MemoryEngine().at("boot", 2, { error: new TypeError("Cannot read properties of undefined (reading 'state')") });
  const result = await outcome(up(lab(), { wait: WAIT, runtime: engine.runtime() }));
  t.notOk(result.ok);
  if (!result.ok) {
    t.equal(result.exit, 4, "exit 4: an internal error");
    t.type(result.error, TypeError, "with its own stack trace");
  }
  t.same(engine.left(), [], "nothing of the lab is left");
});

t.test("the checks above can fail: a lab left on the engine is seen", async (t) => {
  const engine = new MemoryEngine();
  await cliUp(engine.runtime());
  t.not(engine.left().length, 0, "left() lists the lab's networks and containers");
  t.equal(exitClass(dockerError(500, "x")), 3, "an engine error the runtime let through is still exit 3 at the CLI");
});

t.test("a second failure while up cleans up after the first: the first is the one reported, the rest is said beside it", async (t) => {
  for (const second of [
    { op: "removeContainer", says: /could not remove what was created \(.*removal refused.*\): zmqlab down mem removes what is left/ },
    { op: "release", says: /could not release the lab's lock \(.*removal refused.*\): it goes when this process ends/ },
  ] as const) {
    const engine = new MemoryEngine().at("createNode", 3, { error: dockerError(500, "the first cause") }).at(second.op, 1, { error: dockerError(500, "removal refused") });
    const process = engine.runtime();
    const lines: string[] = [];
    const result = await outcome(up(lab(), { runtime: process, wait: WAIT, log: (l) => lines.push(l) }));
    t.notOk(result.ok);
    if (!result.ok) {
      t.equal(result.exit, 3);
      t.match(String(result.error), "The Docker engine failed to create container zmqlab-mem-r2 (node r2) (the first cause)", `${second.op} failing too: the cause is reported`);
    }
    t.match(lines.join("\n"), second.says, "and what is left is said");
    process.die();
    t.ok((await outcome(down(lab(), { runtime: engine.runtime(), wait: WAIT }))).ok, "the next down succeeds");
    t.same(engine.left(), [], "and leaves nothing");
  }
});
