/*
** wasi_threads.c: wasi-threads, the `wasi` module's thread-spawn. A module built for
** wasm32-wasi-threads imports its shared memory as env::memory and
** `(import "wasi" "thread-spawn" (func (param i32) (result i32)))`, and exports
** `wasi_thread_start (param i32 i32)`. thread-spawn(arg) makes a new instance of the
** same module in a new store, importing the same memory and host functions, and runs
** wasi_thread_start(tid, arg) in it on a new pthread; it returns the thread id (1 and
** up), or a negative errno when no thread can be started.
**
** The threads of one program form a group. The program ends when the main thread's
** _start returns, or when any thread calls proc_exit or traps: that first ending is
** the program's, and every other thread is then stopped through its store's interrupt
** request (a running thread traps "interrupted" at its next call or loop iteration, a
** waiting one within a few milliseconds) and joined. A thread blocked inside a host call
** (reading a terminal) finishes that call first.
**
** The WASI context is one for the whole program, so its host functions are serialised
** by one lock; clocks, randomness, sched_yield, the read-only argument and environment
** calls and a poll_oneoff that only sleeps run without it, so a sleeping thread never
** holds up the others.
*/
#include <pthread.h>
#include <stdatomic.h>

#include "wasi.h"

#define WASI_TID_MAX 0x1FFFFFFFu

typedef struct wthread {
  struct wthread *next;
  kite_wasi_threads *group;
  kite_store *store;
  kite_funcinst *start;
  uint32_t tid, arg;
  pthread_t pt;
  struct kite_interrupt *interrupt; /* a reference to the store's */
  _Atomic(bool) done;
} wthread;

struct kite_wasi_threads {
  kite_alloc *alloc;
  kite_engine *engine;
  kite_wasi *wasi;
  const kite_module *module;
  kite_store *main_store;
  kite_meminst *memory;
  kite_extern *imports; /* the main instance's, reused by every thread */
  uint32_t nimports;
  pthread_mutex_t lock; /* guards what follows */
  wthread *threads;
  uint32_t next_tid;
  bool stopping;        /* the program has ended: no new threads, the others stop */
  bool ended_by_thread; /* a spawned thread ended it: end_err says how */
  kite_error end_err;
  kite_trace end_trace;
  struct kite_interrupt *main_interrupt; /* a reference to the main store's */
  pthread_mutex_t wasi_lock;             /* serialises the WASI context */
};

static bool name_is(kite_name n, const char *s) {
  return n.len == strlen(s) && memcmp(n.ptr, s, n.len) == 0;
}

static bool is_spawn_import(const kite_import *imp) {
  return name_is(imp->module, "wasi") && name_is(imp->field, "thread-spawn");
}
static bool is_memory_import(const kite_import *imp) {
  return imp->kind == KITE_EXTERN_MEMORY && name_is(imp->module, "env") &&
         name_is(imp->field, "memory");
}

bool kite_wasi_threads_used(const kite_module *m) {
  for (uint32_t i = 0; i < m->nimports; i++)
    if (is_spawn_import(&m->imports[i])) return true;
  return false;
}

bool kite_wasi_threads_is_import(const kite_import *imp) {
  return is_spawn_import(imp) || is_memory_import(imp);
}

/* ---- serialising the WASI context ---- */

/* Whether a WASI call touches the shared context (descriptors) and must hold the lock. */
static bool needs_lock(const kite_wasi_func *f, const kite_wasi_mem *m, const uint64_t *a) {
  static const char *const free_calls[] = {"args_get",          "args_sizes_get", "environ_get",
                                           "environ_sizes_get", "clock_res_get",  "clock_time_get",
                                           "random_get",        "sched_yield",    "proc_exit"};
  for (size_t i = 0; i < KITE_ARRAY_LEN(free_calls); i++)
    if (strcmp(f->name, free_calls[i]) == 0) return false;
  if (strcmp(f->name, "poll_oneoff") == 0) {
    /* Only clock subscriptions (tag 0 at offset 8): a sleep. */
    uint64_t in = (uint32_t)a[0], n = (uint32_t)a[2];
    if (n == 0 || !wasi_mem_ok(m, in, n * WASI_SUBSCRIPTION_SIZE)) return true;
    for (uint64_t i = 0; i < n; i++)
      if (m->base[in + i * WASI_SUBSCRIPTION_SIZE + 8] != 0) return true;
    return false;
  }
  return true;
}

bool wasi_threads_enter(kite_wasi_threads *t, const kite_wasi_func *f, const kite_wasi_mem *m,
                        const uint64_t *a) {
  if (!needs_lock(f, m, a)) return false;
  pthread_mutex_lock(&t->wasi_lock);
  return true;
}

void wasi_threads_leave(kite_wasi_threads *t) { pthread_mutex_unlock(&t->wasi_lock); }

/* ---- the group ---- */

static void request_stop(kite_wasi_threads *t) {
  t->stopping = true;
  if (t->main_interrupt) kite_interrupt_request(t->main_interrupt);
  for (wthread *th = t->threads; th; th = th->next) kite_interrupt_request(th->interrupt);
}

/* A spawned thread's run ended in err (proc_exit or a trap). The first ending of the
   program wins; a thread stopped because the program ended records nothing. */
static void thread_ended(wthread *th, const kite_error *err) {
  kite_wasi_threads *t = th->group;
  pthread_mutex_lock(&t->lock);
  if (!t->stopping) {
    t->ended_by_thread = true;
    t->end_err = *err;
    t->end_trace = *kite_store_trace(th->store);
    request_stop(t);
  }
  pthread_mutex_unlock(&t->lock);
}

static void *thread_main(void *p) {
  wthread *th = p;
  kite_value args[2] = {kite_val_i32(th->tid), kite_val_i32(th->arg)};
  kite_error err;
  kite_error_clear(&err);
  if (!kite_func_call(th->store, th->start, args, 2, NULL, 0, &err)) thread_ended(th, &err);
  atomic_store(&th->done, true);
  return NULL;
}

static void free_thread(kite_wasi_threads *t, wthread *th) {
  if (th->store) kite_store_free(th->store);
  kite_interrupt_unref(th->interrupt);
  kite_free(t->alloc, th, sizeof *th);
}

/* Join the threads that have finished (call with the lock held). */
static void reap(kite_wasi_threads *t) {
  for (wthread **pp = &t->threads; *pp;) {
    wthread *th = *pp;
    if (!atomic_load(&th->done)) {
      pp = &th->next;
      continue;
    }
    pthread_join(th->pt, NULL);
    *pp = th->next;
    free_thread(t, th);
  }
}

/* The `start` export: wasi_thread_start of type [i32 i32] -> []. */
static kite_funcinst *start_export(kite_instance *inst) {
  kite_extern x;
  static const char name[] = "wasi_thread_start";
  if (!kite_instance_export(inst, name, sizeof name - 1, &x) || x.kind != KITE_EXTERN_FUNC)
    return NULL;
  const kite_functype *ft = kite_func_type(x.u.func);
  if (ft->nparams != 2 || ft->nresults != 0 || ft->params[0].kind != KITE_VT_I32 ||
      ft->params[1].kind != KITE_VT_I32)
    return NULL;
  return x.u.func;
}

/* thread-spawn(start_arg) -> tid, or a negative errno. */
static bool thread_spawn(void *env, kite_store *caller, const kite_value *args, uint32_t nargs,
                         kite_value *results, uint32_t nresults, kite_error *err) {
  (void)caller, (void)nargs, (void)nresults;
  kite_wasi_threads *t = env;
  int32_t rc = -(int32_t)WASI_EAGAIN;
  wthread *th = kite_calloc(t->alloc, 1, sizeof *th);
  if (!th) goto done;
  th->group = t;
  th->arg = args[0].u.i32;
  atomic_init(&th->done, false);
  th->store = kite_store_new(t->engine);
  if (!th->store || !(th->interrupt = kite_store_interrupt_ref(th->store))) goto fail;
  /* Instantiated here, on the calling thread: the new store is handed to its thread
     only once it is complete. A failure is the guest's error code, not a trap. */
  kite_error ierr;
  kite_error_clear(&ierr);
  kite_instance *inst = kite_instantiate(th->store, t->module, t->imports, t->nimports, &ierr);
  if (!inst || !(th->start = start_export(inst))) {
    if (ierr.kind == KITE_ERR_EXIT) { /* proc_exit in the start function */
      *err = ierr;
      free_thread(t, th);
      return false;
    }
    goto fail;
  }
  pthread_mutex_lock(&t->lock);
  reap(t);
  if (t->stopping || t->next_tid >= WASI_TID_MAX) {
    pthread_mutex_unlock(&t->lock);
    goto fail;
  }
  th->tid = ++t->next_tid;
  if (pthread_create(&th->pt, NULL, thread_main, th) != 0) {
    t->next_tid--;
    pthread_mutex_unlock(&t->lock);
    goto fail;
  }
  th->next = t->threads;
  t->threads = th;
  rc = (int32_t)th->tid;
  pthread_mutex_unlock(&t->lock);
  goto done;
fail:
  free_thread(t, th);
done:
  results[0].u.i32 = (uint32_t)rc;
  return true;
}

kite_wasi_threads *kite_wasi_threads_new(kite_wasi *w, kite_store *s, const kite_module *m,
                                         kite_error *err) {
  const kite_import *mem = NULL;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (is_memory_import(&m->imports[i])) mem = &m->imports[i];
  if (!mem || !mem->u.memory.limits.shared) {
    kite_fail(err, KITE_ERR_LINK, 0, 0,
              "a wasi-threads module must import a shared memory as env::memory");
    return NULL;
  }
  kite_wasi_threads *t = kite_calloc(s->alloc, 1, sizeof *t);
  if (!t) {
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  t->alloc = s->alloc;
  t->engine = kite_store_engine(s);
  t->wasi = w;
  t->module = m;
  t->main_store = s;
  if (pthread_mutex_init(&t->lock, NULL) != 0) {
    kite_free(t->alloc, t, sizeof *t);
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  if (pthread_mutex_init(&t->wasi_lock, NULL) != 0) {
    pthread_mutex_destroy(&t->lock);
    kite_free(t->alloc, t, sizeof *t);
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  t->memory = kite_memory_new(s, &mem->u.memory.limits, err);
  if (!t->memory) {
    kite_wasi_threads_free(t);
    return NULL;
  }
  /* The main thread can be stopped too (when another thread ends the program). */
  if (!(t->main_interrupt = kite_store_interrupt_ref(s))) {
    kite_wasi_threads_free(t);
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  w->threads = t;
  return t;
}

bool kite_wasi_threads_link(kite_wasi_threads *t, kite_store *s, kite_extern *imports,
                            kite_error *err) {
  const kite_module *m = t->module;
  for (uint32_t i = 0; i < m->nimports; i++) {
    const kite_import *imp = &m->imports[i];
    if (is_memory_import(imp)) {
      imports[i].kind = KITE_EXTERN_MEMORY;
      imports[i].u.memory = t->memory;
    } else if (is_spawn_import(imp)) {
      kite_valtype i32 = kite_vt(KITE_VT_I32);
      kite_functype type = {1, 1, &i32, &i32};
      if (imp->kind != KITE_EXTERN_FUNC ||
          !kite_functype_eq(&type, kite_module_functype(m, imp->u.func)))
        return kite_fail(err, KITE_ERR_LINK, 0, 0,
                         "incompatible import type for wasi::thread-spawn");
      kite_funcinst *f = kite_func_new_host(s, &type, thread_spawn, t, err);
      if (!f) return false;
      imports[i].kind = KITE_EXTERN_FUNC;
      imports[i].u.func = f;
    }
  }
  t->imports = kite_calloc(t->alloc, m->nimports ? m->nimports : 1, sizeof *t->imports);
  if (!t->imports) return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
  memcpy(t->imports, imports, m->nimports * sizeof *imports);
  t->nimports = m->nimports;
  return true;
}

bool kite_wasi_threads_finish(kite_wasi_threads *t, kite_error *err, kite_trace *trace) {
  if (!t) return false;
  pthread_mutex_lock(&t->lock);
  if (!t->stopping) request_stop(t);
  bool by_thread = t->ended_by_thread;
  wthread *list = t->threads;
  t->threads = NULL;
  pthread_mutex_unlock(&t->lock);
  /* No thread starts now (stopping is set), so the list is complete. */
  while (list) {
    wthread *th = list;
    list = th->next;
    pthread_join(th->pt, NULL);
    free_thread(t, th);
  }
  if (t->main_interrupt) kite_interrupt_take(t->main_interrupt); /* not for a later call */
  if (!by_thread || !err) return false;
  *err = t->end_err;
  if (trace) *trace = t->end_trace;
  return true;
}

void kite_wasi_threads_free(kite_wasi_threads *t) {
  if (!t) return;
  kite_wasi_threads_finish(t, NULL, NULL);
  kite_interrupt_unref(t->main_interrupt);
  if (t->wasi && t->wasi->threads == t) t->wasi->threads = NULL;
  kite_free(t->alloc, t->imports,
            t->imports ? (t->nimports ? t->nimports : 1) * sizeof *t->imports : 0);
  pthread_mutex_destroy(&t->wasi_lock);
  pthread_mutex_destroy(&t->lock);
  kite_free(t->alloc, t, sizeof *t);
}
