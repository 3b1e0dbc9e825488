#!/usr/bin/env bash
# The official suite: `kite wast` over every .wast file (top level, legacy/, custom/,
# proposals/*/) with tests/spec/known-failures. One process per file, two at a time,
# so a crash or a hang is charged to its file and the rest still runs. Prints the files
# that fail and, last, the totals: `N passed, N failed, N skipped`.
set -u
KITE=$1
SRC=${KITE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SUITE=${KITE_TESTSUITE:-$SRC/../shared/testsuite} # the default the README gives
LIST=$SRC/tests/spec/known-failures
JOBS=${KITE_SPEC_JOBS:-2}
PER_FILE_TIMEOUT=${KITE_SPEC_TIMEOUT:-300}
if [ -z "$SUITE" ] || [ ! -d "$SUITE" ]; then
  echo "spec_suite: the official test suite is missing (set KITE_TESTSUITE)"
  exit 77
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
# run_one FILE: the per-file line, or a failure line when the runner died.
run_one() {
  local f=$1 rc
  timeout "$PER_FILE_TIMEOUT" "$KITE" wast --suite="$SUITE" --known-failures="$LIST" "$f" \
    | grep -v '^[0-9]* passed, [0-9]* failed, [0-9]* skipped$'
  rc=${PIPESTATUS[0]}
  if [ "$rc" -gt 1 ]; then
    if [ "$rc" -eq 124 ]; then echo "$f: timed out after ${PER_FILE_TIMEOUT}s"
    else echo "$f: runner exited with status $rc"; fi
    echo "$f: 0 passed, 1 failed, 0 skipped"
  fi
}
export -f run_one
export KITE SUITE LIST PER_FILE_TIMEOUT

{
  find "$SUITE" -maxdepth 1 -name '*.wast'
  find "$SUITE/legacy" "$SUITE/custom" -maxdepth 1 -name '*.wast' 2>/dev/null
  find "$SUITE/proposals" -mindepth 2 -maxdepth 2 -name '*.wast' 2>/dev/null
} | LC_ALL=C sort | tr '\n' '\0' | xargs -0 -P "$JOBS" -n 1 bash -c 'run_one "$0"' >"$out"

# Files with failures, then their runner messages, then the totals.
grep -E ': (timed out|runner exited)' "$out"
grep -E ': [0-9]+ passed, [1-9][0-9]* failed, [0-9]+ skipped$' "$out" | LC_ALL=C sort
awk '
  match($0, /: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$/) {
    split(substr($0, RSTART + 2), w, /[ ,]+/)
    p += w[1]; f += w[3]; s += w[5]; files++
  }
  END {
    printf "%d passed, %d failed, %d skipped\n", p, f, s
    exit (f > 0 || files == 0) ? 1 : 0
  }' "$out"
