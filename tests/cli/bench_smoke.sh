#!/usr/bin/env bash
# Every benchmark program (bench/*.wasm) at its quick size prints under kite exactly what the
# same C prints compiled natively with gcc -O2; the start-up modules (hello, the 1 MB big.wasm)
# print what they should. No timing assertions: speed is measured by `make bench`, never here.
# Skipped (77) without gcc or the committed .wasm files.
set -u
KITE=$1
SRC=${KITE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v gcc >/dev/null || { echo "bench_smoke: skipped: no gcc"; exit 77; }
[ -f "$SRC/bench/fib.wasm" ] || { echo "bench_smoke: skipped: no bench/*.wasm"; exit 77; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kite-bench-smoke-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# A private native build directory: ctest may run this while someone runs `make bench`.
out=$(NATIVE_DIR=$TMP/native BENCH_ENGINES=kite bash "$SRC/bench/run.sh" --quick --kite "$KITE" 2>&1)
status=$?
echo "$out"
[ $status -eq 77 ] && exit 77
programs=$(grep -cE '^(fib|sieve|hash|nbody|lz|matmul|json|memops|mix) ' <<<"$out")
wrong=$(grep -c 'WRONG\|differs\|failed' <<<"$out")
if [ $status -eq 0 ] && [ "$programs" -eq 9 ]; then
  echo "bench_smoke: $((programs + 2)) passed, 0 failed"
else
  echo "bench_smoke: $((programs - wrong)) passed, $((wrong > 0 ? wrong : 1)) failed"
  exit 1
fi
