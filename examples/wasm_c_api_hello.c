/*
** wasm_c_api_hello.c: embedding Kite through the standard WebAssembly C API (wasm.h),
** as a program written for any engine implementing it would. The module is the one of
** embed_hello.c:
**
**   (module
**     (import "host" "hello" (func $hello (param i32)))
**     (memory (export "memory") 1)
**     (data (i32.const 16) "Hello from wasm")
**     (func (export "run") (param $n i32) (result i32)
**       (call $hello (i32.add (local.get $n) (i32.const 1)))
**       (i32.mul (local.get $n) (local.get $n))))
**
** Build: cc wasm_c_api_hello.c $(pkg-config --cflags --libs kite)
*/
#include <stdio.h>

#include <wasm.h>

static const unsigned char hello_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x02, 0x60, 0x01, 0x7f, 0x00,
    0x60, 0x01, 0x7f, 0x01, 0x7f, 0x02, 0x0e, 0x01, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x05, 0x68,
    0x65, 0x6c, 0x6c, 0x6f, 0x00, 0x00, 0x03, 0x02, 0x01, 0x01, 0x05, 0x03, 0x01, 0x00, 0x01,
    0x07, 0x10, 0x02, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x03, 0x72, 0x75,
    0x6e, 0x00, 0x01, 0x0a, 0x10, 0x01, 0x0e, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x10, 0x00,
    0x20, 0x00, 0x20, 0x00, 0x6c, 0x0b, 0x0b, 0x15, 0x01, 0x00, 0x41, 0x10, 0x0b, 0x0f, 0x48,
    0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x66, 0x72, 0x6f, 0x6d, 0x20, 0x77, 0x61, 0x73, 0x6d};

static int calls;

static wasm_trap_t *hello(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)results;
  calls++;
  printf("host: hello(%d)\n", args->data[0].of.i32);
  return NULL;
}

int main(void) {
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);

  wasm_byte_vec_t binary;
  wasm_byte_vec_new(&binary, sizeof hello_wasm, (const wasm_byte_t *)hello_wasm);
  wasm_module_t *module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  if (!module) {
    fprintf(stderr, "compile failed\n");
    return 1;
  }

  wasm_functype_t *hello_type = wasm_functype_new_1_0(wasm_valtype_new_i32());
  wasm_func_t *hello_func = wasm_func_new(store, hello_type, hello);
  wasm_functype_delete(hello_type);

  wasm_extern_t *externs[] = {wasm_func_as_extern(hello_func)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_trap_t *trap = NULL;
  wasm_instance_t *instance = wasm_instance_new(store, module, &imports, &trap);
  if (!instance) {
    wasm_message_t msg;
    wasm_trap_message(trap, &msg);
    fprintf(stderr, "instantiate failed: %s\n", msg.data);
    return 1;
  }

  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_memory_t *memory = wasm_extern_as_memory(exports.data[0]);
  wasm_func_t *run = wasm_extern_as_func(exports.data[1]);

  wasm_val_t as[1] = {WASM_I32_VAL(41)};
  wasm_val_t rs[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(as), results = WASM_ARRAY_VEC(rs);
  trap = wasm_func_call(run, &args, &results);
  if (trap) {
    wasm_message_t msg;
    wasm_trap_message(trap, &msg);
    fprintf(stderr, "run trapped: %s\n", msg.data);
    return 1;
  }
  printf("run(41) = %d after %d host call(s)\n", rs[0].of.i32, calls);
  printf("memory: %u page(s), says \"%.15s\"\n", wasm_memory_size(memory),
         wasm_memory_data(memory) + 16);
  int status = calls == 1 && rs[0].of.i32 == 1681 ? 0 : 1;

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_func_delete(hello_func);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return status;
}
