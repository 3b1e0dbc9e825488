#!/usr/bin/env bash
# `kite wast`: counts, -v failure reports, exit status, the known-failures list and
# --check-known-failures, on small scripts written here.
set -u
KITE=$1
pass=0 fail=0
check() { # check DESCRIPTION EXPECTED_STATUS COMMAND... ; output in $out
  local what=$1 want=$2
  shift 2
  out=$("$@" 2>&1)
  local got=$?
  if [ "$got" -eq "$want" ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: $what: exit $got, expected $want"; echo "$out"; fi
}
contains() { # contains DESCRIPTION TEXT (in $out)
  if grep -qF -- "$2" <<<"$out"; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: $1: output lacks '$2'"; echo "$out"; fi
}
lacks() { # lacks DESCRIPTION TEXT (in $out)
  if grep -qF -- "$2" <<<"$out"; then
    fail=$((fail + 1)); echo "FAIL: $1: output has '$2'"; echo "$out"; else pass=$((pass + 1)); fi
}
last_line() { # last_line DESCRIPTION TEXT: the output's final line is exactly TEXT
  if [ "$(tail -n 1 <<<"$out")" = "$2" ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: $1: last line is not '$2'"; echo "$out"; fi
}

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/suite/proposals/threads"

cat >"$dir/suite/good.wast" <<'WAST'
(module $M
  (import "spectest" "print_i32" (func $print (param i32)))
  (import "spectest" "global_i32" (global $g i32))
  (import "spectest" "memory" (memory 1 2))
  (global $mut (export "mut") (mut i32) (i32.const 7))
  (func (export "add") (param i32 i32) (result i32) (local.get 0) (local.get 1) (i32.add))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "g") (result i32) (call $print (i32.const 1)) (global.get $g))
  (func (export "nan") (result f32) (f32.div (f32.const 0) (f32.const 0)))
  (func (export "two") (result i64 f64) (i64.const -1) (f64.const 1.5))
  (func (export "id") (param externref) (result externref) (local.get 0))
  (func $loop (export "loop") (call $loop))
)
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_return (invoke $M "g") (i32.const 666))
(assert_return (get "mut") (i32.const 7))
(assert_return (invoke "nan") (f32.const nan:canonical))
(assert_return (invoke "nan") (either (f32.const 1) (f32.const nan:arithmetic)))
(assert_return (invoke "two") (i64.const -1) (f64.const 1.5))
(assert_return (invoke "id" (ref.extern 5)) (ref.extern 5))
(assert_return (invoke "id" (ref.null extern)) (ref.null extern))
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_exhaustion (invoke "loop") "call stack exhausted")
(register "m" $M)
(module (import "m" "add" (func (param i32 i32) (result i32))))
(assert_unlinkable (module (import "m" "nope" (func))) "unknown import")
(assert_unlinkable (module (import "m" "add" (func))) "incompatible import type")
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_malformed (module quote "(func (i32.bogus))") "unknown operator")
(assert_malformed (module binary "\00asm") "unexpected end")
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
(module definition $D (func (export "f") (result i32) (i32.const 9)))
(module instance $I $D)
(assert_return (invoke $I "f") (i32.const 9))
WAST
check "a passing script" 0 "$KITE" wast "$dir/suite/good.wast"
contains "per-file line" "$dir/suite/good.wast: 22 passed, 0 failed, 0 skipped"
last_line "totals line" "22 passed, 0 failed, 0 skipped"

cat >"$dir/suite/bad.wast" <<'WAST'
(module (func (export "one") (result i32) (i32.const 1)))
(assert_return (invoke "one") (i32.const 2))
(assert_trap (invoke "one") "unreachable")
(assert_invalid (module (func)) "type mismatch")
(assert_return (invoke "one") (i32.const 1))
(assert_return (invoke "missing"))
WAST
check "failures exit 1" 1 "$KITE" wast "$dir/suite/bad.wast"
contains "failure counts" "bad.wast: 2 passed, 4 failed, 0 skipped"
lacks "quiet without -v" "expected"
check "-v shows failures" 1 "$KITE" wast -v "$dir/suite/bad.wast"
contains "-v line and values" "bad.wast:2: assert_return: result 0: expected i32:2 (0x2), got i32:1 (0x1)"
contains "-v trap" "bad.wast:3: assert_trap: expected \"unreachable\", but it succeeded"
contains "-v invalid" "bad.wast:4: assert_invalid"
contains "-v unknown export" "bad.wast:6: assert_return: unknown export \"missing\""
check "two files" 1 "$KITE" wast "$dir/suite/good.wast" "$dir/suite/bad.wast"
last_line "two files total" "24 passed, 4 failed, 0 skipped"

# Reference patterns: (ref.func) is a function, (ref.any) anything but one.
cat >"$dir/suite/refs.wast" <<'WAST'
(module
  (type $s (struct))
  (func $f)
  (elem declare func $f)
  (func (export "func") (result funcref) (ref.func $f))
  (func (export "struct") (result anyref) (struct.new $s))
  (func (export "i31") (result anyref) (ref.i31 (i32.const 5)))
  (func (export "null") (result anyref) (ref.null none)))
(assert_return (invoke "func") (ref.func))
(assert_return (invoke "struct") (ref.any))
(assert_return (invoke "struct") (ref.struct))
(assert_return (invoke "i31") (ref.i31))
(assert_return (invoke "i31") (ref.eq))
(assert_return (invoke "null") (ref.null func))
(assert_return (invoke "func") (ref.any))
(assert_return (invoke "struct") (ref.func))
(assert_return (invoke "struct") (ref.array))
(assert_return (invoke "null") (ref.any))
WAST
check "reference patterns" 1 "$KITE" wast -v "$dir/suite/refs.wast"
contains "reference pattern counts" "refs.wast: 7 passed, 4 failed, 0 skipped"
contains "ref.func is not ref.any" "refs.wast:15: assert_return"
contains "a struct is not ref.func" "refs.wast:16: assert_return"

# Known failures: listed lines count as skipped; a listed file is not run.
cat >"$dir/known" <<'LIST'
# comment line
bad.wast:2   # wrong on purpose
bad.wast:3   # wrong on purpose
bad.wast:4   # wrong on purpose
bad.wast:6   # wrong on purpose
LIST
check "listed failures pass the run" 0 "$KITE" wast --suite="$dir/suite" --known-failures="$dir/known" "$dir/suite/bad.wast"
last_line "listed failures are skipped" "2 passed, 0 failed, 4 skipped"
check "check mode: nothing listed passes" 0 "$KITE" wast --check-known-failures --suite="$dir/suite" --known-failures="$dir/known" "$dir/suite/bad.wast"
echo "bad.wast:5   # passes in fact" >>"$dir/known"
check "check mode: a listed entry passes" 1 "$KITE" wast --check-known-failures --suite="$dir/suite" --known-failures="$dir/known" "$dir/suite/bad.wast"
contains "check mode names it" "bad.wast:5: known failure passes now (passes in fact)"
echo "bad.wast:99   # nothing there" >"$dir/known2"
check "check mode: stale line" 1 "$KITE" wast --check-known-failures --suite="$dir/suite" --known-failures="$dir/known2" "$dir/suite/bad.wast"
contains "stale line named" "bad.wast:99: known failure names no command"
echo "bad.wast   # the whole file" >"$dir/known3"
check "a listed file is skipped" 0 "$KITE" wast --suite="$dir/suite" --known-failures="$dir/known3" "$dir/suite/bad.wast"
last_line "listed file counts" "0 passed, 0 failed, 6 skipped"
echo "good.wast   # the whole file" >"$dir/known4"
check "check mode: a listed file passes" 1 "$KITE" wast --check-known-failures --suite="$dir/suite" --known-failures="$dir/known4" "$dir/suite/good.wast"
contains "listed file named" "good.wast: known failure passes now (the whole file)"
echo "bad.wast:x" >"$dir/known5"
check "bad list syntax" 1 "$KITE" wast --known-failures="$dir/known5" "$dir/suite/bad.wast"

# Script syntax errors name FILE:LINE:COL.
printf '(module)\n(assert_return (invoke "f") (i32.const))\n' >"$dir/suite/syntax.wast"
check "syntax error" 1 "$KITE" wast "$dir/suite/syntax.wast"
contains "syntax error position" "syntax.wast:2:39: error:"
last_line "syntax error counts" "0 passed, 1 failed, 0 skipped"

# Usage.
check "no files" 2 "$KITE" wast
check "unknown option" 2 "$KITE" wast --frobnicate x.wast
check "help" 0 "$KITE" wast --help
contains "help text" "usage: kite wast"
check "missing file" 1 "$KITE" wast "$dir/none.wast"

echo "cli_wast: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
