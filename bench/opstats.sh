#!/usr/bin/env bash
# The dynamic instruction profile of kite running benchmarks: how often each lowered
# instruction and each adjacent pair of them ran (a build with -DKITE_OPSTATS, in
# build-opstats/; the counting makes it several times slower). Frequent pairs are the
# candidates for super-instructions; bench/opcount.sh gives the static side.
#
#   bench/opstats.sh [--code] [--top N] PROGRAM [ARGS...]
#
#   --code     also list the hot lowered code: every instruction that ran at least
#              1/20000 of the dispatches, by address, with its count and operand words
#   --top N    how many rows per table (default 40)
#
# PROGRAM is a benchmark name or a .wasm path; ARGS go to the guest (default: quick).
set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
OUT=${OPSTATS_BUILD:-$ROOT/build-opstats}
code=0 top=40
while [ $# -gt 0 ]; do
  case $1 in
  --code) code=1 ;;
  --top) top=$2; shift ;;
  -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  -*) echo "opstats.sh: unknown option $1" >&2; exit 2 ;;
  *) break ;;
  esac
  shift
done
[ $# -ge 1 ] || { echo "usage: bench/opstats.sh [--code] [--top N] PROGRAM [ARGS...]" >&2; exit 2; }
wasm=$1
shift
[ -f "$wasm" ] || wasm=$BENCH_DIR/$wasm.wasm
[ -f "$wasm" ] || { echo "opstats.sh: no such program: $wasm" >&2; exit 2; }
[ $# -gt 0 ] || set -- quick
cmake -S "$ROOT" -B "$OUT" -DCMAKE_C_FLAGS=-DKITE_OPSTATS >/dev/null &&
  cmake --build "$OUT" -j "$(nproc 2>/dev/null || echo 2)" --target kite >/dev/null || exit 1
TMP=$(mktemp "${TMPDIR:-/tmp}/kite-opstats-XXXXXX")
trap 'rm -f "$TMP"' EXIT
if [ $code = 1 ]; then export KITE_OPSTATS_CODE=1; fi
"$OUT/kite" run "$wasm" "$@" 2>"$TMP" >/dev/null
grep '^opstats:' "$TMP"
echo
echo "== instructions"
grep '^op ' "$TMP" | head -n "$top" | cut -c4-
echo
echo "== adjacent pairs (in the order they ran)"
grep '^pair ' "$TMP" | head -n "$top" | cut -c6-
if [ $code = 1 ]; then
  echo
  echo "== hot code: address, count, instruction, operand words"
  grep '^code ' "$TMP" | cut -c6-
fi
