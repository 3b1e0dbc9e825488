#!/usr/bin/env bash
# smoke.sh OUT SECONDS: run each fuzz target SECONDS from its seeds, the corpus kept
# from earlier runs and the committed regression inputs (tests/regressions/<target>),
# FUZZ_JOBS targets at a time (default: the number of cores). Exits non-zero when any
# target finds a crash, a leak, undefined behaviour or a hang; the input that did it is
# in OUT/found/.
set -uo pipefail
out=$1 secs=$2
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
targets=(decode wat exec wast)
mkdir -p "$out/found" "$out/logs"

run_one() {
  local t=$1 dirs=("$out/corpus/$1" "$out/seeds/$1") opts=()
  mkdir -p "$out/corpus/$t"
  [ -d "$root/tests/regressions/$t" ] && dirs+=("$root/tests/regressions/$t")
  case $t in wat | wast) opts+=("-dict=$out/text.dict") ;; esac
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
    "$out/fuzz_$t" -max_total_time="$secs" -timeout=20 -rss_limit_mb=3072 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$out/found/$t-" "${opts[@]}" "${dirs[@]}" >"$out/logs/$t.log" 2>&1
  echo $? >"$out/logs/$t.status"
}

start=$(date +%s)
failed=0
for t in "${targets[@]}"; do
  rm -f "$out/logs/$t.status"
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n 2>/dev/null || sleep 1; done
  run_one "$t" &
done
wait
for t in "${targets[@]}"; do
  status=$(cat "$out/logs/$t.status" 2>/dev/null || echo 1)
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$out/logs/$t.log" | grep -Eo '[0-9]+$' || echo "?")
  cov=$(grep -Eo 'cov: [0-9]+' "$out/logs/$t.log" | tail -n 1 || true)
  if [ "$status" -eq 0 ]; then
    echo "fuzz_$t: ok, $runs runs, ${cov:-no coverage line}"
  else
    failed=1
    echo "fuzz_$t: FAILED (exit $status), log $out/logs/$t.log:"
    grep -E 'ERROR|SUMMARY|fuzz:|runtime error|Test unit written|timeout' "$out/logs/$t.log" | head -n 20
  fi
done
echo "fuzz-smoke: $([ "$failed" -eq 0 ] && echo passed || echo FAILED) in $(($(date +%s) - start))s"
exit "$failed"
