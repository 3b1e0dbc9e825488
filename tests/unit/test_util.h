/*
** test_util.h: the little each unit test program needs: checks that count failures,
** reading files, and finding the official suite.
*/
#ifndef KITE_TEST_UTIL_H
#define KITE_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

extern int test_failures;
extern int test_checks;

#define CHECK(cond)                                                                       \
  do {                                                                                    \
    test_checks++;                                                                        \
    if (!(cond)) {                                                                        \
      test_failures++;                                                                    \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);            \
    }                                                                                     \
  } while (0)

#define CHECK_MSG(cond, ...)                                                              \
  do {                                                                                    \
    test_checks++;                                                                        \
    if (!(cond)) {                                                                        \
      test_failures++;                                                                    \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);            \
      fprintf(stderr, __VA_ARGS__);                                                       \
      fputc('\n', stderr);                                                                \
    }                                                                                     \
  } while (0)

/* Print "N passed, N failed" and return the exit status for main. */
int test_finish(const char *name);

/* Read a whole file; NULL when it cannot be read. Free with free(). */
uint8_t *test_read_file(const char *path, size_t *len);

/* The official suite's directory (env KITE_TESTSUITE, default ../shared/testsuite
   relative to the source tree), or NULL with a message when it is missing. */
const char *test_suite_dir(void);

/* The source tree (env KITE_SOURCE_DIR, default "."). */
const char *test_source_dir(void);

/* Exit status that ctest counts as skipped. */
#define TEST_SKIP 77

#endif
