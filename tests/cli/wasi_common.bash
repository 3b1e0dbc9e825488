# Shared by tests/cli/wasi_*.sh: sourced with the kite binary's path in $KITE.
# check/contains count results; wasi_skip_unless_runnable exits 77 (skipped) while the
# engine cannot run a WASI program yet; node_available says whether to compare with
# node's own WASI.
set -u
FIX=${KITE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/fixtures
CLI_DIR=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kite-wasi-XXXXXX")
trap 'rm -rf "$TMP"' EXIT

check() { # check DESCRIPTION EXPECTED_STATUS COMMAND... ; stdout in $out, stderr in $err
  local what=$1 want=$2
  shift 2
  out=$("$@" 2>"$TMP/stderr")
  local got=$?
  err=$(cat "$TMP/stderr")
  if [ "$got" -eq "$want" ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: $what: exit $got, expected $want"; echo "$out"; echo "$err"; fi
}
contains() { # contains DESCRIPTION TEXT HAYSTACK
  if grep -qF -- "$2" <<<"$3"; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: $1: output lacks '$2'"; echo "$3"; fi
}
same() { # same DESCRIPTION EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: $1"; diff <(echo "$2") <(echo "$3"); fi
}
finish() {
  echo "$1: $pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}

wasi_skip_unless_runnable() {
  local probe
  probe=$("$KITE" run "$FIX/wasi_reactor.wasm" 2>&1)
  if [ $? -ne 0 ] && grep -q "not implemented" <<<"$probe"; then
    [ "$fail" -eq 0 ] || finish "$1" || exit 1
    echo "$1: $pass passed before the skip"
    echo "$1: skipped: the engine cannot run modules yet ($probe)"
    exit 77
  fi
}

node_available() {
  command -v node >/dev/null 2>&1 && node -e 'require("node:wasi")' >/dev/null 2>&1
}
# Run a fixture under node's WASI:
#   node_run [--dir H::G]... [--env N=V]... [--invoke NAME] FILE ARGS...
node_run() {
  node --no-warnings --experimental-wasm-type-reflection "$CLI_DIR/wasi_node.mjs" "$@"
}
