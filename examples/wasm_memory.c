/*
** wasm_memory.c: linear memory (wasm.h).
**
** A module exports a memory of 2 to 3 pages and functions to read, write and size it.
** The host checks its size and bytes, writes through the data pointer, grows it up to
** its maximum, sees out-of-bounds accesses trap, and creates a standalone memory.
**
** Build: cc wasm_memory.c $(pkg-config --cflags --libs kite)
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kite.h> /* for kite_wat2wasm only */
#include <wasm.h>

static const char *wat =
    "(module\n"
    "  (memory (export \"memory\") 2 3)\n"
    "  (func (export \"size\") (result i32) (memory.size))\n"
    "  (func (export \"load\") (param i32) (result i32) (i32.load8_s (local.get 0)))\n"
    "  (func (export \"store\") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))\n"
    "  (data (i32.const 0x1000) \"\\01\\02\\03\\04\"))";

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

static int failures = 0;

static void check(const char *what, bool ok) {
  printf("  %s: %s\n", what, ok ? "ok" : "FAILED");
  if (!ok) failures++;
}

/* Call f with up to two i32 arguments; the i32 result, or a trap's message. */
static bool call(const wasm_func_t *f, int nargs, int32_t a, int32_t b, int32_t *result) {
  wasm_val_t as[2] = {WASM_I32_VAL(a), WASM_I32_VAL(b)};
  wasm_val_t rs[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = {(size_t)nargs, as};
  wasm_val_vec_t results = {wasm_func_result_arity(f), rs};
  wasm_trap_t *trap = wasm_func_call(f, &args, &results);
  if (trap) {
    wasm_message_t message;
    wasm_trap_message(trap, &message);
    printf("  trap: %s\n", message.data);
    wasm_byte_vec_delete(&message);
    wasm_trap_delete(trap);
    return false;
  }
  if (result) *result = rs[0].of.i32;
  return true;
}

static int32_t call_ok(const wasm_func_t *f, int nargs, int32_t a, int32_t b) {
  int32_t r = 0;
  if (!call(f, nargs, a, b, &r)) failures++;
  return r;
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

  printf("Instantiating module...\n");
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_instance_t *instance = wasm_instance_new(store, module, &imports, NULL);
  if (!instance) return 1;

  printf("Extracting exports...\n");
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_memory_t *memory = wasm_extern_as_memory(exports.data[0]);
  wasm_func_t *size_func = wasm_extern_as_func(exports.data[1]);
  wasm_func_t *load_func = wasm_extern_as_func(exports.data[2]);
  wasm_func_t *store_func = wasm_extern_as_func(exports.data[3]);
  if (!memory || !size_func || !load_func || !store_func) return 1;
  wasm_module_delete(module);

  printf("Checking memory...\n");
  check("2 pages", wasm_memory_size(memory) == 2);
  check("0x20000 bytes", wasm_memory_data_size(memory) == 0x20000);
  check("first byte is 0", wasm_memory_data(memory)[0] == 0);
  check("data segment at 0x1000", wasm_memory_data(memory)[0x1001] == 2);
  check("size() is 2", call_ok(size_func, 0, 0, 0) == 2);
  check("load(0x1003) is 4", call_ok(load_func, 1, 0x1003, 0) == 4);
  check("load(0x1ffff) is 0", call_ok(load_func, 1, 0x1ffff, 0) == 0);
  check("load(0x20000) traps", !call(load_func, 1, 0x20000, 0, NULL));

  printf("Mutating memory...\n");
  wasm_memory_data(memory)[0x1003] = 5;
  call_ok(store_func, 2, 0x1002, 6);
  check("store(0x20000, 0) traps", !call(store_func, 2, 0x20000, 0, NULL));
  check("host sees wasm's write", wasm_memory_data(memory)[0x1002] == 6);
  check("wasm sees the host's write", call_ok(load_func, 1, 0x1003, 0) == 5);

  printf("Growing memory...\n");
  check("grow by 1", wasm_memory_grow(memory, 1));
  check("3 pages", wasm_memory_size(memory) == 3);
  check("0x30000 bytes", wasm_memory_data_size(memory) == 0x30000);
  check("load(0x20000) is 0", call_ok(load_func, 1, 0x20000, 0) == 0);
  check("store(0x20000, 7) works", call(store_func, 2, 0x20000, 7, NULL));
  check("load(0x30000) traps", !call(load_func, 1, 0x30000, 0, NULL));
  check("grow by 1 past the maximum fails", !wasm_memory_grow(memory, 1));
  check("grow by 0 works", wasm_memory_grow(memory, 0));

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);

  printf("Creating stand-alone memory...\n");
  wasm_limits_t limits = {5, 5};
  wasm_memorytype_t *memorytype = wasm_memorytype_new(&limits);
  wasm_memory_t *memory2 = wasm_memory_new(store, memorytype);
  check("5 pages", wasm_memory_size(memory2) == 5);
  check("grow by 1 fails", !wasm_memory_grow(memory2, 1));
  check("grow by 0 works", wasm_memory_grow(memory2, 0));
  wasm_memorytype_t *type2 = wasm_memory_type(memory2);
  check("its type says 5..5",
        wasm_memorytype_limits(type2)->min == 5 && wasm_memorytype_limits(type2)->max == 5);
  wasm_memorytype_delete(type2);
  wasm_memorytype_delete(memorytype);
  wasm_memory_delete(memory2);

  printf("Shutting down...\n");
  wasm_store_delete(store);
  wasm_engine_delete(engine);

  printf("Done.\n");
  return failures ? 1 : 0;
}
