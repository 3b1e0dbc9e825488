/*
** engine.c: the engine (configuration shared by stores) and values.
*/
#include "runtime.h"

void kite_engine_config_default(kite_engine_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->features = KITE_FEATURES_2_0;
  cfg->max_call_depth = 20000;
  cfg->max_stack_slots = 4u << 20;
  cfg->max_memory_pages = 65536;
  cfg->max_table_elems = 10000000;
}

kite_engine *kite_engine_new(const kite_engine_config *cfg) {
  kite_engine_config def;
  if (!cfg) {
    kite_engine_config_default(&def);
    cfg = &def;
  }
  kite_alloc a;
  kite_alloc_init(&a, cfg->alloc, cfg->alloc_ud);
  a.limit = cfg->alloc_limit;
  kite_engine *e = kite_malloc(&a, sizeof *e);
  if (!e) return NULL;
  e->alloc = a;
  e->cfg = *cfg;
  kite_typereg_init(&e->types);
  if (!e->cfg.max_call_depth) e->cfg.max_call_depth = 20000;
  if (e->cfg.max_stack_slots < 1024) e->cfg.max_stack_slots = 1024;
  if (!e->cfg.max_memory_pages) e->cfg.max_memory_pages = 65536;
  if (!e->cfg.max_table_elems) e->cfg.max_table_elems = 10000000;
  return e;
}

void kite_engine_free(kite_engine *e) {
  if (!e) return;
  kite_typereg_release(&e->types, &e->alloc);
  kite_alloc a = e->alloc;
  kite_free(&a, e, sizeof *e);
}

kite_alloc *kite_engine_alloc(kite_engine *e) { return &e->alloc; }
kite_features kite_engine_features(const kite_engine *e) { return e->cfg.features; }
const kite_engine_config *kite_engine_get_config(const kite_engine *e) { return &e->cfg; }

kite_value kite_val_default(kite_valtype t) {
  kite_value v;
  memset(&v, 0, sizeof v);
  v.type = t;
  return v;
}

void kite_value_to_slots(const kite_value *v, uint64_t *slots) {
  switch (v->type.kind) {
  case KITE_VT_I32: slots[0] = v->u.i32; break;
  case KITE_VT_F32: slots[0] = v->u.f32; break;
  case KITE_VT_I64: slots[0] = v->u.i64; break;
  case KITE_VT_F64: slots[0] = v->u.f64; break;
  case KITE_VT_V128: memcpy(slots, v->u.v128, 16); break;
  default: slots[0] = v->u.ref; break;
  }
}

kite_value kite_value_from_slots(kite_valtype t, const uint64_t *slots) {
  kite_value v;
  memset(&v, 0, sizeof v);
  v.type = t;
  switch (t.kind) {
  case KITE_VT_I32: v.u.i32 = (uint32_t)slots[0]; break;
  case KITE_VT_F32: v.u.f32 = (uint32_t)slots[0]; break;
  case KITE_VT_I64: v.u.i64 = slots[0]; break;
  case KITE_VT_F64: v.u.f64 = slots[0]; break;
  case KITE_VT_V128: memcpy(v.u.v128, slots, 16); break;
  default: v.u.ref = slots[0]; break;
  }
  return v;
}

bool kite_functype_eq(const kite_functype *a, const kite_functype *b) {
  if (a == b) return true;
  if (a->nparams != b->nparams || a->nresults != b->nresults) return false;
  for (uint32_t i = 0; i < a->nparams; i++)
    if (!kite_vt_eq(a->params[i], b->params[i])) return false;
  for (uint32_t i = 0; i < a->nresults; i++)
    if (!kite_vt_eq(a->results[i], b->results[i])) return false;
  return true;
}

const char *kite_trap_message(kite_trap_code code) {
  switch (code) {
  case KITE_TRAP_UNREACHABLE: return "unreachable";
  case KITE_TRAP_MEMORY_OOB: return "out of bounds memory access";
  case KITE_TRAP_TABLE_OOB: return "out of bounds table access";
  case KITE_TRAP_INDIRECT_NULL: return "uninitialized element";
  case KITE_TRAP_INDIRECT_TYPE: return "indirect call type mismatch";
  case KITE_TRAP_INT_DIV_ZERO: return "integer divide by zero";
  case KITE_TRAP_INT_OVERFLOW: return "integer overflow";
  case KITE_TRAP_BAD_CONVERSION: return "invalid conversion to integer";
  case KITE_TRAP_NULL_REFERENCE: return "null reference";
  case KITE_TRAP_CAST_FAILURE: return "cast failure";
  case KITE_TRAP_ARRAY_OOB: return "out of bounds array access";
  case KITE_TRAP_UNALIGNED_ATOMIC: return "unaligned atomic";
  case KITE_TRAP_EXCEPTION: return "uncaught exception";
  case KITE_TRAP_OUT_OF_FUEL: return "all fuel consumed";
  case KITE_TRAP_INTERRUPTED: return "interrupted";
  case KITE_TRAP_HOST: return "host error";
  case KITE_TRAP_STACK_EXHAUSTED: return "call stack exhausted";
  case KITE_TRAP_NOT_SHARED: return "expected shared memory";
  }
  return "trap";
}
