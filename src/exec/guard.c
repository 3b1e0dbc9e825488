/*
** guard.c: turning faults in a memory's guard region into the out-of-bounds trap.
**
** A guarded 32-bit memory reserves 8 GiB (+64 KiB) of address space with only its
** current size accessible, so every address + offset + access size an instruction can
** form lands inside the reservation, and the interpreter's guarded loads and stores
** skip the bounds check. An access beyond the size faults; the SIGSEGV/SIGBUS handler
** checks (async-signal-safely, reading only this thread's run context) that the fault
** address lies in the memory the running interpreter is using, and jumps back to the
** interpreter's entry, which reports "out of bounds memory access". Any other fault is
** handed to the previous handler or the default action, so real crashes still crash.
**
** Process-wide state, unavoidable for signal handling: the previous handlers (saved
** once, under pthread_once) and, per thread, the innermost run context and an
** alternate signal stack (made on first use, freed at thread exit).
*/
#include "guard.h"

#include <string.h>

#if KITE_GUARD_PAGES

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>

static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static bool installed;
static struct sigaction prev_segv, prev_bus;
static pthread_key_t altstack_key;

#if defined(__GNUC__)
#define KITE_TLS_IE __attribute__((tls_model("initial-exec")))
#else
#define KITE_TLS_IE
#endif
static _Thread_local kite_guard_ctx *tls_ctx KITE_TLS_IE;
static _Thread_local void *tls_altstack KITE_TLS_IE;

#define ALTSTACK_SIZE (64 * 1024)

static void chain(int sig, siginfo_t *si, void *uc) {
  struct sigaction *prev = sig == SIGSEGV ? &prev_segv : &prev_bus;
  if (prev->sa_flags & SA_SIGINFO) {
    prev->sa_sigaction(sig, si, uc);
  } else if (prev->sa_handler == SIG_DFL || prev->sa_handler == SIG_IGN) {
    /* Returning re-runs the faulting instruction, which now gets the default action. */
    sigaction(sig, prev, NULL);
  } else {
    prev->sa_handler(sig);
  }
}

static void on_fault(int sig, siginfo_t *si, void *uc) {
  kite_guard_ctx *c = tls_ctx;
  const uint8_t *a = (const uint8_t *)si->si_addr;
  if (c && c->lo && a >= c->lo && a < c->hi) siglongjmp(c->jmp, 1);
  chain(sig, si, uc);
}

static void free_altstack(void *p) {
  stack_t none;
  memset(&none, 0, sizeof none);
  none.ss_flags = SS_DISABLE;
  sigaltstack(&none, NULL);
  munmap(p, ALTSTACK_SIZE);
}

static void install(void) {
  if (pthread_key_create(&altstack_key, free_altstack) != 0) return;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  /* SA_NODEFER: the handler leaves by siglongjmp without restoring the signal mask. */
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSEGV, &sa, &prev_segv) != 0) return;
  if (sigaction(SIGBUS, &sa, &prev_bus) != 0) {
    sigaction(SIGSEGV, &prev_segv, NULL);
    return;
  }
  installed = true;
}

/* This thread needs an alternate signal stack unless it already has one. */
static bool ensure_altstack(void) {
  if (tls_altstack) return true;
  stack_t cur;
  if (sigaltstack(NULL, &cur) == 0 && !(cur.ss_flags & SS_DISABLE)) {
    tls_altstack = cur.ss_sp; /* the host's own; not ours to free */
    return true;
  }
  void *p = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return false;
  stack_t ss;
  memset(&ss, 0, sizeof ss);
  ss.ss_sp = p;
  ss.ss_size = ALTSTACK_SIZE;
  if (sigaltstack(&ss, NULL) != 0) {
    munmap(p, ALTSTACK_SIZE);
    return false;
  }
  tls_altstack = p;
  pthread_setspecific(altstack_key, p);
  return true;
}

bool kite_guard_available(void) {
  pthread_once(&install_once, install);
  return installed;
}

bool kite_guard_enter(kite_guard_ctx *c) {
  if (!kite_guard_available()) return false;
  ensure_altstack(); /* without one the handler runs on the current stack */
  c->lo = c->hi = NULL;
  c->prev = tls_ctx;
  tls_ctx = c;
  return true;
}

void kite_guard_leave(kite_guard_ctx *c) { tls_ctx = c->prev; }

#else

bool kite_guard_available(void) { return false; }
bool kite_guard_enter(kite_guard_ctx *c) {
  (void)c;
  return false;
}
void kite_guard_leave(kite_guard_ctx *c) { (void)c; }

#endif
