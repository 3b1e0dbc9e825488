/*
** type_tokens.c: a recursion group of defined types as a sequence of 32-bit tokens, the
** key by which iso-recursive equivalence is decided (the validator's canonical indices,
** the runtime's type registry). References into the group are relative to its first
** type; how a reference to a type outside the group is written is the caller's step
** (kite_typetok.outside), the only place in which those two users differ.
*/
#include "module.h"

void kite_typetok_put(kite_typetok *t, uint32_t word) {
  if (!t->oom && !kite_vec_push(t->a, &t->tokens, word)) t->oom = true;
}

static void put_heap(kite_typetok *t, uint32_t ht, uint32_t first, uint32_t count) {
  if (!kite_ht_is_index(ht)) {
    kite_typetok_put(t, 3);
    kite_typetok_put(t, ht);
  } else if (ht >= first && ht - first < count) {
    kite_typetok_put(t, 1);
    kite_typetok_put(t, ht - first);
  } else {
    t->outside(t, ht, first);
  }
}

static void put_valtype(kite_typetok *t, kite_valtype vt, uint32_t first, uint32_t count) {
  kite_typetok_put(t, (uint32_t)vt.kind | (uint32_t)vt.nullable << 8 | (uint32_t)vt.exact << 9);
  if (vt.kind == KITE_VT_REF) put_heap(t, vt.ht, first, count);
}

static void put_field(kite_typetok *t, const kite_fieldtype *ft, uint32_t first, uint32_t count) {
  kite_typetok_put(t, ft->mut);
  put_valtype(t, ft->type, first, count);
}

void kite_typetok_functype(kite_typetok *t, const kite_functype *ft, uint32_t first,
                           uint32_t count) {
  kite_typetok_put(t, ft->nparams);
  kite_typetok_put(t, ft->nresults);
  for (uint32_t j = 0; j < ft->nparams; j++) put_valtype(t, ft->params[j], first, count);
  for (uint32_t j = 0; j < ft->nresults; j++) put_valtype(t, ft->results[j], first, count);
}

void kite_typetok_group(kite_typetok *t, uint32_t first, uint32_t count) {
  kite_typetok_put(t, count);
  for (uint32_t i = 0; i < count; i++) {
    const kite_subtype *st = &t->m->types[first + i];
    kite_typetok_put(t, (uint32_t)st->comp | (uint32_t)st->final << 8 |
                            (uint32_t)st->has_describes << 9 | (uint32_t)st->has_descriptor << 10);
    if (st->super == KITE_NO_INDEX) kite_typetok_put(t, 0);
    else put_heap(t, st->super, first, count);
    if (st->has_describes) put_heap(t, st->describes, first, count);
    if (st->has_descriptor) put_heap(t, st->descriptor, first, count);
    switch (st->comp) {
    case KITE_COMP_FUNC: kite_typetok_functype(t, &st->u.func, first, count); break;
    case KITE_COMP_STRUCT:
      kite_typetok_put(t, st->u.strukt.nfields);
      for (uint32_t j = 0; j < st->u.strukt.nfields; j++)
        put_field(t, &st->u.strukt.fields[j], first, count);
      break;
    default: put_field(t, &st->u.array, first, count); break;
    }
  }
}

uint32_t kite_typetok_hash(const uint32_t *p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 16777619u;
    h ^= h >> 15;
  }
  return h;
}

void kite_typetok_free(kite_typetok *t) { kite_vec_free(t->a, &t->tokens); }
