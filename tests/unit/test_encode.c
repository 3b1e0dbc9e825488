/*
** test_encode.c: the encoder is the inverse of the reader. For every row of the
** instruction table: build an instruction with sample immediates of its IMM_* kind,
** write it, read it back, and compare; the same for value types, heap types, names and
** sections.
*/
#include <stdio.h>
#include <string.h>

#include "binary.h"
#include "test_util.h"

static kite_alloc alloc;

/* Bytes for the vector immediates, read by the items reader. */
static const uint8_t br_table_items[] = {0x00, 0x85, 0x01, 0x02}; /* 0 133 2 */
/* (catch 7 1) (catch_ref 3 0) (catch_all 2) */
static const uint8_t catch_items[] = {0x00, 0x07, 0x01, 0x01, 0x03, 0x00, 0x02, 0x02};
static const uint8_t select_items[] = {0x63, 0x05}; /* (ref null 5) */

static void sample(kite_insn *in, kite_opcode op, int variant) {
  memset(in, 0, sizeof *in);
  in->op = op;
  uint32_t big = variant ? 0xFFFFFFFFu : 3;
  switch ((kite_imm)kite_opinfo_table[op].imm) {
  case IMM_BLOCK:
  case IMM_TRY_TABLE:
    if (variant == 0) {
      in->bt.kind = KITE_BT_EMPTY;
    } else if (variant == 1) {
      in->bt.kind = KITE_BT_VAL;
      in->bt.val = kite_vt_ref(KITE_HT_ANY, false);
    } else {
      in->bt.kind = KITE_BT_INDEX;
      in->bt.index = 70000;
    }
    if (kite_opinfo_table[op].imm == IMM_TRY_TABLE) {
      in->count = 3;
      in->items = (kite_reader){catch_items, catch_items, catch_items + sizeof catch_items, NULL};
    }
    break;
  case IMM_BR_TABLE:
    in->count = 3;
    in->idx = big;
    in->items =
        (kite_reader){br_table_items, br_table_items, br_table_items + sizeof br_table_items, NULL};
    break;
  case IMM_SELECT_T:
    in->count = 1;
    if (variant) {
      in->items =
          (kite_reader){select_items, select_items, select_items + sizeof select_items, NULL};
      in->vt = kite_vt_ref(5, true);
    } else {
      in->vt = kite_vt(KITE_VT_V128); /* given in vt only: the writer encodes it */
    }
    break;
  case IMM_MEMARG:
  case IMM_MEMARG_LANE:
    in->mem.align = variant ? 4 : 2;
    in->mem.mem = variant ? 77 : 0;
    in->mem.offset = variant ? 0xFFFFFFFFFFFFull : 16;
    in->lane = 7;
    break;
  case IMM_LANE: in->lane = 15; break;
  case IMM_SHUFFLE:
  case IMM_V128:
    for (int i = 0; i < 16; i++) in->bytes[i] = (uint8_t)(i * 17 + variant);
    break;
  case IMM_I32: in->val.i32 = variant ? INT32_MIN : -1; break;
  case IMM_I64: in->val.i64 = variant ? INT64_MIN : 0x123456789abcll; break;
  case IMM_F32: in->val.f32 = variant ? 0x7fc00001u : 0x3f800000u; break;
  case IMM_F64: in->val.f64 = variant ? 0xfff0000000000001ull : 0x3ff0000000000000ull; break;
  case IMM_HEAPTYPE: in->ht = variant ? 123456 : KITE_HT_NOEXN; break;
  case IMM_BR_ON_CAST:
    in->flags = (uint8_t)(variant ? 3 : 1);
    in->idx = 2;
    in->ht = KITE_HT_EQ;
    in->ht2 = variant ? 9 : KITE_HT_I31;
    break;
  case IMM_ZERO:
  case IMM_NONE: break;
  case IMM_TYPE_N:
    in->idx = big;
    in->count = 1000;
    break;
  default: /* one or two indices */
    in->idx = big;
    in->idx2 = variant ? 65 : 1;
    break;
  }
}

static bool same_insn(const kite_insn *a, const kite_insn *b) {
  if (a->op != b->op) return false;
  switch ((kite_imm)kite_opinfo_table[a->op].imm) {
  case IMM_BLOCK:
    return a->bt.kind == b->bt.kind && kite_vt_eq(a->bt.val, b->bt.val) &&
           a->bt.index == b->bt.index;
  case IMM_TRY_TABLE:
  case IMM_BR_TABLE:
    return a->count == b->count && a->idx == b->idx && a->bt.kind == b->bt.kind &&
           a->bt.index == b->bt.index && kite_vt_eq(a->bt.val, b->bt.val) &&
           b->items.end - b->items.p == a->items.end - a->items.p &&
           memcmp(a->items.p, b->items.p, (size_t)(a->items.end - a->items.p)) == 0;
  case IMM_SELECT_T: return a->count == b->count && kite_vt_eq(a->vt, b->vt);
  case IMM_MEMARG:
    return a->mem.align == b->mem.align && a->mem.mem == b->mem.mem &&
           a->mem.offset == b->mem.offset;
  case IMM_MEMARG_LANE:
    return a->mem.align == b->mem.align && a->mem.mem == b->mem.mem &&
           a->mem.offset == b->mem.offset && a->lane == b->lane;
  case IMM_LANE: return a->lane == b->lane;
  case IMM_SHUFFLE:
  case IMM_V128: return memcmp(a->bytes, b->bytes, 16) == 0;
  case IMM_I32: return a->val.i32 == b->val.i32;
  case IMM_I64: return a->val.i64 == b->val.i64;
  case IMM_F32: return a->val.f32 == b->val.f32;
  case IMM_F64: return a->val.f64 == b->val.f64;
  case IMM_HEAPTYPE: return a->ht == b->ht;
  case IMM_BR_ON_CAST:
    return a->flags == b->flags && a->idx == b->idx && a->ht == b->ht && a->ht2 == b->ht2;
  case IMM_ZERO:
  case IMM_NONE: return true;
  case IMM_TYPE_N: return a->idx == b->idx && a->count == b->count;
  case IMM_CALL_INDIRECT:
  case IMM_MEMORY_INIT:
  case IMM_MEMORY_COPY:
  case IMM_TABLE_INIT:
  case IMM_TABLE_COPY:
  case IMM_FIELD:
  case IMM_TYPE_TYPE:
  case IMM_TYPE_DATA:
  case IMM_TYPE_ELEM: return a->idx == b->idx && a->idx2 == b->idx2;
  default: return a->idx == b->idx;
  }
}

static void test_every_opcode(void) {
  int rows = 0;
  for (unsigned op = 0; op < OP_COUNT; op++) {
    for (int variant = 0; variant < 3; variant++) {
      kite_insn in, out;
      sample(&in, (kite_opcode)op, variant);
      kite_buf b;
      kite_buf_init(&b, &alloc);
      CHECK(kite_write_insn(&b, &in));
      kite_error err;
      kite_error_clear(&err);
      kite_reader r = {b.data, b.data, b.data + b.len, &err};
      bool ok = kite_read_insn(&r, KITE_FEATURES_ALL, &out);
      CHECK_MSG(ok && r.p == r.end && same_insn(&in, &out), "%s (variant %d): %s",
                kite_opinfo_table[op].text, variant, ok ? "differs" : err.msg);
      /* and writing what was read gives the same bytes */
      kite_buf b2;
      kite_buf_init(&b2, &alloc);
      CHECK(ok && kite_write_insn(&b2, &out) && b2.len == b.len &&
            memcmp(b.data, b2.data, b.len) == 0);
      kite_buf_free(&b2);
      kite_buf_free(&b);
    }
    rows++;
  }
  printf("opcode rows round-tripped: %d\n", rows);
}

static void test_types(void) {
  kite_valtype types[] = {
      kite_vt(KITE_VT_I32),
      kite_vt(KITE_VT_I64),
      kite_vt(KITE_VT_F32),
      kite_vt(KITE_VT_F64),
      kite_vt(KITE_VT_V128),
      kite_vt_ref(KITE_HT_FUNC, true),
      kite_vt_ref(KITE_HT_EXTERN, true),
      kite_vt_ref(KITE_HT_FUNC, false),
      kite_vt_ref(0, true),
      kite_vt_ref(1000000, false),
      kite_vt_ref(KITE_HT_NOEXN, true),
      kite_vt_ref(KITE_HT_ARRAY, false),
  };
  for (size_t i = 0; i < KITE_ARRAY_LEN(types); i++) {
    kite_buf b;
    kite_buf_init(&b, &alloc);
    CHECK(kite_write_valtype(&b, types[i]));
    kite_error err;
    kite_error_clear(&err);
    kite_reader r = {b.data, b.data, b.data + b.len, &err};
    kite_valtype t;
    CHECK_MSG(kite_read_valtype(&r, KITE_FEATURES_ALL, &t) && kite_vt_eq(t, types[i]) &&
                  r.p == r.end,
              "type %zu: %s", i, err.msg);
    kite_buf_free(&b);
  }
  /* shorthands are used for nullable abstract references */
  kite_buf b;
  kite_buf_init(&b, &alloc);
  kite_write_valtype(&b, kite_vt_ref(KITE_HT_ANY, true));
  kite_write_valtype(&b, kite_vt_ref(KITE_HT_ANY, false));
  kite_write_heaptype(&b, 64, false); /* needs two bytes as an s33 */
  CHECK(b.len == 5 && b.data[0] == 0x6E && b.data[1] == 0x64 && b.data[2] == 0x6E &&
        b.data[3] == 0xC0 && b.data[4] == 0x00);
  kite_buf_free(&b);
}

static void test_sections(void) {
  kite_buf content, b;
  kite_buf_init(&content, &alloc);
  kite_buf_init(&b, &alloc);
  CHECK(kite_write_name(&content, (const uint8_t *)"hi\0x", 4));
  for (int i = 0; i < 200; i++) kite_buf_byte(&content, (uint8_t)i);
  kite_buf_put(&b, "\0asm\1\0\0\0", 8);
  CHECK(kite_write_section(&b, KITE_SEC_CUSTOM, &content));
  CHECK(b.len == 8 + 1 + 2 + 5 + 200 && b.data[8] == 0 && b.data[9] == 0xCD && b.data[10] == 0x01);
  kite_error err;
  kite_error_clear(&err);
  kite_module *m = kite_decode(&alloc, b.data, b.len, KITE_FEATURES_ALL, NULL, &err);
  CHECK(m && m->ncustoms == 1 && m->customs[0].name.len == 4 &&
        memcmp(m->customs[0].name.ptr, "hi\0x", 4) == 0 && m->customs[0].len == 200);
  kite_module_free(m);
  kite_buf_free(&content);
  kite_buf_free(&b);
  CHECK(strcmp(kite_section_name(KITE_SEC_TYPE), "Type") == 0);
  CHECK(strcmp(kite_section_name(KITE_SEC_DATACOUNT), "DataCount") == 0);
  CHECK(strcmp(kite_section_name(KITE_SEC_TAG), "Tag") == 0);
  CHECK(strcmp(kite_section_name(99), "Unknown") == 0);
}

/* A failing allocation makes every writer report false (the buffer is sticky). */
static void test_oom(void) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  a.fail_at = 1;
  kite_buf b;
  kite_buf_init(&b, &a);
  kite_insn in;
  sample(&in, OP_I32_CONST, 0);
  CHECK(!kite_write_insn(&b, &in));
  CHECK(!kite_write_valtype(&b, kite_vt(KITE_VT_I32)));
  kite_buf_free(&b);
  CHECK(a.bytes == 0);
}

int main(void) {
  kite_alloc_init(&alloc, NULL, NULL);
  test_every_opcode();
  test_types();
  test_sections();
  test_oom();
  CHECK(alloc.bytes == 0);
  return test_finish("test_encode");
}
