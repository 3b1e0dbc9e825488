/*
** binary.h: the binary format. The decoder (whole or streaming), the instruction
** reader that every later stage uses to walk code, and the encoder (the one writer
** of bytes; the text parser emits binary through it).
*/
#ifndef KITE_BINARY_H
#define KITE_BINARY_H

#include "base.h"
#include "features.h"
#include "module.h"

/* Resource caps checked while decoding, so a hostile module pays in bytes for what it
   makes us allocate. Zero fields take the defaults below. */
typedef struct kite_decode_limits {
  uint32_t max_types, max_funcs, max_imports, max_exports, max_globals, max_tables, max_memories,
      max_elems, max_datas, max_locals, max_func_size, max_rec_size, max_fields;
  uint64_t max_module_size;
} kite_decode_limits;

#define KITE_DEFAULT_MAX_LOCALS 50000u /* wasm-tools/V8 limit; the suite's "too many locals" */

/* ---- decoding ---- */

/* Decode a whole binary. The module copies what it keeps. NULL on error (*err set,
   kind KITE_ERR_COMPILE with code KITE_COMPILE_MALFORMED, or KITE_ERR_OOM). */
kite_module *kite_decode(kite_alloc *a, const uint8_t *bytes, size_t len, kite_features features,
                         const kite_decode_limits *limits, kite_error *err);

/*
** Streaming decoding, as the JS API's compileStreaming: feed bytes in chunks of any
** size as they arrive; an error is reported as soon as the bytes seen prove it (with
** the same offset and message as kite_decode), and finish reports the rest.
*/
typedef struct kite_decoder kite_decoder;
kite_decoder *kite_decoder_new(kite_alloc *a, kite_features features,
                               const kite_decode_limits *limits);
bool kite_decoder_feed(kite_decoder *d, const uint8_t *p, size_t n, kite_error *err);
kite_module *kite_decoder_finish(kite_decoder *d, kite_error *err); /* also frees d */
void kite_decoder_free(kite_decoder *d);
/*
** For a caller that produces the whole binary itself (reads a file): a buffer of len
** bytes, not initialised, which the module keeps as its copy of the binary, so nothing
** is copied. Fill it, then finish. Only on a new decoder (no feed); NULL on an error
** ("module too large", out of memory), which finish then reports.
*/
uint8_t *kite_decoder_buffer(kite_decoder *d, size_t len);
/*
** Like kite_decoder_buffer, for a caller that already holds the whole binary where it can
** stay (a mapped file): the module keeps `bytes` in place, not copied, and gives them
** back through release(ud, bytes, len) when it is freed. They must not change meanwhile.
** On failure ("module too large"), which finish reports, the caller keeps them.
*/
bool kite_decoder_adopt(kite_decoder *d, uint8_t *bytes, size_t len,
                        void (*release)(void *ud, uint8_t *bytes, size_t len), void *ud);
/* Before finishing a decoder filled through kite_decoder_buffer: function bodies are not
   walked (kite_decoder_finish_validate in valid.h, which validates them, is the one
   caller). */
void kite_decoder_defer_walks(kite_decoder *d);
/* Before finishing: the name section is not decoded (has_names stays false) until the
   caller runs kite_decode_module_names, e.g. on one thread while others validate. */
void kite_decoder_defer_names(kite_decoder *d);
/* A new decoder holding a copy of bytes, ready to finish; NULL (*err set) when out of
   memory. */
kite_decoder *kite_decoder_of_bytes(kite_alloc *a, const uint8_t *bytes, size_t len,
                                    kite_features features, const kite_decode_limits *limits,
                                    kite_error *err);

/* ---- reading bytes: shared by the decoder, validator, printer and lowering ---- */

typedef struct kite_reader {
  const uint8_t *base; /* offsets are relative to this (the module's bytes) */
  const uint8_t *p, *end;
  kite_error *err;
} kite_reader;

static inline uint32_t kite_reader_offset(const kite_reader *r) {
  return (uint32_t)(r->p - r->base);
}
bool kite_reader_eos(kite_reader *r);
/* A LEB128 of at most `bits` value bits, every byte checked (reader.c). */
bool kite_read_leb(kite_reader *r, unsigned bits, bool is_signed, uint64_t *out);

/*
** A well-formed LEB128 of at most `bits` (1..64) value bits at p: stores its value and
** returns the byte after it; NULL when it is malformed or runs past `end`, reporting
** nothing (kite_read_leb then says exactly what is wrong). Inlined into the loops that
** walk code, which skip or decode most immediates this way.
*/
static inline const uint8_t *kite_leb_fast(const uint8_t *p, const uint8_t *end, unsigned bits,
                                           bool is_signed, uint64_t *out) {
  if (p < end && !(*p & 0x80)) { /* one byte: most of them */
    *out = is_signed && (*p & 0x40) ? *p | ~(uint64_t)0x7f : *p;
    return p + 1;
  }
  size_t last = (bits - 1) / 7; /* index of the last byte allowed */
  size_t avail = (size_t)(end - p);
  uint64_t v = 0;
  size_t i;
  for (i = 0; i < last && i < avail; i++) {
    uint8_t b = p[i];
    v |= (uint64_t)(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      if (is_signed && (b & 0x40)) v |= ~(uint64_t)0 << (7 * (i + 1));
      *out = v;
      return p + i + 1;
    }
  }
  if (i == avail) return NULL;
  /* The last byte: no continuation, and its unused bits zero (unsigned) or copies of the
     sign bit (signed). */
  uint8_t b = p[last];
  unsigned n = bits - 7 * (unsigned)last; /* value bits in it, 1..7 */
  if (b & 0x80) return NULL;
  if (n < 7) {
    unsigned rest = is_signed ? (unsigned)b >> (n - 1) : (unsigned)b >> n;
    if (rest != 0 && (!is_signed || rest != (0x7fu >> (n - 1)))) return NULL;
  }
  v |= (uint64_t)b << (7 * last);
  if (is_signed && (b & 0x40) && 7 * (last + 1) < 64) v |= ~(uint64_t)0 << (7 * (last + 1));
  *out = v;
  return p + last + 1;
}

/* The one-byte encodings (most indices and small constants) are read inline. On an
   error *out is zero. */
static inline bool kite_read_u8(kite_reader *r, uint8_t *out) {
  if (r->p >= r->end) {
    *out = 0;
    kite_reader_eos(r);
    return false;
  }
  *out = *r->p++;
  return true;
}
static inline bool kite_read_u32(kite_reader *r, uint32_t *out) { /* LEB128 u32 */
  uint64_t v = 0;
  if (r->p < r->end && *r->p < 0x80) {
    *out = *r->p++;
    return true;
  }
  bool ok = kite_read_leb(r, 32, false, &v);
  *out = (uint32_t)v;
  return ok;
}
static inline bool kite_read_u64(kite_reader *r, uint64_t *out) {
  if (r->p < r->end && *r->p < 0x80) {
    *out = *r->p++;
    return true;
  }
  *out = 0;
  return kite_read_leb(r, 64, false, out);
}
static inline bool kite_read_s32(kite_reader *r, int32_t *out) {
  uint64_t v = 0;
  if (r->p < r->end && *r->p < 0x80) {
    uint8_t b = *r->p++;
    *out = (b & 0x40) ? (int32_t)b - 0x80 : (int32_t)b;
    return true;
  }
  bool ok = kite_read_leb(r, 32, true, &v);
  *out = (int32_t)(uint32_t)v;
  return ok;
}
static inline bool kite_read_s64(kite_reader *r, int64_t *out) {
  uint64_t v = 0;
  if (r->p < r->end && *r->p < 0x80) {
    uint8_t b = *r->p++;
    *out = (b & 0x40) ? (int64_t)b - 0x80 : (int64_t)b;
    return true;
  }
  bool ok = kite_read_leb(r, 64, true, &v);
  *out = (int64_t)v;
  return ok;
}
static inline bool kite_read_s33(kite_reader *r, int64_t *out) {
  uint64_t v = 0;
  bool ok = kite_read_leb(r, 33, true, &v);
  *out = (int64_t)v;
  return ok;
}
/* Reading a value type or heap type checks the type's binary form only; type indices
   are range-checked by the validator. */
bool kite_read_valtype(kite_reader *r, kite_features f, kite_valtype *out);
/* A heap type; *exact says whether it is custom descriptors' exact form of a type index. */
bool kite_read_heaptype(kite_reader *r, kite_features f, uint32_t *out, bool *exact);
bool kite_read_reftype(kite_reader *r, kite_features f, kite_valtype *out);
/* A vector length or byte count: a u32 that must not exceed the bytes left in the
   reader ("length out of bounds"). */
bool kite_read_len_slow(kite_reader *r, uint32_t *out);
static inline bool kite_read_len(kite_reader *r, uint32_t *out) {
  size_t avail = (size_t)(r->end - r->p);
  if (avail && *r->p < 0x80 && *r->p <= avail) {
    *out = *r->p++;
    return true;
  }
  /* Two bytes: function bodies and most sections. */
  if (avail >= 2 && (r->p[0] & 0x80) && r->p[1] < 0x80) {
    uint32_t n = (uint32_t)(r->p[0] & 0x7f) | (uint32_t)r->p[1] << 7;
    if (n <= avail) {
      *out = n;
      r->p += 2;
      return true;
    }
  }
  return kite_read_len_slow(r, out);
}
/* n raw bytes; *out points at them. */
static inline bool kite_read_bytes(kite_reader *r, size_t n, const uint8_t **out) {
  if (n > (size_t)(r->end - r->p)) {
    *out = NULL;
    kite_reader_eos(r);
    return false;
  }
  *out = r->p;
  r->p += n;
  return true;
}
/* Set *r->err to a malformed-module error at `offset` (first error wins); returns false. */
bool kite_reader_fail(kite_reader *r, uint64_t offset, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* kite_reader_eos (above): "unexpected end of section or function" at the end of the
   readable range. */

/* ---- instructions ---- */

typedef enum { KITE_BT_EMPTY, KITE_BT_VAL, KITE_BT_INDEX } kite_btkind;
typedef struct kite_blocktype {
  uint8_t kind; /* kite_btkind */
  kite_valtype val;
  uint32_t index;
} kite_blocktype;

typedef struct kite_memarg {
  uint32_t align; /* log2 */
  uint32_t mem;
  uint64_t offset;
} kite_memarg;

typedef enum {
  KITE_CATCH = 0,
  KITE_CATCH_REF = 1,
  KITE_CATCH_ALL = 2,
  KITE_CATCH_ALL_REF = 3
} kite_catchkind;
typedef struct kite_catch {
  uint8_t kind; /* kite_catchkind */
  uint32_t tag; /* CATCH and CATCH_REF */
  uint32_t label;
} kite_catch;

/*
** One decoded instruction. Which fields are set depends on the opcode's IMM_* kind:
**   BLOCK: bt.  TRY_TABLE: bt, count (catches) and items (a reader at the first catch,
**   read them with kite_read_catch).  BR_TABLE: count (labels without the default),
**   items (a reader at the first label: kite_read_u32 each), idx (the default label).
**   LABEL FUNC TYPE LOCAL GLOBAL TABLE MEMORY TAG DATA ELEM: idx.
**   CALL_INDIRECT: idx (type) idx2 (table).  MEMORY_INIT: idx (data) idx2 (memory).
**   MEMORY_COPY, TABLE_COPY: idx (destination) idx2 (source).  TABLE_INIT: idx (elem)
**   idx2 (table).  FIELD: idx (type) idx2 (field).  TYPE_TYPE: idx idx2.  TYPE_N: idx
**   count.  TYPE_DATA, TYPE_ELEM: idx (type) idx2 (segment).
**   MEMARG: mem.  MEMARG_LANE: mem, lane.  LANE: lane.  SHUFFLE, V128: bytes.
**   I32 I64 F32 F64: val (floats as raw bits).  SELECT_T: count, vt (the first type;
**   count must be 1 to validate).  HEAPTYPE: ht, exact.  BR_ON_CAST: flags, idx (label),
**   ht, exact, ht2, exact2 (exact: the heap type is an exact type index).  ZERO: nothing.
** Fields the kind does not set are zero, except `bytes` (set only for SHUFFLE and V128).
*/
typedef struct kite_insn {
  kite_opcode op;
  uint32_t offset; /* of the first opcode byte, in the module's bytes */
  uint32_t idx, idx2, count;
  kite_blocktype bt;
  kite_memarg mem;
  uint8_t lane, flags;
  bool exact, exact2;
  uint32_t ht, ht2;
  kite_valtype vt;
  union {
    int32_t i32;
    int64_t i64;
    uint32_t f32;
    uint64_t f64;
  } val;
  uint8_t bytes[16];
  kite_reader items;
} kite_insn;

/* Read one instruction at r->p (which then points past it). On a malformed or unknown
   opcode sets *r->err ("illegal opcode", "unexpected end", ...) and returns false.
   Instructions of features not in `f` are "illegal opcode". */
bool kite_read_insn(kite_reader *r, kite_features f, kite_insn *out);

/* A block type byte that is the whole block type: empty (0x40) or one number type. */
static inline bool kite_blocktype_is_simple(uint8_t b) {
  return b == 0x40 || (b >= KITE_VT_F64 && b <= KITE_VT_I32);
}

/*
** The short way for the commonest instructions, shared by kite_read_insn and lowering
** (which reads every instruction it runs): a one-byte opcode of a feature in f whose
** immediates are none, one index or integer constant, a float, a memory argument of
** memory 0, or an empty or number block type. Sets in->op and only the fields of that
** immediate kind, and moves r past the instruction. Returns false, having consumed
** nothing and reported nothing, for anything else or anything malformed: the caller
** then reads it the full way, which reports errors.
*/
static inline bool kite_read_insn_common(kite_reader *r, kite_features f, kite_insn *in) {
  const uint8_t *p = r->p, *end = r->end, *q;
  if (p >= end) return false;
  kite_byteop bo = kite_byteop_table[*p];
  if (!bo.op1 || !kite_has_feature(f, bo.feature)) return false; /* a prefix, or off */
  uint64_t v;
  switch ((kite_imm)bo.imm) {
  case IMM_NONE: q = p + 1; break;
  case IMM_LABEL:
  case IMM_FUNC:
  case IMM_TYPE:
  case IMM_LOCAL:
  case IMM_GLOBAL:
  case IMM_TABLE:
  case IMM_TAG:
  case IMM_DATA:
  case IMM_ELEM:
    if (!(q = kite_leb_fast(p + 1, end, 32, false, &v))) return false;
    in->idx = (uint32_t)v;
    break;
  case IMM_I32:
    if (!(q = kite_leb_fast(p + 1, end, 32, true, &v))) return false;
    in->val.i64 = 0;
    in->val.i32 = (int32_t)(uint32_t)v;
    break;
  case IMM_I64:
    if (!(q = kite_leb_fast(p + 1, end, 64, true, &v))) return false;
    in->val.i64 = (int64_t)v;
    break;
  case IMM_F32:
    if (end - p < 5) return false;
    in->val.i64 = 0;
    in->val.f32 = kite_load_u32le(p + 1);
    q = p + 5;
    break;
  case IMM_F64:
    if (end - p < 9) return false;
    in->val.f64 = kite_load_u64le(p + 1);
    q = p + 9;
    break;
  case IMM_MEMARG: /* flags without a memory index (bit 6), then the offset: a u64 with
                      memory64, else a u32 (at most 5 bytes) */
    if (end - p < 2 || p[1] >= 0x40 || !(q = kite_leb_fast(p + 2, end, 64, false, &v)))
      return false;
    if (!kite_has_feature(f, FEATX_MEMORY64) && (v > UINT32_MAX || q - p > 7)) return false;
    in->mem.align = p[1];
    in->mem.mem = 0;
    in->mem.offset = v;
    break;
  case IMM_BLOCK: /* empty, or one number type */
    if (end - p < 2 || !kite_blocktype_is_simple(p[1])) return false;
    in->bt = (kite_blocktype){0};
    in->bt.kind = p[1] == 0x40 ? KITE_BT_EMPTY : KITE_BT_VAL;
    if (p[1] != 0x40) in->bt.val = kite_vt(p[1]);
    q = p + 2;
    break;
  default: return false;
  }
  in->op = (kite_opcode)(bo.op1 - 1);
  r->p = q;
  return true;
}
bool kite_read_catch(kite_reader *r, kite_catch *out);

/* ---- encoding: the one writer of bytes ---- */

/* Write an instruction from a kite_insn (items are re-read from insn->items; the text
   parser fills a kite_insn whose items reader points at bytes it encoded itself). */
bool kite_write_insn(kite_buf *b, const kite_insn *insn);
bool kite_write_valtype(kite_buf *b, kite_valtype t);
bool kite_write_heaptype(kite_buf *b, uint32_t ht, bool exact);
/* Write a section: id, size and the contents of `content`. */
bool kite_write_section(kite_buf *b, uint8_t id, const kite_buf *content);
bool kite_write_name(kite_buf *b, const uint8_t *p, size_t len);

/* Section ids. */
enum {
  KITE_SEC_CUSTOM = 0,
  KITE_SEC_TYPE = 1,
  KITE_SEC_IMPORT = 2,
  KITE_SEC_FUNCTION = 3,
  KITE_SEC_TABLE = 4,
  KITE_SEC_MEMORY = 5,
  KITE_SEC_GLOBAL = 6,
  KITE_SEC_EXPORT = 7,
  KITE_SEC_START = 8,
  KITE_SEC_ELEMENT = 9,
  KITE_SEC_CODE = 10,
  KITE_SEC_DATA = 11,
  KITE_SEC_DATACOUNT = 12,
  KITE_SEC_TAG = 13
};
const char *kite_section_name(uint8_t id);

/*
** ---- decoder internals, shared by decode.c (the sections), decode_names.c and
** stream.c (framing, streaming and kite_decode) ----
**
** Sections are decoded one at a time from a reader whose range runs to the end of the
** bytes available (not to the end of the section): like the reference interpreter, an
** entry that overruns its section reads on, and the section's size is checked after.
** While streaming, an error that more bytes could change ("unexpected end ...",
** "length out of bounds") is tentative: the section is decoded again once more bytes
** have arrived, so a section decoder must be repeatable (it computes its results from
** earlier sections only and publishes them when it succeeds).
*/
/* A function body whose instructions the decoder has not walked yet: the offsets of its
   locals, of its code and of its end. */
typedef struct kite_decode_state {
  kite_module *m;
  kite_features features;
  kite_decode_limits limits; /* zero fields replaced by the defaults */
  kite_error *err;
  uint8_t last_rank; /* order rank of the last non-custom section */
  uint8_t last_id;   /* id of the last non-custom section (0: none) */
  bool has_code, has_data;
  bool has_name_section;
  uint32_t name_offset, name_len; /* the first "name" custom section's contents */
  uint32_t section_count;         /* entries of the section just decoded (for kite_section) */
  /* Checks the reference interpreter makes after the last section, so that an error in
     a later section takes precedence; each remembers where it was found. */
  uint32_t code_count, code_count_at; /* the code section's count */
  uint32_t data_count_at;             /* the data section's count */
  bool needs_datacount;               /* code uses a data index */
  uint32_t min_data_index;            /* the smallest one it uses */
  uint32_t needs_datacount_at;        /* the first instruction using that one */
  KITE_VEC(uint8_t) ctl;              /* control-frame kinds while walking an expression */
  /* kite_decode_validate only: function bodies are not walked while decoding (the
     validator reads them anyway); the bodies of functions [pending_first,
     pending_first + pending_count) are not walked yet, and are walked before any error
     is reported so that the first error is the one kite_decode would report. */
  bool defer_walks;
  bool defer_names; /* kite_decoder_defer_names */
  uint32_t pending_first, pending_count;
  KITE_VEC(kite_custom) customs;
  KITE_VEC(kite_section) sections;
} kite_decode_state;

#define KITE_DEFAULT_MAX_TYPES 1000000u
#define KITE_DEFAULT_MAX_FUNCS 1000000u
#define KITE_DEFAULT_MAX_IMPORTS 1000000u
#define KITE_DEFAULT_MAX_EXPORTS 1000000u
#define KITE_DEFAULT_MAX_GLOBALS 1000000u
#define KITE_DEFAULT_MAX_TABLES 100000u
#define KITE_DEFAULT_MAX_MEMORIES 100000u
#define KITE_DEFAULT_MAX_ELEMS 100000u
#define KITE_DEFAULT_MAX_DATAS 100000u
#define KITE_DEFAULT_MAX_FUNC_SIZE 7654321u
#define KITE_DEFAULT_MAX_REC_SIZE 1000000u
#define KITE_DEFAULT_MAX_FIELDS 10000u
#define KITE_DEFAULT_MAX_MODULE_SIZE ((uint64_t)1 << 30)

/*
** Fast paths for the decoder's per-entry loops (function indices of element segments
** and name maps, local declarations), which a large module runs thousands of times.
** They work on a cursor in a local variable (the build allows any store to alias a
** reader's fields, which would then be reloaded after each store) and take only
** well-formed common encodings: NULL means "read it with the general reader", which
** reports errors exactly, so messages and offsets do not change.
*/
/* A u32 of one or two bytes (indices below 16384); returns the byte after it. */
static inline const uint8_t *kite_u32_short(const uint8_t *p, const uint8_t *end, uint32_t *out) {
  if (end - p >= 2) {
    if (p[0] < 0x80) {
      *out = p[0];
      return p + 1;
    }
    if (p[1] < 0x80) {
      *out = (uint32_t)(p[0] & 0x7f) | (uint32_t)p[1] << 7;
      return p + 2;
    }
  }
  return NULL;
}
/*
** Are the n bytes at p (a name) ASCII, so valid UTF-8? Inline for short names, as most
** are: one or two 8-byte loads when [p, end) allows, the bytes beyond the name masked
** off. False means "not known to be ASCII": check with kite_utf8_valid.
*/
static inline bool kite_name_is_ascii(const uint8_t *p, const uint8_t *end, uint32_t n) {
  const uint64_t high = 0x8080808080808080u;
  if (n <= 8 && end - p >= 8) {
    uint64_t mask = n == 8 ? ~(uint64_t)0 : ((uint64_t)1 << (8 * n)) - 1;
    return (kite_load_u64le(p) & mask & high) == 0;
  }
  if (n > 8 && n <= 16) return ((kite_load_u64le(p) | kite_load_u64le(p + n - 8)) & high) == 0;
  return false;
}

void kite_decode_state_init(kite_decode_state *st, kite_module *m, kite_features f,
                            const kite_decode_limits *limits, kite_error *err);
void kite_decode_state_free(kite_decode_state *st);
/* The order rank of a non-custom section id (tag sits between memory and global, data
   count before code); 0 for custom sections and unknown ids. */
unsigned kite_section_rank(uint8_t id);
/* Decode one section's contents from r (at the first content byte). The caller checks
   that the section's size was consumed exactly. */
bool kite_decode_section(kite_decode_state *st, uint8_t id, uint32_t id_offset, uint32_t size,
                         kite_reader *r);
/* Checks after the last section and the final touches (declared functions, names, name
   pointers into m->bytes, which must hold the whole binary by now). */
bool kite_decode_end(kite_decode_state *st, size_t len);
/* Walk the pending bodies (defer_walks) in order, over the bytes [base, base + len):
   false with the first error in *st->err. */
bool kite_decode_flush_walks(kite_decode_state *st, const uint8_t *base, size_t len);
/* The walk a deferring decoder skipped, over every body of a decoded module, and the
   check of the data count section that depends on it. False with the first error. */
bool kite_decode_check_code(const kite_module *m, kite_features features, kite_error *err);
/* Decode the "name" custom section's contents; a malformed one leaves has_names false. */
void kite_decode_names(kite_module *m, uint32_t offset, uint32_t len);
/* The same for the module's first "name" custom section, if any (after
   kite_decoder_defer_names). */
void kite_decode_module_names(kite_module *m);
/* Is this error one that more input could change (streaming retries on it)? */
bool kite_decode_error_tentative(const kite_error *err);

#endif
