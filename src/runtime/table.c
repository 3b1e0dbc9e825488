/*
** table.c: table instances and globals created by the host.
*/
#include "runtime.h"

static bool ref_type_matches(kite_valtype elem, const kite_value *v) {
  return v->type.kind == KITE_VT_REF && (v->u.ref == KITE_REF_NULL || v->type.ht == elem.ht ||
                                         (elem.ht == KITE_HT_FUNC && kite_ht_is_index(v->type.ht)));
}

kite_tableinst *kite_table_new(kite_store *s, kite_valtype elem, const kite_limits *limits,
                               kite_value init, kite_error *err) {
  if (!ref_type_matches(elem, &init)) {
    kite_fail(err, KITE_ERR_USAGE, 0, 0, "table initial value has the wrong type");
    return NULL;
  }
  uint64_t cap = s->engine->cfg.max_table_elems;
  uint64_t max = limits->has_max ? limits->max : UINT32_MAX;
  if (max > UINT32_MAX) max = UINT32_MAX;
  if (max > cap) max = cap;
  if (limits->min > max) {
    kite_fail(err, KITE_ERR_LINK, 0, 0, "table size exceeds the limit");
    return NULL;
  }
  kite_tableinst *t = kite_calloc(s->alloc, 1, sizeof *t);
  /* Not zeroed: every element is set to init below. */
  kite_ref *elems = limits->min && limits->min <= SIZE_MAX / sizeof(kite_ref)
                        ? kite_malloc(s->alloc, (size_t)limits->min * sizeof(kite_ref))
                        : NULL;
  if (!t || (limits->min && !elems)) {
    kite_free(s->alloc, t, sizeof *t);
    kite_free(s->alloc, elems, (size_t)limits->min * sizeof(kite_ref));
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  t->alloc = s->alloc;
  t->store = s;
  t->elem = elem;
  t->limits = *limits;
  t->size = (uint32_t)limits->min;
  t->cap = (size_t)limits->min;
  t->max = (uint32_t)max;
  t->elems = elems;
  for (uint32_t i = 0; i < t->size; i++) t->elems[i] = init.u.ref;
  kite_store_adopt(s, &t->obj, KITE_EXTERN_TABLE);
  return t;
}

void kite_tableinst_release(kite_tableinst *t) {
  kite_free(t->alloc, t->elems, t->cap * sizeof(kite_ref));
}

uint64_t kite_tableinst_grow(kite_tableinst *t, uint64_t delta, kite_ref init) {
  uint32_t old = t->size;
  if (delta > (uint64_t)(t->max - old)) return UINT64_MAX;
  uint32_t n = old + (uint32_t)delta;
  if (n > t->cap) {
    size_t ncap = t->cap * 2 > n ? t->cap * 2 : n;
    if (ncap > t->max) ncap = t->max;
    kite_ref *p =
        kite_realloc(t->alloc, t->elems, t->cap * sizeof(kite_ref), ncap * sizeof(kite_ref));
    if (!p) return UINT64_MAX;
    t->elems = p;
    t->cap = ncap;
  }
  for (uint32_t i = old; i < n; i++) t->elems[i] = init;
  t->size = n;
  return old;
}

uint64_t kite_table_size(const kite_tableinst *t) { return t->size; }

bool kite_table_get(const kite_tableinst *t, uint64_t idx, kite_value *out) {
  if (idx >= t->size) return false;
  memset(out, 0, sizeof *out);
  out->type = t->elem;
  out->type.nullable = 1;
  out->u.ref = t->elems[idx];
  return true;
}

bool kite_table_set(kite_tableinst *t, uint64_t idx, kite_value v) {
  if (idx >= t->size || !ref_type_matches(t->elem, &v)) return false;
  t->elems[idx] = v.u.ref;
  return true;
}

uint64_t kite_table_grow(kite_tableinst *t, uint64_t delta, kite_value init) {
  if (!ref_type_matches(t->elem, &init)) return UINT64_MAX;
  return kite_tableinst_grow(t, delta, init.u.ref);
}

/* ---- globals ---- */

kite_globalinst *kite_global_new(kite_store *s, kite_globaltype type, kite_value init,
                                 kite_error *err) {
  if (init.type.kind != type.type.kind) {
    kite_fail(err, KITE_ERR_USAGE, 0, 0, "global initial value has the wrong type");
    return NULL;
  }
  kite_globalinst *g = kite_calloc(s->alloc, 1, sizeof *g);
  if (!g) {
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  g->store = s;
  g->type = type;
  kite_value_to_slots(&init, g->slots);
  kite_store_adopt(s, &g->obj, KITE_EXTERN_GLOBAL);
  return g;
}

kite_value kite_global_get(const kite_globalinst *g) {
  return kite_value_from_slots(g->type.type, g->slots);
}

bool kite_global_set(kite_globalinst *g, kite_value v, kite_error *err) {
  if (!g->type.mut) return kite_fail(err, KITE_ERR_USAGE, 0, 0, "global is immutable");
  if (v.type.kind != g->type.type.kind)
    return kite_fail(err, KITE_ERR_USAGE, 0, 0, "global value has the wrong type");
  kite_value_to_slots(&v, g->slots);
  return true;
}
