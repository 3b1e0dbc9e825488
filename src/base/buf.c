/*
** buf.c: an append-only byte buffer for the encoder and the printer. Failure is
** sticky so writers can check once at the end.
*/
#include <stdarg.h>
#include <stdio.h>

#include "base.h"

void kite_buf_init(kite_buf *b, kite_alloc *a) {
  memset(b, 0, sizeof *b);
  b->alloc = a;
}

void kite_buf_free(kite_buf *b) {
  kite_free(b->alloc, b->data, b->cap);
  b->data = NULL;
  b->len = b->cap = 0;
}

bool kite_buf_put(kite_buf *b, const void *p, size_t n) {
  if (b->oom) return false;
  if (n > SIZE_MAX - b->len || !kite_vec_reserve_(b->alloc, (void **)&b->data, &b->cap, b->len + n, 1)) {
    b->oom = true;
    return false;
  }
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  return true;
}

bool kite_buf_byte(kite_buf *b, uint8_t c) { return kite_buf_put(b, &c, 1); }

bool kite_buf_printf(kite_buf *b, const char *fmt, ...) {
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) return false;
  if ((size_t)n < sizeof small) return kite_buf_put(b, small, (size_t)n);
  if (b->oom || !kite_vec_reserve_(b->alloc, (void **)&b->data, &b->cap, b->len + (size_t)n + 1, 1)) {
    b->oom = true;
    return false;
  }
  va_start(ap, fmt);
  vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return true;
}

bool kite_buf_uleb(kite_buf *b, uint64_t v) {
  uint8_t tmp[10];
  size_t n = 0;
  do {
    uint8_t c = v & 0x7f;
    v >>= 7;
    tmp[n++] = c | (v ? 0x80 : 0);
  } while (v);
  return kite_buf_put(b, tmp, n);
}

bool kite_buf_sleb(kite_buf *b, int64_t v) {
  uint8_t tmp[10];
  size_t n = 0;
  for (;;) {
    uint8_t c = v & 0x7f;
    /* arithmetic shift of a negative value is implementation-defined; do it by hand */
    v = v >= 0 ? v >> 7 : ~(~v >> 7);
    bool done = (v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40));
    tmp[n++] = c | (done ? 0 : 0x80);
    if (done) break;
  }
  return kite_buf_put(b, tmp, n);
}
