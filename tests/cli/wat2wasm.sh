#!/usr/bin/env bash
# `kite wat2wasm` and the text input of `kite validate` / `kite objdump`: output to a file
# or stdout, --debug-names, errors as FILE:LINE:COL: error: MESSAGE (exit 1), usage (exit 2).
set -u
KITE=$1
SRC=${KITE_SOURCE_DIR:-.}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

for f in "$SRC"/tests/cli/wat/*.wat; do
  name=$(basename "$f" .wat)
  "$KITE" wat2wasm "$f" -o "$dir/$name.wasm" && ok || bad "wat2wasm $name.wat"
  "$KITE" validate "$dir/$name.wasm" && ok || bad "$name.wasm must be valid"
  "$KITE" validate "$f" && ok || bad "validate must accept $name.wat"
  "$KITE" wat2wasm "$f" >"$dir/$name.stdout.wasm" && cmp -s "$dir/$name.wasm" "$dir/$name.stdout.wasm" &&
    ok || bad "wat2wasm $name.wat to stdout differs from -o"
  [ "$("$KITE" objdump -x "$f")" = "$("$KITE" objdump -x "$dir/$name.wasm" | sed "s|$dir/$name.wasm|$f|")" ] &&
    ok || bad "objdump of $name.wat and of its binary differ"
  # the name section only when asked for
  "$KITE" wat2wasm --debug-names "$f" -o "$dir/$name.names.wasm" && ok || bad "--debug-names $name"
  "$KITE" objdump -h "$dir/$name.wasm" | grep -q 'Custom .*"name"' && bad "$name.wasm has a name section" || ok
  "$KITE" objdump -h "$dir/$name.names.wasm" | grep -q 'Custom .*"name"' && ok || bad "$name.names.wasm has no name section"
done

# errors: one line with the position, exit 1
printf '(module\n  (func (i32.const 0x1_0000_0000)))\n' >"$dir/range.wat"
out=$("$KITE" wat2wasm "$dir/range.wat" -o "$dir/range.wasm" 2>&1)
[ $? -eq 1 ] && ok || bad "a malformed module must exit 1"
[ "$out" = "$dir/range.wat:2:20: error: constant out of range" ] && ok || bad "error line: $out"
[ -e "$dir/range.wasm" ] && bad "no output for a malformed module" || ok
out=$("$KITE" validate "$dir/range.wat" 2>&1)
[ $? -eq 1 ] && [ "$out" = "$dir/range.wat:2:20: error: constant out of range" ] && ok ||
  bad "validate of malformed text: $out"
printf '(module (func (result i32)))' >"$dir/invalid.wat"
"$KITE" wat2wasm "$dir/invalid.wat" -o "$dir/invalid.wasm" && ok || bad "wat2wasm does not validate"
"$KITE" validate "$dir/invalid.wat" 2>/dev/null && bad "invalid.wat must be invalid" || ok
"$KITE" wat2wasm "$dir/missing.wat" 2>/dev/null
[ $? -eq 1 ] && ok || bad "a missing file must exit 1"

# usage
for args in "" "-o" "--frobnicate x.wat" "a.wat b.wat" "--features=4.0 a.wat"; do
  # shellcheck disable=SC2086
  "$KITE" wat2wasm $args >/dev/null 2>&1
  [ $? -eq 2 ] && ok || bad "kite wat2wasm $args: expected exit 2"
done
"$KITE" wat2wasm --help | grep -q 'usage: kite wat2wasm' && ok || bad "--help"
# the 2.0 feature set rejects 3.0 instructions
printf '(module (func return))\n(func (return_call 0))' >"$dir/tail.wat"
"$KITE" wat2wasm --features=2.0 "$dir/tail.wat" >/dev/null 2>&1 && bad "2.0 accepts a tail call" || ok

echo "cli_wat2wasm: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
