/*
** kite_objects.c: functions (host functions with finalizers, calls), memories, tables,
** globals and tags of kite.h, over the runtime's objects.
*/
#include "capi.h"

/* ---- host functions ---- */

typedef struct host_record {
  kite_finalizer fin;
  kite_host_func cb;
  void *data;
  void (*finalizer)(void *data);
} host_record;

static void release_host_record(kite_finalizer *f, kite_store *s) {
  host_record *r = (host_record *)f;
  if (r->finalizer) r->finalizer(r->data);
  kite_free(s->alloc, r, sizeof *r);
}

#define SMALL_VALS 8

/* Adapts the runtime's host calling convention to kite_host_func. */
static bool host_trampoline(void *env, kite_store *s, const kite_value *args, uint32_t nargs,
                            kite_value *results, uint32_t nresults, kite_error *err) {
  host_record *r = env;
  kite_val small[2 * SMALL_VALS], *vals = small;
  size_t n = (size_t)nargs + nresults;
  if (n > KITE_ARRAY_LEN(small)) {
    vals = kite_calloc(s->alloc, n, sizeof *vals);
    if (!vals) return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
  }
  kite_val *pub_args = vals, *pub_results = vals + nargs;
  memset(vals, 0, n * sizeof *vals);
  bool ok = true;
  /* Arguments are borrowed: handles made for them are released after the call. */
  for (uint32_t i = 0; i < nargs && ok; i++)
    if (!kite_capi_value_out(s, &args[i], NULL, &pub_args[i], err)) {
      ok = false;
      if (err->kind == KITE_ERR_USAGE) {
        kite_error_clear(err);
        kite_fail(err, KITE_ERR_RUNTIME, KITE_TRAP_HOST, 0,
                  "host function argument %u: references of this type cannot go to the host", i);
      }
    }
  for (uint32_t i = 0; i < nresults; i++) {
    kite_value null = results[i];
    if (null.type.kind == KITE_VT_REF) null.u.ref = KITE_REF_NULL; /* never a handle */
    kite_capi_value_out(NULL, &null, NULL, &pub_results[i], NULL);
  }
  if (ok) ok = r->cb(r->data, s, pub_args, nargs, pub_results, nresults, err);
  if (ok) {
    for (uint32_t i = 0; i < nresults && ok; i++) {
      pub_results[i].type.kind = results[i].type.kind; /* only the payload is the callee's */
      ok = kite_capi_value_in(s, &pub_results[i], results[i].type, NULL, &results[i], err);
    }
    if (!ok) {
      kite_error usage = *err;
      kite_error_clear(err);
      kite_fail(err, KITE_ERR_RUNTIME, KITE_TRAP_HOST, 0, "host function result: %s", usage.msg);
    }
  } else if (!kite_failed(err)) {
    kite_fail(err, KITE_ERR_RUNTIME, KITE_TRAP_HOST, 0, "host function failed");
  }
  for (uint32_t i = 0; i < nargs; i++) kite_ref_release(s, pub_args[i]);
  if (vals != small) kite_free(s->alloc, vals, n * sizeof *vals);
  return ok;
}

/* A function type over caller-provided arrays of at most `cap` values each. */
static bool build_functype(const kite_type *params, size_t np, const kite_type *results, size_t nr,
                           kite_valtype *buf, size_t cap, kite_functype *out, kite_error *err) {
  if (np + nr > cap || np > UINT32_MAX || nr > UINT32_MAX)
    return kite_error_set(err, KITE_ERR_USAGE, 0, "too many parameters and results");
  for (size_t i = 0; i < np; i++) buf[i] = kite_capi_valtype(params[i]);
  for (size_t i = 0; i < nr; i++) buf[np + i] = kite_capi_valtype(results[i]);
  out->nparams = (uint32_t)np;
  out->nresults = (uint32_t)nr;
  out->params = buf;
  out->results = buf + np;
  return true;
}

#define MAX_SIG 1000 /* the limit engines agree on for parameters and for results */

kite_funcinst *kite_func_create(kite_store *s, const kite_type *params, size_t nparams,
                                const kite_type *results, size_t nresults, kite_host_func cb,
                                void *data, void (*finalizer)(void *data), kite_error *err) {
  kite_error local;
  if (!err) err = &local;
  kite_error_clear(err);
  kite_funcinst *f = NULL;
  kite_valtype small[16], *buf = small;
  size_t n = nparams + nresults;
  host_record *r = NULL;
  if (nparams > MAX_SIG || nresults > MAX_SIG || !cb) {
    kite_error_set(err, KITE_ERR_USAGE, 0, cb ? "too many parameters or results" : "no callback");
    goto done;
  }
  if (n > KITE_ARRAY_LEN(small) && !(buf = kite_calloc(s->alloc, n, sizeof *buf))) {
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    goto done;
  }
  kite_functype ft;
  if (!build_functype(params, nparams, results, nresults, buf, n ? n : 1, &ft, err)) goto done;
  r = kite_calloc(s->alloc, 1, sizeof *r);
  if (!r) {
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    goto done;
  }
  r->fin.release = release_host_record;
  r->cb = cb;
  r->data = data;
  r->finalizer = finalizer;
  f = kite_func_new_host(s, &ft, host_trampoline, r, err);
  if (f) kite_store_adopt(s, &r->fin.obj, KITE_OBJ_FINALIZER);
done:
  if (buf != small) kite_free(s->alloc, buf, n * sizeof *buf);
  if (!f) {
    kite_free(s->alloc, r, sizeof *r);
    if (finalizer) finalizer(data);
  }
  return f;
}

bool kite_call(kite_store *s, kite_funcinst *f, const kite_val *args, size_t nargs,
               kite_val *results, size_t nresults, kite_error *err) {
  kite_error local;
  if (!err) err = &local;
  kite_error_clear(err);
  if (!f) return kite_error_set(err, KITE_ERR_USAGE, 0, "no function");
  const kite_functype *t = f->type;
  if (nargs != t->nparams)
    return kite_error_set(err, KITE_ERR_USAGE, 0, "expected %u arguments, got %zu", t->nparams,
                          nargs);
  if (nresults < t->nresults)
    return kite_error_set(err, KITE_ERR_USAGE, 0, "room for %zu results, the function has %u",
                          nresults, t->nresults);
  kite_value small[2 * SMALL_VALS], *vals = small;
  size_t n = (size_t)t->nparams + t->nresults;
  if (n > KITE_ARRAY_LEN(small)) {
    vals = kite_calloc(s->alloc, n, sizeof *vals);
    if (!vals) return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
  }
  kite_value *in = vals, *out = vals + t->nparams;
  bool ok = true;
  for (uint32_t i = 0; i < t->nparams && ok; i++) {
    ok = kite_capi_value_in(s, &args[i], t->params[i], kite_capi_rtt(f->inst, t->params[i]), &in[i],
                            err);
    if (!ok) {
      kite_error e = *err;
      kite_error_clear(err);
      kite_error_set(err, KITE_ERR_USAGE, 0, "argument %u: %s", i, e.msg);
    }
  }
  if (ok) ok = kite_func_call(s, f, in, t->nparams, out, t->nresults, err);
  uint32_t done = 0;
  for (; done < t->nresults && ok; done++)
    if (!kite_capi_value_out(s, &out[done], kite_capi_rtt(f->inst, t->results[done]),
                             &results[done], err)) {
      ok = false;
      if (err->kind == KITE_ERR_USAGE) {
        kite_error_clear(err);
        kite_error_set(err, KITE_ERR_USAGE, 0,
                       "result %u: references of this type cannot go to the host", done);
      }
    }
  if (!ok)
    for (uint32_t i = 0; i + 1 < done; i++) kite_ref_release(s, results[i]);
  if (vals != small) kite_free(s->alloc, vals, n * sizeof *vals);
  if (!ok) kite_capi_drop_offset(err);
  return ok;
}

/* ---- memories ---- */

kite_meminst *kite_memory_create(kite_store *s, const kite_memory_desc *desc, kite_error *err) {
  kite_error local;
  if (!err) err = &local;
  kite_error_clear(err);
  kite_limits l;
  if (!kite_capi_limits_from_memory(desc, &l, err)) return NULL;
  uint64_t cap = l.is64 ? (l.page_size_log2 == 16 ? (1ull << 48) : UINT64_MAX)
                        : (l.page_size_log2 == 16 ? 65536 : (1ull << 32) - 1);
  if (l.min > cap || (l.has_max && l.max > cap)) {
    kite_error_set(err, KITE_ERR_USAGE, 0, "memory size must be at most %llu pages",
                   (unsigned long long)cap);
    return NULL;
  }
  return kite_memory_new(s, &l, err);
}

void kite_memory_describe(const kite_meminst *m, kite_memory_desc *out) {
  kite_capi_memory_desc(&m->limits, out);
  out->initial = m->pages;
}

bool kite_memory_is_shared(const kite_meminst *m) { return m->limits.shared; }

/* ---- tables ---- */

kite_tableinst *kite_table_create(kite_store *s, const kite_table_desc *desc, kite_val init,
                                  kite_error *err) {
  kite_error local;
  if (!err) err = &local;
  kite_error_clear(err);
  if (desc->element.kind != KITE_REF) {
    kite_error_set(err, KITE_ERR_USAGE, 0, "a table's elements must be references");
    return NULL;
  }
  if (desc->has_maximum && desc->maximum < desc->initial) {
    kite_error_set(err, KITE_ERR_USAGE, 0, "size minimum must not be greater than maximum");
    return NULL;
  }
  kite_valtype elem = kite_capi_valtype(desc->element);
  kite_value v;
  if (!kite_capi_value_in(s, &init, elem, NULL, &v, err)) return NULL;
  kite_limits l;
  memset(&l, 0, sizeof l);
  l.min = desc->initial;
  l.max = desc->maximum;
  l.has_max = desc->has_maximum;
  l.is64 = desc->is64;
  return kite_table_new(s, elem, &l, v, err);
}

void kite_table_describe(const kite_tableinst *t, kite_table_desc *out) {
  kite_capi_table_desc(t->elem, &t->limits, out);
  out->initial = t->size;
}

bool kite_table_read(const kite_tableinst *t, uint64_t index, kite_val *out, kite_error *err) {
  kite_error local;
  if (!err) err = &local;
  kite_error_clear(err);
  kite_value v;
  if (!kite_table_get(t, index, &v))
    return kite_error_set(err, KITE_ERR_RUNTIME, KITE_TRAP_TABLE_OOB, "out of bounds table access");
  return kite_capi_value_out(t->store, &v, t->elem_rtt, out, err);
}

bool kite_table_write(kite_tableinst *t, uint64_t index, kite_val v, kite_error *err) {
  kite_error local;
  if (!err) err = &local;
  kite_error_clear(err);
  kite_value iv;
  if (!kite_capi_value_in(t->store, &v, t->elem, t->elem_rtt, &iv, err)) return false;
  if (!kite_table_set(t, index, iv))
    return kite_error_set(err, KITE_ERR_RUNTIME, KITE_TRAP_TABLE_OOB, "out of bounds table access");
  return true;
}

uint64_t kite_table_grow_by(kite_tableinst *t, uint64_t delta, kite_val init) {
  kite_value iv;
  kite_error err;
  kite_error_clear(&err);
  if (!kite_capi_value_in(t->store, &init, t->elem, t->elem_rtt, &iv, &err)) return UINT64_MAX;
  return kite_table_grow(t, delta, iv);
}

/* ---- globals ---- */

kite_globalinst *kite_global_create(kite_store *s, const kite_global_desc *desc, kite_val init,
                                    kite_error *err) {
  kite_error local;
  if (!err) err = &local;
  kite_error_clear(err);
  kite_globaltype gt;
  gt.type = kite_capi_valtype(desc->value);
  gt.mut = desc->mutable_;
  kite_value v;
  if (!kite_capi_value_in(s, &init, gt.type, NULL, &v, err)) return NULL;
  return kite_global_new(s, gt, v, err);
}

void kite_global_describe(const kite_globalinst *g, kite_global_desc *out) {
  out->value = kite_capi_type(g->type.type);
  out->mutable_ = g->type.mut;
}

kite_val kite_global_value(const kite_globalinst *g) {
  kite_value v = kite_global_get(g);
  kite_val out;
  kite_error err;
  kite_error_clear(&err);
  kite_capi_value_out(g->store, &v, g->rtt, &out, &err); /* null when no handle could be made */
  return out;
}

bool kite_global_set_value(kite_globalinst *g, kite_val v, kite_error *err) {
  kite_error local;
  if (!err) err = &local;
  kite_error_clear(err);
  if (!g->type.mut) return kite_error_set(err, KITE_ERR_USAGE, 0, "global is immutable");
  kite_value iv;
  if (!kite_capi_value_in(g->store, &v, g->type.type, g->rtt, &iv, err)) return false;
  return kite_global_set(g, iv, err);
}

/* ---- tags ---- */

kite_taginst *kite_tag_create(kite_store *s, const kite_type *params, size_t nparams,
                              kite_error *err) {
  kite_error local;
  if (!err) err = &local;
  kite_error_clear(err);
  if (nparams > MAX_SIG) {
    kite_error_set(err, KITE_ERR_USAGE, 0, "too many parameters");
    return NULL;
  }
  kite_valtype small[16], *buf = small;
  if (nparams > KITE_ARRAY_LEN(small) && !(buf = kite_calloc(s->alloc, nparams, sizeof *buf))) {
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  kite_functype ft;
  kite_taginst *t = NULL;
  if (build_functype(params, nparams, NULL, 0, buf, nparams ? nparams : 1, &ft, err))
    t = kite_tag_new(s, &ft, err);
  if (buf != small) kite_free(s->alloc, buf, nparams * sizeof *buf);
  return t;
}

const kite_functype *kite_tag_type(const kite_taginst *t) { return t->type; }
