/*
** test_runtime.c: the runtime API: engines and stores, host-created objects, import
** matching, instantiation order and its traps, memory and table growth under the
** declared and engine-wide limits, re-entrant calls, allocation failures during
** instantiation and calls, and one module shared by several stores and threads.
*/
#if !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE 1 /* fork, MAP_ANONYMOUS */
#endif
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "binary.h"
#include "exec.h"
#include "runtime.h"
#include "test_util.h"
#include "text.h"
#include "valid.h"

static kite_module *compile(kite_engine *e, const char *wat) {
  kite_error err;
  kite_error_clear(&err);
  kite_buf b;
  kite_buf_init(&b, kite_engine_alloc(e));
  if (!kite_wat_to_wasm(kite_engine_alloc(e), wat, strlen(wat), KITE_FEATURES_2_0, &b, &err)) {
    CHECK_MSG(false, "wat: %s (%u:%u)", err.msg, err.line, err.col);
    kite_buf_free(&b);
    return NULL;
  }
  kite_module *m = kite_decode(kite_engine_alloc(e), b.data, b.len, KITE_FEATURES_2_0, NULL, &err);
  kite_buf_free(&b);
  CHECK_MSG(m != NULL, "decode: %s", err.msg);
  if (m && !kite_validate_module(m, KITE_FEATURES_2_0, &err)) {
    CHECK_MSG(false, "validate: %s", err.msg);
    kite_module_free(m);
    return NULL;
  }
  return m;
}

static kite_funcinst *get_func(kite_instance *inst, const char *name) {
  kite_extern x;
  if (!inst || !kite_instance_export(inst, name, strlen(name), &x)) return NULL;
  return x.kind == KITE_EXTERN_FUNC ? x.u.func : NULL;
}

static bool call_i32(kite_store *s, kite_funcinst *f, uint32_t arg, uint32_t *out,
                     kite_error *err) {
  kite_value a = kite_val_i32(arg), r;
  kite_error_clear(err);
  if (!f) return false;
  bool ok = kite_func_call(s, f, &a, f->type->nparams, &r, f->type->nresults, err);
  if (ok && out) *out = r.u.i32;
  return ok;
}

/* ---- host objects and accessors ---- */

static void test_host_objects(void) {
  kite_engine_config cfg;
  kite_engine_config_default(&cfg);
  cfg.max_memory_pages = 4;
  kite_engine *e = kite_engine_new(&cfg);
  kite_store *s = kite_store_new(e);
  kite_error err;
  kite_error_clear(&err);

  /* memory: grow within the declared maximum and the engine cap, -1 beyond */
  kite_limits ml = {1, 10, true, false, false, 16};
  kite_meminst *m = kite_memory_new(s, &ml, &err);
  CHECK(m && kite_memory_size(m) == 1 && kite_memory_size_bytes(m) == 65536);
  CHECK(m && kite_memory_data(m)[65535] == 0);
  CHECK(kite_memory_grow(m, 2) == 1);
  CHECK(kite_memory_grow(m, 2) == UINT64_MAX); /* 5 pages > engine cap of 4 */
  CHECK(kite_memory_grow(m, 1) == 3);
  CHECK(kite_memory_size(m) == 4 && kite_memory_data(m)[4 * 65536 - 1] == 0);
  CHECK(kite_memory_grow(m, 0) == 4);

  /* table: get/set/grow with type checks */
  kite_limits tl = {2, 3, true, false, false, 0};
  kite_tableinst *t =
      kite_table_new(s, kite_vt_ref(KITE_HT_FUNC, true), &tl, kite_val_null(KITE_HT_FUNC), &err);
  CHECK(t && kite_table_size(t) == 2);
  kite_value v;
  CHECK(kite_table_get(t, 1, &v) && kite_val_is_null(&v));
  CHECK(!kite_table_get(t, 2, &v));
  CHECK(!kite_table_set(t, 0, kite_val_externref(5))); /* wrong reference type */
  CHECK(kite_table_grow(t, 1, kite_val_null(KITE_HT_FUNC)) == 2);
  CHECK(kite_table_grow(t, 1, kite_val_null(KITE_HT_FUNC)) == UINT64_MAX);

  /* globals: immutable ones refuse set; values keep NaN payloads */
  kite_globaltype gt = {kite_vt(KITE_VT_F32), false};
  kite_globalinst *g = kite_global_new(s, gt, kite_val_f32_bits(0x7FA00001u), &err);
  CHECK(g && kite_global_get(g).u.f32 == 0x7FA00001u);
  kite_error_clear(&err);
  CHECK(!kite_global_set(g, kite_val_f32_bits(0), &err) && err.kind == KITE_ERR_USAGE);
  kite_globaltype gm = {kite_vt(KITE_VT_I64), true};
  kite_globalinst *g2 = kite_global_new(s, gm, kite_val_i64(1), &err);
  kite_error_clear(&err);
  CHECK(g2 && kite_global_set(g2, kite_val_i64(7), &err) && kite_global_get(g2).u.i64 == 7);
  kite_error_clear(&err);
  CHECK(g2 && !kite_global_set(g2, kite_val_i32(7), &err));

  /* externrefs compare by their host value, and 0 is not null */
  kite_value x0 = kite_val_externref(0), x7 = kite_val_externref(7);
  CHECK(!kite_val_is_null(&x0) && kite_val_extern_host(&x0) == 0);
  CHECK(kite_val_extern_host(&x7) == 7);
  kite_value nul = kite_val_null(KITE_HT_EXTERN);
  CHECK(kite_val_is_null(&nul));

  kite_store_free(s);
  kite_engine_free(e);
}

/* ---- linking ---- */

static void test_linking(void) {
  kite_engine *e = kite_engine_new(NULL);
  kite_store *s = kite_store_new(e);
  kite_error err;
  kite_error_clear(&err);
  kite_limits ml = {1, 2, true, false, false, 16};
  kite_meminst *mem = kite_memory_new(s, &ml, &err);
  kite_extern x = {KITE_EXTERN_MEMORY, {.memory = mem}};

  const char *ok_wat[] = {
      "(module (import \"m\" \"m\" (memory 1)))",
      "(module (import \"m\" \"m\" (memory 1 2)))",
      "(module (import \"m\" \"m\" (memory 0 3)))",
  };
  const char *bad_wat[] = {
      "(module (import \"m\" \"m\" (memory 2)))",   /* min too large */
      "(module (import \"m\" \"m\" (memory 1 1)))", /* max too small */
      "(module (import \"m\" \"m\" (table 1 funcref)))",
      "(module (import \"m\" \"m\" (func)))",
  };
  kite_module *mods[7];
  int n = 0;
  for (size_t i = 0; i < KITE_ARRAY_LEN(ok_wat); i++) {
    kite_module *m = mods[n++] = compile(e, ok_wat[i]);
    kite_error_clear(&err);
    CHECK_MSG(m && kite_instantiate(s, m, &x, 1, &err) != NULL, "%s: %s", ok_wat[i], err.msg);
  }
  for (size_t i = 0; i < KITE_ARRAY_LEN(bad_wat); i++) {
    kite_module *m = mods[n++] = compile(e, bad_wat[i]);
    kite_error_clear(&err);
    CHECK_MSG(m && kite_instantiate(s, m, &x, 1, &err) == NULL && err.kind == KITE_ERR_LINK &&
                  strcmp(err.msg, "incompatible import type") == 0,
              "%s: %s", bad_wat[i], err.msg);
  }
  /* a memory with no declared maximum does not satisfy an import with one */
  kite_limits nomax = {1, 0, false, false, false, 16};
  kite_meminst *m2 = kite_memory_new(s, &nomax, &err);
  kite_extern x2 = {KITE_EXTERN_MEMORY, {.memory = m2}};
  kite_error_clear(&err);
  CHECK(mods[1] && kite_instantiate(s, mods[1], &x2, 1, &err) == NULL && err.kind == KITE_ERR_LINK);
  kite_store_free(s);
  for (int i = 0; i < n; i++) kite_module_free(mods[i]);
  kite_engine_free(e);
}

/* ---- instantiation order ---- */

static void test_instantiation_order(void) {
  kite_engine *e = kite_engine_new(NULL);
  kite_store *s = kite_store_new(e);
  kite_error err;
  kite_error_clear(&err);
  kite_limits ml = {1, 1, true, false, false, 16};
  kite_meminst *mem = kite_memory_new(s, &ml, &err);
  kite_extern x = {KITE_EXTERN_MEMORY, {.memory = mem}};
  /* The first data segment is written before the second one traps; the start function
     never runs. */
  kite_module *m = compile(e, "(module (import \"m\" \"m\" (memory 1))"
                              "  (data (i32.const 0) \"ab\") (data (i32.const 65535) \"cd\")"
                              "  (func $s (i32.store (i32.const 8) (i32.const 1))) (start $s))");
  kite_error_clear(&err);
  CHECK(m && kite_instantiate(s, m, &x, 1, &err) == NULL && err.kind == KITE_ERR_RUNTIME &&
        strcmp(err.msg, "out of bounds memory access") == 0);
  uint8_t *d = kite_memory_data(mem);
  CHECK(d[0] == 'a' && d[1] == 'b' && d[8] == 0);
  /* a trapping start function: data is written, the start trap is reported */
  kite_module *m2 = compile(e, "(module (import \"m\" \"m\" (memory 1))"
                               "  (data (i32.const 100) \"z\") (func $s unreachable) (start $s))");
  kite_error_clear(&err);
  CHECK(m2 && kite_instantiate(s, m2, &x, 1, &err) == NULL && err.kind == KITE_ERR_RUNTIME &&
        strcmp(err.msg, "unreachable") == 0);
  CHECK(d[100] == 'z');
  /* passive and declarative segments: declarative ones are dropped at instantiation */
  kite_module *m3 = compile(e, "(module (table 2 funcref) (func $f (result i32) (i32.const 3))"
                               "  (elem declare func $f) (elem $p func $f)"
                               "  (func (export \"init\") (param i32) (table.init $p (local.get 0)"
                               "     (i32.const 0) (i32.const 1)))"
                               "  (func (export \"call\") (param i32) (result i32)"
                               "     (call_indirect (result i32) (local.get 0))))");
  kite_error_clear(&err);
  kite_instance *inst = m3 ? kite_instantiate(s, m3, NULL, 0, &err) : NULL;
  CHECK(inst != NULL);
  uint32_t r = 0;
  CHECK(call_i32(s, get_func(inst, "init"), 1, NULL, &err));
  CHECK(call_i32(s, get_func(inst, "call"), 1, &r, &err) && r == 3);
  CHECK(!call_i32(s, get_func(inst, "call"), 0, &r, &err) &&
        strcmp(err.msg, "uninitialized element 0") == 0);
  kite_store_free(s);
  kite_module_free(m);
  kite_module_free(m2);
  kite_module_free(m3);
  kite_engine_free(e);
}

/* ---- re-entrant calls: wasm -> host -> wasm ---- */

typedef struct reenter_env {
  kite_funcinst *target;
  int calls;
} reenter_env;

static bool host_reenter(void *env, kite_store *s, const kite_value *args, uint32_t nargs,
                         kite_value *results, uint32_t nresults, kite_error *err) {
  (void)nargs;
  (void)nresults;
  reenter_env *re = env;
  re->calls++;
  kite_value r;
  if (!kite_func_call(s, re->target, args, 1, &r, 1, err)) return false;
  results[0].u.i32 = r.u.i32 + 1;
  return true;
}

static void test_reentrancy(void) {
  kite_engine *e = kite_engine_new(NULL);
  kite_store *s = kite_store_new(e);
  kite_error err;
  kite_error_clear(&err);
  reenter_env re = {NULL, 0};
  kite_valtype i32 = kite_vt(KITE_VT_I32);
  kite_functype ft = {1, 1, &i32, &i32};
  kite_funcinst *h = kite_func_new_host(s, &ft, host_reenter, &re, &err);
  /* f(n) = n == 0 ? 0 : host(n - 1) + 1 where host calls f again: depth 2n */
  kite_module *m = compile(e, "(module (import \"h\" \"h\" (func $h (param i32) (result i32)))"
                              "  (func (export \"f\") (param i32) (result i32)"
                              "    (if (result i32) (local.get 0)"
                              "      (then (i32.add (call $h (i32.sub (local.get 0) (i32.const 1)))"
                              "                     (i32.const 0)))"
                              "      (else (i32.const 0)))))");
  kite_extern x = {KITE_EXTERN_FUNC, {.func = h}};
  kite_instance *inst = m ? kite_instantiate(s, m, &x, 1, &err) : NULL;
  CHECK(inst != NULL);
  re.target = get_func(inst, "f");
  uint32_t r = 0;
  CHECK(call_i32(s, re.target, 50, &r, &err) && r == 50 && re.calls == 50);
  /* deep re-entry hits the limit cleanly */
  CHECK(!call_i32(s, re.target, 100000, &r, &err) && err.kind == KITE_ERR_EXHAUSTION);
  CHECK(call_i32(s, re.target, 3, &r, &err) && r == 3);
  kite_store_free(s);
  kite_module_free(m);
  kite_engine_free(e);
}

/* ---- the defined functions' instances and function-index element segments ---- */

static bool host_double(void *env, kite_store *s, const kite_value *args, uint32_t nargs,
                        kite_value *results, uint32_t nresults, kite_error *err) {
  (void)env, (void)s, (void)nargs, (void)nresults, (void)err;
  results[0] = kite_val_i32(args[0].u.i32 * 2);
  return true;
}

static void test_function_instances(void) {
  kite_engine *e = kite_engine_new(NULL);
  kite_store *s = kite_store_new(e);
  kite_error err;
  kite_error_clear(&err);
  kite_valtype i32 = kite_vt(KITE_VT_I32);
  kite_functype ft = {1, 1, &i32, &i32};
  kite_funcinst *h = kite_func_new_host(s, &ft, host_double, NULL, &err);
  /* Functions of several types, in no order, after an import; element segments of
     function indices: active, passive, empty, and naming the import. */
  kite_module *m =
      compile(e, "(module (import \"h\" \"h\" (func $h (param i32) (result i32)))"
                 "  (type $a (func (param i32) (result i32)))"
                 "  (type $b (func (param i64 i64) (result i64)))"
                 "  (type $c (func (result f64)))"
                 "  (table 8 funcref)"
                 "  (func $a1 (type $a) (i32.add (local.get 0) (i32.const 1)))"
                 "  (func $b1 (type $b) (i64.add (local.get 0) (local.get 1)))"
                 "  (func $a2 (type $a) (i32.mul (local.get 0) (i32.const 3)))"
                 "  (func $c1 (type $c) (f64.const 1.5))"
                 "  (elem (i32.const 1) $a2 $h $a1)"
                 "  (elem $p func $c1 $a1 $b1 $a2)"
                 "  (elem (i32.const 0))"
                 "  (elem declare func $b1)"
                 "  (func (export \"at\") (param i32) (result i32)"
                 "    (call_indirect (type $a) (i32.const 10) (local.get 0)))"
                 "  (func (export \"init\") (param i32) (result i32)"
                 "    (table.init $p (i32.const 4) (i32.const 0) (i32.const 4)) (i32.const 0)))");
  kite_extern x = {KITE_EXTERN_FUNC, {.func = h}};
  kite_instance *inst = m ? kite_instantiate(s, m, &x, 1, &err) : NULL;
  CHECK_MSG(inst != NULL, "%s", err.msg);
  if (inst) {
    CHECK(inst->funcs[0] == h);
    for (uint32_t i = 1; i < m->nfuncs; i++) {
      kite_funcinst *f = inst->funcs[i], want;
      memset(&want, 0, sizeof want);
      want.type = kite_module_func_type(m, i);
      kite_funcinst_init_slots(&want);
      CHECK_MSG(f == &inst->own_funcs[i - 1] && f->index == i && f->inst == inst &&
                    f->type == want.type && f->nslots_params == want.nslots_params &&
                    f->nslots_results == want.nslots_results &&
                    f->rtt == inst->rtts[m->funcs[i].type] && !f->host && !f->env &&
                    !atomic_load(&f->code),
                "function %u", i);
    }
    kite_tableinst *t = inst->tables[0];
    CHECK(t->size == 8 && t->elems[0] == KITE_REF_NULL && t->elems[4] == KITE_REF_NULL);
    CHECK(t->elems[1] == (kite_ref)(uintptr_t)inst->funcs[3] &&
          t->elems[2] == (kite_ref)(uintptr_t)h &&
          t->elems[3] == (kite_ref)(uintptr_t)inst->funcs[1]);
    /* active and declarative segments are dropped, the passive one is kept */
    CHECK(inst->elem_len[0] == 0 && inst->elem_len[1] == 4 && inst->elem_len[2] == 0 &&
          inst->elem_len[3] == 0);
    uint32_t r = 0;
    CHECK(call_i32(s, get_func(inst, "at"), 1, &r, &err) && r == 30);
    CHECK(call_i32(s, get_func(inst, "at"), 2, &r, &err) && r == 20);
    CHECK(call_i32(s, get_func(inst, "at"), 3, &r, &err) && r == 11);
    CHECK(call_i32(s, get_func(inst, "init"), 0, &r, &err));
    CHECK(t->elems[4] == (kite_ref)(uintptr_t)inst->funcs[4] &&
          t->elems[7] == (kite_ref)(uintptr_t)inst->funcs[3]);
    CHECK(call_i32(s, get_func(inst, "at"), 5, &r, &err) && r == 11);
    CHECK(call_i32(s, get_func(inst, "at"), 7, &r, &err) && r == 30);
    CHECK(!call_i32(s, get_func(inst, "at"), 6, &r, &err) &&
          strcmp(err.msg, "indirect call type mismatch") == 0);
  }
  kite_store_free(s);
  kite_module_free(m);
  kite_engine_free(e);
}

/* ---- allocation failures: every failing allocation is reported, nothing leaks ---- */

static void test_oom(void) {
  const char *wat =
      "(module (memory 1) (table 4 funcref) (global $g (mut i32) (i32.const 1))"
      "  (func $f (result i32) (global.get $g))"
      "  (elem (i32.const 0) $f $f) (data (i32.const 0) \"xyz\")"
      "  (func (export \"run\") (param i32) (result i32)"
      "    (i32.add (call_indirect (result i32) (local.get 0)) (i32.load8_u (i32.const 1)))))";
  int failures_seen = 0;
  for (uint64_t n = 1; n < 200; n++) {
    kite_engine *e = kite_engine_new(NULL);
    kite_module *m = compile(e, wat);
    kite_store *s = kite_store_new(e);
    kite_alloc *a = kite_engine_alloc(e);
    a->fail_at = a->count + n;
    kite_error err;
    kite_error_clear(&err);
    kite_instance *inst = kite_instantiate(s, m, NULL, 0, &err);
    uint32_t r = 0;
    bool ok = inst && call_i32(s, get_func(inst, "run"), 1, &r, &err);
    if (ok) {
      CHECK(r == 1 + 'y');
    } else {
      CHECK_MSG(err.kind == KITE_ERR_OOM, "n=%llu: %d %s", (unsigned long long)n, err.kind,
                err.msg);
      failures_seen++;
    }
    a->fail_at = 0;
    kite_store_free(s);
    kite_module_free(m);
    CHECK_MSG(a->bytes == sizeof(kite_engine), "n=%llu: %zu bytes left", (unsigned long long)n,
              a->bytes - sizeof(kite_engine));
    kite_engine_free(e);
    if (ok) break;
  }
  CHECK(failures_seen > 5);
}

/* ---- one module, several stores on several threads ---- */

typedef struct thread_arg {
  kite_engine *engine;
  const kite_module *module;
  uint32_t result;
  bool ok;
} thread_arg;

static void *run_thread(void *p) {
  thread_arg *t = p;
  kite_store *s = kite_store_new(t->engine);
  kite_error err;
  kite_error_clear(&err);
  kite_instance *inst = kite_instantiate(s, t->module, NULL, 0, &err);
  t->ok = inst && call_i32(s, get_func(inst, "fib"), 22, &t->result, &err);
  kite_store_free(s);
  return NULL;
}

static void test_shared_module(void) {
  kite_engine *e = kite_engine_new(NULL);
  kite_module *m =
      compile(e, "(module (func $fib (export \"fib\") (param i32) (result i32)"
                 "  (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))"
                 "    (then (local.get 0))"
                 "    (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))"
                 "                   (call $fib (i32.sub (local.get 0) (i32.const 2))))))))");
  if (!m) return;
  /* The engine's allocator is shared: give each thread its own engine, one module. */
  enum { N = 4 };
  pthread_t th[N];
  thread_arg args[N];
  kite_engine *engines[N];
  for (int i = 0; i < N; i++) {
    engines[i] = kite_engine_new(NULL);
    args[i] = (thread_arg){engines[i], m, 0, false};
  }
  /* Lowering allocates from the module's allocator: lower once up front so the threads
     only race on the atomic publication of already-lowered code. */
  kite_store *s0 = kite_store_new(e);
  kite_error err;
  kite_error_clear(&err);
  kite_instance *i0 = kite_instantiate(s0, m, NULL, 0, &err);
  uint32_t r0 = 0;
  CHECK(i0 && call_i32(s0, get_func(i0, "fib"), 10, &r0, &err) && r0 == 55);
  for (int i = 0; i < N; i++) pthread_create(&th[i], NULL, run_thread, &args[i]);
  for (int i = 0; i < N; i++) {
    pthread_join(th[i], NULL);
    CHECK(args[i].ok && args[i].result == 17711);
    kite_engine_free(engines[i]);
  }
  kite_store_free(s0);
  kite_module_free(m);
  kite_engine_free(e);
}

/* ---- guard pages: out-of-bounds accesses trap the same with and without them ---- */

static void check_oob(bool no_guard) {
  kite_engine_config cfg;
  kite_engine_config_default(&cfg);
  cfg.no_guard_pages = no_guard;
  kite_engine *e = kite_engine_new(&cfg);
  kite_store *s = kite_store_new(e);
  kite_module *m = compile(
      e, "(module (memory (export \"m\") 1 2)"
         "  (func (export \"ld\") (param i32) (result i32)"
         "    (i32.load offset=0xFFFFFFFF (local.get 0)))"
         "  (func (export \"ld0\") (param i32) (result i32) (i32.load (local.get 0)))"
         "  (func (export \"st\") (param i32) (result i32)"
         "    (i64.store (local.get 0) (i64.const -1)) (i32.const 0))"
         "  (func (export \"nest\") (param i32) (result i32)"
         "    (i32.add (i32.const 1) (call 1 (local.get 0))))"
         "  (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0))))");
  kite_error err;
  kite_error_clear(&err);
  kite_instance *inst = m ? kite_instantiate(s, m, NULL, 0, &err) : NULL;
  CHECK(inst != NULL);
  kite_extern mx;
  CHECK(inst && kite_instance_export(inst, "m", 1, &mx));
  CHECK(inst && mx.u.memory->guarded == (!no_guard && KITE_GUARD_PAGES));
  uint32_t r = 0;
  CHECK(!call_i32(s, get_func(inst, "ld"), 0xFFFFFFFFu, &r, &err) &&
        strcmp(err.msg, "out of bounds memory access") == 0);
  CHECK(!call_i32(s, get_func(inst, "ld0"), 65533, &r, &err) && err.code == KITE_TRAP_MEMORY_OOB);
  CHECK(call_i32(s, get_func(inst, "ld0"), 65532, &r, &err) && r == 0);
  /* a partly out-of-bounds store writes nothing */
  CHECK(!call_i32(s, get_func(inst, "st"), 65530, &r, &err) && err.code == KITE_TRAP_MEMORY_OOB);
  CHECK(kite_memory_data(mx.u.memory)[65530] == 0);
  /* the backtrace has both frames of a trap one call deep */
  CHECK(!call_i32(s, get_func(inst, "nest"), 70000, &r, &err) && err.code == KITE_TRAP_MEMORY_OOB);
  const kite_trace *tr = kite_store_trace(s);
  CHECK(tr->nframes == 2 && tr->frames[0].func_index == 1 && tr->frames[1].func_index == 3);
  /* after growing, the same address is fine, and the store keeps working */
  CHECK(call_i32(s, get_func(inst, "grow"), 1, &r, &err) && r == 1);
  CHECK(call_i32(s, get_func(inst, "ld0"), 70000, &r, &err) && r == 0);
  CHECK(!call_i32(s, get_func(inst, "ld0"), 2 * 65536 - 3, &r, &err));
  kite_store_free(s);
  kite_module_free(m);
  kite_engine_free(e);
}

static void test_guard_pages(void) {
  check_oob(false);
  check_oob(true);
  /* A fault outside wasm memory still kills the process (the handler hands it on). */
  pid_t pid = fork();
  if (pid == 0) {
    check_oob(false);
    volatile int *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *p = 1;
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
#if defined(__SANITIZE_ADDRESS__)
  /* AddressSanitizer's own handler reports the fault and exits with an error. */
  CHECK_MSG(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0),
            "child status %d", status);
#else
  CHECK_MSG(WIFSIGNALED(status) && (WTERMSIG(status) == SIGSEGV || WTERMSIG(status) == SIGBUS),
            "child status %d", status);
#endif
}

int main(void) {
  test_host_objects();
  test_linking();
  test_instantiation_order();
  test_reentrancy();
  test_function_instances();
  test_oom();
  test_shared_module();
  test_guard_pages();
  return test_finish("test_runtime");
}
