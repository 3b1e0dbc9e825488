/*
** test_wast_parse.c: the .wast script parser: every command form, every result
** pattern, and syntax errors reported at their line:col. Also parses every script of
** the official suite (when present) to prove the parser accepts the whole grammar.
*/
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "text.h"

static kite_alloc alloc;

static bool parse(const char *src, kite_wast_script *s, kite_error *err) {
  kite_error_clear(err);
  return kite_wast_parse(&alloc, src, strlen(src), KITE_FEATURES_ALL, s, err);
}

static bool name_is(kite_name n, const char *s) {
  return n.ptr && n.len == strlen(s) && memcmp(n.ptr, s, n.len) == 0;
}

static void test_modules(void) {
  kite_wast_script s;
  kite_error err;
  const char *src = "(module)\n"
                    "(module $M (func))\n"
                    "(module definition $D (memory 1))\n"
                    "(module $B binary \"\\00asm\" \"\\01\\00\\00\\00\")\n"
                    "(module quote \"(func\" \" $f)\")\n"
                    "(module instance $I $D)\n"
                    "(module instance)\n"
                    "(register \"reg\" $I)\n"
                    "(register \"latest\")\n";
  CHECK(parse(src, &s, &err));
  CHECK(s.ncmds == 9);
  if (s.ncmds != 9) return;
  kite_wast_cmd *c = s.cmds;
  CHECK(c[0].kind == KITE_WAST_MODULE && c[0].module.kind == KITE_WAST_MOD_BINARY);
  CHECK(c[0].module.is_text && c[0].module.len >= 8 && memcmp(c[0].module.bytes, "\0asm", 4) == 0);
  CHECK(c[0].module.name.ptr == NULL && !c[0].module.definition);
  CHECK(c[0].line == 1 && c[0].col == 1);
  CHECK(name_is(c[1].module.name, "M") && c[1].line == 2);
  CHECK(c[2].module.definition && name_is(c[2].module.name, "D"));
  CHECK(c[3].module.kind == KITE_WAST_MOD_BINARY && !c[3].module.is_text);
  CHECK(c[3].module.len == 8 && memcmp(c[3].module.bytes, "\0asm\1\0\0\0", 8) == 0);
  CHECK(name_is(c[3].module.name, "B"));
  CHECK(c[4].module.kind == KITE_WAST_MOD_QUOTE);
  CHECK(c[4].module.len == 9 && memcmp(c[4].module.bytes, "(func $f)", 9) == 0);
  CHECK(c[5].kind == KITE_WAST_INSTANCE && name_is(c[5].name, "I") && name_is(c[5].ref, "D"));
  CHECK(c[6].kind == KITE_WAST_INSTANCE && !c[6].name.ptr && !c[6].ref.ptr);
  CHECK(c[7].kind == KITE_WAST_REGISTER && name_is(c[7].name, "reg") && name_is(c[7].ref, "I"));
  CHECK(c[8].kind == KITE_WAST_REGISTER && name_is(c[8].name, "latest") && !c[8].ref.ptr);
  kite_wast_free(&s);
}

static void test_actions(void) {
  kite_wast_script s;
  kite_error err;
  const char *src =
      "(invoke \"f\" (i32.const -1) (i64.const 0xffffffffffffffff) (f32.const 1.5)\n"
      "  (f64.const -0x1p-1074) (v128.const i8x16 -128 255 0 1 2 3 4 5 6 7 8 9 10 11 12 13)\n"
      "  (ref.null func) (ref.null extern) (ref.extern 7) (ref.host 3) (ref.null $t) (ref.null))\n"
      "(get $M \"g\")\n"
      "(invoke $M \"\\00x\")\n";
  CHECK(parse(src, &s, &err));
  CHECK(s.ncmds == 3);
  if (s.ncmds != 3) return;
  kite_wast_action *a = &s.cmds[0].action;
  CHECK(s.cmds[0].kind == KITE_WAST_ACTION && a->kind == KITE_WAST_INVOKE);
  CHECK(a->instance.ptr == NULL && name_is(a->field, "f"));
  CHECK(a->nargs == 11);
  if (a->nargs == 11) {
    CHECK(a->args[0].kind == KITE_WAST_I32 && a->args[0].u.i32 == 0xffffffffu);
    CHECK(a->args[1].kind == KITE_WAST_I64 && a->args[1].u.i64 == UINT64_MAX);
    CHECK(a->args[2].kind == KITE_WAST_F32 && a->args[2].u.i32 == 0x3fc00000u);
    CHECK(a->args[3].kind == KITE_WAST_F64 && a->args[3].u.i64 == 0x8000000000000001ull);
    CHECK(a->args[4].kind == KITE_WAST_V128 && a->args[4].shape == KITE_WAST_I8X16);
    CHECK(a->args[4].u.v128[0] == 0x80 && a->args[4].u.v128[1] == 0xff &&
          a->args[4].u.v128[15] == 13);
    CHECK(a->args[5].kind == KITE_WAST_REF_NULL && a->args[5].ht == KITE_HT_FUNC);
    CHECK(a->args[6].kind == KITE_WAST_REF_NULL && a->args[6].ht == KITE_HT_EXTERN);
    CHECK(a->args[7].kind == KITE_WAST_REF_EXTERN && a->args[7].has_payload &&
          a->args[7].u.payload == 7);
    CHECK(a->args[8].kind == KITE_WAST_REF_HOST && a->args[8].u.payload == 3);
    CHECK(a->args[9].kind == KITE_WAST_REF_NULL && a->args[9].ht == KITE_WAST_HT_INDEX);
    CHECK(a->args[10].kind == KITE_WAST_REF_NULL && a->args[10].ht == KITE_WAST_HT_ANY);
  }
  CHECK(s.cmds[1].action.kind == KITE_WAST_GET && name_is(s.cmds[1].action.instance, "M"));
  CHECK(name_is(s.cmds[1].action.field, "g"));
  CHECK(s.cmds[2].action.field.len == 2 && s.cmds[2].action.field.ptr[0] == 0);
  kite_wast_free(&s);
}

static void test_results(void) {
  kite_wast_script s;
  kite_error err;
  const char *src =
      "(assert_return (invoke \"f\"))\n"
      "(assert_return (invoke \"f\") (i32.const 1) (f32.const nan:canonical)\n"
      "  (f64.const nan:arithmetic) (f32.const nan:0x200000) (f64.const -inf))\n"
      "(assert_return (invoke \"f\") (v128.const f32x4 1 nan:canonical -0.0 nan:arithmetic)\n"
      "  (v128.const f64x2 nan:arithmetic 2) (v128.const i16x8 -1 2 3 4 5 6 7 65535)\n"
      "  (v128.const i32x4 1 2 3 -1) (v128.const i64x2 -1 1))\n"
      "(assert_return (invoke \"f\") (ref.null) (ref.null any) (ref.func) (ref.func $f)\n"
      "  (ref.extern) (ref.extern 3) (ref.host 1) (ref) (ref.any) (ref.eq) (ref.i31)\n"
      "  (ref.struct) (ref.array) (ref.exn))\n"
      "(assert_return (invoke \"f\") (either (i32.const 1) (v128.const i8x16 0 0 0 0 0 0 0 0 0 0 0 "
      "0 0 0 0 0)))\n";
  CHECK(parse(src, &s, &err));
  CHECK(s.ncmds == 5);
  if (s.ncmds != 5) return;
  CHECK(s.cmds[0].kind == KITE_WAST_ASSERT_RETURN && s.cmds[0].nresults == 0);
  kite_wast_value *r = s.cmds[1].results;
  CHECK(s.cmds[1].nresults == 5);
  CHECK(r[0].kind == KITE_WAST_I32 && r[0].u.i32 == 1 && r[0].nan[0] == KITE_WAST_NAN_NONE);
  CHECK(r[1].kind == KITE_WAST_F32 && r[1].nan[0] == KITE_WAST_NAN_CANONICAL);
  CHECK(r[2].kind == KITE_WAST_F64 && r[2].nan[0] == KITE_WAST_NAN_ARITHMETIC);
  CHECK(r[3].kind == KITE_WAST_F32 && r[3].nan[0] == KITE_WAST_NAN_NONE &&
        r[3].u.i32 == 0x7fa00000u);
  CHECK(r[4].kind == KITE_WAST_F64 && r[4].u.i64 == 0xfff0000000000000ull);
  r = s.cmds[2].results;
  CHECK(s.cmds[2].nresults == 5);
  CHECK(r[0].shape == KITE_WAST_F32X4 && r[0].nan[0] == KITE_WAST_NAN_NONE &&
        r[0].nan[1] == KITE_WAST_NAN_CANONICAL && r[0].nan[2] == KITE_WAST_NAN_NONE &&
        r[0].nan[3] == KITE_WAST_NAN_ARITHMETIC);
  CHECK(r[0].u.v128[3] == 0x3f && r[0].u.v128[2] == 0x80 && r[0].u.v128[11] == 0x80);
  CHECK(r[1].shape == KITE_WAST_F64X2 && r[1].nan[0] == KITE_WAST_NAN_ARITHMETIC &&
        r[1].nan[1] == KITE_WAST_NAN_NONE && r[1].u.v128[15] == 0x40);
  CHECK(r[2].shape == KITE_WAST_I16X8 && r[2].u.v128[0] == 0xff && r[2].u.v128[1] == 0xff &&
        r[2].u.v128[2] == 2 && r[2].u.v128[14] == 0xff);
  CHECK(r[3].shape == KITE_WAST_I32X4 && r[3].u.v128[12] == 0xff && r[3].u.v128[0] == 1);
  CHECK(r[4].shape == KITE_WAST_I64X2 && r[4].u.v128[7] == 0xff && r[4].u.v128[8] == 1);
  r = s.cmds[3].results;
  CHECK(s.cmds[3].nresults == 14);
  if (s.cmds[3].nresults == 14) {
    CHECK(r[0].kind == KITE_WAST_REF_NULL && r[0].ht == KITE_WAST_HT_ANY);
    CHECK(r[1].kind == KITE_WAST_REF_NULL && r[1].ht == KITE_HT_ANY);
    CHECK(r[2].kind == KITE_WAST_REF_FUNC && r[3].kind == KITE_WAST_REF_FUNC);
    CHECK(r[4].kind == KITE_WAST_REF_EXTERN && !r[4].has_payload);
    CHECK(r[5].kind == KITE_WAST_REF_EXTERN && r[5].has_payload && r[5].u.payload == 3);
    CHECK(r[6].kind == KITE_WAST_REF_HOST && r[6].u.payload == 1);
    CHECK(r[7].kind == KITE_WAST_REF && r[8].kind == KITE_WAST_REF_ANY);
    CHECK(r[9].kind == KITE_WAST_REF_EQ && r[10].kind == KITE_WAST_REF_I31);
    CHECK(r[11].kind == KITE_WAST_REF_STRUCT && r[12].kind == KITE_WAST_REF_ARRAY);
    CHECK(r[13].kind == KITE_WAST_REF_EXN);
  }
  r = s.cmds[4].results;
  CHECK(s.cmds[4].nresults == 1 && r[0].kind == KITE_WAST_EITHER && r[0].nalts == 2);
  if (r[0].nalts == 2)
    CHECK(r[0].alts[0].kind == KITE_WAST_I32 && r[0].alts[1].kind == KITE_WAST_V128);
  kite_wast_free(&s);
}

static void test_assertions(void) {
  kite_wast_script s;
  kite_error err;
  const char *src =
      "(assert_trap (invoke \"f\" (i32.const 0)) \"integer divide by zero\")\n"
      "(assert_trap (module (func $f unreachable) (start $f)) \"unreachable\")\n"
      "(assert_exhaustion (invoke \"loop\") \"call stack exhausted\")\n"
      "(assert_exception (invoke \"throw\"))\n"
      "(assert_invalid (module (func (result i32))) \"type mismatch\")\n"
      "(assert_malformed (module quote \"(func\") \"unexpected end\")\n"
      "(assert_malformed (module binary \"\\00asm\") \"unexpected end\")\n"
      "(assert_unlinkable (module (import \"m\" \"f\" (func))) \"unknown import\")\n"
      "(assert_uninstantiable (module binary \"\") \"out of bounds\")\n"
      "(assert_malformed_custom (module quote \"(@custom)\") \"@custom annotation\")\n"
      "(assert_invalid_custom (module) \"invalid\")\n"
      "(thread $T (shared (module $M)) (register \"M\" $M) (assert_return (invoke \"f\")))\n"
      "(wait $T)\n";
  CHECK(parse(src, &s, &err));
  CHECK(s.ncmds == 13);
  if (s.ncmds != 13) return;
  kite_wast_cmd *c = s.cmds;
  CHECK(c[0].kind == KITE_WAST_ASSERT_TRAP && !c[0].on_module && c[0].action.nargs == 1);
  CHECK(name_is(c[0].text, "integer divide by zero"));
  CHECK(c[1].kind == KITE_WAST_ASSERT_TRAP && c[1].on_module && c[1].module.is_text);
  CHECK(name_is(c[1].text, "unreachable"));
  CHECK(c[2].kind == KITE_WAST_ASSERT_EXHAUSTION && name_is(c[2].text, "call stack exhausted"));
  CHECK(c[3].kind == KITE_WAST_ASSERT_EXCEPTION && name_is(c[3].action.field, "throw"));
  CHECK(c[4].kind == KITE_WAST_ASSERT_INVALID && c[4].module.kind == KITE_WAST_MOD_BINARY);
  CHECK(name_is(c[4].text, "type mismatch"));
  CHECK(c[5].kind == KITE_WAST_ASSERT_MALFORMED && c[5].module.kind == KITE_WAST_MOD_QUOTE);
  CHECK(c[6].kind == KITE_WAST_ASSERT_MALFORMED && c[6].module.len == 4);
  CHECK(c[7].kind == KITE_WAST_ASSERT_UNLINKABLE && name_is(c[7].text, "unknown import"));
  CHECK(c[8].kind == KITE_WAST_ASSERT_UNINSTANTIABLE && c[8].module.len == 0);
  CHECK(c[9].kind == KITE_WAST_ASSERT_MALFORMED_CUSTOM);
  CHECK(c[10].kind == KITE_WAST_ASSERT_INVALID_CUSTOM);
  CHECK(c[11].kind == KITE_WAST_THREAD && name_is(c[11].name, "T") && c[11].nshared == 1);
  CHECK(c[11].ncmds == 2);
  if (c[11].nshared == 1) CHECK(name_is(c[11].shared[0], "M"));
  if (c[11].ncmds == 2) {
    CHECK(c[11].cmds[0].kind == KITE_WAST_REGISTER && name_is(c[11].cmds[0].ref, "M"));
    CHECK(c[11].cmds[1].kind == KITE_WAST_ASSERT_RETURN && c[11].cmds[1].line == 12);
  }
  CHECK(c[12].kind == KITE_WAST_WAIT && name_is(c[12].name, "T"));
  kite_wast_free(&s);
}

/* A text module that does not parse becomes an error value; the script goes on. */
static void test_bad_text_module(void) {
  kite_wast_script s;
  kite_error err;
  const char *src = "(module (func (i32.bogus)))\n(assert_return (invoke \"f\"))\n";
  CHECK(parse(src, &s, &err));
  CHECK(s.ncmds == 2);
  if (s.ncmds == 2) {
    CHECK(s.cmds[0].module.kind == KITE_WAST_MOD_ERROR);
    CHECK(s.cmds[0].module.error.kind == KITE_ERR_COMPILE && s.cmds[0].module.error.line == 1);
    CHECK(s.cmds[1].kind == KITE_WAST_ASSERT_RETURN && s.cmds[1].line == 2);
  }
  kite_wast_free(&s);
}

/* Annotations are white space; a script of bare module fields is one module. */
static void test_annotations_and_inline(void) {
  kite_wast_script s;
  kite_error err;
  CHECK(parse("(@a) ((@a) module (@b x) $m (@a))\n((@x)register (@y)\"m\")", &s, &err));
  CHECK(s.ncmds == 2);
  if (s.ncmds == 2) {
    CHECK(s.cmds[0].kind == KITE_WAST_MODULE && name_is(s.cmds[0].module.name, "m"));
    CHECK(s.cmds[1].kind == KITE_WAST_REGISTER && name_is(s.cmds[1].name, "m"));
  }
  kite_wast_free(&s);
  CHECK(parse("(func) (memory 0) (func (export \"f\"))", &s, &err));
  CHECK(s.ncmds == 1);
  if (s.ncmds == 1) {
    CHECK(s.cmds[0].kind == KITE_WAST_MODULE && s.cmds[0].module.is_text);
    CHECK(s.cmds[0].line == 1 && s.cmds[0].col == 1);
  }
  kite_wast_free(&s);
}

static void check_error(const char *src, uint32_t line, uint32_t col) {
  kite_wast_script s;
  kite_error err;
  bool ok = parse(src, &s, &err);
  CHECK_MSG(!ok, "accepted: %s", src);
  if (ok) {
    kite_wast_free(&s);
    return;
  }
  CHECK_MSG(err.kind == KITE_ERR_COMPILE && err.line == line && err.col == col,
            "%s: got %u:%u %s, expected %u:%u", src, err.line, err.col, err.msg, line, col);
  CHECK(s.ncmds == 0 && s.cmds == NULL);
}

static void test_errors(void) {
  check_error("(bogus)", 1, 2);
  check_error("(module)\n  (invoke 7)", 2, 11);
  check_error("(assert_return (invoke \"f\") (i32.const))", 1, 39);
  check_error("(assert_return (invoke \"f\") (i32.const 0x1_0000_0000))", 1, 40);
  check_error("(invoke \"f\" (f32.const nan:canonical))", 1, 24);
  check_error(
      "(assert_return (invoke \"f\")\n (v128.const i8x16 256 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0))", 2,
      20);
  check_error("(assert_return (invoke \"f\") (v128.const i32x4 1 2 3))", 1, 52);
  check_error("(assert_return (invoke \"f\") (v128.const i3x4 1 2 3 4))", 1, 41);
  check_error("(assert_return (invoke \"f\") (either))", 1, 36);
  check_error("(assert_invalid (module) )", 1, 26);
  check_error("(assert_trap (nop) \"x\")", 1, 15);
  check_error("(register)", 1, 10);
  check_error("(module", 1, 8);
  check_error("(wait)", 1, 6);
  check_error("(invoke \"f\" (ref.func))", 1, 14);
  check_error("(invoke \"f\" (ref.extern))", 1, 24);
  check_error("x", 1, 1);
}

/* Deep nesting is an error, not a stack overflow. */
static void test_depth(void) {
  char src[4096] = "(assert_return (invoke \"f\") ";
  for (int i = 0; i < 300; i++) strcat(src, "(either ");
  strcat(src, "(i32.const 1)");
  for (int i = 0; i < 301; i++) strcat(src, ")");
  kite_wast_script s;
  kite_error err;
  CHECK(!parse(src, &s, &err));
  CHECK(strstr(err.msg, "nested too deeply") != NULL);
}

/* Every allocation failure is reported as OOM (or the parse succeeds) and leaks nothing. */
static void test_oom(void) {
  const char *src = "(module $M (func (export \"f\") (result i32) (i32.const 1)))\n"
                    "(assert_return (invoke $M \"f\") (either (i32.const 1) (i32.const 2)))\n"
                    "(thread $T (shared (module $M)) (invoke \"f\"))\n"
                    "(assert_invalid (module binary \"\\00asm\") \"x\")\n";
  bool done = false;
  for (uint64_t n = 1; n < 10000 && !done; n++) {
    kite_alloc a;
    kite_alloc_init(&a, NULL, NULL);
    a.fail_at = n;
    kite_wast_script s;
    kite_error err;
    kite_error_clear(&err);
    if (kite_wast_parse(&a, src, strlen(src), KITE_FEATURES_ALL, &s, &err)) {
      done = a.count < n; /* no allocation failed: every path was tried */
      kite_wast_free(&s);
    } else {
      CHECK_MSG(err.kind == KITE_ERR_OOM, "allocation %llu: %s", (unsigned long long)n, err.msg);
    }
    CHECK_MSG(a.bytes == 0, "allocation %llu: %zu bytes leaked", (unsigned long long)n, a.bytes);
  }
  CHECK(done);
}

/* Every script of the official suite parses. */
static void test_suite(const char *dir) {
  static const char *const subdirs[] = {"",
                                        "legacy",
                                        "custom",
                                        "proposals/threads",
                                        "proposals/wide-arithmetic",
                                        "proposals/custom-page-sizes",
                                        "proposals/custom-descriptors"};
  int files = 0;
  for (size_t i = 0; i < sizeof subdirs / sizeof *subdirs; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, subdirs[i]);
    DIR *d = opendir(path);
    if (!d) continue;
    struct dirent *e;
    while ((e = readdir(d))) {
      size_t n = strlen(e->d_name);
      if (n < 5 || strcmp(e->d_name + n - 5, ".wast") != 0) continue;
      char file[4096 + 512];
      snprintf(file, sizeof file, "%s/%s", path, e->d_name);
      size_t len;
      uint8_t *src = test_read_file(file, &len);
      CHECK_MSG(src != NULL, "cannot read %s", file);
      if (!src) continue;
      kite_wast_script s;
      kite_error err;
      kite_error_clear(&err);
      bool ok = kite_wast_parse(&alloc, (const char *)src, len, KITE_FEATURES_ALL, &s, &err);
      CHECK_MSG(ok, "%s:%u:%u: %s", file, err.line, err.col, err.msg);
      if (ok) kite_wast_free(&s);
      free(src);
      files++;
    }
    closedir(d);
  }
  CHECK(files > 200);
}

int main(void) {
  kite_alloc_init(&alloc, NULL, NULL);
  test_modules();
  test_actions();
  test_results();
  test_assertions();
  test_bad_text_module();
  test_annotations_and_inline();
  test_errors();
  test_depth();
  test_oom();
  CHECK(alloc.bytes == 0);
  const char *dir = test_suite_dir();
  if (dir) test_suite(dir);
  else printf("test_wast_parse: suite missing, skipping the suite parse\n");
  CHECK(alloc.bytes == 0);
  return test_finish("test_wast_parse");
}
