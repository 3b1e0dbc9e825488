/*
** wasm_types.c: wasm.h's type objects (value, function, global, table, memory, tag,
** extern, import and export types) and their conversions from the Module IR.
**
** Every type object starts with its extern kind, so that the *_as_externtype views are
** the same pointer; a value type's `kind` then says which it is.
*/
#include <stdlib.h>

#include "wasm.h"

#include "capi.h"

enum { TYPE_VAL = 0xFF }; /* the header kind of a value type (not an extern type) */

struct wasm_externtype_t {
  uint8_t kind; /* wasm_externkind_t, or TYPE_VAL */
};

struct wasm_valtype_t {
  struct wasm_externtype_t hdr;
  wasm_valkind_t kind;
};

struct wasm_functype_t {
  struct wasm_externtype_t hdr;
  wasm_valtype_vec_t params, results;
};

struct wasm_globaltype_t {
  struct wasm_externtype_t hdr;
  wasm_valtype_t *content;
  wasm_mutability_t mutability;
};

struct wasm_tabletype_t {
  struct wasm_externtype_t hdr;
  wasm_valtype_t *element;
  wasm_limits_t limits;
};

struct wasm_memorytype_t {
  struct wasm_externtype_t hdr;
  wasm_limits_t limits;
};

struct wasm_tagtype_t {
  struct wasm_externtype_t hdr;
  wasm_functype_t *functype;
};

struct wasm_importtype_t {
  wasm_name_t module, name;
  wasm_externtype_t *type;
};

struct wasm_exporttype_t {
  wasm_name_t name;
  wasm_externtype_t *type;
};

/* ---- value types ---- */

wasm_valtype_t *wasm_valtype_new(wasm_valkind_t kind) {
  wasm_valtype_t *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->hdr.kind = TYPE_VAL;
  t->kind = kind;
  return t;
}
void wasm_valtype_delete(wasm_valtype_t *t) { free(t); }
wasm_valtype_t *wasm_valtype_copy(const wasm_valtype_t *t) { return wasm_valtype_new(t->kind); }
wasm_valkind_t wasm_valtype_kind(const wasm_valtype_t *t) { return t->kind; }

/* ---- function types ---- */

wasm_functype_t *wasm_functype_new(wasm_valtype_vec_t *params, wasm_valtype_vec_t *results) {
  wasm_functype_t *t = calloc(1, sizeof *t);
  if (!t) {
    wasm_valtype_vec_delete(params);
    wasm_valtype_vec_delete(results);
    return NULL;
  }
  t->hdr.kind = WASM_EXTERN_FUNC;
  t->params = *params; /* the vectors move in */
  t->results = *results;
  params->size = results->size = 0;
  params->data = results->data = NULL;
  return t;
}
void wasm_functype_delete(wasm_functype_t *t) {
  if (!t) return;
  wasm_valtype_vec_delete(&t->params);
  wasm_valtype_vec_delete(&t->results);
  free(t);
}
wasm_functype_t *wasm_functype_copy(const wasm_functype_t *t) {
  wasm_valtype_vec_t p, r;
  wasm_valtype_vec_copy(&p, &t->params);
  wasm_valtype_vec_copy(&r, &t->results);
  return wasm_functype_new(&p, &r);
}
const wasm_valtype_vec_t *wasm_functype_params(const wasm_functype_t *t) { return &t->params; }
const wasm_valtype_vec_t *wasm_functype_results(const wasm_functype_t *t) { return &t->results; }

/* ---- global, table, memory and tag types ---- */

wasm_globaltype_t *wasm_globaltype_new(wasm_valtype_t *content, wasm_mutability_t m) {
  wasm_globaltype_t *t = calloc(1, sizeof *t);
  if (!t) {
    wasm_valtype_delete(content);
    return NULL;
  }
  t->hdr.kind = WASM_EXTERN_GLOBAL;
  t->content = content;
  t->mutability = m;
  return t;
}
void wasm_globaltype_delete(wasm_globaltype_t *t) {
  if (!t) return;
  wasm_valtype_delete(t->content);
  free(t);
}
wasm_globaltype_t *wasm_globaltype_copy(const wasm_globaltype_t *t) {
  return wasm_globaltype_new(wasm_valtype_copy(t->content), t->mutability);
}
const wasm_valtype_t *wasm_globaltype_content(const wasm_globaltype_t *t) { return t->content; }
wasm_mutability_t wasm_globaltype_mutability(const wasm_globaltype_t *t) { return t->mutability; }

wasm_tabletype_t *wasm_tabletype_new(wasm_valtype_t *element, const wasm_limits_t *limits) {
  wasm_tabletype_t *t = calloc(1, sizeof *t);
  if (!t) {
    wasm_valtype_delete(element);
    return NULL;
  }
  t->hdr.kind = WASM_EXTERN_TABLE;
  t->element = element;
  t->limits = *limits;
  return t;
}
void wasm_tabletype_delete(wasm_tabletype_t *t) {
  if (!t) return;
  wasm_valtype_delete(t->element);
  free(t);
}
wasm_tabletype_t *wasm_tabletype_copy(const wasm_tabletype_t *t) {
  return wasm_tabletype_new(wasm_valtype_copy(t->element), &t->limits);
}
const wasm_valtype_t *wasm_tabletype_element(const wasm_tabletype_t *t) { return t->element; }
const wasm_limits_t *wasm_tabletype_limits(const wasm_tabletype_t *t) { return &t->limits; }

wasm_memorytype_t *wasm_memorytype_new(const wasm_limits_t *limits) {
  wasm_memorytype_t *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->hdr.kind = WASM_EXTERN_MEMORY;
  t->limits = *limits;
  return t;
}
void wasm_memorytype_delete(wasm_memorytype_t *t) { free(t); }
wasm_memorytype_t *wasm_memorytype_copy(const wasm_memorytype_t *t) {
  return wasm_memorytype_new(&t->limits);
}
const wasm_limits_t *wasm_memorytype_limits(const wasm_memorytype_t *t) { return &t->limits; }

wasm_tagtype_t *wasm_tagtype_new(wasm_functype_t *ft) {
  wasm_tagtype_t *t = calloc(1, sizeof *t);
  if (!t) {
    wasm_functype_delete(ft);
    return NULL;
  }
  t->hdr.kind = WASM_EXTERN_TAG;
  t->functype = ft;
  return t;
}
void wasm_tagtype_delete(wasm_tagtype_t *t) {
  if (!t) return;
  wasm_functype_delete(t->functype);
  free(t);
}
wasm_tagtype_t *wasm_tagtype_copy(const wasm_tagtype_t *t) {
  return wasm_tagtype_new(wasm_functype_copy(t->functype));
}
const wasm_functype_t *wasm_tagtype_functype(const wasm_tagtype_t *t) { return t->functype; }

/* ---- extern types ---- */

wasm_externkind_t wasm_externtype_kind(const wasm_externtype_t *t) { return t->kind; }

void wasm_externtype_delete(wasm_externtype_t *t) {
  if (!t) return;
  switch (t->kind) {
  case WASM_EXTERN_FUNC: wasm_functype_delete((wasm_functype_t *)t); break;
  case WASM_EXTERN_GLOBAL: wasm_globaltype_delete((wasm_globaltype_t *)t); break;
  case WASM_EXTERN_TABLE: wasm_tabletype_delete((wasm_tabletype_t *)t); break;
  case WASM_EXTERN_MEMORY: wasm_memorytype_delete((wasm_memorytype_t *)t); break;
  case WASM_EXTERN_TAG: wasm_tagtype_delete((wasm_tagtype_t *)t); break;
  default: free(t); break;
  }
}

wasm_externtype_t *wasm_externtype_copy(const wasm_externtype_t *t) {
  switch (t->kind) {
  case WASM_EXTERN_FUNC: return (wasm_externtype_t *)wasm_functype_copy((const wasm_functype_t *)t);
  case WASM_EXTERN_GLOBAL:
    return (wasm_externtype_t *)wasm_globaltype_copy((const wasm_globaltype_t *)t);
  case WASM_EXTERN_TABLE:
    return (wasm_externtype_t *)wasm_tabletype_copy((const wasm_tabletype_t *)t);
  case WASM_EXTERN_MEMORY:
    return (wasm_externtype_t *)wasm_memorytype_copy((const wasm_memorytype_t *)t);
  case WASM_EXTERN_TAG: return (wasm_externtype_t *)wasm_tagtype_copy((const wasm_tagtype_t *)t);
  }
  return NULL;
}

#define AS_EXTERNTYPE(name)                                                                        \
  wasm_externtype_t *wasm_##name##_as_externtype(wasm_##name##_t *t) {                             \
    return (wasm_externtype_t *)t;                                                                 \
  }                                                                                                \
  const wasm_externtype_t *wasm_##name##_as_externtype_const(const wasm_##name##_t *t) {           \
    return (const wasm_externtype_t *)t;                                                           \
  }

#define EXTERNTYPE_AS(name, kind_)                                                                 \
  wasm_##name##_t *wasm_externtype_as_##name(wasm_externtype_t *t) {                               \
    return t && t->kind == (kind_) ? (wasm_##name##_t *)t : NULL;                                  \
  }                                                                                                \
  const wasm_##name##_t *wasm_externtype_as_##name##_const(const wasm_externtype_t *t) {           \
    return t && t->kind == (kind_) ? (const wasm_##name##_t *)t : NULL;                            \
  }

AS_EXTERNTYPE(functype)
AS_EXTERNTYPE(globaltype)
AS_EXTERNTYPE(tabletype)
AS_EXTERNTYPE(memorytype)
AS_EXTERNTYPE(tagtype)
EXTERNTYPE_AS(functype, WASM_EXTERN_FUNC)
EXTERNTYPE_AS(globaltype, WASM_EXTERN_GLOBAL)
EXTERNTYPE_AS(tabletype, WASM_EXTERN_TABLE)
EXTERNTYPE_AS(memorytype, WASM_EXTERN_MEMORY)
EXTERNTYPE_AS(tagtype, WASM_EXTERN_TAG)

/* ---- import and export types ---- */

wasm_importtype_t *wasm_importtype_new(wasm_name_t *module, wasm_name_t *name,
                                       wasm_externtype_t *type) {
  wasm_importtype_t *t = calloc(1, sizeof *t);
  if (!t) {
    wasm_name_delete(module);
    wasm_name_delete(name);
    wasm_externtype_delete(type);
    return NULL;
  }
  t->module = *module;
  t->name = *name;
  t->type = type;
  module->size = name->size = 0;
  module->data = name->data = NULL;
  return t;
}
void wasm_importtype_delete(wasm_importtype_t *t) {
  if (!t) return;
  wasm_name_delete(&t->module);
  wasm_name_delete(&t->name);
  wasm_externtype_delete(t->type);
  free(t);
}
wasm_importtype_t *wasm_importtype_copy(const wasm_importtype_t *t) {
  wasm_name_t m, n;
  wasm_name_copy(&m, &t->module);
  wasm_name_copy(&n, &t->name);
  return wasm_importtype_new(&m, &n, wasm_externtype_copy(t->type));
}
const wasm_name_t *wasm_importtype_module(const wasm_importtype_t *t) { return &t->module; }
const wasm_name_t *wasm_importtype_name(const wasm_importtype_t *t) { return &t->name; }
const wasm_externtype_t *wasm_importtype_type(const wasm_importtype_t *t) { return t->type; }

wasm_exporttype_t *wasm_exporttype_new(wasm_name_t *name, wasm_externtype_t *type) {
  wasm_exporttype_t *t = calloc(1, sizeof *t);
  if (!t) {
    wasm_name_delete(name);
    wasm_externtype_delete(type);
    return NULL;
  }
  t->name = *name;
  t->type = type;
  name->size = 0;
  name->data = NULL;
  return t;
}
void wasm_exporttype_delete(wasm_exporttype_t *t) {
  if (!t) return;
  wasm_name_delete(&t->name);
  wasm_externtype_delete(t->type);
  free(t);
}
wasm_exporttype_t *wasm_exporttype_copy(const wasm_exporttype_t *t) {
  wasm_name_t n;
  wasm_name_copy(&n, &t->name);
  return wasm_exporttype_new(&n, wasm_externtype_copy(t->type));
}
const wasm_name_t *wasm_exporttype_name(const wasm_exporttype_t *t) { return &t->name; }
const wasm_externtype_t *wasm_exporttype_type(const wasm_exporttype_t *t) { return t->type; }

/* ---- from the runtime's types ---- */

uint8_t wasm_capi_valkind(kite_valtype t) {
  switch (t.kind) {
  case KITE_VT_I32: return WASM_I32;
  case KITE_VT_I64: return WASM_I64;
  case KITE_VT_F32: return WASM_F32;
  case KITE_VT_F64: return WASM_F64;
  case KITE_VT_V128: return WASM_V128; /* such functions cannot be called */
  default: return kite_capi_heap_top(t.ht) == KITE_HT_FUNC ? WASM_FUNCREF : WASM_EXTERNREF;
  }
}

uint8_t wasm_capi_externkind(uint8_t kite_kind) {
  switch (kite_kind) {
  case KITE_EXTERN_FUNC: return WASM_EXTERN_FUNC;
  case KITE_EXTERN_TABLE: return WASM_EXTERN_TABLE;
  case KITE_EXTERN_MEMORY: return WASM_EXTERN_MEMORY;
  case KITE_EXTERN_GLOBAL: return WASM_EXTERN_GLOBAL;
  default: return WASM_EXTERN_TAG;
  }
}

static wasm_valtype_vec_t valtypes(const kite_valtype *ts, uint32_t n) {
  wasm_valtype_vec_t v;
  wasm_valtype_vec_new_uninitialized(&v, n);
  for (size_t i = 0; i < v.size; i++) v.data[i] = wasm_valtype_new(wasm_capi_valkind(ts[i]));
  return v;
}

wasm_functype_t *wasm_capi_functype(const kite_functype *ft) {
  wasm_valtype_vec_t p = valtypes(ft->params, ft->nparams);
  wasm_valtype_vec_t r = valtypes(ft->results, ft->nresults);
  return wasm_functype_new(&p, &r);
}

static uint32_t clamp32(uint64_t x) { return x > UINT32_MAX ? UINT32_MAX : (uint32_t)x; }

wasm_limits_t wasm_capi_limits(const kite_limits *l) {
  wasm_limits_t w;
  w.min = clamp32(l->min);
  w.max = l->has_max ? clamp32(l->max) : wasm_limits_max_default;
  return w;
}

wasm_externtype_t *wasm_capi_externtype(const kite_externtype *t) {
  switch (t->kind) {
  case KITE_EXTERN_FUNC: return (wasm_externtype_t *)wasm_capi_functype(t->func);
  case KITE_EXTERN_GLOBAL: {
    kite_valtype vt = kite_capi_valtype(t->global.value);
    wasm_valtype_t *c = wasm_valtype_new(wasm_capi_valkind(vt));
    return (wasm_externtype_t *)wasm_globaltype_new(c, t->global.mutable_ ? WASM_VAR : WASM_CONST);
  }
  case KITE_EXTERN_TABLE: {
    kite_valtype vt = kite_capi_valtype(t->table.element);
    wasm_limits_t l = {clamp32(t->table.initial),
                       t->table.has_maximum ? clamp32(t->table.maximum) : wasm_limits_max_default};
    return (wasm_externtype_t *)wasm_tabletype_new(wasm_valtype_new(wasm_capi_valkind(vt)), &l);
  }
  case KITE_EXTERN_MEMORY: {
    wasm_limits_t l = {clamp32(t->memory.initial), t->memory.has_maximum
                                                       ? clamp32(t->memory.maximum)
                                                       : wasm_limits_max_default};
    return (wasm_externtype_t *)wasm_memorytype_new(&l);
  }
  case KITE_EXTERN_TAG: return (wasm_externtype_t *)wasm_tagtype_new(wasm_capi_functype(t->func));
  }
  return NULL;
}

/* The kite value type of a wasm.h value kind (references are nullable, abstract). */
kite_valtype wasm_capi_kite_valtype(wasm_valkind_t k) {
  switch (k) {
  case WASM_I32: return kite_vt(KITE_VT_I32);
  case WASM_I64: return kite_vt(KITE_VT_I64);
  case WASM_F32: return kite_vt(KITE_VT_F32);
  case WASM_F64: return kite_vt(KITE_VT_F64);
  case WASM_FUNCREF: return kite_vt_ref(KITE_HT_FUNC, true);
  case WASM_EXTERNREF: return kite_vt_ref(KITE_HT_EXTERN, true);
  default: return kite_vt(KITE_VT_V128);
  }
}

/* A runtime function type from a wasm.h one, in storage the caller provides (n >= params
   + results); false when it does not fit. */
bool wasm_capi_kite_functype(const wasm_functype_t *t, kite_valtype *buf, size_t n,
                             kite_functype *out) {
  if (t->params.size + t->results.size > n) return false;
  for (size_t i = 0; i < t->params.size; i++)
    buf[i] = wasm_capi_kite_valtype(t->params.data[i]->kind);
  for (size_t i = 0; i < t->results.size; i++)
    buf[t->params.size + i] = wasm_capi_kite_valtype(t->results.data[i]->kind);
  out->nparams = (uint32_t)t->params.size;
  out->nresults = (uint32_t)t->results.size;
  out->params = buf;
  out->results = buf + t->params.size;
  return true;
}
