/*
** wasm_multi.c: multiple results (wasm.h).
**
** Functions may return several values. The module imports a host callback returning
** four values of different types and exports a function that passes them through it in
** reverse order; the host calls the export with a results vector of four values.
**
** Build: cc wasm_multi.c $(pkg-config --cflags --libs kite)
*/
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <kite.h> /* for kite_wat2wasm only */
#include <wasm.h>

static const char *wat =
    "(module\n"
    "  (func $reverse (import \"\" \"reverse\")\n"
    "    (param i32 i64 i64 i32) (result i32 i64 i64 i32))\n"
    "  (func (export \"run\") (param i32 i64 i64 i32) (result i32 i64 i64 i32)\n"
    "    (call $reverse (local.get 0) (local.get 2) (local.get 1) (local.get 3))))";

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

/* Returns its arguments in reverse order: (a b c d) -> (d c b a). */
static wasm_trap_t *reverse_callback(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  printf("Calling back...\n> %" PRId32 " %" PRId64 " %" PRId64 " %" PRId32 "\n",
         args->data[0].of.i32, args->data[1].of.i64, args->data[2].of.i64, args->data[3].of.i32);
  for (size_t i = 0; i < 4; i++) wasm_val_copy(&results->data[i], &args->data[3 - i]);
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
  wasm_byte_vec_delete(&binary);
  if (!module) return 1;

  printf("Creating callback...\n");
  wasm_valtype_t *types[4] = {wasm_valtype_new_i32(), wasm_valtype_new_i64(),
                              wasm_valtype_new_i64(), wasm_valtype_new_i32()};
  wasm_valtype_vec_t params, results_types;
  wasm_valtype_vec_new(&params, 4, types);
  wasm_valtype_vec_copy(&results_types, &params);
  wasm_functype_t *reverse_type = wasm_functype_new(&params, &results_types);
  wasm_func_t *reverse_func = wasm_func_new(store, reverse_type, reverse_callback);
  wasm_functype_delete(reverse_type);

  printf("Instantiating module...\n");
  wasm_extern_t *externs[] = {wasm_func_as_extern(reverse_func)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t *instance = wasm_instance_new(store, module, &imports, NULL);
  if (!instance) return 1;
  wasm_func_delete(reverse_func);

  printf("Extracting export...\n");
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  const wasm_func_t *run_func = exports.size ? wasm_extern_as_func(exports.data[0]) : NULL;
  if (!run_func) return 1;
  wasm_module_delete(module);
  wasm_instance_delete(instance);

  printf("Calling export...\n");
  wasm_val_t vals[4] = {WASM_I32_VAL(1), WASM_I64_VAL(2), WASM_I64_VAL(3), WASM_I32_VAL(4)};
  wasm_val_t res[4] = {WASM_INIT_VAL, WASM_INIT_VAL, WASM_INIT_VAL, WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(vals);
  wasm_val_vec_t results = WASM_ARRAY_VEC(res);
  wasm_trap_t *trap = wasm_func_call(run_func, &args, &results);
  if (trap) {
    printf("> Error calling function!\n");
    return 1;
  }
  wasm_extern_vec_delete(&exports);

  printf("Printing result...\n");
  printf("> %" PRId32 " %" PRId64 " %" PRId64 " %" PRId32 "\n", res[0].of.i32, res[1].of.i64,
         res[2].of.i64, res[3].of.i32);
  int ok = res[0].of.i32 == 4 && res[1].of.i64 == 2 && res[2].of.i64 == 3 && res[3].of.i32 == 1;

  printf("Shutting down...\n");
  wasm_store_delete(store);
  wasm_engine_delete(engine);

  printf("Done.\n");
  return ok ? 0 : 1;
}
