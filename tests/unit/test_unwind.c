/*
** test_unwind.c: errors unwind cleanly. A trap or error raised in a host function, in
** wasm called from a host function called from wasm (several levels deep), and during
** instantiation (linking, segments, the start function, every allocation failing in
** turn) comes back to the caller as an error with its own kind and message; the store
** keeps working, a store that lives on holds no more memory after a thousand traps
** than after one, and once everything is freed the allocation hook holds nothing. The
** sanitizer build runs this under LeakSanitizer as well.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary.h"
#include "runtime.h"
#include "test_util.h"
#include "text.h"
#include "valid.h"

/* ---- an allocation hook that counts what is live ---- */

typedef struct counter {
  long long live_bytes, live_blocks;
} counter;

static void *counting_alloc(void *ud, void *p, size_t osize, size_t nsize) {
  counter *c = ud;
  if (nsize == 0) {
    if (p) {
      c->live_bytes -= (long long)osize;
      c->live_blocks--;
    }
    free(p);
    return NULL;
  }
  void *q = realloc(p, nsize);
  if (!q) return NULL;
  c->live_bytes += (long long)nsize - (p ? (long long)osize : 0);
  if (!p) c->live_blocks++;
  return q;
}

typedef struct world {
  counter count;
  kite_engine *engine;
  kite_store *store;
  kite_module *mods[8];
  int nmods;
} world;

static bool world_open(world *w, bool metered) {
  memset(w, 0, sizeof *w);
  kite_engine_config cfg;
  kite_engine_config_default(&cfg);
  cfg.alloc = counting_alloc;
  cfg.alloc_ud = &w->count;
  cfg.features = KITE_FEATURES_3_0;
  cfg.max_call_depth = 2000;
  cfg.consume_fuel = metered;
  cfg.initial_fuel = 1000000;
  w->engine = kite_engine_new(&cfg);
  w->store = w->engine ? kite_store_new(w->engine) : NULL;
  CHECK(w->store != NULL);
  return w->store != NULL;
}

/* Free everything; then nothing may be left through the hook. */
static void world_close(world *w) {
  if (w->store) kite_store_free(w->store);
  for (int i = 0; i < w->nmods; i++) kite_module_free(w->mods[i]);
  if (w->engine) kite_engine_free(w->engine);
  CHECK_MSG(w->count.live_bytes == 0 && w->count.live_blocks == 0, "%lld bytes in %lld blocks left",
            w->count.live_bytes, w->count.live_blocks);
}

static kite_module *compile(world *w, const char *src) {
  kite_alloc *a = kite_engine_alloc(w->engine);
  kite_features f = kite_engine_features(w->engine);
  kite_error err;
  kite_error_clear(&err);
  kite_buf b;
  kite_buf_init(&b, a);
  kite_module *m = NULL;
  if (kite_wat_to_wasm(a, src, strlen(src), f, &b, &err)) {
    m = kite_decode(a, b.data, b.len, f, NULL, &err);
    if (m && !kite_validate_module(m, f, &err)) {
      kite_module_free(m);
      m = NULL;
    }
  }
  kite_buf_free(&b);
  CHECK_MSG(m != NULL, "compile: %s at %u:%u", err.msg, err.line, err.col);
  if (m && w->nmods < 8) w->mods[w->nmods++] = m;
  return m;
}

static kite_funcinst *export_func(kite_instance *inst, const char *name) {
  kite_extern x;
  if (!inst || !kite_instance_export(inst, name, strlen(name), &x) || x.kind != KITE_EXTERN_FUNC)
    return NULL;
  return x.u.func;
}

/* ---- host functions ---- */

/* What the host "enter" does (env): call `inner` of `target`, `levels` more times
   through "outer" first; with `swallow`, the innermost one ignores the inner error and
   returns 42 (its own error value, so the caller's stays clear). */
typedef struct enter_ctx {
  kite_instance *target;
  bool swallow;
  unsigned swallowed;
  kite_error last_inner; /* the error the innermost call swallowed */
} enter_ctx;

static const char *const inner_names[] = {"inner_ok",    "inner_unreachable", "inner_oob",
                                          "inner_host",  "inner_div0",        "inner_exhaust",
                                          "inner_throw", "inner_fuel"};
enum {
  INNER_OK,
  INNER_UNREACHABLE,
  INNER_OOB,
  INNER_HOST,
  INNER_DIV0,
  INNER_EXHAUST,
  INNER_THROW,
  INNER_FUEL,
  INNER_COUNT
};

static bool host_fail(void *env, kite_store *s, const kite_value *args, uint32_t nargs,
                      kite_value *results, uint32_t nresults, kite_error *err) {
  (void)env, (void)s, (void)nargs, (void)results, (void)nresults;
  return kite_fail(err, KITE_ERR_RUNTIME, KITE_TRAP_HOST, 0, "host trap %u", args[0].u.i32);
}

/* enter(levels << 8 | inner) */
static bool host_enter(void *env, kite_store *s, const kite_value *args, uint32_t nargs,
                       kite_value *results, uint32_t nresults, kite_error *err) {
  (void)nargs, (void)nresults;
  enter_ctx *c = env;
  uint32_t a = args[0].u.i32, levels = a >> 8, inner = a & 0xFF;
  kite_value r[1];
  memset(r, 0, sizeof r);
  if (levels > 0) {
    kite_value next = kite_val_i32(((levels - 1) << 8) | inner);
    if (!kite_func_call(s, export_func(c->target, "outer"), &next, 1, r, 1, err)) return false;
    results[0].u.i32 = r[0].u.i32;
    return true;
  }
  kite_funcinst *f = export_func(c->target, inner_names[inner]);
  if (!c->swallow) {
    if (!kite_func_call(s, f, NULL, 0, r, 1, err)) return false;
    results[0].u.i32 = r[0].u.i32;
    return true;
  }
  kite_error_clear(&c->last_inner);
  if (kite_func_call(s, f, NULL, 0, r, 1, &c->last_inner)) {
    results[0].u.i32 = r[0].u.i32;
  } else {
    c->swallowed++;
    results[0].u.i32 = 42;
  }
  return true;
}

static const char *nested_wat =
    "(module\n"
    " (import \"host\" \"fail\" (func $fail (param i32)))\n"
    " (import \"host\" \"enter\" (func $enter (param i32) (result i32)))\n"
    " (memory 1)\n"
    " (tag $t (param i32))\n"
    " (global $g (mut i32) (i32.const 0))\n"
    " (func (export \"g\") (result i32) global.get $g)\n"
    /* a host trap between two global writes: the second never happens */
    " (func (export \"call_fail\") (param i32) (local i64 f64 v128)\n"
    "  (global.set $g (local.get 0)) (call $fail (local.get 0)) (global.set $g (i32.const 2)))\n"
    /* n wasm frames, then the host traps */
    " (func $deep (export \"deep\") (param i32) (result i32)\n"
    "  (if (local.get 0) (then (drop (call $deep (i32.sub (local.get 0) (i32.const 1)))))\n"
    "   (else (call $fail (i32.const 7))))\n"
    "  i32.const 0)\n"
    " (func (export \"outer\") (param i32) (result i32)\n"
    "  (i32.add (i32.const 100) (call $enter (local.get 0))))\n"
    " (func (export \"inner_ok\") (result i32) i32.const 5)\n"
    " (func (export \"inner_unreachable\") (result i32) unreachable)\n"
    " (func (export \"inner_oob\") (result i32) (i32.load (i32.const -4)))\n"
    " (func (export \"inner_host\") (result i32) (call $fail (i32.const 9)) i32.const 0)\n"
    " (func (export \"inner_div0\") (result i32) (local i32) (i32.div_s (i32.const 1) (local.get "
    "0)))\n"
    " (func $ex (export \"inner_exhaust\") (result i32) (i32.add (call $ex) (i32.const 1)))\n"
    " (func (export \"inner_throw\") (result i32) (throw $t (i32.const 3)))\n"
    " (func (export \"inner_fuel\") (result i32) (loop $l (br $l)) i32.const 0)\n"
    /* wasm catches what a host function called from wasm threw */
    " (func (export \"catch_through_host\") (result i32)\n"
    "  (block $h (result i32)\n"
    "   (try_table (catch $t $h) (drop (call $enter (i32.const 6))))\n"
    "   i32.const -1))\n"
    ")";

/* The error each inner function ends with. */
static const struct {
  kite_errkind kind;
  int code;
  const char *msg;
} inner_errors[INNER_COUNT] = {
    [INNER_OK] = {KITE_OK, 0, ""},
    [INNER_UNREACHABLE] = {KITE_ERR_RUNTIME, KITE_TRAP_UNREACHABLE, "unreachable"},
    [INNER_OOB] = {KITE_ERR_RUNTIME, KITE_TRAP_MEMORY_OOB, "out of bounds memory access"},
    [INNER_HOST] = {KITE_ERR_RUNTIME, KITE_TRAP_HOST, "host trap 9"},
    [INNER_DIV0] = {KITE_ERR_RUNTIME, KITE_TRAP_INT_DIV_ZERO, "integer divide by zero"},
    [INNER_EXHAUST] = {KITE_ERR_EXHAUSTION, KITE_TRAP_STACK_EXHAUSTED, "call stack exhausted"},
    [INNER_THROW] = {KITE_ERR_RUNTIME, KITE_TRAP_EXCEPTION, NULL},
    [INNER_FUEL] = {KITE_ERR_EXHAUSTION, KITE_TRAP_OUT_OF_FUEL, "all fuel consumed"},
};

typedef struct nested {
  world w;
  enter_ctx ctx;
  kite_instance *inst;
} nested;

static bool nested_open(nested *N, bool metered) {
  memset(&N->ctx, 0, sizeof N->ctx);
  N->inst = NULL;
  if (!world_open(&N->w, metered)) return false;
  kite_module *m = compile(&N->w, nested_wat);
  if (!m) return false;
  kite_error err;
  kite_error_clear(&err);
  kite_valtype i32 = kite_vt(KITE_VT_I32);
  kite_functype fail_t = {1, 0, &i32, NULL}, enter_t = {1, 1, &i32, &i32};
  kite_extern imports[2] = {{KITE_EXTERN_FUNC, {.func = NULL}}, {KITE_EXTERN_FUNC, {.func = NULL}}};
  imports[0].u.func = kite_func_new_host(N->w.store, &fail_t, host_fail, NULL, &err);
  imports[1].u.func = kite_func_new_host(N->w.store, &enter_t, host_enter, &N->ctx, &err);
  N->inst = kite_instantiate(N->w.store, m, imports, 2, &err);
  CHECK_MSG(N->inst != NULL, "instantiate: %s", err.msg);
  N->ctx.target = N->inst;
  return N->inst != NULL;
}

/* Call an export with one i32 argument (or none, when nargs is 0). */
static bool call1(nested *N, const char *name, uint32_t nargs, uint32_t arg, uint32_t *result,
                  kite_error *err) {
  kite_funcinst *f = export_func(N->inst, name);
  kite_value a = kite_val_i32(arg), r[1];
  memset(r, 0, sizeof r);
  kite_error_clear(err);
  if (N->w.engine->cfg.consume_fuel) N->w.store->fuel = 100000;
  bool ok = f && kite_func_call(N->w.store, f, &a, nargs, r, kite_func_type(f)->nresults, err);
  if (result) *result = r[0].u.i32;
  return ok;
}

static bool error_is(const kite_error *err, int inner) {
  return err->kind == inner_errors[inner].kind && err->code == inner_errors[inner].code &&
         (!inner_errors[inner].msg || strcmp(err->msg, inner_errors[inner].msg) == 0);
}

/* One round of every way to fail; each ends as expected and leaves the store working. */
static void nested_round(nested *N, bool metered) {
  kite_error err;
  uint32_t r = 0;
  /* a host trap from wasm: its message, the wasm after it never runs */
  CHECK(!call1(N, "call_fail", 1, 77, NULL, &err) && err.kind == KITE_ERR_RUNTIME &&
        err.code == KITE_TRAP_HOST && strcmp(err.msg, "host trap 77") == 0);
  CHECK(call1(N, "g", 0, 0, &r, &err) && r == 77);
  /* ... under 500 wasm frames: the backtrace starts at the innermost one */
  CHECK(!call1(N, "deep", 1, 500, NULL, &err) && strcmp(err.msg, "host trap 7") == 0);
  const kite_trace *tr = kite_store_trace(N->w.store);
  CHECK(tr->depth >= 500 && tr->nframes >= 1);
  /* host -> wasm -> host -> ... -> the inner function, which fails: the error comes
     out unchanged through every level */
  for (int inner = 0; inner < INNER_COUNT; inner++) {
    if (inner == INNER_FUEL && !metered) continue;
    for (uint32_t levels = 0; levels < 6; levels += 2) {
      N->ctx.swallow = false;
      bool ok = call1(N, "outer", 1, levels << 8 | (uint32_t)inner, &r, &err);
      if (inner == INNER_OK)
        CHECK_MSG(ok && r == 5 + 100 * (levels + 1), "levels %u: %u %s", levels, r, err.msg);
      else
        CHECK_MSG(!ok && error_is(&err, inner), "%s, %u levels: %s %s", inner_names[inner], levels,
                  kite_errkind_name(err.kind), err.msg);
      /* the innermost host function swallows the error: the outer levels run on */
      N->ctx.swallow = true;
      unsigned before = N->ctx.swallowed;
      ok = call1(N, "outer", 1, levels << 8 | (uint32_t)inner, &r, &err);
      if (inner == INNER_OK) {
        CHECK(ok && r == 5 + 100 * (levels + 1));
      } else {
        CHECK_MSG(ok && r == 42 + 100 * (levels + 1) && N->ctx.swallowed == before + 1,
                  "swallowed %s, %u levels: %u %s", inner_names[inner], levels, r, err.msg);
        CHECK(error_is(&N->ctx.last_inner, inner));
        /* the fuel is gone for the outer levels too: they make no more calls */
        if (inner == INNER_FUEL) CHECK(N->w.store->fuel == 0);
      }
    }
  }
  N->ctx.swallow = false;
  /* an exception thrown in wasm called by a host function called by wasm is caught by
     the outer wasm */
  CHECK_MSG(call1(N, "catch_through_host", 0, 0, &r, &err) && r == 3, "%u %s", r, err.msg);
  /* and after all that, the store works */
  CHECK(call1(N, "outer", 1, 0, &r, &err) && r == 105);
}

static void test_nested(void) {
  for (int metered = 0; metered < 2; metered++) {
    nested N;
    if (nested_open(&N, metered)) {
      /* the first round lowers code and sets up the stacks; later rounds allocate nothing
         that outlives them */
      nested_round(&N, metered);
      long long after_one = N.w.count.live_bytes;
      for (int i = 0; i < 50; i++) nested_round(&N, metered);
      CHECK_MSG(N.w.count.live_bytes == after_one, "live bytes %lld after one round, %lld after 51",
                after_one, N.w.count.live_bytes);
    }
    world_close(&N.w);
  }
}

/* ---- during instantiation ---- */

static const char *inst_wats[] = {
    /* 0: the start function traps */
    "(module (memory 1) (data (i32.const 0) \"x\") (func $s unreachable) (start $s))",
    /* 1: the start function calls a host function that traps */
    "(module (import \"host\" \"fail\" (func $f (param i32)))\n"
    " (table 2 funcref) (func $s (call $f (i32.const 5))) (start $s))",
    /* 2: the start function calls the host, which calls another instance's wasm, which
       traps (two levels deep) */
    "(module (import \"host\" \"enter\" (func $e (param i32) (result i32)))\n"
    " (func $s (drop (call $e (i32.const 0x201)))) (start $s))",
    /* 3: the start function recurses without end */
    "(module (func $s (call $s)) (start $s))",
    /* 4: an element segment out of bounds, after a memory and a table were made */
    "(module (memory 1) (table 1 funcref) (func $f) (elem (i32.const 1) $f $f))",
    /* 5: a data segment out of bounds after one that fits */
    "(module (memory 1) (data (i32.const 0) \"ok\") (data (i32.const 65535) \"no\"))",
    /* 6: the start function loops until an interrupt or the fuel ends it */
    "(module (func $s (loop $l (br $l))) (start $s))",
};

static void test_instantiation(void) {
  for (int metered = 0; metered < 2; metered++) {
    nested N; /* an instance to call into, and the host functions */
    if (!nested_open(&N, metered)) {
      world_close(&N.w);
      continue;
    }
    world *w = &N.w;
    kite_error err;
    kite_module *mods[7];
    for (int i = 0; i < 7; i++) mods[i] = compile(w, inst_wats[i]);
    kite_valtype i32 = kite_vt(KITE_VT_I32);
    kite_functype fail_t = {1, 0, &i32, NULL}, enter_t = {1, 1, &i32, &i32};
    kite_error_clear(&err);
    kite_extern fail = {KITE_EXTERN_FUNC, {.func = NULL}}, enter = fail;
    fail.u.func = kite_func_new_host(w->store, &fail_t, host_fail, NULL, &err);
    enter.u.func = kite_func_new_host(w->store, &enter_t, host_enter, &N.ctx, &err);
    for (int round = 0; round < 3; round++) {
#define EXPECT_FAIL(i, imp, n, cond)                                                               \
  do {                                                                                             \
    kite_error_clear(&err);                                                                        \
    if (mods[i]) {                                                                                 \
      if (metered) w->store->fuel = 100000;                                                        \
      CHECK_MSG(kite_instantiate(w->store, mods[i], imp, n, &err) == NULL && (cond),               \
                "module %d: %s %s", i, kite_errkind_name(err.kind), err.msg);                      \
    }                                                                                              \
  } while (0)
      EXPECT_FAIL(0, NULL, 0, err.code == KITE_TRAP_UNREACHABLE && !strcmp(err.msg, "unreachable"));
      EXPECT_FAIL(1, &fail, 1, err.code == KITE_TRAP_HOST && !strcmp(err.msg, "host trap 5"));
      EXPECT_FAIL(2, &enter, 1, err.code == KITE_TRAP_UNREACHABLE);
      EXPECT_FAIL(3, NULL, 0, err.code == KITE_TRAP_STACK_EXHAUSTED);
      EXPECT_FAIL(4, NULL, 0, !strcmp(err.msg, "out of bounds table access"));
      EXPECT_FAIL(5, NULL, 0, !strcmp(err.msg, "out of bounds memory access"));
      if (metered) EXPECT_FAIL(6, NULL, 0, err.code == KITE_TRAP_OUT_OF_FUEL);
      /* link errors: a missing import, an import of the wrong type */
      EXPECT_FAIL(1, &enter, 1, err.kind == KITE_ERR_LINK);
      EXPECT_FAIL(2, &fail, 1, err.kind == KITE_ERR_LINK);
#undef EXPECT_FAIL
      /* the store and the other instance work on */
      uint32_t r = 0;
      CHECK(call1(&N, "outer", 1, 0x100, &r, &err) && r == 205);
    }
    world_close(w);
  }
}

/* Every allocation that instantiating and running needs fails in turn: each failure is
   a clean error, the store works on, and nothing is left at the end. */
static void test_instantiation_oom(void) {
  static const char *src =
      "(module (import \"host\" \"fail\" (func $f (param i32)))\n"
      " (memory 1 2) (table 4 funcref) (global $g (mut i32) (i32.const 1))\n"
      " (func $a (result i32) global.get $g) (elem (i32.const 0) $a $a)\n"
      " (elem declare func $a) (data (i32.const 0) \"hello\") (data $p \"passive\")\n"
      " (func $s (global.set $g (i32.add (call $a) (i32.const 1)))) (start $s)\n"
      " (func (export \"run\") (result i32) (call_indirect (result i32) (i32.const 1))))";
  world w;
  if (!world_open(&w, false)) {
    world_close(&w);
    return;
  }
  kite_module *m = compile(&w, src);
  kite_valtype i32 = kite_vt(KITE_VT_I32);
  kite_functype fail_t = {1, 0, &i32, NULL};
  kite_error err;
  kite_error_clear(&err);
  kite_extern fail = {KITE_EXTERN_FUNC, {.func = NULL}};
  fail.u.func = kite_func_new_host(w.store, &fail_t, host_fail, NULL, &err);
  kite_alloc *a = kite_engine_alloc(w.engine);
  bool done = false;
  int failures = 0;
  for (uint64_t n = 1; m && n < 1000 && !done; n++) {
    a->fail_at = a->count + n;
    kite_error_clear(&err);
    kite_instance *inst = kite_instantiate(w.store, m, &fail, 1, &err);
    kite_value r[1];
    bool ran = inst && kite_func_call(w.store, export_func(inst, "run"), NULL, 0, r, 1, &err);
    a->fail_at = 0;
    if (ran) {
      done = true;
      CHECK(r[0].u.i32 == 2);
    } else {
      failures++;
      CHECK_MSG(err.kind == KITE_ERR_OOM && strcmp(err.msg, "out of memory") == 0,
                "allocation %llu: %s %s", (unsigned long long)n, kite_errkind_name(err.kind),
                err.msg);
    }
  }
  CHECK(done && failures > 3);
  /* the store works after every one of those failures */
  kite_error_clear(&err);
  kite_instance *inst = m ? kite_instantiate(w.store, m, &fail, 1, &err) : NULL;
  kite_value r[1];
  CHECK(inst && kite_func_call(w.store, export_func(inst, "run"), NULL, 0, r, 1, &err) &&
        r[0].u.i32 == 2);
  world_close(&w);
}

int main(void) {
  test_nested();
  test_instantiation();
  test_instantiation_oom();
  return test_finish("test_unwind");
}
