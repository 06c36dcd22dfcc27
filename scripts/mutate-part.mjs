#!/usr/bin/env node
// Mutation testing of part of the code against a few test files: a run that fits between other
// work (`npm run mutate` over everything takes hours on a 2-core machine). Each part keeps its
// own incremental file, so running it again after new tests runs only what they may change.
// The score is a lower bound: a mutant that survives the part's test files may be killed by
// another file of the full list; one they kill is killed.
// Usage: node scripts/mutate-part.mjs NAME --mutate GLOB[,GLOB] --tests PATTERN[,PATTERN] [--unchecked] [stryker args]
//   --unchecked: no TypeScript checker (it type-checks the whole project per mutant, 5-10 s each on
//   a 2-core machine, and is the bottleneck): a mutant that would not compile then runs too, and
//   may survive (a type changed, nothing at run time).
//        node scripts/mutate-part.mjs NAME --recheck [stryker args]
//   runs the survivors' lines of part NAME again with the checker, as part NAME-checked.
//   PATTERN: a test file's name in test/unit without .test.ts, a prefix ending in * (expect-*), or
//   all (stryker.config.json's list)
//   Writes reports/parts/NAME.json (and .html); the score: node scripts/mutation-score.mjs reports/parts/NAME.json
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

let [name, ...rest] = process.argv.slice(2);
if (rest[0] === "--recheck" && name) {
  // The lines of part NAME's survivors, each a range Stryker mutates again (with the checker).
  const { files } = JSON.parse(readFileSync(`reports/parts/${name}.json`, "utf8"));
  const lines = Object.entries(files).flatMap(([path, { mutants }]) =>
    mutants.filter((m) => m.status === "Survived" || m.status === "NoCoverage").map((m) => `${path}:${m.location.start.line}-${m.location.end.line}`),
  );
  if (lines.length === 0) console.log(`part ${name}: no survivor`), process.exit(0);
  const { tests } = JSON.parse(readFileSync(`reports/parts/${name}.part.json`, "utf8"));
  rest = ["--mutate", [...new Set(lines)].join(","), "--tests", tests.join(","), ...rest.slice(1)];
  name = `${name}-checked`;
}
const take = (flag) => {
  const i = rest.indexOf(flag);
  if (i < 0 || !rest[i + 1]) return undefined;
  return rest.splice(i, 2)[1].split(",");
};
const mutate = take("--mutate");
const patterns = take("--tests");
const unchecked = rest.includes("--unchecked");
if (unchecked) rest.splice(rest.indexOf("--unchecked"), 1);
if (!name || !/^[a-z0-9-]+$/.test(name) || !mutate || !patterns) {
  console.error("usage: node scripts/mutate-part.mjs NAME --mutate GLOB[,GLOB] --tests PATTERN[,PATTERN] [stryker args]");
  process.exit(2);
}
const base = JSON.parse(readFileSync("stryker.config.json", "utf8"));
const units = readdirSync("test/unit").filter((f) => f.endsWith(".test.ts")).map((f) => f.slice(0, -".test.ts".length));
const matches = (unit, p) => (p.endsWith("*") ? unit.startsWith(p.slice(0, -1)) : unit === p);
// `all`: the full list of stryker.config.json.
const listedUnits = base.tap.testFiles.map((f) => f.replace(/^dist\/test\/unit\//, "").replace(/\.test\.js$/, ""));
const chosen = new Set(patterns.includes("all") ? listedUnits : units.filter((u) => patterns.some((p) => matches(u, p))));
for (const p of patterns) if (p !== "all" && !units.some((u) => matches(u, p))) console.error(`no test file matches ${p}`), process.exit(2);
// The full list's order first (the tests that kill the most, soonest), then the others.
const listed = base.tap.testFiles.filter((_, i) => chosen.has(listedUnits[i]));
const testFiles = [...listed, ...[...chosen].map((u) => `dist/test/unit/${u}.test.js`).filter((f) => !listed.includes(f))];
mkdirSync("reports/parts", { recursive: true });
writeFileSync(`reports/parts/${name}.part.json`, JSON.stringify({ mutate, tests: patterns, unchecked }, null, 2));
const config = {
  ...base,
  $schema: undefined,
  mutate,
  tap: { ...base.tap, testFiles },
  incrementalFile: `reports/parts/${name}.incremental.json`,
  jsonReporter: { fileName: `reports/parts/${name}.json` },
  htmlReporter: { fileName: `reports/parts/${name}.html` },
  tempDirName: `.stryker-tmp-${name}`,
  ...(unchecked ? { checkers: [] } : {}),
};
const file = join(tmpdir(), `zmqlab-stryker-${name}.json`);
writeFileSync(file, JSON.stringify(config, null, 2));
console.log(`mutation part ${name}: ${mutate.join(", ")} against ${testFiles.length} test files${unchecked ? ", no type checker" : ""}`);
const build = spawnSync("npx", ["tsc", "-p", "."], { stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);
const run = spawnSync("npx", ["stryker", "run", file, "--incremental", ...rest], { stdio: "inherit" });
spawnSync("node", ["scripts/mutation-score.mjs", `reports/parts/${name}.json`, "--list"], { stdio: "inherit" });
process.exit(run.status ?? 1);
