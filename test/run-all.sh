#!/usr/bin/env bash
# Runs every test suite: server unit + API e2e (jest), client unit (Vitest via ng test),
# browser end-to-end (Playwright + Chromium). Prints one closing "N passed, N failed" line.
set -u
cd "$(dirname "$0")/.."
passed=0
failed=0
run() {
  local name=$1; shift
  echo "=== $name: $*"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "!!! $name FAILED"; fi
}
run build npm run build
run server npx jest --runInBand
run client npx ng test --watch=false
if [ -d test/browser ]; then run browser npx jest -c test/browser/jest.config.js --runInBand; fi
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
