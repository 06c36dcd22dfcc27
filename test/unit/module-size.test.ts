// Provisioning and the traffic phase stay split by job (issue 21): no module of provision/ or
// traffic/ grows past 300 lines, as Prettier writes them. One that does is a job to split off.
import t from "tap";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const MAX_LINES = 300;

function modules(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? modules(path) : name.endsWith(".ts") ? [path] : [];
  });
}

const lines = (path: string) => readFileSync(path, "utf8").split("\n").length - 1;

t.test(`every module of controller/provision and controller/traffic has at most ${MAX_LINES} lines`, async (t) => {
  const files = [...modules("controller/provision"), ...modules("controller/traffic")];
  t.ok(files.length > 20, `the modules are found (${files.length})`);
  t.same(
    files.filter((f) => lines(f) > MAX_LINES).map((f) => `${f}: ${lines(f)} lines`),
    [],
    "none over the limit",
  );
});

t.test("the check can fail: a module of 301 lines is found over the limit", async (t) => {
  const dir = t.testdir({ "big.ts": "x;\n".repeat(MAX_LINES + 1), "small.ts": "x;\n" });
  t.same(
    modules(dir)
      .filter((f) => lines(f) > MAX_LINES)
      .map((f) => `${f.slice(dir.length + 1)}: ${lines(f)} lines`),
    [`big.ts: ${MAX_LINES + 1} lines`],
  );
});
