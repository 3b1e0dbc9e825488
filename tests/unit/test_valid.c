/*
** test_valid.c: the validator, on modules assembled here byte by byte: for each rule a
** valid case and an invalid one with the suite's exact message.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "valid.h"

/* ---- assembling modules ---- */

typedef struct mbuf {
  uint8_t b[8192];
  size_t n;
} mbuf;

static void put(mbuf *m, const void *p, size_t n) {
  if (m->n + n > sizeof m->b) return;
  memcpy(m->b + m->n, p, n);
  m->n += n;
}
static void put_byte(mbuf *m, uint8_t c) { put(m, &c, 1); }
static void put_uleb(mbuf *m, uint64_t v) {
  do {
    uint8_t c = v & 0x7F;
    v >>= 7;
    put_byte(m, c | (v ? 0x80 : 0));
  } while (v);
}
static void begin(mbuf *m) {
  m->n = 0;
  put(m, "\0asm\1\0\0\0", 8);
}
static void section(mbuf *m, uint8_t id, const void *content, size_t n) {
  put_byte(m, id);
  put_uleb(m, n);
  put(m, content, n);
}
/* A section from a string literal of its contents. */
#define SEC(m, id, lit) section((m), (id), (lit), sizeof(lit) - 1)

/* A code section with one body: local declarations and instructions. */
static void code1(mbuf *m, const void *locals, size_t nl, const void *instrs, size_t ni) {
  mbuf body = {{0}, 0}, sec = {{0}, 0};
  put(&body, locals, nl);
  put(&body, instrs, ni);
  put_byte(&sec, 1);
  put_uleb(&sec, body.n);
  put(&sec, body.b, body.n);
  section(m, 10, sec.b, sec.n);
}

static kite_features feats = KITE_FEATURES_ALL;

/* Decode and validate; `want` NULL means valid, else the expected message prefix. */
static void expect_at(const mbuf *m, const char *want, int line) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_error err;
  kite_error_clear(&err);
  kite_module *mod = kite_decode(&a, m->b, m->n, feats, NULL, &err);
  if (!mod) {
    test_checks++;
    test_failures++;
    fprintf(stderr, "%s:%d: decode failed: %s\n", __FILE__, line, err.msg);
    return;
  }
  bool ok = kite_validate_module(mod, feats, &err);
  kite_module_free(mod);
  test_checks++;
  if (want == NULL && !ok) {
    test_failures++;
    fprintf(stderr, "%s:%d: expected valid, got \"%s\" at %llu\n", __FILE__, line, err.msg,
            (unsigned long long)err.offset);
  } else if (want && ok) {
    test_failures++;
    fprintf(stderr, "%s:%d: expected \"%s\", got valid\n", __FILE__, line, want);
  } else if (want && (strncmp(err.msg, want, strlen(want)) != 0 || err.kind != KITE_ERR_COMPILE ||
                      err.code != KITE_COMPILE_INVALID)) {
    test_failures++;
    fprintf(stderr, "%s:%d: expected \"%s\", got \"%s\" (kind %d code %d)\n", __FILE__, line, want,
            err.msg, err.kind, err.code);
  }
  if (a.bytes != 0) {
    test_failures++;
    fprintf(stderr, "%s:%d: %zu bytes leaked\n", __FILE__, line, a.bytes);
  }
}
#define EXPECT(m, want) expect_at((m), (want), __LINE__)

/*
** The standard environment for instruction tests:
**   types 0: [] -> []   1: the function's own type   2: [i32] -> [i32]
**   func 0: type 1 (the body under test); func 1: type 2
**   table 0: 1 funcref; memory 0: 1 page; tag 0: type 0
**   global 0: mut i32; global 1: i64 (immutable); global 2: (ref null func)
**   elem 0: declarative, func 0 (declares it for ref.func); elem 1: passive externref
**   data count 1, data 0: passive
*/
static void env(mbuf *m, const void *functype, size_t ft_len, const void *locals, size_t nl,
                const void *instrs, size_t ni) {
  mbuf types = {{0}, 0};
  put_byte(&types, 3);
  put(&types, "\x60\x00\x00", 3);
  put(&types, functype, ft_len);
  put(&types, "\x60\x01\x7f\x01\x7f", 5);
  begin(m);
  section(m, 1, types.b, types.n);
  SEC(m, 3, "\x02\x01\x02");
  SEC(m, 4, "\x01\x70\x00\x01");
  SEC(m, 5, "\x01\x00\x01");
  SEC(m, 13, "\x01\x00\x00");
  SEC(m, 6, "\x03\x7f\x01\x41\x00\x0b\x7e\x00\x42\x00\x0b\x70\x00\xd0\x70\x0b");
  SEC(m, 9, "\x02\x03\x00\x01\x00\x05\x6f\x00");
  SEC(m, 12, "\x01");
  mbuf sec = {{0}, 0}, body = {{0}, 0};
  put(&body, locals, nl);
  put(&body, instrs, ni);
  put_byte(&sec, 2);
  put_uleb(&sec, body.n);
  put(&sec, body.b, body.n);
  put(&sec, "\x04\x00\x20\x00\x0b", 5);
  section(m, 10, sec.b, sec.n);
  SEC(m, 11, "\x01\x01\x00");
}

/* Body test: type of func 0 as bytes ("\x60..."), locals, instructions (ending in end). */
#define FN(ft, locals, code, want)                                                                 \
  do {                                                                                             \
    mbuf m_;                                                                                       \
    env(&m_, ft, sizeof(ft) - 1, locals, sizeof(locals) - 1, code, sizeof(code) - 1);              \
    expect_at(&m_, (want), __LINE__);                                                              \
  } while (0)

#define V_V "\x60\x00\x00"
#define V_I "\x60\x00\x01\x7f"
#define I_I "\x60\x01\x7f\x01\x7f"
#define NOLOC "\x00"

static void test_env_valid(void) {
  FN(V_V, NOLOC, "\x0b", NULL);
  FN(V_I, NOLOC, "\x41\x01\x0b", NULL);
  FN(I_I, NOLOC, "\x20\x00\x0b", NULL);
}

static void test_numeric(void) {
  FN(V_I, NOLOC, "\x41\x01\x41\x02\x6a\x0b", NULL);            /* i32.add */
  FN(V_I, NOLOC, "\x41\x01\x42\x02\x6a\x0b", "type mismatch"); /* i32 + i64 */
  FN(V_I, NOLOC, "\x42\x01\x0b", "type mismatch");             /* wrong result */
  FN(V_I, NOLOC, "\x0b", "type mismatch");                     /* missing result */
  FN(V_V, NOLOC, "\x41\x01\x0b", "type mismatch");             /* extra value */
  FN(V_I, NOLOC, "\x41\x01\x41\x01\x0b", "type mismatch");     /* two values */
  FN(V_V, NOLOC, "\x6a\x1a\x0b", "type mismatch");             /* empty stack */
  FN(V_V, NOLOC, "\x00\x6a\x1a\x0b", NULL);                    /* polymorphic */
  FN(V_V, NOLOC, "\x00\x42\x00\x6a\x1a\x0b", "type mismatch"); /* i64 under unreachable */
  FN(V_I, NOLOC, "\x43\x00\x00\x80\x3f\xa8\x0b", NULL);        /* i32.trunc_f32_s */
  FN(V_I, NOLOC, "\x41\x00\xc0\x0b", NULL);                    /* i32.extend8_s */
  FN(V_I, NOLOC, "\x43\x00\x00\x00\x00\xfc\x00\x0b", NULL);    /* i32.trunc_sat_f32_s */
}

static void test_messages(void) {
  /* The reference interpreter's detailed wording, which some tests match exactly. */
  FN(V_I, NOLOC, "\x10\x01\x0b", "type mismatch: instruction requires [i32] but stack has []");
  FN(V_I, NOLOC, "\x02\x7f\x42\x00\x0b\x0b",
     "type mismatch: instruction requires [i32] but stack has [i64]");
  FN(V_I, NOLOC, "\x02\x7f\x0b\x0b", "type mismatch: instruction requires [i32] but stack has []");
  FN(V_V, NOLOC, "\x02\x40\x41\x00\x0b\x0b",
     "type mismatch: block requires [] but stack has [i32]");
}

static void test_locals_globals(void) {
  FN(V_I, "\x01\x01\x7f", "\x20\x00\x0b", NULL);
  FN(V_I, "\x01\x01\x7f", "\x20\x01\x0b", "unknown local 1");
  FN(V_V, "\x01\x01\x7e", "\x41\x00\x21\x00\x0b", "type mismatch");
  FN(V_I, "\x01\x01\x7f", "\x41\x05\x22\x00\x0b", NULL); /* local.tee */
  FN(V_I, NOLOC, "\x23\x00\x0b", NULL);
  FN(V_I, NOLOC, "\x23\x03\x0b", "unknown global 3");
  FN(V_V, NOLOC, "\x41\x00\x24\x00\x0b", NULL);
  FN(V_V, NOLOC, "\x42\x00\x24\x01\x0b", "immutable global");
}

static void test_control(void) {
  FN(V_I, NOLOC, "\x02\x7f\x41\x01\x0b\x0b", NULL);
  FN(V_I, NOLOC, "\x03\x7f\x41\x01\x0b\x0b", NULL);
  FN(V_I, NOLOC, "\x41\x01\x04\x7f\x41\x02\x05\x41\x03\x0b\x0b", NULL);
  FN(V_I, NOLOC, "\x41\x01\x04\x7f\x41\x02\x0b\x0b", "type mismatch"); /* if without else */
  FN(V_I, NOLOC, "\x41\x01\x04\x7f\x41\x02\x05\x42\x03\x0b\x0b", "type mismatch");
  FN(V_V, NOLOC, "\x0c\x00\x0b", NULL);
  FN(V_V, NOLOC, "\x0c\x01\x0b", "unknown label");
  FN(V_I, NOLOC, "\x02\x7f\x41\x01\x0c\x00\x0b\x0b", NULL);
  FN(V_I, NOLOC, "\x02\x7f\x42\x01\x0c\x00\x0b\x0b", "type mismatch");
  FN(V_I, NOLOC, "\x03\x7f\x41\x01\x0c\x00\x0b\x0b", NULL); /* br to loop carries nothing */
  FN(V_I, NOLOC, "\x41\x01\x41\x00\x0d\x00\x0b", NULL);     /* br_if keeps the value */
  FN(V_V, NOLOC, "\x0d\x00\x0b", "type mismatch");
  /* br_table: same arity required */
  FN(V_I, NOLOC, "\x02\x7f\x41\x01\x41\x00\x0e\x01\x00\x01\x0b\x0b", NULL);
  FN(V_I, NOLOC, "\x02\x40\x41\x01\x41\x00\x0e\x01\x00\x01\x0b\x41\x00\x0b", "type mismatch");
  FN(V_V, NOLOC, "\x41\x00\x0e\x00\x02\x0b", "unknown label");
  FN(V_I, NOLOC, "\x41\x01\x0f\x0b", NULL);
  FN(V_I, NOLOC, "\x0f\x0b", "type mismatch");
  /* multi-value block with a type index: type 2 is [i32] -> [i32] */
  FN(V_I, NOLOC, "\x41\x01\x02\x02\x41\x01\x6a\x0b\x0b", NULL);
  FN(V_I, NOLOC, "\x02\x02\x0b\x0b", "type mismatch");
  FN(V_V, NOLOC, "\x02\x09\x0b\x0b", "unknown type");
  /* if without else: the parameters must be exactly the results */
  FN(V_I, NOLOC, "\x41\x05\x41\x00\x04\x02\x41\x01\x6a\x0b\x0b", NULL);
  FN("\x60\x02\x7f\x7f\x01\x7f", NOLOC, "\x20\x00\x20\x01\x41\x00\x04\x01\x6a\x0b\x1a\x0b",
     "type mismatch: block requires [i32] but stack has [i32 i32]");
}

/*
** Two functions [] -> [] with bodies (locals, code) through kite_validate, which reads the
** bodies once, with the validator's fast path: `want` NULL means valid, else the expected
** message prefix (of a malformation or an invalid module).
*/
static void bodies_at(const char *l1, size_t nl1, const char *c1, size_t nc1, const char *l2,
                      size_t nl2, const char *c2, size_t nc2, const char *want, int line) {
  mbuf m, sec = {{0}, 0}, body = {{0}, 0};
  begin(&m);
  SEC(&m, 1, "\x01\x60\x00\x00");
  SEC(&m, 3, "\x02\x00\x00");
  put_byte(&sec, 2);
  put(&body, l1, nl1);
  put(&body, c1, nc1);
  put_uleb(&sec, body.n);
  put(&sec, body.b, body.n);
  body.n = 0;
  put(&body, l2, nl2);
  put(&body, c2, nc2);
  put_uleb(&sec, body.n);
  put(&sec, body.b, body.n);
  section(&m, 10, sec.b, sec.n);
  kite_error err;
  bool ok = kite_validate(m.b, m.n, &err);
  test_checks++;
  if (want == NULL && !ok) {
    test_failures++;
    fprintf(stderr, "%s:%d: expected valid, got \"%s\"\n", __FILE__, line, err.msg);
  } else if (want && (ok || strncmp(err.msg, want, strlen(want)) != 0)) {
    test_failures++;
    fprintf(stderr, "%s:%d: expected \"%s\", got \"%s\"\n", __FILE__, line, want,
            ok ? "valid" : err.msg);
  }
}
#define BODIES(l1, c1, l2, c2, want)                                                               \
  bodies_at(l1, sizeof(l1) - 1, c1, sizeof(c1) - 1, l2, sizeof(l2) - 1, c2, sizeof(c2) - 1, want,  \
            __LINE__)

/* Immediates and local kinds as the fast path reads them. */
static void test_fast_path_edges(void) {
  /* the first body's locals do not leak into the second's */
  BODIES("\x01\x78\x7f", "\x0b", "\x01\x0a\x7f", "\x20\x64\x1a\x0b", "unknown local 100");
  BODIES("\x01\x78\x7f", "\x0b", "\x01\x0a\x7f", "\x41\x00\x21\x64\x0b", "unknown local 100");
  BODIES("\x01\x78\x7f", "\x0b", "\x00", "\x41\x00\x22\x05\x1a\x0b", "unknown local 5");
  BODIES("\x01\x78\x7f", "\x0b", "\x01\x02\x7e", "\x20\x01\x1a\x0b", NULL);
  BODIES("\x00", "\x0b", "\x01\x01\x70", "\x20\x00\x1a\x0b", NULL); /* a funcref local */
  /* local indices of more than one byte */
  BODIES("\x00", "\x0b", "\x01\xc8\x01\x7f", "\x20\x96\x01\x1a\x0b", NULL);
  BODIES("\x00", "\x0b", "\x01\xc8\x01\x7f", "\x20\xc8\x01\x1a\x0b", "unknown local 200");
  BODIES("\x00", "\x0b", "\x01\x01\x7f", "\x20\x80\x00\x1a\x0b", NULL);
  /* groups across the 128th local: 120 i32, 20 i64, 200 f32 */
  BODIES("\x00", "\x0b", "\x03\x78\x7f\x14\x7e\xc8\x01\x7d", "\x20\x7d\x50\x1a\x0b", NULL);
  BODIES("\x00", "\x0b", "\x03\x78\x7f\x14\x7e\xc8\x01\x7d", "\x20\x80\x01\x50\x1a\x0b", NULL);
  BODIES("\x00", "\x0b", "\x03\x78\x7f\x14\x7e\xc8\x01\x7d", "\x20\x8b\x01\x50\x1a\x0b", NULL);
  BODIES("\x00", "\x0b", "\x03\x78\x7f\x14\x7e\xc8\x01\x7d", "\x20\x8c\x01\x50\x1a\x0b",
         "type mismatch");
  BODIES("\x00", "\x0b", "\x03\x78\x7f\x14\x7e\xc8\x01\x7d",
         "\x43\x00\x00\x00\x00\x22\xd3\x02\x21\x8c\x01\x0b", NULL);
  BODIES("\x00", "\x0b", "\x03\x78\x7f\x14\x7e\xc8\x01\x7d",
         "\x43\x00\x00\x00\x00\x22\xd4\x02\x1a\x0b", "unknown local 340");
  BODIES("\x00", "\x0b", "\x03\x78\x7f\x14\x7e\xc8\x01\x7d", "\x42\x00\x21\x8c\x01\x0b",
         "type mismatch");
  /* a body with many locals, then one with few: the rest read as unknown again */
  BODIES("\x01\xc8\x01\x7e", "\x0b", "\x01\x02\x7f", "\x20\x02\x1a\x0b", "unknown local 2");
  BODIES("\x01\xc8\x01\x7e", "\x0b", "\x01\x02\x7f", "\x20\x7f\x1a\x0b", "unknown local 127");
  BODIES("\x01\xc8\x01\x7e", "\x0b", "\x01\x02\x7f", "\x20\x81\x01\x1a\x0b", "unknown local 129");
  BODIES("\x01\x7c\x7e", "\x0b", "\x01\x7e\x7f", "\x20\x7d\x1a\x20\x7e\x1a\x0b",
         "unknown local 126");
  /* s32 constants of five bytes: the last one's unused bits copy the sign */
  BODIES("\x00", "\x0b", "\x00", "\x41\xff\xff\xff\xff\x07\x1a\x0b", NULL);
  BODIES("\x00", "\x0b", "\x00", "\x41\x80\x80\x80\x80\x78\x1a\x0b", NULL);
  BODIES("\x00", "\x0b", "\x00", "\x41\xff\xff\xff\xff\x0f\x1a\x0b", "integer too large");
  BODIES("\x00", "\x0b", "\x00", "\x41\x80\x80\x80\x80\x80\x00\x1a\x0b",
         "integer representation too long");
  BODIES("\x00", "\x0b", "\x00", "\x41\xff\xff\xff\xff\xfc\x01\x1a\x0b",
         "integer representation too long");
  BODIES("\x00", "\x0b", "\x00", "\x41\xff\xff\xff\xff\x08\x1a\x0b", "integer too large");
  BODIES("\x00", "\x0b", "\x00", "\x41\xff\xff\xff\xff\x77\x1a\x0b", "integer too large");
  BODIES("\x00", "\x0b", "\x00", "\x41\x80\x80\x80\x80\x7f\x1a\x0b", NULL);
  BODIES("\x00", "\x0b", "\x00", "\x41\x80\x80\x80\x00\x1a\x0b", NULL);
  BODIES("\x00", "\x0b", "\x00", "\x42\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00\x1a\x0b", NULL);
  /* bodies cut short, or whose last byte is not end */
  BODIES("\x00", "\x0b", "\x00", "\x41", "unexpected end");
  BODIES("\x00", "\x0b", "\x00", "\x41\x80", "unexpected end");
  BODIES("\x00", "\x0b", "\x00", "\x41\x01\x41\x01\x6a", "unexpected end");
  BODIES("\x00", "\x0b", "\x00", "\x41\x01\x41\x01\x6a\x1a", "unexpected end");
  /* a block's result moves down over its frame */
  BODIES("\x00", "\x0b", "\x00", "\x02\x7f\x41\x01\x0b\x02\x7e\x42\x01\x0b\x1a\x1a\x0b", NULL);
}

/* Operands are only taken from the innermost frame, whatever lies below it. */
static void test_frame_floors(void) {
  FN(V_V, NOLOC, "\x41\x01\x41\x02\x02\x40\x6a\x1a\x0b\x1a\x1a\x0b", "type mismatch");
  FN(V_V, NOLOC, "\x41\x01\x02\x40\x41\x02\x6a\x1a\x0b\x1a\x0b", "type mismatch");
  FN(V_V, NOLOC, "\x41\x01\x02\x40\x1a\x0b\x0b", "type mismatch");
  FN(V_V, NOLOC, "\x41\x01\x41\x02\x02\x40\x41\x00\x1b\x1a\x0b\x0b", "type mismatch");
  FN(V_V, NOLOC, "\x41\x01\x02\x40\x21\x00\x0b\x1a\x0b", "unknown local 0");
  FN(V_V, "\x01\x01\x7f", "\x41\x01\x02\x40\x21\x00\x0b\x1a\x0b", "type mismatch");
  FN(V_V, NOLOC, "\x41\x01\x02\x40\x24\x00\x0b\x1a\x0b", "type mismatch");
  FN(V_V, NOLOC, "\x41\x01\x02\x40\x10\x01\x1a\x0b\x1a\x0b", "type mismatch");
  FN(V_I, NOLOC, "\x41\x01\x02\x40\x0f\x0b\x0b", "type mismatch");
  FN(V_I, NOLOC, "\x41\x01\x02\x7f\x41\x00\x0d\x01\x0b\x0b", "type mismatch");
  FN(V_I, NOLOC, "\x41\x01\x02\x7f\x0c\x01\x0b\x0b", "type mismatch");
  FN(V_V, NOLOC, "\x41\x01\x04\x40\x0b\x0b", NULL);
  FN(V_V, NOLOC, "\x41\x01\x02\x40\x04\x40\x0b\x0b\x0b", "type mismatch");
  FN(V_V, NOLOC, "\x41\x01\x02\x40\x28\x02\x00\x1a\x0b\x0b", "type mismatch");
  FN(V_V, NOLOC, "\x41\x01\x41\x02\x02\x40\x36\x02\x00\x0b\x0b", "type mismatch");
  /* values a frame leaves above its results are an error at its end */
  FN(V_I, NOLOC, "\x02\x7f\x41\x01\x41\x02\x0b\x0b",
     "type mismatch: block requires [i32] but stack has [i32 i32]");
  /* deep nesting with values at every level */
  FN(V_I, NOLOC,
     "\x41\x01\x02\x7f\x41\x02\x02\x7f\x41\x03\x02\x7f\x41\x04\x0b\x6a\x0b\x6a\x0b\x6a\x0b", NULL);
}

/* Block and body ends: the cached check of the common cases, and the rest. */
static void test_block_ends(void) {
  /* a type index with one result ends like a value type */
  FN(V_V, NOLOC, "\x41\x01\x02\x02\x1a\x41\x02\x0b\x1a\x0b", NULL);
  FN(V_V, NOLOC, "\x41\x01\x02\x02\x1a\x42\x02\x0b\x1a\x0b", "type mismatch");
  /* several results: at the body's end, and inside */
  FN("\x60\x00\x02\x7f\x7e", NOLOC, "\x41\x01\x42\x02\x0b", NULL);
  FN("\x60\x00\x02\x7f\x7e", NOLOC, "\x42\x01\x41\x02\x0b", "type mismatch");
  FN("\x60\x00\x02\x7f\x7e", NOLOC, "\x41\x01\x0b", "type mismatch");
  /* references: the block's, the body's */
  FN(V_V, NOLOC, "\x02\x70\xd0\x70\x0b\x1a\x0b", NULL);
  FN(V_V, NOLOC, "\x02\x70\xd0\x6f\x0b\x1a\x0b", "type mismatch");
  FN("\x60\x00\x01\x70", NOLOC, "\xd0\x70\x0b", NULL);
  FN("\x60\x00\x01\x70", NOLOC, "\xd0\x6f\x0b", "type mismatch");
  /* an unknown value (kind 0, like a frame's mark) left at an end */
  FN(V_V, NOLOC, "\x02\x7f\x00\x1b\x0b\x1a\x0b", NULL);
  FN(V_V, NOLOC, "\x02\x40\x00\x1b\x0b\x0b", "type mismatch");
  FN(V_I, NOLOC, "\x00\x1b\x0b", NULL);
  FN(V_V, NOLOC, "\x00\x1b\x0b", "type mismatch");
  /* a non-defaultable local set inside a block is unset after it */
  FN(V_V, "\x01\x01\x64\x70", "\x02\x40\xd2\x00\x21\x00\x0b\x20\x00\x1a\x0b",
     "uninitialized local 0");
  FN(V_V, "\x01\x01\x64\x70", "\xd2\x00\x21\x00\x02\x40\x0b\x20\x00\x1a\x0b", NULL);
  /* branches carry a loop's parameters (type 2 is [i32] -> [i32]), a block's results */
  FN(V_I, NOLOC, "\x41\x01\x03\x02\x0c\x00\x0b\x0b", NULL);
  FN(V_I, NOLOC, "\x41\x01\x03\x02\x1a\x41\x01\x41\x00\x0d\x00\x0b\x0b", NULL);
  FN(V_I, NOLOC, "\x41\x01\x03\x02\x1a\x42\x01\x41\x00\x0d\x00\x1a\x41\x01\x0b\x0b",
     "type mismatch");
  FN(V_I, NOLOC, "\x03\x40\x41\x00\x0d\x00\x0b\x41\x01\x0b", NULL);
  FN(V_I, NOLOC, "\x02\x7f\x42\x01\x41\x00\x0d\x00\x0b\x0b", "type mismatch");
  FN(V_I, NOLOC, "\x02\x40\x41\x00\x0d\x00\x0b\x41\x01\x0b", NULL);
  FN(V_I, NOLOC, "\x02\x40\x0c\x01\x0b\x41\x01\x0b", "type mismatch");
  /* an if's arms */
  FN(V_I, NOLOC, "\x41\x01\x04\x7f\x41\x02\x05\x42\x03\x1a\x41\x03\x0b\x0b", NULL);
  FN(V_V, NOLOC, "\x41\x01\x04\x40\x41\x02\x05\x0b\x0b", "type mismatch");
  FN(V_V, NOLOC, "\x41\x01\x04\x40\x05\x41\x02\x0b\x0b", "type mismatch");
}

static void test_calls(void) {
  FN(V_I, NOLOC, "\x41\x01\x10\x01\x0b", NULL);
  FN(V_I, NOLOC, "\x10\x01\x0b", "type mismatch");
  FN(V_V, NOLOC, "\x10\x05\x0b", "unknown function 5");
  FN(V_I, NOLOC, "\x41\x01\x41\x00\x11\x02\x00\x0b", NULL);
  FN(V_I, NOLOC, "\x41\x01\x41\x00\x11\x02\x01\x0b", "unknown table 1");
  FN(V_I, NOLOC, "\x41\x01\x41\x00\x11\x07\x00\x0b", "unknown type");
  FN(I_I, NOLOC, "\x20\x00\x12\x01\x0b", NULL);             /* return_call */
  FN(V_V, NOLOC, "\x41\x00\x12\x01\x0b", "type mismatch");  /* result differs */
  FN(I_I, NOLOC, "\x20\x00\x41\x00\x13\x02\x00\x0b", NULL); /* return_call_indirect */
}

static void test_select_refs(void) {
  FN(V_I, NOLOC, "\x41\x01\x41\x02\x41\x00\x1b\x0b", NULL);
  FN(V_I, NOLOC, "\x41\x01\x42\x02\x41\x00\x1b\x0b", "type mismatch");
  FN(V_V, NOLOC, "\xd0\x70\xd0\x70\x41\x00\x1b\x1a\x0b", "type mismatch"); /* refs need select_t */
  FN(V_V, NOLOC, "\xd0\x70\xd0\x70\x41\x00\x1c\x01\x70\x1a\x0b", NULL);
  FN(V_V, NOLOC, "\x41\x00\x41\x00\x41\x00\x1c\x00\x0b", "invalid result arity");
  FN(V_I, NOLOC, "\xd0\x6f\xd1\x0b", NULL);
  FN(V_I, NOLOC, "\x41\x00\xd1\x0b", "type mismatch");
  FN(V_V, NOLOC, "\xd2\x00\x1a\x0b", NULL);
  FN(V_V, NOLOC, "\xd2\x01\x1a\x0b", "undeclared function reference");
  FN(V_V, NOLOC, "\xd2\x09\x1a\x0b", "unknown function 9");
  FN(V_V, NOLOC, "\xd0\x05\x1a\x0b", "unknown type");
}

static void test_memory(void) {
  FN(V_I, NOLOC, "\x41\x00\x28\x02\x00\x0b", NULL);
  FN(V_I, NOLOC, "\x41\x00\x28\x03\x00\x0b", "alignment must not be larger than natural");
  FN(V_I, NOLOC, "\x41\x00\x2c\x01\x00\x0b", "alignment must not be larger than natural");
  FN(V_I, NOLOC, "\x42\x00\x28\x02\x00\x0b", "type mismatch");
  FN(V_V, NOLOC, "\x41\x00\x42\x00\x37\x03\x00\x0b", NULL);
  FN(V_I, NOLOC, "\x3f\x00\x0b", NULL);
  FN(V_I, NOLOC, "\x41\x01\x40\x00\x0b", NULL);
  FN(V_V, NOLOC, "\x41\x00\x41\x00\x41\x00\xfc\x08\x00\x00\x0b", NULL); /* memory.init */
  FN(V_V, NOLOC, "\x41\x00\x41\x00\x41\x00\xfc\x08\x01\x00\x0b", "unknown data segment 1");
  FN(V_V, NOLOC, "\xfc\x09\x00\x0b", NULL);
  FN(V_V, NOLOC, "\xfc\x09\x02\x0b", "unknown data segment 2");
  FN(V_V, NOLOC, "\x41\x00\x41\x00\x41\x00\xfc\x0a\x00\x00\x0b", NULL);
  FN(V_V, NOLOC, "\x41\x00\x41\x00\x41\x00\xfc\x0b\x00\x0b", NULL);
  FN(V_V, NOLOC, "\x41\x00\x41\x00\x41\x00\xfc\x0a\x00\x01\x0b", "unknown memory 1");
  /* offset beyond 2^32 on a 32-bit memory */
  FN(V_I, NOLOC, "\x41\x00\x28\x02\x80\x80\x80\x80\x10\x0b", "offset out of range");
  /* atomics: alignment must be exactly natural */
  FN(V_I, NOLOC, "\x41\x00\xfe\x10\x02\x00\x0b", NULL);
  FN(V_I, NOLOC, "\x41\x00\xfe\x10\x01\x00\x0b", "atomic alignment must be natural");
}

static void test_tables(void) {
  FN(V_V, NOLOC, "\x41\x00\x25\x00\x1a\x0b", NULL);
  FN(V_V, NOLOC, "\x41\x00\x25\x01\x1a\x0b", "unknown table 1");
  FN(V_V, NOLOC, "\x41\x00\xd0\x70\x26\x00\x0b", NULL);
  FN(V_V, NOLOC, "\x41\x00\xd0\x6f\x26\x00\x0b", "type mismatch");
  FN(V_I, NOLOC, "\xfc\x10\x00\x0b", NULL);
  FN(V_I, NOLOC, "\xd0\x70\x41\x01\xfc\x0f\x00\x0b", NULL);
  FN(V_V, NOLOC, "\x41\x00\xd0\x70\x41\x01\xfc\x11\x00\x0b", NULL);
  FN(V_V, NOLOC, "\x41\x00\x41\x00\x41\x00\xfc\x0e\x00\x00\x0b", NULL);
  FN(V_V, NOLOC, "\x41\x00\x41\x00\x41\x00\xfc\x0c\x00\x00\x0b", NULL); /* table.init */
  FN(V_V, NOLOC, "\x41\x00\x41\x00\x41\x00\xfc\x0c\x01\x00\x0b", "type mismatch");
  FN(V_V, NOLOC, "\x41\x00\x41\x00\x41\x00\xfc\x0c\x02\x00\x0b", "unknown elem segment 2");
  FN(V_V, NOLOC, "\xfc\x0d\x01\x0b", NULL);
  FN(V_V, NOLOC, "\xfc\x0d\x04\x0b", "unknown elem segment 4");
}

static void test_simd(void) {
  FN(V_I, NOLOC,
     "\xfd\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
     "\xfd\x15\x0f\x0b",
     NULL);
  FN(V_I, NOLOC,
     "\xfd\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
     "\xfd\x15\x10\x0b",
     "invalid lane index");
  FN(V_I, NOLOC,
     "\xfd\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
     "\xfd\x1b\x04\x0b",
     "invalid lane index");
  FN(V_V, NOLOC,
     "\x41\x00\xfd\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
     "\xfd\x54\x00\x00\x10\x1a\x0b",
     "invalid lane index");
  FN(V_V, NOLOC,
     "\x41\x00\xfd\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
     "\xfd\x54\x00\x00\x0f\x1a\x0b",
     NULL);
  FN(V_V, NOLOC, "\x41\x00\xfd\x00\x05\x00\x1a\x0b", "alignment must not be larger than natural");
}

static void test_eh(void) {
  FN(V_V, NOLOC, "\x08\x00\x0b", NULL); /* throw tag 0 */
  FN(V_V, NOLOC, "\x08\x03\x0b", "unknown tag 3");
  /* try_table (catch_all 0) */
  FN(V_V, NOLOC, "\x1f\x40\x01\x02\x00\x0b\x0b", NULL);
  /* catch_all_ref to a label taking nothing */
  FN(V_V, NOLOC, "\x1f\x40\x01\x03\x00\x0b\x0b", "type mismatch");
  /* block (result exnref) try_table (catch_all_ref 1) */
  FN(V_V, NOLOC, "\x02\x69\x1f\x40\x01\x03\x00\x0b\x00\x0b\x1a\x0b", NULL);
  FN(V_V, NOLOC, "\x02\x69\x1f\x40\x01\x03\x01\x0b\x00\x0b\x1a\x0b", "type mismatch");
  FN(V_V, NOLOC, "\x1f\x40\x01\x00\x05\x00\x0b\x0b", "unknown tag 5");
  /* legacy: try catch_all end; rethrow outside catch */
  FN(V_V, NOLOC, "\x06\x40\x19\x09\x00\x0b\x0b", NULL);
  FN(V_V, NOLOC, "\x06\x40\x09\x00\x0b\x0b", "invalid rethrow label");
  FN(V_V, NOLOC, "\x06\x40\x07\x00\x0b\x0b", NULL);
  FN(V_V, NOLOC, "\x06\x40\x18\x00\x0b", NULL); /* try delegate 0 (to the function) */
  FN(V_V, NOLOC, "\x06\x40\x18\x01\x0b", "unknown label");
  FN(V_V, NOLOC, "\x06\x40\x19\x41\x00\x0b\x0b",
     "type mismatch: block requires [] but stack has [i32]");
}

static void test_funcrefs(void) {
  /* call_ref through a local of type (ref null 2) */
  FN(V_I, "\x01\x01\x63\x02", "\x41\x01\x20\x00\x14\x02\x0b", NULL);
  FN(V_I, "\x01\x01\x63\x02", "\x41\x01\x20\x00\x14\x00\x0b", "type mismatch");
  /* non-defaultable local: read before set */
  FN(V_V, "\x01\x01\x64\x70", "\x20\x00\x1a\x0b", "uninitialized local");
  FN(V_V, "\x01\x01\x64\x70", "\xd2\x00\x21\x00\x20\x00\x1a\x0b", NULL);
  /* set inside a block does not outlive it */
  FN(V_V, "\x01\x01\x64\x70", "\x02\x40\xd2\x00\x21\x00\x0b\x20\x00\x1a\x0b",
     "uninitialized local");
  FN(V_V, NOLOC, "\xd0\x70\xd4\x1a\x0b", NULL); /* ref.as_non_null */
  /* br_on_null / br_on_non_null */
  FN(V_V, NOLOC, "\xd0\x70\xd5\x00\x1a\x0b", NULL);
  FN(V_V, NOLOC, "\x02\x40\xd0\x70\xd6\x00\x0b\x0b", "type mismatch");
  FN(V_V, NOLOC, "\x02\x64\x70\xd0\x70\xd6\x00\x00\x0b\x1a\x0b", NULL);
}

static void test_const_exprs(void) {
  mbuf m;
  /* global initialised by an instruction that is not constant */
  begin(&m);
  SEC(&m, 6, "\x01\x7f\x00\x41\x00\x41\x00\x6a\x0b");
  feats = KITE_FEATURES_2_0;
  EXPECT(&m, "constant expression required");
  feats = KITE_FEATURES_ALL;
  EXPECT(&m, NULL); /* extended const */
  begin(&m);
  SEC(&m, 6, "\x01\x7f\x00\x41\x00\x1a\x41\x00\x0b");
  EXPECT(&m, "constant expression required");
  begin(&m);
  SEC(&m, 6, "\x01\x7f\x00\x42\x00\x0b");
  EXPECT(&m, "type mismatch");
  begin(&m);
  SEC(&m, 6, "\x01\x7f\x00\x23\x00\x0b");
  EXPECT(&m, "unknown global 0");
  /* a mutable imported global is not constant */
  begin(&m);
  SEC(&m, 2, "\x01\x01m\x01g\x03\x7f\x01");
  SEC(&m, 6, "\x01\x7f\x00\x23\x00\x0b");
  EXPECT(&m, "constant expression required");
  begin(&m);
  SEC(&m, 2, "\x01\x01m\x01g\x03\x7f\x00");
  SEC(&m, 6, "\x01\x7f\x00\x23\x00\x0b");
  EXPECT(&m, NULL);
  /* data offsets */
  begin(&m);
  SEC(&m, 11, "\x01\x00\x41\x00\x0b\x00");
  EXPECT(&m, "unknown memory 0");
  begin(&m);
  SEC(&m, 5, "\x01\x00\x01");
  SEC(&m, 11, "\x01\x00\x42\x00\x0b\x00");
  EXPECT(&m, "type mismatch");
}

static void test_module_rules(void) {
  mbuf m;
  begin(&m);
  SEC(&m, 5, "\x01\x01\x02\x01");
  EXPECT(&m, "size minimum must not be greater than maximum");
  begin(&m);
  SEC(&m, 5, "\x01\x00\x81\x80\x04");
  EXPECT(&m, "memory size must be at most 65536 pages (4GiB)");
  begin(&m);
  SEC(&m, 5, "\x01\x00\x80\x80\x04");
  EXPECT(&m, NULL);
  begin(&m);
  SEC(&m, 5, "\x02\x00\x00\x00\x00");
  EXPECT(&m, NULL);
  feats = KITE_FEATURES_2_0;
  EXPECT(&m, "multiple memories");
  feats = KITE_FEATURES_ALL;
  begin(&m);
  SEC(&m, 4, "\x01\x70\x01\x02\x01");
  EXPECT(&m, "size minimum must not be greater than maximum");
  begin(&m);
  SEC(&m, 5, "\x01\x02\x01"); /* shared without maximum */
  EXPECT(&m, "shared memory must have maximum");
  /* exports */
  begin(&m);
  SEC(&m, 1, "\x01\x60\x00\x00");
  SEC(&m, 3, "\x01\x00");
  SEC(&m, 7, "\x02\x01\x61\x00\x00\x01\x61\x00\x00");
  code1(&m, "\x00", 1, "\x0b", 1);
  EXPECT(&m, "duplicate export name");
  begin(&m);
  SEC(&m, 1, "\x01\x60\x00\x00");
  SEC(&m, 3, "\x01\x00");
  SEC(&m, 7, "\x02\x01\x61\x00\x00\x01\x62\x00\x00");
  code1(&m, "\x00", 1, "\x0b", 1);
  EXPECT(&m, NULL);
  begin(&m);
  SEC(&m, 7, "\x01\x01\x61\x00\x00");
  EXPECT(&m, "unknown function 0");
  begin(&m);
  SEC(&m, 7, "\x01\x01\x61\x03\x00");
  EXPECT(&m, "unknown global 0");
  /* start */
  begin(&m);
  SEC(&m, 1, "\x01\x60\x00\x01\x7f");
  SEC(&m, 3, "\x01\x00");
  SEC(&m, 8, "\x00");
  code1(&m, "\x00", 1, "\x41\x00\x0b", 3);
  EXPECT(&m, "start function");
  begin(&m);
  SEC(&m, 8, "\x00");
  EXPECT(&m, "unknown function 0");
  /* tags */
  begin(&m);
  SEC(&m, 1, "\x01\x60\x00\x01\x7f");
  SEC(&m, 13, "\x01\x00\x00");
  EXPECT(&m, "non-empty tag result type");
  /* element segments */
  begin(&m);
  SEC(&m, 9, "\x01\x00\x41\x00\x0b\x00");
  EXPECT(&m, "unknown table 0");
  begin(&m);
  SEC(&m, 4, "\x01\x70\x00\x01");
  SEC(&m, 9, "\x01\x00\x41\x00\x0b\x01\x00");
  EXPECT(&m, "unknown function 0");
  begin(&m);
  SEC(&m, 4, "\x01\x6f\x00\x01");
  SEC(&m, 9, "\x01\x00\x41\x00\x0b\x00");
  EXPECT(&m, "type mismatch");
  /* imports */
  begin(&m);
  SEC(&m, 2,
      "\x01\x01m\x01"
      "f"
      "\x00\x00");
  EXPECT(&m, "unknown type 0");
  /* a table of non-nullable references needs an initializer */
  begin(&m);
  SEC(&m, 4, "\x01\x64\x70\x00\x01");
  EXPECT(&m, "type mismatch");
  begin(&m);
  SEC(&m, 1, "\x01\x60\x00\x00");
  SEC(&m, 3, "\x01\x00");
  SEC(&m, 4, "\x01\x40\x00\x64\x70\x00\x01\xd2\x00\x0b");
  code1(&m, "\x00", 1, "\x0b", 1);
  EXPECT(&m, NULL);
}

static void test_gc_types(void) {
  mbuf m;
  /* (type $t (func)) (type (sub $t (func))): $t is final */
  begin(&m);
  SEC(&m, 1, "\x02\x60\x00\x00\x50\x01\x00\x60\x00\x00");
  EXPECT(&m, "sub type");
  /* (type $t (sub (func))) (type (sub $t (func))) */
  begin(&m);
  SEC(&m, 1, "\x02\x50\x00\x60\x00\x00\x50\x01\x00\x60\x00\x00");
  EXPECT(&m, NULL);
  /* struct field width subtyping: (sub (struct i32)) <- (sub 0 (struct i64)) */
  begin(&m);
  SEC(&m, 1, "\x02\x50\x00\x5f\x01\x7f\x00\x50\x01\x00\x5f\x01\x7e\x00");
  EXPECT(&m, "sub type 1 does not match super type 0");
  begin(&m);
  SEC(&m, 1, "\x02\x50\x00\x5f\x01\x7f\x00\x50\x01\x00\x5f\x02\x7f\x00\x7e\x01");
  EXPECT(&m, NULL);
  /* forward reference outside the recursion group */
  begin(&m);
  SEC(&m, 1, "\x02\x5f\x01\x63\x01\x00\x5f\x00");
  EXPECT(&m, "unknown type 1");
  /* the same inside a rec group is fine */
  begin(&m);
  SEC(&m, 1, "\x01\x4e\x02\x5f\x01\x63\x01\x00\x5f\x00");
  EXPECT(&m, NULL);
}

/* Iso-recursive equivalence: equal recursion groups define equal types. */
static void test_type_equivalence(void) {
  mbuf m;
  /* rec {0: struct (ref null 1), 1: struct}  rec {2: struct (ref null 3), 3: struct}
     4: struct (ref null 1) on its own */
  static const char types[] = "\x03"
                              "\x4e\x02\x5f\x01\x63\x01\x00\x5f\x00"
                              "\x4e\x02\x5f\x01\x63\x03\x00\x5f\x00"
                              "\x5f\x01\x63\x01\x00";
  begin(&m);
  section(&m, 1, types, sizeof types - 1);
  SEC(&m, 6, "\x01\x63\x00\x00\xd0\x02\x0b"); /* (global (ref null 0) (ref.null 2)) */
  EXPECT(&m, NULL);
  begin(&m);
  section(&m, 1, types, sizeof types - 1);
  SEC(&m, 6, "\x01\x63\x01\x00\xd0\x03\x0b"); /* 1 and 3 are equal too */
  EXPECT(&m, NULL);
  begin(&m);
  section(&m, 1, types, sizeof types - 1);
  SEC(&m, 6, "\x01\x63\x00\x00\xd0\x04\x0b"); /* 4 is not in a group of two */
  EXPECT(&m, "type mismatch");
  begin(&m);
  section(&m, 1, types, sizeof types - 1);
  SEC(&m, 6, "\x01\x63\x00\x00\xd0\x01\x0b");
  EXPECT(&m, "type mismatch");
  /* Subtyping follows declared supertypes: 0: (sub (struct)), 1: (sub 0 (struct i32)) */
  static const char sub[] = "\x02\x50\x00\x5f\x00\x50\x01\x00\x5f\x01\x7f\x00";
  begin(&m);
  section(&m, 1, sub, sizeof sub - 1);
  SEC(&m, 6, "\x01\x63\x00\x00\xd0\x01\x0b"); /* (ref null 1) <: (ref null 0) */
  EXPECT(&m, NULL);
  begin(&m);
  section(&m, 1, sub, sizeof sub - 1);
  SEC(&m, 6, "\x01\x63\x01\x00\xd0\x00\x0b");
  EXPECT(&m, "type mismatch");
  begin(&m);
  section(&m, 1, sub, sizeof sub - 1);
  SEC(&m, 6, "\x01\x63\x6d\x00\xd0\x01\x0b"); /* <: eqref */
  EXPECT(&m, NULL);
  begin(&m);
  section(&m, 1, sub, sizeof sub - 1);
  SEC(&m, 6, "\x01\x63\x70\x00\xd0\x01\x0b"); /* not a funcref */
  EXPECT(&m, "type mismatch");
  begin(&m);
  section(&m, 1, sub, sizeof sub - 1);
  SEC(&m, 6, "\x01\x63\x01\x00\xd0\x71\x0b"); /* nullref <: (ref null 1) */
  EXPECT(&m, NULL);
  /* the public subtyping check */
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_error err;
  kite_error_clear(&err);
  begin(&m);
  section(&m, 1, types, sizeof types - 1);
  kite_module *mod = kite_decode(&a, m.b, m.n, feats, NULL, &err);
  CHECK(mod != NULL);
  if (mod) {
    CHECK(kite_valtype_sub(mod, kite_vt_ref(2, false), kite_vt_ref(0, true)));
    CHECK(!kite_valtype_sub(mod, kite_vt_ref(4, false), kite_vt_ref(0, true)));
    CHECK(!kite_valtype_sub(mod, kite_vt_ref(0, true), kite_vt_ref(2, false)));
    CHECK(kite_valtype_sub(mod, kite_vt_ref(KITE_HT_NONE, false), kite_vt_ref(3, false)));
    CHECK(kite_valtype_sub(mod, kite_vt_ref(3, false), kite_vt_ref(KITE_HT_ANY, true)));
    CHECK(!kite_valtype_sub(mod, kite_vt(KITE_VT_I32), kite_vt(KITE_VT_I64)));
    uint32_t *canon = kite_types_canon(mod, &a, &err);
    CHECK(canon && canon[2] == 0 && canon[3] == 1 && canon[4] == 4);
    CHECK(kite_valtype_sub_canon(mod, canon, kite_vt_ref(2, false), kite_vt_ref(0, true)));
    CHECK(!kite_valtype_sub_canon(mod, canon, kite_vt_ref(4, true), kite_vt_ref(0, true)));
    kite_free(&a, canon, mod->ntypes * sizeof(uint32_t));
    kite_module_free(mod);
  }
  CHECK(a.bytes == 0);
}

static void test_feature_gates(void) {
  mbuf m;
  /* two results need multi-value */
  begin(&m);
  SEC(&m, 1, "\x01\x60\x00\x02\x7f\x7f");
  feats = KITE_FEATURES_2_0 & ~KITE_FEATURE_BIT(FEATX_MULTI_VALUE);
  EXPECT(&m, "invalid result arity");
  feats = KITE_FEATURES_ALL;
  EXPECT(&m, NULL);
  /* two tables need reference types */
  begin(&m);
  SEC(&m, 4, "\x02\x70\x00\x00\x70\x00\x00");
  feats = KITE_FEATURE_BIT(FEAT_MVP);
  EXPECT(&m, "multiple tables");
  feats = KITE_FEATURES_ALL;
  EXPECT(&m, NULL);
  /* 2.0: a global initialiser sees only imported globals */
  begin(&m);
  SEC(&m, 6, "\x02\x7f\x00\x41\x00\x0b\x7f\x00\x23\x00\x0b");
  feats = KITE_FEATURES_2_0;
  EXPECT(&m, "unknown global 0");
  feats = KITE_FEATURES_ALL;
  EXPECT(&m, NULL);
  /* 3.0 still forbids forward references */
  begin(&m);
  SEC(&m, 6, "\x02\x7f\x00\x23\x01\x0b\x7f\x00\x41\x00\x0b");
  EXPECT(&m, "unknown global 1");
  /* memory64 limits */
  begin(&m);
  SEC(&m, 5, "\x01\x04\x80\x80\x80\x80\x80\x80\x40");
  EXPECT(&m, NULL);
  begin(&m);
  SEC(&m, 5, "\x01\x04\x81\x80\x80\x80\x80\x80\x40");
  EXPECT(&m, "memory size must be at most");
}

static void test_gc_code(void) {
  mbuf m;
  /* type 0: struct (mut i32) i8; type 1: [] -> [i32]; type 2: array (mut i16) */
  static const char types[] = "\x03\x5f\x02\x7f\x01\x78\x00\x60\x00\x01\x7f\x5e\x77\x01";
#define GC(code, want)                                                                             \
  do {                                                                                             \
    begin(&m);                                                                                     \
    section(&m, 1, types, sizeof types - 1);                                                       \
    SEC(&m, 3, "\x01\x01");                                                                        \
    code1(&m, "\x00", 1, code, sizeof(code) - 1);                                                  \
    expect_at(&m, (want), __LINE__);                                                               \
  } while (0)
  GC("\x41\x01\x41\x02\xfb\x00\x00\xfb\x02\x00\x00\x0b", NULL);
  GC("\x41\x01\x41\x02\xfb\x00\x00\xfb\x02\x00\x01\x0b", "type mismatch"); /* packed */
  GC("\x41\x01\x41\x02\xfb\x00\x00\xfb\x03\x00\x01\x0b", NULL);
  GC("\xfb\x01\x00\x41\x05\xfb\x05\x00\x01\x41\x00\x0b", "immutable field");
  GC("\xfb\x01\x00\x41\x05\xfb\x05\x00\x00\x41\x00\x0b", NULL);
  GC("\x41\x00\x41\x03\xfb\x06\x02\xfb\x0f\x0b", NULL); /* array.new, array.len */
  GC("\x41\x00\x41\x03\xfb\x06\x00\xfb\x0f\x0b", "type mismatch");
  GC("\x41\x01\xfb\x1c\xfb\x1d\x0b", NULL); /* ref.i31, i31.get_s */
  GC("\xd0\x6e\xfb\x14\x6c\x0b", NULL);     /* ref.test i31 */
  GC("\xd0\x70\xfb\x14\x6c\x0b", "type mismatch");
  GC("\x41\x00\x41\x00\x41\x00\x41\x00\xfb\x08\x02\x04\xfb\x0f\x0b", NULL); /* new_fixed */
  GC("\x41\x00\x41\x00\xfb\x08\x02\x04\xfb\x0f\x0b", "type mismatch");
  /* br_on_cast 0 anyref -> (ref i31) into a block returning (ref null i31) */
  GC("\x02\x63\x6c\xd0\x6e\xfb\x18\x01\x00\x6e\x6c\x1a\xd0\x6c\x0b\x1a\x41\x00\x0b", NULL);
  GC("\x02\x63\x6b\xd0\x6e\xfb\x18\x01\x00\x6e\x6c\x1a\xd0\x6b\x0b\x1a\x41\x00\x0b",
     "type mismatch");
#undef GC
}

/* Every allocation failure is reported as OOM and leaks nothing. */
static void test_oom(void) {
  mbuf m;
  env(&m, V_I, 4, "\x01\x05\x7f", 3, "\x02\x7f\x41\x01\x41\x02\x6a\x0b\x0b", 9);
  bool succeeded = false;
  for (uint64_t n = 1; n < 500 && !succeeded; n++) {
    kite_alloc a;
    kite_alloc_init(&a, NULL, NULL);
    kite_error err;
    kite_error_clear(&err);
    kite_module *mod = kite_decode(&a, m.b, m.n, feats, NULL, &err);
    if (!mod) break;
    a.fail_at = a.count + n;
    succeeded = kite_validate_module(mod, feats, &err);
    a.fail_at = 0;
    if (!succeeded)
      CHECK_MSG(err.kind == KITE_ERR_OOM, "n=%llu: %s", (unsigned long long)n, err.msg);
    kite_module_free(mod);
    CHECK(a.bytes == 0);
  }
  CHECK(succeeded);
}

/* Deep nesting is handled without recursion: 100000 nested blocks. */
static void test_deep(void) {
  enum { DEPTH = 100000 };
  size_t cap = 3 * DEPTH + 64, n = 0;
  uint8_t *bin = malloc(cap);
  if (!bin) return;
  memcpy(bin, "\0asm\1\0\0\0\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a", 20);
  n = 20;
  size_t body_len = 1 + 3 * DEPTH + 3; /* locals, blocks, ends, i32.const 1 end */
  size_t sec_len = 1 + 3 + body_len;   /* count, body size (3-byte LEB) */
  bin[n++] = (uint8_t)(0x80 | (sec_len & 0x7f));
  bin[n++] = (uint8_t)(0x80 | ((sec_len >> 7) & 0x7f));
  bin[n++] = (uint8_t)((sec_len >> 14) & 0x7f);
  bin[n++] = 1;
  bin[n++] = (uint8_t)(0x80 | (body_len & 0x7f));
  bin[n++] = (uint8_t)(0x80 | ((body_len >> 7) & 0x7f));
  bin[n++] = (uint8_t)((body_len >> 14) & 0x7f);
  bin[n++] = 0;
  for (int i = 0; i < DEPTH; i++) bin[n++] = 0x02, bin[n++] = 0x40;
  for (int i = 0; i < DEPTH; i++) bin[n++] = 0x0b;
  bin[n++] = 0x41, bin[n++] = 0x01, bin[n++] = 0x0b;
  kite_error err;
  bool ok = kite_validate(bin, n, &err);
  CHECK_MSG(ok, "%s at %llu", err.msg, (unsigned long long)err.offset);
  free(bin);
}

/* 64-bit memories and tables, several memories: a module with memory 0 (i64), memory 1
   (i32) and table 0 (i64, funcref); one function [] -> [] with the given code. */
static void addr64(const void *code, size_t n, const char *want, int line) {
  mbuf m;
  begin(&m);
  SEC(&m, 1, "\x01\x60\x00\x00");
  SEC(&m, 3, "\x01\x00");
  SEC(&m, 4, "\x01\x70\x04\x01");
  SEC(&m, 5, "\x02\x04\x01\x00\x01");
  code1(&m, "\x00", 1, code, n);
  expect_at(&m, want, line);
}
#define A64(code, want) addr64(code, sizeof(code) - 1, want, __LINE__)

static void test_addr64(void) {
  A64("\x42\x00\x28\x02\x00\x1a\x0b", NULL);
  A64("\x41\x00\x28\x02\x00\x1a\x0b", "type mismatch");
  A64("\x41\x00\x28\x42\x01\x00\x1a\x0b", NULL); /* memory 1 is 32-bit */
  A64("\x42\x00\x28\x42\x01\x00\x1a\x0b", "type mismatch");
  A64("\x41\x00\x28\x42\x02\x00\x1a\x0b", "unknown memory 2");
  A64("\x3f\x00\x50\x1a\x0b", NULL);     /* memory.size 0 is i64 */
  A64("\x3f\x01\x45\x1a\x0b", NULL);     /* memory.size 1 is i32 */
  A64("\x42\x01\x40\x00\x1a\x0b", NULL); /* memory.grow */
  A64("\x41\x01\x40\x00\x1a\x0b", "type mismatch");
  /* large offsets are fine on a 64-bit memory */
  A64("\x42\x00\x28\x02\x80\x80\x80\x80\x10\x1a\x0b", NULL);
  /* memory.copy 0 <- 1: destination i64, source i32, length i32 */
  A64("\x42\x00\x41\x00\x41\x00\xfc\x0a\x00\x01\x0b", NULL);
  A64("\x42\x00\x41\x00\x42\x00\xfc\x0a\x00\x01\x0b", "type mismatch");
  A64("\x42\x00\x25\x00\x1a\x0b", NULL); /* table.get with an i64 index */
  A64("\x41\x00\x25\x00\x1a\x0b", "type mismatch");
  A64("\x42\x00\x11\x00\x00\x0b", NULL); /* call_indirect */
  A64("\x41\x00\x11\x00\x00\x0b", "type mismatch");
  A64("\xfc\x10\x00\x50\x1a\x0b", NULL); /* table.size is i64 */
}

static void test_more_3_0(void) {
  /* wide arithmetic and relaxed SIMD are typed from the table */
  FN(V_V, NOLOC, "\x42\x01\x42\x02\xfc\x16\x1a\x1a\x0b", NULL);
  FN(V_V, NOLOC, "\x42\x01\xfc\x16\x1a\x1a\x0b", "type mismatch");
  /* legacy catch pushes the tag's parameters: tag 0 has none */
  FN(V_V, NOLOC, "\x06\x40\x07\x00\x1a\x0b\x0b", "type mismatch");
  /* return_call_ref */
  FN(I_I, "\x01\x01\x63\x02", "\x20\x00\x20\x01\x15\x02\x0b", NULL);
  /* throw_ref needs an exnref */
  FN(V_V, NOLOC, "\xd0\x69\x0a\x0b", NULL);
  FN(V_V, NOLOC, "\xd0\x70\x0a\x0b", "type mismatch");
  /* any.convert_extern keeps nullability */
  FN(V_V, NOLOC, "\xd0\x6f\xfb\x1a\xd4\x1a\x0b", NULL);
  FN(V_V, NOLOC, "\x02\x64\x6e\xd0\x6f\xfb\x1a\x0b\x1a\x0b", "type mismatch");
  /* ref.eq */
  FN(V_I, NOLOC, "\xd0\x6d\xd0\x71\xd3\x0b", NULL);
  FN(V_I, NOLOC, "\xd0\x70\xd0\x70\xd3\x0b", "type mismatch");
}

/* Errors point at the offending instruction. */
static void test_offsets(void) {
  mbuf m;
  static const uint8_t code[] = {0x41, 0x01, 0x42, 0x02, 0x6a, 0x0b};
  env(&m, V_I, 4, "\x00", 1, code, sizeof code);
  size_t at = 0;
  for (size_t i = 0; i + sizeof code <= m.n; i++)
    if (!memcmp(m.b + i, code, sizeof code)) at = i + 4;
  kite_error err;
  CHECK(!kite_validate(m.b, m.n, &err));
  CHECK_MSG(err.has_offset && err.offset == at, "offset %llu, want %zu",
            (unsigned long long)err.offset, at);
  /* a duplicate export name: at the second name */
  begin(&m);
  SEC(&m, 1, "\x01\x60\x00\x00");
  SEC(&m, 3, "\x01\x00");
  SEC(&m, 7, "\x02\x01\x61\x00\x00\x01\x61\x00\x00");
  code1(&m, "\x00", 1, "\x0b", 1);
  CHECK(!kite_validate(m.b, m.n, &err));
  CHECK(err.offset > 0 && err.offset < m.n && m.b[err.offset] == 'a');
}

static void test_public_api(void) {
  mbuf m;
  env(&m, V_I, 4, "\x00", 1, "\x41\x01\x0b", 3);
  kite_error err;
  CHECK(kite_validate(m.b, m.n, &err));
  env(&m, V_I, 4, "\x00", 1, "\x0b", 1);
  CHECK(!kite_validate(m.b, m.n, &err));
  CHECK(err.kind == KITE_ERR_COMPILE && err.code == KITE_COMPILE_INVALID);
  CHECK(!kite_validate((const uint8_t *)"\0asm", 4, NULL));
}

int main(void) {
  test_env_valid();
  test_numeric();
  test_messages();
  test_locals_globals();
  test_control();
  test_frame_floors();
  test_fast_path_edges();
  test_block_ends();
  test_calls();
  test_select_refs();
  test_memory();
  test_tables();
  test_simd();
  test_eh();
  test_funcrefs();
  test_const_exprs();
  test_module_rules();
  test_gc_types();
  test_type_equivalence();
  test_feature_gates();
  test_gc_code();
  test_oom();
  test_addr64();
  test_more_3_0();
  test_offsets();
  test_public_api();
  test_deep();
  return test_finish("test_valid");
}
