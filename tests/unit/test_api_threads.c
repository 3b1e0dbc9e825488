/*
** test_api_threads.c: the public API on many threads. One module compiled once and
** instantiated and called on N threads at once (each thread with its own store, the
** functions lowered lazily by whichever thread calls first); one engine whose
** allocation counters every thread updates; and a shared memory that instances on
** different threads write to, plainly and with atomic read-modify-writes.
*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kite.h"
#include "test_util.h"
#include "text.h"

#define NTHREADS 8
#define ROUNDS 20

static uint8_t *wat(const char *src, size_t *len) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_buf b;
  kite_buf_init(&b, &a);
  kite_error err;
  kite_error_clear(&err);
  if (!kite_wat_to_wasm(&a, src, strlen(src), KITE_FEATURES_ALL, &b, &err)) {
    fprintf(stderr, "wat: %s\n", err.msg);
    kite_buf_free(&b);
    return NULL;
  }
  uint8_t *p = malloc(b.len);
  memcpy(p, b.data, b.len);
  *len = b.len;
  kite_buf_free(&b);
  return p;
}

/* Several functions, so that threads race to lower each one first. */
static const char *work_wat =
    "(module\n"
    "  (import \"host\" \"id\" (func $id (param i32) (result i32)))\n"
    "  (memory 1)\n"
    "  (global $calls (mut i32) (i32.const 0))\n"
    "  (func $fib (export \"fib\") (param i32) (result i32)\n"
    "    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))\n"
    "      (then (local.get 0))\n"
    "      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))\n"
    "                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))\n"
    "  (func $sum (export \"sum\") (param i32) (result i64) (local i64)\n"
    "    (block $done (loop $l\n"
    "      (br_if $done (i32.eqz (local.get 0)))\n"
    "      (local.set 1 (i64.add (local.get 1) (i64.extend_i32_u (local.get 0))))\n"
    "      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))\n"
    "      (br $l)))\n"
    "    (local.get 1))\n"
    "  (func (export \"fill\") (param i32 i32)\n"
    "    (memory.fill (i32.const 0) (local.get 0) (local.get 1))\n"
    "    (global.set $calls (i32.add (global.get $calls) (call $id (i32.const 1)))))\n"
    "  (func (export \"peek\") (param i32) (result i32) (i32.load8_u (local.get 0)))\n"
    "  (func (export \"calls\") (result i32) (global.get $calls))\n"
    ")";

typedef struct worker {
  kite_engine *engine;
  kite_module *module;
  int id;
  int failures;
  int host_calls;
} worker;

static bool host_id(void *data, kite_store *s, const kite_val *args, size_t nargs,
                    kite_val *results, size_t nresults, kite_error *err) {
  (void)s, (void)nargs, (void)nresults, (void)err;
  ((worker *)data)->host_calls++;
  results[0] = args[0];
  return true;
}

static int call_i32(kite_store *s, kite_instance *inst, const char *name, int32_t arg,
                    kite_error *err) {
  kite_val a = kite_i32(arg), r;
  if (!kite_call(s, kite_instance_export_func(inst, name), &a, 1, &r, 1, err)) return -1;
  return r.of.i32;
}

static void *work(void *p) {
  worker *w = p;
  kite_error err;
  for (int round = 0; round < ROUNDS; round++) {
    kite_store *s = kite_store_new(w->engine);
    kite_imports *imp = kite_imports_new(s);
    kite_type i32 = kite_type_of(KITE_I32);
    kite_funcinst *id = kite_func_create(s, &i32, 1, &i32, 1, host_id, w, NULL, &err);
    kite_imports_add(imp, "host", "id", kite_extern_func(id));
    kite_instance *inst = kite_instance_new(s, w->module, imp, &err);
    kite_imports_free(imp);
    if (!inst) {
      w->failures++;
      kite_store_free(s);
      continue;
    }
    if (call_i32(s, inst, "fib", 15, &err) != 610) w->failures++;
    kite_val a = kite_i32(1000 + w->id), r;
    if (!kite_call(s, kite_instance_export_func(inst, "sum"), &a, 1, &r, 1, &err) ||
        r.of.i64 != (int64_t)(1000 + w->id) * (1001 + w->id) / 2)
      w->failures++;
    /* Each store's memory is its own. */
    kite_val fill[2] = {kite_i32(w->id + 1), kite_i32(100)};
    if (!kite_call(s, kite_instance_export_func(inst, "fill"), fill, 2, NULL, 0, &err))
      w->failures++;
    if (call_i32(s, inst, "peek", 99, &err) != w->id + 1) w->failures++;
    if (call_i32(s, inst, "peek", 100, &err) != 0) w->failures++;
    kite_store_free(s);
  }
  return NULL;
}

static void test_one_module_many_threads(void) {
  kite_engine *e = kite_engine_new(NULL);
  size_t len;
  uint8_t *bytes = wat(work_wat, &len);
  kite_error err;
  kite_module *m = kite_compile(e, bytes, len, &err);
  free(bytes);
  CHECK(m != NULL);
  worker ws[NTHREADS];
  pthread_t ts[NTHREADS];
  for (int i = 0; i < NTHREADS; i++) {
    ws[i] = (worker){e, kite_module_retain(m), i, 0, 0};
    CHECK(pthread_create(&ts[i], NULL, work, &ws[i]) == 0);
  }
  kite_module_release(m); /* the threads hold the other references */
  for (int i = 0; i < NTHREADS; i++) {
    pthread_join(ts[i], NULL);
    CHECK_MSG(ws[i].failures == 0, "thread %d: %d failures", i, ws[i].failures);
    CHECK(ws[i].host_calls == ROUNDS);
    kite_module_release(ws[i].module);
  }
  kite_engine_free(e);
}

/* ---- a shared memory written by instances on several threads ---- */

typedef struct writer {
  kite_engine *engine;
  const kite_module *module;
  kite_meminst *memory; /* created by the main thread's store */
  int id;
  bool ok;
} writer;

static void *write_slice(void *p) {
  writer *w = p;
  kite_store *s = kite_store_new(w->engine);
  kite_imports *imp = kite_imports_new(s);
  kite_imports_add(imp, "env", "mem", kite_extern_memory(w->memory));
  kite_error err;
  kite_instance *inst = kite_instance_new(s, w->module, imp, &err);
  kite_imports_free(imp);
  w->ok = inst != NULL;
  if (inst) {
    /* each thread fills its own 4 KiB slice with its id, one i32 at a time */
    kite_val args[2] = {kite_i32(w->id * 4096), kite_i32(w->id + 1)};
    w->ok = kite_call(s, kite_instance_export_func(inst, "fill"), args, 2, NULL, 0, &err);
  }
  kite_store_free(s); /* the memory stays: its store is the main thread's */
  return NULL;
}

static void test_shared_memory(void) {
  kite_engine_config *cfg = kite_engine_config_new();
  kite_engine_config_set_features(cfg, KITE_FEATURES_WASM_2_0 | KITE_FEATURE_THREADS);
  kite_engine *e = kite_engine_new(cfg);
  kite_engine_config_free(cfg);
  size_t len;
  uint8_t *bytes =
      wat("(module (import \"env\" \"mem\" (memory 1 1 shared))\n"
          "  (func (export \"fill\") (param $base i32) (param $v i32) (local $i i32)\n"
          "    (loop $l\n"
          "      (i32.store (i32.add (local.get $base) (local.get $i)) (local.get $v))\n"
          "      (local.set $i (i32.add (local.get $i) (i32.const 4)))\n"
          "      (br_if $l (i32.lt_u (local.get $i) (i32.const 4096))))))",
          &len);
  kite_error err;
  kite_module *m = kite_compile(e, bytes, len, &err);
  free(bytes);
  CHECK(m != NULL);
  kite_store *home = kite_store_new(e);
  kite_memory_desc md = {.initial = 1, .maximum = 1, .has_maximum = true, .shared = true};
  kite_meminst *mem = kite_memory_create(home, &md, &err);
  CHECK(mem != NULL && kite_memory_is_shared(mem));
  writer ws[NTHREADS];
  pthread_t ts[NTHREADS];
  for (int i = 0; i < NTHREADS; i++) {
    ws[i] = (writer){e, m, mem, i, false};
    CHECK(pthread_create(&ts[i], NULL, write_slice, &ws[i]) == 0);
  }
  for (int i = 0; i < NTHREADS; i++) {
    pthread_join(ts[i], NULL);
    CHECK(ws[i].ok);
  }
  const uint8_t *data = kite_memory_data(mem);
  int good = 0;
  for (int i = 0; i < NTHREADS; i++)
    for (int k = 0; k < 4096; k += 4) good += data[i * 4096 + k] == i + 1;
  CHECK(good == NTHREADS * 1024);
  kite_store_free(home);
  kite_module_release(m);
  kite_engine_free(e);
}

/* ---- atomics on a shared memory from several threads ---- */

#define ADDS 2000

static void *add_many(void *p) {
  writer *w = p;
  kite_store *s = kite_store_new(w->engine);
  kite_imports *imp = kite_imports_new(s);
  kite_imports_add(imp, "env", "mem", kite_extern_memory(w->memory));
  kite_error err;
  kite_instance *inst = kite_instance_new(s, w->module, imp, &err);
  kite_imports_free(imp);
  kite_val arg = kite_i32(ADDS);
  w->ok = inst && kite_call(s, kite_instance_export_func(inst, "add"), &arg, 1, NULL, 0, &err);
  kite_store_free(s); /* the memory outlives this store: the main thread's store holds it */
  return NULL;
}

static void test_atomics(void) {
  kite_engine_config *cfg = kite_engine_config_new();
  kite_engine_config_set_features(cfg, KITE_FEATURES_WASM_2_0 | KITE_FEATURE_THREADS);
  kite_engine *e = kite_engine_new(cfg);
  kite_engine_config_free(cfg);
  size_t len;
  uint8_t *bytes = wat("(module (import \"env\" \"mem\" (memory 1 1 shared))\n"
                       "  (func (export \"add\") (param $n i32)\n"
                       "    (loop $l\n"
                       "      (drop (i32.atomic.rmw.add (i32.const 64) (i32.const 1)))\n"
                       "      (drop (i64.atomic.rmw.add (i32.const 128) (i64.const 3)))\n"
                       "      (local.set $n (i32.sub (local.get $n) (i32.const 1)))\n"
                       "      (br_if $l (local.get $n)))))",
                       &len);
  kite_error err;
  kite_module *m = kite_compile(e, bytes, len, &err);
  free(bytes);
  CHECK(m != NULL);
  kite_store *home = kite_store_new(e);
  kite_memory_desc md = {.initial = 1, .maximum = 1, .has_maximum = true, .shared = true};
  kite_meminst *mem = kite_memory_create(home, &md, &err);
  writer ws[NTHREADS];
  pthread_t ts[NTHREADS];
  for (int i = 0; i < NTHREADS; i++) {
    ws[i] = (writer){e, m, mem, i, false};
    CHECK(pthread_create(&ts[i], NULL, add_many, &ws[i]) == 0);
  }
  for (int i = 0; i < NTHREADS; i++) {
    pthread_join(ts[i], NULL);
    CHECK(ws[i].ok);
  }
  const uint8_t *data = kite_memory_data(mem);
  uint32_t count;
  uint64_t sum;
  memcpy(&count, data + 64, 4); /* little-endian hosts; the test suite runs on them */
  memcpy(&sum, data + 128, 8);
  CHECK_MSG(count == NTHREADS * ADDS, "count %u", count);
  CHECK(sum == (uint64_t)NTHREADS * ADDS * 3);
  kite_store_free(home);
  kite_module_release(m);
  kite_engine_free(e);
}

int main(void) {
  test_one_module_many_threads();
  test_shared_memory();
  test_atomics();
  return test_finish("test_api_threads");
}
