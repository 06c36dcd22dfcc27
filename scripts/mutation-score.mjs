#!/usr/bin/env node
// Prints the mutation score per folder from Stryker's JSON report, the way Stryker counts it:
// detected (killed or timed out) over valid mutants (detected, survived, no coverage).
// Mutants that did not compile or that Stryker disable comments mark are not counted.
// Usage: node scripts/mutation-score.mjs [FILE] [--list] [--check]
//   --list   also print every surviving mutant (file:line:column, mutator, replacement)
//   --check  exit 1 when a folder is below its target: 100% for controller/expect and its kinds/, 90% elsewhere
//            (MUTATION_MIN overrides the 90)
import { readFileSync } from "node:fs";
import { dirname } from "node:path";

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith("--")) ?? "reports/mutation/mutation.json";
const check = args.includes("--check");
const minimum = Number(process.env.MUTATION_MIN ?? 90);
const target = (folder) => (folder === "controller/expect" || folder.startsWith("controller/expect/") ? 100 : minimum);
const list = args.includes("--list");
const report = JSON.parse(readFileSync(file, "utf8"));

const folders = new Map();
const survivors = [];
for (const [path, { mutants }] of Object.entries(report.files)) {
  const folder = dirname(path);
  const row = folders.get(folder) ?? { detected: 0, survived: 0, noCoverage: 0, ignored: 0 };
  for (const m of mutants) {
    if (m.status === "Killed" || m.status === "Timeout") row.detected++;
    else if (m.status === "Survived") row.survived++;
    else if (m.status === "NoCoverage") row.noCoverage++;
    else if (m.status === "Ignored") row.ignored++;
    if (m.status === "Survived" || m.status === "NoCoverage") {
      survivors.push(`${path}:${m.location.start.line}:${m.location.start.column} ${m.status} ${m.mutatorName} ${JSON.stringify(m.replacement ?? "")}`);
    }
  }
  folders.set(folder, row);
}

const score = (r) => {
  const valid = r.detected + r.survived + r.noCoverage;
  return valid === 0 ? 100 : (100 * r.detected) / valid;
};
const total = { detected: 0, survived: 0, noCoverage: 0, ignored: 0 };
const lines = [["folder", "score", "killed", "survived", "no cover", "disabled"]];
for (const [folder, r] of [...folders].sort(([a], [b]) => a.localeCompare(b))) {
  for (const k of Object.keys(total)) total[k] += r[k];
  lines.push([folder, score(r).toFixed(2) + "%", r.detected, r.survived, r.noCoverage, r.ignored].map(String));
}
lines.push(["all", score(total).toFixed(2) + "%", total.detected, total.survived, total.noCoverage, total.ignored].map(String));
const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
for (const l of lines) console.log(l.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "));
if (list) for (const s of survivors) console.log(s);
if (check) {
  const below = [...folders].filter(([folder, r]) => score(r) < target(folder));
  for (const [folder, r] of below) console.log(`${folder}: ${score(r).toFixed(2)}% is below its target of ${target(folder)}%`);
  if (below.length) process.exit(1);
  console.log("every folder meets its mutation score target");
}
