/*
** kite_instance.c: import objects, instantiation (resolving imports by name) and
** instance exports; and the store's finalizer objects that the public APIs use to tie
** host data and module references to a store's lifetime.
*/
#include "capi.h"

/* ---- store finalizers ---- */

typedef struct on_free {
  kite_finalizer fin;
  void (*fn)(void *data);
  void *data;
} on_free;

static void run_on_free(kite_finalizer *f, kite_store *s) {
  on_free *o = (on_free *)f;
  o->fn(o->data);
  kite_free(s->alloc, o, sizeof *o);
}

bool kite_capi_store_on_free(kite_store *s, void (*fn)(void *data), void *data, kite_error *err) {
  on_free *o = kite_calloc(s->alloc, 1, sizeof *o);
  if (!o) {
    fn(data);
    return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
  }
  o->fin.release = run_on_free;
  o->fn = fn;
  o->data = data;
  kite_store_adopt(s, &o->fin.obj, KITE_OBJ_FINALIZER);
  return true;
}

static void release_module(void *m) { kite_module_release(m); }

bool kite_capi_store_keep_module(kite_store *s, const kite_module *m, kite_error *err) {
  kite_module *mm = (kite_module *)m; /* only its atomic reference count changes */
  return kite_capi_store_on_free(s, release_module, kite_module_retain(mm), err);
}

/* ---- import objects ---- */

typedef struct import_entry {
  char *module, *name; /* copies; one allocation of module_len + name_len bytes */
  size_t module_len, name_len;
  kite_extern x;
} import_entry;

struct kite_imports {
  kite_store *store;
  KITE_VEC(import_entry) entries;
};

kite_imports *kite_imports_new(kite_store *s) {
  kite_imports *imp = kite_calloc(s->alloc, 1, sizeof *imp);
  if (imp) imp->store = s;
  return imp;
}

void kite_imports_free(kite_imports *imp) {
  if (!imp) return;
  kite_alloc *a = imp->store->alloc;
  for (size_t i = 0; i < imp->entries.len; i++) {
    import_entry *e = &imp->entries.data[i];
    kite_free(a, e->module, e->module_len + e->name_len);
  }
  kite_vec_free(a, &imp->entries);
  kite_free(a, imp, sizeof *imp);
}

static import_entry *find_entry(const kite_imports *imp, const char *module, size_t module_len,
                                const char *name, size_t name_len) {
  for (size_t i = 0; i < imp->entries.len; i++) {
    import_entry *e = &imp->entries.data[i];
    if (e->module_len == module_len && e->name_len == name_len &&
        memcmp(e->module, module, module_len) == 0 && memcmp(e->name, name, name_len) == 0)
      return e;
  }
  return NULL;
}

bool kite_imports_add_bytes(kite_imports *imp, const char *module, size_t module_len,
                            const char *name, size_t name_len, kite_extern x) {
  import_entry *e = find_entry(imp, module, module_len, name, name_len);
  if (e) {
    e->x = x;
    return true;
  }
  kite_alloc *a = imp->store->alloc;
  import_entry n;
  n.module = kite_malloc(a, module_len + name_len);
  if (!n.module) return false;
  memcpy(n.module, module, module_len);
  memcpy(n.module + module_len, name, name_len);
  n.name = n.module + module_len;
  n.module_len = module_len;
  n.name_len = name_len;
  n.x = x;
  if (!kite_vec_push(a, &imp->entries, n)) {
    kite_free(a, n.module, module_len + name_len);
    return false;
  }
  return true;
}

bool kite_imports_add(kite_imports *imp, const char *module, const char *name, kite_extern x) {
  return kite_imports_add_bytes(imp, module, strlen(module), name, strlen(name), x);
}

bool kite_imports_get(const kite_imports *imp, const char *module, size_t module_len,
                      const char *name, size_t name_len, kite_extern *out) {
  import_entry *e = find_entry(imp, module, module_len, name, name_len);
  if (!e) return false;
  *out = e->x;
  return true;
}

bool kite_imports_add_instance(kite_imports *imp, const char *module, const kite_instance *inst) {
  const kite_module *m = kite_instance_module(inst);
  for (uint32_t i = 0; i < m->nexports; i++) {
    const kite_export *x = &m->exports[i];
    kite_extern ext;
    if (!kite_instance_export(inst, (const char *)x->name.ptr, x->name.len, &ext)) continue;
    if (!kite_imports_add_bytes(imp, module, strlen(module), (const char *)x->name.ptr, x->name.len,
                                ext))
      return false;
  }
  return true;
}

bool kite_capi_imports_lookup(void *ud, const kite_import *imp, kite_extern *out) {
  const kite_imports *imports = ud;
  return imports && kite_imports_get(imports, (const char *)imp->module.ptr, imp->module.len,
                                     (const char *)imp->field.ptr, imp->field.len, out);
}

/* ---- instantiation ---- */

kite_extern *kite_capi_resolve(const kite_module *m, kite_capi_lookup_fn fn, void *ud,
                               const bool *prefilled, kite_extern *externs, kite_error *err) {
  for (uint32_t i = 0; i < m->nimports; i++) {
    if (prefilled && prefilled[i]) continue;
    const kite_import *imp = &m->imports[i];
    if (!fn(ud, imp, &externs[i])) {
      kite_fail(err, KITE_ERR_LINK, 0, 0, "unknown import \"%.*s\" \"%.*s\"", (int)imp->module.len,
                (const char *)imp->module.ptr, (int)imp->field.len, (const char *)imp->field.ptr);
      return NULL;
    }
  }
  return externs;
}

kite_instance *kite_capi_instantiate(kite_store *s, const kite_module *m,
                                     const kite_extern *externs, kite_error *err) {
  if (m->alloc != kite_engine_alloc(kite_store_engine(s))) {
    kite_fail(err, KITE_ERR_USAGE, 0, 0, "module and store belong to different engines");
    return NULL;
  }
  if (!kite_capi_store_keep_module(s, m, err)) return NULL;
  return kite_instantiate(s, m, externs, m->nimports, err);
}

kite_instance *kite_instance_new(kite_store *s, const kite_module *m, const kite_imports *imports,
                                 kite_error *err) {
  kite_error local;
  if (!err) err = &local;
  kite_error_clear(err);
  if (imports && imports->store != s) {
    kite_fail(err, KITE_ERR_USAGE, 0, 0, "imports belong to another store");
    return NULL;
  }
  kite_extern small[8], *externs = small;
  size_t n = m->nimports;
  if (n > KITE_ARRAY_LEN(small)) {
    externs = kite_calloc(s->alloc, n, sizeof *externs);
    if (!externs) {
      kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
      return NULL;
    }
  }
  kite_instance *inst = NULL;
  if (kite_capi_resolve(m, kite_capi_imports_lookup, (void *)imports, NULL, externs, err))
    inst = kite_capi_instantiate(s, m, externs, err);
  if (externs != small) kite_free(s->alloc, externs, n * sizeof *externs);
  if (!inst) kite_capi_drop_offset(err);
  return inst;
}

kite_instance *kite_instantiate_bytes(kite_store *s, const uint8_t *bytes, size_t len,
                                      const kite_imports *imports, kite_module **module_out,
                                      kite_error *err) {
  kite_error local;
  if (!err) err = &local;
  kite_error_clear(err);
  if (module_out) *module_out = NULL;
  kite_module *m = kite_capi_compile(kite_store_engine(s), bytes, len, err);
  if (!m) return NULL;
  kite_instance *inst = kite_instance_new(s, m, imports, err);
  if (inst && module_out) *module_out = m;
  else kite_module_release(m);
  return inst;
}

/* ---- exports ---- */

static bool export_of(const kite_instance *inst, const char *name, uint8_t kind, kite_extern *out) {
  return kite_instance_export(inst, name, strlen(name), out) && out->kind == kind;
}

kite_funcinst *kite_instance_export_func(const kite_instance *inst, const char *name) {
  kite_extern x;
  return export_of(inst, name, KITE_EXTERN_FUNC, &x) ? x.u.func : NULL;
}
kite_meminst *kite_instance_export_memory(const kite_instance *inst, const char *name) {
  kite_extern x;
  return export_of(inst, name, KITE_EXTERN_MEMORY, &x) ? x.u.memory : NULL;
}
kite_tableinst *kite_instance_export_table(const kite_instance *inst, const char *name) {
  kite_extern x;
  return export_of(inst, name, KITE_EXTERN_TABLE, &x) ? x.u.table : NULL;
}
kite_globalinst *kite_instance_export_global(const kite_instance *inst, const char *name) {
  kite_extern x;
  return export_of(inst, name, KITE_EXTERN_GLOBAL, &x) ? x.u.global : NULL;
}
