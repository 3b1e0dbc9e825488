/*
** types.c: matching types across modules, for linking (and call_indirect on functions
** of another module).
**
** Types are iso-recursive (3.0): two defined types are equivalent when their
** recursion groups are, and they sit at the same position in them. Groups are compared
** structurally; a reference to a type inside the group compares by its position, a
** reference to an earlier group by comparing that group in turn. The references only
** go to earlier groups, so the comparison ends; groups proven equal are remembered so
** shared structure is not compared again, and a budget bounds the work on hostile
** modules (running out of it means "do not match": a link error, never a false match).
**
** Host-made objects have no module: their function types are their own group of one,
** final, without supertype, and only abstract heap types can be compared in them.
*/
#include "runtime.h"

#define MEMO_SIZE 64
#define STEP_BUDGET 100000

typedef struct tmatch {
  const kite_module *ma, *mb;
  uint32_t steps;
  uint32_t nmemo, next;
  uint32_t memo[MEMO_SIZE][2]; /* (group of ma, group of mb) proven equal */
} tmatch;

static void group_of(const kite_module *m, uint32_t t, uint32_t *first, uint32_t *count) {
  const kite_subtype *st = &m->types[t];
  *first = st->rec_first;
  *count = st->rec_count;
  if (*count == 0 || *first > t || t - *first >= *count) {
    *first = t;
    *count = 1;
  }
}

static bool type_eq(tmatch *q, uint32_t a, uint32_t b);

/* Heap types ha (in the group at fa of ma, ca types) and hb (likewise in mb). */
static bool heap_eq(tmatch *q, uint32_t ha, uint32_t fa, uint32_t ca, uint32_t hb, uint32_t fb,
                    uint32_t cb) {
  bool ia = kite_ht_is_index(ha), ib = kite_ht_is_index(hb);
  if (ia != ib) return false;
  if (!ia) return ha == hb;
  bool ina = ha >= fa && ha - fa < ca, inb = hb >= fb && hb - fb < cb;
  if (ina != inb) return false;
  if (ina) return ha - fa == hb - fb;
  return type_eq(q, ha, hb);
}

static bool val_eq(tmatch *q, kite_valtype a, uint32_t fa, uint32_t ca, kite_valtype b,
                   uint32_t fb, uint32_t cb) {
  if (a.kind != b.kind) return false;
  if (a.kind != KITE_VT_REF) return true;
  return a.nullable == b.nullable && a.exact == b.exact && heap_eq(q, a.ht, fa, ca, b.ht, fb, cb);
}

static bool field_eq(tmatch *q, const kite_fieldtype *a, uint32_t fa, uint32_t ca,
                     const kite_fieldtype *b, uint32_t fb, uint32_t cb) {
  return a->mut == b->mut && val_eq(q, a->type, fa, ca, b->type, fb, cb);
}

static bool subtype_eq(tmatch *q, const kite_subtype *a, uint32_t fa, uint32_t ca,
                       const kite_subtype *b, uint32_t fb, uint32_t cb) {
  if (a->comp != b->comp || a->final != b->final) return false;
  if ((a->super == KITE_NO_INDEX) != (b->super == KITE_NO_INDEX)) return false;
  if (a->super != KITE_NO_INDEX && !heap_eq(q, a->super, fa, ca, b->super, fb, cb)) return false;
  switch (a->comp) {
  case KITE_COMP_FUNC: {
    const kite_functype *x = &a->u.func, *y = &b->u.func;
    if (x->nparams != y->nparams || x->nresults != y->nresults) return false;
    for (uint32_t i = 0; i < x->nparams; i++)
      if (!val_eq(q, x->params[i], fa, ca, y->params[i], fb, cb)) return false;
    for (uint32_t i = 0; i < x->nresults; i++)
      if (!val_eq(q, x->results[i], fa, ca, y->results[i], fb, cb)) return false;
    return true;
  }
  case KITE_COMP_STRUCT:
    if (a->u.strukt.nfields != b->u.strukt.nfields) return false;
    for (uint32_t i = 0; i < a->u.strukt.nfields; i++)
      if (!field_eq(q, &a->u.strukt.fields[i], fa, ca, &b->u.strukt.fields[i], fb, cb))
        return false;
    return true;
  default: return field_eq(q, &a->u.array, fa, ca, &b->u.array, fb, cb);
  }
}

static bool type_eq(tmatch *q, uint32_t a, uint32_t b) {
  uint32_t fa, ca, fb, cb;
  group_of(q->ma, a, &fa, &ca);
  group_of(q->mb, b, &fb, &cb);
  if (ca != cb || a - fa != b - fb) return false;
  if (q->ma == q->mb && fa == fb) return true;
  for (uint32_t i = 0; i < q->nmemo; i++)
    if (q->memo[i][0] == fa && q->memo[i][1] == fb) return true;
  if (q->steps == 0) return false;
  q->steps--;
  for (uint32_t i = 0; i < ca; i++)
    if (!subtype_eq(q, &q->ma->types[fa + i], fa, ca, &q->mb->types[fb + i], fb, cb))
      return false;
  q->memo[q->next][0] = fa;
  q->memo[q->next][1] = fb;
  q->next = (q->next + 1) % MEMO_SIZE;
  if (q->nmemo < MEMO_SIZE) q->nmemo++;
  return true;
}

static void tmatch_init(tmatch *q, const kite_module *ma, const kite_module *mb) {
  q->ma = ma;
  q->mb = mb;
  q->steps = STEP_BUDGET;
  q->nmemo = q->next = 0;
}

bool kite_deftype_equiv(const kite_module *ma, uint32_t a, const kite_module *mb, uint32_t b) {
  if (ma == mb && a == b) return true;
  tmatch q;
  tmatch_init(&q, ma, mb);
  return type_eq(&q, a, b);
}

bool kite_deftype_matches(const kite_module *ma, uint32_t a, const kite_module *mb, uint32_t b) {
  tmatch q;
  tmatch_init(&q, ma, mb);
  /* Declared supertypes are earlier types, so the walk ends. */
  for (uint32_t x = a; x < ma->ntypes;) {
    if ((ma == mb && x == b) || type_eq(&q, x, b)) return true;
    uint32_t s = ma->types[x].super;
    if (s == KITE_NO_INDEX || s >= x) return false;
    x = s;
  }
  return false;
}

static uint32_t abstract_of(const kite_module *m, uint32_t ht) {
  if (!kite_ht_is_index(ht)) return ht;
  switch (m->types[ht].comp) {
  case KITE_COMP_FUNC: return KITE_HT_FUNC;
  case KITE_COMP_STRUCT: return KITE_HT_STRUCT;
  default: return KITE_HT_ARRAY;
  }
}

/* Abstract heap type a <: abstract heap type b. */
static bool abstract_sub(uint32_t a, uint32_t b) {
  if (a == b) return true;
  switch (a) {
  case KITE_HT_NONE:
    return b == KITE_HT_ANY || b == KITE_HT_EQ || b == KITE_HT_I31 || b == KITE_HT_STRUCT ||
           b == KITE_HT_ARRAY;
  case KITE_HT_I31:
  case KITE_HT_STRUCT:
  case KITE_HT_ARRAY: return b == KITE_HT_EQ || b == KITE_HT_ANY;
  case KITE_HT_EQ: return b == KITE_HT_ANY;
  case KITE_HT_NOFUNC: return b == KITE_HT_FUNC;
  case KITE_HT_NOEXTERN: return b == KITE_HT_EXTERN;
  case KITE_HT_NOEXN: return b == KITE_HT_EXN;
  default: return false;
  }
}

static bool heap_matches(const kite_module *ma, uint32_t a, const kite_module *mb, uint32_t b,
                         bool equiv) {
  bool ia = kite_ht_is_index(a), ib = kite_ht_is_index(b);
  if ((ia && !ma) || (ib && !mb)) return a == b && ma == mb; /* no module to resolve it */
  if (ia && ib)
    return equiv ? kite_deftype_equiv(ma, a, mb, b) : kite_deftype_matches(ma, a, mb, b);
  if (ia || ib) {
    if (equiv) return false;
    if (ia) return abstract_sub(abstract_of(ma, a), b);
    /* Only the bottom type of its hierarchy is below a defined type. */
    return a == (mb->types[b].comp == KITE_COMP_FUNC ? KITE_HT_NOFUNC : KITE_HT_NONE);
  }
  return equiv ? a == b : abstract_sub(a, b);
}

bool kite_valtype_matches(const kite_module *ma, kite_valtype a, const kite_module *mb,
                          kite_valtype b) {
  if (a.kind != b.kind) return false;
  if (a.kind != KITE_VT_REF) return true;
  if (a.nullable && !b.nullable) return false;
  return heap_matches(ma, a.ht, mb, b.ht, false);
}

bool kite_valtype_equiv(const kite_module *ma, kite_valtype a, const kite_module *mb,
                        kite_valtype b) {
  if (a.kind != b.kind) return false;
  if (a.kind != KITE_VT_REF) return true;
  return a.nullable == b.nullable && a.exact == b.exact &&
         heap_matches(ma, a.ht, mb, b.ht, true);
}

/* A host's function type against type b of mb: b must be a plain function type. */
static bool host_type_matches(const kite_functype *h, const kite_module *mb, uint32_t b) {
  const kite_subtype *st = &mb->types[b];
  uint32_t first, count;
  group_of(mb, b, &first, &count);
  if (count != 1 || !st->final || st->super != KITE_NO_INDEX || st->comp != KITE_COMP_FUNC)
    return false;
  const kite_functype *y = &st->u.func;
  if (h->nparams != y->nparams || h->nresults != y->nresults) return false;
  for (uint32_t i = 0; i < h->nparams; i++)
    if (!kite_valtype_equiv(NULL, h->params[i], mb, y->params[i])) return false;
  for (uint32_t i = 0; i < h->nresults; i++)
    if (!kite_valtype_equiv(NULL, h->results[i], mb, y->results[i])) return false;
  return true;
}

bool kite_func_matches(const kite_funcinst *f, const kite_module *mb, uint32_t b) {
  if (!f->inst) return host_type_matches(f->type, mb, b);
  const kite_module *ma = f->inst->module;
  return kite_deftype_matches(ma, ma->funcs[f->index].type, mb, b);
}

bool kite_tag_matches(const kite_taginst *t, const kite_module *mb, uint32_t b) {
  if (!t->module) return host_type_matches(t->type, mb, b);
  return kite_deftype_equiv(t->module, t->typeidx, mb, b);
}
