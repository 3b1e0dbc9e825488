/*
** leb.c: LEB128 and UTF-8 readers with the strictness the binary format demands:
** at most ceil(bits/7) bytes, and the unused bits of the last byte must be zero
** (unsigned) or a sign extension (signed).
*/
#include "base.h"

int kite_read_uleb(const uint8_t *p, const uint8_t *end, unsigned bits, uint64_t *out,
                   size_t *nread) {
  uint64_t result = 0;
  unsigned shift = 0;
  size_t i = 0;
  unsigned maxbytes = (bits + 6) / 7;
  for (;;) {
    if (p + i >= end) return KITE_LEB_END;
    uint8_t c = p[i++];
    if (i == maxbytes) {
      if (c & 0x80) return KITE_LEB_TOO_LONG;
      unsigned used = bits - shift; /* bits this byte may still carry */
      if (used < 7 && (c >> used) != 0) return KITE_LEB_TOO_LARGE;
      result |= (uint64_t)c << shift;
      break;
    }
    result |= (uint64_t)(c & 0x7f) << shift;
    shift += 7;
    if (!(c & 0x80)) break;
  }
  *out = result;
  *nread = i;
  return KITE_LEB_OK;
}

int kite_read_sleb(const uint8_t *p, const uint8_t *end, unsigned bits, int64_t *out,
                   size_t *nread) {
  uint64_t result = 0;
  unsigned shift = 0;
  size_t i = 0;
  unsigned maxbytes = (bits + 6) / 7;
  uint8_t c;
  for (;;) {
    if (p + i >= end) return KITE_LEB_END;
    c = p[i++];
    if (i == maxbytes) {
      if (c & 0x80) return KITE_LEB_TOO_LONG;
      unsigned used = bits - shift; /* value bits in this byte, the top one is the sign */
      if (used < 7) {
        /* bits from `used-1` to 6 must all equal the sign bit */
        int sign = (c >> (used - 1)) & 1;
        uint8_t rest = (uint8_t)(c >> (used - 1));
        uint8_t want = sign ? (uint8_t)(0x7f >> (used - 1)) : 0;
        if (rest != want) return KITE_LEB_TOO_LARGE;
      }
      result |= (uint64_t)(c & 0x7f) << shift;
      shift += 7;
      break;
    }
    result |= (uint64_t)(c & 0x7f) << shift;
    shift += 7;
    if (!(c & 0x80)) break;
  }
  if (shift < 64 && (c & 0x40)) result |= ~(uint64_t)0 << shift;
  *out = (int64_t)result;
  *nread = i;
  return KITE_LEB_OK;
}

bool kite_utf8_valid(const uint8_t *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = p[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    uint32_t cp, min;
    if ((c & 0xe0) == 0xc0) {
      len = 2, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; k++) {
      if ((p[i + k] & 0xc0) != 0x80) return false;
      cp = cp << 6 | (p[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

size_t kite_utf8_encode(uint32_t cp, uint8_t out[4]) {
  if (cp < 0x80) {
    out[0] = (uint8_t)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (uint8_t)(0xc0 | cp >> 6);
    out[1] = (uint8_t)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp >= 0xd800 && cp <= 0xdfff) return 0;
  if (cp < 0x10000) {
    out[0] = (uint8_t)(0xe0 | cp >> 12);
    out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (uint8_t)(0x80 | (cp & 0x3f));
    return 3;
  }
  if (cp > 0x10ffff) return 0;
  out[0] = (uint8_t)(0xf0 | cp >> 18);
  out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
  out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
  out[3] = (uint8_t)(0x80 | (cp & 0x3f));
  return 4;
}
