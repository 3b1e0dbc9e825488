/*
** simd: data-parallel kernels that a compiler turns into 128-bit vector code when it may
** (clang-19 -msimd128 for wasm, gcc -O2 with SSE2 natively): alpha blending of RGBA bytes
** (widening multiplies, narrowing), a float saxpy (lane-wise multiply-add in two roundings),
** a clamped 16-bit difference (saturating min/max) and a 32-bit mix (shifts, xors, adds).
** The bench builds it twice for wasm, scalar and with SIMD, to show what v128 buys.
** Every result is exact (no reassociated float sums), so every build prints the same line.
** SIZE is the number of pixels and elements per array; every kernel runs over them 512 times.
*/
#include "bench.h"

static void blend(uint8_t *restrict out, const uint8_t *restrict a, const uint8_t *restrict b,
                  const uint8_t *restrict alpha, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    uint32_t w = alpha[i];
    out[i] = (uint8_t)((a[i] * w + b[i] * (256 - w)) >> 8);
  }
}

static void saxpy(float *restrict y, const float *restrict x, float k, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) y[i] = k * x[i] + y[i];
}

static void clamp_diff(int16_t *restrict out, const int16_t *restrict a, const int16_t *restrict b,
                       uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    int32_t d = a[i] - b[i];
    d = d < -2048 ? -2048 : d;
    out[i] = (int16_t)(d > 2047 ? 2047 : d);
  }
}

static void mix(uint32_t *restrict h, const uint32_t *restrict x, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    uint32_t v = h[i] ^ x[i];
    v ^= v << 13;
    v ^= v >> 17;
    v ^= v << 5;
    h[i] = v + x[i];
  }
}

/* FNV-1a over bytes: the checksum stays scalar and cheap next to the kernels. */
static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}

int main(int argc, char **argv) {
  uint32_t n = bench_size(argc, argv, 1u << 16, 1024);
  const uint32_t rounds = 512;
  bench_rng rng = {42};
  uint8_t *pa = bench_alloc(n), *pb = bench_alloc(n), *alpha = bench_alloc(n);
  uint8_t *pout = bench_alloc(n);
  float *x = bench_alloc(n * sizeof(float)), *y = bench_alloc(n * sizeof(float));
  int16_t *sa = bench_alloc(n * sizeof(int16_t)), *sb = bench_alloc(n * sizeof(int16_t));
  int16_t *sout = bench_alloc(n * sizeof(int16_t));
  uint32_t *h = bench_alloc(n * sizeof(uint32_t)), *hx = bench_alloc(n * sizeof(uint32_t));
  for (uint32_t i = 0; i < n; i++) {
    uint64_t r = bench_next(&rng);
    pa[i] = (uint8_t)r, pb[i] = (uint8_t)(r >> 8), alpha[i] = (uint8_t)(r >> 16);
    x[i] = (float)(int32_t)(r >> 40 & 0xffff) / 65536.0f;
    y[i] = (float)(int32_t)(r >> 24 & 0xffff) / 4096.0f;
    sa[i] = (int16_t)(r >> 32), sb[i] = (int16_t)(r >> 48);
    h[i] = (uint32_t)(r >> 7), hx[i] = (uint32_t)(r >> 29);
  }
  for (uint32_t r = 0; r < rounds; r++) {
    blend(pout, pa, pb, alpha, n);
    blend(pa, pout, pb, alpha, n);
    saxpy(y, x, r & 1 ? -0.5f : 0.5f, n);
    clamp_diff(sout, sa, sb, n);
    clamp_diff(sa, sout, sb, n);
    mix(h, hx, n);
  }
  uint64_t sum = 0xcbf29ce484222325ull;
  sum = fnv(sum, pa, n);
  sum = fnv(sum, y, n * sizeof(float));
  sum = fnv(sum, sa, n * sizeof(int16_t));
  sum = fnv(sum, h, n * sizeof(uint32_t));
  printf("simd n=%u rounds=%u: checksum %016llx\n", n, rounds, (unsigned long long)sum);
  free(pa), free(pb), free(alpha), free(pout), free(x), free(y), free(sa), free(sb), free(sout);
  free(h), free(hx);
  return 0;
}
