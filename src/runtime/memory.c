/*
** memory.c: linear memory instances.
**
** On 64-bit POSIX hosts a 32-bit memory reserves 8 GiB of address space (4 GiB of
** addressable bytes plus the largest static offset) with PROT_NONE and makes the
** current size readable and writable; growing is an mprotect, and the data never
** moves. Elsewhere (or with no_guard_pages) the reservation is the maximum size and
** accesses are bounds-checked explicitly. Without mmap, memory is a realloc'd buffer.
*/
#if !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE 1 /* MAP_ANONYMOUS, MAP_NORESERVE */
#endif
#include "runtime.h"

#include "exec.h"

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#include <unistd.h>
#define KITE_HAVE_MMAP 1
#else
#define KITE_HAVE_MMAP 0
#endif


static uint64_t page_bytes(const kite_meminst *m) { return (uint64_t)1 << m->limits.page_size_log2; }

#if KITE_HAVE_MMAP
static size_t host_page(void) {
  long p = sysconf(_SC_PAGESIZE);
  return p > 0 ? (size_t)p : 4096;
}
static uint64_t round_up(uint64_t x, uint64_t to) { return (x + to - 1) / to * to; }
#endif

/* Make [0, bytes) accessible; bytes never shrinks. */
static bool commit(kite_meminst *m, uint64_t bytes) {
#if KITE_HAVE_MMAP
  if (m->reserved) {
    uint64_t old = round_up(m->size, host_page()), want = round_up(bytes, host_page());
    if (want > m->reserved) return false;
    if (want > old && mprotect(m->data + old, want - old, PROT_READ | PROT_WRITE) != 0)
      return false;
    return true;
  }
#endif
  if (bytes > SIZE_MAX) return false;
  uint8_t *p = kite_realloc(m->alloc, m->data, m->data ? (m->size ? m->size : 1) : 0,
                            bytes ? bytes : 1);
  if (!p) return false;
  memset(p + m->size, 0, bytes - m->size);
  m->data = p;
  return true;
}

kite_meminst *kite_memory_new(kite_store *s, const kite_limits *limits, kite_error *err) {
  kite_meminst *m = kite_calloc(s->alloc, 1, sizeof *m);
  if (!m) {
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  m->alloc = s->alloc;
  m->limits = *limits;
  uint64_t pb = page_bytes(m);
  uint64_t addr_max_pages = limits->is64 ? (UINT64_MAX >> limits->page_size_log2)
                                         : (((uint64_t)1 << 32) >> limits->page_size_log2);
  uint64_t max = limits->has_max ? limits->max : addr_max_pages;
  if (max > addr_max_pages) max = addr_max_pages;
  uint64_t cap = s->engine->cfg.max_memory_pages;
  if (limits->page_size_log2 != 16) cap = cap << (16 - limits->page_size_log2);
  /* Never more than 4 GiB: the interpreter relies on it for 64-bit addresses. */
  uint64_t byte_cap = ((uint64_t)1 << 32) >> limits->page_size_log2;
  if (cap > byte_cap) cap = byte_cap;
  if (max > cap) max = cap;
  m->max_pages = max;
  if (limits->min > max) {
    kite_free(s->alloc, m, sizeof *m);
    kite_fail(err, KITE_ERR_LINK, 0, 0, "memory size exceeds the limit");
    return NULL;
  }
#if KITE_HAVE_MMAP && UINTPTR_MAX > 0xFFFFFFFFu
  {
    /* Guarded if we can: the whole reach of 32-bit addressing. Otherwise (or when that
       much address space is refused) the maximum size, bounds-checked. */
    /* Sizes must fall on host pages for the protection to end exactly at the size (not
       so for custom page sizes below the host's page). */
    bool guarded = !limits->is64 && !s->engine->cfg.no_guard_pages && pb % host_page() == 0 &&
                   kite_guard_available();
    void *p = MAP_FAILED;
    uint64_t reserve = 0;
    if (guarded) {
      reserve = KITE_GUARD_RESERVE;
      p = mmap(NULL, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      guarded = p != MAP_FAILED;
    }
    if (p == MAP_FAILED) {
      reserve = round_up(max * pb, host_page());
      if (reserve == 0) reserve = host_page();
      p = mmap(NULL, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    }
    if (p != MAP_FAILED) {
      m->data = p;
      m->reserved = reserve;
      m->guarded = guarded;
    }
  }
#endif
  if (!commit(m, limits->min * pb)) {
#if KITE_HAVE_MMAP
    if (m->reserved) munmap(m->data, m->reserved);
    else
#endif
      kite_free(s->alloc, m->data, m->size ? m->size : 1);
    kite_free(s->alloc, m, sizeof *m);
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  m->pages = limits->min;
  m->size = limits->min * pb;
  kite_store_adopt(s, &m->obj, KITE_EXTERN_MEMORY);
  return m;
}

void kite_meminst_release(kite_meminst *m) {
#if KITE_HAVE_MMAP
  if (m->reserved) {
    munmap(m->data, m->reserved);
    return;
  }
#endif
  kite_free(m->alloc, m->data, m->size ? m->size : 1);
}

uint64_t kite_memory_grow(kite_meminst *m, uint64_t delta) {
  uint64_t old = m->pages;
  if (delta > m->max_pages - old) return UINT64_MAX;
  uint64_t pages = old + delta;
  uint64_t bytes = pages << m->limits.page_size_log2;
  if (delta && !commit(m, bytes)) return UINT64_MAX;
  m->pages = pages;
  m->size = bytes;
  return old;
}

uint8_t *kite_memory_data(kite_meminst *m) { return m->data; }
uint64_t kite_memory_size(const kite_meminst *m) { return m->pages; }
uint64_t kite_memory_size_bytes(const kite_meminst *m) { return m->size; }
