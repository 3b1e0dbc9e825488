/*
** test_gc.c: the GC heap and its collector, and canonical types across modules.
** Allocation churn far beyond the allocator's limit stays bounded (the collector
** runs), cycles are collected, every kind of root keeps its objects (the value stack
** across calls and host re-entry, globals, tables, element segments), allocation
** failure is an error and not a crash, and type identity holds across modules.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary.h"
#include "runtime.h"
#include "test_util.h"
#include "text.h"
#include "valid.h"

typedef struct env {
  kite_engine *engine;
  kite_store *store;
  kite_module *mods[8];
  int nmods;
} env;

static bool env_open(env *E, size_t alloc_limit) {
  memset(E, 0, sizeof *E);
  kite_engine_config cfg;
  kite_engine_config_default(&cfg);
  cfg.features = KITE_FEATURES_3_0;
  cfg.alloc_limit = alloc_limit;
  E->engine = kite_engine_new(&cfg);
  E->store = E->engine ? kite_store_new(E->engine) : NULL;
  CHECK(E->store != NULL);
  return E->store != NULL;
}

static void env_close(env *E) {
  kite_store_free(E->store);
  for (int i = 0; i < E->nmods; i++) kite_module_free(E->mods[i]);
  kite_engine_free(E->engine);
}

static kite_module *compile(env *E, const char *wat) {
  kite_alloc *a = kite_engine_alloc(E->engine);
  kite_buf b;
  kite_buf_init(&b, a);
  kite_error err;
  kite_error_clear(&err);
  kite_module *m = NULL;
  if (!kite_wat_to_wasm(a, wat, strlen(wat), KITE_FEATURES_3_0, &b, &err)) {
    CHECK_MSG(false, "wat: %s (%u:%u)", err.msg, err.line, err.col);
  } else {
    m = kite_decode(a, b.data, b.len, KITE_FEATURES_3_0, NULL, &err);
    CHECK_MSG(m != NULL, "decode: %s", err.msg);
    if (m && !kite_validate_module(m, KITE_FEATURES_3_0, &err)) {
      CHECK_MSG(false, "validate: %s", err.msg);
      kite_module_free(m);
      m = NULL;
    }
  }
  kite_buf_free(&b);
  if (m) E->mods[E->nmods++] = m;
  return m;
}

static kite_instance *instantiate(env *E, const char *wat, const kite_extern *imports,
                                  uint32_t n) {
  kite_module *m = compile(E, wat);
  if (!m) return NULL;
  kite_error err;
  kite_error_clear(&err);
  kite_instance *inst = kite_instantiate(E->store, m, imports, n, &err);
  CHECK_MSG(inst != NULL, "instantiate: %s", err.msg);
  return inst;
}

static kite_funcinst *func(kite_instance *inst, const char *name) {
  kite_extern x;
  if (!inst || !kite_instance_export(inst, name, strlen(name), &x) || x.kind != KITE_EXTERN_FUNC)
    return NULL;
  return x.u.func;
}

/* Call with i32 arguments; returns the first i32 result (0 when there is none). */
static uint32_t call(env *E, kite_instance *inst, const char *name, kite_error *err, int nargs,
                     ...) {
  kite_funcinst *f = func(inst, name);
  kite_error_clear(err);
  CHECK_MSG(f != NULL, "no export %s", name);
  if (!f) return 0;
  kite_value args[4], res[2];
  va_list ap;
  va_start(ap, nargs);
  for (int i = 0; i < nargs && i < 4; i++) args[i] = kite_val_i32((uint32_t)va_arg(ap, int));
  va_end(ap);
  memset(res, 0, sizeof res);
  kite_func_call(E->store, f, args, (uint32_t)nargs, res, kite_func_type(f)->nresults, err);
  return res[0].u.i32;
}

static const char *heap_wat =
    "(module\n"
    "  (type $bytes (array (mut i8)))\n"
    "  (type $node (struct (field $v (mut i32)) (field $next (mut (ref null $node)))))\n"
    "  (type $nodes (array (ref null $node)))\n"
    "  (type $pile (struct (field (ref $bytes)) (field (ref null $pile))))\n"
    "  (import \"host\" \"reenter\" (func $reenter))\n"
    "  (global $keep (mut (ref null $bytes)) (ref.null $bytes))\n"
    "  (global $g (mut (ref null $node)) (ref.null $node))\n"
    "  (global $const (ref $node) (struct.new $node (i32.const 5) (ref.null $node)))\n"
    "  (table $t 2 (ref null $node))\n"
    "  (elem $e (ref null $node) (item (struct.new $node (i32.const 77) (ref.null $node))))\n"
    "  (tag $t (param (ref null $node)))\n"
    "  (global $ex (mut exnref) (ref.null exn))\n"
    "  (func $churn (export \"churn\") (param $n i32) (param $size i32)\n"
    "    (loop $l\n"
    "      (global.set $keep (array.new_default $bytes (local.get $size)))\n"
    "      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))\n"
    "  (func $list (export \"list\") (param $n i32) (result (ref null $node))\n"
    "    (local $h (ref null $node))\n"
    "    (block $done (loop $l\n"
    "      (br_if $done (i32.eqz (local.get $n)))\n"
    "      (local.set $h (struct.new $node (local.get $n) (local.get $h)))\n"
    "      (local.set $n (i32.sub (local.get $n) (i32.const 1)))\n"
    "      (br $l)))\n"
    "    (local.get $h))\n"
    "  (func $sum (param $h (ref null $node)) (result i32)\n"
    "    (local $s i32)\n"
    "    (block $done (loop $l\n"
    "      (br_if $done (ref.is_null (local.get $h)))\n"
    "      (local.set $s (i32.add (local.get $s) (struct.get $node $v (local.get $h))))\n"
    "      (local.set $h (struct.get $node $next (local.get $h)))\n"
    "      (br $l)))\n"
    "    (local.get $s))\n"
    "  (func (export \"cycle\") (param $n i32)\n"
    "    (local $h (ref null $node)) (local $t (ref null $node))\n"
    "    (local.set $h (call $list (local.get $n)))\n"
    "    (local.set $t (local.get $h))\n"
    "    (block $done (loop $l\n"
    "      (br_if $done (ref.is_null (struct.get $node $next (local.get $t))))\n"
    "      (local.set $t (struct.get $node $next (local.get $t)))\n"
    "      (br $l)))\n"
    "    (struct.set $node $next (local.get $t) (local.get $h)))\n"
    "  (func (export \"stack_root\") (param $n i32) (result i32)\n"
    "    (local $h (ref null $node))\n"
    "    (local.set $h (call $list (local.get $n)))\n"
    "    (call $churn (i32.const 64) (i32.const 1048576))\n"
    "    (call $sum (local.get $h)))\n"
    "  (func (export \"host_root\") (param $n i32) (result i32)\n"
    "    (local $h (ref null $node))\n"
    "    (local.set $h (call $list (local.get $n)))\n"
    "    (call $reenter)\n"
    "    (call $sum (local.get $h)))\n"
    "  (func $deep (export \"deep\") (param $d i32) (result i32)\n"
    "    (local $x (ref null $node))\n"
    "    (local.set $x (struct.new $node (local.get $d) (ref.null $node)))\n"
    "    (if (local.get $d)\n"
    "      (then (drop (call $deep (i32.sub (local.get $d) (i32.const 1)))))\n"
    "      (else (call $churn (i32.const 32) (i32.const 1048576))))\n"
    "    (struct.get $node $v (local.get $x)))\n"
    "  (func (export \"set_roots\") (param $n i32)\n"
    "    (global.set $g (call $list (local.get $n)))\n"
    "    (table.set $t (i32.const 1) (call $list (local.get $n))))\n"
    "  (func (export \"check_roots\") (result i32)\n"
    "    (i32.add (i32.add (call $sum (global.get $g)) (call $sum (table.get $t (i32.const 1))))\n"
    "      (i32.add (struct.get $node $v (global.get $const))\n"
    "        (struct.get $node $v (array.get $nodes\n"
    "          (array.new_elem $nodes $e (i32.const 0) (i32.const 1))\n"
    "          (i32.const 0))))))\n"
    "  (func (export \"exn_make\") (param $n i32)\n"
    "    (block $h (result (ref null $node) exnref)\n"
    "      (try_table (catch_ref $t $h) (throw $t (call $list (local.get $n))))\n"
    "      (unreachable))\n"
    "    (global.set $ex)\n"
    "    (drop))\n"
    "  (func (export \"exn_use\") (result i32)\n"
    "    (block $h (result (ref null $node))\n"
    "      (try_table (catch $t $h) (throw_ref (global.get $ex)))\n"
    "      (unreachable))\n"
    "    (call $sum))\n"
    "  (func (export \"hoard\") (param $size i32)\n"
    "    (local $h (ref null $pile))\n"
    "    (loop $l\n"
    "      (local.set $h (struct.new $pile (array.new_default $bytes (local.get $size))\n"
    "        (local.get $h)))\n"
    "      (br $l)))\n"
    ")\n";

/* The host function: calls back into wasm, which collects, while the caller's frame
   holds objects only in its slots. */
typedef struct reenter_env {
  env *E;
  kite_instance *inst;
  int calls;
} reenter_env;

static bool reenter(void *envp, kite_store *s, const kite_value *args, uint32_t nargs,
                    kite_value *results, uint32_t nresults, kite_error *err) {
  (void)args, (void)nargs, (void)results, (void)nresults;
  reenter_env *R = envp;
  R->calls++;
  kite_value a[2] = {kite_val_i32(64), kite_val_i32(1 << 20)};
  return kite_func_call(s, func(R->inst, "churn"), a, 2, NULL, 0, err);
}

static kite_instance *heap_instance(env *E, reenter_env *R) {
  kite_functype ft = {0, 0, NULL, NULL};
  kite_error err;
  kite_error_clear(&err);
  R->E = E;
  R->calls = 0;
  kite_extern imp;
  imp.kind = KITE_EXTERN_FUNC;
  imp.u.func = kite_func_new_host(E->store, &ft, reenter, R, &err);
  CHECK(imp.u.func != NULL);
  R->inst = instantiate(E, heap_wat, &imp, 1);
  return R->inst;
}

static void test_churn(void) {
  env E;
  /* 1 GiB allocated in all, through an allocator that refuses more than 96 MiB. */
  if (!env_open(&E, (size_t)96 << 20)) return;
  reenter_env R;
  kite_instance *inst = heap_instance(&E, &R);
  kite_error err;
  call(&E, inst, "churn", &err, 2, 4096, 256 << 10);
  CHECK_MSG(err.kind == KITE_OK, "churn: %s", err.msg);
  kite_gc_stats st;
  kite_gc_get_stats(E.store, &st);
  CHECK(st.allocated_bytes >= (uint64_t)1 << 30);
  CHECK(st.collections > 10);
  CHECK_MSG(st.bytes < (size_t)32 << 20, "live bytes %zu", st.bytes);
  CHECK(kite_engine_alloc(E.engine)->bytes < (size_t)96 << 20);
  env_close(&E);
}

static void test_cycles(void) {
  env E;
  if (!env_open(&E, 0)) return;
  reenter_env R;
  kite_instance *inst = heap_instance(&E, &R);
  kite_error err;
  kite_gc_collect(E.store, NULL);
  kite_gc_stats before, after;
  kite_gc_get_stats(E.store, &before);
  for (int i = 0; i < 10; i++) call(&E, inst, "cycle", &err, 1, 1000);
  CHECK_MSG(err.kind == KITE_OK, "cycle: %s", err.msg);
  kite_gc_get_stats(E.store, &after);
  CHECK(after.objects == before.objects + 10000);
  kite_gc_collect(E.store, NULL);
  kite_gc_get_stats(E.store, &after);
  CHECK_MSG(after.objects == before.objects, "%zu objects, %zu before", after.objects,
            before.objects);
  CHECK(after.bytes == before.bytes);
  env_close(&E);
}

static void test_roots(void) {
  env E;
  if (!env_open(&E, 0)) return;
  reenter_env R;
  kite_instance *inst = heap_instance(&E, &R);
  kite_error err;
  uint32_t n = 100, sum = n * (n + 1) / 2;

  /* Objects only in the value stack (a local of a frame below the collecting one). */
  uint64_t c0 = 0;
  kite_gc_stats st;
  kite_gc_get_stats(E.store, &st);
  c0 = st.collections;
  CHECK(call(&E, inst, "stack_root", &err, 1, (int)n) == sum);
  CHECK_MSG(err.kind == KITE_OK, "stack_root: %s", err.msg);
  kite_gc_get_stats(E.store, &st);
  CHECK(st.collections > c0);

  /* Every frame of a recursion holds one object; the innermost collects. */
  CHECK(call(&E, inst, "deep", &err, 1, 500) == 500);
  CHECK_MSG(err.kind == KITE_OK, "deep: %s", err.msg);

  /* Across a host function that calls back into wasm. */
  CHECK(call(&E, inst, "host_root", &err, 1, (int)n) == sum);
  CHECK_MSG(err.kind == KITE_OK, "host_root: %s", err.msg);
  CHECK(R.calls == 1);

  /* An exception's payload, while only an exnref in a global refers to it. */
  call(&E, inst, "exn_make", &err, 1, (int)n);
  CHECK_MSG(err.kind == KITE_OK, "exn_make: %s", err.msg);
  kite_gc_collect(E.store, NULL);
  call(&E, inst, "churn", &err, 2, 64, 1 << 20);
  CHECK(call(&E, inst, "exn_use", &err, 0) == sum);
  CHECK_MSG(err.kind == KITE_OK, "exn_use: %s", err.msg);

  /* Globals (mutable, and one initialised by struct.new), tables, element segments. */
  call(&E, inst, "set_roots", &err, 1, (int)n);
  kite_gc_collect(E.store, NULL);
  call(&E, inst, "churn", &err, 2, 64, 1 << 20);
  kite_gc_collect(E.store, NULL);
  CHECK(call(&E, inst, "check_roots", &err, 0) == 2 * sum + 5 + 77);
  CHECK_MSG(err.kind == KITE_OK, "check_roots: %s", err.msg);
  env_close(&E);
}

static void test_oom(void) {
  env E;
  if (!env_open(&E, (size_t)64 << 20)) return;
  reenter_env R;
  kite_instance *inst = heap_instance(&E, &R);
  kite_error err;
  /* Every array stays reachable: allocation must fail, cleanly. */
  call(&E, inst, "hoard", &err, 1, 1 << 20);
  CHECK_MSG(err.kind == KITE_ERR_OOM, "hoard: kind %d %s", (int)err.kind, err.msg);
  kite_gc_stats st;
  kite_gc_get_stats(E.store, &st);
  CHECK(st.objects > 10);
  env_close(&E); /* frees every object: LeakSanitizer checks */
}

/* A reference's encoding: i31 values, host references and objects are told apart. */
static void test_refs(void) {
  CHECK(kite_ref_is_i31(kite_ref_i31(0)) && kite_ref_i31(0) != KITE_REF_NULL);
  CHECK(kite_ref_i31_u(kite_ref_i31(0x7FFFFFFFu)) == 0x7FFFFFFFu);
  CHECK(kite_ref_i31_s(kite_ref_i31(0x7FFFFFFFu)) == 0xFFFFFFFFu);
  CHECK(kite_ref_i31_s(kite_ref_i31(0x3FFFFFFFu)) == 0x3FFFFFFFu);
  CHECK(kite_ref_i31_u(kite_ref_i31(0x80000001u)) == 1);
  kite_value x0 = kite_val_externref(0), big = kite_val_externref(UINTPTR_MAX >> 1);
  CHECK(!kite_val_is_null(&x0) && kite_ref_is_host(x0.u.ref) && kite_val_extern_host(&x0) == 0);
  CHECK(kite_val_extern_host(&big) == UINTPTR_MAX >> 1);
  CHECK(!kite_ref_is_ptr(x0.u.ref) && !kite_ref_is_i31(x0.u.ref));

  env E;
  if (!env_open(&E, 0)) return;
  kite_instance *inst = instantiate(
      &E,
      "(module (type $s (struct))\n"
      "  (func (export \"in\") (param externref) (result anyref) (any.convert_extern (local.get 0)))\n"
      "  (func (export \"out\") (param anyref) (result externref) (extern.convert_any (local.get 0)))\n"
      "  (func (export \"obj\") (result externref) (extern.convert_any (struct.new $s)))\n"
      "  (func (export \"is_struct\") (param externref) (result i32)\n"
      "    (ref.test (ref $s) (any.convert_extern (local.get 0)))))\n",
      NULL, 0);
  kite_value arg = kite_val_externref(12345), res;
  kite_error err;
  kite_error_clear(&err);
  CHECK(kite_func_call(E.store, func(inst, "in"), &arg, 1, &res, 1, &err));
  CHECK(kite_ref_is_host(res.u.ref) && kite_ref_host_value(res.u.ref) == 12345);
  res.type = kite_vt_ref(KITE_HT_ANY, true);
  CHECK(kite_func_call(E.store, func(inst, "out"), &res, 1, &arg, 1, &err));
  CHECK(kite_val_extern_host(&arg) == 12345);
  CHECK(kite_func_call(E.store, func(inst, "obj"), NULL, 0, &res, 1, &err));
  CHECK(kite_gc_is_object(E.store, res.u.ref));
  kite_value r2;
  CHECK(kite_func_call(E.store, func(inst, "is_struct"), &res, 1, &r2, 1, &err) && r2.u.i32 == 1);
  CHECK(kite_func_call(E.store, func(inst, "is_struct"), &arg, 1, &r2, 1, &err) && r2.u.i32 == 0);
  env_close(&E);
}

/* Equivalent types of two modules are one canonical type: call_indirect, casts and
   linking agree across modules, and declared subtypes match. */
static void test_canonical_types(void) {
  env E;
  if (!env_open(&E, 0)) return;
  kite_instance *a = instantiate(
      &E,
      "(module\n"
      "  (rec (type $f (sub (func (param i32) (result i32)))) (type $g (sub $f (func (param i32) (result i32)))))\n"
      "  (func $id (export \"id\") (type $g) (local.get 0))\n"
      "  (table (export \"t\") 1 funcref) (elem (i32.const 0) $id))\n",
      NULL, 0);
  kite_extern t, id;
  CHECK(a && kite_instance_export(a, "t", 1, &t) && kite_instance_export(a, "id", 2, &id));
  const char *b_wat =
      "(module\n"
      "  (rec (type $f (sub (func (param i32) (result i32)))) (type $g (sub $f (func (param i32) (result i32)))))\n"
      "  (type $h (func (param i32) (result i32)))\n"
      "  (import \"a\" \"t\" (table 1 funcref))\n"
      "  (import \"a\" \"id\" (func $id (type $f)))\n"
      "  (func (export \"via_f\") (result i32) (call_indirect (type $f) (i32.const 7) (i32.const 0)))\n"
      "  (func (export \"via_h\") (result i32) (call_indirect (type $h) (i32.const 7) (i32.const 0)))\n"
      "  (func (export \"is_g\") (result i32) (ref.test (ref $g) (table.get (i32.const 0)))))\n";
  kite_extern imports[2] = {t, id};
  kite_instance *b = instantiate(&E, b_wat, imports, 2);
  kite_error err;
  CHECK(call(&E, b, "via_f", &err, 0) == 7 && err.kind == KITE_OK);
  call(&E, b, "via_h", &err, 0);
  CHECK(err.kind == KITE_ERR_RUNTIME && err.code == KITE_TRAP_INDIRECT_TYPE);
  CHECK(call(&E, b, "is_g", &err, 0) == 1);
  CHECK(kite_instance_module(a) != kite_instance_module(b));
  CHECK(id.u.func->rtt == b->rtts[1] && b->rtts[0] != b->rtts[2]);
  /* A function of type $h does not match an import of $f (no declared subtyping). */
  kite_instance *c = instantiate(
      &E, "(module (type $h (func (param i32) (result i32))) (func (export \"h\") (type $h) (local.get 0)))",
      NULL, 0);
  kite_extern h;
  CHECK(c && kite_instance_export(c, "h", 1, &h));
  kite_module *bm = compile(&E, b_wat);
  kite_extern bad[2] = {t, h};
  kite_error_clear(&err);
  CHECK(bm && !kite_instantiate(E.store, bm, bad, 2, &err) && err.kind == KITE_ERR_LINK);
  env_close(&E);
}

static bool host_add1(void *envp, kite_store *s, const kite_value *args, uint32_t nargs,
                      kite_value *results, uint32_t nresults, kite_error *err) {
  (void)envp, (void)s, (void)nargs, (void)nresults, (void)err;
  results[0] = kite_val_i32(args[0].u.i32 + 1);
  return true;
}

/* Canonical types belong to the engine: stores share host functions (as wasi-threads
   does), and a type lives only as long as something uses it. */
static void test_registry(void) {
  kite_engine_config cfg;
  kite_engine_config_default(&cfg);
  cfg.features = KITE_FEATURES_3_0;
  kite_engine *e = kite_engine_new(&cfg);
  size_t base = kite_engine_alloc(e)->bytes;
  const char *wat =
      "(module (type $f (func (param i32) (result i32)))\n"
      "  (type $s (struct (field (ref null $s))))\n"
      "  (import \"h\" \"add1\" (func $add1 (type $f)))\n"
      "  (table 1 funcref) (elem (i32.const 0) $add1)\n"
      "  (func (export \"f\") (result i32)\n"
      "    (drop (struct.new $s (struct.new $s (ref.null $s))))\n"
      "    (call_indirect (type $f) (i32.const 41) (i32.const 0))))\n";
  for (int round = 0; round < 2; round++) {
    env E;
    memset(&E, 0, sizeof E);
    E.engine = e;
    kite_store *a = kite_store_new(e);
    E.store = kite_store_new(e);
    kite_valtype i32 = kite_vt(KITE_VT_I32);
    kite_functype ft = {1, 1, &i32, &i32};
    kite_error err;
    kite_error_clear(&err);
    kite_extern imp;
    imp.kind = KITE_EXTERN_FUNC;
    imp.u.func = kite_func_new_host(a, &ft, host_add1, NULL, &err); /* another store's */
    kite_instance *inst = instantiate(&E, wat, &imp, 1);
    CHECK(call(&E, inst, "f", &err, 0) == 42 && err.kind == KITE_OK);
    kite_store_free(E.store);
    kite_store_free(a);
    for (int i = 0; i < E.nmods; i++) kite_module_free(E.mods[i]);
    CHECK_MSG(kite_engine_alloc(e)->bytes == base, "round %d: %zu bytes left", round,
              kite_engine_alloc(e)->bytes - base);
  }
  kite_engine_free(e);
}

/*
** Every allocation of instantiation, GC allocation and collection fails in turn: the
** result is an out-of-memory error or success, never a crash, a wrong answer or a leak.
*/
static void test_alloc_failures(void) {
  const char *wat =
      "(module\n"
      "  (type $n (struct (field i32) (field (ref null $n))))\n"
      "  (type $a (array (mut (ref null $n))))\n"
      "  (type $f (func (param i32) (result i32)))\n"
      "  (global $g (mut (ref null $a)) (array.new_fixed $a 2 (struct.new $n (i32.const 1)\n"
      "     (ref.null $n)) (ref.null $n)))\n"
      "  (elem $e (ref null $n) (item (struct.new_default $n)))\n"
      "  (func (export \"f\") (param $k i32) (result i32)\n"
      "    (local $i i32)\n"
      "    (global.set $g (array.new $a (ref.null $n) (i32.const 300)))\n"
      "    (loop $l\n"
      "      (array.set $a (global.get $g) (local.get $i)\n"
      "        (struct.new $n (local.get $i) (array.get $a (global.get $g) (local.get $i))))\n"
      "      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))\n"
      "        (i32.const 300))))\n"
      "    (drop (array.new_elem $a $e (i32.const 0) (i32.const 1)))\n"
      "    (i32.add (local.get $k)\n"
      "      (struct.get $n 0 (array.get $a (global.get $g) (i32.const 299))))))\n";
  kite_engine_config cfg;
  kite_engine_config_default(&cfg);
  cfg.features = KITE_FEATURES_3_0;
  kite_engine *e = kite_engine_new(&cfg);
  kite_alloc *a = kite_engine_alloc(e);
  size_t base = a->bytes;
  bool done = false;
  for (uint64_t n = 1; n < 100000 && !done; n++) {
    env E;
    memset(&E, 0, sizeof E);
    E.engine = e;
    kite_module *m = compile(&E, wat);
    E.store = kite_store_new(e);
    kite_error err;
    kite_error_clear(&err);
    a->fail_at = a->count + n;
    kite_instance *inst = kite_instantiate(E.store, m, NULL, 0, &err);
    bool ok = inst != NULL;
    if (ok) {
      kite_value arg = kite_val_i32(1000), r;
      ok = kite_func_call(E.store, func(inst, "f"), &arg, 1, &r, 1, &err);
      CHECK_MSG(!ok || r.u.i32 == 1299, "n=%llu: %u", (unsigned long long)n, r.u.i32);
      if (ok) kite_gc_collect(E.store, NULL); /* the mark stack may fail to grow */
      if (ok) ok = kite_func_call(E.store, func(inst, "f"), &arg, 1, &r, 1, &err);
      CHECK(!ok || r.u.i32 == 1299);
    }
    CHECK_MSG(ok || err.kind == KITE_ERR_OOM, "n=%llu: %s", (unsigned long long)n, err.msg);
    done = ok && a->count < a->fail_at;
    a->fail_at = 0;
    kite_store_free(E.store);
    kite_module_free(m);
    CHECK_MSG(a->bytes == base, "n=%llu: %zu bytes left", (unsigned long long)n, a->bytes - base);
  }
  CHECK(done);
  kite_engine_free(e);
}

int main(int argc, char **argv) {
  /* An argument runs the one test of that name. */
  const char *only = argc > 1 ? argv[1] : NULL;
#define RUN(t)                                                                             \
  if (!only || !strcmp(only, #t)) t()
  RUN(test_refs);
  RUN(test_canonical_types);
  RUN(test_registry);
  RUN(test_cycles);
  RUN(test_roots);
  RUN(test_churn);
  RUN(test_oom);
  RUN(test_alloc_failures);
#undef RUN
  return test_finish("test_gc");
}
