#include "test_util.h"

#include <stdlib.h>
#include <sys/stat.h>

int test_failures;
int test_checks;

int test_finish(const char *name) {
  printf("%s: %d passed, %d failed\n", name, test_checks - test_failures, test_failures);
  return test_failures ? 1 : 0;
}

uint8_t *test_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 65536, n = 0;
  uint8_t *buf = malloc(cap);
  while (buf) {
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (n < cap) break;
    uint8_t *nb = realloc(buf, cap * 2);
    if (!nb) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = nb;
    cap *= 2;
  }
  fclose(f);
  if (buf) *len = n;
  return buf;
}

const char *test_source_dir(void) {
  const char *s = getenv("KITE_SOURCE_DIR");
  return s && *s ? s : ".";
}

const char *test_suite_dir(void) {
  static char path[4096]; /* test programs only: the library itself has no globals */
  const char *s = getenv("KITE_TESTSUITE");
  if (s && *s) {
    snprintf(path, sizeof path, "%s", s);
  } else {
    snprintf(path, sizeof path, "%s/../shared/testsuite", test_source_dir());
  }
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
    fprintf(stderr,
            "the official test suite is missing at %s: set KITE_TESTSUITE to its directory\n",
            path);
    return NULL;
  }
  return path;
}
