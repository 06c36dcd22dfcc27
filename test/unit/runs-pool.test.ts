// Many runs of a lab on the in-memory engine (no Docker): at most `jobs` at once, each its own
// instance; outcomes in the jobs' order; a run the engine refuses is that run's error, not the
// pool's; Ctrl-C (an aborted signal) starts nothing more, stops what runs, leaves nothing on the
// engine and ends in Cancelled; a kept run's own report files.
import t from "tap";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { dockerError, MemoryEngine } from "../../controller/engine/memory-runtime.js";
import { Cancelled } from "../../controller/errors.js";
import { parseLab } from "../../controller/lab/load.js";
import { runFileName, runMany, type PoolProgress } from "../../controller/runs/pool.js";
import { repeat } from "../../controller/runs/repeat.js";

const loaded = () =>
  parseLab(
    `name: pool
networks:
  lan: { subnet: 198.18.1.0/24 }
nodes:
  a: { interfaces: { lan: 198.18.1.10 } }
  r: { forward: true, interfaces: { lan: 198.18.1.2 } }
settings: { handshakeTimeout: 100, linger: 0 }
`,
    "pool.yaml",
  );

const jobs = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `run ${i + 1}`, loaded: loaded() }));

t.test("at most `jobs` at once, every run an instance of its own, outcomes in order", async (t) => {
  const engine = new MemoryEngine();
  const seen: PoolProgress[] = [];
  const outcomes = await runMany(jobs(5), { jobs: 2, runtime: engine.runtime(), onProgress: (p) => seen.push(p) });
  t.same(
    outcomes.map((o) => o.index),
    [0, 1, 2, 3, 4],
  );
  t.ok(
    outcomes.every((o) => o.report?.ok),
    "each judged",
  );
  t.equal(new Set(outcomes.map((o) => o.report?.instance?.name)).size, 5, "five instances");
  t.equal(Math.max(...seen.map((p) => p.running)), 2, "never more than two at once");
  t.same(seen.at(-1), { total: 5, done: 5, running: 0, left: 0, failed: 0 });
  t.ok(
    seen.every((p) => p.done + p.running + p.left === 5),
    "done, running and left add up",
  );
  t.same(engine.left(), [], "nothing left on the engine");
});

t.test("a run the engine refuses is that run's error; the others are made", async (t) => {
  const engine = new MemoryEngine();
  engine.at("createNetwork", 2, { error: dockerError(500, "no space left on device") });
  const seen: PoolProgress[] = [];
  const outcomes = await runMany(jobs(3), { runtime: engine.runtime(), onProgress: (p) => seen.push(p) });
  t.same(
    outcomes.map((o) => o.report !== undefined),
    [true, false, true],
  );
  t.match(outcomes[1]!.error, /no space left on device/);
  t.equal(seen.at(-1)!.failed, 1);
  t.same(engine.left(), []);
});

t.test("Ctrl-C: nothing more starts, what runs stops, nothing is left, Cancelled", async (t) => {
  const engine = new MemoryEngine();
  const ctrlC = new AbortController();
  let started = 0;
  const result = runMany(jobs(6), {
    jobs: 2,
    runtime: engine.runtime(),
    signal: ctrlC.signal,
    onProgress: (p, ended) => {
      if (!ended) started++;
      if (p.done === 1) ctrlC.abort();
    },
  });
  const err = await result.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(err, Cancelled);
  t.match((err as Error).message, /^interrupted: \d of 6 runs done; every run stopped and its lab removed$/);
  t.ok(started <= 3, `no run started after the interrupt (${started} started)`);
  t.same(engine.left(), [], "every instance removed");
  t.type(await runMany(jobs(1), { runtime: engine.runtime(), signal: ctrlC.signal }).catch((e: unknown) => e), Cancelled, "interrupted already: no run at all");
});

t.test("kept reports: a file per run that keeps one, named by its place and name", async (t) => {
  const dir = t.testdir();
  const engine = new MemoryEngine();
  const outcomes = await runMany(jobs(2), { runtime: engine.runtime(), reports: { dir, keep: (r) => r.instance!.name !== "", page: (lab, r) => `<p>${lab.name} ${r.ok}</p>` } });
  t.same(
    outcomes.map((o) => o.files),
    [
      { json: join(dir, "0-run-1.json"), html: join(dir, "0-run-1.html") },
      { json: join(dir, "1-run-2.json"), html: join(dir, "1-run-2.html") },
    ],
  );
  t.equal(JSON.parse(readFileSync(join(dir, "0-run-1.json"), "utf8")).lab, "pool");
  t.equal(readFileSync(join(dir, "1-run-2.html"), "utf8"), "<p>pool true</p>");
  t.equal(runFileName(3, "down r1:servers", 12), "03-down-r1-servers");
  t.equal(runFileName(0, "???", 1), "0-run");
  // --repeat keeps failing runs only: these pass.
  const quiet = t.testdir();
  const report = await repeat(loaded(), { times: 2, jobs: 2, runtime: engine.runtime(), reports: join(quiet, "runs") });
  t.equal(report.ok, true);
  t.notOk(existsSync(join(quiet, "runs")), "no failing run, no file");
  t.same(
    report.results.map((r) => r.report),
    [undefined, undefined],
  );
  t.same(engine.left(), []);
});
