#!/usr/bin/env bash
# Print the first clang that can build and link a libFuzzer target (FUZZ_CC overrides).
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$tmp/t.c"
for cc in clang-19 clang-18 clang-17 clang-16 clang-15 clang-14 clang; do
  command -v "$cc" >/dev/null 2>&1 || continue
  if "$cc" -fsanitize=fuzzer,address,undefined "$tmp/t.c" -o "$tmp/t" >/dev/null 2>&1; then
    echo "$cc"
    exit 0
  fi
done
exit 0
