#!/usr/bin/env bash
# Runs every test suite the project has: the build, server unit + API e2e (jest), client unit
# (Vitest via ng test) and browser end-to-end (Playwright + Chromium, jest). Prints a summary per
# suite and, as the very last line, "N passed, N failed" over all tests; exits non-zero on any
# failure. A suite that crashes or times out counts as at least one failed test.
set -u
cd "$(dirname "$0")/.."

reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
passed=0
failed=0
summary=()

# record NAME PASSED FAILED EXIT_CODE: a non-zero exit with no failed test still counts as one.
record() {
  local name=$1 p=$2 f=$3 rc=$4
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p))
  failed=$((failed + f))
  summary+=("$(printf '%-8s %4d passed, %d failed%s' "$name" "$p" "$f" "$([ "$rc" -eq 124 ] && echo ' (timed out)')")")
  [ "$f" -eq 0 ] || echo "!!! $name: $f failed"
}

# run_jest NAME SECONDS ARGS...: counts from jest's JSON report; a suite that cannot even load
# (e.g. a compile error) counts as one failed test.
run_jest() {
  local name=$1 seconds=$2; shift 2
  local report="$reports/$name.json"
  echo "=== $name: jest $*"
  timeout --kill-after=30 "$seconds" npx jest "$@" --json --outputFile="$report"
  local rc=$?
  local counts
  counts=$(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(r.numPassedTests, r.numFailedTests + r.numRuntimeErrorTestSuites);
  ' "$report" 2>/dev/null) || counts="0 0"
  record "$name" ${counts% *} ${counts#* } "$rc"
}

# run_vitest NAME SECONDS COMMAND...: counts from Vitest's "Tests  N failed | N passed (N)" line.
run_vitest() {
  local name=$1 seconds=$2; shift 2
  local log="$reports/$name.log"
  echo "=== $name: $*"
  NO_COLOR=1 FORCE_COLOR=0 timeout --kill-after=30 "$seconds" "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local line p f
  line=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ *Tests +[0-9]' | tail -1)
  p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || true)
  f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || true)
  record "$name" "${p:-0}" "${f:-0}" "$rc"
}

echo "=== build: npm run build"
timeout --kill-after=30 600 npm run build
build_rc=$?
if [ "$build_rc" -ne 0 ]; then record build 0 1 "$build_rc"; fi

run_jest server 1200 --runInBand
run_vitest client 300 npx ng test --watch=false
if [ -f test/browser/jest.config.js ]; then
  run_jest browser 900 -c test/browser/jest.config.js --runInBand
fi

echo
echo "=== summary"
printf '%s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
