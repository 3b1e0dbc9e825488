/*
** encode.c: the one writer of binary bytes: instructions (the inverse of
** kite_read_insn, driven by the same IMM_* kinds), types, names and sections.
** Every writer returns false once the buffer has failed to grow (kite_buf is sticky).
*/
#include "binary.h"

bool kite_write_heaptype(kite_buf *b, uint32_t ht, bool exact) {
  if (!kite_ht_is_index(ht)) return kite_buf_byte(b, (uint8_t)(ht & 0x7F));
  if (exact) kite_buf_byte(b, 0x62);    /* custom descriptors: then the index as an s32 */
  return kite_buf_sleb(b, (int64_t)ht); /* an s33 */
}

bool kite_write_valtype(kite_buf *b, kite_valtype t) {
  if (t.kind != KITE_VT_REF) return kite_buf_byte(b, t.kind);
  if (t.nullable && !kite_ht_is_index(t.ht) && !t.exact) /* shorthand: funcref, anyref, ... */
    return kite_buf_byte(b, (uint8_t)(t.ht & 0x7F));
  kite_buf_byte(b, t.nullable ? 0x63 : 0x64);
  return kite_write_heaptype(b, t.ht, t.exact);
}

static bool write_blocktype(kite_buf *b, const kite_blocktype *bt) {
  switch (bt->kind) {
  case KITE_BT_EMPTY: return kite_buf_byte(b, 0x40);
  case KITE_BT_VAL: return kite_write_valtype(b, bt->val);
  default: return kite_buf_sleb(b, (int64_t)bt->index); /* an s33 */
  }
}

static bool write_memarg(kite_buf *b, const kite_memarg *m) {
  uint32_t flags = m->align | (m->mem ? 0x40 : 0);
  kite_buf_uleb(b, flags);
  if (m->mem) kite_buf_uleb(b, m->mem);
  return kite_buf_uleb(b, m->offset);
}

/* The raw bytes of a vector's items, as kite_read_insn left them in insn->items. */
static bool write_items(kite_buf *b, const kite_insn *insn) {
  if (!insn->items.p || insn->items.end <= insn->items.p) return !b->oom;
  return kite_buf_put(b, insn->items.p, (size_t)(insn->items.end - insn->items.p));
}

static bool write_le(kite_buf *b, uint64_t v, unsigned n) {
  uint8_t tmp[8];
  for (unsigned i = 0; i < n; i++) tmp[i] = (uint8_t)(v >> (8 * i));
  return kite_buf_put(b, tmp, n);
}

bool kite_write_insn(kite_buf *b, const kite_insn *insn) {
  if ((unsigned)insn->op >= OP_COUNT) return false;
  const kite_opinfo *info = &kite_opinfo_table[insn->op];
  if (info->prefix) {
    kite_buf_byte(b, info->prefix);
    kite_buf_uleb(b, info->code);
  } else {
    kite_buf_byte(b, (uint8_t)info->code);
  }
  switch ((kite_imm)info->imm) {
  case IMM_NONE: break;
  case IMM_BLOCK: write_blocktype(b, &insn->bt); break;
  case IMM_TRY_TABLE:
    write_blocktype(b, &insn->bt);
    kite_buf_uleb(b, insn->count);
    write_items(b, insn);
    break;
  case IMM_BR_TABLE:
    kite_buf_uleb(b, insn->count);
    write_items(b, insn);
    kite_buf_uleb(b, insn->idx);
    break;
  case IMM_LABEL:
  case IMM_FUNC:
  case IMM_TYPE:
  case IMM_LOCAL:
  case IMM_GLOBAL:
  case IMM_TABLE:
  case IMM_MEMORY:
  case IMM_TAG:
  case IMM_DATA:
  case IMM_ELEM: kite_buf_uleb(b, insn->idx); break;
  case IMM_CALL_INDIRECT:
  case IMM_MEMORY_INIT:
  case IMM_MEMORY_COPY:
  case IMM_TABLE_INIT:
  case IMM_TABLE_COPY:
  case IMM_FIELD:
  case IMM_TYPE_TYPE:
  case IMM_TYPE_DATA:
  case IMM_TYPE_ELEM:
    kite_buf_uleb(b, insn->idx);
    kite_buf_uleb(b, insn->idx2);
    break;
  case IMM_TYPE_N:
    kite_buf_uleb(b, insn->idx);
    kite_buf_uleb(b, insn->count);
    break;
  case IMM_MEMARG: write_memarg(b, &insn->mem); break;
  case IMM_MEMARG_LANE:
    write_memarg(b, &insn->mem);
    kite_buf_byte(b, insn->lane);
    break;
  case IMM_LANE: kite_buf_byte(b, insn->lane); break;
  case IMM_SHUFFLE:
  case IMM_V128: kite_buf_put(b, insn->bytes, 16); break;
  case IMM_I32: kite_buf_sleb(b, insn->val.i32); break;
  case IMM_I64: kite_buf_sleb(b, insn->val.i64); break;
  case IMM_F32: write_le(b, insn->val.f32, 4); break;
  case IMM_F64: write_le(b, insn->val.f64, 8); break;
  case IMM_SELECT_T:
    kite_buf_uleb(b, insn->count);
    if (insn->items.p) {
      write_items(b, insn);
    } else if (insn->count == 1) { /* a writer may give the one type in vt instead */
      kite_write_valtype(b, insn->vt);
    }
    break;
  case IMM_HEAPTYPE: kite_write_heaptype(b, insn->ht, insn->exact); break;
  case IMM_BR_ON_CAST:
    kite_buf_byte(b, insn->flags);
    kite_buf_uleb(b, insn->idx);
    kite_write_heaptype(b, insn->ht, insn->exact);
    kite_write_heaptype(b, insn->ht2, insn->exact2);
    break;
  case IMM_ZERO: kite_buf_byte(b, 0x00); break;
  case IMM_COUNT: return false;
  }
  return !b->oom;
}

bool kite_write_name(kite_buf *b, const uint8_t *p, size_t len) {
  kite_buf_uleb(b, len);
  return kite_buf_put(b, p, len);
}

bool kite_write_section(kite_buf *b, uint8_t id, const kite_buf *content) {
  if (content->oom) {
    b->oom = true;
    return false;
  }
  kite_buf_byte(b, id);
  kite_buf_uleb(b, content->len);
  return kite_buf_put(b, content->data, content->len);
}

const char *kite_section_name(uint8_t id) {
  static const char *const names[] = {"Custom", "Type",   "Import",    "Function", "Table",
                                      "Memory", "Global", "Export",    "Start",    "Elem",
                                      "Code",   "Data",   "DataCount", "Tag"};
  return id < KITE_ARRAY_LEN(names) ? names[id] : "Unknown";
}
