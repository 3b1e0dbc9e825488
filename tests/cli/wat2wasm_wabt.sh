#!/usr/bin/env bash
# `kite wat2wasm` against wabt's wat2wasm, byte for byte: the hand-written modules of
# tests/cli/wat (also with --debug-names), then every top-level module of the official
# suite that wabt implements (test_wat_suite --wabt, which explains the one intended
# difference). Skipped when wat2wasm is not on PATH.
# Intended differences with --debug-names: wabt 1.0.32 writes tag names as subsection 10,
# Kite as 11 (the extended name section's id; 10 names fields).
set -u
KITE=$1
SRC=${KITE_SOURCE_DIR:-.}
command -v wat2wasm >/dev/null || { echo "cli_wat2wasm_wabt: wat2wasm not found; skipped"; exit 77; }
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

for f in "$SRC"/tests/cli/wat/*.wat; do
  name=$(basename "$f" .wat)
  for opt in "" "--debug-names"; do
    wat2wasm --enable-all --no-check $opt "$f" -o "$dir/wabt.wasm" || { bad "wabt rejects $name.wat"; continue; }
    "$KITE" wat2wasm $opt "$f" -o "$dir/kite.wasm" || { bad "kite rejects $name.wat"; continue; }
    cmp -s "$dir/wabt.wasm" "$dir/kite.wasm" && ok || bad "$name.wat $opt: bytes differ from wabt's"
  done
done

suite_test="$(dirname "$KITE")/test_wat_suite"
if [ -x "$suite_test" ] && [ -d "${KITE_TESTSUITE:-}" ]; then
  "$suite_test" --wabt | tail -2
  [ "${PIPESTATUS[0]}" -eq 0 ] && ok || bad "test_wat_suite --wabt"
else
  echo "cli_wat2wasm_wabt: test_wat_suite or the suite not found; suite modules not compared"
fi
echo "cli_wat2wasm_wabt: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
