/*
** gc_types.c: the engine's canonical runtime types (kite_rtt) and reference type
** matching across modules.
**
** Types are canonicalised at instantiation: each recursion group of the module is
** encoded as tokens in which references into the group are relative and references to
** earlier groups name their canonical type (as kite_types_canon does within one
** module). Equal encodings are equivalent groups (iso-recursive equivalence), so a hash
** table of the encodings gives each group its canonical rtts, and type identity
** becomes pointer identity everywhere at run time: call_indirect, casts, and import
** matching.
**
** The registry belongs to the engine, not a store, because stores share objects (host
** functions and shared memories: wasi-threads runs one store per thread). A short spin
** lock serialises registration; rtts, once published, are immutable. Each group counts
** its users: the instances whose module has it, host functions and tags, and the later
** groups that refer to it. The last release frees it, so an engine that runs many
** different modules over time does not accumulate their types.
*/
#include <stdatomic.h>

#include "runtime.h"

#include "valid.h"

struct kite_rgroup {
  uint32_t refs; /* users: registrations and the groups that refer to this one */
  uint32_t hash;
  uint32_t ntokens; /* the encoding */
  uint32_t count;   /* types in the group */
  uint32_t nuses;   /* references to other groups, each counted in their refs */
  uint32_t *tokens;
  struct kite_rgroup **uses;
  struct kite_rgroup *next_dead; /* release's work list */
  kite_rtt *types[];
};
typedef struct kite_rgroup rgroup;

#define TOMBSTONE ((rgroup *)(uintptr_t)1)

static void reg_lock(kite_typereg *r) {
  while (atomic_exchange_explicit(&r->lock, 1, memory_order_acquire))
    while (atomic_load_explicit(&r->lock, memory_order_relaxed)) {}
}
static void reg_unlock(kite_typereg *r) {
  atomic_store_explicit(&r->lock, 0, memory_order_release);
}

/* ---- groups' memory ---- */

static void free_rtt(kite_alloc *a, kite_rtt *t) {
  if (!t) return;
  kite_free(a, (void *)t->supers, ((size_t)t->depth + 1) * sizeof *t->supers);
  kite_free(a, t->fields, (size_t)t->nfields * sizeof *t->fields);
  kite_free(a, t, sizeof *t);
}

static size_t group_size(uint32_t count) {
  return sizeof(rgroup) + (size_t)count * sizeof(kite_rtt *);
}

static void free_group(kite_alloc *a, rgroup *g) {
  for (uint32_t i = 0; i < g->count; i++) free_rtt(a, g->types[i]);
  kite_free(a, g->tokens, (size_t)g->ntokens * sizeof *g->tokens);
  kite_free(a, g->uses, (size_t)g->nuses * sizeof *g->uses);
  kite_free(a, g, group_size(g->count));
}

void kite_typereg_init(kite_typereg *r) {
  memset(r, 0, sizeof *r);
  atomic_init(&r->lock, 0);
}

void kite_typereg_release(kite_typereg *r, kite_alloc *a) {
  for (uint32_t i = 0; i < r->cap; i++)
    if (r->table[i] && r->table[i] != TOMBSTONE) free_group(a, r->table[i]);
  kite_free(a, r->table, (size_t)r->cap * sizeof *r->table);
  r->table = NULL;
  r->cap = r->used = r->count = 0;
}

/* ---- the table ---- */

static bool table_resize(kite_typereg *r, kite_alloc *a, uint32_t cap) {
  rgroup **t = kite_calloc(a, cap, sizeof *t);
  if (!t) return false;
  for (uint32_t i = 0; i < r->cap; i++) {
    rgroup *g = r->table[i];
    if (!g || g == TOMBSTONE) continue;
    uint32_t h = g->hash & (cap - 1);
    while (t[h]) h = (h + 1) & (cap - 1);
    t[h] = g;
  }
  kite_free(a, r->table, (size_t)r->cap * sizeof *r->table);
  r->table = t;
  r->cap = cap;
  r->used = r->count;
  return true;
}

static rgroup *table_find(const kite_typereg *r, const uint32_t *tokens, uint32_t n,
                          uint32_t hash) {
  if (!r->cap) return NULL;
  for (uint32_t h = hash & (r->cap - 1); r->table[h]; h = (h + 1) & (r->cap - 1)) {
    rgroup *g = r->table[h];
    if (g != TOMBSTONE && g->hash == hash && g->ntokens == n &&
        !memcmp(g->tokens, tokens, (size_t)n * sizeof *tokens))
      return g;
  }
  return NULL;
}

static bool table_insert(kite_typereg *r, kite_alloc *a, rgroup *g) {
  if ((r->used + 1) * 2 > r->cap) {
    uint32_t cap = r->cap ? r->cap : 64;
    while ((r->count + 1) * 2 > cap / 2 && cap < (1u << 30)) cap *= 2;
    if (!table_resize(r, a, cap)) return false;
  }
  uint32_t h = g->hash & (r->cap - 1);
  while (r->table[h] && r->table[h] != TOMBSTONE) h = (h + 1) & (r->cap - 1);
  if (!r->table[h]) r->used++;
  r->table[h] = g;
  r->count++;
  return true;
}

static void table_remove(kite_typereg *r, kite_alloc *a, rgroup *g) {
  for (uint32_t h = g->hash & (r->cap - 1); r->table[h]; h = (h + 1) & (r->cap - 1)) {
    if (r->table[h] != g) continue;
    r->table[h] = TOMBSTONE;
    r->count--;
    break;
  }
  if (r->count == 0) {
    kite_free(a, r->table, (size_t)r->cap * sizeof *r->table);
    r->table = NULL;
    r->cap = r->used = 0;
  }
}

/* Drop one reference to g; groups nobody uses any more are freed, with the references
   they hold (a work list, not recursion: chains of groups may be long). */
static void release_group(kite_typereg *r, kite_alloc *a, rgroup *g) {
  rgroup *dead = NULL;
  if (--g->refs == 0) {
    g->next_dead = NULL;
    dead = g;
  }
  while (dead) {
    g = dead;
    dead = g->next_dead;
    for (uint32_t i = 0; i < g->nuses; i++) {
      rgroup *u = g->uses[i];
      if (--u->refs == 0) {
        u->next_dead = dead;
        dead = u;
      }
    }
    table_remove(r, a, g);
    free_group(a, g);
  }
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

/* Whether the collector follows a field: references that may be heap objects (the any
   and extern hierarchies; functions and exceptions are not heap objects). */
static uint8_t trace_of(const kite_module *m, kite_valtype t) {
  if (t.kind != KITE_VT_REF) return 0;
  if (kite_ht_is_index(t.ht)) return t.ht < m->ntypes && m->types[t.ht].comp != KITE_COMP_FUNC;
  uint32_t top = kite_ht_top(m, t.ht);
  return top != KITE_HT_FUNC && top != KITE_HT_EXN;
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

/* Where a struct's fields start: after its descriptor, when it has one. */
static uint32_t fields_start(const kite_subtype *st) { return st->has_descriptor ? 8 : 0; }

/* Fields in declaration order from offset `off`; returns the payload size (a multiple
   of 8). */
static uint32_t layout(const kite_module *m, const kite_fieldtype *f, uint32_t n, uint32_t off,
                       kite_gcfield *out) {
  for (uint32_t i = 0; i < n; i++) out[i] = field_of(m, &f[i], &off);
  return (off + 7) & ~7u;
}

kite_gcfield kite_gc_field(const kite_module *m, uint32_t typeidx, uint32_t fieldidx) {
  const kite_subtype *st = &m->types[typeidx];
  uint32_t off = 0;
  if (st->comp == KITE_COMP_ARRAY) return field_of(m, &st->u.array, &off);
  off = fields_start(st);
  const kite_fieldtype *fs = st->u.strukt.fields;
  for (uint32_t i = 0; i < fieldidx; i++) place(&off, storage_size(fs[i].type.kind));
  return field_of(m, &fs[fieldidx], &off);
}

/* ---- encoding groups ---- */

typedef struct enc {
  kite_typetok t;
  const kite_rtt **out; /* canonical types of the module's earlier groups */
  KITE_VEC(rgroup *) uses;
} enc;

/* A type of an earlier group is named by the address of its canonical type. */
static void put_outside(kite_typetok *t, uint32_t ht, uint32_t first) {
  enc *e = t->ctx;
  if (!t->m || ht >= first) {
    kite_typetok_put(t, 4); /* a host type naming a type index: matches nothing of a module */
    kite_typetok_put(t, ht);
    return;
  }
  const kite_rtt *rt = e->out[ht];
  uint64_t p = (uint64_t)(uintptr_t)rt;
  kite_typetok_put(t, 2);
  kite_typetok_put(t, (uint32_t)p);
  kite_typetok_put(t, (uint32_t)(p >> 32));
  if (!t->oom && !kite_vec_push(t->a, &e->uses, rt->group)) t->oom = true;
}

static void enc_init(enc *e, kite_alloc *a, const kite_module *m, const kite_rtt **out) {
  memset(e, 0, sizeof *e);
  e->t.a = a;
  e->t.m = m;
  e->t.outside = put_outside;
  e->t.ctx = e;
  e->out = out;
}

static void enc_free(enc *e) {
  kite_typetok_free(&e->t);
  kite_vec_free(e->t.a, &e->uses);
}

/* ---- creating groups ---- */

static kite_rtt *new_rtt(kite_alloc *a, rgroup *g, uint8_t comp, bool final,
                         const kite_rtt *super) {
  kite_rtt *t = kite_calloc(a, 1, sizeof *t);
  if (!t) return NULL;
  t->group = g;
  t->comp = comp;
  t->final = final;
  t->depth = super ? super->depth + 1 : 0;
  t->supers = kite_malloc(a, ((size_t)t->depth + 1) * sizeof *t->supers);
  if (!t->supers) {
    kite_free(a, t, sizeof *t);
    return NULL;
  }
  if (super) memcpy((void *)t->supers, super->supers, (size_t)t->depth * sizeof *t->supers);
  t->supers[t->depth] = t;
  return t;
}

static bool set_fields(kite_alloc *a, const kite_module *m, kite_rtt *t, const kite_subtype *st) {
  const kite_fieldtype *fs = NULL;
  uint32_t n = 0;
  if (st->comp == KITE_COMP_STRUCT) {
    fs = st->u.strukt.fields;
    n = st->u.strukt.nfields;
  } else if (st->comp == KITE_COMP_ARRAY) {
    fs = &st->u.array;
    n = 1;
  }
  t->has_desc = st->has_descriptor;
  t->size = fields_start(st);
  if (!n) return true;
  t->fields = kite_calloc(a, n, sizeof *t->fields);
  if (!t->fields) return false;
  t->nfields = n;
  uint32_t size = layout(m, fs, n, fields_start(st), t->fields);
  t->size = st->comp == KITE_COMP_ARRAY ? t->fields[0].size : size;
  return true;
}

/* A new group with e's encoding and room for `count` types (the caller makes them),
   not yet published. NULL on OOM. */
static rgroup *new_group(enc *e, uint32_t count, uint32_t hash) {
  kite_alloc *a = e->t.a;
  rgroup *g = kite_calloc(a, 1, group_size(count));
  if (!g) return NULL;
  g->hash = hash;
  g->count = count;
  g->ntokens = (uint32_t)e->t.tokens.len;
  g->tokens = kite_malloc(a, (size_t)g->ntokens * sizeof *g->tokens);
  if (e->uses.len) g->uses = kite_malloc(a, e->uses.len * sizeof *g->uses);
  if (!g->tokens || (e->uses.len && !g->uses)) {
    kite_free(a, g->tokens, g->tokens ? (size_t)g->ntokens * sizeof *g->tokens : 0);
    kite_free(a, g->uses, g->uses ? e->uses.len * sizeof *g->uses : 0);
    kite_free(a, g, group_size(count));
    return NULL;
  }
  memcpy(g->tokens, e->t.tokens.data, (size_t)g->ntokens * sizeof *g->tokens);
  if (e->uses.len) memcpy(g->uses, e->uses.data, e->uses.len * sizeof *g->uses);
  g->nuses = (uint32_t)e->uses.len;
  return g;
}

/* Publish a complete group: it now holds its references to other groups. */
static bool publish(kite_typereg *r, kite_alloc *a, rgroup *g) {
  if (!table_insert(r, a, g)) return false;
  for (uint32_t i = 0; i < g->nuses; i++) g->uses[i]->refs++;
  return true;
}

static bool oom(kite_error *err) { return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory"); }

/* The number of types in the recursion group that starts at type `first` of m. */
static uint32_t group_count(const kite_module *m, uint32_t first) {
  uint32_t count = m->types[first].rec_count;
  if (m->types[first].rec_first != first || count == 0 || count > m->ntypes - first) return 1;
  return count;
}

/* Release the registrations of m's groups whose types start below `end`. */
static void release_module(kite_typereg *r, kite_alloc *a, const kite_module *m,
                           const kite_rtt **out, uint32_t end) {
  for (uint32_t first = 0, count; first < end; first += count) {
    count = group_count(m, first);
    if (out[first]) release_group(r, a, out[first]->group);
    for (uint32_t j = 0; j < count; j++) out[first + j] = NULL;
  }
}

static bool canon_module(kite_typereg *r, kite_alloc *a, const kite_module *m, const kite_rtt **out,
                         kite_error *err) {
  enc e;
  enc_init(&e, a, m, out);
  for (uint32_t first = 0, count; first < m->ntypes; first += count) {
    count = group_count(m, first);
    e.t.tokens.len = e.uses.len = 0;
    kite_typetok_group(&e.t, first, count);
    if (e.t.oom) goto fail;
    uint32_t h = kite_typetok_hash(e.t.tokens.data, e.t.tokens.len);
    rgroup *g = table_find(r, e.t.tokens.data, (uint32_t)e.t.tokens.len, h);
    if (!g) {
      g = new_group(&e, count, h);
      if (!g) goto fail;
      for (uint32_t j = 0; j < count; j++) {
        const kite_subtype *st = &m->types[first + j];
        const kite_rtt *super = NULL;
        if (st->super != KITE_NO_INDEX && st->super < first + j)
          super = st->super >= first ? g->types[st->super - first] : out[st->super];
        g->types[j] = new_rtt(a, g, st->comp, st->final, super);
        if (!g->types[j] || !set_fields(a, m, g->types[j], st)) {
          free_group(a, g);
          goto fail;
        }
      }
      if (!publish(r, a, g)) {
        free_group(a, g);
        goto fail;
      }
    }
    g->refs++;
    for (uint32_t j = 0; j < count; j++) out[first + j] = g->types[j];
    continue;
  fail:
    release_module(r, a, m, out, first);
    enc_free(&e);
    return oom(err);
  }
  enc_free(&e);
  return true;
}

bool kite_gc_canon_module(kite_engine *e, const kite_module *m, const kite_rtt **out,
                          kite_error *err) {
  reg_lock(&e->types);
  bool ok = canon_module(&e->types, &e->alloc, m, out, err);
  reg_unlock(&e->types);
  return ok;
}

void kite_gc_release_module(kite_engine *e, const kite_module *m, const kite_rtt **rtts) {
  reg_lock(&e->types);
  release_module(&e->types, &e->alloc, m, rtts, m->ntypes);
  reg_unlock(&e->types);
}

const kite_rtt *kite_gc_functype_rtt(kite_engine *en, const kite_functype *ft, kite_error *err) {
  kite_typereg *r = &en->types;
  kite_alloc *a = &en->alloc;
  enc e;
  enc_init(&e, a, NULL, NULL);
  kite_typetok_put(&e.t, 1);
  kite_typetok_put(&e.t, (uint32_t)KITE_COMP_FUNC | 1u << 8);
  kite_typetok_put(&e.t, 0);
  kite_typetok_functype(&e.t, ft, 0, 0);
  const kite_rtt *t = NULL;
  reg_lock(r);
  if (!e.t.oom) {
    uint32_t h = kite_typetok_hash(e.t.tokens.data, e.t.tokens.len);
    rgroup *g = table_find(r, e.t.tokens.data, (uint32_t)e.t.tokens.len, h);
    if (!g && (g = new_group(&e, 1, h)) != NULL) {
      g->types[0] = new_rtt(a, g, KITE_COMP_FUNC, true, NULL);
      if (!g->types[0] || !publish(r, a, g)) {
        free_group(a, g);
        g = NULL;
      }
    }
    if (g) {
      g->refs++;
      t = g->types[0];
    }
  }
  reg_unlock(r);
  enc_free(&e);
  if (!t) oom(err);
  return t;
}

void kite_gc_release_rtt(kite_engine *e, const kite_rtt *t) {
  if (!t) return;
  reg_lock(&e->types);
  release_group(&e->types, &e->alloc, t->group);
  reg_unlock(&e->types);
}

/* ---- matching ---- */

static uint32_t abstract_of(const kite_rtt *t) {
  return t->comp == KITE_COMP_FUNC     ? KITE_HT_FUNC
         : t->comp == KITE_COMP_STRUCT ? KITE_HT_STRUCT
                                       : KITE_HT_ARRAY;
}

bool kite_gc_valtype_sub(kite_valtype a, const kite_rtt *ra, kite_valtype b, const kite_rtt *rb) {
  if (a.kind != b.kind) return false;
  if (a.kind != KITE_VT_REF) return true;
  if (a.nullable && !b.nullable) return false;
  bool ia = kite_ht_is_index(a.ht), ib = kite_ht_is_index(b.ht);
  if (ia && ib && b.exact) return a.exact && ra && ra == rb;
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

bool kite_gc_ref_test(kite_ref r, uint32_t ht, const kite_rtt *t, bool exact) {
  if (kite_ht_is_index(ht)) {
    const kite_rtt *have;
    if (t->comp == KITE_COMP_FUNC) have = ((const kite_funcinst *)(uintptr_t)r)->rtt;
    else have = kite_ref_is_ptr(r) ? ((const kite_gcobj *)(uintptr_t)r)->rtt : NULL;
    return have && (exact ? have == t : kite_rtt_sub(have, t));
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
