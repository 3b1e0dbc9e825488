#!/usr/bin/env bash
# The `kite` frame: help, version, unknown commands and their exit codes.
set -u
KITE=$1
pass=0 fail=0
check() { # check DESCRIPTION EXPECTED_STATUS COMMAND... ; output in $out
  local what=$1 want=$2
  shift 2
  out=$("$@" 2>&1)
  local got=$?
  if [ "$got" -eq "$want" ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: $what: exit $got, expected $want"; echo "$out"; fi
}
contains() { # contains DESCRIPTION TEXT (in $out)
  if grep -qF -- "$2" <<<"$out"; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: $1: output lacks '$2'"; echo "$out"; fi
}

check "no arguments" 2 "$KITE"
contains "no arguments lists commands" "usage: kite COMMAND"
check "help" 0 "$KITE" help
contains "help lists version" "version"
check "--help" 0 "$KITE" --help
check "version" 0 "$KITE" version
contains "version number" "kite 0."
check "--version" 0 "$KITE" --version
check "help version" 0 "$KITE" help version
contains "help version" "usage: kite version"
check "unknown command" 2 "$KITE" frobnicate
contains "unknown command message" "unknown command 'frobnicate'"
check "help unknown" 2 "$KITE" help frobnicate
check "version with an argument" 2 "$KITE" version extra

echo "cli_basics: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
