/*
** test_regressions.c: one test per bug the fuzzers found, and the inputs they found
** it with.
**
** The fuzz targets' own checks (fuzz/fuzz_*.c, included here with their entry points
** renamed) run over every committed input in tests/regressions/<target>/ and over the
** inline inputs below, so the gcc builds (plain and ASan+UBSan) exercise the same
** properties as the clang fuzz builds. A target that finds a problem aborts, which
** fails this test. Each inline test then checks the specific outcome the fix gives.
*/
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "wasm_builder.h"

#define LLVMFuzzerTestOneInput fuzz_decode_one
#include "../../fuzz/fuzz_decode.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_wat_one
#include "../../fuzz/fuzz_wat.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_exec_one
#include "../../fuzz/fuzz_exec.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_wast_one
#include "../../fuzz/fuzz_wast.c"
#undef LLVMFuzzerTestOneInput

typedef int (*fuzz_fn)(const uint8_t *data, size_t size);

#define HDR "\0asm\1\0\0\0"

/* ---- helpers ---- */

static void run_text(fuzz_fn fn, const char *text) { CHECK(fn((const uint8_t *)text, strlen(text)) == 0); }
static void run_bytes(fuzz_fn fn, const char *bytes, size_t n) {
  CHECK(fn((const uint8_t *)bytes, n) == 0);
}

/* Decode and validate; the validation error's message (empty when valid). */
static const char *validate_msg(const char *bytes, size_t n, kite_error *err) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_error_clear(err);
  kite_module *m = kite_decode(&a, (const uint8_t *)bytes, n, KITE_FEATURES_ALL, NULL, err);
  if (m) kite_validate_module(m, KITE_FEATURES_ALL, err);
  kite_module_free(m);
  return err->msg;
}

static bool wat_ok(const char *text) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_buf out;
  kite_buf_init(&out, &a);
  kite_error err;
  kite_error_clear(&err);
  bool ok = kite_wat_to_wasm(&a, text, strlen(text), KITE_FEATURES_ALL, &out, &err);
  kite_buf_free(&out);
  return ok;
}

/* ---- the committed inputs ---- */

static void run_dir(const char *target, fuzz_fn fn) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/tests/regressions/%s", test_source_dir(), target);
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  unsigned n = 0;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    size_t len;
    uint8_t *p = test_read_file(path, &len);
    CHECK_MSG(p != NULL, "cannot read %s", path);
    if (!p) continue;
    CHECK_MSG(fn(p, len) == 0, "%s", path);
    free(p);
    n++;
  }
  closedir(d);
  printf("regressions/%s: %u inputs\n", target, n);
}

/* ---- inline regressions ---- */

/* The wat parser made a reader over an empty immediate list as NULL + 0 (undefined
   behaviour): br_table with only a default label, try_table without catches. */
static void test_wat_empty_items(void) {
  static const char *const texts[] = {
      "(module (func (block (br_table 0 (i32.const 0)))))",
      "(module (func (try_table)))",
      "(module (func (block (try_table (result i32) (i32.const 1)) drop)))",
  };
  for (size_t i = 0; i < KITE_ARRAY_LEN(texts); i++) {
    CHECK(wat_ok(texts[i]));
    run_text(fuzz_wat_one, texts[i]);
  }
}

/* The validator pointed at the top of an operand stack that had never held a value
   (NULL + 0) when checking an empty function end or an empty constant expression. */
static void test_valid_empty_stack(void) {
  kite_error err;
  /* a global whose initialiser is just `end` */
  static const char empty_init[] = HDR "\x06\x04\x01\x7f\x00\x0b";
  CHECK(strncmp(validate_msg(empty_init, sizeof empty_init - 1, &err), "type mismatch", 13) == 0);
  run_bytes(fuzz_decode_one, empty_init, sizeof empty_init - 1);
  run_bytes(fuzz_exec_one, empty_init, sizeof empty_init - 1);
  /* a function of type [] -> [] whose body is just `end` */
  static const char empty_body[] = HDR "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x04\x01\x02\x00\x0b";
  CHECK(strcmp(validate_msg(empty_body, sizeof empty_body - 1, &err), "") == 0);
  run_bytes(fuzz_decode_one, empty_body, sizeof empty_body - 1);
  run_text(fuzz_wat_one, "(module\n  (func(nop))\n)");
}

/* A module of one function [] -> [] whose body (locals vector and final end included)
   is `op` n times then `tail` m times then `end`. */
static uint8_t *repeat_module(const char *op, size_t oplen, size_t n, uint8_t tail, size_t m,
                              size_t *len) {
  wb_bytes body = {0}, code = {0}, out = {0};
  wb_byte(&body, 0);
  for (size_t i = 0; i < n; i++) wb_put(&body, op, oplen);
  for (size_t i = 0; i < m; i++) wb_byte(&body, tail);
  wb_byte(&body, 0x0b);
  wb_byte(&code, 1);
  wb_uleb(&code, body.n);
  wb_put(&code, body.p, body.n);
  wb_put(&out, HDR "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a", 19);
  wb_uleb(&out, code.n);
  wb_put(&out, code.p, code.n);
  free(body.p);
  free(code.p);
  *len = out.n;
  return out.p;
}

/* The printer and the disassembler indented each nesting level without end: blocks
   nested 10,000 deep printed 200 MB, 100,000 deep 20 GB; and the folded printer
   recursed once per block or operand level until the C stack overflowed. Text size
   must now be linear, and a deep operand tree still folds to text that reads back. */
static void test_print_deep_nesting(void) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  enum { N = 20000 };
  size_t len;
  uint8_t *bytes = repeat_module("\x02\x40", 2, N, 0x0b, N, &len);
  kite_error err;
  kite_error_clear(&err);
  kite_module *m = kite_decode(&a, bytes, len, KITE_FEATURES_ALL, NULL, &err);
  CHECK_MSG(m != NULL, "%s", err.msg);
  for (int mode = 0; m && mode < 3; mode++) {
    kite_buf out;
    kite_buf_init(&out, &a);
    kite_print_options opt = {mode == 1};
    bool ok = mode == 2 ? kite_disassemble(m, &out, &err) : kite_wasm_to_wat(m, &opt, &out, &err);
    CHECK_MSG(ok && out.len < (size_t)N * 1000, "mode %d: %zu bytes", mode, out.len);
    kite_buf_free(&out);
  }
  kite_module_free(m);
  run_bytes(fuzz_decode_one, (const char *)bytes, len);
  free(bytes);
  /* i32.const 1 (N times), i32.add (N-1 times), then drop: an operand tree N deep */
  wb_bytes code = {0};
  for (size_t i = 0; i < N; i++) wb_put(&code, "\x41\x01", 2);
  for (size_t i = 0; i + 1 < N; i++) wb_byte(&code, 0x6a);
  wb_byte(&code, 0x1a);
  bytes = repeat_module((const char *)code.p, code.n, 1, 0, 0, &len);
  run_bytes(fuzz_decode_one, (const char *)bytes, len);
  free(bytes);
  free(code.p);
}

int main(void) {
  test_print_deep_nesting();
  test_wat_empty_items();
  test_valid_empty_stack();
  run_dir("decode", fuzz_decode_one);
  run_dir("wat", fuzz_wat_one);
  run_dir("exec", fuzz_exec_one);
  run_dir("wast", fuzz_wast_one);
  return test_finish("regressions");
}
