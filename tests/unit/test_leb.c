/*
** test_leb.c: the binary reader's LEB128 rules (lengths, unused bits, sign extension,
** s33, 64-bit edges), with the exact messages and offsets of the reference
** interpreter, and value/heap/reference type reading.
*/
#include <string.h>

#include "binary.h"
#include "test_util.h"

typedef enum { U32, S32, U64, S64, S33, LEN } leb_kind;

/* Read one value of `kind` from bytes; returns true on success, *val the value. */
static bool read_one(leb_kind kind, const uint8_t *p, size_t n, uint64_t *val, kite_error *err,
                     size_t *used) {
  kite_reader r = {p, p, p + n, err};
  kite_error_clear(err);
  bool ok = false;
  switch (kind) {
  case U32: {
    uint32_t v;
    ok = kite_read_u32(&r, &v);
    *val = v;
    break;
  }
  case S32: {
    int32_t v;
    ok = kite_read_s32(&r, &v);
    *val = (uint64_t)(int64_t)v;
    break;
  }
  case U64: ok = kite_read_u64(&r, val); break;
  case S64: {
    int64_t v;
    ok = kite_read_s64(&r, &v);
    *val = (uint64_t)v;
    break;
  }
  case S33: {
    int64_t v;
    ok = kite_read_s33(&r, &v);
    *val = (uint64_t)v;
    break;
  }
  case LEN: {
    uint32_t v;
    ok = kite_read_len(&r, &v);
    *val = v;
    break;
  }
  }
  *used = (size_t)(r.p - p);
  return ok;
}

#define OK(knd, bytes, expect)                                                                     \
  do {                                                                                             \
    uint64_t v_;                                                                                   \
    kite_error e_;                                                                                 \
    size_t u_;                                                                                     \
    bool ok_ = read_one(knd, (const uint8_t *)bytes, sizeof(bytes) - 1, &v_, &e_, &u_);            \
    CHECK_MSG(ok_ &&v_ == (uint64_t)(expect) && u_ == sizeof(bytes) - 1,                           \
              "ok=%d v=%llx used=%zu msg=%s", ok_, (unsigned long long)v_, u_, e_.msg);            \
  } while (0)

#define BAD(knd, bytes, want, off)                                                                 \
  do {                                                                                             \
    uint64_t v_;                                                                                   \
    kite_error e_;                                                                                 \
    size_t u_;                                                                                     \
    bool ok_ = read_one(knd, (const uint8_t *)bytes, sizeof(bytes) - 1, &v_, &e_, &u_);            \
    CHECK_MSG(!ok_ && strcmp(e_.msg, want) == 0 && e_.offset == (off) &&                           \
                  e_.kind == KITE_ERR_COMPILE && e_.code == KITE_COMPILE_MALFORMED,                \
              "ok=%d msg=%s offset=%llu", ok_, e_.msg, (unsigned long long)e_.offset);             \
  } while (0)

static void test_u32(void) {
  OK(U32, "\x00", 0);
  OK(U32, "\x7f", 127);
  OK(U32, "\x80\x01", 128);
  OK(U32, "\x80\x00", 0);             /* redundant zero group is fine */
  OK(U32, "\x80\x80\x80\x80\x00", 0); /* five bytes, all padding */
  OK(U32, "\xff\xff\xff\xff\x0f", 0xffffffffu);
  OK(U32, "\xe5\x8e\x26", 624485);
  BAD(U32, "\xff\xff\xff\xff\x1f", "integer too large", 4);
  BAD(U32, "\x80\x80\x80\x80\x10", "integer too large", 4);
  BAD(U32, "\x80\x80\x80\x80\x70", "integer too large", 4);
  BAD(U32, "\x80\x80\x80\x80\x80\x00", "integer representation too long", 5);
  BAD(U32, "\x80\x80\x80\x80\x8f", "integer representation too long", 5);
  /* surplus bits are reported before the length, as the reference does */
  BAD(U32, "\x80\x80\x80\x80\x90\x00", "integer too large", 4);
  BAD(U32, "", "unexpected end of section or function", 0);
  BAD(U32, "\x80", "unexpected end of section or function", 1);
  BAD(U32, "\xff\xff\xff", "unexpected end of section or function", 3);
}

static void test_s32(void) {
  OK(S32, "\x00", 0);
  OK(S32, "\x3f", 63);
  OK(S32, "\x40", -64);
  OK(S32, "\x7f", -1);
  OK(S32, "\xff\x00", 127);
  OK(S32, "\x80\x7f", -128);
  OK(S32, "\xff\xff\xff\xff\x07", INT32_MAX);
  OK(S32, "\x80\x80\x80\x80\x78", INT32_MIN);
  OK(S32, "\xff\xff\xff\xff\x7f", -1); /* redundant sign groups */
  OK(S32, "\x80\x80\x80\x80\x00", 0);
  BAD(S32, "\xff\xff\xff\xff\x0f", "integer too large", 4); /* 0xffffffff is not an s32 */
  BAD(S32, "\x80\x80\x80\x80\x70", "integer too large", 4);
  BAD(S32, "\x80\x80\x80\x80\x08", "integer too large", 4);
  BAD(S32, "\x80\x80\x80\x80\x80\x00", "integer representation too long", 5);
  BAD(S32, "\xff\xff\xff\xff\xff\x7f", "integer representation too long", 5);
  BAD(S32, "\xff", "unexpected end of section or function", 1);
}

static void test_s33(void) {
  OK(S33, "\x40", -64);
  OK(S33, "\x80\x80\x80\x80\x0f", 0xf0000000ll);
  OK(S33, "\xff\xff\xff\xff\x0f", 0xffffffffll);
  OK(S33, "\x80\x80\x80\x80\x70", -(1ll << 32));
  BAD(S33, "\x80\x80\x80\x80\x10", "integer too large", 4);
  BAD(S33, "\x80\x80\x80\x80\x60", "integer too large", 4);
  BAD(S33, "\x80\x80\x80\x80\x80\x00", "integer representation too long", 5);
}

static void test_64(void) {
  OK(U64, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", UINT64_MAX);
  OK(U64, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 1ull << 63);
  OK(U64, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 0);
  BAD(U64, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", "integer too large", 9);
  BAD(U64, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", "integer too large", 9);
  BAD(U64, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", "integer representation too long", 10);
  OK(S64, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00", INT64_MAX);
  OK(S64, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7f", INT64_MIN);
  OK(S64, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", -1);
  BAD(S64, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", "integer too large", 9);
  BAD(S64, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7e", "integer too large", 9);
  BAD(S64, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", "integer representation too long", 10);
  BAD(S64, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", "integer representation too long", 10);
}

static void test_len(void) {
  OK(LEN, "\x00", 0);
  { /* the count may cover every remaining byte (counted from the LEB itself) */
    uint64_t v;
    kite_error e;
    size_t used;
    CHECK(read_one(LEN, (const uint8_t *)"\x02\x61\x62", 3, &v, &e, &used) && v == 2 && used == 1);
  }
  BAD(LEN, "\x04\x61\x62", "length out of bounds", 0);
  BAD(LEN, "\x80\x80\x80\x80\x10", "integer too large", 4);
}

static void test_types(void) {
  kite_features all = KITE_FEATURES_ALL, mvp = KITE_FEATURE_BIT(FEAT_MVP);
  kite_error err;
  kite_valtype t;
  uint32_t ht;
  static const uint8_t i32[] = {0x7f}, v128[] = {0x7b}, funcref[] = {0x70}, ext[] = {0x6f},
                       ref_null_5[] = {0x63, 0x05}, ref_any[] = {0x64, 0x6e},
                       bad_ref[] = {0x64, 0x68}, long_vt[] = {0xff, 0x7f}, bad_vt[] = {0x7a};
#define RD(fn, bytes, feats, outp)                                                                 \
  (kite_error_clear(&err),                                                                         \
   fn(&(kite_reader){bytes, bytes, bytes + sizeof bytes, &err}, feats, outp))
  CHECK(RD(kite_read_valtype, i32, mvp, &t) && t.kind == KITE_VT_I32);
  CHECK(RD(kite_read_valtype, v128, all, &t) && t.kind == KITE_VT_V128);
  CHECK(!RD(kite_read_valtype, v128, mvp, &t));
  CHECK(RD(kite_read_valtype, funcref, mvp, &t) && t.kind == KITE_VT_REF && t.nullable &&
        t.ht == KITE_HT_FUNC);
  CHECK(!RD(kite_read_valtype, ext, mvp, &t) && strcmp(err.msg, "malformed reference type") == 0);
  CHECK(RD(kite_read_valtype, ext, all, &t) && t.ht == KITE_HT_EXTERN);
  CHECK(RD(kite_read_valtype, ref_null_5, all, &t) && t.nullable && t.ht == 5);
  CHECK(RD(kite_read_valtype, ref_any, all, &t) && !t.nullable && t.ht == KITE_HT_ANY);
  CHECK(!RD(kite_read_valtype, bad_ref, all, &t) && strcmp(err.msg, "malformed heap type") == 0 &&
        err.offset == 1);
  CHECK(!RD(kite_read_valtype, long_vt, all, &t) &&
        strcmp(err.msg, "integer representation too long") == 0 && err.offset == 1);
  CHECK(!RD(kite_read_valtype, bad_vt, all, &t) &&
        strcmp(err.msg, "malformed reference type") == 0 && err.offset == 0);
#undef RD
#define RDH(bytes, feats)                                                                          \
  (kite_error_clear(&err),                                                                         \
   kite_read_heaptype(&(kite_reader){bytes, bytes, bytes + sizeof bytes, &err}, feats, &ht,        \
                      &exact))
  static const uint8_t ht_idx[] = {0x80, 0x01}, ht_long_abs[] = {0xf0, 0x7f},
                       ht_exact[] = {0x62, 0x80, 0x01}, ht_exact_neg[] = {0x62, 0x7f},
                       ref_exact[] = {0x64, 0x62, 0x03};
  bool exact;
  kite_features desc = all, nodesc = all & ~KITE_FEATURE_BIT(FEAT_CUSTOM_DESC);
  CHECK(RDH(ht_idx, all) && ht == 128 && !exact);
  CHECK(!RDH(ht_long_abs, all) && strcmp(err.msg, "integer representation too long") == 0 &&
        err.offset == 1);
  CHECK(RDH(ht_exact, desc) && ht == 128 && exact);
  CHECK(!RDH(ht_exact, nodesc) && strcmp(err.msg, "malformed heap type") == 0);
  CHECK(!RDH(ht_exact_neg, desc) && strcmp(err.msg, "malformed type index") == 0 &&
        err.offset == 1);
  kite_error_clear(&err);
  CHECK(kite_read_valtype(&(kite_reader){ref_exact, ref_exact, ref_exact + 3, &err}, desc, &t) &&
        t.ht == 3 && t.exact && !t.nullable);
#undef RDH
}

int main(void) {
  test_u32();
  test_s32();
  test_s33();
  test_64();
  test_len();
  test_types();
  return test_finish("test_leb");
}
