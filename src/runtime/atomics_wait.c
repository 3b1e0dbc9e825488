/*
** atomics_wait.c: what a shared memory needs beyond its bytes: a reference count (the
** stores that use it), the lock that serialises memory.grow, and the waiters of
** memory.atomic.wait32/wait64, woken by memory.atomic.notify.
**
** Waiters hang off the memory (no process-wide table): a fixed array of buckets keyed by
** address, each a mutex and a FIFO list of waiters; a waiter is a node on the waiting
** thread's C stack with its own condition variable. A wait compares the value under the
** bucket's lock and enqueues itself before releasing it, and notify takes the same lock,
** so a store followed by a notify on another thread can never slip between the
** comparison and the sleep (no lost wake-up). notify wakes the oldest waiters of that
** address first, as the specification's wait queue does.
**
** Timeouts are measured on CLOCK_MONOTONIC where condition variables support it (the
** wall clock elsewhere). A store with an interrupt handle (kite_interrupt) waits in
** short slices and gives up when an interrupt is requested, so a host can always stop a
** thread that waits forever.
*/
#if !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE 1
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "runtime.h"

#if defined(__APPLE__)
#define WAIT_CLOCK CLOCK_REALTIME /* no pthread_condattr_setclock */
#else
#define WAIT_CLOCK CLOCK_MONOTONIC
#define WAIT_SET_CLOCK 1
#endif

#define NBUCKETS 16
/* How often a waiter of a store with an interrupt handle looks at it. */
#define INTERRUPT_SLICE_NS 10000000

typedef struct waiter {
  struct waiter *prev, *next;
  uint64_t addr;
  pthread_cond_t cond;
  bool woken;
} waiter;

typedef struct bucket {
  pthread_mutex_t lock;
  waiter *head, *tail;
} bucket;

struct kite_memsync {
  _Atomic(uint32_t) refs;
  kite_alloc *alloc;
  pthread_mutex_t grow;
  bucket buckets[NBUCKETS];
};

struct kite_memsync *kite_memsync_new(kite_alloc *a) {
  struct kite_memsync *ms = kite_calloc(a, 1, sizeof *ms);
  if (!ms) return NULL;
  ms->alloc = a;
  atomic_init(&ms->refs, 1);
  if (pthread_mutex_init(&ms->grow, NULL) != 0) {
    kite_free(a, ms, sizeof *ms);
    return NULL;
  }
  for (int i = 0; i < NBUCKETS; i++) {
    if (pthread_mutex_init(&ms->buckets[i].lock, NULL) != 0) {
      while (i-- > 0) pthread_mutex_destroy(&ms->buckets[i].lock);
      pthread_mutex_destroy(&ms->grow);
      kite_free(a, ms, sizeof *ms);
      return NULL;
    }
  }
  return ms;
}

void kite_memsync_ref(struct kite_memsync *ms) {
  atomic_fetch_add_explicit(&ms->refs, 1, memory_order_relaxed);
}

bool kite_memsync_unref(struct kite_memsync *ms) {
  if (atomic_fetch_sub_explicit(&ms->refs, 1, memory_order_acq_rel) != 1) return false;
  for (int i = 0; i < NBUCKETS; i++) pthread_mutex_destroy(&ms->buckets[i].lock);
  pthread_mutex_destroy(&ms->grow);
  kite_free(ms->alloc, ms, sizeof *ms);
  return true;
}

void kite_memsync_lock(struct kite_memsync *ms) { pthread_mutex_lock(&ms->grow); }
void kite_memsync_unlock(struct kite_memsync *ms) { pthread_mutex_unlock(&ms->grow); }

static bucket *bucket_of(struct kite_memsync *ms, uint64_t addr) {
  uint64_t h = (addr >> 2) * 0x9E3779B97F4A7C15ull;
  return &ms->buckets[h >> 60];
}

static void unlink_waiter(bucket *b, waiter *w) {
  if (w->prev) w->prev->next = w->next;
  else b->head = w->next;
  if (w->next) w->next->prev = w->prev;
  else b->tail = w->prev;
  w->prev = w->next = NULL;
}

/* The value at addr, read atomically (little-endian like all of wasm memory). */
static uint64_t load_value(const uint8_t *p, unsigned width) {
  uint64_t v;
  if (width == 4) {
    uint32_t x;
#if defined(__GNUC__)
    x = __atomic_load_n((const uint32_t *)(const void *)p, __ATOMIC_SEQ_CST);
#else
    x = atomic_load((const _Atomic(uint32_t) *)(const void *)p);
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap32(x);
#endif
    v = x;
  } else {
#if defined(__GNUC__)
    v = __atomic_load_n((const uint64_t *)(const void *)p, __ATOMIC_SEQ_CST);
#else
    v = atomic_load((const _Atomic(uint64_t) *)(const void *)p);
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
  }
  return v;
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(WAIT_CLOCK, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool interrupt_requested(kite_store *s) {
  return s->interrupt && kite_interrupt_take(s->interrupt);
}

int kite_atomic_wait(kite_store *s, kite_meminst *m, uint64_t addr, uint64_t expected,
                     unsigned width, int64_t timeout_ns) {
  struct kite_memsync *ms = m->sync;
  bucket *b = bucket_of(ms, addr);
  pthread_mutex_lock(&b->lock);
  if (load_value(m->data + addr, width) != expected) {
    pthread_mutex_unlock(&b->lock);
    return KITE_WAIT_NOT_EQUAL;
  }
  if (timeout_ns == 0) {
    pthread_mutex_unlock(&b->lock);
    return KITE_WAIT_TIMED_OUT;
  }
  /* Beyond ~146 years the deadline would overflow: that is forever. */
  bool forever = timeout_ns < 0 || timeout_ns > INT64_MAX / 2;
  int64_t deadline = forever ? INT64_MAX : now_ns() + timeout_ns;
  waiter w;
  memset(&w, 0, sizeof w);
  w.addr = addr;
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
#if defined(WAIT_SET_CLOCK)
  pthread_condattr_setclock(&attr, WAIT_CLOCK);
#endif
  int rc = pthread_cond_init(&w.cond, &attr);
  pthread_condattr_destroy(&attr);
  if (rc != 0) {
    /* No condition variable to sleep on (pthread_cond_init fails only when the system
       is out of resources): report the wait as timed out rather than spin. */
    pthread_mutex_unlock(&b->lock);
    return KITE_WAIT_TIMED_OUT;
  }
  w.prev = b->tail;
  if (b->tail) b->tail->next = &w;
  else b->head = &w;
  b->tail = &w;
  int result = KITE_WAIT_TIMED_OUT;
  for (;;) {
    if (w.woken) {
      result = KITE_WAIT_OK;
      break;
    }
    int64_t now = now_ns();
    if (now >= deadline) break;
    if (s->interrupt && interrupt_requested(s)) {
      result = -1;
      break;
    }
    int64_t until = deadline;
    if (s->interrupt && until - now > INTERRUPT_SLICE_NS) until = now + INTERRUPT_SLICE_NS;
    if (until == INT64_MAX) {
      pthread_cond_wait(&w.cond, &b->lock);
    } else {
      struct timespec ts = {(time_t)(until / 1000000000), (long)(until % 1000000000)};
      pthread_cond_timedwait(&w.cond, &b->lock, &ts);
    }
  }
  if (!w.woken) unlink_waiter(b, &w);
  pthread_mutex_unlock(&b->lock);
  pthread_cond_destroy(&w.cond);
  return result;
}

uint32_t kite_atomic_notify(kite_meminst *m, uint64_t addr, uint32_t count) {
  struct kite_memsync *ms = m->sync;
  if (!ms || count == 0) return 0;
  bucket *b = bucket_of(ms, addr);
  uint32_t n = 0;
  pthread_mutex_lock(&b->lock);
  for (waiter *w = b->head, *next; w && n < count; w = next) {
    next = w->next;
    if (w->addr != addr) continue;
    unlink_waiter(b, w);
    w->woken = true;
    pthread_cond_signal(&w->cond);
    n++;
  }
  pthread_mutex_unlock(&b->lock);
  return n;
}
