/*
** kite_traps.c: errors and traps (kite.h).
**
** Every failure is a value of type kite_error whose kind follows the JS API's error
** classes: CompileError (malformed or invalid, with the byte offset; text errors with
** line and column), LinkError, RuntimeError (a trap, with its code and a backtrace of
** function names and offsets), and exhaustion (call stack, fuel). Nothing prints or
** exits; the host decides. An uncaught exception, thrown with a tag the host created
** (new WebAssembly.Tag), is a trap too. An interrupt handle stops a runaway call from
** another thread.
**
** Build: cc kite_traps.c $(pkg-config --cflags --libs kite) -lpthread
*/
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <kite.h>

static const char *wat =
    "(module\n"
    "  (import \"env\" \"check\" (func $check (param i32)))\n"
    "  (func $divide (export \"divide\") (param i32 i32) (result i32)\n"
    "    (i32.div_s (local.get 0) (local.get 1)))\n"
    "  (func $inner (param i32) (call $check (local.get 0)) (unreachable))\n"
    "  (func $middle (param i32) (call $inner (local.get 0)))\n"
    "  (func (export \"outer\") (param i32) (call $middle (local.get 0)))\n"
    "  (func $recurse (export \"recurse\") (param i32) (result i32)\n"
    "    (i32.add (call $recurse (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))\n"
    "  (func (export \"spin\") (loop $forever (br $forever))))";

/* Throws an exception with a tag the host made (the exceptions proposal). */
static const char *throw_wat = "(module (import \"env\" \"oops\" (tag $oops (param i32)))\n"
                               "  (func (export \"throw\") (throw $oops (i32.const 42))))";

static void report(const char *what, const kite_error *err) {
  printf("%s: %s", what, kite_errkind_name(err->kind));
  if (err->kind == KITE_ERR_COMPILE)
    printf(" (%s)", err->code == KITE_COMPILE_MALFORMED ? "malformed" : "invalid");
  if (err->kind == KITE_ERR_RUNTIME) printf(" (trap code %d)", err->code);
  printf(": %s", err->msg);
  if (err->has_offset) /* compile errors */
    printf(" at byte offset %llu", (unsigned long long)err->offset);
  if (err->line) printf(" at line %u, column %u", (unsigned)err->line, (unsigned)err->col);
  printf("\n");
}

static void print_backtrace(kite_store *s) {
  kite_backtrace_frame frames[16];
  uint32_t depth;
  uint32_t n = kite_store_backtrace(s, frames, 16, &depth);
  for (uint32_t i = 0; i < n && i < 16; i++) {
    if (!frames[i].module) {
      printf("  #%u host function\n", (unsigned)i);
      continue;
    }
    printf("  #%u func %u", (unsigned)i, (unsigned)frames[i].func_index);
    if (frames[i].name) printf(" $%.*s", (int)frames[i].name_len, frames[i].name);
    printf(" at module offset 0x%llx (function offset 0x%llx)\n",
           (unsigned long long)frames[i].module_offset, (unsigned long long)frames[i].func_offset);
  }
  if (depth > n) printf("  ... %u frames in all\n", (unsigned)depth);
}

static bool check(void *data, kite_store *s, const kite_val *args, size_t nargs, kite_val *results,
                  size_t nresults, kite_error *err) {
  (void)data, (void)s, (void)nargs, (void)results, (void)nresults;
  if (args[0].of.i32 > 100)
    return kite_error_set(err, KITE_ERR_RUNTIME, KITE_TRAP_HOST, "check: %d is too large",
                          (int)args[0].of.i32);
  return true;
}

/* Another thread asks the store to stop after 50 ms. */
static void *interrupt_later(void *handle) {
  struct timespec ts = {0, 50 * 1000 * 1000};
  nanosleep(&ts, NULL);
  kite_interrupt_trigger(handle);
  return NULL;
}

/*
** Backtraces name functions from the module's "name" section, which toolchains emit
** (clang -g, wat2wasm --debug-names). Here we append one by hand: custom section 0
** named "name", subsection 1 (function names): count, then (index, name) pairs.
*/
static size_t append_names(uint8_t *bytes, size_t len) {
  static const char *names[] = {"check", "divide", "inner", "middle", "outer"};
  uint8_t sub[64];
  size_t n = 0;
  sub[n++] = 5;
  for (uint8_t i = 0; i < 5; i++) {
    sub[n++] = i;
    sub[n++] = (uint8_t)strlen(names[i]);
    memcpy(sub + n, names[i], strlen(names[i]));
    n += strlen(names[i]);
  }
  uint8_t *p = bytes + len;
  *p++ = 0;                /* custom section */
  *p++ = (uint8_t)(7 + n); /* its size: name, subsection id and size, contents */
  *p++ = 4;
  memcpy(p, "name", 4);
  p += 4;
  *p++ = 1; /* function names */
  *p++ = (uint8_t)n;
  memcpy(p, sub, n);
  return (size_t)(p + n - bytes);
}

static kite_instance *instantiate(kite_engine *engine, kite_store *store, kite_error *err) {
  size_t text_len;
  uint8_t *text_bytes = kite_wat2wasm(engine, wat, strlen(wat), &text_len, err);
  if (!text_bytes) return NULL;
  uint8_t bytes[512];
  memcpy(bytes, text_bytes, text_len);
  kite_bytes_free(engine, text_bytes, text_len);
  size_t len = append_names(bytes, text_len);
  kite_type i32 = kite_type_of(KITE_I32);
  kite_imports *imports = kite_imports_new(store);
  kite_imports_add(
      imports, "env", "check",
      kite_extern_func(kite_func_create(store, &i32, 1, NULL, 0, check, NULL, NULL, err)));
  kite_instance *inst = kite_instantiate_bytes(store, bytes, len, imports, NULL, err);
  kite_imports_free(imports);
  return inst;
}

int main(void) {
  kite_error err;
  kite_engine_config *cfg = kite_engine_config_new();
  kite_engine_config_set_max_call_depth(cfg, 1000);
  kite_engine_config_set_features(cfg, KITE_FEATURES_WASM_2_0 | KITE_FEATURE_EXCEPTIONS);
  kite_engine *engine = kite_engine_new(cfg);
  kite_engine_config_free(cfg);

  /* Compile errors: malformed bytes, an invalid module, bad text. */
  static const uint8_t truncated[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05};
  if (!kite_validate(truncated, sizeof truncated, &err)) report("validate truncated", &err);
  static const uint8_t bad_magic[] = {0x00, 0x61, 0x73, 0x6e, 0x01, 0x00, 0x00, 0x00};
  if (!kite_compile(engine, bad_magic, sizeof bad_magic, &err)) report("compile bad magic", &err);
  const char *invalid = "(module (func (result i32) (i64.const 1)))";
  size_t len;
  uint8_t *bytes = kite_wat2wasm(engine, invalid, strlen(invalid), &len, &err);
  if (bytes && !kite_compile(engine, bytes, len, &err)) report("compile invalid", &err);
  kite_bytes_free(engine, bytes, len);
  const char *bad_text = "(module\n  (func (result i32)\n    (i32.const 1) (i32.frobnicate)))";
  if (!kite_wat2wasm(engine, bad_text, strlen(bad_text), &len, &err)) report("wat", &err);

  /* Link errors. */
  kite_store *store = kite_store_new(engine);
  bytes = kite_wat2wasm(engine, wat, strlen(wat), &len, &err);
  if (!kite_instantiate_bytes(store, bytes, len, NULL, NULL, &err)) report("no imports", &err);
  kite_type f64 = kite_type_of(KITE_F64);
  kite_imports *wrong = kite_imports_new(store);
  kite_imports_add(
      wrong, "env", "check",
      kite_extern_func(kite_func_create(store, &f64, 1, NULL, 0, check, NULL, NULL, &err)));
  if (!kite_instantiate_bytes(store, bytes, len, wrong, NULL, &err)) report("wrong type", &err);
  kite_imports_free(wrong);
  kite_bytes_free(engine, bytes, len);

  /* Traps. */
  kite_instance *inst = instantiate(engine, store, &err);
  if (!inst) {
    report("instantiate", &err);
    return 1;
  }
  kite_val args[2] = {kite_i32(7), kite_i32(0)}, result;
  if (!kite_call(store, kite_instance_export_func(inst, "divide"), args, 2, &result, 1, &err))
    report("divide(7, 0)", &err);
  args[0] = kite_i32(INT32_MIN), args[1] = kite_i32(-1);
  if (!kite_call(store, kite_instance_export_func(inst, "divide"), args, 2, &result, 1, &err))
    report("divide(INT32_MIN, -1)", &err);
  args[0] = kite_i32(5);
  if (!kite_call(store, kite_instance_export_func(inst, "outer"), args, 1, NULL, 0, &err)) {
    report("outer(5)", &err);
    print_backtrace(store);
  }
  args[0] = kite_i32(500);
  if (!kite_call(store, kite_instance_export_func(inst, "outer"), args, 1, NULL, 0, &err)) {
    report("outer(500)", &err);
    print_backtrace(store);
  }
  args[0] = kite_i32(0);
  if (!kite_call(store, kite_instance_export_func(inst, "recurse"), args, 1, &result, 1, &err))
    report("recurse(0)", &err);
  /* A wrong call from the host is a usage error, not a crash. */
  if (!kite_call(store, kite_instance_export_func(inst, "divide"), args, 1, &result, 1, &err))
    report("divide with one argument", &err);

  /* An exception nothing catches ends the call as a trap. */
  kite_type i32 = kite_type_of(KITE_I32);
  kite_taginst *oops = kite_tag_create(store, &i32, 1, &err);
  kite_imports *tag_imports = kite_imports_new(store);
  kite_imports_add(tag_imports, "env", "oops", kite_extern_tag(oops));
  bytes = kite_wat2wasm(engine, throw_wat, strlen(throw_wat), &len, &err);
  kite_instance *thrower = kite_instantiate_bytes(store, bytes, len, tag_imports, NULL, &err);
  kite_bytes_free(engine, bytes, len);
  kite_imports_free(tag_imports);
  if (!thrower) {
    report("instantiate thrower", &err);
    return 1;
  }
  printf("tag oops carries %u value(s)\n",
         (unsigned)kite_functype_param_count(kite_tag_type(oops)));
  if (!kite_call(store, kite_instance_export_func(thrower, "throw"), NULL, 0, NULL, 0, &err))
    report("throw", &err);

  /* Interrupted from another thread. */
  kite_interrupt *handle = kite_store_interrupt_handle(store);
  pthread_t thread;
  pthread_create(&thread, NULL, interrupt_later, handle);
  if (!kite_call(store, kite_instance_export_func(inst, "spin"), NULL, 0, NULL, 0, &err))
    report("spin", &err);
  pthread_join(thread, NULL);
  kite_interrupt_release(handle);
  kite_store_free(store);
  kite_engine_free(engine);

  /* Fuel: a budget of calls and loop iterations. */
  cfg = kite_engine_config_new();
  kite_engine_config_set_fuel(cfg, true, 10000);
  engine = kite_engine_new(cfg);
  kite_engine_config_free(cfg);
  store = kite_store_new(engine);
  inst = instantiate(engine, store, &err);
  if (!inst) return 1;
  if (!kite_call(store, kite_instance_export_func(inst, "spin"), NULL, 0, NULL, 0, &err))
    report("spin with 10000 fuel", &err);
  printf("fuel left: %llu\n", (unsigned long long)kite_store_fuel(store));
  kite_store_free(store);
  kite_engine_free(engine);
  return 0;
}
