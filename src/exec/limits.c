/*
** limits.c: a store's interrupt word (runtime.h), shared with the threads that may
** interrupt it. The store holds one reference from its first call (or the first handle
** asked for) until it is freed; each handle holds another, so a handle stays valid after
** the store is gone and triggering it then does nothing harmful.
*/
#include <stdatomic.h>

#include "exec.h"

struct kite_interrupt *kite_store_interrupt_ref(kite_store *s) {
  struct kite_interrupt *h = s->interrupt;
  if (!h) {
    h = kite_malloc(s->alloc, sizeof *h);
    if (!h) return NULL;
    atomic_init(&h->refs, 1); /* the store's */
    atomic_init(&h->floor, 0);
    h->alloc = s->alloc;
    s->interrupt = h;
  }
  atomic_fetch_add_explicit(&h->refs, 1, memory_order_relaxed);
  return h;
}

void kite_interrupt_unref(struct kite_interrupt *h) {
  /* acq_rel: the last owner must see every other owner's use before freeing. */
  if (h && atomic_fetch_sub_explicit(&h->refs, 1, memory_order_acq_rel) == 1)
    kite_free(h->alloc, h, sizeof *h);
}

void kite_interrupt_request(struct kite_interrupt *h) {
  /* Relaxed is enough: the word carries no other data, and the interpreter's poll is an
     atomic load that cannot be hoisted out of a loop, so it sees the store promptly. */
  atomic_store_explicit(&h->floor, KITE_INTERRUPT_FLOOR, memory_order_relaxed);
}

bool kite_interrupt_take(struct kite_interrupt *h) {
  if (atomic_load_explicit(&h->floor, memory_order_relaxed) != KITE_INTERRUPT_FLOOR) return false;
  /* A request made after this point stays pending and interrupts the next poll. */
  atomic_store_explicit(&h->floor, 0, memory_order_relaxed);
  return true;
}

/* The store's own reference (kite_exec_store_release). */
void kite_exec_interrupt_release(kite_store *s) {
  kite_interrupt_unref(s->interrupt);
  s->interrupt = NULL;
}
