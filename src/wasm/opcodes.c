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

/*
** One switch over (prefix << 16 | code): the compiler turns it into jump tables, and a
** duplicated encoding in opcodes.def is a compile error (duplicate case label).
*/
kite_opcode kite_opcode_lookup(uint8_t prefix, uint32_t code) {
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
