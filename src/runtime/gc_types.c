/*
** gc_types.c: the engine's canonical runtime types (kite_rtt) and reference type
** matching across modules.
**
** Types are canonicalised at instantiation: each recursion group of the module is
** encoded as tokens in which references into the group are relative and references to
** earlier groups name their canonical id (as kite_types_canon does within one module).
** Equal encodings are equivalent groups (iso-recursive equivalence), so a hash table of
** the encodings seen by the engine gives each group its canonical rtts, and type
** identity becomes pointer identity everywhere at run time: call_indirect, casts, and
** import matching. The registry belongs to the engine, not a store, because stores
** share objects (host functions, shared memories: wasi-threads runs one store per
** thread); a mutex serialises canonicalisation, and rtts, once published, are
** immutable. The registry only grows; it is freed with the engine.
*/
#include <pthread.h>

#include "runtime.h"

#include "valid.h"

/* A recursion group of the registry: its encoding is tokens[start, start + len). */
typedef struct rgroup {
  uint32_t start, len;
  uint32_t first; /* id of its first type */
  uint32_t hash;
} rgroup;

struct kite_typereg {
  kite_alloc *alloc;
  pthread_mutex_t lock;
  KITE_VEC(kite_rtt *) types; /* every canonical type, by id */
  KITE_VEC(uint32_t) tokens;  /* group encodings, back to back */
  KITE_VEC(rgroup) groups;
  uint32_t *gtable; /* open addressing: group index + 1, 0 empty */
  uint32_t gtable_cap;
};

/* ---- the registry's memory ---- */

static void free_rtt(kite_alloc *a, kite_rtt *t) {
  kite_free(a, (void *)t->supers, ((size_t)t->depth + 1) * sizeof *t->supers);
  kite_free(a, t->fields, (size_t)t->nfields * sizeof *t->fields);
  kite_free(a, t, sizeof *t);
}

struct kite_typereg *kite_typereg_new(kite_alloc *a) {
  struct kite_typereg *g = kite_calloc(a, 1, sizeof *g);
  if (!g) return NULL;
  g->alloc = a;
  if (pthread_mutex_init(&g->lock, NULL) != 0) {
    kite_free(a, g, sizeof *g);
    return NULL;
  }
  return g;
}

void kite_typereg_free(struct kite_typereg *g) {
  if (!g) return;
  for (size_t i = 0; i < g->types.len; i++) free_rtt(g->alloc, g->types.data[i]);
  kite_vec_free(g->alloc, &g->types);
  kite_vec_free(g->alloc, &g->tokens);
  kite_vec_free(g->alloc, &g->groups);
  kite_free(g->alloc, g->gtable, (size_t)g->gtable_cap * sizeof *g->gtable);
  pthread_mutex_destroy(&g->lock);
  kite_free(g->alloc, g, sizeof *g);
}

/* ---- layout ---- */

static uint8_t storage_size(uint8_t kind) {
  switch (kind) {
  case KITE_VT_I8: return 1;
  case KITE_VT_I16: return 2;
  case KITE_VT_I32:
  case KITE_VT_F32: return 4;
  case KITE_VT_V128: return 16;
  default: return 8;
  }
}

/* Which values of a reference field the collector follows (kite_gcfield.trace). */
static uint8_t trace_of(const kite_module *m, kite_valtype t) {
  if (t.kind != KITE_VT_REF) return 0;
  if (kite_ht_is_index(t.ht)) return t.ht < m->ntypes && m->types[t.ht].comp == KITE_COMP_FUNC ? 0 : 1;
  uint32_t top = kite_ht_top(m, t.ht);
  if (top == KITE_HT_FUNC) return 0;
  if (top == KITE_HT_EXN) return 2;
  return 1;
}

/* Place a field of `size` bytes at *off (aligned to its size, v128 to 8). */
static uint32_t place(uint32_t *off, uint8_t size) {
  uint32_t align = size > 8 ? 8 : size;
  uint32_t at = (*off + align - 1) & ~(align - 1);
  *off = at + size;
  return at;
}

static kite_gcfield field_of(const kite_module *m, const kite_fieldtype *f, uint32_t *off) {
  kite_gcfield g;
  memset(&g, 0, sizeof g);
  g.kind = f->type.kind;
  g.size = storage_size(g.kind);
  g.trace = trace_of(m, f->type);
  g.offset = place(off, g.size);
  return g;
}

/* Fields in declaration order; returns the payload size (a multiple of 8). */
static uint32_t layout(const kite_module *m, const kite_fieldtype *f, uint32_t n,
                       kite_gcfield *out) {
  uint32_t off = 0;
  for (uint32_t i = 0; i < n; i++) out[i] = field_of(m, &f[i], &off);
  return (off + 7) & ~7u;
}

kite_gcfield kite_gc_field(const kite_module *m, uint32_t typeidx, uint32_t fieldidx) {
  const kite_subtype *st = &m->types[typeidx];
  uint32_t off = 0;
  if (st->comp == KITE_COMP_ARRAY) return field_of(m, &st->u.array, &off);
  const kite_fieldtype *fs = st->u.strukt.fields;
  for (uint32_t i = 0; i < fieldidx; i++) place(&off, storage_size(fs[i].type.kind));
  return field_of(m, &fs[fieldidx], &off);
}

/* ---- encoding groups ---- */

typedef struct enc {
  struct kite_typereg *g;
  const kite_module *m;
  const kite_rtt **out; /* canonical types of the module's earlier groups */
  bool oom;
} enc;

static void put(enc *e, uint32_t t) {
  if (!e->oom && !kite_vec_push(e->g->alloc, &e->g->tokens, t)) e->oom = true;
}

static void put_heap(enc *e, uint32_t ht, uint32_t first, uint32_t count) {
  if (!kite_ht_is_index(ht)) {
    put(e, 3);
    put(e, ht);
  } else if (ht >= first && ht - first < count) {
    put(e, 1);
    put(e, ht - first);
  } else if (e->m && ht < first) {
    put(e, 2);
    put(e, e->out[ht]->id);
  } else {
    put(e, 4); /* a host type naming a type index: matches nothing of a module */
    put(e, ht);
  }
}

static void put_valtype(enc *e, kite_valtype t, uint32_t first, uint32_t count) {
  put(e, (uint32_t)t.kind | (uint32_t)t.nullable << 8 | (uint32_t)t.exact << 9);
  if (t.kind == KITE_VT_REF) put_heap(e, t.ht, first, count);
}

static void put_functype(enc *e, const kite_functype *ft, uint32_t first, uint32_t count) {
  put(e, ft->nparams);
  put(e, ft->nresults);
  for (uint32_t j = 0; j < ft->nparams; j++) put_valtype(e, ft->params[j], first, count);
  for (uint32_t j = 0; j < ft->nresults; j++) put_valtype(e, ft->results[j], first, count);
}

static void put_field(enc *e, const kite_fieldtype *ft, uint32_t first, uint32_t count) {
  put(e, ft->mut);
  put_valtype(e, ft->type, first, count);
}

static void encode_group(enc *e, uint32_t first, uint32_t count) {
  put(e, count);
  for (uint32_t i = 0; i < count; i++) {
    const kite_subtype *st = &e->m->types[first + i];
    put(e, (uint32_t)st->comp | (uint32_t)st->final << 8);
    if (st->super == KITE_NO_INDEX) put(e, 0);
    else put_heap(e, st->super, first, count);
    switch (st->comp) {
    case KITE_COMP_FUNC: put_functype(e, &st->u.func, first, count); break;
    case KITE_COMP_STRUCT:
      put(e, st->u.strukt.nfields);
      for (uint32_t j = 0; j < st->u.strukt.nfields; j++)
        put_field(e, &st->u.strukt.fields[j], first, count);
      break;
    default: put_field(e, &st->u.array, first, count); break;
    }
  }
}

static uint32_t hash_tokens(const uint32_t *p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 16777619u;
    h ^= h >> 15;
  }
  return h;
}

/* ---- the group table ---- */

static bool gtable_grow(struct kite_typereg *g) {
  uint32_t cap = g->gtable_cap ? g->gtable_cap * 2 : 64;
  uint32_t *t = kite_calloc(g->alloc, cap, sizeof *t);
  if (!t) return false;
  for (size_t i = 0; i < g->groups.len; i++) {
    uint32_t h = g->groups.data[i].hash & (cap - 1);
    while (t[h]) h = (h + 1) & (cap - 1);
    t[h] = (uint32_t)i + 1;
  }
  kite_free(g->alloc, g->gtable, (size_t)g->gtable_cap * sizeof *g->gtable);
  g->gtable = t;
  g->gtable_cap = cap;
  return true;
}

/* The group whose encoding is tokens[start..], or UINT32_MAX. */
static uint32_t gtable_find(struct kite_typereg *g, size_t start, uint32_t hash) {
  if (!g->gtable_cap) return UINT32_MAX;
  size_t len = g->tokens.len - start;
  for (uint32_t h = hash & (g->gtable_cap - 1); g->gtable[h]; h = (h + 1) & (g->gtable_cap - 1)) {
    const rgroup *gr = &g->groups.data[g->gtable[h] - 1];
    if (gr->hash == hash && gr->len == len &&
        !memcmp(g->tokens.data + gr->start, g->tokens.data + start, len * sizeof(uint32_t)))
      return g->gtable[h] - 1;
  }
  return UINT32_MAX;
}

static bool gtable_add(struct kite_typereg *g, size_t start, uint32_t hash, uint32_t first) {
  if ((g->groups.len + 1) * 2 > g->gtable_cap && !gtable_grow(g)) return false;
  rgroup gr = {(uint32_t)start, (uint32_t)(g->tokens.len - start), first, hash};
  if (!kite_vec_push(g->alloc, &g->groups, gr)) return false;
  uint32_t h = hash & (g->gtable_cap - 1);
  while (g->gtable[h]) h = (h + 1) & (g->gtable_cap - 1);
  g->gtable[h] = (uint32_t)g->groups.len;
  return true;
}

/* ---- creating rtts ---- */

/* A new rtt for a type with the given supertype (NULL: none), registered in g. */
static kite_rtt *new_rtt(struct kite_typereg *g, uint8_t comp, bool final, const kite_rtt *super) {
  kite_alloc *a = g->alloc;
  kite_rtt *t = kite_calloc(a, 1, sizeof *t);
  if (!t) return NULL;
  t->comp = comp;
  t->final = final;
  t->depth = super ? super->depth + 1 : 0;
  t->supers = kite_malloc(a, ((size_t)t->depth + 1) * sizeof *t->supers);
  if (!t->supers || !kite_vec_push(a, &g->types, t)) {
    kite_free(a, (void *)t->supers, t->supers ? ((size_t)t->depth + 1) * sizeof *t->supers : 0);
    kite_free(a, t, sizeof *t);
    return NULL;
  }
  if (super) memcpy((void *)t->supers, super->supers, (size_t)super->depth * sizeof *t->supers + sizeof *t->supers);
  t->supers[t->depth] = t;
  t->id = (uint32_t)g->types.len - 1;
  return t;
}

static bool set_fields(struct kite_typereg *g, const kite_module *m, kite_rtt *t,
                       const kite_subtype *st) {
  const kite_fieldtype *fs = NULL;
  uint32_t n = 0;
  if (st->comp == KITE_COMP_STRUCT) {
    fs = st->u.strukt.fields;
    n = st->u.strukt.nfields;
  } else if (st->comp == KITE_COMP_ARRAY) {
    fs = &st->u.array;
    n = 1;
  }
  if (!n) return true;
  t->fields = kite_calloc(g->alloc, n, sizeof *t->fields);
  if (!t->fields) return false;
  t->nfields = n;
  uint32_t size = layout(m, fs, n, t->fields);
  t->size = st->comp == KITE_COMP_ARRAY ? t->fields[0].size : size;
  return true;
}

static bool oom(kite_error *err) { return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory"); }

static bool canon_module(struct kite_typereg *g, const kite_module *m, const kite_rtt **out,
                         kite_error *err) {
  enc e = {g, m, out, false};
  for (uint32_t i = 0; i < m->ntypes;) {
    uint32_t first = i, count = m->types[i].rec_count;
    if (m->types[i].rec_first != i || count == 0 || count > m->ntypes - i) count = 1;
    size_t start = g->tokens.len;
    encode_group(&e, first, count);
    if (e.oom) {
      g->tokens.len = start;
      return oom(err);
    }
    uint32_t h = hash_tokens(g->tokens.data + start, g->tokens.len - start);
    uint32_t found = gtable_find(g, start, h);
    if (found != UINT32_MAX) {
      g->tokens.len = start;
      uint32_t id = g->groups.data[found].first;
      for (uint32_t j = 0; j < count; j++) out[first + j] = g->types.data[id + j];
      i += count;
      continue;
    }
    uint32_t first_id = (uint32_t)g->types.len;
    for (uint32_t j = 0; j < count; j++) {
      const kite_subtype *st = &m->types[first + j];
      const kite_rtt *super = NULL;
      if (st->super != KITE_NO_INDEX && st->super < first + j) super = out[st->super];
      kite_rtt *t = new_rtt(g, st->comp, st->final, super);
      if (!t || !set_fields(g, m, t, st)) {
        /* Forget the group's partial types (no one refers to them yet). */
        while (g->types.len > first_id) free_rtt(g->alloc, g->types.data[--g->types.len]);
        g->tokens.len = start;
        return oom(err);
      }
      out[first + j] = t;
    }
    if (!gtable_add(g, start, h, first_id)) {
      while (g->types.len > first_id) free_rtt(g->alloc, g->types.data[--g->types.len]);
      g->tokens.len = start;
      return oom(err);
    }
    i += count;
  }
  return true;
}

bool kite_gc_canon_module(kite_engine *e, const kite_module *m, const kite_rtt **out,
                          kite_error *err) {
  pthread_mutex_lock(&e->types->lock);
  bool ok = canon_module(e->types, m, out, err);
  pthread_mutex_unlock(&e->types->lock);
  return ok;
}

static const kite_rtt *functype_rtt(struct kite_typereg *g, const kite_functype *ft,
                                    kite_error *err) {
  enc e = {g, NULL, NULL, false};
  size_t start = g->tokens.len;
  put(&e, 1);
  put(&e, (uint32_t)KITE_COMP_FUNC | 1u << 8);
  put(&e, 0);
  put_functype(&e, ft, 0, 0);
  if (e.oom) {
    g->tokens.len = start;
    oom(err);
    return NULL;
  }
  uint32_t h = hash_tokens(g->tokens.data + start, g->tokens.len - start);
  uint32_t found = gtable_find(g, start, h);
  if (found != UINT32_MAX) {
    g->tokens.len = start;
    return g->types.data[g->groups.data[found].first];
  }
  uint32_t first_id = (uint32_t)g->types.len;
  kite_rtt *t = new_rtt(g, KITE_COMP_FUNC, true, NULL);
  if (!t || !gtable_add(g, start, h, first_id)) {
    if (t) free_rtt(g->alloc, g->types.data[--g->types.len]);
    g->tokens.len = start;
    oom(err);
    return NULL;
  }
  return t;
}

const kite_rtt *kite_gc_functype_rtt(kite_engine *e, const kite_functype *ft, kite_error *err) {
  pthread_mutex_lock(&e->types->lock);
  const kite_rtt *t = functype_rtt(e->types, ft, err);
  pthread_mutex_unlock(&e->types->lock);
  return t;
}

/* ---- matching ---- */

static uint32_t abstract_of(const kite_rtt *t) {
  return t->comp == KITE_COMP_FUNC ? KITE_HT_FUNC
         : t->comp == KITE_COMP_STRUCT ? KITE_HT_STRUCT
                                       : KITE_HT_ARRAY;
}

bool kite_gc_valtype_sub(kite_valtype a, const kite_rtt *ra, kite_valtype b,
                         const kite_rtt *rb) {
  if (a.kind != b.kind) return false;
  if (a.kind != KITE_VT_REF) return true;
  if (a.nullable && !b.nullable) return false;
  bool ia = kite_ht_is_index(a.ht), ib = kite_ht_is_index(b.ht);
  if (ia && ib) return ra && rb && kite_rtt_sub(ra, rb);
  /* Abstract heap types mean the same in every module: the validator's rules apply. */
  static const kite_module none; /* no types: only consulted for type indices */
  if (ia) {
    if (!ra) return false;
    return kite_valtype_sub(&none, kite_vt_ref(abstract_of(ra), false), kite_vt_ref(b.ht, false));
  }
  if (ib) {
    if (!rb) return false;
    return rb->comp == KITE_COMP_FUNC ? a.ht == KITE_HT_NOFUNC : a.ht == KITE_HT_NONE;
  }
  return kite_valtype_sub(&none, kite_vt_ref(a.ht, false), kite_vt_ref(b.ht, false));
}

bool kite_gc_func_matches(const kite_funcinst *f, const kite_rtt *want) {
  if (f->rtt && want) return kite_rtt_sub(f->rtt, want);
  return false;
}

bool kite_gc_ref_test(kite_ref r, uint32_t ht, const kite_rtt *t) {
  if (kite_ht_is_index(ht)) {
    if (t->comp == KITE_COMP_FUNC) {
      const kite_funcinst *f = (const kite_funcinst *)(uintptr_t)r;
      return f->rtt && kite_rtt_sub(f->rtt, t);
    }
    return kite_ref_is_ptr(r) && kite_rtt_sub(((const kite_gcobj *)(uintptr_t)r)->rtt, t);
  }
  switch (ht) {
  case KITE_HT_ANY:
  case KITE_HT_EXTERN:
  case KITE_HT_FUNC:
  case KITE_HT_EXN: return true;
  case KITE_HT_EQ: return kite_ref_is_i31(r) || kite_ref_is_ptr(r);
  case KITE_HT_I31: return kite_ref_is_i31(r);
  case KITE_HT_STRUCT:
    return kite_ref_is_ptr(r) && ((const kite_gcobj *)(uintptr_t)r)->rtt->comp == KITE_COMP_STRUCT;
  case KITE_HT_ARRAY:
    return kite_ref_is_ptr(r) && ((const kite_gcobj *)(uintptr_t)r)->rtt->comp == KITE_COMP_ARRAY;
  default: return false; /* none, nofunc, noextern, noexn: only null */
  }
}
