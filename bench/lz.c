/*
** lz: an LZ77 compressor with hash chains (greedy, bounded chain length) and its
** decompressor, round-tripped over generated text-like data. Byte loads and stores,
** unpredictable branches, short overlapping copies: the profile of zlib-style codecs.
** SIZE is the input size in KiB.
**
** Format: a flag byte announces 8 items (bit set = match); a literal is one byte; a match
** is a 16-bit little-endian distance (1..65535) then a length byte (length - MIN_MATCH).
*/
#include "bench.h"

enum {
  MIN_MATCH = 3,
  MAX_MATCH = MIN_MATCH + 255,
  WINDOW = 65535,
  HASH_BITS = 15,
  MAX_CHAIN = 48,
};

static inline uint32_t hash3(const uint8_t *p) {
  uint32_t v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
  return (v * 2654435761u) >> (32 - HASH_BITS);
}

/* Returns the compressed size; `out` must hold n + n / 8 + 16 bytes (incompressible data). */
static size_t compress(const uint8_t *in, size_t n, uint8_t *out, int32_t *head, int32_t *prev) {
  for (size_t i = 0; i < (1u << HASH_BITS); i++)
    head[i] = -1;
  size_t o = 0, flag_at = 0, pos = 0;
  unsigned items = 8;
  while (pos < n) {
    if (items == 8) {
      flag_at = o++;
      out[flag_at] = 0;
      items = 0;
    }
    size_t best_len = 0, best_dist = 0;
    if (pos + MIN_MATCH <= n) {
      uint32_t h = hash3(in + pos);
      size_t limit = n - pos < MAX_MATCH ? n - pos : MAX_MATCH;
      int32_t cand = head[h];
      for (int chain = 0; cand >= 0 && pos - (size_t)cand <= WINDOW && chain < MAX_CHAIN;
           chain++) {
        const uint8_t *a = in + cand, *b = in + pos;
        if (a[best_len] == b[best_len]) {
          size_t len = 0;
          while (len < limit && a[len] == b[len])
            len++;
          if (len > best_len) {
            best_len = len;
            best_dist = pos - (size_t)cand;
            if (len == limit)
              break;
          }
        }
        cand = prev[cand];
      }
      prev[pos] = head[h];
      head[h] = (int32_t)pos;
    }
    if (best_len >= MIN_MATCH) {
      out[flag_at] |= (uint8_t)(1u << items);
      out[o++] = (uint8_t)best_dist;
      out[o++] = (uint8_t)(best_dist >> 8);
      out[o++] = (uint8_t)(best_len - MIN_MATCH);
      /* Index the positions the match covers so later matches can find them. */
      for (size_t k = 1; k < best_len; k++) {
        size_t q = pos + k;
        if (q + MIN_MATCH <= n) {
          uint32_t h = hash3(in + q);
          prev[q] = head[h];
          head[h] = (int32_t)q;
        }
      }
      pos += best_len;
    } else {
      out[o++] = in[pos++];
    }
    items++;
  }
  return o;
}

/* Returns the decompressed size, or (size_t)-1 on corrupt input. */
static size_t decompress(const uint8_t *in, size_t n, uint8_t *out, size_t cap) {
  size_t i = 0, o = 0;
  while (i < n) {
    uint8_t flags = in[i++];
    for (int item = 0; item < 8 && i < n; item++) {
      if (flags & (1u << item)) {
        if (i + 3 > n)
          return (size_t)-1;
        size_t dist = in[i] | (size_t)in[i + 1] << 8;
        size_t len = (size_t)in[i + 2] + MIN_MATCH;
        i += 3;
        if (dist == 0 || dist > o || o + len > cap)
          return (size_t)-1;
        const uint8_t *from = out + o - dist;
        for (size_t k = 0; k < len; k++) /* may overlap: byte by byte */
          out[o + k] = from[k];
        o += len;
      } else {
        if (o >= cap)
          return (size_t)-1;
        out[o++] = in[i++];
      }
    }
  }
  return o;
}

/* Text-like input: words from a skewed vocabulary, punctuation, numbers, some noise. */
static void generate(uint8_t *buf, size_t n, bench_rng *rng) {
  static const char *const words[] = {
      "the",     "of",      "and",    "a",        "to",       "in",     "is",     "wasm",
      "module",  "memory",  "stack",  "function", "table",    "import", "export", "value",
      "branch",  "loop",    "block",  "engine",   "compiler", "kite",   "byte",   "offset",
      "section", "element", "global", "instance", "trap",     "call",   "return", "local"};
  size_t i = 0;
  while (i < n) {
    uint32_t r = bench_below(rng, 1000);
    const char *piece;
    char tmp[16];
    if (r < 850) {
      /* Squaring skews the choice toward the first words, as in real text. */
      uint32_t w = bench_below(rng, 32);
      piece = words[(w * w) / 32];
    } else if (r < 950) {
      snprintf(tmp, sizeof tmp, "%u", bench_below(rng, 100000));
      piece = tmp;
    } else {
      for (int k = 0; k < 6; k++)
        tmp[k] = (char)(33 + bench_below(rng, 94));
      tmp[6] = 0;
      piece = tmp;
    }
    while (*piece && i < n)
      buf[i++] = (uint8_t)*piece++;
    if (i < n)
      buf[i++] = r % 13 == 0 ? '\n' : r % 7 == 0 ? ',' : ' ';
  }
}

int main(int argc, char **argv) {
  size_t n = (size_t)bench_size(argc, argv, 8 * 1024, 256) * 1024;
  enum { BLOCK = 1 << 20 };
  size_t block = n < BLOCK ? n : BLOCK;
  uint8_t *input = bench_alloc(block);
  uint8_t *packed = bench_alloc(block + block / 8 + 16);
  uint8_t *unpacked = bench_alloc(block);
  int32_t *head = bench_alloc(sizeof(int32_t) << HASH_BITS);
  int32_t *prev = bench_alloc(sizeof(int32_t) * block);
  bench_rng rng = {7};
  uint64_t total_in = 0, total_out = 0;
  uint32_t check = 1;
  for (size_t done = 0; done < n; done += block) {
    size_t len = n - done < block ? n - done : block;
    generate(input, len, &rng);
    size_t packed_len = compress(input, len, packed, head, prev);
    size_t got = decompress(packed, packed_len, unpacked, block);
    if (got != len || memcmp(input, unpacked, len) != 0) {
      printf("round trip FAILED at block %zu\n", done / block);
      return 1;
    }
    for (size_t i = 0; i < packed_len; i++)
      check = check * 31 + packed[i];
    total_in += len;
    total_out += packed_len;
  }
  printf("lz: %llu -> %llu bytes, round trip ok, check %08x\n", (unsigned long long)total_in,
         (unsigned long long)total_out, check);
  free(input), free(packed), free(unpacked), free(head), free(prev);
  return 0;
}
