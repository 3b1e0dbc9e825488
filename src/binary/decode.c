/*
** decode.c: the sections of the WebAssembly 3.0 binary format, one decoder each, and
** the checks after the last section. Framing (ids, sizes, order, streaming) lives in
** stream.c; this file sees one section's contents at a time.
**
** Spec: https://webassembly.github.io/spec/core/binary/modules.html
** Messages and positions follow the reference interpreter, whose wording the official
** suite expects (see reader.c).
*/
#include <stdlib.h>

#include "binary.h"

#define MSG_EOS "unexpected end of section or function"

static uint32_t off_of(const kite_reader *r, const uint8_t *p) { return (uint32_t)(p - r->base); }

static bool oom(kite_decode_state *st, const kite_reader *r) {
  return kite_fail(st->err, KITE_ERR_OOM, 0, kite_reader_offset(r), "out of memory");
}

static void *arena_array(kite_decode_state *st, const kite_reader *r, size_t n, size_t size) {
  void *p = kite_arena_array(&st->m->arena, n ? n : 1, size);
  if (!p) oom(st, r);
  return p;
}

/* For arrays filled right after (a failure part way fails the whole section). */
static void *arena_array_uninit(kite_decode_state *st, const kite_reader *r, size_t n,
                                size_t size) {
  void *p = NULL;
  if (!n) n = 1;
  if (n <= SIZE_MAX / size / 2) p = kite_arena_alloc_uninit(&st->m->arena, n * size);
  if (!p) oom(st, r);
  return p;
}

static bool too_many(kite_reader *r, uint32_t at, uint64_t n, uint32_t cap, const char *what) {
  if (n <= cap) return true;
  return kite_reader_fail(r, at, "too many %s", what);
}

bool kite_decode_error_tentative(const kite_error *err) {
  return err->kind == KITE_ERR_COMPILE &&
         (strcmp(err->msg, MSG_EOS) == 0 || strcmp(err->msg, "length out of bounds") == 0);
}

unsigned kite_section_rank(uint8_t id) {
  static const uint8_t ranks[14] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6};
  return id < 14 ? ranks[id] : 0;
}

void kite_decode_state_init(kite_decode_state *st, kite_module *m, kite_features f,
                            const kite_decode_limits *limits, kite_error *err) {
  memset(st, 0, sizeof *st);
  st->m = m;
  st->features = f;
  st->err = err;
  if (limits) st->limits = *limits;
  kite_decode_limits *l = &st->limits;
#define DEFAULT(field, value)                                                                      \
  if (!l->field) l->field = (value)
  DEFAULT(max_types, KITE_DEFAULT_MAX_TYPES);
  DEFAULT(max_funcs, KITE_DEFAULT_MAX_FUNCS);
  DEFAULT(max_imports, KITE_DEFAULT_MAX_IMPORTS);
  DEFAULT(max_exports, KITE_DEFAULT_MAX_EXPORTS);
  DEFAULT(max_globals, KITE_DEFAULT_MAX_GLOBALS);
  DEFAULT(max_tables, KITE_DEFAULT_MAX_TABLES);
  DEFAULT(max_memories, KITE_DEFAULT_MAX_MEMORIES);
  DEFAULT(max_elems, KITE_DEFAULT_MAX_ELEMS);
  DEFAULT(max_datas, KITE_DEFAULT_MAX_DATAS);
  DEFAULT(max_locals, KITE_DEFAULT_MAX_LOCALS);
  DEFAULT(max_func_size, KITE_DEFAULT_MAX_FUNC_SIZE);
  DEFAULT(max_rec_size, KITE_DEFAULT_MAX_REC_SIZE);
  DEFAULT(max_fields, KITE_DEFAULT_MAX_FIELDS);
  DEFAULT(max_module_size, KITE_DEFAULT_MAX_MODULE_SIZE);
#undef DEFAULT
}

void kite_decode_state_free(kite_decode_state *st) {
  kite_alloc *a = st->m ? st->m->alloc : NULL;
  if (!a) return;
  kite_vec_free(a, &st->ctl);
  kite_vec_free(a, &st->customs);
  kite_vec_free(a, &st->sections);
}

/* ---- small pieces ---- */

/* A name: its bytes stay in the binary. Until the binary's final address is known
   (streaming grows its buffer) the pointer holds the offset; kite_decode_end relocates. */
static bool read_name(kite_reader *r, kite_name *out) {
  const uint8_t *at = r->p, *p;
  uint32_t n;
  if (!kite_read_len(r, &n) || !kite_read_bytes(r, n, &p)) return false;
  if (!kite_utf8_valid(p, n)) return kite_reader_fail(r, off_of(r, at), "malformed UTF-8 encoding");
  out->ptr = (const uint8_t *)(uintptr_t)off_of(r, p);
  out->len = n;
  return true;
}

static bool read_mut(kite_reader *r, bool *out) {
  uint8_t b;
  if (!kite_read_u8(r, &b)) return false;
  if (b > 1) return kite_reader_fail(r, off_of(r, r->p - 1), "malformed mutability");
  *out = b == 1;
  return true;
}

static bool read_zero(kite_reader *r) {
  uint8_t b;
  if (!kite_read_u8(r, &b)) return false;
  if (b != 0) return kite_reader_fail(r, off_of(r, r->p - 1), "zero byte expected");
  return true;
}

/* An EOS error stays as it is (more bytes may come); anything else becomes `msg`. */
static bool replace_error(kite_decode_state *st, kite_reader *r, uint32_t at, const char *msg) {
  if (kite_decode_error_tentative(st->err)) return false;
  kite_error_clear(st->err);
  return kite_reader_fail(r, at, "%s", msg);
}

static bool read_storagetype(kite_decode_state *st, kite_reader *r, kite_valtype *out) {
  const uint8_t *at = r->p;
  if (r->p < r->end && (*r->p == KITE_VT_I8 || *r->p == KITE_VT_I16) &&
      kite_has_feature(st->features, FEAT_GC)) {
    *out = kite_vt(*r->p++);
    return true;
  }
  if (kite_read_valtype(r, st->features, out)) return true;
  return replace_error(st, r, off_of(r, at), "malformed storage type");
}

static bool read_fieldtype(kite_decode_state *st, kite_reader *r, kite_fieldtype *out) {
  return read_storagetype(st, r, &out->type) && read_mut(r, &out->mut);
}

static bool read_valtypes(kite_decode_state *st, kite_reader *r, uint32_t *n, kite_valtype **out) {
  if (!kite_read_len(r, n)) return false;
  *out = arena_array(st, r, *n, sizeof **out);
  if (!*out) return false;
  for (uint32_t i = 0; i < *n; i++)
    if (!kite_read_valtype(r, st->features, &(*out)[i])) return false;
  return true;
}

/*
** Limits: a flags byte (bit 0: maximum present, bit 1: shared (threads, memories),
** bit 2: 64-bit addresses (memory64), bit 3: custom page size (memories)), the minimum,
** the maximum, and the page size's log2.
*/
static bool read_limits(kite_decode_state *st, kite_reader *r, bool memory, kite_limits *out) {
  kite_features f = st->features;
  uint8_t flags;
  if (!kite_read_u8(r, &flags)) return false;
  unsigned allowed = 0x01;
  if (kite_has_feature(f, FEATX_MEMORY64)) allowed |= 0x04;
  if (memory && kite_has_feature(f, FEAT_THREADS)) allowed |= 0x02;
  if (memory && kite_has_feature(f, FEATX_CUSTOM_PAGE_SIZES)) allowed |= 0x08;
  if (flags & ~allowed) return kite_reader_fail(r, off_of(r, r->p - 1), "malformed limits flags");
  memset(out, 0, sizeof *out);
  out->has_max = flags & 0x01;
  out->shared = (flags & 0x02) != 0;
  out->is64 = (flags & 0x04) != 0;
  out->page_size_log2 = memory ? 16 : 0;
  bool wide = kite_has_feature(f, FEATX_MEMORY64);
  uint32_t v32;
  if (wide ? !kite_read_u64(r, &out->min) : !(kite_read_u32(r, &v32) && (out->min = v32, true)))
    return false;
  if (out->has_max) {
    if (wide ? !kite_read_u64(r, &out->max) : !(kite_read_u32(r, &v32) && (out->max = v32, true)))
      return false;
  }
  if (flags & 0x08) {
    const uint8_t *at = r->p;
    uint32_t log2;
    if (!kite_read_u32(r, &log2)) return false;
    if (log2 > 64) return kite_reader_fail(r, off_of(r, at), "invalid custom page size");
    out->page_size_log2 = (uint8_t)log2;
  }
  return true;
}

static bool read_tabletype(kite_decode_state *st, kite_reader *r, kite_table *out) {
  return kite_read_reftype(r, st->features, &out->elem) && read_limits(st, r, false, &out->limits);
}

static bool read_globaltype(kite_decode_state *st, kite_reader *r, kite_globaltype *out) {
  return kite_read_valtype(r, st->features, &out->type) && read_mut(r, &out->mut);
}

static bool read_tagtype(kite_reader *r, kite_tag *out) {
  return read_zero(r) && kite_read_u32(r, &out->type);
}

/* ---- expressions and code ---- */

enum { CTL_FUNC, CTL_BLOCK, CTL_IF, CTL_ELSE, CTL_TRY, CTL_CATCH, CTL_CATCH_ALL };

static bool ctl_push(kite_decode_state *st, kite_reader *r, uint8_t kind) {
  if (!kite_vec_push(st->m->alloc, &st->ctl, kind)) return oom(st, r);
  return true;
}

static inline const uint8_t *skip_leb(const uint8_t *p, const uint8_t *end, unsigned bits,
                                      bool sign) {
  uint64_t v;
  return kite_leb_fast(p, end, bits, sign, &v);
}

/*
** The common instructions, checked without filling a kite_insn: single-byte opcodes of
** enabled features whose immediates are absent, short LEB128s, float bits, a one-byte
** memarg flags field or a one-byte block type, and that do not change the block
** structure (except block, loop, if and end). Returns where the instruction ends, or NULL
** to let kite_read_insn read it (and report any error exactly).
*/
static inline const uint8_t *skip_simple(kite_decode_state *st, kite_reader *r, const uint8_t *p) {
  const uint8_t *end = r->end;
  kite_byteop bo = kite_byteop_table[*p];
  if (!bo.op1 || !kite_has_feature(st->features, bo.feature)) return NULL;
  kite_opcode op = (kite_opcode)(bo.op1 - 1);
  switch ((kite_imm)bo.imm) {
  case IMM_NONE:
    if (op == OP_END) {
      if (st->ctl.len == 1) return NULL; /* the expression's own end */
      st->ctl.len--;
      return p + 1;
    }
    return op == OP_ELSE || op == OP_CATCH_ALL ? NULL : p + 1;
  case IMM_LABEL:
  case IMM_TAG:
    if (op == OP_DELEGATE || op == OP_CATCH) return NULL;
    /* fall through */
  case IMM_FUNC:
  case IMM_TYPE:
  case IMM_LOCAL:
  case IMM_GLOBAL:
  case IMM_TABLE: return skip_leb(p + 1, end, 32, false);
  case IMM_I32: return skip_leb(p + 1, end, 32, true);
  case IMM_I64: return skip_leb(p + 1, end, 64, true);
  case IMM_F32: return end - p > 4 ? p + 5 : NULL;
  case IMM_F64: return end - p > 8 ? p + 9 : NULL;
  case IMM_MEMARG: /* flags without a memory index, then the offset (a u64 fits a u32 too) */
    return end - p > 1 && p[1] < 0x40 ? skip_leb(p + 2, end, 32, false) : NULL;
  case IMM_BLOCK:
    if (op == OP_TRY || end - p < 2 || !kite_blocktype_is_simple(p[1])) return NULL;
    if (!ctl_push(st, r, op == OP_IF ? CTL_IF : CTL_BLOCK)) return NULL;
    return p + 2;
  default: return NULL;
  }
}

/*
** Walk instructions up to the `end` that closes the expression, checking the block
** structure as the reference interpreter does (an `else` outside `if` is "END opcode
** expected"). The nesting depth comes from the input, so the frames live in a vector,
** not on the C stack. Constant expressions are walked the same way; the validator
** decides which instructions they may hold.
*/
static bool walk_expr(kite_decode_state *st, kite_reader *r, bool in_func, kite_expr *out) {
  const uint8_t *start = r->p;
  st->ctl.len = 0;
  if (!ctl_push(st, r, CTL_FUNC)) return false;
  for (;;) {
    /* Runs of plain instructions and the `end` of inner blocks. */
    while (r->p < r->end) {
      const uint8_t *next = skip_simple(st, r, r->p);
      if (!next) {
        if (kite_failed(st->err)) return false; /* out of memory */
        break;
      }
      r->p = next;
    }
    kite_insn in;
    if (r->p < r->end && *r->p == 0x0B && st->ctl.len == 1 &&
        kite_has_feature(st->features, FEAT_MVP)) {
      in.op = OP_END;
      in.offset = kite_reader_offset(r);
      r->p++;
    } else if (!kite_read_insn(r, st->features, &in)) {
      return false;
    }
    uint8_t *top = &st->ctl.data[st->ctl.len - 1];
    switch (in.op) {
    case OP_BLOCK:
    case OP_LOOP:
    case OP_TRY_TABLE:
      if (!ctl_push(st, r, CTL_BLOCK)) return false;
      break;
    case OP_IF:
      if (!ctl_push(st, r, CTL_IF)) return false;
      break;
    case OP_TRY:
      if (!ctl_push(st, r, CTL_TRY)) return false;
      break;
    case OP_ELSE:
      if (*top != CTL_IF) return kite_reader_fail(r, in.offset, "END opcode expected");
      *top = CTL_ELSE;
      break;
    case OP_CATCH:
    case OP_CATCH_ALL:
      if (*top != CTL_TRY && *top != CTL_CATCH)
        return kite_reader_fail(r, in.offset, "END opcode expected");
      *top = in.op == OP_CATCH ? CTL_CATCH : CTL_CATCH_ALL;
      break;
    case OP_DELEGATE:
      if (*top != CTL_TRY) return kite_reader_fail(r, in.offset, "END opcode expected");
      st->ctl.len--;
      break;
    case OP_END:
      if (--st->ctl.len == 0) {
        if (out) {
          out->offset = off_of(r, start);
          out->len = (uint32_t)(r->p - start);
        }
        return true;
      }
      break;
    case OP_MEMORY_INIT:
    case OP_DATA_DROP:
    case OP_ARRAY_NEW_DATA:
    case OP_ARRAY_INIT_DATA:
      if (in_func) {
        uint32_t idx = in.op == OP_ARRAY_NEW_DATA || in.op == OP_ARRAY_INIT_DATA ? in.idx2 : in.idx;
        if (!st->needs_datacount || idx < st->min_data_index) {
          st->min_data_index = idx;
          st->needs_datacount_at = in.offset;
        }
        st->needs_datacount = true;
      }
      break;
    default: break;
    }
  }
}

static bool read_const_expr(kite_decode_state *st, kite_reader *r, kite_expr *out) {
  return walk_expr(st, r, false, out);
}

/* ---- sections ---- */

static bool read_subtype(kite_decode_state *st, kite_reader *r, kite_subtype *t) {
  kite_features f = st->features;
  t->final = true;
  t->super = KITE_NO_INDEX;
  if (r->p < r->end && (*r->p == 0x50 || *r->p == 0x4F) && kite_has_feature(f, FEAT_GC)) {
    t->final = *r->p++ == 0x4F;
    const uint8_t *at = r->p;
    uint32_t n;
    if (!kite_read_len(r, &n)) return false;
    for (uint32_t i = 0; i < n; i++) {
      uint32_t super;
      if (!kite_read_u32(r, &super)) return false;
      if (i == 0) t->super = super;
    }
    if (n > 1)
      return kite_fail(st->err, KITE_ERR_COMPILE, KITE_COMPILE_INVALID, off_of(r, at),
                       "multiple supertypes");
  }
  if (kite_has_feature(f, FEAT_CUSTOM_DESC)) { /* (describes x)? (descriptor y)? */
    if (r->p < r->end && *r->p == 0x4C) {
      r->p++;
      t->has_describes = true;
      if (!kite_read_u32(r, &t->describes)) return false;
    }
    if (r->p < r->end && *r->p == 0x4D) {
      r->p++;
      t->has_descriptor = true;
      if (!kite_read_u32(r, &t->descriptor)) return false;
    }
  }
  const uint8_t *at = r->p;
  uint8_t b;
  if (!kite_read_u8(r, &b)) return false;
  if (b == 0x60) {
    t->comp = KITE_COMP_FUNC;
    return read_valtypes(st, r, &t->u.func.nparams, &t->u.func.params) &&
           read_valtypes(st, r, &t->u.func.nresults, &t->u.func.results);
  }
  if (b == 0x5F && kite_has_feature(f, FEAT_GC)) {
    t->comp = KITE_COMP_STRUCT;
    const uint8_t *nat = r->p;
    uint32_t n;
    if (!kite_read_len(r, &n) || !too_many(r, off_of(r, nat), n, st->limits.max_fields, "fields"))
      return false;
    t->u.strukt.nfields = n;
    t->u.strukt.fields = arena_array(st, r, n, sizeof(kite_fieldtype));
    if (!t->u.strukt.fields) return false;
    for (uint32_t i = 0; i < n; i++)
      if (!read_fieldtype(st, r, &t->u.strukt.fields[i])) return false;
    return true;
  }
  if (b == 0x5E && kite_has_feature(f, FEAT_GC)) {
    t->comp = KITE_COMP_ARRAY;
    return read_fieldtype(st, r, &t->u.array);
  }
  if (b & 0x80) return kite_reader_fail(r, off_of(r, at + 1), "integer representation too long");
  return kite_reader_fail(r, off_of(r, at), "malformed definition type");
}

static bool decode_types(kite_decode_state *st, kite_reader *r) {
  kite_module *m = st->m;
  uint32_t count;
  const uint8_t *count_at = r->p;
  if (!kite_read_len(r, &count)) return false;
  st->section_count = count;
  /* Each type takes at least 3 bytes and each group 1, so the bytes bound the total. */
  KITE_VEC(kite_subtype) types = {0};
  bool ok = false;
  for (uint32_t i = 0; i < count; i++) {
    uint32_t n = 1;
    bool rec = r->p < r->end && *r->p == 0x4E && kite_has_feature(st->features, FEAT_GC);
    if (rec) {
      r->p++;
      const uint8_t *nat = r->p;
      if (!kite_read_len(r, &n) ||
          !too_many(r, off_of(r, nat), n, st->limits.max_rec_size, "types"))
        goto done;
    }
    uint32_t first = (uint32_t)types.len;
    if (!too_many(r, off_of(r, count_at), (uint64_t)first + n, st->limits.max_types, "types"))
      goto done;
    for (uint32_t j = 0; j < n; j++) {
      kite_subtype t;
      memset(&t, 0, sizeof t);
      t.rec_first = first;
      t.rec_count = n;
      if (!read_subtype(st, r, &t)) goto done;
      if (!kite_vec_push(m->alloc, &types, t)) {
        oom(st, r);
        goto done;
      }
    }
  }
  m->ntypes = (uint32_t)types.len;
  m->types = arena_array(st, r, types.len, sizeof(kite_subtype));
  if (!m->types) goto done;
  if (types.len) memcpy(m->types, types.data, types.len * sizeof(kite_subtype));
  ok = true;
done:
  kite_vec_free(m->alloc, &types);
  return ok;
}

/* Allocate an index space of n entries whose first `keep` come from the current array. */
static void *grow_space(kite_decode_state *st, kite_reader *r, void *old, uint32_t keep, uint64_t n,
                        size_t size) {
  void *p = arena_array(st, r, (size_t)n, size);
  if (p && keep) memcpy(p, old, (size_t)keep * size);
  return p;
}

static bool decode_imports(kite_decode_state *st, kite_reader *r) {
  kite_module *m = st->m;
  uint32_t count;
  const uint8_t *count_at = r->p;
  if (!kite_read_len(r, &count) ||
      !too_many(r, off_of(r, count_at), count, st->limits.max_imports, "imports"))
    return false;
  st->section_count = count;
  kite_import *imports = arena_array(st, r, count, sizeof *imports);
  if (!imports) return false;
  uint32_t n[5] = {0};
  for (uint32_t i = 0; i < count; i++) {
    kite_import *im = &imports[i];
    if (!read_name(r, &im->module) || !read_name(r, &im->field)) return false;
    uint8_t kind;
    if (!kite_read_u8(r, &kind)) return false;
    bool ok;
    switch (kind) {
    case KITE_EXTERN_FUNC: ok = kite_read_u32(r, &im->u.func); break;
    case 0x20: /* custom descriptors: an exact function import */
      if (!kite_has_feature(st->features, FEAT_CUSTOM_DESC))
        return kite_reader_fail(r, off_of(r, r->p - 1), "malformed import kind");
      ok = kite_read_u32(r, &im->u.func);
      im->exact = true;
      kind = KITE_EXTERN_FUNC;
      break;
    case KITE_EXTERN_TABLE: ok = read_tabletype(st, r, &im->u.table); break;
    case KITE_EXTERN_MEMORY: ok = read_limits(st, r, true, &im->u.memory.limits); break;
    case KITE_EXTERN_GLOBAL: ok = read_globaltype(st, r, &im->u.global); break;
    case KITE_EXTERN_TAG:
      if (kite_has_feature(st->features, FEAT_EH)) {
        ok = read_tagtype(r, &im->u.tag);
        break;
      }
      /* fall through */
    default: return kite_reader_fail(r, off_of(r, r->p - 1), "malformed import kind");
    }
    if (!ok) return false;
    im->kind = kind;
    n[kind]++;
  }
  /* The index spaces start with the imports. */
  kite_func *funcs = arena_array(st, r, n[0], sizeof *funcs);
  kite_table *tables = arena_array(st, r, n[1], sizeof *tables);
  kite_memory *mems = arena_array(st, r, n[2], sizeof *mems);
  kite_global *globals = arena_array(st, r, n[3], sizeof *globals);
  kite_tag *tags = arena_array(st, r, n[4], sizeof *tags);
  if (!funcs || !tables || !mems || !globals || !tags) return false;
  uint32_t k[5] = {0};
  for (uint32_t i = 0; i < count; i++) {
    kite_import *im = &imports[i];
    switch (im->kind) {
    case KITE_EXTERN_FUNC:
      funcs[k[0]].exact = im->exact;
      funcs[k[0]++].type = im->u.func;
      break;
    case KITE_EXTERN_TABLE: tables[k[1]++] = im->u.table; break;
    case KITE_EXTERN_MEMORY: mems[k[2]++] = im->u.memory; break;
    case KITE_EXTERN_GLOBAL: globals[k[3]++].type = im->u.global; break;
    case KITE_EXTERN_TAG: tags[k[4]++] = im->u.tag; break;
    }
  }
  m->nimports = count;
  m->imports = imports;
  m->funcs = funcs, m->nfuncs = m->nimported_funcs = n[0];
  m->tables = tables, m->ntables = m->nimported_tables = n[1];
  m->memories = mems, m->nmemories = m->nimported_memories = n[2];
  m->globals = globals, m->nglobals = m->nimported_globals = n[3];
  m->tags = tags, m->ntags = m->nimported_tags = n[4];
  return true;
}

static bool decode_funcs(kite_decode_state *st, kite_reader *r) {
  kite_module *m = st->m;
  uint32_t count;
  const uint8_t *count_at = r->p;
  if (!kite_read_len(r, &count) ||
      !too_many(r, off_of(r, count_at), (uint64_t)m->nimported_funcs + count, st->limits.max_funcs,
                "functions"))
    return false;
  st->section_count = count;
  uint32_t base = m->nimported_funcs;
  /* Not zeroed: each entry is written whole below (the code section fills in the rest). */
  kite_func *funcs = arena_array_uninit(st, r, (size_t)base + count, sizeof *funcs);
  if (!funcs) return false;
  if (base) memcpy(funcs, m->funcs, (size_t)base * sizeof *funcs);
  const uint8_t *p = r->p, *end = r->end;
  for (uint32_t i = 0; i < count; i++) {
    uint32_t type;
    const uint8_t *next = kite_u32_short(p, end, &type);
    if (!next) {
      r->p = p;
      if (!kite_read_u32(r, &type)) return false;
      next = r->p;
    }
    p = next;
    funcs[base + i] = (kite_func){.type = type, .exact = true};
  }
  r->p = p;
  m->funcs = funcs;
  m->nfuncs = base + count;
  return true;
}

static bool decode_tables(kite_decode_state *st, kite_reader *r) {
  kite_module *m = st->m;
  uint32_t count;
  const uint8_t *count_at = r->p;
  if (!kite_read_len(r, &count) ||
      !too_many(r, off_of(r, count_at), (uint64_t)m->nimported_tables + count,
                st->limits.max_tables, "tables"))
    return false;
  st->section_count = count;
  uint32_t base = m->nimported_tables;
  kite_table *tables = grow_space(st, r, m->tables, base, (uint64_t)base + count, sizeof *tables);
  if (!tables) return false;
  for (uint32_t i = 0; i < count; i++) {
    kite_table *t = &tables[base + i];
    const uint8_t *at = r->p;
    if (r->p < r->end && *r->p == 0x40) {
      /* 0x40 0x00 tabletype expr; any other 0x40 is read (and rejected) as a reftype */
      if (r->p + 1 < r->end && r->p[1] != 0x00)
        return kite_reader_fail(r, off_of(r, at), "malformed reference type");
      r->p++;
      if (!read_zero(r) || !read_tabletype(st, r, t) || !read_const_expr(st, r, &t->init))
        return false;
      t->has_init = true;
    } else if (!read_tabletype(st, r, t)) {
      return false;
    }
  }
  m->tables = tables;
  m->ntables = base + count;
  return true;
}

static bool decode_memories(kite_decode_state *st, kite_reader *r) {
  kite_module *m = st->m;
  uint32_t count;
  const uint8_t *count_at = r->p;
  if (!kite_read_len(r, &count) ||
      !too_many(r, off_of(r, count_at), (uint64_t)m->nimported_memories + count,
                st->limits.max_memories, "memories"))
    return false;
  st->section_count = count;
  uint32_t base = m->nimported_memories;
  kite_memory *mems = grow_space(st, r, m->memories, base, (uint64_t)base + count, sizeof *mems);
  if (!mems) return false;
  for (uint32_t i = 0; i < count; i++)
    if (!read_limits(st, r, true, &mems[base + i].limits)) return false;
  m->memories = mems;
  m->nmemories = base + count;
  return true;
}

static bool decode_tags(kite_decode_state *st, kite_reader *r) {
  kite_module *m = st->m;
  uint32_t count;
  if (!kite_read_len(r, &count)) return false;
  st->section_count = count;
  uint32_t base = m->nimported_tags;
  kite_tag *tags = grow_space(st, r, m->tags, base, (uint64_t)base + count, sizeof *tags);
  if (!tags) return false;
  for (uint32_t i = 0; i < count; i++)
    if (!read_tagtype(r, &tags[base + i])) return false;
  m->tags = tags;
  m->ntags = base + count;
  return true;
}

static bool decode_globals(kite_decode_state *st, kite_reader *r) {
  kite_module *m = st->m;
  uint32_t count;
  const uint8_t *count_at = r->p;
  if (!kite_read_len(r, &count) ||
      !too_many(r, off_of(r, count_at), (uint64_t)m->nimported_globals + count,
                st->limits.max_globals, "globals"))
    return false;
  st->section_count = count;
  uint32_t base = m->nimported_globals;
  kite_global *globals =
      grow_space(st, r, m->globals, base, (uint64_t)base + count, sizeof *globals);
  if (!globals) return false;
  for (uint32_t i = 0; i < count; i++) {
    kite_global *g = &globals[base + i];
    if (!read_globaltype(st, r, &g->type) || !read_const_expr(st, r, &g->init)) return false;
  }
  m->globals = globals;
  m->nglobals = base + count;
  return true;
}

static bool decode_exports(kite_decode_state *st, kite_reader *r) {
  kite_module *m = st->m;
  uint32_t count;
  const uint8_t *count_at = r->p;
  if (!kite_read_len(r, &count) ||
      !too_many(r, off_of(r, count_at), count, st->limits.max_exports, "exports"))
    return false;
  st->section_count = count;
  kite_export *exports = arena_array(st, r, count, sizeof *exports);
  if (!exports) return false;
  for (uint32_t i = 0; i < count; i++) {
    kite_export *e = &exports[i];
    if (!read_name(r, &e->name) || !kite_read_u8(r, &e->kind)) return false;
    if (e->kind > KITE_EXTERN_TAG ||
        (e->kind == KITE_EXTERN_TAG && !kite_has_feature(st->features, FEAT_EH)))
      return kite_reader_fail(r, off_of(r, r->p - 1), "malformed export kind");
    if (!kite_read_u32(r, &e->index)) return false;
  }
  m->exports = exports;
  m->nexports = count;
  return true;
}

static bool decode_start(kite_decode_state *st, kite_reader *r) {
  uint32_t idx;
  if (!kite_read_u32(r, &idx)) return false;
  st->m->has_start = true;
  st->m->start = idx;
  return true;
}

/* n u32s into out. */
static bool read_u32s(kite_reader *r, uint32_t *out, uint32_t n) {
  const uint8_t *p = r->p, *end = r->end;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *next = kite_u32_short(p, end, &out[i]);
    if (!next) {
      r->p = p;
      if (!kite_read_u32(r, &out[i])) return false;
      next = r->p;
    }
    p = next;
  }
  r->p = p;
  return true;
}

static bool read_elem(kite_decode_state *st, kite_reader *r, kite_elem *e) {
  uint32_t flags;
  if (!kite_read_u32(r, &flags)) return false;
  if (flags > 7) return kite_reader_fail(r, off_of(r, r->p - 1), "malformed elements segment kind");
  e->mode = (flags & 1) ? ((flags & 2) ? KITE_SEG_DECLARATIVE : KITE_SEG_PASSIVE) : KITE_SEG_ACTIVE;
  e->table = 0;
  if ((flags & 3) == 2 && !kite_read_u32(r, &e->table)) return false;
  if (e->mode == KITE_SEG_ACTIVE && !read_const_expr(st, r, &e->offset)) return false;
  bool exprs = flags & 4;
  if ((flags & 3) == 0) {
    /* forms 0 and 4 have no type byte */
    e->type = kite_vt_ref(KITE_HT_FUNC, exprs);
  } else if (!exprs) {
    uint8_t kind;
    if (!kite_read_u8(r, &kind)) return false;
    if (kind != 0x00) return kite_reader_fail(r, off_of(r, r->p - 1), "malformed element kind");
    e->type = kite_vt_ref(KITE_HT_FUNC, false);
  } else if (!kite_read_reftype(r, st->features, &e->type)) {
    return false;
  }
  if (!kite_read_len(r, &e->count)) return false;
  if (exprs) {
    e->exprs = arena_array(st, r, e->count, sizeof *e->exprs);
    if (!e->exprs) return false;
    for (uint32_t i = 0; i < e->count; i++)
      if (!read_const_expr(st, r, &e->exprs[i])) return false;
  } else {
    /* A table of every function is common: thousands of (mostly two-byte) indices. */
    e->funcs = arena_array_uninit(st, r, e->count, sizeof *e->funcs);
    if (!e->funcs) return false;
    if (!read_u32s(r, e->funcs, e->count)) return false;
  }
  return true;
}

static bool decode_elems(kite_decode_state *st, kite_reader *r) {
  kite_module *m = st->m;
  uint32_t count;
  const uint8_t *count_at = r->p;
  if (!kite_read_len(r, &count) ||
      !too_many(r, off_of(r, count_at), count, st->limits.max_elems, "element segments"))
    return false;
  st->section_count = count;
  kite_elem *elems = arena_array(st, r, count, sizeof *elems);
  if (!elems) return false;
  for (uint32_t i = 0; i < count; i++)
    if (!read_elem(st, r, &elems[i])) return false;
  m->elems = elems;
  m->nelems = count;
  return true;
}

static bool decode_datacount(kite_decode_state *st, kite_reader *r) {
  uint32_t n;
  if (!kite_read_u32(r, &n)) return false;
  st->m->has_datacount = true;
  st->m->datacount = n;
  return true;
}

/* A body's instructions from r->p: they must end exactly where the body does. */
static bool walk_body(kite_decode_state *st, kite_reader *r, const uint8_t *start, uint32_t size) {
  if (!walk_expr(st, r, true, NULL)) return false;
  if (r->p != start + size) return kite_reader_fail(r, off_of(r, start), "section size mismatch");
  return true;
}

bool kite_decode_flush_walks(kite_decode_state *st, const uint8_t *base, size_t len) {
  const kite_module *m = st->m;
  uint32_t first = st->pending_first, n = st->pending_count;
  st->pending_count = 0;
  for (uint32_t i = first; i < first + n; i++) {
    /* The body's size was read once already: it is well-formed and within the bytes. */
    const kite_func *fn = &m->funcs[i];
    kite_reader r = {base, base + fn->body_offset, base + len, st->err};
    uint32_t size;
    if (!kite_read_u32(&r, &size)) return false;
    const uint8_t *start = r.p;
    r.p = base + fn->code_offset;
    if (!walk_body(st, &r, start, size)) return false;
  }
  return true;
}

/*
** The local groups of all bodies are carved from shared chunks (not zeroed: each group
** is written at once) rather than allocated one body at a time.
*/
typedef struct group_chunk {
  kite_localgroup *next;
  size_t left;
} group_chunk;

enum { GROUP_CHUNK = 1024 };

/* Room for the n groups of a body, with `remaining` bodies still to come (this one
   included); NULL when out of memory. */
static kite_localgroup *take_groups(kite_decode_state *st, const kite_reader *r, group_chunk *c,
                                    uint32_t n, uint32_t remaining) {
  if (n > GROUP_CHUNK / 4 && c->next) /* many: their own block, the chunk's room is kept */
    return arena_array_uninit(st, r, n, sizeof *c->next);
  if (n > c->left || !c->next) {
    /* Room for this body and, typically, a group for each of the next bodies (up to a
       bound, so that little is wasted). */
    size_t want = remaining < GROUP_CHUNK ? remaining : GROUP_CHUNK;
    if (want < n) want = n;
    c->next = arena_array_uninit(st, r, want, sizeof *c->next);
    c->left = c->next ? want : 0;
    if (!c->next) return NULL;
  }
  kite_localgroup *groups = c->next;
  c->next += n;
  c->left -= n;
  return groups;
}

/* Body i of the code section (at r->p), read in full generality. */
static bool decode_body(kite_decode_state *st, kite_reader *r, uint32_t i, uint32_t count,
                        group_chunk *chunk) {
  kite_module *m = st->m;
  uint32_t ndefined = m->nfuncs - m->nimported_funcs;
  /* bodies without a function (an error reported at the end) are read and dropped */
  kite_func spare, *fn = i < ndefined ? &m->funcs[m->nimported_funcs + i] : &spare;
  const uint8_t *body_at = r->p;
  uint32_t size;
  if (!kite_read_len(r, &size)) return false;
  if (size > st->limits.max_func_size)
    return kite_reader_fail(r, off_of(r, body_at), "function body too large");
  const uint8_t *start = r->p;
  uint32_t ngroups;
  if (!kite_read_len(r, &ngroups)) return false;
  kite_localgroup *groups = take_groups(st, r, chunk, ngroups, count - i);
  if (!groups) return false;
  uint64_t total = 0;
  for (uint32_t j = 0; j < ngroups; j++) {
    if (!kite_read_u32(r, &groups[j].count) || !kite_read_valtype(r, st->features, &groups[j].type))
      return false;
    total += groups[j].count;
  }
  if (total > st->limits.max_locals)
    return kite_reader_fail(r, off_of(r, start), "too many locals");
  uint32_t code_offset = kite_reader_offset(r);
  /* A body left for later must be one of a function (the pending ones are found
     through m->funcs): a body beyond them is walked now, after the pending ones. */
  bool defer = st->defer_walks && i < ndefined && size <= (size_t)(r->end - start);
  fn->nlocalgroups = ngroups;
  fn->localgroups = groups;
  fn->nlocals = (uint32_t)total;
  fn->code_offset = code_offset;
  fn->body_offset = off_of(r, body_at);
  if (defer) {
    r->p = start + size;
    st->pending_count++;
  } else {
    if (!kite_decode_flush_walks(st, r->base, (size_t)(r->end - r->base)) ||
        !walk_body(st, r, start, size))
      return false;
    st->pending_first = m->nimported_funcs + i + 1;
  }
  fn->code_end = kite_reader_offset(r);
  return true;
}

/* f64 f32 i64 i32 (codes 0x7c..0x7f), each stored in one piece. */
static const kite_valtype number_types[4] = {{KITE_VT_F64, 0, 0, 0, 0},
                                             {KITE_VT_F32, 0, 0, 0, 0},
                                             {KITE_VT_I64, 0, 0, 0, 0},
                                             {KITE_VT_I32, 0, 0, 0, 0}};

/*
** Bodies i.. of functions whose walks are deferred, as long as they take the form nearly
** every body has: a size of one or two bytes, within the limit and the input; at most 127
** local groups, each a one-byte count and a number type, within the body; few enough
** locals. Such a body cannot fail to decode, so this reports nothing: it stops at the
** first body of any other form, which decode_body then reads. Returns where it stopped.
** (Locals only: the stores into m->funcs could alias anything reached through st or r.)
*/
static uint32_t skim_bodies(kite_decode_state *st, kite_reader *r, uint32_t i, uint32_t n,
                            group_chunk *chunk) {
  if (!chunk->next) return i; /* decode_body makes the first chunk */
  const uint8_t *p = r->p, *end = r->end, *base = r->base;
  const uint32_t max_size = st->limits.max_func_size, max_locals = st->limits.max_locals;
  kite_localgroup *groups = chunk->next;
  size_t left = chunk->left;
  kite_func *fn = &st->m->funcs[st->m->nimported_funcs + i];
  uint32_t first = i;
  for (; i < n; i++, fn++) {
    uint32_t size;
    const uint8_t *start = kite_u32_short(p, end, &size);
    if (!start || size == 0 || size > max_size || size > (size_t)(end - start)) break;
    const uint8_t *body_end = start + size;
    uint32_t ngroups = *start;
    if (ngroups >= 0x80 || ngroups > left || (size_t)(body_end - start - 1) < 2 * (size_t)ngroups)
      break;
    const uint8_t *q = start + 1;
    uint64_t total = 0;
    uint32_t j;
    for (j = 0; j < ngroups; j++, q += 2) {
      if (q[0] >= 0x80 || q[1] < KITE_VT_F64 || q[1] > KITE_VT_I32) break;
      groups[j].count = q[0];
      groups[j].type = number_types[q[1] - KITE_VT_F64];
      total += q[0];
    }
    if (j < ngroups || total > max_locals) break;
    fn->nlocalgroups = ngroups;
    fn->localgroups = groups;
    fn->nlocals = (uint32_t)total;
    fn->code_offset = (uint32_t)(q - base);
    fn->code_end = (uint32_t)(body_end - base);
    fn->body_offset = (uint32_t)(p - base);
    groups += ngroups;
    left -= ngroups;
    p = body_end;
  }
  r->p = p;
  chunk->next = groups;
  chunk->left = left;
  st->pending_count += i - first;
  return i;
}

static bool decode_code(kite_decode_state *st, kite_reader *r) {
  kite_module *m = st->m;
  uint32_t count;
  const uint8_t *count_at = r->p;
  if (!kite_read_len(r, &count)) return false;
  st->section_count = count;
  st->needs_datacount = false;
  st->pending_first = m->nimported_funcs;
  st->pending_count = 0;
  uint32_t ndefined = m->nfuncs - m->nimported_funcs;
  uint32_t nskim = st->defer_walks ? (count < ndefined ? count : ndefined) : 0;
  group_chunk chunk = {NULL, 0};
  for (uint32_t i = 0; i < count; i++) {
    if (i < nskim && (i = skim_bodies(st, r, i, nskim, &chunk)) == count) break;
    if (!decode_body(st, r, i, count, &chunk)) return false;
  }
  st->has_code = true;
  st->code_count = count;
  st->code_count_at = off_of(r, count_at);
  return true;
}

static bool decode_datas(kite_decode_state *st, kite_reader *r) {
  kite_module *m = st->m;
  uint32_t count;
  const uint8_t *count_at = r->p;
  if (!kite_read_len(r, &count) ||
      !too_many(r, off_of(r, count_at), count, st->limits.max_datas, "data segments"))
    return false;
  st->section_count = count;
  kite_data *datas = arena_array(st, r, count, sizeof *datas);
  if (!datas) return false;
  for (uint32_t i = 0; i < count; i++) {
    kite_data *d = &datas[i];
    uint32_t flags;
    if (!kite_read_u32(r, &flags)) return false;
    if (flags > 2) return kite_reader_fail(r, off_of(r, r->p - 1), "malformed data segment kind");
    d->mode = flags == 1 ? KITE_SEG_PASSIVE : KITE_SEG_ACTIVE;
    if (flags == 2 && !kite_read_u32(r, &d->memory)) return false;
    if (flags != 1 && !read_const_expr(st, r, &d->offset)) return false;
    const uint8_t *p;
    if (!kite_read_len(r, &d->len) || !kite_read_bytes(r, d->len, &p)) return false;
    d->offset_in_bytes = off_of(r, p);
  }
  m->datas = datas;
  m->ndatas = count;
  st->has_data = true;
  st->data_count_at = off_of(r, count_at);
  return true;
}

static bool decode_custom(kite_decode_state *st, uint32_t id_offset, uint32_t size,
                          kite_reader *r) {
  const uint8_t *start = r->p;
  kite_custom c;
  memset(&c, 0, sizeof c);
  if (!read_name(r, &c.name)) return false;
  size_t used = (size_t)(r->p - start);
  const uint8_t *p;
  if (used > size) return kite_reader_eos(r); /* the name ran past the section */
  if (!kite_read_bytes(r, size - used, &p)) return false;
  c.section_offset = id_offset;
  c.offset = off_of(r, p);
  c.len = (uint32_t)(size - used);
  c.after = st->last_id;
  if (!kite_vec_push(st->m->alloc, &st->customs, c)) return oom(st, r);
  const uint8_t *name = r->base + (uintptr_t)c.name.ptr;
  if (!st->has_name_section && c.name.len == 4 && memcmp(name, "name", 4) == 0) {
    st->has_name_section = true;
    st->name_offset = c.offset;
    st->name_len = c.len;
  }
  return true;
}

bool kite_decode_section(kite_decode_state *st, uint8_t id, uint32_t id_offset, uint32_t size,
                         kite_reader *r) {
  st->section_count = 0;
  switch (id) {
  case KITE_SEC_CUSTOM: return decode_custom(st, id_offset, size, r);
  case KITE_SEC_TYPE: return decode_types(st, r);
  case KITE_SEC_IMPORT: return decode_imports(st, r);
  case KITE_SEC_FUNCTION: return decode_funcs(st, r);
  case KITE_SEC_TABLE: return decode_tables(st, r);
  case KITE_SEC_MEMORY: return decode_memories(st, r);
  case KITE_SEC_GLOBAL: return decode_globals(st, r);
  case KITE_SEC_EXPORT: return decode_exports(st, r);
  case KITE_SEC_START: return decode_start(st, r);
  case KITE_SEC_ELEMENT: return decode_elems(st, r);
  case KITE_SEC_CODE: return decode_code(st, r);
  case KITE_SEC_DATA: return decode_datas(st, r);
  case KITE_SEC_DATACOUNT: return decode_datacount(st, r);
  case KITE_SEC_TAG: return decode_tags(st, r);
  default: return kite_reader_fail(r, id_offset, "malformed section id");
  }
}

/* ---- after the last section ---- */

static void relocate(kite_module *m, kite_name *n) { n->ptr = m->bytes + (uintptr_t)n->ptr; }

typedef KITE_VEC(uint32_t) u32vec;

/*
** The set of declared functions while it is collected: a bitmap over the function index
** space (a table of every function is common, so this is linear and needs no sorting),
** and any indices beyond it (invalid, reported by the validator) in a vector.
*/
typedef struct declared_set {
  uint64_t *bits;
  size_t nwords;
  uint32_t nfuncs;
  u32vec rest;
} declared_set;

static inline bool declare(kite_alloc *a, declared_set *d, uint32_t x) {
  if (x < d->nfuncs) {
    d->bits[x / 64] |= (uint64_t)1 << (x % 64);
    return true;
  }
  return kite_vec_push(a, &d->rest, x);
}

/* The indices of an element segment of function indices (often thousands). The set's
   fields are copied to locals, as the stores into bits could alias them. */
static bool declare_all(kite_alloc *a, declared_set *d, const uint32_t *xs, uint32_t n) {
  uint64_t *bits = d->bits;
  const uint32_t nfuncs = d->nfuncs;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t x = xs[i];
    if (x < nfuncs) bits[x / 64] |= (uint64_t)1 << (x % 64);
    else if (!kite_vec_push(a, &d->rest, x)) return false;
  }
  return true;
}

static bool scan_ref_funcs(kite_decode_state *st, declared_set *d, kite_expr e) {
  kite_module *m = st->m;
  kite_error scratch;
  kite_error_clear(&scratch);
  kite_reader r = {m->bytes, m->bytes + e.offset, m->bytes + e.offset + e.len, &scratch};
  while (r.p < r.end) {
    kite_insn in;
    if (!kite_read_insn(&r, st->features, &in)) return true; /* was read before: cannot happen */
    if (in.op == OP_REF_FUNC && !declare(m->alloc, d, in.idx)) return false;
  }
  return true;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* Fill m->declared_funcs (sorted, no duplicates) from the set; false when out of memory. */
static bool publish_declared(kite_module *m, declared_set *d) {
  size_t n = 0, nrest = 0;
  for (size_t w = 0; w < d->nwords; w++) n += kite_popcount64(d->bits[w]);
  if (d->rest.len) {
    qsort(d->rest.data, d->rest.len, sizeof *d->rest.data, cmp_u32);
    for (size_t i = 0; i < d->rest.len; i++)
      if (i == 0 || d->rest.data[i] != d->rest.data[nrest - 1])
        d->rest.data[nrest++] = d->rest.data[i];
  }
  if (n + nrest == 0) return true;
  uint32_t *out = kite_arena_alloc_uninit(&m->arena, (n + nrest) * sizeof(uint32_t));
  if (!out) return false;
  size_t k = 0;
  for (size_t w = 0; w < d->nwords; w++)
    for (uint64_t b = d->bits[w]; b; b &= b - 1) out[k++] = (uint32_t)(w * 64 + kite_ctz64(b));
  if (nrest) memcpy(out + k, d->rest.data, nrest * sizeof *out);
  m->declared_funcs = out;
  m->ndeclared_funcs = (uint32_t)(n + nrest);
  return true;
}

/* The functions that ref.func in code may name: those referenced outside function
   bodies (spec: the set C.refs). */
static bool collect_declared_funcs(kite_decode_state *st) {
  kite_module *m = st->m;
  kite_alloc *a = m->alloc;
  declared_set d = {NULL, ((size_t)m->nfuncs + 63) / 64, m->nfuncs, {0}};
  d.bits = kite_calloc(a, d.nwords ? d.nwords : 1, sizeof *d.bits);
  if (!d.bits) return false;
  bool ok = true;
  for (uint32_t i = 0; ok && i < m->nexports; i++)
    if (m->exports[i].kind == KITE_EXTERN_FUNC) ok = declare(a, &d, m->exports[i].index);
  for (uint32_t i = 0; ok && i < m->nelems; i++) {
    kite_elem *e = &m->elems[i];
    if (e->mode == KITE_SEG_ACTIVE) ok = scan_ref_funcs(st, &d, e->offset);
    if (e->funcs) ok = ok && declare_all(a, &d, e->funcs, e->count);
    for (uint32_t j = 0; ok && !e->funcs && j < e->count; j++)
      ok = scan_ref_funcs(st, &d, e->exprs[j]);
  }
  for (uint32_t i = m->nimported_globals; ok && i < m->nglobals; i++)
    ok = scan_ref_funcs(st, &d, m->globals[i].init);
  for (uint32_t i = m->nimported_tables; ok && i < m->ntables; i++)
    if (m->tables[i].has_init) ok = scan_ref_funcs(st, &d, m->tables[i].init);
  for (uint32_t i = 0; ok && i < m->ndatas; i++)
    if (m->datas[i].mode == KITE_SEG_ACTIVE) ok = scan_ref_funcs(st, &d, m->datas[i].offset);
  ok = ok && publish_declared(m, &d);
  kite_free(a, d.bits, (d.nwords ? d.nwords : 1) * sizeof *d.bits);
  kite_vec_free(a, &d.rest);
  return ok;
}

/* Only for an index that exists: an unknown one is the validator's "unknown data
   segment", which the suite expects of text modules (that may lack the section). */
static bool check_datacount_needed(kite_decode_state *st) {
  const kite_module *m = st->m;
  if (st->needs_datacount && !m->has_datacount && st->min_data_index < m->ndatas)
    return kite_fail(st->err, KITE_ERR_COMPILE, KITE_COMPILE_MALFORMED, st->needs_datacount_at,
                     "data count section required");
  return true;
}

bool kite_decode_check_code(const kite_module *m, kite_features features, kite_error *err) {
  kite_decode_state st;
  kite_decode_state_init(&st, (kite_module *)m, features, NULL, err);
  bool ok = true;
  for (uint32_t i = m->nimported_funcs; ok && i < m->nfuncs; i++) {
    const kite_func *fn = &m->funcs[i];
    kite_reader r = {m->bytes, m->bytes + fn->body_offset, m->bytes + m->len, err};
    uint32_t size;
    ok = kite_read_u32(&r, &size);
    const uint8_t *start = r.p;
    r.p = m->bytes + fn->code_offset;
    ok = ok && walk_body(&st, &r, start, size);
  }
  ok = ok && check_datacount_needed(&st);
  kite_decode_state_free(&st);
  return ok;
}

bool kite_decode_end(kite_decode_state *st, size_t len) {
  kite_module *m = st->m;
  uint32_t ndefined = m->nfuncs - m->nimported_funcs;
  if (st->has_code ? st->code_count != ndefined : ndefined != 0)
    return kite_fail(st->err, KITE_ERR_COMPILE, KITE_COMPILE_MALFORMED,
                     st->has_code ? st->code_count_at : len,
                     "function and code section have inconsistent lengths");
  if (m->has_datacount && (st->has_data ? m->ndatas != m->datacount : m->datacount != 0))
    return kite_fail(st->err, KITE_ERR_COMPILE, KITE_COMPILE_MALFORMED,
                     st->has_data ? st->data_count_at : len,
                     "data count and data section have inconsistent lengths");
  /* With deferred walks the bodies' data indices are not known yet: the check waits for
     kite_decode_check_code (a module that validates cannot fail it). */
  if (!st->defer_walks && !check_datacount_needed(st)) return false;
  for (uint32_t i = 0; i < m->nimports; i++) {
    relocate(m, &m->imports[i].module);
    relocate(m, &m->imports[i].field);
  }
  for (uint32_t i = 0; i < m->nexports; i++) relocate(m, &m->exports[i].name);
  for (size_t i = 0; i < st->customs.len; i++) relocate(m, &st->customs.data[i].name);
  if (st->customs.len) {
    m->customs = kite_arena_array(&m->arena, st->customs.len, sizeof(kite_custom));
    if (!m->customs) goto oom;
    memcpy(m->customs, st->customs.data, st->customs.len * sizeof(kite_custom));
    m->ncustoms = (uint32_t)st->customs.len;
  }
  if (st->sections.len) {
    m->sections = kite_arena_array(&m->arena, st->sections.len, sizeof(kite_section));
    if (!m->sections) goto oom;
    memcpy(m->sections, st->sections.data, st->sections.len * sizeof(kite_section));
    m->nsections = (uint32_t)st->sections.len;
  }
  if (!collect_declared_funcs(st)) goto oom;
  if (st->has_name_section && !st->defer_names) kite_decode_names(m, st->name_offset, st->name_len);
  return true;
oom:
  return kite_fail(st->err, KITE_ERR_OOM, 0, len, "out of memory");
}
