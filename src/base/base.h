/*
** base.h: what every stage of Kite shares: the allocator hook, the error value,
** growable arrays, LEB128 and UTF-8. Everything here is free of global state.
*/
#ifndef KITE_BASE_H
#define KITE_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kite.h"

/*
** Allocation. One hook with the old size (Lua style) so a host can account bytes
** exactly; `nsize == 0` frees. The limit and the failure injection live here so that
** tests can prove every failure path by failing the Nth allocation.
*/
typedef struct kite_alloc {
  kite_alloc_fn fn;
  void *ud;
  /* The counters are atomic: an engine's hook is shared by the threads that lower one
     module's code and run stores of that engine at once. */
  _Atomic(size_t) bytes;   /* currently allocated through this hook */
  size_t limit;            /* 0: none (checked without a lock: a limit, not a guarantee) */
  _Atomic(uint64_t) count; /* allocations so far */
  uint64_t fail_at;        /* fail the Nth allocation (1-based); 0: never */
} kite_alloc;

void kite_alloc_init(kite_alloc *a, kite_alloc_fn fn, void *ud);
void *kite_realloc(kite_alloc *a, void *p, size_t osize, size_t nsize);
void *kite_malloc(kite_alloc *a, size_t size);
void *kite_calloc(kite_alloc *a, size_t n, size_t size); /* zeroed; NULL on overflow */
void kite_free(kite_alloc *a, void *p, size_t size);

/*
** Arena: many small allocations freed together (a decoded module and its validator
** scratch). Blocks come from the allocator hook.
*/
typedef struct kite_arena_block kite_arena_block;
typedef struct kite_arena {
  kite_alloc *alloc;
  kite_arena_block *head;
  size_t used, cap; /* in the head block */
} kite_arena;

void kite_arena_init(kite_arena *ar, kite_alloc *a);
void *kite_arena_alloc(kite_arena *ar, size_t size); /* zeroed, 16-byte aligned */
/* Not zeroed: for a buffer the caller fills at once (a module's copy of its binary). */
void *kite_arena_alloc_uninit(kite_arena *ar, size_t size);
void *kite_arena_array(kite_arena *ar, size_t n, size_t size); /* NULL on overflow */
void kite_arena_free(kite_arena *ar);

/*
** Errors. Set through a context pointer; the first error wins, so a caller can check
** once at the end. Offsets are byte offsets in the binary; line and col are for text.
*/
void kite_error_clear(kite_error *e);
/* Returns false so callers can write `return kite_fail(...)`. */
bool kite_fail(kite_error *e, kite_errkind kind, int code, uint64_t offset, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
bool kite_fail_at(kite_error *e, kite_errkind kind, int code, uint32_t line, uint32_t col,
                  const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;
static inline bool kite_failed(const kite_error *e) { return e->kind != KITE_OK; }

/*
** Growable array of any element type: `KITE_VEC(uint32_t) v = {0};`
** kite_vec_push returns false when the allocation fails.
*/
#define KITE_VEC(T)                                                                                \
  struct {                                                                                         \
    T *data;                                                                                       \
    size_t len, cap;                                                                               \
  }
bool kite_vec_reserve_(kite_alloc *a, void **data, size_t *cap, size_t need, size_t elem);
#define kite_vec_push(a, v, x)                                                                     \
  ((v)->len < (v)->cap ||                                                                          \
           kite_vec_reserve_((a), (void **)&(v)->data, &(v)->cap, (v)->len + 1, sizeof *(v)->data) \
       ? ((v)->data[(v)->len++] = (x), true)                                                       \
       : false)
#define kite_vec_free(a, v)                                                                        \
  (kite_free((a), (v)->data, (v)->cap * sizeof *(v)->data), (v)->data = NULL,                      \
   (v)->len = (v)->cap = 0)

/* Byte buffer used by the encoder and printer. */
typedef struct kite_buf {
  kite_alloc *alloc;
  uint8_t *data;
  size_t len, cap;
  bool oom; /* sticky: set once an append failed; later appends do nothing */
} kite_buf;

void kite_buf_init(kite_buf *b, kite_alloc *a);
void kite_buf_free(kite_buf *b);
bool kite_buf_put(kite_buf *b, const void *p, size_t n);
bool kite_buf_byte(kite_buf *b, uint8_t c);
bool kite_buf_printf(kite_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
bool kite_buf_uleb(kite_buf *b, uint64_t v);
bool kite_buf_sleb(kite_buf *b, int64_t v);

/*
** LEB128 over a bounded byte range. `bits` is the width of the target type (1..64).
** Results: 0 ok; otherwise one of the KITE_LEB_* codes below, which the decoder turns
** into the suite's wording ("unexpected end", "integer representation too long",
** "integer too large").
*/
enum { KITE_LEB_OK = 0, KITE_LEB_END, KITE_LEB_TOO_LONG, KITE_LEB_TOO_LARGE };
int kite_read_uleb(const uint8_t *p, const uint8_t *end, unsigned bits, uint64_t *out,
                   size_t *nread);
int kite_read_sleb(const uint8_t *p, const uint8_t *end, unsigned bits, int64_t *out,
                   size_t *nread);

/* UTF-8: true when [p, p+n) is well-formed (no overlongs, surrogates or > U+10FFFF). */
bool kite_utf8_valid(const uint8_t *p, size_t n);
/* Encode one code point; returns the number of bytes written to out[4] (0 if invalid). */
size_t kite_utf8_encode(uint32_t cp, uint8_t out[4]);

/* Little-endian helpers (wasm memory and binary constants are little-endian). */
static inline uint32_t kite_load_u32le(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t kite_load_u64le(const uint8_t *p) {
  return (uint64_t)kite_load_u32le(p) | (uint64_t)kite_load_u32le(p + 4) << 32;
}

/* The index of the lowest set bit of x, which must not be 0. */
static inline unsigned kite_ctz64(uint64_t x) {
#if defined(__GNUC__)
  return (unsigned)__builtin_ctzll(x);
#else
  unsigned n = 0;
  while (!(x & 1)) x >>= 1, n++;
  return n;
#endif
}
/* The number of set bits of x. */
static inline unsigned kite_popcount64(uint64_t x) {
#if defined(__GNUC__)
  return (unsigned)__builtin_popcountll(x);
#else
  unsigned n = 0;
  for (; x; x &= x - 1) n++;
  return n;
#endif
}

#define KITE_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
