#!/usr/bin/env bash
# `kite wast` with threads: tests/cli/data/threads.wast (message passing, counters from
# four threads, wait/notify with real blocking, timeouts, growth seen across threads),
# run several times since interleavings vary; threads_memory.wast (atomics on memory64,
# unshared and second memories); and how a thread's outcomes are reported.
set -u
KITE=$1
SRC=${KITE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
pass=0 fail=0
expect_line() { # expect_line DESCRIPTION TEXT (a line of $out)
  if grep -qxF -- "$2" <<<"$out"; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: $1: no line '$2'"; echo "$out"; fi
}

for i in 1 2 3 4 5; do
  out=$(timeout 60 "$KITE" wast -v --features=all "$SRC/tests/cli/data/threads.wast" 2>&1)
  expect_line "threads.wast run $i" "56 passed, 0 failed, 0 skipped"
done

out=$("$KITE" wast -v --features=all "$SRC/tests/cli/data/threads_memory.wast" 2>&1)
expect_line "threads_memory.wast" "19 passed, 0 failed, 0 skipped"

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# A failure inside a thread names its own line; a thread never waited for is joined at
# the end; an unknown shared module or thread fails the command.
cat >"$dir/t.wast" <<'WAST'
(module $M (memory (export "m") 1 1 shared) (func (export "one") (result i32) (i32.const 1)))
(thread $T (shared (module $M))
  (assert_return (invoke $M "one") (i32.const 2))
  (assert_return (invoke $M "one") (i32.const 1)))
(wait $T)
(thread $U (shared (module $Nope)) (invoke $M "one"))
(wait $Nope)
(thread $V (shared (module $M)) (assert_return (invoke $M "one") (i32.const 1)))
WAST
out=$("$KITE" wast -v --features=all "$dir/t.wast" 2>&1)
expect_line "failure in a thread" "$dir/t.wast:3: assert_return: result 0: expected i32:2 (0x2), got i32:1 (0x1)"
expect_line "unknown shared module" "$dir/t.wast:6: thread: unknown module \$Nope"
expect_line "its commands are skipped" "$dir/t.wast:6: action: skipped: its thread did not start"
expect_line "unknown thread" "$dir/t.wast:7: wait: no running thread \$Nope"
expect_line "totals" "6 passed, 3 failed, 1 skipped"

echo "wast_threads: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
