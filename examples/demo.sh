#!/usr/bin/env bash
# The demo behind `make demo`: Kite running real programs written in C and compiled to
# WebAssembly: the Game of Life (examples/wasi/life.c) in the terminal, then a look inside a
# SHA-256 tool (tests/fixtures/sha256.c). Usage: demo.sh PATH/TO/kite
set -euo pipefail
KITE=$(cd "$(dirname "${1:-build/kite}")" && pwd)/$(basename "${1:-build/kite}")
cd "$(dirname "$0")/.."
WASM=tests/fixtures/sha256.wasm
bold="" plain=""
if [ -t 1 ]; then bold=$(tput bold 2>/dev/null || true) plain=$(tput sgr0 2>/dev/null || true); fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
show() { printf '%s$ kite %s%s\n' "$bold" "$*" "$plain"; "$KITE" "$@"; }

step "Kite is a WebAssembly engine and toolkit. Its commands:"
show help

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kite-demo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# In a terminal the animation is worth watching; in a log, a few generations will do.
if [ -t 1 ]; then life_args=(300 72 36 25); else life_args=(12 48 16 0); fi
step "examples/wasi/life.c, built with clang for wasm32-wasi, run by the interpreter through WASI"
printf '%s$ kite run --dir %s::/out examples/wasi/life.wasm %s%s\n' "$bold" "$tmp" "${life_args[*]}" "$plain"
sleep 1
"$KITE" run --dir "$tmp::/out" examples/wasi/life.wasm "${life_args[@]}"
echo "(the guest wrote through its preopened directory; on the host:)"
head -n 3 "$tmp/life.txt"

step "$WASM is a C program built with clang for wasm32-wasi. Is it a valid module?"
show validate "$WASM"
echo "(no output and exit status 0: valid)"

step "A broken copy: the same bytes cut off in the middle of the code section"
head -c 2000 "$WASM" >"$tmp/truncated.wasm"
show validate "$tmp/truncated.wasm" ||
  echo "(exit status $?: the error names the file, the byte offset and the problem)"

step "Its sections: where each starts and ends in the file, and how many entries it has"
show objdump -h "$WASM"

step "Details (kite objdump -x): the WASI functions it imports and what it exports"
"$KITE" objdump -x "$WASM" | awk '/^[A-Z]/ { on = /^(Import|Export)/ } on'

step "...and its functions, with their names from the name section and their code sizes"
"$KITE" objdump -x "$WASM" | grep -E '^ - func\[[0-9]+\] size=[0-9]+ <(main|sha256_[a-z]+)>$'
