// The armed script on this machine's own shells (no Docker): it runs a list at the time it is
// given, by its own clock, and reports what ran; under sh (no clock) it runs at once.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import t from "tap";
import { wallNow } from "../../shared/clock.js";
import { ArmedOutput, armedArgv, type ListRun } from "../../controller/traffic/armed.js";

// A PATH with what the script and the lists use, and no `sleep`: a wait that forked one would not wait.
const bin = mkdtempSync(join(tmpdir(), "zmqlab-armed-bin-"));
for (const tool of ["bash", "sh", "mktemp", "mkfifo", "rm", "cat", "echo", "false"]) symlinkSync(`/usr/bin/${tool}`, join(bin, tool));
t.teardown(() => rmSync(bin, { recursive: true, force: true }));

async function armed(shell: "bash" | "sh", lines: (start: number) => string[]): Promise<{ runs: ListRun[]; start: number }> {
  const argv = armedArgv([[["echo", "one; two"]], [["echo", "$HOME"], ["false"], ["echo", "never"]]], shell === "bash");
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "pipe", "inherit"], env: { PATH: bin, HOME: "/home" } });
  const runs: ListRun[] = [];
  const output = new ArmedOutput((_, run) => runs.push(run));
  const read = (async () => {
    for await (const line of createInterface({ input: child.stdout })) output.line(line, wallNow());
  })();
  const start = wallNow();
  for (const line of lines(start)) child.stdin.write(`${line}\n`);
  child.stdin.end();
  await read;
  return { runs, start };
}

t.test("bash: a list runs at its time by the node's clock (waiting without a sleep process), and a failing command ends its list", async (t) => {
  const { runs, start } = await armed("bash", (s) => [`0 ${Math.round((s + 300) * 1000)}`, "1"]);
  t.equal(runs.length, 2);
  const [timed, failing] = runs as [ListRun, ListRun];
  t.ok(timed.nodeClock, "times from the node's clock");
  t.ok(timed.begin >= start + 300, `not before its time: ${(timed.begin - start).toFixed(3)} ms after the line went for 300 ms`);
  t.same(
    timed.commands.map((c) => [c.exitCode, c.stdout]),
    [[0, "one; two"]],
    "the words are one argument each, never parsed by a shell",
  );
  t.same(
    failing.commands.map((c) => [c.exitCode, c.stdout]),
    [
      [0, "$HOME"],
      [1, ""],
    ],
    "the list stops at the first that fails; no word is expanded",
  );
  t.ok(failing.begin >= timed.end, "lists run in the order sent");
});

t.test("bash: a list whose time passed runs at once", async (t) => {
  const { runs, start } = await armed("bash", (s) => [`0 ${Math.round((s - 1000) * 1000)}`]);
  t.equal(runs.length, 1);
  t.ok(runs[0]!.begin - start < 1000, "at once");
});

t.test("sh without a clock: lists run at once, and their times are the reader's", async (t) => {
  const { runs, start } = await armed("sh", (s) => [`0 ${Math.round((s + 5000) * 1000)}`, "1"]);
  t.equal(runs.length, 2);
  t.notOk(runs[0]!.nodeClock);
  t.ok(runs[0]!.begin - start < 5000, "the time is not waited for (the controller sends the line at the moment)");
  t.same(
    runs[1]!.commands.map((c) => c.exitCode),
    [0, 1],
  );
});
