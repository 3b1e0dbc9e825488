/*
** wasm_serialize.c: serializing a compiled module (wasm.h).
**
** wasm_module_serialize turns a module into bytes that can be stored and later given to
** wasm_module_deserialize, in this process or another, with an engine of the same
** build. (Kite's serialized form is the module's binary: compiling it again is cheap,
** since Kite lowers each function on its first call.)
**
** Build: cc wasm_serialize.c $(pkg-config --cflags --libs kite)
*/
#include <stdio.h>
#include <string.h>

#include <kite.h> /* for kite_wat2wasm only */
#include <wasm.h>

static const char *wat =
    "(module\n"
    "  (func $hello (import \"\" \"hello\") (param i32))\n"
    "  (func (export \"run\") (param i32) (call $hello (i32.mul (local.get 0) (local.get 0)))))";

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

static wasm_trap_t *hello_callback(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)results;
  printf("Calling back...\n> Hello, %d!\n", (int)args->data[0].of.i32);
  return NULL;
}

int main(void) {
  printf("Initializing...\n");
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);

  printf("Loading binary...\n");
  wasm_byte_vec_t binary;
  if (!wat_to_binary(wat, &binary)) return 1;

  printf("Compiling module...\n");
  wasm_module_t *module = wasm_module_new(store, &binary);
  if (!module) return 1;

  printf("Serializing module...\n");
  wasm_byte_vec_t serialized;
  wasm_module_serialize(module, &serialized);
  printf("> %zu bytes\n", serialized.size);
  wasm_module_delete(module);
  wasm_byte_vec_delete(&binary);

  printf("Deserializing module...\n");
  wasm_module_t *deserialized = wasm_module_deserialize(store, &serialized);
  wasm_byte_vec_delete(&serialized);
  if (!deserialized) return 1;

  printf("Checking its exports...\n");
  wasm_exporttype_vec_t export_types;
  wasm_module_exports(deserialized, &export_types);
  for (size_t i = 0; i < export_types.size; i++) {
    const wasm_name_t *name = wasm_exporttype_name(export_types.data[i]);
    printf("> export \"%.*s\"\n", (int)name->size, name->data);
  }
  wasm_exporttype_vec_delete(&export_types);

  printf("Creating callback...\n");
  wasm_functype_t *hello_type = wasm_functype_new_1_0(wasm_valtype_new_i32());
  wasm_func_t *hello_func = wasm_func_new(store, hello_type, hello_callback);
  wasm_functype_delete(hello_type);

  printf("Instantiating deserialized module...\n");
  wasm_extern_t *externs[] = {wasm_func_as_extern(hello_func)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t *instance = wasm_instance_new(store, deserialized, &imports, NULL);
  if (!instance) return 1;
  wasm_func_delete(hello_func);

  printf("Extracting export...\n");
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  const wasm_func_t *run_func = exports.size ? wasm_extern_as_func(exports.data[0]) : NULL;
  if (!run_func) return 1;
  wasm_module_delete(deserialized);
  wasm_instance_delete(instance);

  printf("Calling export...\n");
  wasm_val_t as[1] = {WASM_I32_VAL(12)};
  wasm_val_vec_t args = WASM_ARRAY_VEC(as), results = WASM_EMPTY_VEC;
  wasm_trap_t *trap = wasm_func_call(run_func, &args, &results);
  if (trap) return 1;
  wasm_extern_vec_delete(&exports);

  printf("Deserializing garbage...\n");
  wasm_byte_vec_t garbage;
  wasm_name_new_from_string(&garbage, "not a module");
  wasm_module_t *bad = wasm_module_deserialize(store, &garbage);
  printf("> %s\n", bad ? "accepted" : "rejected");
  wasm_module_delete(bad);
  wasm_byte_vec_delete(&garbage);

  printf("Shutting down...\n");
  wasm_store_delete(store);
  wasm_engine_delete(engine);

  printf("Done.\n");
  return 0;
}
