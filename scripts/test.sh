#!/usr/bin/env bash
# The whole test suite: installs the real peers the tests drive (SIPp, baresip), checks
# lint and types, builds, then runs the unit tests and the interop tests on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh
npx biome check .
npx tsc -p tsconfig.json --noEmit
npm run --silent build

mapfile -t unit < <(find test/unit -name '*.test.ts' | sort)
mapfile -t interop < <(find test/interop -name '*.test.ts' 2>/dev/null | sort)

# Unit tests are fast and in-process; interop tests start real processes and sockets,
# so they run one file at a time to keep timing honest on a 2-core machine.
node --import tsx --test --test-reporter=spec --test-timeout=120000 "${unit[@]}"
if [ ${#interop[@]} -gt 0 ]; then
  node --import tsx --test --test-reporter=spec --test-timeout=180000 --test-concurrency=1 "${interop[@]}"
fi
