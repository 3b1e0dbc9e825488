/*
** valid_threads.c: validating the function bodies of a large module on several threads.
**
** Bodies are independent once the module's types, imports and declarations are checked,
** and validating them is most of the time a large module takes to compile. The code is
** cut into chunks of about equal byte size (a function belongs to the chunk its body
** starts in); the calling thread and the workers take chunks in increasing order from a
** shared counter, so a worker that starts late (or never) only means the others take
** more. Each thread has its own validator scratch and validates a chunk's functions in
** order, stopping at the first error. The lowest failed chunk holds the error serial
** validation reports: every chunk below it was validated in full, without one. Chunks
** above a failed one are left alone, as their outcome can no longer matter.
**
** The threads share only the module (immutable), the type identities computed before
** (read-only), the allocation hook (which must be thread-safe: kite.h) and two atomic
** words. Workers are created per module and done before the call returns: a worker's
** last access to anything of the caller's is setting its `done` flag. The caller waits
** for that flag spinning for a short while (a thread that sleeps on a virtual machine
** may take 100 us to wake), then detaches the worker, which only has to exit; a worker
** not done by then is joined. A new thread tends to be queued on its creator's CPU,
** where it would wait for the creator to finish, so workers start on the other CPUs and
** are let back on any once they run (or, when one has not begun by the time the caller
** is done, before the caller sleeps, so that it can take the caller's CPU).
*/
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE 1 /* sched_getaffinity, sched_getcpu, pthread_attr_setaffinity_np */
#endif
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "valid.h"

/* A chunk is at least this big, so that taking one costs little against its work. */
#define CHUNK_MIN_BYTES (16u * 1024)
/* Code per thread at least: about 0.14 ms of work against 0.03 to 0.1 ms to start one. */
#define THREAD_MIN_BYTES (128u * 1024)
/* Chunks per thread: enough for the threads to even out their loads. */
#define CHUNKS_PER_THREAD 8u
/* How long the caller spins for workers to finish before it sleeps in pthread_join:
   about what the last chunk of a worker that started late takes. */
#define SPIN_NS 300000

typedef struct vshared {
  const kite_module *m;
  uint32_t first, end; /* the functions to validate */
  uint32_t base;       /* byte offset of the first body */
  uint32_t chunk_bytes, nchunks;
  _Atomic(uint32_t) next;          /* the next chunk to take */
  _Atomic(uint32_t) lowest_failed; /* UINT32_MAX while none failed */
#if defined(__GLIBC__)
  bool pinned;   /* workers started on the CPUs but the caller's */
  cpu_set_t all; /* the CPUs the process may use */
#endif
} vshared;

typedef struct vthread {
  kite_vctx v; /* the calling thread's is the caller's own */
  kite_vctx *vp;
  kite_error err;
  uint32_t failed_chunk; /* UINT32_MAX: none */
  vshared *sh;
  pthread_t thread;
  bool started;
  _Atomic(bool) running; /* the worker has begun */
  _Atomic(bool) done;    /* the worker no longer touches anything but its own stack */
  char pad[64];          /* keeps the next thread's scratch pointers off this one's last line */
} vthread;

/* The CPUs this process may run on (its affinity mask where there is one). */
static uint32_t available_cpus(void) {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return (uint32_t)n;
  }
#endif
#if defined(_SC_NPROCESSORS_ONLN)
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n > 0) return n > (long)UINT32_MAX ? UINT32_MAX : (uint32_t)n;
#endif
  return 1;
}

/* The first function in [sh->first, sh->end) whose body starts at or after `off`. */
static uint32_t first_at(const vshared *sh, uint64_t off) {
  uint32_t lo = sh->first, hi = sh->end;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (sh->m->funcs[mid].body_offset < off) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

static bool lower_failed(vshared *sh, uint32_t chunk) {
  return atomic_load_explicit(&sh->lowest_failed, memory_order_relaxed) < chunk;
}

static void note_failure(vshared *sh, uint32_t chunk) {
  uint32_t cur = atomic_load_explicit(&sh->lowest_failed, memory_order_relaxed);
  while (chunk < cur &&
         !atomic_compare_exchange_weak_explicit(&sh->lowest_failed, &cur, chunk,
                                                memory_order_relaxed, memory_order_relaxed)) {}
}

/* Take chunks until none is left, one fails, or a lower one has failed. */
static void take_chunks(vthread *t) {
  vshared *sh = t->sh;
  for (;;) {
    uint32_t k = atomic_fetch_add_explicit(&sh->next, 1, memory_order_relaxed);
    if (k >= sh->nchunks || lower_failed(sh, k)) return;
    uint32_t lo = first_at(sh, (uint64_t)sh->base + (uint64_t)k * sh->chunk_bytes);
    uint32_t hi = k + 1 == sh->nchunks
                      ? sh->end
                      : first_at(sh, (uint64_t)sh->base + (uint64_t)(k + 1) * sh->chunk_bytes);
    for (uint32_t i = lo; i < hi; i++) {
      if (lower_failed(sh, k)) return;
      if (!kite_valid_func(t->vp, i)) {
        t->failed_chunk = k;
        note_failure(sh, k);
        return;
      }
    }
  }
}

/* Let a worker run on any CPU again (start_worker kept it off the caller's). */
static void unpin(vshared *sh, pthread_t thread) {
#if defined(__GLIBC__)
  if (sh->pinned) pthread_setaffinity_np(thread, sizeof sh->all, &sh->all);
#else
  (void)sh, (void)thread;
#endif
}

static void *thread_main(void *arg) {
  vthread *t = arg;
  atomic_store_explicit(&t->running, true, memory_order_relaxed);
  unpin(t->sh, pthread_self());
  take_chunks(t);
  kite_vctx_free_scratch(&t->v);
  atomic_store_explicit(&t->done, true, memory_order_release);
  return NULL;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0;
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
** Wait until every started worker is done: spin for up to SPIN_NS, then sleep. A worker
** that has not even begun (its CPU is busy with another program) may now run on the
** caller's CPU, which the caller leaves to it by sleeping at once.
*/
static void wait_workers(vshared *sh, vthread *ts, uint32_t n) {
  uint64_t start = 0;
  for (uint32_t k = 1; k < n; k++) {
    if (!ts[k].started) continue;
    if (!atomic_load_explicit(&ts[k].running, memory_order_relaxed)) {
      unpin(sh, ts[k].thread);
      pthread_join(ts[k].thread, NULL);
      continue;
    }
    while (!atomic_load_explicit(&ts[k].done, memory_order_acquire)) {
      uint64_t t = now_ns();
      if (!start) start = t;
      if (t - start > SPIN_NS) break;
    }
    if (atomic_load_explicit(&ts[k].done, memory_order_acquire)) pthread_detach(ts[k].thread);
    else pthread_join(ts[k].thread, NULL);
  }
}

/* Start a worker, on a CPU other than the caller's when there is one. */
static bool start_worker(vshared *sh, vthread *t) {
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return false;
#if defined(__GLIBC__)
  if (sh->pinned) {
    cpu_set_t set = sh->all;
    int cpu = sched_getcpu();
    if (cpu >= 0 && cpu < CPU_SETSIZE) CPU_CLR(cpu, &set);
    if (CPU_COUNT(&set) > 0) pthread_attr_setaffinity_np(&attr, sizeof set, &set);
  }
#else
  (void)sh;
#endif
  bool ok = pthread_create(&t->thread, &attr, thread_main, t) == 0;
  pthread_attr_destroy(&attr);
  return ok;
}

static void init_worker_ctx(kite_vctx *w, const kite_vctx *v, kite_error *err) {
  *w = *v;
  w->err = err;
  w->kinds = NULL, w->nvals = w->kinds_cap = 0;
  w->refs = NULL, w->refs_cap = 0;
  w->ctrls.data = NULL, w->ctrls.len = w->ctrls.cap = 0;
  w->init_log.data = NULL, w->init_log.len = w->init_log.cap = 0;
  w->local_stamp = w->group_end = NULL;
  w->stamp_cap = w->group_cap = 0;
  w->stamp = 0;
  w->local_kind = NULL;
  w->local_kind_cap = 0;
  w->nlocal_kind = 0;
  w->job = NULL;
}

/* How many threads the bodies of [first, end), `total` bytes, are worth. */
static uint32_t thread_count(uint64_t total, uint32_t threads) {
  if (threads == 1 || total <= KITE_PARALLEL_CODE_BYTES) return 1;
  if (threads == 0) threads = available_cpus();
  if (threads > KITE_MAX_COMPILE_THREADS) threads = KITE_MAX_COMPILE_THREADS;
  uint64_t by_size = total / THREAD_MIN_BYTES;
  if (threads > by_size) threads = (uint32_t)by_size;
  return threads ? threads : 1;
}

static bool validate_serial(kite_vctx *v, uint32_t first, uint32_t end) {
  for (uint32_t i = first; i < end; i++)
    if (!kite_valid_func(v, i)) return false;
  return true;
}

static void run_job(kite_vctx *v) {
  void (*job)(void *) = v->job;
  v->job = NULL;
  if (job) job(v->job_arg);
}

bool kite_valid_funcs(kite_vctx *v, uint32_t first, uint32_t end, uint32_t threads) {
  const kite_module *m = v->m;
  uint64_t total =
      first < end ? (uint64_t)m->funcs[end - 1].code_end - m->funcs[first].body_offset : 0;
  uint32_t n = thread_count(total, threads);
  vthread *ts = n > 1 ? kite_calloc(v->a, n, sizeof *ts) : NULL;
  if (!ts) { /* one thread, or no memory for more: this one does it all */
    run_job(v);
    return validate_serial(v, first, end);
  }
  vshared sh;
  sh.m = m;
  sh.first = first;
  sh.end = end;
  sh.base = m->funcs[first].body_offset;
  uint64_t nchunks = (uint64_t)n * CHUNKS_PER_THREAD;
  if (nchunks > total / CHUNK_MIN_BYTES) nchunks = total / CHUNK_MIN_BYTES;
  sh.chunk_bytes = (uint32_t)((total + nchunks - 1) / nchunks);
  sh.nchunks = (uint32_t)nchunks;
  atomic_init(&sh.next, 0);
  atomic_init(&sh.lowest_failed, UINT32_MAX);
#if defined(__GLIBC__)
  sh.pinned = sched_getaffinity(0, sizeof sh.all, &sh.all) == 0 && CPU_COUNT(&sh.all) > 1;
#endif
  for (uint32_t k = 0; k < n; k++) {
    vthread *t = &ts[k];
    t->sh = &sh;
    t->failed_chunk = UINT32_MAX;
    kite_error_clear(&t->err);
    if (k == 0) {
      t->vp = v;
      continue;
    }
    init_worker_ctx(&t->v, v, &t->err);
    t->vp = &t->v;
    atomic_init(&t->running, false);
    atomic_init(&t->done, false);
    t->started = start_worker(&sh, t);
  }
  run_job(v);
  take_chunks(&ts[0]);
  wait_workers(&sh, ts, n);
  for (uint32_t k = 1; k < n; k++)
    if (!ts[k].started) kite_vctx_free_scratch(&ts[k].v);
  uint32_t lowest = atomic_load_explicit(&sh.lowest_failed, memory_order_relaxed);
  for (uint32_t k = 1; k < n; k++)
    if (lowest != UINT32_MAX && ts[k].failed_chunk == lowest) *v->err = ts[k].err;
  kite_free(v->a, ts, n * sizeof *ts);
  return lowest == UINT32_MAX;
}
