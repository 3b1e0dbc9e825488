/*
** kite_types.c: public types and values (kite.h) and their conversions to and from the
** internal ones, function signatures, feature flags, and errors set by hosts.
*/
#include <stdarg.h>
#include <stdio.h>

#include "capi.h"

/* ---- errors ---- */

bool kite_error_set(kite_error *err, kite_errkind kind, int code, const char *fmt, ...) {
  if (!err || err->kind != KITE_OK) return false;
  kite_error_clear(err);
  err->kind = kind;
  err->code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  return false;
}

/* ---- features ---- */

static const uint8_t feature_bits[] = {
    FEAT_MVP,
    FEAT_SIGN_EXT,
    FEAT_SAT_CONV,
    FEAT_BULK,
    FEAT_REF_TYPES,
    FEAT_SIMD,
    FEAT_RELAXED_SIMD,
    FEAT_TAIL_CALL,
    FEAT_EH,
    FEAT_LEGACY_EH,
    FEAT_FUNC_REFS,
    FEAT_GC,
    FEAT_THREADS,
    FEAT_WIDE_ARITH,
    FEATX_MULTI_VALUE,
    FEATX_MEMORY64,
    FEATX_MULTI_MEMORY,
    FEATX_EXTENDED_CONST,
    FEATX_CUSTOM_PAGE_SIZES,
    FEAT_CUSTOM_DESC,
};

kite_features kite_capi_features_in(uint64_t flags) {
  kite_features f = 0;
  for (unsigned i = 0; i < KITE_ARRAY_LEN(feature_bits); i++)
    if (flags & ((uint64_t)1 << i)) f |= KITE_FEATURE_BIT(feature_bits[i]);
  return f;
}

uint64_t kite_capi_features_out(kite_features f) {
  uint64_t flags = 0;
  for (unsigned i = 0; i < KITE_ARRAY_LEN(feature_bits); i++)
    if (kite_has_feature(f, feature_bits[i])) flags |= (uint64_t)1 << i;
  return flags;
}

/* ---- types ---- */

kite_valtype kite_capi_valtype(kite_type t) {
  if (t.kind == KITE_REF) return kite_vt_ref(t.heap, t.nullable);
  return kite_vt(t.kind);
}

kite_type kite_capi_type(kite_valtype t) {
  kite_type o;
  o.kind = t.kind;
  o.nullable = t.kind == KITE_VT_REF && t.nullable;
  o.heap = t.kind == KITE_VT_REF ? t.ht : 0;
  return o;
}

const char *kite_type_name(kite_type t, char *buf, size_t size) {
  if (!size) return buf;
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_buf b;
  kite_buf_init(&b, &a);
  buf[0] = 0;
  if (kite_valtype_text(NULL, kite_capi_valtype(t), &b) && b.len) {
    size_t n = b.len < size - 1 ? b.len : size - 1;
    memcpy(buf, b.data, n);
    buf[n] = 0;
  }
  kite_buf_free(&b);
  return buf;
}

uint32_t kite_capi_heap_top(uint32_t ht) {
  switch (ht) {
  case KITE_HT_FUNC:
  case KITE_HT_NOFUNC: return KITE_HT_FUNC;
  case KITE_HT_EXTERN:
  case KITE_HT_NOEXTERN: return KITE_HT_EXTERN;
  case KITE_HT_EXN:
  case KITE_HT_NOEXN: return KITE_HT_EXN;
  default: return kite_ht_is_index(ht) ? KITE_HT_FUNC : KITE_HT_ANY;
  }
}

uint32_t kite_functype_param_count(const kite_functype *ft) { return ft->nparams; }
uint32_t kite_functype_result_count(const kite_functype *ft) { return ft->nresults; }
kite_type kite_functype_param(const kite_functype *ft, uint32_t i) {
  return i < ft->nparams ? kite_capi_type(ft->params[i]) : kite_type_of(KITE_I32);
}
kite_type kite_functype_result(const kite_functype *ft, uint32_t i) {
  return i < ft->nresults ? kite_capi_type(ft->results[i]) : kite_type_of(KITE_I32);
}

const char *kite_externkind_name(kite_externkind kind) {
  switch (kind) {
  case KITE_EXTERN_FUNC: return "function";
  case KITE_EXTERN_TABLE: return "table";
  case KITE_EXTERN_MEMORY: return "memory";
  case KITE_EXTERN_GLOBAL: return "global";
  case KITE_EXTERN_TAG: return "tag";
  }
  return "unknown";
}

void kite_capi_memory_desc(const kite_limits *l, kite_memory_desc *out) {
  memset(out, 0, sizeof *out);
  out->initial = l->min;
  out->maximum = l->has_max ? l->max : 0;
  out->has_maximum = l->has_max;
  out->shared = l->shared;
  out->is64 = l->is64;
  out->page_size = (uint32_t)1 << l->page_size_log2;
}

void kite_capi_table_desc(kite_valtype elem, const kite_limits *l, kite_table_desc *out) {
  memset(out, 0, sizeof *out);
  out->element = kite_capi_type(elem);
  out->initial = l->min;
  out->maximum = l->has_max ? l->max : 0;
  out->has_maximum = l->has_max;
  out->is64 = l->is64;
}

bool kite_capi_limits_from_memory(const kite_memory_desc *d, kite_limits *out, kite_error *err) {
  memset(out, 0, sizeof *out);
  out->min = d->initial;
  out->max = d->maximum;
  out->has_max = d->has_maximum;
  out->shared = d->shared;
  out->is64 = d->is64;
  if (d->page_size == 0 || d->page_size == 65536) out->page_size_log2 = 16;
  else if (d->page_size == 1) out->page_size_log2 = 0;
  else return kite_error_set(err, KITE_ERR_USAGE, 0, "invalid custom page size");
  if (d->has_maximum && d->maximum < d->initial)
    return kite_error_set(err, KITE_ERR_USAGE, 0, "size minimum must not be greater than maximum");
  if (d->shared && !d->has_maximum)
    return kite_error_set(err, KITE_ERR_USAGE, 0, "shared memory must have maximum");
  return true;
}

static void import_or_export_type(const kite_module *m, uint8_t kind, uint32_t index,
                                  kite_externtype *out) {
  memset(out, 0, sizeof *out);
  out->kind = (kite_externkind)kind;
  switch (kind) {
  case KITE_EXTERN_FUNC: out->func = kite_module_func_type(m, index); break;
  case KITE_EXTERN_TABLE:
    kite_capi_table_desc(m->tables[index].elem, &m->tables[index].limits, &out->table);
    break;
  case KITE_EXTERN_MEMORY: kite_capi_memory_desc(&m->memories[index].limits, &out->memory); break;
  case KITE_EXTERN_GLOBAL:
    out->global.value = kite_capi_type(m->globals[index].type.type);
    out->global.mutable_ = m->globals[index].type.mut;
    break;
  case KITE_EXTERN_TAG: out->func = kite_module_functype(m, m->tags[index].type); break;
  }
}

void kite_capi_import_type(const kite_module *m, const kite_import *imp, kite_externtype *out) {
  memset(out, 0, sizeof *out);
  out->kind = (kite_externkind)imp->kind;
  switch (imp->kind) {
  case KITE_EXTERN_FUNC: out->func = kite_module_functype(m, imp->u.func); break;
  case KITE_EXTERN_TABLE:
    kite_capi_table_desc(imp->u.table.elem, &imp->u.table.limits, &out->table);
    break;
  case KITE_EXTERN_MEMORY: kite_capi_memory_desc(&imp->u.memory.limits, &out->memory); break;
  case KITE_EXTERN_GLOBAL:
    out->global.value = kite_capi_type(imp->u.global.type);
    out->global.mutable_ = imp->u.global.mut;
    break;
  case KITE_EXTERN_TAG: out->func = kite_module_functype(m, imp->u.tag.type); break;
  }
}

void kite_capi_export_type(const kite_module *m, const kite_export *exp, kite_externtype *out) {
  import_or_export_type(m, exp->kind, exp->index, out);
}

/* ---- values ---- */

/* The hierarchy of a reference type: a type index counts as a function type only when
   its canonical type says so; anything unknown falls in the any hierarchy (null only). */
static uint32_t ref_top(kite_valtype t, const kite_rtt *rtt) {
  if (kite_ht_is_index(t.ht))
    return rtt && rtt->comp == KITE_COMP_FUNC ? KITE_HT_FUNC : KITE_HT_ANY;
  return kite_capi_heap_top(t.ht);
}

const kite_rtt *kite_capi_rtt(const kite_instance *inst, kite_valtype t) {
  if (t.kind != KITE_VT_REF || !kite_ht_is_index(t.ht) || !inst || !inst->rtts) return NULL;
  return t.ht < inst->module->ntypes ? inst->rtts[t.ht] : NULL;
}

/* A handle passed in for type t (of hierarchy top). */
static bool heapref_in(kite_store *s, const kite_val *v, kite_valtype t, const kite_rtt *rtt,
                       uint32_t top, kite_value *out, kite_error *err) {
  const struct kite_heapref *h = v->of.heapref;
  if (!kite_gc_root_owned(s, h))
    return kite_error_set(err, KITE_ERR_USAGE, 0, "reference released or of another store");
  bool ok;
  if (h->exn) ok = top == KITE_HT_EXN && t.ht != KITE_HT_NOEXN;
  else if (top == KITE_HT_EXTERN) ok = t.ht == KITE_HT_EXTERN; /* as extern.convert_any */
  else if (top != KITE_HT_ANY || (kite_ht_is_index(t.ht) && !rtt)) ok = false;
  else ok = kite_gc_ref_test(h->ref, t.ht, rtt, t.exact);
  if (!ok) return kite_error_set(err, KITE_ERR_USAGE, 0, "value has the wrong type");
  out->u.ref = h->ref;
  return true;
}

bool kite_capi_value_in(kite_store *s, const kite_val *v, kite_valtype t, const kite_rtt *rtt,
                        kite_value *out, kite_error *err) {
  memset(out, 0, sizeof *out);
  out->type = t;
  if (v->type.kind != t.kind)
    return kite_error_set(err, KITE_ERR_USAGE, 0, "value has the wrong type");
  switch (t.kind) {
  case KITE_VT_I32: out->u.i32 = (uint32_t)v->of.i32; return true;
  case KITE_VT_I64: out->u.i64 = (uint64_t)v->of.i64; return true;
  case KITE_VT_F32: out->u.f32 = v->of.f32_bits; return true;
  case KITE_VT_F64: out->u.f64 = v->of.f64_bits; return true;
  case KITE_VT_V128: memcpy(out->u.v128, v->of.v128, 16); return true;
  default: break;
  }
  uint32_t top = ref_top(t, rtt);
  bool null;
  if (kite_val_is_heapref(*v)) return heapref_in(s, v, t, rtt, top, out, err);
  if (v->type.heap == KITE_HEAP_I31 && !v->type.nullable) {
    /* An i31 value, as kite_i31ref makes (a nullable i31ref type is a null or a host
       value as usual). Unboxed, it needs no keeping alive; any, eq and i31 take it, and
       extern as extern.convert_any would make it. */
    if (t.ht != KITE_HT_ANY && t.ht != KITE_HT_EQ && t.ht != KITE_HT_I31 && t.ht != KITE_HT_EXTERN)
      return kite_error_set(err, KITE_ERR_USAGE, 0, "value has the wrong type");
    out->u.ref = kite_ref_i31((uint32_t)v->of.i32);
    return true;
  }
  if (top == KITE_HT_FUNC) {
    null = v->of.func == NULL;
    if (!null) {
      /* Typed function references are called without a check: the type must match. */
      if (t.ht == KITE_HT_NOFUNC ||
          (kite_ht_is_index(t.ht) && !kite_gc_func_matches(v->of.func, rtt)))
        return kite_error_set(err, KITE_ERR_USAGE, 0, "value has the wrong type");
      out->u.ref = (kite_ref)(uintptr_t)v->of.func;
    }
  } else if (top == KITE_HT_EXTERN || t.ht == KITE_HT_ANY) {
    /* A host value is the same reference as an externref or (converted) an anyref. */
    null = v->of.host == NULL;
    if (!null) {
      if (t.ht == KITE_HT_NOEXTERN)
        return kite_error_set(err, KITE_ERR_USAGE, 0, "value has the wrong type");
      out->u.ref = kite_ref_host((uintptr_t)v->of.host);
    }
  } else {
    null = v->of.host == NULL;
    if (!null)
      return kite_error_set(err, KITE_ERR_USAGE, 0,
                            "references of this type cannot come from the host");
  }
  if (null && !t.nullable)
    return kite_error_set(err, KITE_ERR_USAGE, 0, "null reference for a non-nullable type");
  return true;
}

bool kite_capi_value_out(kite_store *s, const kite_value *v, const kite_rtt *rtt, kite_val *out,
                         kite_error *err) {
  kite_val o;
  memset(&o, 0, sizeof o);
  o.type = kite_capi_type(v->type);
  bool ok = true;
  switch (v->type.kind) {
  case KITE_VT_I32: o.of.i32 = (int32_t)v->u.i32; break;
  case KITE_VT_I64: o.of.i64 = (int64_t)v->u.i64; break;
  case KITE_VT_F32: o.of.f32_bits = v->u.f32; break;
  case KITE_VT_F64: o.of.f64_bits = v->u.f64; break;
  case KITE_VT_V128: memcpy(o.of.v128, v->u.v128, 16); break;
  default: {
    if (v->u.ref == KITE_REF_NULL) break;
    uint32_t top = ref_top(v->type, rtt);
    if (top == KITE_HT_FUNC) o.of.func = (kite_funcinst *)(uintptr_t)v->u.ref;
    else if ((top == KITE_HT_EXTERN || top == KITE_HT_ANY) && kite_ref_is_host(v->u.ref))
      o.of.host = (void *)kite_ref_host_value(v->u.ref);
    else if ((top == KITE_HT_ANY || top == KITE_HT_EXTERN) && kite_ref_is_i31(v->u.ref)) {
      /* (An externref holding an i31 or a GC object came from extern.convert_any.) */
      o.type = kite_type_ref(KITE_HEAP_I31, false);
      o.of.i32 = (int32_t)kite_ref_i31_s(v->u.ref);
    } else if ((top == KITE_HT_ANY || top == KITE_HT_EXN || top == KITE_HT_EXTERN) &&
               kite_ref_is_ptr(v->u.ref) && (!kite_ht_is_index(v->type.ht) || rtt)) {
      /* (A type index with an unknown rtt might be a function type: not read.) */
      bool exn = top == KITE_HT_EXN;
      uint32_t heap = exn ? KITE_HEAP_EXN
                      : ((const kite_gcobj *)(uintptr_t)v->u.ref)->rtt->comp == KITE_COMP_ARRAY
                          ? KITE_HEAP_ARRAY
                          : KITE_HEAP_STRUCT;
      o.of.heapref = s ? kite_gc_root_new(s, v->u.ref, exn) : NULL;
      if (o.of.heapref) o.type = kite_type_ref(heap, false);
      else ok = kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    } else {
      ok = kite_error_set(err, KITE_ERR_USAGE, 0, "references of this type cannot go to the host");
    }
    break;
  }
  }
  *out = o;
  return ok;
}

void kite_ref_release(kite_store *s, kite_val v) {
  if (s && kite_val_is_heapref(v) && kite_gc_root_owned(s, v.of.heapref))
    kite_gc_root_free(s, v.of.heapref);
}

bool kite_ref_copy(kite_store *s, kite_val v, kite_val *out, kite_error *err) {
  kite_error local;
  if (!err) err = &local;
  kite_error_clear(err);
  *out = v;
  if (!kite_val_is_heapref(v)) return true;
  out->of.heapref = NULL;
  if (!kite_gc_root_owned(s, v.of.heapref))
    return kite_error_set(err, KITE_ERR_USAGE, 0, "reference released or of another store");
  out->of.heapref = kite_gc_root_new(s, v.of.heapref->ref, v.of.heapref->exn);
  if (!out->of.heapref) {
    out->type.nullable = true;
    return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
  }
  return true;
}
