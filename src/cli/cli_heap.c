/*
** cli_heap.c: the start-up heap of `kite run` for large modules.
**
** Starting a large module touches a few MB of new memory at once: the module's copy of
** the binary, the decoded module, the instance. On the virtual machines Kite is measured
** on, every new 4 KiB page costs about 1.8 us to fault in, which makes page faults a
** third of the start-up time of a 1 MB module, while a 2 MiB transparent huge page
** costs about 0.2 ms: four times less per byte. So while a large module is being loaded
** and instantiated, the engine's allocation hook takes memory by bumping a pointer
** through one region advised for huge pages. Once the guest's code is about to run, it
** is closed: new blocks still come from the rest of the huge page in use (the first
** functions' lowered code, at no cost: it is already zeroed and mapped), then from
** malloc as usual, so a long-running program never holds more than the start-up's share
** of it. A block freed in the region is given back only when it is the last one
** (scratch arrays that grow one after the other); the others stay until the region is
** unmapped, which start-up's short life keeps small. Where transparent huge pages are
** off, the region simply gets ordinary pages.
*/
#if !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE 1 /* MAP_ANONYMOUS, MAP_NORESERVE, madvise */
#endif
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cli.h"

#define HUGE_PAGE ((size_t)2 << 20)
#define ALIGN 16
/* Blocks larger than this go to malloc even while the region is open (value stacks,
   large memories' worth of tables): they are mostly never touched. */
#define LARGEST_BLOCK ((size_t)4 << 20)

bool cli_heap_init(cli_heap *h, size_t module_size) {
  memset(h, 0, sizeof *h);
#if defined(KITE_CLI_ASAN)
  /* AddressSanitizer should see every block (overflows, leaks): malloc only. */
  (void)module_size;
  return false;
#endif
  /* Room for the binary, the decoded module and an instance several times over; only
     what is touched costs memory. */
  if (module_size > SIZE_MAX / 16) return false;
  size_t size = (module_size * 8 + HUGE_PAGE * 2 + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
  uint8_t *p = mmap(NULL, size + HUGE_PAGE, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return false;
  if (pthread_mutex_init(&h->lock, NULL) != 0) {
    munmap(p, size + HUGE_PAGE);
    return false;
  }
  h->map = p;
  h->map_size = size + HUGE_PAGE;
  /* Huge pages need 2 MiB alignment. */
  h->base = (uint8_t *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
  h->top = h->base;
  h->end = h->base + size;
#if defined(MADV_HUGEPAGE)
  madvise(h->base, size, MADV_HUGEPAGE);
#endif
  return true;
}

void cli_heap_close(cli_heap *h) {
  if (!h->map) return;
  pthread_mutex_lock(&h->lock);
  size_t used = (size_t)(h->top - h->base);
  size_t limit = (used + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
  if (limit < (size_t)(h->end - h->base)) h->end = h->base + limit;
  h->closed = true;
  pthread_mutex_unlock(&h->lock);
}

void cli_heap_free(cli_heap *h) {
  if (!h->map) return;
  pthread_mutex_destroy(&h->lock);
  munmap(h->map, h->map_size);
  h->map = NULL;
}

/* Compared as integers: p may be any block, of the region or of malloc. */
static bool in_region(const cli_heap *h, const void *p) {
  uintptr_t a = (uintptr_t)p, from = (uintptr_t)h->map;
  return p && a >= from && a - from < h->map_size;
}

/* A block of n bytes from the region, or NULL. When p is the last block it grows or
   shrinks in place. Under the lock. */
static void *take(cli_heap *h, uint8_t *p, size_t n) {
  size_t size = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
  if (p && p == h->last && (size_t)(h->end - p) >= size) {
    h->top = p + size;
    return p;
  }
  if (n > LARGEST_BLOCK || (size_t)(h->end - h->top) < size) {
    /* Once closed, the first block that does not fit ends the region's service. */
    if (h->closed) atomic_store_explicit(&h->spent, true, memory_order_relaxed);
    return NULL;
  }
  uint8_t *q = h->top;
  h->top += size;
  h->last = q;
  return q;
}

/* Give back p (a region block) when it is the last one. Under the lock. */
static void give_back(cli_heap *h, uint8_t *p) {
  if (p == h->last) {
    h->top = p;
    h->last = NULL;
  }
}

void *cli_heap_alloc(void *ud, void *p, size_t osize, size_t nsize) {
  cli_heap *h = ud;
  if (!in_region(h, p)) {
    if (nsize == 0) {
      free(p);
      return NULL;
    }
    if (!p && nsize <= LARGEST_BLOCK && !atomic_load_explicit(&h->spent, memory_order_relaxed)) {
      pthread_mutex_lock(&h->lock);
      void *q = take(h, NULL, nsize);
      pthread_mutex_unlock(&h->lock);
      if (q) return q;
    }
    return realloc(p, nsize);
  }
  pthread_mutex_lock(&h->lock);
  if (nsize == 0) {
    give_back(h, p);
    pthread_mutex_unlock(&h->lock);
    return NULL;
  }
  void *q = take(h, p, nsize);
  if (q == p) {
    pthread_mutex_unlock(&h->lock);
    return q;
  }
  pthread_mutex_unlock(&h->lock);
  if (!q) q = malloc(nsize);
  if (!q) return NULL;
  memcpy(q, p, osize < nsize ? osize : nsize);
  pthread_mutex_lock(&h->lock);
  give_back(h, p);
  pthread_mutex_unlock(&h->lock);
  return q;
}
