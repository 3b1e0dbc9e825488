/*
** test_limits.c: fuel and interrupts (runtime.h). Fuel counts are exact and the same on
** every run; an interrupt from another thread stops a tight loop within milliseconds,
** also one running in wasm called by a host function; after either trap the store works
** as before.
*/
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "binary.h"
#include "runtime.h"
#include "test_util.h"
#include "text.h"
#include "valid.h"

static const char *wat =
    "(module\n"
    " (import \"host\" \"ping\" (func $ping))\n"
    " (import \"host\" \"reenter\" (func $reenter (param i32) (result i32)))\n"
    /* n iterations: n - 1 taken back-edges */
    " (func $count (export \"count\") (param i32) (result i32) (local i32)\n"
    "  (loop $l (local.set 1 (i32.add (local.get 1) (i32.const 1)))\n"
    "    (br_if $l (i32.lt_u (local.get 1) (local.get 0))))\n"
    "  local.get 1)\n"
    " (func $leaf (result i32) i32.const 1)\n"
    /* n calls of $leaf and n taken back-edges (br $l) */
    " (func (export \"calls\") (param i32) (result i32)\n"
    "  (block $done (loop $l (br_if $done (i32.eqz (local.get 0)))\n"
    "    (drop (call $leaf)) (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br $l)))\n"
    "  i32.const 0)\n"
    " (func $fib (export \"fib\") (param i32) (result i32)\n"
    "  (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))\n"
    "   (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))\n"
    "                  (call $fib (i32.sub (local.get 0) (i32.const 2)))))))\n"
    /* a branch table back to the loop: each iteration is one back-edge */
    " (func (export \"table\") (param i32) (result i32) (local i32)\n"
    "  (block $out (loop $l\n"
    "    (local.set 1 (i32.add (local.get 1) (i32.const 1)))\n"
    "    (br_table $l $out (i32.ge_u (local.get 1) (local.get 0)))))\n"
    "  local.get 1)\n"
    " (func (export \"pings\") (param i32)\n"
    "  (loop $l (call $ping) (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))))\n"
    " (func (export \"nested\") (param i32) (result i32) (call $reenter (local.get 0)))\n"
    " (func (export \"forever\") (loop $l (br $l)))\n"
    " (func $spin (export \"spin\") (return_call $spin))\n"
    " (func (export \"add\") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))";

typedef struct world {
  kite_engine *engine;
  kite_store *store;
  kite_module *module;
  kite_instance *inst;
  bool reenter_forever; /* host_reenter calls "forever" instead of "count" */
} world;

static kite_funcinst *export_func(world *w, const char *name) {
  kite_extern x;
  if (!w->inst || !kite_instance_export(w->inst, name, strlen(name), &x) ||
      x.kind != KITE_EXTERN_FUNC)
    return NULL;
  return x.u.func;
}

static bool host_ping(void *env, kite_store *s, const kite_value *args, uint32_t nargs,
                      kite_value *results, uint32_t nresults, kite_error *err) {
  (void)env, (void)s, (void)args, (void)nargs, (void)results, (void)nresults, (void)err;
  return true;
}

/* Calls back into wasm: count(args[0]), whose fuel the outer run must see spent (or
   "forever", which only an interrupt or the fuel ends). */
static bool host_reenter(void *env, kite_store *s, const kite_value *args, uint32_t nargs,
                         kite_value *results, uint32_t nresults, kite_error *err) {
  (void)nargs, (void)nresults;
  world *w = env;
  if (w->reenter_forever)
    return kite_func_call(s, export_func(w, "forever"), NULL, 0, NULL, 0, err);
  return kite_func_call(s, export_func(w, "count"), args, 1, results, 1, err);
}

static bool world_new(world *w, bool metered, uint64_t fuel) {
  memset(w, 0, sizeof *w);
  kite_engine_config cfg;
  kite_engine_config_default(&cfg);
  cfg.consume_fuel = metered;
  cfg.initial_fuel = fuel;
  w->engine = kite_engine_new(&cfg);
  w->store = w->engine ? kite_store_new(w->engine) : NULL;
  if (!w->store) return false;
  kite_alloc *a = kite_engine_alloc(w->engine);
  kite_error err;
  kite_error_clear(&err);
  kite_buf b;
  kite_buf_init(&b, a);
  kite_features f = KITE_FEATURES_3_0;
  if (!kite_wat_to_wasm(a, wat, strlen(wat), f, &b, &err)) {
    CHECK_MSG(false, "wat: %s at %u:%u", err.msg, err.line, err.col);
    kite_buf_free(&b);
    return false;
  }
  w->module = kite_decode(a, b.data, b.len, f, NULL, &err);
  kite_buf_free(&b);
  if (!w->module || !kite_validate_module(w->module, f, &err)) {
    CHECK_MSG(false, "module: %s", err.msg);
    return false;
  }
  kite_functype ping_t = {0, 0, NULL, NULL};
  kite_valtype i32 = kite_vt(KITE_VT_I32);
  kite_functype reenter_t = {1, 1, &i32, &i32};
  kite_extern imports[2];
  imports[0].kind = KITE_EXTERN_FUNC;
  imports[0].u.func = kite_func_new_host(w->store, &ping_t, host_ping, NULL, &err);
  imports[1].kind = KITE_EXTERN_FUNC;
  imports[1].u.func = kite_func_new_host(w->store, &reenter_t, host_reenter, w, &err);
  w->inst = kite_instantiate(w->store, w->module, imports, 2, &err);
  CHECK_MSG(w->inst != NULL, "instantiate: %s", err.msg);
  return w->inst != NULL;
}

static void world_free(world *w) {
  if (w->store) kite_store_free(w->store);
  if (w->module) kite_module_free(w->module);
  if (w->engine) kite_engine_free(w->engine);
}

/* Call an export with i32 arguments; returns its i32 result (0 when it has none). */
static bool call(world *w, const char *name, const uint32_t *args, uint32_t nargs,
                 uint32_t *result, kite_error *err) {
  kite_funcinst *f = export_func(w, name);
  kite_value a[4], r[1];
  for (uint32_t i = 0; i < nargs; i++) a[i] = kite_val_i32(args[i]);
  memset(r, 0, sizeof r);
  kite_error_clear(err);
  bool ok = f && kite_func_call(w->store, f, a, nargs, r, f->type->nresults, err);
  if (result) *result = r[0].u.i32;
  return ok;
}

/* Fuel one call uses: the store starts full each time. */
static uint64_t fuel_used(world *w, const char *name, uint32_t arg, uint32_t *result) {
  const uint64_t full = (uint64_t)1 << 40;
  w->store->fuel = full;
  kite_error err;
  bool ok = call(w, name, &arg, 1, result, &err);
  CHECK_MSG(ok, "%s(%u): %s", name, arg, err.msg);
  return full - w->store->fuel;
}

static uint64_t fib_calls(uint32_t n) { return n < 2 ? 1 : 1 + fib_calls(n - 1) + fib_calls(n - 2); }

static void test_fuel_counts(void) {
  world w;
  if (!world_new(&w, true, 0)) {
    world_free(&w);
    return;
  }
  uint32_t r = 0;
  /* The unit: one per entry from the host, per call made by wasm, per back-edge. */
  CHECK(fuel_used(&w, "count", 100, &r) == 1 + 99 && r == 100);
  CHECK(fuel_used(&w, "count", 1, &r) == 1 && r == 1);
  CHECK(fuel_used(&w, "calls", 100, &r) == 1 + 100 + 100);
  CHECK(fuel_used(&w, "table", 50, &r) == 1 + 49 && r == 50);
  CHECK(fuel_used(&w, "pings", 10, NULL) == 1 + 10 + 9); /* host functions cost one too */
  CHECK(fuel_used(&w, "fib", 15, &r) == fib_calls(15) && r == 610);
  /* A nested run from a host function spends the same store's fuel. */
  CHECK(fuel_used(&w, "nested", 10, &r) == 1 + 1 + 1 + 9 && r == 10);
  /* Deterministic: the same count every time. */
  uint64_t a = fuel_used(&w, "fib", 20, NULL), b = fuel_used(&w, "fib", 20, NULL);
  CHECK(a == b && a == fib_calls(20));

  /* Exactly enough fuel runs to the end and leaves 0; one less traps. */
  kite_error err;
  uint32_t arg = 100;
  w.store->fuel = 100;
  CHECK(call(&w, "count", &arg, 1, &r, &err) && r == 100 && w.store->fuel == 0);
  w.store->fuel = 99;
  CHECK(!call(&w, "count", &arg, 1, &r, &err));
  CHECK(err.kind == KITE_ERR_EXHAUSTION && err.code == KITE_TRAP_OUT_OF_FUEL);
  CHECK(strcmp(err.msg, "all fuel consumed") == 0 && w.store->fuel == 0);
  const kite_trace *tr = kite_store_trace(w.store);
  CHECK(tr->nframes >= 1 && tr->frames[0].func_index == 2); /* $count */
  /* Empty: even the entry traps, and calls from the host keep trapping. */
  CHECK(!call(&w, "count", &arg, 1, &r, &err) && err.code == KITE_TRAP_OUT_OF_FUEL);
  CHECK(!call(&w, "forever", NULL, 0, NULL, &err) && err.code == KITE_TRAP_OUT_OF_FUEL);
  /* Refilled, the store works as before. */
  w.store->fuel = 1000;
  uint32_t two[2] = {40, 2};
  CHECK(call(&w, "add", two, 2, &r, &err) && r == 42 && w.store->fuel == 999);
  w.store->fuel = 50;
  CHECK(!call(&w, "spin", NULL, 0, NULL, &err) && err.code == KITE_TRAP_OUT_OF_FUEL);
  w.store->fuel = 10;
  CHECK(!call(&w, "nested", &arg, 1, &r, &err) && err.code == KITE_TRAP_OUT_OF_FUEL);
  CHECK(w.store->fuel == 0);
  w.store->fuel = 1000;
  CHECK(call(&w, "count", &arg, 1, &r, &err) && r == 100 && w.store->fuel == 900);
  world_free(&w);

  /* A second store of the same engine counts the same. */
  world w2;
  if (world_new(&w2, true, 1000))
    CHECK(fuel_used(&w2, "fib", 20, NULL) == fib_calls(20));
  world_free(&w2);
}

/* ---- interrupts ---- */

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

typedef struct trigger {
  struct kite_interrupt *h;
  double delay_ms;
  _Atomic(double) fired_at;
} trigger;

static void *trigger_later(void *p) {
  trigger *t = p;
  struct timespec ts = {0, (long)(t->delay_ms * 1e6)};
  nanosleep(&ts, NULL);
  atomic_store(&t->fired_at, now_ms());
  kite_interrupt_request(t->h);
  return NULL;
}

/* A broken interrupt would hang the test: fail it instead. */
static void *watchdog(void *p) {
  _Atomic(int) *done = p;
  for (int i = 0; i < 600 && !atomic_load(done); i++) {
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  if (!atomic_load(done)) {
    fprintf(stderr, "test_limits: an interrupted loop never stopped\n");
    exit(1);
  }
  return NULL;
}

/* Run `name` forever and interrupt it from another thread after 10 ms ("nested": wasm
   calls the host, which runs "forever"). */
static void interrupt_once(world *w, const char *name) {
  trigger t = {kite_store_interrupt_ref(w->store), 10, 0};
  CHECK(t.h != NULL);
  if (!t.h) return;
  /* On a loaded machine the thread may not be scheduled in time: take the best of 3. */
  double best = 1e9;
  for (int attempt = 0; attempt < 3 && best > 100; attempt++) {
    atomic_store(&t.fired_at, 0);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, trigger_later, &t) == 0);
    kite_error err;
    uint32_t arg = 0;
    bool nested = strcmp(name, "nested") == 0;
    w->reenter_forever = nested;
    bool ok = call(w, name, &arg, nested ? 1 : 0, NULL, &err);
    w->reenter_forever = false;
    double stopped = now_ms();
    pthread_join(th, NULL);
    CHECK(!ok && err.kind == KITE_ERR_RUNTIME && err.code == KITE_TRAP_INTERRUPTED);
    CHECK(strcmp(err.msg, "interrupted") == 0);
    double latency = stopped - atomic_load(&t.fired_at);
    if (latency < best) best = latency;
  }
  CHECK_MSG(best <= 100, "%s stopped %.1f ms after the interrupt", name, best);
  kite_interrupt_unref(t.h);
}

static void test_interrupt(void) {
  _Atomic(int) done = 0;
  pthread_t dog;
  CHECK(pthread_create(&dog, NULL, watchdog, &done) == 0);
  for (int metered = 0; metered < 2; metered++) {
    world w;
    if (!world_new(&w, metered, UINT64_MAX)) {
      world_free(&w);
      continue;
    }
    interrupt_once(&w, "forever"); /* back-edges only */
    interrupt_once(&w, "spin");    /* tail calls only */
    interrupt_once(&w, "nested");  /* in wasm called by the host called by wasm */
    /* The store works as before, and no request is left over. */
    kite_error err;
    uint32_t r = 0, arg = 1000;
    CHECK(call(&w, "count", &arg, 1, &r, &err) && r == 1000);
    CHECK(call(&w, "fib", (uint32_t[]){20}, 1, &r, &err) && r == 6765);

    /* A request made while nothing runs interrupts the next call, and only that one. */
    struct kite_interrupt *h = kite_store_interrupt_ref(w.store);
    kite_interrupt_request(h);
    kite_interrupt_request(h);
    CHECK(!call(&w, "count", &arg, 1, &r, &err) && err.code == KITE_TRAP_INTERRUPTED);
    CHECK(call(&w, "count", &arg, 1, &r, &err) && r == 1000);

    /* A handle outlives its store. */
    kite_store_free(w.store);
    w.store = NULL;
    kite_interrupt_request(h);
    kite_interrupt_unref(h);
    world_free(&w);
  }
  atomic_store(&done, 1);
  pthread_join(dog, NULL);
}

int main(void) {
  test_fuel_counts();
  test_interrupt();
  return test_finish("test_limits");
}
