/*
** test_wasm_c_api.c: the standard wasm-c-api (include/wasm.h), through programs in the
** manner of that project's examples: hello, callback (with closures), global, memory,
** table, trap, multi-value, reflect, finalize, serialize, threads, start and hostref.
*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kite.h"
#include "wasm.h"

#include "capi.h"
#include "test_util.h"
#include "text.h"

/* ---- helpers ---- */

static void wat_bytes(const char *src, wasm_byte_vec_t *out) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_buf b;
  kite_buf_init(&b, &a);
  kite_error err;
  kite_error_clear(&err);
  if (!kite_wat_to_wasm(&a, src, strlen(src), KITE_FEATURES_ALL, &b, &err)) {
    fprintf(stderr, "wat: %s\n", err.msg);
    wasm_byte_vec_new_empty(out);
  } else {
    wasm_byte_vec_new(out, b.len, (const wasm_byte_t *)b.data);
  }
  kite_buf_free(&b);
}

static wasm_module_t *module_from_wat(wasm_store_t *store, const char *src) {
  wasm_byte_vec_t binary;
  wat_bytes(src, &binary);
  wasm_module_t *m = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  return m;
}

static wasm_func_t *export_func(const wasm_extern_vec_t *exports, size_t i) {
  return i < exports->size ? wasm_extern_as_func(exports->data[i]) : NULL;
}

static bool trap_says(wasm_trap_t *trap, const char *text) {
  if (!trap) return false;
  wasm_message_t msg;
  wasm_trap_message(trap, &msg);
  bool ok = msg.size > 0 && msg.data[msg.size - 1] == 0 && strstr(msg.data, text) != NULL;
  if (!ok) fprintf(stderr, "trap message: %.*s\n", (int)msg.size, msg.data);
  wasm_byte_vec_delete(&msg);
  wasm_trap_delete(trap);
  return ok;
}

/* ---- hello ---- */

static int hello_calls;

static wasm_trap_t *hello_callback(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)args, (void)results;
  hello_calls++;
  return NULL;
}

static void test_hello(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wasm_module_t *module = module_from_wat(
      store, "(module (func $hello (import \"\" \"hello\")) (func (export \"run\") call $hello))");
  CHECK(module != NULL);
  wasm_functype_t *hello_type = wasm_functype_new_0_0();
  wasm_func_t *hello = wasm_func_new(store, hello_type, hello_callback);
  wasm_functype_delete(hello_type);
  wasm_extern_t *externs[] = {wasm_func_as_extern(hello)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t *instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  CHECK(exports.size == 1);
  wasm_func_t *run = export_func(&exports, 0);
  CHECK(run != NULL && wasm_func_param_arity(run) == 0 && wasm_func_result_arity(run) == 0);
  wasm_val_vec_t args = WASM_EMPTY_VEC, results = WASM_EMPTY_VEC;
  CHECK(wasm_func_call(run, &args, &results) == NULL);
  CHECK(hello_calls == 1);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_func_delete(hello);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

/* ---- callback: host functions, closures with finalizers ---- */

static wasm_trap_t *print_callback(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  CHECK(args->size == 1 && results->size == 1 && args->data[0].kind == WASM_I32);
  wasm_val_copy(&results->data[0], &args->data[0]);
  return NULL;
}

typedef struct closure_env {
  int value;
  int finalized;
} closure_env;

static wasm_trap_t *closure_callback(void *env, const wasm_val_vec_t *args,
                                     wasm_val_vec_t *results) {
  (void)args;
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = ((closure_env *)env)->value;
  return NULL;
}

static void closure_finalize(void *env) { ((closure_env *)env)->finalized++; }

static void test_callback(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wasm_module_t *module = module_from_wat(
      store, "(module (func $print (import \"\" \"print\") (param i32) (result i32))\n"
             " (func $closure (import \"\" \"closure\") (result i32))\n"
             " (func (export \"run\") (param $x i32) (param $y i32) (result i32)\n"
             "  (i32.add (call $print (i32.add (local.get $x) (local.get $y))) (call $closure))))");
  wasm_functype_t *print_type =
      wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t *print = wasm_func_new(store, print_type, print_callback);
  closure_env env = {42, 0};
  wasm_functype_t *closure_type = wasm_functype_new_0_1(wasm_valtype_new_i32());
  wasm_func_t *closure =
      wasm_func_new_with_env(store, closure_type, closure_callback, &env, closure_finalize);
  wasm_functype_delete(print_type);
  wasm_functype_delete(closure_type);
  wasm_extern_t *externs[] = {wasm_func_as_extern(print), wasm_func_as_extern(closure)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t *instance = wasm_instance_new(store, module, &imports, NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_func_t *run = export_func(&exports, 0);
  wasm_val_t as[2] = {WASM_I32_VAL(3), WASM_I32_VAL(4)};
  wasm_val_t rs[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(as), results = WASM_ARRAY_VEC(rs);
  CHECK(wasm_func_call(run, &args, &results) == NULL);
  CHECK(rs[0].kind == WASM_I32 && rs[0].of.i32 == 49);
  /* Wrong argument count: a trap, not a crash. */
  wasm_val_vec_t one = {1, as};
  CHECK(trap_says(wasm_func_call(run, &one, &results), "arguments"));
  /* The function's type. */
  wasm_functype_t *ft = wasm_func_type(run);
  CHECK(wasm_functype_params(ft)->size == 2 && wasm_functype_results(ft)->size == 1);
  CHECK(wasm_valtype_kind(wasm_functype_params(ft)->data[1]) == WASM_I32);
  wasm_functype_delete(ft);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  CHECK(env.finalized == 0);
  wasm_store_delete(store);
  CHECK(env.finalized == 1);
  wasm_engine_delete(engine);
}

/* ---- global ---- */

static void test_global(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wasm_module_t *module = module_from_wat(
      store, "(module (global $imp_c (import \"\" \"const\") f32)\n"
             " (global $imp_v (import \"\" \"var\") (mut i64))\n"
             " (global $c (export \"const\") f64 (f64.const 5))\n"
             " (global $v (export \"var\") (mut i32) (i32.const 7))\n"
             " (func (export \"get_imp_c\") (result f32) global.get $imp_c)\n"
             " (func (export \"get_imp_v\") (result i64) global.get $imp_v)\n"
             " (func (export \"set_imp_v\") (param i64) local.get 0 global.set $imp_v)\n"
             " (func (export \"get_v\") (result i32) global.get $v)\n"
             " (func (export \"set_v\") (param i32) local.get 0 global.set $v))");
  CHECK(module != NULL);
  wasm_globaltype_t *ct = wasm_globaltype_new(wasm_valtype_new_f32(), WASM_CONST);
  wasm_globaltype_t *vt = wasm_globaltype_new(wasm_valtype_new_i64(), WASM_VAR);
  wasm_val_t c_init = WASM_F32_VAL(1.5f), v_init = WASM_I64_VAL(2);
  wasm_global_t *imp_c = wasm_global_new(store, ct, &c_init);
  wasm_global_t *imp_v = wasm_global_new(store, vt, &v_init);
  wasm_globaltype_delete(ct);
  wasm_globaltype_delete(vt);
  wasm_extern_t *externs[] = {wasm_global_as_extern(imp_c), wasm_global_as_extern(imp_v)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t *instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  CHECK(exports.size == 7);
  wasm_global_t *c = wasm_extern_as_global(exports.data[0]);
  wasm_global_t *v = wasm_extern_as_global(exports.data[1]);
  CHECK(c && v && !wasm_extern_as_func(exports.data[0]));
  wasm_globaltype_t *gt = wasm_global_type(c);
  CHECK(wasm_valtype_kind(wasm_globaltype_content(gt)) == WASM_F64);
  CHECK(wasm_globaltype_mutability(gt) == WASM_CONST);
  wasm_globaltype_delete(gt);
  wasm_val_t val;
  wasm_global_get(c, &val);
  CHECK(val.kind == WASM_F64 && val.of.f64 == 5);
  wasm_global_get(imp_c, &val);
  CHECK(val.kind == WASM_F32 && val.of.f32 == 1.5f);

  /* Set from the host, read from wasm, and the other way round. */
  wasm_val_t nv = WASM_I64_VAL(-9);
  wasm_global_set(imp_v, &nv);
  wasm_val_t rs[1] = {WASM_INIT_VAL};
  wasm_val_vec_t none = WASM_EMPTY_VEC, results = WASM_ARRAY_VEC(rs);
  CHECK(wasm_func_call(export_func(&exports, 3), &none, &results) == NULL);
  CHECK(rs[0].kind == WASM_I64 && rs[0].of.i64 == -9);
  wasm_val_t as[1] = {WASM_I64_VAL(100)};
  wasm_val_vec_t args = WASM_ARRAY_VEC(as);
  CHECK(wasm_func_call(export_func(&exports, 4), &args, &none) == NULL);
  wasm_global_get(imp_v, &val);
  CHECK(val.of.i64 == 100);
  wasm_val_t a32[1] = {WASM_I32_VAL(11)};
  wasm_val_vec_t args32 = WASM_ARRAY_VEC(a32);
  CHECK(wasm_func_call(export_func(&exports, 6), &args32, &none) == NULL);
  wasm_global_get(v, &val);
  CHECK(val.kind == WASM_I32 && val.of.i32 == 11);
  /* A wrong kind is ignored. */
  wasm_val_t wrong = WASM_F64_VAL(1);
  wasm_global_set(v, &wrong);
  wasm_global_get(v, &val);
  CHECK(val.of.i32 == 11);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

/* ---- memory ---- */

static int32_t call_i32(const wasm_func_t *f, int nargs, int32_t a, int32_t b, wasm_trap_t **trap) {
  wasm_val_t as[2] = {WASM_I32_VAL(a), WASM_I32_VAL(b)};
  wasm_val_t rs[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = {(size_t)nargs, as}, results = {wasm_func_result_arity(f), rs};
  *trap = wasm_func_call(f, &args, &results);
  return rs[0].of.i32;
}

static void test_memory(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wasm_module_t *module = module_from_wat(
      store, "(module (memory (export \"memory\") 2 3)\n"
             " (func (export \"size\") (result i32) memory.size)\n"
             " (func (export \"load\") (param i32) (result i32) local.get 0 i32.load8_s)\n"
             " (func (export \"store\") (param i32 i32) local.get 0 local.get 1 i32.store8)\n"
             " (data (i32.const 0x1000) \"\\01\\02\\03\\04\"))");
  wasm_instance_t *instance = wasm_instance_new(store, module, NULL, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_memory_t *memory = wasm_extern_as_memory(exports.data[0]);
  wasm_func_t *size = export_func(&exports, 1), *load = export_func(&exports, 2),
              *store_fn = export_func(&exports, 3);
  CHECK(memory && size && load && store_fn);
  CHECK(wasm_memory_size(memory) == 2 && wasm_memory_data_size(memory) == 0x20000);
  CHECK(wasm_memory_data(memory)[0x1002] == 3);
  wasm_trap_t *trap;
  CHECK(call_i32(size, 0, 0, 0, &trap) == 2 && !trap);
  CHECK(call_i32(load, 1, 0x1003, 0, &trap) == 4 && !trap);
  call_i32(load, 1, 0x20000, 0, &trap);
  CHECK(trap_says(trap, "out of bounds memory access"));
  call_i32(store_fn, 2, 0x1002, 5, &trap);
  CHECK(!trap && wasm_memory_data(memory)[0x1002] == 5);
  wasm_memory_data(memory)[0x1003] = 6;
  CHECK(call_i32(load, 1, 0x1003, 0, &trap) == 6);
  CHECK(wasm_memory_grow(memory, 1));
  CHECK(wasm_memory_size(memory) == 3 && call_i32(size, 0, 0, 0, &trap) == 3);
  CHECK(call_i32(load, 1, 0x20000, 0, &trap) == 0 && !trap);
  CHECK(!wasm_memory_grow(memory, 1));
  CHECK(wasm_memory_grow(memory, 0));
  wasm_memorytype_t *mt = wasm_memory_type(memory);
  CHECK(wasm_memorytype_limits(mt)->min == 3 && wasm_memorytype_limits(mt)->max == 3);
  wasm_memorytype_delete(mt);

  /* A host memory. */
  wasm_limits_t limits = {5, 5};
  wasm_memorytype_t *mt2 = wasm_memorytype_new(&limits);
  wasm_memory_t *m2 = wasm_memory_new(store, mt2);
  wasm_memorytype_delete(mt2);
  CHECK(m2 && wasm_memory_size(m2) == 5 && !wasm_memory_grow(m2, 1));
  wasm_memory_delete(m2);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

/* ---- table ---- */

static wasm_trap_t *neg_callback(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = -args->data[0].of.i32;
  return NULL;
}

static void test_table(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wasm_module_t *module =
      module_from_wat(store, "(module (table (export \"table\") 2 10 funcref)\n"
                             " (type $i_i (func (param i32) (result i32)))\n"
                             " (func (export \"call_indirect\") (param i32 i32) (result i32)\n"
                             "  local.get 0 local.get 1 call_indirect (type $i_i))\n"
                             " (func $f (export \"f\") (param i32) (result i32) local.get 0)\n"
                             " (elem (i32.const 1) $f))");
  wasm_instance_t *instance = wasm_instance_new(store, module, NULL, NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_table_t *table = wasm_extern_as_table(exports.data[0]);
  wasm_func_t *call = export_func(&exports, 1), *f = export_func(&exports, 2);
  CHECK(table && call && f);
  CHECK(wasm_table_size(table) == 2);
  CHECK(wasm_table_get(table, 0) == NULL);
  wasm_ref_t *r1 = wasm_table_get(table, 1);
  CHECK(r1 != NULL && wasm_ref_as_func(r1) != NULL);
  CHECK(wasm_func_same(wasm_ref_as_func(r1), f)); /* the same function, the same object */
  wasm_ref_delete(r1);
  CHECK(wasm_table_get(table, 2) == NULL);

  wasm_trap_t *trap;
  CHECK(call_i32(call, 2, 7, 1, &trap) == 7 && !trap);
  call_i32(call, 2, 7, 0, &trap);
  CHECK(trap_says(trap, "uninitialized element"));
  call_i32(call, 2, 7, 2, &trap);
  CHECK(trap_says(trap, "undefined element"));

  wasm_functype_t *neg_type = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t *neg = wasm_func_new(store, neg_type, neg_callback);
  wasm_functype_delete(neg_type);
  CHECK(wasm_table_set(table, 0, wasm_func_as_ref(neg)));
  CHECK(call_i32(call, 2, 7, 0, &trap) == -7 && !trap);
  CHECK(!wasm_table_set(table, 2, NULL));
  CHECK(wasm_table_grow(table, 3, NULL) && wasm_table_size(table) == 5);
  CHECK(wasm_table_grow(table, 5, wasm_func_as_ref(f)) && wasm_table_size(table) == 10);
  CHECK(call_i32(call, 2, 3, 9, &trap) == 3 && !trap);
  CHECK(!wasm_table_grow(table, 1, NULL));
  wasm_tabletype_t *tt = wasm_table_type(table);
  CHECK(wasm_valtype_kind(wasm_tabletype_element(tt)) == WASM_FUNCREF);
  CHECK(wasm_tabletype_limits(tt)->min == 10 && wasm_tabletype_limits(tt)->max == 10);
  wasm_tabletype_delete(tt);

  /* A host table. */
  wasm_limits_t limits = {5, 5};
  wasm_tabletype_t *tt2 = wasm_tabletype_new(wasm_valtype_new_funcref(), &limits);
  wasm_table_t *t2 = wasm_table_new(store, tt2, NULL);
  wasm_tabletype_delete(tt2);
  CHECK(t2 && wasm_table_size(t2) == 5 && !wasm_table_grow(t2, 1, NULL));
  wasm_table_delete(t2);
  wasm_func_delete(neg);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

/* ---- trap ---- */

static wasm_store_t *trap_store;

static wasm_trap_t *fail_callback(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)args, (void)results;
  wasm_message_t msg;
  wasm_name_new_from_string_nt(&msg, "callback abort");
  wasm_trap_t *t = wasm_trap_new(trap_store, &msg);
  wasm_name_delete(&msg);
  return t;
}

static void test_trap(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = trap_store = wasm_store_new(engine);
  wasm_module_t *module = module_from_wat(
      store, "(module (func $fail (import \"\" \"fail\") (result i32))\n"
             " (func $callback (export \"callback\") (result i32) call $fail)\n"
             " (func $unreachable (export \"unreachable\") (result i32) unreachable)\n"
             " (func $deep (export \"deep\") (result i32) call $unreachable))");
  wasm_functype_t *ft = wasm_functype_new_0_1(wasm_valtype_new_i32());
  wasm_func_t *fail = wasm_func_new(store, ft, fail_callback);
  wasm_functype_delete(ft);
  wasm_extern_t *externs[] = {wasm_func_as_extern(fail)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t *instance = wasm_instance_new(store, module, &imports, NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_val_t rs[1] = {WASM_INIT_VAL};
  wasm_val_vec_t none = WASM_EMPTY_VEC, results = WASM_ARRAY_VEC(rs);
  CHECK(trap_says(wasm_func_call(export_func(&exports, 0), &none, &results), "callback abort"));

  wasm_trap_t *trap = wasm_func_call(export_func(&exports, 2), &none, &results);
  CHECK(trap != NULL);
  wasm_frame_t *origin = wasm_trap_origin(trap);
  CHECK(origin && wasm_frame_func_index(origin) == 2);
  CHECK(wasm_frame_func_offset(origin) > 0 &&
        wasm_frame_module_offset(origin) > wasm_frame_func_offset(origin));
  wasm_frame_delete(origin);
  wasm_frame_vec_t trace;
  wasm_trap_trace(trap, &trace);
  CHECK(trace.size == 2 && wasm_frame_func_index(trace.data[1]) == 3);
  CHECK(wasm_frame_instance(trace.data[0]) == instance);
  CHECK(wasm_frame_instance(trace.data[1]) == instance);
  wasm_frame_vec_delete(&trace);
  wasm_trap_t *copy = wasm_trap_copy(trap);
  wasm_trap_delete(trap);
  CHECK(trap_says(copy, "unreachable"));

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

/* Frames name the instance of their function: here a call from one instance into an
   export of another, which traps. */
static void test_frame_instances(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wasm_module_t *lib = module_from_wat(
      store,
      "(module (func (export \"boom\") (result i32) (i32.div_u (i32.const 1) (i32.const 0))))");
  wasm_module_t *app =
      module_from_wat(store, "(module (func $boom (import \"lib\" \"boom\") (result i32))\n"
                             " (func (export \"run\") (result i32) (call $boom)))");
  wasm_extern_vec_t none_imports = WASM_EMPTY_VEC;
  wasm_instance_t *lib_inst = wasm_instance_new(store, lib, &none_imports, NULL);
  wasm_extern_vec_t lib_exports;
  wasm_instance_exports(lib_inst, &lib_exports);
  wasm_instance_t *app_inst = wasm_instance_new(store, app, &lib_exports, NULL);
  CHECK(lib_inst && app_inst);
  wasm_extern_vec_t app_exports;
  wasm_instance_exports(app_inst, &app_exports);
  wasm_val_t rs[1] = {WASM_INIT_VAL};
  wasm_val_vec_t none = WASM_EMPTY_VEC, results = WASM_ARRAY_VEC(rs);
  wasm_trap_t *trap = wasm_func_call(export_func(&app_exports, 0), &none, &results);
  CHECK(trap != NULL);
  wasm_frame_vec_t trace;
  wasm_trap_trace(trap, &trace);
  CHECK(trace.size == 2);
  if (trace.size == 2) {
    CHECK(wasm_frame_instance(trace.data[0]) == lib_inst);
    CHECK(wasm_frame_func_index(trace.data[0]) == 0);
    CHECK(wasm_frame_instance(trace.data[1]) == app_inst);
    CHECK(wasm_frame_func_index(trace.data[1]) == 1);
    /* A copied frame keeps its instance. */
    wasm_frame_t *copy = wasm_frame_copy(trace.data[1]);
    CHECK(wasm_frame_instance(copy) == app_inst);
    wasm_frame_delete(copy);
  }
  wasm_frame_vec_delete(&trace);
  wasm_trap_delete(trap);
  /* The upstream name of externref still works. */
  wasm_valtype_t *any = wasm_valtype_new_anyref();
  CHECK(wasm_valtype_kind(any) == WASM_EXTERNREF && WASM_ANYREF == 128 && WASM_FUNCREF == 129);
  wasm_valtype_delete(any);
  /* A missing import is named in the link error. */
  wasm_trap_t *link = NULL;
  CHECK(wasm_instance_new(store, app, &none_imports, &link) == NULL);
  CHECK(trap_says(link, "unknown import \"lib\" \"boom\""));
  wasm_extern_vec_delete(&app_exports);
  wasm_extern_vec_delete(&lib_exports);
  wasm_module_delete(app);
  wasm_module_delete(lib);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

/* v128 has a kind for reflection; calls through wasm.h cannot carry such values. */
static void test_v128_kind(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wasm_module_t *module = module_from_wat(
      store, "(module (func (export \"id\") (param v128) (result v128) (local.get 0)))");
  wasm_exporttype_vec_t types;
  wasm_module_exports(module, &types);
  CHECK(types.size == 1);
  if (types.size == 1) {
    const wasm_functype_t *ft =
        wasm_externtype_as_functype_const(wasm_exporttype_type(types.data[0]));
    CHECK(ft && wasm_functype_params(ft)->size == 1);
    CHECK(ft && wasm_valtype_kind(wasm_functype_params(ft)->data[0]) == WASM_V128);
    CHECK(ft && wasm_valtype_kind(wasm_functype_results(ft)->data[0]) == WASM_V128);
  }
  wasm_exporttype_vec_delete(&types);
  wasm_extern_vec_t none_imports = WASM_EMPTY_VEC;
  wasm_instance_t *instance = wasm_instance_new(store, module, &none_imports, NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_val_t as[1] = {WASM_I64_VAL(1)}, rs[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(as), results = WASM_ARRAY_VEC(rs);
  CHECK(trap_says(wasm_func_call(export_func(&exports, 0), &args, &results), "v128"));
  wasm_extern_vec_delete(&exports);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

/* ---- multi-value ---- */

static wasm_trap_t *wrong_kind_callback(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)args;
  results->data[0].kind = WASM_F64; /* the function returns i32 */
  results->data[0].of.f64 = 1;
  return NULL;
}

static void test_wrong_result(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wasm_functype_t *ft = wasm_functype_new_0_1(wasm_valtype_new_i32());
  wasm_func_t *f = wasm_func_new(store, ft, wrong_kind_callback);
  wasm_functype_delete(ft);
  wasm_val_t rs[1] = {WASM_INIT_VAL};
  wasm_val_vec_t none = WASM_EMPTY_VEC, results = WASM_ARRAY_VEC(rs);
  CHECK(trap_says(wasm_func_call(f, &none, &results), "wrong type"));
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

static wasm_trap_t *reverse_callback(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  results->data[0] = args->data[3];
  results->data[1] = args->data[2];
  results->data[2] = args->data[1];
  results->data[3] = args->data[0];
  return NULL;
}

static void test_multi_ok(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wasm_module_t *module = module_from_wat(
      store, "(module (func $f (import \"\" \"f\") (param i32 i64 i64 i32)"
             " (result i32 i64 i64 i32))\n"
             " (func (export \"g\") (param i32 i64 i64 i32) (result i32 i64 i64 i32)\n"
             "  local.get 3 local.get 1 local.get 2 local.get 0 call $f))");
  wasm_valtype_t *ps[4] = {wasm_valtype_new_i32(), wasm_valtype_new_i64(), wasm_valtype_new_i64(),
                           wasm_valtype_new_i32()};
  wasm_valtype_t *rs_t[4] = {wasm_valtype_new_i32(), wasm_valtype_new_i64(), wasm_valtype_new_i64(),
                             wasm_valtype_new_i32()};
  wasm_valtype_vec_t params, results_t;
  wasm_valtype_vec_new(&params, 4, ps);
  wasm_valtype_vec_new(&results_t, 4, rs_t);
  wasm_functype_t *ft = wasm_functype_new(&params, &results_t);
  wasm_func_t *rev = wasm_func_new(store, ft, reverse_callback);
  wasm_functype_delete(ft);
  wasm_extern_t *externs[] = {wasm_func_as_extern(rev)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t *instance = wasm_instance_new(store, module, &imports, NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_val_t as[4] = {WASM_I32_VAL(1), WASM_I64_VAL(2), WASM_I64_VAL(3), WASM_I32_VAL(4)};
  wasm_val_t rs[4] = {WASM_INIT_VAL, WASM_INIT_VAL, WASM_INIT_VAL, WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(as), results = WASM_ARRAY_VEC(rs);
  CHECK(wasm_func_call(export_func(&exports, 0), &args, &results) == NULL);
  /* g passes (4, 2, 3, 1); the callback reverses it. */
  CHECK(rs[0].kind == WASM_I32 && rs[0].of.i32 == 1);
  CHECK(rs[1].kind == WASM_I64 && rs[1].of.i64 == 3);
  CHECK(rs[2].kind == WASM_I64 && rs[2].of.i64 == 2);
  CHECK(rs[3].kind == WASM_I32 && rs[3].of.i32 == 4);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

/* ---- reflect ---- */

static void test_reflect(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wasm_module_t *module = module_from_wat(
      store, "(module (import \"m\" \"f\" (func (param i32 f64) (result i64)))\n"
             " (import \"m\" \"g\" (global (mut f32)))\n"
             " (func (export \"func\") (param i32 f64 f32) (result i32) i32.const 0)\n"
             " (global (export \"global\") f64 (f64.const 0))\n"
             " (table (export \"table\") 0 50 funcref)\n"
             " (memory (export \"memory\") 1))");
  wasm_importtype_vec_t imports;
  wasm_module_imports(module, &imports);
  CHECK(imports.size == 2);
  const wasm_name_t *mn = wasm_importtype_module(imports.data[0]);
  const wasm_name_t *n = wasm_importtype_name(imports.data[0]);
  CHECK(mn->size == 1 && mn->data[0] == 'm' && n->size == 1 && n->data[0] == 'f');
  const wasm_externtype_t *it = wasm_importtype_type(imports.data[0]);
  CHECK(wasm_externtype_kind(it) == WASM_EXTERN_FUNC);
  const wasm_functype_t *ift = wasm_externtype_as_functype_const(it);
  CHECK(ift && wasm_functype_params(ift)->size == 2);
  CHECK(wasm_valtype_kind(wasm_functype_params(ift)->data[1]) == WASM_F64);
  CHECK(wasm_valtype_kind(wasm_functype_results(ift)->data[0]) == WASM_I64);
  CHECK(wasm_externtype_as_globaltype_const(it) == NULL);
  const wasm_globaltype_t *igt =
      wasm_externtype_as_globaltype_const(wasm_importtype_type(imports.data[1]));
  CHECK(igt && wasm_globaltype_mutability(igt) == WASM_VAR);
  wasm_importtype_vec_t copy;
  wasm_importtype_vec_copy(&copy, &imports);
  CHECK(copy.size == 2 &&
        wasm_externtype_kind(wasm_importtype_type(copy.data[1])) == WASM_EXTERN_GLOBAL);
  wasm_importtype_vec_delete(&copy);
  wasm_importtype_vec_delete(&imports);

  wasm_exporttype_vec_t exports;
  wasm_module_exports(module, &exports);
  CHECK(exports.size == 4);
  wasm_externkind_t kinds[4] = {WASM_EXTERN_FUNC, WASM_EXTERN_GLOBAL, WASM_EXTERN_TABLE,
                                WASM_EXTERN_MEMORY};
  for (size_t i = 0; i < 4 && i < exports.size; i++)
    CHECK(wasm_externtype_kind(wasm_exporttype_type(exports.data[i])) == kinds[i]);
  const wasm_tabletype_t *tt =
      wasm_externtype_as_tabletype_const(wasm_exporttype_type(exports.data[2]));
  CHECK(tt && wasm_tabletype_limits(tt)->min == 0 && wasm_tabletype_limits(tt)->max == 50);
  const wasm_memorytype_t *mt =
      wasm_externtype_as_memorytype_const(wasm_exporttype_type(exports.data[3]));
  CHECK(mt && wasm_memorytype_limits(mt)->min == 1 &&
        wasm_memorytype_limits(mt)->max == wasm_limits_max_default);
  wasm_exporttype_vec_delete(&exports);

  /* The instance's externs report the same types. */
  wasm_functype_t *ft =
      wasm_functype_new_2_1(wasm_valtype_new_i32(), wasm_valtype_new_f64(), wasm_valtype_new_i64());
  wasm_func_t *f = wasm_func_new(store, ft, hello_callback);
  wasm_functype_delete(ft);
  wasm_globaltype_t *gt = wasm_globaltype_new(wasm_valtype_new_f32(), WASM_VAR);
  wasm_val_t gv = WASM_F32_VAL(0);
  wasm_global_t *g = wasm_global_new(store, gt, &gv);
  wasm_globaltype_delete(gt);
  wasm_extern_t *externs[] = {wasm_func_as_extern(f), wasm_global_as_extern(g)};
  wasm_extern_vec_t ivec = WASM_ARRAY_VEC(externs);
  wasm_instance_t *instance = wasm_instance_new(store, module, &ivec, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t xs;
  wasm_instance_exports(instance, &xs);
  for (size_t i = 0; i < xs.size; i++) {
    wasm_externtype_t *t = wasm_extern_type(xs.data[i]);
    CHECK(wasm_extern_kind(xs.data[i]) == kinds[i] && wasm_externtype_kind(t) == kinds[i]);
    wasm_externtype_delete(t);
  }
  wasm_extern_vec_delete(&xs);
  /* Imports in the wrong order: a link error as a trap. */
  wasm_extern_t *swapped[] = {wasm_global_as_extern(g), wasm_func_as_extern(f)};
  wasm_extern_vec_t svec = WASM_ARRAY_VEC(swapped);
  wasm_trap_t *trap = NULL;
  CHECK(wasm_instance_new(store, module, &svec, &trap) == NULL);
  CHECK(trap_says(trap, "incompatible import type"));
  wasm_extern_vec_t short_vec = {1, externs};
  CHECK(wasm_instance_new(store, module, &short_vec, &trap) == NULL);
  CHECK(trap_says(trap, "unknown import"));
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

/* ---- finalize: host info finalizers run once, when the store goes ---- */

static int finalized;
static void count_finalize(void *data) {
  (void)data;
  finalized++;
}

static void test_finalize(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wasm_module_t *module = module_from_wat(store, "(module (func (export \"f\")))");
  int infos[20];
  for (int i = 0; i < 20; i++) {
    wasm_instance_t *instance = wasm_instance_new(store, module, NULL, NULL);
    CHECK(instance != NULL);
    wasm_instance_set_host_info_with_finalizer(instance, &infos[i], count_finalize);
    CHECK(wasm_instance_get_host_info(instance) == &infos[i]);
    wasm_instance_delete(instance);
  }
  wasm_foreign_t *foreign = wasm_foreign_new(store);
  wasm_foreign_set_host_info_with_finalizer(foreign, infos, count_finalize);
  wasm_foreign_delete(foreign);
  int module_info;
  wasm_module_set_host_info_with_finalizer(module, &module_info, count_finalize);
  CHECK(wasm_module_get_host_info(module) == &module_info);
  wasm_module_delete(module); /* a module handle finalizes when deleted */
  CHECK(finalized == 1);
  wasm_store_delete(store);
  CHECK(finalized == 22);
  wasm_engine_delete(engine);
}

/* ---- serialize ---- */

static void test_serialize(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wasm_module_t *module =
      module_from_wat(store, "(module (func (export \"run\") (result i32) i32.const 17))");
  wasm_byte_vec_t serialized;
  wasm_module_serialize(module, &serialized);
  CHECK(serialized.size > 8 && memcmp(serialized.data, "\0asm", 4) == 0);
  CHECK(wasm_module_validate(store, &serialized));
  wasm_module_delete(module);
  wasm_module_t *again = wasm_module_deserialize(store, &serialized);
  wasm_byte_vec_delete(&serialized);
  CHECK(again != NULL);
  wasm_instance_t *instance = wasm_instance_new(store, again, NULL, NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_trap_t *trap;
  CHECK(call_i32(export_func(&exports, 0), 0, 0, 0, &trap) == 17 && !trap);
  wasm_extern_vec_delete(&exports);
  wasm_module_t *copy = wasm_module_copy(again);
  CHECK(wasm_module_same(copy, again));
  wasm_module_delete(copy);
  wasm_module_delete(again);
  wasm_byte_vec_t junk;
  wasm_byte_vec_new(&junk, 4, "\0asx");
  CHECK(!wasm_module_validate(store, &junk));
  CHECK(wasm_module_new(store, &junk) == NULL);
  wasm_byte_vec_delete(&junk);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

/* ---- threads: one shared module, a store per thread ---- */

#define N_THREADS 6
#define N_ROUNDS 10

typedef struct thread_arg {
  wasm_engine_t *engine;
  wasm_shared_module_t *shared;
  int id;
  int seen;
  int ok;
} thread_arg;

static wasm_trap_t *thread_callback(void *env, const wasm_val_vec_t *args,
                                    wasm_val_vec_t *results) {
  (void)results;
  thread_arg *a = env;
  if (args->data[0].of.i32 == a->id) a->seen++;
  return NULL;
}

static void *thread_run(void *p) {
  thread_arg *a = p;
  wasm_store_t *store = wasm_store_new(a->engine);
  wasm_module_t *module = wasm_module_obtain(store, a->shared);
  if (!module) {
    wasm_store_delete(store);
    return NULL;
  }
  wasm_functype_t *ft = wasm_functype_new_1_0(wasm_valtype_new_i32());
  wasm_func_t *f = wasm_func_new_with_env(store, ft, thread_callback, a, NULL);
  wasm_functype_delete(ft);
  wasm_globaltype_t *gt = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_CONST);
  wasm_val_t id = WASM_I32_VAL(a->id);
  wasm_global_t *g = wasm_global_new(store, gt, &id);
  wasm_globaltype_delete(gt);
  wasm_extern_t *externs[] = {wasm_func_as_extern(f), wasm_global_as_extern(g)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  for (int round = 0; round < N_ROUNDS; round++) {
    wasm_instance_t *instance = wasm_instance_new(store, module, &imports, NULL);
    if (!instance) continue;
    wasm_extern_vec_t exports;
    wasm_instance_exports(instance, &exports);
    wasm_val_vec_t none = WASM_EMPTY_VEC;
    if (wasm_func_call(export_func(&exports, 0), &none, &none) == NULL) a->ok++;
    wasm_extern_vec_delete(&exports);
    wasm_instance_delete(instance);
  }
  wasm_module_delete(module);
  wasm_store_delete(store);
  return NULL;
}

static void test_threads(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wasm_module_t *module =
      module_from_wat(store, "(module (func $message (import \"\" \"hello\") (param i32))\n"
                             " (global $id (import \"\" \"id\") i32)\n"
                             " (func (export \"run\") global.get $id call $message))");
  wasm_shared_module_t *shared = wasm_module_share(module);
  wasm_module_delete(module);
  wasm_store_delete(store);
  thread_arg args[N_THREADS];
  pthread_t threads[N_THREADS];
  for (int i = 0; i < N_THREADS; i++) {
    args[i] = (thread_arg){engine, shared, i, 0, 0};
    CHECK(pthread_create(&threads[i], NULL, thread_run, &args[i]) == 0);
  }
  for (int i = 0; i < N_THREADS; i++) {
    pthread_join(threads[i], NULL);
    CHECK(args[i].ok == N_ROUNDS && args[i].seen == N_ROUNDS);
  }
  wasm_shared_module_delete(shared);
  wasm_engine_delete(engine);
}

/* ---- start: a trapping start function ---- */

static void test_start(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wasm_module_t *module = module_from_wat(
      store, "(module (func $start (call $oops)) (func $oops unreachable) (start $start))");
  wasm_trap_t *trap = NULL;
  CHECK(wasm_instance_new(store, module, NULL, &trap) == NULL);
  CHECK(trap != NULL);
  wasm_frame_vec_t trace;
  wasm_trap_trace(trap, &trace);
  CHECK(trace.size == 2 && wasm_frame_func_index(trace.data[0]) == 1 &&
        wasm_frame_func_index(trace.data[1]) == 0);
  wasm_frame_vec_delete(&trace);
  CHECK(trap_says(trap, "unreachable"));
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

/* ---- hostref: host references through globals, tables and calls ---- */

static wasm_trap_t *identity_callback(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  wasm_val_copy(&results->data[0], &args->data[0]);
  return NULL;
}

static void test_hostref(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wasm_module_t *module = module_from_wat(
      store, "(module (func $f (import \"\" \"f\") (param externref) (result externref))\n"
             " (global $g (export \"global\") (mut externref) (ref.null extern))\n"
             " (table $t (export \"table\") 10 externref)\n"
             " (func (export \"global.set\") (param externref) local.get 0 global.set $g)\n"
             " (func (export \"global.get\") (result externref) global.get $g)\n"
             " (func (export \"table.set\") (param i32 externref)\n"
             "  local.get 0 local.get 1 table.set $t)\n"
             " (func (export \"table.get\") (param i32) (result externref)\n"
             "  local.get 0 table.get $t)\n"
             " (func (export \"func.call\") (param externref) (result externref)\n"
             "  local.get 0 call $f))");
  CHECK(module != NULL);
  wasm_functype_t *ft =
      wasm_functype_new_1_1(wasm_valtype_new_externref(), wasm_valtype_new_externref());
  wasm_func_t *f = wasm_func_new(store, ft, identity_callback);
  wasm_functype_delete(ft);
  wasm_extern_t *externs[] = {wasm_func_as_extern(f)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t *instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_global_t *global = wasm_extern_as_global(exports.data[0]);
  wasm_table_t *table = wasm_extern_as_table(exports.data[1]);

  int info1, info2;
  wasm_foreign_t *host1 = wasm_foreign_new(store), *host2 = wasm_foreign_new(store);
  wasm_foreign_set_host_info(host1, &info1);
  wasm_foreign_set_host_info(host2, &info2);
  wasm_ref_t *r1 = wasm_foreign_as_ref(host1), *r2 = wasm_foreign_as_ref(host2);

  /* Through a global, from wasm and from the host. */
  wasm_val_t as[2] = {WASM_REF_VAL(r1), WASM_INIT_VAL};
  wasm_val_t rs[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args1 = {1, as}, none = WASM_EMPTY_VEC, results = WASM_ARRAY_VEC(rs);
  CHECK(wasm_func_call(export_func(&exports, 2), &args1, &none) == NULL);
  CHECK(wasm_func_call(export_func(&exports, 3), &none, &results) == NULL);
  CHECK(rs[0].kind == WASM_EXTERNREF && rs[0].of.ref && wasm_ref_same(rs[0].of.ref, r1));
  CHECK(wasm_ref_get_host_info(rs[0].of.ref) == &info1);
  wasm_val_delete(&rs[0]);
  wasm_val_t v;
  wasm_global_get(global, &v);
  CHECK(v.kind == WASM_EXTERNREF && wasm_ref_same(v.of.ref, r1));
  wasm_val_delete(&v);
  wasm_val_t nv = WASM_REF_VAL(r2);
  wasm_global_set(global, &nv);
  CHECK(wasm_func_call(export_func(&exports, 3), &none, &results) == NULL);
  CHECK(wasm_ref_get_host_info(rs[0].of.ref) == &info2);
  CHECK(wasm_ref_as_foreign(rs[0].of.ref) == host2);

  /* Through a table. */
  wasm_val_t ts[2] = {WASM_I32_VAL(3), WASM_REF_VAL(r2)};
  wasm_val_vec_t targs = WASM_ARRAY_VEC(ts);
  CHECK(wasm_func_call(export_func(&exports, 4), &targs, &none) == NULL);
  wasm_ref_t *got = wasm_table_get(table, 3);
  CHECK(got && wasm_ref_same(got, r2));
  wasm_ref_delete(got);
  CHECK(wasm_table_set(table, 4, r1));
  wasm_val_t ga[1] = {WASM_I32_VAL(4)};
  wasm_val_vec_t gargs = WASM_ARRAY_VEC(ga);
  CHECK(wasm_func_call(export_func(&exports, 5), &gargs, &results) == NULL);
  CHECK(wasm_ref_get_host_info(rs[0].of.ref) == &info1);
  CHECK(wasm_table_get(table, 5) == NULL);

  /* Through a host function, and null. */
  CHECK(wasm_func_call(export_func(&exports, 6), &args1, &results) == NULL);
  CHECK(wasm_ref_same(rs[0].of.ref, r1));
  as[0].of.ref = NULL;
  CHECK(wasm_func_call(export_func(&exports, 6), &args1, &results) == NULL);
  CHECK(rs[0].kind == WASM_EXTERNREF && rs[0].of.ref == NULL);
  /* A function used as an externref comes back as that function. */
  as[0].of.ref = wasm_func_as_ref(f);
  CHECK(wasm_func_call(export_func(&exports, 6), &args1, &results) == NULL);
  CHECK(wasm_ref_as_func(rs[0].of.ref) == f);
  /* A wrong kind of argument is a trap, not a crash. */
  wasm_val_t bad[1] = {WASM_I32_VAL(1)};
  wasm_val_vec_t badv = WASM_ARRAY_VEC(bad);
  CHECK(trap_says(wasm_func_call(export_func(&exports, 6), &badv, &results), "wrong type"));

  wasm_ref_t *copy = wasm_ref_copy(r1);
  CHECK(wasm_ref_same(copy, r1) && !wasm_ref_same(r1, r2));
  wasm_ref_delete(copy);
  wasm_foreign_delete(host1);
  wasm_foreign_delete(host2);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

/* ---- vectors and types ---- */

static void test_vectors(void) {
  wasm_byte_vec_t b;
  wasm_name_new_from_string(&b, "kite");
  CHECK(b.size == 4 && memcmp(b.data, "kite", 4) == 0);
  wasm_byte_vec_t c;
  wasm_byte_vec_copy(&c, &b);
  CHECK(c.size == 4 && c.data != b.data);
  wasm_byte_vec_delete(&b);
  wasm_byte_vec_delete(&c);
  CHECK(c.size == 0 && c.data == NULL);
  wasm_byte_vec_new_empty(&b);
  CHECK(b.size == 0);
  wasm_byte_vec_delete(&b);

  wasm_valtype_vec_t vs;
  wasm_valtype_vec_new_uninitialized(&vs, 3);
  for (size_t i = 0; i < 3; i++) vs.data[i] = wasm_valtype_new(WASM_F64);
  wasm_valtype_vec_t vc;
  wasm_valtype_vec_copy(&vc, &vs);
  CHECK(vc.size == 3 && vc.data[2] != vs.data[2] && wasm_valtype_kind(vc.data[2]) == WASM_F64);
  wasm_valtype_vec_delete(&vs);
  wasm_valtype_vec_delete(&vc);

  wasm_valtype_t *t = wasm_valtype_new_funcref();
  CHECK(wasm_valtype_is_ref(t) && !wasm_valtype_is_num(t));
  wasm_valtype_delete(t);

  wasm_functype_t *ft =
      wasm_functype_new_2_1(wasm_valtype_new_i32(), wasm_valtype_new_f32(), wasm_valtype_new_i64());
  wasm_externtype_t *et = wasm_functype_as_externtype(ft);
  CHECK(wasm_externtype_kind(et) == WASM_EXTERN_FUNC && wasm_externtype_as_functype(et) == ft);
  CHECK(wasm_externtype_as_memorytype(et) == NULL);
  wasm_externtype_t *ec = wasm_externtype_copy(et);
  CHECK(wasm_functype_params(wasm_externtype_as_functype(ec))->size == 2);
  wasm_externtype_delete(ec);
  wasm_tagtype_t *tag = wasm_tagtype_new(ft);
  CHECK(wasm_tagtype_functype(tag) == ft);
  CHECK(wasm_externtype_kind(wasm_tagtype_as_externtype(tag)) == WASM_EXTERN_TAG);
  wasm_tagtype_delete(tag);

  wasm_name_t mod, name;
  wasm_name_new_from_string(&mod, "env");
  wasm_name_new_from_string(&name, "x");
  wasm_limits_t l = {1, 2};
  wasm_importtype_t *it =
      wasm_importtype_new(&mod, &name, wasm_memorytype_as_externtype(wasm_memorytype_new(&l)));
  CHECK(wasm_importtype_module(it)->size == 3 && wasm_importtype_name(it)->size == 1);
  wasm_importtype_t *ic = wasm_importtype_copy(it);
  CHECK(
      wasm_memorytype_limits(wasm_externtype_as_memorytype_const(wasm_importtype_type(ic)))->max ==
      2);
  wasm_importtype_delete(it);
  wasm_importtype_delete(ic);

  wasm_val_t v = WASM_I64_VAL(5), w;
  wasm_val_copy(&w, &v);
  CHECK(w.kind == WASM_I64 && w.of.i64 == 5);
  int x;
  wasm_val_init_ptr(&v, &x);
  CHECK(wasm_val_ptr(&v) == &x);
}

/* ---- GC objects and exceptions ---- */

static const char *gc_wat =
    "(module\n"
    "  (type $s (struct (field (mut i32)) (field i64)))\n"
    "  (type $a (array (mut i32)))\n"
    "  (import \"h\" \"echo\" (func $echo (param externref) (result externref)))\n"
    "  (tag $e (param i32))\n"
    "  (func (export \"mk\") (param i32) (result (ref $s))\n"
    "    (struct.new $s (local.get 0) (i64.const 99)))\n"
    "  (func (export \"get0\") (param (ref null $s)) (result i32)\n"
    "    (struct.get $s 0 (local.get 0)))\n"
    "  (func (export \"mkarr\") (param i32) (result (ref $a))\n"
    "    (array.new $a (i32.const 10) (local.get 0)))\n"
    "  (func (export \"sum\") (param (ref $a)) (result i32) (local $i i32) (local $n i32)\n"
    "    (block $done (loop $l\n"
    "      (br_if $done (i32.ge_u (local.get $i) (array.len (local.get 0))))\n"
    "      (local.set $n (i32.add (local.get $n) (array.get $a (local.get 0) (local.get $i))))\n"
    "      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
    "      (br $l)))\n"
    "    (local.get $n))\n"
    "  (func (export \"churn\") (param $n i32)\n"
    "    (loop $l\n"
    "      (drop (array.new_default $a (i32.const 1024)))\n"
    "      (local.set $n (i32.sub (local.get $n) (i32.const 1)))\n"
    "      (br_if $l (local.get $n))))\n"
    "  (func (export \"catch\") (result exnref)\n"
    "    (block $h (result exnref)\n"
    "      (try_table (catch_all_ref $h) (throw $e (i32.const 42)))\n"
    "      (unreachable)))\n"
    "  (func (export \"rethrow\") (param exnref) (result i32)\n"
    "    (block $h (result i32)\n"
    "      (try_table (catch $e $h) (throw_ref (local.get 0)))\n"
    "      (unreachable)))\n"
    "  (global (export \"g\") (mut (ref null $s)) (ref.null $s))\n"
    "  (table (export \"tab\") 2 (ref null $s))\n"
    "  (func (export \"via_host\") (param i32) (result i32)\n"
    "    (struct.get $s 0 (ref.cast (ref $s) (any.convert_extern (call $echo\n"
    "      (extern.convert_any (struct.new $s (local.get 0) (i64.const 0)))))))))";

enum { GC_MK, GC_GET0, GC_MKARR, GC_SUM, GC_CHURN, GC_CATCH, GC_RETHROW, GC_G, GC_TAB, GC_VIA };

/* Returns its (borrowed) argument: the result is a copy, owned by the engine. */
static wasm_trap_t *echo_callback(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  wasm_val_copy(&results->data[0], &args->data[0]);
  return NULL;
}

typedef struct gc_env {
  wasm_store_t *store;
  wasm_instance_t *instance;
  wasm_extern_vec_t exports;
  wasm_func_t *echo;
} gc_env;

static bool gc_env_new(wasm_engine_t *engine, gc_env *g) {
  memset(g, 0, sizeof *g);
  g->store = wasm_store_new(engine);
  wasm_module_t *module = module_from_wat(g->store, gc_wat);
  CHECK(module != NULL);
  if (!module) return false;
  wasm_functype_t *ft =
      wasm_functype_new_1_1(wasm_valtype_new_externref(), wasm_valtype_new_externref());
  g->echo = wasm_func_new(g->store, ft, echo_callback);
  wasm_functype_delete(ft);
  wasm_extern_t *imports[] = {wasm_func_as_extern(g->echo)};
  wasm_extern_vec_t iv = WASM_ARRAY_VEC(imports);
  g->instance = wasm_instance_new(g->store, module, &iv, NULL);
  wasm_module_delete(module);
  CHECK(g->instance != NULL);
  if (!g->instance) return false;
  wasm_instance_exports(g->instance, &g->exports);
  CHECK(g->exports.size == GC_VIA + 1);
  return g->exports.size == GC_VIA + 1;
}

static void gc_env_delete(gc_env *g) {
  wasm_extern_vec_delete(&g->exports);
  wasm_instance_delete(g->instance);
  wasm_func_delete(g->echo);
  wasm_store_delete(g->store);
}

/* Call export i with one argument; the trap (if any) in *trap, the result in *out. */
static wasm_val_t gc_call(gc_env *g, int i, wasm_val_t arg, int nargs, wasm_trap_t **trap) {
  wasm_val_t as[1] = {arg}, rs[1] = {WASM_INIT_VAL};
  const wasm_func_t *f = export_func(&g->exports, (size_t)i);
  wasm_val_vec_t args = {(size_t)nargs, as}, results = {f ? wasm_func_result_arity(f) : 0, rs};
  *trap = f ? wasm_func_call(f, &args, &results) : NULL;
  return rs[0];
}

static uint64_t gc_collections(gc_env *g) {
  kite_gc_stats st;
  kite_gc_get_stats(g->store->store, &st);
  return st.collections;
}

static void test_gc_refs(void) {
  wasm_config_t *config = wasm_config_new();
  kite_wasm_config_set_features(config, KITE_FEATURES_WASM_3_0);
  wasm_engine_t *engine = wasm_engine_new_with_config(config);
  gc_env g, g2;
  if (!gc_env_new(engine, &g) || !gc_env_new(engine, &g2)) {
    gc_env_delete(&g);
    gc_env_delete(&g2);
    wasm_engine_delete(engine);
    return;
  }
  wasm_trap_t *trap;
  wasm_val_t st = gc_call(&g, GC_MK, (wasm_val_t)WASM_I32_VAL(1234), 1, &trap);
  CHECK(!trap && st.kind == WASM_ANYREF && st.of.ref != NULL);
  wasm_val_t arr = gc_call(&g, GC_MKARR, (wasm_val_t)WASM_I32_VAL(7), 1, &trap);
  CHECK(!trap && arr.of.ref != NULL);
  /* A copy is another owned reference to the same object; the original may go. */
  wasm_ref_t *copy = wasm_ref_copy(st.of.ref);
  CHECK(copy && copy != st.of.ref && wasm_ref_same(copy, st.of.ref));
  CHECK(!wasm_ref_same(copy, arr.of.ref));
  wasm_val_delete(&st);
  /* Collect (allocate far past the threshold) while only the host holds them. */
  uint64_t before = gc_collections(&g);
  gc_call(&g, GC_CHURN, (wasm_val_t)WASM_I32_VAL(4000), 1, &trap);
  CHECK(!trap && gc_collections(&g) > before);
  wasm_val_t r = gc_call(&g, GC_GET0, (wasm_val_t)WASM_REF_VAL(copy), 1, &trap);
  CHECK(!trap && r.of.i32 == 1234);
  r = gc_call(&g, GC_SUM, arr, 1, &trap);
  CHECK(!trap && r.of.i32 == 70);
  /* Type mismatches and other stores' references are refused. */
  gc_call(&g, GC_SUM, (wasm_val_t)WASM_REF_VAL(copy), 1, &trap);
  CHECK(trap_says(trap, "wrong type"));
  gc_call(&g, GC_GET0, arr, 1, &trap);
  CHECK(trap_says(trap, "wrong type"));
  gc_call(&g2, GC_GET0, (wasm_val_t)WASM_REF_VAL(copy), 1, &trap);
  CHECK(trap_says(trap, "another store"));
  wasm_foreign_t *foreign = wasm_foreign_new(g.store);
  gc_call(&g, GC_GET0, (wasm_val_t)WASM_REF_VAL(wasm_foreign_as_ref(foreign)), 1, &trap);
  CHECK(trap_says(trap, "wrong type"));
  /* Globals and tables. */
  wasm_global_t *gl = wasm_extern_as_global(g.exports.data[GC_G]);
  wasm_globaltype_t *gt = wasm_global_type(gl);
  CHECK(wasm_valtype_kind(wasm_globaltype_content(gt)) == WASM_ANYREF);
  wasm_globaltype_delete(gt);
  wasm_val_t v = WASM_REF_VAL(copy);
  wasm_global_set(gl, &v);
  wasm_global_set(gl, &arr); /* refused: the global keeps the struct */
  wasm_global_get(gl, &v);
  CHECK(v.of.ref != NULL && v.of.ref != copy && wasm_ref_same(v.of.ref, copy));
  r = gc_call(&g, GC_GET0, v, 1, &trap);
  CHECK(!trap && r.of.i32 == 1234);
  wasm_val_delete(&v);
  wasm_table_t *tab = wasm_extern_as_table(g.exports.data[GC_TAB]);
  wasm_tabletype_t *tt = wasm_table_type(tab);
  CHECK(wasm_valtype_kind(wasm_tabletype_element(tt)) == WASM_ANYREF);
  wasm_tabletype_delete(tt);
  CHECK(wasm_table_set(tab, 1, copy));
  CHECK(!wasm_table_set(tab, 0, arr.of.ref));
  CHECK(!wasm_table_set(tab, 0, wasm_foreign_as_ref(foreign)));
  wasm_ref_t *elem = wasm_table_get(tab, 1);
  CHECK(elem && wasm_ref_same(elem, copy));
  r = gc_call(&g, GC_GET0, (wasm_val_t)WASM_REF_VAL(elem), 1, &trap);
  CHECK(!trap && r.of.i32 == 1234);
  wasm_ref_delete(elem);
  CHECK(wasm_table_get(tab, 0) == NULL);
  /* An exception caught in wasm, held by the host, rethrown. */
  wasm_val_t ex = gc_call(&g, GC_CATCH, (wasm_val_t)WASM_INIT_VAL, 0, &trap);
  CHECK(!trap && ex.of.ref != NULL);
  gc_call(&g, GC_CHURN, (wasm_val_t)WASM_I32_VAL(400), 1, &trap);
  r = gc_call(&g, GC_RETHROW, ex, 1, &trap);
  CHECK(!trap && r.of.i32 == 42);
  gc_call(&g, GC_GET0, ex, 1, &trap);
  CHECK(trap_says(trap, "wrong type"));
  gc_call(&g, GC_RETHROW, (wasm_val_t)WASM_REF_VAL(copy), 1, &trap);
  CHECK(trap_says(trap, "wrong type"));
  wasm_val_delete(&ex);
  /* A struct through a host function (as an externref) and back. */
  r = gc_call(&g, GC_VIA, (wasm_val_t)WASM_I32_VAL(5), 1, &trap);
  CHECK(!trap && r.of.i32 == 5);
  /* Released references no longer keep their objects; the rest the store frees. */
  wasm_ref_delete(copy);
  gc_call(&g, GC_CHURN, (wasm_val_t)WASM_I32_VAL(4000), 1, &trap);
  CHECK(!trap);
  r = gc_call(&g, GC_SUM, arr, 1, &trap);
  CHECK(!trap && r.of.i32 == 70); /* arr is left to wasm_store_delete */
  wasm_foreign_delete(foreign);
  gc_env_delete(&g);
  gc_env_delete(&g2);
  wasm_engine_delete(engine);
}

int main(void) {
  test_vectors();
  test_hello();
  test_callback();
  test_global();
  test_memory();
  test_table();
  test_trap();
  test_frame_instances();
  test_v128_kind();
  test_wrong_result();
  test_multi_ok();
  test_reflect();
  test_finalize();
  test_serialize();
  test_threads();
  test_start();
  test_hostref();
  test_gc_refs();
  return test_finish("test_wasm_c_api");
}
