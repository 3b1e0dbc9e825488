/*
** seed_corpus: seed corpora for the fuzz targets, made at run time from the official
** suite and the committed fixtures (nothing of the suite is copied into the repo).
**
**   seed_corpus OUT SUITE_DIR_OR_- FILE_OR_DIR...
**
** Writes, each file named by a hash of its contents (so repeats collapse):
**   OUT/decode, OUT/exec   every binary module: the suite's `module binary` forms and
**                          its text modules as the wat parser encodes them (what
**                          `kite wat2wasm` writes), and every .wasm file given;
**   OUT/wat                the text of every text module of the suite, and .wat files;
**   OUT/wast               the suite's scripts in pieces of whole commands.
*/
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base.h"
#include "text.h"

#define WAST_PIECE 4096 /* bytes of commands per .wast seed */

typedef struct counts {
  unsigned binary, wat, wast;
} counts;

static uint64_t hash(const void *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ ((const uint8_t *)p)[i]) * 0x100000001b3ULL;
  return h;
}

static void write_seed(const char *out, const char *kind, const void *p, size_t n) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s/%016llx", out, kind, (unsigned long long)hash(p, n));
  FILE *f = fopen(path, "wb");
  if (!f) {
    perror(path);
    exit(1);
  }
  if (n && fwrite(p, 1, n, f) != n) {
    perror(path);
    exit(1);
  }
  fclose(f);
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  size_t k;
  while (buf && (k = fread(buf + n, 1, cap - n, f)) > 0) {
    n += k;
    if (n == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  *len = n;
  return buf;
}

/* Skip white space and comments from p; returns the next token's start. */
static const char *skip_space(const char *p, const char *end) {
  for (;;) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    if (p + 1 < end && p[0] == ';' && p[1] == ';') {
      while (p < end && *p != '\n') p++;
    } else if (p + 1 < end && p[0] == '(' && p[1] == ';') {
      int depth = 0;
      do {
        if (p + 1 < end && p[0] == '(' && p[1] == ';') depth++, p += 2;
        else if (p + 1 < end && p[0] == ';' && p[1] == ')') depth--, p += 2;
        else p++;
      } while (p < end && depth > 0);
    } else {
      return p;
    }
  }
}

/* p at '(': one past the matching ')' (strings and comments respected), or end. */
static const char *sexpr_end(const char *p, const char *end) {
  int depth = 0;
  while (p < end) {
    const char *q = skip_space(p, end);
    if (q != p) {
      p = q;
      continue;
    }
    if (*p == '"') {
      for (p++; p < end && *p != '"'; p++)
        if (*p == '\\' && p + 1 < end) p++;
      p++;
    } else if (*p == '(') {
      depth++, p++;
    } else if (*p == ')') {
      p++;
      if (--depth == 0) return p;
    } else {
      p++;
    }
  }
  return end;
}

static size_t token_len(const char *p, const char *end) {
  size_t n = 0;
  while (p + n < end && !strchr(" \t\r\n()\";", p[n])) n++;
  return n;
}

/* Every (module ...) in the script written as text, at any depth. */
static void text_modules(const char *out, const char *src, size_t len, counts *c) {
  const char *p = src, *end = src + len;
  while (p < end) {
    const char *q = skip_space(p, end);
    if (q != p) {
      p = q;
      continue;
    }
    if (*p == '"') {
      for (p++; p < end && *p != '"'; p++)
        if (*p == '\\' && p + 1 < end) p++;
      p++;
      continue;
    }
    if (*p != '(') {
      p++;
      continue;
    }
    const char *kw = skip_space(p + 1, end);
    if (token_len(kw, end) != 6 || memcmp(kw, "module", 6) != 0) {
      p++;
      continue;
    }
    const char *e = sexpr_end(p, end);
    const char *t = skip_space(kw + 6, end);
    if (t < end && *t == '$') t = skip_space(t + token_len(t, end), end);
    size_t n = token_len(t, end);
    if (n == 10 && memcmp(t, "definition", 10) == 0) {
      t = skip_space(t + n, end);
      if (t < end && *t == '$') t = skip_space(t + token_len(t, end), end);
      n = token_len(t, end);
    }
    bool text = !((n == 6 && memcmp(t, "binary", 6) == 0) || (n == 5 && memcmp(t, "quote", 5) == 0) ||
                  (n == 8 && memcmp(t, "instance", 8) == 0));
    if (text) {
      write_seed(out, "wat", p, (size_t)(e - p));
      c->wat++;
    }
    p = e;
  }
}

/* The script in pieces of whole top-level commands. */
static void wast_pieces(const char *out, const char *src, size_t len, counts *c) {
  const char *p = src, *end = src + len, *start = src;
  while (p < end) {
    const char *q = skip_space(p, end);
    if (q != p) {
      p = q;
      continue;
    }
    p = *p == '(' ? sexpr_end(p, end) : p + 1;
    if (p - start >= WAST_PIECE || p >= end) {
      write_seed(out, "wast", start, (size_t)(p - start));
      c->wast++;
      start = p;
    }
  }
}

static void binary_modules(const char *out, kite_wast_cmd *cmds, uint32_t n, counts *c) {
  for (uint32_t i = 0; i < n; i++) {
    const kite_wast_module *m = &cmds[i].module;
    if (cmds[i].kind == KITE_WAST_THREAD) binary_modules(out, cmds[i].cmds, cmds[i].ncmds, c);
    if (m->kind != KITE_WAST_MOD_BINARY || !m->bytes) continue;
    write_seed(out, "decode", m->bytes, m->len);
    write_seed(out, "exec", m->bytes, m->len);
    c->binary++;
  }
}

static void script(const char *out, const char *path, counts *c) {
  size_t len;
  char *src = read_file(path, &len);
  if (!src) return;
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_wast_script s;
  kite_error err;
  kite_error_clear(&err);
  if (kite_wast_parse(&a, src, len, KITE_FEATURES_ALL, &s, &err)) {
    binary_modules(out, s.cmds, s.ncmds, c);
    kite_wast_free(&s);
  }
  text_modules(out, src, len, c);
  wast_pieces(out, src, len, c);
  free(src);
}

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

static void walk(const char *out, const char *path, counts *c, int depth) {
  struct stat st;
  if (stat(path, &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    if (depth > 4) return;
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (e->d_name[0] == '.') continue;
      char sub[4096];
      snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
      walk(out, sub, c, depth + 1);
    }
    closedir(d);
    return;
  }
  size_t len;
  if (ends_with(path, ".wast")) {
    script(out, path, c);
  } else if (ends_with(path, ".wasm") || ends_with(path, ".wat")) {
    char *p = read_file(path, &len);
    if (!p) return;
    if (ends_with(path, ".wat")) {
      write_seed(out, "wat", p, len);
      c->wat++;
    } else {
      write_seed(out, "decode", p, len);
      write_seed(out, "exec", p, len);
      c->binary++;
    }
    free(p);
  }
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: seed_corpus OUT SUITE_DIR_OR_- FILE_OR_DIR...\n");
    return 2;
  }
  static const char *const kinds[] = {"decode", "exec", "wat", "wast"};
  char dir[4096];
  mkdir(argv[1], 0777);
  for (size_t i = 0; i < KITE_ARRAY_LEN(kinds); i++) {
    snprintf(dir, sizeof dir, "%s/%s", argv[1], kinds[i]);
    mkdir(dir, 0777);
  }
  counts c = {0, 0, 0};
  for (int i = 2; i < argc; i++)
    if (strcmp(argv[i], "-") != 0) walk(argv[1], argv[i], &c, 0);
  printf("seeds: %u binary modules, %u text modules, %u script pieces (with repeats)\n", c.binary,
         c.wat, c.wast);
  return 0;
}
