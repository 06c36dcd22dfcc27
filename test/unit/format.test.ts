// Every TypeScript file of the tree is as Prettier writes it (configured in package.json): a
// change that is not formatted fails here, with the files to run `npm run format` on.
import t from "tap";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const ROOT = process.cwd();

t.test("every .ts file is formatted (npm run format)", async (t) => {
  const check = spawnSync(process.execPath, [join(ROOT, "node_modules", "prettier", "bin", "prettier.cjs"), "--check", "**/*.ts"], { cwd: ROOT, encoding: "utf8" });
  const unformatted = check.stderr
    .split("\n")
    .filter((l) => l.startsWith("[warn] ") && l.endsWith(".ts"))
    .map((l) => l.slice(7));
  t.same(unformatted, [], "no file Prettier would change");
  t.equal(check.status, 0, "prettier --check exits 0");
});

t.test("the check can fail: an unformatted text is found", async (t) => {
  const check = spawnSync(process.execPath, [join(ROOT, "node_modules", "prettier", "bin", "prettier.cjs"), "--check", "--stdin-filepath", "x.ts"], {
    cwd: ROOT,
    encoding: "utf8",
    input: "const  x = {a:1}\n",
  });
  t.not(check.status, 0, "prettier --check fails on it");
});
