/*
** test_threads.c: shared memories, atomics and wait/notify through the runtime API, on
** real threads.
**
** - A stress test: N threads, each with its own store and instance of one module, all
**   importing one shared memory created by another store, which is freed while they
**   run (the memory is reference-counted). Each thread adds to shared counters with
**   several atomic widths and passes K messages around a ring of one-slot mailboxes,
**   blocking in memory.atomic.wait32 until its mailbox is full or its neighbour's is
**   empty. Every count and every received sum must be exact.
** - wait/notify: not-equal and timed-out results, timeouts that really elapse, notify
**   counts by address, an unshared memory (wait traps, notify returns 0), and a
**   waiting thread stopped by an interrupt.
** - memory.grow on several threads at once: every page is granted exactly once; and a
**   thread running on a bounds-checked memory reaches pages another thread added.
** The same program runs under ThreadSanitizer (docs/threads.md).
*/
#if !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE 1 /* clock_gettime, nanosleep */
#endif
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "binary.h"
#include "runtime.h"
#include "test_util.h"
#include "text.h"
#include "valid.h"

#define NTHREADS 4
#define NCOUNT 20000 /* counter increments per thread */
#define NMSG 2000    /* messages each thread sends */

static kite_engine *engine;

static kite_module *compile(const char *wat) {
  kite_alloc *a = kite_engine_alloc(engine);
  kite_buf b;
  kite_buf_init(&b, a);
  kite_error err;
  kite_error_clear(&err);
  kite_module *m = NULL;
  if (!kite_wat_to_wasm(a, wat, strlen(wat), KITE_FEATURES_ALL, &b, &err)) {
    CHECK_MSG(false, "wat: %s (%u:%u)", err.msg, err.line, err.col);
  } else if (!(m = kite_decode(a, b.data, b.len, KITE_FEATURES_ALL, NULL, &err)) ||
             !kite_validate_module(m, KITE_FEATURES_ALL, &err)) {
    CHECK_MSG(false, "module: %s", err.msg);
    kite_module_free(m);
    m = NULL;
  }
  kite_buf_free(&b);
  return m;
}

static kite_funcinst *export_func(kite_instance *inst, const char *name) {
  kite_extern x;
  if (!inst || !kite_instance_export(inst, name, strlen(name), &x) || x.kind != KITE_EXTERN_FUNC)
    return NULL;
  return x.u.func;
}

/* Call an export with i32/i64 arguments; the i32 or i64 result (0 when none). */
static bool call(kite_store *s, kite_instance *inst, const char *name, const kite_value *args,
                 uint32_t nargs, uint64_t *result, kite_error *err) {
  kite_funcinst *f = export_func(inst, name);
  kite_error_clear(err);
  if (!f) return kite_fail(err, KITE_ERR_USAGE, 0, 0, "no export %s", name);
  kite_value r[1];
  uint32_t nr = kite_func_type(f)->nresults;
  if (!kite_func_call(s, f, args, nargs, r, nr, err)) return false;
  if (result) *result = nr ? (r[0].type.kind == KITE_VT_I64 ? r[0].u.i64 : r[0].u.i32) : 0;
  return true;
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A barrier of mutex and condition variable (macOS has no barrier). */
typedef struct barrier {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int n, waiting;
  unsigned generation;
} barrier;

static void barrier_init(barrier *b, int n) {
  pthread_mutex_init(&b->lock, NULL);
  pthread_cond_init(&b->cond, NULL);
  b->n = n;
  b->waiting = 0;
  b->generation = 0;
}

static void barrier_wait(barrier *b) {
  pthread_mutex_lock(&b->lock);
  unsigned gen = b->generation;
  if (++b->waiting == b->n) {
    b->waiting = 0;
    b->generation++;
    pthread_cond_broadcast(&b->cond);
  } else {
    while (gen == b->generation) pthread_cond_wait(&b->cond, &b->lock);
  }
  pthread_mutex_unlock(&b->lock);
}

static void barrier_destroy(barrier *b) {
  pthread_mutex_destroy(&b->lock);
  pthread_cond_destroy(&b->cond);
}

/* ---- the stress test ---- */

/*
** Memory layout: counters at 0 (i32), 8 (i64, +2^32+1 per step), 16 (i16 via rmw16),
** 24 (i8 via rmw8, wraps), 32 (i32 by cmpxchg loop); mailbox i at 256 + 16 * i: a flag
** (0 empty, 1 full) and the value; thread i's received sum at 1024 + 8 * i.
*/
static const char *stress_wat =
    "(module\n"
    "  (import \"env\" \"mem\" (memory 1 1 shared))\n"
    "  (func (export \"count\") (param $n i32) (local $old i32)\n"
    "    (loop $l\n"
    "      (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))\n"
    "      (drop (i64.atomic.rmw.add (i32.const 8) (i64.const 0x100000001)))\n"
    "      (drop (i32.atomic.rmw16.add_u (i32.const 16) (i32.const 1)))\n"
    "      (drop (i64.atomic.rmw8.sub_u (i32.const 24) (i64.const 1)))\n"
    "      (block $done (loop $cas\n"
    "        (local.set $old (i32.atomic.load (i32.const 32)))\n"
    "        (br_if $done (i32.eq (local.get $old)\n"
    "          (i32.atomic.rmw.cmpxchg (i32.const 32) (local.get $old)\n"
    "                                  (i32.add (local.get $old) (i32.const 1)))))\n"
    "        (br $cas)))\n"
    "      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))\n"
    "  ;; block until the mailbox's flag is no longer `state`\n"
    "  (func $await (param $flag i32) (param $state i32)\n"
    "    (loop $l\n"
    "      (if (i32.eq (i32.atomic.load (local.get $flag)) (local.get $state))\n"
    "        (then\n"
    "          (drop (memory.atomic.wait32 (local.get $flag) (local.get $state) (i64.const -1)))\n"
    "          (br $l)))))\n"
    "  (func (export \"ring\") (param $me i32) (param $n i32) (param $k i32)\n"
    "    (local $to i32) (local $from i32) (local $i i32) (local $sum i64)\n"
    "    (local.set $to (i32.add (i32.const 256) (i32.mul (i32.const 16)\n"
    "      (i32.rem_u (i32.add (local.get $me) (i32.const 1)) (local.get $n)))))\n"
    "    (local.set $from (i32.add (i32.const 256) (i32.mul (i32.const 16) (local.get $me))))\n"
    "    (loop $round\n"
    "      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
    "      ;; send i: wait for an empty slot, write the value, then the flag\n"
    "      (call $await (local.get $to) (i32.const 1))\n"
    "      (i32.store offset=4 (local.get $to) (local.get $i))\n"
    "      (i32.atomic.store (local.get $to) (i32.const 1))\n"
    "      (drop (memory.atomic.notify (local.get $to) (i32.const -1)))\n"
    "      ;; receive: wait for a full slot, take the value, empty it\n"
    "      (call $await (local.get $from) (i32.const 0))\n"
    "      (local.set $sum (i64.add (local.get $sum) (i64.load32_u offset=4 (local.get $from))))\n"
    "      (i32.atomic.store (local.get $from) (i32.const 0))\n"
    "      (drop (memory.atomic.notify (local.get $from) (i32.const -1)))\n"
    "      (br_if $round (i32.lt_u (local.get $i) (local.get $k))))\n"
    "    (i64.atomic.store (i32.add (i32.const 1024) (i32.mul (i32.const 8) (local.get $me)))\n"
    "      (local.get $sum)))\n"
    ")";

typedef struct worker {
  kite_module *module;
  kite_meminst *mem;
  int id;
  barrier *ready, *go;
  bool instantiated;
  int failures;
} worker;

static void *stress_thread(void *p) {
  worker *w = p;
  kite_store *s = kite_store_new(engine);
  kite_error err;
  kite_error_clear(&err);
  kite_extern imp = {KITE_EXTERN_MEMORY, {.memory = w->mem}};
  kite_instance *inst = s ? kite_instantiate(s, w->module, &imp, 1, &err) : NULL;
  w->instantiated = inst != NULL;
  /* From here on the creating store may be gone: this store holds the memory too. */
  barrier_wait(w->ready);
  barrier_wait(w->go);
  if (inst) {
    kite_value n = kite_val_i32(NCOUNT);
    if (!call(s, inst, "count", &n, 1, NULL, &err)) w->failures++;
    kite_value args[3] = {kite_val_i32((uint32_t)w->id), kite_val_i32(NTHREADS),
                          kite_val_i32(NMSG)};
    if (!call(s, inst, "ring", args, 3, NULL, &err)) {
      fprintf(stderr, "thread %d: %s\n", w->id, err.msg);
      w->failures++;
    }
  }
  barrier_wait(w->ready); /* everyone is done: the memory's values are final */
  if (w->id == 0) {
    const uint8_t *d = kite_memory_data(w->mem);
    uint32_t c32, c16 = 0, c8 = d[24], cas;
    uint64_t c64, sum;
    memcpy(&c32, d, 4);
    memcpy(&c64, d + 8, 8);
    memcpy(&c16, d + 16, 2);
    memcpy(&cas, d + 32, 4);
    uint64_t total = (uint64_t)NTHREADS * NCOUNT;
    CHECK_MSG(c32 == total, "i32 counter %u", c32);
    CHECK_MSG(c64 == total * 0x100000001ull, "i64 counter %llx", (unsigned long long)c64);
    CHECK_MSG(c16 == (total & 0xffff), "i16 counter %u", c16);
    CHECK_MSG(c8 == ((0 - total) & 0xff), "i8 counter %u", c8);
    CHECK_MSG(cas == total, "cmpxchg counter %u", cas);
    for (int i = 0; i < NTHREADS; i++) {
      memcpy(&sum, d + 1024 + 8 * i, 8);
      CHECK_MSG(sum == (uint64_t)NMSG * (NMSG + 1) / 2, "thread %d received %llu", i,
                (unsigned long long)sum);
    }
  }
  barrier_wait(w->go); /* thread 0 has read the memory: let it go */
  kite_store_free(s);
  return NULL;
}

static void test_stress(void) {
  kite_module *m = compile(stress_wat);
  if (!m) return;
  kite_store *home = kite_store_new(engine);
  kite_limits lim = {1, 1, true, true, false, 16};
  kite_error err;
  kite_meminst *mem = kite_memory_new(home, &lim, &err);
  CHECK(mem != NULL);
  if (!mem) return;
  barrier ready, go;
  barrier_init(&ready, NTHREADS + 1);
  barrier_init(&go, NTHREADS + 1);
  worker ws[NTHREADS];
  pthread_t ts[NTHREADS];
  for (int i = 0; i < NTHREADS; i++) {
    ws[i] = (worker){m, mem, i, &ready, &go, false, 0};
    CHECK(pthread_create(&ts[i], NULL, stress_thread, &ws[i]) == 0);
  }
  barrier_wait(&ready);
  kite_store_free(home); /* the memory lives on in the workers' stores */
  barrier_wait(&go);
  barrier_wait(&ready);
  barrier_wait(&go);
  for (int i = 0; i < NTHREADS; i++) {
    pthread_join(ts[i], NULL);
    CHECK(ws[i].instantiated);
    CHECK_MSG(ws[i].failures == 0, "thread %d failed", i);
  }
  barrier_destroy(&ready);
  barrier_destroy(&go);
  kite_module_free(m);
}

/* ---- wait and notify ---- */

static const char *sync_wat =
    "(module\n"
    "  (import \"env\" \"mem\" (memory 1 1 shared))\n"
    "  (func (export \"wait32\") (param i32 i32 i64) (result i32)\n"
    "    (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))\n"
    "  (func (export \"wait64\") (param i32 i64 i64) (result i32)\n"
    "    (memory.atomic.wait64 (local.get 0) (local.get 1) (local.get 2)))\n"
    "  (func (export \"notify\") (param i32 i32) (result i32)\n"
    "    (memory.atomic.notify (local.get 0) (local.get 1)))\n"
    "  (func (export \"add\") (param i32 i32) (result i32)\n"
    "    (i32.atomic.rmw.add (local.get 0) (local.get 1)))\n"
    "  (func (export \"load\") (param i32) (result i32) (i32.atomic.load (local.get 0)))\n"
    ")";

typedef struct waiter_arg {
  kite_module *module;
  kite_meminst *mem;
  uint32_t addr;
  uint64_t result; /* what the wait returned */
  bool ok;
  kite_store *store; /* set before waiting, for the interrupt test */
  bool interruptible;
  kite_error err;
} waiter_arg;

static void *waiter_thread(void *p) {
  waiter_arg *w = p;
  kite_store *s = w->store ? w->store : kite_store_new(engine);
  kite_extern imp = {KITE_EXTERN_MEMORY, {.memory = w->mem}};
  kite_instance *inst = kite_instantiate(s, w->module, &imp, 1, &w->err);
  if (inst) {
    kite_value args[3] = {kite_val_i32(w->addr), kite_val_i32(0), kite_val_i64((uint64_t)-1)};
    w->ok = call(s, inst, "wait32", args, 3, &w->result, &w->err);
  }
  if (!w->store) kite_store_free(s);
  return NULL;
}

/* Notify addr until `n` waiters woke (they may not be waiting yet); returns them. */
static uint64_t notify_until(kite_store *s, kite_instance *inst, uint32_t addr, uint32_t n) {
  uint64_t woken = 0, r;
  kite_error err;
  for (int spins = 0; woken < n && spins < 100000000; spins++) {
    kite_value args[2] = {kite_val_i32(addr), kite_val_i32(1)};
    if (call(s, inst, "notify", args, 2, &r, &err)) woken += r;
  }
  return woken;
}

static void test_wait_notify(void) {
  kite_module *m = compile(sync_wat);
  if (!m) return;
  kite_store *s = kite_store_new(engine);
  kite_limits lim = {1, 1, true, true, false, 16};
  kite_error err;
  kite_meminst *mem = kite_memory_new(s, &lim, &err);
  kite_extern imp = {KITE_EXTERN_MEMORY, {.memory = mem}};
  kite_instance *inst = kite_instantiate(s, m, &imp, 1, &err);
  CHECK(inst != NULL);
  if (!inst) return;
  uint64_t r = 99;

  /* Not equal: returns at once. */
  kite_value a1[3] = {kite_val_i32(0), kite_val_i32(1), kite_val_i64((uint64_t)-1)};
  CHECK(call(s, inst, "wait32", a1, 3, &r, &err) && r == KITE_WAIT_NOT_EQUAL);
  kite_value a2[3] = {kite_val_i32(8), kite_val_i64(0x100000000ull), kite_val_i64((uint64_t)-1)};
  CHECK(call(s, inst, "wait64", a2, 3, &r, &err) && r == KITE_WAIT_NOT_EQUAL);
  /* Timed out, after the time asked for. */
  int64_t t0 = now_ns();
  kite_value a3[3] = {kite_val_i32(0), kite_val_i32(0), kite_val_i64(30000000)};
  CHECK(call(s, inst, "wait32", a3, 3, &r, &err) && r == KITE_WAIT_TIMED_OUT);
  CHECK_MSG(now_ns() - t0 >= 30000000, "woke after %lld ns", (long long)(now_ns() - t0));
  kite_value a4[3] = {kite_val_i32(8), kite_val_i64(0), kite_val_i64(0)};
  CHECK(call(s, inst, "wait64", a4, 3, &r, &err) && r == KITE_WAIT_TIMED_OUT);
  /* Unaligned and out of bounds. */
  kite_value a5[3] = {kite_val_i32(2), kite_val_i32(0), kite_val_i64(0)};
  CHECK(!call(s, inst, "wait32", a5, 3, &r, &err) && err.code == KITE_TRAP_UNALIGNED_ATOMIC);
  kite_value a6[2] = {kite_val_i32(65536), kite_val_i32(1)};
  CHECK(!call(s, inst, "notify", a6, 2, &r, &err) && err.code == KITE_TRAP_MEMORY_OOB);

  /* Three waiters on one address, one on another: notify wakes by address and no more
     than asked. */
  enum { NW = 3 };
  waiter_arg ws[NW + 1];
  pthread_t ts[NW + 1];
  for (int i = 0; i <= NW; i++) {
    memset(&ws[i], 0, sizeof ws[i]);
    ws[i].module = m;
    ws[i].mem = mem;
    ws[i].addr = i < NW ? 64 : 128;
    CHECK(pthread_create(&ts[i], NULL, waiter_thread, &ws[i]) == 0);
    kite_value none[2] = {kite_val_i32(64), kite_val_i32(0)};
    CHECK(call(s, inst, "notify", none, 2, &r, &err) && r == 0); /* a count of 0 wakes none */
  }
  CHECK(notify_until(s, inst, 64, 2) == 2);
  CHECK(notify_until(s, inst, 128, 1) == 1);
  CHECK(notify_until(s, inst, 64, 1) == 1);
  for (int i = 0; i <= NW; i++) {
    pthread_join(ts[i], NULL);
    CHECK_MSG(ws[i].ok && ws[i].result == KITE_WAIT_OK, "waiter %d: %s", i, ws[i].err.msg);
  }
  kite_value z[2] = {kite_val_i32(64), kite_val_i32(-1)};
  CHECK(call(s, inst, "notify", z, 2, &r, &err) && r == 0);

  /* A thread waiting forever is stopped by an interrupt. */
  waiter_arg wi;
  memset(&wi, 0, sizeof wi);
  wi.module = m;
  wi.mem = mem;
  wi.addr = 192;
  wi.store = kite_store_new(engine);
  kite_interrupt *h = kite_store_interrupt_handle(wi.store);
  CHECK(h != NULL);
  pthread_t ti;
  CHECK(pthread_create(&ti, NULL, waiter_thread, &wi) == 0);
  struct timespec pause = {0, 20000000};
  nanosleep(&pause, NULL);
  kite_interrupt_trigger(h);
  pthread_join(ti, NULL);
  CHECK(!wi.ok && wi.err.code == KITE_TRAP_INTERRUPTED);
  kite_interrupt_release(h);
  kite_store_free(wi.store);

  kite_store_free(s);
  kite_module_free(m);
}

static void test_unshared(void) {
  kite_module *m = compile("(module (memory 1 1)\n"
                           "  (func (export \"wait\") (result i32)\n"
                           "    (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const 0)))\n"
                           "  (func (export \"notify\") (result i32)\n"
                           "    (memory.atomic.notify (i32.const 0) (i32.const 5)))\n"
                           "  (func (export \"add\") (result i32)\n"
                           "    (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 3)))\n"
                           "    (i32.atomic.rmw.xchg (i32.const 0) (i32.const 9))))");
  if (!m) return;
  kite_store *s = kite_store_new(engine);
  kite_error err;
  kite_instance *inst = kite_instantiate(s, m, NULL, 0, &err);
  CHECK(inst != NULL);
  uint64_t r = 99;
  CHECK(!call(s, inst, "wait", NULL, 0, &r, &err) && err.code == KITE_TRAP_NOT_SHARED &&
        strcmp(err.msg, "expected shared memory") == 0);
  CHECK(call(s, inst, "notify", NULL, 0, &r, &err) && r == 0);
  CHECK(call(s, inst, "add", NULL, 0, &r, &err) && r == 3);
  kite_store_free(s);
  kite_module_free(m);
}

/* ---- growing from several threads at once ---- */

typedef struct grower {
  kite_module *module;
  kite_meminst *mem;
  uint32_t granted[64];
  int ngranted;
} grower;

static void *grow_thread(void *p) {
  grower *g = p;
  kite_store *s = kite_store_new(engine);
  kite_error err;
  kite_extern imp = {KITE_EXTERN_MEMORY, {.memory = g->mem}};
  kite_instance *inst = kite_instantiate(s, g->module, &imp, 1, &err);
  for (int i = 0; inst && i < 64; i++) {
    uint64_t r;
    if (!call(s, inst, "grow", NULL, 0, &r, &err) || r == 0xFFFFFFFFu) break;
    g->granted[g->ngranted++] = (uint32_t)r;
    /* The page just granted is usable at once. */
    kite_value a[1] = {kite_val_i32((uint32_t)r * 65536 + 65532)};
    if (!call(s, inst, "touch", a, 1, NULL, &err)) break;
  }
  kite_store_free(s);
  return NULL;
}

static void test_grow(void) {
  kite_module *m = compile("(module (import \"env\" \"mem\" (memory 1 40 shared))\n"
                           "  (func (export \"grow\") (result i32) (memory.grow (i32.const 1)))\n"
                           "  (func (export \"touch\") (param i32)\n"
                           "    (i32.atomic.store (local.get 0) (i32.const 1))))");
  if (!m) return;
  kite_store *s = kite_store_new(engine);
  kite_limits lim = {1, 40, true, true, false, 16};
  kite_error err;
  kite_meminst *mem = kite_memory_new(s, &lim, &err);
  enum { NG = 4 };
  grower gs[NG];
  pthread_t ts[NG];
  for (int i = 0; i < NG; i++) {
    memset(&gs[i], 0, sizeof gs[i]);
    gs[i].module = m;
    gs[i].mem = mem;
    CHECK(pthread_create(&ts[i], NULL, grow_thread, &gs[i]) == 0);
  }
  bool seen[40] = {false};
  int total = 0, dup = 0;
  for (int i = 0; i < NG; i++) {
    pthread_join(ts[i], NULL);
    for (int k = 0; k < gs[i].ngranted; k++) {
      uint32_t old = gs[i].granted[k];
      if (old >= 40 || seen[old]) dup++;
      else seen[old] = true;
      total++;
    }
  }
  CHECK_MSG(total == 39 && dup == 0, "%d grants, %d duplicates", total, dup);
  CHECK(kite_memory_size(mem) == 40);
  const uint8_t *d = kite_memory_data(mem);
  int touched = 0;
  for (int p = 1; p < 40; p++) touched += d[p * 65536 + 65532] == 1;
  CHECK(touched == 39);
  kite_store_free(s);
  kite_module_free(m);
}

/* ---- growth seen by a running thread, with explicit bounds checks ---- */

typedef struct reader {
  kite_engine *engine;
  kite_module *module;
  kite_meminst *mem;
  uint64_t value;
  bool ok;
  kite_error err;
} reader;

static void *read_thread(void *p) {
  reader *r = p;
  kite_store *s = kite_store_new(r->engine);
  kite_extern imp = {KITE_EXTERN_MEMORY, {.memory = r->mem}};
  kite_instance *inst = kite_instantiate(s, r->module, &imp, 1, &r->err);
  r->ok = inst && call(s, inst, "read", NULL, 0, &r->value, &r->err);
  kite_store_free(s);
  return NULL;
}

static void test_grow_unguarded(void) {
  /* Without guard pages the interpreter caches the size of the memory it runs on: a
     thread that started before another one grew the memory must still reach the new
     pages with ordinary loads and stores. */
  kite_engine_config cfg;
  kite_engine_config_default(&cfg);
  cfg.features = KITE_FEATURES_ALL;
  cfg.no_guard_pages = true;
  kite_engine *e = kite_engine_new(&cfg);
  kite_engine *saved = engine;
  engine = e;
  kite_module *m = compile("(module (import \"env\" \"mem\" (memory 1 2 shared))\n"
                           "  (func (export \"read\") (result i32)\n"
                           "    (loop $l (br_if $l (i32.eqz (i32.atomic.load (i32.const 0)))))\n"
                           "    (i32.store (i32.const 70000) (i32.const 11))\n"
                           "    (i32.load (i32.const 70000)))\n"
                           "  (func (export \"grow\") (result i32)\n"
                           "    (memory.grow (i32.const 1))\n"
                           "    (i32.atomic.store (i32.const 0) (i32.const 1))))");
  engine = saved;
  if (!m) {
    kite_engine_free(e);
    return;
  }
  kite_store *s = kite_store_new(e);
  kite_limits lim = {1, 2, true, true, false, 16};
  kite_error err;
  kite_meminst *mem = kite_memory_new(s, &lim, &err);
  kite_extern imp = {KITE_EXTERN_MEMORY, {.memory = mem}};
  kite_instance *inst = kite_instantiate(s, m, &imp, 1, &err);
  CHECK(mem && !mem->guarded && inst);
  reader r;
  memset(&r, 0, sizeof r);
  r.engine = e;
  r.module = m;
  r.mem = mem;
  pthread_t t;
  CHECK(pthread_create(&t, NULL, read_thread, &r) == 0);
  struct timespec pause = {0, 10000000};
  nanosleep(&pause, NULL); /* let the reader start spinning with the old size */
  uint64_t old = 0;
  CHECK(call(s, inst, "grow", NULL, 0, &old, &err) && old == 1);
  pthread_join(t, NULL);
  CHECK_MSG(r.ok && r.value == 11, "reader: %s", r.err.msg);
  kite_store_free(s);
  kite_module_free(m);
  kite_engine_free(e);
}

int main(void) {
  kite_engine_config cfg;
  kite_engine_config_default(&cfg);
  cfg.features = KITE_FEATURES_ALL;
  engine = kite_engine_new(&cfg);
  test_unshared();
  test_wait_notify();
  test_grow();
  test_grow_unguarded();
  test_stress();
  kite_engine_free(engine);
  return test_finish("test_threads");
}
