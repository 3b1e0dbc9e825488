/*
** test_compile.c: kite_decode_validate, which reads function bodies once (the validator's
** walk) and walks them with the decoder only after a failure, must answer exactly what
** kite_decode followed by kite_validate_module answers: the same success, or the same
** error (kind, code, offset and message). Checked on hand-built modules where the order
** of errors matters, on every module of the official suite, on the benchmark programs,
** and on many deterministic mutations of both.
*/
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "text.h"
#include "valid.h"

#define HDR "\0asm\1\0\0\0"
#define BYTES(s) (const uint8_t *)(s), sizeof(s) - 1

static int compared, rejected;

/* Both ways; true when they agree. */
static bool compare(const uint8_t *p, size_t n, kite_features f, const char *what) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_error e1, e2;
  kite_error_clear(&e1);
  kite_error_clear(&e2);
  kite_module *m = kite_decode(&a, p, n, f, NULL, &e1);
  bool ok1 = m && kite_validate_module(m, f, &e1);
  kite_module_free(m);
  m = kite_decode_validate(&a, p, n, f, NULL, &e2);
  bool ok2 = m != NULL;
  kite_module_free(m);
  compared++;
  rejected += !ok1;
  bool same = ok1 == ok2 && (ok1 || (e1.kind == e2.kind && e1.code == e2.code &&
                                     e1.offset == e2.offset && strcmp(e1.msg, e2.msg) == 0));
  CHECK_MSG(same, "%s: two steps %s '%s' @0x%llx, one step %s '%s' @0x%llx", what,
            ok1 ? "valid" : "error", ok1 ? "" : e1.msg, (unsigned long long)e1.offset,
            ok2 ? "valid" : "error", ok2 ? "" : e2.msg, (unsigned long long)e2.offset);
  CHECK_MSG(a.bytes == 0, "%s: %zu bytes leaked", what, a.bytes);
  return same;
}

/* One step alone, with the expected outcome (msg NULL: valid). */
static void expect(int line, const uint8_t *p, size_t n, const char *msg, uint64_t offset) {
  char what[32];
  snprintf(what, sizeof what, "line %d", line);
  compare(p, n, KITE_FEATURES_ALL, what);
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_error err;
  kite_error_clear(&err);
  kite_module *m = kite_decode_validate(&a, p, n, KITE_FEATURES_ALL, NULL, &err);
  if (!msg) {
    CHECK_MSG(m != NULL, "line %d: unexpected '%s' @0x%llx", line, err.msg,
              (unsigned long long)err.offset);
  } else {
    CHECK_MSG(!m && strcmp(err.msg, msg) == 0 && err.offset == offset,
              "line %d: expected '%s' @0x%llx, got %s '%s' @0x%llx", line, msg,
              (unsigned long long)offset, m ? "success" : "error", m ? "" : err.msg,
              (unsigned long long)err.offset);
  }
  kite_module_free(m);
}
#define EXPECT(bytes, msg, offset) expect(__LINE__, BYTES(bytes), msg, offset)

/*
** Modules of two functions of type [] -> [] (type section, function section, code
** section; optionally a data count or data section), whose bodies are chosen to make
** errors of several stages compete.
*/
static void test_order(void) {
  /* Valid: nop, then a block. */
  EXPECT(HDR "\1\4\1\x60\0\0" "\3\3\2\0\0" "\n\x0b\2\3\0\1\x0b\5\0\2\x40\x0b\x0b", NULL, 0);
  /* Body 0 invalid (i32.const left on the stack), body 1 has an illegal opcode: the
     malformation wins although it comes later. */
  EXPECT(HDR "\1\4\1\x60\0\0" "\3\3\2\0\0" "\n\x0a\2\4\0\x41\0\x0b\3\0\xff\x0b",
         "illegal opcode ff", 0x1d);
  /* Body 0 invalid, body 1 has `else` outside `if`. */
  EXPECT(HDR "\1\4\1\x60\0\0" "\3\3\2\0\0" "\n\x0a\2\4\0\x41\0\x0b\3\0\5\x0b",
         "END opcode expected", 0x1d);
  /* Body 0 ends before its size says: "section size mismatch" at its locals. */
  EXPECT(HDR "\1\4\1\x60\0\0" "\3\3\2\0\0" "\n\x0a\2\4\0\x0b\1\x0b\3\0\x01\x0b",
         "section size mismatch", 0x17);
  /* Body 0 has an illegal opcode, body 1 a malformed local count: the walk of body 0
     comes first. */
  EXPECT(HDR "\1\4\1\x60\0\0" "\3\3\2\0\0" "\n\x0b\2\3\0\xff\x0b\5\x80\x80\x80\x80\x80",
         "illegal opcode ff", 0x18);
  /* Body 0 invalid, a malformed data section after the code section: malformed wins. */
  EXPECT(HDR "\1\4\1\x60\0\0" "\3\3\2\0\0" "\5\3\1\0\1" "\n\x09\2\4\0\x41\0\x0b\2\0\x0b"
             "\x0b\2\1\x07",
         "malformed data segment kind", 0x26);
  /* The same data section after a body with an illegal opcode: the body comes first. */
  EXPECT(HDR "\1\4\1\x60\0\0" "\3\3\2\0\0" "\5\3\1\0\1" "\n\x08\2\3\0\xff\x0b\2\0\x0b"
             "\x0b\2\1\x07",
         "illegal opcode ff", 0x1d);
  /* More bodies than functions, one of them malformed: its walk comes before the count
     check at the end. */
  EXPECT(HDR "\1\4\1\x60\0\0" "\3\2\1\0" "\n\x08\2\2\0\x0b\3\0\xff\x0b", "illegal opcode ff",
         0x1a);
  EXPECT(HDR "\1\4\1\x60\0\0" "\3\2\1\0" "\n\x07\2\2\0\x0b\2\0\x0b",
         "function and code section have inconsistent lengths", 0x14);
  /* data.drop 1 in body 1 and data.drop 0 in body 0, no data count section: the decoder's
     "data count section required" names the smallest index's first use, even though
     body 0 is also invalid (a value left on the stack). */
  EXPECT(HDR "\1\4\1\x60\0\0" "\3\3\2\0\0" "\5\3\1\0\1"
             "\n\x0f\2\7\0\xfc\x09\1\x41\0\x0b\5\0\xfc\x09\0\x0b"
             "\x0b\7\2\1\1\x61\1\1\x62",
         "data count section required", 0x25);
  /* With the section, valid. */
  EXPECT(HDR "\1\4\1\x60\0\0" "\3\3\2\0\0" "\5\3\1\0\1" "\x0c\1\2"
             "\n\x0d\2\5\0\xfc\x09\1\x0b\5\0\xfc\x09\0\x0b"
             "\x0b\7\2\1\1\x61\1\1\x62",
         NULL, 0);
  /* A body's size runs past the end of the module. */
  EXPECT(HDR "\1\4\1\x60\0\0" "\3\2\1\0" "\n\x05\1\x09\0\1\x0b", "length out of bounds", 0x15);
  /* An invalid body and an invalid export: the export section comes first, so does its
     error. */
  EXPECT(HDR "\1\4\1\x60\0\0" "\3\2\1\0" "\7\5\1\1\x66\0\5" "\n\6\1\4\0\x41\0\x0b",
         "unknown function 5", 0x16);
}

/* The functions declared by element segments and exports: sorted, without duplicates,
   indices past the last function (invalid, for the validator to report) included. */
static void test_declared(void) {
  static const char bytes[] = HDR "\1\4\1\x60\0\0" "\3\4\3\0\0\0" "\4\4\1\x70\0\x0a"
                              "\7\5\1\1\x78\0\2"
                              "\x09\x0c\1\0\x41\0\x0b\6\2\0\2\1\x09\x07"
                              "\n\x0a\3\2\0\x0b\2\0\x0b\2\0\x0b";
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_error err;
  kite_error_clear(&err);
  kite_module *m = kite_decode(&a, BYTES(bytes), KITE_FEATURES_ALL, NULL, &err);
  CHECK_MSG(m != NULL, "%s", err.msg);
  if (!m) return;
  static const uint32_t want[] = {0, 1, 2, 7, 9};
  CHECK(m->ndeclared_funcs == 5);
  for (uint32_t i = 0; i < 5 && i < m->ndeclared_funcs; i++) CHECK(m->declared_funcs[i] == want[i]);
  CHECK(!kite_validate_module(m, KITE_FEATURES_ALL, &err) &&
        strcmp(err.msg, "unknown function 9") == 0);
  kite_module_free(m);
}

/* ---- the suite ---- */

/* A small deterministic generator (no global state: the caller owns it). */
static uint32_t next_rand(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(*s >> 33);
}

/* Compare `count` mutations of a module: a byte replaced (by a random or a meaningful
   value), removed, inserted, or the module cut short. */
static void mutate(const uint8_t *p, size_t n, kite_features f, int count, uint64_t seed,
                   const char *what) {
  static const uint8_t interesting[] = {0x00, 0x01, 0x02, 0x04, 0x05, 0x0B, 0x0C, 0x10, 0x1A,
                                        0x20, 0x21, 0x28, 0x40, 0x41, 0x7F, 0x80, 0xFC, 0xFF};
  if (n < 9) return;
  uint8_t *buf = malloc(n + 1);
  if (!buf) return;
  uint64_t s = seed;
  char label[300];
  for (int i = 0; i < count; i++) {
    size_t at = 8 + next_rand(&s) % (n - 8), len = n;
    memcpy(buf, p, n);
    switch (next_rand(&s) % 5) {
    case 0: buf[at] = (uint8_t)next_rand(&s); break;
    case 1: buf[at] = interesting[next_rand(&s) % sizeof interesting]; break;
    case 2: memmove(buf + at, buf + at + 1, n - at - 1), len--; break;
    case 3:
      memmove(buf + at + 1, buf + at, n - at);
      buf[at] = interesting[next_rand(&s) % sizeof interesting];
      len++;
      break;
    default: len = at; break;
    }
    snprintf(label, sizeof label, "%s (mutation %d at %zu)", what, i, at);
    if (!compare(buf, len, f, label)) break;
  }
  free(buf);
}

typedef struct suite_ctx {
  kite_features text, f;
  int modules;
} suite_ctx;

static void run_cmds(const char *file, const kite_wast_cmd *cmds, uint32_t ncmds, suite_ctx *c) {
  for (uint32_t i = 0; i < ncmds; i++) {
    const kite_wast_cmd *cmd = &cmds[i];
    if (cmd->kind == KITE_WAST_THREAD) {
      run_cmds(file, cmd->cmds, cmd->ncmds, c);
      continue;
    }
    const kite_wast_module *wm = &cmd->module;
    if (cmd->kind != KITE_WAST_MODULE && cmd->kind != KITE_WAST_ASSERT_INVALID &&
        cmd->kind != KITE_WAST_ASSERT_MALFORMED && cmd->kind != KITE_WAST_ASSERT_UNLINKABLE &&
        cmd->kind != KITE_WAST_ASSERT_UNINSTANTIABLE &&
        !(cmd->kind == KITE_WAST_ASSERT_TRAP && cmd->on_module))
      continue;
    if (wm->kind == KITE_WAST_MOD_ERROR || wm->kind == KITE_WAST_MOD_QUOTE) continue;
    char what[600];
    snprintf(what, sizeof what, "%s:%u", file, cmd->line);
    if (!compare(wm->bytes, wm->len, c->f, what)) continue;
    /* A few mutations of each module, seeded by its place in the suite. */
    mutate(wm->bytes, wm->len, c->f, 6, (uint64_t)c->modules * 7919 + cmd->line, what);
    c->modules++;
  }
}

static void run_dir(const char *dir, suite_ctx *c) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l <= 5 || strcmp(e->d_name + l - 5, ".wast") != 0) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    size_t len;
    uint8_t *src = test_read_file(path, &len);
    if (!src) continue;
    kite_alloc a;
    kite_alloc_init(&a, NULL, NULL);
    kite_wast_script script;
    kite_error err;
    kite_error_clear(&err);
    if (kite_wast_parse(&a, (const char *)src, len, c->text, &script, &err)) {
      run_cmds(path, script.cmds, script.ncmds, c);
      kite_wast_free(&script);
    }
    free(src);
  }
  closedir(d);
}

static void test_suite(void) {
  const char *suite = test_suite_dir();
  if (!suite) {
    printf("test_compile: the official suite is missing (set KITE_TESTSUITE); its part "
           "skipped\n");
    return;
  }
  char dir[4096];
  suite_ctx c = {KITE_FEATURES_3_0, KITE_FEATURES_3_0, 0};
  run_dir(suite, &c);
  c.f = c.text = KITE_FEATURES_ALL;
  snprintf(dir, sizeof dir, "%s/legacy", suite);
  run_dir(dir, &c);
  snprintf(dir, sizeof dir, "%s/proposals/threads", suite);
  c.text = KITE_FEATURES_2_0 | KITE_FEATURE_BIT(FEAT_THREADS);
  c.f = c.text & ~KITE_FEATURE_BIT(FEAT_REF_TYPES);
  run_dir(dir, &c);
  CHECK(c.modules > 1000);
}

/* The benchmark programs: real compiler output, mutated mostly inside their code. */
static void test_bench(void) {
  static const char *const names[] = {"hello", "fib", "json", "mix", "nbody"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/bench/%s.wasm", test_source_dir(), names[i]);
    size_t n;
    uint8_t *p = test_read_file(path, &n);
    if (!p) {
      CHECK_MSG(false, "cannot read %s", path);
      continue;
    }
    compare(p, n, KITE_FEATURES_3_0, path);
    compare(p, n, KITE_FEATURES_2_0, path);
    mutate(p, n, KITE_FEATURES_3_0, 600, 12345 + i, path);
    free(p);
  }
}

int main(void) {
  test_order();
  test_declared();
  test_bench();
  test_suite();
  printf("test_compile: %d modules compared, %d of them rejected\n", compared, rejected);
  return test_finish("test_compile");
}
