/*
** valid_module.c: module-level validation
** (https://webassembly.github.io/spec/core/valid/modules.html): types, imports,
** functions, tables, memories, globals, tags, exports, start, element and data
** segments, then every function body. Checks run in the order of the module's
** sections, so the first error reported is the first one in the binary.
*/
#include <stdlib.h>

#include "valid.h"

static uint64_t section_start(const kite_module *m, uint8_t id) {
  for (uint32_t i = 0; i < m->nsections; i++)
    if (m->sections[i].id == id) return m->sections[i].start;
  return 0;
}

/* An entry's offset from a name it holds (names point into the module's bytes). */
static uint64_t name_offset(const kite_module *m, kite_name n, uint64_t fallback) {
  if (n.ptr >= m->bytes && n.ptr <= m->bytes + m->len) return (uint64_t)(n.ptr - m->bytes);
  return fallback;
}

static bool oom(kite_vctx *v, uint64_t off) {
  return kite_fail(v->err, KITE_ERR_OOM, 0, off, "out of memory");
}

/* ---- types of imports and definitions ---- */

static bool check_functype_index(kite_vctx *v, uint32_t idx, uint64_t off) {
  if (idx >= v->m->ntypes || v->m->types[idx].comp != KITE_COMP_FUNC)
    return kite_vfail(v, off, "unknown type %u", idx);
  return true;
}

static bool check_table_type(kite_vctx *v, const kite_table *t, uint64_t off) {
  const kite_limits *l = &t->limits;
  if (!kite_valid_valtype(v, t->elem, off)) return false;
  uint64_t range = l->is64 ? UINT64_MAX : UINT32_MAX;
  if (l->min > range || (l->has_max && l->max > range))
    return kite_vfail(v, off, "table size must be at most 2^32-1");
  if (l->has_max && l->min > l->max)
    return kite_vfail(v, off, "size minimum must not be greater than maximum");
  return true;
}

static bool check_memory_type(kite_vctx *v, const kite_memory *mem, uint64_t off) {
  const kite_limits *l = &mem->limits;
  unsigned log2 = l->page_size_log2;
  if (log2 != 16 && (log2 != 0 || !kite_has_feature(v->f, FEATX_CUSTOM_PAGE_SIZES)))
    return kite_vfail(v, off, "invalid custom page size");
  /* The largest page count: the address space in pages, and a count of 1-byte pages
     must itself fit the address type. */
  uint64_t range = l->is64 ? (log2 == 16 ? (uint64_t)1 << 48 : UINT64_MAX)
                           : (log2 == 16 ? (uint64_t)1 << 16 : UINT32_MAX);
  if (l->min > range || (l->has_max && l->max > range)) {
    if (log2 == 16 && !l->is64)
      return kite_vfail(v, off, "memory size must be at most 65536 pages (4GiB)");
    if (log2 == 16) return kite_vfail(v, off, "memory size must be at most 2^48 pages (256TiB)");
    return kite_vfail(v, off, "memory size must be at most %llu pages", (unsigned long long)range);
  }
  if (l->has_max && l->min > l->max)
    return kite_vfail(v, off, "size minimum must not be greater than maximum");
  if (l->shared && !l->has_max) return kite_vfail(v, off, "shared memory must have maximum");
  return true;
}

static bool check_tag_type(kite_vctx *v, const kite_tag *t, uint64_t off) {
  if (!check_functype_index(v, t->type, off)) return false;
  if (kite_module_functype(v->m, t->type)->nresults != 0)
    return kite_vfail(v, off, "non-empty tag result type");
  return true;
}

static bool check_imports(kite_vctx *v) {
  const kite_module *m = v->m;
  uint64_t sec = section_start(m, KITE_SEC_IMPORT);
  for (uint32_t i = 0; i < m->nimports; i++) {
    const kite_import *im = &m->imports[i];
    uint64_t off = name_offset(m, im->module, sec);
    bool ok = true;
    switch (im->kind) {
    case KITE_EXTERN_FUNC: ok = check_functype_index(v, im->u.func, off); break;
    case KITE_EXTERN_TABLE: ok = check_table_type(v, &im->u.table, off); break;
    case KITE_EXTERN_MEMORY: ok = check_memory_type(v, &im->u.memory, off); break;
    case KITE_EXTERN_GLOBAL: ok = kite_valid_valtype(v, im->u.global.type, off); break;
    default: ok = check_tag_type(v, &im->u.tag, off); break;
    }
    if (!ok) return false;
  }
  return true;
}

static bool check_result_arity(kite_vctx *v) {
  if (kite_has_feature(v->f, FEATX_MULTI_VALUE)) return true;
  for (uint32_t i = 0; i < v->m->ntypes; i++)
    if (v->m->types[i].comp == KITE_COMP_FUNC && v->m->types[i].u.func.nresults > 1)
      return kite_vfail(v, section_start(v->m, KITE_SEC_TYPE), "invalid result arity");
  return true;
}

static bool check_definitions(kite_vctx *v) {
  const kite_module *m = v->m;
  uint64_t off = section_start(m, KITE_SEC_FUNCTION);
  for (uint32_t i = m->nimported_funcs; i < m->nfuncs; i++)
    if (!check_functype_index(v, m->funcs[i].type, off)) return false;

  off = section_start(m, KITE_SEC_TABLE);
  if (m->ntables > 1 && !kite_has_feature(v->f, FEAT_REF_TYPES))
    return kite_vfail(v, off, "multiple tables");
  /* Tables come before globals: their initialisers see only imported globals. */
  uint32_t nglobals_seen = m->nimported_globals;
  for (uint32_t i = m->nimported_tables; i < m->ntables; i++) {
    const kite_table *t = &m->tables[i];
    if (!check_table_type(v, t, off)) return false;
    if (t->has_init) {
      if (!kite_valid_const_expr(v, t->init, t->elem, nglobals_seen)) return false;
    } else if (!kite_vt_defaultable(t->elem)) {
      return kite_vfail(v, off,
                        "type mismatch: table of non-nullable references needs an initializer");
    }
  }

  off = section_start(m, KITE_SEC_MEMORY);
  if (m->nmemories > 1 && !kite_has_feature(v->f, FEATX_MULTI_MEMORY))
    return kite_vfail(v, off, "multiple memories");
  for (uint32_t i = m->nimported_memories; i < m->nmemories; i++)
    if (!check_memory_type(v, &m->memories[i], off)) return false;

  off = section_start(m, KITE_SEC_TAG);
  for (uint32_t i = m->nimported_tags; i < m->ntags; i++)
    if (!check_tag_type(v, &m->tags[i], off)) return false;

  off = section_start(m, KITE_SEC_GLOBAL);
  bool gc = kite_has_feature(v->f, FEAT_GC);
  for (uint32_t i = m->nimported_globals; i < m->nglobals; i++) {
    const kite_global *g = &m->globals[i];
    if (!kite_valid_valtype(v, g->type.type, g->init.offset)) return false;
    /* 2.0: only imported globals; 3.0: every earlier global. */
    if (!kite_valid_const_expr(v, g->init, g->type.type, gc ? i : m->nimported_globals))
      return false;
  }
  return true;
}

/* ---- exports and start ---- */

typedef struct named {
  const uint8_t *ptr;
  uint32_t len;
} named;

static int cmp_named(const void *a, const void *b) {
  const named *x = a, *y = b;
  uint32_t n = x->len < y->len ? x->len : y->len;
  int c = n ? memcmp(x->ptr, y->ptr, n) : 0;
  if (c) return c;
  return x->len < y->len ? -1 : x->len > y->len;
}

static bool check_exports(kite_vctx *v) {
  const kite_module *m = v->m;
  uint64_t sec = section_start(m, KITE_SEC_EXPORT), off = sec;
  for (uint32_t i = 0; i < m->nexports; i++) {
    const kite_export *e = &m->exports[i];
    off = name_offset(m, e->name, sec);
    switch (e->kind) {
    case KITE_EXTERN_FUNC:
      if (e->index >= m->nfuncs) return kite_vfail(v, off, "unknown function %u", e->index);
      break;
    case KITE_EXTERN_TABLE:
      if (e->index >= m->ntables) return kite_vfail(v, off, "unknown table %u", e->index);
      break;
    case KITE_EXTERN_MEMORY:
      if (e->index >= m->nmemories) return kite_vfail(v, off, "unknown memory %u", e->index);
      break;
    case KITE_EXTERN_GLOBAL:
      if (e->index >= m->nglobals) return kite_vfail(v, off, "unknown global %u", e->index);
      break;
    default:
      if (e->index >= m->ntags) return kite_vfail(v, off, "unknown tag %u", e->index);
      break;
    }
  }
  if (m->nexports < 2) return true;
  /* Sorting finds duplicates in O(n log n), where pairwise comparison would be quadratic. */
  named *names = kite_malloc(v->a, (size_t)m->nexports * sizeof *names);
  if (!names) return oom(v, sec);
  for (uint32_t i = 0; i < m->nexports; i++) {
    names[i].ptr = m->exports[i].name.ptr;
    names[i].len = m->exports[i].name.len;
  }
  qsort(names, m->nexports, sizeof *names, cmp_named);
  bool ok = true;
  for (uint32_t i = 1; i < m->nexports && ok; i++)
    if (!cmp_named(&names[i - 1], &names[i]))
      ok = kite_vfail(v, name_offset(m, (kite_name){names[i].ptr, names[i].len}, sec),
                      "duplicate export name");
  kite_free(v->a, names, (size_t)m->nexports * sizeof *names);
  return ok;
}

static bool check_start(kite_vctx *v) {
  const kite_module *m = v->m;
  if (!m->has_start) return true;
  uint64_t off = section_start(m, KITE_SEC_START);
  if (m->start >= m->nfuncs) return kite_vfail(v, off, "unknown function %u", m->start);
  const kite_functype *ft = kite_module_func_type(m, m->start);
  if (ft->nparams || ft->nresults) return kite_vfail(v, off, "start function");
  return true;
}

/* ---- segments ---- */

static bool check_elems(kite_vctx *v) {
  const kite_module *m = v->m;
  uint64_t sec = section_start(m, KITE_SEC_ELEMENT);
  uint32_t nglobals_seen = kite_has_feature(v->f, FEAT_GC) ? m->nglobals : m->nimported_globals;
  for (uint32_t i = 0; i < m->nelems; i++) {
    const kite_elem *e = &m->elems[i];
    uint64_t off = e->mode == KITE_SEG_ACTIVE ? e->offset.offset : sec;
    if (!kite_valid_valtype(v, e->type, off)) return false;
    if (e->mode == KITE_SEG_ACTIVE) {
      if (e->table >= m->ntables) return kite_vfail(v, off, "unknown table %u", e->table);
      const kite_table *t = &m->tables[e->table];
      kite_valtype at = kite_vt(t->limits.is64 ? KITE_VT_I64 : KITE_VT_I32);
      if (!kite_valid_const_expr(v, e->offset, at, nglobals_seen)) return false;
      if (!kite_vt_sub(v, e->type, t->elem))
        return kite_vfail(v, off, "type mismatch: element segment does not fit its table");
    }
    if (e->funcs) {
      for (uint32_t j = 0; j < e->count; j++)
        if (e->funcs[j] >= m->nfuncs) return kite_vfail(v, off, "unknown function %u", e->funcs[j]);
    } else if (e->exprs) {
      for (uint32_t j = 0; j < e->count; j++)
        if (!kite_valid_const_expr(v, e->exprs[j], e->type, nglobals_seen)) return false;
    }
  }
  return true;
}

static bool check_datas(kite_vctx *v) {
  const kite_module *m = v->m;
  uint32_t nglobals_seen = kite_has_feature(v->f, FEAT_GC) ? m->nglobals : m->nimported_globals;
  for (uint32_t i = 0; i < m->ndatas; i++) {
    const kite_data *d = &m->datas[i];
    if (d->mode != KITE_SEG_ACTIVE) continue;
    uint64_t off = d->offset.offset;
    if (d->memory >= m->nmemories) return kite_vfail(v, off, "unknown memory %u", d->memory);
    kite_valtype at = kite_vt(m->memories[d->memory].limits.is64 ? KITE_VT_I64 : KITE_VT_I32);
    if (!kite_valid_const_expr(v, d->offset, at, nglobals_seen)) return false;
  }
  return true;
}

static bool check_code(kite_vctx *v, uint32_t threads) {
  kite_valid_code_init(v);
  return kite_valid_funcs(v, v->m->nimported_funcs, v->m->nfuncs, threads);
}

bool kite_validate_module(const kite_module *m, kite_features features, kite_error *err) {
  return kite_validate_module_threads(m, features, 0, err);
}

bool kite_validate_module_threads(const kite_module *m, kite_features features, uint32_t threads,
                                  kite_error *err) {
  return kite_validate_module_with(m, features, threads, NULL, NULL, err);
}

bool kite_validate_module_with(const kite_module *m, kite_features features, uint32_t threads,
                               void (*job)(void *), void *job_arg, kite_error *err) {
  kite_vctx v;
  memset(&v, 0, sizeof v);
  v.m = m;
  v.f = features;
  v.err = err;
  v.a = m->alloc;
  v.job = job;
  v.job_arg = job_arg;
  bool ok = kite_valid_types(&v) && check_result_arity(&v) && check_imports(&v) &&
            check_definitions(&v) && check_exports(&v) && check_start(&v) && check_elems(&v) &&
            check_datas(&v) && check_code(&v, threads);
  kite_vctx_free_scratch(&v);
  if (v.canon) kite_free(v.a, v.canon, (size_t)m->ntypes * sizeof(uint32_t));
  return ok;
}
