/*
** guard.h: the run context shared by the interpreter's entry (interp.c) and the fault
** handler (guard.c). Include it first: it needs POSIX's sigjmp_buf.
*/
#ifndef KITE_GUARD_H
#define KITE_GUARD_H

#if !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE 1
#endif
#include <setjmp.h>

#include "exec.h"

typedef struct kite_guard_ctx {
#if KITE_GUARD_PAGES
  sigjmp_buf jmp; /* the interpreter's entry, where a guard-region fault lands */
#endif
  const uint8_t *lo, *hi; /* reservation of the memory being accessed; NULL: none */
  struct kite_guard_ctx *prev;
  /* Where the run is, kept at calls and returns, for the backtrace of a fault. */
  kite_funcinst *func;
  uint32_t depth;
  /* The run's fuel countdown, stored at every charge (the only place it changes), so
     the store's fuel stays exact when a fault ends the run. */
  volatile int64_t fuel;
} kite_guard_ctx;

/* Push c as this thread's innermost run context (false: guard pages unavailable, so
   guarded code must not run). */
bool kite_guard_enter(kite_guard_ctx *c);
void kite_guard_leave(kite_guard_ctx *c);

#endif
