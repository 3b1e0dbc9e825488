/*
** opcodes.c: the instruction table and the two lookups (by encoding, by mnemonic),
** all generated from opcodes.def. Everything here is const: no global mutable state.
*/
#include "opcodes.h"

#include <stdlib.h>
#include <string.h>

const kite_opinfo kite_opinfo_table[OP_COUNT] = {
#define KITE_OPCODE(id, text, prefix, code, imm, sig, aux, feat) \
  {text, prefix, code, imm, sig, aux, feat},
#include "opcodes.def"
#undef KITE_OPCODE
};

/* Mnemonic lengths, so the name searches need no strlen. */
static const uint8_t opname_len[OP_COUNT] = {
#define KITE_OPCODE(id, text, prefix, code, imm, sig, aux, feat) sizeof(text) - 1,
#include "opcodes.def"
#undef KITE_OPCODE
};

/* Prefixed rows go to a slot of their own past 256, so no two rows share an index and a
   duplicated single-byte encoding is an initializer override (a -Woverride-init warning). */
const kite_byteop kite_byteop_table[256 + OP_COUNT] = {
#define KITE_OPCODE(id, text, prefix, code, imm, sig, aux, feat) \
  [(prefix) == 0 ? (code) : 256 + OP_##id] = {OP_##id + 1, imm, feat},
#include "opcodes.def"
#undef KITE_OPCODE
};

/* Per prefix (0xFB..0xFE), the opcode plus one of each code below PREFIXED_CODES, laid
   out as the byte table above. */
#define PREFIXED_CODES 512
static const uint16_t prefixed_table[4 * PREFIXED_CODES + OP_COUNT] = {
#define KITE_OPCODE(id, text, prefix, code, imm, sig, aux, feat)                 \
  [(prefix) >= 0xFB && (code) < PREFIXED_CODES ? ((prefix) - 0xFB) * PREFIXED_CODES + (code) \
                                               : 4 * PREFIXED_CODES + OP_##id] = OP_##id + 1,
#include "opcodes.def"
#undef KITE_OPCODE
};

/*
** Table lookups; a prefixed code too large for the tables (none is, today) falls back to
** one switch over (prefix << 16 | code): the compiler turns it into jump tables, and a
** duplicated encoding in opcodes.def is a compile error (duplicate case label).
*/
static kite_opcode from_op1(unsigned op1) { return op1 ? (kite_opcode)(op1 - 1) : OP_COUNT; }

kite_opcode kite_opcode_lookup(uint8_t prefix, uint32_t code) {
  if (prefix == 0) return code < 256 ? from_op1(kite_byteop_table[code].op1) : OP_COUNT;
  if (prefix >= 0xFB && prefix <= 0xFE && code < PREFIXED_CODES)
    return from_op1(prefixed_table[(prefix - 0xFB) * PREFIXED_CODES + code]);
  if (code > 0xFFFF) return OP_COUNT;
  switch (((uint32_t)prefix << 16) | code) {
#define KITE_OPCODE(id, text, prefix, code, imm, sig, aux, feat) \
  case ((uint32_t)(prefix) << 16) | (code): return OP_##id;
#include "opcodes.def"
#undef KITE_OPCODE
  default: return OP_COUNT;
  }
}

kite_opcode kite_opcode_by_name(const char *text, size_t len) {
  if (len == 0 || len > UINT8_MAX) return OP_COUNT;
  for (unsigned i = 0; i < OP_COUNT; i++) {
    if (opname_len[i] == len && kite_opinfo_table[i].text[0] == text[0] &&
        memcmp(kite_opinfo_table[i].text, text, len) == 0)
      return (kite_opcode)i;
  }
  return OP_COUNT;
}

/* Compare a mnemonic with a (text, len) key, as memcmp would order them. */
static int opname_cmp(kite_opcode op, const char *text, size_t len) {
  size_t n = opname_len[op];
  int c = memcmp(kite_opinfo_table[op].text, text, n < len ? n : len);
  if (c != 0) return c;
  return (n > len) - (n < len);
}

/* Ties (shared mnemonics) keep table order, so the search can return the first row. */
static int opname_qsort_cmp(const void *a, const void *b) {
  kite_opcode x = *(const kite_opcode *)a, y = *(const kite_opcode *)b;
  int c = opname_cmp(x, kite_opinfo_table[y].text, opname_len[y]);
  if (c != 0) return c;
  return (x > y) - (x < y);
}

void kite_opname_index_build(kite_opcode out_sorted[OP_COUNT]) {
  for (unsigned i = 0; i < OP_COUNT; i++) out_sorted[i] = (kite_opcode)i;
  qsort(out_sorted, OP_COUNT, sizeof out_sorted[0], opname_qsort_cmp);
}

kite_opcode kite_opname_index_find(const kite_opcode sorted[OP_COUNT], const char *text,
                                   size_t len) {
  /* Lower bound: the first entry not less than the key. */
  size_t lo = 0, hi = OP_COUNT;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (opname_cmp(sorted[mid], text, len) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < OP_COUNT && opname_cmp(sorted[lo], text, len) == 0) return sorted[lo];
  return OP_COUNT;
}
