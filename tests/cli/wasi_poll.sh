#!/usr/bin/env bash
# kite run on tests/fixtures/wasi_poll.wasm: poll_oneoff with clocks, a pipe on stdin,
# stdout and a bad descriptor. (Node's WASI reports no byte counts and refuses stdout,
# so there is no comparison with it.)
KITE=$1
source "$(dirname "$0")/wasi_common.bash"
wasi_skip_unless_runnable wasi_poll

check "wasi_poll runs" 0 bash -c "printf abc | \"\$0\" run \"\$1\"" "$KITE" "$FIX/wasi_poll.wasm"
expected='one 15ms clock: errno 0, 1 event(s)
  userdata=1 error=0 type=0
slept at least 15ms: yes
5ms and 10s clocks: errno 0, 1 event(s)
  userdata=2 error=0 type=0
stdin readable: errno 0, 1 event(s)
  userdata=4 error=0 type=1 nbytes=3
read 3 bytes: abc
stdout writable: errno 0, 1 event(s)
  userdata=6 error=0 type=2
bad fd: errno 0, 1 event(s)
  userdata=7 error=8 type=1 nbytes=0
no subscriptions: errno 28'
same "poll events" "$expected" "$out"
finish wasi_poll
