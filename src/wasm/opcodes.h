/*
** opcodes.h: the instruction set, derived from opcodes.def (the one table).
**
** Each row of opcodes.def is
**   KITE_OPCODE(Id, "text", Prefix, Code, Imm, "Sig", Aux, Feature)
** Id       enum suffix: OP_<Id>
** "text"   the text-format mnemonic ("i32.add")
** Prefix   0x00 for single-byte opcodes, else 0xFB, 0xFC, 0xFD or 0xFE
** Code     the opcode byte, or the u32 LEB128 sub-opcode after the prefix
** Imm      immediate kind: IMM_<kind> below, says how the bytes after the opcode are read
** "Sig"    for instructions whose typing is a fixed signature: "params:results" with
**          i=i32 I=i64 f=f32 F=f64 v=v128 (e.g. "ii:i", "I:f", ":i"); "" when the
**          validator types the instruction by hand (control, locals, references, ...)
** Aux      memory access: log2 of the natural alignment (i32.load 2, i64.load8_s 0);
**          lane instructions: the number of lanes (i8x16.extract_lane_s 16); else 0
** Feature  FEAT_<proposal> that introduces the instruction
*/
#ifndef KITE_OPCODES_H
#define KITE_OPCODES_H

#include <stddef.h>
#include <stdint.h>

typedef enum kite_imm {
  IMM_NONE,
  IMM_BLOCK,         /* blocktype: block, loop, if, legacy try */
  IMM_TRY_TABLE,     /* blocktype, vec(catch clause) */
  IMM_LABEL,         /* labelidx: br, br_if, br_on_null, br_on_non_null, rethrow, delegate */
  IMM_BR_TABLE,      /* vec(labelidx) labelidx */
  IMM_FUNC,          /* funcidx: call, return_call, ref.func */
  IMM_CALL_INDIRECT, /* typeidx tableidx */
  IMM_TYPE,          /* typeidx: call_ref, struct.new, array.new, array.get, ... */
  IMM_LOCAL,         /* localidx */
  IMM_GLOBAL,        /* globalidx */
  IMM_TABLE,         /* tableidx */
  IMM_MEMORY,        /* memidx: memory.size, memory.grow, memory.fill */
  IMM_TAG,           /* tagidx: throw, legacy catch */
  IMM_MEMARG,        /* align flags (bit 6: memidx follows), [memidx], offset (u64) */
  IMM_MEMARG_LANE,   /* memarg, lane byte */
  IMM_LANE,          /* lane byte */
  IMM_SHUFFLE,       /* 16 lane bytes */
  IMM_I32,           /* s32 */
  IMM_I64,           /* s64 */
  IMM_F32,           /* 4 bytes */
  IMM_F64,           /* 8 bytes */
  IMM_V128,          /* 16 bytes */
  IMM_SELECT_T,      /* vec(valtype) */
  IMM_HEAPTYPE,      /* heaptype: ref.null, ref.test, ref.cast, ref.cast_desc_eq */
  IMM_DATA,          /* dataidx: data.drop */
  IMM_ELEM,          /* elemidx: elem.drop */
  IMM_MEMORY_INIT,   /* dataidx memidx */
  IMM_MEMORY_COPY,   /* memidx memidx */
  IMM_TABLE_INIT,    /* elemidx tableidx */
  IMM_TABLE_COPY,    /* tableidx tableidx */
  IMM_FIELD,         /* typeidx fieldidx: struct.get, struct.set */
  IMM_TYPE_TYPE,     /* typeidx typeidx: array.copy */
  IMM_TYPE_N,        /* typeidx u32: array.new_fixed */
  IMM_TYPE_DATA,     /* typeidx dataidx: array.new_data, array.init_data */
  IMM_TYPE_ELEM,     /* typeidx elemidx: array.new_elem, array.init_elem */
  IMM_BR_ON_CAST,    /* castflags labelidx heaptype heaptype: br_on_cast*, br_on_cast_desc_eq* */
  IMM_ZERO,          /* one reserved 0x00 byte: atomic.fence */
  IMM_COUNT
} kite_imm;

typedef enum kite_feature {
  FEAT_MVP,
  FEAT_SIGN_EXT,
  FEAT_SAT_CONV,
  FEAT_BULK,
  FEAT_REF_TYPES,
  FEAT_SIMD,
  FEAT_RELAXED_SIMD,
  FEAT_TAIL_CALL,
  FEAT_EH,
  FEAT_LEGACY_EH,
  FEAT_FUNC_REFS,
  FEAT_GC,
  FEAT_THREADS,
  FEAT_WIDE_ARITH,
  FEAT_CUSTOM_DESC, /* custom descriptors: exact types, descriptor clauses */
  FEAT_COUNT
} kite_feature;

typedef enum kite_opcode {
#define KITE_OPCODE(id, text, prefix, code, imm, sig, aux, feat) OP_##id,
#include "opcodes.def"
#undef KITE_OPCODE
  OP_COUNT
} kite_opcode;

typedef struct kite_opinfo {
  const char *text;
  uint8_t prefix;
  uint32_t code;
  uint8_t imm; /* kite_imm */
  const char *sig;
  uint8_t aux;
  uint8_t feature; /* kite_feature */
} kite_opinfo;

/* Indexed by kite_opcode. */
extern const kite_opinfo kite_opinfo_table[OP_COUNT];

/*
** Map (prefix, code) to an opcode; returns OP_COUNT when there is none. Prefix 0 means
** a single-byte opcode. Table lookups, no search.
*/
kite_opcode kite_opcode_lookup(uint8_t prefix, uint32_t code);

/*
** Single-byte opcodes by their byte, for the loops that walk code (decoder, validator):
** op1 is the opcode plus one (0: the byte is no single-byte opcode, or is a prefix), with
** the row's immediate kind and feature at hand. Only entries 0..255 are meaningful: the
** table is generated from opcodes.def, where prefixed rows land past the end.
*/
typedef struct kite_byteop {
  uint16_t op1;
  uint8_t imm;     /* kite_imm */
  uint8_t feature; /* kite_feature */
} kite_byteop;
extern const kite_byteop kite_byteop_table[256 + OP_COUNT];

/*
** Map a mnemonic to an opcode (for the text parser); OP_COUNT when unknown. Several
** opcodes share a mnemonic (select, ref.test, ref.cast): the first row is returned and
** the parser picks the variant from the immediates. A linear scan: for bulk parsing use
** the index below.
*/
kite_opcode kite_opcode_by_name(const char *text, size_t len);

/*
** Name index: fill a caller-owned array with all opcodes sorted by mnemonic (build it
** once per parse context), then search it in O(log n). Find returns the same opcode as
** kite_opcode_by_name.
*/
void kite_opname_index_build(kite_opcode out_sorted[OP_COUNT]);
kite_opcode kite_opname_index_find(const kite_opcode sorted[OP_COUNT], const char *text,
                                   size_t len);

#endif
