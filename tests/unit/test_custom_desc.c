/*
** test_custom_desc.c: the custom descriptors proposal through text, binary, validation
** and printing: exact reference types, exact function imports, describes/descriptor
** clauses.
*/
#include <string.h>

#include "runtime.h"
#include "test_util.h"
#include "text.h"
#include "valid.h"

static const kite_features desc = KITE_FEATURES_3_0 | KITE_FEATURE_BIT(FEAT_CUSTOM_DESC);

/* Parse, decode and validate; returns the module (NULL on failure, message in *err). */
static kite_module *compile(kite_alloc *a, const char *wat, kite_features f, kite_error *err) {
  kite_buf b;
  kite_buf_init(&b, a);
  kite_error_clear(err);
  if (!kite_wat_to_wasm(a, wat, strlen(wat), f, &b, err)) {
    kite_buf_free(&b);
    return NULL;
  }
  kite_module *m = kite_decode(a, b.data, b.len, f, NULL, err);
  kite_buf_free(&b);
  if (m && !kite_validate_module(m, f, err)) {
    kite_module_free(m);
    return NULL;
  }
  return m;
}

static bool valid(kite_alloc *a, const char *wat) {
  kite_error err;
  kite_module *m = compile(a, wat, desc, &err);
  kite_module_free(m);
  return m != NULL;
}

static bool invalid_with(kite_alloc *a, const char *wat, const char *msg) {
  kite_error err;
  kite_module *m = compile(a, wat, desc, &err);
  kite_module_free(m);
  return !m && strncmp(err.msg, msg, strlen(msg)) == 0;
}

static void test_exact_subtyping(kite_alloc *a) {
  /* (exact t) <: t, and <: (exact t') only for the same type */
  CHECK(valid(a, "(module (type (struct)) (func (param (ref (exact 0))) (result (ref 0)) "
                 "(local.get 0)))"));
  CHECK(valid(a, "(module (type (struct)) (type (struct)) (func (param (ref (exact 0))) "
                 "(result (ref null (exact 1))) (local.get 0)))"));
  CHECK(invalid_with(a,
                     "(module (type $s (sub (struct))) (type $t (sub $s (struct))) "
                     "(func (param (ref (exact $t))) (result (ref (exact $s))) (local.get 0)))",
                     "type mismatch"));
  CHECK(invalid_with(a,
                     "(module (type (struct)) (func (param (ref 0)) (result (ref (exact 0))) "
                     "(local.get 0)))",
                     "type mismatch"));
  /* the bottom type is below every exact type; allocations are exact */
  CHECK(valid(a, "(module (type (struct)) (func (param (ref none)) (result (ref (exact 0))) "
                 "(local.get 0)) (func (result (ref (exact 0))) (struct.new 0)))"));
  /* a function import is exact only when declared so */
  CHECK(valid(a, "(module (type $f (func)) (import \"m\" \"f\" (func $g (exact (type $f)))) "
                 "(global (ref (exact $f)) (ref.func $g)))"));
  CHECK(invalid_with(a,
                     "(module (type $f (func)) (import \"m\" \"f\" (func $g (type $f))) "
                     "(global (ref (exact $f)) (ref.func $g)))",
                     "type mismatch"));
}

static void test_binary(kite_alloc *a) {
  kite_error err;
  kite_module *m =
      compile(a,
              "(module (rec (type $a (descriptor $b) (struct)) (type $b (describes $a) (struct)))"
              " (type $f (func)) (import \"m\" \"f\" (func (exact (type $f))))"
              " (func (param anyref) (result i32) (ref.test (ref null (exact $a)) (local.get 0))))",
              desc, &err);
  CHECK_MSG(m != NULL, "%s", err.msg);
  if (!m) return;
  CHECK(m->types[0].has_descriptor && m->types[0].descriptor == 1 && !m->types[0].has_describes);
  CHECK(m->types[1].has_describes && m->types[1].describes == 0 && !m->types[1].has_descriptor);
  CHECK(m->nimports == 1 && m->imports[0].exact && m->funcs[0].exact && m->funcs[1].exact);
  /* printing gives text that parses back to the same bytes */
  kite_buf text, again;
  kite_buf_init(&text, a);
  kite_buf_init(&again, a);
  CHECK(kite_wasm_to_wat(m, NULL, &text, &err));
  CHECK(strstr((const char *)text.data, "(exact (type 2))") != NULL);
  CHECK(strstr((const char *)text.data, "(ref null (exact 0))") != NULL);
  CHECK(kite_wat_to_wasm(a, (const char *)text.data, text.len, desc, &again, &err));
  CHECK(again.len == m->len && memcmp(again.data, m->bytes, m->len) == 0);
  kite_buf_free(&text);
  kite_buf_free(&again);
  kite_module_free(m);
  /* without the feature, the exact prefix is no heap type */
  static const uint8_t exact_field[] = {0, 'a', 's',  'm', 1,    0,    0, 0, 1,
                                        7, 1,   0x5f, 1,   0x64, 0x62, 0, 0};
  kite_error_clear(&err);
  m = kite_decode(a, exact_field, sizeof exact_field, KITE_FEATURES_3_0, NULL, &err);
  CHECK(!m && strcmp(err.msg, "malformed storage type") == 0);
  kite_module_free(m);
  kite_error_clear(&err);
  m = kite_decode(a, exact_field, sizeof exact_field, desc, NULL, &err);
  CHECK(m && m->types[0].u.strukt.fields[0].type.exact);
  kite_module_free(m);
}

static void test_descriptor_clauses(kite_alloc *a) {
  CHECK(valid(a, "(module (rec (type $a (sub (descriptor $ad) (struct)))"
                 " (type $ad (sub (describes $a) (struct)))"
                 " (type $b (sub $a (descriptor $bd) (struct)))"
                 " (type $bd (sub $ad (describes $b) (struct)))))"));
  CHECK(invalid_with(a, "(module (type (descriptor 1) (struct)) (type (describes 0) (struct)))",
                     "descriptor type is outside rec group"));
  CHECK(invalid_with(a,
                     "(module (rec (type (describes 1) (struct)) (type (descriptor 0) (struct))))",
                     "forward use of described type"));
  CHECK(invalid_with(
      a, "(module (rec (type (descriptor 1) (array i8)) (type (describes 0) (struct))))",
      "descriptor type must be a struct"));
  /* a supertype with a descriptor needs one in the subtype, and a matching one */
  CHECK(invalid_with(a,
                     "(module (rec (type $a (sub (descriptor $ad) (struct)))"
                     " (type $ad (sub (describes $a) (struct))) (type $b (sub $a (struct)))))",
                     "sub type 2 does not match super type 0"));
  CHECK(invalid_with(a,
                     "(module (rec (type $a (sub (descriptor $ad) (struct)))"
                     " (type $ad (sub (describes $a) (struct)))"
                     " (type $b (sub $a (descriptor $bd) (struct)))"
                     " (type $bd (sub (describes $b) (struct)))))",
                     "descriptor type 3 does not match"));
}

/* Run a module's exported function `name` (i32 param, i32 result) in a fresh store. */
static int32_t run_i32(kite_engine *e, kite_module *m, const char *name, int32_t arg,
                       kite_error *err) {
  kite_store *s = kite_store_new(e);
  kite_instance *inst = s ? kite_instantiate(s, m, NULL, 0, err) : NULL;
  kite_value r = kite_val_i32(0), a = kite_val_i32((uint32_t)arg);
  kite_extern x;
  memset(&x, 0, sizeof x);
  if (inst && kite_instance_export(inst, name, strlen(name), &x) && x.kind == KITE_EXTERN_FUNC) {
    kite_error_clear(err);
    kite_gc_collect(s, NULL); /* objects made while instantiating survive a collection */
    kite_func_call(s, x.u.func, &a, 1, &r, 1, err);
  }
  kite_store_free(s);
  return (int32_t)r.u.i32;
}

static void test_execution(void) {
  kite_engine_config cfg;
  kite_engine_config_default(&cfg);
  cfg.features = desc;
  kite_engine *e = kite_engine_new(&cfg);
  kite_error err;
  const char *wat =
      "(module (rec (type $a (sub (descriptor $ad) (struct (field i32))))"
      "  (type $ad (sub (describes $a) (struct (field i32)))))"
      " (global $d1 (ref (exact $ad)) (struct.new $ad (i32.const 10)))"
      " (global $d2 (ref (exact $ad)) (struct.new $ad (i32.const 20)))"
      " (global $o (ref $a) (struct.new_desc $a (i32.const 7) (global.get $d1)))"
      /* its descriptor is reachable through the object only */
      " (global $o2 (ref $a) (struct.new_desc $a (i32.const 1) (struct.new $ad (i32.const 5))))"
      " (func (export \"get2\") (param i32) (result i32)"
      "  (i32.add (struct.get $a 0 (global.get $o2))"
      "   (struct.get $ad 0 (ref.get_desc $a (global.get $o2)))))"
      " (func (export \"get\") (param i32) (result i32)"
      "  (i32.add (struct.get $a 0 (global.get $o))"
      "   (struct.get $ad 0 (ref.get_desc $a (global.get $o)))))"
      " (func (export \"cast\") (param i32) (result i32)"
      "  (struct.get $a 0 (ref.cast_desc_eq (ref $a) (global.get $o)"
      "   (select (result (ref $ad)) (global.get $d1) (global.get $d2) (local.get 0)))))"
      " (func (export \"br\") (param i32) (result i32)"
      "  (block $l (result (ref $a))"
      "   (br_on_cast_desc_eq $l anyref (ref $a) (global.get $o)"
      "    (select (result (ref $ad)) (global.get $d1) (global.get $d2) (local.get 0)))"
      "   (drop) (return (i32.const -1)))"
      "  (struct.get $a 0))"
      " (func (export \"null\") (param i32) (result i32)"
      "  (drop (struct.new_default_desc $a (ref.null (exact $ad)))) (i32.const 0)))";
  kite_module *m = compile(kite_engine_alloc(e), wat, desc, &err);
  CHECK_MSG(m != NULL, "%s", err.msg);
  if (m) {
    CHECK(run_i32(e, m, "get", 0, &err) == 17 && err.kind == KITE_OK);
    CHECK(run_i32(e, m, "get2", 0, &err) == 6 && err.kind == KITE_OK);
    CHECK(run_i32(e, m, "cast", 1, &err) == 7 && err.kind == KITE_OK);
    run_i32(e, m, "cast", 0, &err);
    CHECK(err.kind == KITE_ERR_RUNTIME && strcmp(err.msg, "descriptor cast failure") == 0);
    CHECK(run_i32(e, m, "br", 1, &err) == 7 && err.kind == KITE_OK);
    CHECK(run_i32(e, m, "br", 0, &err) == -1 && err.kind == KITE_OK);
    run_i32(e, m, "null", 0, &err);
    CHECK(err.kind == KITE_ERR_RUNTIME && strcmp(err.msg, "null descriptor reference") == 0);
    kite_module_free(m);
  }
  kite_engine_free(e);
}

int main(void) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  test_exact_subtyping(&a);
  test_binary(&a);
  test_descriptor_clauses(&a);
  test_execution();
  return test_finish("test_custom_desc");
}
