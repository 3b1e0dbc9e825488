/*
** module.c: releasing modules and looking up names.
*/
#include "module.h"

#include <stdatomic.h>

void kite_module_free(kite_module *m) {
  if (!m) return;
  kite_module_ext *ext = atomic_load(&m->ext);
  if (ext) ext->release(ext, m->alloc);
  if (m->release_bytes) m->release_bytes(m->release_ud, m->bytes, m->len);
  kite_arena ar = m->arena; /* the module itself lives in its arena */
  kite_arena_free(&ar);
}

const kite_name *kite_namemap_find(const kite_namemap *map, uint32_t index) {
  uint32_t lo = 0, hi = map->count;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (map->names[mid].index == index) return &map->names[mid].name;
    if (map->names[mid].index < index) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}
