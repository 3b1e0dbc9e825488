/*
** exec.h: the interpreter. Lowering of validated function bodies to Kite's internal
** register-style code (lazily, per function, published atomically and shared by every
** instance of a module), the interpreter loop, traps and backtraces.
*/
#ifndef KITE_EXEC_H
#define KITE_EXEC_H

#include "runtime.h"

/* Free the store's interpreter stacks. */
void kite_exec_store_release(kite_store *s);

/* Call f with arguments and results in slot encoding (args and results may overlap).
   Used by kite_func_call and by instantiation (the start function). */
bool kite_exec_call(kite_store *s, kite_funcinst *f, uint64_t *slots, kite_error *err);

#endif
