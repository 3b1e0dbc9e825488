#!/usr/bin/env bash
# The bundled C and C++ programs (tests/fixtures/*.wasm) validate, and objdump shows their
# sections, exports and function names. Where wabt is installed, `kite objdump -h` must list
# the same sections at the same offsets as wasm-objdump -h.
set -u
KITE=$1
SRC=${KITE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
has() { # has WHAT TEXT PATTERN: TEXT contains the fixed string PATTERN
  if grep -qF -- "$3" <<<"$2"; then ok; else bad "$1: no '$3' in output"; fi
}

fixtures=("$SRC"/tests/fixtures/*.wasm)
[ -e "${fixtures[0]}" ] || { echo "cli_fixtures: no fixtures in $SRC/tests/fixtures"; exit 1; }

for wasm in "${fixtures[@]}"; do
  name=$(basename "$wasm" .wasm)
  if err=$("$KITE" validate "$wasm" 2>&1); then ok; else bad "$name: validate failed: $err"; fi

  headers=$("$KITE" objdump -h "$wasm" 2>&1) || bad "$name: objdump -h exited $?"
  has "$name -h" "$headers" "file format wasm 0x1"
  for section in Type Import Function Memory Export Code Data; do
    has "$name -h" "$headers" "$(printf '%9s start=0x' "$section")"
  done
  has "$name -h" "$headers" 'Custom start='
  has "$name -h" "$headers" '"name"'

  details=$("$KITE" objdump -x "$wasm" 2>&1) || bad "$name: objdump -x exited $?"
  has "$name -x" "$details" 'Section Details:'
  has "$name -x" "$details" '- memory[0] pages: initial='
  has "$name -x" "$details" '<- wasi_snapshot_preview1.'
  src=${wasm%.wasm}.c
  [ -f "$src" ] || src=${wasm%.wasm}.cc # C++
  [ -f "$src" ] || bad "$name: no source ${wasm%.wasm}.c or .cc"
  if grep -qF 'int main(' "$src" 2>/dev/null; then # a command
    has "$name -x" "$details" '-> "_start"'
    has "$name -x" "$details" ' <_start>'
    if grep -qE ' <(__original_)?main>$' <<<"$details"; then ok; else bad "$name -x: no main"; fi
    if grep -qE '^ - func\[[0-9]+\] size=[0-9]+ <(__original_)?main>$' <<<"$details"; then ok; else
      bad "$name -x: no code entry for main"; fi
  else # a reactor
    has "$name -x" "$details" '-> "_initialize"'
  fi
  has "$name -x" "$details" '- name: "name"'
  has "$name -x" "$details" '- name: "producers"'
  if grep -qE '^ - segment\[0\]( <[^>]*>)? memory=0 size=[0-9]+ - init i32.const [0-9]+$' <<<"$details"
  then ok; else bad "$name -x: no data segment with its offset"; fi

  if command -v wasm-objdump >/dev/null 2>&1; then
    want=$(wasm-objdump -h "$wasm" | grep 'start=0x')
    got=$(grep 'start=0x' <<<"$headers")
    if [ "$want" = "$got" ]; then ok; else
      bad "$name: section headers differ from wasm-objdump -h"
      diff <(echo "$want") <(echo "$got")
    fi
  fi
done

# Both views at once, several files at once.
both=$("$KITE" objdump -hx "${fixtures[@]}" 2>&1) || bad "objdump -hx on all fixtures exited $?"
[ "$(grep -c 'file format wasm' <<<"$both")" -eq "${#fixtures[@]}" ] && ok ||
  bad "objdump -hx: one header per file expected"
if "$KITE" validate "${fixtures[@]}"; then ok; else bad "validate of all fixtures at once"; fi

if ! command -v wasm-objdump >/dev/null 2>&1; then
  echo "cli_fixtures: wasm-objdump (wabt) not installed: the comparison with it was skipped"
fi
echo "cli_fixtures: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
