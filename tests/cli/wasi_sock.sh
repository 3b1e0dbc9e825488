#!/usr/bin/env bash
# kite run --listen on tests/fixtures/wasi_sock.wasm: the guest accepts one connection on
# the preopened listener and echoes a line back.
KITE=$1
source "$(dirname "$0")/wasi_common.bash"
wasi_skip_unless_runnable wasi_sock

# echo_on HOST: run the fixture listening on HOST:port, connect to 127.0.0.1:port, check.
echo_on() {
  local reply= status= attempt port pid
  for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    "$KITE" run --listen "$1:$port" "$FIX/wasi_sock.wasm" >"$TMP/out" 2>"$TMP/err" &
    pid=$!
    for _ in $(seq 50); do # wait until it listens (or died: a busy port)
      kill -0 $pid 2>/dev/null || break
      if { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
        printf 'ping\n' >&3
        reply=$(cat <&3)
        exec 3<&-
        break
      fi
      sleep 0.1
    done
    wait $pid
    status=$?
    [ -n "$reply" ] && break
    grep -q "cannot listen" "$TMP/err" || break
  done
  same "$1: echo reply" "echo: ping" "$reply"
  same "$1: exit status" 0 "$status"
  expected='listener fd 3
received 5 bytes
send: errno 0, 11 bytes
shutdown: errno 0
accept on a connection: errno 76
close: errno 0'
  same "$1: guest output" "$expected" "$(cat "$TMP/out")"
}
echo_on 127.0.0.1
echo_on localhost
check "a malformed address is a usage error" 2 "$KITE" run --listen nonsense "$FIX/wasi_sock.wasm"
contains "message" "invalid listen address" "$err"
# Numeric addresses only (no name service): a host name is refused the same way.
check "a host name is a usage error" 2 "$KITE" run --listen example.com:80 "$FIX/wasi_sock.wasm"
contains "message" "invalid listen address" "$err"
finish wasi_sock
