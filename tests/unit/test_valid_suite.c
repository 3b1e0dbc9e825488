/*
** test_valid_suite.c: the validator against the official suite. Every module of every
** .wast file must validate, unless it stands in an assert_invalid, whose module must
** fail with the expected message (as a prefix, the way the reference runner compares).
** Modules the text parser rejects, and assert_malformed, belong to other tests.
*/
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "text.h"
#include "valid.h"

typedef struct counts {
  int valid_ok, invalid_ok, failed, text_errors;
  kite_features text; /* features for parsing text, which may be wider than for validating */
} counts;

/* Decode and validate; returns 1 valid, 0 invalid (err set), -1 malformed. */
static int check_bytes(const uint8_t *p, size_t n, kite_features f, kite_error *err) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_error_clear(err);
  kite_module *m = kite_decode(&a, p, n, f, NULL, err);
  if (!m) return -1;
  bool ok = kite_validate_module(m, f, err);
  kite_module_free(m);
  if (a.bytes != 0) {
    test_failures++;
    fprintf(stderr, "leak of %zu bytes\n", a.bytes);
  }
  if (!ok && err->code == KITE_COMPILE_MALFORMED) return -1;
  return ok ? 1 : 0;
}

/* The bytes of a command's module; quoted text is parsed here. Returns false when the
   text does not parse (the text parser's business, not ours). */
static bool module_bytes(const kite_wast_module *wm, kite_features f, kite_buf *buf,
                         const uint8_t **p, size_t *n) {
  if (wm->kind == KITE_WAST_MOD_ERROR) return false;
  if (wm->kind == KITE_WAST_MOD_BINARY) {
    *p = wm->bytes;
    *n = wm->len;
    return true;
  }
  kite_error err;
  kite_error_clear(&err);
  if (!kite_wat_to_wasm(buf->alloc, (const char *)wm->bytes, wm->len, f, buf, &err)) return false;
  *p = buf->data;
  *n = buf->len;
  return true;
}

static void run_cmds(const char *file, const kite_wast_cmd *cmds, uint32_t ncmds, kite_features f,
                     counts *c) {
  for (uint32_t i = 0; i < ncmds; i++) {
    const kite_wast_cmd *cmd = &cmds[i];
    if (cmd->kind == KITE_WAST_THREAD) {
      run_cmds(file, cmd->cmds, cmd->ncmds, f, c);
      continue;
    }
    bool want_valid;
    if (cmd->kind == KITE_WAST_MODULE || cmd->kind == KITE_WAST_ASSERT_UNLINKABLE ||
        cmd->kind == KITE_WAST_ASSERT_UNINSTANTIABLE ||
        (cmd->kind == KITE_WAST_ASSERT_TRAP && cmd->on_module)) {
      want_valid = true;
    } else if (cmd->kind == KITE_WAST_ASSERT_INVALID) {
      want_valid = false;
    } else {
      continue;
    }
    kite_alloc a;
    kite_alloc_init(&a, NULL, NULL);
    kite_buf buf;
    kite_buf_init(&buf, &a);
    const uint8_t *p;
    size_t n;
    if (!module_bytes(&cmd->module, c->text, &buf, &p, &n)) {
      c->text_errors++;
      kite_buf_free(&buf);
      continue;
    }
    kite_error err;
    int r = check_bytes(p, n, f, &err);
    kite_buf_free(&buf);
    test_checks++;
    if (want_valid && r == 1) {
      c->valid_ok++;
    } else if (!want_valid && r == 0 &&
               !strncmp(err.msg, (const char *)cmd->text.ptr, cmd->text.len)) {
      c->invalid_ok++;
    } else {
      c->failed++;
      test_failures++;
      fprintf(stderr, "%s:%u: expected %s%.*s%s, got %s%s\n", file, cmd->line,
              want_valid ? "valid" : "\"", want_valid ? 0 : (int)cmd->text.len,
              want_valid ? "" : (const char *)cmd->text.ptr, want_valid ? "" : "\"",
              r == 1   ? "valid"
              : r == 0 ? "invalid: "
                       : "malformed: ",
              r == 1 ? "" : err.msg);
    }
  }
}

static void run_file(const char *dir, const char *name, kite_features f, counts *c) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  size_t len;
  uint8_t *src = test_read_file(path, &len);
  if (!src) {
    test_checks++;
    test_failures++;
    fprintf(stderr, "cannot read %s\n", path);
    return;
  }
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_wast_script script;
  kite_error err;
  kite_error_clear(&err);
  if (kite_wast_parse(&a, (const char *)src, len, c->text, &script, &err)) {
    run_cmds(path, script.cmds, script.ncmds, f, c);
    kite_wast_free(&script);
  } else {
    c->text_errors++;
  }
  free(src);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_dir(const char *dir, kite_features f, counts *c) {
  DIR *d = opendir(dir);
  if (!d) return;
  char *names[1024];
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 1024) {
    size_t l = strlen(e->d_name);
    if (l > 5 && !strcmp(e->d_name + l - 5, ".wast") && (names[n] = malloc(l + 1)))
      memcpy(names[n++], e->d_name, l + 1);
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp_str);
  for (size_t i = 0; i < n; i++) {
    if (names[i]) run_file(dir, names[i], f, c);
    free(names[i]);
  }
}

int main(void) {
  const char *suite = test_suite_dir();
  if (!suite) {
    printf("test_valid_suite: the official suite is missing (set KITE_TESTSUITE); skipped\n");
    return TEST_SKIP;
  }
  counts c = {0, 0, 0, 0, 0};
  char dir[4096];
  /* The 3.0 core suite runs with every standard feature, the proposals with theirs. */
  kite_features core = KITE_FEATURES_3_0, f;
  run_dir(suite, c.text = core, &c);
  snprintf(dir, sizeof dir, "%s/legacy", suite);
  run_dir(dir, c.text = core | KITE_FEATURE_BIT(FEAT_LEGACY_EH), &c);
  snprintf(dir, sizeof dir, "%s/proposals/custom-page-sizes", suite);
  run_dir(dir, c.text = core | KITE_FEATURE_BIT(FEATX_CUSTOM_PAGE_SIZES), &c);
  snprintf(dir, sizeof dir, "%s/proposals/wide-arithmetic", suite);
  run_dir(dir, c.text = core | KITE_FEATURE_BIT(FEAT_WIDE_ARITH), &c);
  snprintf(dir, sizeof dir, "%s/proposals/custom-descriptors", suite);
  run_dir(dir, c.text = core | KITE_FEATURE_BIT(FEAT_CUSTOM_DESC), &c);
  /* The threads proposal predates multi-memory and reference types (it expects "multiple
     tables"), but its text writes funcref: parse text as 2.0, validate without them. */
  snprintf(dir, sizeof dir, "%s/proposals/threads", suite);
  c.text = KITE_FEATURES_2_0 | KITE_FEATURE_BIT(FEAT_THREADS);
  f = c.text & ~KITE_FEATURE_BIT(FEAT_REF_TYPES);
  run_dir(dir, f, &c);
  printf("test_valid_suite: %d valid modules accepted, %d invalid modules rejected with the "
         "expected message, %d wrong, %d not parsed as text\n",
         c.valid_ok, c.invalid_ok, c.failed, c.text_errors);
  return test_finish("test_valid_suite");
}
