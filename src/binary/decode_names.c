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

/*
** One name map entry (index and name) at p in its common form: an index of one or two
** bytes and an ASCII name of under 128 bytes, both within [p, end). Returns the byte after
** it, or NULL to let the general path read the entry.
*/
static inline const uint8_t *naming_fast(const uint8_t *p, const uint8_t *end, kite_naming *out) {
  uint32_t index;
  const uint8_t *q = kite_u32_short(p, end, &index);
  if (!q || q == end || *q >= 0x80) return NULL;
  uint32_t n = *q++;
  if (n > (size_t)(end - q) || !kite_name_is_ascii(q, end, n)) return NULL;
  out->index = index;
  out->name.ptr = q;
  out->name.len = n;
  return q + n;
}

/* A name map: indices strictly increasing (sorted, no duplicates). */
static bool read_namemap(kite_module *m, kite_reader *r, kite_namemap *out) {
  uint32_t count;
  if (!kite_read_len(r, &count)) return false;
  out->count = count;
  /* Not zeroed: filled at once (a map that fails drops the whole section). */
  if ((uint64_t)count * sizeof(kite_naming) > SIZE_MAX / 2) return false;
  kite_naming *names = kite_arena_alloc_uninit(&m->arena, (count ? count : 1) * sizeof *names);
  out->names = names;
  if (!names) return false;
  /* The cursor is a local: the stores into names could alias r->p. */
  const uint8_t *p = r->p, *end = r->end;
  for (uint32_t i = 0; i < count; i++) {
    kite_naming *n = &names[i];
    const uint8_t *next = naming_fast(p, end, n);
    if (!next) {
      r->p = p;
      if (!kite_read_u32(r, &n->index) || !read_name(r, &n->name)) return false;
      next = r->p;
    }
    p = next;
    if (i > 0 && n->index <= names[i - 1].index) {
      r->p = p;
      return kite_reader_fail(r, kite_reader_offset(r), "name map out of order");
    }
  }
  r->p = p;
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
