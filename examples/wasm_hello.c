/*
** wasm_hello.c: the standard C API's first program (wasm.h).
**
** Create an engine and a store, compile a module, give it a host callback as its
** import, instantiate it, and call its export, which calls back into the host. Written
** as a wasm-c-api program for any engine would be; only the module's binary comes from
** Kite's text format support (kite_wat2wasm), where such programs read a .wasm file.
**
** Build: cc wasm_hello.c $(pkg-config --cflags --libs kite)
*/
#include <stdio.h>
#include <string.h>

#include <kite.h> /* for kite_wat2wasm only */
#include <wasm.h>

static const char *wat = "(module\n"
                         "  (func $hello (import \"\" \"hello\"))\n"
                         "  (func (export \"run\") (call $hello)))";

/* The binary of a module in the text format. */
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

static wasm_trap_t *hello_callback(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)args, (void)results;
  printf("Calling back...\n");
  printf("> Hello World!\n");
  return NULL;
}

int main(void) {
  printf("Initializing...\n");
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);

  printf("Loading binary...\n");
  wasm_byte_vec_t binary;
  if (!wat_to_binary(wat, &binary)) {
    printf("> Error loading module!\n");
    return 1;
  }

  printf("Compiling module...\n");
  wasm_module_t *module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  if (!module) {
    printf("> Error compiling module!\n");
    return 1;
  }

  printf("Creating callback...\n");
  wasm_functype_t *hello_type = wasm_functype_new_0_0();
  wasm_func_t *hello_func = wasm_func_new(store, hello_type, hello_callback);
  wasm_functype_delete(hello_type);

  printf("Instantiating module...\n");
  wasm_extern_t *externs[] = {wasm_func_as_extern(hello_func)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t *instance = wasm_instance_new(store, module, &imports, NULL);
  if (!instance) {
    printf("> Error instantiating module!\n");
    return 1;
  }
  wasm_func_delete(hello_func);

  printf("Extracting export...\n");
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  if (exports.size == 0) {
    printf("> Error accessing exports!\n");
    return 1;
  }
  const wasm_func_t *run_func = wasm_extern_as_func(exports.data[0]);
  if (run_func == NULL) {
    printf("> Error accessing export!\n");
    return 1;
  }
  wasm_module_delete(module);
  wasm_instance_delete(instance);

  printf("Calling export...\n");
  wasm_val_vec_t args = WASM_EMPTY_VEC;
  wasm_val_vec_t results = WASM_EMPTY_VEC;
  wasm_trap_t *trap = wasm_func_call(run_func, &args, &results);
  if (trap) {
    printf("> Error calling function!\n");
    wasm_trap_delete(trap);
    return 1;
  }
  wasm_extern_vec_delete(&exports);

  printf("Shutting down...\n");
  wasm_store_delete(store);
  wasm_engine_delete(engine);

  printf("Done.\n");
  return 0;
}
