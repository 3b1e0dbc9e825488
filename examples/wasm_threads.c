/*
** wasm_threads.c: one module on many threads (wasm.h).
**
** The module is compiled once. wasm_module_share turns it into a wasm_shared_module_t
** that any thread can take; each thread makes its own store (stores are single-threaded),
** obtains the module there with wasm_module_obtain, and instantiates it several times
** with its own host function and global as imports. Each thread records what its
** callback saw; the main thread prints it all after joining, so the output does not
** depend on scheduling.
**
** Build: cc wasm_threads.c $(pkg-config --cflags --libs kite) -lpthread
*/
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <kite.h> /* for kite_wat2wasm only */
#include <wasm.h>

#define N_THREADS 4
#define N_REPS 3

static const char *wat =
    "(module\n"
    "  (func $message (import \"\" \"hello\") (param i32))\n"
    "  (global $id (import \"\" \"id\") i32)\n"
    "  (func (export \"run\") (call $message (i32.mul (global.get $id) (i32.const 100)))))";

/* The binary of a module in the text format (wasm.h programs usually read a .wasm file). */
static bool wat_to_binary(const char *text, wasm_byte_vec_t *binary) {
  kite_engine *k = kite_engine_new(NULL);
  size_t len = 0;
  uint8_t *bytes = k ? kite_wat2wasm(k, text, strlen(text), &len, NULL) : NULL;
  if (bytes) {
    wasm_byte_vec_new(binary, len, (const wasm_byte_t *)bytes);
    kite_bytes_free(k, bytes, len);
  }
  kite_engine_free(k);
  return bytes != NULL;
}

typedef struct thread_args {
  wasm_engine_t *engine;
  wasm_shared_module_t *module;
  int id;
  int seen[N_REPS]; /* what the callback received, per instantiation */
  int calls;
  int errors;
} thread_args;

static wasm_trap_t *callback(void *env, const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)results;
  thread_args *t = env;
  if (t->calls < N_REPS) t->seen[t->calls] = args->data[0].of.i32;
  t->calls++;
  return NULL;
}

static void *run(void *p) {
  thread_args *t = p;
  wasm_store_t *store = wasm_store_new(t->engine);
  wasm_module_t *module = wasm_module_obtain(store, t->module);
  if (!module) {
    t->errors++;
    wasm_store_delete(store);
    return NULL;
  }
  for (int i = 0; i < N_REPS; i++) {
    wasm_functype_t *func_type = wasm_functype_new_1_0(wasm_valtype_new_i32());
    wasm_func_t *func = wasm_func_new_with_env(store, func_type, callback, t, NULL);
    wasm_functype_delete(func_type);

    wasm_val_t val = WASM_I32_VAL(t->id * 10 + i);
    wasm_globaltype_t *global_type = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_CONST);
    wasm_global_t *global = wasm_global_new(store, global_type, &val);
    wasm_globaltype_delete(global_type);

    wasm_extern_t *externs[] = {wasm_func_as_extern(func), wasm_global_as_extern(global)};
    wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
    wasm_instance_t *instance = wasm_instance_new(store, module, &imports, NULL);
    wasm_func_delete(func);
    wasm_global_delete(global);
    if (!instance) {
      t->errors++;
      continue;
    }

    wasm_extern_vec_t exports;
    wasm_instance_exports(instance, &exports);
    const wasm_func_t *run_func = exports.size ? wasm_extern_as_func(exports.data[0]) : NULL;
    wasm_val_vec_t empty = WASM_EMPTY_VEC;
    wasm_trap_t *trap = run_func ? wasm_func_call(run_func, &empty, &empty) : NULL;
    if (!run_func || trap) t->errors++;
    wasm_trap_delete(trap);
    wasm_extern_vec_delete(&exports);
    wasm_instance_delete(instance);
  }
  wasm_module_delete(module);
  wasm_store_delete(store);
  return NULL;
}

int main(void) {
  printf("Initializing...\n");
  wasm_engine_t *engine = wasm_engine_new();

  printf("Loading binary...\n");
  wasm_byte_vec_t binary;
  if (!wat_to_binary(wat, &binary)) return 1;

  printf("Compiling and sharing module...\n");
  wasm_store_t *store = wasm_store_new(engine);
  wasm_module_t *module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  if (!module) return 1;
  wasm_shared_module_t *shared = wasm_module_share(module);
  wasm_module_delete(module);
  wasm_store_delete(store);

  printf("Running %d threads, %d instances each...\n", N_THREADS, N_REPS);
  pthread_t threads[N_THREADS];
  thread_args args[N_THREADS];
  for (int i = 0; i < N_THREADS; i++) {
    memset(&args[i], 0, sizeof args[i]);
    args[i].engine = engine;
    args[i].module = shared;
    args[i].id = i + 1;
    pthread_create(&threads[i], NULL, run, &args[i]);
  }
  int errors = 0;
  for (int i = 0; i < N_THREADS; i++) {
    pthread_join(threads[i], NULL);
    printf("> thread %d: %d calls, saw", args[i].id, args[i].calls);
    for (int r = 0; r < N_REPS; r++) printf(" %d", args[i].seen[r]);
    printf(", %d errors\n", args[i].errors);
    errors += args[i].errors;
  }

  printf("Shutting down...\n");
  wasm_shared_module_delete(shared);
  wasm_engine_delete(engine);

  printf("Done.\n");
  return errors ? 1 : 0;
}
