/*
** simd_native.h: the SIMD instructions on the host's vector unit, for those whose
** hardware form gives exactly wasm's result (included by simd.h, after the plain
** definitions, which are the reference). native_i8x16_add is i8x16.add.
**
** One small layer: GCC's and clang's vector extensions (kv_u8 ... kv_f64: lane-wise
** + - * & | ^ ~ << >> and comparisons that give all-ones lanes) where C already says what
** wasm says, and SSE2 (x86-64's baseline; SSSE3 and SSE4.1 only when the compiler targets
** them, except the shuffle's pshufb, chosen at run time) or NEON (aarch64) intrinsics for
** the rest. Where an instruction needs care, the
** comment says why the sequence is exact. Operands are copied in and out with memcpy, so
** kite_v128 needs no alignment; after inlining these are plain register loads and stores.
**
** Hardware NaNs: x86 and ARM float arithmetic returns either a quieted operand NaN (an
** arithmetic NaN, canonical when the operand was) or the default NaN (canonical), both
** allowed by wasm, and the same as the scalar operations of the plain path.
*/
#ifndef KITE_SIMD_NATIVE_H
#define KITE_SIMD_NATIVE_H

#if !defined(KITE_SIMD_PORTABLE) && defined(__GNUC__) && !defined(__ARM_BIG_ENDIAN) &&             \
    (defined(__SSE2__) || (defined(__aarch64__) && defined(__ARM_NEON)))
#define KITE_SIMD_NATIVE 1
#if defined(__SSE2__)
#define KITE_SIMD_SSE2 1
#include <emmintrin.h>
#if defined(__SSSE3__)
#include <tmmintrin.h>
#endif
#if defined(__SSE4_1__)
#include <smmintrin.h>
#endif
#else
#define KITE_SIMD_NEON 1
#include <arm_neon.h>
#endif
#else
#define KITE_SIMD_NATIVE 0
#endif

#if KITE_SIMD_NATIVE

typedef uint8_t kv_u8 __attribute__((vector_size(16)));
typedef int8_t kv_i8 __attribute__((vector_size(16)));
typedef uint16_t kv_u16 __attribute__((vector_size(16)));
typedef int16_t kv_i16 __attribute__((vector_size(16)));
typedef uint32_t kv_u32 __attribute__((vector_size(16)));
typedef int32_t kv_i32 __attribute__((vector_size(16)));
typedef uint64_t kv_u64 __attribute__((vector_size(16)));
typedef int64_t kv_i64 __attribute__((vector_size(16)));
typedef float kv_f32 __attribute__((vector_size(16)));
typedef double kv_f64 __attribute__((vector_size(16)));

static inline kv_u8 kv_load(const kite_v128 *p) {
  kv_u8 v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline void kv_store(kite_v128 *p, kv_u8 v) { memcpy(p, &v, sizeof v); }

/* Function heads: the body computes native_NAME's result. */
#define SIMD_NATIVE1(name) static inline void native_##name(kite_v128 *r, const kite_v128 *a)
#define SIMD_NATIVE2(name)                                                                         \
  static inline void native_##name(kite_v128 *r, const kite_v128 *a, const kite_v128 *b)
#define SIMD_NATIVE_SHIFT(name)                                                                    \
  static inline void native_##name(kite_v128 *r, const kite_v128 *a, uint32_t n)
#define SIMD_NATIVE_TO_I32(name) static inline uint32_t native_##name(const kite_v128 *a)
/* Bodies: x (and y) are the operands as vectors of type T; expr is the result. */
#define KV_UN(T, expr)                                                                             \
  do {                                                                                             \
    T x = (T)kv_load(a);                                                                           \
    kv_store(r, (kv_u8)(expr));                                                                    \
  } while (0)
#define KV_BIN(T, expr)                                                                            \
  do {                                                                                             \
    T x = (T)kv_load(a), y = (T)kv_load(b);                                                        \
    kv_store(r, (kv_u8)(expr));                                                                    \
  } while (0)
/* Lane-wise m ? p : q for a mask m of all-ones or all-zeros lanes (same vector type). */
#define KV_SELECT(m, p, q) (((p) & (m)) | ((q) & ~(m)))

/* ---- bitwise ---- */
SIMD_NATIVE1(v128_not) { KV_UN(kv_u64, ~x); }
SIMD_NATIVE2(v128_and) { KV_BIN(kv_u64, x & y); }
SIMD_NATIVE2(v128_andnot) { KV_BIN(kv_u64, x & ~y); }
SIMD_NATIVE2(v128_or) { KV_BIN(kv_u64, x | y); }
SIMD_NATIVE2(v128_xor) { KV_BIN(kv_u64, x ^ y); }
static inline void native_v128_bitselect(kite_v128 *r, const kite_v128 *a, const kite_v128 *b,
                                         const kite_v128 *c) {
  kv_u64 x = (kv_u64)kv_load(a), y = (kv_u64)kv_load(b), m = (kv_u64)kv_load(c);
  kv_store(r, (kv_u8)KV_SELECT(m, x, y));
}

/* ---- integer comparisons: C's vector comparisons give wasm's all-ones lanes ---- */
SIMD_NATIVE2(i8x16_eq) { KV_BIN(kv_u8, x == y); }
SIMD_NATIVE2(i8x16_ne) { KV_BIN(kv_u8, x != y); }
SIMD_NATIVE2(i8x16_lt_s) { KV_BIN(kv_i8, x < y); }
SIMD_NATIVE2(i8x16_lt_u) { KV_BIN(kv_u8, x < y); }
SIMD_NATIVE2(i8x16_gt_s) { KV_BIN(kv_i8, x > y); }
SIMD_NATIVE2(i8x16_gt_u) { KV_BIN(kv_u8, x > y); }
SIMD_NATIVE2(i8x16_le_s) { KV_BIN(kv_i8, x <= y); }
SIMD_NATIVE2(i8x16_le_u) { KV_BIN(kv_u8, x <= y); }
SIMD_NATIVE2(i8x16_ge_s) { KV_BIN(kv_i8, x >= y); }
SIMD_NATIVE2(i8x16_ge_u) { KV_BIN(kv_u8, x >= y); }
SIMD_NATIVE2(i16x8_eq) { KV_BIN(kv_u16, x == y); }
SIMD_NATIVE2(i16x8_ne) { KV_BIN(kv_u16, x != y); }
SIMD_NATIVE2(i16x8_lt_s) { KV_BIN(kv_i16, x < y); }
SIMD_NATIVE2(i16x8_lt_u) { KV_BIN(kv_u16, x < y); }
SIMD_NATIVE2(i16x8_gt_s) { KV_BIN(kv_i16, x > y); }
SIMD_NATIVE2(i16x8_gt_u) { KV_BIN(kv_u16, x > y); }
SIMD_NATIVE2(i16x8_le_s) { KV_BIN(kv_i16, x <= y); }
SIMD_NATIVE2(i16x8_le_u) { KV_BIN(kv_u16, x <= y); }
SIMD_NATIVE2(i16x8_ge_s) { KV_BIN(kv_i16, x >= y); }
SIMD_NATIVE2(i16x8_ge_u) { KV_BIN(kv_u16, x >= y); }
SIMD_NATIVE2(i32x4_eq) { KV_BIN(kv_u32, x == y); }
SIMD_NATIVE2(i32x4_ne) { KV_BIN(kv_u32, x != y); }
SIMD_NATIVE2(i32x4_lt_s) { KV_BIN(kv_i32, x < y); }
SIMD_NATIVE2(i32x4_lt_u) { KV_BIN(kv_u32, x < y); }
SIMD_NATIVE2(i32x4_gt_s) { KV_BIN(kv_i32, x > y); }
SIMD_NATIVE2(i32x4_gt_u) { KV_BIN(kv_u32, x > y); }
SIMD_NATIVE2(i32x4_le_s) { KV_BIN(kv_i32, x <= y); }
SIMD_NATIVE2(i32x4_le_u) { KV_BIN(kv_u32, x <= y); }
SIMD_NATIVE2(i32x4_ge_s) { KV_BIN(kv_i32, x >= y); }
SIMD_NATIVE2(i32x4_ge_u) { KV_BIN(kv_u32, x >= y); }
SIMD_NATIVE2(i64x2_eq) { KV_BIN(kv_u64, x == y); }
SIMD_NATIVE2(i64x2_ne) { KV_BIN(kv_u64, x != y); }
SIMD_NATIVE2(i64x2_lt_s) { KV_BIN(kv_i64, x < y); }
SIMD_NATIVE2(i64x2_gt_s) { KV_BIN(kv_i64, x > y); }
SIMD_NATIVE2(i64x2_le_s) { KV_BIN(kv_i64, x <= y); }
SIMD_NATIVE2(i64x2_ge_s) { KV_BIN(kv_i64, x >= y); }

/* ---- float comparisons: ordered, except ne (true when either is NaN), as in C ---- */
SIMD_NATIVE2(f32x4_eq) { KV_BIN(kv_f32, x == y); }
SIMD_NATIVE2(f32x4_ne) { KV_BIN(kv_f32, x != y); }
SIMD_NATIVE2(f32x4_lt) { KV_BIN(kv_f32, x < y); }
SIMD_NATIVE2(f32x4_gt) { KV_BIN(kv_f32, x > y); }
SIMD_NATIVE2(f32x4_le) { KV_BIN(kv_f32, x <= y); }
SIMD_NATIVE2(f32x4_ge) { KV_BIN(kv_f32, x >= y); }
SIMD_NATIVE2(f64x2_eq) { KV_BIN(kv_f64, x == y); }
SIMD_NATIVE2(f64x2_ne) { KV_BIN(kv_f64, x != y); }
SIMD_NATIVE2(f64x2_lt) { KV_BIN(kv_f64, x < y); }
SIMD_NATIVE2(f64x2_gt) { KV_BIN(kv_f64, x > y); }
SIMD_NATIVE2(f64x2_le) { KV_BIN(kv_f64, x <= y); }
SIMD_NATIVE2(f64x2_ge) { KV_BIN(kv_f64, x >= y); }

/* ---- wrapping integer arithmetic (unsigned lanes: C defines the wrap) ---- */
SIMD_NATIVE1(i8x16_neg) { KV_UN(kv_u8, -x); }
SIMD_NATIVE2(i8x16_add) { KV_BIN(kv_u8, x + y); }
SIMD_NATIVE2(i8x16_sub) { KV_BIN(kv_u8, x - y); }
SIMD_NATIVE1(i16x8_neg) { KV_UN(kv_u16, -x); }
SIMD_NATIVE2(i16x8_add) { KV_BIN(kv_u16, x + y); }
SIMD_NATIVE2(i16x8_sub) { KV_BIN(kv_u16, x - y); }
SIMD_NATIVE2(i16x8_mul) { KV_BIN(kv_u16, x * y); }
SIMD_NATIVE1(i32x4_neg) { KV_UN(kv_u32, -x); }
SIMD_NATIVE2(i32x4_add) { KV_BIN(kv_u32, x + y); }
SIMD_NATIVE2(i32x4_sub) { KV_BIN(kv_u32, x - y); }
SIMD_NATIVE2(i32x4_mul) { KV_BIN(kv_u32, x * y); }
SIMD_NATIVE1(i64x2_neg) { KV_UN(kv_u64, -x); }
SIMD_NATIVE2(i64x2_add) { KV_BIN(kv_u64, x + y); }
SIMD_NATIVE2(i64x2_sub) { KV_BIN(kv_u64, x - y); }
SIMD_NATIVE2(i64x2_mul) { KV_BIN(kv_u64, x * y); }
/* abs(INT_MIN) is INT_MIN in wasm: (x ^ s) - s with s the sign mask wraps the same way. */
SIMD_NATIVE1(i64x2_abs) {
  KV_UN(kv_u64, (x ^ (kv_u64)((kv_i64)x >> 63)) - (kv_u64)((kv_i64)x >> 63));
}

/* Pairwise sums: the even lane is the low half of each wider lane, the odd the high. */
SIMD_NATIVE1(i16x8_extadd_pairwise_i8x16_s) {
  KV_UN(kv_i16, ((kv_i16)((kv_u16)x << 8) >> 8) + (x >> 8));
}
SIMD_NATIVE1(i16x8_extadd_pairwise_i8x16_u) { KV_UN(kv_u16, (x & 0xFF) + (x >> 8)); }
SIMD_NATIVE1(i32x4_extadd_pairwise_i16x8_s) {
  KV_UN(kv_i32, ((kv_i32)((kv_u32)x << 16) >> 16) + (x >> 16));
}
SIMD_NATIVE1(i32x4_extadd_pairwise_i16x8_u) { KV_UN(kv_u32, (x & 0xFFFF) + (x >> 16)); }

/* ---- shifts: the count modulo the lane width, as wasm says ---- */
SIMD_NATIVE_SHIFT(i8x16_shl) {
  kv_u8 x = kv_load(a);
  kv_store(r, x << (n & 7));
}
SIMD_NATIVE_SHIFT(i8x16_shr_s) {
  kv_i8 x = (kv_i8)kv_load(a);
  kv_store(r, (kv_u8)(x >> (n & 7)));
}
SIMD_NATIVE_SHIFT(i8x16_shr_u) {
  kv_u8 x = kv_load(a);
  kv_store(r, x >> (n & 7));
}
SIMD_NATIVE_SHIFT(i16x8_shl) { KV_UN(kv_u16, x << (n & 15)); }
SIMD_NATIVE_SHIFT(i16x8_shr_s) { KV_UN(kv_i16, x >> (n & 15)); }
SIMD_NATIVE_SHIFT(i16x8_shr_u) { KV_UN(kv_u16, x >> (n & 15)); }
SIMD_NATIVE_SHIFT(i32x4_shl) { KV_UN(kv_u32, x << (n & 31)); }
SIMD_NATIVE_SHIFT(i32x4_shr_s) { KV_UN(kv_i32, x >> (n & 31)); }
SIMD_NATIVE_SHIFT(i32x4_shr_u) { KV_UN(kv_u32, x >> (n & 31)); }
SIMD_NATIVE_SHIFT(i64x2_shl) { KV_UN(kv_u64, x << (n & 63)); }
SIMD_NATIVE_SHIFT(i64x2_shr_s) { KV_UN(kv_i64, x >> (n & 63)); }
SIMD_NATIVE_SHIFT(i64x2_shr_u) { KV_UN(kv_u64, x >> (n & 63)); }

/* ---- splats: a scalar operand of a vector operation stands for all its lanes ---- */
static inline void native_i8x16_splat(kite_v128 *r, uint64_t x) {
  kv_store(r, (kv_u8){0} + (uint8_t)x);
}
static inline void native_i16x8_splat(kite_v128 *r, uint64_t x) {
  kv_store(r, (kv_u8)((kv_u16){0} + (uint16_t)x));
}
static inline void native_i32x4_splat(kite_v128 *r, uint64_t x) {
  kv_store(r, (kv_u8)((kv_u32){0} + (uint32_t)x));
}
static inline void native_i64x2_splat(kite_v128 *r, uint64_t x) {
  kv_store(r, (kv_u8)((kv_u64){0} + x));
}

/* ---- float arithmetic: IEEE operations, one rounding each (no contraction) ---- */
SIMD_NATIVE1(f32x4_abs) { KV_UN(kv_u32, x & 0x7FFFFFFFu); }
SIMD_NATIVE1(f32x4_neg) { KV_UN(kv_u32, x ^ 0x80000000u); }
SIMD_NATIVE2(f32x4_add) { KV_BIN(kv_f32, x + y); }
SIMD_NATIVE2(f32x4_sub) { KV_BIN(kv_f32, x - y); }
SIMD_NATIVE2(f32x4_mul) { KV_BIN(kv_f32, x * y); }
SIMD_NATIVE2(f32x4_div) { KV_BIN(kv_f32, x / y); }
SIMD_NATIVE1(f64x2_abs) { KV_UN(kv_u64, x & 0x7FFFFFFFFFFFFFFFull); }
SIMD_NATIVE1(f64x2_neg) { KV_UN(kv_u64, x ^ 0x8000000000000000ull); }
SIMD_NATIVE2(f64x2_add) { KV_BIN(kv_f64, x + y); }
SIMD_NATIVE2(f64x2_sub) { KV_BIN(kv_f64, x - y); }
SIMD_NATIVE2(f64x2_mul) { KV_BIN(kv_f64, x * y); }
SIMD_NATIVE2(f64x2_div) { KV_BIN(kv_f64, x / y); }

#if KITE_SIMD_SSE2
/* ================================ x86: SSE2 and up ================================ */
#define KV_SSE_ZERO _mm_setzero_si128()

/* abs: SSSE3's pabs wraps INT_MIN as wasm does; SSE2 takes (x ^ s) - s. */
SIMD_NATIVE1(i8x16_abs) {
#if defined(__SSSE3__)
  KV_UN(__m128i, _mm_abs_epi8(x));
#else
  KV_UN(kv_u8, (x ^ (kv_u8)((kv_i8)x >> 7)) - (kv_u8)((kv_i8)x >> 7));
#endif
}
SIMD_NATIVE1(i16x8_abs) {
#if defined(__SSSE3__)
  KV_UN(__m128i, _mm_abs_epi16(x));
#else
  KV_UN(kv_u16, (x ^ (kv_u16)((kv_i16)x >> 15)) - (kv_u16)((kv_i16)x >> 15));
#endif
}
SIMD_NATIVE1(i32x4_abs) {
#if defined(__SSSE3__)
  KV_UN(__m128i, _mm_abs_epi32(x));
#else
  KV_UN(kv_u32, (x ^ (kv_u32)((kv_i32)x >> 31)) - (kv_u32)((kv_i32)x >> 31));
#endif
}
/* popcnt: the bit-slicing sum within each byte (SSE2 has no per-byte count). */
SIMD_NATIVE1(i8x16_popcnt) {
  kv_u8 x = kv_load(a);
  x = x - ((x >> 1) & 0x55);
  x = (x & 0x33) + ((x >> 2) & 0x33);
  kv_store(r, (x + (x >> 4)) & 0x0F);
}

/* ---- saturating arithmetic and rounding average: the same definitions as wasm ---- */
SIMD_NATIVE2(i8x16_add_sat_s) { KV_BIN(__m128i, _mm_adds_epi8(x, y)); }
SIMD_NATIVE2(i8x16_add_sat_u) { KV_BIN(__m128i, _mm_adds_epu8(x, y)); }
SIMD_NATIVE2(i8x16_sub_sat_s) { KV_BIN(__m128i, _mm_subs_epi8(x, y)); }
SIMD_NATIVE2(i8x16_sub_sat_u) { KV_BIN(__m128i, _mm_subs_epu8(x, y)); }
SIMD_NATIVE2(i16x8_add_sat_s) { KV_BIN(__m128i, _mm_adds_epi16(x, y)); }
SIMD_NATIVE2(i16x8_add_sat_u) { KV_BIN(__m128i, _mm_adds_epu16(x, y)); }
SIMD_NATIVE2(i16x8_sub_sat_s) { KV_BIN(__m128i, _mm_subs_epi16(x, y)); }
SIMD_NATIVE2(i16x8_sub_sat_u) { KV_BIN(__m128i, _mm_subs_epu16(x, y)); }
SIMD_NATIVE2(i8x16_avgr_u) { KV_BIN(__m128i, _mm_avg_epu8(x, y)); }
SIMD_NATIVE2(i16x8_avgr_u) { KV_BIN(__m128i, _mm_avg_epu16(x, y)); }

/* ---- min and max: SSE2 has u8 and s16; SSE4.1 the rest; otherwise compare and select ---- */
SIMD_NATIVE2(i8x16_min_u) { KV_BIN(__m128i, _mm_min_epu8(x, y)); }
SIMD_NATIVE2(i8x16_max_u) { KV_BIN(__m128i, _mm_max_epu8(x, y)); }
SIMD_NATIVE2(i16x8_min_s) { KV_BIN(__m128i, _mm_min_epi16(x, y)); }
SIMD_NATIVE2(i16x8_max_s) { KV_BIN(__m128i, _mm_max_epi16(x, y)); }
#if defined(__SSE4_1__)
SIMD_NATIVE2(i8x16_min_s) { KV_BIN(__m128i, _mm_min_epi8(x, y)); }
SIMD_NATIVE2(i8x16_max_s) { KV_BIN(__m128i, _mm_max_epi8(x, y)); }
SIMD_NATIVE2(i16x8_min_u) { KV_BIN(__m128i, _mm_min_epu16(x, y)); }
SIMD_NATIVE2(i16x8_max_u) { KV_BIN(__m128i, _mm_max_epu16(x, y)); }
SIMD_NATIVE2(i32x4_min_s) { KV_BIN(__m128i, _mm_min_epi32(x, y)); }
SIMD_NATIVE2(i32x4_min_u) { KV_BIN(__m128i, _mm_min_epu32(x, y)); }
SIMD_NATIVE2(i32x4_max_s) { KV_BIN(__m128i, _mm_max_epi32(x, y)); }
SIMD_NATIVE2(i32x4_max_u) { KV_BIN(__m128i, _mm_max_epu32(x, y)); }
#else
SIMD_NATIVE2(i8x16_min_s) { KV_BIN(kv_i8, KV_SELECT((kv_i8)(x < y), x, y)); }
SIMD_NATIVE2(i8x16_max_s) { KV_BIN(kv_i8, KV_SELECT((kv_i8)(x > y), x, y)); }
/* x - sat(x - y) is min(x, y), y + sat(x - y) is max(x, y). */
SIMD_NATIVE2(i16x8_min_u) { KV_BIN(__m128i, _mm_sub_epi16(x, _mm_subs_epu16(x, y))); }
SIMD_NATIVE2(i16x8_max_u) { KV_BIN(__m128i, _mm_add_epi16(y, _mm_subs_epu16(x, y))); }
SIMD_NATIVE2(i32x4_min_s) { KV_BIN(kv_i32, KV_SELECT((kv_i32)(x < y), x, y)); }
SIMD_NATIVE2(i32x4_min_u) { KV_BIN(kv_u32, KV_SELECT((kv_u32)(x < y), x, y)); }
SIMD_NATIVE2(i32x4_max_s) { KV_BIN(kv_i32, KV_SELECT((kv_i32)(x > y), x, y)); }
SIMD_NATIVE2(i32x4_max_u) { KV_BIN(kv_u32, KV_SELECT((kv_u32)(x > y), x, y)); }
#endif

/*
** q15mulr_sat: (x * y + 0x4000) >> 15 saturated. SSSE3's pmulhrsw computes it unsaturated;
** only -32768 * -32768 overflows (to 0x8000, which no other product gives), so lanes equal
** to 0x8000 flip to 0x7FFF. SSE2 forms the 32-bit products and packs them with saturation.
*/
SIMD_NATIVE2(i16x8_q15mulr_sat_s) {
#if defined(__SSSE3__)
  __m128i x = (__m128i)kv_load(a), y = (__m128i)kv_load(b);
  __m128i p = _mm_mulhrs_epi16(x, y);
  kv_store(r, (kv_u8)_mm_xor_si128(p, _mm_cmpeq_epi16(p, _mm_set1_epi16(INT16_MIN))));
#else
  __m128i x = (__m128i)kv_load(a), y = (__m128i)kv_load(b);
  __m128i lo = _mm_mullo_epi16(x, y), hi = _mm_mulhi_epi16(x, y), round = _mm_set1_epi32(0x4000);
  __m128i p0 = _mm_srai_epi32(_mm_add_epi32(_mm_unpacklo_epi16(lo, hi), round), 15);
  __m128i p1 = _mm_srai_epi32(_mm_add_epi32(_mm_unpackhi_epi16(lo, hi), round), 15);
  kv_store(r, (kv_u8)_mm_packs_epi32(p0, p1));
#endif
}

/* ---- narrowing: pack with signed or unsigned saturation of signed lanes ---- */
SIMD_NATIVE2(i8x16_narrow_i16x8_s) { KV_BIN(__m128i, _mm_packs_epi16(x, y)); }
SIMD_NATIVE2(i8x16_narrow_i16x8_u) { KV_BIN(__m128i, _mm_packus_epi16(x, y)); }
SIMD_NATIVE2(i16x8_narrow_i32x4_s) { KV_BIN(__m128i, _mm_packs_epi32(x, y)); }
#if defined(__SSE4_1__)
SIMD_NATIVE2(i16x8_narrow_i32x4_u) { KV_BIN(__m128i, _mm_packus_epi32(x, y)); }
#else
/* Clamp to [0, 65535], move to [-32768, 32767] for the signed pack, then move back. */
static inline __m128i kv_sse_clamp_u16(kv_i32 v) {
  const kv_i32 zero = {0, 0, 0, 0}, top = {65535, 65535, 65535, 65535};
  v = KV_SELECT((kv_i32)(v > 0), v, zero);
  v = KV_SELECT((kv_i32)(v < 65535), v, top);
  return (__m128i)(v - 32768);
}
SIMD_NATIVE2(i16x8_narrow_i32x4_u) {
  kv_i32 x = (kv_i32)kv_load(a), y = (kv_i32)kv_load(b);
  __m128i p = _mm_packs_epi32(kv_sse_clamp_u16(x), kv_sse_clamp_u16(y));
  kv_store(r, (kv_u8)_mm_xor_si128(p, _mm_set1_epi16(INT16_MIN)));
}
#endif

/* ---- widening: interleave with zeros (unsigned) or with the sign (signed) ---- */
SIMD_NATIVE1(i16x8_extend_low_i8x16_s) {
  KV_UN(__m128i, _mm_srai_epi16(_mm_unpacklo_epi8(x, x), 8));
}
SIMD_NATIVE1(i16x8_extend_high_i8x16_s) {
  KV_UN(__m128i, _mm_srai_epi16(_mm_unpackhi_epi8(x, x), 8));
}
SIMD_NATIVE1(i16x8_extend_low_i8x16_u) { KV_UN(__m128i, _mm_unpacklo_epi8(x, KV_SSE_ZERO)); }
SIMD_NATIVE1(i16x8_extend_high_i8x16_u) { KV_UN(__m128i, _mm_unpackhi_epi8(x, KV_SSE_ZERO)); }
SIMD_NATIVE1(i32x4_extend_low_i16x8_s) {
  KV_UN(__m128i, _mm_srai_epi32(_mm_unpacklo_epi16(x, x), 16));
}
SIMD_NATIVE1(i32x4_extend_high_i16x8_s) {
  KV_UN(__m128i, _mm_srai_epi32(_mm_unpackhi_epi16(x, x), 16));
}
SIMD_NATIVE1(i32x4_extend_low_i16x8_u) { KV_UN(__m128i, _mm_unpacklo_epi16(x, KV_SSE_ZERO)); }
SIMD_NATIVE1(i32x4_extend_high_i16x8_u) { KV_UN(__m128i, _mm_unpackhi_epi16(x, KV_SSE_ZERO)); }
SIMD_NATIVE1(i64x2_extend_low_i32x4_s) {
  KV_UN(__m128i, _mm_unpacklo_epi32(x, _mm_srai_epi32(x, 31)));
}
SIMD_NATIVE1(i64x2_extend_high_i32x4_s) {
  KV_UN(__m128i, _mm_unpackhi_epi32(x, _mm_srai_epi32(x, 31)));
}
SIMD_NATIVE1(i64x2_extend_low_i32x4_u) { KV_UN(__m128i, _mm_unpacklo_epi32(x, KV_SSE_ZERO)); }
SIMD_NATIVE1(i64x2_extend_high_i32x4_u) { KV_UN(__m128i, _mm_unpackhi_epi32(x, KV_SSE_ZERO)); }

/* Extended multiplies: the products fit the wide lanes, so no step can round or wrap. */
SIMD_NATIVE2(i16x8_extmul_low_i8x16_s) {
  KV_BIN(__m128i, _mm_mullo_epi16(_mm_srai_epi16(_mm_unpacklo_epi8(x, x), 8),
                                  _mm_srai_epi16(_mm_unpacklo_epi8(y, y), 8)));
}
SIMD_NATIVE2(i16x8_extmul_high_i8x16_s) {
  KV_BIN(__m128i, _mm_mullo_epi16(_mm_srai_epi16(_mm_unpackhi_epi8(x, x), 8),
                                  _mm_srai_epi16(_mm_unpackhi_epi8(y, y), 8)));
}
SIMD_NATIVE2(i16x8_extmul_low_i8x16_u) {
  KV_BIN(__m128i,
         _mm_mullo_epi16(_mm_unpacklo_epi8(x, KV_SSE_ZERO), _mm_unpacklo_epi8(y, KV_SSE_ZERO)));
}
SIMD_NATIVE2(i16x8_extmul_high_i8x16_u) {
  KV_BIN(__m128i,
         _mm_mullo_epi16(_mm_unpackhi_epi8(x, KV_SSE_ZERO), _mm_unpackhi_epi8(y, KV_SSE_ZERO)));
}
/* 16 x 16 -> 32: the low and high halves of each product, interleaved. */
SIMD_NATIVE2(i32x4_extmul_low_i16x8_s) {
  KV_BIN(__m128i, _mm_unpacklo_epi16(_mm_mullo_epi16(x, y), _mm_mulhi_epi16(x, y)));
}
SIMD_NATIVE2(i32x4_extmul_high_i16x8_s) {
  KV_BIN(__m128i, _mm_unpackhi_epi16(_mm_mullo_epi16(x, y), _mm_mulhi_epi16(x, y)));
}
SIMD_NATIVE2(i32x4_extmul_low_i16x8_u) {
  KV_BIN(__m128i, _mm_unpacklo_epi16(_mm_mullo_epi16(x, y), _mm_mulhi_epu16(x, y)));
}
SIMD_NATIVE2(i32x4_extmul_high_i16x8_u) {
  KV_BIN(__m128i, _mm_unpackhi_epi16(_mm_mullo_epi16(x, y), _mm_mulhi_epu16(x, y)));
}
/*
** 32 x 32 -> 64: pmuludq multiplies lanes 0 and 2, so the operands' lanes are moved there.
** Without SSE4.1's signed pmuldq, the signed product is the unsigned one minus
** 2^32 * ((x < 0 ? y : 0) + (y < 0 ? x : 0)), modulo 2^64.
*/
static inline __m128i kv_sse_mul_i32_wide(__m128i x, __m128i y) {
#if defined(__SSE4_1__)
  return _mm_mul_epi32(x, y);
#else
  __m128i p = _mm_mul_epu32(x, y);
  __m128i fix = _mm_add_epi32(_mm_and_si128(_mm_srai_epi32(x, 31), y),
                              _mm_and_si128(_mm_srai_epi32(y, 31), x));
  return _mm_sub_epi64(p, _mm_slli_epi64(fix, 32));
#endif
}
SIMD_NATIVE2(i64x2_extmul_low_i32x4_s) {
  KV_BIN(__m128i, kv_sse_mul_i32_wide(_mm_shuffle_epi32(x, _MM_SHUFFLE(1, 1, 0, 0)),
                                      _mm_shuffle_epi32(y, _MM_SHUFFLE(1, 1, 0, 0))));
}
SIMD_NATIVE2(i64x2_extmul_high_i32x4_s) {
  KV_BIN(__m128i, kv_sse_mul_i32_wide(_mm_shuffle_epi32(x, _MM_SHUFFLE(3, 3, 2, 2)),
                                      _mm_shuffle_epi32(y, _MM_SHUFFLE(3, 3, 2, 2))));
}
SIMD_NATIVE2(i64x2_extmul_low_i32x4_u) {
  KV_BIN(__m128i, _mm_mul_epu32(_mm_shuffle_epi32(x, _MM_SHUFFLE(1, 1, 0, 0)),
                                _mm_shuffle_epi32(y, _MM_SHUFFLE(1, 1, 0, 0))));
}
SIMD_NATIVE2(i64x2_extmul_high_i32x4_u) {
  KV_BIN(__m128i, _mm_mul_epu32(_mm_shuffle_epi32(x, _MM_SHUFFLE(3, 3, 2, 2)),
                                _mm_shuffle_epi32(y, _MM_SHUFFLE(3, 3, 2, 2))));
}
/* pmaddwd: only -32768 * -32768 twice overflows, to 0x80000000: wasm's wrapped sum too. */
SIMD_NATIVE2(i32x4_dot_i16x8_s) { KV_BIN(__m128i, _mm_madd_epi16(x, y)); }

/* swizzle: pshufb zeroes a lane whose index has bit 7 set; adding 0x70 with unsigned
** saturation sets it for every index >= 16 and keeps the low four bits of the others. */
SIMD_NATIVE2(i8x16_swizzle) {
#if defined(__SSSE3__)
  KV_BIN(__m128i, _mm_shuffle_epi8(x, _mm_adds_epu8(y, _mm_set1_epi8(0x70))));
#else
  plain_i8x16_swizzle(r, a, b);
#endif
}

/*
** shuffle: pshufb picks from a with the indices >= 16 forced to zero lanes (bit 7 set),
** and from b with the indices minus 16 (those below 16 turn negative: zero lanes). The
** indices are the code's bytes, in lane order on this little-endian host. pshufb is SSSE3:
** an SSE2 build asks the CPU (every x86-64 CPU since 2006 has it) and calls a function
** compiled for SSSE3, as shuffles are frequent in vectorized code.
*/
#if defined(__SSSE3__)
#define KV_SSSE3_FUNCTION static inline
#else
#include <tmmintrin.h>
#define KV_SSSE3_FUNCTION static inline __attribute__((target("ssse3")))
/* glibc has read the CPU's features before main: asking it costs no cpuid, while
   __builtin_cpu_supports links libgcc's start-up probe, several cpuid instructions that
   trap to the hypervisor on a virtual machine (about 15 us of every run). */
#if defined(__GLIBC__) && defined(__has_include)
#if __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h>
#define KV_HAVE_SSSE3() CPU_FEATURE_ACTIVE(SSSE3)
#endif
#endif
#if !defined(KV_HAVE_SSSE3)
#define KV_HAVE_SSSE3() __builtin_cpu_supports("ssse3")
#endif
#endif
KV_SSSE3_FUNCTION void kv_ssse3_shuffle(kite_v128 *r, const kite_v128 *a, const kite_v128 *b,
                                        const uint32_t lanes[4]) {
  __m128i idx, x, y;
  memcpy(&idx, lanes, 16);
  memcpy(&x, a, 16);
  memcpy(&y, b, 16);
  idx = _mm_and_si128(idx, _mm_set1_epi8(31));
  __m128i from_a = _mm_shuffle_epi8(x, _mm_or_si128(idx, _mm_cmpgt_epi8(idx, _mm_set1_epi8(15))));
  __m128i from_b = _mm_shuffle_epi8(y, _mm_sub_epi8(idx, _mm_set1_epi8(16)));
  __m128i v = _mm_or_si128(from_a, from_b);
  memcpy(r, &v, 16);
}
static inline void native_i8x16_shuffle(kite_v128 *r, const kite_v128 *a, const kite_v128 *b,
                                        const uint32_t lanes[4]) {
#if defined(__SSSE3__)
  kv_ssse3_shuffle(r, a, b, lanes);
#else
  if (KV_HAVE_SSSE3()) kv_ssse3_shuffle(r, a, b, lanes);
  else plain_i8x16_shuffle(r, a, b, lanes);
#endif
}

/* ---- float: sqrt is correctly rounded; roundps (SSE4.1) rounds in the given mode ---- */
SIMD_NATIVE1(f32x4_sqrt) { KV_UN(__m128, _mm_sqrt_ps(x)); }
SIMD_NATIVE1(f64x2_sqrt) { KV_UN(__m128d, _mm_sqrt_pd(x)); }
#if defined(__SSE4_1__)
#define KV_SSE_ROUND(mode) (mode | _MM_FROUND_NO_EXC)
SIMD_NATIVE1(f32x4_ceil) { KV_UN(__m128, _mm_round_ps(x, KV_SSE_ROUND(_MM_FROUND_TO_POS_INF))); }
SIMD_NATIVE1(f32x4_floor) { KV_UN(__m128, _mm_round_ps(x, KV_SSE_ROUND(_MM_FROUND_TO_NEG_INF))); }
SIMD_NATIVE1(f32x4_trunc) { KV_UN(__m128, _mm_round_ps(x, KV_SSE_ROUND(_MM_FROUND_TO_ZERO))); }
SIMD_NATIVE1(f32x4_nearest) {
  KV_UN(__m128, _mm_round_ps(x, KV_SSE_ROUND(_MM_FROUND_TO_NEAREST_INT)));
}
SIMD_NATIVE1(f64x2_ceil) { KV_UN(__m128d, _mm_round_pd(x, KV_SSE_ROUND(_MM_FROUND_TO_POS_INF))); }
SIMD_NATIVE1(f64x2_floor) { KV_UN(__m128d, _mm_round_pd(x, KV_SSE_ROUND(_MM_FROUND_TO_NEG_INF))); }
SIMD_NATIVE1(f64x2_trunc) { KV_UN(__m128d, _mm_round_pd(x, KV_SSE_ROUND(_MM_FROUND_TO_ZERO))); }
SIMD_NATIVE1(f64x2_nearest) {
  KV_UN(__m128d, _mm_round_pd(x, KV_SSE_ROUND(_MM_FROUND_TO_NEAREST_INT)));
}
#else
SIMD_NATIVE1(f32x4_ceil) { plain_f32x4_ceil(r, a); }
SIMD_NATIVE1(f32x4_floor) { plain_f32x4_floor(r, a); }
SIMD_NATIVE1(f32x4_trunc) { plain_f32x4_trunc(r, a); }
SIMD_NATIVE1(f32x4_nearest) { plain_f32x4_nearest(r, a); }
SIMD_NATIVE1(f64x2_ceil) { plain_f64x2_ceil(r, a); }
SIMD_NATIVE1(f64x2_floor) { plain_f64x2_floor(r, a); }
SIMD_NATIVE1(f64x2_trunc) { plain_f64x2_trunc(r, a); }
SIMD_NATIVE1(f64x2_nearest) { plain_f64x2_nearest(r, a); }
#endif
/* pmin is b < a ? b : a and minps(p, q) is p < q ? p : q, so the operands swap. */
SIMD_NATIVE2(f32x4_pmin) { KV_BIN(__m128, _mm_min_ps(y, x)); }
SIMD_NATIVE2(f32x4_pmax) { KV_BIN(__m128, _mm_max_ps(y, x)); }
SIMD_NATIVE2(f64x2_pmin) { KV_BIN(__m128d, _mm_min_pd(y, x)); }
SIMD_NATIVE2(f64x2_pmax) { KV_BIN(__m128d, _mm_max_pd(y, x)); }

/* ---- conversions ---- */
SIMD_NATIVE1(f32x4_convert_i32x4_s) { KV_UN(__m128i, _mm_cvtepi32_ps(x)); }
/* u32 -> f32: both 16-bit halves convert exactly, and their sum rounds once. */
SIMD_NATIVE1(f32x4_convert_i32x4_u) {
  __m128i x = (__m128i)kv_load(a);
  __m128 hi = _mm_mul_ps(_mm_cvtepi32_ps(_mm_srli_epi32(x, 16)), _mm_set1_ps(65536.0f));
  __m128 lo = _mm_cvtepi32_ps(_mm_and_si128(x, _mm_set1_epi32(0xFFFF)));
  kv_store(r, (kv_u8)_mm_add_ps(hi, lo));
}
SIMD_NATIVE1(f64x2_convert_low_i32x4_s) { KV_UN(__m128i, _mm_cvtepi32_pd(x)); }
/* u32 -> f64: the double with the bits 2^52 + u is exact; subtracting 2^52 leaves u. */
SIMD_NATIVE1(f64x2_convert_low_i32x4_u) {
  KV_UN(__m128i, _mm_sub_pd((__m128d)_mm_unpacklo_epi32(x, _mm_set1_epi32(0x43300000)),
                            _mm_set1_pd(4503599627370496.0)));
}
SIMD_NATIVE1(f32x4_demote_f64x2_zero) { KV_UN(__m128d, _mm_cvtpd_ps(x)); }
SIMD_NATIVE1(f64x2_promote_low_f32x4) { KV_UN(__m128, _mm_cvtps_pd(x)); }
/*
** Saturating truncation. cvttps2dq gives 0x80000000 for NaN and out-of-range lanes: NaN
** lanes are masked to 0 and lanes >= 2^31 flip to 0x7FFFFFFF.
*/
SIMD_NATIVE1(i32x4_trunc_sat_f32x4_s) {
  __m128 x = (__m128)kv_load(a);
  __m128i v = _mm_cvttps_epi32(x);
  v = _mm_xor_si128(v, _mm_castps_si128(_mm_cmpge_ps(x, _mm_set1_ps(2147483648.0f))));
  kv_store(r, (kv_u8)_mm_and_si128(v, _mm_castps_si128(_mm_cmpord_ps(x, x))));
}
/*
** Unsigned: maxps(x, 0) maps NaN and negatives to 0 (it returns the second operand when
** either is NaN). Lanes >= 2^31 convert x - 2^31 (exact there) and add 2^31 back; lanes
** >= 2^32 become all ones.
*/
SIMD_NATIVE1(i32x4_trunc_sat_f32x4_u) {
  __m128 x = _mm_max_ps((__m128)kv_load(a), _mm_setzero_ps());
  __m128 two31 = _mm_set1_ps(2147483648.0f);
  __m128i big = _mm_castps_si128(_mm_cmpge_ps(x, two31));
  __m128i lo = _mm_cvttps_epi32(x);
  __m128i hi = _mm_add_epi32(_mm_cvttps_epi32(_mm_sub_ps(x, two31)), _mm_set1_epi32(INT32_MIN));
  __m128i over = _mm_castps_si128(_mm_cmpge_ps(x, _mm_set1_ps(4294967296.0f)));
  __m128i v = _mm_or_si128(_mm_and_si128(big, hi), _mm_andnot_si128(big, lo));
  kv_store(r, (kv_u8)_mm_or_si128(v, over));
}
/* NaN lanes become +0; the rest clamp to INT32_MAX (negative overflow gives INT32_MIN). */
SIMD_NATIVE1(i32x4_trunc_sat_f64x2_s_zero) {
  __m128d x = (__m128d)kv_load(a);
  x = _mm_min_pd(_mm_and_pd(x, _mm_cmpord_pd(x, x)), _mm_set1_pd(2147483647.0));
  kv_store(r, (kv_u8)_mm_cvttpd_epi32(x));
}
/*
** Clamp to [0, 2^32 - 1] (maxpd maps NaN to 0), then as for f32: lanes >= 2^31 convert
** x - 2^31 and set the top bit. The 64-bit lane masks are packed into lanes 0 and 1.
*/
SIMD_NATIVE1(i32x4_trunc_sat_f64x2_u_zero) {
  __m128d x = _mm_max_pd((__m128d)kv_load(a), _mm_setzero_pd());
  x = _mm_min_pd(x, _mm_set1_pd(4294967295.0));
  __m128d two31 = _mm_set1_pd(2147483648.0);
  __m128d big = _mm_cmpge_pd(x, two31);
  __m128i v = _mm_cvttpd_epi32(_mm_sub_pd(x, _mm_and_pd(big, two31)));
  __m128i top = _mm_move_epi64(_mm_shuffle_epi32(_mm_castpd_si128(big), _MM_SHUFFLE(3, 3, 2, 0)));
  kv_store(r, (kv_u8)_mm_xor_si128(v, _mm_and_si128(top, _mm_set1_epi32(INT32_MIN))));
}

/* ---- reductions ---- */
SIMD_NATIVE_TO_I32(v128_any_true) {
  __m128i x = (__m128i)kv_load(a);
  return _mm_movemask_epi8(_mm_cmpeq_epi8(x, KV_SSE_ZERO)) != 0xFFFF;
}
SIMD_NATIVE_TO_I32(i8x16_all_true) {
  __m128i x = (__m128i)kv_load(a);
  return _mm_movemask_epi8(_mm_cmpeq_epi8(x, KV_SSE_ZERO)) == 0;
}
SIMD_NATIVE_TO_I32(i16x8_all_true) {
  __m128i x = (__m128i)kv_load(a);
  return _mm_movemask_epi8(_mm_cmpeq_epi16(x, KV_SSE_ZERO)) == 0;
}
SIMD_NATIVE_TO_I32(i32x4_all_true) {
  __m128i x = (__m128i)kv_load(a);
  return _mm_movemask_epi8(_mm_cmpeq_epi32(x, KV_SSE_ZERO)) == 0;
}
/* A 64-bit lane is zero when both of its 32-bit halves are. */
SIMD_NATIVE_TO_I32(i64x2_all_true) {
  __m128i z = _mm_cmpeq_epi32((__m128i)kv_load(a), KV_SSE_ZERO);
  z = _mm_and_si128(z, _mm_shuffle_epi32(z, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_movemask_epi8(z) == 0;
}
SIMD_NATIVE_TO_I32(i8x16_bitmask) { return (uint32_t)_mm_movemask_epi8((__m128i)kv_load(a)); }
/* Packing with signed saturation keeps each lane's sign. */
SIMD_NATIVE_TO_I32(i16x8_bitmask) {
  __m128i x = (__m128i)kv_load(a);
  return (uint32_t)_mm_movemask_epi8(_mm_packs_epi16(x, KV_SSE_ZERO)) & 0xFF;
}
SIMD_NATIVE_TO_I32(i32x4_bitmask) { return (uint32_t)_mm_movemask_ps((__m128)kv_load(a)); }
SIMD_NATIVE_TO_I32(i64x2_bitmask) { return (uint32_t)_mm_movemask_pd((__m128d)kv_load(a)); }

#else
/* ================================== aarch64: NEON ================================== */

/* abs wraps INT_MIN (vabs, not the saturating vqabs). */
SIMD_NATIVE1(i8x16_abs) { KV_UN(int8x16_t, vabsq_s8(x)); }
SIMD_NATIVE1(i16x8_abs) { KV_UN(int16x8_t, vabsq_s16(x)); }
SIMD_NATIVE1(i32x4_abs) { KV_UN(int32x4_t, vabsq_s32(x)); }
SIMD_NATIVE1(i8x16_popcnt) { KV_UN(uint8x16_t, vcntq_u8(x)); }

SIMD_NATIVE2(i8x16_add_sat_s) { KV_BIN(int8x16_t, vqaddq_s8(x, y)); }
SIMD_NATIVE2(i8x16_add_sat_u) { KV_BIN(uint8x16_t, vqaddq_u8(x, y)); }
SIMD_NATIVE2(i8x16_sub_sat_s) { KV_BIN(int8x16_t, vqsubq_s8(x, y)); }
SIMD_NATIVE2(i8x16_sub_sat_u) { KV_BIN(uint8x16_t, vqsubq_u8(x, y)); }
SIMD_NATIVE2(i16x8_add_sat_s) { KV_BIN(int16x8_t, vqaddq_s16(x, y)); }
SIMD_NATIVE2(i16x8_add_sat_u) { KV_BIN(uint16x8_t, vqaddq_u16(x, y)); }
SIMD_NATIVE2(i16x8_sub_sat_s) { KV_BIN(int16x8_t, vqsubq_s16(x, y)); }
SIMD_NATIVE2(i16x8_sub_sat_u) { KV_BIN(uint16x8_t, vqsubq_u16(x, y)); }
SIMD_NATIVE2(i8x16_avgr_u) { KV_BIN(uint8x16_t, vrhaddq_u8(x, y)); }
SIMD_NATIVE2(i16x8_avgr_u) { KV_BIN(uint16x8_t, vrhaddq_u16(x, y)); }

SIMD_NATIVE2(i8x16_min_s) { KV_BIN(int8x16_t, vminq_s8(x, y)); }
SIMD_NATIVE2(i8x16_min_u) { KV_BIN(uint8x16_t, vminq_u8(x, y)); }
SIMD_NATIVE2(i8x16_max_s) { KV_BIN(int8x16_t, vmaxq_s8(x, y)); }
SIMD_NATIVE2(i8x16_max_u) { KV_BIN(uint8x16_t, vmaxq_u8(x, y)); }
SIMD_NATIVE2(i16x8_min_s) { KV_BIN(int16x8_t, vminq_s16(x, y)); }
SIMD_NATIVE2(i16x8_min_u) { KV_BIN(uint16x8_t, vminq_u16(x, y)); }
SIMD_NATIVE2(i16x8_max_s) { KV_BIN(int16x8_t, vmaxq_s16(x, y)); }
SIMD_NATIVE2(i16x8_max_u) { KV_BIN(uint16x8_t, vmaxq_u16(x, y)); }
SIMD_NATIVE2(i32x4_min_s) { KV_BIN(int32x4_t, vminq_s32(x, y)); }
SIMD_NATIVE2(i32x4_min_u) { KV_BIN(uint32x4_t, vminq_u32(x, y)); }
SIMD_NATIVE2(i32x4_max_s) { KV_BIN(int32x4_t, vmaxq_s32(x, y)); }
SIMD_NATIVE2(i32x4_max_u) { KV_BIN(uint32x4_t, vmaxq_u32(x, y)); }

/* sqrdmulh: saturate((2 * x * y + 2^15) >> 16), which is wasm's q15mulr_sat. */
SIMD_NATIVE2(i16x8_q15mulr_sat_s) { KV_BIN(int16x8_t, vqrdmulhq_s16(x, y)); }

SIMD_NATIVE2(i8x16_narrow_i16x8_s) { KV_BIN(int16x8_t, vcombine_s8(vqmovn_s16(x), vqmovn_s16(y))); }
SIMD_NATIVE2(i8x16_narrow_i16x8_u) {
  KV_BIN(int16x8_t, vcombine_u8(vqmovun_s16(x), vqmovun_s16(y)));
}
SIMD_NATIVE2(i16x8_narrow_i32x4_s) {
  KV_BIN(int32x4_t, vcombine_s16(vqmovn_s32(x), vqmovn_s32(y)));
}
SIMD_NATIVE2(i16x8_narrow_i32x4_u) {
  KV_BIN(int32x4_t, vcombine_u16(vqmovun_s32(x), vqmovun_s32(y)));
}

SIMD_NATIVE1(i16x8_extend_low_i8x16_s) { KV_UN(int8x16_t, vmovl_s8(vget_low_s8(x))); }
SIMD_NATIVE1(i16x8_extend_high_i8x16_s) { KV_UN(int8x16_t, vmovl_high_s8(x)); }
SIMD_NATIVE1(i16x8_extend_low_i8x16_u) { KV_UN(uint8x16_t, vmovl_u8(vget_low_u8(x))); }
SIMD_NATIVE1(i16x8_extend_high_i8x16_u) { KV_UN(uint8x16_t, vmovl_high_u8(x)); }
SIMD_NATIVE1(i32x4_extend_low_i16x8_s) { KV_UN(int16x8_t, vmovl_s16(vget_low_s16(x))); }
SIMD_NATIVE1(i32x4_extend_high_i16x8_s) { KV_UN(int16x8_t, vmovl_high_s16(x)); }
SIMD_NATIVE1(i32x4_extend_low_i16x8_u) { KV_UN(uint16x8_t, vmovl_u16(vget_low_u16(x))); }
SIMD_NATIVE1(i32x4_extend_high_i16x8_u) { KV_UN(uint16x8_t, vmovl_high_u16(x)); }
SIMD_NATIVE1(i64x2_extend_low_i32x4_s) { KV_UN(int32x4_t, vmovl_s32(vget_low_s32(x))); }
SIMD_NATIVE1(i64x2_extend_high_i32x4_s) { KV_UN(int32x4_t, vmovl_high_s32(x)); }
SIMD_NATIVE1(i64x2_extend_low_i32x4_u) { KV_UN(uint32x4_t, vmovl_u32(vget_low_u32(x))); }
SIMD_NATIVE1(i64x2_extend_high_i32x4_u) { KV_UN(uint32x4_t, vmovl_high_u32(x)); }

SIMD_NATIVE2(i16x8_extmul_low_i8x16_s) {
  KV_BIN(int8x16_t, vmull_s8(vget_low_s8(x), vget_low_s8(y)));
}
SIMD_NATIVE2(i16x8_extmul_high_i8x16_s) { KV_BIN(int8x16_t, vmull_high_s8(x, y)); }
SIMD_NATIVE2(i16x8_extmul_low_i8x16_u) {
  KV_BIN(uint8x16_t, vmull_u8(vget_low_u8(x), vget_low_u8(y)));
}
SIMD_NATIVE2(i16x8_extmul_high_i8x16_u) { KV_BIN(uint8x16_t, vmull_high_u8(x, y)); }
SIMD_NATIVE2(i32x4_extmul_low_i16x8_s) {
  KV_BIN(int16x8_t, vmull_s16(vget_low_s16(x), vget_low_s16(y)));
}
SIMD_NATIVE2(i32x4_extmul_high_i16x8_s) { KV_BIN(int16x8_t, vmull_high_s16(x, y)); }
SIMD_NATIVE2(i32x4_extmul_low_i16x8_u) {
  KV_BIN(uint16x8_t, vmull_u16(vget_low_u16(x), vget_low_u16(y)));
}
SIMD_NATIVE2(i32x4_extmul_high_i16x8_u) { KV_BIN(uint16x8_t, vmull_high_u16(x, y)); }
SIMD_NATIVE2(i64x2_extmul_low_i32x4_s) {
  KV_BIN(int32x4_t, vmull_s32(vget_low_s32(x), vget_low_s32(y)));
}
SIMD_NATIVE2(i64x2_extmul_high_i32x4_s) { KV_BIN(int32x4_t, vmull_high_s32(x, y)); }
SIMD_NATIVE2(i64x2_extmul_low_i32x4_u) {
  KV_BIN(uint32x4_t, vmull_u32(vget_low_u32(x), vget_low_u32(y)));
}
SIMD_NATIVE2(i64x2_extmul_high_i32x4_u) { KV_BIN(uint32x4_t, vmull_high_u32(x, y)); }
/* Widening products, then pairwise sums that wrap like wasm's. */
SIMD_NATIVE2(i32x4_dot_i16x8_s) {
  KV_BIN(int16x8_t, vpaddq_s32(vmull_s16(vget_low_s16(x), vget_low_s16(y)), vmull_high_s16(x, y)));
}
/* tbl gives 0 for an index >= 16, as wasm's swizzle does. */
SIMD_NATIVE2(i8x16_swizzle) { KV_BIN(uint8x16_t, vqtbl1q_u8(x, y)); }

/* tbl over the 32 bytes of a and b: the indices are the code's bytes, in lane order. */
static inline void native_i8x16_shuffle(kite_v128 *r, const kite_v128 *a, const kite_v128 *b,
                                        const uint32_t lanes[4]) {
  uint8x16x2_t ab = {{(uint8x16_t)kv_load(a), (uint8x16_t)kv_load(b)}};
  uint8x16_t idx = vandq_u8(vld1q_u8((const uint8_t *)lanes), vdupq_n_u8(31));
  kv_store(r, (kv_u8)vqtbl2q_u8(ab, idx));
}
SIMD_NATIVE1(f32x4_sqrt) { KV_UN(float32x4_t, vsqrtq_f32(x)); }
SIMD_NATIVE1(f64x2_sqrt) { KV_UN(float64x2_t, vsqrtq_f64(x)); }
SIMD_NATIVE1(f32x4_ceil) { KV_UN(float32x4_t, vrndpq_f32(x)); }
SIMD_NATIVE1(f32x4_floor) { KV_UN(float32x4_t, vrndmq_f32(x)); }
SIMD_NATIVE1(f32x4_trunc) { KV_UN(float32x4_t, vrndq_f32(x)); }
SIMD_NATIVE1(f32x4_nearest) { KV_UN(float32x4_t, vrndnq_f32(x)); }
SIMD_NATIVE1(f64x2_ceil) { KV_UN(float64x2_t, vrndpq_f64(x)); }
SIMD_NATIVE1(f64x2_floor) { KV_UN(float64x2_t, vrndmq_f64(x)); }
SIMD_NATIVE1(f64x2_trunc) { KV_UN(float64x2_t, vrndq_f64(x)); }
SIMD_NATIVE1(f64x2_nearest) { KV_UN(float64x2_t, vrndnq_f64(x)); }
SIMD_NATIVE2(f32x4_pmin) { KV_BIN(float32x4_t, vbslq_f32(vcltq_f32(y, x), y, x)); }
SIMD_NATIVE2(f32x4_pmax) { KV_BIN(float32x4_t, vbslq_f32(vcltq_f32(x, y), y, x)); }
SIMD_NATIVE2(f64x2_pmin) { KV_BIN(float64x2_t, vbslq_f64(vcltq_f64(y, x), y, x)); }
SIMD_NATIVE2(f64x2_pmax) { KV_BIN(float64x2_t, vbslq_f64(vcltq_f64(x, y), y, x)); }

SIMD_NATIVE1(f32x4_convert_i32x4_s) { KV_UN(int32x4_t, vcvtq_f32_s32(x)); }
SIMD_NATIVE1(f32x4_convert_i32x4_u) { KV_UN(uint32x4_t, vcvtq_f32_u32(x)); }
SIMD_NATIVE1(f64x2_convert_low_i32x4_s) {
  KV_UN(int32x4_t, vcvtq_f64_s64(vmovl_s32(vget_low_s32(x))));
}
SIMD_NATIVE1(f64x2_convert_low_i32x4_u) {
  KV_UN(uint32x4_t, vcvtq_f64_u64(vmovl_u32(vget_low_u32(x))));
}
SIMD_NATIVE1(f32x4_demote_f64x2_zero) {
  KV_UN(float64x2_t, vcombine_f32(vcvt_f32_f64(x), vdup_n_f32(0)));
}
SIMD_NATIVE1(f64x2_promote_low_f32x4) { KV_UN(float32x4_t, vcvt_f64_f32(vget_low_f32(x))); }
/* fcvtz saturates and maps NaN to 0, as trunc_sat does; 64-bit results narrow with saturation. */
SIMD_NATIVE1(i32x4_trunc_sat_f32x4_s) { KV_UN(float32x4_t, vcvtq_s32_f32(x)); }
SIMD_NATIVE1(i32x4_trunc_sat_f32x4_u) { KV_UN(float32x4_t, vcvtq_u32_f32(x)); }
SIMD_NATIVE1(i32x4_trunc_sat_f64x2_s_zero) {
  KV_UN(float64x2_t, vcombine_s32(vqmovn_s64(vcvtq_s64_f64(x)), vdup_n_s32(0)));
}
SIMD_NATIVE1(i32x4_trunc_sat_f64x2_u_zero) {
  KV_UN(float64x2_t, vcombine_u32(vqmovn_u64(vcvtq_u64_f64(x)), vdup_n_u32(0)));
}

SIMD_NATIVE_TO_I32(v128_any_true) { return vmaxvq_u32((uint32x4_t)kv_load(a)) != 0; }
SIMD_NATIVE_TO_I32(i8x16_all_true) { return vminvq_u8((uint8x16_t)kv_load(a)) != 0; }
SIMD_NATIVE_TO_I32(i16x8_all_true) { return vminvq_u16((uint16x8_t)kv_load(a)) != 0; }
SIMD_NATIVE_TO_I32(i32x4_all_true) { return vminvq_u32((uint32x4_t)kv_load(a)) != 0; }
SIMD_NATIVE_TO_I32(i64x2_all_true) { return plain_i64x2_all_true(a); }
/* Each lane's sign bit, moved to its lane's bit of the mask and summed. */
SIMD_NATIVE_TO_I32(i8x16_bitmask) {
  static const int8_t shift[16] = {0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7};
  uint8x16_t bits = vshlq_u8(vshrq_n_u8((uint8x16_t)kv_load(a), 7), vld1q_s8(shift));
  return vaddv_u8(vget_low_u8(bits)) | (uint32_t)vaddv_u8(vget_high_u8(bits)) << 8;
}
SIMD_NATIVE_TO_I32(i16x8_bitmask) {
  static const int16_t shift[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  return vaddvq_u16(vshlq_u16(vshrq_n_u16((uint16x8_t)kv_load(a), 15), vld1q_s16(shift)));
}
SIMD_NATIVE_TO_I32(i32x4_bitmask) {
  static const int32_t shift[4] = {0, 1, 2, 3};
  return vaddvq_u32(vshlq_u32(vshrq_n_u32((uint32x4_t)kv_load(a), 31), vld1q_s32(shift)));
}
SIMD_NATIVE_TO_I32(i64x2_bitmask) { return plain_i64x2_bitmask(a); }
#endif

#endif /* KITE_SIMD_NATIVE */
#endif
