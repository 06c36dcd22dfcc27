#!/bin/bash
# `npm test` after the build: the unit tests two files at once (pure: no engine, no fixed ports or
# paths), then the integration tests and the example suite one file at a time (they share the
# engine, its lab names and subnets, and time their faults). Both parts always run; the exit code
# is the first failing part's. Each part closes with tap's `# { total: N, pass: N, ... }` line.
set -u
cd "$(dirname "$0")/.."
tap=node_modules/.bin/tap
"$tap" --jobs 2 dist/test/unit/*.test.js
unit=$?
"$tap" --jobs 1 dist/test/integration/*.test.js dist/examples/*.test.js
rest=$?
[ "$unit" = 0 ] && exit "$rest"
exit "$unit"
