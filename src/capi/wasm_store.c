/*
** wasm_store.c: wasm.h's configs, engines and stores; the store's records (one per
** runtime object, see capi.h) and what every reference type shares (copy, same, host
** info, views to and from wasm_ref_t); foreign objects; traps and frames.
*/
#include <stdio.h>
#include <stdlib.h>

#include "wasm.h"

#include "capi.h"

struct wasm_ref_t {
  wasm_capi_ref r;
};
struct wasm_foreign_t {
  wasm_capi_ref r;
};

struct wasm_frame_t {
  wasm_instance_t *instance; /* its store's record: lives as long as the store */
  uint32_t func_index;
  size_t func_offset, module_offset;
};

struct wasm_trap_t {
  wasm_capi_ref r;
  wasm_message_t message; /* NUL-terminated, the NUL counted */
  wasm_frame_vec_t trace;
};

/* ---- configs, engines, stores ---- */

wasm_config_t *wasm_config_new(void) {
  wasm_config_t *c = calloc(1, sizeof *c);
  if (c) kite_engine_config_default(&c->cfg);
  return c;
}
void wasm_config_delete(wasm_config_t *c) { free(c); }
void kite_wasm_config_set_features(wasm_config_t *c, uint64_t kite_features) {
  c->cfg.features = kite_capi_features_in(kite_features);
}

wasm_engine_t *wasm_engine_new_with_config(wasm_config_t *c) {
  wasm_engine_t *e = calloc(1, sizeof *e);
  if (e) e->engine = kite_engine_new(c ? &c->cfg : NULL);
  if (e && !e->engine) {
    free(e);
    e = NULL;
  }
  free(c);
  return e;
}
wasm_engine_t *wasm_engine_new(void) { return wasm_engine_new_with_config(NULL); }
void wasm_engine_delete(wasm_engine_t *e) {
  if (!e) return;
  kite_engine_free(e->engine);
  free(e);
}

wasm_store_t *wasm_store_new(wasm_engine_t *e) {
  wasm_store_t *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->engine = e;
  s->store = kite_store_new(e->engine);
  if (!s->store) {
    free(s);
    return NULL;
  }
  return s;
}

void wasm_store_delete(wasm_store_t *s) {
  if (!s) return;
  /* Finalizers first, while every object still exists, then the objects. */
  for (wasm_capi_ref *r = s->records; r; r = r->next) {
    if (r->host_finalizer) r->host_finalizer(r->host_info);
    if (r->env_finalizer) r->env_finalizer(r->env);
  }
  for (wasm_capi_ref *r = s->gc_refs, *next; r; r = next) {
    next = r->next;
    if (r->host_finalizer) r->host_finalizer(r->host_info);
    free(r);
  }
  kite_store_free(s->store); /* with the kite handles the GC references held */
  wasm_capi_ref *r = s->records;
  while (r) {
    wasm_capi_ref *next = r->next;
    free(r);
    r = next;
  }
  free(s->map);
  free(s);
}

/* ---- records ---- */

static size_t hash_ptr(const void *p, size_t cap) {
  uintptr_t x = (uintptr_t)p;
  x ^= x >> 17;
  x *= (uintptr_t)0x9E3779B97F4A7C15ull;
  return (size_t)(x >> 7) & (cap - 1);
}

static bool map_grow(wasm_store_t *s) {
  size_t cap = s->map_cap ? s->map_cap * 2 : 64;
  wasm_capi_ref **map = calloc(cap, sizeof *map);
  if (!map) return false;
  for (size_t i = 0; i < s->map_cap; i++) {
    wasm_capi_ref *r = s->map[i];
    if (!r) continue;
    size_t h = hash_ptr(r->obj, cap);
    while (map[h]) h = (h + 1) & (cap - 1);
    map[h] = r;
  }
  free(s->map);
  s->map = map;
  s->map_cap = cap;
  return true;
}

wasm_capi_ref *wasm_capi_new_record(wasm_store_t *s, uint8_t kind, void *obj) {
  wasm_capi_ref *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->kind = kind;
  r->is_record = true;
  r->store = s;
  r->obj = obj;
  r->next = s->records;
  s->records = r;
  return r;
}

wasm_capi_ref *wasm_capi_record(wasm_store_t *s, uint8_t kind, void *obj) {
  if (!obj) return NULL;
  if (s->map_cap) {
    size_t h = hash_ptr(obj, s->map_cap);
    for (wasm_capi_ref *r; (r = s->map[h]) != NULL; h = (h + 1) & (s->map_cap - 1))
      if (r->obj == obj) return r;
  }
  if ((s->map_len + 1) * 2 > s->map_cap && !map_grow(s)) return NULL;
  wasm_capi_ref *r = wasm_capi_new_record(s, kind, obj);
  if (!r) return NULL;
  size_t h = hash_ptr(obj, s->map_cap);
  while (s->map[h]) h = (h + 1) & (s->map_cap - 1);
  s->map[h] = r;
  s->map_len++;
  return r;
}

/* ---- references to GC objects and exceptions ---- */

wasm_capi_ref *wasm_capi_gc_new(wasm_store_t *s, kite_ref ref, bool exn) {
  wasm_capi_ref *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  if (kite_ref_is_ptr(ref) && !(r->obj = kite_gc_root_new(s->store, ref, exn))) {
    free(r);
    return NULL;
  }
  r->kind = WREF_GC;
  r->store = s;
  r->gc_value = ref;
  r->next = s->gc_refs;
  if (s->gc_refs) s->gc_refs->prev = r;
  s->gc_refs = r;
  return r;
}

void wasm_capi_gc_delete(wasm_capi_ref *r) {
  wasm_store_t *s = r->store;
  if (r->host_finalizer) r->host_finalizer(r->host_info);
  if (r->obj) kite_gc_root_free(s->store, r->obj);
  if (r->prev) r->prev->next = r->next;
  else s->gc_refs = r->next;
  if (r->next) r->next->prev = r->prev;
  free(r);
}

/* ---- what every reference shares ---- */

static wasm_capi_ref *ref_copy(const wasm_capi_ref *r);
static void ref_delete(wasm_capi_ref *r);

void wasm_module_delete(wasm_module_t *);
wasm_module_t *wasm_module_copy(const wasm_module_t *);

static wasm_capi_ref *ref_copy(const wasm_capi_ref *r) {
  if (!r) return NULL;
  if (r->is_record) return (wasm_capi_ref *)r;
  if (r->kind == WREF_MODULE) return (wasm_capi_ref *)wasm_module_copy((const wasm_module_t *)r);
  if (r->kind == WREF_TRAP) return (wasm_capi_ref *)wasm_trap_copy((const wasm_trap_t *)r);
  if (r->kind == WREF_GC) {
    const struct kite_heapref *h = r->obj;
    return wasm_capi_gc_new(r->store, r->gc_value, h && h->exn);
  }
  return NULL;
}

static void ref_delete(wasm_capi_ref *r) {
  if (!r || r->is_record) return;
  if (r->kind == WREF_MODULE) wasm_module_delete((wasm_module_t *)r);
  if (r->kind == WREF_TRAP) wasm_trap_delete((wasm_trap_t *)r);
  if (r->kind == WREF_GC) wasm_capi_gc_delete(r);
}

/*
** The functions of WASM_DECLARE_REF_BASE and the views of WASM_DECLARE_REF, for one
** reference type. Deleting a record's reference does nothing (see capi.h).
*/
#define DEFINE_REF_COPY(name)                                                                      \
  wasm_##name##_t *wasm_##name##_copy(const wasm_##name##_t *x) {                                  \
    return (wasm_##name##_t *)ref_copy((const wasm_capi_ref *)x);                                  \
  }

#define DEFINE_REF_COMMON(name)                                                                    \
  bool wasm_##name##_same(const wasm_##name##_t *a, const wasm_##name##_t *b) {                    \
    return ref_same((const wasm_capi_ref *)a, (const wasm_capi_ref *)b);                           \
  }                                                                                                \
  void *wasm_##name##_get_host_info(const wasm_##name##_t *x) {                                    \
    return ((const wasm_capi_ref *)x)->host_info;                                                  \
  }                                                                                                \
  void wasm_##name##_set_host_info(wasm_##name##_t *x, void *info) {                               \
    ((wasm_capi_ref *)x)->host_info = info;                                                        \
    ((wasm_capi_ref *)x)->host_finalizer = NULL;                                                   \
  }                                                                                                \
  void wasm_##name##_set_host_info_with_finalizer(wasm_##name##_t *x, void *info,                  \
                                                  void (*fin)(void *)) {                           \
    ((wasm_capi_ref *)x)->host_info = info;                                                        \
    ((wasm_capi_ref *)x)->host_finalizer = fin;                                                    \
  }

#define DEFINE_REF_VIEWS(name, kind_)                                                              \
  wasm_ref_t *wasm_##name##_as_ref(wasm_##name##_t *x) { return (wasm_ref_t *)x; }                 \
  const wasm_ref_t *wasm_##name##_as_ref_const(const wasm_##name##_t *x) {                         \
    return (const wasm_ref_t *)x;                                                                  \
  }                                                                                                \
  wasm_##name##_t *wasm_ref_as_##name(wasm_ref_t *r) {                                             \
    return r && ref_is(&r->r, kind_) ? (wasm_##name##_t *)r : NULL;                                \
  }                                                                                                \
  const wasm_##name##_t *wasm_ref_as_##name##_const(const wasm_ref_t *r) {                         \
    return r && ref_is(&r->r, kind_) ? (const wasm_##name##_t *)r : NULL;                          \
  }

/* An extern is any of func, global, table, memory, tag. */
enum { WREF_ANY_EXTERN = 0xFE };

static bool ref_is(const wasm_capi_ref *r, uint8_t kind) {
  if (kind == WREF_ANY_EXTERN) return r->kind <= WREF_TAG;
  return r->kind == kind;
}

static bool ref_same(const wasm_capi_ref *a, const wasm_capi_ref *b) {
  if (a == b) return true;
  if (!a || !b || a->kind != b->kind) return false;
  if (a->kind == WREF_GC) return a->store == b->store && a->gc_value == b->gc_value;
  return (a->kind == WREF_MODULE) && a->obj == b->obj;
}

void wasm_ref_delete(wasm_ref_t *r) { ref_delete((wasm_capi_ref *)r); }
void wasm_foreign_delete(wasm_foreign_t *f) { ref_delete((wasm_capi_ref *)f); }
void wasm_func_delete(wasm_func_t *f) { ref_delete((wasm_capi_ref *)f); }
void wasm_global_delete(wasm_global_t *g) { ref_delete((wasm_capi_ref *)g); }
void wasm_table_delete(wasm_table_t *t) { ref_delete((wasm_capi_ref *)t); }
void wasm_memory_delete(wasm_memory_t *m) { ref_delete((wasm_capi_ref *)m); }
void wasm_extern_delete(wasm_extern_t *x) { ref_delete((wasm_capi_ref *)x); }
void wasm_instance_delete(wasm_instance_t *i) { ref_delete((wasm_capi_ref *)i); }

DEFINE_REF_COPY(ref)
DEFINE_REF_COPY(foreign)
DEFINE_REF_COPY(func)
DEFINE_REF_COPY(global)
DEFINE_REF_COPY(table)
DEFINE_REF_COPY(memory)
DEFINE_REF_COPY(extern)
DEFINE_REF_COPY(instance)
DEFINE_REF_COMMON(ref)
DEFINE_REF_COMMON(foreign)
DEFINE_REF_COMMON(func)
DEFINE_REF_COMMON(global)
DEFINE_REF_COMMON(table)
DEFINE_REF_COMMON(memory)
DEFINE_REF_COMMON(extern)
DEFINE_REF_COMMON(instance)
DEFINE_REF_COMMON(trap)

DEFINE_REF_VIEWS(foreign, WREF_FOREIGN)
DEFINE_REF_VIEWS(func, WREF_FUNC)
DEFINE_REF_VIEWS(global, WREF_GLOBAL)
DEFINE_REF_VIEWS(table, WREF_TABLE)
DEFINE_REF_VIEWS(memory, WREF_MEMORY)
DEFINE_REF_VIEWS(extern, WREF_ANY_EXTERN)
DEFINE_REF_VIEWS(instance, WREF_INSTANCE)
DEFINE_REF_VIEWS(trap, WREF_TRAP)
DEFINE_REF_VIEWS(module, WREF_MODULE)

/* Modules keep their own handles (wasm_module.c) but share these. */
bool wasm_module_same(const wasm_module_t *a, const wasm_module_t *b) {
  return ref_same((const wasm_capi_ref *)a, (const wasm_capi_ref *)b);
}
void *wasm_module_get_host_info(const wasm_module_t *m) {
  return ((const wasm_capi_ref *)m)->host_info;
}
void wasm_module_set_host_info(wasm_module_t *m, void *info) {
  wasm_module_set_host_info_with_finalizer(m, info, NULL);
}
void wasm_module_set_host_info_with_finalizer(wasm_module_t *m, void *info, void (*fin)(void *)) {
  ((wasm_capi_ref *)m)->host_info = info;
  ((wasm_capi_ref *)m)->host_finalizer = fin;
}

/* ---- foreign objects ---- */

wasm_foreign_t *wasm_foreign_new(wasm_store_t *s) {
  return (wasm_foreign_t *)wasm_capi_new_record(s, WREF_FOREIGN, NULL);
}

/* ---- frames ---- */

void wasm_frame_delete(wasm_frame_t *f) { free(f); }
wasm_frame_t *wasm_frame_copy(const wasm_frame_t *f) {
  wasm_frame_t *c = malloc(sizeof *c);
  if (c) *c = *f;
  return c;
}
struct wasm_instance_t *wasm_frame_instance(const wasm_frame_t *f) {
  return f->instance;
}
uint32_t wasm_frame_func_index(const wasm_frame_t *f) { return f->func_index; }
size_t wasm_frame_func_offset(const wasm_frame_t *f) { return f->func_offset; }
size_t wasm_frame_module_offset(const wasm_frame_t *f) { return f->module_offset; }

/* ---- traps ---- */

static wasm_trap_t *trap_new(wasm_store_t *s, const char *msg, size_t len) {
  wasm_trap_t *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->r.kind = WREF_TRAP;
  t->r.store = s;
  wasm_byte_vec_new_uninitialized(&t->message, len + 1);
  if (t->message.size) {
    memcpy(t->message.data, msg, len);
    t->message.data[len] = 0;
  }
  return t;
}

wasm_trap_t *wasm_trap_new(wasm_store_t *s, const wasm_message_t *msg) {
  size_t len = msg ? msg->size : 0;
  if (len && msg->data[len - 1] == 0) len--; /* the NUL is ours to add */
  return trap_new(s, msg ? msg->data : "", len);
}

void wasm_trap_delete(wasm_trap_t *t) {
  if (!t) return;
  if (t->r.host_finalizer) t->r.host_finalizer(t->r.host_info);
  wasm_byte_vec_delete(&t->message);
  wasm_frame_vec_delete(&t->trace);
  free(t);
}

wasm_trap_t *wasm_trap_copy(const wasm_trap_t *t) {
  wasm_trap_t *c = trap_new(t->r.store, t->message.data, t->message.size ? t->message.size - 1 : 0);
  if (c) wasm_frame_vec_copy(&c->trace, &t->trace);
  return c;
}

void wasm_trap_message(const wasm_trap_t *t, wasm_message_t *out) {
  wasm_byte_vec_copy(out, &t->message);
}

wasm_frame_t *wasm_trap_origin(const wasm_trap_t *t) {
  return t->trace.size ? wasm_frame_copy(t->trace.data[0]) : NULL;
}

void wasm_trap_trace(const wasm_trap_t *t, wasm_frame_vec_t *out) {
  wasm_frame_vec_copy(out, &t->trace);
}

wasm_trap_t *wasm_capi_trap_from_error(wasm_store_t *s, const kite_error *err) {
  wasm_trap_t *t = trap_new(s, err->msg, strlen(err->msg));
  if (!t) return NULL;
  if (err->kind != KITE_ERR_RUNTIME && err->kind != KITE_ERR_EXHAUSTION) return t;
  kite_backtrace_frame frames[64];
  uint32_t n = kite_store_backtrace(s->store, frames, 64, NULL);
  wasm_frame_vec_new_uninitialized(&t->trace, n);
  for (size_t i = 0; i < t->trace.size; i++) {
    wasm_frame_t *f = calloc(1, sizeof *f);
    if (f) {
      f->instance =
          (wasm_instance_t *)wasm_capi_record(s, WREF_INSTANCE, (void *)frames[i].instance);
      f->func_index = frames[i].func_index;
      f->func_offset = (size_t)frames[i].func_offset;
      f->module_offset = (size_t)frames[i].module_offset;
    }
    t->trace.data[i] = f;
  }
  return t;
}
