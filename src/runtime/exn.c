/*
** exn.c: exception objects (the values exnref refers to) and throwing from the host.
**
** Exceptions live in a doubly linked list of their store, so one that is caught
** without a reference escaping can be freed at once: a loop that throws and catches
** does not grow the store. Until there is a collector, an exception that was ever
** exposed as an exnref lives as long as its store.
*/
#include "runtime.h"

static size_t exn_size(uint32_t nslots) {
  return sizeof(kite_exn) + (size_t)nslots * sizeof(uint64_t);
}

kite_exn *kite_exn_new(kite_store *s, kite_taginst *tag, const uint64_t *payload,
                       uint32_t nslots) {
  kite_exn *e = kite_malloc(s->alloc, exn_size(nslots));
  if (!e) return NULL;
  e->tag = tag;
  e->nslots = nslots;
  e->exposed = false;
  if (nslots) memcpy(e->payload, payload, nslots * sizeof *payload);
  e->prev = NULL;
  e->next = s->exns;
  if (s->exns) s->exns->prev = e;
  s->exns = e;
  return e;
}

void kite_exn_free(kite_store *s, kite_exn *e) {
  if (e->prev)
    e->prev->next = e->next;
  else
    s->exns = e->next;
  if (e->next) e->next->prev = e->prev;
  if (s->exn == e) s->exn = NULL;
  kite_free(s->alloc, e, exn_size(e->nslots));
}

void kite_exn_release_all(kite_store *s) {
  kite_exn *e = s->exns;
  while (e) {
    kite_exn *next = e->next;
    kite_free(s->alloc, e, exn_size(e->nslots));
    e = next;
  }
  s->exns = s->exn = NULL;
}

/* A replaced pending exception nobody holds a reference to is unreachable: freed now, a
   store whose calls keep ending in uncaught exceptions does not grow. */
void kite_exn_set_pending(kite_store *s, kite_exn *e) {
  kite_exn *old = s->exn;
  if (old && old != e && !old->exposed) kite_exn_free(s, old);
  s->exn = e;
}

bool kite_exn_throw(kite_store *s, kite_taginst *tag, const kite_value *args, uint32_t nargs,
                    kite_error *err) {
  const kite_functype *t = tag->type;
  if (nargs != t->nparams)
    return kite_fail(err, KITE_ERR_USAGE, 0, 0, "wrong number of exception arguments");
  uint32_t nslots = 0;
  for (uint32_t i = 0; i < nargs; i++) {
    if (args[i].type.kind != t->params[i].kind)
      return kite_fail(err, KITE_ERR_USAGE, 0, 0, "exception argument %u has the wrong type", i);
    nslots += kite_slots_of(t->params[i]);
  }
  uint64_t small[16] = {0}, *p = small;
  if (nslots > 16) p = kite_malloc(s->alloc, nslots * sizeof *p);
  kite_exn *e = NULL;
  if (p) {
    uint32_t k = 0;
    for (uint32_t i = 0; i < nargs; i++) {
      kite_value_to_slots(&args[i], p + k);
      k += kite_slots_of(t->params[i]);
    }
    e = kite_exn_new(s, tag, p, nslots);
    if (p != small) kite_free(s->alloc, p, nslots * sizeof *p);
  }
  if (!e) return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
  kite_exn_set_pending(s, e);
  return kite_fail(err, KITE_ERR_RUNTIME, KITE_TRAP_EXCEPTION, 0, "%s",
                   kite_trap_message(KITE_TRAP_EXCEPTION));
}

kite_exn *kite_store_exception(const kite_store *s) {
  if (s->exn) s->exn->exposed = true; /* the host may keep it */
  return s->exn;
}

kite_value kite_exn_arg(const kite_exn *e, uint32_t i) {
  const kite_functype *t = e->tag->type;
  uint32_t k = 0;
  for (uint32_t j = 0; j < i; j++) k += kite_slots_of(t->params[j]);
  return kite_value_from_slots(t->params[i], e->payload + k);
}
