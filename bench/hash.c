/*
** hash: SHA-256 (FIPS 180-4) and a 64-bit multiply-rotate hash in the style of xxHash over
** generated data. 32- and 64-bit rotates, adds, xors and multiplies; byte loads.
** SIZE is the number of MiB hashed by each of the two functions.
*/
#include "bench.h"

typedef struct {
  uint32_t h[8];
  uint8_t block[64];
  uint32_t fill;
  uint64_t length;
} sha256_ctx;

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

static inline uint32_t ror32(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }
static inline uint64_t rol64(uint64_t x, unsigned n) { return (x << n) | (x >> (64 - n)); }

static void sha256_init(sha256_ctx *c) {
  static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(c->h, iv, sizeof iv);
  c->fill = 0;
  c->length = 0;
}

static void sha256_compress(uint32_t h[8], const uint8_t *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
           (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = hh + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) + ((e & f) ^ (~e & g)) +
                  sha256_k[i] + w[i];
    uint32_t t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    hh = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

static void sha256_update(sha256_ctx *c, const uint8_t *p, size_t n) {
  c->length += n;
  while (n > 0) {
    if (c->fill == 0 && n >= 64) {
      sha256_compress(c->h, p);
      p += 64, n -= 64;
      continue;
    }
    size_t take = 64 - c->fill < n ? 64 - c->fill : n;
    memcpy(c->block + c->fill, p, take);
    c->fill += (uint32_t)take, p += take, n -= take;
    if (c->fill == 64) {
      sha256_compress(c->h, c->block);
      c->fill = 0;
    }
  }
}

static void sha256_final(sha256_ctx *c, uint8_t out[32]) {
  uint64_t bits = c->length * 8;
  uint8_t pad[72] = {0x80};
  size_t padlen = (c->fill < 56 ? 56 : 120) - c->fill;
  for (int i = 0; i < 8; i++)
    pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
  sha256_update(c, pad, padlen + 8);
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 4; j++)
      out[4 * i + j] = (uint8_t)(c->h[i] >> (24 - 8 * j));
}

/* Four independent 64-bit lanes, merged at the end: the shape of xxHash64. */
static const uint64_t P1 = 0x9e3779b185ebca87ull, P2 = 0xc2b2ae3d27d4eb4full,
                      P3 = 0x165667b19e3779f9ull;

static inline uint64_t load64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static inline uint64_t lane_round(uint64_t acc, uint64_t input) {
  return rol64(acc + input * P2, 31) * P1;
}

static uint64_t mixhash64(const uint8_t *p, size_t n, uint64_t seed) {
  uint64_t v[4] = {seed + P1 + P2, seed + P2, seed, seed - P1};
  size_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int lane = 0; lane < 4; lane++)
      v[lane] = lane_round(v[lane], load64(p + i + 8 * lane));
  uint64_t h = rol64(v[0], 1) + rol64(v[1], 7) + rol64(v[2], 12) + rol64(v[3], 18);
  for (int lane = 0; lane < 4; lane++)
    h = (h ^ lane_round(0, v[lane])) * P1 + P3;
  for (; i < n; i++)
    h = rol64(h ^ (p[i] * P3), 11) * P1;
  h += n;
  h ^= h >> 33, h *= P2, h ^= h >> 29, h *= P3, h ^= h >> 32;
  return h;
}

int main(int argc, char **argv) {
  uint32_t mib = bench_size(argc, argv, 80, 1);
  enum { CHUNK = 1 << 20 };
  uint8_t *data = bench_alloc(CHUNK + 64);
  bench_rng rng = {42};
  for (size_t i = 0; i < CHUNK + 64; i += 8) {
    uint64_t r = bench_next(&rng);
    memcpy(data + i, &r, 8);
  }
  sha256_ctx ctx;
  sha256_init(&ctx);
  uint64_t mix = 0;
  for (uint32_t round = 0; round < mib; round++) {
    /* Odd offsets and lengths reach the buffered, unaligned paths too. */
    uint32_t skew = round % 61;
    data[skew] ^= (uint8_t)round;
    sha256_update(&ctx, data + skew, CHUNK - skew);
    mix = mixhash64(data + skew, CHUNK - skew, mix);
  }
  uint8_t digest[32];
  sha256_final(&ctx, digest);
  printf("sha256: ");
  for (int i = 0; i < 32; i++)
    printf("%02x", digest[i]);
  printf("\nmix64: %016llx\n", (unsigned long long)mix);
  free(data);
  return 0;
}
