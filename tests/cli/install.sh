#!/usr/bin/env bash
# `make install`: installs kite, libkite (static and shared), kite.h and kite.pc into a
# prefix, and a program compiled with `pkg-config --cflags --libs kite` links against both
# libraries and runs.
set -u
KITE=$1
BUILD=$(cd "$(dirname "$KITE")" && pwd)
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
for tool in cc pkg-config cmake; do
  command -v "$tool" >/dev/null 2>&1 || { echo "cli_install: $tool not installed: skipped"; exit 77; }
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
prefix=$dir/prefix

cmake --install "$BUILD" --prefix "$prefix" >/dev/null || { echo "FAIL: cmake --install"; exit 1; }
libdir=$(dirname "$(find "$prefix" -name kite.pc)")/..
for f in bin/kite include/kite.h; do [ -f "$prefix/$f" ] && ok || bad "$f not installed"; done
for f in libkite.a libkite.so pkgconfig/kite.pc; do [ -e "$libdir/$f" ] && ok || bad "$f not installed"; done
"$prefix/bin/kite" version >/dev/null && ok || bad "installed kite does not run"

export PKG_CONFIG_PATH=$libdir/pkgconfig
[ "$(pkg-config --variable=prefix kite)" = "$prefix" ] && ok || bad "kite.pc prefix is not $prefix"

cat >"$dir/prog.c" <<'PROG'
#include <kite.h>
#include <stdio.h>
int main(void) {
  static const unsigned char empty[] = {0, 'a', 's', 'm', 1, 0, 0, 0};
  kite_error err;
  if (!kite_validate(empty, sizeof empty, &err)) return 1;
  if (kite_validate(empty, 5, &err)) return 1;
  printf("%s %s\n", KITE_VERSION, kite_errkind_name(err.kind));
  return 0;
}
PROG
# A sanitizer build installs sanitized libraries: the program needs the same runtime.
san=""
if ldd "$KITE" 2>/dev/null | grep -q libasan; then san="-fsanitize=address,undefined"; fi
# shellcheck disable=SC2046
if cc $san "$dir/prog.c" $(pkg-config --cflags --libs kite) -Wl,-rpath,"$libdir" -o "$dir/shared" &&
  [ "$("$dir/shared")" = "$("$KITE" version | cut -d' ' -f2) CompileError" ]
then ok; else bad "a program linked with libkite.so"; fi
# shellcheck disable=SC2046
if cc $san "$dir/prog.c" $(pkg-config --cflags kite) "$libdir/libkite.a" \
  $(pkg-config --libs-only-l --static kite | sed 's/-lkite//') -o "$dir/static" &&
  "$dir/static" >/dev/null
then ok; else bad "a program linked with libkite.a"; fi

echo "cli_install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
