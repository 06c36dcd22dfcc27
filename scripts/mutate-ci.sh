#!/usr/bin/env bash
# CI's mutation step: StrykerJS in incremental mode over the pure modules, against the unit tests
# (no Docker). It starts from the committed reports/stryker-incremental.json, so only mutants in
# changed code, or covered by changed tests, run again. It fails when the overall score is below
# stryker.config.json's thresholds.break, or a folder is below its target (100% for
# controller/expect, 90% elsewhere; see scripts/mutation-score.mjs).
# After an intended change, commit the updated reports/stryker-incremental.json with it, so the
# next run starts from there. Arguments go to Stryker, e.g. --mutate "controller/expect/**/*.ts".
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
status=0
# The compiled tests must be there: the incremental diff compares them with the last run's.
npx tsc -p .
npx stryker run --incremental "$@" || status=$?
node scripts/mutation-score.mjs --check || status=1
echo "mutation testing took $(( $(date +%s) - started )) s (exit $status)"
exit "$status"
