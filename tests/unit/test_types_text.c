/* Value and heap types as text: abbreviations, indices, names, and running out of memory. */
#include "module.h"
#include "test_util.h"

static kite_alloc alloc;

static bool text_is(const kite_module *m, kite_valtype t, const char *want) {
  kite_buf b;
  kite_buf_init(&b, &alloc);
  bool ok = kite_valtype_text(m, t, &b);
  bool same = ok && b.len == strlen(want) && memcmp(b.data, want, b.len) == 0;
  if (!same)
    fprintf(stderr, "got '%.*s', want '%s'\n", (int)b.len, b.data ? (char *)b.data : "", want);
  kite_buf_free(&b);
  return same;
}

static kite_name name_of(const char *s) {
  kite_name n = {(const uint8_t *)s, (uint32_t)strlen(s)};
  return n;
}

int main(void) {
  kite_alloc_init(&alloc, NULL, NULL);

  CHECK(text_is(NULL, kite_vt(KITE_VT_I32), "i32"));
  CHECK(text_is(NULL, kite_vt(KITE_VT_I64), "i64"));
  CHECK(text_is(NULL, kite_vt(KITE_VT_F32), "f32"));
  CHECK(text_is(NULL, kite_vt(KITE_VT_F64), "f64"));
  CHECK(text_is(NULL, kite_vt(KITE_VT_V128), "v128"));
  CHECK(text_is(NULL, kite_vt(KITE_VT_I8), "i8"));
  CHECK(text_is(NULL, kite_vt(KITE_VT_I16), "i16"));

  /* Every abstract heap type has a nullable abbreviation. */
  CHECK(text_is(NULL, kite_vt_ref(KITE_HT_FUNC, true), "funcref"));
  CHECK(text_is(NULL, kite_vt_ref(KITE_HT_EXTERN, true), "externref"));
  CHECK(text_is(NULL, kite_vt_ref(KITE_HT_ANY, true), "anyref"));
  CHECK(text_is(NULL, kite_vt_ref(KITE_HT_EQ, true), "eqref"));
  CHECK(text_is(NULL, kite_vt_ref(KITE_HT_I31, true), "i31ref"));
  CHECK(text_is(NULL, kite_vt_ref(KITE_HT_STRUCT, true), "structref"));
  CHECK(text_is(NULL, kite_vt_ref(KITE_HT_ARRAY, true), "arrayref"));
  CHECK(text_is(NULL, kite_vt_ref(KITE_HT_EXN, true), "exnref"));
  CHECK(text_is(NULL, kite_vt_ref(KITE_HT_NONE, true), "nullref"));
  CHECK(text_is(NULL, kite_vt_ref(KITE_HT_NOFUNC, true), "nullfuncref"));
  CHECK(text_is(NULL, kite_vt_ref(KITE_HT_NOEXTERN, true), "nullexternref"));
  CHECK(text_is(NULL, kite_vt_ref(KITE_HT_NOEXN, true), "nullexnref"));

  /* Non-nullable references and type indices have no abbreviation. */
  CHECK(text_is(NULL, kite_vt_ref(KITE_HT_FUNC, false), "(ref func)"));
  CHECK(text_is(NULL, kite_vt_ref(KITE_HT_NONE, false), "(ref none)"));
  CHECK(text_is(NULL, kite_vt_ref(3, true), "(ref null 3)"));
  CHECK(text_is(NULL, kite_vt_ref(0, false), "(ref 0)"));
  kite_valtype exact = kite_vt_ref(2, false);
  exact.exact = 1;
  CHECK(text_is(NULL, exact, "(ref (exact 2))"));

  /* Names from the name section are used when they are identifiers. */
  kite_module m;
  memset(&m, 0, sizeof m);
  kite_naming names[] = {{1, name_of("point")}, {2, name_of("has space")}, {4, name_of("")}};
  m.has_names = true;
  m.names.maps[KITE_NAMES_TYPE].count = 3;
  m.names.maps[KITE_NAMES_TYPE].names = names;
  CHECK(text_is(&m, kite_vt_ref(1, false), "(ref $point)"));
  CHECK(text_is(&m, kite_vt_ref(1, true), "(ref null $point)"));
  CHECK(text_is(&m, kite_vt_ref(2, true), "(ref null 2)"));
  CHECK(text_is(&m, kite_vt_ref(4, true), "(ref null 4)"));
  CHECK(text_is(&m, kite_vt_ref(5, true), "(ref null 5)"));
  CHECK(text_is(NULL, kite_vt_ref(1, true), "(ref null 1)"));

  CHECK(kite_name_is_id(name_of("a.b/c'd")));
  CHECK(!kite_name_is_id(name_of("a,b")));
  CHECK(!kite_name_is_id(name_of("caf\xc3\xa9")));

  CHECK(strcmp(kite_externkind_text(KITE_EXTERN_MEMORY), "memory") == 0);
  CHECK(strcmp(kite_externkind_text(KITE_EXTERN_TAG), "tag") == 0);
  CHECK(kite_numtype_text(KITE_VT_REF) == NULL);
  CHECK(kite_abstract_heaptype_text(7) == NULL);

  /* Out of memory is reported, not a crash, at every allocation. */
  for (uint64_t n = 1; n <= 3; n++) {
    kite_alloc failing;
    kite_alloc_init(&failing, NULL, NULL);
    failing.fail_at = n;
    kite_buf b;
    kite_buf_init(&b, &failing);
    bool ok = kite_valtype_text(&m, kite_vt_ref(1, true), &b);
    CHECK(ok == !b.oom);
    kite_buf_free(&b);
  }
  kite_buf b;
  kite_alloc failing;
  kite_alloc_init(&failing, NULL, NULL);
  failing.fail_at = 1;
  kite_buf_init(&b, &failing);
  CHECK(!kite_valtype_text(NULL, kite_vt_ref(KITE_HT_FUNC, false), &b));
  kite_buf_free(&b);

  return test_finish("test_types_text");
}
