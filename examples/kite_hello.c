/*
** kite_hello.c: embedding Kite with its own API (kite.h).
**
** Compiles a small module, lists its imports and exports, gives it a host function,
** instantiates it, calls an export, reads its memory, and shows how errors look.
** The module, in the text format:
**
**   (module
**     (import "host" "hello" (func $hello (param i32)))
**     (memory (export "memory") 1)
**     (data (i32.const 16) "Hello from wasm")
**     (func (export "run") (param $n i32) (result i32)
**       (call $hello (i32.add (local.get $n) (i32.const 1)))
**       (i32.mul (local.get $n) (local.get $n))))
**
** Build: cc kite_hello.c $(pkg-config --cflags --libs kite)
*/
#include <stdio.h>

#include <kite.h>

static const uint8_t hello_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x02, 0x60, 0x01, 0x7f, 0x00,
    0x60, 0x01, 0x7f, 0x01, 0x7f, 0x02, 0x0e, 0x01, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x05, 0x68,
    0x65, 0x6c, 0x6c, 0x6f, 0x00, 0x00, 0x03, 0x02, 0x01, 0x01, 0x05, 0x03, 0x01, 0x00, 0x01,
    0x07, 0x10, 0x02, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x03, 0x72, 0x75,
    0x6e, 0x00, 0x01, 0x0a, 0x10, 0x01, 0x0e, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x10, 0x00,
    0x20, 0x00, 0x20, 0x00, 0x6c, 0x0b, 0x0b, 0x15, 0x01, 0x00, 0x41, 0x10, 0x0b, 0x0f, 0x48,
    0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x66, 0x72, 0x6f, 0x6d, 0x20, 0x77, 0x61, 0x73, 0x6d};

/* The host function: wasm calls it with one i32. */
static bool hello(void *data, kite_store *s, const kite_val *args, size_t nargs, kite_val *results,
                  size_t nresults, kite_error *err) {
  (void)s, (void)nargs, (void)results, (void)nresults, (void)err;
  int *calls = data;
  ++*calls;
  printf("host: hello(%d)\n", (int)args[0].of.i32);
  return true;
}

static int fail(const char *what, const kite_error *err) {
  fprintf(stderr, "%s: %s: %s\n", what, kite_errkind_name(err->kind), err->msg);
  return 1;
}

int main(void) {
  kite_error err;
  kite_engine *engine = kite_engine_new(NULL);
  kite_module *module = kite_compile(engine, hello_wasm, sizeof hello_wasm, &err);
  if (!module) return fail("compile", &err);

  for (uint32_t i = 0; i < kite_module_import_count(module); i++) {
    kite_import_desc d;
    kite_module_import(module, i, &d);
    printf("import %.*s.%.*s: %s\n", (int)d.module_len, d.module, (int)d.name_len, d.name,
           kite_externkind_name(d.type.kind));
  }
  for (uint32_t i = 0; i < kite_module_export_count(module); i++) {
    kite_export_desc d;
    kite_module_export(module, i, &d);
    printf("export %.*s: %s\n", (int)d.name_len, d.name, kite_externkind_name(d.type.kind));
  }

  kite_store *store = kite_store_new(engine);
  int calls = 0;
  kite_type i32 = kite_type_of(KITE_I32);
  kite_funcinst *host = kite_func_create(store, &i32, 1, NULL, 0, hello, &calls, NULL, &err);
  kite_imports *imports = kite_imports_new(store);
  kite_imports_add(imports, "host", "hello", kite_extern_func(host));
  kite_instance *instance = kite_instance_new(store, module, imports, &err);
  kite_imports_free(imports);
  kite_module_release(module); /* the instance keeps it alive */
  if (!instance) return fail("instantiate", &err);

  kite_val arg = kite_i32(41), result;
  if (!kite_call(store, kite_instance_export_func(instance, "run"), &arg, 1, &result, 1, &err))
    return fail("run", &err);
  printf("run(41) = %d after %d host call(s)\n", (int)result.of.i32, calls);

  kite_meminst *memory = kite_instance_export_memory(instance, "memory");
  printf("memory: %llu page(s), says \"%.15s\"\n", (unsigned long long)kite_memory_size(memory),
         (const char *)kite_memory_data(memory) + 16);

  /* Errors are values: a wrong argument is a usage error, not a crash. */
  kite_val wrong = kite_f64(1.0);
  if (!kite_call(store, kite_instance_export_func(instance, "run"), &wrong, 1, &result, 1, &err))
    printf("expected error: %s: %s\n", kite_errkind_name(err.kind), err.msg);

  kite_store_free(store);
  kite_engine_free(engine);
  return calls == 1 && result.of.i32 == 1681 ? 0 : 1;
}
