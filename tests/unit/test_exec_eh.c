/*
** test_exec_eh.c: the 3.0 control features in the interpreter where they are tricky:
** tail calls in constant stack (also to host functions), exceptions unwinding many
** frames and host functions, exnref values kept and thrown again, legacy rethrow, and
** the memory exceptions take.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary.h"
#include "exec.h"
#include "runtime.h"
#include "test_util.h"
#include "text.h"
#include "valid.h"

static kite_engine *engine;
static kite_store *store;
static kite_module *modules[16];
static int nmodules;

static const kite_features features =
    KITE_FEATURES_3_0 | KITE_FEATURE_BIT(FEAT_LEGACY_EH);

static kite_module *compile(const char *wat) {
  kite_error err;
  kite_error_clear(&err);
  kite_buf b;
  kite_buf_init(&b, kite_engine_alloc(engine));
  if (!kite_wat_to_wasm(kite_engine_alloc(engine), wat, strlen(wat), features, &b, &err)) {
    CHECK_MSG(false, "wat: %s at %u:%u", err.msg, err.line, err.col);
    kite_buf_free(&b);
    return NULL;
  }
  kite_module *m = kite_decode(kite_engine_alloc(engine), b.data, b.len, features, NULL, &err);
  kite_buf_free(&b);
  if (!m || !kite_validate_module(m, features, &err)) {
    CHECK_MSG(false, "module: %s", err.msg);
    kite_module_free(m);
    return NULL;
  }
  if (nmodules < 16) modules[nmodules++] = m;
  return m;
}

static kite_extern export_of(kite_instance *inst, const char *name) {
  kite_extern x;
  memset(&x, 0, sizeof x);
  if (inst && !kite_instance_export(inst, name, strlen(name), &x)) memset(&x, 0, sizeof x);
  return x;
}

static kite_funcinst *func(kite_instance *inst, const char *name) {
  kite_extern x = export_of(inst, name);
  return x.kind == KITE_EXTERN_FUNC ? x.u.func : NULL;
}

/* Call with i32 arguments; the first result, or an error in *err. */
static kite_value call(kite_instance *inst, const char *name, const kite_value *args,
                       uint32_t nargs, kite_error *err) {
  kite_value r[4];
  memset(r, 0, sizeof r);
  kite_error_clear(err);
  kite_funcinst *f = func(inst, name);
  CHECK_MSG(f != NULL, "no export %s", name);
  if (f) kite_func_call(store, f, args, nargs, r, f->type->nresults, err);
  return r[0];
}

static int32_t call_i32(kite_instance *inst, const char *name, int32_t arg) {
  kite_error err;
  kite_value a = kite_val_i32((uint32_t)arg);
  kite_value r = call(inst, name, &a, 1, &err);
  CHECK_MSG(err.kind == KITE_OK, "%s(%d): %s", name, arg, err.msg);
  return (int32_t)r.u.i32;
}

/* ---- host functions ---- */

typedef struct host_env {
  kite_funcinst *inner; /* the wasm function the host calls back */
  kite_taginst *tag;    /* the tag the host throws */
} host_env;

/* Calls back into wasm and passes whatever happens there on, exceptions included. */
static bool host_reenter(void *env, kite_store *s, const kite_value *args, uint32_t nargs,
                         kite_value *results, uint32_t nresults, kite_error *err) {
  host_env *h = env;
  (void)nargs;
  return kite_func_call(s, h->inner, args, 1, results, nresults, err);
}

/* Throws the tag with its argument when that is not negative, else returns it. */
static bool host_throw(void *env, kite_store *s, const kite_value *args, uint32_t nargs,
                       kite_value *results, uint32_t nresults, kite_error *err) {
  host_env *h = env;
  (void)nargs;
  (void)nresults;
  if ((int32_t)args[0].u.i32 < 0) {
    results[0] = args[0];
    return true;
  }
  return kite_exn_throw(s, h->tag, args, 1, err);
}

/* Calls back into wasm, which throws, and ignores the exception. */
static bool host_swallow(void *env, kite_store *s, const kite_value *args, uint32_t nargs,
                         kite_value *results, uint32_t nresults, kite_error *err) {
  host_env *h = env;
  (void)nargs;
  (void)nresults;
  kite_error inner;
  kite_error_clear(&inner);
  kite_value r;
  bool ok = kite_func_call(s, h->inner, args, 1, &r, 1, &inner);
  (void)err;
  results[0] = kite_val_i32(!ok && inner.code == KITE_TRAP_EXCEPTION ? 7 : 0);
  return true;
}

static const char *lib_wat =
    "(module"
    " (tag $e (export \"e\") (param i32))"
    " (func (export \"throw\") (param i32) (throw $e (local.get 0))))";

static const char *main_wat =
    "(module"
    " (type $i_i (func (param i32) (result i32)))"
    " (import \"lib\" \"e\" (tag $e (param i32)))"
    " (import \"lib\" \"throw\" (func $lib_throw (param i32)))"
    " (import \"h\" \"reenter\" (func $reenter (param i32) (result i32)))"
    " (import \"h\" \"throw\" (func $hthrow (param i32) (result i32)))"
    " (import \"h\" \"swallow\" (func $swallow (param i32) (result i32)))"
    " (tag $own (param i32))"
    " (tag $big (param i64 v128 f64))"
    " (global $saved (mut exnref) (ref.null exn))"
    " (table $t funcref (elem $even $odd))"
    /* tail calls: constant stack, to wasm (direct, indirect, by reference) and host */
    " (func $countdown (export \"countdown\") (param i32) (result i32)"
    "   (if (result i32) (i32.eqz (local.get 0))"
    "     (then (return_call $hthrow (i32.const -7)))"
    "     (else (return_call $countdown (i32.sub (local.get 0) (i32.const 1))))))"
    " (func $even (export \"even\") (param i32) (result i32)"
    "   (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1))"
    "     (else (return_call_indirect $t (type $i_i) (i32.sub (local.get 0) (i32.const 1))"
    "             (i32.const 1)))))"
    " (func $odd (param i32) (result i32)"
    "   (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))"
    "     (else (return_call_ref $i_i (i32.sub (local.get 0) (i32.const 1)) (ref.func $even)))))"
    /* exceptions through frames and host functions */
    " (func (export \"inner\") (param i32) (result i32)"
    "   (call $lib_throw (local.get 0)) (i32.const -1))"
    " (func (export \"through_host\") (param i32) (result i32)"
    "   (block $h (result i32)"
    "     (try_table (result i32) (catch $e $h) (call $reenter (local.get 0)))"
    "     (return))"
    "   (i32.add (i32.const 1000)))"
    " (func (export \"host_throws\") (param i32) (result i32)"
    "   (block $h (result i32)"
    "     (try_table (result i32) (catch $e $h) (call $hthrow (local.get 0)))"
    "     (return))"
    "   (i32.add (i32.const 1000)))"
    " (func (export \"swallowed\") (param i32) (result i32) (call $swallow (local.get 0)))"
    " (func $tail_host (param i32) (result i32)"
    "   (block $h (result i32)"
    "     (try_table (result i32) (catch $e $h) (return_call $hthrow (local.get 0))))"
    "   (drop) (i32.const -100))"
    " (func (export \"tail_host\") (param i32) (result i32)"
    "   (block $h (result i32)"
    "     (try_table (result i32) (catch $e $h) (call $tail_host (local.get 0)))"
    "     (return))"
    "   (i32.add (i32.const 2000)))"
    " (func (export \"identity\") (param i32) (result i32)"
    "   (block $any"
    "     (block $h (result i32)"
    "       (try_table (catch $own $h) (catch_all $any) (call $lib_throw (local.get 0)))"
    "       (return (i32.const -2)))"
    "     (return))"
    "   (i32.const -1))"
    " (func $deep (param i32) (result i32)"
    "   (if (result i32) (i32.eqz (local.get 0)) (then (throw $e (i32.const 77)))"
    "     (else (i32.add (local.get 0) (call $deep (i32.sub (local.get 0) (i32.const 1)))))))"
    " (func (export \"deep\") (param i32) (result i32)"
    "   (i32.add (i32.const 100)"
    "     (block $h (result i32)"
    "       (try_table (result i32) (catch $e $h) (call $deep (local.get 0))))))"
    " (func (export \"uncaught\") (param i32) (result i32) (call $deep (local.get 0)))"
    " (func (export \"loop\") (param i32) (result i32)"
    "   (local $sum i32)"
    "   (loop $l"
    "     (block $h (result i32)"
    "       (try_table (catch $e $h) (throw $e (local.get 0)))"
    "       (unreachable))"
    "     (local.set $sum (i32.add (local.get $sum)))"
    "     (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))"
    "   (local.get $sum))"
    /* exnref values */
    " (func (export \"save\")"
    "   (block $h (result exnref)"
    "     (try_table (catch_all_ref $h)"
    "       (throw $big (i64.const -2) (v128.const i32x4 1 2 3 4) (f64.const 2.5)))"
    "     (unreachable))"
    "   (global.set $saved))"
    " (func (export \"rethrow_saved\") (result i64 i32 f64)"
    "   (local $v v128) (local $d f64)"
    "   (block $h (result i64 v128 f64)"
    "     (try_table (catch $big $h) (throw_ref (global.get $saved)))"
    "     (unreachable))"
    "   (local.set $d) (local.set $v)"
    "   (i32x4.extract_lane 3 (local.get $v)) (local.get $d))"
    " (func (export \"get_saved\") (result exnref) (global.get $saved))"
    " (func (export \"throw_it\") (param exnref) (throw_ref (local.get 0)))"
    " (func (export \"legacy\") (param i32) (result i32)"
    "   (try (result i32)"
    "     (do"
    "       (try (result i32)"
    "         (do (throw $e (local.get 0)))"
    "         (catch $e"
    "           (drop)"
    "           (try (result i32)"
    "             (do (throw $e (i32.const 2)))"
    "             (catch $e (drop) (rethrow 1))))))"
    "     (catch $e)))"
    " (func (export \"legacy_delegate\") (param i32) (result i32)"
    "   (try $outer (result i32)"
    "     (do"
    "       (try (result i32)"
    "         (do (try (result i32) (do (call $hthrow (local.get 0))) (delegate $outer)))"
    "         (catch $e (drop) (i32.const -5))))"
    "     (catch $e (i32.add (i32.const 3000))))))";

static kite_instance *lib, *inst;
static kite_funcinst *hthrow;
static host_env env;

static bool setup(void) {
  kite_error err;
  kite_error_clear(&err);
  kite_module *ml = compile(lib_wat), *mm = compile(main_wat);
  if (!ml || !mm) return false;
  lib = kite_instantiate(store, ml, NULL, 0, &err);
  CHECK_MSG(lib != NULL, "lib: %s", err.msg);
  if (!lib) return false;
  kite_valtype i32 = kite_vt(KITE_VT_I32);
  kite_functype ii = {1, 1, &i32, &i32};
  kite_funcinst *reenter = kite_func_new_host(store, &ii, host_reenter, &env, &err);
  hthrow = kite_func_new_host(store, &ii, host_throw, &env, &err);
  kite_funcinst *swallow = kite_func_new_host(store, &ii, host_swallow, &env, &err);
  kite_extern imports[5] = {export_of(lib, "e"), export_of(lib, "throw"),
                            kite_extern_func(reenter), kite_extern_func(hthrow),
                            kite_extern_func(swallow)};
  inst = kite_instantiate(store, mm, imports, 5, &err);
  CHECK_MSG(inst != NULL, "main: %s", err.msg);
  if (!inst) return false;
  env.inner = func(inst, "inner");
  env.tag = export_of(lib, "e").u.tag;
  return true;
}

static void test_tail_calls(void) {
  /* The engine allows 1000 frames: a million tail calls must not need more than one. */
  CHECK(call_i32(inst, "countdown", 1000000) == -7);
  CHECK(call_i32(inst, "even", 1000001) == 0);
  CHECK(call_i32(inst, "even", 1000000) == 1);
  CHECK(store->depth == 0);
  /* A tail call to a host function that throws: the caller's handler does not apply
     (its frame is gone), the one of its caller does. */
  CHECK(call_i32(inst, "tail_host", 5) == 2005);
  CHECK(call_i32(inst, "tail_host", -3) == -3);
}

static void test_unwinding(void) {
  /* 900 frames unwind; the operand below the try_table survives. */
  CHECK(call_i32(inst, "deep", 900) == 177);
  CHECK(call_i32(inst, "deep", 0) == 177);
  kite_error err;
  kite_value a = kite_val_i32(900);
  call(inst, "uncaught", &a, 1, &err);
  CHECK(err.kind == KITE_ERR_RUNTIME && err.code == KITE_TRAP_EXCEPTION);
  CHECK(strcmp(err.msg, "uncaught exception") == 0);
  CHECK(store->depth == 0);
  kite_exn *e = kite_store_exception(store);
  CHECK(e && e->tag == env.tag && kite_exn_arg(e, 0).u.i32 == 77);
  /* The store still works, also past the frame limit's worth of calls. */
  CHECK(call_i32(inst, "deep", 900) == 177);
  a = kite_val_i32(2000);
  call(inst, "uncaught", &a, 1, &err);
  CHECK(err.kind == KITE_ERR_EXHAUSTION);
  CHECK(call_i32(inst, "deep", 10) == 177);
  /* Tags are identities: another tag of the same type does not catch. */
  CHECK(call_i32(inst, "identity", 1) == -1);
}

static void test_host_boundaries(void) {
  /* wasm -> host -> wasm -> (another instance) throw: caught by the outer wasm. */
  CHECK(call_i32(inst, "through_host", 42) == 1042);
  /* The host throws a wasm exception. */
  CHECK(call_i32(inst, "host_throws", 8) == 1008);
  CHECK(call_i32(inst, "host_throws", -8) == -8);
  /* A host that ignores the exception of its callee goes on normally. */
  CHECK(call_i32(inst, "swallowed", 1) == 7);
  CHECK(store->depth == 0 && store->nesting == 0);
  /* Legacy delegate past a try, through a host function. */
  CHECK(call_i32(inst, "legacy_delegate", 4) == 3004);
  CHECK(call_i32(inst, "legacy_delegate", -4) == -4);
  /* An exception the host throws and nobody catches reaches the host. */
  kite_error err;
  kite_value a = kite_val_i32(9);
  call(inst, "host_throws", &a, 1, &err);
  CHECK(err.kind == KITE_OK);
  kite_value r;
  kite_error_clear(&err);
  CHECK(!kite_func_call(store, hthrow, &a, 1, &r, 1, &err));
  CHECK(err.code == KITE_TRAP_EXCEPTION && kite_store_exception(store) &&
        kite_exn_arg(kite_store_exception(store), 0).u.i32 == 9);
}

static void test_exnref(void) {
  kite_error err;
  call(inst, "save", NULL, 0, &err);
  CHECK(err.kind == KITE_OK);
  for (int i = 0; i < 2; i++) { /* the same exception, thrown and caught twice */
    kite_value r[3];
    kite_error_clear(&err);
    CHECK(kite_func_call(store, func(inst, "rethrow_saved"), NULL, 0, r, 3, &err));
    CHECK(r[0].u.i64 == (uint64_t)-2 && r[1].u.i32 == 4 && r[2].u.f64 == 0x4004000000000000ull);
  }
  /* An exnref goes to the host and back, and is thrown to the host. */
  kite_value ref = call(inst, "get_saved", NULL, 0, &err);
  CHECK(err.kind == KITE_OK && ref.type.kind == KITE_VT_REF && ref.type.ht == KITE_HT_EXN &&
        ref.u.ref != KITE_REF_NULL);
  call(inst, "throw_it", &ref, 1, &err);
  CHECK(err.code == KITE_TRAP_EXCEPTION);
  kite_exn *e = kite_store_exception(store);
  CHECK(e && (kite_ref)(uintptr_t)e == ref.u.ref);
  if (e) {
    CHECK(kite_exn_arg(e, 0).u.i64 == (uint64_t)-2);
    kite_value v = kite_exn_arg(e, 1);
    CHECK(v.type.kind == KITE_VT_V128 && v.u.v128[12] == 4);
    CHECK(kite_exn_arg(e, 2).u.f64 == 0x4004000000000000ull);
  }
  kite_value null = kite_val_null(KITE_HT_EXN);
  call(inst, "throw_it", &null, 1, &err);
  CHECK(err.kind == KITE_ERR_RUNTIME && strcmp(err.msg, "null exception reference") == 0);
  /* Legacy rethrow of an outer catch's exception from an inner catch. */
  CHECK(call_i32(inst, "legacy", 1) == 1);
  CHECK(call_i32(inst, "legacy", 5) == 5);
}

static void test_memory(void) {
  kite_alloc *a = kite_engine_alloc(engine);
  CHECK(call_i32(inst, "loop", 10) == 55);
  /* Exceptions caught without a reference are freed at once. */
  size_t before = a->bytes;
  CHECK(call_i32(inst, "loop", 100000) == 705082704); /* 5000050000 mod 2^32 */
  CHECK(a->bytes == before);
  /* Out of memory while throwing is an error, not a crash, and the store goes on. */
  a->fail_at = a->count + 1;
  kite_error err;
  kite_value arg = kite_val_i32(3);
  call(inst, "deep", &arg, 1, &err);
  a->fail_at = 0;
  CHECK(err.kind == KITE_ERR_OOM);
  CHECK(store->depth == 0);
  CHECK(call_i32(inst, "deep", 3) == 177);
}

/*
** Every allocation of lowering and running exception handling code fails once, in
** turn: each run ends in success or an out-of-memory error, never a crash or a leak.
*/
static void test_oom(void) {
  static const char *wat =
      "(module (tag $e (param i32))"
      " (func $t (param i32) (throw $e (local.get 0)))"
      " (func (export \"f\") (param i32) (result i32)"
      "   (block $h (result i32)"
      "     (try_table (result i32) (catch $e $h)"
      "       (try (result i32)"
      "         (do (call $t (local.get 0)) (i32.const 0))"
      "         (catch_all (rethrow 0))))))"
      " (func (export \"g\") (param i32) (result i32)"
      "   (try (result i32) (do (try (result i32) (do (call $t (local.get 0)) (i32.const 1))"
      "     (delegate 0))) (catch $e))))";
  bool done = false;
  for (uint64_t n = 1; !done && n < 100000; n++) {
    kite_engine_config cfg;
    kite_engine_config_default(&cfg);
    cfg.features = features;
    kite_engine *e = kite_engine_new(&cfg);
    kite_alloc *a = kite_engine_alloc(e);
    kite_error err;
    kite_error_clear(&err);
    kite_buf b;
    kite_buf_init(&b, a);
    if (!kite_wat_to_wasm(a, wat, strlen(wat), features, &b, &err)) CHECK(false);
    kite_module *m = kite_decode(a, b.data, b.len, features, NULL, &err);
    kite_buf_free(&b);
    CHECK(m && kite_validate_module(m, features, &err));
    kite_store *s = kite_store_new(e);
    a->fail_at = a->count + n;
    kite_instance *in = s ? kite_instantiate(s, m, NULL, 0, &err) : NULL;
    bool ok = in != NULL;
    const char *names[2] = {"f", "g"};
    for (int i = 0; i < 2 && ok; i++) {
      kite_extern x;
      kite_value arg = kite_val_i32(6), r;
      kite_error_clear(&err);
      ok = kite_instance_export(in, names[i], 1, &x) &&
           kite_func_call(s, x.u.func, &arg, 1, &r, 1, &err);
      CHECK_MSG(ok ? r.u.i32 == 6 : err.kind == KITE_ERR_OOM, "n=%llu %s: %s",
                (unsigned long long)n, names[i], err.msg);
    }
    done = ok && a->count < a->fail_at;
    a->fail_at = 0;
    kite_store_free(s);
    kite_module_free(m);
    CHECK(a->bytes == sizeof(kite_engine));
    kite_engine_free(e);
  }
  CHECK(done);
}

int main(void) {
  kite_engine_config cfg;
  kite_engine_config_default(&cfg);
  cfg.features = features;
  cfg.max_call_depth = 1000;
  engine = kite_engine_new(&cfg);
  store = kite_store_new(engine);
  if (setup()) {
    test_tail_calls();
    test_unwinding();
    test_host_boundaries();
    test_exnref();
    test_memory();
  }
  test_oom();
  kite_store_free(store);
  for (int i = 0; i < nmodules; i++) kite_module_free(modules[i]);
  CHECK(kite_engine_alloc(engine)->bytes == sizeof(kite_engine));
  kite_engine_free(engine);
  return test_finish("test_exec_eh");
}
