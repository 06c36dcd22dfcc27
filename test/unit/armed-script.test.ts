// The armed script on this machine's own shells (no Docker): it runs a list at the time it is
// given, by its own clock, and reports what ran; under sh (no clock) it runs at once.
import { spawn } from "node:child_process";
import { readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import t from "tap";
import { wallNow } from "../../shared/clock.js";
import { ArmedOutput, armedArgv, type ArmedList, type ListRun } from "../../controller/traffic/armed.js";
import { batched } from "../../controller/traffic/armed-tools.js";
import { scratchDir } from "../support/scratch.js";

// A PATH with what the script and the lists use, and no `sleep`: a wait that forked one would not wait.
const bin = scratchDir("zmqlab-armed-bin-");
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

// Stand-ins for tc and nft that answer as the real ones do in batch and interactive mode (a
// failed line: its error, then "Command failed -:N" for tc; "Error: ..." and the line for nft)
// and log each command with their pid: one pid for every batched command means no process was
// started for it. The real tools answer so in test/integration (faults, lossy-link, latency).
const tools = scratchDir("zmqlab-armed-tools-");
t.teardown(() => rmSync(tools, { recursive: true, force: true }));
for (const tool of ["bash", "sh", "mktemp", "mkfifo", "rm", "cat"]) symlinkSync(`/usr/bin/${tool}`, join(tools, tool));
writeFileSync(
  join(tools, "tc"),
  `#!/usr/bin/bash
[ "$*" = "-force -batch -" ] || { echo "$$ exec $*" >> "$LOG"; [ "$1" != fail ]; exit; }
n=0
while IFS= read -r line; do
  n=$((n + 1))
  case $line in
    fail*) echo "RTNETLINK answers: No such device" >&2; echo "Command failed -:$n" >&2 ;;
    *" "*) echo "$$ batch $line" >> "$LOG" ;;
    *) echo "Object \\"$line\\" is unknown, try \\"tc help\\"." >&2; echo "Command failed -:$n" >&2 ;;
  esac
done
`,
  { mode: 0o755 },
);
writeFileSync(
  join(tools, "nft"),
  `#!/usr/bin/bash
j=""; if [ "$1" = -j ]; then j="-j "; shift; fi
[ "$1" = -i ] || { echo "$$ exec $j$*" >> "$LOG"; exit 0; }
while IFS= read -r line; do
  case $line in
    "list "*) echo "{\\"listed\\": \\"$j$line\\"}" ;;
    fail*) echo "Error: Could not process rule: No such file or directory" >&2; echo "$line" >&2; echo "^^^^" >&2 ;;
    *" "*) echo "$$ batch $j$line" >> "$LOG" ;;
    *) echo "Error: syntax error, unexpected junk" >&2; echo "$line" >&2; echo "^" >&2 ;;
  esac
done
`,
  { mode: 0o755 },
);

async function runLists(shell: "bash" | "sh", lists: ArmedList[], fire: number[]): Promise<{ runs: ListRun[]; log: string[] }> {
  const log = join(tools, `log-${shell}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(log, "");
  const argv = armedArgv(lists, shell === "bash");
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "pipe", "inherit"], env: { PATH: tools, LOG: log } });
  const runs: ListRun[] = [];
  const output = new ArmedOutput((_, run) => runs.push(run));
  const read = (async () => {
    for await (const line of createInterface({ input: child.stdout })) output.line(line, wallNow());
  })();
  for (const k of fire) child.stdin.write(`${k}\n`);
  child.stdin.end();
  await read;
  return { runs, log: readFileSync(log, "utf8").split("\n").filter(Boolean) };
}

const own = (argv: string[]) => batched(argv) ?? argv;

t.test("bash: zmqlab's own tc and nft commands run in one long-lived tool each, never a process of their own; the lab's own argv does", async (t) => {
  const lists: ArmedList[] = [
    [own(["tc", "qdisc", "replace", "dev", "eth0", "root", "tbf", "rate", "1mbit"]), own(["nft", "add", "table", "inet", "x", ";", "delete", "table", "inet", "x"])],
    [own(["nft", "-j", "list", "table", "inet", "zmqlab"])],
    [own(["tc", "fail", "now"]), own(["tc", "qdisc", "del", "dev", "eth0", "root"])],
    [own(["nft", "fail", "rule"])],
    [["tc", "qdisc", "show"]],
    [own(["tc", "qdisc", "del", "dev", "eth1", "root"])],
  ];
  const { runs, log } = await runLists("bash", lists, [0, 1, 2, 3, 4, 5]);
  t.same(
    runs.map((r) => r.commands.map((c) => [c.exitCode, c.stdout, c.stderr])),
    [
      [
        [0, "", ""],
        [0, "", ""],
      ],
      [[0, '{"listed": "-j list table inet zmqlab"}', ""]],
      [[1, "", "RTNETLINK answers: No such device"]],
      [[1, "", "Error: Could not process rule: No such file or directory\nfail rule\n^^^^"]],
      [[0, "", ""]],
      [[0, "", ""]],
    ],
    "each command's exit code and output as if it had run as a process; a failed one ends its list",
  );
  const pid = (line: string) => line.split(" ")[0];
  const tc = log.filter((l) => / batch qdisc/.test(l));
  t.same(
    tc.map((l) => l.slice(pid(l)!.length + 1)),
    ["batch qdisc replace dev eth0 root tbf rate 1mbit", "batch qdisc del dev eth1 root"],
    "tc's lines, as their words",
  );
  t.equal(new Set(tc.map(pid)).size, 1, "one tc process for them all");
  t.same(
    log.filter((l) => / batch (add|-j)/.test(l)).map((l) => l.slice(pid(l)!.length + 1)),
    ["batch add table inet x ; delete table inet x"],
    "nft's transaction, one line",
  );
  t.same(
    log.filter((l) => / exec /.test(l)).map((l) => l.slice(pid(l)!.length + 1)),
    ["exec qdisc show"],
    "only the lab's own argv started a process",
  );
});

t.test("sh (no tools kept running), and a tool that is not there: every command is a process of its own", async (t) => {
  const lists: ArmedList[] = [[own(["tc", "qdisc", "del", "dev", "eth0", "root"]), own(["nft", "-j", "list", "table", "inet", "zmqlab"])], [own(["ip", "link", "set", "dev", "eth0", "down"])]];
  const { runs, log } = await runLists("sh", lists, [0]);
  t.same(
    log.map((l) => l.replace(/^\d+ /, "")),
    ["exec qdisc del dev eth0 root", "exec -j list table inet zmqlab"],
  );
  t.equal(runs[0]!.commands.length, 2);
  const bash = await runLists("bash", lists, [1]);
  t.equal(bash.runs[0]!.commands[0]!.exitCode, 127, "no ip here: run as a process, not found");
});

t.test("which commands go to a tool: plain words without options (nft: any word, -j its only option)", async (t) => {
  t.same(batched(["tc", "qdisc", "replace", "dev", "eth0", "root", "tbf", "rate", "1mbit"])?.tool, "tc");
  t.same(batched(["ip", "link", "set", "dev", "eth0", "down"])?.tool, "ip");
  t.equal(batched(["ip", "-6", "addr", "replace", "fd00::1/64", "dev", "eth0"]), undefined, "an option: a batch line has none");
  t.equal(batched(["tc", "qdisc", "add", "dev", "a b"]), undefined, "a word the batch line would split");
  t.equal(batched(["ip", "link", "set", "dev", "eth0", "alias", '"x"']), undefined, "a word it would unquote");
  t.same(batched(["nft", "add", "chain", "inet", "t", "c", "{", "type", "filter", "hook", "input", "priority", "0", ";", "}"])?.tool, "nft");
  t.same(batched(["nft", "-j", "list", "table", "inet", "zmqlab"])?.tool, "nftj");
  t.equal(batched(["nft", "-a", "list", "ruleset"]), undefined);
  t.equal(batched(["nft", "add", "rule", "inet", "t", "c", "comment", '"a\nb"']), undefined, "a line break: two lines");
  t.equal(batched(["sh", "-c", "true"]), undefined, "not a tool zmqlab keeps");
});
