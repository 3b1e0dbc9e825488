/*
** test_simd.c: the native SIMD definitions (simd_native.h: vector extensions, SSE2 or NEON)
** against the plain C ones (simd.h), which are the reference: every accelerated
** instruction on random vectors and on vectors built from edge values (NaNs with payloads,
** -0, infinities, INT_MIN, saturation and conversion limits, shift counts >= the width)
** must give the same bits. Float results that are NaN may differ only as wasm allows: a
** canonical NaN when every NaN operand is canonical, otherwise any quiet (arithmetic) NaN.
** CMake also builds this file with -msse4.1 (test_simd_sse41) to reach the SSSE3 and
** SSE4.1 sequences. A few results are checked against the spec's values too.
*/
#include <stdlib.h>
#include <string.h>

#include "simd.h"
#include "test_util.h"

#if KITE_SIMD_NATIVE

typedef struct {
  uint64_t s;
} rng;

static uint64_t next(rng *r) {
  r->s ^= r->s << 13;
  r->s ^= r->s >> 7;
  r->s ^= r->s << 17;
  return r->s;
}

static const uint8_t edge8[] = {0, 1, 2, 0x7F, 0x80, 0x81, 0xFE, 0xFF, 0x40, 0x3F, 0x10, 0x0F};
static const uint16_t edge16[] = {0,      1,      2,      0x7FFF, 0x8000, 0x8001, 0xFFFF,
                                  0xFFFE, 0x00FF, 0x0100, 0xFF80, 0x007F, 0x4000, 0xC000};
static const uint32_t edge32[] = {0,          1,          2,          0x7FFFFFFF, 0x80000000,
                                  0x80000001, 0xFFFFFFFF, 0xFFFFFFFE, 0x0000FFFF, 0x00010000,
                                  0xFFFF8000, 0x00007FFF, 0x00008000, 0xFFFF7FFF, 0x01000001};
static const uint64_t edge64[] = {0,
                                  1,
                                  0x7FFFFFFFFFFFFFFFull,
                                  0x8000000000000000ull,
                                  0x8000000000000001ull,
                                  0xFFFFFFFFFFFFFFFFull,
                                  0x00000000FFFFFFFFull,
                                  0x0000000100000000ull,
                                  0xFFFFFFFF80000000ull,
                                  0x000000007FFFFFFFull};
/* f32 bit patterns: zeros, ones, ties, limits of the int conversions, NaNs, subnormals. */
static const uint32_t edgef32[] = {
    0x00000000, 0x80000000, 0x3F800000, 0xBF800000, 0x3F000000, 0xBF000000, 0x3FC00000, 0xBFC00000,
    0x40200000, 0xC0200000, 0x3F000001, 0x3EFFFFFF, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000,
    0x7FC00001, 0x7FA00000, 0x7F800001, 0xFFBFFFFF, 0xFFE00000, 0x00000001, 0x807FFFFF, 0x00800000,
    0x7F7FFFFF, 0xFF7FFFFF, 0x4F000000, 0x4EFFFFFF, 0xCF000000, 0xCF000001, 0x4F800000, 0x4F7FFFFF,
    0x4B000000, 0x4B000001, 0xCB000001, 0x4AFFFFFF, 0x34000000, 0x5F000000, 0xDF000000};
static const uint64_t edgef64[] = {
    0x0000000000000000ull, 0x8000000000000000ull, 0x3FF0000000000000ull,
    0xBFF0000000000000ull, 0x3FE0000000000000ull, 0xBFE0000000000000ull,
    0x3FEFFFFFFFFFFFFFull, 0x3FDFFFFFFFFFFFFFull, 0x7FF0000000000000ull,
    0xFFF0000000000000ull, 0x7FF8000000000000ull, 0xFFF8000000000000ull,
    0x7FF8000000000001ull, 0x7FF4000000000000ull, 0x7FF0000000000001ull,
    0xFFF7FFFFFFFFFFFFull, 0x0000000000000001ull, 0x800FFFFFFFFFFFFFull,
    0x7FEFFFFFFFFFFFFFull, 0xFFEFFFFFFFFFFFFFull, 0x41DFFFFFFFC00000ull, /* 2147483647.0 */
    0x41DFFFFFFFE00000ull,                                               /* 2147483647.5 */
    0x41E0000000000000ull,                                               /* 2^31 */
    0xC1E0000000000000ull,                                               /* -2^31 */
    0xC1E0000000100000ull,                                               /* -2147483648.5 */
    0xC1E0000000200000ull,                                               /* -2147483649 */
    0x41EFFFFFFFE00000ull,                                               /* 4294967295 */
    0x41EFFFFFFFF00000ull,                                               /* 4294967295.5 */
    0x41F0000000000000ull,                                               /* 2^32 */
    0x4330000000000000ull,                                               /* 2^52 */
    0x4330000000000001ull, 0xC330000000000001ull, 0x432FFFFFFFFFFFFFull,
    0x47EFFFFFE0000000ull, /* FLT_MAX */
    0x47EFFFFFF0000000ull, /* rounds to inf as f32 */
    0x36A0000000000000ull, /* f32 subnormal */
    0x3690000000000000ull};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* One operand: random bits, lanes of one width drawn from its edge values, or a mixture. */
static void gen(rng *r, kite_v128 *v) {
  uint64_t kind = next(r) % 9;
  v->u64[0] = next(r);
  v->u64[1] = next(r);
  for (int i = 0; i < 16; i++) {
    bool keep_random = kind == 8 && (next(r) & 1);
    if (kind == 0 || keep_random) continue;
    uint64_t k = next(r);
    switch (kind == 8 ? k % 7 + 1 : kind) {
    case 1: v->u8[i] = edge8[k % COUNT(edge8)]; break;
    case 2:
      if (i < 8) v->u16[i] = edge16[k % COUNT(edge16)];
      break;
    case 3:
      if (i < 4) v->u32[i] = edge32[k % COUNT(edge32)];
      break;
    case 4:
      if (i < 2) v->u64[i] = edge64[k % COUNT(edge64)];
      break;
    case 5:
    case 7:
      if (i < 4) v->u32[i] = edgef32[k % COUNT(edgef32)];
      break;
    case 6:
      if (i < 2) v->u64[i] = edgef64[k % COUNT(edgef64)];
      break;
    }
  }
}

/* ---- wasm's NaN rules (spec 4.3.3: NaN propagation) ---- */
static bool nan32(uint32_t x) { return (x & 0x7FFFFFFFu) > 0x7F800000u; }
static bool nan64(uint64_t x) { return (x & 0x7FFFFFFFFFFFFFFFull) > 0x7FF0000000000000ull; }
static bool canonical32(uint32_t x) { return (x & 0x7FFFFFFFu) == 0x7FC00000u; }
static bool canonical64(uint64_t x) { return (x & 0x7FFFFFFFFFFFFFFFull) == 0x7FF8000000000000ull; }
static bool arithmetic32(uint32_t x) { return nan32(x) && (x & 0x00400000u); }
static bool arithmetic64(uint64_t x) { return nan64(x) && (x & 0x0008000000000000ull); }

/*
** The float-valued instructions whose NaN results may differ: lane width of the result
** and of the operands (promote and demote change it).
*/
typedef struct {
  const char *name;
  int out_bits, in_bits;
} float_op;
static const float_op float_ops[] = {
    {"f32x4_add", 32, 32},     {"f32x4_sub", 32, 32},
    {"f32x4_mul", 32, 32},     {"f32x4_div", 32, 32},
    {"f32x4_sqrt", 32, 32},    {"f32x4_ceil", 32, 32},
    {"f32x4_floor", 32, 32},   {"f32x4_trunc", 32, 32},
    {"f32x4_nearest", 32, 32}, {"f32x4_demote_f64x2_zero", 32, 64},
    {"f64x2_add", 64, 64},     {"f64x2_sub", 64, 64},
    {"f64x2_mul", 64, 64},     {"f64x2_div", 64, 64},
    {"f64x2_sqrt", 64, 64},    {"f64x2_ceil", 64, 64},
    {"f64x2_floor", 64, 64},   {"f64x2_trunc", 64, 64},
    {"f64x2_nearest", 64, 64}, {"f64x2_promote_low_f32x4", 64, 32},
};

static const float_op *find_float_op(const char *name) {
  for (size_t i = 0; i < COUNT(float_ops); i++)
    if (strcmp(float_ops[i].name, name) == 0) return &float_ops[i];
  return NULL;
}

/* Is result lane i (NaN in at least one of the two results) one wasm allows? */
static bool nan_allowed(const float_op *f, const kite_v128 *res, int i, const kite_v128 *a,
                        const kite_v128 *b) {
  /* Operand lanes that feed result lane i: the same index, or for demote lane i of f64. */
  bool any_nan = false, all_canonical = true;
  const kite_v128 *ops[2] = {a, b};
  for (int k = 0; k < 2 && ops[k]; k++) {
    if (f->in_bits == 32 && i < 4) {
      uint32_t x = ops[k]->u32[i];
      if (nan32(x)) any_nan = true, all_canonical &= canonical32(x);
    } else if (f->in_bits == 64 && i < 2) {
      uint64_t x = ops[k]->u64[i];
      if (nan64(x)) any_nan = true, all_canonical &= canonical64(x);
    }
  }
  if (!any_nan) return false; /* a NaN from non-NaN operands (inf - inf): canonical */
  if (f->out_bits == 32)
    return all_canonical ? canonical32(res->u32[i]) : arithmetic32(res->u32[i]);
  return all_canonical ? canonical64(res->u64[i]) : arithmetic64(res->u64[i]);
}

/* Compare two results; for NaN-producing float instructions, accept lanes wasm allows. */
static bool same_result(const char *name, const kite_v128 *p, const kite_v128 *n,
                        const kite_v128 *a, const kite_v128 *b) {
  if (memcmp(p, n, 16) == 0) return true;
  const float_op *f = find_float_op(name);
  if (!f) return false;
  int lanes = f->out_bits == 32 ? 4 : 2;
  for (int i = 0; i < lanes; i++) {
    bool differ = f->out_bits == 32 ? p->u32[i] != n->u32[i] : p->u64[i] != n->u64[i];
    if (!differ) continue;
    /* Non-NaN inputs give a canonical NaN (e.g. 0/0): both must be one then. */
    bool both_nan = f->out_bits == 32 ? nan32(p->u32[i]) && nan32(n->u32[i])
                                      : nan64(p->u64[i]) && nan64(n->u64[i]);
    if (!both_nan) return false;
    bool pa = nan_allowed(f, p, i, a, b), na = nan_allowed(f, n, i, a, b);
    bool canon = f->out_bits == 32 ? canonical32(p->u32[i]) && canonical32(n->u32[i])
                                   : canonical64(p->u64[i]) && canonical64(n->u64[i]);
    if (!((pa && na) || canon)) return false;
  }
  return true;
}

static void report(const char *name, const kite_v128 *a, const kite_v128 *b, uint32_t n,
                   const kite_v128 *plain, const kite_v128 *native) {
  fprintf(stderr, "%s: a=%016llx%016llx", name, (unsigned long long)a->u64[1],
          (unsigned long long)a->u64[0]);
  if (b)
    fprintf(stderr, " b=%016llx%016llx", (unsigned long long)b->u64[1],
            (unsigned long long)b->u64[0]);
  fprintf(stderr, " n=%u plain=%016llx%016llx native=%016llx%016llx\n", n,
          (unsigned long long)plain->u64[1], (unsigned long long)plain->u64[0],
          (unsigned long long)native->u64[1], (unsigned long long)native->u64[0]);
}

enum { TRIALS = 20000 };

/* A second operand: independent, equal to the first, or mixing its lanes with new ones. */
static void gen2(rng *r, const kite_v128 *a, kite_v128 *b) {
  gen(r, b);
  uint64_t k = next(r) % 8;
  if (k == 0) *b = *a;
  if (k == 1)
    for (int i = 0; i < 16; i++)
      if (next(r) & 1) b->u8[i] = a->u8[i];
}

typedef void (*simd_tern)(kite_v128 *, const kite_v128 *, const kite_v128 *, const kite_v128 *);
typedef void (*simd_shift)(kite_v128 *, const kite_v128 *, uint32_t);
typedef uint32_t (*simd_to_i32)(const kite_v128 *);

#define UN_ROW(name) {#name, plain_##name, native_##name},
#define BIN_ROW(name) {#name, plain_##name, native_##name},
static const struct {
  const char *name;
  kite_simd_un plain, native;
} un_ops[] = {KITE_SIMD_NATIVE_UN(UN_ROW)};
static const struct {
  const char *name;
  kite_simd_bin plain, native;
} bin_ops[] = {KITE_SIMD_NATIVE_BIN(BIN_ROW)};
static const struct {
  const char *name;
  simd_tern plain, native;
} tern_ops[] = {KITE_SIMD_NATIVE_TERN(BIN_ROW)};
static const struct {
  const char *name;
  simd_shift plain, native;
} shift_ops[] = {KITE_SIMD_NATIVE_SHIFT(BIN_ROW)};
static const struct {
  const char *name;
  void (*plain)(kite_v128 *, uint64_t), (*native)(kite_v128 *, uint64_t);
} splat_ops[] = {KITE_SIMD_NATIVE_SPLAT(BIN_ROW)};
static const struct {
  const char *name;
  simd_to_i32 plain, native;
} to_i32_ops[] = {KITE_SIMD_NATIVE_TO_I32(BIN_ROW)};

/* One failure line per instruction is enough to debug it; count them all. */
static void check_op(const char *name, bool ok, int *reported, const kite_v128 *a,
                     const kite_v128 *b, uint32_t n, const kite_v128 *p, const kite_v128 *q) {
  CHECK_MSG(ok || *reported, "%s: native and plain results differ", name);
  if (!ok && !*reported) report(name, a, b, n, p, q);
  if (!ok) *reported = 1;
}

static const uint32_t shift_edges[] = {0,   1,   7,    8,          9,          15,        16,  17,
                                       31,  32,  33,   63,         64,         65,        127, 128,
                                       255, 256, 1000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF};

static int compare_paths(void) {
  rng r = {0x9E3779B97F4A7C15ull};
  int ops = 0;
  for (size_t k = 0; k < COUNT(un_ops); k++, ops++) {
    int reported = 0;
    for (int t = 0; t < TRIALS; t++) {
      kite_v128 a, p, q;
      gen(&r, &a);
      un_ops[k].plain(&p, &a);
      un_ops[k].native(&q, &a);
      check_op(un_ops[k].name, same_result(un_ops[k].name, &p, &q, &a, NULL), &reported, &a, NULL,
               0, &p, &q);
    }
  }
  for (size_t k = 0; k < COUNT(bin_ops); k++, ops++) {
    int reported = 0;
    for (int t = 0; t < TRIALS; t++) {
      kite_v128 a, b, p, q;
      gen(&r, &a);
      gen2(&r, &a, &b);
      bin_ops[k].plain(&p, &a, &b);
      bin_ops[k].native(&q, &a, &b);
      check_op(bin_ops[k].name, same_result(bin_ops[k].name, &p, &q, &a, &b), &reported, &a, &b, 0,
               &p, &q);
    }
  }
  for (size_t k = 0; k < COUNT(tern_ops); k++, ops++) {
    int reported = 0;
    for (int t = 0; t < TRIALS; t++) {
      kite_v128 a, b, c, p, q;
      gen(&r, &a);
      gen2(&r, &a, &b);
      gen(&r, &c);
      tern_ops[k].plain(&p, &a, &b, &c);
      tern_ops[k].native(&q, &a, &b, &c);
      check_op(tern_ops[k].name, memcmp(&p, &q, 16) == 0, &reported, &a, &b, 0, &p, &q);
    }
  }
  for (size_t k = 0; k < COUNT(shift_ops); k++, ops++) {
    int reported = 0;
    for (int t = 0; t < TRIALS; t++) {
      kite_v128 a, p, q;
      gen(&r, &a);
      uint64_t s = next(&r);
      uint32_t n = s & 1 ? shift_edges[(s >> 1) % COUNT(shift_edges)]
                         : (s & 2 ? (uint32_t)(s >> 32) : (uint32_t)(s >> 32) % 160);
      shift_ops[k].plain(&p, &a, n);
      shift_ops[k].native(&q, &a, n);
      check_op(shift_ops[k].name, memcmp(&p, &q, 16) == 0, &reported, &a, NULL, n, &p, &q);
    }
  }
  {
    int reported = 0;
    for (int t = 0; t < TRIALS; t++, ops += t == 1) {
      kite_v128 a, b, p, q;
      uint32_t lanes[4];
      gen(&r, &a);
      gen2(&r, &a, &b);
      /* Mostly valid lane indices (below 32); any byte in the rest of the trials. */
      for (int i = 0; i < 4; i++) {
        uint64_t s = next(&r);
        lanes[i] = (uint32_t)s & (t % 8 ? 0x1F1F1F1Fu : 0xFFFFFFFFu);
      }
      plain_i8x16_shuffle(&p, &a, &b, lanes);
      native_i8x16_shuffle(&q, &a, &b, lanes);
      check_op("i8x16_shuffle", memcmp(&p, &q, 16) == 0, &reported, &a, &b, lanes[0], &p, &q);
    }
  }
  for (size_t k = 0; k < COUNT(splat_ops); k++, ops++) {
    int reported = 0;
    for (int t = 0; t < TRIALS; t++) {
      kite_v128 a, p, q;
      gen(&r, &a);
      splat_ops[k].plain(&p, a.u64[0]);
      splat_ops[k].native(&q, a.u64[0]);
      check_op(splat_ops[k].name, memcmp(&p, &q, 16) == 0, &reported, &a, NULL, 0, &p, &q);
    }
  }
  for (size_t k = 0; k < COUNT(to_i32_ops); k++, ops++) {
    int reported = 0;
    for (int t = 0; t < TRIALS; t++) {
      kite_v128 a, p = {{0}}, q = {{0}};
      gen(&r, &a);
      /* Sparse vectors too, so that all_true and any_true see both answers. */
      if (t % 4 == 1)
        for (int i = 0; i < 16; i++)
          if (next(&r) % 4) a.u8[i] = 0;
      if (t % 4 == 2) memset(&a, 0, 16), a.u8[next(&r) % 16] = (uint8_t)(1 << (t % 8));
      p.u32[0] = to_i32_ops[k].plain(&a);
      q.u32[0] = to_i32_ops[k].native(&a);
      check_op(to_i32_ops[k].name, p.u32[0] == q.u32[0], &reported, &a, NULL, 0, &p, &q);
    }
  }
  return ops;
}
#endif

static kite_v128 splat32(uint32_t x) {
  kite_v128 v;
  for (int i = 0; i < 4; i++) v.u32[i] = x;
  return v;
}

/* Results the spec states, through the names the interpreter calls (whichever path). */
static void check_spec_values(void) {
  kite_v128 a, b, r;
  memset(&a, 0, 16);
  for (int i = 0; i < 8; i++) a.u16[i] = 0x8000;
  i16x8_q15mulr_sat_s(&r, &a, &a);
  CHECK(r.u16[0] == 0x7FFF && r.u16[7] == 0x7FFF);
  b = a;
  b.u16[1] = 0x7FFF;
  i16x8_q15mulr_sat_s(&r, &a, &b);
  CHECK(r.u16[1] == 0x8001);
  i32x4_dot_i16x8_s(&r, &a, &a);
  CHECK(r.u32[0] == 0x80000000u);

  for (int i = 0; i < 16; i++) a.u8[i] = (uint8_t)(i + 100), b.u8[i] = (uint8_t)(15 - i);
  b.u8[0] = 16, b.u8[1] = 0x80, b.u8[2] = 0xFF, b.u8[3] = 0x70;
  i8x16_swizzle(&r, &a, &b);
  CHECK(r.u8[0] == 0 && r.u8[1] == 0 && r.u8[2] == 0 && r.u8[3] == 0 && r.u8[4] == 111);

  const uint32_t lanes[4] = {0x1F100F00, 0x01020304, 0x11121314, 0x1E1D1C1B};
  i8x16_shuffle(&r, &a, &b, lanes);
  CHECK(r.u8[0] == a.u8[0] && r.u8[1] == a.u8[15] && r.u8[2] == b.u8[0] && r.u8[3] == b.u8[15]);
  CHECK(r.u8[4] == a.u8[4] && r.u8[8] == b.u8[4] && r.u8[12] == b.u8[11] && r.u8[15] == b.u8[14]);

  i16x8_splat(&r, 0x12345678ABCDull);
  CHECK(r.u16[0] == 0xABCD && r.u16[7] == 0xABCD);
  i64x2_splat(&r, 0x8000000000000001ull);
  CHECK(r.u64[0] == 0x8000000000000001ull && r.u64[1] == 0x8000000000000001ull);

  a = splat32(0x7FC00000); /* NaN */
  a.u32[1] = 0x4F800000;   /* 2^32 */
  a.u32[2] = 0xBF800000;   /* -1 */
  a.u32[3] = 0x4F7FFFFF;   /* 4294967040 */
  i32x4_trunc_sat_f32x4_u(&r, &a);
  CHECK(r.u32[0] == 0 && r.u32[1] == 0xFFFFFFFFu && r.u32[2] == 0 && r.u32[3] == 4294967040u);
  a.u32[1] = 0x4F000000; /* 2^31 */
  i32x4_trunc_sat_f32x4_s(&r, &a);
  CHECK(r.u32[0] == 0 && r.u32[1] == 0x7FFFFFFFu && r.u32[2] == 0xFFFFFFFFu &&
        r.u32[3] == 0x7FFFFFFFu);

  a = splat32(0xFFFFFFFF);
  f32x4_convert_i32x4_u(&r, &a);
  CHECK(r.f32[0] == 4294967296.0f);
  f64x2_convert_low_i32x4_u(&r, &a);
  CHECK(r.f64[0] == 4294967295.0 && r.f64[1] == 4294967295.0);

  a = splat32(0x80808080);
  i8x16_abs(&r, &a);
  CHECK(r.u8[0] == 0x80);
  i32x4_abs(&r, &a);
  CHECK(r.u32[0] == 0x7F7F7F80u);
  a = splat32(0xFFFF012C); /* i16 lanes 300 and -1 */
  i8x16_narrow_i16x8_u(&r, &a, &a);
  CHECK(r.u8[0] == 255 && r.u8[1] == 0);
  a = splat32(0x00012345);
  i16x8_narrow_i32x4_u(&r, &a, &a);
  CHECK(r.u16[0] == 0xFFFF);

  a.f64[0] = 2.5, a.f64[1] = -0.5;
  f64x2_nearest(&r, &a);
  CHECK(r.f64[0] == 2.0 && r.u64[1] == 0x8000000000000000ull);
  a.f64[0] = -2147483648.9, a.f64[1] = 4294967295.9;
  i32x4_trunc_sat_f64x2_s_zero(&r, &a);
  CHECK(r.u32[0] == 0x80000000u && r.u32[1] == 0x7FFFFFFFu && r.u32[2] == 0 && r.u32[3] == 0);
  i32x4_trunc_sat_f64x2_u_zero(&r, &a);
  CHECK(r.u32[0] == 0 && r.u32[1] == 0xFFFFFFFFu && r.u32[2] == 0 && r.u32[3] == 0);

  a = splat32(0x80000001);
  i8x16_shr_s(&r, &a, 9); /* 9 mod 8 = 1 */
  CHECK(r.u8[0] == 0 && r.u8[3] == 0xC0);
  i64x2_shl(&r, &a, 64);
  CHECK(memcmp(&r, &a, 16) == 0);
  CHECK(i8x16_bitmask(&a) == 0x8888 && i16x8_bitmask(&a) == 0xAA && i32x4_bitmask(&a) == 0xF);
  CHECK(i64x2_all_true(&a) && !i8x16_all_true(&a) && v128_any_true(&a));
}

int main(void) {
#if KITE_SIMD_NATIVE && defined(__SSE4_1__) && defined(__x86_64__)
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("sse4.1")) {
    printf("test_simd: this CPU has no SSE4.1; skipped\n");
    return TEST_SKIP;
  }
#endif
  check_spec_values();
#if KITE_SIMD_NATIVE
  int ops = compare_paths();
  printf("test_simd: %d native instructions compared with plain C, %d inputs each\n", ops, TRIALS);
#else
  printf("test_simd: plain C only in this build (no SSE2/NEON, or KITE_SIMD_PORTABLE)\n");
#endif
  return test_finish("test_simd");
}
