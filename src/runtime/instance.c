/*
** instance.c: linking and instantiation.
*/
#include "runtime.h"

#include "exec.h"

kite_instance *kite_instantiate(kite_store *s, const kite_module *m, const kite_extern *imports,
                                uint32_t nimports, kite_error *err) {
  (void)s;
  (void)m;
  (void)imports;
  (void)nimports;
  kite_fail(err, KITE_ERR_USAGE, 0, 0, "instantiation is not implemented yet");
  return NULL;
}

void kite_instance_release(kite_store *s, kite_instance *inst) {
  kite_free(s->alloc, inst, sizeof *inst);
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
