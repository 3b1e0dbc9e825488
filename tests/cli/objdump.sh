#!/usr/bin/env bash
# `kite objdump` output, compared in full with expected files in tests/cli/data/:
#  - gc.expected: a hand-assembled binary with a recursion group of GC types, subtyping, a
#    3.0 table initializer, a shared 64-bit memory, a tag and a struct.new_default global;
#  - objdump.expected: objdump.wat (every MVP/2.0 section, names, imports of each kind,
#    extended constant expressions), assembled by wabt's wat2wasm when it is installed.
# Then the error paths and usage.
set -u
KITE=$1
SRC=${KITE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DATA=$SRC/tests/cli/data
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1

same_as() { # same_as EXPECTED_FILE COMMAND...: stdout equals the file, exit 0
  local got
  got=$("${@:2}")
  local status=$?
  [ "$status" -eq 0 ] && ok || bad "$*: exit $status"
  if [ "$got" = "$(cat "$1")" ]; then ok; else
    bad "$* differs from $1"
    diff <(echo "$got") "$1" | head -n 20
  fi
}

printf '\x00asm\x01\x00\x00\x00' >gc_sample.wasm
# Type: (rec (type (sub (struct (field (mut i8)) (field (ref null 1)))))
#            (type (sub final 0 (struct (field (mut i8)) (field (ref null 1)) (field i64)))))
#       (type (array (mut i16))) (type (func (param (ref 0)) (result anyref)))
#       (type (func (param i32)))
printf '\x01\x25\x04\x4e\x02\x50\x00\x5f\x02\x78\x01\x63\x01\x00\x4f\x01\x00\x5f\x03\x78\x01\x63' >>gc_sample.wasm
printf '\x01\x00\x7e\x00\x5e\x77\x01\x60\x01\x64\x00\x01\x6e\x60\x01\x7f\x00' >>gc_sample.wasm
# Table: (table 1 (ref any) (ref.i31 (i32.const 0))); Memory: (memory i64 1 2 shared);
# Tag: (tag (type 4)); Global: (global (ref null 0) (struct.new_default 0))
printf '\x04\x0c\x01\x40\x00\x64\x6e\x00\x01\x41\x00\xfb\x1c\x0b\x05\x04\x01\x07\x01\x02' >>gc_sample.wasm
printf '\x0d\x03\x01\x00\x04\x06\x08\x01\x63\x00\x00\xfb\x01\x00\x0b' >>gc_sample.wasm
same_as "$DATA/gc.expected" "$KITE" objdump -hx gc_sample.wasm
"$KITE" validate gc_sample.wasm && ok || bad "gc_sample.wasm must be valid"

if command -v wat2wasm >/dev/null 2>&1; then
  if wat2wasm --enable-multi-memory --enable-extended-const --debug-names \
    "$DATA/objdump.wat" -o objdump.wasm; then
    same_as "$DATA/objdump.expected" "$KITE" objdump -h -x objdump.wasm
    "$KITE" validate objdump.wasm && ok || bad "objdump.wasm must be valid"
  else
    bad "wat2wasm failed on objdump.wat"
  fi
else
  echo "cli_objdump: wat2wasm (wabt) not installed: objdump.wat was skipped"
fi

# -h is the default view; --headers and --details are the long spellings.
[ "$("$KITE" objdump gc_sample.wasm)" = "$("$KITE" objdump --headers gc_sample.wasm)" ] && ok ||
  bad "objdump without options must equal -h"
[ "$("$KITE" objdump --details --headers gc_sample.wasm)" = "$(cat "$DATA/gc.expected")" ] && ok ||
  bad "--details --headers must equal -hx"

# A file that does not decode is reported like validate reports it; the others still print.
printf '\x00asm\x01\x00\x00\x00\x01\x05\x01\x60' >truncated.wasm
out=$("$KITE" objdump -h truncated.wasm gc_sample.wasm 2>err.txt)
[ $? -eq 1 ] && ok || bad "truncated module: expected exit 1"
grep -qE '^truncated\.wasm:0x[0-9a-f]+: error: length out of bounds$' err.txt && ok ||
  bad "truncated module message: $(cat err.txt)"
grep -qF 'gc_sample.wasm:	file format wasm 0x1' <<<"$out" && ok || bad "later files still dumped"
"$KITE" objdump -h missing.wasm 2>err.txt
[ $? -eq 1 ] && grep -qF 'kite: cannot read missing.wasm: No such file or directory' err.txt && ok ||
  bad "missing file: $(cat err.txt)"

# Usage errors exit 2.
for args in "" "-z gc_sample.wasm" "-hq gc_sample.wasm" "--features=9 gc_sample.wasm"; do
  # shellcheck disable=SC2086
  "$KITE" objdump $args >/dev/null 2>&1
  [ $? -eq 2 ] && ok || bad "kite objdump $args: expected exit 2"
done
"$KITE" help objdump | grep -q "usage: kite objdump" && ok || bad "kite help objdump"

echo "cli_objdump: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
