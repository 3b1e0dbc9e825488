#!/usr/bin/env bash
# kite run itself: traps (exit 134 with the message and a backtrace), --invoke on a
# reactor, modules that do not load or link (exit 1), and command-line mistakes (exit 2).
KITE=$1
source "$(dirname "$0")/wasi_common.bash"

# These need no interpreter.
check "no module" 2 "$KITE" run
check "unknown option" 2 "$KITE" run --frobnicate "$FIX/wasi_trap.wasm"
contains "unknown option message" "unknown option '--frobnicate'" "$err"
check "option without value" 2 "$KITE" run --dir
check "--fuel needs a number" 2 "$KITE" run --fuel lots "$FIX/wasi_trap.wasm"
check "--help" 0 "$KITE" run --help
for opt in "--dir HOST[::GUEST]" "--env NAME=VALUE" "--inherit-env" "--listen HOST:PORT" \
  "--invoke NAME" "--max-memory BYTES" "--fuel N" "--features=SET" "--  " "kite FILE [ARGS" \
  "FILE.wasm|FILE.wat" "exit status" "134 when it" "traps"; do
  contains "--help documents '$opt'" "$opt" "$out"
done
check "kite help run" 0 "$KITE" help run
check "missing file" 1 "$KITE" run "$TMP/none.wasm"
contains "missing file message" "cannot read" "$err"
check "missing preopen" 1 "$KITE" run --dir "$TMP/none" "$FIX/wasi_trap.wasm"
contains "missing preopen message" "cannot open directory" "$err"
printf '\0asm\1\0\0\0\1' >"$TMP/truncated.wasm"
check "malformed module" 1 "$KITE" run "$TMP/truncated.wasm"
contains "malformed module: file and offset" "truncated.wasm:0x" "$err"
printf '\0asm\1\0\0\0\1\4\1\x60\0\0\2\x0b\1\3env\3foo\0\0' >"$TMP/env_import.wasm"
check "unknown import" 1 "$KITE" run "$TMP/env_import.wasm"
contains "unknown import message" "unknown import: env::foo" "$err"
printf '\0asm\1\0\0\0\1\4\1\x60\0\0\2\x23\1\x16wasi_snapshot_preview1\x08fd_write\0\0' \
  >"$TMP/bad_type.wasm"
check "WASI import of the wrong type" 1 "$KITE" run "$TMP/bad_type.wasm"
contains "wrong type message" "incompatible import type" "$err"

wasi_skip_unless_runnable wasi_run
printf '\0asm\1\0\0\0' >"$TMP/empty.wasm"
check "a module with nothing to run" 0 "$KITE" run "$TMP/empty.wasm"

check "trap" 134 "$KITE" run "$FIX/wasi_trap.wasm"
same "output before the trap" "before the trap" "$out"
contains "trap message" "error: wasm trap: integer divide by zero" "$err"
contains "trap backtrace" "wasm backtrace:" "$err"
contains "backtrace names the function" "divide" "$err"
check "no trap" 10 "$KITE" run "$FIX/wasi_trap.wasm" x

R=$FIX/wasi_reactor.wasm
check "a reactor runs _initialize" 0 "$KITE" run "$R"
check "--invoke add" 0 "$KITE" run --invoke add "$R" 2 3
same "add" 5 "$out"
check "--invoke add wraps" 0 "$KITE" run --invoke add "$R" 0x7fffffff 1
same "add wraps" -2147483648 "$out"
check "--invoke mul64" 0 "$KITE" run --invoke mul64 "$R" 3 -4
same "mul64" -12 "$out"
check "--invoke half" 0 "$KITE" run --invoke half "$R" 5
same "half" 2.5 "$out"
check "--invoke third" 0 "$KITE" run --invoke=third "$R" 1
same "third (f32), shortest form" 0.33333334 "$out"
check "--invoke after _initialize" 0 "$KITE" run --invoke initialized "$R"
same "constructors ran" 42 "$out"
check "--invoke greet" 0 "$KITE" run --invoke greet "$R"
same "greet prints" "hello from a reactor" "$out"
check "--invoke with too few arguments" 2 "$KITE" run --invoke add "$R" 1
check "--invoke with a bad argument" 2 "$KITE" run --invoke add "$R" 1 x
contains "bad argument message" "is not a valid i32" "$err"
check "--invoke of a missing export" 1 "$KITE" run --invoke nope "$R"

check "--max-memory too small" 1 "$KITE" run --max-memory 65536 "$FIX/wasi_trap.wasm" x
check "--max-memory large enough" 10 "$KITE" run --max-memory 16777216 "$FIX/wasi_trap.wasm" x
# --fuel: a loop of 1000 iterations needs 1 + 999 units (the entry, the back-edges).
cat >"$TMP/loop.wat" <<'WAT'
(module
  (func (export "_start") (local i32)
    (loop $l (br_if $l (i32.lt_u (local.tee 0 (i32.add (local.get 0) (i32.const 1)))
                                 (i32.const 1000))))))
WAT
if ! "$KITE" run "$TMP/loop.wat" 2>&1 | grep -q "magic header"; then
  check "--fuel enough" 0 "$KITE" run --fuel 1000 "$TMP/loop.wat"
  check "--fuel one short" 134 "$KITE" run --fuel 999 "$TMP/loop.wat"
  contains "--fuel message" "all fuel consumed" "$err"
  check "--fuel with a command" 10 "$KITE" run --fuel 100000000 "$FIX/wasi_trap.wasm" x
  check "--fuel too small for a command" 134 "$KITE" run --fuel=50 "$FIX/wasi_trap.wasm" x
fi
# A text module runs the same way (once the CLI reads .wat files).
cat >"$TMP/exit3.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 8) "hi from wat\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 8))
    (i32.store (i32.const 4) (i32.const 12))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 100)))
    (call $exit (i32.const 3))
    unreachable))
WAT
if "$KITE" run "$TMP/exit3.wat" 2>&1 | grep -q "magic header"; then
  echo "wasi_run: .wat modules are not read yet: that part skipped"
else
  check "a .wat command with proc_exit(3)" 3 "$KITE" run "$TMP/exit3.wat"
  same "its output" "hi from wat" "$out"

  # WASI calls from the start function (run while the instance is being created) see
  # the instance's memory: the arguments are read and written there, then _start runs.
  cat >"$TMP/start.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "start: ")
  (data (i32.const 32) "_start\n")
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))
      (then (call $exit (i32.const 21)))))
  (func $init (local $last i32)
    (if (call $sizes (i32.const 48) (i32.const 52)) (then (call $exit (i32.const 20))))
    (if (call $args (i32.const 64) (i32.const 256)) (then (call $exit (i32.const 23))))
    (call $write (i32.const 16) (i32.const 7))
    ;; the last argument, its NUL turned into a newline
    (local.set $last
      (i32.load (i32.add (i32.const 60) (i32.shl (i32.load (i32.const 48)) (i32.const 2)))))
    (i32.store8 (i32.sub (i32.add (i32.const 256) (i32.load (i32.const 52))) (i32.const 1))
                (i32.const 10))
    (call $write (local.get $last)
                 (i32.sub (i32.add (i32.const 256) (i32.load (i32.const 52))) (local.get $last))))
  (start $init)
  (func (export "_start") (call $write (i32.const 32) (i32.const 7))))
WAT
  check "WASI calls from the start function" 0 "$KITE" run "$TMP/start.wat" argument
  same "the start function's output, then _start's" "start: argument
_start" "$out"
  sed 's/(start $init)/(start $init) (func (export "_initialize"))/; s/"_start"/"run"/' \
    "$TMP/start.wat" >"$TMP/start_reactor.wat"
  check "start function of a reactor under --invoke" 0 "$KITE" run --invoke run \
    "$TMP/start_reactor.wat"
  same "--invoke: start's output, then the export's" "start: $TMP/start_reactor.wat
_start" "$out"
  # proc_exit in a start function ends the program with its status; a trap there is a trap.
  sed 's/(start $init)/(func $bye (call $init) (call $exit (i32.const 9))) (start $bye)/' \
    "$TMP/start.wat" >"$TMP/start_exit.wat"
  printf '(module (func $s unreachable) (start $s))' >"$TMP/start_trap.wat"
  check "proc_exit in a start function" 9 "$KITE" run "$TMP/start_exit.wat"
  same "output before it, and _start never runs" "start: $TMP/start_exit.wat" "$out"
  check "a trap in a start function" 134 "$KITE" run "$TMP/start_trap.wat"
  contains "start function trap message" "error: wasm trap: unreachable" "$err"
fi
finish wasi_run
