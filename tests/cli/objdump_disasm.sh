#!/usr/bin/env bash
# `kite objdump -d`: function bodies with offsets and bytes, in wasm-objdump's layout.
set -u
KITE=$1
SRC=${KITE_SOURCE_DIR:-.}
FIX=$SRC/tests/fixtures
pass=0 fail=0
check() { # check DESCRIPTION EXPECTED_STATUS COMMAND... ; output in $out
  local what=$1 want=$2
  shift 2
  out=$("$@" 2>&1)
  local got=$?
  if [ "$got" -eq "$want" ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: $what: exit $got, expected $want"; echo "$out" | head -20; fi
}
contains() { # contains DESCRIPTION TEXT (in $out)
  if grep -qF -- "$2" <<<"$out"; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: $1: output lacks '$2'"; echo "$out" | head -20; fi
}
lacks() { # lacks DESCRIPTION TEXT (in $out)
  if grep -qF -- "$2" <<<"$out"; then
    fail=$((fail + 1)); echo "FAIL: $1: output has '$2'"; else pass=$((pass + 1)); fi
}

check "help mentions -d" 0 "$KITE" help objdump
contains "help mentions -d" "--disassemble"
check "-d" 0 "$KITE" objdump -d "$FIX/hello.wasm"
contains "-d title" "Code Disassembly:"
contains "-d function header" " func["
contains "-d instruction line" "| local.get 0"
contains "-d end line" "| end"
lacks "-d alone shows no section headers" "Sections:"
check "--disassemble" 0 "$KITE" objdump --disassemble "$FIX/sort.wasm"
contains "--disassemble" "Code Disassembly:"
check "-hd" 0 "$KITE" objdump -hd "$FIX/sort.wasm"
contains "-hd headers" "Sections:"
contains "-hd disassembly" "Code Disassembly:"

# A hand-made module: one function `i32.const 1; drop` at known offsets.
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
printf '\0asm\1\0\0\0\1\4\1\x60\0\0\3\2\1\0\n\7\1\5\0\x41\1\x1a\x0b' >"$TMP/small.wasm"
check "small module" 0 "$KITE" objdump -d "$TMP/small.wasm"
contains "function header at its locals" "000016 func[0]:"
contains "i32.const line" " 000017: 41 01                      | i32.const 1"
contains "drop line" " 000019: 1a                         | drop"
contains "end line" " 00001a: 0b                         | end"

echo "cli_objdump_disasm: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
