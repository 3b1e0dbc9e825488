#!/usr/bin/env bash
# `kite validate` on hand-made malformed and invalid binaries: one line per rejected file,
# FILE:0xOFFSET: error: MESSAGE, exit 1; valid files print nothing; usage errors exit 2.
set -u
KITE=$1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

header='\x00asm\x01\x00\x00\x00'
printf '' >"$dir/empty.wasm"
printf '\x00asn\x01\x00\x00\x00' >"$dir/magic.wasm"
printf '\x00asm\x02\x00\x00\x00' >"$dir/version.wasm"
printf "$header"'\x01\x05\x01\x60' >"$dir/beyond.wasm"
printf "$header"'\x01\x02\x01\x60' >"$dir/truncated.wasm"
# (func (result i32)) with an empty body: the result is missing.
printf "$header"'\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a\x04\x01\x02\x00\x0b' \
  >"$dir/mismatch.wasm"
# (func (result i32) i32.const 1): valid.
printf "$header"'\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a\x06\x01\x04\x00\x41\x01\x0b' \
  >"$dir/valid.wasm"
# (func return_call 0): needs tail calls, part of 3.0 but not of 2.0.
printf "$header"'\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x06\x01\x04\x00\x12\x00\x0b' \
  >"$dir/tail.wasm"
printf "$header" >"$dir/minimal.wasm"

# expect_error FILE MESSAGE: validate fails with exactly one well-formed line naming FILE.
expect_error() {
  local file=$dir/$1 out status
  out=$("$KITE" validate "$file" 2>&1)
  status=$?
  [ "$status" -eq 1 ] && ok || bad "$1: exit $status, expected 1"
  if [ "$(wc -l <<<"$out")" -eq 1 ] &&
    grep -qE "^$(printf '%s' "$file" | sed 's/[.[\*^$/]/\\&/g'):0x[0-9a-f]+: error: .+$" <<<"$out"
  then ok; else bad "$1: not FILE:0xOFFSET: error: MESSAGE: $out"; fi
  grep -qF -- "$2" <<<"$out" && ok || bad "$1: message lacks '$2': $out"
}

expect_error empty.wasm "unexpected end"
expect_error magic.wasm "magic header not detected"
expect_error version.wasm "unknown binary version"
expect_error beyond.wasm "length out of bounds"
expect_error truncated.wasm "unexpected end"
expect_error mismatch.wasm "type mismatch"

out=$("$KITE" validate "$dir/valid.wasm" "$dir/minimal.wasm" "$dir/tail.wasm" 2>&1)
[ $? -eq 0 ] && [ -z "$out" ] && ok || bad "valid files: expected exit 0 and no output: $out"

# Several files: every rejected one is reported, in order, and the valid ones are not.
out=$("$KITE" validate "$dir/mismatch.wasm" "$dir/valid.wasm" "$dir/magic.wasm" 2>&1)
[ $? -eq 1 ] && ok || bad "mixed files: expected exit 1"
[ "$(wc -l <<<"$out")" -eq 2 ] && ok || bad "mixed files: expected 2 lines: $out"
grep -q "^$dir/mismatch.wasm:" <<<"$(head -n 1 <<<"$out")" && ok || bad "mixed: first line: $out"
grep -q "^$dir/magic.wasm:" <<<"$(tail -n 1 <<<"$out")" && ok || bad "mixed: last line: $out"

# Feature sets.
"$KITE" validate --features=2.0 "$dir/tail.wasm" >/dev/null 2>&1
[ $? -eq 1 ] && ok || bad "return_call must be rejected with --features=2.0"
"$KITE" validate --features=all "$dir/tail.wasm" && ok || bad "--features=all rejects tail.wasm"
"$KITE" validate "$dir/valid.wasm" --features=2.0 && ok || bad "options after files"
"$KITE" validate - <"$dir/valid.wasm" && ok || bad "reading standard input"

# Files that cannot be read.
out=$("$KITE" validate "$dir/missing.wasm" 2>&1)
[ $? -eq 1 ] && ok || bad "missing file: expected exit 1"
[ "$out" = "kite: cannot read $dir/missing.wasm: No such file or directory" ] && ok ||
  bad "missing file message: $out"
out=$("$KITE" validate "$dir" 2>&1)
[ $? -eq 1 ] && grep -q "^kite: cannot read $dir: " <<<"$out" && ok || bad "directory: $out"

# Usage errors.
for args in "" "--features=4.0 $dir/valid.wasm" "--frobnicate $dir/valid.wasm"; do
  # shellcheck disable=SC2086
  "$KITE" validate $args >/dev/null 2>&1
  [ $? -eq 2 ] && ok || bad "kite validate $args: expected exit 2"
done
"$KITE" validate --help | grep -q "usage: kite validate" && ok || bad "validate --help"

echo "cli_validate_errors: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
