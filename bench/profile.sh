#!/usr/bin/env bash
# Profiles kite running one benchmark and prints where the time goes.
#
#   bench/profile.sh [OPTIONS] PROGRAM [ARGS...]
#
# PROGRAM is a benchmark name (fib, json, ...; runs bench/PROGRAM.wasm) or a path to a .wasm
# file; ARGS go to the guest (default: the program's default size; "quick" for a short run).
#
#   --callgrind    use valgrind's callgrind (exact instruction counts, ~50x slower) instead
#                  of perf sampling
#   --annotate     also show the hottest source lines of the hottest function (with perf:
#                  which op handlers inside the interpreter loop cost the most)
#   --calls        perf: record call graphs too (-g) and print them
#   --top N        how many functions to list (default 25)
#   --kite PATH    the kite binary (default: build/kite; build it with symbols:
#                  the default RelWithDebInfo build has them)
#
# The raw profile stays in build/profile/ (perf.data or callgrind.out) for perf report,
# perf annotate, or callgrind_annotate / kcachegrind.
set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
KITE=$ROOT/build/kite
tool=perf annotate=0 calls=0 top=25
while [ $# -gt 0 ]; do
  case $1 in
  --callgrind) tool=callgrind ;;
  --annotate) annotate=1 ;;
  --calls) calls=1 ;;
  --top) top=$2; shift ;;
  --kite) KITE=$2; shift ;;
  -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  -*) echo "profile.sh: unknown option $1" >&2; exit 2 ;;
  *) break ;;
  esac
  shift
done
[ $# -ge 1 ] || { echo "usage: bench/profile.sh [OPTIONS] PROGRAM [ARGS...] (--help)" >&2; exit 2; }
program=$1
shift
wasm=$program
[ -f "$wasm" ] || wasm=$BENCH_DIR/$program.wasm
[ -f "$wasm" ] || { echo "profile.sh: no such program: $program" >&2; exit 2; }
[ -x "$KITE" ] || { echo "profile.sh: no kite binary at $KITE (run make first)" >&2; exit 2; }
OUT=$ROOT/build/profile
mkdir -p "$OUT"

if [ $tool = perf ]; then
  command -v perf >/dev/null || { echo "profile.sh: perf not found (apt-get install linux-perf), try --callgrind" >&2; exit 2; }
  record=(perf record -o "$OUT/perf.data" -F 4999)
  [ $calls = 1 ] && record+=(-g)
  "${record[@]}" -- "$KITE" run "$wasm" "$@" >"$OUT/stdout" 2>"$OUT/record.log" || {
    cat "$OUT/record.log" >&2
    echo "profile.sh: perf record failed (perf_event_paranoid is $(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null); try --callgrind)" >&2
    exit 1
  }
  echo "== $(basename "$wasm") $*: $(head -c 200 "$OUT/stdout" | head -1)"
  echo "== top $top functions (perf, self time)"
  report=(perf report -i "$OUT/perf.data" --stdio --no-children --sort symbol)
  [ $calls = 1 ] || report+=(-g none)
  "${report[@]}" 2>/dev/null | grep -v '^#' | grep -v '^$' | sed 's/\( *-\)* *$//' | head -n "$([ $calls = 1 ] && echo $((top * 12)) || echo "$top")"
  if [ $annotate = 1 ]; then
    hot=$(perf report -i "$OUT/perf.data" --stdio --no-children --sort symbol -g none 2>/dev/null |
      awk '/^ *[0-9.]+%/ {print $3; exit}')
    echo
    echo "== hottest source lines in $hot (percent of that function's samples)"
    perf annotate -i "$OUT/perf.data" --stdio -l -s "$hot" 2>/dev/null |
      awk '/Sorted summary/ {on = 1; next} on && /^ *[0-9.]+ +[^ ]+:[0-9]+$/ {print; n++}
           on && n > 0 && /^ *$/ {exit}' | head -n 30 | while read -r pct where; do
        file=$(find "$ROOT/src" -name "${where%%:*}" 2>/dev/null | head -1)
        text=""
        [ -n "$file" ] && text=$(sed -n "${where##*:}p" "$file" | sed 's/^ *//' | cut -c1-90)
        printf '%7s%%  %-18s %s\n' "$pct" "$where" "$text"
      done
  fi
  echo
  echo "raw profile: $OUT/perf.data (perf report -i $OUT/perf.data)"
else
  command -v valgrind >/dev/null || { echo "profile.sh: valgrind not found" >&2; exit 2; }
  rm -f "$OUT"/callgrind.out*
  valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out" \
    "$KITE" run "$wasm" "$@" >"$OUT/stdout" 2>"$OUT/record.log" || {
    tail -5 "$OUT/record.log" >&2
    exit 1
  }
  echo "== $(basename "$wasm") $*: $(head -1 "$OUT/stdout")"
  echo "== top $top functions (callgrind, instructions executed)"
  grep -E 'Collected|refs' "$OUT/record.log" | sed 's/^==[0-9]*== //'
  callgrind_annotate "$OUT/callgrind.out" 2>/dev/null | sed -n '/file:function/,$p' |
    sed -n '3,$p' | grep -v '^$' | head -n "$top"
  if [ $annotate = 1 ]; then
    echo
    echo "== hottest source lines (callgrind_annotate --auto=yes, lines over 1%)"
    callgrind_annotate --auto=yes --show-percs=yes "$OUT/callgrind.out" 2>/dev/null |
      awk '/=>|TOTALS|events annotated|\[\// {next}
           /^ *[0-9,]+ \( *[0-9.]+%\)/ {p = $0; sub(/^[^(]*\( */, "", p); if (p + 0 >= 1) print}' |
      sort -t'(' -k2 -gr | head -n 40
  fi
  echo
  echo "raw profile: $OUT/callgrind.out (callgrind_annotate $OUT/callgrind.out)"
fi
