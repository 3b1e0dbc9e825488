/*
** kite_global.c: globals (kite.h).
**
** The host creates globals (new WebAssembly.Global) and gives them to a module as
** imports; the module exports its own. Both sides read and write them, and each sees the
** other's writes. Writing an immutable global, or a value of the wrong type, is an
** error.
**
** Build: cc kite_global.c $(pkg-config --cflags --libs kite)
*/
#include <stdio.h>
#include <string.h>

#include <kite.h>

static const char *wat = "(module\n"
                         "  (import \"env\" \"scale\" (global $scale f64))\n"
                         "  (import \"env\" \"total\" (global $total (mut i64)))\n"
                         "  (global $count (export \"count\") (mut i32) (i32.const 0))\n"
                         "  (global (export \"version\") i32 (i32.const 3))\n"
                         "  (func (export \"add\") (param $x f64)\n"
                         "    (global.set $count (i32.add (global.get $count) (i32.const 1)))\n"
                         "    (global.set $total (i64.add (global.get $total)\n"
                         "      (i64.trunc_f64_s (f64.mul (local.get $x) (global.get $scale))))))\n"
                         "  (func (export \"count_now\") (result i32) (global.get $count)))";

static void show(const char *name, kite_globalinst *g) {
  kite_global_desc d;
  kite_global_describe(g, &d);
  kite_val v = kite_global_value(g);
  char type[32];
  printf("  %s (%s%s) = ", name, d.mutable_ ? "mut " : "",
         kite_type_name(d.value, type, sizeof type));
  switch (d.value.kind) {
  case KITE_I32: printf("%d\n", (int)v.of.i32); break;
  case KITE_I64: printf("%lld\n", (long long)v.of.i64); break;
  case KITE_F32: printf("%g\n", (double)v.of.f32); break;
  case KITE_F64: printf("%g\n", v.of.f64); break;
  default: printf("?\n"); break;
  }
}

int main(void) {
  kite_error err;
  kite_engine *engine = kite_engine_new(NULL);
  kite_store *store = kite_store_new(engine);

  kite_global_desc scale_desc = {kite_type_of(KITE_F64), false};
  kite_global_desc total_desc = {kite_type_of(KITE_I64), true};
  kite_globalinst *scale = kite_global_create(store, &scale_desc, kite_f64(100.0), &err);
  kite_globalinst *total = kite_global_create(store, &total_desc, kite_i64(0), &err);
  if (!scale || !total) return 1;

  size_t len;
  uint8_t *bytes = kite_wat2wasm(engine, wat, strlen(wat), &len, &err);
  if (!bytes) return 1;
  kite_imports *imports = kite_imports_new(store);
  kite_imports_add(imports, "env", "scale", kite_extern_global(scale));
  kite_imports_add(imports, "env", "total", kite_extern_global(total));
  kite_instance *inst = kite_instantiate_bytes(store, bytes, len, imports, NULL, &err);
  kite_bytes_free(engine, bytes, len);
  kite_imports_free(imports);
  if (!inst) return 1;

  kite_globalinst *count = kite_instance_export_global(inst, "count");
  kite_globalinst *version = kite_instance_export_global(inst, "version");
  kite_funcinst *add = kite_instance_export_func(inst, "add");
  printf("initially:\n");
  show("scale", scale), show("total", total), show("count", count), show("version", version);

  double amounts[3] = {1.25, 2.5, 0.07};
  for (int i = 0; i < 3; i++) {
    kite_val arg = kite_f64(amounts[i]);
    kite_call(store, add, &arg, 1, NULL, 0, &err);
  }
  printf("after add(1.25), add(2.5), add(0.07):\n");
  show("total", total), show("count", count);

  /* The host writes a mutable global; wasm sees the new value. */
  kite_global_set_value(count, kite_i32(40), &err);
  kite_val now;
  kite_call(store, kite_instance_export_func(inst, "count_now"), NULL, 0, &now, 1, &err);
  printf("host set count = 40; wasm reads %d\n", (int)now.of.i32);

  if (!kite_global_set_value(version, kite_i32(4), &err))
    printf("set version: %s: %s\n", kite_errkind_name(err.kind), err.msg);
  if (!kite_global_set_value(total, kite_f64(1.0), &err))
    printf("set total to an f64: %s: %s\n", kite_errkind_name(err.kind), err.msg);

  kite_store_free(store);
  kite_engine_free(engine);
  return 0;
}
