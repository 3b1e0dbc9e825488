/*
** wasi_link.c: WASI in the runtime. A module's wasi_snapshot_preview1 imports become
** host functions of the store, each bound to the context and to one entry of the
** function table; they read and write the memory of the instance bound after
** instantiation (or, from a start function, of the instance being created). Running a
** command calls _start (proc_exit unwinds back to here as an error of kind
** KITE_ERR_EXIT); a reactor gets _initialize.
*/
#include "wasi.h"

/* The memory WASI calls from inst use: its export "memory", else its first memory. */
static kite_meminst *memory_of(kite_instance *inst) {
  kite_extern x;
  if (kite_instance_export(inst, "memory", 6, &x) && x.kind == KITE_EXTERN_MEMORY)
    return x.u.memory;
  return kite_instance_module(inst)->nmemories > 0 ? kite_instance_memory(inst, 0) : NULL;
}

/*
** The memory of a call. Between kite_wasi_link and kite_wasi_bind, a call may come from
** the start function of the instance kite_instantiate is creating (the store adopts an
** instance before its start function runs, and its memories exist by then): that call
** uses its memory. Any other call comes from the instance bound earlier, whose memory
** stays, even when the new instance failed.
*/
static kite_meminst *call_memory(kite_wasi *w, kite_store *s) {
  if (s == w->pending_store) {
    for (kite_object *o = s->objects; o; o = o->next) {
      if (o->kind != KITE_OBJ_INSTANCE) continue;
      kite_instance *inst = (kite_instance *)o;
      if (inst->module == w->pending_module && inst->starting) return memory_of(inst);
    }
  }
  return w->memory;
}

static bool host_call(void *env, kite_store *s, const kite_value *args, uint32_t nargs,
                      kite_value *results, uint32_t nresults, kite_error *err) {
  const wasi_thunk *t = env;
  uint64_t a[16] = {0};
  for (uint32_t i = 0; i < nargs && i < KITE_ARRAY_LEN(a); i++)
    a[i] = args[i].type.kind == KITE_VT_I64 ? args[i].u.i64 : args[i].u.i32;
  kite_wasi_mem m = {NULL, 0};
  kite_meminst *memory = call_memory(t->w, s);
  if (memory) {
    m.base = kite_memory_data(memory);
    m.size = kite_memory_size_bytes(memory);
  }
  bool locked = t->w->threads && wasi_threads_enter(t->w->threads, t->f, &m, a);
  uint32_t rc = t->f->fn(t->w, &m, a, err);
  if (locked) wasi_threads_leave(t->w->threads);
  if (kite_failed(err)) return false;
  if (nresults) results[0].u.i32 = rc;
  return true;
}

/* The function type a table entry's signature letters describe. */
static void make_type(const kite_wasi_func *f, kite_valtype *params, kite_valtype *results,
                      kite_functype *out) {
  out->nparams = (uint32_t)strlen(f->params);
  out->nresults = (uint32_t)strlen(f->results);
  for (uint32_t i = 0; i < out->nparams; i++)
    params[i] = kite_vt(f->params[i] == 'I' ? KITE_VT_I64 : KITE_VT_I32);
  for (uint32_t i = 0; i < out->nresults; i++) results[i] = kite_vt(KITE_VT_I32);
  out->params = params;
  out->results = results;
}

static bool name_is(kite_name n, const char *s) {
  return n.len == strlen(s) && memcmp(n.ptr, s, n.len) == 0;
}

bool kite_wasi_is_import(const kite_import *imp) { return name_is(imp->module, KITE_WASI_MODULE); }

bool kite_wasi_link(kite_wasi *w, kite_store *s, const kite_module *m, kite_extern *imports,
                    kite_error *err) {
  size_t nfuncs;
  const kite_wasi_func *table = kite_wasi_functions(&nfuncs);
  w->pending_store = s;
  w->pending_module = m;
  for (uint32_t i = 0; i < m->nimports; i++) {
    const kite_import *imp = &m->imports[i];
    if (!kite_wasi_is_import(imp)) continue;
    const kite_wasi_func *f = kite_wasi_lookup((const char *)imp->field.ptr, imp->field.len);
    if (!f || imp->kind != KITE_EXTERN_FUNC)
      return kite_fail(err, KITE_ERR_LINK, 0, 0, "unknown import: %s::%.*s", KITE_WASI_MODULE,
                       (int)imp->field.len, (const char *)imp->field.ptr);
    kite_valtype params[16], results[1];
    kite_functype type;
    make_type(f, params, results, &type);
    if (!kite_functype_eq(&type, kite_module_functype(m, imp->u.func)))
      return kite_fail(err, KITE_ERR_LINK, 0, 0, "incompatible import type for %s::%s",
                       KITE_WASI_MODULE, f->name);
    wasi_thunk *t = &w->thunks[f - table];
    t->w = w;
    t->f = f;
    kite_funcinst *fi = kite_func_new_host(s, &type, host_call, t, err);
    if (!fi) return false;
    imports[i].kind = KITE_EXTERN_FUNC;
    imports[i].u.func = fi;
  }
  return true;
}

void kite_wasi_bind(kite_wasi *w, kite_instance *inst) {
  w->pending_store = NULL;
  w->memory = memory_of(inst);
}

/* The export `name` when it is a function of type [] -> []. */
static kite_funcinst *entry_point(kite_instance *inst, const char *name) {
  kite_extern x;
  if (!kite_instance_export(inst, name, strlen(name), &x) || x.kind != KITE_EXTERN_FUNC)
    return NULL;
  const kite_functype *t = kite_func_type(x.u.func);
  return t->nparams == 0 && t->nresults == 0 ? x.u.func : NULL;
}

bool kite_wasi_exit_status(kite_error *err, int *exit_code) {
  if (err->kind != KITE_ERR_EXIT) return false;
  *exit_code = err->code;
  kite_error_clear(err);
  return true;
}

bool kite_wasi_run(kite_wasi *w, kite_store *s, kite_instance *inst, int *exit_code,
                   kite_error *err) {
  kite_wasi_bind(w, inst);
  *exit_code = 0;
  kite_funcinst *f = entry_point(inst, "_start");
  if (!f) f = entry_point(inst, "_initialize");
  if (!f) return true;
  if (kite_func_call(s, f, NULL, 0, NULL, 0, err)) return true;
  return kite_wasi_exit_status(err, exit_code);
}
