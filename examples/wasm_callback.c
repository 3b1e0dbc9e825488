/*
** wasm_callback.c: host callbacks (wasm.h).
**
** The module imports two host functions: `print`, a plain callback, and `closure`, made
** with wasm_func_new_with_env so that it carries an environment pointer (here an int)
** and a finalizer that runs when the store is deleted. Host functions can also be
** called directly with wasm_func_call, like exports.
**
** Build: cc wasm_callback.c $(pkg-config --cflags --libs kite)
*/
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <kite.h> /* for kite_wat2wasm only */
#include <wasm.h>

static const char *wat =
    "(module\n"
    "  (func $print (import \"\" \"print\") (param i32) (result i32))\n"
    "  (func $closure (import \"\" \"closure\") (result i32))\n"
    "  (func (export \"run\") (param $x i32) (param $y i32) (result i32)\n"
    "    (i32.add (call $print (i32.add (local.get $x) (local.get $y))) (call $closure))))";

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

static void print_val(const wasm_val_t *v) {
  switch (v->kind) {
  case WASM_I32: printf("%" PRIu32, (uint32_t)v->of.i32); break;
  case WASM_I64: printf("%" PRIu64, (uint64_t)v->of.i64); break;
  case WASM_F32: printf("%f", (double)v->of.f32); break;
  case WASM_F64: printf("%g", v->of.f64); break;
  default: printf("ref"); break;
  }
}

/* print: shows its argument and returns it. */
static wasm_trap_t *print_callback(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  printf("Calling back...\n> ");
  print_val(&args->data[0]);
  printf("\n");
  wasm_val_copy(&results->data[0], &args->data[0]);
  return NULL;
}

/* closure: returns the int its environment points to. */
static wasm_trap_t *closure_callback(void *env, const wasm_val_vec_t *args,
                                     wasm_val_vec_t *results) {
  (void)args;
  int i = *(int *)env;
  printf("Calling back closure...\n> %d\n", i);
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = (int32_t)i;
  return NULL;
}

static void closure_finalizer(void *env) { printf("Finalizing closure with %d...\n", *(int *)env); }

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

  printf("Creating callbacks...\n");
  wasm_functype_t *print_type =
      wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t *print_func = wasm_func_new(store, print_type, print_callback);
  wasm_functype_delete(print_type);

  int i = 42;
  wasm_functype_t *closure_type = wasm_functype_new_0_1(wasm_valtype_new_i32());
  wasm_func_t *closure_func =
      wasm_func_new_with_env(store, closure_type, closure_callback, &i, closure_finalizer);
  wasm_functype_delete(closure_type);
  printf("closure has %zu parameter(s) and %zu result(s)\n", wasm_func_param_arity(closure_func),
         wasm_func_result_arity(closure_func));

  printf("Instantiating module...\n");
  wasm_extern_t *externs[] = {wasm_func_as_extern(print_func), wasm_func_as_extern(closure_func)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t *instance = wasm_instance_new(store, module, &imports, NULL);
  if (!instance) return 1;

  printf("Extracting export...\n");
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  const wasm_func_t *run_func = wasm_extern_as_func(exports.data[0]);
  if (!run_func) return 1;
  wasm_module_delete(module);
  wasm_instance_delete(instance);

  printf("Calling export...\n");
  wasm_val_t as[2] = {WASM_I32_VAL(3), WASM_I32_VAL(4)};
  wasm_val_t rs[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(as);
  wasm_val_vec_t results = WASM_ARRAY_VEC(rs);
  wasm_trap_t *trap = wasm_func_call(run_func, &args, &results);
  if (trap) {
    printf("> Error calling function!\n");
    return 1;
  }
  wasm_extern_vec_delete(&exports);

  printf("Printing result...\n> %d\n", (int)rs[0].of.i32);

  printf("Calling the host function directly...\n");
  wasm_val_t direct_args[1] = {WASM_I32_VAL(7)};
  wasm_val_vec_t direct = WASM_ARRAY_VEC(direct_args);
  trap = wasm_func_call(print_func, &direct, &results);
  if (trap) return 1;
  printf("> returned %d\n", (int)rs[0].of.i32);
  wasm_func_delete(print_func);
  wasm_func_delete(closure_func);

  printf("Shutting down...\n");
  wasm_store_delete(store);
  wasm_engine_delete(engine);

  printf("Done.\n");
  return 0;
}
