#!/usr/bin/env bash
# Exception handling and tail calls on tests/cli/data/eh.wast: shapes of try_table,
# legacy try/delegate/rethrow, exnref values and tail calls the official suite does not
# cover (catch to a loop or to the function's label, block parameters, payloads with v128,
# tags shared by instances).
set -u
KITE=$1
DATA=$(cd "$(dirname "$0")" && pwd)/data
out=$("$KITE" wast --features=all "$DATA/eh.wast" 2>&1)
status=$?
if [ $status -ne 0 ] || ! grep -q ' 0 failed' <<<"$out"; then
  echo "FAIL: kite wast eh.wast (exit $status)"
  "$KITE" wast -v --features=all "$DATA/eh.wast"
  exit 1
fi
echo "exec_eh: $(tail -n 1 <<<"$out")"
