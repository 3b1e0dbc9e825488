/*
** memops: buffer shuffling with memcpy, memmove, memset and memcmp of mixed sizes (mostly
** small, some medium, a few large), as in allocators, string builders and codecs. Under
** wasm32 these run the C library's routines (or bulk-memory instructions where enabled).
** SIZE is the number of operations in thousands.
*/
#include "bench.h"

enum { ARENA = 4 << 20, SCRATCH = 256 << 10 };

/* Small sizes dominate, as they do in real programs; a few big ones move most bytes. */
static uint32_t pick_len(bench_rng *rng) {
  uint32_t r = bench_below(rng, 1000);
  if (r < 700)
    return 1 + bench_below(rng, 64);
  if (r < 960)
    return 64 + bench_below(rng, 4096);
  return 4096 + bench_below(rng, 60 * 1024);
}

int main(int argc, char **argv) {
  uint32_t ops = bench_size(argc, argv, 4200, 20) * 1000;
  uint8_t *arena = bench_alloc(ARENA);
  uint8_t *scratch = bench_alloc(SCRATCH);
  bench_rng rng = {99};
  for (uint32_t i = 0; i < ARENA; i++)
    arena[i] = (uint8_t)(i * 7 + (i >> 9));
  uint64_t moved = 0;
  uint32_t equal = 0, less = 0, check = 0;
  for (uint32_t op = 0; op < ops; op++) {
    uint32_t len = pick_len(&rng);
    uint32_t src = bench_below(&rng, ARENA - len), dst = bench_below(&rng, ARENA - len);
    switch (op & 7) {
    case 0: case 1: case 2: /* overlapping or not, whatever the offsets give */
      memmove(arena + dst, arena + src, len);
      break;
    case 3: case 4: /* out to scratch and back somewhere else: two non-overlapping copies */
      if (len > SCRATCH)
        len = SCRATCH;
      memcpy(scratch, arena + src, len);
      scratch[len / 2] ^= (uint8_t)op;
      memcpy(arena + dst, scratch, len);
      break;
    case 5: /* clear or fill a region */
      memset(arena + dst, (int)(op >> 3) & 0xff, len / 2 + 1);
      break;
    default: { /* compare two regions that often share a prefix */
      int c = memcmp(arena + src, arena + dst, len);
      equal += c == 0;
      less += c < 0;
      check = check * 33 + (uint32_t)(c < 0 ? 1 : c > 0 ? 2 : 3);
      if (c == 0 || len < 64)
        memcpy(arena + dst, arena + src, len);
      break;
    }
    }
    moved += len;
  }
  for (uint32_t i = 0; i < ARENA; i += 4) {
    uint32_t word;
    memcpy(&word, arena + i, 4);
    check = (check ^ word) * 0x01000193u;
  }
  printf("memops: %u operations, %llu bytes, %u equal, %u less, check %08x\n", ops,
         (unsigned long long)moved, equal, less, check);
  free(arena), free(scratch);
  return 0;
}
