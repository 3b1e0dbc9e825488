/*
** wasm_table.c: tables of function references (wasm.h).
**
** A module exports a funcref table, a call_indirect dispatcher and a function. The host
** reads the table's elements (wasm_ref_t, viewed as wasm_func_t), stores a host function
** and a wasm function in it, grows it, and sees calls through empty slots or with the
** wrong signature trap. Finally it creates a standalone table.
**
** Build: cc wasm_table.c $(pkg-config --cflags --libs kite)
*/
#include <stdio.h>
#include <string.h>

#include <kite.h> /* for kite_wat2wasm only */
#include <wasm.h>

static const char *wat =
    "(module\n"
    "  (type $i32_i32 (func (param i32) (result i32)))\n"
    "  (table (export \"table\") 3 10 funcref)\n"
    "  (elem (i32.const 1) func $f $g)\n"
    "  (func (export \"call_indirect\") (param i32 i32) (result i32)\n"
    "    (call_indirect (type $i32_i32) (local.get 0) (local.get 1)))\n"
    "  (func $f (export \"f\") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))\n"
    "  (func $g (param i32 i32) (result i32) (local.get 0)))";

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

static wasm_trap_t *neg_callback(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = -args->data[0].of.i32;
  return NULL;
}

/* call_indirect(arg, index): the result, or the trap's message printed. */
static bool call_indirect(const wasm_func_t *f, int32_t arg, int32_t index, int32_t *result) {
  wasm_val_t as[2] = {WASM_I32_VAL(arg), WASM_I32_VAL(index)};
  wasm_val_t rs[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(as), results = WASM_ARRAY_VEC(rs);
  wasm_trap_t *trap = wasm_func_call(f, &args, &results);
  if (trap) {
    wasm_message_t message;
    wasm_trap_message(trap, &message);
    printf("  call_indirect(%d, %d) traps: %s\n", (int)arg, (int)index, message.data);
    wasm_byte_vec_delete(&message);
    wasm_trap_delete(trap);
    return false;
  }
  *result = rs[0].of.i32;
  printf("  call_indirect(%d, %d) = %d\n", (int)arg, (int)index, (int)*result);
  return true;
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
  wasm_module_delete(module);

  printf("Extracting exports...\n");
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_table_t *table = wasm_extern_as_table(exports.data[0]);
  wasm_func_t *call_indirect_func = wasm_extern_as_func(exports.data[1]);
  wasm_func_t *f = wasm_extern_as_func(exports.data[2]);
  if (!table || !call_indirect_func || !f) return 1;
  wasm_instance_delete(instance);

  printf("Creating callback...\n");
  wasm_functype_t *neg_type = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t *h = wasm_func_new(store, neg_type, neg_callback);
  wasm_functype_delete(neg_type);

  printf("Checking table...\n");
  int32_t r;
  check("size is 3", wasm_table_size(table) == 3);
  wasm_ref_t *elem0 = wasm_table_get(table, 0);
  wasm_ref_t *elem1 = wasm_table_get(table, 1);
  check("table[0] is null", elem0 == NULL);
  check("table[1] is f", elem1 && wasm_func_same(wasm_ref_as_func(elem1), f));
  wasm_ref_delete(elem1);
  check("table[3] is out of bounds", wasm_table_get(table, 3) == NULL);
  check("f through the table", call_indirect(call_indirect_func, 7, 1, &r) && r == 14);
  check("an empty slot traps", !call_indirect(call_indirect_func, 7, 0, &r));
  check("g's signature differs", !call_indirect(call_indirect_func, 7, 2, &r));
  check("an index past the end traps", !call_indirect(call_indirect_func, 7, 3, &r));

  printf("Mutating table...\n");
  check("table[0] = h", wasm_table_set(table, 0, wasm_func_as_ref(h)));
  check("table[1] = null", wasm_table_set(table, 1, NULL));
  check("table[3] = f fails", !wasm_table_set(table, 3, wasm_func_as_ref(f)));
  check("h through the table", call_indirect(call_indirect_func, 7, 0, &r) && r == -7);
  check("the emptied slot traps", !call_indirect(call_indirect_func, 7, 1, &r));

  printf("Growing table...\n");
  check("grow by 2 with f", wasm_table_grow(table, 2, wasm_func_as_ref(f)));
  check("size is 5", wasm_table_size(table) == 5);
  check("table[4] is f", call_indirect(call_indirect_func, 5, 4, &r) && r == 10);
  check("grow by 6 past the maximum fails", !wasm_table_grow(table, 6, NULL));
  check("grow by 0 works", wasm_table_grow(table, 0, NULL));
  wasm_tabletype_t *type = wasm_table_type(table);
  check("its type says 5..10",
        wasm_tabletype_limits(type)->min == 5 && wasm_tabletype_limits(type)->max == 10);
  wasm_tabletype_delete(type);
  wasm_func_delete(h);
  wasm_extern_vec_delete(&exports);

  printf("Creating stand-alone table...\n");
  wasm_limits_t limits = {5, 5};
  wasm_tabletype_t *tabletype = wasm_tabletype_new(wasm_valtype_new(WASM_FUNCREF), &limits);
  wasm_table_t *table2 = wasm_table_new(store, tabletype, NULL);
  check("size is 5", wasm_table_size(table2) == 5);
  check("grow by 1 fails", !wasm_table_grow(table2, 1, NULL));
  check("grow by 0 works", wasm_table_grow(table2, 0, NULL));
  wasm_tabletype_delete(tabletype);
  wasm_table_delete(table2);

  printf("Shutting down...\n");
  wasm_store_delete(store);
  wasm_engine_delete(engine);

  printf("Done.\n");
  return failures ? 1 : 0;
}
