/*
** test_wasm_c_api_all.c: every function wasm.h declares, called at least once with its
** result checked, so that none is a stub: configs, every vector family, every type and
** its extern-type views, and for every reference type its copy, same, host info (with
** finalizers) and views to and from wasm_ref_t. test_wasm_c_api.c has the programs.
*/
#include <stdlib.h>
#include <string.h>

#include "wasm.h"

#include "test_util.h"
#include "text.h"

static wasm_module_t *module_from_wat(wasm_store_t *store, const char *src) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_buf b;
  kite_buf_init(&b, &a);
  kite_error err;
  kite_error_clear(&err);
  wasm_module_t *m = NULL;
  if (kite_wat_to_wasm(&a, src, strlen(src), KITE_FEATURES_ALL, &b, &err)) {
    wasm_byte_vec_t binary;
    wasm_byte_vec_new_uninitialized(&binary, b.len);
    CHECK(binary.size == b.len);
    memcpy(binary.data, b.data, b.len);
    m = wasm_module_new(store, &binary);
    wasm_byte_vec_delete(&binary);
  } else {
    fprintf(stderr, "wat: %s\n", err.msg);
  }
  kite_buf_free(&b);
  return m;
}

/* ---- configs ---- */

static void test_config(void) {
  wasm_config_t *c = wasm_config_new();
  CHECK(c != NULL);
  wasm_config_delete(c);
  wasm_engine_t *e = wasm_engine_new_with_config(wasm_config_new()); /* takes the config */
  CHECK(e != NULL);
  wasm_store_t *s = wasm_store_new(e);
  CHECK(s != NULL);
  wasm_store_delete(s);
  wasm_engine_delete(e);
}

/* ---- vectors of every element type ---- */

/* new_empty, new_uninitialized, new (taking the elements), copy (deep), delete. */
#define CHECK_PTR_VEC(name, make)                                                                  \
  do {                                                                                             \
    wasm_##name##_vec_t empty, unin, full, copy;                                                   \
    wasm_##name##_vec_new_empty(&empty);                                                           \
    CHECK(empty.size == 0 && empty.data == NULL);                                                  \
    wasm_##name##_vec_delete(&empty);                                                              \
    wasm_##name##_vec_new_uninitialized(&unin, 2);                                                 \
    CHECK(unin.size == 2 && unin.data[0] == NULL && unin.data[1] == NULL);                         \
    wasm_##name##_vec_delete(&unin);                                                               \
    wasm_##name##_t *elems[2] = {make, make};                                                      \
    wasm_##name##_vec_new(&full, 2, elems);                                                        \
    CHECK(full.size == 2 && full.data[0] == elems[0] && full.data[1] == elems[1]);                 \
    wasm_##name##_vec_copy(&copy, &full);                                                          \
    CHECK(copy.size == 2 && copy.data[0] != NULL && copy.data[1] != NULL);                         \
    wasm_##name##_vec_delete(&full);                                                               \
    CHECK(full.size == 0 && full.data == NULL);                                                    \
    wasm_##name##_vec_delete(&copy);                                                               \
  } while (0)

static wasm_externtype_t *an_externtype(void) {
  wasm_limits_t l = {1, 3};
  return wasm_memorytype_as_externtype(wasm_memorytype_new(&l));
}

static wasm_importtype_t *an_importtype(void) {
  wasm_name_t m, n;
  wasm_name_new_from_string(&m, "env");
  wasm_name_new_from_string(&n, "g");
  return wasm_importtype_new(
      &m, &n, wasm_globaltype_as_externtype(wasm_globaltype_new(wasm_valtype_new_i64(), WASM_VAR)));
}

static wasm_exporttype_t *an_exporttype(void) {
  wasm_name_t n;
  wasm_name_new_from_string_nt(&n, "f");
  return wasm_exporttype_new(&n, wasm_functype_as_externtype(wasm_functype_new_0_0()));
}

static void test_vectors(void) {
  wasm_limits_t l = {0, wasm_limits_max_default};
  CHECK_PTR_VEC(valtype, wasm_valtype_new_f32());
  CHECK_PTR_VEC(functype, wasm_functype_new_1_0(wasm_valtype_new_i32()));
  CHECK_PTR_VEC(globaltype, wasm_globaltype_new(wasm_valtype_new_f64(), WASM_CONST));
  CHECK_PTR_VEC(tabletype, wasm_tabletype_new(wasm_valtype_new_funcref(), &l));
  CHECK_PTR_VEC(memorytype, wasm_memorytype_new(&l));
  CHECK_PTR_VEC(tagtype, wasm_tagtype_new(wasm_functype_new_0_0()));
  CHECK_PTR_VEC(externtype, an_externtype());
  CHECK_PTR_VEC(importtype, an_importtype());
  CHECK_PTR_VEC(exporttype, an_exporttype());

  /* Values: copying a vector copies each value. */
  wasm_val_vec_t vals, vcopy, vempty;
  wasm_val_t init[3] = {WASM_I32_VAL(1), WASM_F64_VAL(2.5), WASM_REF_VAL(NULL)};
  wasm_val_vec_new(&vals, 3, init);
  CHECK(vals.size == 3 && vals.data[1].of.f64 == 2.5);
  wasm_val_vec_copy(&vcopy, &vals);
  CHECK(vcopy.size == 3 && vcopy.data[0].of.i32 == 1 && vcopy.data[2].of.ref == NULL);
  wasm_val_vec_delete(&vals);
  wasm_val_vec_delete(&vcopy);
  wasm_val_vec_new_empty(&vempty);
  CHECK(vempty.size == 0);
  wasm_val_vec_new_uninitialized(&vempty, 4);
  CHECK(vempty.size == 4);
  wasm_val_vec_delete(&vempty);

  CHECK(wasm_valkind_is_num(WASM_I64) && !wasm_valkind_is_ref(WASM_F32));
  CHECK(wasm_valkind_is_ref(WASM_FUNCREF) && !wasm_valkind_is_num(WASM_EXTERNREF));
}

/* ---- types and their extern-type views ---- */

static void test_types(void) {
  wasm_valtype_t *v = wasm_valtype_new_i32();
  wasm_valtype_t *vc = wasm_valtype_copy(v);
  CHECK(vc != v && wasm_valtype_kind(vc) == WASM_I32);
  wasm_valtype_delete(v);
  wasm_valtype_delete(vc);

  /* The functype_new_P_R shorthands. */
  wasm_functype_t *fts[] = {
      wasm_functype_new_0_2(wasm_valtype_new_i32(), wasm_valtype_new_i64()),
      wasm_functype_new_1_2(wasm_valtype_new_i32(), wasm_valtype_new_i32(), wasm_valtype_new_i64()),
      wasm_functype_new_2_2(wasm_valtype_new_i32(), wasm_valtype_new_i32(), wasm_valtype_new_i32(),
                            wasm_valtype_new_i64()),
      wasm_functype_new_3_0(wasm_valtype_new_i32(), wasm_valtype_new_i32(), wasm_valtype_new_i32()),
      wasm_functype_new_3_1(wasm_valtype_new_i32(), wasm_valtype_new_i32(), wasm_valtype_new_i32(),
                            wasm_valtype_new_f32()),
      wasm_functype_new_3_2(wasm_valtype_new_i32(), wasm_valtype_new_i32(), wasm_valtype_new_i32(),
                            wasm_valtype_new_f32(), wasm_valtype_new_f64())};
  size_t params[] = {0, 1, 2, 3, 3, 3}, results[] = {2, 2, 2, 0, 1, 2};
  for (size_t i = 0; i < 6; i++) {
    wasm_functype_t *c = wasm_functype_copy(fts[i]);
    CHECK(wasm_functype_params(c)->size == params[i]);
    CHECK(wasm_functype_results(c)->size == results[i]);
    const wasm_externtype_t *x = wasm_functype_as_externtype_const(c);
    CHECK(wasm_externtype_kind(x) == WASM_EXTERN_FUNC && wasm_externtype_as_functype_const(x) == c);
    wasm_functype_delete(c);
    wasm_functype_delete(fts[i]);
  }

  wasm_globaltype_t *g = wasm_globaltype_new(wasm_valtype_new_f32(), WASM_VAR);
  wasm_globaltype_t *gc = wasm_globaltype_copy(g);
  CHECK(wasm_globaltype_mutability(gc) == WASM_VAR);
  CHECK(wasm_valtype_kind(wasm_globaltype_content(gc)) == WASM_F32);
  wasm_externtype_t *gx = wasm_globaltype_as_externtype(g);
  CHECK(wasm_externtype_as_globaltype(gx) == g && wasm_externtype_as_tabletype(gx) == NULL);
  CHECK(wasm_externtype_as_globaltype_const(wasm_globaltype_as_externtype_const(gc)) == gc);
  wasm_globaltype_delete(g);
  wasm_globaltype_delete(gc);

  wasm_limits_t l = {2, 7};
  wasm_tabletype_t *t = wasm_tabletype_new(wasm_valtype_new_externref(), &l);
  wasm_tabletype_t *tc = wasm_tabletype_copy(t);
  CHECK(wasm_tabletype_limits(tc)->min == 2 && wasm_tabletype_limits(tc)->max == 7);
  CHECK(wasm_valtype_kind(wasm_tabletype_element(tc)) == WASM_EXTERNREF);
  wasm_externtype_t *tx = wasm_tabletype_as_externtype(t);
  CHECK(wasm_externtype_kind(tx) == WASM_EXTERN_TABLE && wasm_externtype_as_tabletype(tx) == t);
  CHECK(wasm_externtype_as_tabletype_const(wasm_tabletype_as_externtype_const(tc)) == tc);
  CHECK(wasm_externtype_as_globaltype(tx) == NULL);
  wasm_tabletype_delete(t);
  wasm_tabletype_delete(tc);

  wasm_memorytype_t *m = wasm_memorytype_new(&l);
  wasm_memorytype_t *mc = wasm_memorytype_copy(m);
  CHECK(wasm_memorytype_limits(mc)->min == 2 && wasm_memorytype_limits(mc)->max == 7);
  CHECK(wasm_externtype_as_memorytype_const(wasm_memorytype_as_externtype_const(mc)) == mc);
  wasm_memorytype_delete(m);
  wasm_memorytype_delete(mc);

  wasm_tagtype_t *tag = wasm_tagtype_new(wasm_functype_new_1_0(wasm_valtype_new_i32()));
  wasm_tagtype_t *tagc = wasm_tagtype_copy(tag);
  CHECK(wasm_functype_params(wasm_tagtype_functype(tagc))->size == 1);
  wasm_externtype_t *tagx = wasm_tagtype_as_externtype(tag);
  CHECK(wasm_externtype_as_tagtype(tagx) == tag);
  CHECK(wasm_externtype_as_tagtype_const(wasm_tagtype_as_externtype_const(tagc)) == tagc);
  wasm_tagtype_delete(tag);
  wasm_tagtype_delete(tagc);

  wasm_exporttype_t *e = an_exporttype();
  wasm_exporttype_t *ec = wasm_exporttype_copy(e);
  CHECK(wasm_exporttype_name(ec)->size == 2); /* "f" with its NUL */
  CHECK(wasm_externtype_kind(wasm_exporttype_type(ec)) == WASM_EXTERN_FUNC);
  wasm_exporttype_delete(e);
  wasm_exporttype_delete(ec);
}

/* ---- references ---- */

static int finalized[8];
static void finalize(void *info) { finalized[(intptr_t)info]++; }

static wasm_trap_t *nop_callback(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)args, (void)results;
  return NULL;
}

/* copy is the same object, same compares, host info is shared and can be reset. */
#define CHECK_REF(name, x, slot)                                                                   \
  do {                                                                                             \
    wasm_##name##_t *c_ = wasm_##name##_copy(x);                                                   \
    CHECK(c_ != NULL && wasm_##name##_same(c_, x));                                                \
    wasm_##name##_set_host_info(x, (void *)(intptr_t)(slot));                                      \
    CHECK(wasm_##name##_get_host_info(c_) == (void *)(intptr_t)(slot));                            \
    wasm_##name##_set_host_info_with_finalizer(c_, (void *)(intptr_t)(slot), finalize);            \
    CHECK(wasm_##name##_get_host_info(x) == (void *)(intptr_t)(slot));                             \
    wasm_ref_t *r_ = wasm_##name##_as_ref(x);                                                      \
    CHECK(r_ != NULL && wasm_ref_as_##name(r_) == x);                                              \
    CHECK(wasm_ref_as_##name##_const(wasm_##name##_as_ref_const(x)) == x);                         \
    CHECK(wasm_ref_get_host_info(r_) == (void *)(intptr_t)(slot));                                 \
    wasm_##name##_delete(c_);                                                                      \
  } while (0)

static void test_refs(void) {
  memset(finalized, 0, sizeof finalized);
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wasm_module_t *module = module_from_wat(
      store, "(module (func (export \"f\")) (global (export \"g\") (mut i32) (i32.const 1))\n"
             " (table (export \"t\") 1 funcref) (memory (export \"m\") 1))");
  CHECK(module != NULL);
  if (!module) return;
  wasm_extern_vec_t none = WASM_EMPTY_VEC;
  wasm_instance_t *inst = wasm_instance_new(store, module, &none, NULL);
  CHECK(inst != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(inst, &exports);
  CHECK(exports.size == 4);
  if (exports.size != 4) return;
  wasm_func_t *f = wasm_extern_as_func(exports.data[0]);
  wasm_global_t *g = wasm_extern_as_global(exports.data[1]);
  wasm_table_t *t = wasm_extern_as_table(exports.data[2]);
  wasm_memory_t *m = wasm_extern_as_memory(exports.data[3]);
  CHECK(f && g && t && m);

  CHECK_REF(func, f, 1);
  CHECK_REF(global, g, 2);
  CHECK_REF(table, t, 3);
  CHECK_REF(memory, m, 4);
  CHECK_REF(instance, inst, 5);
  wasm_foreign_t *foreign = wasm_foreign_new(store);
  CHECK_REF(foreign, foreign, 6);
  CHECK(!wasm_foreign_same(foreign, wasm_foreign_new(store)));

  /* Externs: views in both directions, const and not, and as references. */
  CHECK(wasm_func_as_extern(f) == exports.data[0]);
  CHECK(wasm_global_as_extern_const(g) == exports.data[1]);
  CHECK(wasm_table_as_extern(t) == exports.data[2] && wasm_table_as_extern_const(t) != NULL);
  CHECK(wasm_memory_as_extern(m) == exports.data[3] && wasm_memory_as_extern_const(m) != NULL);
  CHECK(wasm_func_as_extern_const(f) == exports.data[0]);
  CHECK(wasm_extern_as_func_const(exports.data[0]) == f);
  CHECK(wasm_extern_as_global_const(exports.data[1]) == g);
  CHECK(wasm_extern_as_table_const(exports.data[2]) == t);
  CHECK(wasm_extern_as_memory_const(exports.data[3]) == m);
  CHECK(wasm_extern_as_func_const(exports.data[1]) == NULL);
  wasm_extern_t *x = wasm_extern_copy(exports.data[2]);
  CHECK(wasm_extern_same(x, exports.data[2]) && !wasm_extern_same(x, exports.data[3]));
  CHECK(wasm_extern_get_host_info(x) == (void *)3); /* the table's, set above */
  wasm_extern_set_host_info(x, (void *)3);
  wasm_extern_set_host_info_with_finalizer(x, (void *)3, finalize);
  wasm_ref_t *xr = wasm_extern_as_ref(x);
  CHECK(wasm_ref_as_extern(xr) == x && wasm_ref_as_table(xr) == t);
  CHECK(wasm_ref_as_extern_const(wasm_extern_as_ref_const(x)) == x);
  CHECK(wasm_ref_as_memory(xr) == NULL && wasm_ref_as_func_const(xr) == NULL);
  CHECK(wasm_ref_as_global(wasm_global_as_ref(g)) == g);
  CHECK(wasm_ref_as_global_const(wasm_global_as_ref_const(g)) == g);
  CHECK(wasm_ref_as_memory_const(wasm_memory_as_ref_const(m)) == m);
  CHECK(wasm_ref_as_table_const(wasm_table_as_ref_const(t)) == t);
  CHECK(wasm_ref_as_instance(wasm_instance_as_ref(inst)) == inst);
  CHECK(wasm_ref_as_instance_const(wasm_instance_as_ref_const(inst)) == inst);
  CHECK(wasm_ref_as_foreign_const(wasm_foreign_as_ref_const(foreign)) == foreign);
  CHECK(wasm_ref_as_func(wasm_foreign_as_ref(foreign)) == NULL);
  wasm_extern_delete(x);
  wasm_ref_set_host_info(wasm_func_as_ref(f), (void *)1);
  wasm_ref_set_host_info_with_finalizer(wasm_func_as_ref(f), (void *)1, finalize);

  /* Vectors of externs and frames. */
  wasm_extern_vec_t xs, xcopy, xempty;
  wasm_extern_t *two[2] = {exports.data[0], exports.data[1]};
  wasm_extern_vec_new(&xs, 2, two);
  wasm_extern_vec_copy(&xcopy, &xs);
  CHECK(xcopy.size == 2 && wasm_extern_same(xcopy.data[1], exports.data[1]));
  wasm_extern_vec_delete(&xs);
  wasm_extern_vec_delete(&xcopy);
  wasm_extern_vec_new_empty(&xempty);
  wasm_extern_vec_new_uninitialized(&xempty, 1);
  CHECK(xempty.size == 1 && xempty.data[0] == NULL);
  wasm_extern_vec_delete(&xempty);

  /* Modules as references; host info on a module handle finalizes with the handle. */
  wasm_ref_t *mr = wasm_module_as_ref(module);
  CHECK(wasm_ref_as_module(mr) == module);
  CHECK(wasm_ref_as_module_const(wasm_module_as_ref_const(module)) == module);
  wasm_module_set_host_info(module, (void *)7);
  CHECK(wasm_module_get_host_info(module) == (void *)7);
  wasm_module_t *module2 = wasm_module_copy(module);
  wasm_module_set_host_info_with_finalizer(module2, (void *)7, finalize);
  wasm_module_delete(module2);
  CHECK(finalized[7] == 1);

  /* Traps: references with host info, copies, and their frames' vectors. */
  wasm_functype_t *ft = wasm_functype_new_0_0();
  wasm_func_t *host = wasm_func_new(store, ft, nop_callback);
  wasm_functype_delete(ft);
  CHECK(host != NULL);
  wasm_func_t *hc = wasm_func_copy(host);
  CHECK(wasm_func_same(hc, host));
  wasm_message_t msg;
  wasm_name_new_from_string_nt(&msg, "boom");
  wasm_trap_t *trap = wasm_trap_new(store, &msg);
  wasm_name_delete(&msg);
  wasm_trap_t *tc = wasm_trap_copy(trap);
  CHECK(wasm_trap_same(trap, trap) && !wasm_trap_same(trap, tc));
  wasm_trap_set_host_info(trap, (void *)0);
  wasm_trap_set_host_info_with_finalizer(trap, (void *)0, finalize);
  CHECK(wasm_trap_get_host_info(trap) == (void *)0);
  CHECK(wasm_ref_as_trap(wasm_trap_as_ref(trap)) == trap);
  CHECK(wasm_ref_as_trap_const(wasm_trap_as_ref_const(trap)) == trap);
  wasm_trap_delete(trap);
  CHECK(finalized[0] == 1);
  wasm_frame_vec_t frames, fcopy;
  wasm_trap_trace(tc, &frames);
  CHECK(frames.size == 0);
  wasm_frame_vec_copy(&fcopy, &frames);
  wasm_frame_vec_delete(&frames);
  wasm_frame_vec_delete(&fcopy);
  wasm_frame_vec_new_empty(&frames);
  wasm_frame_vec_new_uninitialized(&frames, 2);
  CHECK(frames.size == 2 && frames.data[0] == NULL);
  wasm_frame_vec_new(&fcopy, 2, frames.data);
  wasm_frame_vec_delete(&fcopy);
  wasm_frame_vec_delete(&frames);
  wasm_trap_delete(tc);

  wasm_extern_vec_delete(&exports);
  wasm_module_delete(module);
  /* The objects' finalizers run once each, when the store goes. */
  CHECK(finalized[1] == 0 && finalized[5] == 0);
  wasm_store_delete(store);
  for (int i = 1; i <= 6; i++)
    CHECK_MSG(finalized[i] == 1, "finalizer %d ran %d times", i, finalized[i]);
  wasm_engine_delete(engine);
}

int main(void) {
  test_config();
  test_vectors();
  test_types();
  test_refs();
  return test_finish("test_wasm_c_api_all");
}
