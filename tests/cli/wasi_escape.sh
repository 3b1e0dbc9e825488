#!/usr/bin/env bash
# kite run on tests/fixtures/wasi_escape.wasm: every way out of a preopened directory
# fails (EPERM = 63, ELOOP = 32, ENOTCAPABLE = 76, as wasmtime answers) and nothing
# outside changes. Node's WASI is not a sandbox (it follows symlinks out), so there is
# no comparison with it here.
KITE=$1
source "$(dirname "$0")/wasi_common.bash"
wasi_skip_unless_runnable wasi_escape

mkdir -p "$TMP/outside" "$TMP/sandbox/sub"
echo secret >"$TMP/outside/secret.txt"
echo hello >"$TMP/sandbox/file.txt"
echo inner >"$TMP/sandbox/sub/inner.txt"
(cd "$TMP/sandbox" && ln -s ../outside link_out && ln -s /etc link_abs && ln -s sub link_in &&
  ln -s sub/../file.txt link_up && ln -s loop2 loop1 && ln -s loop1 loop2 &&
  ln -s chain2 chain1 && ln -s ../outside/secret.txt chain2 && ln -s .. sub/up &&
  ln -s ../.. sub/upup)
before=$(cd "$TMP" && ls -lR --time-style=+%s outside && cat outside/secret.txt)

check "wasi_escape runs" 0 "$KITE" run --dir "$TMP/sandbox::/sandbox" "$FIX/wasi_escape.wasm"
expected='open /etc/passwd                             63
open ..                                      63
open ../outside/secret.txt                   63
open sub/../../outside/secret.txt            63
open link_out/secret.txt                     63
open link_out/secret.txt (nofollow)          63
open link_abs                                63
open link_abs/passwd                         63
open chain1                                  63
open sub/upup/outside/secret.txt             63
open sub/up/../outside/secret.txt            63
open loop1                                   32
open link_up (nofollow)                      32
create ../outside/new.txt                    63
create link_out/new.txt                      63
truncate chain1                              63
mkdir link_out/newdir                        63
mkdir ../newdir                              63
unlink link_out/secret.txt                   63
rmdir link_out/                              63
rename file.txt ../outside/moved             63
rename sub/upup/outside/secret.txt stolen    63
link file.txt link_out/hard                  63
link chain1 stolen (follow)                  63
symlink /etc/passwd abs                      63
stat link_out/secret.txt                     63
stat chain1 (follow)                         63
utimes chain1 (follow)                       63
open link_in/inner.txt                       0
open link_up (follow)                        0
open sub/up/file.txt                         0
open sub/../sub/./inner.txt                  0
stat chain1 (nofollow)                       0
open sub with readdir only                   0
open sub/inner.txt through it                76'
same "every escape is refused" "$expected" "$out"
after=$(cd "$TMP" && ls -lR --time-style=+%s outside && cat outside/secret.txt)
same "nothing outside changed" "$before" "$after"
same "nothing new inside" "" "$(cd "$TMP/sandbox" && ls -d abs stolen newdir 2>/dev/null)"
same "nothing new above" "" "$(cd "$TMP" && ls -d newdir 2>/dev/null)"
contains "file.txt still there" "hello" "$(cat "$TMP/sandbox/file.txt")"
finish wasi_escape
