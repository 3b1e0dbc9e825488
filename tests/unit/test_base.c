/*
** test_base.c: the allocator hook (accounting, limit, failure injection), arenas,
** growable arrays, byte buffers, LEB128 writers and UTF-8.
*/
#include "base.h"
#include "test_util.h"

static void test_alloc_accounting(void) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  void *p = kite_malloc(&a, 100);
  CHECK(p && a.bytes == 100);
  p = kite_realloc(&a, p, 100, 300);
  CHECK(p && a.bytes == 300);
  kite_free(&a, p, 300);
  CHECK(a.bytes == 0);

  a.limit = 64;
  CHECK(kite_malloc(&a, 65) == NULL);
  CHECK(a.bytes == 0);
  p = kite_malloc(&a, 64);
  CHECK(p != NULL);
  kite_free(&a, p, 64);

  a.limit = 0;
  a.fail_at = a.count + 2;
  void *first = kite_malloc(&a, 8);
  void *second = kite_malloc(&a, 8);
  CHECK(first != NULL && second == NULL);
  kite_free(&a, first, 8);
  CHECK(a.bytes == 0);

  CHECK(kite_calloc(&a, SIZE_MAX / 2, 4) == NULL);
}

static void test_arena(void) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_arena ar;
  kite_arena_init(&ar, &a);
  uint8_t *small = kite_arena_alloc(&ar, 3);
  uint8_t *big = kite_arena_alloc(&ar, 1 << 20);
  uint8_t *after = kite_arena_alloc(&ar, 5);
  CHECK(small && big && after);
  CHECK(((uintptr_t)small & 15) == 0 && ((uintptr_t)after & 15) == 0);
  CHECK(big[0] == 0 && big[(1 << 20) - 1] == 0);
  CHECK(kite_arena_array(&ar, SIZE_MAX / 4, 8) == NULL);
  kite_arena_free(&ar);
  CHECK(a.bytes == 0);

  /* Every allocation failure leaves the arena consistent and freeable. */
  for (uint64_t n = 1; n < 6; n++) {
    kite_alloc_init(&a, NULL, NULL);
    a.fail_at = n;
    kite_arena_init(&ar, &a);
    for (int i = 0; i < 8; i++) kite_arena_alloc(&ar, i % 2 ? 40000 : 100);
    kite_arena_free(&ar);
    CHECK(a.bytes == 0);
  }
}

static void test_vec_and_buf(void) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  KITE_VEC(uint32_t) v = {0};
  for (uint32_t i = 0; i < 1000; i++) CHECK(kite_vec_push(&a, &v, i));
  CHECK(v.len == 1000 && v.data[999] == 999);
  kite_vec_free(&a, &v);
  CHECK(a.bytes == 0);

  kite_buf b;
  kite_buf_init(&b, &a);
  kite_buf_printf(&b, "%s-%d", "kite", 7);
  for (int i = 0; i < 300; i++) kite_buf_byte(&b, 'x');
  kite_buf_printf(&b, "%0300d", 1);
  CHECK(!b.oom && b.len == 6 + 300 + 300 && memcmp(b.data, "kite-7", 6) == 0);
  kite_buf_free(&b);
  CHECK(a.bytes == 0);

  a.fail_at = a.count + 1;
  kite_buf_init(&b, &a);
  CHECK(!kite_buf_byte(&b, 1) && b.oom);
  CHECK(!kite_buf_byte(&b, 2)); /* sticky */
  kite_buf_free(&b);
}

static void test_leb_roundtrip(void) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  const int64_t values[] = {0, 1, -1, 63, 64, -64, -65, 127, 128, INT32_MAX, INT32_MIN,
                            INT64_MAX, INT64_MIN, 624485, -123456};
  for (size_t i = 0; i < KITE_ARRAY_LEN(values); i++) {
    kite_buf b;
    kite_buf_init(&b, &a);
    kite_buf_sleb(&b, values[i]);
    int64_t s = 0;
    size_t n = 0;
    CHECK(kite_read_sleb(b.data, b.data + b.len, 64, &s, &n) == KITE_LEB_OK);
    CHECK_MSG(s == values[i] && n == b.len, "sleb %lld", (long long)values[i]);
    kite_buf_free(&b);

    kite_buf_init(&b, &a);
    kite_buf_uleb(&b, (uint64_t)values[i]);
    uint64_t u = 0;
    CHECK(kite_read_uleb(b.data, b.data + b.len, 64, &u, &n) == KITE_LEB_OK);
    CHECK(u == (uint64_t)values[i] && n == b.len);
    kite_buf_free(&b);
  }
  CHECK(a.bytes == 0);
}

static void test_utf8(void) {
  CHECK(kite_utf8_valid((const uint8_t *)"plain", 5));
  CHECK(kite_utf8_valid((const uint8_t *)"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
  CHECK(!kite_utf8_valid((const uint8_t *)"\xc0\x80", 2));         /* overlong */
  CHECK(!kite_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3));     /* surrogate */
  CHECK(!kite_utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
  CHECK(!kite_utf8_valid((const uint8_t *)"\xe2\x82", 2));         /* truncated */
  CHECK(!kite_utf8_valid((const uint8_t *)"\x80", 1));             /* lone continuation */
  CHECK(!kite_utf8_valid((const uint8_t *)"\xf8\x88\x80\x80\x80", 5));
  uint8_t out[4];
  CHECK(kite_utf8_encode(0x20ac, out) == 3 && out[0] == 0xe2 && out[2] == 0xac);
  CHECK(kite_utf8_encode(0x1f600, out) == 4);
  CHECK(kite_utf8_encode(0xd800, out) == 0);
  CHECK(kite_utf8_encode(0x110000, out) == 0);
}

static void test_errors(void) {
  kite_error e;
  kite_error_clear(&e);
  CHECK(!kite_failed(&e));
  CHECK(!kite_fail(&e, KITE_ERR_COMPILE, KITE_COMPILE_MALFORMED, 12, "unexpected %s", "end"));
  CHECK(kite_failed(&e) && e.offset == 12 && e.has_offset && strcmp(e.msg, "unexpected end") == 0);
  kite_fail(&e, KITE_ERR_LINK, 0, 99, "second");
  CHECK(e.kind == KITE_ERR_COMPILE && e.offset == 12); /* the first error wins */
  CHECK(strcmp(kite_errkind_name(KITE_ERR_LINK), "LinkError") == 0);
}

int main(void) {
  test_alloc_accounting();
  test_arena();
  test_vec_and_buf();
  test_leb_roundtrip();
  test_utf8();
  test_errors();
  return test_finish("base");
}
