/*
** print_num.c: float constants as exact text. Hex floats carry every bit of the
** significand, so no decimal rounding question arises and parsing the text gives
** the same bits back. The spelling follows wabt's wasm2wat (users compare the two):
** "0x1.8p+1", "0x0p+0", "-inf", "nan", "nan:0x200000", and subnormals written with a
** normalised significand and a '.' even when no fraction digits follow ("0x1.p-149").
*/
#include "text.h"

static const char hex_digits[] = "0123456789abcdef";

/*
** Shared by both widths: `sig_bits` is the stored significand width (23 or 52),
** `exp_bits` the exponent width, `bias` the exponent bias.
*/
static size_t float_text(uint64_t bits, unsigned sig_bits, unsigned exp_bits, int bias, char *buf) {
  char *p = buf;
  uint64_t sig_mask = ((uint64_t)1 << sig_bits) - 1;
  uint64_t exp_max = ((uint64_t)1 << exp_bits) - 1;
  uint64_t sig = bits & sig_mask;
  uint64_t exp_field = (bits >> sig_bits) & exp_max;
  if ((bits >> (sig_bits + exp_bits)) & 1) *p++ = '-';

  if (exp_field == exp_max) {
    if (sig == 0) {
      memcpy(p, "inf", 3);
      p += 3;
    } else {
      memcpy(p, "nan", 3);
      p += 3;
      if (sig != (uint64_t)1 << (sig_bits - 1)) { /* not the canonical payload */
        memcpy(p, ":0x", 3);
        p += 3;
        int top = 0;
        for (int i = (int)sig_bits - 1; i >= 0; i--)
          if ((sig >> i) & 1) {
            top = i;
            break;
          }
        for (int shift = top / 4 * 4; shift >= 0; shift -= 4)
          *p++ = hex_digits[(sig >> shift) & 0xf];
      }
    }
    *p = '\0';
    return (size_t)(p - buf);
  }

  memcpy(p, "0x", 2);
  p += 2;
  if (exp_field == 0 && sig == 0) {
    memcpy(p, "0p+0", 4);
    p += 4;
    *p = '\0';
    return (size_t)(p - buf);
  }

  int exp;
  bool force_point = false;
  if (exp_field == 0) {
    /* Subnormal: move the leading 1 into the implicit position. */
    int top = 0;
    for (int i = (int)sig_bits - 1; i >= 0; i--)
      if ((sig >> i) & 1) {
        top = i;
        break;
      }
    exp = 1 - bias - ((int)sig_bits - top);
    sig = (sig << (sig_bits - (unsigned)top)) & sig_mask;
    force_point = true;
  } else {
    exp = (int)exp_field - bias;
  }
  *p++ = '1';

  /* Left-align the fraction on a nibble boundary, then drop trailing zero nibbles. */
  unsigned nibbles = (sig_bits + 3) / 4;
  uint64_t frac = sig << (nibbles * 4 - sig_bits);
  if (frac != 0 || force_point) *p++ = '.';
  while (frac != 0) {
    unsigned shift = (nibbles - 1) * 4;
    *p++ = hex_digits[(frac >> shift) & 0xf];
    frac =
        (frac << 4) & ((nibbles * 4 == 64) ? ~(uint64_t)0 : (((uint64_t)1 << (nibbles * 4)) - 1));
  }
  *p++ = 'p';
  *p++ = exp < 0 ? '-' : '+';
  unsigned uexp = (unsigned)(exp < 0 ? -exp : exp);
  char digits[8];
  int n = 0;
  do {
    digits[n++] = (char)('0' + uexp % 10);
    uexp /= 10;
  } while (uexp);
  while (n) *p++ = digits[--n];
  *p = '\0';
  return (size_t)(p - buf);
}

size_t kite_f32_text(uint32_t bits, char *buf) { return float_text(bits, 23, 8, 127, buf); }

size_t kite_f64_text(uint64_t bits, char *buf) { return float_text(bits, 52, 11, 1023, buf); }
