#!/usr/bin/env bash
# kite run on tests/fixtures/wasi_files.wasm: file system work in a preopened directory,
# compared with node's WASI when node is on PATH.
KITE=$1
source "$(dirname "$0")/wasi_common.bash"
wasi_skip_unless_runnable wasi_files

mkdir "$TMP/dir"
check "wasi_files runs" 0 "$KITE" run --dir "$TMP/dir::/work" "$FIX/wasi_files.wasm" /work
kite_out=$out
contains "wasi_files finishes" "done" "$out"
contains "readdir lists the files" "listing: a.txt f00 f01" "$out"
contains "utimes then stat" "mtime 1234567890.000000000" "$out"
same "the directory is left empty" "" "$(ls -A "$TMP/dir")"
# The shorthand `kite FILE ARGS` and `--dir=` spelled with '='.
check "kite FILE shorthand" 1 "$KITE" "$FIX/wasi_files.wasm" /work
contains "shorthand without --dir cannot reach /work" "FAILED: mkdir work" "$out"
check "--dir=" 0 "$KITE" run "--dir=$TMP/dir::/work" -- "$FIX/wasi_files.wasm" /work
same "same output twice" "$kite_out" "$out"

if node_available; then
  check "node runs wasi_files" 0 node_run --dir "$TMP/dir::/work" "$FIX/wasi_files.wasm" /work
  same "kite and node print the same" "$out" "$kite_out"
else
  echo "wasi_files: node with node:wasi not found: comparison skipped"
fi
finish wasi_files
