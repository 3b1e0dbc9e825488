/*
** test_print.c: the printer (wasm2wat) and the disassembler. Float constants must read
** back to the same bits; small hand-built binaries must print exactly the expected text
** for each section and instruction form.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "text.h"

/* ---- floats ---- */

/* Read a printed float back: hex floats through strtod/strtof (exact in C99), the
   nan and inf spellings by hand. */
static bool parse_f64(const char *s, uint64_t *bits) {
  bool neg = *s == '-';
  const char *t = neg ? s + 1 : s;
  uint64_t sign = neg ? (uint64_t)1 << 63 : 0;
  if (strcmp(t, "inf") == 0) {
    *bits = sign | 0x7ff0000000000000ull;
    return true;
  }
  if (strncmp(t, "nan", 3) == 0) {
    uint64_t payload = 0x8000000000000ull;
    if (t[3] == ':') payload = strtoull(t + 4, NULL, 16);
    else if (t[3] != '\0') return false;
    *bits = sign | 0x7ff0000000000000ull | payload;
    return true;
  }
  char *end;
  double d = strtod(s, &end);
  if (*end != '\0') return false;
  memcpy(bits, &d, 8);
  return true;
}

static bool parse_f32(const char *s, uint32_t *bits) {
  bool neg = *s == '-';
  const char *t = neg ? s + 1 : s;
  uint32_t sign = neg ? 0x80000000u : 0;
  if (strcmp(t, "inf") == 0) {
    *bits = sign | 0x7f800000u;
    return true;
  }
  if (strncmp(t, "nan", 3) == 0) {
    uint32_t payload = 0x400000u;
    if (t[3] == ':') payload = (uint32_t)strtoul(t + 4, NULL, 16);
    else if (t[3] != '\0') return false;
    *bits = sign | 0x7f800000u | payload;
    return true;
  }
  char *end;
  float f = strtof(s, &end);
  if (*end != '\0') return false;
  memcpy(bits, &f, 4);
  return true;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static void check_f32_roundtrip(uint32_t bits) {
  char buf[KITE_FLOAT_TEXT_MAX];
  size_t n = kite_f32_text(bits, buf);
  uint32_t back = 0;
  CHECK_MSG(n == strlen(buf) && parse_f32(buf, &back) && back == bits, "f32 0x%08x -> %s -> 0x%08x",
            (unsigned)bits, buf, (unsigned)back);
}

static void check_f64_roundtrip(uint64_t bits) {
  char buf[KITE_FLOAT_TEXT_MAX];
  size_t n = kite_f64_text(bits, buf);
  uint64_t back = 0;
  CHECK_MSG(n == strlen(buf) && parse_f64(buf, &back) && back == bits, "f64 0x%016llx -> %s",
            (unsigned long long)bits, buf);
}

static void check_f32_text(uint32_t bits, const char *want) {
  char buf[KITE_FLOAT_TEXT_MAX];
  kite_f32_text(bits, buf);
  CHECK_MSG(strcmp(buf, want) == 0, "f32 0x%08x: got %s, want %s", (unsigned)bits, buf, want);
}

static void check_f64_text(uint64_t bits, const char *want) {
  char buf[KITE_FLOAT_TEXT_MAX];
  kite_f64_text(bits, buf);
  CHECK_MSG(strcmp(buf, want) == 0, "f64 0x%016llx: got %s, want %s", (unsigned long long)bits,
            buf, want);
}

static void test_floats(void) {
  /* The spellings wabt's wasm2wat uses for the same bits. */
  check_f32_text(0x00000000u, "0x0p+0");
  check_f32_text(0x80000000u, "-0x0p+0");
  check_f32_text(0x3f800000u, "0x1p+0");
  check_f32_text(0x00000001u, "0x1.p-149");
  check_f32_text(0x007fffffu, "0x1.fffffcp-127");
  check_f32_text(0x7f7fffffu, "0x1.fffffep+127");
  check_f32_text(0x3dcccccdu, "0x1.99999ap-4");
  check_f32_text(0x4ceb79a3u, "0x1.d6f346p+26");
  check_f32_text(0x7f800000u, "inf");
  check_f32_text(0xff800000u, "-inf");
  check_f32_text(0x7fc00000u, "nan");
  check_f32_text(0xffc00000u, "-nan");
  check_f32_text(0x7f800001u, "nan:0x1");
  check_f32_text(0x7fa00000u, "nan:0x200000");
  check_f64_text(0x0000000000000000ull, "0x0p+0");
  check_f64_text(0x8000000000000000ull, "-0x0p+0");
  check_f64_text(0x3ff0000000000000ull, "0x1p+0");
  check_f64_text(0x8000000000000001ull, "-0x1.p-1074");
  check_f64_text(0x3fb999999999999aull, "0x1.999999999999ap-4");
  check_f64_text(0x7e37e43c8800759cull, "0x1.7e43c8800759cp+996");
  check_f64_text(0x7ff8000000000000ull, "nan");
  check_f64_text(0xfff8000000000001ull, "-nan:0x8000000000001");
  check_f64_text(0x7ff0000000000000ull, "inf");

  /* Round trips: special values, every exponent, the subnormal range, random bits. */
  static const uint32_t f32s[] = {0, 0x80000000u, 1, 0x80000001u, 0x007fffffu, 0x00800000u,
                                  0x7f7fffffu, 0x7f800000u, 0xff800000u, 0x7fc00000u,
                                  0x7f800001u, 0xffbfffffu, 0x7fffffffu, 0x00400000u, 0x00000010u};
  for (size_t i = 0; i < sizeof f32s / sizeof f32s[0]; i++) check_f32_roundtrip(f32s[i]);
  for (uint32_t e = 0; e < 256; e++)
    for (int k = 0; k < 8; k++)
      check_f32_roundtrip((e << 23) | ((uint32_t)rng() & 0x807fffffu));
  for (int i = 0; i < 23; i++) check_f32_roundtrip((uint32_t)1 << i);
  for (int i = 0; i < 20000; i++) check_f32_roundtrip((uint32_t)rng());

  static const uint64_t f64s[] = {0, 0x8000000000000000ull, 1, 0x000fffffffffffffull,
                                  0x0010000000000000ull, 0x7fefffffffffffffull,
                                  0x7ff0000000000000ull, 0xfff0000000000000ull,
                                  0x7ff8000000000000ull, 0x7ff0000000000001ull,
                                  0xfff7ffffffffffffull, 0x0008000000000000ull};
  for (size_t i = 0; i < sizeof f64s / sizeof f64s[0]; i++) check_f64_roundtrip(f64s[i]);
  for (uint64_t e = 0; e < 2048; e++)
    for (int k = 0; k < 4; k++)
      check_f64_roundtrip((e << 52) | (rng() & 0x800fffffffffffffull));
  for (int i = 0; i < 52; i++) check_f64_roundtrip((uint64_t)1 << i);
  for (int i = 0; i < 20000; i++) check_f64_roundtrip(rng());
}

int main(void) {
  test_floats();
  return test_finish("print");
}
