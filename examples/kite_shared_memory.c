/*
** kite_shared_memory.c: one shared memory used by instances on several threads (kite.h,
** pthreads, the threads proposal).
**
** The module is compiled once. Each thread has its own store and instance (stores are
** single-threaded), and every instance imports the same shared memory, made by the
** host. The threads count with i32.atomic.rmw.add, count under a spin lock built from
** i32.atomic.rmw.cmpxchg, and tell the main thread they are done with
** memory.atomic.notify while it sleeps in memory.atomic.wait32.
**
** Build: cc kite_shared_memory.c $(pkg-config --cflags --libs kite) -lpthread
*/
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <kite.h>

#define NTHREADS 4
#define ROUNDS 20000

/* Memory layout: 0 atomic counter, 8 lock, 16 counter under the lock, 24 threads done. */
static const char *wat =
    "(module\n"
    "  (import \"env\" \"memory\" (memory 1 1 shared))\n"
    "  (func (export \"count\") (param $n i32)\n"
    "    (loop $next\n"
    "      (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))\n"
    "      (br_if $next (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))\n"
    "  (func $lock\n"
    "    (loop $spin\n"
    "      (br_if $spin (i32.atomic.rmw.cmpxchg (i32.const 8) (i32.const 0) (i32.const 1)))))\n"
    "  (func $unlock (i32.atomic.store (i32.const 8) (i32.const 0)))\n"
    "  (func (export \"count_locked\") (param $n i32)\n"
    "    (loop $next\n"
    "      (call $lock)\n"
    "      (i32.store (i32.const 16) (i32.add (i32.load (i32.const 16)) (i32.const 1)))\n"
    "      (call $unlock)\n"
    "      (br_if $next (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))\n"
    "  (func (export \"done\")\n"
    "    (drop (i32.atomic.rmw.add (i32.const 24) (i32.const 1)))\n"
    "    (drop (memory.atomic.notify (i32.const 24) (i32.const 1))))\n"
    "  ;; Sleep until $want threads are done, or a minute has passed (in 100 ms waits).\n"
    "  (func (export \"wait_all\") (param $want i32) (result i32) (local $seen i32)\n"
    "    (local $waits i32)\n"
    "    (block $all (loop $again\n"
    "      (local.set $seen (i32.atomic.load (i32.const 24)))\n"
    "      (br_if $all (i32.ge_u (local.get $seen) (local.get $want)))\n"
    "      (br_if $all (i32.ge_u (local.get $waits) (i32.const 600)))\n"
    "      (drop (memory.atomic.wait32 (i32.const 24) (local.get $seen) (i64.const 100000000)))\n"
    "      (local.set $waits (i32.add (local.get $waits) (i32.const 1)))\n"
    "      (br $again)))\n"
    "    (local.get $seen))\n"
    "  (func (export \"read\") (param i32) (result i32) (i32.atomic.load (local.get 0))))";

typedef struct worker {
  kite_engine *engine;
  kite_module *module;
  kite_meminst *memory; /* shared: any store may import it */
  int ok;
} worker;

/* Call an export taking at most one i32 and returning at most one. */
static bool call1(kite_store *s, kite_instance *inst, const char *name, int32_t arg,
                  int32_t *result) {
  kite_funcinst *f = kite_instance_export_func(inst, name);
  const kite_functype *t = kite_func_type(f);
  kite_val a = kite_i32(arg), r;
  kite_error err;
  if (!kite_call(s, f, &a, kite_functype_param_count(t), &r, kite_functype_result_count(t), &err)) {
    printf("%s: %s: %s\n", name, kite_errkind_name(err.kind), err.msg);
    return false;
  }
  if (result) *result = r.of.i32;
  return true;
}

static kite_instance *instantiate(kite_store *s, const worker *w) {
  kite_error err;
  kite_imports *imports = kite_imports_new(s);
  kite_imports_add(imports, "env", "memory", kite_extern_memory(w->memory));
  kite_instance *inst = kite_instance_new(s, w->module, imports, &err);
  kite_imports_free(imports);
  if (!inst) printf("instantiate: %s: %s\n", kite_errkind_name(err.kind), err.msg);
  return inst;
}

static void *work(void *p) {
  worker *w = p;
  kite_store *s = kite_store_new(w->engine); /* one store per thread */
  kite_instance *inst = instantiate(s, w);
  w->ok = inst && call1(s, inst, "count", ROUNDS, NULL) &&
          call1(s, inst, "count_locked", ROUNDS / 4, NULL);
  if (inst) call1(s, inst, "done", 0, NULL); /* even after a failure: main is waiting */
  kite_store_free(s);                        /* the memory lives on: other stores still import it */
  return NULL;
}

int main(void) {
  kite_error err;
  kite_engine_config *cfg = kite_engine_config_new();
  kite_engine_config_set_features(cfg, KITE_FEATURES_WASM_2_0 | KITE_FEATURE_THREADS);
  kite_engine *engine = kite_engine_new(cfg);
  kite_engine_config_free(cfg);

  size_t len;
  uint8_t *bytes = kite_wat2wasm(engine, wat, strlen(wat), &len, &err);
  if (!bytes) {
    printf("wat: %s\n", err.msg);
    return 1;
  }
  kite_module *module = kite_compile(engine, bytes, len, &err);
  kite_bytes_free(engine, bytes, len);
  if (!module) return 1;

  /* The main thread's store creates the shared memory and waits in wasm. */
  kite_store *store = kite_store_new(engine);
  kite_memory_desc desc = {1, 1, true, true, false, 0};
  kite_meminst *memory = kite_memory_create(store, &desc, &err);
  if (!memory) return 1;
  printf("memory shared: %s\n", kite_memory_is_shared(memory) ? "yes" : "no");
  worker w = {engine, module, memory, 0};
  kite_instance *inst = instantiate(store, &w);
  if (!inst) return 1;

  worker workers[NTHREADS];
  pthread_t threads[NTHREADS];
  for (int i = 0; i < NTHREADS; i++) {
    workers[i] = w;
    pthread_create(&threads[i], NULL, work, &workers[i]);
  }
  int32_t seen = 0;
  call1(store, inst, "wait_all", NTHREADS, &seen);
  printf("main thread woke: %d threads done\n", (int)seen);
  int ok = 1;
  for (int i = 0; i < NTHREADS; i++) {
    pthread_join(threads[i], NULL);
    ok = ok && workers[i].ok;
  }
  int32_t atomic_count, locked_count;
  call1(store, inst, "read", 0, &atomic_count);
  call1(store, inst, "read", 16, &locked_count);
  printf("%d threads x %d atomic adds = %d\n", NTHREADS, ROUNDS, (int)atomic_count);
  printf("%d threads x %d locked increments = %d\n", NTHREADS, ROUNDS / 4, (int)locked_count);
  printf("all threads ok: %s\n", ok ? "yes" : "no");

  kite_module_release(module);
  kite_store_free(store);
  kite_engine_free(engine);
  return ok && atomic_count == NTHREADS * ROUNDS ? 0 : 1;
}
