/*
** test_lexer.c: tokens, comments, annotations, lexical errors and literal decoding.
*/
#include <string.h>

#include "test_util.h"
#include "text.h"

/* Lex all of src; return the kinds (up to max) and the count; -1 on a lexical error
   (message in *err). */
static int lex_all(const char *src, kite_tokkind *kinds, int max, kite_error *err) {
  kite_lexer lx;
  kite_error_clear(err);
  kite_lexer_init(&lx, src, strlen(src), err);
  int n = 0;
  for (;;) {
    kite_token t;
    if (!kite_lex_next(&lx, &t)) return -1;
    if (t.kind == KITE_TOK_ANNOT) {
      if (n < max) kinds[n] = t.kind;
      n++;
      if (!kite_lex_skip_sexpr(&lx)) return -1;
      continue;
    }
    if (t.kind == KITE_TOK_EOF) return n;
    if (n < max) kinds[n] = t.kind;
    n++;
  }
}

static kite_token one(const char *src) {
  static kite_error err;
  kite_lexer lx;
  kite_error_clear(&err);
  kite_lexer_init(&lx, src, strlen(src), &err);
  kite_token t;
  if (!kite_lex_next(&lx, &t)) t.kind = KITE_TOK_EOF;
  return t;
}

static void check_kind(const char *src, kite_tokkind kind, int line) {
  kite_token t = one(src);
  CHECK_MSG(t.kind == kind, "line %d: '%s' lexed as kind %d, want %d", line, src, t.kind, kind);
}
#define KIND(src, kind) check_kind(src, kind, __LINE__)

static void check_error(const char *src, const char *msg, uint32_t line, uint32_t col, int at) {
  kite_error err;
  kite_tokkind kinds[64];
  int n = lex_all(src, kinds, 64, &err);
  CHECK_MSG(n < 0 && strcmp(err.msg, msg) == 0 && err.line == line && err.col == col,
            "line %d: '%s': got %d '%s' at %u:%u, want '%s' at %u:%u", at, src, n, err.msg,
            err.line, err.col, msg, line, col);
  CHECK(err.kind == KITE_ERR_COMPILE && err.code == KITE_COMPILE_MALFORMED);
}
#define ERR(src, msg, line, col) check_error(src, msg, line, col, __LINE__)

static void check_count(const char *src, int want, int at) {
  kite_error err;
  kite_tokkind kinds[64];
  int n = lex_all(src, kinds, 64, &err);
  CHECK_MSG(n == want, "line %d: '%s': %d tokens (%s), want %d", at, src, n, err.msg, want);
}
#define COUNT(src, n) check_count(src, n, __LINE__)

static void test_kinds(void) {
  KIND("module", KITE_TOK_KEYWORD);
  KIND("i32.add", KITE_TOK_KEYWORD);
  KIND("offset=4", KITE_TOK_KEYWORD);
  KIND("$x", KITE_TOK_ID);
  KIND("$l$l", KITE_TOK_ID);
  KIND("$\"a b\"", KITE_TOK_ID);
  KIND("0", KITE_TOK_NAT);
  KIND("1_000", KITE_TOK_NAT);
  KIND("0xff_ff", KITE_TOK_NAT);
  KIND("+1", KITE_TOK_INT);
  KIND("-0x1", KITE_TOK_INT);
  KIND("1.5", KITE_TOK_FLOAT);
  KIND("1.", KITE_TOK_FLOAT);
  KIND("1e5", KITE_TOK_FLOAT);
  KIND("1.e-5", KITE_TOK_FLOAT);
  KIND("1E+5", KITE_TOK_FLOAT);
  KIND("0x1p3", KITE_TOK_FLOAT);
  KIND("0x1.P-3", KITE_TOK_FLOAT);
  KIND("-0x1.8p+3", KITE_TOK_FLOAT);
  KIND("inf", KITE_TOK_FLOAT);
  KIND("-inf", KITE_TOK_FLOAT);
  KIND("nan", KITE_TOK_FLOAT);
  KIND("+nan:0x1_0", KITE_TOK_FLOAT);
  KIND("nan:canonical", KITE_TOK_KEYWORD);
  KIND("\"str\\n\"", KITE_TOK_STRING);
  KIND("(", KITE_TOK_LPAREN);
  KIND(")", KITE_TOK_RPAREN);
  KIND("(@name", KITE_TOK_ANNOT);
  /* reserved: not a number, keyword or identifier */
  KIND("0drop", KITE_TOK_RESERVED);
  KIND("1__0", KITE_TOK_RESERVED);
  KIND("_1", KITE_TOK_RESERVED);
  KIND("1_", KITE_TOK_RESERVED);
  KIND("0x", KITE_TOK_RESERVED);
  KIND("0x_1", KITE_TOK_RESERVED);
  KIND(".5", KITE_TOK_RESERVED);
  KIND("1e", KITE_TOK_RESERVED);
  KIND("1e+", KITE_TOK_RESERVED);
  KIND("1._5", KITE_TOK_RESERVED);
  KIND("0x1e+5", KITE_TOK_RESERVED);
  KIND("nan:0x", KITE_TOK_KEYWORD);
  KIND("Abc", KITE_TOK_RESERVED);
  KIND("$l\"a\"", KITE_TOK_RESERVED);
  KIND("\"a\"\"b\"", KITE_TOK_RESERVED);
  KIND("\"a\"x", KITE_TOK_RESERVED);
  KIND("$\"l\"$l", KITE_TOK_RESERVED);
  KIND(",", KITE_TOK_RESERVED);
  KIND("{x}", KITE_TOK_RESERVED);
}

static void test_tokens(void) {
  COUNT("(func(nop))", 6);
  COUNT("(func nop;;bla\n)", 4);
  COUNT("(module (;c(;nested;)c;) )", 3);
  COUNT(";;;;\n(;;)(;;;comment;)(;(((( ;)", 0);
  COUNT("(;comment\"\";) x", 1);
  COUNT(";; a\rb c\r\n;; d\n", 2); /* a lone CR ends a line comment */
  COUNT("(data \"a\"\"b\")", 4);
  COUNT("a;b", 1);
  /* annotations: any balanced tokens, (@ allowed inside */
  COUNT("(@a x-y$yz\"aa\"-2) y", 2);
  COUNT("(@a (@) (@ x) (@(@(@(@))))) z", 2);
  COUNT("(@a , ; ] [ }} }x{ ({) ,{{};}] ;)", 1);
  COUNT("(@a (;bla;) (; ) ;)\n ;; bla)\n ;; bla (@x\n)", 1);
  COUNT("(@\"a\")", 1);
  COUNT("(@a \t)", 1);
  /* positions */
  kite_error err;
  kite_lexer lx;
  const char *src = "(module\n  (func $f)) ;; x\n";
  kite_lexer_init(&lx, src, strlen(src), &err);
  kite_error_clear(&err);
  kite_token t;
  CHECK(kite_lex_next(&lx, &t) && t.line == 1 && t.col == 1);
  CHECK(kite_lex_peek(&lx, &t) && t.kind == KITE_TOK_KEYWORD && kite_tok_is(&t, "module"));
  CHECK(kite_lex_next(&lx, &t) && kite_tok_is(&t, "module") && !kite_tok_is(&t, "modul"));
  CHECK(kite_lex_next(&lx, &t) && t.kind == KITE_TOK_LPAREN && t.line == 2 && t.col == 3);
  CHECK(kite_lex_next(&lx, &t) && kite_tok_is(&t, "func"));
  CHECK(kite_lex_next(&lx, &t) && t.kind == KITE_TOK_ID && t.len == 1 && t.text[0] == 'f' &&
        t.line == 2 && t.col == 9);
  CHECK(kite_lex_next(&lx, &t) && t.kind == KITE_TOK_RPAREN);
  CHECK(kite_lex_next(&lx, &t) && t.kind == KITE_TOK_RPAREN);
  CHECK(kite_lex_next(&lx, &t) && t.kind == KITE_TOK_EOF);
}

static void test_errors(void) {
  ERR("(@a \x01)", "illegal character", 1, 5);
  ERR("(@a \x7f)", "illegal character", 1, 5);
  ERR("x\n  \x80", "malformed UTF-8 encoding", 2, 3);
  ERR("(@a \xc0)", "malformed UTF-8 encoding", 1, 5);
  ERR("(@a Hei\xc3\x9f"
      "e)",
      "illegal character", 1, 8);
  ERR(";; \xff\n", "malformed UTF-8 encoding", 1, 4);
  ERR("(; \xed\xa0\x80 ;)", "malformed UTF-8 encoding", 1, 4);
  ERR("(;  (; ;)", "unclosed comment", 1, 1);
  ERR("(@)", "empty annotation id", 1, 1);
  ERR("(@ x)", "empty annotation id", 1, 1);
  ERR("(@\"\")", "empty annotation id", 1, 1);
  ERR("(@\"\n\")", "empty annotation id", 1, 1);
  ERR("(@\"\\ef\")", "malformed UTF-8", 1, 3);
  ERR("(@x ", "unclosed annotation", 1, 5);
  ERR("(@x (y (z))", "unclosed annotation", 1, 12);
  ERR("(@x \"", "unclosed string", 1, 5);
  ERR("(@x \")", "unclosed string", 1, 5);
  ERR("\"a\nb\"", "unclosed string", 1, 1);
  ERR("\"\\q\"", "illegal escape", 1, 2);
  ERR("\"\\u{d800}\"", "illegal escape", 1, 2);
  ERR("\"\\u{110000}\"", "illegal escape", 1, 2);
  ERR("\"\\u{}\"", "illegal escape", 1, 2);
  ERR("\"\\0\"", "illegal escape", 1, 2);
  ERR("\"a\tb\"", "illegal character", 1, 3);
  ERR("(func $)", "empty identifier", 1, 7);
  ERR("(func $\"\")", "empty identifier", 1, 7);
  ERR("(func $ \"a\")", "empty identifier", 1, 7);
  ERR("(func $(@a))", "empty identifier", 1, 7);
}

static bool u32_of(const char *s, uint32_t *v) {
  kite_token t = one(s);
  return kite_tok_u32(&t, v);
}
static bool i32_of(const char *s, uint32_t *v) {
  kite_token t = one(s);
  return kite_tok_i32(&t, v);
}
static bool i64_of(const char *s, uint64_t *v) {
  kite_token t = one(s);
  return kite_tok_i64(&t, v);
}
static bool f32_of(const char *s, uint32_t *v) {
  kite_token t = one(s);
  return kite_tok_f32(&t, v);
}
static bool f64_of(const char *s, uint64_t *v) {
  kite_token t = one(s);
  return kite_tok_f64(&t, v);
}

static void test_integers(void) {
  uint32_t v = 0;
  uint64_t w = 0;
  CHECK(u32_of("4294967295", &v) && v == 0xFFFFFFFFu);
  CHECK(!u32_of("4294967296", &v));
  CHECK(!u32_of("-1", &v));
  CHECK(u32_of("0x1_0", &v) && v == 16);
  CHECK(i32_of("-1", &v) && v == 0xFFFFFFFFu);
  CHECK(i32_of("0xffffffff", &v) && v == 0xFFFFFFFFu);
  CHECK(i32_of("-0x80000000", &v) && v == 0x80000000u);
  CHECK(i32_of("-2147483648", &v) && v == 0x80000000u);
  CHECK(i32_of("+2147483647", &v) && v == 0x7FFFFFFFu);
  CHECK(!i32_of("+2147483648", &v));
  CHECK(!i32_of("-2147483649", &v));
  CHECK(!i32_of("0x100000000", &v));
  CHECK(!i32_of("-0x80000001", &v));
  CHECK(!i32_of("1.0", &v));
  CHECK(i64_of("18446744073709551615", &w) && w == UINT64_MAX);
  CHECK(!i64_of("18446744073709551616", &w));
  CHECK(i64_of("-9223372036854775808", &w) && w == 0x8000000000000000u);
  CHECK(!i64_of("-9223372036854775809", &w));
  CHECK(!i64_of("0x10000000000000000", &w));
  CHECK(i64_of("0x7fff_ffff_ffff_ffff", &w) && w == 0x7FFFFFFFFFFFFFFFu);
}

static void test_floats(void) {
  uint32_t f = 0;
  uint64_t d = 0;
  CHECK(f32_of("nan", &f) && f == 0x7FC00000u);
  CHECK(f32_of("-nan", &f) && f == 0xFFC00000u);
  CHECK(f32_of("nan:0x200000", &f) && f == 0x7FA00000u);
  CHECK(f32_of("-nan:0x7fffff", &f) && f == 0xFFFFFFFFu);
  CHECK(!f32_of("nan:0x0", &f));
  CHECK(!f32_of("nan:0x80_0000", &f));
  CHECK(f32_of("inf", &f) && f == 0x7F800000u);
  CHECK(f32_of("-inf", &f) && f == 0xFF800000u);
  CHECK(f32_of("-0x0.0p0", &f) && f == 0x80000000u);
  CHECK(f32_of("0x1.921fb6p+2", &f) && f == 0x40c90fdbu);
  CHECK(f32_of("0x1p-149", &f) && f == 1);
  CHECK(f32_of("0x1p-126", &f) && f == 0x00800000u);
  CHECK(f32_of("0x1.fffffep+127", &f) && f == 0x7f7fffffu);
  CHECK(f32_of("0x1.fffffcp-127", &f) && f == 0x007fffffu);
  CHECK(f32_of("0x1.p10", &f) && f == 0x44800000u);
  CHECK(f32_of("0x12345", &f) && f == 0x4791a280u);
  CHECK(f32_of("0x1_0000_0000_0000_0000_0000", &f) && f == 0x67800000u);
  CHECK(f32_of("-0x8000_0000", &f) && f == 0xcf000000u);
  CHECK(!f32_of("0x1p128", &f));
  CHECK(!f32_of("-0x1.ffffffp127", &f));
  CHECK(f32_of("0x1.fffffefffffffffp127", &f) && f == 0x7f7fffffu);
  /* rounding of hex: ties to even, sticky bits beyond the mantissa */
  CHECK(f32_of("0x1.000001p0", &f) && f == 0x3f800000u);
  CHECK(f32_of("0x1.000001000000000001p0", &f) && f == 0x3f800001u);
  CHECK(f32_of("0x1.000003p0", &f) && f == 0x3f800002u);
  CHECK(f32_of("0x1p-150", &f) && f == 0);
  CHECK(f32_of("0x1.0000000001p-150", &f) && f == 1);
  CHECK(f32_of("0x1.8p-149", &f) && f == 2);
  CHECK(f32_of("0x1.fffffffp-127", &f) && f == 0x00800000u);
  CHECK(f32_of("0x0.00000000000000000000000000000001p0", &f) && f == 0x00200000u);
  /* decimal */
  CHECK(f32_of("6.28318548202514648", &f) && f == 0x40c90fdbu);
  CHECK(f32_of("1.4013e-45", &f) && f == 1);
  CHECK(f32_of("1.1754944e-38", &f) && f == 0x00800000u);
  CHECK(f32_of("3.4028234e+38", &f) && f == 0x7f7fffffu);
  CHECK(f32_of("1_000.000_1", &f) && f == 0x447a0002u);
  CHECK(!f32_of("1e39", &f));
  CHECK(!f32_of("340282356779733661637539395458142568448", &f));
  CHECK(f32_of("340282356779733661637539395458142568447", &f) && f == 0x7f7fffffu);
  CHECK(f32_of("-0", &f) && f == 0x80000000u);
  CHECK(f32_of("+0.0e0", &f) && f == 0);
  /* f32 rounding straight from decimal, not via f64 (float_literals.wast) */
  CHECK(f32_of("+1.00000005960464477550", &f) && f == 0x3f800001u);
  CHECK(f32_of("1.000000059604644775390625", &f) && f == 0x3f800000u);
  CHECK(f64_of("nan", &d) && d == 0x7FF8000000000000u);
  CHECK(f64_of("nan:0xf_ffff_ffff_ffff", &d) && d == 0x7FFFFFFFFFFFFFFFu);
  CHECK(!f64_of("nan:0x10_0000_0000_0000", &d));
  CHECK(f64_of("0x1.fffffffffffffp1023", &d) && d == 0x7fefffffffffffffu);
  CHECK(!f64_of("0x1.fffffffffffff8p1023", &d));
  CHECK(f64_of("0x1p-1074", &d) && d == 1);
  CHECK(f64_of("0x1p-1075", &d) && d == 0);
  CHECK(f64_of("0x1.8p-1074", &d) && d == 2);
  CHECK(!f64_of("1e309", &d));
  CHECK(f64_of("4.9406564584124654e-324", &d) && d == 1);
  CHECK(f64_of("0.1", &d) && d == 0x3fb999999999999au);
  CHECK(f64_of("1e-400", &d) && d == 0);
  CHECK(f64_of("0.0000000000000000000000000000000000000000000000001e49", &d) &&
        d == 0x3ff0000000000000u);
  CHECK(f64_of("1e100000000000", &d) == false);
  /* more digits than are ever significant: a tie made inexact by a far digit */
  char buf[1200];
  strcpy(buf, "9007199254740993");
  size_t n = strlen(buf);
  memset(buf + n, '0', 900);
  strcpy(buf + n + 900, "1e-901");
  CHECK(f64_of(buf, &d) && d == 0x4340000000000001u);
  buf[n + 900] = '0';
  CHECK(f64_of(buf, &d) && d == 0x4340000000000000u);
  CHECK(!f32_of("x", &f));
  CHECK(!f32_of("0x", &f));
}

static void test_strings(void) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_buf b;
  kite_buf_init(&b, &a);
  kite_token t = one("\"a\\t\\n\\r\\\"\\'\\\\\\00\\ff\\u{41}\\u{1F600}\\u{1_0}\"");
  CHECK(t.kind == KITE_TOK_STRING);
  CHECK(kite_tok_string(&t, &b));
  static const uint8_t want[] = {'a',  '\t', '\n', '\r', '"',  '\'', '\\', 0,
                                 0xff, 'A',  0xF0, 0x9F, 0x98, 0x80, 0x10};
  CHECK(b.len == sizeof want && memcmp(b.data, want, sizeof want) == 0);
  b.len = 0;
  t = one("\"\"");
  CHECK(kite_tok_string(&t, &b) && b.len == 0);
  t = one("\"Hei\xc3\x9f"
          "e\"");
  CHECK(t.kind == KITE_TOK_STRING && kite_tok_string(&t, &b) && b.len == 6);
  kite_buf_free(&b);
}

int main(void) {
  test_kinds();
  test_tokens();
  test_errors();
  test_integers();
  test_floats();
  test_strings();
  return test_finish("test_lexer");
}
