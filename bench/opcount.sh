#!/usr/bin/env bash
# Static instruction mix of a module: how often each instruction, and each pair of adjacent
# instructions, appears in the code (from `kite objdump -d`). Pairs that are frequent in the
# hot benchmarks are candidates for fused super-instructions. Static counts only: what the
# code contains, not how often it runs (bench/profile.sh --annotate shows that side).
#
#   bench/opcount.sh [--top N] [--func NAME] PROGRAM|FILE.wasm
#
#   --top N        how many rows per table (default 30)
#   --func NAME    only the function NAME (from the name section), e.g. sha256_compress
set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
KITE=${KITE:-$(dirname "$BENCH_DIR")/build/kite}
top=30 func=""
while [ $# -gt 0 ]; do
  case $1 in
  --top) top=$2; shift ;;
  --func) func=$2; shift ;;
  -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  -*) echo "opcount.sh: unknown option $1" >&2; exit 2 ;;
  *) break ;;
  esac
  shift
done
[ $# -eq 1 ] || { echo "usage: bench/opcount.sh [--top N] [--func NAME] PROGRAM|FILE.wasm" >&2; exit 2; }
wasm=$1
[ -f "$wasm" ] || wasm=$BENCH_DIR/$1.wasm
[ -f "$wasm" ] || { echo "opcount.sh: no such program: $1" >&2; exit 2; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kite-opcount-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
"$KITE" objdump -d "$wasm" >"$TMP/dis" || exit 1

# One mnemonic per line, "--" between functions so no pair spans two of them.
awk -v want="$func" '
  / func\[[0-9]+\]/ { name = $0; sub(/.*</, "", name); sub(/>.*/, "", name)
                      on = (want == "" || name == want); if (on) print "--"; next }
  on && /\|/ { s = $0; sub(/^[^|]*\| */, "", s); split(s, w, " "); if (w[1] != "") print w[1] }
' "$TMP/dis" >"$TMP/ops"
total=$(grep -vc '^--$' "$TMP/ops")
[ "$total" -gt 0 ] || { echo "opcount.sh: no code${func:+ in function $func}" >&2; exit 1; }
echo "== $(basename "$wasm")${func:+ function $func}: $total instructions (static)"
echo
echo "== instructions"
grep -v '^--$' "$TMP/ops" | sort | uniq -c | sort -rn | head -n "$top" |
  awk -v t="$total" '{printf "%8d %6.2f%%  %s\n", $1, 100 * $1 / t, $2}'
echo
echo "== adjacent pairs (a pair may straddle a branch target: an upper bound for fusing)"
awk '$0 == "--" {prev = ""; next} {if (prev != "" && prev != "end" && $0 != "end") print prev, $0; prev = $0}' \
  "$TMP/ops" | sort | uniq -c | sort -rn | head -n "$top" |
  awk -v t="$total" '{printf "%8d %6.2f%%  %s %s\n", $1, 100 * $1 / t, $2, $3}'
