/*
** code.c: the lowered code of a module, attached to the module on first instantiation
** and filled lazily, one function at a time, on its first call. Several threads may
** instantiate and run one module at once: the table and each function's code are
** published with a compare-and-swap, and a thread that loses the race frees its copy.
*/
#include <stdatomic.h>

#include "exec.h"

static void exec_module_release(kite_module_ext *ext, kite_alloc *a) {
  kite_exec_module *em = (kite_exec_module *)ext;
  for (int v = 0; v < 2; v++) {
    if (!em->funcs[v]) continue;
    for (uint32_t i = 0; i < em->nfuncs; i++) kite_xfunc_free(a, atomic_load(&em->funcs[v][i]));
    kite_free(a, (void *)em->funcs[v], (em->nfuncs ? em->nfuncs : 1) * sizeof *em->funcs[v]);
  }
  kite_free(a, em, sizeof *em);
}

kite_exec_module *kite_exec_module_get(const kite_module *m, kite_error *err) {
  kite_module *mm = (kite_module *)m; /* only the atomic ext slot is written */
  kite_module_ext *ext = atomic_load(&mm->ext);
  if (ext) return (kite_exec_module *)ext;
  kite_alloc *a = m->alloc;
  kite_exec_module *em = kite_calloc(a, 1, sizeof *em);
  uint32_t n = m->nfuncs - m->nimported_funcs;
  _Atomic(kite_xfunc *) *f0 = kite_calloc(a, n ? n : 1, sizeof *f0);
  _Atomic(kite_xfunc *) *f1 = kite_calloc(a, n ? n : 1, sizeof *f1);
  if (!em || !f0 || !f1) {
    kite_free(a, em, sizeof *em);
    kite_free(a, (void *)f0, (n ? n : 1) * sizeof *f0);
    kite_free(a, (void *)f1, (n ? n : 1) * sizeof *f1);
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  /* kite_calloc's zeros are null pointers: the tables are not written here, so the
     pages of functions never called are never touched. */
  em->ext.release = exec_module_release;
  em->module = m;
  em->nfuncs = n;
  em->funcs[0] = f0;
  em->funcs[1] = f1;
  kite_module_ext *expected = NULL;
  if (!atomic_compare_exchange_strong(&mm->ext, &expected, &em->ext)) {
    exec_module_release(&em->ext, a);
    return (kite_exec_module *)expected;
  }
  return em;
}

kite_xfunc *kite_exec_code(kite_funcinst *f, kite_error *err) {
  kite_xfunc *cached = atomic_load_explicit(&f->code, memory_order_acquire);
  if (cached) return cached;
  kite_instance *inst = f->inst;
  const kite_module *m = inst->module;
  kite_exec_module *em = inst->code;
  uint32_t i = f->index - m->nimported_funcs;
  int v = inst->guarded ? 1 : 0;
  kite_xfunc *x = atomic_load(&em->funcs[v][i]);
  if (!x) {
    x = kite_lower(m, f->index, inst->guarded, m->alloc, err);
    if (!x) return NULL;
    kite_xfunc *expected = NULL;
    if (!atomic_compare_exchange_strong(&em->funcs[v][i], &expected, x)) {
      kite_xfunc_free(m->alloc, x);
      x = expected;
    }
  }
  atomic_store_explicit(&f->code, x, memory_order_release);
  return x;
}
