/*
** wat_instr.c: instructions in text (spec, Text Format, Instructions), flat and
** folded, encoded through kite_write_insn. Immediates are read according to the
** opcode's IMM_* kind from opcodes.def; only the structured instructions (blocks,
** if, try_table, legacy try) and the few mnemonics shared by two encodings (select,
** ref.test, ref.cast) are handled by hand.
*/
#include "text.h"

/* Nesting of folded instructions and blocks, bounded so hostile input cannot
   exhaust the C stack. */
#define WAT_MAX_DEPTH 3000

static bool oom(wat_ctx *c) {
  if (kite_failed(c->err)) return false;
  return kite_fail_at(c->err, KITE_ERR_OOM, 0, 0, 0, "out of memory");
}

static bool instr_seq(wat_ctx *c, kite_buf *out);
static bool folded(wat_ctx *c, kite_buf *out);

static bool write(wat_ctx *c, kite_buf *out, const kite_insn *in) {
  kite_imm imm = (kite_imm)kite_opinfo_table[in->op].imm;
  if (imm == IMM_MEMORY_INIT || imm == IMM_DATA || imm == IMM_TYPE_DATA) c->uses_data_index = true;
  if (!kite_write_insn(out, in) || out->oom) return oom(c);
  return true;
}

/* An instruction a branch hint annotation precedes (hint >= 0): note its offset. */
static bool write_hinted(wat_ctx *c, kite_buf *out, const kite_insn *in, int hint) {
  if (hint >= 0) {
    if (in->op != OP_IF && in->op != OP_BR_IF)
      return kite_fail_at(c->err, KITE_ERR_COMPILE, KITE_COMPILE_INVALID, kite_wat_tok(c)->line,
                          kite_wat_tok(c)->col,
                          "@metadata.code.branch_hint annotation: invalid target");
    wat_hint h = {(uint32_t)out->len, (uint8_t)hint};
    if (!kite_vec_push(c->alloc, &c->hints, h)) return oom(c);
  }
  return write(c, out, in);
}

static bool write_op(wat_ctx *c, kite_buf *out, kite_opcode op) {
  kite_insn in;
  memset(&in, 0, sizeof in);
  in.op = op;
  return write(c, out, &in);
}

static void set_items(kite_insn *in, const kite_buf *items) {
  in->items.base = items->data;
  in->items.p = items->data;
  in->items.end = items->len ? items->data + items->len : items->data; /* NULL + 0 is UB */
  in->items.err = NULL;
}

/* The opcode a keyword names, if its feature is enabled. */
static kite_opcode lookup(const wat_ctx *c, const kite_token *t) {
  if (t->kind != KITE_TOK_KEYWORD) return OP_COUNT;
  kite_opcode op = kite_opname_index_find(c->opnames, t->text, t->len);
  if (op == OP_COUNT || !kite_has_feature(c->feat, kite_opinfo_table[op].feature)) return OP_COUNT;
  return op;
}

/* ---- labels ---- */

static bool push_label(wat_ctx *c, wat_name name) {
  return kite_vec_push(c->alloc, &c->labels, name) || oom(c);
}

static bool label_index(wat_ctx *c, uint32_t *out) {
  const kite_token *t = kite_wat_tok(c);
  if (t->kind == KITE_TOK_NAT) return kite_wat_u32(c, out);
  if (t->kind != KITE_TOK_ID) return kite_wat_unexpected(c, t);
  for (size_t i = c->labels.len; i-- > 0;) {
    wat_name n = c->labels.data[i];
    if (n.name && n.len == t->len && !memcmp(n.name, t->text, t->len)) {
      *out = (uint32_t)(c->labels.len - 1 - i);
      c->pos++;
      return true;
    }
  }
  return kite_wat_fail(c, t, "unknown label $%.*s", (int)(t->len > 60 ? 60 : t->len), t->text);
}

/* `end $id` / `else $id`: the id must repeat the block's label. */
static bool closing_id(wat_ctx *c, wat_name label) {
  const kite_token *t = kite_wat_tok(c);
  if (t->kind != KITE_TOK_ID) return true;
  if (!label.name || label.len != t->len || memcmp(label.name, t->text, t->len))
    return kite_wat_fail(c, t, "mismatching label");
  c->pos++;
  return true;
}

/* ---- block types ---- */

static bool blocktype(wat_ctx *c, kite_blocktype *bt) {
  const kite_token *at = kite_wat_tok(c);
  wat_sig sig;
  uint32_t typeidx;
  memset(&sig, 0, sizeof sig);
  memset(bt, 0, sizeof *bt);
  bool ok = kite_wat_typeuse(c, false, &typeidx, &sig);
  if (ok && !sig.has_type && !sig.params.len && sig.results.len <= 1) {
    bt->kind = sig.results.len ? KITE_BT_VAL : KITE_BT_EMPTY;
    if (sig.results.len) bt->val = sig.results.data[0];
  } else if (ok) {
    /* A written (type x) stays a type index, as the text format defines it (wabt writes
       the short form when the type is [] -> [t?]; the printer relies on this to read
       back the bytes it printed). */
    bt->kind = KITE_BT_INDEX;
    ok = kite_wat_resolve_typeuse(c, at, typeidx, &sig, &bt->index);
  }
  kite_wat_sig_free(c, &sig);
  return ok;
}

/* ---- immediates ---- */

static bool index_imm(wat_ctx *c, int space, uint32_t *out) {
  return kite_wat_index(c, space, out);
}

static bool opt_index(wat_ctx *c, int space, uint32_t *out) {
  *out = 0;
  return kite_wat_at_index(c) ? kite_wat_index(c, space, out) : true;
}

/* A nat written after `offset=` or `align=` (the keyword's tail). */
static bool keyword_nat(wat_ctx *c, const kite_token *t, size_t skip, uint64_t *out) {
  kite_lexer lx;
  kite_error e;
  kite_error_clear(&e);
  kite_lexer_init(&lx, t->text + skip, t->len - skip, &e);
  kite_token n;
  if (!kite_lex_next(&lx, &n) || n.kind != KITE_TOK_NAT || n.len != t->len - skip)
    return kite_wat_fail(c, t, "unknown operator %.*s", (int)t->len, t->text);
  if (!kite_tok_u64(&n, out)) return kite_wat_fail(c, t, "constant out of range");
  return true;
}

/* memidx? offset=? align=? */
static bool memarg(wat_ctx *c, kite_opcode op, kite_memarg *m) {
  if (!opt_index(c, WAT_MEMORIES, &m->mem)) return false;
  m->offset = 0;
  m->align = kite_opinfo_table[op].aux;
  const kite_token *t = kite_wat_tok(c);
  if (t->kind == KITE_TOK_KEYWORD && t->len > 7 && !memcmp(t->text, "offset=", 7)) {
    if (!keyword_nat(c, t, 7, &m->offset)) return false;
    c->pos++;
    t = kite_wat_tok(c);
  }
  if (t->kind == KITE_TOK_KEYWORD && t->len > 6 && !memcmp(t->text, "align=", 6)) {
    uint64_t a;
    if (!keyword_nat(c, t, 6, &a)) return false;
    if (a == 0 || (a & (a - 1))) return kite_wat_fail(c, t, "alignment must be a power of two");
    m->align = 0;
    while (((uint64_t)1 << m->align) < a) m->align++;
    c->pos++;
  }
  return true;
}

static bool lane_index(wat_ctx *c, uint8_t *out) {
  const kite_token *t = kite_wat_tok(c);
  uint32_t v;
  if (t->kind != KITE_TOK_NAT) return kite_wat_unexpected(c, t);
  if (!kite_tok_u32(t, &v) || v > 255) return kite_wat_fail(c, t, "i8 constant out of range");
  *out = (uint8_t)v;
  c->pos++;
  return true;
}

static bool number_token(const kite_token *t) {
  return t->kind == KITE_TOK_NAT || t->kind == KITE_TOK_INT || t->kind == KITE_TOK_FLOAT;
}

/* iN for N = 8 or 16: a nat below 2^N or a signed value in range. */
static bool small_int(const kite_token *t, unsigned bits, uint32_t *out) {
  uint32_t v;
  if (!kite_tok_i32(t, &v)) return false;
  if (t->kind == KITE_TOK_NAT) {
    if (v >> bits) return false;
  } else {
    int32_t s = (int32_t)v;
    if (s < -(1 << (bits - 1)) || s >= (1 << (bits - 1))) return false;
  }
  *out = v & ((1u << bits) - 1);
  return true;
}

static bool literal_fail(wat_ctx *c, const kite_token *t) {
  if (number_token(t)) return kite_wat_fail(c, t, "constant out of range");
  return kite_wat_unexpected(c, t);
}

static bool v128_const(wat_ctx *c, uint8_t bytes[16]) {
  static const struct {
    const char *name;
    unsigned lanes, bits;
    bool fp;
  } shapes[] = {{"i8x16", 16, 8, false}, {"i16x8", 8, 16, false}, {"i32x4", 4, 32, false},
                {"i64x2", 2, 64, false}, {"f32x4", 4, 32, true},  {"f64x2", 2, 64, true}};
  const kite_token *st = kite_wat_tok(c);
  size_t s = 0;
  while (s < KITE_ARRAY_LEN(shapes) && !kite_tok_is(st, shapes[s].name)) s++;
  if (s == KITE_ARRAY_LEN(shapes)) return kite_wat_unexpected(c, st);
  c->pos++;
  unsigned n = 0;
  while (number_token(kite_wat_tok_at(c, c->pos + n))) n++;
  if (n != shapes[s].lanes) return kite_wat_fail(c, st, "wrong number of lane literals");
  for (unsigned i = 0; i < n; i++) {
    const kite_token *t = kite_wat_tok(c);
    uint64_t v = 0;
    uint32_t v32 = 0;
    bool ok;
    unsigned bits = shapes[s].bits;
    if (shapes[s].fp) {
      ok = bits == 32 ? kite_tok_f32(t, &v32) : kite_tok_f64(t, &v);
      if (bits == 32) v = v32;
    } else if (bits <= 16) {
      ok = small_int(t, bits, &v32);
      v = v32;
    } else if (bits == 32) {
      ok = kite_tok_i32(t, &v32);
      v = v32;
    } else {
      ok = kite_tok_i64(t, &v);
    }
    if (!ok) return literal_fail(c, t);
    for (unsigned k = 0; k < bits / 8; k++) bytes[i * (bits / 8) + k] = (uint8_t)(v >> (8 * k));
    c->pos++;
  }
  return true;
}

/* (catch x l) (catch_ref x l) (catch_all l) (catch_all_ref l)*, encoded into items. */
static bool catches(wat_ctx *c, kite_insn *in, kite_buf *items) {
  static const char *const kinds[] = {"catch", "catch_ref", "catch_all", "catch_all_ref"};
  for (;;) {
    size_t k = 0;
    if (kite_wat_tok(c)->kind != KITE_TOK_LPAREN) break;
    while (k < 4 && !kite_tok_is(kite_wat_tok_at(c, c->pos + 1), kinds[k])) k++;
    if (k == 4) break;
    c->pos += 2;
    uint32_t tag = 0, label;
    if (k < 2 && !index_imm(c, WAT_TAGS, &tag)) return false;
    if (!label_index(c, &label) || !kite_wat_expect_rparen(c)) return false;
    kite_buf_byte(items, (uint8_t)k);
    if (k < 2) kite_buf_uleb(items, tag);
    kite_buf_uleb(items, label);
    in->count++;
  }
  if (items->oom) return oom(c);
  set_items(in, items);
  return true;
}

/* A field of a struct type: a nat or a name declared in that type. */
static bool field_index(wat_ctx *c, uint32_t type, uint32_t *out) {
  const kite_token *t = kite_wat_tok(c);
  if (t->kind != KITE_TOK_ID) return kite_wat_u32(c, out);
  if (type >= c->types.len ||
      !kite_wat_map_get(&c->types.data[type].fields, t->text, (uint32_t)t->len, out))
    return kite_wat_fail(c, t, "unknown field $%.*s", (int)(t->len > 60 ? 60 : t->len), t->text);
  c->pos++;
  return true;
}

/* The immediates of a plain instruction, pos just after its mnemonic. */
static bool immediates(wat_ctx *c, kite_insn *in, kite_buf *items) {
  const kite_opinfo *info = &kite_opinfo_table[in->op];
  const kite_token *t = kite_wat_tok(c);
  switch ((kite_imm)info->imm) {
  case IMM_NONE:
  case IMM_ZERO:
    if (in->op == OP_SELECT && kite_wat_at_lparen_kw(c, "result")) {
      in->op = OP_SELECT_T;
      while (kite_wat_at_lparen_kw(c, "result")) {
        c->pos += 2;
        while (kite_wat_tok(c)->kind != KITE_TOK_RPAREN) {
          kite_valtype vt;
          if (!kite_wat_valtype(c, &vt)) return false;
          if (in->count++ == 0) in->vt = vt;
          if (!kite_write_valtype(items, vt)) return oom(c);
        }
        c->pos++;
      }
      set_items(in, items);
    }
    return true;
  case IMM_BLOCK:
  case IMM_TRY_TABLE: return kite_wat_unexpected(c, t); /* handled by the block parsers */
  case IMM_LABEL: return label_index(c, &in->idx);
  case IMM_BR_TABLE: {
    uint32_t n = 0, label = 0;
    while (kite_wat_at_index(c)) {
      if (n++) kite_buf_uleb(items, label);
      if (!label_index(c, &label)) return false;
    }
    if (!n) return kite_wat_unexpected(c, kite_wat_tok(c));
    in->count = n - 1;
    in->idx = label;
    if (items->oom) return oom(c);
    set_items(in, items);
    return true;
  }
  case IMM_FUNC: return index_imm(c, WAT_FUNCS, &in->idx);
  case IMM_CALL_INDIRECT: {
    if (!opt_index(c, WAT_TABLES, &in->idx2)) return false;
    const kite_token *at = kite_wat_tok(c);
    wat_sig sig;
    uint32_t typeidx;
    memset(&sig, 0, sizeof sig);
    bool ok = kite_wat_typeuse(c, false, &typeidx, &sig) &&
              kite_wat_resolve_typeuse(c, at, typeidx, &sig, &in->idx);
    kite_wat_sig_free(c, &sig);
    return ok;
  }
  case IMM_TYPE: return index_imm(c, WAT_TYPES, &in->idx);
  case IMM_LOCAL: {
    if (t->kind == KITE_TOK_ID) {
      if (!kite_wat_map_get(&c->locals, t->text, (uint32_t)t->len, &in->idx))
        return kite_wat_fail(c, t, "unknown local $%.*s", (int)(t->len > 60 ? 60 : t->len),
                             t->text);
      c->pos++;
      return true;
    }
    return kite_wat_u32(c, &in->idx);
  }
  case IMM_GLOBAL: return index_imm(c, WAT_GLOBALS, &in->idx);
  case IMM_TABLE: return opt_index(c, WAT_TABLES, &in->idx);
  case IMM_MEMORY: return opt_index(c, WAT_MEMORIES, &in->idx);
  case IMM_TAG: return index_imm(c, WAT_TAGS, &in->idx);
  case IMM_MEMARG: return memarg(c, in->op, &in->mem);
  case IMM_MEMARG_LANE: {
    /* memidx? memarg lane: a leading nat is a memory index only if more follows */
    const kite_token *n1 = kite_wat_tok_at(c, c->pos + 1);
    bool mem_first =
        t->kind == KITE_TOK_ID ||
        (t->kind == KITE_TOK_NAT &&
         (n1->kind == KITE_TOK_NAT ||
          (n1->kind == KITE_TOK_KEYWORD && ((n1->len > 7 && !memcmp(n1->text, "offset=", 7)) ||
                                            (n1->len > 6 && !memcmp(n1->text, "align=", 6))))));
    if (!mem_first) {
      in->mem.align = kite_opinfo_table[in->op].aux;
      in->mem.offset = 0;
      in->mem.mem = 0;
      const kite_token *k = kite_wat_tok(c);
      if (k->kind == KITE_TOK_KEYWORD && !memarg(c, in->op, &in->mem)) return false;
      return lane_index(c, &in->lane);
    }
    return memarg(c, in->op, &in->mem) && lane_index(c, &in->lane);
  }
  case IMM_LANE: return lane_index(c, &in->lane);
  case IMM_SHUFFLE: {
    unsigned n = 0;
    while (number_token(kite_wat_tok_at(c, c->pos + n))) n++;
    if (n != 16) return kite_wat_fail(c, t, "invalid lane length");
    for (unsigned i = 0; i < 16; i++) {
      const kite_token *l = kite_wat_tok(c);
      uint32_t v;
      if (l->kind != KITE_TOK_NAT || !kite_tok_u32(l, &v) || v > 255)
        return kite_wat_fail(c, l, "i8 constant out of range");
      in->bytes[i] = (uint8_t)v;
      c->pos++;
    }
    return true;
  }
  case IMM_I32: {
    uint32_t v;
    if (!kite_tok_i32(t, &v)) return literal_fail(c, t);
    in->val.i32 = (int32_t)v;
    c->pos++;
    return true;
  }
  case IMM_I64: {
    uint64_t v;
    if (!kite_tok_i64(t, &v)) return literal_fail(c, t);
    in->val.i64 = (int64_t)v;
    c->pos++;
    return true;
  }
  case IMM_F32:
    if (!kite_tok_f32(t, &in->val.f32)) return literal_fail(c, t);
    c->pos++;
    return true;
  case IMM_F64:
    if (!kite_tok_f64(t, &in->val.f64)) return literal_fail(c, t);
    c->pos++;
    return true;
  case IMM_V128: return v128_const(c, in->bytes);
  case IMM_SELECT_T: return kite_wat_unexpected(c, t); /* reached through select */
  case IMM_HEAPTYPE:
    if (in->op == OP_REF_NULL) return kite_wat_heaptype(c, &in->ht, &in->exact);
    {
      kite_valtype rt;
      if (!kite_wat_reftype(c, &rt)) return false;
      in->ht = rt.ht;
      in->exact = rt.exact;
      if (rt.nullable)
        in->op = in->op == OP_REF_TEST   ? OP_REF_TEST_NULL
                 : in->op == OP_REF_CAST ? OP_REF_CAST_NULL
                                         : OP_REF_CAST_DESC_EQ_NULL;
      return true;
    }
  case IMM_DATA: return index_imm(c, WAT_DATAS, &in->idx);
  case IMM_ELEM: return index_imm(c, WAT_ELEMS, &in->idx);
  case IMM_MEMORY_INIT: {
    /* memidx? dataidx */
    const kite_token *n1 = kite_wat_tok_at(c, c->pos + 1);
    in->idx2 = 0;
    if (kite_wat_at_index(c) && (n1->kind == KITE_TOK_NAT || n1->kind == KITE_TOK_ID) &&
        !index_imm(c, WAT_MEMORIES, &in->idx2))
      return false;
    return index_imm(c, WAT_DATAS, &in->idx);
  }
  case IMM_MEMORY_COPY:
    in->idx = in->idx2 = 0;
    if (!kite_wat_at_index(c)) return true;
    return index_imm(c, WAT_MEMORIES, &in->idx) && index_imm(c, WAT_MEMORIES, &in->idx2);
  case IMM_TABLE_INIT: {
    const kite_token *n1 = kite_wat_tok_at(c, c->pos + 1);
    in->idx2 = 0;
    if (kite_wat_at_index(c) && (n1->kind == KITE_TOK_NAT || n1->kind == KITE_TOK_ID) &&
        !index_imm(c, WAT_TABLES, &in->idx2))
      return false;
    return index_imm(c, WAT_ELEMS, &in->idx);
  }
  case IMM_TABLE_COPY:
    in->idx = in->idx2 = 0;
    if (!kite_wat_at_index(c)) return true;
    return index_imm(c, WAT_TABLES, &in->idx) && index_imm(c, WAT_TABLES, &in->idx2);
  case IMM_FIELD: return index_imm(c, WAT_TYPES, &in->idx) && field_index(c, in->idx, &in->idx2);
  case IMM_TYPE_TYPE:
    return index_imm(c, WAT_TYPES, &in->idx) && index_imm(c, WAT_TYPES, &in->idx2);
  case IMM_TYPE_N: return index_imm(c, WAT_TYPES, &in->idx) && kite_wat_u32(c, &in->count);
  case IMM_TYPE_DATA:
    return index_imm(c, WAT_TYPES, &in->idx) && index_imm(c, WAT_DATAS, &in->idx2);
  case IMM_TYPE_ELEM:
    return index_imm(c, WAT_TYPES, &in->idx) && index_imm(c, WAT_ELEMS, &in->idx2);
  case IMM_BR_ON_CAST: {
    kite_valtype a, b;
    if (!label_index(c, &in->idx) || !kite_wat_reftype(c, &a) || !kite_wat_reftype(c, &b))
      return false;
    in->flags = (uint8_t)((a.nullable ? 1 : 0) | (b.nullable ? 2 : 0));
    in->ht = a.ht;
    in->ht2 = b.ht;
    in->exact = a.exact;
    in->exact2 = b.exact;
    return true;
  }
  case IMM_COUNT: break;
  }
  return kite_wat_unexpected(c, t);
}

/* ---- structured instructions ---- */

static bool is_block_op(kite_opcode op) {
  return op == OP_BLOCK || op == OP_LOOP || op == OP_IF || op == OP_TRY_TABLE || op == OP_TRY;
}

static bool enter(wat_ctx *c) {
  if (++c->depth > WAT_MAX_DEPTH) return kite_wat_fail(c, kite_wat_tok(c), "nesting too deep");
  return true;
}

/* Label and block type (and try_table's catches) after a block keyword; writes the
   opening instruction and pushes the label. */
static bool block_head(wat_ctx *c, kite_buf *out, kite_opcode op, wat_name *label, int hint) {
  kite_insn in;
  kite_buf items;
  memset(&in, 0, sizeof in);
  in.op = op;
  kite_wat_opt_id(c, label);
  kite_buf_init(&items, c->alloc);
  bool ok = blocktype(c, &in.bt);
  if (ok && op == OP_TRY_TABLE) ok = catches(c, &in, &items);
  if (ok) ok = write_hinted(c, out, &in, hint);
  kite_buf_free(&items);
  return ok && push_label(c, *label);
}

static bool at_keyword(const wat_ctx *c, const char *kw) {
  return kite_tok_is(kite_wat_tok(c), kw);
}

/* The instructions of an else branch; as wabt, an empty one writes no `else`. */
static bool else_branch(wat_ctx *c, kite_buf *out, bool folded_form) {
  size_t at = out->len;
  if (!write_op(c, out, OP_ELSE) || !instr_seq(c, out)) return false;
  if (out->len == at + 1) out->len = at; /* written into the body directly: hints keep offsets */
  return !folded_form || kite_wat_expect_rparen(c);
}

/* Flat: block label bt instr* (else instr*)? end id? ; legacy try with catch clauses or
   delegate. pos is after the keyword. */
static bool flat_block(wat_ctx *c, kite_buf *out, kite_opcode op, int hint) {
  wat_name label;
  if (!enter(c) || !block_head(c, out, op, &label, hint) || !instr_seq(c, out)) return false;
  if (op == OP_IF && at_keyword(c, "else")) {
    c->pos++;
    if (!closing_id(c, label) || !else_branch(c, out, false)) return false;
  }
  if (op == OP_TRY) {
    while (at_keyword(c, "catch") && kite_has_feature(c->feat, FEAT_LEGACY_EH)) {
      kite_insn in;
      memset(&in, 0, sizeof in);
      in.op = OP_CATCH;
      c->pos++;
      if (!index_imm(c, WAT_TAGS, &in.idx) || !write(c, out, &in) || !instr_seq(c, out))
        return false;
    }
    if (at_keyword(c, "catch_all")) {
      c->pos++;
      if (!write_op(c, out, OP_CATCH_ALL) || !instr_seq(c, out)) return false;
    } else if (at_keyword(c, "delegate")) {
      kite_insn in;
      memset(&in, 0, sizeof in);
      in.op = OP_DELEGATE;
      c->pos++;
      c->labels.len--;
      c->depth--;
      return label_index(c, &in.idx) && write(c, out, &in);
    }
  }
  if (!at_keyword(c, "end")) return kite_wat_unexpected(c, kite_wat_tok(c));
  c->pos++;
  c->labels.len--;
  c->depth--;
  return closing_id(c, label) && write_op(c, out, OP_END);
}

/* Folded `(kw ...)`: pos is at the '('. */
static bool folded_block(wat_ctx *c, kite_buf *out, kite_opcode op, int hint) {
  wat_name label;
  c->pos += 2;
  if (op == OP_IF) {
    /* the condition comes first in the binary: parse the head into a scratch buffer */
    kite_insn in;
    memset(&in, 0, sizeof in);
    in.op = OP_IF;
    kite_wat_opt_id(c, &label);
    if (!blocktype(c, &in.bt)) return false;
    while (kite_wat_tok(c)->kind == KITE_TOK_LPAREN && !kite_wat_at_lparen_kw(c, "then"))
      if (!folded(c, out)) return false;
    if (!write_hinted(c, out, &in, hint) || !push_label(c, label)) return false;
    if (!kite_wat_expect_lparen_kw(c, "then") || !instr_seq(c, out) || !kite_wat_expect_rparen(c))
      return false;
    if (kite_wat_at_lparen_kw(c, "else")) {
      c->pos += 2;
      if (!else_branch(c, out, true)) return false;
    }
  } else if (op == OP_TRY) {
    if (!block_head(c, out, op, &label, hint)) return false;
    if (!kite_wat_expect_lparen_kw(c, "do") || !instr_seq(c, out) || !kite_wat_expect_rparen(c))
      return false;
    bool handlers = false;
    while (kite_wat_at_lparen_kw(c, "catch")) {
      kite_insn in;
      memset(&in, 0, sizeof in);
      in.op = OP_CATCH;
      handlers = true;
      c->pos += 2;
      if (!index_imm(c, WAT_TAGS, &in.idx) || !write(c, out, &in) || !instr_seq(c, out) ||
          !kite_wat_expect_rparen(c))
        return false;
    }
    if (kite_wat_at_lparen_kw(c, "catch_all")) {
      c->pos += 2;
      if (!write_op(c, out, OP_CATCH_ALL) || !instr_seq(c, out) || !kite_wat_expect_rparen(c))
        return false;
    } else if (kite_wat_at_lparen_kw(c, "delegate") && !handlers) {
      kite_insn in;
      memset(&in, 0, sizeof in);
      in.op = OP_DELEGATE;
      c->pos += 2;
      c->labels.len--;
      return label_index(c, &in.idx) && write(c, out, &in) && kite_wat_expect_rparen(c) &&
             kite_wat_expect_rparen(c);
    }
  } else {
    if (!block_head(c, out, op, &label, hint) || !instr_seq(c, out)) return false;
  }
  c->labels.len--;
  return write_op(c, out, OP_END) && kite_wat_expect_rparen(c);
}

static bool plain(wat_ctx *c, kite_buf *out, kite_opcode op, bool is_folded, int hint) {
  kite_insn in;
  kite_buf items;
  memset(&in, 0, sizeof in);
  in.op = op;
  kite_buf_init(&items, c->alloc);
  bool ok = immediates(c, &in, &items);
  if (ok && is_folded) {
    while (ok && kite_wat_tok(c)->kind == KITE_TOK_LPAREN) ok = folded(c, out);
    if (ok) ok = kite_wat_expect_rparen(c);
  }
  if (ok) {
    if (in.items.base) set_items(&in, &items); /* items may have moved while growing */
    ok = write_hinted(c, out, &in, hint);
  }
  kite_buf_free(&items);
  return ok;
}

static bool folded(wat_ctx *c, kite_buf *out) {
  int hint = kite_wat_take_hint(c, c->pos);
  if (hint == -2) return false;
  const kite_token *kw = kite_wat_tok_at(c, c->pos + 1);
  kite_opcode op = lookup(c, kw);
  if (op == OP_COUNT) return kite_wat_unexpected(c, kw);
  if (op == OP_ELSE || op == OP_END || op == OP_CATCH || op == OP_CATCH_ALL || op == OP_DELEGATE)
    return kite_wat_unexpected(c, kw);
  if (!enter(c)) return false;
  bool ok;
  if (is_block_op(op)) {
    ok = folded_block(c, out, op, hint);
  } else {
    c->pos += 2;
    ok = plain(c, out, op, true, hint);
  }
  c->depth--;
  return ok;
}

/* Instructions until ')' or a keyword that ends a block (end, else, catch, catch_all,
   delegate), which is left for the caller. */
static bool instr_seq(wat_ctx *c, kite_buf *out) {
  for (;;) {
    const kite_token *t = kite_wat_tok(c);
    if (t->kind == KITE_TOK_RPAREN || t->kind == KITE_TOK_EOF) return true;
    if (t->kind == KITE_TOK_LPAREN) {
      if (!folded(c, out)) return false;
      continue;
    }
    kite_opcode op = lookup(c, t);
    if (op == OP_COUNT) return kite_wat_unexpected(c, t);
    if (op == OP_ELSE || op == OP_END || op == OP_CATCH || op == OP_CATCH_ALL || op == OP_DELEGATE)
      return true;
    int hint = kite_wat_take_hint(c, c->pos);
    if (hint == -2) return false;
    c->pos++;
    if (is_block_op(op)) {
      if (!flat_block(c, out, op, hint)) return false;
    } else if (!plain(c, out, op, false, hint)) {
      return false;
    }
  }
}

bool kite_wat_instrs(wat_ctx *c, kite_buf *out) {
  if (!instr_seq(c, out)) return false;
  const kite_token *t = kite_wat_tok(c);
  if (t->kind != KITE_TOK_RPAREN) return kite_wat_unexpected(c, t);
  return true;
}

bool kite_wat_expr(wat_ctx *c, kite_buf *out) {
  size_t labels = c->labels.len;
  bool ok = kite_wat_instrs(c, out) && write_op(c, out, OP_END);
  c->labels.len = labels;
  return ok;
}

bool kite_wat_folded_expr(wat_ctx *c, kite_buf *out) {
  size_t labels = c->labels.len;
  bool ok = folded(c, out) && write_op(c, out, OP_END);
  c->labels.len = labels;
  return ok;
}

bool kite_wat_scan_typeuses(wat_ctx *c, uint32_t from, uint32_t to) {
  uint32_t saved = c->pos;
  for (uint32_t i = from; i < to; i++) {
    const kite_token *t = &c->toks.data[i];
    if (t->kind != KITE_TOK_KEYWORD) continue;
    kite_opcode op = lookup(c, t);
    if (op == OP_COUNT) continue;
    uint32_t j = i + 1;
    bool block = is_block_op(op);
    if (block) {
      if (c->toks.data[j].kind == KITE_TOK_ID) j++;
    } else if (op == OP_CALL_INDIRECT || op == OP_RETURN_CALL_INDIRECT) {
      kite_tokkind k = c->toks.data[j].kind;
      if (k == KITE_TOK_ID || k == KITE_TOK_NAT) j++;
    } else {
      continue;
    }
    c->pos = j;
    const kite_token *at = kite_wat_tok(c);
    wat_sig sig;
    uint32_t typeidx, index;
    memset(&sig, 0, sizeof sig);
    bool ok = kite_wat_typeuse(c, false, &typeidx, &sig);
    if (ok && (!block || sig.has_type || sig.params.len || sig.results.len > 1))
      ok = kite_wat_resolve_typeuse(c, at, typeidx, &sig, &index);
    kite_wat_sig_free(c, &sig);
    if (!ok) return false;
  }
  c->pos = saved;
  return true;
}
