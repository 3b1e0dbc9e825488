/*
** test_roundtrip_suite.c: the printer's acceptance property over the whole official
** suite. For every text module of every .wast file:
**   text --(kite wat2wasm)--> bytes1 --decode--> module --print--> text2 --parse--> bytes2
** and bytes1 must equal bytes2, for the flat and for the folded text. Modules that do
** not parse or decode (assert_malformed material) are counted apart. Set
** KITE_ROUNDTRIP_VERBOSE to list every module that differs, KITE_ROUNDTRIP_DUMP to see
** the text of the first.
*/
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "text.h"

typedef struct stats {
  unsigned identical, differ, unparsed, undecoded, dumped;
  unsigned named_identical, named_differ; /* with a name section (--debug-names) */
  char first[512];
} stats;

typedef struct file_list {
  char **paths;
  size_t len, cap;
} file_list;

static void add_path(file_list *l, const char *path) {
  if (l->len == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 64;
    l->paths = realloc(l->paths, l->cap * sizeof *l->paths);
    if (!l->paths) abort();
  }
  size_t n = strlen(path) + 1;
  char *copy = malloc(n);
  if (!copy) abort();
  memcpy(copy, path, n);
  l->paths[l->len++] = copy;
}

static void collect_wast(file_list *l, const char *dir, int depth) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    size_t n = strlen(e->d_name);
    if (n > 5 && strcmp(e->d_name + n - 5, ".wast") == 0) add_path(l, path);
    else if (depth < 3) collect_wast(l, path, depth + 1);
  }
  closedir(d);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void note_first(stats *s, const char *file, uint32_t line, const char *what) {
  if (getenv("KITE_ROUNDTRIP_VERBOSE")) fprintf(stderr, "differs: %s:%u: %s\n", file, line, what);
  if (s->first[0] == '\0') snprintf(s->first, sizeof s->first, "%s:%u (%s)", file, line, what);
}

/* Print, parse back and compare with bytes1; false when the bytes differ. */
static bool check_module(stats *s, kite_alloc *a, const kite_module *m, const uint8_t *bytes1,
                         size_t len1, bool fold, bool names, const char *file, uint32_t line) {
  kite_error err;
  kite_error_clear(&err);
  kite_buf text;
  kite_buf_init(&text, a);
  kite_print_options opt = {fold};
  if (!kite_wasm_to_wat(m, &opt, &text, &err)) {
    note_first(s, file, line, fold ? "folded print failed" : "print failed");
    kite_buf_free(&text);
    return false;
  }
  kite_buf bytes2;
  kite_buf_init(&bytes2, a);
  kite_error_clear(&err);
  kite_wat_options wopt = {names};
  bool ok = kite_wat_to_wasm_ex(a, (const char *)text.data, text.len, KITE_FEATURES_ALL, &wopt,
                                &bytes2, &err);
  bool same = ok && bytes2.len == len1 && memcmp(bytes2.data, bytes1, len1) == 0;
  if (!same) {
    {
      char what[320];
      if (!ok)
        snprintf(what, sizeof what, "%s%s text does not parse: %u:%u: %s", fold ? "folded" : "flat",
                 names ? " named" : "", err.line, err.col, err.msg);
      else
        snprintf(what, sizeof what, "%s%s text gives other bytes", fold ? "folded" : "flat",
                 names ? " named" : "");
      note_first(s, file, line, what);
      if (getenv("KITE_ROUNDTRIP_DUMP") && !s->dumped++)
        fprintf(stderr, "---- %s:%u\n%.*s\n", file, line, (int)text.len, (const char *)text.data);
    }
  }
  kite_buf_free(&bytes2);
  kite_buf_free(&text);
  return same;
}

/* A module counts as identical when both its flat and its folded text give bytes1. */
static void check_bytes(stats *s, kite_alloc *a, const uint8_t *bytes1, size_t len1, bool names,
                        const char *file, uint32_t line) {
  kite_error err;
  kite_error_clear(&err);
  kite_module *m = kite_decode(a, bytes1, len1, KITE_FEATURES_ALL, NULL, &err);
  if (!m) {
    s->undecoded++;
    return;
  }
  bool flat = check_module(s, a, m, bytes1, len1, false, names, file, line);
  bool folded = check_module(s, a, m, bytes1, len1, true, names, file, line);
  if (names) {
    if (flat && folded) s->named_identical++;
    else s->named_differ++;
  } else {
    if (flat && folded) s->identical++;
    else s->differ++;
  }
  kite_module_free(m);
}

static void run_file(stats *s, kite_alloc *a, const char *path, const char *shown) {
  size_t len;
  char *src = (char *)test_read_file(path, &len);
  if (!src) return;
  kite_error err;
  kite_error_clear(&err);
  kite_lexer lx;
  kite_lexer_init(&lx, src, len, &err);
  kite_token t, prev = {0};
  while (kite_lex_next(&lx, &t) && t.kind != KITE_TOK_EOF) {
    bool opens_module =
        prev.kind == KITE_TOK_LPAREN && t.kind == KITE_TOK_KEYWORD && kite_tok_is(&t, "module");
    prev = t;
    if (!opens_module) continue;
    uint32_t line = t.line;
    /* (module definition? $id? ...): binary, quote and instance forms are no text module. */
    kite_token n;
    bool skip = false;
    if (!kite_lex_peek(&lx, &n)) break;
    if (n.kind == KITE_TOK_KEYWORD && kite_tok_is(&n, "instance")) skip = true;
    if (!skip && n.kind == KITE_TOK_KEYWORD && kite_tok_is(&n, "definition")) {
      kite_lex_next(&lx, &n);
      if (!kite_lex_peek(&lx, &n)) break;
    }
    if (!skip && n.kind == KITE_TOK_ID) {
      kite_lex_next(&lx, &n);
      if (!kite_lex_peek(&lx, &n)) break;
    }
    if (n.kind == KITE_TOK_KEYWORD && (kite_tok_is(&n, "binary") || kite_tok_is(&n, "quote")))
      skip = true;
    if (skip) {
      if (!kite_lex_skip_sexpr(&lx)) break;
      prev.kind = KITE_TOK_RPAREN;
      continue;
    }

    kite_buf bytes1;
    kite_buf_init(&bytes1, a);
    kite_error perr;
    kite_error_clear(&perr);
    kite_lexer sub = lx;
    sub.err = &perr;
    if (kite_wat_parse_module_fields(&sub, a, KITE_FEATURES_ALL, &bytes1, &perr)) {
      lx = sub;
      lx.err = &err;
      check_bytes(s, a, bytes1.data, bytes1.len, false, shown, line);
      /* Again with a name section: the printed identifiers must give it back. */
      const char *end = lx.has_peek ? lx.peek.text : lx.p;
      kite_buf src1, named;
      kite_buf_init(&src1, a);
      kite_buf_init(&named, a);
      kite_buf_put(&src1, "(module ", 8);
      kite_buf_put(&src1, n.text, (size_t)(end - n.text));
      kite_wat_options wopt = {true};
      kite_error_clear(&perr);
      if (kite_wat_to_wasm_ex(a, (const char *)src1.data, src1.len, KITE_FEATURES_ALL, &wopt,
                              &named, &perr))
        check_bytes(s, a, named.data, named.len, true, shown, line);
      kite_buf_free(&named);
      kite_buf_free(&src1);
    } else {
      s->unparsed++;
      if (getenv("KITE_ROUNDTRIP_VERBOSE"))
        fprintf(stderr, "unparsed: %s:%u: %u:%u: %s\n", shown, line, perr.line, perr.col, perr.msg);
      if (!kite_lex_skip_sexpr(&lx)) {
        kite_buf_free(&bytes1);
        break;
      }
    }
    kite_buf_free(&bytes1);
    prev.kind = KITE_TOK_RPAREN;
  }
  free(src);
}

int main(void) {
  const char *dir = test_suite_dir();
  if (!dir) {
    printf("roundtrip_suite: skipped, the official test suite is missing\n");
    return TEST_SKIP;
  }
  file_list files = {0};
  collect_wast(&files, dir, 0);
  qsort(files.paths, files.len, sizeof *files.paths, cmp_str);

  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  stats s;
  memset(&s, 0, sizeof s);
  size_t dirlen = strlen(dir);
  for (size_t i = 0; i < files.len; i++) {
    const char *shown =
        files.paths[i] + (strncmp(files.paths[i], dir, dirlen) == 0 ? dirlen + 1 : 0);
    run_file(&s, &a, files.paths[i], shown);
    free(files.paths[i]);
  }
  free(files.paths);

  printf("round trip: %u modules identical, %u differ (first: %s)\n", s.identical, s.differ,
         s.first[0] ? s.first : "none");
  printf("round trip with a name section: %u modules identical, %u differ\n", s.named_identical,
         s.named_differ);
  printf("round trip: %u text modules did not parse, %u did not decode (not counted)\n", s.unparsed,
         s.undecoded);
  CHECK(s.identical > 0);
  CHECK_MSG(s.differ == 0, "%u modules do not round-trip", s.differ);
  CHECK(s.named_identical > 0);
  CHECK_MSG(s.named_differ == 0, "%u modules do not round-trip with their names", s.named_differ);
  return test_finish("roundtrip_suite");
}
