// The armed script (controller/traffic/armed.ts) run by this machine's own bash and sh, as a node
// runs it: lists fired at once, lists fired at a time (the shell waits for it by its clock, or,
// without a clock, the controller sends the line at the time), argument lists never parsed by a
// shell, a failing command ending its list, and what each list took per command.
import { wallNow } from "../../shared/clock.js";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import t from "tap";
import type { Process } from "../../controller/engine/exec.js";
import type { NodeHandle } from "../../controller/engine/runtime.js";
import { ArmedNode, changeCosts, type ArmedList } from "../../controller/traffic/armed.js";

const now = wallNow;

/** A NodeHandle whose spawn runs the argv here, as an exec in a node would. */
function localHandle(): NodeHandle {
  return {
    node: "local",
    spawn: async (argv: string[]): Promise<Process> => {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      return {
        lines: createInterface({ input: child.stdout }),
        stderr: () => stderr,
        write: (line) => void child.stdin.write(`${line}\n`),
        closeInput: () => child.stdin.end(),
        release: () => child.kill(),
        exited: new Promise((resolve) => child.on("close", (code) => resolve(code ?? -1))),
      };
    },
  } as unknown as NodeHandle;
}

const LISTS: ArmedList[] = [[["printf", "%s|", "a b", "$(touch /tmp/never)", "; echo no"]], [["true"], ["sh", "-c", "echo out; echo err >&2; exit 3"], ["echo", "never"]], [["echo", "later"]]];

for (const bash of [true, false]) {
  t.test(bash ? "bash: the node waits for a list's time by its own clock" : "sh: no clock, the line goes at the time", async (t) => {
    const armed = await ArmedNode.arm(localHandle(), LISTS, bash);
    t.equal(armed.clock, bash);
    t.equal(armed.commandMs(), undefined, "no list ran yet: nothing measured");

    const words = await armed.fire(0);
    t.ok(words, "list 0 ran");
    t.same(
      words!.commands.map((c) => [c.exitCode, c.stdout]),
      [[0, "a b|$(touch /tmp/never)|; echo no|"]],
      "words as given: no expansion, no second command",
    );
    t.equal(words!.nodeClock, bash, "times from the node's clock where the shell has one");
    t.ok(words!.begin <= words!.end);

    const failing = await armed.fire(1);
    t.same(
      failing!.commands.map((c) => [c.exitCode, c.stdout, c.stderr]),
      [
        [0, "", ""],
        [3, "out", "err"],
      ],
      "the failing command ends its list, with its output and stderr",
    );

    // Fired 400 ms ahead: it begins at its time, not when the line was written (how late: the bench's figure).
    const at = now() + 400;
    const timed = await armed.fireAt(2, at);
    t.same(
      timed!.commands.map((c) => c.stdout),
      ["later"],
    );
    t.ok(timed!.begin >= at - 5, `began at its time (${(timed!.begin - at).toFixed(1)} ms from it)`);

    if (bash) t.ok(armed.commandMs()! >= 0, "what a command takes here, measured");
    else t.equal(armed.commandMs(), undefined, "without a clock, nothing measured");
    armed.close();
    await armed.finished;
    t.equal(await armed.fire(0), undefined, "after the end, a list answers nothing");
  });
}

t.test("lists fired at times run in the order sent: a later one waits for the earlier one's moment", async (t) => {
  const armed = await ArmedNode.arm(localHandle(), LISTS, true);
  const base = now();
  const [first, second] = await Promise.all([armed.fireAt(2, base + 300), armed.fireAt(0, base + 100)]);
  t.ok(first!.begin >= base + 295, "the first line's list at its time");
  t.ok(second!.begin >= first!.end, "the second after it, though its own time had passed");
  armed.close();
  await armed.finished;
});

t.test("beside: lists of zmqlab's own commands run beside the node where the engine can, else in it", async (t) => {
  const where: string[] = [];
  const handle = (withBeside: boolean): NodeHandle => {
    const local = localHandle();
    const spawnIn = (side: string) => (argv: string[]) => {
      where.push(side);
      return local.spawn(argv);
    };
    return { ...local, spawn: spawnIn("node"), ...(withBeside ? { spawnBeside: spawnIn("beside") } : {}) } as NodeHandle;
  };
  for (const [withBeside, bash, beside, expected] of [
    [true, true, true, "beside"],
    [true, true, false, "node"],
    [true, false, true, "node"],
    [false, true, true, "node"],
  ] as const) {
    const armed = await ArmedNode.arm(handle(withBeside), LISTS, bash, beside);
    t.equal(where.at(-1), expected, `engine ${withBeside ? "with" : "without"} a place beside, ${bash ? "bash" : "sh"}, asked ${beside ? "beside" : "in the node"}`);
    armed.close();
    await armed.finished;
  }
});

t.test("what a change costs: each command from the one before, never a wait or a reading", async (t) => {
  const list: ArmedList = [
    { tool: "tc", argv: ["tc", "qdisc", "change"] },
    ["sleep", "0.2"],
    { tool: "tc", argv: ["tc", "qdisc", "del"] },
    { tool: "nftj", argv: ["nft", "-j", "list", "table", "inet", "x"] },
    ["nft", "-j", "list", "ruleset"],
    ["ip", "link"],
  ];
  const ran = (ends: number[]) => ({ begin: 1000, end: ends.at(-1)!, nodeClock: true, commands: ends.map((end) => ({ exitCode: 0, stdout: "", stderr: "", end })) });
  t.same(changeCosts(list, ran([1003, 1203, 1207, 1290, 1390, 1395])), [3, 4, 5], "the changes: 3 ms, 4 ms after the sleep, 5 ms after the readings");
  t.same(changeCosts(list, ran([1003, 1203])), [3], "a list cut short by a failure: what ran");
  t.same(changeCosts(list, { ...ran([1003]), commands: [{ exitCode: 0, stdout: "", stderr: "" }] }), [], "no end, no cost");
});
