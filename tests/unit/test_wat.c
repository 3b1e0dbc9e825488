/*
** test_wat.c: the module parser. Small modules against their expected bytes (the bytes
** wabt's wat2wasm writes for them), error messages with their positions, and every
** allocation failure.
*/
#include <stdarg.h>
#include <string.h>

#include "test_util.h"
#include "text.h"

static kite_alloc alloc;

static bool parse(const char *src, kite_buf *out, kite_error *err) {
  kite_error_clear(err);
  kite_buf_init(out, &alloc);
  return kite_wat_to_wasm(&alloc, src, strlen(src), KITE_FEATURES_ALL, out, err);
}

/* Compare the bytes after the 8-byte header with `want`. */
static void check_bytes(const char *src, const uint8_t *want, size_t n, int line) {
  kite_buf out;
  kite_error err;
  bool ok = parse(src, &out, &err);
  CHECK_MSG(ok, "line %d: %s: %s (%u:%u)", line, src, err.msg, err.line, err.col);
  if (ok) {
    bool same = out.len == n + 8 && memcmp(out.data + 8, want, n) == 0;
    CHECK_MSG(same, "line %d: %s: bytes differ", line, src);
    if (!same) {
      for (size_t i = 8; i < out.len; i++) fprintf(stderr, "%02x ", out.data[i]);
      fputc('\n', stderr);
    }
  }
  kite_buf_free(&out);
}
#define BYTES(src, ...)                                                                            \
  do {                                                                                             \
    static const uint8_t want_[] = {__VA_ARGS__};                                                  \
    check_bytes(src, want_, sizeof want_, __LINE__);                                               \
  } while (0)

static void check_error(const char *src, const char *msg, uint32_t line, uint32_t col, int at) {
  kite_buf out;
  kite_error err;
  bool ok = parse(src, &out, &err);
  CHECK_MSG(!ok && strncmp(err.msg, msg, strlen(msg)) == 0 && err.line == line && err.col == col,
            "line %d: %s: got %s '%s' at %u:%u, want '%s' at %u:%u", at, src,
            ok ? "success" : "error", err.msg, err.line, err.col, msg, line, col);
  CHECK(ok || (err.kind == KITE_ERR_COMPILE && err.code == KITE_COMPILE_MALFORMED));
  kite_buf_free(&out);
}
#define ERR(src, msg, line, col) check_error(src, msg, line, col, __LINE__)

/* The expected bytes are laid out one section a line. */
/* clang-format off */
static void test_modules(void) {
  BYTES("(module)", );
  BYTES("");
  BYTES("(module $m)", );
  /* a function: implicit type, body */
  BYTES("(func (param i32) (result i32) local.get 0)",
        0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,      /* type */
        0x03, 0x02, 0x01, 0x00,                              /* function */
        0x0a, 0x06, 0x01, 0x04, 0x00, 0x20, 0x00, 0x0b);     /* code */
  /* named params and locals, folded instructions, local groups */
  BYTES("(module (func $f (param $a i32) (local $b i64) (local i64 i32)"
        " (drop (i32.add (local.get $a) (i32.const -1)))))",
        0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00,
        0x03, 0x02, 0x01, 0x00,
        0x0a, 0x0e, 0x01, 0x0c, 0x02, 0x02, 0x7e, 0x01, 0x7f,
        0x20, 0x00, 0x41, 0x7f, 0x6a, 0x1a, 0x0b);
  /* labels: br by name counts outwards; end/else may repeat the label */
  BYTES("(func (block $a (loop $b (br $a) (br $b) (br 1))) block $c end $c)",
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
        0x03, 0x02, 0x01, 0x00,
        0x0a, 0x13, 0x01, 0x11, 0x00, 0x02, 0x40, 0x03, 0x40, 0x0c, 0x01, 0x0c, 0x00, 0x0c, 0x01,
        0x0b, 0x0b, 0x02, 0x40, 0x0b, 0x0b);
  /* implicit types are appended in text order, after the explicit ones, and reused */
  BYTES("(func (param i64)) (type $t (func)) (func (param i64)) (func (type $t))",
        0x01, 0x08, 0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7e, 0x00,
        0x03, 0x04, 0x03, 0x01, 0x01, 0x00,
        0x0a, 0x0a, 0x03, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b);
  /* imports first in every index space; inline imports and exports */
  BYTES("(import \"m\" \"g\" (global $g i32)) (func (export \"f\") (import \"m\" \"f\"))"
        " (global $h (export \"h\") (mut i64) (i64.const 5))",
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
        0x02, 0x0e, 0x02, 0x01, 'm', 0x01, 'g', 0x03, 0x7f, 0x00, 0x01, 'm', 0x01, 'f', 0x00, 0x00,
        0x06, 0x06, 0x01, 0x7e, 0x01, 0x42, 0x05, 0x0b,
        0x07, 0x09, 0x02, 0x01, 'f', 0x00, 0x00, 0x01, 'h', 0x03, 0x01);
  /* memory with inline data, passive data, data.drop brings the data count section */
  BYTES("(memory (data \"ab\")) (data $d \"c\") (func data.drop $d)",
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
        0x03, 0x02, 0x01, 0x00,
        0x05, 0x04, 0x01, 0x01, 0x01, 0x01,
        0x0c, 0x01, 0x02,
        0x0a, 0x07, 0x01, 0x05, 0x00, 0xfc, 0x09, 0x01, 0x0b,
        0x0b, 0x0b, 0x02, 0x00, 0x41, 0x00, 0x0b, 0x02, 'a', 'b', 0x01, 0x01, 'c');
  /* table with inline elements; active, passive and declarative segments; a written
     (table 0) keeps the explicit form */
  BYTES("(table funcref (elem $f)) (func $f) (elem declare func $f)"
        " (elem (table 0) (offset (i32.const 1)) func $f) (elem externref (ref.null extern))",
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
        0x03, 0x02, 0x01, 0x00,
        0x04, 0x05, 0x01, 0x70, 0x01, 0x01, 0x01,
        0x09, 0x19, 0x04, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x00, 0x03, 0x00, 0x01, 0x00, 0x02, 0x00,
        0x41, 0x01, 0x0b, 0x00, 0x01, 0x00, 0x05, 0x6f, 0x01, 0xd0, 0x6f, 0x0b,
        0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b);
  /* memarg: offset, alignment, memory index; i64 memory with custom page size */
  BYTES("(memory 1) (memory $m i64 1 2 (pagesize 1))"
        " (func (drop (i32.load $m offset=8 align=2 (i64.const 0))) (drop (i64.load8_u (i32.const 0))))",
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
        0x03, 0x02, 0x01, 0x00,
        0x05, 0x07, 0x02, 0x00, 0x01, 0x0d, 0x01, 0x02, 0x00,
        0x0a, 0x11, 0x01, 0x0f, 0x00, 0x42, 0x00, 0x28, 0x41, 0x01, 0x08, 0x1a, 0x41, 0x00, 0x31,
        0x00, 0x00, 0x1a, 0x0b);
  /* block types: empty, value, type index (multi-value), if/else */
  BYTES("(func (result i32) (block (result i32 i32) (i32.const 1) (i32.const 2)) drop drop"
        " (if (result i32) (i32.const 0) (then (i32.const 1)) (else (i32.const 2))) drop"
        " i32.const 0 if else end i32.const 3)",
        0x01, 0x0a, 0x02, 0x60, 0x00, 0x01, 0x7f, 0x60, 0x00, 0x02, 0x7f, 0x7f,
        0x03, 0x02, 0x01, 0x00,
        0x0a, 0x1f, 0x01, 0x1d, 0x00, 0x02, 0x01, 0x41, 0x01, 0x41, 0x02, 0x0b, 0x1a, 0x1a, 0x41, 0x00,
        0x04, 0x7f, 0x41, 0x01, 0x05, 0x41, 0x02, 0x0b, 0x1a, 0x41, 0x00, 0x04, 0x40, 0x0b, 0x41,
        0x03, 0x0b);
  /* br_table, select with a type, call_indirect with an inline type */
  BYTES("(table 1 funcref) (func (param i32) (block (br_table 0 0 (local.get 0)))"
        " (drop (select (result i64) (i64.const 1) (i64.const 2) (local.get 0)))"
        " (call_indirect (param i32) (local.get 0) (i32.const 0)))",
        0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00,
        0x03, 0x02, 0x01, 0x00,
        0x04, 0x04, 0x01, 0x70, 0x00, 0x01,
        0x0a, 0x1e, 0x01, 0x1c, 0x00, 0x02, 0x40, 0x20, 0x00, 0x0e, 0x01, 0x00, 0x00, 0x0b, 0x42,
        0x01, 0x42, 0x02, 0x20, 0x00, 0x1c, 0x01, 0x7e, 0x1a, 0x20, 0x00, 0x41, 0x00, 0x11, 0x00,
        0x00, 0x0b);
  /* constants: every float form, v128 shapes */
  BYTES("(func (drop (f32.const -0x1p-149)) (drop (f64.const nan:0x1))"
        " (drop (v128.const i16x8 -1 0 1 2 3 4 5 0xffff)))",
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
        0x03, 0x02, 0x01, 0x00,
        0x0a, 0x27, 0x01, 0x25, 0x00, 0x43, 0x01, 0x00, 0x00, 0x80, 0x1a, 0x44, 0x01, 0x00, 0x00,
        0x00, 0x00, 0x00, 0xf0, 0x7f, 0x1a, 0xfd, 0x0c, 0xff, 0xff, 0x00, 0x00, 0x01, 0x00, 0x02,
        0x00, 0x03, 0x00, 0x04, 0x00, 0x05, 0x00, 0xff, 0xff, 0x1a, 0x0b);
  /* GC: a recursive group, subtyping, struct fields by name */
  BYTES("(rec (type $s (sub (struct (field $x (mut i32))))) (type $a (array i8)))"
        " (func (param (ref $s)) (struct.set $s $x (local.get 0) (i32.const 1)))",
        0x01, 0x11, 0x02, 0x4e, 0x02, 0x50, 0x00, 0x5f, 0x01, 0x7f, 0x01, 0x5e, 0x78, 0x00,
        0x60, 0x01, 0x64, 0x00, 0x00,
        0x03, 0x02, 0x01, 0x02,
        0x0a, 0x0c, 0x01, 0x0a, 0x00, 0x20, 0x00, 0x41, 0x01, 0xfb, 0x05, 0x00, 0x00, 0x0b);
  /* exceptions: a tag, try_table with catch clauses resolved outside the block */
  BYTES("(tag $e (param i32)) (func (block $out (try_table (catch $e $out) (catch_all 0))))",
        0x01, 0x08, 0x02, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x00, 0x00,
        0x03, 0x02, 0x01, 0x01,
        0x0d, 0x03, 0x01, 0x00, 0x00,
        0x0a, 0x10, 0x01, 0x0e, 0x00, 0x02, 0x40, 0x1f, 0x40, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00,
        0x0b, 0x0b, 0x0b);
  /* annotations other than @name and @custom are skipped anywhere */
  BYTES("((@a) module (@b x (y)) (@c))");
  /* @custom: placed before or after a section (present or not), by default at the end */
  BYTES("(@custom \"a\" \"1\") (func) (@custom \"b\" (before first) \"2\" \"3\")"
        " (@custom \"c\" (after func))",
        0x00, 0x04, 0x01, 'b', '2', '3',
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
        0x03, 0x02, 0x01, 0x00,
        0x00, 0x02, 0x01, 'c',
        0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
        0x00, 0x03, 0x01, 'a', '1');
  /* branch hints: offsets of if / br_if within the body (locals included) */
  BYTES("(func (local i32) (@metadata.code.branch_hint \"\\01\") (if (i32.const 0) (then))"
        " (block (@metadata.code.branch_hint \"\\00\") br_if 0 (i32.const 1)))",
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
        0x03, 0x02, 0x01, 0x00,
        0x00, 0x23, 0x19, 'm', 'e', 't', 'a', 'd', 'a', 't', 'a', '.', 'c', 'o', 'd', 'e', '.',
        'b', 'r', 'a', 'n', 'c', 'h', '_', 'h', 'i', 'n', 't', 0x01, 0x00, 0x02, 0x05, 0x01, 0x01,
        0x0a, 0x01, 0x00,
        0x0a, 0x12, 0x01, 0x10, 0x01, 0x01, 0x7f, 0x41, 0x00, 0x04, 0x40, 0x0b, 0x02, 0x40, 0x0d,
        0x00, 0x41, 0x01, 0x0b, 0x0b);
}

/* clang-format on */

static void test_errors(void) {
  ERR("(module (func (local $a i32)\n (local $a i32)))", "duplicate local", 2, 9);
  ERR("(func $f) (func $f)", "duplicate func", 1, 12);
  ERR("(func br $x)", "unknown label", 1, 10);
  ERR("(func block $a end $b)", "mismatching label", 1, 20);
  ERR("(func i32.const 0 if else $l end)", "mismatching label", 1, 27);
  ERR("(func (call $g))", "unknown function", 1, 13);
  ERR("(func (local.get $x))", "unknown local", 1, 18);
  ERR("(func (i32.const 0x1_0000_0000))", "constant out of range", 1, 18);
  ERR("(func (f32.const 1e39))", "constant out of range", 1, 18);
  ERR("(func (i32.const))", "unexpected token", 1, 17);
  ERR("(func (i32.add0))", "unknown operator", 1, 8);
  ERR("(func br 0drop)", "unknown operator", 1, 10);
  ERR("(func (nop) (local i32))", "unexpected token", 1, 14);
  ERR("(type $t (func)) (func (type $t) (param i32))", "inline function type", 1, 24);
  ERR("(func (block (param $x i32)))", "unexpected token", 1, 21);
  ERR("(memory 1) (func (drop (i32.load align=3 (i32.const 0))))", "alignment", 1, 34);
  ERR("(func) (import \"\" \"\" (func))", "import after function", 1, 9);
  ERR("(func (v128.const i32x4 1 2 3))", "wrong number of lane literals", 1, 19);
  ERR("(func (export \"\\ff\"))", "malformed UTF-8 encoding", 1, 15);
  ERR("(func $\"\\ef\")", "malformed UTF-8", 1, 7);
  ERR("(start 0) (start 0)", "multiple start sections", 1, 11);
  ERR("(func (block)", "unexpected end of input", 1, 14);
  ERR("(module) (func)", "unexpected token", 1, 10);
  ERR("(func))", "unexpected token", 1, 7);
  ERR("(func (@a) \"\x80\")", "malformed UTF-8 encoding", 1, 13);
  ERR("(module (func) (@name \"M\"))", "misplaced @name annotation", 1, 16);
  ERR("(module (@name \"a\") (@name \"b\"))", "@name annotation: multiple module", 1, 21);
  ERR("(type (@custom \"x\") (func))", "misplaced @custom annotation", 1, 7);
  ERR("(@custom \"x\" (after types))", "@custom annotation: malformed section kind", 1, 1);
  ERR("(@custom 4)", "@custom annotation: missing section name", 1, 1);
  ERR("(@metadata.code.branch_hint \"\\01\") (func)",
      "@metadata.code.branch_hint annotation: not in a function", 1, 1);
  ERR("(func (@metadata.code.branch_hint \"\\01\") (@metadata.code.branch_hint \"\\01\") (if"
      " (i32.const 0) (then)))",
      "@metadata.code.branch_hint annotation: duplicate annotation", 1, 42);
}

/* With --debug-names: a name section as wabt writes it, @name overriding $id. */
static void test_names(void) {
  kite_buf out;
  kite_error err;
  kite_error_clear(&err);
  kite_buf_init(&out, &alloc);
  kite_wat_options opt = {true};
  const char *src = "(module $m (func $f (@name \"g\") (param $p i32) (local i64)) (global $x i32"
                    " (i32.const 0)))";
  CHECK(kite_wat_to_wasm_ex(&alloc, src, strlen(src), KITE_FEATURES_ALL, &opt, &out, &err));
  static const uint8_t names[] = {0x00, 0x1d, 0x04, 'n',  'a',  'm',  'e',  0x00,
                                  0x02, 0x01, 'm',                               /* module */
                                  0x01, 0x04, 0x01, 0x00, 0x01, 'g',             /* functions */
                                  0x02, 0x06, 0x01, 0x00, 0x01, 0x00, 0x01, 'p', /* locals */
                                  0x07, 0x04, 0x01, 0x00, 0x01, 'x'};            /* globals */
  CHECK(out.len > sizeof names &&
        memcmp(out.data + out.len - sizeof names, names, sizeof names) == 0);
  kite_buf_free(&out);
}

/* Every allocation failure must end in an OOM error, never a crash or a leak. */
static void test_oom(void) {
  const char *src =
      "(module (type $t (func (param i32))) (import \"a\" \"b\" (func $i (type $t)))"
      " (memory (export \"m\") 1) (data (i32.const 0) \"hello\") (table 2 funcref)"
      " (elem (i32.const 0) $f $i) (global $g (mut i32) (i32.const 1))"
      " (func $f (param $p i32) (result i32) (local $l i64)"
      "   (block $b (br_table $b $b (local.get $p))) (i32.add (local.get $p) (global.get $g))))";
  kite_buf out;
  kite_error err;
  CHECK(parse(src, &out, &err));
  size_t want = out.len;
  kite_buf_free(&out);
  CHECK(alloc.bytes == 0);
  int failures = 0, n;
  for (n = 1; n < 10000; n++) {
    kite_alloc a;
    kite_alloc_init(&a, NULL, NULL);
    a.fail_at = (uint64_t)n;
    kite_error_clear(&err);
    kite_buf_init(&out, &a);
    bool ok = kite_wat_to_wasm(&a, src, strlen(src), KITE_FEATURES_ALL, &out, &err);
    if (ok) {
      CHECK(out.len == want);
      kite_buf_free(&out);
      CHECK(a.bytes == 0);
      break;
    }
    if (err.kind != KITE_ERR_OOM) failures++;
    kite_buf_free(&out);
    if (a.bytes != 0) failures++;
  }
  CHECK_MSG(failures == 0, "%d allocation failures handled wrongly", failures);
  CHECK(n > 10);
}

int main(void) {
  kite_alloc_init(&alloc, NULL, NULL);
  test_modules();
  test_errors();
  test_names();
  test_oom();
  CHECK(alloc.bytes == 0);
  return test_finish("test_wat");
}
