/*
** wasm_module.c: wasm.h's modules: compiling, validating, imports and exports,
** serializing (the module's binary), and sharing a module with other stores and
** threads. A module handle holds one reference to the compiled, immutable kite_module.
*/
#include <stdlib.h>

#include "wasm.h"

#include "binary.h"
#include "capi.h"
#include "valid.h"

struct wasm_module_t {
  wasm_capi_ref r; /* r.obj is the kite_module */
};

struct wasm_shared_module_t {
  kite_module *module;
};

static kite_module *module_of(const wasm_module_t *m) { return m->r.obj; }

/* A handle owning one reference to km. */
static wasm_module_t *module_handle(wasm_store_t *s, kite_module *km) {
  wasm_module_t *m = calloc(1, sizeof *m);
  if (!m) {
    kite_module_release(km);
    return NULL;
  }
  m->r.kind = WREF_MODULE;
  m->r.store = s;
  m->r.obj = km;
  return m;
}

wasm_module_t *wasm_module_new(wasm_store_t *s, const wasm_byte_vec_t *binary) {
  kite_error err;
  kite_error_clear(&err);
  kite_module *km =
      kite_capi_compile(s->engine->engine, (const uint8_t *)binary->data, binary->size, &err);
  return km ? module_handle(s, km) : NULL;
}

bool wasm_module_validate(wasm_store_t *s, const wasm_byte_vec_t *binary) {
  kite_error err;
  kite_error_clear(&err);
  kite_module *km =
      kite_capi_compile(s->engine->engine, (const uint8_t *)binary->data, binary->size, &err);
  kite_module_release(km);
  return km != NULL;
}

void wasm_module_delete(wasm_module_t *m) {
  if (!m) return;
  if (m->r.host_finalizer) m->r.host_finalizer(m->r.host_info);
  kite_module_release(module_of(m));
  free(m);
}

wasm_module_t *wasm_module_copy(const wasm_module_t *m) {
  return module_handle(m->r.store, kite_module_retain(module_of(m)));
}

static void name_of(wasm_name_t *out, const char *p, size_t n) { wasm_name_new(out, n, p); }

void wasm_module_imports(const wasm_module_t *m, wasm_importtype_vec_t *out) {
  const kite_module *km = module_of(m);
  wasm_importtype_vec_new_uninitialized(out, kite_module_import_count(km));
  for (uint32_t i = 0; i < out->size; i++) {
    kite_import_desc d;
    kite_module_import(km, i, &d);
    wasm_name_t mod, name;
    name_of(&mod, d.module, d.module_len);
    name_of(&name, d.name, d.name_len);
    out->data[i] = wasm_importtype_new(&mod, &name, wasm_capi_externtype(&d.type));
  }
}

void wasm_module_exports(const wasm_module_t *m, wasm_exporttype_vec_t *out) {
  const kite_module *km = module_of(m);
  wasm_exporttype_vec_new_uninitialized(out, kite_module_export_count(km));
  for (uint32_t i = 0; i < out->size; i++) {
    kite_export_desc d;
    kite_module_export(km, i, &d);
    wasm_name_t name;
    name_of(&name, d.name, d.name_len);
    out->data[i] = wasm_exporttype_new(&name, wasm_capi_externtype(&d.type));
  }
}

/* Serialized form: the binary itself (compiling is cheap: lowering is lazy). */
void wasm_module_serialize(const wasm_module_t *m, wasm_byte_vec_t *out) {
  size_t len;
  const uint8_t *bytes = kite_module_bytes(module_of(m), &len);
  wasm_byte_vec_new(out, len, (const wasm_byte_t *)bytes);
}

wasm_module_t *wasm_module_deserialize(wasm_store_t *s, const wasm_byte_vec_t *bytes) {
  return wasm_module_new(s, bytes);
}

/* ---- sharing ---- */

wasm_shared_module_t *wasm_module_share(const wasm_module_t *m) {
  wasm_shared_module_t *sm = calloc(1, sizeof *sm);
  if (sm) sm->module = kite_module_retain(module_of(m));
  return sm;
}

void wasm_shared_module_delete(wasm_shared_module_t *sm) {
  if (!sm) return;
  kite_module_release(sm->module);
  free(sm);
}

wasm_module_t *wasm_module_obtain(wasm_store_t *s, const wasm_shared_module_t *sm) {
  if (sm->module->alloc != kite_engine_alloc(s->engine->engine)) return NULL;
  return module_handle(s, kite_module_retain(sm->module));
}

/* For wasm_instance_new. */
const kite_module *wasm_capi_module(const wasm_module_t *m) { return module_of(m); }
