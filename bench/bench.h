/*
** Shared by the benchmark programs: the size argument and a deterministic generator.
**
** Every program is a WASI command (and a native program) taking one optional argument:
** a size (a positive integer), or "quick" for the small size the smoke test uses. Without an
** argument it runs its default size, chosen so a native gcc -O2 run takes about 0.3-1 s.
** Each prints a checksum line that must be identical natively and under any engine, so
** nothing here may depend on pointer width, `long`'s size or libm beyond sqrt.
*/
#ifndef KITE_BENCH_H
#define KITE_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline uint32_t bench_size(int argc, char **argv, uint32_t default_size,
                                  uint32_t quick_size) {
  if (argc < 2)
    return default_size;
  if (strcmp(argv[1], "quick") == 0)
    return quick_size;
  char *end;
  unsigned long n = strtoul(argv[1], &end, 10);
  if (*end != '\0' || n == 0 || n > 0xffffffffu) {
    fprintf(stderr, "usage: %s [SIZE|quick]\n", argv[0]);
    exit(2);
  }
  return (uint32_t)n;
}

/* splitmix64: one multiply-xorshift step per value, good enough to make test data. */
typedef struct {
  uint64_t state;
} bench_rng;

static inline uint64_t bench_next(bench_rng *rng) {
  uint64_t z = (rng->state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* A value in [0, bound). The small modulo bias does not matter for test data. */
static inline uint32_t bench_below(bench_rng *rng, uint32_t bound) {
  return (uint32_t)(bench_next(rng) % bound);
}

static inline void *bench_alloc(size_t bytes) {
  void *p = malloc(bytes);
  if (!p) {
    fprintf(stderr, "out of memory (%zu bytes)\n", bytes);
    exit(1);
  }
  return p;
}

#endif
