/*
** test_runtime_types.c: matching types across modules (src/runtime/types.c) when
** linking imports and in call_indirect: iso-recursive equivalence of recursion groups,
** declared subtyping, host-made objects, and shared structure that must not make the
** comparison blow up.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary.h"
#include "runtime.h"
#include "test_util.h"
#include "text.h"
#include "valid.h"

static kite_engine *engine;
static kite_store *store;
static kite_module *modules[32];
static int nmodules;

static kite_module *compile(const char *wat) {
  kite_error err;
  kite_error_clear(&err);
  kite_buf b;
  kite_buf_init(&b, kite_engine_alloc(engine));
  kite_features f = KITE_FEATURES_3_0;
  if (!kite_wat_to_wasm(kite_engine_alloc(engine), wat, strlen(wat), f, &b, &err)) {
    CHECK_MSG(false, "wat: %s at %u:%u", err.msg, err.line, err.col);
    kite_buf_free(&b);
    return NULL;
  }
  kite_module *m = kite_decode(kite_engine_alloc(engine), b.data, b.len, f, NULL, &err);
  kite_buf_free(&b);
  if (!m || !kite_validate_module(m, f, &err)) {
    CHECK_MSG(false, "module: %s", err.msg);
    kite_module_free(m);
    return NULL;
  }
  if (nmodules < 32) modules[nmodules++] = m;
  return m;
}

static kite_extern export_of(kite_instance *inst, const char *name) {
  kite_extern x;
  memset(&x, 0, sizeof x);
  if (inst && !kite_instance_export(inst, name, strlen(name), &x)) memset(&x, 0, sizeof x);
  return x;
}

/* Instantiate wat with one import; true when it links. */
static bool links(const char *wat, kite_extern import) {
  kite_module *m = compile(wat);
  if (!m) return false;
  kite_error err;
  kite_error_clear(&err);
  kite_instance *inst = kite_instantiate(store, m, &import, 1, &err);
  CHECK_MSG(inst || (err.kind == KITE_ERR_LINK && !strcmp(err.msg, "incompatible import type")),
            "unexpected error %s", err.msg);
  return inst != NULL;
}

static kite_instance *instance(const char *wat, const kite_extern *imports, uint32_t n) {
  kite_module *m = compile(wat);
  if (!m) return NULL;
  kite_error err;
  kite_error_clear(&err);
  kite_instance *inst = kite_instantiate(store, m, imports, n, &err);
  CHECK_MSG(inst != NULL, "instantiate: %s", err.msg);
  return inst;
}

static void test_tags(void) {
  kite_instance *ex = instance("(module (rec (type $a (func)) (type $b (func)))"
                               " (tag (export \"t\") (type $b)))",
                               NULL, 0);
  kite_extern t = export_of(ex, "t");
  CHECK(links("(module (rec (type $a (func)) (type $b (func))) (tag (import \"m\" \"t\") (type $b)))", t));
  CHECK(!links("(module (rec (type $a (func)) (type $b (func))) (tag (import \"m\" \"t\") (type $a)))", t));
  CHECK(!links("(module (type $t (func)) (tag (import \"m\" \"t\") (type $t)))", t));
  /* A host tag is a plain function type. */
  kite_valtype i64 = kite_vt(KITE_VT_I64);
  kite_functype ft = {1, 0, &i64, NULL};
  kite_error err;
  kite_error_clear(&err);
  kite_taginst *ht = kite_tag_new(store, &ft, &err);
  CHECK(ht && links("(module (tag (import \"m\" \"t\") (param i64)))", kite_extern_tag(ht)));
  CHECK(!links("(module (tag (import \"m\" \"t\") (param i32)))", kite_extern_tag(ht)));
  CHECK(!links("(module (rec (type (func (param i64))) (type (struct)))"
               " (tag (import \"m\" \"t\") (type 0)))",
               kite_extern_tag(ht)));
}

static void test_subtyping(void) {
  kite_instance *ex = instance(
      "(module (type $super (sub (func))) (type $sub (sub final $super (func)))"
      " (func $f (export \"f\") (type $sub))"
      " (global (export \"g\") (ref $sub) (ref.func $f))"
      " (global (export \"gm\") (mut (ref null $sub)) (ref.null $sub)))",
      NULL, 0);
  kite_extern f = export_of(ex, "f"), g = export_of(ex, "g"), gm = export_of(ex, "gm");
  /* A function of a subtype satisfies an import of its supertype, not the reverse. */
  CHECK(links("(module (type $super (sub (func))) (func (import \"m\" \"f\") (type $super)))", f));
  CHECK(links("(module (type $super (sub (func))) (type $sub (sub final $super (func)))"
              " (func (import \"m\" \"f\") (type $sub)))",
              f));
  CHECK(!links("(module (type $t (func)) (func (import \"m\" \"f\") (type $t)))", f));
  /* Immutable globals are covariant, mutable ones invariant. */
  CHECK(links("(module (global (import \"m\" \"g\") (ref null func)))", g));
  CHECK(links("(module (type $super (sub (func))) (global (import \"m\" \"g\") (ref $super)))", g));
  CHECK(!links("(module (type $t (func)) (global (import \"m\" \"g\") (ref $t)))", g));
  CHECK(!links("(module (global (import \"m\" \"gm\") (mut (ref null func))))", gm));
  CHECK(links("(module (type $super (sub (func))) (type $sub (sub final $super (func)))"
              " (global (import \"m\" \"gm\") (mut (ref null $sub))))",
              gm));
}

static void test_call_indirect(void) {
  kite_instance *ex = instance(
      "(module (rec (type $a (func (result i32))) (type $b (func (result i32))))"
      " (type $p (func (result i32)))"
      " (func (export \"fa\") (type $a) (i32.const 1))"
      " (func (export \"fp\") (type $p) (i32.const 2)))",
      NULL, 0);
  kite_extern imports[2] = {export_of(ex, "fa"), export_of(ex, "fp")};
  kite_instance *im = instance(
      "(module (rec (type $a (func (result i32))) (type $b (func (result i32))))"
      " (type $p (func (result i32)))"
      " (import \"m\" \"fa\" (func $fa (type $a)))"
      " (import \"m\" \"fp\" (func $fp (type $p)))"
      " (table funcref (elem $fa $fp))"
      " (func (export \"as_a\") (param i32) (result i32)"
      "   (call_indirect (type $a) (local.get 0)))"
      " (func (export \"as_b\") (param i32) (result i32)"
      "   (call_indirect (type $b) (local.get 0)))"
      " (func (export \"as_p\") (param i32) (result i32)"
      "   (call_indirect (type $p) (local.get 0))))",
      imports, 2);
  struct {
    const char *f;
    uint32_t idx;
    int32_t want; /* -1: indirect call type mismatch */
  } cases[] = {{"as_a", 0, 1}, {"as_a", 1, -1}, {"as_b", 0, -1},
               {"as_b", 1, -1}, {"as_p", 0, -1}, {"as_p", 1, 2}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    kite_value a = kite_val_i32(cases[i].idx), r;
    kite_error err;
    kite_error_clear(&err);
    kite_funcinst *fn = export_of(im, cases[i].f).u.func;
    bool ok = fn && kite_func_call(store, fn, &a, 1, &r, 1, &err);
    if (cases[i].want < 0)
      CHECK_MSG(!ok && !strcmp(err.msg, "indirect call type mismatch"), "%s(%u)", cases[i].f,
                cases[i].idx);
    else
      CHECK_MSG(ok && r.u.i32 == (uint32_t)cases[i].want, "%s(%u): %s", cases[i].f,
                cases[i].idx, err.msg);
  }
}

/* Types that each refer to the one before twice: compared naively, 2^n steps. */
static void test_shared_structure(void) {
  char wat[8192];
  size_t n = (size_t)snprintf(wat, sizeof wat, "(module (type $t0 (func))");
  for (int i = 1; i <= 60; i++)
    n += (size_t)snprintf(wat + n, sizeof wat - n,
                          " (type $t%d (func (param (ref $t%d) (ref null $t%d))))", i, i - 1,
                          i - 1);
  char ex_wat[8400];
  snprintf(ex_wat, sizeof ex_wat, "%s (func (export \"f\") (type $t60)))", wat);
  kite_instance *ex = instance(ex_wat, NULL, 0);
  char im_wat[8400];
  snprintf(im_wat, sizeof im_wat, "%s (func (import \"m\" \"f\") (type $t60)))", wat);
  CHECK(links(im_wat, export_of(ex, "f")));
  snprintf(im_wat, sizeof im_wat, "%s (func (import \"m\" \"f\") (type $t59)))", wat);
  CHECK(!links(im_wat, export_of(ex, "f")));
}

int main(void) {
  kite_engine_config cfg;
  kite_engine_config_default(&cfg);
  cfg.features = KITE_FEATURES_3_0;
  engine = kite_engine_new(&cfg);
  store = kite_store_new(engine);
  test_tags();
  test_subtyping();
  test_call_indirect();
  test_shared_structure();
  kite_store_free(store);
  for (int i = 0; i < nmodules; i++) kite_module_free(modules[i]);
  CHECK(kite_engine_alloc(engine)->bytes == sizeof(kite_engine));
  kite_engine_free(engine);
  return test_finish("test_runtime_types");
}
