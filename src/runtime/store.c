/*
** store.c: stores, the objects they own, and host functions and tags.
*/
#include "runtime.h"

#include "exec.h"

kite_store *kite_store_new(kite_engine *e) {
  kite_store *s = kite_calloc(&e->alloc, 1, sizeof *s);
  if (!s) return NULL;
  s->engine = e;
  s->alloc = &e->alloc;
  s->fuel = e->cfg.initial_fuel;
  s->gc = kite_gc_new(s->alloc);
  if (!s->gc) {
    kite_free(s->alloc, s, sizeof *s);
    return NULL;
  }
  return s;
}

kite_engine *kite_store_engine(const kite_store *s) { return s->engine; }

void kite_store_adopt(kite_store *s, kite_object *o, uint8_t kind) {
  o->kind = kind;
  o->next = s->objects;
  s->objects = o;
}

/* Host functions and tags carry a copy of their type after the object. */
static size_t typed_object_size(size_t base, const kite_functype *t) {
  return base + sizeof(kite_functype) + ((size_t)t->nparams + t->nresults) * sizeof(kite_valtype);
}

static kite_functype *copy_functype(void *dst, const kite_functype *t) {
  kite_functype *c = dst;
  c->nparams = t->nparams;
  c->nresults = t->nresults;
  c->params = (kite_valtype *)(c + 1);
  c->results = c->params + t->nparams;
  if (t->nparams) memcpy(c->params, t->params, t->nparams * sizeof(kite_valtype));
  if (t->nresults) memcpy(c->results, t->results, t->nresults * sizeof(kite_valtype));
  return c;
}

static uint32_t count_slots(const kite_valtype *ts, uint32_t n) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; i++) k += kite_slots_of(ts[i]);
  return k;
}

void kite_funcinst_init_slots(kite_funcinst *f) {
  f->nslots_params = count_slots(f->type->params, f->type->nparams);
  f->nslots_results = count_slots(f->type->results, f->type->nresults);
}

kite_funcinst *kite_func_new_host(kite_store *s, const kite_functype *type, kite_host_fn cb,
                                  void *env, kite_error *err) {
  size_t base = (sizeof(kite_funcinst) + 15) & ~(size_t)15;
  kite_funcinst *f = kite_calloc(s->alloc, 1, typed_object_size(base, type));
  if (!f) {
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  f->type = copy_functype((char *)f + base, type);
  f->rtt = kite_gc_functype_rtt(s->engine, f->type, err);
  if (!f->rtt) {
    kite_free(s->alloc, f, typed_object_size(base, type));
    return NULL;
  }
  f->host = cb;
  f->env = env;
  f->index = UINT32_MAX;
  kite_funcinst_init_slots(f);
  kite_store_adopt(s, &f->obj, KITE_EXTERN_FUNC);
  return f;
}

kite_taginst *kite_tag_new(kite_store *s, const kite_functype *type, kite_error *err) {
  size_t base = (sizeof(kite_taginst) + 15) & ~(size_t)15;
  kite_taginst *t = kite_calloc(s->alloc, 1, typed_object_size(base, type));
  if (!t) {
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  t->type = copy_functype((char *)t + base, type);
  t->owns_type = true;
  t->rtt = kite_gc_functype_rtt(s->engine, t->type, err);
  if (!t->rtt) {
    kite_free(s->alloc, t, typed_object_size(base, type));
    return NULL;
  }
  kite_store_adopt(s, &t->obj, KITE_EXTERN_TAG);
  return t;
}

const kite_functype *kite_func_type(const kite_funcinst *f) { return f->type; }

static void free_object(kite_store *s, kite_object *o) {
  switch (o->kind) {
  case KITE_EXTERN_FUNC: {
    kite_funcinst *f = (kite_funcinst *)o;
    size_t base = (sizeof(kite_funcinst) + 15) & ~(size_t)15;
    if (!f->inst) kite_gc_release_rtt(s->engine, f->rtt);
    kite_free(s->alloc, f, f->inst ? sizeof *f : typed_object_size(base, f->type));
    break;
  }
  case KITE_EXTERN_TABLE:
    kite_tableinst_release((kite_tableinst *)o);
    kite_free(s->alloc, o, sizeof(kite_tableinst));
    break;
  case KITE_EXTERN_MEMORY: kite_meminst_drop((kite_meminst *)o); break;
  case KITE_EXTERN_GLOBAL: kite_free(s->alloc, o, sizeof(kite_globalinst)); break;
  case KITE_EXTERN_TAG: {
    kite_taginst *t = (kite_taginst *)o;
    size_t base = (sizeof(kite_taginst) + 15) & ~(size_t)15;
    if (t->owns_type) kite_gc_release_rtt(s->engine, t->rtt);
    kite_free(s->alloc, t, t->owns_type ? typed_object_size(base, t->type) : sizeof *t);
    break;
  }
  case KITE_OBJ_INSTANCE: kite_instance_release(s, (kite_instance *)o); break;
  case KITE_OBJ_FINALIZER: ((kite_finalizer *)o)->release((kite_finalizer *)o, s); break;
  }
}

void kite_store_free(kite_store *s) {
  if (!s) return;
  /* The heap first: its objects' types are released with the instances. */
  kite_gc_free(s->gc);
  s->gc = NULL;
  kite_object *o = s->objects;
  while (o) {
    kite_object *next = o->next;
    free_object(s, o);
    o = next;
  }
  kite_exn_release_all(s);
  kite_exec_store_release(s);
  kite_free(s->alloc, s, sizeof *s);
}

const kite_trace *kite_store_trace(const kite_store *s) { return &s->trace; }
