/*
** wasm_reflect.c: inspecting types (wasm.h).
**
** Prints a module's imports and exports with their types, as the module declares them
** (wasm_module_imports / _exports) and as the instance's objects report them
** (wasm_extern_type): functions with their parameters and results, globals with their
** mutability, tables and memories with their limits.
**
** Build: cc wasm_reflect.c $(pkg-config --cflags --libs kite)
*/
#include <stdio.h>
#include <string.h>

#include <kite.h> /* for kite_wat2wasm only */
#include <wasm.h>

static const char *wat =
    "(module\n"
    "  (import \"host\" \"log\" (func (param i32 i64)))\n"
    "  (import \"host\" \"tick\" (global (mut i32)))\n"
    "  (func (export \"func\") (param i32 f64 f32) (result i32) (i32.const 0))\n"
    "  (global (export \"global\") f64 (f64.const 0))\n"
    "  (table (export \"table\") 0 50 funcref)\n"
    "  (memory (export \"memory\") 1)\n"
    "  (func (export \"refs\") (param externref funcref) (result i64 f64)\n"
    "    (i64.const 0) (f64.const 0)))";

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

static const char *valkind_name(wasm_valkind_t k) {
  switch (k) {
  case WASM_I32: return "i32";
  case WASM_I64: return "i64";
  case WASM_F32: return "f32";
  case WASM_F64: return "f64";
  case WASM_EXTERNREF: return "externref";
  case WASM_FUNCREF: return "funcref";
  default: return "?";
  }
}

static void print_valtypes(const wasm_valtype_vec_t *types) {
  printf("(");
  for (size_t i = 0; i < types->size; i++)
    printf("%s%s", i ? " " : "", valkind_name(wasm_valtype_kind(types->data[i])));
  printf(")");
}

static void print_limits(const wasm_limits_t *limits) {
  printf("%u", limits->min);
  if (limits->max != wasm_limits_max_default) printf("..%u", limits->max);
}

static void print_externtype(const wasm_externtype_t *type) {
  switch (wasm_externtype_kind(type)) {
  case WASM_EXTERN_FUNC: {
    const wasm_functype_t *f = wasm_externtype_as_functype_const(type);
    printf("func ");
    print_valtypes(wasm_functype_params(f));
    printf(" -> ");
    print_valtypes(wasm_functype_results(f));
    break;
  }
  case WASM_EXTERN_GLOBAL: {
    const wasm_globaltype_t *g = wasm_externtype_as_globaltype_const(type);
    printf("global %s %s", wasm_globaltype_mutability(g) == WASM_VAR ? "var" : "const",
           valkind_name(wasm_valtype_kind(wasm_globaltype_content(g))));
    break;
  }
  case WASM_EXTERN_TABLE: {
    const wasm_tabletype_t *t = wasm_externtype_as_tabletype_const(type);
    printf("table ");
    print_limits(wasm_tabletype_limits(t));
    printf(" %s", valkind_name(wasm_valtype_kind(wasm_tabletype_element(t))));
    break;
  }
  case WASM_EXTERN_MEMORY:
    printf("memory ");
    print_limits(wasm_memorytype_limits(wasm_externtype_as_memorytype_const(type)));
    break;
  default: printf("other"); break;
  }
}

static void print_name(const wasm_name_t *name) { printf("\"%.*s\"", (int)name->size, name->data); }

static wasm_trap_t *log_callback(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)args, (void)results;
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

  printf("Reflecting on imports...\n");
  wasm_importtype_vec_t import_types;
  wasm_module_imports(module, &import_types);
  for (size_t i = 0; i < import_types.size; i++) {
    printf("> import %zu ", i);
    print_name(wasm_importtype_module(import_types.data[i]));
    printf(" ");
    print_name(wasm_importtype_name(import_types.data[i]));
    printf(": ");
    print_externtype(wasm_importtype_type(import_types.data[i]));
    printf("\n");
  }
  wasm_importtype_vec_delete(&import_types);

  printf("Instantiating module...\n");
  wasm_functype_t *log_type = wasm_functype_new_2_0(wasm_valtype_new_i32(), wasm_valtype_new_i64());
  wasm_func_t *log_func = wasm_func_new(store, log_type, log_callback);
  wasm_functype_delete(log_type);
  wasm_globaltype_t *tick_type = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_VAR);
  wasm_val_t zero = WASM_I32_VAL(0);
  wasm_global_t *tick = wasm_global_new(store, tick_type, &zero);
  wasm_globaltype_delete(tick_type);
  wasm_extern_t *externs[] = {wasm_func_as_extern(log_func), wasm_global_as_extern(tick)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t *instance = wasm_instance_new(store, module, &imports, NULL);
  if (!instance) return 1;

  printf("Reflecting on exports...\n");
  wasm_exporttype_vec_t export_types;
  wasm_extern_vec_t exports;
  wasm_module_exports(module, &export_types);
  wasm_instance_exports(instance, &exports);
  if (exports.size != export_types.size) return 1;
  for (size_t i = 0; i < exports.size; i++) {
    printf("> export %zu ", i);
    print_name(wasm_exporttype_name(export_types.data[i]));
    printf("\n>> declared: ");
    print_externtype(wasm_exporttype_type(export_types.data[i]));
    wasm_externtype_t *current = wasm_extern_type(exports.data[i]);
    printf("\n>> current:  ");
    print_externtype(current);
    printf("\n");
    wasm_externtype_delete(current);
    if (wasm_extern_kind(exports.data[i]) == WASM_EXTERN_FUNC) {
      const wasm_func_t *f = wasm_extern_as_func(exports.data[i]);
      printf(">> in-arity: %zu, out-arity: %zu\n", wasm_func_param_arity(f),
             wasm_func_result_arity(f));
    }
  }
  wasm_extern_vec_delete(&exports);
  wasm_exporttype_vec_delete(&export_types);

  wasm_func_delete(log_func);
  wasm_global_delete(tick);
  wasm_instance_delete(instance);
  wasm_module_delete(module);

  printf("Shutting down...\n");
  wasm_store_delete(store);
  wasm_engine_delete(engine);

  printf("Done.\n");
  return 0;
}
