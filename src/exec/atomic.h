/*
** atomic.h: the memory operations of the threads proposal on linear memory bytes, for
** the interpreter's handlers (interp_atomic.inc). Every access is sequentially
** consistent and naturally aligned (the handlers trap "unaligned atomic" first), so the
** compiler's atomic builtins apply to the bytes directly. Wasm memory is little-endian:
** on a big-endian host values are byte-swapped, and read-modify-write operations become
** compare-and-swap loops over the swapped representation.
**
** Widths are 1, 2, 4 or 8 bytes and every width and operation argument is a constant at
** its call site, so each helper inlines to one atomic instruction (or one loop).
*/
#ifndef KITE_ATOMIC_H
#define KITE_ATOMIC_H

#include <stdatomic.h>
#include <stdint.h>

#include "runtime.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define KITE_ATOMIC_SWAP 1
#else
#define KITE_ATOMIC_SWAP 0
#endif

enum { RMW_ADD, RMW_SUB, RMW_AND, RMW_OR, RMW_XOR, RMW_XCHG };

#if defined(__GNUC__)
#define KITE_AT_LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define KITE_AT_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define KITE_AT_CAS(p, e, v)                                                                       \
  __atomic_compare_exchange_n((p), (e), (v), false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
#define KITE_AT_FENCE() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#else
/* C11 atomics over the plain bytes: the same layout on every compiler Kite targets. */
#define KITE_AT_LOAD(p) atomic_load((_Atomic(__typeof__(*(p))) *)(p))
#define KITE_AT_STORE(p, v) atomic_store((_Atomic(__typeof__(*(p))) *)(p), (v))
#define KITE_AT_CAS(p, e, v)                                                                       \
  atomic_compare_exchange_strong((_Atomic(__typeof__(*(p))) *)(p), (e), (v))
#define KITE_AT_FENCE() atomic_thread_fence(memory_order_seq_cst)
#endif

/* To and from the little-endian representation of a width-byte value. */
static inline uint64_t at_swap(uint64_t v, unsigned width) {
#if KITE_ATOMIC_SWAP
  switch (width) {
  case 2: return __builtin_bswap16((uint16_t)v);
  case 4: return __builtin_bswap32((uint32_t)v);
  case 8: return __builtin_bswap64(v);
  default: return v;
  }
#else
  (void)width;
  return v;
#endif
}

static inline uint64_t at_load(uint8_t *p, unsigned width) {
  switch (width) {
  case 1: return KITE_AT_LOAD(p);
  case 2: return at_swap(KITE_AT_LOAD((uint16_t *)(void *)p), 2);
  case 4: return at_swap(KITE_AT_LOAD((uint32_t *)(void *)p), 4);
  default: return at_swap(KITE_AT_LOAD((uint64_t *)(void *)p), 8);
  }
}

static inline void at_store(uint8_t *p, unsigned width, uint64_t v) {
  switch (width) {
  case 1: KITE_AT_STORE(p, (uint8_t)v); break;
  case 2: KITE_AT_STORE((uint16_t *)(void *)p, (uint16_t)at_swap(v, 2)); break;
  case 4: KITE_AT_STORE((uint32_t *)(void *)p, (uint32_t)at_swap(v, 4)); break;
  default: KITE_AT_STORE((uint64_t *)(void *)p, at_swap(v, 8)); break;
  }
}

/* Compare and exchange on the width-byte value at p (expected is already wrapped);
   returns the value found there. */
static inline uint64_t at_cmpxchg(uint8_t *p, unsigned width, uint64_t expected,
                                  uint64_t replacement) {
  switch (width) {
  case 1: {
    uint8_t e = (uint8_t)expected;
    KITE_AT_CAS(p, &e, (uint8_t)replacement);
    return e;
  }
  case 2: {
    uint16_t e = (uint16_t)at_swap(expected, 2);
    KITE_AT_CAS((uint16_t *)(void *)p, &e, (uint16_t)at_swap(replacement, 2));
    return at_swap(e, 2);
  }
  case 4: {
    uint32_t e = (uint32_t)at_swap(expected, 4);
    KITE_AT_CAS((uint32_t *)(void *)p, &e, (uint32_t)at_swap(replacement, 4));
    return at_swap(e, 4);
  }
  default: {
    uint64_t e = at_swap(expected, 8);
    KITE_AT_CAS((uint64_t *)(void *)p, &e, at_swap(replacement, 8));
    return at_swap(e, 8);
  }
  }
}

static inline uint64_t at_apply(int op, uint64_t old, uint64_t v) {
  switch (op) {
  case RMW_ADD: return old + v;
  case RMW_SUB: return old - v;
  case RMW_AND: return old & v;
  case RMW_OR: return old | v;
  case RMW_XOR: return old ^ v;
  default: return v;
  }
}

/* The general read-modify-write: a compare-and-swap loop. */
static inline uint64_t at_rmw_loop(uint8_t *p, unsigned width, int op, uint64_t v) {
  uint64_t mask = width == 8 ? UINT64_MAX : ((uint64_t)1 << (8 * width)) - 1;
  uint64_t old = at_load(p, width);
  for (;;) {
    uint64_t seen = at_cmpxchg(p, width, old, at_apply(op, old, v) & mask);
    if (seen == old) return old;
    old = seen;
  }
}

/* Read-modify-write: returns the old value (zero-extended). */
static inline uint64_t at_rmw(uint8_t *p, unsigned width, int op, uint64_t v) {
#if defined(__GNUC__) && !KITE_ATOMIC_SWAP
#define KITE_AT_RMW_CASES(T)                                                                       \
  {                                                                                                \
    T *q = (T *)(void *)p;                                                                         \
    T x = (T)v;                                                                                    \
    switch (op) {                                                                                  \
    case RMW_ADD: return __atomic_fetch_add(q, x, __ATOMIC_SEQ_CST);                               \
    case RMW_SUB: return __atomic_fetch_sub(q, x, __ATOMIC_SEQ_CST);                               \
    case RMW_AND: return __atomic_fetch_and(q, x, __ATOMIC_SEQ_CST);                               \
    case RMW_OR: return __atomic_fetch_or(q, x, __ATOMIC_SEQ_CST);                                 \
    case RMW_XOR: return __atomic_fetch_xor(q, x, __ATOMIC_SEQ_CST);                               \
    default: return __atomic_exchange_n(q, x, __ATOMIC_SEQ_CST);                                   \
    }                                                                                              \
  }
  switch (width) {
  case 1: KITE_AT_RMW_CASES(uint8_t)
  case 2: KITE_AT_RMW_CASES(uint16_t)
  case 4: KITE_AT_RMW_CASES(uint32_t)
  default: KITE_AT_RMW_CASES(uint64_t)
  }
#undef KITE_AT_RMW_CASES
#else
  return at_rmw_loop(p, width, op, v);
#endif
}

/*
** A bounds check failed against the interpreter's cached size of memory `mem`: when that
** is a shared memory another thread has grown since, refresh the cached size and say so
** (the access is then retried). Guarded memories need no such care: growing makes the
** pages accessible in every thread at once.
*/
static inline bool shared_memory_grew(const kite_instance *inst, const uint8_t *mem,
                                      uint64_t *memsize) {
  for (uint32_t i = 0; mem && i < inst->module->nmemories; i++) {
    kite_meminst *m = inst->memories[i];
    if (m->data != mem || !m->sync) continue;
    uint64_t now = m->size;
    if (now <= *memsize) return false;
    *memsize = now;
    return true;
  }
  return false;
}

#endif
