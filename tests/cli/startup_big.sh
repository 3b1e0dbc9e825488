#!/usr/bin/env bash
# kite run and kite validate on bench/big.wasm (about 1 MB of code), which `kite run` loads
# on its start-up heap and validates on several threads: the output must be the same with
# any number of compile threads, and a damaged copy must give the same error with one
# thread as with several.
set -u
KITE=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIG=$SRC/bench/big.wasm
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

expected=$(cat "$SRC/bench/big.expected")
for t in 1 2 4 0; do
  out=$("$KITE" run --compile-threads "$t" "$BIG" 2>&1; "$KITE" run --compile-threads="$t" "$BIG" all 2>&1)
  [ "$out" = "$expected" ] && ok || bad "run with $t compile threads: output differs from big.expected"
done

# Damage one byte at places throughout the code section (0x02 inside a body is `block`
# wanting a block type, 0x41 a constant, 0xff is no opcode); most places give an error.
read -r code_start code_end < <("$KITE" objdump -h "$BIG" |
  sed -n 's/^ *Code start=\(0x[0-9a-f]*\) end=\(0x[0-9a-f]*\).*/\1 \2/p')
errors=0
for i in $(seq 0 29); do
  at=$((code_start + (code_end - code_start) * i / 30 + i * 7))
  for byte in '\x02' '\x41' '\xff'; do
    f=$dir/big-$i.wasm
    cp "$BIG" "$f"
    printf "$byte" | dd of="$f" bs=1 seek=$at conv=notrunc status=none
    one=$("$KITE" validate --compile-threads=1 "$f" 2>&1)
    s1=$?
    [ $s1 -ne 0 ] && errors=$((errors + 1))
    for t in 2 8; do
      many=$("$KITE" validate --compile-threads=$t "$f" 2>&1)
      [ $? -eq $s1 ] && [ "$many" = "$one" ] && ok ||
        bad "byte $byte at $at, $t threads: '$many' (one thread: '$one')"
    done
    if [ $s1 -ne 0 ]; then
      many=$("$KITE" run --compile-threads 4 "$f" 2>&1)
      [ "$many" = "$one" ] && ok || bad "run, byte $byte at $at: '$many' (validate: '$one')"
    fi
  done
done
[ $errors -ge 45 ] && ok || bad "only $errors of 90 damaged copies were rejected"

"$KITE" run --compile-threads x "$BIG" >/dev/null 2>&1
[ $? -eq 2 ] && ok || bad "--compile-threads x is not a usage error"
"$KITE" validate --compile-threads=-1 "$BIG" >/dev/null 2>&1
[ $? -eq 2 ] && ok || bad "--compile-threads=-1 is not a usage error"

echo "startup_big: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
