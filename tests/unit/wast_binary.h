/*
** wast_binary.h: find the `(module binary "...")` forms of an official .wast file,
** for the decoder's tests (test_decode.c, test_stream.c). Only what those tests need:
** the module's bytes, its line, and the message when it is the module of an
** assert_malformed. Header-only (static functions), one copy per test program.
*/
#ifndef KITE_WAST_BINARY_H
#define KITE_WAST_BINARY_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "features.h"
#include "test_util.h"

typedef KITE_VEC(uint8_t) wast_bytes;

/* bytes is never NULL; expect is NULL unless the module must be malformed. */
typedef void (*wast_binary_fn)(void *ud, const char *file, int line, const uint8_t *bytes, size_t n,
                               const char *expect);

static const char *wast_skip_ws(const char *p, const char *end) {
  for (;;) {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')) p++;
    if (p + 1 < end && p[0] == ';' && p[1] == ';') {
      while (p < end && *p != '\n') p++;
    } else if (p + 1 < end && p[0] == '(' && p[1] == ';') {
      const char *q = strstr(p, ";)");
      p = q ? q + 2 : end;
    } else {
      return p;
    }
  }
}

static int wast_hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Parse the string literal at p (its opening quote) into out; returns past it. */
static const char *wast_read_string(kite_alloc *a, const char *p, const char *end,
                                    wast_bytes *out) {
  p++;
  while (p < end && *p != '"') {
    uint8_t c = (uint8_t)*p++;
    if (c == '\\' && p < end) {
      char e = *p++;
      if (wast_hexval(e) >= 0 && p < end && wast_hexval(*p) >= 0) {
        c = (uint8_t)(wast_hexval(e) * 16 + wast_hexval(*p++));
      } else if (e == 'n') {
        c = '\n';
      } else if (e == 't') {
        c = '\t';
      } else if (e == 'r') {
        c = '\r';
      } else if (e == 'u') {
        uint32_t cp = (uint32_t)strtoul(p + 1, NULL, 16);
        while (p < end && *p != '}') p++;
        p++;
        uint8_t u[4];
        size_t n = kite_utf8_encode(cp, u);
        for (size_t i = 0; i < n; i++) kite_vec_push(a, out, u[i]);
        continue;
      } else {
        c = (uint8_t)e;
      }
    }
    kite_vec_push(a, out, c);
  }
  return p + 1;
}

/* Skip the parenthesised form at p ('('); returns past its ')'. */
static const char *wast_skip_form(kite_alloc *a, const char *p, const char *end) {
  int depth = 0;
  while (p < end) {
    p = wast_skip_ws(p, end);
    if (p >= end) break;
    if (*p == '"') {
      wast_bytes tmp = {0};
      p = wast_read_string(a, p, end, &tmp);
      kite_vec_free(a, &tmp);
    } else if (*p == '(') {
      depth++, p++;
    } else if (*p == ')') {
      p++;
      if (--depth == 0) break;
    } else {
      p++;
    }
  }
  return p;
}

/* Call fn for every binary module of dir/name; false when the file cannot be read. */
static bool wast_binary_modules(kite_alloc *a, const char *dir, const char *name, wast_binary_fn fn,
                                void *ud) {
  char path[4096];
  if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) return false;
  size_t len;
  char *text = (char *)test_read_file(path, &len);
  if (!text) return false;
  char *copy = realloc(text, len + 1); /* NUL-terminate for strstr */
  if (!copy) {
    free(text);
    return false;
  }
  text = copy;
  text[len] = 0;
  const char *end = text + len, *p = text;
  int line = 1;
  const char *line_at = text;
  while ((p = strstr(p, "(module")) != NULL) {
    const char *q = wast_skip_ws(p + 7, end);
    if (*q == '$') {
      while (q < end && *q != ' ' && *q != '\n' && *q != '\t') q++;
      q = wast_skip_ws(q, end);
    }
    if (strncmp(q, "binary", 6) != 0) {
      p += 7;
      continue;
    }
    for (; line_at < p; line_at++) line += *line_at == '\n';
    wast_bytes bytes = {0};
    q += 6;
    for (;;) {
      q = wast_skip_ws(q, end);
      if (q >= end || *q != '"') break;
      q = wast_read_string(a, q, end, &bytes);
    }
    /* The module of an assert_malformed: its message follows the module form. */
    const char *expect = NULL;
    char msg[256];
    const char *form = p;
    while (form > text && *--form != '(') continue;
    if (form < p && strncmp(form, "(assert_malformed", 17) == 0 &&
        wast_skip_ws(form + 17, end) == p) {
      const char *after = wast_skip_ws(wast_skip_form(a, p, end), end);
      if (after < end && *after == '"') {
        wast_bytes m = {0};
        wast_read_string(a, after, end, &m);
        size_t n = m.len < sizeof msg - 1 ? m.len : sizeof msg - 1;
        if (n) memcpy(msg, m.data, n);
        msg[n] = 0;
        kite_vec_free(a, &m);
        expect = msg;
      }
    }
    fn(ud, name, line, bytes.data ? bytes.data : (const uint8_t *)"", bytes.len, expect);
    kite_vec_free(a, &bytes);
    p = q;
  }
  free(text);
  return true;
}

/* Every binary module of the suite's .wast files, the proposals Kite implements
   included; returns the number of files read, -1 when one cannot be read. */
static int wast_suite_binary_modules(kite_alloc *a, const char *suite, wast_binary_fn fn,
                                     void *ud) {
  static const char *const subdirs[] = {"",
                                        "legacy",
                                        "proposals/threads",
                                        "proposals/custom-page-sizes",
                                        "proposals/wide-arithmetic",
                                        "proposals/custom-descriptors"};
  int files = 0;
  for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s/%s", suite, subdirs[i]) >= (int)sizeof dir) continue;
    DIR *d = opendir(dir);
    if (!d) continue;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      size_t n = strlen(e->d_name);
      if (n < 5 || strcmp(e->d_name + n - 5, ".wast") != 0) continue;
      char rel[4096];
      if (snprintf(rel, sizeof rel, "%s%s%s", subdirs[i], *subdirs[i] ? "/" : "", e->d_name) >=
          (int)sizeof rel)
        continue;
      if (!wast_binary_modules(a, suite, rel, fn, ud)) {
        closedir(d);
        return -1;
      }
      files++;
    }
    closedir(d);
  }
  return files;
}

/* The features a suite file is written for. */
static kite_features wast_features(const char *file) {
  kite_features f = KITE_FEATURES_3_0;
  if (strstr(file, "threads")) f |= KITE_FEATURE_BIT(FEAT_THREADS);
  if (strstr(file, "legacy")) f |= KITE_FEATURE_BIT(FEAT_LEGACY_EH);
  if (strstr(file, "custom-page-sizes")) f |= KITE_FEATURE_BIT(FEATX_CUSTOM_PAGE_SIZES);
  if (strstr(file, "wide-arithmetic")) f |= KITE_FEATURE_BIT(FEAT_WIDE_ARITH);
  if (strstr(file, "custom-descriptors")) f |= KITE_FEATURE_BIT(FEAT_CUSTOM_DESC);
  return f;
}

#endif
