#!/usr/bin/env bash
# The demo behind `make demo`: Kite at work. Usage: demo.sh PATH/TO/kite
set -euo pipefail
KITE=${1:-build/kite}
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Kite's commands"
"$KITE" help
