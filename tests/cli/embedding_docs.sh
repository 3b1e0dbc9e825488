#!/usr/bin/env bash
# The complete programs of docs/embedding.md (each ```c block after an
# "<!-- example: NAME -->" line) compile against the public headers and libkite.a, and
# run successfully, so the guide stays true.
set -u
KITE=$1
BUILD=$(cd "$(dirname "$KITE")" && pwd)
SRC=${KITE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
DOC=$SRC/docs/embedding.md
CC=${CC:-cc}
if ! command -v "$CC" >/dev/null 2>&1; then echo "no C compiler: skipped"; exit 77; fi
if [ ! -f "$BUILD/libkite.a" ]; then echo "no $BUILD/libkite.a: skipped"; exit 77; fi
# A sanitizer build's library needs the sanitizers' runtimes in the programs too.
SAN=()
if nm "$BUILD/libkite.a" 2>/dev/null | grep -q __asan_; then SAN=(-fsanitize=address,undefined); fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
awk -v dir="$work" '
  /^<!-- example: [a-z_0-9]+ -->$/ { name = $3; next }
  name != "" && /^```c$/ { file = dir "/" name ".c"; next }
  file != "" && /^```$/ { close(file); file = ""; name = ""; next }
  file != "" { print > file }
' "$DOC"
pass=0 fail=0
for src in "$work"/*.c; do
  name=$(basename "$src" .c)
  if ! "$CC" -std=c11 -Wall -Wextra -Werror "${SAN[@]}" -I"$SRC/include" "$src" "$BUILD/libkite.a" \
      -lpthread -lm -o "$work/$name" 2>"$work/$name.log"; then
    fail=$((fail + 1)); echo "FAIL: $name does not compile"; cat "$work/$name.log"; continue
  fi
  if (cd "$work" && ./"$name" >"$work/$name.out" 2>&1); then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: $name exits with an error"; cat "$work/$name.out"; fi
done
[ "$pass" -ge 10 ] || { fail=$((fail + 1)); echo "FAIL: only $pass examples found"; }
echo "embedding_docs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
