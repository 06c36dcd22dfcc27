// The workshop's files, without Docker: each solution is the same lab as its exercise, with the
// same expectations, valid, on subnets of its own; each README's "By hand" fix can be read.
import t from "tap";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadLab, validateLab } from "../../controller/advanced.js";
import { root } from "../support/golden.js";
import { byHandCommands, EXERCISES, exercisePath, shellWords, solutionPath } from "../support/workshop.js";

t.test("each solution is its exercise's lab, with the same expectations (no Docker)", async (t) => {
  const names = new Set<string>();
  for (const e of EXERCISES) {
    const exercise = loadLab(exercisePath(e)).lab;
    const solution = loadLab(solutionPath(e)).lab;
    t.equal(exercise.name, e.name, `${e.dir}: lab ${e.name}`);
    t.equal(solution.name, exercise.name, `${e.dir}: the solution has the exercise's name`);
    t.same(solution.expect, exercise.expect, `${e.dir}: same expectations`);
    t.same(Object.keys(solution.traffic ?? {}), Object.keys(exercise.traffic ?? {}), `${e.dir}: same endpoints`);
    t.same(Object.keys(solution.nodes), Object.keys(exercise.nodes), `${e.dir}: same nodes`);
    t.same(solution.networks, exercise.networks, `${e.dir}: same networks`);
    t.same(validateLab(exercise), [], `${e.dir}: valid`);
    t.same(validateLab(solution), [], `${e.dir}: solution valid`);
    for (const f of e.failing) t.ok(f < (exercise.expect ?? []).length, `${e.dir}: expectation ${f + 1} exists`);
    for (const n of Object.values(exercise.networks))
      for (const s of ([] as string[]).concat(n.subnet)) {
        const third = Number(s.split(".")[2]);
        t.ok(s.startsWith("198.18.") && third >= 101 && third <= 140, `${e.dir}: ${s} in the workshop's range`);
        t.notOk(names.has(s), `${s} used once`);
        names.add(s);
      }
    if (e.byHand) t.ok(byHandCommands(readFileSync(join(root, exercisePath(e), "README.md"), "utf8"), e.name).length > 0, `${e.dir}: the README has by-hand commands`);
  }
});

t.test("shellWords reads a README's command line", async (t) => {
  t.same(shellWords("docker exec  zmqlab-x-a ip route add 'a b' # comment"), ["docker", "exec", "zmqlab-x-a", "ip", "route", "add", "a b"]);
  t.same(shellWords("echo a#b ''"), ["echo", "a#b", ""], "# inside a word is no comment; an empty quote is a word");
  t.throws(() => shellWords("echo 'open"), { message: "unterminated quote in: echo 'open" });
});
