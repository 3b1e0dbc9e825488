/*
** memory.c: linear memory instances.
**
** On 64-bit POSIX hosts a 32-bit memory reserves 8 GiB of address space (4 GiB of
** addressable bytes plus the largest static offset) with PROT_NONE and makes the
** current size readable and writable; growing is an mprotect, and the data never
** moves. Elsewhere (or with no_guard_pages) the reservation is the maximum size and
** accesses are bounds-checked explicitly. Without mmap, memory is a realloc'd buffer
** (for a shared memory, one buffer of the maximum size, so that it never moves).
**
** Shared memories are reference-counted across stores and grow under their lock
** (runtime.h, kite_meminst); their synchronisation state lives in atomics_wait.c.
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

static uint64_t page_bytes(const kite_meminst *m) {
  return (uint64_t)1 << m->limits.page_size_log2;
}

#if KITE_HAVE_MMAP
static size_t host_page(void) {
  long p = sysconf(_SC_PAGESIZE);
  return p > 0 ? (size_t)p : 4096;
}
static uint64_t round_up(uint64_t x, uint64_t to) { return (x + to - 1) / to * to; }
#endif

/* Bytes at data from the allocator (no reservation): a shared memory's data never
   moves, so it gets its maximum at once. */
static uint64_t allocated_bytes(const kite_meminst *m) {
  uint64_t n = m->sync ? m->max_pages << m->limits.page_size_log2 : m->size;
  return n ? n : 1;
}

static void release_data(kite_meminst *m) {
#if KITE_HAVE_MMAP
  if (m->reserved) {
    munmap(m->data, m->reserved);
    return;
  }
#endif
  kite_free(m->alloc, m->data, allocated_bytes(m));
}

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
  if (m->sync) {
    if (m->data) return true; /* allocated (and zeroed) up to the maximum */
    if (allocated_bytes(m) > SIZE_MAX) return false;
    m->data = kite_calloc(m->alloc, 1, (size_t)allocated_bytes(m));
    return m->data != NULL;
  }
  uint8_t *p =
      kite_realloc(m->alloc, m->data, m->data ? (m->size ? m->size : 1) : 0, bytes ? bytes : 1);
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
  /* The store's budget: what an unshared memory starts with (its growth is charged as it
     happens), or all a shared one may ever hold (other stores grow it). */
  uint64_t charge = (limits->shared ? max : limits->min) * pb;
  uint64_t store_cap = s->engine->cfg.max_store_memory;
  if (limits->min > max || (store_cap && charge > store_cap - s->memory_bytes)) {
    kite_free(s->alloc, m, sizeof *m);
    kite_fail(err, KITE_ERR_LINK, 0, 0, "memory size exceeds the limit");
    return NULL;
  }
  if (limits->shared) {
    if (!limits->has_max) {
      kite_free(s->alloc, m, sizeof *m);
      kite_fail(err, KITE_ERR_LINK, 0, 0, "shared memory must have maximum");
      return NULL;
    }
    m->sync = kite_memsync_new(s->alloc);
    if (!m->sync) {
      kite_free(s->alloc, m, sizeof *m);
      kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
      return NULL;
    }
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
    release_data(m);
    if (m->sync) kite_memsync_unref(m->sync);
    kite_free(s->alloc, m, sizeof *m);
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  m->size = limits->min * pb;
  m->pages = limits->min;
  m->owner = limits->shared ? NULL : s;
  s->memory_bytes += charge;
  kite_store_adopt(s, &m->obj, KITE_EXTERN_MEMORY);
  return m;
}

void kite_meminst_drop(kite_meminst *m) {
  if (m->sync && !kite_memsync_unref(m->sync)) return; /* another store still uses it */
  release_data(m);
  kite_free(m->alloc, m, sizeof *m);
}

/* A store's reference to a shared memory it imports. */
typedef struct mem_ref {
  kite_finalizer fin;
  kite_meminst *mem;
} mem_ref;

static void mem_ref_release(kite_finalizer *f, kite_store *s) {
  mem_ref *r = (mem_ref *)f;
  kite_meminst_drop(r->mem);
  kite_free(s->alloc, r, sizeof *r);
}

bool kite_meminst_share(kite_store *s, kite_meminst *m, kite_error *err) {
  if (!m->sync) return true;
  mem_ref *r = kite_calloc(s->alloc, 1, sizeof *r);
  if (!r) return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
  kite_memsync_ref(m->sync);
  r->mem = m;
  r->fin.release = mem_ref_release;
  kite_store_adopt(s, &r->fin.obj, KITE_OBJ_FINALIZER);
  return true;
}

/* Grow by delta pages (the caller serialises shared memories). size is published
   before pages, and only once the bytes are accessible: a thread that reads the new
   page count can use every byte of it. */
static uint64_t grow(kite_meminst *m, uint64_t delta) {
  uint64_t old = m->pages;
  if (delta > m->max_pages - old) return UINT64_MAX;
  uint64_t pages = old + delta;
  uint64_t bytes = pages << m->limits.page_size_log2;
  uint64_t added = delta << m->limits.page_size_log2;
  kite_store *s = m->owner;
  uint64_t store_cap = s ? s->engine->cfg.max_store_memory : 0;
  if (store_cap && added > store_cap - s->memory_bytes) return UINT64_MAX;
  if (delta && !commit(m, bytes)) return UINT64_MAX;
  if (s) s->memory_bytes += added;
  m->size = bytes;
  m->pages = pages;
  return old;
}

uint64_t kite_memory_grow(kite_meminst *m, uint64_t delta) {
  if (!m->sync) return grow(m, delta);
  kite_memsync_lock(m->sync);
  uint64_t r = grow(m, delta);
  kite_memsync_unlock(m->sync);
  return r;
}

uint8_t *kite_memory_data(kite_meminst *m) { return m->data; }
uint64_t kite_memory_size(const kite_meminst *m) { return m->pages; }
uint64_t kite_memory_size_bytes(const kite_meminst *m) { return m->size; }
