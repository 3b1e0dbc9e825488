/*
** alloc.c: the allocator hook with byte accounting, a limit and failure injection,
** and the arena that decoded modules live in.
*/
#include <stdatomic.h>
#include <stdlib.h>

#include "base.h"

static void *default_alloc(void *ud, void *p, size_t osize, size_t nsize) {
  (void)ud;
  (void)osize;
  if (nsize == 0) {
    free(p);
    return NULL;
  }
  return realloc(p, nsize);
}

void kite_alloc_init(kite_alloc *a, kite_alloc_fn fn, void *ud) {
  memset(a, 0, sizeof *a);
  a->fn = fn ? fn : default_alloc;
  a->ud = ud;
  atomic_init(&a->bytes, 0);
  atomic_init(&a->count, 0);
}

void *kite_realloc(kite_alloc *a, void *p, size_t osize, size_t nsize) {
  if (nsize == 0) {
    if (p) {
      a->fn(a->ud, p, osize, 0);
      atomic_fetch_sub(&a->bytes, osize);
    }
    return NULL;
  }
  uint64_t n = atomic_fetch_add(&a->count, 1) + 1;
  if (a->fail_at && n == a->fail_at) return NULL;
  size_t old = p ? osize : 0;
  if (nsize > old && a->limit && atomic_load(&a->bytes) - old + nsize > a->limit) return NULL;
  void *q = a->fn(a->ud, p, osize, nsize);
  if (!q) return NULL;
  if (nsize >= old)
    atomic_fetch_add(&a->bytes, nsize - old);
  else
    atomic_fetch_sub(&a->bytes, old - nsize);
  return q;
}

void *kite_malloc(kite_alloc *a, size_t size) { return kite_realloc(a, NULL, 0, size ? size : 1); }

void *kite_calloc(kite_alloc *a, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) return NULL;
  size_t bytes = n * size;
  if (!bytes) bytes = 1;
  if (a->fn == default_alloc) {
    /* The C library's calloc knows when memory comes fresh from the system, already
       zero: a large array is then not written (and its pages not faulted in) until it
       is used. Same accounting, limit and failure injection as kite_realloc. */
    uint64_t k = atomic_fetch_add(&a->count, 1) + 1;
    if (a->fail_at && k == a->fail_at) return NULL;
    if (a->limit && atomic_load(&a->bytes) + bytes > a->limit) return NULL;
    void *p = calloc(1, bytes);
    if (p) atomic_fetch_add(&a->bytes, bytes);
    return p;
  }
  void *p = kite_malloc(a, bytes);
  if (p) memset(p, 0, bytes);
  return p;
}

void kite_free(kite_alloc *a, void *p, size_t size) {
  if (p) kite_realloc(a, p, size ? size : 1, 0);
}

bool kite_vec_reserve_(kite_alloc *a, void **data, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return true;
  size_t ncap = *cap ? *cap : 4;
  while (ncap < need) {
    if (ncap > SIZE_MAX / 2) return false;
    ncap *= 2;
  }
  if (ncap > SIZE_MAX / elem) return false;
  void *p = kite_realloc(a, *data, *cap * elem, ncap * elem);
  if (!p) return false;
  *data = p;
  *cap = ncap;
  return true;
}

/* ---- arena ---- */

struct kite_arena_block {
  kite_arena_block *next;
  size_t size; /* bytes of this block including the header */
};

#define ARENA_ALIGN 16
#define ARENA_HEADER ((sizeof(kite_arena_block) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1))
#define ARENA_CHUNK 65536

void kite_arena_init(kite_arena *ar, kite_alloc *a) {
  ar->alloc = a;
  ar->head = NULL;
  ar->used = ar->cap = 0;
}

static void *arena_take(kite_arena *ar, size_t size, bool zero) {
  size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
  if (size == 0) size = ARENA_ALIGN;
  if (!ar->head || ar->cap - ar->used < size) {
    size_t bsize = size > ARENA_CHUNK / 2 ? size + ARENA_HEADER : ARENA_CHUNK;
    if (bsize < size) return NULL;
    kite_arena_block *b = kite_malloc(ar->alloc, bsize);
    if (!b) return NULL;
    b->size = bsize;
    if (size > ARENA_CHUNK / 2 && ar->head) {
      /* a big one-off block goes behind the head so the head's free space is kept */
      b->next = ar->head->next;
      ar->head->next = b;
      void *p = (uint8_t *)b + ARENA_HEADER;
      if (zero) memset(p, 0, size);
      return p;
    }
    b->next = ar->head;
    ar->head = b;
    ar->used = ARENA_HEADER;
    ar->cap = bsize;
  }
  void *p = (uint8_t *)ar->head + ar->used;
  ar->used += size;
  if (zero) memset(p, 0, size);
  return p;
}

void *kite_arena_alloc(kite_arena *ar, size_t size) { return arena_take(ar, size, true); }

void *kite_arena_alloc_uninit(kite_arena *ar, size_t size) { return arena_take(ar, size, false); }

void *kite_arena_array(kite_arena *ar, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size / 2) return NULL;
  return kite_arena_alloc(ar, n * size);
}

void kite_arena_free(kite_arena *ar) {
  kite_arena_block *b = ar->head;
  while (b) {
    kite_arena_block *next = b->next;
    kite_free(ar->alloc, b, b->size);
    b = next;
  }
  ar->head = NULL;
  ar->used = ar->cap = 0;
}
