/*
** simd.h: the lane arithmetic of the 128-bit SIMD instructions, one small inline
** function per instruction, named after it (i8x16_add is i8x16.add). The interpreter's
** handlers copy their operands into kite_v128 values, call these, and copy the result
** back. Lanes are in wasm order, which is memory order on a little-endian host.
**
** Each instruction has a plain C definition here (plain_i8x16_add: a loop over the lanes,
** the reference), and most have a native one in simd_native.h (native_i8x16_add: the
** compiler's vector extensions and SSE2 or NEON intrinsics) that gives the same bits.
** The lists at the end say which; the unit test runs both on the same inputs. Building
** with KITE_SIMD_PORTABLE defined (or for a host without SSE2 or NEON) uses only the
** plain definitions.
*/
#ifndef KITE_SIMD_H
#define KITE_SIMD_H

#include <math.h>
#include <stdint.h>
#include <string.h>

typedef union kite_v128 {
  uint8_t u8[16];
  int8_t i8[16];
  uint16_t u16[8];
  int16_t i16[8];
  uint32_t u32[4];
  int32_t i32[4];
  uint64_t u64[2];
  int64_t i64[2];
  float f32[4];
  double f64[2];
} kite_v128;

typedef void (*kite_simd_un)(kite_v128 *r, const kite_v128 *a);
typedef void (*kite_simd_bin)(kite_v128 *r, const kite_v128 *a, const kite_v128 *b);

/* Lane-wise unary and binary operations: the expression computes lane i from a and b. */
#define SIMD_LANEWISE1(name, lane, n, expr)                                                        \
  static inline void plain_##name(kite_v128 *r, const kite_v128 *a) {                              \
    kite_v128 t;                                                                                   \
    for (int i = 0; i < (n); i++) t.lane[i] = (expr);                                              \
    *r = t;                                                                                        \
  }
#define SIMD_LANEWISE2(name, lane, n, expr)                                                        \
  static inline void plain_##name(kite_v128 *r, const kite_v128 *a, const kite_v128 *b) {          \
    kite_v128 t;                                                                                   \
    for (int i = 0; i < (n); i++) t.lane[i] = (expr);                                              \
    *r = t;                                                                                        \
  }
/* Comparisons: all ones or all zeros per lane. */
#define SIMD_CMP(name, lane, ulane, n, expr)                                                       \
  static inline void plain_##name(kite_v128 *r, const kite_v128 *a, const kite_v128 *b) {          \
    kite_v128 t;                                                                                   \
    for (int i = 0; i < (n); i++) memset(&t.ulane[i], (expr) ? 0xFF : 0, sizeof t.ulane[i]);       \
    *r = t;                                                                                        \
  }

static inline uint8_t simd_popcnt8(uint8_t x) {
  x = (uint8_t)(x - ((x >> 1) & 0x55));
  x = (uint8_t)((x & 0x33) + ((x >> 2) & 0x33));
  return (uint8_t)((x + (x >> 4)) & 0x0F);
}
static inline int8_t sat_s8(int v) { return (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v); }
static inline uint8_t sat_u8(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }
static inline int16_t sat_s16(int v) {
  return (int16_t)(v < -32768 ? -32768 : v > 32767 ? 32767 : v);
}
static inline uint16_t sat_u16(int v) { return (uint16_t)(v < 0 ? 0 : v > 65535 ? 65535 : v); }

/* Scalar float helpers with wasm's NaN and signed-zero rules (see interp.c). */
static inline float simd_fmin32(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == b) return signbit(a) ? a : b;
  return a < b ? a : b;
}
static inline float simd_fmax32(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == b) return signbit(a) ? b : a;
  return a > b ? a : b;
}
static inline double simd_fmin64(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return signbit(a) ? a : b;
  return a < b ? a : b;
}
static inline double simd_fmax64(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return signbit(a) ? b : a;
  return a > b ? a : b;
}
/*
** Round to nearest, ties to even (`nearest`) without libm, whose only other use would make
** every start of `kite` load it: adding and subtracting 2^52 (2^23) rounds a smaller
** magnitude to an integer in the default rounding mode; the sign is put back, so -0.4
** gives -0. Larger magnitudes, infinities and NaNs are returned as they are.
*/
static inline double kite_nearest64(double x) {
  double a = fabs(x);
  if (!(a < 4503599627370496.0)) return x;
  return copysign((a + 4503599627370496.0) - 4503599627370496.0, x);
}
static inline float kite_nearest32(float x) {
  float a = fabsf(x);
  if (!(a < 8388608.0f)) return x;
  return copysignf((a + 8388608.0f) - 8388608.0f, x);
}

static inline float simd_round32(float x, int mode) {
  if (x != x) return x + x;
  switch (mode) {
  case 0: return ceilf(x);
  case 1: return floorf(x);
  case 2: return truncf(x);
  case 3: return kite_nearest32(x);
  default: return sqrtf(x);
  }
}
static inline double simd_round64(double x, int mode) {
  if (x != x) return x + x;
  switch (mode) {
  case 0: return ceil(x);
  case 1: return floor(x);
  case 2: return trunc(x);
  case 3: return kite_nearest64(x);
  default: return sqrt(x);
  }
}
static inline int32_t simd_sat_i32(double x) {
  if (x != x) return 0;
  if (x <= -2147483648.0) return INT32_MIN;
  if (x >= 2147483647.0) return INT32_MAX;
  return (int32_t)x;
}
static inline uint32_t simd_sat_u32(double x) {
  if (x != x || x <= 0.0) return 0;
  if (x >= 4294967295.0) return UINT32_MAX;
  return (uint32_t)x;
}

/* ---- bitwise ---- */
SIMD_LANEWISE1(v128_not, u64, 2, ~a->u64[i])
SIMD_LANEWISE2(v128_and, u64, 2, a->u64[i] & b->u64[i])
SIMD_LANEWISE2(v128_andnot, u64, 2, a->u64[i] & ~b->u64[i])
SIMD_LANEWISE2(v128_or, u64, 2, a->u64[i] | b->u64[i])
SIMD_LANEWISE2(v128_xor, u64, 2, a->u64[i] ^ b->u64[i])
static inline void plain_v128_bitselect(kite_v128 *r, const kite_v128 *a, const kite_v128 *b,
                                        const kite_v128 *c) {
  kite_v128 t;
  for (int i = 0; i < 2; i++) t.u64[i] = (a->u64[i] & c->u64[i]) | (b->u64[i] & ~c->u64[i]);
  *r = t;
}
static inline uint32_t plain_v128_any_true(const kite_v128 *a) {
  return (a->u64[0] | a->u64[1]) != 0;
}

/* ---- i8x16 ---- */
SIMD_CMP(i8x16_eq, u8, u8, 16, a->u8[i] == b->u8[i])
SIMD_CMP(i8x16_ne, u8, u8, 16, a->u8[i] != b->u8[i])
SIMD_CMP(i8x16_lt_s, i8, u8, 16, a->i8[i] < b->i8[i])
SIMD_CMP(i8x16_lt_u, u8, u8, 16, a->u8[i] < b->u8[i])
SIMD_CMP(i8x16_gt_s, i8, u8, 16, a->i8[i] > b->i8[i])
SIMD_CMP(i8x16_gt_u, u8, u8, 16, a->u8[i] > b->u8[i])
SIMD_CMP(i8x16_le_s, i8, u8, 16, a->i8[i] <= b->i8[i])
SIMD_CMP(i8x16_le_u, u8, u8, 16, a->u8[i] <= b->u8[i])
SIMD_CMP(i8x16_ge_s, i8, u8, 16, a->i8[i] >= b->i8[i])
SIMD_CMP(i8x16_ge_u, u8, u8, 16, a->u8[i] >= b->u8[i])
SIMD_LANEWISE1(i8x16_abs, u8, 16, (uint8_t)(a->i8[i] < 0 ? -a->u8[i] : a->u8[i]))
SIMD_LANEWISE1(i8x16_neg, u8, 16, (uint8_t)-a->u8[i])
SIMD_LANEWISE1(i8x16_popcnt, u8, 16, simd_popcnt8(a->u8[i]))
SIMD_LANEWISE2(i8x16_add, u8, 16, (uint8_t)(a->u8[i] + b->u8[i]))
SIMD_LANEWISE2(i8x16_add_sat_s, i8, 16, sat_s8(a->i8[i] + b->i8[i]))
SIMD_LANEWISE2(i8x16_add_sat_u, u8, 16, sat_u8(a->u8[i] + b->u8[i]))
SIMD_LANEWISE2(i8x16_sub, u8, 16, (uint8_t)(a->u8[i] - b->u8[i]))
SIMD_LANEWISE2(i8x16_sub_sat_s, i8, 16, sat_s8(a->i8[i] - b->i8[i]))
SIMD_LANEWISE2(i8x16_sub_sat_u, u8, 16, sat_u8(a->u8[i] - b->u8[i]))
SIMD_LANEWISE2(i8x16_min_s, i8, 16, a->i8[i] < b->i8[i] ? a->i8[i] : b->i8[i])
SIMD_LANEWISE2(i8x16_min_u, u8, 16, a->u8[i] < b->u8[i] ? a->u8[i] : b->u8[i])
SIMD_LANEWISE2(i8x16_max_s, i8, 16, a->i8[i] > b->i8[i] ? a->i8[i] : b->i8[i])
SIMD_LANEWISE2(i8x16_max_u, u8, 16, a->u8[i] > b->u8[i] ? a->u8[i] : b->u8[i])
SIMD_LANEWISE2(i8x16_avgr_u, u8, 16, (uint8_t)((a->u8[i] + b->u8[i] + 1) >> 1))
SIMD_LANEWISE2(i8x16_narrow_i16x8_s, i8, 16, i < 8 ? sat_s8(a->i16[i]) : sat_s8(b->i16[i - 8]))
SIMD_LANEWISE2(i8x16_narrow_i16x8_u, u8, 16, i < 8 ? sat_u8(a->i16[i]) : sat_u8(b->i16[i - 8]))
SIMD_LANEWISE2(i8x16_swizzle, u8, 16, b->u8[i] < 16 ? a->u8[b->u8[i]] : 0)

/* ---- i16x8 ---- */
SIMD_CMP(i16x8_eq, u16, u16, 8, a->u16[i] == b->u16[i])
SIMD_CMP(i16x8_ne, u16, u16, 8, a->u16[i] != b->u16[i])
SIMD_CMP(i16x8_lt_s, i16, u16, 8, a->i16[i] < b->i16[i])
SIMD_CMP(i16x8_lt_u, u16, u16, 8, a->u16[i] < b->u16[i])
SIMD_CMP(i16x8_gt_s, i16, u16, 8, a->i16[i] > b->i16[i])
SIMD_CMP(i16x8_gt_u, u16, u16, 8, a->u16[i] > b->u16[i])
SIMD_CMP(i16x8_le_s, i16, u16, 8, a->i16[i] <= b->i16[i])
SIMD_CMP(i16x8_le_u, u16, u16, 8, a->u16[i] <= b->u16[i])
SIMD_CMP(i16x8_ge_s, i16, u16, 8, a->i16[i] >= b->i16[i])
SIMD_CMP(i16x8_ge_u, u16, u16, 8, a->u16[i] >= b->u16[i])
SIMD_LANEWISE1(i16x8_abs, u16, 8, (uint16_t)(a->i16[i] < 0 ? -a->u16[i] : a->u16[i]))
SIMD_LANEWISE1(i16x8_neg, u16, 8, (uint16_t)-a->u16[i])
SIMD_LANEWISE2(i16x8_add, u16, 8, (uint16_t)(a->u16[i] + b->u16[i]))
SIMD_LANEWISE2(i16x8_add_sat_s, i16, 8, sat_s16(a->i16[i] + b->i16[i]))
SIMD_LANEWISE2(i16x8_add_sat_u, u16, 8, sat_u16(a->u16[i] + b->u16[i]))
SIMD_LANEWISE2(i16x8_sub, u16, 8, (uint16_t)(a->u16[i] - b->u16[i]))
SIMD_LANEWISE2(i16x8_sub_sat_s, i16, 8, sat_s16(a->i16[i] - b->i16[i]))
SIMD_LANEWISE2(i16x8_sub_sat_u, u16, 8, sat_u16(a->u16[i] - b->u16[i]))
SIMD_LANEWISE2(i16x8_mul, u16, 8, (uint16_t)((uint32_t)a->u16[i] * b->u16[i]))
SIMD_LANEWISE2(i16x8_min_s, i16, 8, a->i16[i] < b->i16[i] ? a->i16[i] : b->i16[i])
SIMD_LANEWISE2(i16x8_min_u, u16, 8, a->u16[i] < b->u16[i] ? a->u16[i] : b->u16[i])
SIMD_LANEWISE2(i16x8_max_s, i16, 8, a->i16[i] > b->i16[i] ? a->i16[i] : b->i16[i])
SIMD_LANEWISE2(i16x8_max_u, u16, 8, a->u16[i] > b->u16[i] ? a->u16[i] : b->u16[i])
SIMD_LANEWISE2(i16x8_avgr_u, u16, 8, (uint16_t)((a->u16[i] + b->u16[i] + 1) >> 1))
SIMD_LANEWISE2(i16x8_q15mulr_sat_s, i16, 8,
               sat_s16((int)(((int32_t)a->i16[i] * b->i16[i] + 0x4000) >> 15)))
SIMD_LANEWISE2(i16x8_narrow_i32x4_s, i16, 8, i < 4 ? sat_s16(a->i32[i]) : sat_s16(b->i32[i - 4]))
SIMD_LANEWISE2(i16x8_narrow_i32x4_u, u16, 8, i < 4 ? sat_u16(a->i32[i]) : sat_u16(b->i32[i - 4]))
SIMD_LANEWISE1(i16x8_extend_low_i8x16_s, i16, 8, a->i8[i])
SIMD_LANEWISE1(i16x8_extend_high_i8x16_s, i16, 8, a->i8[i + 8])
SIMD_LANEWISE1(i16x8_extend_low_i8x16_u, u16, 8, a->u8[i])
SIMD_LANEWISE1(i16x8_extend_high_i8x16_u, u16, 8, a->u8[i + 8])
SIMD_LANEWISE1(i16x8_extadd_pairwise_i8x16_s, i16, 8, (int16_t)(a->i8[2 * i] + a->i8[2 * i + 1]))
SIMD_LANEWISE1(i16x8_extadd_pairwise_i8x16_u, u16, 8, (uint16_t)(a->u8[2 * i] + a->u8[2 * i + 1]))
SIMD_LANEWISE2(i16x8_extmul_low_i8x16_s, i16, 8, (int16_t)(a->i8[i] * b->i8[i]))
SIMD_LANEWISE2(i16x8_extmul_high_i8x16_s, i16, 8, (int16_t)(a->i8[i + 8] * b->i8[i + 8]))
SIMD_LANEWISE2(i16x8_extmul_low_i8x16_u, u16, 8, (uint16_t)(a->u8[i] * b->u8[i]))
SIMD_LANEWISE2(i16x8_extmul_high_i8x16_u, u16, 8, (uint16_t)(a->u8[i + 8] * b->u8[i + 8]))

/* ---- i32x4 ---- */
SIMD_CMP(i32x4_eq, u32, u32, 4, a->u32[i] == b->u32[i])
SIMD_CMP(i32x4_ne, u32, u32, 4, a->u32[i] != b->u32[i])
SIMD_CMP(i32x4_lt_s, i32, u32, 4, a->i32[i] < b->i32[i])
SIMD_CMP(i32x4_lt_u, u32, u32, 4, a->u32[i] < b->u32[i])
SIMD_CMP(i32x4_gt_s, i32, u32, 4, a->i32[i] > b->i32[i])
SIMD_CMP(i32x4_gt_u, u32, u32, 4, a->u32[i] > b->u32[i])
SIMD_CMP(i32x4_le_s, i32, u32, 4, a->i32[i] <= b->i32[i])
SIMD_CMP(i32x4_le_u, u32, u32, 4, a->u32[i] <= b->u32[i])
SIMD_CMP(i32x4_ge_s, i32, u32, 4, a->i32[i] >= b->i32[i])
SIMD_CMP(i32x4_ge_u, u32, u32, 4, a->u32[i] >= b->u32[i])
SIMD_LANEWISE1(i32x4_abs, u32, 4, a->i32[i] < 0 ? 0u - a->u32[i] : a->u32[i])
SIMD_LANEWISE1(i32x4_neg, u32, 4, 0u - a->u32[i])
SIMD_LANEWISE2(i32x4_add, u32, 4, a->u32[i] + b->u32[i])
SIMD_LANEWISE2(i32x4_sub, u32, 4, a->u32[i] - b->u32[i])
SIMD_LANEWISE2(i32x4_mul, u32, 4, a->u32[i] * b->u32[i])
SIMD_LANEWISE2(i32x4_min_s, i32, 4, a->i32[i] < b->i32[i] ? a->i32[i] : b->i32[i])
SIMD_LANEWISE2(i32x4_min_u, u32, 4, a->u32[i] < b->u32[i] ? a->u32[i] : b->u32[i])
SIMD_LANEWISE2(i32x4_max_s, i32, 4, a->i32[i] > b->i32[i] ? a->i32[i] : b->i32[i])
SIMD_LANEWISE2(i32x4_max_u, u32, 4, a->u32[i] > b->u32[i] ? a->u32[i] : b->u32[i])
SIMD_LANEWISE2(i32x4_dot_i16x8_s, u32, 4,
               (uint32_t)((int32_t)a->i16[2 * i] * b->i16[2 * i]) +
                   (uint32_t)((int32_t)a->i16[2 * i + 1] * b->i16[2 * i + 1]))
SIMD_LANEWISE1(i32x4_extend_low_i16x8_s, i32, 4, a->i16[i])
SIMD_LANEWISE1(i32x4_extend_high_i16x8_s, i32, 4, a->i16[i + 4])
SIMD_LANEWISE1(i32x4_extend_low_i16x8_u, u32, 4, a->u16[i])
SIMD_LANEWISE1(i32x4_extend_high_i16x8_u, u32, 4, a->u16[i + 4])
SIMD_LANEWISE1(i32x4_extadd_pairwise_i16x8_s, i32, 4, (int32_t)a->i16[2 * i] + a->i16[2 * i + 1])
SIMD_LANEWISE1(i32x4_extadd_pairwise_i16x8_u, u32, 4, (uint32_t)a->u16[2 * i] + a->u16[2 * i + 1])
SIMD_LANEWISE2(i32x4_extmul_low_i16x8_s, u32, 4, (uint32_t)((int32_t)a->i16[i] * b->i16[i]))
SIMD_LANEWISE2(i32x4_extmul_high_i16x8_s, u32, 4,
               (uint32_t)((int32_t)a->i16[i + 4] * b->i16[i + 4]))
SIMD_LANEWISE2(i32x4_extmul_low_i16x8_u, u32, 4, (uint32_t)a->u16[i] * b->u16[i])
SIMD_LANEWISE2(i32x4_extmul_high_i16x8_u, u32, 4, (uint32_t)a->u16[i + 4] * b->u16[i + 4])
SIMD_LANEWISE1(i32x4_trunc_sat_f32x4_s, i32, 4, simd_sat_i32(a->f32[i]))
SIMD_LANEWISE1(i32x4_trunc_sat_f32x4_u, u32, 4, simd_sat_u32(a->f32[i]))
SIMD_LANEWISE1(i32x4_trunc_sat_f64x2_s_zero, i32, 4, i < 2 ? simd_sat_i32(a->f64[i]) : 0)
SIMD_LANEWISE1(i32x4_trunc_sat_f64x2_u_zero, u32, 4, i < 2 ? simd_sat_u32(a->f64[i]) : 0)

/* ---- i64x2 ---- */
SIMD_CMP(i64x2_eq, u64, u64, 2, a->u64[i] == b->u64[i])
SIMD_CMP(i64x2_ne, u64, u64, 2, a->u64[i] != b->u64[i])
SIMD_CMP(i64x2_lt_s, i64, u64, 2, a->i64[i] < b->i64[i])
SIMD_CMP(i64x2_gt_s, i64, u64, 2, a->i64[i] > b->i64[i])
SIMD_CMP(i64x2_le_s, i64, u64, 2, a->i64[i] <= b->i64[i])
SIMD_CMP(i64x2_ge_s, i64, u64, 2, a->i64[i] >= b->i64[i])
SIMD_LANEWISE1(i64x2_abs, u64, 2, a->i64[i] < 0 ? 0ull - a->u64[i] : a->u64[i])
SIMD_LANEWISE1(i64x2_neg, u64, 2, 0ull - a->u64[i])
SIMD_LANEWISE2(i64x2_add, u64, 2, a->u64[i] + b->u64[i])
SIMD_LANEWISE2(i64x2_sub, u64, 2, a->u64[i] - b->u64[i])
SIMD_LANEWISE2(i64x2_mul, u64, 2, a->u64[i] * b->u64[i])
SIMD_LANEWISE1(i64x2_extend_low_i32x4_s, i64, 2, a->i32[i])
SIMD_LANEWISE1(i64x2_extend_high_i32x4_s, i64, 2, a->i32[i + 2])
SIMD_LANEWISE1(i64x2_extend_low_i32x4_u, u64, 2, a->u32[i])
SIMD_LANEWISE1(i64x2_extend_high_i32x4_u, u64, 2, a->u32[i + 2])
SIMD_LANEWISE2(i64x2_extmul_low_i32x4_s, u64, 2, (uint64_t)((int64_t)a->i32[i] * b->i32[i]))
SIMD_LANEWISE2(i64x2_extmul_high_i32x4_s, u64, 2,
               (uint64_t)((int64_t)a->i32[i + 2] * b->i32[i + 2]))
SIMD_LANEWISE2(i64x2_extmul_low_i32x4_u, u64, 2, (uint64_t)a->u32[i] * b->u32[i])
SIMD_LANEWISE2(i64x2_extmul_high_i32x4_u, u64, 2, (uint64_t)a->u32[i + 2] * b->u32[i + 2])

/* ---- f32x4 ---- */
SIMD_CMP(f32x4_eq, f32, u32, 4, a->f32[i] == b->f32[i])
SIMD_CMP(f32x4_ne, f32, u32, 4, a->f32[i] != b->f32[i])
SIMD_CMP(f32x4_lt, f32, u32, 4, a->f32[i] < b->f32[i])
SIMD_CMP(f32x4_gt, f32, u32, 4, a->f32[i] > b->f32[i])
SIMD_CMP(f32x4_le, f32, u32, 4, a->f32[i] <= b->f32[i])
SIMD_CMP(f32x4_ge, f32, u32, 4, a->f32[i] >= b->f32[i])
SIMD_LANEWISE1(f32x4_abs, u32, 4, a->u32[i] & 0x7FFFFFFFu)
SIMD_LANEWISE1(f32x4_neg, u32, 4, a->u32[i] ^ 0x80000000u)
SIMD_LANEWISE1(f32x4_ceil, f32, 4, simd_round32(a->f32[i], 0))
SIMD_LANEWISE1(f32x4_floor, f32, 4, simd_round32(a->f32[i], 1))
SIMD_LANEWISE1(f32x4_trunc, f32, 4, simd_round32(a->f32[i], 2))
SIMD_LANEWISE1(f32x4_nearest, f32, 4, simd_round32(a->f32[i], 3))
SIMD_LANEWISE1(f32x4_sqrt, f32, 4, simd_round32(a->f32[i], 4))
SIMD_LANEWISE2(f32x4_add, f32, 4, a->f32[i] + b->f32[i])
SIMD_LANEWISE2(f32x4_sub, f32, 4, a->f32[i] - b->f32[i])
SIMD_LANEWISE2(f32x4_mul, f32, 4, a->f32[i] * b->f32[i])
SIMD_LANEWISE2(f32x4_div, f32, 4, a->f32[i] / b->f32[i])
SIMD_LANEWISE2(f32x4_min, f32, 4, simd_fmin32(a->f32[i], b->f32[i]))
SIMD_LANEWISE2(f32x4_max, f32, 4, simd_fmax32(a->f32[i], b->f32[i]))
SIMD_LANEWISE2(f32x4_pmin, u32, 4, b->f32[i] < a->f32[i] ? b->u32[i] : a->u32[i])
SIMD_LANEWISE2(f32x4_pmax, u32, 4, a->f32[i] < b->f32[i] ? b->u32[i] : a->u32[i])
SIMD_LANEWISE1(f32x4_convert_i32x4_s, f32, 4, (float)a->i32[i])
SIMD_LANEWISE1(f32x4_convert_i32x4_u, f32, 4, (float)a->u32[i])
SIMD_LANEWISE1(f32x4_demote_f64x2_zero, f32, 4, i < 2 ? (float)a->f64[i] : 0.0f)

/* ---- f64x2 ---- */
SIMD_CMP(f64x2_eq, f64, u64, 2, a->f64[i] == b->f64[i])
SIMD_CMP(f64x2_ne, f64, u64, 2, a->f64[i] != b->f64[i])
SIMD_CMP(f64x2_lt, f64, u64, 2, a->f64[i] < b->f64[i])
SIMD_CMP(f64x2_gt, f64, u64, 2, a->f64[i] > b->f64[i])
SIMD_CMP(f64x2_le, f64, u64, 2, a->f64[i] <= b->f64[i])
SIMD_CMP(f64x2_ge, f64, u64, 2, a->f64[i] >= b->f64[i])
SIMD_LANEWISE1(f64x2_abs, u64, 2, a->u64[i] & 0x7FFFFFFFFFFFFFFFull)
SIMD_LANEWISE1(f64x2_neg, u64, 2, a->u64[i] ^ 0x8000000000000000ull)
SIMD_LANEWISE1(f64x2_ceil, f64, 2, simd_round64(a->f64[i], 0))
SIMD_LANEWISE1(f64x2_floor, f64, 2, simd_round64(a->f64[i], 1))
SIMD_LANEWISE1(f64x2_trunc, f64, 2, simd_round64(a->f64[i], 2))
SIMD_LANEWISE1(f64x2_nearest, f64, 2, simd_round64(a->f64[i], 3))
SIMD_LANEWISE1(f64x2_sqrt, f64, 2, simd_round64(a->f64[i], 4))
SIMD_LANEWISE2(f64x2_add, f64, 2, a->f64[i] + b->f64[i])
SIMD_LANEWISE2(f64x2_sub, f64, 2, a->f64[i] - b->f64[i])
SIMD_LANEWISE2(f64x2_mul, f64, 2, a->f64[i] * b->f64[i])
SIMD_LANEWISE2(f64x2_div, f64, 2, a->f64[i] / b->f64[i])
SIMD_LANEWISE2(f64x2_min, f64, 2, simd_fmin64(a->f64[i], b->f64[i]))
SIMD_LANEWISE2(f64x2_max, f64, 2, simd_fmax64(a->f64[i], b->f64[i]))
SIMD_LANEWISE2(f64x2_pmin, u64, 2, b->f64[i] < a->f64[i] ? b->u64[i] : a->u64[i])
SIMD_LANEWISE2(f64x2_pmax, u64, 2, a->f64[i] < b->f64[i] ? b->u64[i] : a->u64[i])
SIMD_LANEWISE1(f64x2_convert_low_i32x4_s, f64, 2, (double)a->i32[i])
SIMD_LANEWISE1(f64x2_convert_low_i32x4_u, f64, 2, (double)a->u32[i])
SIMD_LANEWISE1(f64x2_promote_low_f32x4, f64, 2, (double)a->f32[i])

/* ---- relaxed SIMD (deterministic: unfused multiply-add, signed dot products) ---- */
static inline void f32x4_relaxed_madd(kite_v128 *r, const kite_v128 *a, const kite_v128 *b,
                                      const kite_v128 *c) {
  kite_v128 t;
  for (int i = 0; i < 4; i++) t.f32[i] = a->f32[i] * b->f32[i] + c->f32[i];
  *r = t;
}
static inline void f32x4_relaxed_nmadd(kite_v128 *r, const kite_v128 *a, const kite_v128 *b,
                                       const kite_v128 *c) {
  kite_v128 t;
  for (int i = 0; i < 4; i++) t.f32[i] = -(a->f32[i] * b->f32[i]) + c->f32[i];
  *r = t;
}
static inline void f64x2_relaxed_madd(kite_v128 *r, const kite_v128 *a, const kite_v128 *b,
                                      const kite_v128 *c) {
  kite_v128 t;
  for (int i = 0; i < 2; i++) t.f64[i] = a->f64[i] * b->f64[i] + c->f64[i];
  *r = t;
}
static inline void f64x2_relaxed_nmadd(kite_v128 *r, const kite_v128 *a, const kite_v128 *b,
                                       const kite_v128 *c) {
  kite_v128 t;
  for (int i = 0; i < 2; i++) t.f64[i] = -(a->f64[i] * b->f64[i]) + c->f64[i];
  *r = t;
}
SIMD_LANEWISE2(i16x8_relaxed_dot_i8x16_i7x16_s, u16, 8,
               (uint16_t)(a->i8[2 * i] * b->i8[2 * i] + a->i8[2 * i + 1] * b->i8[2 * i + 1]))
static inline void i32x4_relaxed_dot_i8x16_i7x16_add_s(kite_v128 *r, const kite_v128 *a,
                                                       const kite_v128 *b, const kite_v128 *c) {
  kite_v128 t;
  for (int i = 0; i < 4; i++) {
    int32_t sum = 0;
    for (int k = 0; k < 4; k++) sum += a->i8[4 * i + k] * b->i8[4 * i + k];
    t.u32[i] = (uint32_t)sum + c->u32[i];
  }
  *r = t;
}

/* ---- shifts (count modulo the lane width) ---- */
static inline void plain_i8x16_shl(kite_v128 *r, const kite_v128 *a, uint32_t n) {
  for (int i = 0; i < 16; i++) r->u8[i] = (uint8_t)(a->u8[i] << (n & 7));
}
static inline void plain_i8x16_shr_s(kite_v128 *r, const kite_v128 *a, uint32_t n) {
  for (int i = 0; i < 16; i++) r->i8[i] = (int8_t)(a->i8[i] >> (n & 7));
}
static inline void plain_i8x16_shr_u(kite_v128 *r, const kite_v128 *a, uint32_t n) {
  for (int i = 0; i < 16; i++) r->u8[i] = (uint8_t)(a->u8[i] >> (n & 7));
}
static inline void plain_i16x8_shl(kite_v128 *r, const kite_v128 *a, uint32_t n) {
  for (int i = 0; i < 8; i++) r->u16[i] = (uint16_t)(a->u16[i] << (n & 15));
}
static inline void plain_i16x8_shr_s(kite_v128 *r, const kite_v128 *a, uint32_t n) {
  for (int i = 0; i < 8; i++) r->i16[i] = (int16_t)(a->i16[i] >> (n & 15));
}
static inline void plain_i16x8_shr_u(kite_v128 *r, const kite_v128 *a, uint32_t n) {
  for (int i = 0; i < 8; i++) r->u16[i] = (uint16_t)(a->u16[i] >> (n & 15));
}
static inline void plain_i32x4_shl(kite_v128 *r, const kite_v128 *a, uint32_t n) {
  for (int i = 0; i < 4; i++) r->u32[i] = a->u32[i] << (n & 31);
}
static inline void plain_i32x4_shr_s(kite_v128 *r, const kite_v128 *a, uint32_t n) {
  for (int i = 0; i < 4; i++) r->i32[i] = a->i32[i] >> (n & 31);
}
static inline void plain_i32x4_shr_u(kite_v128 *r, const kite_v128 *a, uint32_t n) {
  for (int i = 0; i < 4; i++) r->u32[i] = a->u32[i] >> (n & 31);
}
static inline void plain_i64x2_shl(kite_v128 *r, const kite_v128 *a, uint32_t n) {
  for (int i = 0; i < 2; i++) r->u64[i] = a->u64[i] << (n & 63);
}
static inline void plain_i64x2_shr_s(kite_v128 *r, const kite_v128 *a, uint32_t n) {
  for (int i = 0; i < 2; i++) r->i64[i] = a->i64[i] >> (n & 63);
}
static inline void plain_i64x2_shr_u(kite_v128 *r, const kite_v128 *a, uint32_t n) {
  for (int i = 0; i < 2; i++) r->u64[i] = a->u64[i] >> (n & 63);
}

/* ---- splats (f32x4 and f64x2 use the i32x4 and i64x2 ones): x's low bits in every lane ---- */
static inline void plain_i8x16_splat(kite_v128 *r, uint64_t x) {
  for (int i = 0; i < 16; i++) r->u8[i] = (uint8_t)x;
}
static inline void plain_i16x8_splat(kite_v128 *r, uint64_t x) {
  for (int i = 0; i < 8; i++) r->u16[i] = (uint16_t)x;
}
static inline void plain_i32x4_splat(kite_v128 *r, uint64_t x) {
  for (int i = 0; i < 4; i++) r->u32[i] = (uint32_t)x;
}
static inline void plain_i64x2_splat(kite_v128 *r, uint64_t x) { r->u64[0] = r->u64[1] = x; }

/*
** i8x16.shuffle: result lane i is byte lanes[i] of a then b (the validator keeps it below
** 32). The 16 lane indices come packed four to a 32-bit word, the lowest byte first.
*/
static inline void plain_i8x16_shuffle(kite_v128 *r, const kite_v128 *a, const kite_v128 *b,
                                       const uint32_t lanes[4]) {
  uint8_t ab[32];
  memcpy(ab, a, 16);
  memcpy(ab + 16, b, 16);
  for (int i = 0; i < 16; i++) r->u8[i] = ab[(lanes[i / 4] >> (8 * (i % 4))) & 31];
}

/* ---- reductions ---- */
static inline uint32_t plain_i8x16_all_true(const kite_v128 *a) {
  for (int i = 0; i < 16; i++)
    if (!a->u8[i]) return 0;
  return 1;
}
static inline uint32_t plain_i16x8_all_true(const kite_v128 *a) {
  for (int i = 0; i < 8; i++)
    if (!a->u16[i]) return 0;
  return 1;
}
static inline uint32_t plain_i32x4_all_true(const kite_v128 *a) {
  for (int i = 0; i < 4; i++)
    if (!a->u32[i]) return 0;
  return 1;
}
static inline uint32_t plain_i64x2_all_true(const kite_v128 *a) { return a->u64[0] && a->u64[1]; }
static inline uint32_t plain_i8x16_bitmask(const kite_v128 *a) {
  uint32_t m = 0;
  for (int i = 0; i < 16; i++) m |= (uint32_t)(a->u8[i] >> 7) << i;
  return m;
}
static inline uint32_t plain_i16x8_bitmask(const kite_v128 *a) {
  uint32_t m = 0;
  for (int i = 0; i < 8; i++) m |= (uint32_t)(a->u16[i] >> 15) << i;
  return m;
}
static inline uint32_t plain_i32x4_bitmask(const kite_v128 *a) {
  uint32_t m = 0;
  for (int i = 0; i < 4; i++) m |= (a->u32[i] >> 31) << i;
  return m;
}
static inline uint32_t plain_i64x2_bitmask(const kite_v128 *a) {
  return (uint32_t)(a->u64[0] >> 63) | (uint32_t)(a->u64[1] >> 63) << 1;
}

#include "simd_native.h"

/*
** The instructions with a native definition, by the shape of their operands: UN (r, a),
** BIN (r, a, b), TERN (r, a, b, c), SHIFT (r, a, count), SPLAT (r, scalar) and TO_I32 (an
** i32 from a); and i8x16_shuffle (r, a, b, lane indices).
*/
/* clang-format off */
#define KITE_SIMD_NATIVE_UN(X)                                                             \
  X(v128_not)                                                                              \
  X(i8x16_abs) X(i8x16_neg) X(i8x16_popcnt)                                                \
  X(i16x8_abs) X(i16x8_neg)                                                                \
  X(i16x8_extend_low_i8x16_s) X(i16x8_extend_high_i8x16_s)                                 \
  X(i16x8_extend_low_i8x16_u) X(i16x8_extend_high_i8x16_u)                                 \
  X(i16x8_extadd_pairwise_i8x16_s) X(i16x8_extadd_pairwise_i8x16_u)                        \
  X(i32x4_abs) X(i32x4_neg)                                                                \
  X(i32x4_extend_low_i16x8_s) X(i32x4_extend_high_i16x8_s)                                 \
  X(i32x4_extend_low_i16x8_u) X(i32x4_extend_high_i16x8_u)                                 \
  X(i32x4_extadd_pairwise_i16x8_s) X(i32x4_extadd_pairwise_i16x8_u)                        \
  X(i32x4_trunc_sat_f32x4_s) X(i32x4_trunc_sat_f32x4_u)                                    \
  X(i32x4_trunc_sat_f64x2_s_zero) X(i32x4_trunc_sat_f64x2_u_zero)                          \
  X(i64x2_abs) X(i64x2_neg)                                                                \
  X(i64x2_extend_low_i32x4_s) X(i64x2_extend_high_i32x4_s)                                 \
  X(i64x2_extend_low_i32x4_u) X(i64x2_extend_high_i32x4_u)                                 \
  X(f32x4_abs) X(f32x4_neg) X(f32x4_sqrt)                                                  \
  X(f32x4_ceil) X(f32x4_floor) X(f32x4_trunc) X(f32x4_nearest)                             \
  X(f32x4_convert_i32x4_s) X(f32x4_convert_i32x4_u) X(f32x4_demote_f64x2_zero)             \
  X(f64x2_abs) X(f64x2_neg) X(f64x2_sqrt)                                                  \
  X(f64x2_ceil) X(f64x2_floor) X(f64x2_trunc) X(f64x2_nearest)                             \
  X(f64x2_convert_low_i32x4_s) X(f64x2_convert_low_i32x4_u) X(f64x2_promote_low_f32x4)
#define KITE_SIMD_NATIVE_BIN(X)                                                            \
  X(v128_and) X(v128_andnot) X(v128_or) X(v128_xor)                                        \
  X(i8x16_eq) X(i8x16_ne) X(i8x16_lt_s) X(i8x16_lt_u) X(i8x16_gt_s) X(i8x16_gt_u)          \
  X(i8x16_le_s) X(i8x16_le_u) X(i8x16_ge_s) X(i8x16_ge_u)                                  \
  X(i8x16_add) X(i8x16_add_sat_s) X(i8x16_add_sat_u)                                       \
  X(i8x16_sub) X(i8x16_sub_sat_s) X(i8x16_sub_sat_u)                                       \
  X(i8x16_min_s) X(i8x16_min_u) X(i8x16_max_s) X(i8x16_max_u) X(i8x16_avgr_u)              \
  X(i8x16_narrow_i16x8_s) X(i8x16_narrow_i16x8_u) X(i8x16_swizzle)                         \
  X(i16x8_eq) X(i16x8_ne) X(i16x8_lt_s) X(i16x8_lt_u) X(i16x8_gt_s) X(i16x8_gt_u)          \
  X(i16x8_le_s) X(i16x8_le_u) X(i16x8_ge_s) X(i16x8_ge_u)                                  \
  X(i16x8_add) X(i16x8_add_sat_s) X(i16x8_add_sat_u)                                       \
  X(i16x8_sub) X(i16x8_sub_sat_s) X(i16x8_sub_sat_u) X(i16x8_mul)                          \
  X(i16x8_min_s) X(i16x8_min_u) X(i16x8_max_s) X(i16x8_max_u) X(i16x8_avgr_u)              \
  X(i16x8_q15mulr_sat_s) X(i16x8_narrow_i32x4_s) X(i16x8_narrow_i32x4_u)                   \
  X(i16x8_extmul_low_i8x16_s) X(i16x8_extmul_high_i8x16_s)                                 \
  X(i16x8_extmul_low_i8x16_u) X(i16x8_extmul_high_i8x16_u)                                 \
  X(i32x4_eq) X(i32x4_ne) X(i32x4_lt_s) X(i32x4_lt_u) X(i32x4_gt_s) X(i32x4_gt_u)          \
  X(i32x4_le_s) X(i32x4_le_u) X(i32x4_ge_s) X(i32x4_ge_u)                                  \
  X(i32x4_add) X(i32x4_sub) X(i32x4_mul)                                                   \
  X(i32x4_min_s) X(i32x4_min_u) X(i32x4_max_s) X(i32x4_max_u) X(i32x4_dot_i16x8_s)         \
  X(i32x4_extmul_low_i16x8_s) X(i32x4_extmul_high_i16x8_s)                                 \
  X(i32x4_extmul_low_i16x8_u) X(i32x4_extmul_high_i16x8_u)                                 \
  X(i64x2_eq) X(i64x2_ne) X(i64x2_lt_s) X(i64x2_gt_s) X(i64x2_le_s) X(i64x2_ge_s)          \
  X(i64x2_add) X(i64x2_sub) X(i64x2_mul)                                                   \
  X(i64x2_extmul_low_i32x4_s) X(i64x2_extmul_high_i32x4_s)                                 \
  X(i64x2_extmul_low_i32x4_u) X(i64x2_extmul_high_i32x4_u)                                 \
  X(f32x4_eq) X(f32x4_ne) X(f32x4_lt) X(f32x4_gt) X(f32x4_le) X(f32x4_ge)                  \
  X(f32x4_add) X(f32x4_sub) X(f32x4_mul) X(f32x4_div) X(f32x4_pmin) X(f32x4_pmax)          \
  X(f64x2_eq) X(f64x2_ne) X(f64x2_lt) X(f64x2_gt) X(f64x2_le) X(f64x2_ge)                  \
  X(f64x2_add) X(f64x2_sub) X(f64x2_mul) X(f64x2_div) X(f64x2_pmin) X(f64x2_pmax)
#define KITE_SIMD_NATIVE_TERN(X) X(v128_bitselect)
#define KITE_SIMD_NATIVE_SHIFT(X)                                                          \
  X(i8x16_shl) X(i8x16_shr_s) X(i8x16_shr_u) X(i16x8_shl) X(i16x8_shr_s) X(i16x8_shr_u)    \
  X(i32x4_shl) X(i32x4_shr_s) X(i32x4_shr_u) X(i64x2_shl) X(i64x2_shr_s) X(i64x2_shr_u)
#define KITE_SIMD_NATIVE_SPLAT(X) X(i8x16_splat) X(i16x8_splat) X(i32x4_splat) X(i64x2_splat)
#define KITE_SIMD_NATIVE_TO_I32(X)                                                         \
  X(v128_any_true) X(i8x16_all_true) X(i16x8_all_true) X(i32x4_all_true) X(i64x2_all_true) \
  X(i8x16_bitmask) X(i16x8_bitmask) X(i32x4_bitmask) X(i64x2_bitmask)
/*
** Plain C only: wasm's min and max (NaN and signed-zero rules that no min/max instruction
** has) and the relaxed dot product (its deterministic choice has no one instruction).
*/
#define KITE_SIMD_PLAIN_BIN(X)                                                             \
  X(f32x4_min) X(f32x4_max) X(f64x2_min) X(f64x2_max) X(i16x8_relaxed_dot_i8x16_i7x16_s)
/* clang-format on */

#if KITE_SIMD_NATIVE
#define SIMD_IMPL(name) native_##name
#else
#define SIMD_IMPL(name) plain_##name
#endif
/* The names the interpreter calls, each the native or the plain definition. */
#define SIMD_BIND_UN(name)                                                                         \
  static inline void name(kite_v128 *r, const kite_v128 *a) { SIMD_IMPL(name)(r, a); }
#define SIMD_BIND_BIN(name)                                                                        \
  static inline void name(kite_v128 *r, const kite_v128 *a, const kite_v128 *b) {                  \
    SIMD_IMPL(name)(r, a, b);                                                                      \
  }
#define SIMD_BIND_TERN(name)                                                                       \
  static inline void name(kite_v128 *r, const kite_v128 *a, const kite_v128 *b,                    \
                          const kite_v128 *c) {                                                    \
    SIMD_IMPL(name)(r, a, b, c);                                                                   \
  }
#define SIMD_BIND_SHIFT(name)                                                                      \
  static inline void name(kite_v128 *r, const kite_v128 *a, uint32_t n) {                          \
    SIMD_IMPL(name)(r, a, n);                                                                      \
  }
#define SIMD_BIND_SPLAT(name)                                                                      \
  static inline void name(kite_v128 *r, uint64_t x) { SIMD_IMPL(name)(r, x); }
#define SIMD_BIND_TO_I32(name)                                                                     \
  static inline uint32_t name(const kite_v128 *a) { return SIMD_IMPL(name)(a); }
#define SIMD_BIND_PLAIN_BIN(name)                                                                  \
  static inline void name(kite_v128 *r, const kite_v128 *a, const kite_v128 *b) {                  \
    plain_##name(r, a, b);                                                                         \
  }
KITE_SIMD_NATIVE_UN(SIMD_BIND_UN)
KITE_SIMD_NATIVE_BIN(SIMD_BIND_BIN)
KITE_SIMD_NATIVE_TERN(SIMD_BIND_TERN)
KITE_SIMD_NATIVE_SHIFT(SIMD_BIND_SHIFT)
KITE_SIMD_NATIVE_SPLAT(SIMD_BIND_SPLAT)
KITE_SIMD_NATIVE_TO_I32(SIMD_BIND_TO_I32)
KITE_SIMD_PLAIN_BIN(SIMD_BIND_PLAIN_BIN)
static inline void i8x16_shuffle(kite_v128 *r, const kite_v128 *a, const kite_v128 *b,
                                 const uint32_t lanes[4]) {
  SIMD_IMPL(i8x16_shuffle)(r, a, b, lanes);
}

#endif
