/*
** kite_exports.c: module introspection and calling exports with typed values (kite.h).
**
** Lists a module's imports and exports with their full types (as the JS API's
** WebAssembly.Module.imports / exports, with types), reads a custom section by name,
** and calls exported functions with values of each kind: i32, i64, f32, f64, v128,
** funcref and externref.
**
** Build: cc kite_exports.c $(pkg-config --cflags --libs kite)
*/
#include <stdio.h>
#include <string.h>

#include <kite.h>

static const char *wat =
    "(module\n"
    "  (import \"env\" \"limit\" (global $limit i64))\n"
    "  (import \"env\" \"table\" (table 2 10 funcref))\n"
    "  (memory (export \"memory\") 1 4)\n"
    "  (global (export \"counter\") (mut f64) (f64.const 0.5))\n"
    "  (func $add (export \"add\") (param i32 i64) (result i64)\n"
    "    (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1)))\n"
    "  (func (export \"clamp\") (param i64) (result i64)\n"
    "    (select (global.get $limit) (local.get 0)\n"
    "            (i64.gt_s (local.get 0) (global.get $limit))))\n"
    "  (func (export \"hypot\") (param f32 f64) (result f64)\n"
    "    (f64.sqrt (f64.add (f64.mul (f64.promote_f32 (local.get 0))\n"
    "                                (f64.promote_f32 (local.get 0)))\n"
    "                       (f64.mul (local.get 1) (local.get 1)))))\n"
    "  (func (export \"lanes\") (param v128 v128) (result v128)\n"
    "    (i32x4.mul (local.get 0) (local.get 1)))\n"
    "  (func (export \"pick\") (param i32) (result funcref)\n"
    "    (if (result funcref) (local.get 0) (then (ref.func $add)) (else (ref.null func))))\n"
    "  (func (export \"keep\") (param externref) (result externref i32)\n"
    "    (local.get 0) (ref.is_null (local.get 0))))";

/* A custom section "note" appended to the binary: id 0, size, name, contents. */
static const uint8_t note_section[] = {0,   12,  4,   'n', 'o', 't', 'e',
                                       'v', 'e', 'r', 's', 'i', 'o', 'n'};

static void print_type(const kite_externtype *t) {
  char buf[64];
  switch (t->kind) {
  case KITE_EXTERN_FUNC:
  case KITE_EXTERN_TAG:
    printf("(");
    for (uint32_t i = 0; i < kite_functype_param_count(t->func); i++)
      printf("%s%s", i ? " " : "",
             kite_type_name(kite_functype_param(t->func, i), buf, sizeof buf));
    printf(") -> (");
    for (uint32_t i = 0; i < kite_functype_result_count(t->func); i++)
      printf("%s%s", i ? " " : "",
             kite_type_name(kite_functype_result(t->func, i), buf, sizeof buf));
    printf(")");
    break;
  case KITE_EXTERN_TABLE:
    printf("%s, %llu", kite_type_name(t->table.element, buf, sizeof buf),
           (unsigned long long)t->table.initial);
    if (t->table.has_maximum) printf("..%llu", (unsigned long long)t->table.maximum);
    printf(" elements");
    break;
  case KITE_EXTERN_MEMORY:
    printf("%llu", (unsigned long long)t->memory.initial);
    if (t->memory.has_maximum) printf("..%llu", (unsigned long long)t->memory.maximum);
    printf(" pages%s", t->memory.shared ? ", shared" : "");
    break;
  case KITE_EXTERN_GLOBAL:
    printf("%s%s", t->global.mutable_ ? "mut " : "",
           kite_type_name(t->global.value, buf, sizeof buf));
    break;
  }
}

int main(void) {
  kite_error err;
  kite_engine *engine = kite_engine_new(NULL);
  size_t len;
  uint8_t *text_bytes = kite_wat2wasm(engine, wat, strlen(wat), &len, &err);
  if (!text_bytes) return 1;
  uint8_t bytes[1024];
  if (len + sizeof note_section > sizeof bytes) return 1;
  memcpy(bytes, text_bytes, len);
  memcpy(bytes + len, note_section, sizeof note_section);
  kite_bytes_free(engine, text_bytes, len);
  kite_module *module = kite_compile(engine, bytes, len + sizeof note_section, &err);
  if (!module) return 1;

  for (uint32_t i = 0; i < kite_module_import_count(module); i++) {
    kite_import_desc d;
    kite_module_import(module, i, &d);
    printf("import %.*s.%.*s: %s ", (int)d.module_len, d.module, (int)d.name_len, d.name,
           kite_externkind_name(d.type.kind));
    print_type(&d.type);
    printf("\n");
  }
  for (uint32_t i = 0; i < kite_module_export_count(module); i++) {
    kite_export_desc d;
    kite_module_export(module, i, &d);
    printf("export %.*s: %s ", (int)d.name_len, d.name, kite_externkind_name(d.type.kind));
    print_type(&d.type);
    printf("\n");
  }
  const uint8_t *data;
  size_t data_len;
  if (kite_module_custom_section(module, "note", 4, 0, &data, &data_len))
    printf("custom section \"note\" (%u of them): \"%.*s\"\n",
           kite_module_custom_section_count(module, "note", 4), (int)data_len, (const char *)data);

  /* Provide the imports: a constant global and a table, made by the host. */
  kite_store *store = kite_store_new(engine);
  kite_global_desc gd = {kite_type_of(KITE_I64), false};
  kite_table_desc td = {kite_type_funcref(), 2, 10, true, false};
  kite_imports *imports = kite_imports_new(store);
  kite_imports_add(imports, "env", "limit",
                   kite_extern_global(kite_global_create(store, &gd, kite_i64(100), &err)));
  kite_imports_add(imports, "env", "table",
                   kite_extern_table(kite_table_create(store, &td, kite_funcref(NULL), &err)));
  kite_instance *inst = kite_instance_new(store, module, imports, &err);
  kite_imports_free(imports);
  kite_module_release(module);
  if (!inst) {
    printf("instantiate: %s\n", err.msg);
    return 1;
  }

  kite_val args[2], results[2];
  args[0] = kite_i32(-5), args[1] = kite_i64(1ll << 40);
  kite_call(store, kite_instance_export_func(inst, "add"), args, 2, results, 1, &err);
  printf("add(-5, 2^40) = %lld\n", (long long)results[0].of.i64);

  args[0] = kite_i64(12345);
  kite_call(store, kite_instance_export_func(inst, "clamp"), args, 1, results, 1, &err);
  printf("clamp(12345) = %lld\n", (long long)results[0].of.i64);

  args[0] = kite_f32(3.0f), args[1] = kite_f64(4.0);
  kite_call(store, kite_instance_export_func(inst, "hypot"), args, 2, results, 1, &err);
  printf("hypot(3, 4) = %g\n", results[0].of.f64);

  uint8_t a[16], b[16];
  for (int i = 0; i < 16; i++) a[i] = b[i] = 0;
  for (int lane = 0; lane < 4; lane++) a[lane * 4] = (uint8_t)(lane + 1), b[lane * 4] = 10;
  args[0] = kite_vec128(a), args[1] = kite_vec128(b);
  kite_call(store, kite_instance_export_func(inst, "lanes"), args, 2, results, 1, &err);
  printf("lanes([1 2 3 4] * [10 10 10 10]) = [%d %d %d %d]\n", results[0].of.v128[0],
         results[0].of.v128[4], results[0].of.v128[8], results[0].of.v128[12]);

  /* A funcref result is a function instance the host can call. */
  args[0] = kite_i32(1);
  kite_call(store, kite_instance_export_func(inst, "pick"), args, 1, results, 1, &err);
  kite_funcinst *picked = results[0].of.func;
  args[0] = kite_i32(1), args[1] = kite_i64(2);
  kite_call(store, picked, args, 2, results, 1, &err);
  printf("pick(1) is add: %s, and returns %lld\n",
         picked == kite_instance_export_func(inst, "add") ? "yes" : "no",
         (long long)results[0].of.i64);
  args[0] = kite_i32(0);
  kite_call(store, kite_instance_export_func(inst, "pick"), args, 1, results, 1, &err);
  printf("pick(0) is null: %s\n", results[0].of.func == NULL ? "yes" : "no");

  /* An externref carries a host pointer through wasm unchanged. */
  static const char secret[] = "a host object";
  args[0] = kite_externref((void *)secret);
  kite_call(store, kite_instance_export_func(inst, "keep"), args, 1, results, 2, &err);
  printf("keep(\"%s\") = \"%s\", is_null %d\n", secret, (const char *)results[0].of.host,
         (int)results[1].of.i32);

  kite_globalinst *counter = kite_instance_export_global(inst, "counter");
  printf("counter = %g\n", kite_global_value(counter).of.f64);

  kite_store_free(store);
  kite_engine_free(engine);
  return 0;
}
