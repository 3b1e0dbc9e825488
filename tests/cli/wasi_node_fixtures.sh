#!/usr/bin/env bash
# Differential test against node's WASI (node:wasi, preview1, through wasi_node.mjs): every
# fixture in tests/fixtures that needs no sockets prints the same under `kite run` as under
# node, with the same exit status, for the same arguments, environment, standard input and
# preopened directory. A trap is status 134 under both (wasi_node.mjs follows kite's
# convention); a reactor's exports are called with --invoke under both.
#
# Where node's WASI is known to differ, only the part that can agree is compared:
#   wasi_poll    node reports no byte count for a readable pipe, refuses to poll stdout
#                (EPERM) and answers a bad descriptor with an empty event: those lines are
#                left out (tests/cli/wasi_poll.sh checks kite's own answers)
#   wasi_escape  node's WASI is no sandbox (its documentation says so; the guest escapes
#                through symlinks and `..`): only the accesses that stay inside are compared
#                (tests/cli/wasi_escape.sh checks that kite refuses every escape)
# Not compared: wasi_sock (sockets: node cannot preopen a listener) and the wasi-threads
# fixtures (*.wat: node has no wasi-threads).
# Skipped (77) without node.
set -u
KITE=$1
source "$(dirname "$0")/wasi_common.bash"
node_available || { echo "wasi_node_fixtures: skipped: no node with node:wasi"; exit 77; }
wasi_skip_unless_runnable wasi_node_fixtures
NOT_COMPARED=(wasi_sock)
NODE_SLEPT_SHORT='^FAILED: monotonic advanced|^slept at least 15ms: no'

# both NAME STDIN [OPTIONS...] -- ARGS...: run under kite and node; stdout, exit status
# and (unless FILTER is set) stderr must agree. FILTER: a grep -v pattern for stdout lines
# node is known to get wrong; KEEP_FROM: compare stdout from the first line matching it.
declare -A covered
compared=0
both() {
  local name=$1 input=$2 wasm=$FIX/$1.wasm
  shift 2
  local opts=()
  while [ "$1" != -- ]; do opts+=("$1"); shift; done
  shift
  local kout kerr kst nout nerr nst
  kout=$(printf '%s' "$input" | "$KITE" run "${opts[@]}" "$wasm" "$@" 2>"$TMP/kerr")
  kst=$?
  kerr=$(cat "$TMP/kerr")
  # Node's WASI (uvwasi) sometimes ends a short sleep early on a busy machine, which the
  # fixtures print as a failed timing check; such a run of the reference is tried again.
  local try
  for try in 1 2 3; do
    nout=$(printf '%s' "$input" | node_run "${opts[@]}" "$wasm" "$@" 2>"$TMP/nerr")
    nst=$?
    grep -qE "$NODE_SLEPT_SHORT" <<<"$nout" || break
  done
  nerr=$(cat "$TMP/nerr")
  covered[$name]=1
  compared=$((compared + 1))
  if [ -n "${FILTER:-}" ]; then
    kout=$(grep -vE -- "$FILTER" <<<"$kout")
    nout=$(grep -vE -- "$FILTER" <<<"$nout")
  fi
  if [ -n "${KEEP_FROM:-}" ]; then
    kout=$(sed -n "/$KEEP_FROM/,\$p" <<<"$kout")
    nout=$(sed -n "/$KEEP_FROM/,\$p" <<<"$nout")
    [ -n "$kout" ] || { fail=$((fail + 1)); echo "FAIL: $name: nothing from '$KEEP_FROM'"; }
  fi
  same "$name ${opts[*]} $*: stdout" "$kout" "$nout"
  same "$name ${opts[*]} $*: exit status" "$kst" "$nst"
  if [ "$kst" -ne 134 ]; then same "$name ${opts[*]} $*: stderr" "$kerr" "$nerr"; fi
}

both hello "" -- one "two words" ""
both hello "" --env USER=kite --env OTHER=1 --
both sha256 "" -- abc "" "The quick brown fox"
both sha256 "$(seq 1 2000)" --
both sort "" -- 5000
both sort "" -- 0
both floats "" --
both cxx_inventory "the cat and the dog and the bird" -- x "y z"
both cxx_inventory "" -- exit=3
mkdir "$TMP/dir"
both wasi_files "" --dir "$TMP/dir::/work" -- /work
both wasi_files "" -- /work
both wasi_clock_env_args "" --env A=1 --env B= --env "C=x y" -- "a b" "" --env
both wasi_clock_env_args "" -- exit=7
both wasi_clock_env_args "" -- exit=255
both wasi_trap "" --
both wasi_trap "" -- x
both wasi_reactor "" --invoke add -- 2 3
both wasi_reactor "" --invoke add -- 0x7fffffff 1
both wasi_reactor "" --invoke mul64 -- 3 -4
both wasi_reactor "" --invoke half -- 5
both wasi_reactor "" --invoke third -- 1
both wasi_reactor "" --invoke initialized --
both wasi_reactor "" --invoke greet --
FILTER='^  userdata=[4670] |^stdout writable:' both wasi_poll abc --

# The escape fixture's setup (as tests/cli/wasi_escape.sh), once per engine: node's guest
# deletes and creates files outside its directory.
escape_tree() {
  rm -rf "$TMP/esc" && mkdir -p "$TMP/esc/outside" "$TMP/esc/sandbox/sub"
  echo secret >"$TMP/esc/outside/secret.txt"
  echo hello >"$TMP/esc/sandbox/file.txt"
  echo inner >"$TMP/esc/sandbox/sub/inner.txt"
  (cd "$TMP/esc/sandbox" && ln -s ../outside link_out && ln -s /etc link_abs &&
    ln -s sub link_in && ln -s sub/../file.txt link_up && ln -s loop2 loop1 &&
    ln -s loop1 loop2 && ln -s chain2 chain1 && ln -s ../outside/secret.txt chain2 &&
    ln -s .. sub/up && ln -s ../.. sub/upup)
}
escape_tree
kesc=$("$KITE" run --dir "$TMP/esc/sandbox::/sandbox" "$FIX/wasi_escape.wasm")
kst=$?
escape_tree
nesc=$(node_run --dir "$TMP/esc/sandbox::/sandbox" "$FIX/wasi_escape.wasm")
nst=$?
covered[wasi_escape]=1
compared=$((compared + 1))
inside='^open link_in\/inner.txt'
same "wasi_escape: accesses inside the sandbox" "$(sed -n "/$inside/,\$p" <<<"$kesc")" \
  "$(sed -n "/$inside/,\$p" <<<"$nesc")"
same "wasi_escape: seven accesses inside" 7 "$(sed -n "/$inside/,\$p" <<<"$kesc" | wc -l)"
same "wasi_escape: exit status" "$kst" "$nst"

for wasm in "$FIX"/*.wasm; do
  name=$(basename "$wasm" .wasm)
  [[ " ${NOT_COMPARED[*]} " == *" $name "* ]] && continue
  [ -n "${covered[$name]:-}" ] || { fail=$((fail + 1)); echo "FAIL: $name: not compared"; }
done
echo "wasi_node_fixtures: $compared runs compared with node $(node --version)"
finish wasi_node_fixtures
