// A user's script ends by itself: once `run` resolves, or once an `await using` block around `up`
// ends (which takes the lab down), nothing of zmqlab's keeps the process alive: no socket to the
// engine, no timer, no child, no lock's stream. Each script runs in a process of its own, as a
// user's would, with an instance of its own (it takes the lab's lock, waiting on nobody).
import { spawn } from "node:child_process";
import { join } from "node:path";
import t from "tap";
import { labeled, ROOT } from "../support/helpers.js";

interface Ran {
  code: number | null;
  lines: Record<string, unknown>[];
  stderr: string;
  /** How long the process took to exit after its last line. */
  exitAfterMs: number;
}

function script(name: string, args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, "dist", "test", "fixtures", "lifetime", `${name}.js`), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let last = performance.now();
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
      last = performance.now();
    });
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    // A process that does not end by itself is killed at last, and the test says so.
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stderr,
        exitAfterMs: performance.now() - last,
        lines: stdout
          .trim()
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      });
    });
  });
}

const instance = (what: string) => `${what}${process.pid}`;

t.test("after run resolves, the process has no active handles of ours and exits by itself", async (t) => {
  const name = instance("lr");
  const ran = await script("run", ["labs/source-ip", name]);
  t.equal(ran.code, 0, ran.stderr);
  const [result] = ran.lines;
  t.equal(result?.ok, true, "the lab's expectations held");
  t.same(result?.active, result?.before, "nothing active once run resolved but what was before it (the process's own stdout and stderr): no socket, timer or stream of zmqlab's");
  t.ok(ran.exitAfterMs < 2000, `and the process ended by itself (${Math.round(ran.exitAfterMs)} ms after its last line)`);
  t.same(await labeled(`source-ip.${name}`), { containers: 0, networks: 0 }, "run took the lab down");
});

t.test("await using lab = await up(...): a command in a node, then the lab goes at the block's end and the process exits", async (t) => {
  const name = instance("lu");
  const ran = await script("using-up", ["labs/source-ip", name]);
  t.equal(ran.code, 0, ran.stderr);
  const [exec, after] = ran.lines;
  t.same(exec, { lab: `source-ip.${name}`, exitCode: 0, interfaces: 2 }, 'lab.node("client").exec(["ip", "-j", "addr"]) ran in the node (lo and clients)');
  t.same(after?.active, after?.before, "nothing active once the block ended but what was before it (the process's own stdout and stderr)");
  t.ok(ran.exitAfterMs < 2000, `the process ended by itself (${Math.round(ran.exitAfterMs)} ms after its last line)`);
  t.same(await labeled(`source-ip.${name}`), { containers: 0, networks: 0 }, "the block's end took the lab down: nothing of it is left on the engine");
});
