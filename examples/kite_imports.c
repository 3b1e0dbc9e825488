/*
** kite_imports.c: imports and host callbacks (kite.h).
**
** A module imports two host functions and a function exported by another instance. The
** import object maps (module name, field name) to objects, as the JS API's import
** object does. Host functions get a user data pointer, may call back into wasm, may
** trap, and have a finalizer that runs when the store is freed.
**
** Build: cc kite_imports.c $(pkg-config --cflags --libs kite)
*/
#include <stdio.h>
#include <string.h>

#include <kite.h>

/* A library module whose export the main module imports. */
static const char *math_wat = "(module\n"
                              "  (func (export \"square\") (param i32) (result i32)\n"
                              "    (i32.mul (local.get 0) (local.get 0))))";

static const char *main_wat =
    "(module\n"
    "  (import \"env\" \"log\" (func $log (param i32 i64)))\n"
    "  (import \"env\" \"twice\" (func $twice (param i32) (result i32)))\n"
    "  (import \"math\" \"square\" (func $square (param i32) (result i32)))\n"
    "  (func (export \"run\") (param $n i32) (result i32)\n"
    "    (call $log (local.get $n) (i64.const 1000000000000))\n"
    "    (call $square (call $twice (local.get $n))))\n"
    "  (func (export \"inc\") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))";

/* What the host functions share: their user data. */
typedef struct host_state {
  const char *name;
  int calls;
  kite_instance *self; /* the main instance, for calling back into it */
} host_state;

static bool host_log(void *data, kite_store *s, const kite_val *args, size_t nargs,
                     kite_val *results, size_t nresults, kite_error *err) {
  (void)s, (void)nargs, (void)results, (void)nresults, (void)err;
  host_state *st = data;
  st->calls++;
  printf("  %s: log(%d, %lld)\n", st->name, (int)args[0].of.i32, (long long)args[1].of.i64);
  return true;
}

/* twice(x) = inc(x) + inc(x) - 2, calling back into wasm; traps on negative input. */
static bool host_twice(void *data, kite_store *s, const kite_val *args, size_t nargs,
                       kite_val *results, size_t nresults, kite_error *err) {
  (void)nargs, (void)nresults;
  host_state *st = data;
  st->calls++;
  if (args[0].of.i32 < 0)
    return kite_error_set(err, KITE_ERR_RUNTIME, KITE_TRAP_HOST, "twice: negative input %d",
                          (int)args[0].of.i32);
  kite_val inc;
  if (!kite_call(s, kite_instance_export_func(st->self, "inc"), args, 1, &inc, 1, err))
    return false;
  results[0].of.i32 = 2 * inc.of.i32 - 2;
  return true;
}

static void finalize(void *data) { printf("finalizer: %s\n", ((host_state *)data)->name); }

static kite_module *compile_wat(kite_engine *e, const char *wat, kite_error *err) {
  size_t len;
  uint8_t *bytes = kite_wat2wasm(e, wat, strlen(wat), &len, err);
  if (!bytes) return NULL;
  kite_module *m = kite_compile(e, bytes, len, err);
  kite_bytes_free(e, bytes, len);
  return m;
}

static int fail(const char *what, const kite_error *err) {
  printf("%s: %s: %s\n", what, kite_errkind_name(err->kind), err->msg);
  return 1;
}

int main(void) {
  kite_error err;
  kite_engine *engine = kite_engine_new(NULL);
  kite_module *math = compile_wat(engine, math_wat, &err);
  if (!math) return fail("compile math", &err);
  kite_module *main_module = compile_wat(engine, main_wat, &err);
  if (!main_module) return fail("compile main", &err);

  kite_store *store = kite_store_new(engine);
  kite_instance *math_inst = kite_instance_new(store, math, NULL, &err);
  if (!math_inst) return fail("instantiate math", &err);

  host_state log_state = {"log", 0, NULL}, twice_state = {"twice", 0, NULL};
  kite_type i32 = kite_type_of(KITE_I32), i64 = kite_type_of(KITE_I64);
  kite_type log_params[2] = {i32, i64};
  kite_funcinst *log_fn =
      kite_func_create(store, log_params, 2, NULL, 0, host_log, &log_state, finalize, &err);
  kite_funcinst *twice_fn =
      kite_func_create(store, &i32, 1, &i32, 1, host_twice, &twice_state, finalize, &err);
  if (!log_fn || !twice_fn) return fail("host function", &err);

  /* The import object: host functions by name, and every export of math_inst. */
  kite_imports *imports = kite_imports_new(store);
  kite_imports_add(imports, "env", "log", kite_extern_func(log_fn));
  kite_imports_add(imports, "env", "twice", kite_extern_func(twice_fn));
  kite_imports_add_instance(imports, "math", math_inst);

  /* A missing import is a LinkError that names it. */
  kite_imports *partial = kite_imports_new(store);
  kite_imports_add(partial, "env", "log", kite_extern_func(log_fn));
  if (!kite_instance_new(store, main_module, partial, &err))
    printf("without env.twice: %s: %s\n", kite_errkind_name(err.kind), err.msg);
  kite_imports_free(partial);

  kite_instance *inst = kite_instance_new(store, main_module, imports, &err);
  kite_imports_free(imports);
  if (!inst) return fail("instantiate", &err);
  twice_state.self = inst;

  kite_funcinst *run = kite_instance_export_func(inst, "run");
  for (int n = 3; n >= -1; n -= 4) {
    kite_val arg = kite_i32(n), result;
    printf("run(%d):\n", n);
    if (kite_call(store, run, &arg, 1, &result, 1, &err)) printf("  = %d\n", (int)result.of.i32);
    else printf("  %s: %s\n", kite_errkind_name(err.kind), err.msg);
  }
  printf("host calls: log %d, twice %d\n", log_state.calls, twice_state.calls);

  kite_module_release(main_module);
  kite_module_release(math);
  kite_store_free(store); /* runs the finalizers */
  kite_engine_free(engine);
  return 0;
}
