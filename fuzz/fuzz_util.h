/*
** fuzz_util.h: what the libFuzzer targets share (header-only).
**
** A checking allocator hook: every block carries its size in a header, so a caller
** that frees or resizes with the wrong old size (which would corrupt a host's byte
** accounting) aborts at once, and the byte count must return to zero after each input
** (an accounting leak, which LeakSanitizer cannot see when an arena is freed whole).
** A limit keeps a hostile count from asking libFuzzer's malloc for gigabytes: running
** into it must be a clean KITE_ERR_OOM.
*/
#ifndef KITE_FUZZ_UTIL_H
#define KITE_FUZZ_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

#define FUZZ_ALLOC_LIMIT ((size_t)256 << 20)

typedef struct fuzz_block_header {
  size_t size;
  size_t magic;
} fuzz_block_header;

#define FUZZ_MAGIC ((size_t)0x6b697465f00dULL)

static inline void fuzz_die(const char *what) {
  fprintf(stderr, "fuzz: %s\n", what);
  abort();
}

/* ud, when not NULL, is a size_t counting the bytes live through this hook. */
static inline void *fuzz_alloc_fn(void *ud, void *p, size_t osize, size_t nsize) {
  size_t *live = ud;
  fuzz_block_header *h = p ? (fuzz_block_header *)p - 1 : NULL;
  if (h && (h->magic != FUZZ_MAGIC || h->size != osize)) {
    fprintf(stderr, "fuzz: block of %zu bytes released or resized as %zu bytes\n",
            h->magic == FUZZ_MAGIC ? h->size : (size_t)0, osize);
    abort();
  }
  if (nsize == 0) {
    if (h) h->magic = 0;
    free(h);
    if (live && h) *live -= osize;
    return NULL;
  }
  if (nsize > SIZE_MAX - sizeof *h) return NULL;
  fuzz_block_header *n = realloc(h, sizeof *n + nsize);
  if (!n) return NULL;
  n->size = nsize;
  n->magic = FUZZ_MAGIC;
  if (live) *live = *live - (h ? osize : 0) + nsize;
  return n + 1;
}

static inline void fuzz_alloc_init(kite_alloc *a) {
  kite_alloc_init(a, fuzz_alloc_fn, NULL);
  a->limit = FUZZ_ALLOC_LIMIT;
}

/* Everything allocated through a was freed. */
static inline void fuzz_alloc_check(const kite_alloc *a) {
  if (a->bytes != 0) {
    fprintf(stderr, "fuzz: %zu bytes still allocated through the hook\n", a->bytes);
    abort();
  }
}

/* An error must have a kind, and a kind the operation can produce. */
static inline void fuzz_check_error(const kite_error *e, const char *what) {
  if (e->kind == KITE_OK) {
    fprintf(stderr, "fuzz: %s failed without an error\n", what);
    abort();
  }
  if (memchr(e->msg, 0, sizeof e->msg) == NULL) fuzz_die("error message not terminated");
}

/* Limits a parser may hit on input it would otherwise accept: running out of memory
   (the allocation limit), and the text parser's bound on nesting. */
static inline bool fuzz_parse_limit(const kite_error *e) {
  return e->kind == KITE_ERR_OOM || strcmp(e->msg, "nesting too deep") == 0;
}

/* FNV-1a: a data-chosen number (split points, arguments) that is stable per input. */
static inline uint64_t fuzz_hash(const uint8_t *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

static inline uint64_t fuzz_next(uint64_t *state) { /* splitmix64 */
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static inline bool fuzz_same_error(const kite_error *a, const kite_error *b) {
  return a->kind == b->kind && a->code == b->code && a->has_offset == b->has_offset &&
         (!a->has_offset || a->offset == b->offset) && strcmp(a->msg, b->msg) == 0;
}

static inline void fuzz_print_error(const char *what, const kite_error *e) {
  fprintf(stderr, "  %s: %s code %d offset %s%llu: %s\n", what, kite_errkind_name(e->kind),
          e->code, e->has_offset ? "" : "(none) ", (unsigned long long)e->offset, e->msg);
}

#endif
