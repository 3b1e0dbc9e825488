#!/usr/bin/env bash
# tests/spec/known-failures may only shrink: run every file it names with
# `kite wast --check-known-failures` and fail when a listed entry passes now, names no
# command, or names a file that does not exist. A listed file whose run crashes still
# counts as failing (that is why it is listed).
set -u
KITE=$1
SUITE=${KITE_TESTSUITE:-}
SRC=${KITE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
LIST=$SRC/tests/spec/known-failures
JOBS=${KITE_SPEC_JOBS:-2}
if [ -z "$SUITE" ] || [ ! -d "$SUITE" ]; then
  echo "known_failures: the official test suite is missing (set KITE_TESTSUITE)"
  exit 77
fi

files=$(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e 's/^[[:space:]]*//' "$LIST" | grep -v '^$' \
  | sed -e 's/:[0-9]*$//' | LC_ALL=C sort -u)
bad=0
for f in $files; do
  if [ ! -f "$SUITE/$f" ]; then echo "$f: listed in known-failures but not in the suite"; bad=1; fi
done
check_one() {
  timeout 300 "$KITE" wast --check-known-failures --suite="$SUITE" --known-failures="$LIST" \
    "$SUITE/$1" | grep -E 'known failure (passes now|names no command)'
  return 0
}
export -f check_one
export KITE SUITE LIST
stale=$(printf '%s\n' $files | xargs -P "$JOBS" -n 1 bash -c '[ -f "$SUITE/$0" ] && check_one "$0"')
if [ -n "$stale" ]; then echo "$stale"; bad=1; fi
n=$(printf '%s\n' $files | grep -c .)
echo "known_failures: $n files checked, $([ $bad -eq 0 ] && echo "no entry passes" || echo "stale entries above")"
exit $bad
