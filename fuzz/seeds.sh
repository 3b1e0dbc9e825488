#!/usr/bin/env bash
# seeds.sh OUT SUITE: the seed corpora in OUT/seeds (remade each time) from the official
# suite (skipped with a note when missing) and the repo's fixtures and .wat files.
set -euo pipefail
out=$1 suite=$2
root=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$out/seeds"
if [ ! -d "$suite" ]; then
  echo "fuzz: no official suite at $suite; seeding from the fixtures only"
  suite=-
fi
"$out/seed_corpus" "$out/seeds" "$suite" "$root/tests/fixtures" "$root/tests/cli/wat"
for t in decode exec wat wast; do mkdir -p "$out/corpus/$t"; done
bash "$root/fuzz/make_dict.sh" "$root" >"$out/text.dict"
