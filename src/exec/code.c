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
    _Atomic(kite_xfunc *) *tab = atomic_load(&em->funcs[v]);
    if (!tab) continue;
    for (uint32_t i = 0; i < em->nfuncs; i++) kite_xfunc_free(a, atomic_load(&tab[i]));
    kite_free(a, (void *)tab, (em->nfuncs ? em->nfuncs : 1) * sizeof *tab);
  }
  kite_free(a, em, sizeof *em);
}

kite_exec_module *kite_exec_module_get(const kite_module *m, kite_error *err) {
  kite_module *mm = (kite_module *)m; /* only the atomic ext slot is written */
  kite_module_ext *ext = atomic_load(&mm->ext);
  if (ext) return (kite_exec_module *)ext;
  kite_alloc *a = m->alloc;
  kite_exec_module *em = kite_calloc(a, 1, sizeof *em);
  if (!em) {
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  atomic_init(&em->funcs[0], NULL);
  atomic_init(&em->funcs[1], NULL);
  em->ext.release = exec_module_release;
  em->module = m;
  em->nfuncs = m->nfuncs - m->nimported_funcs;
  kite_module_ext *expected = NULL;
  if (!atomic_compare_exchange_strong(&mm->ext, &expected, &em->ext)) {
    exec_module_release(&em->ext, a);
    return (kite_exec_module *)expected;
  }
  return em;
}

/* The table of variant v, allocated (and published) on first use. kite_calloc's zeros
   are null pointers: entries of functions never called are never written. */
static _Atomic(kite_xfunc *) *variant_table(kite_exec_module *em, int v, kite_alloc *a,
                                             kite_error *err) {
  _Atomic(kite_xfunc *) *tab = atomic_load(&em->funcs[v]);
  if (tab) return tab;
  size_t n = em->nfuncs ? em->nfuncs : 1;
  tab = kite_calloc(a, n, sizeof *tab);
  if (!tab) {
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  _Atomic(kite_xfunc *) *expected = NULL;
  if (!atomic_compare_exchange_strong(&em->funcs[v], &expected, tab)) {
    kite_free(a, (void *)tab, n * sizeof *tab);
    return expected;
  }
  return tab;
}

kite_xfunc *kite_exec_code(kite_funcinst *f, kite_error *err) {
  kite_xfunc *cached = atomic_load_explicit(&f->code, memory_order_acquire);
  if (cached) return cached;
  kite_instance *inst = f->inst;
  const kite_module *m = inst->module;
  kite_exec_module *em = inst->code;
  uint32_t i = f->index - m->nimported_funcs;
  _Atomic(kite_xfunc *) *tab = variant_table(em, inst->guarded ? 1 : 0, m->alloc, err);
  if (!tab) return NULL;
  kite_xfunc *x = atomic_load(&tab[i]);
  if (!x) {
    x = kite_lower(m, f->index, inst->guarded, m->alloc, err);
    if (!x) return NULL;
    kite_xfunc *expected = NULL;
    if (!atomic_compare_exchange_strong(&tab[i], &expected, x)) {
      kite_xfunc_free(m->alloc, x);
      x = expected;
    }
  }
  atomic_store_explicit(&f->code, x, memory_order_release);
  return x;
}
