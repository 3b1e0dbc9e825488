/*
** interp.c: the interpreter loop.
*/
#include "exec.h"

void kite_exec_store_release(kite_store *s) {
  (void)s;
}

bool kite_exec_call(kite_store *s, kite_funcinst *f, uint64_t *slots, kite_error *err) {
  (void)s;
  (void)slots;
  if (f->host) return kite_fail(err, KITE_ERR_USAGE, 0, 0, "not implemented");
  return kite_fail(err, KITE_ERR_USAGE, 0, 0, "the interpreter is not implemented yet");
}
