/*
** valid_types.c: type validity, iso-recursive type equivalence and subtyping
** (https://webassembly.github.io/spec/core/valid/types.html and .../valid/matching.html).
**
** Equivalence of defined types is decided once per module: each recursion group is
** encoded as a sequence of tokens in which references into the group itself are
** relative and references to earlier groups name their canonical representative. Two
** groups are equivalent exactly when their encodings are equal, so a hash table of
** encodings assigns every type its representative in linear time.
*/
#include <stdarg.h>
#include <stdio.h>

#include "valid.h"

/* Subtype chains longer than this are rejected (as engines do), which keeps every
   subtype test O(1) and the validator linear. */
#define KITE_MAX_SUBTYPE_DEPTH 63

bool kite_vfail(kite_vctx *v, uint64_t offset, const char *fmt, ...) {
  kite_error *e = v->err;
  if (!e || e->kind != KITE_OK) return false;
  e->kind = KITE_ERR_COMPILE;
  e->code = KITE_COMPILE_INVALID;
  e->offset = offset;
  e->has_offset = true;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
  return false;
}

/* ---- canonicalisation ---- */

typedef KITE_VEC(uint32_t) u32vec;

typedef struct canon_state {
  kite_typetok enc; /* all group encodings, back to back */
  uint32_t *canon;
  u32vec group_start; /* per distinct group: offset of its encoding in enc.tokens */
  u32vec group_len;
  u32vec group_first; /* per distinct group: its first type index */
  uint32_t *table;    /* open addressing: distinct group number + 1, 0 = empty */
  uint32_t table_cap;
  uint32_t *table_hash;
} canon_state;

/* A type of an earlier group is named by its canonical index. */
static void put_outside(kite_typetok *t, uint32_t ht, uint32_t first) {
  const uint32_t *canon = t->ctx;
  kite_typetok_put(t, 2);
  kite_typetok_put(t, ht < first ? canon[ht] : ht); /* forward references are invalid anyway */
}

uint32_t *kite_types_canon(const kite_module *m, kite_alloc *a, kite_error *err) {
  if (m->ntypes == 0) return NULL;
  canon_state cs;
  memset(&cs, 0, sizeof cs);
  cs.enc.a = a;
  cs.enc.m = m;
  cs.enc.outside = put_outside;
  cs.canon = kite_calloc(a, m->ntypes, sizeof(uint32_t));
  cs.enc.ctx = cs.canon;
  /* Table capacity: a power of two at least twice the number of types. */
  uint32_t cap = 16;
  while (cap < 2 * (uint64_t)m->ntypes && cap < (1u << 31)) cap <<= 1;
  cs.table_cap = cap;
  cs.table = kite_calloc(a, cap, sizeof(uint32_t));
  cs.table_hash = kite_calloc(a, cap, sizeof(uint32_t));
  if (!cs.canon || !cs.table || !cs.table_hash) cs.enc.oom = true;

  for (uint32_t i = 0; i < m->ntypes && !cs.enc.oom;) {
    uint32_t first = i, count = m->types[i].rec_count;
    if (m->types[i].rec_first != i || count == 0 || count > m->ntypes - i) count = 1;
    size_t start = cs.enc.tokens.len;
    kite_typetok_group(&cs.enc, first, count);
    if (cs.enc.oom) break;
    size_t len = cs.enc.tokens.len - start;
    uint32_t h = kite_typetok_hash(cs.enc.tokens.data + start, len);
    uint32_t slot = h & (cap - 1), found = KITE_NO_INDEX;
    while (cs.table[slot]) {
      uint32_t g = cs.table[slot] - 1;
      if (cs.table_hash[slot] == h && cs.group_len.data[g] == len &&
          !memcmp(cs.enc.tokens.data + cs.group_start.data[g], cs.enc.tokens.data + start,
                  len * sizeof(uint32_t))) {
        found = cs.group_first.data[g];
        break;
      }
      slot = (slot + 1) & (cap - 1);
    }
    if (found != KITE_NO_INDEX) {
      for (uint32_t j = 0; j < count; j++) cs.canon[first + j] = found + j;
      cs.enc.tokens.len = start; /* a duplicate: its encoding is not kept */
    } else {
      uint32_t g = (uint32_t)cs.group_first.len;
      if (!kite_vec_push(a, &cs.group_first, first) ||
          !kite_vec_push(a, &cs.group_start, (uint32_t)start) ||
          !kite_vec_push(a, &cs.group_len, (uint32_t)len)) {
        cs.enc.oom = true;
        break;
      }
      cs.table[slot] = g + 1;
      cs.table_hash[slot] = h;
      for (uint32_t j = 0; j < count; j++) cs.canon[first + j] = first + j;
    }
    i += count;
  }
  kite_typetok_free(&cs.enc);
  kite_vec_free(a, &cs.group_first);
  kite_vec_free(a, &cs.group_start);
  kite_vec_free(a, &cs.group_len);
  kite_free(a, cs.table, cs.table ? (size_t)cap * sizeof(uint32_t) : 0);
  kite_free(a, cs.table_hash, cs.table_hash ? (size_t)cap * sizeof(uint32_t) : 0);
  if (cs.enc.oom) {
    if (cs.canon) kite_free(a, cs.canon, (size_t)m->ntypes * sizeof(uint32_t));
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  return cs.canon;
}

/* ---- subtyping ---- */

static bool idx_eq(const kite_module *m, const uint32_t *canon, uint32_t a, uint32_t b) {
  if (a == b) return true;
  if (a >= m->ntypes || b >= m->ntypes) return false;
  return canon && canon[a] == canon[b];
}

static uint32_t abstract_of_comp(uint8_t comp) {
  return comp == KITE_COMP_FUNC     ? KITE_HT_FUNC
         : comp == KITE_COMP_STRUCT ? KITE_HT_STRUCT
                                    : KITE_HT_ARRAY;
}

uint32_t kite_ht_top(const kite_module *m, uint32_t ht) {
  if (kite_ht_is_index(ht)) {
    if (ht >= m->ntypes) return KITE_HT_ANY;
    return m->types[ht].comp == KITE_COMP_FUNC ? KITE_HT_FUNC : KITE_HT_ANY;
  }
  switch (ht) {
  case KITE_HT_FUNC:
  case KITE_HT_NOFUNC: return KITE_HT_FUNC;
  case KITE_HT_EXTERN:
  case KITE_HT_NOEXTERN: return KITE_HT_EXTERN;
  case KITE_HT_EXN:
  case KITE_HT_NOEXN: return KITE_HT_EXN;
  case KITE_HT_BOT: return KITE_HT_BOT;
  default: return KITE_HT_ANY;
  }
}

/* Abstract heap type a <: abstract heap type b. */
static bool abstract_sub(uint32_t a, uint32_t b) {
  if (a == b || a == KITE_HT_BOT) return true;
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

static bool ht_sub(const kite_module *m, const uint32_t *canon, uint32_t a, uint32_t b) {
  if (a == b || a == KITE_HT_BOT) return true;
  if (kite_ht_is_index(a)) {
    if (a >= m->ntypes) return false;
    if (kite_ht_is_index(b)) {
      /* Walk the declared supertypes: bounded by KITE_MAX_SUBTYPE_DEPTH. */
      for (uint32_t x = a, steps = 0; x < m->ntypes && steps <= KITE_MAX_SUBTYPE_DEPTH + 1;
           steps++) {
        if (idx_eq(m, canon, x, b)) return true;
        uint32_t s = m->types[x].super;
        if (s == KITE_NO_INDEX || s >= x) return false;
        x = s;
      }
      return false;
    }
    return abstract_sub(abstract_of_comp(m->types[a].comp), b);
  }
  if (kite_ht_is_index(b)) {
    if (b >= m->ntypes) return false;
    uint8_t comp = m->types[b].comp;
    return comp == KITE_COMP_FUNC ? a == KITE_HT_NOFUNC : a == KITE_HT_NONE;
  }
  return abstract_sub(a, b);
}

static bool vt_sub(const kite_module *m, const uint32_t *canon, kite_valtype a, kite_valtype b) {
  if (a.kind == KITE_VT_BOT) return true;
  if (a.kind != b.kind) return false;
  if (a.kind != KITE_VT_REF) return true;
  if (a.nullable && !b.nullable) return false;
  /* Custom descriptors: an exact type has no subtypes but itself and the bottoms. */
  if (b.exact && kite_ht_is_index(a.ht)) return a.exact && idx_eq(m, canon, a.ht, b.ht);
  return ht_sub(m, canon, a.ht, b.ht);
}

bool kite_ht_sub(const kite_vctx *v, uint32_t a, uint32_t b) {
  return ht_sub(v->m, v->canon, a, b);
}
bool kite_vt_sub(const kite_vctx *v, kite_valtype a, kite_valtype b) {
  return vt_sub(v->m, v->canon, a, b);
}

static bool needs_canon(kite_valtype a, kite_valtype b) {
  return a.kind == KITE_VT_REF && b.kind == KITE_VT_REF && kite_ht_is_index(a.ht) &&
         kite_ht_is_index(b.ht) && a.ht != b.ht;
}

bool kite_valtype_sub_canon(const kite_module *m, const uint32_t *canon, kite_valtype a,
                            kite_valtype b) {
  return vt_sub(m, canon, a, b);
}

bool kite_valtype_sub(const kite_module *m, kite_valtype a, kite_valtype b) {
  if (!needs_canon(a, b)) return vt_sub(m, NULL, a, b);
  kite_error e;
  kite_error_clear(&e);
  uint32_t *canon = kite_types_canon(m, m->alloc, &e);
  if (!canon) return false;
  bool ok = vt_sub(m, canon, a, b);
  kite_free(m->alloc, canon, (size_t)m->ntypes * sizeof(uint32_t));
  return ok;
}

bool kite_vt_defaultable(kite_valtype t) { return t.kind != KITE_VT_REF || t.nullable; }

bool kite_vt_is_num_or_vec(kite_valtype t) {
  return t.kind == KITE_VT_I32 || t.kind == KITE_VT_I64 || t.kind == KITE_VT_F32 ||
         t.kind == KITE_VT_F64 || t.kind == KITE_VT_V128;
}

/* ---- names for messages ---- */

static const char *abstract_name(uint32_t ht) {
  switch (ht) {
  case KITE_HT_EXN: return "exn";
  case KITE_HT_ARRAY: return "array";
  case KITE_HT_STRUCT: return "struct";
  case KITE_HT_I31: return "i31";
  case KITE_HT_EQ: return "eq";
  case KITE_HT_ANY: return "any";
  case KITE_HT_EXTERN: return "extern";
  case KITE_HT_FUNC: return "func";
  case KITE_HT_NONE: return "none";
  case KITE_HT_NOEXTERN: return "noextern";
  case KITE_HT_NOFUNC: return "nofunc";
  case KITE_HT_NOEXN: return "noexn";
  default: return "bot";
  }
}

void kite_vt_name(kite_valtype t, char *buf, size_t size) {
  const char *s = NULL;
  switch (t.kind) {
  case KITE_VT_I32: s = "i32"; break;
  case KITE_VT_I64: s = "i64"; break;
  case KITE_VT_F32: s = "f32"; break;
  case KITE_VT_F64: s = "f64"; break;
  case KITE_VT_V128: s = "v128"; break;
  case KITE_VT_I8: s = "i8"; break;
  case KITE_VT_I16: s = "i16"; break;
  case KITE_VT_BOT: s = "bot"; break;
  default: break;
  }
  if (s) {
    snprintf(buf, size, "%s", s);
  } else if (kite_ht_is_index(t.ht)) {
    snprintf(buf, size, "(ref %s%s%u)", t.nullable ? "null " : "", t.exact ? "exact " : "", t.ht);
  } else if (t.nullable && t.ht != KITE_HT_BOT) {
    snprintf(buf, size, "%sref", abstract_name(t.ht));
  } else {
    snprintf(buf, size, "(ref %s%s)", t.nullable ? "null " : "", abstract_name(t.ht));
  }
}

/* ---- validity of types ---- */

static bool heaptype_below(kite_vctx *v, uint32_t ht, uint32_t limit, uint64_t offset) {
  if (kite_ht_is_index(ht) && ht >= limit) return kite_vfail(v, offset, "unknown type %u", ht);
  return true;
}

bool kite_valid_heaptype(kite_vctx *v, uint32_t ht, uint64_t offset) {
  return heaptype_below(v, ht, v->m->ntypes, offset);
}

bool kite_valid_valtype(kite_vctx *v, kite_valtype t, uint64_t offset) {
  if (t.kind != KITE_VT_REF) return true;
  return kite_valid_heaptype(v, t.ht, offset);
}

static bool field_sub(const kite_vctx *v, const kite_fieldtype *a, const kite_fieldtype *b) {
  if (a->mut != b->mut) return false;
  bool packed_a = a->type.kind == KITE_VT_I8 || a->type.kind == KITE_VT_I16;
  bool packed_b = b->type.kind == KITE_VT_I8 || b->type.kind == KITE_VT_I16;
  if (packed_a || packed_b) return a->type.kind == b->type.kind;
  if (!kite_vt_sub(v, a->type, b->type)) return false;
  return !a->mut || kite_vt_sub(v, b->type, a->type);
}

static bool comp_sub(const kite_vctx *v, const kite_subtype *a, const kite_subtype *b) {
  if (a->comp != b->comp) return false;
  switch (a->comp) {
  case KITE_COMP_FUNC: {
    const kite_functype *fa = &a->u.func, *fb = &b->u.func;
    if (fa->nparams != fb->nparams || fa->nresults != fb->nresults) return false;
    for (uint32_t i = 0; i < fa->nparams; i++)
      if (!kite_vt_sub(v, fb->params[i], fa->params[i])) return false;
    for (uint32_t i = 0; i < fa->nresults; i++)
      if (!kite_vt_sub(v, fa->results[i], fb->results[i])) return false;
    return true;
  }
  case KITE_COMP_STRUCT:
    if (a->u.strukt.nfields < b->u.strukt.nfields) return false;
    for (uint32_t i = 0; i < b->u.strukt.nfields; i++)
      if (!field_sub(v, &a->u.strukt.fields[i], &b->u.strukt.fields[i])) return false;
    return true;
  default: return field_sub(v, &a->u.array, &b->u.array);
  }
}

static bool fields_valid(kite_vctx *v, const kite_subtype *st, uint32_t limit, uint64_t off) {
  switch (st->comp) {
  case KITE_COMP_FUNC:
    for (uint32_t j = 0; j < st->u.func.nparams; j++)
      if (st->u.func.params[j].kind == KITE_VT_REF &&
          !heaptype_below(v, st->u.func.params[j].ht, limit, off))
        return false;
    for (uint32_t j = 0; j < st->u.func.nresults; j++)
      if (st->u.func.results[j].kind == KITE_VT_REF &&
          !heaptype_below(v, st->u.func.results[j].ht, limit, off))
        return false;
    return true;
  case KITE_COMP_STRUCT:
    for (uint32_t j = 0; j < st->u.strukt.nfields; j++)
      if (st->u.strukt.fields[j].type.kind == KITE_VT_REF &&
          !heaptype_below(v, st->u.strukt.fields[j].type.ht, limit, off))
        return false;
    return true;
  default:
    return st->u.array.type.kind != KITE_VT_REF ||
           heaptype_below(v, st->u.array.type.ht, limit, off);
  }
}

/* The type section's offset, for errors that belong to no instruction. */
static uint64_t section_offset(const kite_module *m, uint8_t id) {
  for (uint32_t i = 0; i < m->nsections; i++)
    if (m->sections[i].id == id) return m->sections[i].start;
  return 0;
}

/* Custom descriptors: the describes and descriptor clauses of one recursion group name
   struct types of the group that name each other back; a described type comes first. */
static bool desc_clauses_valid(kite_vctx *v, uint32_t first, uint32_t count, uint64_t off) {
  const kite_module *m = v->m;
  for (uint32_t x = first; x < first + count; x++) {
    const kite_subtype *st = &m->types[x];
    if (st->has_descriptor) {
      uint32_t y = st->descriptor;
      if (y < first || y - first >= count)
        return kite_vfail(v, off, "descriptor type is outside rec group");
      if (st->comp != KITE_COMP_STRUCT)
        return kite_vfail(v, off, "descriptor type must be a struct");
      if (!m->types[y].has_describes || m->types[y].describes != x)
        return kite_vfail(v, off, "type is not described by its descriptor");
    }
    if (st->has_describes) {
      uint32_t z = st->describes;
      if (z < first || z - first >= count)
        return kite_vfail(v, off, "described type is outside rec group");
      if (z >= x) return kite_vfail(v, off, "forward use of described type");
      if (st->comp != KITE_COMP_STRUCT)
        return kite_vfail(v, off, "described type must be a struct");
      if (!m->types[z].has_descriptor || m->types[z].descriptor != x)
        return kite_vfail(v, off, "described type is not described by descriptor");
    }
  }
  return true;
}

/* Custom descriptors' rules for a declared supertype: a supertype's descriptor (and
   described type) is matched by the subtype's. */
static bool desc_sub(kite_vctx *v, uint32_t x, uint32_t s, uint64_t off) {
  const kite_subtype *st = &v->m->types[x], *sup = &v->m->types[s];
  if ((sup->has_descriptor && !st->has_descriptor) || st->has_describes != sup->has_describes)
    return kite_vfail(v, off, "sub type %u does not match super type %u", x, s);
  if (!comp_sub(v, st, sup))
    return kite_vfail(v, off, "sub type %u does not match super type %u", x, s);
  if (st->has_describes && !kite_ht_sub(v, st->describes, sup->describes))
    return kite_vfail(v, off, "described type %u does not match", st->describes);
  if (st->has_descriptor && sup->has_descriptor && !kite_ht_sub(v, st->descriptor, sup->descriptor))
    return kite_vfail(v, off, "descriptor type %u does not match", st->descriptor);
  return true;
}

bool kite_valid_types(kite_vctx *v) {
  const kite_module *m = v->m;
  if (m->ntypes == 0) return true;
  v->canon = kite_types_canon(m, v->a, v->err);
  if (!v->canon) return false;
  uint64_t off = section_offset(m, 1);
  uint8_t *depth = kite_calloc(v->a, m->ntypes, 1);
  if (!depth) return kite_fail(v->err, KITE_ERR_OOM, 0, off, "out of memory");
  bool ok = true;
  for (uint32_t x = 0; x < m->ntypes && ok; x++) {
    const kite_subtype *st = &m->types[x];
    uint32_t limit = st->rec_first + st->rec_count;
    if (limit > m->ntypes || limit <= x) limit = x + 1;
    if (st->rec_first == x && !desc_clauses_valid(v, x, limit - x, off)) {
      ok = false;
      break;
    }
    if (!fields_valid(v, st, limit, off)) {
      ok = false;
      break;
    }
    if (st->super == KITE_NO_INDEX) continue;
    uint32_t s = st->super;
    if (s >= x) {
      ok = kite_vfail(v, off, "unknown type %u", s);
      break;
    }
    const kite_subtype *sup = &m->types[s];
    if (sup->final) {
      ok = kite_vfail(v, off, "sub type %u does not match super type %u", x, s);
      break;
    }
    if (!desc_sub(v, x, s, off)) {
      ok = false;
      break;
    }
    depth[x] = (uint8_t)(depth[s] + 1);
    if (depth[x] > KITE_MAX_SUBTYPE_DEPTH) {
      ok = kite_vfail(v, off, "sub type %u: subtype hierarchy too deep", x);
      break;
    }
  }
  kite_free(v->a, depth, m->ntypes);
  return ok;
}
