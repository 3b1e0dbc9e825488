#!/usr/bin/env bash
# Every C and C++ program in tests/fixtures and examples/wasi, built natively, prints
# exactly what its committed .wasm prints under `kite run` (stdout and stderr), and ends
# with the same exit status, given the same arguments, environment, argv[0], standard input
# and directory. The benchmark programs (bench/*.c) get the same comparison in
# bench_smoke.sh.
#
# C is built with musl-gcc when it is installed: wasi-libc is musl's descendant, so what C
# leaves to the implementation (printf's %a of a subnormal, libm's last bits) agrees. With
# plain gcc (glibc) floats.c is skipped, with a note. C++ is built with g++ (libstdc++)
# against the wasm build's libc++. A fixture that calls WASI functions directly gets
# tests/fixtures/native/wasi/api.h, which maps them to POSIX.
#
# Not compared natively (each is covered by its own test):
#   wasi_escape   proves the sandbox: natively there is none, every escape would succeed
#   wasi_poll     calls poll_oneoff with WASI's own structures: a native build would be a
#                 second implementation of the thing under test
#   wasi_sock     accepts on a listener the host preopens (--listen): no native equivalent
#   wasi_reactor  has no main (its exports are called by --invoke, tests/cli/wasi_run.sh)
# Skipped (77) without gcc.
set -u
KITE=$1
source "$(dirname "$0")/wasi_common.bash"
command -v gcc >/dev/null || { echo "fixtures_native: skipped: no gcc"; exit 77; }
command -v perl >/dev/null || { echo "fixtures_native: skipped: no perl (sets argv[0])"; exit 77; }
wasi_skip_unless_runnable fixtures_native
NOT_NATIVE=(wasi_escape wasi_poll wasi_sock wasi_reactor)
CC=gcc
if command -v musl-gcc >/dev/null; then CC=musl-gcc; fi

# Build every fixture's native twin. One that is neither in NOT_NATIVE nor compared below
# is a failure, so a new fixture cannot be forgotten.
declare -A native wasm_of ran
for src in "$FIX"/*.c "$FIX"/*.cc "$FIX"/../../examples/wasi/*.c; do
  name=$(basename "${src%.*}")
  [[ " ${NOT_NATIVE[*]} " == *" $name "* ]] && continue
  wasm_of[$name]=${src%.*}.wasm
  [ -f "${wasm_of[$name]}" ] || { fail=$((fail + 1)); echo "FAIL: $name: no .wasm"; continue; }
  if [[ $src == *.cc ]]; then
    command -v g++ >/dev/null || { echo "fixtures_native: no g++: $name skipped"; continue; }
    cmd=(g++ -std=c++17 -O2 -fno-exceptions -ffp-contract=off -o "$TMP/$name" "$src")
  else
    cmd=("$CC" -std=gnu11 -O2 -ffp-contract=off -I "$FIX/native" -o "$TMP/$name" "$src" -lm)
  fi
  if "${cmd[@]}" 2>"$TMP/cc.log"; then native[$name]=$TMP/$name; else
    fail=$((fail + 1)); echo "FAIL: $name: native build failed: ${cmd[*]}"; cat "$TMP/cc.log"; fi
done

# same_run NAME STDIN [--dir H::G | --env N=V]... -- ARGS...: the fixture under kite and
# natively. Guest paths in ARGS that start with a --dir's GUEST become its HOST natively.
# MASK: a sed script applied to both outputs first, for what no two runs share (a time).
compared=0
same_run() {
  local name=$1 input=$2 wasm=${wasm_of[$1]:-}
  shift 2
  local kopts=() envs=() maps=()
  while [ "$1" != -- ]; do
    kopts+=("$1" "$2")
    case $1 in
    --env) envs+=("$2") ;;
    --dir) maps+=("$2") ;;
    esac
    shift 2
  done
  shift
  local nargs=() a m
  for a in "$@"; do
    for m in "${maps[@]}"; do
      [[ $a == "${m#*::}"* ]] && a=${m%%::*}${a#"${m#*::}"}
    done
    nargs+=("$a")
  done
  [ -n "${native[$name]:-}" ] || return 0
  local kout kerr kstatus nout nerr nstatus
  kout=$(printf '%s' "$input" | "$KITE" run "${kopts[@]}" "$wasm" "$@" 2>"$TMP/kerr")
  kstatus=$?
  kerr=$(cat "$TMP/kerr")
  # env -i and perl's exec: nothing but --env's variables, and argv[0] as kite gives it.
  nout=$(printf '%s' "$input" | env -i "${envs[@]}" perl -e 'exec {shift} @ARGV' \
    "${native[$name]}" "$wasm" "${nargs[@]}" 2>"$TMP/nerr")
  nstatus=$?
  nerr=$(cat "$TMP/nerr")
  compared=$((compared + 1))
  ran[$name]=1
  if [ -n "${MASK:-}" ]; then
    nout=$(sed "$MASK" <<<"$nout")
    kout=$(sed "$MASK" <<<"$kout")
  fi
  same "$name $*: stdout" "$nout" "$kout"
  same "$name $*: stderr" "$nerr" "$kerr"
  same "$name $*: exit status" "$nstatus" "$kstatus"
}

same_run hello "" -- one "two words" ""
same_run hello "" --env USER=kite --env OTHER=1 --
same_run sha256 "" -- abc "" "The quick brown fox"
same_run sha256 "$(seq 1 2000)" --
same_run sort "" -- 5000
same_run sort "" -- 0
if [ "$CC" = musl-gcc ]; then
  same_run floats "" --
else
  echo "fixtures_native: no musl-gcc: floats not compared (glibc prints %a differently)"
fi
mkdir "$TMP/k"
same_run wasi_files "" --dir "$TMP/k::/work" -- /work
same_run wasi_files "" --
same "wasi_files leaves its directory empty" "" "$(ls -A "$TMP/k")"
same_run wasi_clock_env_args "" --env A=1 --env "B=x y" -- "a b" "" --env
same_run wasi_clock_env_args "" -- exit=7
same_run wasi_clock_env_args "" -- exit=255
same_run cxx_inventory "the cat and the dog and the bird" -- x "y z"
same_run cxx_inventory "" -- exit=3
# The demo writes /out/life.txt only where /out is a preopened directory, and says how
# long it ran.
if [ -e /out ]; then echo "fixtures_native: /out exists on this host: life not compared"; else
  MASK='s/ torus in [0-9.]* s$/ torus in (time) s/' same_run life "" -- 12 48 16 0
  MASK='s/ torus in [0-9.]* s$/ torus in (time) s/' same_run life "" -- 3 200 100 1
fi

# A trap: the same output before it, then kite's documented trap status and message where
# the native program dies of the signal.
if [ -n "${native[wasi_trap]:-}" ]; then
  kout=$("$KITE" run "$FIX/wasi_trap.wasm" 2>"$TMP/kerr")
  kstatus=$?
  nout=$(perl -e 'exec {shift} @ARGV' "${native[wasi_trap]}" "$FIX/wasi_trap.wasm" 2>/dev/null)
  nstatus=$?
  same "wasi_trap: stdout" "$nout" "$kout"
  same "wasi_trap: native dies of SIGFPE" $((128 + 8)) "$nstatus"
  same "wasi_trap: kite's trap status" 134 "$kstatus"
  contains "wasi_trap: message" "error: wasm trap: integer divide by zero" "$(cat "$TMP/kerr")"
  same_run wasi_trap "" -- x
fi
for name in "${!native[@]}"; do
  [ -n "${ran[$name]:-}" ] || { fail=$((fail + 1)); echo "FAIL: $name: never compared"; }
done
echo "fixtures_native: $compared runs compared ($CC, ${#native[@]} programs)"
finish fixtures_native
