/*
** test_wat_suite.c: every text module of the official suite's top-level .wast files
** through the module parser, independently of the .wast script parser: a small
** s-expression walk over the lexer's tokens finds the modules.
**   (module ...)               parse, decode and validate
**   (assert_invalid (module))  parse and decode; the validator must reject it
**   (assert_malformed (module quote ...))  the parse must fail, with the suite's message
**   other assertions on text modules: parse, decode and validate
** Every failure is listed. A file may fail only if it is in the known-failures list
** below (with the reason); any other failing file is a regression and fails the test.
**
** With --wabt (tests/cli/wat2wasm_wabt.sh), the top-level modules are also converted by
** wabt's wat2wasm and the bytes compared. wabt 1.0.32 predates WebAssembly 3.0, so only
** modules within what it implements are compared (those that decode with the 2.0
** features plus tail calls, memory64, multi-memory and extended constants). One
** differences are intended. wabt writes an element segment of funcref expressions that
** are all ref.func as function indices, which in 3.0 changes the segment's type to
** (ref func); Kite keeps the expressions. A segment that names its table or memory,
** even index 0, keeps the explicit form in Kite (so printed binaries read back to the
** same bytes); wabt writes the short form. Modules that differ only in their element
** and data sections are counted as these differences. And a block with a written (type x) of a
** [] -> [t?] type stays a type index, where wabt writes the short block type (listed in
** intended_differences).
*/
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"
#include "text.h"
#include "valid.h"

/* Files not expected to pass yet, and why. Shrink this list, never grow it. */
static const struct {
  const char *file, *reason;
} known_failures[] = {
    {"proposals/threads/memory.wast",
     "expects a 32-bit memory limit of 2^32 or more to be malformed (\"i32 constant out of "
     "range\"); 3.0's memory.wast parses it and expects the validator to reject it"},
    {NULL, NULL},
};

typedef struct counts {
  int parsed, parse_failed, decoded, validated, invalid_rejected, invalid_accepted;
  int quotes_rejected, quotes_accepted, quote_msg_mismatch;
} counts;

typedef struct suite_file {
  const char *name;
  const char *src;
  size_t len;
  counts n;
  int failures;
  bool verbose;
} suite_file;

static kite_features features = KITE_FEATURES_3_0;

/* --wabt: compare with wabt's wat2wasm */
static bool wabt_mode;
static const kite_features wabt_features =
    KITE_FEATURES_2_0 | KITE_FEATURE_BIT(FEAT_TAIL_CALL) | KITE_FEATURE_BIT(FEATX_MEMORY64) |
    KITE_FEATURE_BIT(FEATX_MULTI_MEMORY) | KITE_FEATURE_BIT(FEATX_EXTENDED_CONST);
static struct { int same, segments_only, intended, differ, wabt_rejects, not_compared; } wabt;

static void failure(suite_file *f, uint32_t line, const char *fmt, const char *a, const char *b) {
  f->failures++;
  fprintf(stdout, "  %s:%u: ", f->name, line);
  fprintf(stdout, fmt, a, b);
  fputc('\n', stdout);
}

/* Modules whose bytes differ from wabt's on purpose. */
static const struct {
  const char *file;
  uint32_t line;
} intended_differences[] = {
    /* (block (type $t) ...) with a [] -> [t?] type: the text format makes it a type index,
       wabt writes the short block type */
    {"block.wast", 3},
    {"loop.wast", 3},
};

static bool intended_difference(const char *file, uint32_t line) {
  for (size_t i = 0; i < KITE_ARRAY_LEN(intended_differences); i++)
    if (!strcmp(intended_differences[i].file, file) && intended_differences[i].line == line)
      return true;
  return false;
}

static bool write_file(const char *path, const void *p, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return false;
  bool ok = fwrite(p, 1, n, f) == n;
  return (fclose(f) == 0) && ok;
}

/* Equal except for the element and data sections (compared section by section). */
static bool same_but_segments(kite_alloc *a, const uint8_t *x, size_t nx, const uint8_t *y,
                              size_t ny) {
  kite_error err;
  kite_error_clear(&err);
  kite_module *m1 = kite_decode(a, x, nx, wabt_features, NULL, &err);
  kite_module *m2 = m1 ? kite_decode(a, y, ny, wabt_features, NULL, &err) : NULL;
  bool same = m1 && m2 && m1->nsections == m2->nsections;
  for (uint32_t i = 0; same && i < m1->nsections; i++) {
    const kite_section *s1 = &m1->sections[i], *s2 = &m2->sections[i];
    if (s1->id != s2->id) same = false;
    else if (s1->id != KITE_SEC_ELEMENT && s1->id != KITE_SEC_DATA)
      same = s1->size == s2->size && memcmp(x + s1->start, y + s2->start, s1->size) == 0;
  }
  kite_module_free(m1);
  kite_module_free(m2);
  return same;
}

static void compare_with_wabt(suite_file *f, kite_alloc *a, uint32_t line, const kite_buf *text,
                              const kite_buf *wasm) {
  kite_error err;
  kite_error_clear(&err);
  kite_module *m = kite_decode(a, wasm->data, wasm->len, wabt_features, NULL, &err);
  if (!m) {
    wabt.not_compared++;
    return;
  }
  kite_module_free(m);
  const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  char wat[512], out[512], cmd[1500];
  snprintf(wat, sizeof wat, "%s/kite-wabt-%d.wat", tmp, (int)getpid());
  snprintf(out, sizeof out, "%s/kite-wabt-%d.wasm", tmp, (int)getpid());
  snprintf(cmd, sizeof cmd, "wat2wasm --enable-all --no-check '%s' -o '%s' 2>/dev/null", wat, out);
  if (!write_file(wat, text->data, text->len) || system(cmd) != 0) {
    wabt.wabt_rejects++;
    remove(wat);
    return;
  }
  size_t n;
  uint8_t *theirs = test_read_file(out, &n);
  remove(wat);
  remove(out);
  if (!theirs) {
    wabt.wabt_rejects++;
  } else if (n == wasm->len && memcmp(theirs, wasm->data, n) == 0) {
    wabt.same++;
  } else if (same_but_segments(a, theirs, n, wasm->data, wasm->len)) {
    wabt.segments_only++;
  } else if (intended_difference(f->name, line)) {
    wabt.intended++;
  } else {
    wabt.differ++;
    failure(f, line, "bytes differ from wabt's%s%s", "", "");
  }
  free(theirs);
}

/* After an opening '(' was read: consume through its matching ')'. */
static bool skip_rest(kite_lexer *lx, kite_token *close) {
  int depth = 1;
  for (;;) {
    kite_token t;
    if (!kite_lex_next(lx, &t) || t.kind == KITE_TOK_EOF) return false;
    if (t.kind == KITE_TOK_ANNOT) {
      if (!kite_lex_skip_sexpr(lx)) return false;
      continue;
    }
    if (t.kind == KITE_TOK_LPAREN) depth++;
    if (t.kind == KITE_TOK_RPAREN && --depth == 0) {
      *close = t;
      return true;
    }
  }
}

typedef enum { MOD_TEXT, MOD_QUOTE, MOD_BINARY, MOD_OTHER } modkind;

/*
** A module form, after its '(' (open) was read and "module" seen. Text modules are
** returned as source text with `definition` blanked; quote modules as their strings'
** bytes concatenated. The lexer is left after the form's ')'.
*/
static modkind read_module(kite_lexer *lx, const kite_token *open, kite_buf *text) {
  kite_token t, close;
  const char *def = NULL;
  if (!kite_lex_next(lx, &t)) return MOD_OTHER;
  if (kite_tok_is(&t, "definition")) {
    def = t.text;
    if (!kite_lex_next(lx, &t)) return MOD_OTHER;
  } else if (kite_tok_is(&t, "instance")) {
    skip_rest(lx, &close);
    return MOD_OTHER;
  }
  if (t.kind == KITE_TOK_ID && !kite_lex_next(lx, &t)) return MOD_OTHER;
  if (kite_tok_is(&t, "binary")) {
    skip_rest(lx, &close);
    return MOD_BINARY;
  }
  if (kite_tok_is(&t, "quote")) {
    for (;;) {
      if (!kite_lex_next(lx, &t)) return MOD_OTHER;
      if (t.kind != KITE_TOK_STRING) break;
      kite_tok_string(&t, text);
    }
    return t.kind == KITE_TOK_RPAREN ? MOD_QUOTE : MOD_OTHER;
  }
  if (t.kind == KITE_TOK_RPAREN) {
    close = t;
  } else {
    if (t.kind == KITE_TOK_LPAREN || t.kind == KITE_TOK_ANNOT) {
      if (t.kind == KITE_TOK_ANNOT && !kite_lex_skip_sexpr(lx)) return MOD_OTHER;
      if (t.kind == KITE_TOK_LPAREN && !skip_rest(lx, &close)) return MOD_OTHER;
    }
    if (!skip_rest(lx, &close)) return MOD_OTHER;
  }
  size_t start = (size_t)(open->text - lx->src);
  size_t end = (size_t)(close.text + 1 - lx->src);
  kite_buf_put(text, lx->src + start, end - start);
  if (def) memset(text->data + (def - open->text), ' ', strlen("definition"));
  return MOD_TEXT;
}

/* Parse, decode and (unless expect_invalid) validate one text module. */
static void check_text_module(suite_file *f, kite_alloc *a, uint32_t line, const kite_buf *text,
                              bool expect_invalid, bool compare) {
  kite_buf wasm;
  kite_buf_init(&wasm, a);
  kite_error err;
  kite_error_clear(&err);
  char where[32];
  snprintf(where, sizeof where, "%u:%u", err.line, err.col);
  if (!kite_wat_to_wasm(a, (const char *)text->data, text->len, features, &wasm, &err)) {
    f->n.parse_failed++;
    snprintf(where, sizeof where, "+%u:%u", err.line - 1, err.col);
    failure(f, line, "module does not parse: %s (at %s)", err.msg, where);
    kite_buf_free(&wasm);
    return;
  }
  f->n.parsed++;
  if (wabt_mode) {
    if (compare) compare_with_wabt(f, a, line, text, &wasm);
    kite_buf_free(&wasm);
    return;
  }
  kite_module *m = kite_decode(a, wasm.data, wasm.len, features, NULL, &err);
  if (!m) {
    snprintf(where, sizeof where, "0x%llx", (unsigned long long)err.offset);
    failure(f, line, "module does not decode: %s (at %s)", err.msg, where);
    kite_buf_free(&wasm);
    return;
  }
  f->n.decoded++;
  kite_error_clear(&err);
  bool valid = kite_validate_module(m, features, &err);
  if (expect_invalid) {
    if (valid) {
      f->n.invalid_accepted++;
      failure(f, line, "invalid module validates%s%s", "", "");
    } else {
      f->n.invalid_rejected++;
    }
  } else if (valid) {
    f->n.validated++;
  } else {
    snprintf(where, sizeof where, "0x%llx", (unsigned long long)err.offset);
    failure(f, line, "module does not validate: %s (at %s)", err.msg, where);
  }
  kite_module_free(m);
  kite_buf_free(&wasm);
}

static void check_quote_malformed(suite_file *f, kite_alloc *a, uint32_t line, const kite_buf *text,
                                  const char *expect) {
  kite_buf wasm;
  kite_buf_init(&wasm, a);
  kite_error err;
  kite_error_clear(&err);
  if (kite_wat_to_wasm(a, (const char *)text->data, text->len, features, &wasm, &err)) {
    f->n.quotes_accepted++;
    failure(f, line, "malformed module accepted (expected \"%s\")%s", expect, "");
  } else if (strncmp(err.msg, expect, strlen(expect)) != 0) {
    f->n.quote_msg_mismatch++;
    failure(f, line, "got \"%s\", expected \"%s\"", err.msg, expect);
  } else {
    f->n.quotes_rejected++;
  }
  kite_buf_free(&wasm);
}

static void run_file(suite_file *f, kite_alloc *a) {
  kite_lexer lx;
  kite_error err;
  kite_error_clear(&err);
  kite_lexer_init(&lx, f->src, f->len, &err);
  for (;;) {
    kite_token open, kw, close;
    if (!kite_lex_next(&lx, &open) || open.kind == KITE_TOK_EOF) break;
    if (open.kind == KITE_TOK_ANNOT) {
      kite_lex_skip_sexpr(&lx);
      continue;
    }
    if (open.kind != KITE_TOK_LPAREN || !kite_lex_next(&lx, &kw)) break;
    kite_buf text;
    kite_buf_init(&text, a);
    if (kite_tok_is(&kw, "module")) {
      modkind k = read_module(&lx, &open, &text);
      if (k == MOD_TEXT || k == MOD_QUOTE)
        check_text_module(f, a, open.line, &text, false, k == MOD_TEXT);
    } else if (kite_tok_is(&kw, "assert_malformed") || kite_tok_is(&kw, "assert_invalid") ||
               kite_tok_is(&kw, "assert_unlinkable") || kite_tok_is(&kw, "assert_trap") ||
               kite_tok_is(&kw, "assert_uninstantiable")) {
      kite_token mopen, mkw, msg;
      modkind k = MOD_OTHER;
      if (kite_lex_next(&lx, &mopen) && mopen.kind == KITE_TOK_LPAREN && kite_lex_next(&lx, &mkw) &&
          kite_tok_is(&mkw, "module")) {
        k = read_module(&lx, &mopen, &text);
      } else if (mopen.kind == KITE_TOK_LPAREN) {
        skip_rest(&lx, &close);
      }
      kite_buf expect;
      kite_buf_init(&expect, a);
      if (kite_lex_next(&lx, &msg) && msg.kind == KITE_TOK_STRING) kite_tok_string(&msg, &expect);
      kite_buf_byte(&expect, 0);
      if (msg.kind != KITE_TOK_RPAREN) skip_rest(&lx, &close);
      if (kite_tok_is(&kw, "assert_malformed")) {
        if (k == MOD_QUOTE)
          if (!wabt_mode) check_quote_malformed(f, a, open.line, &text, (const char *)expect.data);
      } else if (k == MOD_TEXT || k == MOD_QUOTE) {
        check_text_module(f, a, open.line, &text, kite_tok_is(&kw, "assert_invalid"), false);
      }
      kite_buf_free(&expect);
    } else {
      skip_rest(&lx, &close);
    }
    kite_buf_free(&text);
  }
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The suite's directories and the features their modules use. */
static const struct {
  const char *dir;
  kite_features features;
} dirs[] = {
    {"", KITE_FEATURES_3_0},
    {"custom", KITE_FEATURES_3_0},
    {"legacy", KITE_FEATURES_3_0 | KITE_FEATURE_BIT(FEAT_LEGACY_EH)},
    /* the threads proposal's tests predate reference types and multi-memory */
    {"proposals/threads", KITE_FEATURE_BIT(FEAT_MVP) | KITE_FEATURE_BIT(FEAT_SIGN_EXT) |
                              KITE_FEATURE_BIT(FEAT_SAT_CONV) | KITE_FEATURE_BIT(FEAT_THREADS) |
                              KITE_FEATURE_BIT(FEATX_MULTI_VALUE)},
    {"proposals/wide-arithmetic", KITE_FEATURES_ALL},
    {"proposals/custom-page-sizes", KITE_FEATURES_ALL},
    {"proposals/custom-descriptors", KITE_FEATURES_ALL},
};

/* The sorted .wast files of a directory (relative names "dir/file.wast"). */
static size_t list_dir(const char *root, const char *sub, const char *only, char ***out) {
  char path[4096];
  snprintf(path, sizeof path, "%s%s%s", root, *sub ? "/" : "", sub);
  DIR *d = opendir(path);
  char **names = NULL;
  size_t n = 0;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (len < 6 || strcmp(e->d_name + len - 5, ".wast")) continue;
    char rel[1024];
    snprintf(rel, sizeof rel, "%s%s%s", sub, *sub ? "/" : "", e->d_name);
    if (only && strcmp(only, rel)) continue;
    names = realloc(names, (n + 1) * sizeof *names);
    names[n] = malloc(strlen(rel) + 1);
    strcpy(names[n++], rel);
  }
  if (d) closedir(d);
  if (n) qsort(names, n, sizeof *names, cmp_names);
  *out = names;
  return n;
}

int main(int argc, char **argv) {
  const char *dir = test_suite_dir();
  if (!dir) return TEST_SKIP;
  const char *only = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--wabt") == 0) wabt_mode = true;
    else only = argv[i];
  }
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  counts total;
  memset(&total, 0, sizeof total);
  int regressions = 0, failing_files = 0, nfiles = 0;
  for (size_t di = 0; di < (wabt_mode ? 1 : KITE_ARRAY_LEN(dirs)); di++) {
    char **names;
    size_t n = list_dir(dir, dirs[di].dir, only, &names);
    features = dirs[di].features;
    for (size_t i = 0; i < n; i++) {
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", dir, names[i]);
      size_t len;
      uint8_t *src = test_read_file(path, &len);
      if (!src) continue;
      nfiles++;
      suite_file f;
      memset(&f, 0, sizeof f);
      f.name = names[i];
      f.src = (const char *)src;
      f.len = len;
      run_file(&f, &a);
      const char *reason = NULL;
      for (size_t k = 0; known_failures[k].file; k++)
        if (strcmp(known_failures[k].file, names[i]) == 0) reason = known_failures[k].reason;
      if (f.failures) {
        failing_files++;
        if (reason) {
          printf("known failures in %s: %d (%s)\n", names[i], f.failures, reason);
        } else {
          printf("REGRESSION in %s: %d failures\n", names[i], f.failures);
          regressions += f.failures;
        }
      }
      int *t = (int *)&total, *s = (int *)&f.n;
      for (size_t k = 0; k < sizeof total / sizeof(int); k++) t[k] += s[k];
      free(src);
      free(names[i]);
    }
    free(names);
  }
  if (wabt_mode) {
    printf("wabt comparison: %d identical, %d differ only in segment forms (intended), %d "
           "in block types (intended), %d differ; %d rejected by wabt, %d beyond what wabt "
           "1.0.32 implements\n",
           wabt.same, wabt.segments_only, wabt.intended, wabt.differ, wabt.wabt_rejects,
           wabt.not_compared);
    test_checks++;
    if (wabt.differ || !wabt.same) test_failures++;
    return test_finish("test_wat_suite --wabt");
  }
  printf("wat suite (%d files): %d modules parsed, %d decoded, %d validated; %d malformed quotes "
         "rejected"
         " (%d with another message, %d accepted); %d invalid modules rejected (%d accepted);"
         " %d did not parse; %d files with failures\n",
         nfiles, total.parsed, total.decoded, total.validated, total.quotes_rejected,
         total.quote_msg_mismatch, total.quotes_accepted, total.invalid_rejected,
         total.invalid_accepted, total.parse_failed, failing_files);
  test_checks++;
  if (regressions) {
    test_failures++;
    printf("test_wat_suite: %d failures in files expected to pass\n", regressions);
  }
  if (a.bytes != 0) {
    test_failures++;
    printf("test_wat_suite: %zu bytes leaked\n", a.bytes);
  }
  return test_finish("test_wat_suite");
}
