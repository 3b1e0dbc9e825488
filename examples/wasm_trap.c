/*
** wasm_trap.c: traps (wasm.h).
**
** A host callback fails by returning a wasm_trap_t made with wasm_trap_new; wasm code
** traps with `unreachable`. The caller gets the trap back from wasm_func_call, with its
** message, its origin and its stack trace: each frame's instance, function index and
** offsets. Failed instantiations (a missing import, a trapping start function) come
** back through wasm_instance_new's trap argument.
**
** Build: cc wasm_trap.c $(pkg-config --cflags --libs kite)
*/
#include <stdio.h>
#include <string.h>

#include <kite.h> /* for kite_wat2wasm only */
#include <wasm.h>

static const char *wat =
    "(module\n"
    "  (func $fail (import \"\" \"fail\") (result i32))\n"
    "  (func (export \"callback\") (result i32) (call $fail))\n"
    "  (func $deep (i32.const 1) (drop) (unreachable))\n"
    "  (func (export \"unreachable\") (result i32) (call $deep) (i32.const 0)))";

static const char *start_wat = "(module (func $start (unreachable)) (start $start))";

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

/* The host function: it always fails, with a trap made in its store. */
static wasm_trap_t *fail_callback(void *env, const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)args, (void)results;
  printf("Calling back...\n");
  wasm_message_t message;
  wasm_name_new_from_string_nt(&message, "callback abort");
  wasm_trap_t *trap = wasm_trap_new((wasm_store_t *)env, &message);
  wasm_name_delete(&message);
  return trap;
}

static void print_frame(const wasm_frame_t *frame, const wasm_instance_t *instance) {
  printf("> instance %s, func %u, function offset 0x%zx, module offset 0x%zx\n",
         wasm_frame_instance(frame) == instance ? "is ours" : "differs",
         wasm_frame_func_index(frame), wasm_frame_func_offset(frame),
         wasm_frame_module_offset(frame));
}

static void print_trap(wasm_trap_t *trap, const wasm_instance_t *instance) {
  printf("Printing message...\n");
  wasm_message_t message;
  wasm_trap_message(trap, &message);
  printf("> %s\n", message.data);
  wasm_name_delete(&message);

  printf("Printing origin...\n");
  wasm_frame_t *origin = wasm_trap_origin(trap);
  if (origin) {
    print_frame(origin, instance);
    wasm_frame_delete(origin);
  } else {
    printf("> Empty origin.\n");
  }

  printf("Printing trace...\n");
  wasm_frame_vec_t trace;
  wasm_trap_trace(trap, &trace);
  if (trace.size == 0) printf("> Empty trace.\n");
  for (size_t i = 0; i < trace.size; i++) print_frame(trace.data[i], instance);
  wasm_frame_vec_delete(&trace);
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

  printf("Instantiating without imports...\n");
  wasm_extern_vec_t no_imports = WASM_EMPTY_VEC;
  wasm_trap_t *trap = NULL;
  if (!wasm_instance_new(store, module, &no_imports, &trap) && trap) {
    print_trap(trap, NULL);
    wasm_trap_delete(trap);
  }

  printf("Creating callback...\n");
  wasm_functype_t *fail_type = wasm_functype_new_0_1(wasm_valtype_new_i32());
  wasm_func_t *fail_func = wasm_func_new_with_env(store, fail_type, fail_callback, store, NULL);
  wasm_functype_delete(fail_type);

  printf("Instantiating module...\n");
  wasm_extern_t *externs[] = {wasm_func_as_extern(fail_func)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t *instance = wasm_instance_new(store, module, &imports, NULL);
  if (!instance) return 1;
  wasm_func_delete(fail_func);

  printf("Extracting exports...\n");
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  if (exports.size < 2) return 1;
  wasm_module_delete(module);

  for (size_t i = 0; i < 2; i++) {
    const wasm_func_t *func = wasm_extern_as_func(exports.data[i]);
    if (!func) return 1;
    printf("Calling export %zu...\n", i);
    wasm_val_t rs[1] = {WASM_INIT_VAL};
    wasm_val_vec_t args = WASM_EMPTY_VEC, results = WASM_ARRAY_VEC(rs);
    trap = wasm_func_call(func, &args, &results);
    if (!trap) {
      printf("> Error calling function, expected trap!\n");
      return 1;
    }
    print_trap(trap, instance);
    wasm_trap_delete(trap);
  }
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);

  printf("Instantiating a module whose start function traps...\n");
  if (!wat_to_binary(start_wat, &binary)) return 1;
  module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  if (!module) return 1;
  trap = NULL;
  if (!wasm_instance_new(store, module, &no_imports, &trap) && trap) {
    wasm_message_t message;
    wasm_trap_message(trap, &message);
    printf("> %s\n", message.data);
    wasm_name_delete(&message);
    wasm_trap_delete(trap);
  }
  wasm_module_delete(module);

  printf("Shutting down...\n");
  wasm_store_delete(store);
  wasm_engine_delete(engine);

  printf("Done.\n");
  return 0;
}
