/*
** wasm_global.c: globals (wasm.h).
**
** The host creates globals of each mutability and imports them into a module that also
** exports its own. Getter and setter functions in wasm and wasm_global_get / _set on the
** host see the same values. Deleting a wasm_global_t drops the reference only: the
** global lives in its store.
**
** Build: cc wasm_global.c $(pkg-config --cflags --libs kite)
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kite.h> /* for kite_wat2wasm only */
#include <wasm.h>

static const char *wat =
    "(module\n"
    "  (global $const_f32_import (import \"\" \"const f32\") f32)\n"
    "  (global $var_i64_import (import \"\" \"var i64\") (mut i64))\n"
    "  (global $const_f64_export (export \"const f64\") f64 (f64.const 2.5))\n"
    "  (global $var_i32_export (export \"var i32\") (mut i32) (i32.const 7))\n"
    "  (func (export \"get const f32 import\") (result f32) (global.get $const_f32_import))\n"
    "  (func (export \"get var i64 import\") (result i64) (global.get $var_i64_import))\n"
    "  (func (export \"get var i32 export\") (result i32) (global.get $var_i32_export))\n"
    "  (func (export \"set var i64 import\") (param i64) (global.set $var_i64_import (local.get "
    "0)))\n"
    "  (func (export \"set var i32 export\") (param i32) (global.set $var_i32_export (local.get "
    "0))))";

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

static wasm_global_t *get_export_global(const wasm_extern_vec_t *exports, size_t i) {
  if (exports->size <= i || !wasm_extern_as_global(exports->data[i])) {
    printf("> Error accessing global export %zu!\n", i);
    exit(1);
  }
  return wasm_extern_as_global(exports->data[i]);
}

static wasm_func_t *get_export_func(const wasm_extern_vec_t *exports, size_t i) {
  if (exports->size <= i || !wasm_extern_as_func(exports->data[i])) {
    printf("> Error accessing function export %zu!\n", i);
    exit(1);
  }
  return wasm_extern_as_func(exports->data[i]);
}

static wasm_val_t call0(const wasm_func_t *f) {
  wasm_val_t r[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_EMPTY_VEC, results = WASM_ARRAY_VEC(r);
  if (wasm_func_call(f, &args, &results)) {
    printf("> Error calling function!\n");
    exit(1);
  }
  return r[0];
}

static void call1(const wasm_func_t *f, wasm_val_t v) {
  wasm_val_t a[1] = {v};
  wasm_val_vec_t args = WASM_ARRAY_VEC(a), results = WASM_EMPTY_VEC;
  if (wasm_func_call(f, &args, &results)) {
    printf("> Error calling function!\n");
    exit(1);
  }
}

static void print_global(const char *name, const wasm_global_t *g) {
  wasm_globaltype_t *type = wasm_global_type(g);
  wasm_val_t v;
  wasm_global_get(g, &v);
  printf("  %s (%s): ", name, wasm_globaltype_mutability(type) == WASM_VAR ? "var" : "const");
  switch (v.kind) {
  case WASM_I32: printf("i32 %d\n", (int)v.of.i32); break;
  case WASM_I64: printf("i64 %lld\n", (long long)v.of.i64); break;
  case WASM_F32: printf("f32 %g\n", (double)v.of.f32); break;
  case WASM_F64: printf("f64 %g\n", v.of.f64); break;
  default: printf("ref\n"); break;
  }
  wasm_globaltype_delete(type);
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

  printf("Creating globals...\n");
  wasm_globaltype_t *const_f32_type = wasm_globaltype_new(wasm_valtype_new(WASM_F32), WASM_CONST);
  wasm_globaltype_t *var_i64_type = wasm_globaltype_new(wasm_valtype_new(WASM_I64), WASM_VAR);
  wasm_val_t val_f32 = WASM_F32_VAL(1.5f);
  wasm_val_t val_i64 = WASM_I64_VAL(-4);
  wasm_global_t *const_f32_import = wasm_global_new(store, const_f32_type, &val_f32);
  wasm_global_t *var_i64_import = wasm_global_new(store, var_i64_type, &val_i64);
  wasm_globaltype_delete(const_f32_type);
  wasm_globaltype_delete(var_i64_type);

  printf("Instantiating module...\n");
  wasm_extern_t *externs[] = {wasm_global_as_extern(const_f32_import),
                              wasm_global_as_extern(var_i64_import)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t *instance = wasm_instance_new(store, module, &imports, NULL);
  if (!instance) return 1;
  wasm_module_delete(module);

  printf("Extracting exports...\n");
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_global_t *const_f64_export = get_export_global(&exports, 0);
  wasm_global_t *var_i32_export = get_export_global(&exports, 1);
  wasm_func_t *get_const_f32_import = get_export_func(&exports, 2);
  wasm_func_t *get_var_i64_import = get_export_func(&exports, 3);
  wasm_func_t *get_var_i32_export = get_export_func(&exports, 4);
  wasm_func_t *set_var_i64_import = get_export_func(&exports, 5);
  wasm_func_t *set_var_i32_export = get_export_func(&exports, 6);
  wasm_instance_delete(instance);

  printf("Accessing globals...\n");
  print_global("const f32 import", const_f32_import);
  print_global("var i64 import", var_i64_import);
  print_global("const f64 export", const_f64_export);
  print_global("var i32 export", var_i32_export);
  printf("  wasm reads: %g, %lld, %d\n", (double)call0(get_const_f32_import).of.f32,
         (long long)call0(get_var_i64_import).of.i64, (int)call0(get_var_i32_export).of.i32);

  printf("Modifying globals from the host...\n");
  wasm_val_t new_i64 = WASM_I64_VAL(1099511627776);
  wasm_val_t new_i32 = WASM_I32_VAL(-9);
  wasm_global_set(var_i64_import, &new_i64);
  wasm_global_set(var_i32_export, &new_i32);
  printf("  wasm reads: %lld, %d\n", (long long)call0(get_var_i64_import).of.i64,
         (int)call0(get_var_i32_export).of.i32);

  printf("Modifying globals from wasm...\n");
  call1(set_var_i64_import, (wasm_val_t)WASM_I64_VAL(77));
  call1(set_var_i32_export, (wasm_val_t)WASM_I32_VAL(88));
  print_global("var i64 import", var_i64_import);
  print_global("var i32 export", var_i32_export);

  printf("A const global ignores wasm_global_set...\n");
  wasm_val_t other_f32 = WASM_F32_VAL(9.0f);
  wasm_global_set(const_f32_import, &other_f32);
  print_global("const f32 import", const_f32_import);

  wasm_global_delete(const_f32_import);
  wasm_global_delete(var_i64_import);
  wasm_extern_vec_delete(&exports);

  printf("Shutting down...\n");
  wasm_store_delete(store);
  wasm_engine_delete(engine);

  printf("Done.\n");
  return 0;
}
