#!/usr/bin/env bash
# `kite wasm2wat` against wabt's wasm2wat on the committed fixtures, flat and folded:
# the same text, apart from the custom sections Kite prints as (@custom ...) annotations and
# the (@name ...) Kite adds after an identifier made unique ("dummy.1" for a second "dummy")
# so that the name section survives a round trip.
# And `kite objdump -d` against wasm-objdump -d. Skipped (exit 77) without wabt.
set -u
KITE=$1
SRC=${KITE_SOURCE_DIR:-.}
FIX=$SRC/tests/fixtures
if ! command -v wasm2wat >/dev/null 2>&1; then
  echo "cli_wasm2wat_wabt: skipped, wabt's wasm2wat is not on PATH"
  exit 77
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0
same() { # same DESCRIPTION FILE1 FILE2
  if cmp -s "$2" "$3"; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: $1"; diff "$2" "$3" | head -20; fi
}

# Drop the annotations and the parentheses that close the last line before comparing.
normalize() { grep -v '^  (@custom ' | sed 's/ (@name "[^"]*")//; $ s/)*$//'; }
for f in "$FIX"/*.wasm; do
  name=$(basename "$f" .wasm)
  # C++ function names hold spaces, parentheses and duplicates: Kite prints them as quoted
  # ids ($"f(int) const"), wabt 1.0.33 turns each such character into '_' and numbers the
  # duplicates its own way. Both are valid text; only the C fixtures are compared.
  [ -f "$FIX/$name.cc" ] && continue
  wasm2wat "$f" 2>/dev/null | normalize >"$TMP/$name.wabt" || continue
  "$KITE" wasm2wat "$f" | normalize >"$TMP/$name.kite"
  same "$name matches wabt's wasm2wat" "$TMP/$name.wabt" "$TMP/$name.kite"
  wasm2wat --fold-exprs "$f" 2>/dev/null | normalize >"$TMP/$name.wabt.fold"
  "$KITE" wasm2wat --fold "$f" | normalize >"$TMP/$name.kite.fold"
  same "$name --fold matches wabt's wasm2wat --fold-exprs" "$TMP/$name.wabt.fold" "$TMP/$name.kite.fold"
done
# wasm-objdump numbers locals without counting the parameters (and keeps counting from
# the previous function), so local declaration lines are left out; so is the header.
if command -v wasm-objdump >/dev/null 2>&1; then
  for f in "$FIX"/*.wasm; do
    name=$(basename "$f" .wasm)
    wasm-objdump -d "$f" 2>/dev/null | sed -n '/^Code Disassembly:/,$p' | grep -v '| local\[' \
      >"$TMP/$name.wabt.d" || continue
    "$KITE" objdump -d "$f" | sed -n '/^Code Disassembly:/,$p' | grep -v '| local\[' >"$TMP/$name.kite.d"
    same "$name objdump -d matches wasm-objdump -d" "$TMP/$name.wabt.d" "$TMP/$name.kite.d"
  done
fi
echo "cli_wasm2wat_wabt: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
