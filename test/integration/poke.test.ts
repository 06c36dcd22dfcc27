// Poking at a running lab by hand: `zmqlab exec` and `zmqlab shell` find a node by the lab's
// file or name and pass the command's output and exit code through; a shell gets a terminal
// when zmqlab runs in one and reads commands from stdin when not.
import t from "tap";
import { spawn } from "node:child_process";
import { CLI, ROOT, upWhenFree } from "../support/helpers.js";

const LAB = "test/fixtures/poke";

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a program with `input` as its whole stdin (then closed). */
function run(program: string, args: string[], input = ""): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
const zmqlab = (args: string[], input = "") => run(process.execPath, [CLI, ...args], input);

t.test("exec and shell on a lab that is up", async (t) => {
  const lab = await upWhenFree(LAB);
  t.teardown(() => lab.down());

  t.test("exec passes the exit code, stdout and stderr through", async (t) => {
    const result = await zmqlab(["exec", LAB, "alpha", "--", "sh", "-c", "echo out; echo err >&2; exit 7"]);
    t.equal(result.code, 7);
    t.equal(result.stdout, "out\n");
    t.equal(result.stderr, "err\n");
    const ok = await zmqlab(["exec", LAB, "alpha", "--", "true"]);
    t.equal(ok.code, 0);
  });

  t.test("exec finds the node by the lab's name too, and runs in that node's kernel", async (t) => {
    const result = await zmqlab(["exec", "zmqlab-poke", "beta", "--", "ip", "-4", "-o", "addr", "show"]);
    t.equal(result.code, 0, result.stderr);
    t.match(result.stdout, /inet 198\.19\.51\.20\/24/);
    t.notMatch(result.stdout, /198\.19\.51\.10/, "not alpha's kernel");
  });

  t.test("exec hands piped input to the command", async (t) => {
    const result = await zmqlab(["exec", LAB, "alpha", "--", "sh", "-c", "read line; echo got $line"], "piped\n");
    t.equal(result.code, 0, result.stderr);
    t.equal(result.stdout, "got piped\n");
  });

  t.test("a command the node does not have: the engine's exit code and message", async (t) => {
    const result = await zmqlab(["exec", LAB, "alpha", "--", "no-such-program"]);
    t.not(result.code, 0);
    t.match(result.stdout + result.stderr, /no-such-program/);
  });

  t.test("shell with piped stdin runs the commands and exits with the shell's code", async (t) => {
    const result = await zmqlab(["shell", LAB, "beta"], "echo hi; exit 3\n");
    t.equal(result.code, 3, result.stderr);
    t.equal(result.stdout, "hi\n");
  });

  t.test("shell in a terminal gets a terminal", async (t) => {
    // script(1) runs zmqlab on a pseudo-terminal and copies this input into it.
    const command = [process.execPath, CLI, "shell", LAB, "alpha"].join(" ");
    const result = await run("script", ["-q", "-e", "-c", command, "/dev/null"], "tty; echo sum-$((40+2)); exit 4\n");
    t.equal(result.code, 4, result.stderr);
    t.match(result.stdout, /\/dev\/pts\/\d+/, "the shell's stdin is a terminal");
    t.match(result.stdout, /sum-42/, "the shell ran the command (not just echoed it)");
  });

  t.test("a node the lab does not have: exit 2, naming the nodes", async (t) => {
    for (const target of [LAB, "zmqlab-poke"]) {
      const result = await zmqlab(["exec", target, "gamma", "--", "true"]);
      t.equal(result.code, 2, target);
      t.match(result.stderr, /no node "gamma"/);
      t.match(result.stderr, /hint: .*nodes: alpha, beta/);
    }
    const shell = await zmqlab(["shell", "zmqlab-poke", "alpah"], "exit 0\n");
    t.equal(shell.code, 2);
    t.match(shell.stderr, /did you mean alpha\?/);
  });

  t.test("down by a name no engine has: exit 3 with the likely lab, which stays up", async (t) => {
    const result = await zmqlab(["down", "zmqlab-pkoe"]);
    t.equal(result.code, 3, result.stderr);
    t.match(result.stderr, /^No lab zmqlab-pkoe on this engine: nothing removed\.\n  hint: did you mean zmqlab-poke\? labs there: .*zmqlab-poke/);
    const still = await zmqlab(["exec", "zmqlab-poke", "alpha", "--", "true"]);
    t.equal(still.code, 0, "the lab is still up");
  });
});

t.test("a lab that is not up: exit 3", async (t) => {
  const byFile = await zmqlab(["exec", LAB, "alpha", "--", "true"]);
  t.equal(byFile.code, 3);
  t.match(byFile.stderr, /Lab zmqlab-poke is not up/);
  t.match(byFile.stderr, /hint: bring it up first: zmqlab up test\/fixtures\/poke/);
  const byName = await zmqlab(["shell", "zmqlab-poke", "alpha"], "exit 0\n");
  t.equal(byName.code, 3);
  t.match(byName.stderr, /Lab zmqlab-poke is not up/);
});

t.test("down of a lab that is not up: by its file nothing to do (exit 0), by its name exit 3", async (t) => {
  for (let round = 1; round <= 2; round++) {
    const byFile = await zmqlab(["down", LAB]);
    t.equal(byFile.code, 0, `round ${round}: down after down, by file`);
    t.equal(byFile.stdout, "lab zmqlab-poke is not up: nothing to remove\n");
  }
  const byName = await zmqlab(["down", "zmqlab-poke"]);
  t.equal(byName.code, 3);
  t.match(byName.stderr, /^No lab zmqlab-poke on this engine: nothing removed\.\n  hint: /);
  t.equal(byName.stdout, "");
});
