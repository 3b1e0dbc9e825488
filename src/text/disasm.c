/*
** disasm.c: `objdump -d`, every function body with the file offset and bytes of each
** instruction, laid out as wabt's wasm-objdump does:
**
**   000023 func[1] <add>:
**    000024: 01 7f                      | local[0] type=i32
**    000026: 20 00                      | local.get 0 <x>
**
** Immediates are shown as the binary holds them (indices in encoding order, memargs as
** "align_log2 offset"), names from the name section in angle brackets.
*/
#include <stdio.h>

#include "text.h"

#define BYTES_PER_LINE 9

typedef struct disasm {
  const kite_module *m;
  kite_buf *out;
  uint32_t func;
} disasm;

static void put(disasm *d, const char *s) { kite_buf_put(d->out, s, strlen(s)); }

static void put_name(kite_buf *b, const kite_name *n) {
  if (!n) return;
  kite_buf_put(b, " <", 2);
  for (uint32_t i = 0; i < n->len; i++) {
    uint8_t c = n->ptr[i];
    if (c >= 0x20 && c < 0x7f) kite_buf_byte(b, c);
    else kite_buf_printf(b, "\\%02x", c);
  }
  kite_buf_byte(b, '>');
}

static const kite_name *space_name(const disasm *d, unsigned space, uint32_t idx) {
  if (!d->m->has_names) return NULL;
  return kite_namemap_find(&d->m->names.maps[space], idx);
}

static const kite_name *local_name(const disasm *d, uint32_t idx) {
  if (!d->m->has_names) return NULL;
  const kite_indirect_namemap *im = &d->m->names.indirect[KITE_NAMES_LOCAL];
  for (uint32_t i = 0; i < im->count; i++)
    if (im->entries[i].index == d->func) return kite_namemap_find(&im->entries[i].map, idx);
  return NULL;
}

/*
** One line per BYTES_PER_LINE bytes of [from, to): offset, hex bytes padded to a fixed
** width, '|', then `text` (only on the first line), indented by depth.
*/
static void put_lines(disasm *d, uint32_t from, uint32_t to, unsigned depth, const char *text,
                      size_t text_len) {
  uint32_t at = from;
  do {
    kite_buf_printf(d->out, " %06x: ", at);
    unsigned n = 0;
    for (; n < BYTES_PER_LINE && at < to; n++, at++)
      kite_buf_printf(d->out, "%02x ", d->m->bytes[at]);
    for (; n < BYTES_PER_LINE; n++) put(d, "   ");
    put(d, "| ");
    if (text) {
      /* Capped, or blocks nested N deep would print N^2 spaces. */
      for (unsigned i = 0; i < depth && i < 100; i++) put(d, "  ");
      kite_buf_put(d->out, text, text_len);
      text = NULL;
    }
    kite_buf_byte(d->out, '\n');
  } while (at < to);
}

static const char *valtype_name(kite_valtype t) {
  switch (t.kind) {
  case KITE_VT_I32: return "i32";
  case KITE_VT_I64: return "i64";
  case KITE_VT_F32: return "f32";
  case KITE_VT_F64: return "f64";
  case KITE_VT_V128: return "v128";
  default: break;
  }
  if (t.kind != KITE_VT_REF) return "?";
  if (!kite_ht_is_index(t.ht) && t.nullable) {
    switch (t.ht) {
    case KITE_HT_FUNC: return "funcref";
    case KITE_HT_EXTERN: return "externref";
    case KITE_HT_ANY: return "anyref";
    case KITE_HT_EQ: return "eqref";
    case KITE_HT_I31: return "i31ref";
    case KITE_HT_STRUCT: return "structref";
    case KITE_HT_ARRAY: return "arrayref";
    case KITE_HT_EXN: return "exnref";
    case KITE_HT_NONE: return "nullref";
    case KITE_HT_NOFUNC: return "nullfuncref";
    case KITE_HT_NOEXTERN: return "nullexternref";
    case KITE_HT_NOEXN: return "nullexnref";
    default: break;
    }
  }
  return t.nullable ? "(ref null ...)" : "(ref ...)";
}

static void put_valtype(kite_buf *b, kite_valtype t) {
  if (t.kind == KITE_VT_REF && kite_ht_is_index(t.ht))
    kite_buf_printf(b, t.nullable ? "(ref null %u)" : "(ref %u)", t.ht);
  else kite_buf_put(b, valtype_name(t), strlen(valtype_name(t)));
}

static void put_heaptype(kite_buf *b, uint32_t ht) {
  if (kite_ht_is_index(ht)) {
    kite_buf_printf(b, "%u", ht);
    return;
  }
  /* The nullable reference's name without "ref" is the heap type's name, except for
     the bottom types. */
  static const struct {
    uint32_t ht;
    const char *name;
  } names[] = {
      {KITE_HT_FUNC, "func"},     {KITE_HT_EXTERN, "extern"},     {KITE_HT_ANY, "any"},
      {KITE_HT_EQ, "eq"},         {KITE_HT_I31, "i31"},           {KITE_HT_STRUCT, "struct"},
      {KITE_HT_ARRAY, "array"},   {KITE_HT_EXN, "exn"},           {KITE_HT_NONE, "none"},
      {KITE_HT_NOFUNC, "nofunc"}, {KITE_HT_NOEXTERN, "noextern"}, {KITE_HT_NOEXN, "noexn"}};
  for (size_t i = 0; i < KITE_ARRAY_LEN(names); i++)
    if (names[i].ht == ht) {
      kite_buf_put(b, names[i].name, strlen(names[i].name));
      return;
    }
  kite_buf_put(b, "?", 1);
}

/* The instruction's text into `t`: mnemonic and raw immediates. */
static void insn_text(disasm *d, const kite_insn *in, kite_buf *t) {
  const kite_opinfo *info = &kite_opinfo_table[in->op];
  kite_buf_put(t, info->text, strlen(info->text));
  switch ((kite_imm)info->imm) {
  case IMM_NONE:
  case IMM_ZERO:
  case IMM_COUNT: break;
  case IMM_BLOCK:
  case IMM_TRY_TABLE:
    if (in->bt.kind == KITE_BT_VAL) {
      kite_buf_byte(t, ' ');
      put_valtype(t, in->bt.val);
    } else if (in->bt.kind == KITE_BT_INDEX) {
      kite_buf_printf(t, " type[%u]", in->bt.index);
    }
    if (info->imm == IMM_TRY_TABLE) {
      kite_reader r = in->items;
      for (uint32_t i = 0; i < in->count; i++) {
        kite_catch c;
        if (!kite_read_catch(&r, &c)) break;
        static const char *const kw[] = {"catch", "catch_ref", "catch_all", "catch_all_ref"};
        if (c.kind == KITE_CATCH || c.kind == KITE_CATCH_REF)
          kite_buf_printf(t, " (%s %u %u)", kw[c.kind & 3], c.tag, c.label);
        else kite_buf_printf(t, " (%s %u)", kw[c.kind & 3], c.label);
      }
    }
    break;
  case IMM_BR_TABLE: {
    kite_reader r = in->items;
    for (uint32_t i = 0; i < in->count; i++) {
      uint32_t l;
      if (!kite_read_u32(&r, &l)) break;
      kite_buf_printf(t, " %u", l);
    }
    kite_buf_printf(t, " %u", in->idx);
    break;
  }
  case IMM_FUNC: {
    kite_buf_printf(t, " %u", in->idx);
    put_name(t, space_name(d, KITE_NAMES_FUNC, in->idx));
    break;
  }
  case IMM_LOCAL: {
    kite_buf_printf(t, " %u", in->idx);
    put_name(t, local_name(d, in->idx));
    break;
  }
  case IMM_GLOBAL: {
    kite_buf_printf(t, " %u", in->idx);
    put_name(t, space_name(d, KITE_NAMES_GLOBAL, in->idx));
    break;
  }
  case IMM_CALL_INDIRECT:
    kite_buf_printf(t, " %u", in->idx2);
    put_name(t, space_name(d, KITE_NAMES_TABLE, in->idx2));
    kite_buf_printf(t, " (type %u", in->idx);
    put_name(t, space_name(d, KITE_NAMES_TYPE, in->idx));
    kite_buf_byte(t, ')');
    break;
  case IMM_LABEL:
  case IMM_TYPE:
  case IMM_TABLE:
  case IMM_MEMORY:
  case IMM_TAG:
  case IMM_DATA:
  case IMM_ELEM: kite_buf_printf(t, " %u", in->idx); break;
  case IMM_MEMARG:
  case IMM_MEMARG_LANE:
    kite_buf_printf(t, " %u", in->mem.align);
    if (in->mem.mem) kite_buf_printf(t, " %u", in->mem.mem);
    kite_buf_printf(t, " %llu", (unsigned long long)in->mem.offset);
    if (info->imm == IMM_MEMARG_LANE) kite_buf_printf(t, " %u", in->lane);
    break;
  case IMM_LANE: kite_buf_printf(t, " %u", in->lane); break;
  case IMM_SHUFFLE:
    for (int i = 0; i < 16; i++) kite_buf_printf(t, " %u", in->bytes[i]);
    break;
  case IMM_I32: kite_buf_printf(t, " %u", (unsigned)in->val.i32); break;
  case IMM_I64: kite_buf_printf(t, " %lld", (long long)in->val.i64); break;
  case IMM_F32:
  case IMM_F64: {
    char tmp[KITE_FLOAT_TEXT_MAX];
    size_t n =
        info->imm == IMM_F32 ? kite_f32_text(in->val.f32, tmp) : kite_f64_text(in->val.f64, tmp);
    kite_buf_byte(t, ' ');
    kite_buf_put(t, tmp, n);
    break;
  }
  case IMM_V128:
    for (int i = 0; i < 16; i += 4)
      kite_buf_printf(t, " 0x%08x", (unsigned)kite_load_u32le(in->bytes + i));
    break;
  case IMM_SELECT_T:
    for (uint32_t i = 0; i < in->count; i++) {
      kite_buf_byte(t, ' ');
      put_valtype(t, in->vt);
    }
    break;
  case IMM_HEAPTYPE:
    kite_buf_byte(t, ' ');
    if (in->exact) kite_buf_put(t, "exact ", 6);
    put_heaptype(t, in->ht);
    break;
  case IMM_MEMORY_INIT:
  case IMM_MEMORY_COPY:
  case IMM_TABLE_INIT:
  case IMM_TABLE_COPY:
  case IMM_FIELD:
  case IMM_TYPE_TYPE:
  case IMM_TYPE_DATA:
  case IMM_TYPE_ELEM: kite_buf_printf(t, " %u %u", in->idx, in->idx2); break;
  case IMM_TYPE_N: kite_buf_printf(t, " %u %u", in->idx, in->count); break;
  case IMM_BR_ON_CAST:
    kite_buf_printf(t, " %u ", in->idx);
    if (in->flags & 1) kite_buf_put(t, "null ", 5);
    if (in->exact) kite_buf_put(t, "exact ", 6);
    put_heaptype(t, in->ht);
    kite_buf_byte(t, ' ');
    if (in->flags & 2) kite_buf_put(t, "null ", 5);
    if (in->exact2) kite_buf_put(t, "exact ", 6);
    put_heaptype(t, in->ht2);
    break;
  }
}

static bool disasm_func(disasm *d, uint32_t funcidx, kite_buf *text, kite_error *err) {
  const kite_module *m = d->m;
  const kite_func *f = &m->funcs[funcidx];
  d->func = funcidx;
  kite_reader r = {m->bytes, m->bytes + f->body_offset, m->bytes + f->code_end, err};
  uint32_t body_size, ngroups;
  if (!kite_read_u32(&r, &body_size)) return false;
  uint32_t locals_at = kite_reader_offset(&r);
  kite_buf_printf(d->out, "%06x func[%u]", locals_at, funcidx);
  put_name(d->out, space_name(d, KITE_NAMES_FUNC, funcidx));
  put(d, ":\n");

  /* Local declarations: their indices follow the parameters. */
  uint32_t next_local = 0;
  if (f->type < m->ntypes && m->types[f->type].comp == KITE_COMP_FUNC)
    next_local = m->types[f->type].u.func.nparams;
  if (!kite_read_u32(&r, &ngroups)) return false;
  for (uint32_t g = 0; g < ngroups; g++) {
    uint32_t at = kite_reader_offset(&r), count;
    kite_valtype vt;
    if (!kite_read_u32(&r, &count) || !kite_read_valtype(&r, KITE_FEATURES_ALL, &vt)) return false;
    text->len = 0;
    if (count == 1) kite_buf_printf(text, "local[%u] type=", next_local);
    else kite_buf_printf(text, "local[%u..%u] type=", next_local, next_local + count - 1);
    put_valtype(text, vt);
    put_lines(d, at, kite_reader_offset(&r), 0, (const char *)text->data, text->len);
    next_local += count;
  }

  unsigned depth = 0;
  while (r.p < r.end) {
    kite_insn in;
    if (!kite_read_insn(&r, KITE_FEATURES_ALL, &in)) return false;
    unsigned line_depth = depth;
    switch (in.op) {
    case OP_BLOCK:
    case OP_LOOP:
    case OP_IF:
    case OP_TRY:
    case OP_TRY_TABLE: depth++; break;
    case OP_ELSE:
    case OP_CATCH:
    case OP_CATCH_ALL: line_depth = depth ? depth - 1 : 0; break;
    case OP_END:
    case OP_DELEGATE:
      if (depth) depth--;
      line_depth = depth;
      break;
    default: break;
    }
    text->len = 0;
    insn_text(d, &in, text);
    if (text->oom) break;
    put_lines(d, in.offset, kite_reader_offset(&r), line_depth, (const char *)text->data,
              text->len);
  }
  return true;
}

bool kite_disassemble(const kite_module *m, kite_buf *out, kite_error *err) {
  disasm d = {m, out, 0};
  kite_buf text;
  kite_buf_init(&text, out->alloc ? out->alloc : m->alloc);
  put(&d, "\nCode Disassembly:\n\n");
  bool ok = true;
  for (uint32_t i = m->nimported_funcs; i < m->nfuncs && ok; i++)
    ok = disasm_func(&d, i, &text, err);
  bool oom = text.oom || out->oom;
  kite_buf_free(&text);
  if (oom) return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
  return ok;
}
