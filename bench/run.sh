#!/usr/bin/env bash
# Runs the benchmark suite: every program natively (gcc -O2) and under kite, plus wasm3,
# iwasm, toywasm, wasmtime and node where they are on PATH; checks that every output matches
# the native one; prints the median time per program and engine, the ratio to native, the
# geometric mean of the ratios, start-up times (hello world and a 1 MB module) and peak RSS.
#
#   bench/run.sh [--quick] [--kite PATH] [PROGRAM...]
#
#   --quick        the programs' small sizes, one run each, no start-up timing: a
#                  correctness check (tests/cli/bench_smoke.sh) that takes seconds
#   --kite PATH    the kite binary (default: build/kite)
#   PROGRAM...     a subset of the programs (default: all; simd for the SIMD table only)
#
# Environment:
#   BENCH_RUNS     runs per program and engine (default 3; 1 with --quick); the median counts
#   BENCH_CLOCK    cpu (default: user + system time, steady on a busy machine) or wall
#   BENCH_ENGINES  the engines to try, by name (default: kite wasm3 iwasm toywasm wasmtime node)
#   NATIVE_DIR     where native binaries are built (default: build/bench-native)
#   BENCH_OUT      also write the tables as Markdown to this file (default: none)
#
# Exit status: 0 when every output matched, 1 when one did not, 77 when gcc is missing.
set -u
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
PROGRAMS=(fib sieve hash nbody lz matmul json memops mix)

quick=0
KITE=$ROOT/build/kite
selected=()
while [ $# -gt 0 ]; do
  case $1 in
  --quick) quick=1 ;;
  --kite) KITE=$2; shift ;;
  -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  *) selected+=("$1") ;;
  esac
  shift
done
[ ${#selected[@]} -gt 0 ] && PROGRAMS=("${selected[@]}")
RUNS=${BENCH_RUNS:-$([ $quick = 1 ] && echo 1 || echo 3)}
CLOCK=${BENCH_CLOCK:-cpu}
NATIVE_DIR=${NATIVE_DIR:-$ROOT/build/bench-native}
SIZE_ARG=()
[ $quick = 1 ] && SIZE_ARG=(quick)

command -v gcc >/dev/null || { echo "run.sh: gcc not found: no native baseline" >&2; exit 77; }
[ -x "$KITE" ] || { echo "run.sh: no kite binary at $KITE (run make first)" >&2; exit 2; }
KITE=$(cd "$(dirname "$KITE")" && pwd)/$(basename "$KITE")
for p in "${PROGRAMS[@]}" hello big simd simd-simd128; do
  [ -f "$BENCH_DIR/$p.wasm" ] || { echo "run.sh: missing $BENCH_DIR/$p.wasm" >&2; exit 77; }
done
mkdir -p "$NATIVE_DIR"
NATIVE_DIR=$(cd "$NATIVE_DIR" && pwd)
make -s -C "$BENCH_DIR" native NATIVE_DIR="$NATIVE_DIR" >&2 || exit 1
MEASURE=$NATIVE_DIR/measure
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kite-bench-XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# engine_cmd ENGINE: the command line prefix that runs a .wasm file with its arguments.
engine_cmd() {
  case $1 in
  kite) echo "$KITE run" ;;
  wasm3) echo "wasm3" ;;
  iwasm) echo "iwasm" ;;
  toywasm) echo "toywasm --wasi" ;;
  wasmtime) echo "wasmtime run" ;;
  node) echo "node --experimental-wasi-unstable-preview1 --no-warnings $BENCH_DIR/node_wasi.mjs" ;;
  esac
}
ENGINES=()
for e in ${BENCH_ENGINES:-kite wasm3 iwasm toywasm wasmtime node}; do
  if [ "$e" = kite ] || command -v "$e" >/dev/null; then ENGINES+=("$e"); fi
done

# run_median OUTFILE COMMAND...: runs COMMAND $RUNS times; prints "seconds rss status"
# (medians of the chosen clock and of the peak RSS; the worst exit status). Output of the
# first run goes to OUTFILE.
run_median() {
  local out=$1
  shift
  local i line times=() rss=() worst=0
  for ((i = 0; i < RUNS; i++)); do
    line=$("$MEASURE" "$([ $i = 0 ] && echo "$out" || echo /dev/null)" "$@") || return 1
    read -r wall cpu kb status <<<"$line"
    times+=("$([ "$CLOCK" = wall ] && echo "$wall" || echo "$cpu")")
    rss+=("$kb")
    [ "$status" -gt "$worst" ] && worst=$status
  done
  echo "$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" \
    "$(printf '%s\n' "${rss[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" "$worst"
}

md=$TMP/results.md
failures=0
echo "Kite benchmarks: $RUNS run(s) each, median $CLOCK time in seconds, ratio to native gcc -O2" \
  "$([ $quick = 1 ] && echo '(quick sizes)')"
echo "engines: native ${ENGINES[*]}"

# ---- throughput ----
header=$(printf '%-8s %9s' program native)
mdhead="| program | native s |"
mdrule="|---|---:|"
for e in "${ENGINES[@]}"; do
  header+=$(printf ' %9s %8s' "$e" ratio)
  mdhead+=" $e s | $e ratio |"
  mdrule+="---:|---:|"
done
header+=$(printf ' %10s' "RSS nat")
mdhead+=" RSS native |"
mdrule+="---:|"
for e in "${ENGINES[@]}"; do
  header+=$(printf ' %10s' "RSS $e")
  mdhead+=" RSS $e |"
  mdrule+="---:|"
done
echo
echo "$header"
{ echo "$mdhead"; echo "$mdrule"; } >"$md"
declare -A logsum count
for e in "${ENGINES[@]}"; do logsum[$e]=0 count[$e]=0; done
for p in "${PROGRAMS[@]}"; do
  [ "$p" = simd ] && continue # its own table below
  read -r nt nrss nstatus <<<"$(run_median "$TMP/$p.native" "$NATIVE_DIR/$p" "${SIZE_ARG[@]}")"
  if [ "$nstatus" != 0 ]; then
    echo "$p: native run failed (status $nstatus)" >&2
    failures=$((failures + 1))
    continue
  fi
  row=$(printf '%-8s %9.3f' "$p" "$nt")
  mdrow="| $p | $(printf '%.3f' "$nt") |"
  rssrow=$(printf ' %8.1fMB' "$(awk -v k="$nrss" 'BEGIN {print k / 1024}')")
  mdrss=" $(printf '%.1f MB' "$(awk -v k="$nrss" 'BEGIN {print k / 1024}')") |"
  for e in "${ENGINES[@]}"; do
    # shellcheck disable=SC2046 # the engine's command line is words on purpose
    read -r t rss status <<<"$(run_median "$TMP/$p.$e" $(engine_cmd "$e") "$BENCH_DIR/$p.wasm" "${SIZE_ARG[@]}")"
    if [ "$status" != 0 ] || ! cmp -s "$TMP/$p.native" "$TMP/$p.$e"; then
      failures=$((failures + 1))
      echo "$p under $e: exit status $status, output differs from native:" >&2
      diff "$TMP/$p.native" "$TMP/$p.$e" | head -5 >&2
      row+=$(printf ' %9s %8s' WRONG -)
      mdrow+=" wrong | - |"
    else
      ratio=$(awk -v a="$t" -v b="$nt" 'BEGIN {printf "%.1f", a / (b > 0 ? b : 1e-6)}')
      logsum[$e]=$(awk -v s="${logsum[$e]}" -v a="$t" -v b="$nt" 'BEGIN {print s + log(a / (b > 0 ? b : 1e-6))}')
      count[$e]=$((count[$e] + 1))
      row+=$(printf ' %9.3f %7sx' "$t" "$ratio")
      mdrow+=" $(printf '%.3f' "$t") | ${ratio}x |"
    fi
    rssrow+=$(printf ' %8.1fMB' "$(awk -v k="$rss" 'BEGIN {print k / 1024}')")
    mdrss+=" $(printf '%.1f MB' "$(awk -v k="$rss" 'BEGIN {print k / 1024}')") |"
  done
  echo "$row$rssrow"
  echo "$mdrow$mdrss" >>"$md"
done
row=$(printf '%-8s %9s' geomean "")
mdrow="| **geomean** | |"
for e in "${ENGINES[@]}"; do
  if [ "${count[$e]}" -gt 0 ]; then
    g=$(awk -v s="${logsum[$e]}" -v n="${count[$e]}" 'BEGIN {printf "%.1f", exp(s / n)}')
    row+=$(printf ' %9s %7sx' "" "$g")
    mdrow+=" | **${g}x** |"
  else
    row+=$(printf ' %9s %8s' "" -)
    mdrow+=" | - |"
  fi
done
echo "$row"
echo "$mdrow" >>"$md"

# ---- SIMD ----
# simd.c built for wasm without and with -msimd128: what v128 code buys each engine. The
# native build is gcc -O2, which vectorizes these loops for SSE2 itself.
if [ ${#selected[@]} -eq 0 ] || [[ " ${selected[*]} " == *" simd "* ]]; then
  echo
  echo "SIMD kernels (bench/simd.c): scalar wasm vs -msimd128 wasm, $CLOCK seconds"
  printf '%-10s %9s %9s %8s %9s %8s %8s\n' engine native scalar ratio simd128 ratio speedup
  { echo
    echo "| engine | native s | scalar s | scalar ratio | simd128 s | simd128 ratio | SIMD speedup |"
    echo "|---|---:|---:|---:|---:|---:|---:|"; } >>"$md"
  read -r nt _ nstatus <<<"$(run_median "$TMP/simd.native" "$NATIVE_DIR/simd" "${SIZE_ARG[@]}")"
  [ "$nstatus" = 0 ] || { echo "simd: native run failed" >&2; failures=$((failures + 1)); }
  for e in "${ENGINES[@]}"; do
    row=()
    for build in simd simd-simd128; do
      # shellcheck disable=SC2046
      read -r t _ status <<<"$(run_median "$TMP/$build.$e" $(engine_cmd "$e") "$BENCH_DIR/$build.wasm" "${SIZE_ARG[@]}")"
      if [ "$status" != 0 ] || ! cmp -s "$TMP/simd.native" "$TMP/$build.$e"; then
        echo "$build under $e: exit status $status, output differs from native" >&2
        failures=$((failures + 1))
        t=-1
      fi
      row+=("$t")
    done
    if [ "${row[0]}" = -1 ] || [ "${row[1]}" = -1 ]; then
      printf '%-10s %9s\n' "$e" wrong
      echo "| $e | wrong | | | | | |" >>"$md"
      continue
    fi
    awk -v e="$e" -v n="$nt" -v s="${row[0]}" -v v="${row[1]}" 'BEGIN {
      printf "%-10s %9.3f %9.3f %7.1fx %9.3f %7.1fx %7.2fx\n", e, n, s, s / n, v, v / n, s / v }'
    awk -v e="$e" -v n="$nt" -v s="${row[0]}" -v v="${row[1]}" 'BEGIN {
      printf "| %s | %.3f | %.3f | %.1fx | %.3f | %.1fx | %.2fx |\n", e, n, s, s / n, v, v / n, s / v }' >>"$md"
  done
fi

# ---- start-up ----
# hello and big (about 1 MB of code; main calls one function) must print what native hello
# and big.expected say; their run time is almost all loading, validating and instantiating.
startup_check() { # startup_check ENGINE: prints nothing when both outputs are right
  local e=$1
  # shellcheck disable=SC2046
  if ! cmp -s <($(engine_cmd "$e") "$BENCH_DIR/hello.wasm" 2>&1) <("$NATIVE_DIR/hello"); then
    echo "hello under $e: output differs from native" >&2
    failures=$((failures + 1))
  fi
  # shellcheck disable=SC2046
  if ! cmp -s <($(engine_cmd "$e") "$BENCH_DIR/big.wasm" 2>&1; $(engine_cmd "$e") "$BENCH_DIR/big.wasm" all 2>&1) \
    "$BENCH_DIR/big.expected"; then
    echo "big under $e: output differs from big.expected" >&2
    failures=$((failures + 1))
  fi
}
for e in "${ENGINES[@]}"; do startup_check "$e"; done

# startup_time COMMAND...: "WALL CPU", the median wall time and the mean CPU time (user +
# system) in milliseconds over 40 or more runs. The wall time is what a user waits; the CPU
# time moves less when the machine is busy.
startup_time() {
  if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 5 --min-runs 40 --export-csv "$TMP/hf.csv" --output=null "$*" \
      >/dev/null 2>&1 || { echo "failed failed"; return; }
    # command,mean,stddev,median,user,system,min,max
    awk -F, 'NR == 2 {printf "%.2f %.2f", $4 * 1000, ($5 + $6) * 1000}' "$TMP/hf.csv"
  else
    local i
    for ((i = 0; i < 40; i++)); do "$MEASURE" /dev/null "$@"; done |
      sort -g | awk '{w[NR] = $1; c += $2} END {printf "%.2f %.2f", w[int((NR+1)/2)] * 1000, c / NR * 1000}'
  fi
}
startup_rss() { # peak RSS in MB of one run
  "$MEASURE" /dev/null "$@" | awk '{printf "%.1f", $3 / 1024}'
}
if [ $quick = 0 ]; then
  big_kb=$(($(stat -c %s "$BENCH_DIR/big.wasm") / 1024))
  echo
  echo "start-up in ms: median wall time and mean CPU time over 40+ runs" \
    "($(command -v hyperfine >/dev/null && echo hyperfine || echo measure)); peak RSS"
  printf '%-10s %10s %10s %10s %10s %12s %12s\n' engine "hello" "hello cpu" "big" "big cpu" \
    "hello RSS" "big RSS"
  { echo
    echo "| engine | hello ms | hello CPU ms | big (${big_kb} KB) ms | big CPU ms | hello RSS | big RSS |"
    echo "|---|---:|---:|---:|---:|---:|---:|"; } >>"$md"
  read -r h hc <<<"$(startup_time "$NATIVE_DIR/hello")"
  r=$(startup_rss "$NATIVE_DIR/hello")
  printf '%-10s %10s %10s %10s %10s %10sMB %12s\n' native "$h" "$hc" - - "$r" -
  echo "| native | $h | $hc | - | - | $r MB | - |" >>"$md"
  for e in "${ENGINES[@]}"; do
    # shellcheck disable=SC2046
    read -r h hc <<<"$(startup_time $(engine_cmd "$e") "$BENCH_DIR/hello.wasm")"
    # shellcheck disable=SC2046
    read -r b bc <<<"$(startup_time $(engine_cmd "$e") "$BENCH_DIR/big.wasm")"
    # shellcheck disable=SC2046
    hr=$(startup_rss $(engine_cmd "$e") "$BENCH_DIR/hello.wasm")
    # shellcheck disable=SC2046
    br=$(startup_rss $(engine_cmd "$e") "$BENCH_DIR/big.wasm")
    printf '%-10s %10s %10s %10s %10s %10sMB %10sMB\n' "$e" "$h" "$hc" "$b" "$bc" "$hr" "$br"
    echo "| $e | $h | $hc | $b | $bc | $hr MB | $br MB |" >>"$md"
  done
fi

[ -n "${BENCH_OUT:-}" ] && cp "$md" "$BENCH_OUT"
echo
if [ $failures -gt 0 ]; then
  echo "bench: $failures output mismatch(es) or failure(s)"
  exit 1
fi
echo "bench: all outputs match native"
