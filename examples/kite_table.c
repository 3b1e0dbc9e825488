/*
** kite_table.c: a table of function pointers (kite.h).
**
** The module keeps operations in a funcref table and dispatches with call_indirect, as
** C function pointers compiled to wasm do. The host reads the table, puts its own
** function and a wasm function into it, grows it, and calls an element directly.
** Calling an empty slot or an element of the wrong type traps.
**
** Build: cc kite_table.c $(pkg-config --cflags --libs kite)
*/
#include <stdio.h>
#include <string.h>

#include <kite.h>

static const char *wat =
    "(module\n"
    "  (type $binop (func (param i32 i32) (result i32)))\n"
    "  (table $ops (export \"ops\") 4 funcref)\n"
    "  (elem (table $ops) (i32.const 0) func $add $sub)\n"
    "  (func $add (type $binop) (i32.add (local.get 0) (local.get 1)))\n"
    "  (func $sub (type $binop) (i32.sub (local.get 0) (local.get 1)))\n"
    "  (func $mul (export \"mul\") (type $binop) (i32.mul (local.get 0) (local.get 1)))\n"
    "  (func $neg (export \"neg\") (param i32) (result i32) (i32.sub (i32.const 0) (local.get "
    "0)))\n"
    "  (func (export \"apply\") (param $op i32) (param $a i32) (param $b i32) (result i32)\n"
    "    (call_indirect $ops (type $binop) (local.get $a) (local.get $b) (local.get $op))))";

static bool host_max(void *data, kite_store *s, const kite_val *args, size_t nargs,
                     kite_val *results, size_t nresults, kite_error *err) {
  (void)data, (void)s, (void)nargs, (void)nresults, (void)err;
  results[0].of.i32 = args[0].of.i32 > args[1].of.i32 ? args[0].of.i32 : args[1].of.i32;
  return true;
}

static void apply_all(kite_store *store, kite_instance *inst, kite_tableinst *ops) {
  kite_funcinst *apply = kite_instance_export_func(inst, "apply");
  for (uint64_t i = 0; i < kite_table_size(ops) + 1; i++) {
    kite_val args[3] = {kite_i32((int32_t)i), kite_i32(7), kite_i32(5)}, result;
    kite_error err;
    if (kite_call(store, apply, args, 3, &result, 1, &err))
      printf("  apply(%d, 7, 5) = %d\n", (int)i, (int)result.of.i32);
    else printf("  apply(%d, 7, 5): %s: %s\n", (int)i, kite_errkind_name(err.kind), err.msg);
  }
}

int main(void) {
  kite_error err;
  kite_engine *engine = kite_engine_new(NULL);
  kite_store *store = kite_store_new(engine);
  size_t len;
  uint8_t *bytes = kite_wat2wasm(engine, wat, strlen(wat), &len, &err);
  if (!bytes) return 1;
  kite_instance *inst = kite_instantiate_bytes(store, bytes, len, NULL, NULL, &err);
  kite_bytes_free(engine, bytes, len);
  if (!inst) return 1;

  kite_tableinst *ops = kite_instance_export_table(inst, "ops");
  printf("table: %llu elements\n", (unsigned long long)kite_table_size(ops));
  for (uint64_t i = 0; i < kite_table_size(ops); i++) {
    kite_val v;
    kite_table_read(ops, i, &v, &err);
    printf("  ops[%d] is %s\n", (int)i, v.of.func ? "a function" : "null");
  }
  apply_all(store, inst, ops);

  /* Fill slot 2 with a wasm function and slot 3 with a host function. */
  kite_type i32 = kite_type_of(KITE_I32), params[2] = {i32, i32};
  kite_funcinst *max = kite_func_create(store, params, 2, &i32, 1, host_max, NULL, NULL, &err);
  kite_table_write(ops, 2, kite_funcref(kite_instance_export_func(inst, "mul")), &err);
  kite_table_write(ops, 3, kite_funcref(max), &err);
  printf("after setting ops[2] = mul, ops[3] = host max:\n");
  apply_all(store, inst, ops);

  /* Grow by two slots: one holding neg, whose type differs from the call's. */
  uint64_t old = kite_table_grow_by(ops, 2, kite_funcref(kite_instance_export_func(inst, "neg")));
  kite_table_write(ops, 5, kite_funcref(NULL), &err);
  printf("grown from %llu to %llu elements:\n", (unsigned long long)old,
         (unsigned long long)kite_table_size(ops));
  apply_all(store, inst, ops);

  /* The host can call an element directly, and bad indices and values are errors. */
  kite_val elem, args[2] = {kite_i32(-3), kite_i32(9)}, result;
  kite_table_read(ops, 3, &elem, &err);
  kite_call(store, elem.of.func, args, 2, &result, 1, &err);
  printf("ops[3](-3, 9) = %d\n", (int)result.of.i32);
  if (!kite_table_read(ops, 99, &elem, &err)) printf("ops[99]: %s\n", err.msg);
  if (!kite_table_write(ops, 0, kite_i32(1), &err))
    printf("ops[0] = i32: %s\n", kite_errkind_name(err.kind));

  kite_store_free(store);
  kite_engine_free(engine);
  return 0;
}
