#!/usr/bin/env bash
# `make demo` keeps working: the demo script runs the Game of Life under `kite run` and the
# guest's file written through its preopened directory reaches the host.
set -u
KITE=$1
SRC=${KITE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
pass=0 fail=0
out=$(bash "$SRC/examples/demo.sh" "$KITE" 2>&1 </dev/null)
status=$?
if [ "$status" -eq 0 ]; then pass=$((pass + 1)); else
  fail=$((fail + 1)); echo "FAIL: demo exited $status"; echo "$out"; fi
for want in "12 generations of a 48x16 torus" "saved the last generation to /out/life.txt" \
  "generation 12" "error: length out of bounds"; do
  if grep -qF -- "$want" <<<"$out"; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: demo output lacks '$want'"; fi
done
echo "demo: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
