/*
** instance.c: linking and instantiation.
*/
#include <stdatomic.h>

#include "runtime.h"

#include "binary.h"
#include "exec.h"
#include "valid.h"

/* ---- constant expressions ---- */

typedef kite_cval cval;

static bool eval_const(kite_instance *inst, kite_expr e, cval *out, kite_error *err) {
  const kite_module *m = inst->module;
  kite_reader r = {m->bytes, m->bytes + e.offset, m->bytes + e.offset + e.len, err};
  cval stack[32];
  uint32_t sp = 0;
  for (;;) {
    kite_insn in;
    if (!kite_read_insn(&r, KITE_FEATURES_ALL, &in)) return false;
    if (in.op == OP_END) break;
    if (sp >= 32 && in.op != OP_I32_ADD && in.op != OP_I32_SUB && in.op != OP_I32_MUL &&
        in.op != OP_I64_ADD && in.op != OP_I64_SUB && in.op != OP_I64_MUL)
      return kite_fail(err, KITE_ERR_USAGE, 0, in.offset, "constant expression too deep");
    cval *t = &stack[sp];
    switch (in.op) {
    case OP_I32_CONST:
      t->s[0] = (uint32_t)in.val.i32;
      sp++;
      break;
    case OP_I64_CONST:
      t->s[0] = (uint64_t)in.val.i64;
      sp++;
      break;
    case OP_F32_CONST:
      t->s[0] = in.val.f32;
      sp++;
      break;
    case OP_F64_CONST:
      t->s[0] = in.val.f64;
      sp++;
      break;
    case OP_REF_NULL:
      t->s[0] = KITE_REF_NULL;
      sp++;
      break;
    case OP_REF_FUNC:
      t->s[0] = (kite_ref)(uintptr_t)inst->funcs[in.idx];
      sp++;
      break;
    case OP_GLOBAL_GET:
      memcpy(t->s, inst->globals[in.idx]->slots, sizeof t->s);
      sp++;
      break;
    case OP_I32_ADD:
      sp--;
      stack[sp - 1].s[0] = (uint32_t)(stack[sp - 1].s[0] + stack[sp].s[0]);
      break;
    case OP_I32_SUB:
      sp--;
      stack[sp - 1].s[0] = (uint32_t)(stack[sp - 1].s[0] - stack[sp].s[0]);
      break;
    case OP_I32_MUL:
      sp--;
      stack[sp - 1].s[0] = (uint32_t)(stack[sp - 1].s[0] * stack[sp].s[0]);
      break;
    case OP_I64_ADD:
      sp--;
      stack[sp - 1].s[0] += stack[sp].s[0];
      break;
    case OP_I64_SUB:
      sp--;
      stack[sp - 1].s[0] -= stack[sp].s[0];
      break;
    case OP_I64_MUL:
      sp--;
      stack[sp - 1].s[0] *= stack[sp].s[0];
      break;
    default:
      if (in.op == kite_opcode_lookup(0xFD, 12)) { /* v128.const */
        memcpy(t->s, in.bytes, 16);
        sp++;
        break;
      }
      if (kite_opinfo_table[in.op].feature == FEAT_GC ||
          kite_opinfo_table[in.op].feature == FEAT_CUSTOM_DESC) {
        if (!kite_gc_const_insn(inst, &in, stack, &sp, 32, err)) return false;
        break;
      }
      return kite_fail(err, KITE_ERR_USAGE, 0, in.offset, "unsupported constant expression");
    }
  }
  if (sp != 1) return kite_fail(err, KITE_ERR_USAGE, 0, e.offset, "invalid constant expression");
  *out = stack[0];
  return true;
}

/* ---- linking ---- */

static bool limits_match(uint64_t cur, bool has_max, uint64_t max, const kite_limits *want) {
  if (cur < want->min) return false;
  if (want->has_max && (!has_max || max > want->max)) return false;
  return true;
}

/* The canonical type of a value type's heap type when it is a type index of inst's
   module; NULL otherwise. */
static const kite_rtt *rtt_of(const kite_instance *inst, kite_valtype t) {
  return t.kind == KITE_VT_REF && kite_ht_is_index(t.ht) ? inst->rtts[t.ht] : NULL;
}

static bool reftype_eq(kite_valtype a, const kite_rtt *ra, kite_valtype b, const kite_rtt *rb) {
  return kite_gc_valtype_sub(a, ra, b, rb) && kite_gc_valtype_sub(b, rb, a, ra);
}

/* Import matching uses the store's canonical types: type indices of two modules are
   equal when their recursion groups are equivalent, and subtyping is declared. */
static bool import_matches(const kite_instance *inst, const kite_import *imp,
                           const kite_extern *x) {
  if (x->kind != imp->kind) return false;
  switch (imp->kind) {
  case KITE_EXTERN_FUNC:
    if (imp->exact) /* custom descriptors: the very type, not a subtype */
      return x->u.func && x->u.func->rtt && x->u.func->rtt == inst->rtts[imp->u.func];
    return x->u.func && kite_gc_func_matches(x->u.func, inst->rtts[imp->u.func]);
  case KITE_EXTERN_TABLE: {
    const kite_tableinst *t = x->u.table;
    const kite_table *want = &imp->u.table;
    return t && reftype_eq(t->elem, t->elem_rtt, want->elem, rtt_of(inst, want->elem)) &&
           t->limits.is64 == want->limits.is64 &&
           limits_match(t->size, t->limits.has_max, t->limits.max, &want->limits);
  }
  case KITE_EXTERN_MEMORY: {
    const kite_meminst *mi = x->u.memory;
    const kite_limits *want = &imp->u.memory.limits;
    return mi && mi->limits.is64 == want->is64 && mi->limits.shared == want->shared &&
           mi->limits.page_size_log2 == want->page_size_log2 &&
           limits_match(mi->pages, mi->limits.has_max, mi->limits.max, want);
  }
  case KITE_EXTERN_GLOBAL: {
    /* Mutable globals must match exactly; an immutable one may be of a subtype. */
    const kite_globalinst *g = x->u.global;
    if (!g || g->type.mut != imp->u.global.mut) return false;
    kite_valtype have = g->type.type, want = imp->u.global.type;
    const kite_rtt *rh = g->rtt, *rw = rtt_of(inst, want);
    return g->type.mut ? reftype_eq(have, rh, want, rw) : kite_gc_valtype_sub(have, rh, want, rw);
  }
  case KITE_EXTERN_TAG:
    return x->u.tag && x->u.tag->rtt && x->u.tag->rtt == inst->rtts[imp->u.tag.type];
  }
  return false;
}

/* ---- instantiation ---- */

static bool alloc_arrays(kite_store *s, kite_instance *inst) {
  const kite_module *m = inst->module;
  kite_alloc *a = s->alloc;
  uint32_t ndef = m->nfuncs - m->nimported_funcs;
  /* Not zeroed, as a module may have many functions: bind_imports and
     create_definitions write every entry before anything reads them. */
  size_t nfuncs = m->nfuncs ? m->nfuncs : 1, nown = ndef ? ndef : 1;
  inst->funcs = nfuncs <= SIZE_MAX / sizeof *inst->funcs
                    ? kite_malloc(a, nfuncs * sizeof *inst->funcs)
                    : NULL;
  inst->own_funcs = nown <= SIZE_MAX / sizeof *inst->own_funcs
                        ? kite_malloc(a, nown * sizeof *inst->own_funcs)
                        : NULL;
  inst->tables = kite_calloc(a, m->ntables ? m->ntables : 1, sizeof *inst->tables);
  inst->memories = kite_calloc(a, m->nmemories ? m->nmemories : 1, sizeof *inst->memories);
  inst->globals = kite_calloc(a, m->nglobals ? m->nglobals : 1, sizeof *inst->globals);
  inst->tags = kite_calloc(a, m->ntags ? m->ntags : 1, sizeof *inst->tags);
  inst->elem_refs = kite_calloc(a, m->nelems ? m->nelems : 1, sizeof *inst->elem_refs);
  inst->elem_len = kite_calloc(a, m->nelems ? m->nelems : 1, sizeof *inst->elem_len);
  inst->data_len = kite_calloc(a, m->ndatas ? m->ndatas : 1, sizeof *inst->data_len);
  inst->rtts = kite_calloc(a, m->ntypes ? m->ntypes : 1, sizeof *inst->rtts);
  return inst->rtts && inst->funcs && inst->own_funcs && inst->tables && inst->memories &&
         inst->globals && inst->tags && inst->elem_refs && inst->elem_len && inst->data_len;
}

void kite_instance_release(kite_store *s, kite_instance *inst) {
  const kite_module *m = inst->module;
  kite_alloc *a = s->alloc;
  uint32_t ndef = m->nfuncs - m->nimported_funcs;
  if (inst->elem_refs)
    for (uint32_t i = 0; i < m->nelems; i++)
      kite_free(a, inst->elem_refs[i],
                (m->elems[i].count ? m->elems[i].count : 1) * sizeof(kite_ref));
  kite_free(a, inst->funcs, (m->nfuncs ? m->nfuncs : 1) * sizeof *inst->funcs);
  kite_free(a, inst->own_funcs, (ndef ? ndef : 1) * sizeof *inst->own_funcs);
  kite_free(a, inst->tables, (m->ntables ? m->ntables : 1) * sizeof *inst->tables);
  kite_free(a, inst->memories, (m->nmemories ? m->nmemories : 1) * sizeof *inst->memories);
  kite_free(a, inst->globals, (m->nglobals ? m->nglobals : 1) * sizeof *inst->globals);
  kite_free(a, inst->tags, (m->ntags ? m->ntags : 1) * sizeof *inst->tags);
  kite_free(a, inst->elem_refs, (m->nelems ? m->nelems : 1) * sizeof *inst->elem_refs);
  kite_free(a, inst->elem_len, (m->nelems ? m->nelems : 1) * sizeof *inst->elem_len);
  kite_free(a, inst->data_len, (m->ndatas ? m->ndatas : 1) * sizeof *inst->data_len);
  if (inst->rtts) kite_gc_release_module(s->engine, m, inst->rtts);
  kite_free(a, (void *)inst->rtts, (m->ntypes ? m->ntypes : 1) * sizeof *inst->rtts);
  kite_free(a, inst, sizeof *inst);
}

static bool oom(kite_error *err) { return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory"); }

static bool bind_imports(kite_instance *inst, const kite_extern *imports, kite_error *err) {
  const kite_module *m = inst->module;
  uint32_t nf = 0, nt = 0, nm = 0, ng = 0, ntag = 0;
  for (uint32_t i = 0; i < m->nimports; i++) {
    const kite_import *imp = &m->imports[i];
    const kite_extern *x = &imports[i];
    if (!import_matches(inst, imp, x))
      return kite_fail(err, KITE_ERR_LINK, 0, 0, "incompatible import type");
    switch (imp->kind) {
    case KITE_EXTERN_FUNC: inst->funcs[nf++] = x->u.func; break;
    case KITE_EXTERN_TABLE: inst->tables[nt++] = x->u.table; break;
    case KITE_EXTERN_MEMORY:
      if (!kite_meminst_share(inst->store, x->u.memory, err)) return false;
      inst->memories[nm++] = x->u.memory;
      break;
    case KITE_EXTERN_GLOBAL: inst->globals[ng++] = x->u.global; break;
    case KITE_EXTERN_TAG: inst->tags[ntag++] = x->u.tag; break;
    }
  }
  return true;
}

static bool create_definitions(kite_store *s, kite_instance *inst, kite_error *err) {
  const kite_module *m = inst->module;
  /*
  ** A defined function's instance depends on its type only, but for its index: one
  ** template per type (its slot counts computed once, for far more functions than
  ** types), copied whole into each function. A template whose `inst` is NULL is not
  ** made yet.
  */
  kite_funcinst *tmpl = m->ntypes ? kite_malloc(s->alloc, m->ntypes * sizeof *tmpl) : NULL;
  if (m->ntypes && !tmpl) return oom(err);
  for (uint32_t t = 0; t < m->ntypes; t++) tmpl[t].inst = NULL;
  kite_funcinst *f = inst->own_funcs;
  for (uint32_t i = m->nimported_funcs; i < m->nfuncs; i++, f++) {
    uint32_t type = m->funcs[i].type;
    kite_funcinst *t = &tmpl[type];
    if (!t->inst) {
      memset(t, 0, sizeof *t);
      atomic_init(&t->code, NULL);
      t->type = kite_module_func_type(m, i);
      t->rtt = inst->rtts[type];
      kite_funcinst_init_slots(t);
      t->inst = inst;
    }
    memcpy(f, t, sizeof *f);
    f->index = i;
    inst->funcs[i] = f;
  }
  kite_free(s->alloc, tmpl, m->ntypes * sizeof *tmpl);
  for (uint32_t i = m->nimported_globals; i < m->nglobals; i++) {
    cval v;
    if (!eval_const(inst, m->globals[i].init, &v, err)) return false;
    kite_value init = kite_value_from_slots(m->globals[i].type.type, v.s);
    inst->globals[i] = kite_global_new(s, m->globals[i].type, init, err);
    if (!inst->globals[i]) return false;
    inst->globals[i]->rtt = rtt_of(inst, m->globals[i].type.type);
    inst->globals[i]->module = m;
  }
  for (uint32_t i = m->nimported_tables; i < m->ntables; i++) {
    const kite_table *t = &m->tables[i];
    kite_value init = kite_val_null(t->elem.ht);
    init.type = t->elem;
    if (t->has_init) {
      cval v;
      if (!eval_const(inst, t->init, &v, err)) return false;
      init.u.ref = v.s[0];
    }
    inst->tables[i] = kite_table_new(s, t->elem, &t->limits, init, err);
    if (!inst->tables[i]) return false;
    inst->tables[i]->elem_rtt = rtt_of(inst, t->elem);
    inst->tables[i]->module = m;
  }
  for (uint32_t i = m->nimported_memories; i < m->nmemories; i++) {
    inst->memories[i] = kite_memory_new(s, &m->memories[i].limits, err);
    if (!inst->memories[i]) return false;
  }
  for (uint32_t i = m->nimported_tags; i < m->ntags; i++) {
    kite_taginst *t = kite_calloc(s->alloc, 1, sizeof *t);
    if (!t) return oom(err);
    t->type = kite_module_functype(m, m->tags[i].type);
    t->rtt = inst->rtts[m->tags[i].type];
    t->module = m;
    t->typeidx = m->tags[i].type;
    kite_store_adopt(s, &t->obj, KITE_EXTERN_TAG);
    inst->tags[i] = t;
  }
  /* Element segments become reference arrays; data segments keep their bytes in the
     module and only need a length (0 once dropped). */
  for (uint32_t i = 0; i < m->nelems; i++) {
    const kite_elem *e = &m->elems[i];
    size_t n = e->count ? e->count : 1;
    if (e->funcs) {
      /* Function indices (a table of every function is common): not zeroed, as every
         entry is set at once. The loop reads through locals, as the stores into refs
         could alias inst's and e's fields. */
      kite_ref *refs =
          n <= SIZE_MAX / sizeof *refs ? kite_malloc(s->alloc, n * sizeof *refs) : NULL;
      if (!refs) return oom(err);
      kite_funcinst *const *funcs = inst->funcs;
      const uint32_t *index = e->funcs;
      for (uint32_t k = 0; k < e->count; k++) refs[k] = (kite_ref)(uintptr_t)funcs[index[k]];
      inst->elem_refs[i] = refs;
      inst->elem_len[i] = e->count;
      continue;
    }
    /* Zeroed: the collector may see the segment before every expression is evaluated. */
    kite_ref *refs = kite_calloc(s->alloc, n, sizeof *refs);
    if (!refs) return oom(err);
    inst->elem_refs[i] = refs;
    inst->elem_len[i] = e->count;
    for (uint32_t k = 0; k < e->count; k++) {
      cval v;
      if (!eval_const(inst, e->exprs[k], &v, err)) return false;
      refs[k] = v.s[0];
    }
  }
  for (uint32_t i = 0; i < m->ndatas; i++) inst->data_len[i] = m->datas[i].len;
  return true;
}

static bool init_segments(kite_instance *inst, kite_error *err) {
  const kite_module *m = inst->module;
  for (uint32_t i = 0; i < m->nelems; i++) {
    const kite_elem *e = &m->elems[i];
    if (e->mode == KITE_SEG_ACTIVE) {
      cval off;
      if (!eval_const(inst, e->offset, &off, err)) return false;
      kite_tableinst *t = inst->tables[e->table];
      uint64_t d = t->limits.is64 ? off.s[0] : (uint32_t)off.s[0];
      if (d > t->size || e->count > t->size - d)
        return kite_fail(err, KITE_ERR_RUNTIME, KITE_TRAP_TABLE_OOB, 0,
                         "out of bounds table access");
      if (e->count) memcpy(t->elems + d, inst->elem_refs[i], e->count * sizeof(kite_ref));
    }
    if (e->mode != KITE_SEG_PASSIVE) inst->elem_len[i] = 0;
  }
  for (uint32_t i = 0; i < m->ndatas; i++) {
    const kite_data *dseg = &m->datas[i];
    if (dseg->mode != KITE_SEG_ACTIVE) continue;
    cval off;
    if (!eval_const(inst, dseg->offset, &off, err)) return false;
    kite_meminst *mem = inst->memories[dseg->memory];
    uint64_t d = mem->limits.is64 ? off.s[0] : (uint32_t)off.s[0];
    if (d > mem->size || dseg->len > mem->size - d)
      return kite_fail(err, KITE_ERR_RUNTIME, KITE_TRAP_MEMORY_OOB, 0,
                       "out of bounds memory access");
    if (dseg->len) memcpy(mem->data + d, m->bytes + dseg->offset_in_bytes, dseg->len);
    inst->data_len[i] = 0;
  }
  return true;
}

kite_instance *kite_instantiate(kite_store *s, const kite_module *m, const kite_extern *imports,
                                uint32_t nimports, kite_error *err) {
  if (nimports != m->nimports) {
    kite_fail(err, KITE_ERR_LINK, 0, 0, "unknown import");
    return NULL;
  }
  kite_instance *inst = kite_calloc(s->alloc, 1, sizeof *inst);
  if (!inst) {
    oom(err);
    return NULL;
  }
  inst->store = s;
  inst->module = m;
  /* Owned by the store from here on, whatever happens next. */
  kite_store_adopt(s, &inst->obj, KITE_OBJ_INSTANCE);
  if (!alloc_arrays(s, inst)) {
    oom(err);
    return NULL;
  }
  if (!kite_gc_canon_module(s->engine, m, inst->rtts, err)) return NULL;
  if (!bind_imports(inst, imports, err)) return NULL;
  /* Constant expressions hold new GC objects in C variables until they are stored. */
  kite_gc_inhibit(s, true);
  bool defined = create_definitions(s, inst, err);
  kite_gc_inhibit(s, false);
  if (!defined) return NULL;
  inst->guarded = true;
  for (uint32_t i = 0; i < m->nmemories; i++)
    if (!inst->memories[i]->limits.is64 && !inst->memories[i]->guarded) inst->guarded = false;
  inst->code = kite_exec_module_get(m, err);
  if (!inst->code) return NULL;
  if (!init_segments(inst, err)) return NULL;
  if (m->has_start) {
    kite_funcinst *f = inst->funcs[m->start];
    uint64_t slots[1];
    s->trace.nframes = s->trace.depth = 0;
    inst->starting = true;
    bool started = kite_exec_call(s, f, slots, err);
    inst->starting = false;
    if (!started) return NULL;
  }
  return inst;
}

bool kite_instance_export(const kite_instance *inst, const char *name, size_t len,
                          kite_extern *out) {
  const kite_module *m = inst->module;
  for (uint32_t i = 0; i < m->nexports; i++) {
    const kite_export *x = &m->exports[i];
    if (x->name.len != len || memcmp(x->name.ptr, name, len) != 0) continue;
    out->kind = x->kind;
    switch (x->kind) {
    case KITE_EXTERN_FUNC: out->u.func = inst->funcs[x->index]; break;
    case KITE_EXTERN_TABLE: out->u.table = inst->tables[x->index]; break;
    case KITE_EXTERN_MEMORY: out->u.memory = inst->memories[x->index]; break;
    case KITE_EXTERN_GLOBAL: out->u.global = inst->globals[x->index]; break;
    case KITE_EXTERN_TAG: out->u.tag = inst->tags[x->index]; break;
    default: return false;
    }
    return true;
  }
  return false;
}

const kite_module *kite_instance_module(const kite_instance *inst) { return inst->module; }
kite_funcinst *kite_instance_func(const kite_instance *inst, uint32_t idx) {
  return idx < inst->module->nfuncs ? inst->funcs[idx] : NULL;
}
kite_meminst *kite_instance_memory(const kite_instance *inst, uint32_t idx) {
  return idx < inst->module->nmemories ? inst->memories[idx] : NULL;
}
kite_tableinst *kite_instance_table(const kite_instance *inst, uint32_t idx) {
  return idx < inst->module->ntables ? inst->tables[idx] : NULL;
}
kite_globalinst *kite_instance_global(const kite_instance *inst, uint32_t idx) {
  return idx < inst->module->nglobals ? inst->globals[idx] : NULL;
}

bool kite_func_call(kite_store *s, kite_funcinst *f, const kite_value *args, uint32_t nargs,
                    kite_value *results, uint32_t nresults, kite_error *err) {
  const kite_functype *t = f->type;
  if (nargs != t->nparams || nresults != t->nresults)
    return kite_fail(err, KITE_ERR_USAGE, 0, 0, "wrong number of arguments or results");
  for (uint32_t i = 0; i < nargs; i++)
    if (args[i].type.kind != t->params[i].kind)
      return kite_fail(err, KITE_ERR_USAGE, 0, 0, "argument %u has the wrong type", i);
  uint32_t n = f->nslots_params > f->nslots_results ? f->nslots_params : f->nslots_results;
  uint64_t small[16], *slots = small;
  if (n > 16) {
    slots = kite_calloc(s->alloc, n, sizeof *slots);
    if (!slots) return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
  }
  uint32_t k = 0;
  for (uint32_t i = 0; i < nargs; i++) {
    kite_value_to_slots(&args[i], slots + k);
    k += kite_slots_of(t->params[i]);
  }
  s->trace.nframes = s->trace.depth = 0;
  bool ok = kite_exec_call(s, f, slots, err);
  if (ok) {
    k = 0;
    for (uint32_t i = 0; i < nresults; i++) {
      results[i] = kite_value_from_slots(t->results[i], slots + k);
      k += kite_slots_of(t->results[i]);
    }
  }
  if (slots != small) kite_free(s->alloc, slots, n * sizeof *slots);
  return ok;
}
