/*
** eh.c: finding the handler of an exception in one frame.
**
** The handler table is static (lower_eh.inc builds it), so entering and leaving a
** try_table costs nothing; only a throw pays, with a scan of the table of each frame
** it unwinds through. Among the handlers whose range holds the position, inner blocks
** come first. A legacy `try ... delegate l` passes the exception on to block l: the
** handlers of the blocks between are skipped, those of block l and beyond still apply.
*/
#include "exec.h"

const kite_xcatch *kite_xeh_find(const kite_xeh *eh, uint32_t at, const kite_instance *inst,
                                 const kite_taginst *tag) {
  if (!eh) return NULL;
  uint32_t limit = UINT32_MAX; /* handlers of blocks deeper than this are skipped */
  for (uint32_t i = 0; i < eh->nhandlers; i++) {
    const kite_xhandler *h = &eh->handlers[i];
    if (at < h->start || at >= h->end || h->depth > limit) continue;
    if (h->delegate != KITE_XNONE) {
      limit = h->delegate;
      continue;
    }
    for (uint32_t k = 0; k < h->count; k++) {
      const kite_xcatch *c = &eh->catches[h->first + k];
      if (c->tag == KITE_XCATCH_ALL || inst->tags[c->tag] == tag) return c;
    }
  }
  return NULL;
}

void kite_xeh_free(kite_alloc *a, kite_xeh *eh) {
  if (!eh) return;
  kite_free(a, eh->handlers, eh->nhandlers * sizeof *eh->handlers);
  kite_free(a, eh->catches, (eh->ncatches ? eh->ncatches : 1) * sizeof *eh->catches);
  kite_free(a, eh, sizeof *eh);
}
