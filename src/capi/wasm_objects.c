/*
** wasm_objects.c: wasm.h's runtime objects over the runtime's: values, functions (host
** callbacks and calls), globals, tables, memories, externs and instances. Each object is
** its store's record (capi.h), so these functions reach the kite object through r->obj.
*/
#include <stdlib.h>

#include "wasm.h"

#include "capi.h"

struct wasm_func_t {
  wasm_capi_ref r;
};
struct wasm_global_t {
  wasm_capi_ref r;
};
struct wasm_table_t {
  wasm_capi_ref r;
};
struct wasm_memory_t {
  wasm_capi_ref r;
};
struct wasm_extern_t {
  wasm_capi_ref r;
};
struct wasm_instance_t {
  wasm_capi_ref r;
};

#define REF(x) ((wasm_capi_ref *)(x))
#define CREF(x) ((const wasm_capi_ref *)(x))

/* ---- values ---- */

/* The hierarchy of a reference type: a type index is a function type unless its
   canonical type is known to be a struct or array. */
static uint32_t ref_top(kite_valtype t, const kite_rtt *rtt) {
  if (kite_ht_is_index(t.ht))
    return rtt && rtt->comp != KITE_COMP_FUNC ? KITE_HT_ANY : KITE_HT_FUNC;
  return kite_capi_heap_top(t.ht);
}

/* A value type's wasm.h kind, knowing its heap type's canonical type. */
static uint8_t valkind_of(kite_valtype t, const kite_rtt *rtt) {
  if (t.kind != KITE_VT_REF) return wasm_capi_valkind(t);
  return ref_top(t, rtt) == KITE_HT_FUNC ? WASM_FUNCREF : WASM_EXTERNREF;
}

/* A WREF_GC reference going in as type t (of hierarchy top). */
static bool gc_in(wasm_store_t *s, const wasm_capi_ref *r, kite_valtype t, const kite_rtt *rtt,
                  uint32_t top, kite_value *out, kite_error *err) {
  if (r->store != s) return kite_fail(err, KITE_ERR_USAGE, 0, 0, "reference of another store");
  const struct kite_heapref *h = r->obj;
  bool ok;
  if (h && h->exn) ok = top == KITE_HT_EXN && t.ht != KITE_HT_NOEXN;
  else if (top == KITE_HT_EXTERN) ok = t.ht == KITE_HT_EXTERN; /* as extern.convert_any */
  else if (top != KITE_HT_ANY || (kite_ht_is_index(t.ht) && !rtt)) ok = false;
  else ok = kite_gc_ref_test(r->gc_value, t.ht, rtt, t.exact);
  if (!ok) return kite_fail(err, KITE_ERR_USAGE, 0, 0, "value has the wrong type");
  out->u.ref = r->gc_value;
  return true;
}

bool wasm_capi_val_in(wasm_store_t *s, const wasm_val_t *v, kite_valtype t, const kite_rtt *rtt,
                      kite_value *out, kite_error *err) {
  memset(out, 0, sizeof *out);
  out->type = t;
  uint32_t top = t.kind == KITE_VT_REF ? ref_top(t, rtt) : 0;
  uint8_t want = valkind_of(t, rtt);
  if (t.kind == KITE_VT_V128)
    return kite_fail(err, KITE_ERR_USAGE, 0, 0, "v128 values cannot pass through wasm.h");
  if (v->kind != want) return kite_fail(err, KITE_ERR_USAGE, 0, 0, "value has the wrong type");
  switch (t.kind) {
  case KITE_VT_I32: out->u.i32 = (uint32_t)v->of.i32; return true;
  case KITE_VT_I64: out->u.i64 = (uint64_t)v->of.i64; return true;
  case KITE_VT_F32: memcpy(&out->u.f32, &v->of.f32, 4); return true;
  case KITE_VT_F64: memcpy(&out->u.f64, &v->of.f64, 8); return true;
  default: break;
  }
  const wasm_capi_ref *r = CREF(v->of.ref);
  if (!r) {
    if (!t.nullable) return kite_fail(err, KITE_ERR_USAGE, 0, 0, "null reference");
    return true;
  }
  if (r->kind == WREF_GC) return gc_in(s, r, t, rtt, top, out, err);
  if (want == WASM_FUNCREF) {
    if (r->kind != WREF_FUNC)
      return kite_fail(err, KITE_ERR_USAGE, 0, 0, "funcref value is not a function");
    out->u.ref = (kite_ref)(uintptr_t)r->obj;
  } else {
    /* A host value is an externref, or (converted) an anyref: nothing narrower. */
    if (top != KITE_HT_EXTERN && t.ht != KITE_HT_ANY)
      return kite_fail(err, KITE_ERR_USAGE, 0, 0, "value has the wrong type");
    if (t.ht == KITE_HT_NOEXTERN)
      return kite_fail(err, KITE_ERR_USAGE, 0, 0, "value has the wrong type");
    /* Records are unique per object and live as long as the store, so the record
       itself is the host value that comes back out. */
    out->u.ref = (kite_ref)(uintptr_t)r + 1;
  }
  return true;
}

bool wasm_capi_val_out(wasm_store_t *s, const kite_value *v, const kite_rtt *rtt, wasm_val_t *out,
                       kite_error *err) {
  memset(out, 0, sizeof *out);
  out->kind = wasm_capi_valkind(v->type);
  switch (v->type.kind) {
  case KITE_VT_I32: out->of.i32 = (int32_t)v->u.i32; return true;
  case KITE_VT_I64: out->of.i64 = (int64_t)v->u.i64; return true;
  case KITE_VT_F32: memcpy(&out->of.f32, &v->u.f32, 4); return true;
  case KITE_VT_F64: memcpy(&out->of.f64, &v->u.f64, 8); return true;
  case KITE_VT_V128:
    return kite_fail(err, KITE_ERR_USAGE, 0, 0, "v128 values cannot pass through wasm.h");
  default: break;
  }
  uint32_t top = ref_top(v->type, rtt);
  out->kind = valkind_of(v->type, rtt);
  if (v->u.ref == KITE_REF_NULL) return true;
  if (top == KITE_HT_FUNC) {
    out->of.ref = (wasm_ref_t *)wasm_capi_record(s, WREF_FUNC, (void *)(uintptr_t)v->u.ref);
  } else if (kite_ref_is_host(v->u.ref)) {
    out->of.ref = (wasm_ref_t *)(uintptr_t)(v->u.ref - 1);
    return true;
  } else {
    out->of.ref = (wasm_ref_t *)wasm_capi_gc_new(s, v->u.ref, top == KITE_HT_EXN);
  }
  if (!out->of.ref) return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
  return true;
}

/* ---- functions ---- */

typedef wasm_trap_t *(*callback_with_env)(void *, const wasm_val_vec_t *, wasm_val_vec_t *);

static bool host_call(void *env, kite_store *ks, const kite_value *args, uint32_t nargs,
                      kite_value *results, uint32_t nresults, kite_error *err) {
  (void)ks;
  wasm_capi_ref *r = env;
  wasm_store_t *s = r->store;
  wasm_val_t small[16], *vals = small;
  size_t n = (size_t)nargs + nresults;
  if (n > 16 && !(vals = calloc(n, sizeof *vals)))
    return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
  wasm_val_vec_t argv = {nargs, vals}, resv = {nresults, vals + nargs};
  memset(vals, 0, n * sizeof *vals);
  bool ok = true;
  for (uint32_t i = 0; i < nargs && ok; i++)
    ok = wasm_capi_val_out(s, &args[i], NULL, &vals[i], err);
  for (uint32_t i = 0; i < nresults && ok; i++) {
    kite_value null = results[i];
    if (null.type.kind == KITE_VT_REF) null.u.ref = KITE_REF_NULL;
    ok = wasm_capi_val_out(s, &null, NULL, &resv.data[i], err);
  }
  if (!ok) {
    kite_error e = *err;
    kite_error_clear(err);
    kite_fail(err, e.kind == KITE_ERR_OOM ? KITE_ERR_OOM : KITE_ERR_RUNTIME,
              e.kind == KITE_ERR_OOM ? 0 : KITE_TRAP_HOST, 0, "%s", e.msg);
  } else {
    wasm_trap_t *trap = r->with_env ? ((callback_with_env)r->callback)(r->env, &argv, &resv)
                                    : ((wasm_func_callback_t)r->callback)(&argv, &resv);
    if (trap) {
      wasm_message_t msg;
      wasm_trap_message(trap, &msg);
      kite_fail(err, KITE_ERR_RUNTIME, KITE_TRAP_HOST, 0, "%s", msg.size ? msg.data : "");
      wasm_byte_vec_delete(&msg);
      wasm_trap_delete(trap);
      ok = false;
    }
    for (uint32_t i = 0; i < nresults && ok; i++) {
      ok = wasm_capi_val_in(s, &resv.data[i], results[i].type, NULL, &results[i], err);
      if (!ok) {
        kite_error e = *err;
        kite_error_clear(err);
        kite_fail(err, KITE_ERR_RUNTIME, KITE_TRAP_HOST, 0, "host function result: %s", e.msg);
      }
    }
  }
  /* Arguments were borrowed by the callback and results handed over: release the GC
     references among them (once each, should a result be an argument itself). */
  for (size_t i = 0; i < n; i++) {
    wasm_capi_ref *g = REF(vals[i].of.ref);
    if (!wasm_valkind_is_ref(vals[i].kind) || !g || g->kind != WREF_GC) continue;
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++)
      seen = wasm_valkind_is_ref(vals[j].kind) && vals[j].of.ref == vals[i].of.ref;
    if (!seen) wasm_capi_gc_delete(g);
  }
  if (vals != small) free(vals);
  return ok;
}

static wasm_func_t *func_new(wasm_store_t *s, const wasm_functype_t *type, void *cb, bool with_env,
                             void *env, void (*finalizer)(void *)) {
  kite_valtype small[32], *buf = small;
  size_t n = wasm_functype_params(type)->size + wasm_functype_results(type)->size;
  wasm_capi_ref *r = NULL;
  if (n > 32 && !(buf = calloc(n, sizeof *buf))) goto done;
  kite_functype ft;
  kite_error err;
  kite_error_clear(&err);
  if (!wasm_capi_kite_functype(type, buf, n > 32 ? n : 32, &ft)) goto done;
  kite_funcinst *f = kite_func_new_host(s->store, &ft, host_call, NULL, &err);
  if (f) r = wasm_capi_record(s, WREF_FUNC, f);
  if (r) {
    f->env = r;
    r->callback = cb;
    r->with_env = with_env;
    r->env = env;
    r->env_finalizer = finalizer;
  }
done:
  if (buf != small) free(buf);
  if (!r && finalizer) finalizer(env);
  return (wasm_func_t *)r;
}

wasm_func_t *wasm_func_new(wasm_store_t *s, const wasm_functype_t *type, wasm_func_callback_t cb) {
  return func_new(s, type, (void *)cb, false, NULL, NULL);
}

wasm_func_t *wasm_func_new_with_env(wasm_store_t *s, const wasm_functype_t *type,
                                    wasm_func_callback_with_env_t cb, void *env,
                                    void (*finalizer)(void *)) {
  return func_new(s, type, (void *)cb, true, env, finalizer);
}

static kite_funcinst *func_of(const wasm_func_t *f) { return f->r.obj; }

wasm_functype_t *wasm_func_type(const wasm_func_t *f) {
  return wasm_capi_functype(kite_func_type(func_of(f)));
}
size_t wasm_func_param_arity(const wasm_func_t *f) { return kite_func_type(func_of(f))->nparams; }
size_t wasm_func_result_arity(const wasm_func_t *f) { return kite_func_type(func_of(f))->nresults; }

wasm_trap_t *wasm_func_call(const wasm_func_t *func, const wasm_val_vec_t *args,
                            wasm_val_vec_t *results) {
  wasm_store_t *s = func->r.store;
  kite_funcinst *f = func_of(func);
  const kite_functype *t = kite_func_type(f);
  kite_error err;
  kite_error_clear(&err);
  size_t nargs = args ? args->size : 0, nres = results ? results->size : 0;
  if (nargs != t->nparams || nres < t->nresults) {
    kite_fail(&err, KITE_ERR_USAGE, 0, 0, "expected %u arguments and %u results", t->nparams,
              t->nresults);
    return wasm_capi_trap_from_error(s, &err);
  }
  kite_value small[16], *vals = small;
  size_t n = (size_t)t->nparams + t->nresults;
  if (n > 16 && !(vals = calloc(n, sizeof *vals))) {
    kite_fail(&err, KITE_ERR_OOM, 0, 0, "out of memory");
    return wasm_capi_trap_from_error(s, &err);
  }
  bool ok = true;
  for (uint32_t i = 0; i < t->nparams && ok; i++)
    ok = wasm_capi_val_in(s, &args->data[i], t->params[i], kite_capi_rtt(f->inst, t->params[i]),
                          &vals[i], &err);
  if (ok) ok = kite_func_call(s->store, f, vals, t->nparams, vals + t->nparams, t->nresults, &err);
  uint32_t done = 0;
  for (; done < t->nresults && ok; done++)
    ok = wasm_capi_val_out(s, &vals[t->nparams + done], kite_capi_rtt(f->inst, t->results[done]),
                           &results->data[done], &err);
  if (!ok)
    for (uint32_t i = 0; i + 1 < done; i++) wasm_val_delete(&results->data[i]);
  if (vals != small) free(vals);
  return ok ? NULL : wasm_capi_trap_from_error(s, &err);
}

/* ---- globals ---- */

wasm_global_t *wasm_global_new(wasm_store_t *s, const wasm_globaltype_t *gt, const wasm_val_t *v) {
  kite_globaltype t;
  t.type = wasm_capi_kite_valtype(wasm_valtype_kind(wasm_globaltype_content(gt)));
  t.mut = wasm_globaltype_mutability(gt) == WASM_VAR;
  kite_error err;
  kite_error_clear(&err);
  kite_value init;
  if (!wasm_capi_val_in(s, v, t.type, NULL, &init, &err)) return NULL;
  kite_globalinst *g = kite_global_new(s->store, t, init, &err);
  return g ? (wasm_global_t *)wasm_capi_record(s, WREF_GLOBAL, g) : NULL;
}

wasm_globaltype_t *wasm_global_type(const wasm_global_t *g) {
  const kite_globalinst *gi = g->r.obj;
  return wasm_globaltype_new(wasm_valtype_new(valkind_of(gi->type.type, gi->rtt)),
                             gi->type.mut ? WASM_VAR : WASM_CONST);
}

void wasm_global_get(const wasm_global_t *g, wasm_val_t *out) {
  const kite_globalinst *gi = g->r.obj;
  kite_value v = kite_global_get(gi);
  kite_error err;
  kite_error_clear(&err);
  if (!wasm_capi_val_out(g->r.store, &v, gi->rtt, out, &err) && wasm_valkind_is_ref(out->kind))
    out->of.ref = NULL; /* no memory for the reference: reads as null */
}

void wasm_global_set(wasm_global_t *g, const wasm_val_t *v) {
  kite_globalinst *gi = g->r.obj;
  kite_error err;
  kite_error_clear(&err);
  kite_value iv;
  if (wasm_capi_val_in(g->r.store, v, gi->type.type, gi->rtt, &iv, &err))
    kite_global_set(gi, iv, &err);
}

/* ---- tables ---- */

static bool ref_value(wasm_store_t *s, wasm_ref_t *ref, kite_valtype t, const kite_rtt *rtt,
                      kite_value *out) {
  wasm_val_t v;
  v.kind = kite_ht_is_index(t.ht) && rtt && rtt->comp != KITE_COMP_FUNC ? WASM_EXTERNREF
                                                                        : wasm_capi_valkind(t);
  v.of.ref = ref;
  kite_error err;
  kite_error_clear(&err);
  return wasm_capi_val_in(s, &v, t, rtt, out, &err);
}

wasm_table_t *wasm_table_new(wasm_store_t *s, const wasm_tabletype_t *tt, wasm_ref_t *init) {
  kite_valtype elem = wasm_capi_kite_valtype(wasm_valtype_kind(wasm_tabletype_element(tt)));
  if (elem.kind != KITE_VT_REF) return NULL;
  const wasm_limits_t *wl = wasm_tabletype_limits(tt);
  kite_limits l;
  memset(&l, 0, sizeof l);
  l.min = wl->min;
  l.has_max = wl->max != wasm_limits_max_default;
  l.max = l.has_max ? wl->max : 0;
  if (l.has_max && l.max < l.min) return NULL;
  kite_value v;
  if (!ref_value(s, init, elem, NULL, &v)) return NULL;
  kite_error err;
  kite_error_clear(&err);
  kite_tableinst *t = kite_table_new(s->store, elem, &l, v, &err);
  return t ? (wasm_table_t *)wasm_capi_record(s, WREF_TABLE, t) : NULL;
}

wasm_tabletype_t *wasm_table_type(const wasm_table_t *t) {
  const kite_tableinst *ti = t->r.obj;
  kite_limits l = ti->limits;
  l.min = ti->size;
  wasm_limits_t wl = wasm_capi_limits(&l);
  return wasm_tabletype_new(wasm_valtype_new(valkind_of(ti->elem, ti->elem_rtt)), &wl);
}

wasm_ref_t *wasm_table_get(const wasm_table_t *t, wasm_table_size_t index) {
  const kite_tableinst *ti = t->r.obj;
  kite_value v;
  if (!kite_table_get(ti, index, &v)) return NULL;
  wasm_val_t out;
  kite_error err;
  kite_error_clear(&err);
  return wasm_capi_val_out(t->r.store, &v, ti->elem_rtt, &out, &err) ? out.of.ref : NULL;
}

bool wasm_table_set(wasm_table_t *t, wasm_table_size_t index, wasm_ref_t *ref) {
  kite_tableinst *ti = t->r.obj;
  kite_value v;
  return ref_value(t->r.store, ref, ti->elem, ti->elem_rtt, &v) && kite_table_set(ti, index, v);
}

wasm_table_size_t wasm_table_size(const wasm_table_t *t) {
  uint64_t n = kite_table_size(t->r.obj);
  return n > UINT32_MAX ? UINT32_MAX : (wasm_table_size_t)n;
}

bool wasm_table_grow(wasm_table_t *t, wasm_table_size_t delta, wasm_ref_t *init) {
  kite_tableinst *ti = t->r.obj;
  kite_value v;
  return ref_value(t->r.store, init, ti->elem, ti->elem_rtt, &v) &&
         kite_table_grow(ti, delta, v) != UINT64_MAX;
}

/* ---- memories ---- */

wasm_memory_t *wasm_memory_new(wasm_store_t *s, const wasm_memorytype_t *mt) {
  const wasm_limits_t *wl = wasm_memorytype_limits(mt);
  kite_limits l;
  memset(&l, 0, sizeof l);
  l.min = wl->min;
  l.has_max = wl->max != wasm_limits_max_default;
  l.max = l.has_max ? wl->max : 0;
  l.page_size_log2 = 16;
  if (l.min > 65536 || (l.has_max && (l.max < l.min || l.max > 65536))) return NULL;
  kite_error err;
  kite_error_clear(&err);
  kite_meminst *m = kite_memory_new(s->store, &l, &err);
  return m ? (wasm_memory_t *)wasm_capi_record(s, WREF_MEMORY, m) : NULL;
}

wasm_memorytype_t *wasm_memory_type(const wasm_memory_t *m) {
  const kite_meminst *mi = m->r.obj;
  kite_limits l = mi->limits;
  l.min = mi->pages;
  wasm_limits_t wl = wasm_capi_limits(&l);
  return wasm_memorytype_new(&wl);
}

byte_t *wasm_memory_data(wasm_memory_t *m) { return (byte_t *)kite_memory_data(m->r.obj); }
size_t wasm_memory_data_size(const wasm_memory_t *m) {
  return (size_t)kite_memory_size_bytes(m->r.obj);
}
wasm_memory_pages_t wasm_memory_size(const wasm_memory_t *m) {
  return (wasm_memory_pages_t)kite_memory_size(m->r.obj);
}
bool wasm_memory_grow(wasm_memory_t *m, wasm_memory_pages_t delta) {
  return kite_memory_grow(m->r.obj, delta) != UINT64_MAX;
}

/* ---- externs ---- */

wasm_externkind_t wasm_extern_kind(const wasm_extern_t *x) {
  switch (x->r.kind) {
  case WREF_FUNC: return WASM_EXTERN_FUNC;
  case WREF_GLOBAL: return WASM_EXTERN_GLOBAL;
  case WREF_TABLE: return WASM_EXTERN_TABLE;
  case WREF_MEMORY: return WASM_EXTERN_MEMORY;
  default: return WASM_EXTERN_TAG;
  }
}

wasm_externtype_t *wasm_extern_type(const wasm_extern_t *x) {
  switch (x->r.kind) {
  case WREF_FUNC: return wasm_functype_as_externtype(wasm_func_type((const wasm_func_t *)x));
  case WREF_GLOBAL:
    return wasm_globaltype_as_externtype(wasm_global_type((const wasm_global_t *)x));
  case WREF_TABLE: return wasm_tabletype_as_externtype(wasm_table_type((const wasm_table_t *)x));
  case WREF_MEMORY:
    return wasm_memorytype_as_externtype(wasm_memory_type((const wasm_memory_t *)x));
  default: {
    const kite_taginst *t = x->r.obj;
    return wasm_tagtype_as_externtype(wasm_tagtype_new(wasm_capi_functype(kite_tag_type(t))));
  }
  }
}

#define EXTERN_VIEWS(name, kind_)                                                                  \
  wasm_extern_t *wasm_##name##_as_extern(wasm_##name##_t *x) { return (wasm_extern_t *)x; }        \
  const wasm_extern_t *wasm_##name##_as_extern_const(const wasm_##name##_t *x) {                   \
    return (const wasm_extern_t *)x;                                                               \
  }                                                                                                \
  wasm_##name##_t *wasm_extern_as_##name(wasm_extern_t *x) {                                       \
    return x && x->r.kind == (kind_) ? (wasm_##name##_t *)x : NULL;                                \
  }                                                                                                \
  const wasm_##name##_t *wasm_extern_as_##name##_const(const wasm_extern_t *x) {                   \
    return x && x->r.kind == (kind_) ? (const wasm_##name##_t *)x : NULL;                          \
  }

EXTERN_VIEWS(func, WREF_FUNC)
EXTERN_VIEWS(global, WREF_GLOBAL)
EXTERN_VIEWS(table, WREF_TABLE)
EXTERN_VIEWS(memory, WREF_MEMORY)

/* ---- instances ---- */

static uint8_t record_kind(uint8_t kite_kind) {
  switch (kite_kind) {
  case KITE_EXTERN_FUNC: return WREF_FUNC;
  case KITE_EXTERN_TABLE: return WREF_TABLE;
  case KITE_EXTERN_MEMORY: return WREF_MEMORY;
  case KITE_EXTERN_GLOBAL: return WREF_GLOBAL;
  default: return WREF_TAG;
  }
}

static bool extern_of(const wasm_capi_ref *r, kite_extern *out) {
  switch (r->kind) {
  case WREF_FUNC: *out = kite_extern_func(r->obj); return true;
  case WREF_GLOBAL: *out = kite_extern_global(r->obj); return true;
  case WREF_TABLE: *out = kite_extern_table(r->obj); return true;
  case WREF_MEMORY: *out = kite_extern_memory(r->obj); return true;
  case WREF_TAG: *out = kite_extern_tag(r->obj); return true;
  default: return false;
  }
}

static void *extern_object(const kite_extern *x) {
  switch (x->kind) {
  case KITE_EXTERN_FUNC: return x->u.func;
  case KITE_EXTERN_TABLE: return x->u.table;
  case KITE_EXTERN_MEMORY: return x->u.memory;
  case KITE_EXTERN_GLOBAL: return x->u.global;
  default: return x->u.tag;
  }
}

wasm_instance_t *wasm_instance_new(wasm_store_t *s, const wasm_module_t *module,
                                   const wasm_extern_vec_t *imports, wasm_trap_t **trap) {
  if (trap) *trap = NULL;
  const kite_module *m = wasm_capi_module(module);
  kite_error err;
  kite_error_clear(&err);
  size_t n = m->nimports;
  kite_extern *externs = calloc(n ? n : 1, sizeof *externs);
  kite_instance *inst = NULL;
  if (!externs) {
    kite_fail(&err, KITE_ERR_OOM, 0, 0, "out of memory");
  } else {
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
      const wasm_extern_t *x = imports && i < imports->size ? imports->data[i] : NULL;
      const kite_import *imp = &m->imports[i];
      if (!x || !extern_of(&x->r, &externs[i]))
        ok = kite_fail(&err, KITE_ERR_LINK, 0, 0, "unknown import \"%.*s\" \"%.*s\"",
                       (int)imp->module.len, (const char *)imp->module.ptr, (int)imp->field.len,
                       (const char *)imp->field.ptr);
    }
    if (ok) inst = kite_capi_instantiate(s->store, m, externs, &err);
    free(externs);
  }
  wasm_capi_ref *r = inst ? wasm_capi_record(s, WREF_INSTANCE, inst) : NULL;
  if (!r && trap) {
    if (inst) kite_fail(&err, KITE_ERR_OOM, 0, 0, "out of memory");
    *trap = wasm_capi_trap_from_error(s, &err);
  }
  return (wasm_instance_t *)r;
}

void wasm_instance_exports(const wasm_instance_t *instance, wasm_extern_vec_t *out) {
  const kite_instance *inst = instance->r.obj;
  const kite_module *m = kite_instance_module(inst);
  wasm_extern_vec_new_uninitialized(out, m->nexports);
  for (size_t i = 0; i < out->size; i++) {
    const kite_export *x = &m->exports[i];
    kite_extern ext;
    out->data[i] = NULL;
    if (!kite_instance_export(inst, (const char *)x->name.ptr, x->name.len, &ext)) continue;
    out->data[i] = (wasm_extern_t *)wasm_capi_record(instance->r.store, record_kind(ext.kind),
                                                     extern_object(&ext));
  }
}
