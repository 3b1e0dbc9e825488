/*
** test_decode.c: the binary decoder. Each error path from hand-built bytes with its
** exact message and byte offset; successful decodes of modules with every section kind;
** instruction reading; and every `module binary` of the official suite (well-formed
** modules decode, assert_malformed ones fail with the expected message).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary.h"
#include "test_util.h"
#include "wast_binary.h"

static kite_alloc alloc;

#define HDR "\0asm\1\0\0\0"
#define BYTES(s) (const uint8_t *)(s), sizeof(s) - 1

static kite_module *decode(const uint8_t *p, size_t n, kite_error *err) {
  kite_error_clear(err);
  return kite_decode(&alloc, p, n, KITE_FEATURES_ALL, NULL, err);
}

static void expect_error_(int line, const uint8_t *p, size_t n, const char *msg, uint64_t offset) {
  kite_error err;
  kite_module *m = decode(p, n, &err);
  test_checks++;
  if (m || strcmp(err.msg, msg) != 0 || err.offset != offset || err.kind != KITE_ERR_COMPILE) {
    test_failures++;
    fprintf(stderr, "test_decode.c:%d: expected '%s' @%llu, got %s '%s' @%llu\n", line, msg,
            (unsigned long long)offset, m ? "success" : "error", m ? "" : err.msg,
            (unsigned long long)err.offset);
  }
  kite_module_free(m);
  if (getenv("DEBUG_ALLOC")) fprintf(stderr, "line %d: %zu\n", line, alloc.bytes);
}
#define EXPECT_ERROR(bytes, msg, offset) expect_error_(__LINE__, BYTES(bytes), msg, offset)

static kite_module *expect_ok_(int line, const uint8_t *p, size_t n) {
  kite_error err;
  kite_module *m = decode(p, n, &err);
  test_checks++;
  if (!m) {
    test_failures++;
    fprintf(stderr, "test_decode.c:%d: unexpected error '%s' @%llu\n", line, err.msg,
            (unsigned long long)err.offset);
  }
  return m;
}
#define EXPECT_OK(bytes) expect_ok_(__LINE__, BYTES(bytes))

static bool name_is(kite_name n, const char *s) {
  return n.len == strlen(s) && memcmp(n.ptr, s, n.len) == 0;
}

static void test_header(void) {
  EXPECT_ERROR("", "unexpected end of section or function", 0);
  EXPECT_ERROR("\0as", "unexpected end of section or function", 3);
  EXPECT_ERROR("asm\0", "magic header not detected", 0);
  EXPECT_ERROR("\0asm\1\0\0", "unexpected end of section or function", 7);
  EXPECT_ERROR("\0asm\2\0\0\0", "unknown binary version", 4);
  EXPECT_ERROR("\0asm\0\0\0\1", "unknown binary version", 4);
  kite_module *m = EXPECT_OK(HDR);
  CHECK(m && m->nsections == 0 && m->len == 8);
  kite_module_free(m);
}

static void test_framing(void) {
  EXPECT_ERROR(HDR "\x0e\x01\x00", "malformed section id", 8);
  EXPECT_ERROR(HDR "\x80\x00", "malformed section id", 8);
  /* out of order, and a repeated section */
  EXPECT_ERROR(HDR "\x03\x01\x00"
                   "\x01\x01\x00",
               "unexpected content after last section", 11);
  EXPECT_ERROR(HDR "\x01\x01\x00"
                   "\x01\x01\x00",
               "unexpected content after last section", 11);
  /* tag goes between memory and global; data count before code */
  kite_module_free(EXPECT_OK(HDR "\x05\x01\x00"
                                 "\x0d\x01\x00"
                                 "\x06\x01\x00"));
  EXPECT_ERROR(HDR "\x06\x01\x00"
                   "\x0d\x01\x00",
               "unexpected content after last section", 11);
  EXPECT_ERROR(HDR "\x0a\x01\x00"
                   "\x0c\x01\x00",
               "unexpected content after last section", 11);
  /* a size beyond the input, counted from the size's own first byte */
  EXPECT_ERROR(HDR "\x01\x06\x01\x60\x00\x00", "length out of bounds", 9);
  /* a size that fits when counted from its own first byte reads on and fails later */
  EXPECT_ERROR(HDR "\x01\x05\x01\x60\x00\x00", "section size mismatch", 10);
  EXPECT_ERROR(HDR "\x01\x80\x80\x80\x80\x10", "integer too large", 13);
  EXPECT_ERROR(HDR "\x01", "unexpected end of section or function", 9);
  /* the section has bytes left over: the mismatch is reported at its first content byte */
  EXPECT_ERROR(HDR "\x01\x05\x01\x60\x00\x00\x00", "section size mismatch", 10);
  /* an entry runs past its section: read on, as the reference interpreter does */
  EXPECT_ERROR(HDR "\x01\x03\x01\x60\x00"
                   "\x00\x01\x00",
               "section size mismatch", 10);
  /* ... and to the end of the input */
  EXPECT_ERROR(HDR "\x01\x04\x02\x60\x00\x00", "unexpected end of section or function", 14);
}

static void test_counts(void) {
  /* function section without code section: reported at the end of the input */
  EXPECT_ERROR(HDR "\x01\x04\x01\x60\x00\x00"
                   "\x03\x02\x01\x00",
               "function and code section have inconsistent lengths", 18);
  /* code section count differs: reported at the count */
  EXPECT_ERROR(HDR "\x01\x04\x01\x60\x00\x00"
                   "\x03\x02\x01\x00"
                   "\x0a\x07\x02\x02\x00\x0b\x02\x00\x0b",
               "function and code section have inconsistent lengths", 20);
  /* ... but a later order error wins, as in the reference interpreter */
  EXPECT_ERROR(HDR "\x01\x04\x01\x60\x00\x00"
                   "\x03\x03\x02\x00\x00"
                   "\x0a\x04\x01\x02\x00\x0b"
                   "\x0a\x04\x01\x02\x00\x0b",
               "unexpected content after last section", 25);
  EXPECT_ERROR(HDR "\x0c\x01\x01", "data count and data section have inconsistent lengths", 11);
  EXPECT_ERROR(HDR "\x0c\x01\x02"
                   "\x0b\x03\x01\x01\x00",
               "data count and data section have inconsistent lengths", 13);
  kite_module_free(EXPECT_OK(HDR "\x0c\x01\x00"));
  /* data.drop of a segment that does not exist is the validator's business */
  kite_module_free(EXPECT_OK(HDR "\x01\x04\x01\x60\x00\x00"
                                 "\x03\x02\x01\x00"
                                 "\x0a\x07\x01\x05\x00\xfc\x09\x05\x0b"));
  /* memory.init without a data count section, at the instruction */
  EXPECT_ERROR(HDR "\x01\x04\x01\x60\x00\x00"
                   "\x03\x02\x01\x00"
                   "\x05\x03\x01\x00\x00"
                   "\x0a\x0e\x01\x0c\x00\x41\x00\x41\x00\x41\x00\xfc\x08\x00\x00\x0b"
                   "\x0b\x03\x01\x01\x00",
               "data count section required", 34);
}

static void test_code(void) {
#define FUNC_PREFIX                                                                                \
  HDR "\x01\x04\x01\x60\x00\x00"                                                                   \
      "\x03\x02\x01\x00"
  /* code section starts at 18: id, size, count 1, then the body size at 21 */
  EXPECT_ERROR(FUNC_PREFIX "\x0a\x06\x01\x04\x00\x00\xff\x0b", "illegal opcode ff", 24);
  EXPECT_ERROR(FUNC_PREFIX "\x0a\x07\x01\x05\x00\xfc\x20\x00\x0b", "illegal opcode fc 20", 23);
  /* else outside if */
  EXPECT_ERROR(FUNC_PREFIX "\x0a\x05\x01\x03\x00\x05\x0b", "END opcode expected", 23);
  /* else twice */
  EXPECT_ERROR(FUNC_PREFIX "\x0a\x0b\x01\x09\x00\x41\x00\x04\x40\x05\x05\x0b\x0b",
               "END opcode expected", 28);
  /* body ends early: the `end` is found past it */
  EXPECT_ERROR(FUNC_PREFIX "\x0a\x05\x01\x02\x00\x01\x0b", "section size mismatch", 22);
  /* missing end at the end of the input */
  EXPECT_ERROR(FUNC_PREFIX "\x0a\x04\x01\x02\x00\x01", "unexpected end of section or function", 24);
  /* too many locals: at the local declarations */
  EXPECT_ERROR(FUNC_PREFIX "\x0a\x0c\x01\x0a\x02\xff\xff\xff\xff\x0f\x7f\x02\x7e\x0b",
               "too many locals", 22);
  EXPECT_ERROR(FUNC_PREFIX "\x0a\x08\x01\x06\x01\xd1\x86\x03\x7f\x0b", "too many locals", 22);
  kite_module *m = EXPECT_OK(FUNC_PREFIX "\x0a\x08\x01\x06\x01\xd0\x86\x03\x7f\x0b");
  CHECK(m && m->funcs[0].nlocals == 50000);
  kite_module_free(m);
  EXPECT_ERROR(FUNC_PREFIX "\x0a\x0a\x01\x08\x00\x41\x00\x28\x80\x01\x00\x0b",
               "malformed memop flags", 26);
  /* nested blocks close in order; body offsets are recorded */
  m = EXPECT_OK(FUNC_PREFIX "\x0a\x0c\x01\x0a\x01\x01\x7f\x02\x40\x03\x40\x0b\x0b\x0b");
  CHECK(m && m->funcs[0].body_offset == 21 && m->funcs[0].code_offset == 25 &&
        m->funcs[0].code_end == 32 && m->funcs[0].nlocalgroups == 1 && m->funcs[0].nlocals == 1);
  kite_module_free(m);
  /* deep nesting costs no C stack */
  {
    enum { DEPTH = 100000 };
    size_t body = 1 + 2 * DEPTH + DEPTH + 1, n = 0;
    uint8_t *b = malloc(64 + body);
    memcpy(b, FUNC_PREFIX, 18);
    n = 18;
    b[n++] = 0x0a;
    size_t sec = 1 + 3 + body;
    b[n++] = (uint8_t)(0x80 | (sec & 0x7f)), b[n++] = (uint8_t)(0x80 | ((sec >> 7) & 0x7f)),
    b[n++] = (uint8_t)(sec >> 14);
    b[n++] = 1;
    b[n++] = (uint8_t)(0x80 | (body & 0x7f)), b[n++] = (uint8_t)(0x80 | ((body >> 7) & 0x7f)),
    b[n++] = (uint8_t)(body >> 14);
    b[n++] = 0;
    for (int i = 0; i < DEPTH; i++) b[n++] = 0x02, b[n++] = 0x40;
    for (int i = 0; i <= DEPTH; i++) b[n++] = 0x0b;
    m = expect_ok_(__LINE__, b, n);
    kite_module_free(m);
    free(b);
  }
#undef FUNC_PREFIX
}

static void test_entries(void) {
  EXPECT_ERROR(HDR "\x02\x04\x01\x00\x00\x05", "malformed import kind", 13);
  EXPECT_ERROR(HDR "\x02\x06\x01\x01\xff\x00\x00\x00", "malformed UTF-8 encoding", 11);
  EXPECT_ERROR(HDR "\x02\x05\x01\x00\x00\x03\x7f", "unexpected end of section or function", 15);
  EXPECT_ERROR(HDR "\x02\x06\x01\x00\x00\x03\x7f\x02", "malformed mutability", 15);
  EXPECT_ERROR(HDR "\x07\x04\x01\x00\x05\x00", "malformed export kind", 12);
  EXPECT_ERROR(HDR "\x05\x03\x01\x10\x00", "malformed limits flags", 11);
  EXPECT_ERROR(HDR "\x04\x03\x01\x70\x02", "malformed limits flags", 12);
  EXPECT_ERROR(HDR "\x04\x03\x01\x7f\x00", "malformed reference type", 11);
  EXPECT_ERROR(HDR "\x06\x06\x01\x7f\x00\x41\x00\x00", "unexpected end of section or function", 16);
  /* constant expressions are walked like code: structure checked, instructions not */
  EXPECT_ERROR(HDR "\x06\x07\x01\x7f\x00\x41\x00\x05\x0b", "END opcode expected", 15);
  kite_module_free(EXPECT_OK(HDR "\x06\x09\x01\x7f\x00\x02\x40\x41\x00\x0b\x0b"));
  EXPECT_ERROR(HDR "\x06\x07\x01\x7f\x00\x41\x00\x0b\x01", "section size mismatch", 10);
  EXPECT_ERROR(HDR "\x09\x02\x01\x08", "malformed elements segment kind", 11);
  EXPECT_ERROR(HDR "\x09\x04\x01\x01\x01\x00", "malformed element kind", 12);
  EXPECT_ERROR(HDR "\x0b\x02\x01\x03", "malformed data segment kind", 11);
  EXPECT_ERROR(HDR "\x01\x03\x01\x5d\x00", "malformed definition type", 11);
  EXPECT_ERROR(HDR "\x01\x04\x01\x5e\x7a\x00", "malformed storage type", 12);
  EXPECT_ERROR(HDR "\x01\x04\x01\x5e\x78\x02", "malformed mutability", 13);
  EXPECT_ERROR(HDR "\x0d\x03\x01\x01\x00", "zero byte expected", 11);
  /* custom section: the name may not run past the section */
  EXPECT_ERROR(HDR "\x00\x00\x00", "unexpected end of section or function", 11);
  EXPECT_ERROR(HDR "\x00\x02\x01\xff", "malformed UTF-8 encoding", 10);
}

/* A module with every section kind, and what the decoder makes of it. */
static const uint8_t full[] = HDR
    /* types: func (i32)->(i64), a rec group {struct (mut i8) (ref null 0); array (mut f32)},
       and a non-final subtype of 0 */
    "\x01\x18\x03"
    "\x60\x01\x7f\x01\x7e"
    "\x4e\x02\x5f\x02\x78\x01\x63\x00\x00\x5e\x7d\x01"
    "\x50\x01\x00\x60\x00\x00"
    /* imports: func, table, memory, global, tag */
    "\x02\x27\x05"
    "\x01"
    "m"
    "\x01"
    "f"
    "\x00\x00"
    "\x01"
    "m"
    "\x01"
    "t"
    "\x01\x70\x00\x01"
    "\x01"
    "m"
    "\x03"
    "mem"
    "\x02\x03\x01\x02"
    "\x01"
    "m"
    "\x01"
    "g"
    "\x03\x7e\x01"
    "\x01"
    "m"
    "\x01"
    "e"
    "\x04\x00\x00"
    /* functions */
    "\x03\x03\x02\x00\x03"
    /* tables: plain, and with an initialiser */
    "\x04\x0d\x02\x6f\x00\x00\x40\x00\x70\x01\x01\x02\xd2\x02\x0b"
    /* memories: i64 with max */
    "\x05\x04\x01\x05\x01\x02"
    /* tags */
    "\x0d\x03\x01\x00\x00"
    /* globals: i32 const, and funcref ref.func 3 */
    "\x06\x0b\x02\x7f\x00\x41\x2a\x0b\x70\x00\xd2\x03\x0b"
    /* exports */
    "\x07\x09\x02\x01\x61\x00\x01\x01\x62\x02\x00"
    /* start */
    "\x08\x01\x01"
    /* elements: all 8 forms */
    "\x09\x32\x08"
    "\x00\x41\x00\x0b\x01\x01"
    "\x01\x00\x01\x02"
    "\x02\x01\x41\x00\x0b\x00\x01\x01"
    "\x03\x00\x01\x02"
    "\x04\x41\x00\x0b\x01\xd2\x01\x0b"
    "\x05\x70\x01\xd0\x70\x0b"
    "\x06\x01\x41\x00\x0b\x70\x01\xd2\x02\x0b"
    "\x07\x70\x00"
    /* data count */
    "\x0c\x01\x03";

static void build_full(kite_buf *b_) {
#define b (*b_)
  kite_buf_put(&b, full, sizeof full - 1);
  kite_buf body;
  kite_buf_init(&body, &alloc);
  kite_buf_put(&body,
               "\x02\x07\x01\x02\x7e\x20\x00\xac\x0b"
               "\x05\x00\xfc\x09\x00\x0b",
               15);
  kite_write_section(&b, KITE_SEC_CODE, &body);
  kite_buf_free(&body);
  kite_buf data;
  kite_buf_init(&data, &alloc);
  kite_buf_put(&data,
               "\x03"
               "\x00\x41\x00\x0b\x02hi"
               "\x01\x01z"
               "\x02\x01\x42\x08\x0b\x00",
               17);
  kite_write_section(&b, KITE_SEC_DATA, &data);
  kite_buf_free(&data);
  kite_buf custom;
  kite_buf_init(&custom, &alloc);
  kite_write_name(&custom, (const uint8_t *)"extra", 5);
  kite_buf_put(&custom, "\x01\x02\x03", 3);
  kite_write_section(&b, KITE_SEC_CUSTOM, &custom);
  kite_buf_free(&custom);
  /* a name section: module "mod", function 1 "f1", local 1.0 "x", global 0 "g" */
  kite_buf names;
  kite_buf_init(&names, &alloc);
  kite_write_name(&names, (const uint8_t *)"name", 4);
  kite_buf_put(&names,
               "\x00\x04\x03mod"
               "\x01\x05\x01\x01\x02\x66\x31"
               "\x02\x06\x01\x01\x01\x00\x01x"
               "\x07\x04\x01\x00\x01g",
               6 + 7 + 8 + 6);
  kite_write_section(&b, KITE_SEC_CUSTOM, &names);
  kite_buf_free(&names);
#undef b
}

static void test_full_module(void) {
  kite_buf b;
  kite_buf_init(&b, &alloc);
  build_full(&b);
  CHECK(!b.oom);

  kite_error err;
  kite_module *m = expect_ok_(__LINE__, b.data, b.len);
  if (!m) {
    kite_buf_free(&b);
    return;
  }
  CHECK(m->ntypes == 4);
  CHECK(m->types[0].comp == KITE_COMP_FUNC && m->types[0].u.func.nparams == 1 &&
        m->types[0].u.func.results[0].kind == KITE_VT_I64 && m->types[0].final &&
        m->types[0].super == KITE_NO_INDEX && m->types[0].rec_count == 1);
  CHECK(m->types[1].comp == KITE_COMP_STRUCT && m->types[1].u.strukt.nfields == 2 &&
        m->types[1].u.strukt.fields[0].type.kind == KITE_VT_I8 &&
        m->types[1].u.strukt.fields[0].mut &&
        m->types[1].u.strukt.fields[1].type.kind == KITE_VT_REF &&
        m->types[1].u.strukt.fields[1].type.ht == 0 &&
        m->types[1].u.strukt.fields[1].type.nullable && m->types[1].rec_first == 1 &&
        m->types[1].rec_count == 2);
  CHECK(m->types[2].comp == KITE_COMP_ARRAY && m->types[2].u.array.type.kind == KITE_VT_F32 &&
        m->types[2].rec_first == 1);
  CHECK(m->types[3].comp == KITE_COMP_FUNC && !m->types[3].final && m->types[3].super == 0);
  CHECK(m->nimports == 5 && name_is(m->imports[2].field, "mem") &&
        name_is(m->imports[0].module, "m"));
  CHECK(m->nfuncs == 3 && m->nimported_funcs == 1 && m->funcs[2].type == 3);
  CHECK(m->ntables == 3 && m->nimported_tables == 1 && !m->tables[0].limits.has_max &&
        m->tables[0].limits.min == 1 && m->tables[1].elem.ht == KITE_HT_EXTERN &&
        !m->tables[1].has_init && m->tables[2].has_init && m->tables[2].limits.min == 1 &&
        m->tables[2].limits.max == 2);
  CHECK(m->nmemories == 2 && m->memories[0].limits.shared && m->memories[0].limits.max == 2 &&
        m->memories[1].limits.is64 && m->memories[1].limits.page_size_log2 == 16);
  CHECK(m->nglobals == 3 && m->globals[0].type.mut && m->globals[0].type.type.kind == KITE_VT_I64 &&
        m->globals[1].init.len == 3 && m->globals[2].type.type.ht == KITE_HT_FUNC);
  CHECK(m->ntags == 2 && m->nimported_tags == 1);
  CHECK(m->nexports == 2 && name_is(m->exports[0].name, "a") &&
        m->exports[1].kind == KITE_EXTERN_MEMORY);
  CHECK(m->has_start && m->start == 1);
  CHECK(m->nelems == 8);
  if (m->nelems == 8) {
    kite_elem *e = m->elems;
    CHECK(e[0].mode == KITE_SEG_ACTIVE && e[0].funcs && e[0].count == 1 && !e[0].type.nullable);
    CHECK(e[1].mode == KITE_SEG_PASSIVE && e[1].funcs[0] == 2);
    CHECK(e[2].mode == KITE_SEG_ACTIVE && e[2].table == 1 && e[2].count == 1);
    CHECK(e[3].mode == KITE_SEG_DECLARATIVE && e[3].funcs[0] == 2);
    CHECK(e[4].exprs && e[4].type.nullable && e[4].type.ht == KITE_HT_FUNC && e[4].count == 1);
    CHECK(e[5].mode == KITE_SEG_PASSIVE && e[5].exprs && e[5].exprs[0].len == 3);
    CHECK(e[6].mode == KITE_SEG_ACTIVE && e[6].table == 1 && e[6].exprs);
    CHECK(e[7].mode == KITE_SEG_DECLARATIVE && e[7].count == 0);
  }
  CHECK(m->has_datacount && m->datacount == 3 && m->ndatas == 3);
  CHECK(m->datas[0].len == 2 && memcmp(m->bytes + m->datas[0].offset_in_bytes, "hi", 2) == 0);
  CHECK(m->datas[1].mode == KITE_SEG_PASSIVE && m->datas[2].memory == 1 && m->datas[2].len == 0);
  CHECK(m->funcs[1].nlocals == 2 && m->funcs[2].nlocals == 0);
  /* declared: exported 1, elements 1 2 and ref.func 1 2, global ref.func 3, table init 2 */
  CHECK(m->ndeclared_funcs == 3 && m->declared_funcs[0] == 1 && m->declared_funcs[1] == 2 &&
        m->declared_funcs[2] == 3);
  CHECK(m->ncustoms == 2 && name_is(m->customs[0].name, "extra") && m->customs[0].len == 3 &&
        m->customs[0].after == KITE_SEC_DATA);
  CHECK(m->has_names && m->names.has_module && name_is(m->names.module, "mod"));
  CHECK(m->has_names && m->names.maps[KITE_NAMES_FUNC].count == 1 &&
        name_is(*kite_namemap_find(&m->names.maps[KITE_NAMES_FUNC], 1), "f1"));
  CHECK(m->has_names && m->names.indirect[KITE_NAMES_LOCAL].count == 1 &&
        name_is(m->names.indirect[KITE_NAMES_LOCAL].entries[0].map.names[0].name, "x"));
  CHECK(m->has_names && kite_namemap_find(&m->names.maps[KITE_NAMES_GLOBAL], 0) != NULL);
  /* section table */
  CHECK(m->nsections == 15);
  CHECK(m->sections[0].id == KITE_SEC_TYPE && m->sections[0].offset == 8 &&
        m->sections[0].start == 10 && m->sections[0].size == 0x18 && m->sections[0].count == 3);
  CHECK(m->sections[14].id == KITE_SEC_CUSTOM && m->sections[13].id == KITE_SEC_CUSTOM &&
        m->sections[12].id == KITE_SEC_DATA && m->sections[12].count == 3);
  kite_module_free(m);

  /* a malformed name section is ignored */
  size_t at = b.len - 27 + 3; /* the first byte of the module name "mod" */
  b.data[at] = 0xff;
  m = decode(b.data, b.len, &err);
  CHECK(m && !m->has_names && m->ncustoms == 2);
  kite_module_free(m);
  kite_buf_free(&b);
}

static void test_read_insn(void) {
  kite_error err;
  kite_error_clear(&err);
  static const uint8_t code[] = {
      0x0e, 0x02, 0x00, 0x01, 0x02,                   /* br_table 0 1 2 */
      0x1f, 0x40, 0x02, 0x00, 0x05, 0x00, 0x02, 0x01, /* try_table (catch 5 0) (catch_all 1) */
      0x28, 0x42, 0x03, 0x10,                         /* i32.load align=4 mem 3 offset 16 */
      0xfd, 0x0c, 1,    2,    3,    4,    5,    6,    7,
      8,    9,    10,   11,   12,   13,   14,   15,   16, /* v128.const */
      0x1c, 0x01, 0x7e,                                   /* select (result i64) */
      0xfb, 0x18, 0x03, 0x00, 0x6e, 0x00,                 /* br_on_cast 0 anyref (ref null 0) */
      0x43, 0x00, 0x00, 0x80, 0x3f,                       /* f32.const 1.0 */
  };
  kite_reader r = {code, code, code + sizeof code, &err};
  kite_insn in;
  CHECK(kite_read_insn(&r, KITE_FEATURES_ALL, &in) && in.op == OP_BR_TABLE && in.count == 2 &&
        in.idx == 2 && in.items.p == code + 2 && in.items.end == code + 4 && in.offset == 0);
  uint32_t l;
  CHECK(kite_read_u32(&in.items, &l) && l == 0 && kite_read_u32(&in.items, &l) && l == 1);
  CHECK(kite_read_insn(&r, KITE_FEATURES_ALL, &in) && in.op == OP_TRY_TABLE && in.count == 2 &&
        in.bt.kind == KITE_BT_EMPTY);
  kite_catch c;
  CHECK(kite_read_catch(&in.items, &c) && c.kind == KITE_CATCH && c.tag == 5 && c.label == 0);
  CHECK(kite_read_catch(&in.items, &c) && c.kind == KITE_CATCH_ALL && c.label == 1);
  CHECK(kite_read_insn(&r, KITE_FEATURES_ALL, &in) && in.op == OP_I32_LOAD && in.mem.align == 2 &&
        in.mem.mem == 3 && in.mem.offset == 16);
  CHECK(kite_read_insn(&r, KITE_FEATURES_ALL, &in) && in.op == OP_V128_CONST && in.bytes[15] == 16);
  CHECK(kite_read_insn(&r, KITE_FEATURES_ALL, &in) && in.op == OP_SELECT_T && in.count == 1 &&
        in.vt.kind == KITE_VT_I64);
  CHECK(kite_read_insn(&r, KITE_FEATURES_ALL, &in) && in.op == OP_BR_ON_CAST && in.flags == 3 &&
        in.ht == KITE_HT_ANY && in.ht2 == 0);
  CHECK(kite_read_insn(&r, KITE_FEATURES_ALL, &in) && in.op == OP_F32_CONST &&
        in.val.f32 == 0x3f800000u);
  CHECK(r.p == r.end);
  /* instructions of a disabled feature are illegal */
  static const uint8_t simd[] = {0xfd, 0x0f};
  kite_reader r2 = {simd, simd, simd + 2, &err};
  CHECK(!kite_read_insn(&r2, KITE_FEATURES_2_0 & ~KITE_FEATURE_BIT(FEAT_SIMD), &in) &&
        strcmp(err.msg, "illegal opcode fd 0f") == 0 && err.offset == 0);
}

/* ---- hostile input, limits, allocation failures ---- */

/* Large counts and lengths in a small module are rejected before anything that size is
   allocated: with a 256 KiB allocation limit, decoding fails as malformed, never OOM. */
static void test_hostile(void) {
  static const struct {
    const char *bytes;
    size_t n;
    const char *msg;
  } cases[] = {
#define CASE(s, msg) {s, sizeof(s) - 1, msg}
      CASE(HDR "\x01\x05\xff\xff\xff\xff\x0f", "length out of bounds"),
      CASE(HDR "\x01\x06\x01\x60\xff\xff\xff\x0f", "length out of bounds"),
      CASE(HDR "\x01\x07\x01\x4e\xff\xff\xff\xff\x0f", "length out of bounds"),
      CASE(HDR "\x01\x07\x01\x5f\xff\xff\xff\xff\x0f", "length out of bounds"),
      CASE(HDR "\x02\x05\xff\xff\xff\xff\x0f", "length out of bounds"),
      CASE(HDR "\x03\x05\xff\xff\xff\xff\x0f", "length out of bounds"),
      CASE(HDR "\x09\x07\x01\x01\x00\xff\xff\xff\x0f", "length out of bounds"),
      CASE(HDR "\x0b\x07\x01\x01\xff\xff\xff\xff\x0f", "length out of bounds"),
      CASE(HDR "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x08\x01\x06\xff\xff\xff\xff\x0f",
           "length out of bounds"),
      CASE(HDR "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00"
               "\x0a\x0d\x01\x0b\x02\xff\xff\xff\xff\x0f\x7f\xff\xff\xff\xff\x0f\x7e",
           "too many locals"),
      CASE(HDR "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00"
               "\x0a\x0a\x01\x08\x00\x0e\xff\xff\xff\xff\x0f\x0b",
           "length out of bounds"),
#undef CASE
  };
  kite_alloc limited;
  kite_alloc_init(&limited, NULL, NULL);
  limited.limit = 256 * 1024;
  for (size_t i = 0; i < KITE_ARRAY_LEN(cases); i++) {
    kite_error err;
    kite_error_clear(&err);
    kite_module *m = kite_decode(&limited, (const uint8_t *)cases[i].bytes, cases[i].n,
                                 KITE_FEATURES_ALL, NULL, &err);
    CHECK_MSG(!m && err.kind == KITE_ERR_COMPILE && strcmp(err.msg, cases[i].msg) == 0,
              "case %zu: %s", i, err.msg);
    kite_module_free(m);
  }
  CHECK(limited.bytes == 0);
}

static void expect_limit(const uint8_t *p, size_t n, kite_decode_limits lim, const char *msg,
                         uint64_t offset) {
  kite_error err;
  kite_error_clear(&err);
  kite_module *m = kite_decode(&alloc, p, n, KITE_FEATURES_ALL, &lim, &err);
  CHECK_MSG(!m && strcmp(err.msg, msg) == 0 && err.offset == offset, "%s: got '%s' @%llu", msg,
            err.msg, (unsigned long long)err.offset);
  kite_module_free(m);
}

static void test_limits(void) {
  kite_buf b;
  kite_buf_init(&b, &alloc);
  build_full(&b);
  kite_decode_limits lim;
  memset(&lim, 0, sizeof lim);
  lim.max_types = 3;
  expect_limit(b.data, b.len, lim, "too many types", 10);
  memset(&lim, 0, sizeof lim);
  lim.max_rec_size = 1;
  expect_limit(b.data, b.len, lim, "too many types", 17);
  memset(&lim, 0, sizeof lim);
  lim.max_fields = 1;
  expect_limit(b.data, b.len, lim, "too many fields", 19);
  memset(&lim, 0, sizeof lim);
  lim.max_imports = 4;
  expect_limit(b.data, b.len, lim, "too many imports", 36);
  memset(&lim, 0, sizeof lim);
  lim.max_funcs = 2;
  expect_limit(b.data, b.len, lim, "too many functions", 77);
  memset(&lim, 0, sizeof lim);
  lim.max_tables = 2;
  expect_limit(b.data, b.len, lim, "too many tables", 82);
  memset(&lim, 0, sizeof lim);
  lim.max_locals = 1;
  /* at the local declarations of the first body (after its 1-byte size) */
  kite_error err;
  kite_module *m = decode(b.data, b.len, &err);
  CHECK(m != NULL);
  if (m) expect_limit(b.data, b.len, lim, "too many locals", m->funcs[1].body_offset + 1);
  kite_module_free(m);
  memset(&lim, 0, sizeof lim);
  lim.max_module_size = 100;
  expect_limit(b.data, b.len, lim, "module too large", 0);
  kite_buf_free(&b);
}

/* Fail the 1st, 2nd, ... allocation: each failure is an OOM error, nothing leaks, and
   once no allocation fails the module decodes (whole and streamed). */
static void test_alloc_failures(void) {
  kite_buf b;
  kite_buf_init(&b, &alloc);
  build_full(&b);
  for (int streamed = 0; streamed < 2; streamed++) {
    bool decoded = false;
    for (uint64_t n = 1; n < 10000 && !decoded; n++) {
      kite_alloc a;
      kite_alloc_init(&a, NULL, NULL);
      a.fail_at = n;
      kite_error err;
      kite_error_clear(&err);
      kite_module *m;
      if (!streamed) {
        m = kite_decode(&a, b.data, b.len, KITE_FEATURES_ALL, NULL, &err);
      } else {
        kite_decoder *d = kite_decoder_new(&a, KITE_FEATURES_ALL, NULL);
        for (size_t i = 0; d && i < b.len; i += 7)
          if (!kite_decoder_feed(d, b.data + i, b.len - i < 7 ? b.len - i : 7, &err)) break;
        m = kite_decoder_finish(d, &err);
      }
      decoded = m != NULL;
      CHECK_MSG(m || err.kind == KITE_ERR_OOM, "allocation %llu: %s", (unsigned long long)n,
                err.msg);
      kite_module_free(m);
      CHECK_MSG(a.bytes == 0, "allocation %llu: %zu bytes leaked", (unsigned long long)n, a.bytes);
    }
    CHECK(decoded);
  }
  kite_buf_free(&b);
}

/* ---- the suite's binary modules ---- */

static int suite_checked, suite_failed;

static void check_suite_module(const char *file, int line, const uint8_t *bytes, size_t n,
                               const char *expect /* NULL: must decode */) {
  kite_features fs = wast_features(file);
  kite_error err;
  kite_error_clear(&err);
  kite_module *m = kite_decode(&alloc, bytes, n, fs, NULL, &err);
  /* The suite's runner compares messages by prefix ("unexpected end" accepts
     "unexpected end of section or function"). */
  bool ok = expect ? !m && strncmp(err.msg, expect, strlen(expect)) == 0 : m != NULL;
  suite_checked++;
  test_checks++;
  if (!ok) {
    suite_failed++;
    test_failures++;
    fprintf(stderr, "%s:%d: expected %s%s%s, got %s%s\n", file, line, expect ? "'" : "success",
            expect ? expect : "", expect ? "'" : "", m ? "success" : "error: ", m ? "" : err.msg);
  }
  kite_module_free(m);
}

static void on_module(void *ud, const char *file, int line, const uint8_t *bytes, size_t n,
                      const char *expect) {
  (void)ud;
  check_suite_module(file, line, bytes, n, expect);
}

static void test_suite(void) {
  const char *dir = test_suite_dir();
  if (!dir) return;
  int files = wast_suite_binary_modules(&alloc, dir, on_module, NULL);
  CHECK(files > 0);
  printf("suite binary modules: %d files, %d modules checked, %d failed\n", files, suite_checked,
         suite_failed);
}

int main(void) {
  kite_alloc_init(&alloc, NULL, NULL);
  void (*tests[])(void) = {test_header,  test_framing,        test_counts,    test_code,
                           test_entries, test_full_module,    test_read_insn, test_hostile,
                           test_limits,  test_alloc_failures, test_suite};
  for (size_t i = 0; i < KITE_ARRAY_LEN(tests); i++) {
    tests[i]();
    CHECK_MSG(alloc.bytes == 0, "test %zu leaves %zu bytes allocated", i, alloc.bytes);
  }
  CHECK(alloc.bytes == 0); /* everything freed */
  return test_finish("test_decode");
}
