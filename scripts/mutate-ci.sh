#!/usr/bin/env bash
# CI's mutation step: StrykerJS in incremental mode against the unit tests (no Docker), over the
# folders the committed baseline (reports/stryker-incremental.json) covers: every .ts file in
# them, new files too, so a new verdict path without a test that can fail turns CI red. Only
# mutants in changed code, or covered by changed tests, run again. It fails when a folder is
# below its target (100% for controller/expect, 90% elsewhere; scripts/mutation-score.mjs).
# A folder joins CI when a run of it is merged into the baseline: `npm run mutate` writes one for
# every folder. After an intended change, commit the updated baseline with it.
# Arguments go to Stryker.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
status=0
baseline=reports/stryker-incremental.json
# The folders of the files the baseline holds (the agent's parsers are listed file by file: the
# rest of agent/ opens sockets and is tested on the engine).
mapfile -t scope < <(node -e '
  const files = Object.keys(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).files);
  const out = new Set(files.map((f) => (f.startsWith("agent/") ? f : f.replace(/\/[^/]+$/, "/**/*.ts"))));
  for (const s of [...out].sort()) console.log(s);' "$baseline")
echo "mutation testing: ${scope[*]}"
# The compiled tests must be there: the incremental diff compares them with the last run's.
npx tsc -p .
npx stryker run --incremental --mutate "$(IFS=,; echo "${scope[*]}")" "$@" || status=$?
node scripts/mutation-score.mjs --check || status=1
echo "mutation testing took $(( $(date +%s) - started )) s (exit $status)"
exit "$status"
