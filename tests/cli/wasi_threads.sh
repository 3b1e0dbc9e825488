#!/usr/bin/env bash
# wasi-threads under `kite run`: tests/fixtures/threads_counter.wat (8 threads, atomic
# and mutex-guarded counters, a join by wait/notify), threads_exit.wat (a spawned thread
# ends the program by proc_exit or a trap while the main thread waits forever), and the
# edges: main returning while threads run, a module without wasi_thread_start, and one
# without an imported shared memory.
set -u
KITE=$1
SRC=${KITE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
FIX=$SRC/tests/fixtures
pass=0 fail=0
check() { # check DESCRIPTION EXPECTED_STATUS COMMAND... ; output in $out
  local what=$1 want=$2
  shift 2
  out=$(timeout 60 "$@" 2>&1)
  local got=$?
  if [ "$got" -eq "$want" ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: $what: exit $got, expected $want"; echo "$out"; fi
}
contains() { # contains DESCRIPTION TEXT (in $out)
  if grep -qF -- "$2" <<<"$out"; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: $1: output lacks '$2'"; echo "$out"; fi
}

for i in 1 2 3; do
  check "counter run $i" 0 "$KITE" run "$FIX/threads_counter.wat"
  contains "counter run $i" "counter: 40000 locked: 40000"
done
check "proc_exit in a thread" 7 "$KITE" run "$FIX/threads_exit.wat"
check "trap in a thread" 134 "$KITE" run "$FIX/threads_exit.wat" trap
contains "trap in a thread" "error: wasm trap: unreachable"
contains "trap in a thread" "wasm backtrace:"

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/spin.wat" <<'WAT'
(module
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (func (export "wasi_thread_start") (param i32 i32)
    (i32.atomic.store (i32.const 0) (i32.const 1))
    (loop $forever (br $forever)))
  (func (export "_start")
    (drop (call $spawn (i32.const 0)))
    (loop $ready (br_if $ready (i32.eqz (i32.atomic.load (i32.const 0)))))))
WAT
check "main returns while a thread runs" 0 "$KITE" run "$dir/spin.wat"

cat >"$dir/nostart.wat" <<'WAT'
(module
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (func (export "_start")
    (if (i32.lt_s (call $spawn (i32.const 0)) (i32.const 0)) (then (call $exit (i32.const 5))))))
WAT
check "no wasi_thread_start: thread-spawn fails" 5 "$KITE" run "$dir/nostart.wat"

cat >"$dir/nomem.wat" <<'WAT'
(module
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (memory (export "memory") 1 1 shared)
  (func (export "_start")))
WAT
check "no imported memory" 1 "$KITE" run "$dir/nomem.wat"
contains "no imported memory" "must import a shared memory as env::memory"

echo "wasi_threads: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
