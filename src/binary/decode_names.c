/*
** decode_names.c: the "name" custom section, with the extended name section's
** subsections (labels, types, tables, memories, globals, elements, data, fields, tags).
**
** Spec: https://webassembly.github.io/spec/core/appendix/custom.html#name-section
** Errors in a custom section never make a module malformed: a name section that does not
** decode is ignored as a whole (has_names stays false).
*/
#include "binary.h"

static bool read_name(kite_reader *r, kite_name *out) {
  uint32_t n;
  const uint8_t *p;
  if (!kite_read_len(r, &n) || !kite_read_bytes(r, n, &p)) return false;
  if (!kite_utf8_valid(p, n))
    return kite_reader_fail(r, kite_reader_offset(r), "malformed UTF-8 encoding");
  out->ptr = p;
  out->len = n;
  return true;
}

/* A name map: indices strictly increasing (sorted, no duplicates). */
static bool read_namemap(kite_module *m, kite_reader *r, kite_namemap *out) {
  uint32_t count;
  if (!kite_read_len(r, &count)) return false;
  out->count = count;
  out->names = kite_arena_array(&m->arena, count ? count : 1, sizeof(kite_naming));
  if (!out->names) return false;
  for (uint32_t i = 0; i < count; i++) {
    kite_naming *n = &out->names[i];
    if (!kite_read_u32(r, &n->index) || !read_name(r, &n->name)) return false;
    if (i > 0 && n->index <= out->names[i - 1].index)
      return kite_reader_fail(r, kite_reader_offset(r), "name map out of order");
  }
  return true;
}

static bool read_indirect(kite_module *m, kite_reader *r, kite_indirect_namemap *out) {
  uint32_t count;
  if (!kite_read_len(r, &count)) return false;
  out->count = count;
  out->entries = kite_arena_array(&m->arena, count ? count : 1, sizeof *out->entries);
  if (!out->entries) return false;
  for (uint32_t i = 0; i < count; i++) {
    if (!kite_read_u32(r, &out->entries[i].index) || !read_namemap(m, r, &out->entries[i].map))
      return false;
    if (i > 0 && out->entries[i].index <= out->entries[i - 1].index)
      return kite_reader_fail(r, kite_reader_offset(r), "name map out of order");
  }
  return true;
}

static bool read_names(kite_module *m, kite_reader *r) {
  int last = -1;
  while (r->p < r->end) {
    uint8_t id;
    uint32_t size;
    const uint8_t *content;
    if (!kite_read_u8(r, &id) || !kite_read_len(r, &size) || !kite_read_bytes(r, size, &content))
      return false;
    if (id >= KITE_NAMES_COUNT) continue; /* a subsection from the future: skip it */
    if ((int)id <= last)
      return kite_reader_fail(r, kite_reader_offset(r), "name subsection out of order");
    last = id;
    kite_reader sub = {r->base, content, content + size, r->err};
    bool ok;
    switch (id) {
    case KITE_NAMES_MODULE:
      ok = read_name(&sub, &m->names.module);
      m->names.has_module = ok;
      break;
    case KITE_NAMES_LOCAL:
    case KITE_NAMES_LABEL:
    case KITE_NAMES_FIELD: ok = read_indirect(m, &sub, &m->names.indirect[id]); break;
    default: ok = read_namemap(m, &sub, &m->names.maps[id]); break;
    }
    if (!ok) return false;
    if (sub.p != sub.end)
      return kite_reader_fail(r, kite_reader_offset(&sub), "section size mismatch");
  }
  return true;
}

void kite_decode_names(kite_module *m, uint32_t offset, uint32_t len) {
  kite_error err;
  kite_error_clear(&err);
  kite_reader r = {m->bytes, m->bytes + offset, m->bytes + offset + len, &err};
  if (read_names(m, &r)) {
    m->has_names = true;
  } else {
    memset(&m->names, 0, sizeof m->names);
    m->has_names = false;
  }
}

void kite_decode_module_names(kite_module *m) {
  for (uint32_t i = 0; i < m->ncustoms; i++) {
    const kite_custom *c = &m->customs[i];
    if (c->name.len == 4 && memcmp(c->name.ptr, "name", 4) == 0) {
      kite_decode_names(m, c->offset, c->len);
      return;
    }
  }
}
