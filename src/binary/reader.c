/*
** reader.c: reading the binary format's primitives (LEB128 integers, value types,
** heap types) and whole instructions, generically over the IMM_* kind of each row of
** opcodes.def. The decoder, validator, printer and lowering all walk code with
** kite_read_insn, so an instruction's immediates are parsed in exactly one place.
**
** Error wording and positions follow the reference interpreter
** (interpreter/binary/decode.ml), whose messages the official suite expects: running
** out of bytes is "unexpected end of section or function" at the end of the readable
** range, an over-long LEB128 is "integer representation too long" at the byte that
** would follow the last allowed one, and surplus value bits are "integer too large" at
** the last byte.
*/
#include <stdarg.h>
#include <stdio.h>

#include "binary.h"

#define MSG_EOS "unexpected end of section or function"

bool kite_reader_fail(kite_reader *r, uint64_t offset, const char *fmt, ...) {
  if (!r->err || r->err->kind != KITE_OK) return false;
  char msg[sizeof r->err->msg];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return kite_fail(r->err, KITE_ERR_COMPILE, KITE_COMPILE_MALFORMED, offset, "%s", msg);
}

bool kite_reader_eos(kite_reader *r) {
  return kite_reader_fail(r, (uint64_t)(r->end - r->base), MSG_EOS);
}

/* ---- integers ---- */

/*
** LEB128 of at most `bits` value bits. The checks run byte by byte in the order the
** reference interpreter performs them, so that each malformed encoding gets the same
** message at the same offset: first the unused bits of a final-group byte, then the
** length (without reading the byte after the last allowed one).
*/
bool kite_read_leb(kite_reader *r, unsigned bits, bool is_signed, uint64_t *out) {
  const uint8_t *p = r->p;
  const uint8_t *q = kite_leb_fast(p, r->end, bits, is_signed, out);
  if (q) {
    r->p = q;
    return true;
  }
  uint64_t result = 0;
  unsigned shift = 0;
  int n = (int)bits;
  for (;;) {
    if (n <= 0)
      return kite_reader_fail(r, (uint64_t)(p - r->base), "integer representation too long");
    if (p >= r->end) return kite_reader_eos(r);
    uint8_t b = *p++;
    if (n < 7) {
      if (!is_signed) {
        if ((b & 0x7f) >= (1u << n))
          return kite_reader_fail(r, (uint64_t)(p - 1 - r->base), "integer too large");
      } else {
        uint8_t mask = (uint8_t)((0xffu << (n - 1)) & 0x7f);
        if ((b & mask) != 0 && (b & mask) != mask)
          return kite_reader_fail(r, (uint64_t)(p - 1 - r->base), "integer too large");
      }
    }
    if (shift < 64) result |= (uint64_t)(b & 0x7f) << shift;
    shift += 7;
    n -= 7;
    if (!(b & 0x80)) {
      if (is_signed && (b & 0x40) && shift < 64) result |= ~(uint64_t)0 << shift;
      break;
    }
  }
  r->p = p;
  *out = result;
  return true;
}

bool kite_read_len_slow(kite_reader *r, uint32_t *out) {
  const uint8_t *at = r->p;
  uint32_t n;
  if (!kite_read_u32(r, &n)) return false;
  if (n > (uint64_t)(r->end - at))
    return kite_reader_fail(r, (uint64_t)(at - r->base), "length out of bounds");
  *out = n;
  return true;
}

/* ---- types ---- */

/* Is an abstract heap type's code (0x69..0x74) part of the enabled features? */
static bool abstract_heaptype_ok(kite_features f, uint8_t code) {
  switch (code) {
  case 0x70: return true;                                /* func */
  case 0x6F: return kite_has_feature(f, FEAT_REF_TYPES); /* extern */
  case 0x69:                                             /* exn */
  case 0x74: return kite_has_feature(f, FEAT_EH);        /* noexn */
  case 0x6A:
  case 0x6B:
  case 0x6C:
  case 0x6D:
  case 0x6E: /* array struct i31 eq any */
  case 0x71:
  case 0x72:
  case 0x73: return kite_has_feature(f, FEAT_GC); /* none noextern nofunc */
  default: return false;
  }
}

static bool typed_refs(kite_features f) {
  return kite_has_feature(f, FEAT_FUNC_REFS) || kite_has_feature(f, FEAT_GC);
}

bool kite_read_heaptype(kite_reader *r, kite_features f, uint32_t *out, bool *exact) {
  const uint8_t *at = r->p;
  int64_t v;
  *exact = false;
  if (r->p < r->end && *r->p == 0x62 && kite_has_feature(f, FEAT_CUSTOM_DESC)) {
    /* custom descriptors: an exact type index, an s32 that must not be negative */
    int32_t x;
    r->p++;
    at = r->p;
    if (!kite_read_s32(r, &x)) return false;
    if (x < 0) return kite_reader_fail(r, (uint64_t)(at - r->base), "malformed type index");
    *out = (uint32_t)x;
    *exact = true;
    return true;
  }
  if (!kite_read_s33(r, &v)) return false;
  if (v >= 0) {
    if (v > INT32_MAX || !typed_refs(f))
      return kite_reader_fail(r, (uint64_t)(at - r->base), "malformed heap type");
    *out = (uint32_t)v;
    return true;
  }
  /* abstract heap types are single bytes; a longer encoding is an over-long s7 */
  if (r->p - at > 1)
    return kite_reader_fail(r, (uint64_t)(at + 1 - r->base), "integer representation too long");
  uint8_t code = *at;
  if (code < 0x69 || code > 0x74 || !abstract_heaptype_ok(f, code))
    return kite_reader_fail(r, (uint64_t)(at - r->base), "malformed heap type");
  *out = KITE_HT_ABSTRACT | code;
  return true;
}

bool kite_read_reftype(kite_reader *r, kite_features f, kite_valtype *out) {
  const uint8_t *at = r->p;
  uint8_t b;
  if (!kite_read_u8(r, &b)) return false;
  if (b & 0x80)
    return kite_reader_fail(r, (uint64_t)(at + 1 - r->base), "integer representation too long");
  if (b >= 0x69 && b <= 0x74 && abstract_heaptype_ok(f, b)) {
    *out = kite_vt_ref(KITE_HT_ABSTRACT | b, true);
    return true;
  }
  if ((b == 0x63 || b == 0x64) && typed_refs(f)) {
    uint32_t ht;
    bool exact;
    if (!kite_read_heaptype(r, f, &ht, &exact)) return false;
    *out = kite_vt_ref(ht, b == 0x63);
    out->exact = exact;
    return true;
  }
  return kite_reader_fail(r, (uint64_t)(at - r->base), "malformed reference type");
}

bool kite_read_valtype(kite_reader *r, kite_features f, kite_valtype *out) {
  if (r->p >= r->end) return kite_reader_eos(r);
  uint8_t b = *r->p;
  switch (b) {
  case KITE_VT_I32:
  case KITE_VT_I64:
  case KITE_VT_F32:
  case KITE_VT_F64:
    r->p++;
    *out = kite_vt(b);
    return true;
  case KITE_VT_V128:
    if (!kite_has_feature(f, FEAT_SIMD)) break;
    r->p++;
    *out = kite_vt(b);
    return true;
  default: break;
  }
  return kite_read_reftype(r, f, out);
}

/* ---- instructions ---- */

static bool read_blocktype(kite_reader *r, kite_features f, kite_blocktype *bt) {
  if (r->p >= r->end) return kite_reader_eos(r);
  uint8_t b = *r->p;
  memset(bt, 0, sizeof *bt);
  if (b == 0x40) {
    r->p++;
    bt->kind = KITE_BT_EMPTY;
    return true;
  }
  if ((b & 0xC0) == 0x40) { /* a one-byte negative s33: a value type */
    bt->kind = KITE_BT_VAL;
    return kite_read_valtype(r, f, &bt->val);
  }
  const uint8_t *at = r->p;
  int64_t v;
  if (!kite_read_s33(r, &v)) return false;
  if (v < 0 || v > INT32_MAX || !kite_has_feature(f, FEATX_MULTI_VALUE))
    return kite_reader_fail(r, (uint64_t)(at - r->base), "malformed block type");
  bt->kind = KITE_BT_INDEX;
  bt->index = (uint32_t)v;
  return true;
}

/* A memory index immediate: a u32 with multi-memory, else one reserved zero byte. */
static bool read_memidx(kite_reader *r, kite_features f, uint32_t *out) {
  if (kite_has_feature(f, FEATX_MULTI_MEMORY)) return kite_read_u32(r, out);
  uint8_t b;
  if (!kite_read_u8(r, &b)) return false;
  if (b != 0) return kite_reader_fail(r, (uint64_t)(r->p - 1 - r->base), "zero byte expected");
  *out = 0;
  return true;
}

/* A table index of call_indirect: a u32 with reference types, else a zero byte. */
static bool read_tableidx(kite_reader *r, kite_features f, uint32_t *out) {
  if (kite_has_feature(f, FEAT_REF_TYPES)) return kite_read_u32(r, out);
  uint8_t b;
  if (!kite_read_u8(r, &b)) return false;
  if (b != 0) return kite_reader_fail(r, (uint64_t)(r->p - 1 - r->base), "zero byte expected");
  *out = 0;
  return true;
}

/*
** memarg (3.0): align flags where bit 6 says a memory index follows, the memory index,
** then the offset: a u64 when memory64 is enabled (the validator checks that offsets
** of 32-bit memories fit), else a u32.
*/
static bool read_memarg(kite_reader *r, kite_features f, kite_memarg *m) {
  const uint8_t *at = r->p;
  uint32_t flags;
  if (!kite_read_u32(r, &flags)) return false;
  uint32_t limit = kite_has_feature(f, FEATX_MULTI_MEMORY) ? 0x80 : 0x40;
  if (flags >= limit) return kite_reader_fail(r, (uint64_t)(at - r->base), "malformed memop flags");
  m->align = flags & 0x3f;
  m->mem = 0;
  if (flags & 0x40 && !kite_read_u32(r, &m->mem)) return false;
  if (kite_has_feature(f, FEATX_MEMORY64)) return kite_read_u64(r, &m->offset);
  uint32_t off;
  if (!kite_read_u32(r, &off)) return false;
  m->offset = off;
  return true;
}

bool kite_read_catch(kite_reader *r, kite_catch *out) {
  uint8_t kind;
  if (!kite_read_u8(r, &kind)) return false;
  if (kind > KITE_CATCH_ALL_REF)
    return kite_reader_fail(r, (uint64_t)(r->p - 1 - r->base), "malformed catch clause");
  out->kind = kind;
  out->tag = 0;
  if (kind == KITE_CATCH || kind == KITE_CATCH_REF) {
    if (!kite_read_u32(r, &out->tag)) return false;
  }
  return kite_read_u32(r, &out->label);
}

/* The reader positioned at the vector's first item; `r` is moved past the vector. */
static void mark_items(kite_reader *r, kite_insn *out) { out->items = *r; }

static bool read_two_u32(kite_reader *r, kite_insn *out) {
  return kite_read_u32(r, &out->idx) && kite_read_u32(r, &out->idx2);
}

static bool read_fixed(kite_reader *r, void *dst, size_t n) {
  const uint8_t *p;
  if (!kite_read_bytes(r, n, &p)) return false;
  memcpy(dst, p, n);
  return true;
}

static bool read_immediates(kite_reader *r, kite_features f, kite_insn *out) {
  switch ((kite_imm)kite_opinfo_table[out->op].imm) {
  case IMM_NONE: return true;
  case IMM_BLOCK: return read_blocktype(r, f, &out->bt);
  case IMM_TRY_TABLE: {
    if (!read_blocktype(r, f, &out->bt) || !kite_read_len(r, &out->count)) return false;
    mark_items(r, out);
    for (uint32_t i = 0; i < out->count; i++) {
      kite_catch c;
      if (!kite_read_catch(r, &c)) return false;
    }
    out->items.end = r->p;
    return true;
  }
  case IMM_BR_TABLE: {
    if (!kite_read_len(r, &out->count)) return false;
    mark_items(r, out);
    for (uint32_t i = 0; i < out->count; i++) {
      uint32_t label;
      if (!kite_read_u32(r, &label)) return false;
    }
    out->items.end = r->p;
    return kite_read_u32(r, &out->idx);
  }
  case IMM_LABEL:
  case IMM_FUNC:
  case IMM_TYPE:
  case IMM_LOCAL:
  case IMM_GLOBAL:
  case IMM_TABLE:
  case IMM_TAG:
  case IMM_DATA:
  case IMM_ELEM: return kite_read_u32(r, &out->idx);
  case IMM_MEMORY: return read_memidx(r, f, &out->idx);
  case IMM_CALL_INDIRECT: return kite_read_u32(r, &out->idx) && read_tableidx(r, f, &out->idx2);
  case IMM_MEMARG: return read_memarg(r, f, &out->mem);
  case IMM_MEMARG_LANE: return read_memarg(r, f, &out->mem) && kite_read_u8(r, &out->lane);
  case IMM_LANE: return kite_read_u8(r, &out->lane);
  case IMM_SHUFFLE:
  case IMM_V128: return read_fixed(r, out->bytes, 16);
  case IMM_I32: return kite_read_s32(r, &out->val.i32);
  case IMM_I64: return kite_read_s64(r, &out->val.i64);
  case IMM_F32: {
    const uint8_t *p;
    if (!kite_read_bytes(r, 4, &p)) return false;
    out->val.f32 = kite_load_u32le(p);
    return true;
  }
  case IMM_F64: {
    const uint8_t *p;
    if (!kite_read_bytes(r, 8, &p)) return false;
    out->val.f64 = kite_load_u64le(p);
    return true;
  }
  case IMM_SELECT_T: {
    if (!kite_read_len(r, &out->count)) return false;
    mark_items(r, out);
    for (uint32_t i = 0; i < out->count; i++) {
      kite_valtype t;
      if (!kite_read_valtype(r, f, &t)) return false;
      if (i == 0) out->vt = t;
    }
    out->items.end = r->p;
    return true;
  }
  case IMM_HEAPTYPE: return kite_read_heaptype(r, f, &out->ht, &out->exact);
  case IMM_MEMORY_INIT: return kite_read_u32(r, &out->idx) && read_memidx(r, f, &out->idx2);
  case IMM_MEMORY_COPY: return read_memidx(r, f, &out->idx) && read_memidx(r, f, &out->idx2);
  case IMM_TABLE_INIT:
  case IMM_TABLE_COPY:
  case IMM_FIELD:
  case IMM_TYPE_TYPE:
  case IMM_TYPE_DATA:
  case IMM_TYPE_ELEM: return read_two_u32(r, out);
  case IMM_TYPE_N: return kite_read_u32(r, &out->idx) && kite_read_u32(r, &out->count);
  case IMM_BR_ON_CAST: {
    const uint8_t *at = r->p;
    if (!kite_read_u8(r, &out->flags)) return false;
    if (out->flags & 0xFC)
      return kite_reader_fail(r, (uint64_t)(at - r->base), "malformed br_on_cast flags");
    return kite_read_u32(r, &out->idx) && kite_read_heaptype(r, f, &out->ht, &out->exact) &&
           kite_read_heaptype(r, f, &out->ht2, &out->exact2);
  }
  case IMM_ZERO: {
    uint8_t b;
    if (!kite_read_u8(r, &b)) return false;
    if (b != 0) return kite_reader_fail(r, (uint64_t)(r->p - 1 - r->base), "zero byte expected");
    return true;
  }
  case IMM_COUNT: break;
  }
  return kite_reader_fail(r, out->offset, "illegal opcode");
}

/* kite_read_insn's way for all but the common one-byte opcodes: prefixed opcodes and
   errors (out is cleared, r->p at the opcode). */
static bool read_insn_slow(kite_reader *r, kite_features f, kite_insn *out) {
  uint8_t b;
  if (!kite_read_u8(r, &b)) return false;
  kite_opcode op;
  kite_byteop bo = kite_byteop_table[b];
  if (bo.op1) {
    if (!kite_has_feature(f, bo.feature))
      return kite_reader_fail(r, out->offset, "illegal opcode %02x", b);
    op = (kite_opcode)(bo.op1 - 1);
  } else if (b == 0xFB || b == 0xFC || b == 0xFD || b == 0xFE) {
    uint32_t code;
    if (!kite_read_u32(r, &code)) return false;
    op = kite_opcode_lookup(b, code);
    if (op == OP_COUNT || !kite_has_feature(f, kite_opinfo_table[op].feature))
      return kite_reader_fail(r, out->offset, "illegal opcode %02x %02x", b, code);
  } else {
    return kite_reader_fail(r, out->offset, "illegal opcode %02x", b);
  }
  out->op = op;
  out->items.p = out->items.end = r->p;
  return read_immediates(r, f, out);
}

bool kite_read_insn(kite_reader *r, kite_features f, kite_insn *out) {
  /* Every field but the 16 bytes of v128.const and i8x16.shuffle is cleared: clearing
     those too makes reading most instructions half again as slow. */
  out->idx = out->idx2 = out->count = 0;
  out->bt = (kite_blocktype){0};
  out->mem = (kite_memarg){0};
  out->lane = out->flags = 0;
  out->exact = out->exact2 = false;
  out->ht = out->ht2 = 0;
  out->vt = (kite_valtype){0};
  out->val.i64 = 0;
  out->offset = kite_reader_offset(r);
  out->items.base = r->base;
  out->items.err = r->err;
  const uint8_t *after_op = r->p + 1;
  if (!kite_read_insn_common(r, f, out)) return read_insn_slow(r, f, out);
  out->items.p = out->items.end = after_op;
  return true;
}
