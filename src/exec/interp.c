/*
** interp.c: the interpreter loop.
**
** One function, `run`, executes lowered code (see exec.h and lower.c). Dispatch is a
** computed goto through a table on GCC and clang, and a switch elsewhere; handlers are
** written once between vmcase/vmbreak, as in Lua's lvm.c, and a grep for an
** instruction's opcode name (OP_I32_ADD) finds its body.
**
** wasm-to-wasm calls do not recurse in C: the caller's pc, frame pointer and function
** are pushed on the store's frame stack, and the callee's frame starts at the
** caller's argument slots, so arguments are never copied. Results come back in the
** callee's slots 0.., which are the caller's result slots. The call depth and the
** value stack are bounded; running out is the "call stack exhausted" trap.
**
** Register-like locals: pc, fp (frame slots), inst (current instance), mem/memsize
** (memory 0, reloaded after anything that can grow or move it: calls and
** memory.grow).
*/
#include "guard.h" /* first: it needs POSIX's sigjmp_buf */

#include <math.h>
#include <stdatomic.h>

#include "atomic.h"
#include "exec.h"
#include "simd.h"

#if defined(__GNUC__) && !defined(KITE_NO_COMPUTED_GOTO)
#define KITE_COMPUTED_GOTO 1
#else
#define KITE_COMPUTED_GOTO 0
#endif

#if defined(__GNUC__)
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define LIKELY(x) (x)
#define UNLIKELY(x) (x)
#endif

/*
** Which proposals' instructions have handlers: 1 or 0 per feature. The dispatch table
** and kite_exec_supports are generated from opcodes.def with these, so a feature
** switched on here without a handler for each of its instructions fails to compile.
*/
#define EXEC_FEAT_MVP 1
#define EXEC_FEAT_SIGN_EXT 1
#define EXEC_FEAT_SAT_CONV 1
#define EXEC_FEAT_BULK 1
#define EXEC_FEAT_REF_TYPES 1
#define EXEC_FEAT_SIMD 1
#define EXEC_FEAT_RELAXED_SIMD 1
#define EXEC_FEAT_TAIL_CALL 1
#define EXEC_FEAT_EH 1
#define EXEC_FEAT_LEGACY_EH 1
#define EXEC_FEAT_FUNC_REFS 1
#define EXEC_FEAT_GC 1
#define EXEC_FEAT_THREADS 1
#define EXEC_FEAT_WIDE_ARITH 1
#define EXEC_FEAT_CUSTOM_DESC 1

#define EXEC_PICK(on, a, b) EXEC_PICK_(on, a, b)
#define EXEC_PICK_(on, a, b) EXEC_PICK_##on(a, b)
#define EXEC_PICK_1(a, b) a
#define EXEC_PICK_0(a, b) b

static const bool exec_supported[OP_COUNT] = {
#define KITE_OPCODE(id, text, prefix, code, imm, sig, aux, feat)                                   \
  EXEC_PICK(EXEC_##feat, true, false),
#include "opcodes.def"
#undef KITE_OPCODE
};

bool kite_exec_supports(kite_opcode op) { return op < OP_COUNT && exec_supported[op]; }

/* ---- value helpers ---- */

static inline float f32_of(uint64_t s) {
  uint32_t b = (uint32_t)s;
  float f;
  memcpy(&f, &b, 4);
  return f;
}
static inline uint64_t of_f32(float f) {
  uint32_t b;
  memcpy(&b, &f, 4);
  return b;
}
static inline double f64_of(uint64_t s) {
  double d;
  memcpy(&d, &s, 8);
  return d;
}
static inline uint64_t of_f64(double d) {
  uint64_t b;
  memcpy(&b, &d, 8);
  return b;
}

static inline uint32_t clz32(uint32_t x) {
#if defined(__GNUC__)
  return x ? (uint32_t)__builtin_clz(x) : 32;
#else
  uint32_t n = 0;
  if (!x) return 32;
  while (!(x & 0x80000000u)) x <<= 1, n++;
  return n;
#endif
}
static inline uint32_t ctz32(uint32_t x) { return x ? kite_ctz64(x) : 32; }
static inline uint32_t popcnt32(uint32_t x) { return kite_popcount64(x); }
static inline uint64_t clz64(uint64_t x) {
#if defined(__GNUC__)
  return x ? (uint64_t)__builtin_clzll(x) : 64;
#else
  return (x >> 32) ? clz32((uint32_t)(x >> 32)) : 32 + clz32((uint32_t)x);
#endif
}
static inline uint64_t ctz64(uint64_t x) { return x ? kite_ctz64(x) : 64; }
static inline uint64_t popcnt64(uint64_t x) { return kite_popcount64(x); }
static inline uint32_t rotl32(uint32_t x, uint32_t n) {
  n &= 31;
  return (x << n) | (x >> ((32 - n) & 31));
}
static inline uint32_t rotr32(uint32_t x, uint32_t n) {
  n &= 31;
  return (x >> n) | (x << ((32 - n) & 31));
}
static inline uint64_t rotl64(uint64_t x, uint64_t n) {
  n &= 63;
  return (x << n) | (x >> ((64 - n) & 63));
}
static inline uint64_t rotr64(uint64_t x, uint64_t n) {
  n &= 63;
  return (x >> n) | (x << ((64 - n) & 63));
}
/* Arithmetic right shift without relying on implementation-defined behaviour. */
static inline uint32_t shr_s32(uint32_t x, uint32_t n) {
  n &= 31;
  return (x & 0x80000000u) ? ~(~x >> n) : x >> n;
}
static inline uint64_t shr_s64(uint64_t x, uint64_t n) {
  n &= 63;
  return (x >> 63) ? ~(~x >> n) : x >> n;
}

/*
** min/max: a NaN operand gives a NaN (the sum quiets and propagates it, an arithmetic
** NaN), and -0 orders below +0.
*/
static inline float fmin32(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == b) return signbit(a) ? a : b;
  return a < b ? a : b;
}
static inline float fmax32(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == b) return signbit(a) ? b : a;
  return a > b ? a : b;
}
static inline double fmin64(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return signbit(a) ? a : b;
  return a < b ? a : b;
}
static inline double fmax64(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return signbit(a) ? b : a;
  return a > b ? a : b;
}

/*
** Rounding and square root: a NaN operand gives a quiet NaN (libm may hand a
** signalling NaN back unchanged, which is not an arithmetic NaN).
*/
#define QUIET_NAN_OP(name, type, fn)                                                               \
  static inline type name(type x) { return x != x ? x + x : fn(x); }
QUIET_NAN_OP(ceil32, float, ceilf)
QUIET_NAN_OP(floor32, float, floorf)
QUIET_NAN_OP(trunc32, float, truncf)
QUIET_NAN_OP(nearest32, float, kite_nearest32)
QUIET_NAN_OP(sqrt32, float, sqrtf)
QUIET_NAN_OP(ceil64, double, ceil)
QUIET_NAN_OP(floor64, double, floor)
QUIET_NAN_OP(trunc64, double, trunc)
QUIET_NAN_OP(nearest64, double, kite_nearest64)
QUIET_NAN_OP(sqrt64, double, sqrt)

/* Saturating float-to-int conversions (NaN gives 0). */
static inline uint32_t sat_i32(double x) {
  if (x != x) return 0;
  if (x <= -2147483648.0) return 0x80000000u;
  if (x >= 2147483647.0) return 0x7FFFFFFFu;
  return (uint32_t)(int32_t)x;
}
static inline uint32_t sat_u32(double x) {
  if (x != x || x <= 0.0) return 0;
  if (x >= 4294967295.0) return 0xFFFFFFFFu;
  return (uint32_t)x;
}
static inline uint64_t sat_i64(double x) {
  if (x != x) return 0;
  if (x < -9223372036854775808.0) return 0x8000000000000000ull;
  if (x >= 9223372036854775808.0) return 0x7FFFFFFFFFFFFFFFull;
  return (uint64_t)(int64_t)x;
}
static inline uint64_t sat_u64(double x) {
  if (x != x || x <= 0.0) return 0;
  if (x >= 18446744073709551616.0) return UINT64_MAX;
  return (uint64_t)x;
}

/* The 128-bit product of two 64-bit integers, as (lo, hi). */
static inline void mul_wide(uint64_t a, uint64_t b, bool is_signed, uint64_t *lo, uint64_t *hi) {
  uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
  uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
  *lo = (mid << 32) | (uint32_t)p00;
  *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
  if (is_signed) {
    /* Two's complement: subtract the other operand from the high half per negative one. */
    if ((int64_t)a < 0) *hi -= b;
    if ((int64_t)b < 0) *hi -= a;
  }
}

/* Little-endian memory access (wasm memory is little-endian). */
static inline uint16_t ld16(const uint8_t *p) {
  uint16_t v;
  memcpy(&v, p, 2);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap16(v);
#endif
  return v;
}
static inline uint32_t ld32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  return v;
}
static inline uint64_t ld64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}
static inline void st16(uint8_t *p, uint16_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap16(v);
#endif
  memcpy(p, &v, 2);
}
static inline void st32(uint8_t *p, uint32_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  memcpy(p, &v, 4);
}
static inline void st64(uint8_t *p, uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  memcpy(p, &v, 8);
}

/* ---- host calls ---- */

static bool call_host(kite_store *s, kite_funcinst *f, uint64_t *slots, kite_error *err) {
  const kite_functype *t = f->type;
  kite_value small[16], *vals = small;
  uint32_t n = t->nparams + t->nresults;
  if (n > 16) {
    vals = kite_calloc(s->alloc, n, sizeof *vals);
    if (!vals) return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
  }
  kite_value *args = vals, *res = vals + t->nparams;
  uint32_t k = 0;
  for (uint32_t i = 0; i < t->nparams; i++) {
    args[i] = kite_value_from_slots(t->params[i], slots + k);
    k += kite_slots_of(t->params[i]);
  }
  for (uint32_t i = 0; i < t->nresults; i++) res[i] = kite_val_default(t->results[i]);
  bool ok = f->host(f->env, s, args, t->nparams, res, t->nresults, err);
  if (ok) {
    k = 0;
    for (uint32_t i = 0; i < t->nresults; i++) {
      kite_value_to_slots(&res[i], slots + k);
      k += kite_slots_of(t->results[i]);
    }
  } else if (!kite_failed(err)) {
    kite_fail(err, KITE_ERR_RUNTIME, KITE_TRAP_HOST, 0, "host function failed");
  }
  if (vals != small) kite_free(s->alloc, vals, n * sizeof *vals);
  return ok;
}

/* ---- backtraces ---- */

static void trace_add(kite_store *s, kite_funcinst *f, const uint32_t *pc) {
  kite_trace *tr = &s->trace;
  tr->depth++;
  if (tr->nframes >= KITE_TRACE_MAX) return;
  kite_trace_frame *fr = &tr->frames[tr->nframes++];
  memset(fr, 0, sizeof *fr);
  if (!f || !f->inst) {
    fr->func_index = f ? f->index : UINT32_MAX;
    return;
  }
  const kite_module *m = f->inst->module;
  fr->module = m;
  fr->instance = f->inst;
  fr->func_index = f->index;
  const kite_name *nm = kite_namemap_find(&m->names.maps[KITE_NAMES_FUNC], f->index);
  if (nm) fr->name = *nm;
  if (f->code && pc) fr->offset = kite_xfunc_offset(f->code, (uint32_t)(pc - f->code->code));
  else fr->offset = m->funcs[f->index].code_offset; /* a guard-page fault: the function */
}

/* Record the backtrace of a trap in func at pc (NULL: unknown) with `depth` frames in
   use, innermost first, and drop this run's frames: returns the depth to go back to. */
static uint32_t record_trace(kite_store *s, kite_funcinst *func, const uint32_t *pc,
                             uint32_t depth) {
  kite_frame *frames = s->frames;
  s->trace.nframes = s->trace.depth = 0;
  trace_add(s, func, pc);
  while (depth > 0 && frames[depth - 1].pc) {
    kite_frame *fr = &frames[--depth];
    trace_add(s, fr->func, fr->pc - 1);
  }
  return depth - 1; /* below the entry marker */
}

/* ---- fuel and interrupts ---- */

/*
** The slow path of a charge (CHARGE below): an interrupt was requested, or the fuel ran
** out. Returns the fuel to go on with, or a negative trap code (-KITE_TRAP_...). Only an
** unmetered store goes on, after 2^63 charges.
*/
static int64_t budget_exhausted(kite_store *s, bool metered) {
  if (kite_interrupt_take(s->interrupt)) return -(int64_t)KITE_TRAP_INTERRUPTED;
  return metered ? -(int64_t)KITE_TRAP_OUT_OF_FUEL : INT64_MAX;
}

/* ---- the store's stacks ---- */

/* Host -> wasm re-entries allowed on one C stack (each costs a few KiB of it). */
#define KITE_MAX_NESTING 250

static void free_stacks(kite_store *s) {
  if (s->stack)
    kite_free(s->alloc, s->stack, (size_t)s->engine->cfg.max_stack_slots * sizeof *s->stack);
  if (s->frames)
    kite_free(s->alloc, s->frames, ((size_t)s->engine->cfg.max_call_depth + 1) * sizeof *s->frames);
  s->stack = NULL;
  s->frames = NULL;
}

/* The stacks and the interrupt word, allocated on the store's first call. */
static bool ensure_stacks(kite_store *s, kite_error *err) {
  if (!s->interrupt) {
    struct kite_interrupt *h = kite_store_interrupt_ref(s);
    if (!h) return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    kite_interrupt_unref(h); /* the store keeps its own reference */
  }
  if (s->stack) return true;
  const kite_engine_config *cfg = &s->engine->cfg;
  s->stack = kite_malloc(s->alloc, (size_t)cfg->max_stack_slots * sizeof *s->stack);
  s->frames = kite_malloc(s->alloc, ((size_t)cfg->max_call_depth + 1) * sizeof *s->frames);
  if (!s->stack || !s->frames) {
    free_stacks(s);
    return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
  }
  s->stack_slots = cfg->max_stack_slots;
  s->nframes_cap = cfg->max_call_depth;
  return true;
}

void kite_exec_store_release(kite_store *s) {
  free_stacks(s);
  kite_exec_interrupt_release(s);
}

/* ---- the loop ---- */

/*
** KITE_OPSTATS (a profiling build, off by default: bench/opstats.sh): count every
** instruction the loop dispatches and every adjacent pair, and print the counts to
** stderr at exit, the dynamic profile that says which pairs are worth fusing. The
** counters are process-wide and unsynchronised: for single-threaded runs only.
*/
#ifdef KITE_OPSTATS
#include <stdio.h>
static uint64_t opstats_count[KITE_XOP_COUNT];
static uint64_t opstats_pair[KITE_XOP_COUNT][KITE_XOP_COUNT];
static uint32_t opstats_prev;
static const char *const opstats_name[KITE_XOP_COUNT] = {
#define KITE_OPCODE(id, text, prefix, code, imm, sig, aux, feat) text,
#include "opcodes.def"
#undef KITE_OPCODE
#define KITE_XOP(id) "X." #id,
#include "xops.def"
#undef KITE_XOP
};
/* Executions per code address: the hot code, listed at exit with its operand words. */
#define OPSTATS_PCS (1u << 18)
typedef struct opstats_pc {
  const uint32_t *pc;
  uint64_t n;
  uint32_t words[16]; /* copied when first seen: the code is freed before the exit */
} opstats_pc;
static opstats_pc opstats_pcs[OPSTATS_PCS];
static void opstats_note(const uint32_t *pc) {
  uint32_t op = *pc;
  opstats_count[op]++;
  opstats_pair[opstats_prev][op]++;
  opstats_prev = op;
  uint32_t h = (uint32_t)(((uintptr_t)pc >> 2) * 0x9E3779B1u) >> 14;
  for (;;) {
    opstats_pc *e = &opstats_pcs[h];
    if (e->pc == pc) {
      e->n++;
      return;
    }
    if (!e->pc) {
      e->pc = pc;
      e->n = 1;
      memcpy(e->words, pc, sizeof e->words); /* may read past the code's end: a profile */
      return;
    }
    h = (h + 1) & (OPSTATS_PCS - 1);
  }
}
static int opstats_pc_cmp(const void *x, const void *y) {
  uintptr_t a = (uintptr_t)((const opstats_pc *)x)->pc, b = (uintptr_t)((const opstats_pc *)y)->pc;
  return a < b ? -1 : a > b ? 1 : 0;
}
static void opstats_print_code(uint64_t total) {
  if (!getenv("KITE_OPSTATS_CODE")) return;
  size_t n = 0;
  for (size_t i = 0; i < OPSTATS_PCS; i++)
    if (opstats_pcs[i].pc && opstats_pcs[i].n * 20000 >= total) opstats_pcs[n++] = opstats_pcs[i];
  qsort(opstats_pcs, n, sizeof *opstats_pcs, opstats_pc_cmp);
  for (size_t i = 0; i < n; i++) {
    const uint32_t *pc = opstats_pcs[i].pc;
    size_t len = 4;
    if (i + 1 < n && opstats_pcs[i + 1].pc > pc && opstats_pcs[i + 1].pc - pc <= 16)
      len = (size_t)(opstats_pcs[i + 1].pc - pc);
    else fprintf(stderr, "code ----\n");
    const uint32_t *w = opstats_pcs[i].words;
    fprintf(stderr, "code %p %10llu %-24s", (const void *)pc, (unsigned long long)opstats_pcs[i].n,
            opstats_name[w[0]]);
    for (size_t k = 1; k < len; k++) fprintf(stderr, " %d", (int)w[k]);
    fprintf(stderr, "\n");
  }
}
typedef struct opstats_row {
  uint64_t n;
  uint32_t a, b;
} opstats_row;
static int opstats_cmp(const void *x, const void *y) {
  uint64_t a = ((const opstats_row *)x)->n, b = ((const opstats_row *)y)->n;
  return a < b ? 1 : a > b ? -1 : 0;
}
__attribute__((destructor)) static void opstats_print(void) {
  static opstats_row rows[KITE_XOP_COUNT * 64];
  uint64_t total = 0;
  size_t n = 0;
  for (uint32_t i = 0; i < KITE_XOP_COUNT; i++) total += opstats_count[i];
  if (!total) return;
  for (uint32_t i = 0; i < KITE_XOP_COUNT; i++)
    if (opstats_count[i]) rows[n++] = (opstats_row){opstats_count[i], i, 0};
  qsort(rows, n, sizeof *rows, opstats_cmp);
  fprintf(stderr, "opstats: %llu dispatches\n", (unsigned long long)total);
  for (size_t i = 0; i < n && i < 60; i++)
    fprintf(stderr, "op %12llu %6.2f%% %s\n", (unsigned long long)rows[i].n,
            100.0 * (double)rows[i].n / (double)total, opstats_name[rows[i].a]);
  n = 0;
  for (uint32_t i = 0; i < KITE_XOP_COUNT; i++)
    for (uint32_t j = 0; j < KITE_XOP_COUNT; j++)
      if (opstats_pair[i][j] * 2000 >= total && n < sizeof rows / sizeof *rows)
        rows[n++] = (opstats_row){opstats_pair[i][j], i, j};
  qsort(rows, n, sizeof *rows, opstats_cmp);
  for (size_t i = 0; i < n && i < 60; i++)
    fprintf(stderr, "pair %12llu %6.2f%% %s %s\n", (unsigned long long)rows[i].n,
            100.0 * (double)rows[i].n / (double)total, opstats_name[rows[i].a],
            opstats_name[rows[i].b]);
  opstats_print_code(total);
}
#define OPSTAT(pc) opstats_note(pc)
#else
#define OPSTAT(op) ((void)0)
#endif

#if KITE_COMPUTED_GOTO
#define vmdispatch(o) goto *disp[o];
#define vmcase(l) L_##l:
#ifdef KITE_OPSTATS
#define vmbreak                                                                                    \
  do {                                                                                             \
    OPSTAT(pc);                                                                                    \
    goto *disp[*pc];                                                                               \
  } while (0)
#else
#define vmbreak goto *disp[*pc]
#endif
#define vmresume vmbreak
#else
#define vmdispatch(o) switch (o)
#define vmcase(l) case l:
#define vmbreak continue
#define vmresume goto resume
#endif

/* Advance past this instruction and run the next. Never inside a loop of a handler. */
#define NEXT(n)                                                                                    \
  {                                                                                                \
    pc += (n);                                                                                     \
    vmbreak;                                                                                       \
  }

/* Operand words and slots. */
#define W(n) (pc[n])
#define S(n) (fp[pc[n]])
#define I32(n) ((uint32_t)S(n))
#define I64(n) (S(n))
#define F32(n) (f32_of(S(n)))
#define F64(n) (f64_of(S(n)))
#define SET_I32(n, v) (S(n) = (uint64_t)(uint32_t)(v))
#define SET_I64(n, v) (S(n) = (uint64_t)(v))
#define SET_F32(n, v) (S(n) = of_f32(v))
#define SET_F64(n, v) (S(n) = of_f64(v))

/* SIMD operands: copied through kite_v128 values (operands and result may share slots). */
#define VLOAD(n, v) memcpy(&(v), &S(n), 16)
#define VSTORE(n, v) memcpy(&S(n), &(v), 16)
#define SIMD1(fn)                                                                                  \
  {                                                                                                \
    VLOAD(2, a_);                                                                                  \
    fn(&r_, &a_);                                                                                  \
    VSTORE(1, r_);                                                                                 \
    NEXT(3);                                                                                       \
  }
#define SIMD2(fn)                                                                                  \
  {                                                                                                \
    VLOAD(2, a_);                                                                                  \
    VLOAD(3, b_);                                                                                  \
    fn(&r_, &a_, &b_);                                                                             \
    VSTORE(1, r_);                                                                                 \
    NEXT(4);                                                                                       \
  }
#define SIMD3(fn)                                                                                  \
  {                                                                                                \
    VLOAD(2, a_);                                                                                  \
    VLOAD(3, b_);                                                                                  \
    VLOAD(4, c_);                                                                                  \
    fn(&r_, &a_, &b_, &c_);                                                                        \
    VSTORE(1, r_);                                                                                 \
    NEXT(5);                                                                                       \
  }
#define SIMD_SHIFT(fn)                                                                             \
  {                                                                                                \
    VLOAD(2, a_);                                                                                  \
    fn(&r_, &a_, I32(3));                                                                          \
    VSTORE(1, r_);                                                                                 \
    NEXT(4);                                                                                       \
  }
#define SIMD_TO_I32(fn)                                                                            \
  {                                                                                                \
    VLOAD(2, a_);                                                                                  \
    SET_I32(1, fn(&a_));                                                                           \
    NEXT(3);                                                                                       \
  }

#define TRAP(code_, msg_)                                                                          \
  {                                                                                                \
    trap_code = (code_);                                                                           \
    trap_msg = (msg_);                                                                             \
    trap_pc = pc;                                                                                  \
    goto trap;                                                                                     \
  }

/*
** Fuel and interrupts (runtime.h) cost one test at each function entry and loop
** back-edge: `fuel` is a local countdown (INT64_MAX when the store is not metered, so
** it never runs out), compared with the store's interrupt word, `floor`: 0 normally,
** INT64_MAX once another thread requested an interrupt, which fails the next test
** whatever the fuel. Both cases then go to budget_exhausted, off the hot path.
**
** Memory ordering: the word is the only thing the threads share, so relaxed atomics
** suffice: no other data is published with it. The poll is an atomic load, which the
** compiler must repeat on every iteration (it cannot hoist it out of a loop as it could
** a plain load), and cache coherence makes the other thread's store visible to it
** within microseconds. The local fuel goes back to the store (s->fuel) whenever
** anything outside this loop may look at it or change it: host calls and the end of
** the run. Each charge also stores it in the run context, where the entry finds it
** when a guard-page fault ends the run.
*/
#define CHARGE()                                                                                   \
  (--fuel, gctx->fuel = fuel,                                                                      \
   UNLIKELY(fuel < atomic_load_explicit(fuel_floor, memory_order_relaxed)))
#define CHARGE_OR_TRAP(at)                                                                         \
  if (CHARGE()) {                                                                                  \
    int64_t r_ = budget_exhausted(s, metered);                                                     \
    if (r_ < 0) {                                                                                  \
      trap_pc = (at);                                                                              \
      trap_code = (int)-r_;                                                                        \
      goto out_of_budget;                                                                          \
    }                                                                                              \
    fuel = r_;                                                                                     \
    gctx->fuel = fuel;                                                                             \
  }

/* A conditional branch whose offset is word n, n + 1 words long, forward... */
#define BRANCH_IF(cond, n)                                                                         \
  {                                                                                                \
    if (cond) pc += (int32_t)W(n);                                                                 \
    else pc += (n) + 1;                                                                            \
    vmbreak;                                                                                       \
  }
/* ... or back to a loop head: a loop iteration. */
#define LOOP_IF(cond, n)                                                                           \
  {                                                                                                \
    if (cond) {                                                                                    \
      CHARGE_OR_TRAP(pc);                                                                          \
      pc += (int32_t)W(n);                                                                         \
    } else {                                                                                       \
      pc += (n) + 1;                                                                               \
    }                                                                                              \
    vmbreak;                                                                                       \
  }

/* The additions a loop branch does first (XOP_BR_*_BACK_A1/A2): d a b [d a b]. */
#define ADDS_1 SET_I32(1, I32(2) + I32(3))
#define ADDS_2                                                                                     \
  SET_I32(1, I32(2) + I32(3));                                                                     \
  SET_I32(4, I32(5) + I32(6))

/* Take a branch by a code offset when its direction is not known (a branch table);
   a backward one is a loop iteration. */
#define JUMP(off)                                                                                  \
  do {                                                                                             \
    int32_t off_ = (int32_t)(off);                                                                 \
    if (off_ <= 0) {                                                                               \
      CHARGE_OR_TRAP(pc);                                                                          \
    }                                                                                              \
    pc += off_;                                                                                    \
  } while (0)

/*
** Effective address of a memory access of n bytes: operand word a holds the address
** slot, word o the static offset. Slots of i32 values always hold them zero-extended,
** so reading 64 bits serves 32- and 64-bit memories alike; a 64-bit address was
** already checked to be below 2^32 (XOP_ADDR64), so the sum cannot wrap.
*/
#define EA(a, o, n)                                                                                \
  uint64_t ea = I64(a) + W(o);                                                                     \
  if (UNLIKELY(ea + (n) > memsize)) TRAP(KITE_TRAP_MEMORY_OOB, "out of bounds memory access")

/* The unchecked access of a guarded memory: the fault handler catches what is beyond. */
#define EA_GUARDED(a, o) uint64_t ea = I64(a) + W(o)
/* ... at the sum of two slots, wrapped to 32 bits as the i32.add it replaces. */
#define EA_INDEXED(a, b, o) uint64_t ea = (uint64_t)(uint32_t)(I32(a) + I32(b)) + W(o)

/* dst x a b off: dst = expr of x and the f64 m at the indexed address, stored back
   there too when `store`. The address is read before dst is written (they may share a
   slot). */
#define F64_MEM_OP(expr, store)                                                                    \
  {                                                                                                \
    EA_INDEXED(3, 4, 5);                                                                           \
    double x = F64(2), m = f64_of(ld64(mem + ea));                                                 \
    double r = (expr);                                                                             \
    SET_F64(1, r);                                                                                 \
    if (store) st64(mem + ea, of_f64(r));                                                          \
    NEXT(6);                                                                                       \
  }

/* d a b o x k1 y k2 a2 b2 o2 from word k + 1 on: d = load32(a + b + o); then
   store32(a2 + b2 + o2, x << k1 | y >> k2), the shifts modulo 32. */
#define LOAD_FUNNEL_STORE(k)                                                                       \
  {                                                                                                \
    uint64_t ea_ = (uint64_t)(uint32_t)(I32((k) + 2) + I32((k) + 3)) + W((k) + 4);                 \
    SET_I32((k) + 1, ld32(mem + ea_));                                                             \
    uint32_t v_ = (I32((k) + 5) << (I32((k) + 6) & 31)) | (I32((k) + 7) >> (I32((k) + 8) & 31));   \
    uint64_t eb_ = (uint64_t)(uint32_t)(I32((k) + 9) + I32((k) + 10)) + W((k) + 11);               \
    st32(mem + eb_, v_);                                                                           \
  }

/* Point the memory cache (and the fault handler's range) at memory mi. */
#define USE_MEMORY(mi)                                                                             \
  {                                                                                                \
    kite_meminst *mi_ = (mi);                                                                      \
    mem = mi_->data;                                                                               \
    memsize = mi_->size;                                                                           \
    gctx->lo = mi_->guarded ? mem : NULL;                                                          \
    gctx->hi = mem + mi_->reserved;                                                                \
  }
#define RELOAD_MEM()                                                                               \
  {                                                                                                \
    if (inst->module->nmemories) {                                                                 \
      USE_MEMORY(inst->memories[0]);                                                               \
    } else {                                                                                       \
      mem = NULL;                                                                                  \
      memsize = 0;                                                                                 \
      gctx->lo = NULL;                                                                             \
    }                                                                                              \
  }

/* Enter a function whose code is x with fp already at its frame: zero the declared
   locals and copy in the constants, mostly as one copy of the frame template. */
#define ENTER(x)                                                                                   \
  {                                                                                                \
    if (UNLIKELY((x)->init_base > (x)->param_slots))                                               \
      memset(fp + (x)->param_slots, 0, ((x)->zero_end - (x)->param_slots) * sizeof *fp);           \
    uint64_t *d_ = fp + (x)->init_base;                                                            \
    if (LIKELY((x)->ninit <= KITE_INIT_SMALL))                                                     \
      memcpy(d_, (x)->init, KITE_INIT_SMALL * sizeof *d_);                                         \
    else memcpy(d_, (x)->init, (x)->ninit * sizeof *d_);                                           \
    pc = (x)->code;                                                                                \
  }

static bool run(kite_store *s, kite_funcinst *func, uint64_t *fp, kite_guard_ctx *gctx,
                kite_error *err) {
#if KITE_COMPUTED_GOTO
  static const void *const disp[KITE_XOP_COUNT] = {
#define KITE_OPCODE(id, text, prefix, code, imm, sig, aux, feat)                                   \
  EXEC_PICK(EXEC_##feat, &&L_OP_##id, &&L_unsupported),
#include "opcodes.def"
#undef KITE_OPCODE
#define KITE_XOP(id) &&L_XOP_##id,
#include "xops.def"
#undef KITE_XOP
  };
#endif
  kite_instance *inst = func->inst;
  kite_frame *frames = s->frames;
  uint32_t depth = s->depth;
  const uint32_t max_depth = s->nframes_cap;
  uint64_t *const stack_end = s->stack + s->stack_slots;
  const uint32_t *pc;
  uint8_t *mem;
  uint64_t memsize;
  int trap_code = 0;
  uint64_t trap_index = 0;
  const char *trap_msg = NULL;
  const uint32_t *trap_pc = NULL;
  kite_funcinst *callee;
  uint32_t base;
  bool tail; /* a return_call*: the callee replaces the caller's frame */
  const bool metered = s->engine->cfg.consume_fuel;
  int64_t fuel = !metered ? INT64_MAX : s->fuel > INT64_MAX ? INT64_MAX : (int64_t)s->fuel;
  gctx->fuel = fuel;
  const _Atomic(int64_t) *const fuel_floor = &s->interrupt->floor;
  kite_v128 a_, b_, c_, r_; /* SIMD operands, shared so the frame stays small */

  /* The entry marker: returning to it ends this run. */
  frames[depth].pc = NULL;
  frames[depth].fp = NULL;
  frames[depth].func = NULL;
  depth++;
  gctx->func = func;
  gctx->depth = depth;
  CHARGE_OR_TRAP(NULL);
  {
    kite_xfunc *x = func->code;
    ENTER(x);
  }
  RELOAD_MEM();

  for (;;) {
#if !KITE_COMPUTED_GOTO
  resume:
#endif
    OPSTAT(pc);
    vmdispatch(*pc) {
      /* ---- control ---- */
      vmcase(OP_UNREACHABLE) TRAP(KITE_TRAP_UNREACHABLE, "unreachable");

      /*
      ** Branches: each has a forward form and a _BACK form for branches to a loop head,
      ** which pays fuel and polls for interrupts (the lowering picks the form).
      */
      vmcase(XOP_JMP) BRANCH_IF(true, 1)
      vmcase(XOP_JMP_BACK) LOOP_IF(true, 1)
      vmcase(XOP_BR_NZ) BRANCH_IF(I32(1), 2)
      vmcase(XOP_BR_NZ_BACK) LOOP_IF(I32(1), 2)
      vmcase(XOP_BR_Z) BRANCH_IF(!I32(1), 2)
      vmcase(XOP_BR_Z_BACK) LOOP_IF(!I32(1), 2)
      /* ---- fused compare and branch ---- */
      vmcase(XOP_BR_AND_NZ) BRANCH_IF(I32(1) & I32(2), 3)
      vmcase(XOP_BR_AND_NZ_BACK) LOOP_IF(I32(1) & I32(2), 3)
      vmcase(XOP_BR_AND_Z) BRANCH_IF(!(I32(1) & I32(2)), 3)
      vmcase(XOP_BR_AND_Z_BACK) LOOP_IF(!(I32(1) & I32(2)), 3)
      vmcase(XOP_BR_I32_EQ) BRANCH_IF(I32(1) == I32(2), 3)
      vmcase(XOP_BR_I32_EQ_BACK) LOOP_IF(I32(1) == I32(2), 3)
      vmcase(XOP_BR_I32_NE) BRANCH_IF(I32(1) != I32(2), 3)
      vmcase(XOP_BR_I32_NE_BACK) LOOP_IF(I32(1) != I32(2), 3)
      vmcase(XOP_BR_I32_LT_S) BRANCH_IF((int32_t)I32(1) < (int32_t)I32(2), 3)
      vmcase(XOP_BR_I32_LT_S_BACK) LOOP_IF((int32_t)I32(1) < (int32_t)I32(2), 3)
      vmcase(XOP_BR_I32_LT_U) BRANCH_IF(I32(1) < I32(2), 3)
      vmcase(XOP_BR_I32_LT_U_BACK) LOOP_IF(I32(1) < I32(2), 3)
      vmcase(XOP_BR_I32_GT_S) BRANCH_IF((int32_t)I32(1) > (int32_t)I32(2), 3)
      vmcase(XOP_BR_I32_GT_S_BACK) LOOP_IF((int32_t)I32(1) > (int32_t)I32(2), 3)
      vmcase(XOP_BR_I32_GT_U) BRANCH_IF(I32(1) > I32(2), 3)
      vmcase(XOP_BR_I32_GT_U_BACK) LOOP_IF(I32(1) > I32(2), 3)
      vmcase(XOP_BR_I32_LE_S) BRANCH_IF((int32_t)I32(1) <= (int32_t)I32(2), 3)
      vmcase(XOP_BR_I32_LE_S_BACK) LOOP_IF((int32_t)I32(1) <= (int32_t)I32(2), 3)
      vmcase(XOP_BR_I32_LE_U) BRANCH_IF(I32(1) <= I32(2), 3)
      vmcase(XOP_BR_I32_LE_U_BACK) LOOP_IF(I32(1) <= I32(2), 3)
      vmcase(XOP_BR_I32_GE_S) BRANCH_IF((int32_t)I32(1) >= (int32_t)I32(2), 3)
      vmcase(XOP_BR_I32_GE_S_BACK) LOOP_IF((int32_t)I32(1) >= (int32_t)I32(2), 3)
      vmcase(XOP_BR_I32_GE_U) BRANCH_IF(I32(1) >= I32(2), 3)
      vmcase(XOP_BR_I32_GE_U_BACK) LOOP_IF(I32(1) >= I32(2), 3)
      vmcase(XOP_BR_I64_EQ) BRANCH_IF(I64(1) == I64(2), 3)
      vmcase(XOP_BR_I64_EQ_BACK) LOOP_IF(I64(1) == I64(2), 3)
      vmcase(XOP_BR_I64_NE) BRANCH_IF(I64(1) != I64(2), 3)
      vmcase(XOP_BR_I64_NE_BACK) LOOP_IF(I64(1) != I64(2), 3)
      vmcase(XOP_BR_I64_LT_S) BRANCH_IF((int64_t)I64(1) < (int64_t)I64(2), 3)
      vmcase(XOP_BR_I64_LT_S_BACK) LOOP_IF((int64_t)I64(1) < (int64_t)I64(2), 3)
      vmcase(XOP_BR_I64_LT_U) BRANCH_IF(I64(1) < I64(2), 3)
      vmcase(XOP_BR_I64_LT_U_BACK) LOOP_IF(I64(1) < I64(2), 3)
      vmcase(XOP_BR_I64_GT_S) BRANCH_IF((int64_t)I64(1) > (int64_t)I64(2), 3)
      vmcase(XOP_BR_I64_GT_S_BACK) LOOP_IF((int64_t)I64(1) > (int64_t)I64(2), 3)
      vmcase(XOP_BR_I64_GT_U) BRANCH_IF(I64(1) > I64(2), 3)
      vmcase(XOP_BR_I64_GT_U_BACK) LOOP_IF(I64(1) > I64(2), 3)
      vmcase(XOP_BR_I64_LE_S) BRANCH_IF((int64_t)I64(1) <= (int64_t)I64(2), 3)
      vmcase(XOP_BR_I64_LE_S_BACK) LOOP_IF((int64_t)I64(1) <= (int64_t)I64(2), 3)
      vmcase(XOP_BR_I64_LE_U) BRANCH_IF(I64(1) <= I64(2), 3)
      vmcase(XOP_BR_I64_LE_U_BACK) LOOP_IF(I64(1) <= I64(2), 3)
      vmcase(XOP_BR_I64_GE_S) BRANCH_IF((int64_t)I64(1) >= (int64_t)I64(2), 3)
      vmcase(XOP_BR_I64_GE_S_BACK) LOOP_IF((int64_t)I64(1) >= (int64_t)I64(2), 3)
      vmcase(XOP_BR_I64_GE_U) BRANCH_IF(I64(1) >= I64(2), 3)
      vmcase(XOP_BR_I64_GE_U_BACK) LOOP_IF(I64(1) >= I64(2), 3)
      /* ---- loop branches with the counters' additions first ---- */
      vmcase(XOP_BR_NZ_BACK_A1) {
        ADDS_1;
        LOOP_IF(I32(4), 5)
      }
      vmcase(XOP_BR_NZ_BACK_A2) {
        ADDS_2;
        LOOP_IF(I32(7), 8)
      }
      vmcase(XOP_BR_I32_EQ_BACK_A1) {
        ADDS_1;
        LOOP_IF(I32(4) == I32(5), 6)
      }
      vmcase(XOP_BR_I32_EQ_BACK_A2) {
        ADDS_2;
        LOOP_IF(I32(7) == I32(8), 9)
      }
      vmcase(XOP_BR_I32_NE_BACK_A1) {
        ADDS_1;
        LOOP_IF(I32(4) != I32(5), 6)
      }
      vmcase(XOP_BR_I32_NE_BACK_A2) {
        ADDS_2;
        LOOP_IF(I32(7) != I32(8), 9)
      }
      vmcase(XOP_BR_I32_LT_S_BACK_A1) {
        ADDS_1;
        LOOP_IF((int32_t)I32(4) < (int32_t)I32(5), 6)
      }
      vmcase(XOP_BR_I32_LT_S_BACK_A2) {
        ADDS_2;
        LOOP_IF((int32_t)I32(7) < (int32_t)I32(8), 9)
      }
      vmcase(XOP_BR_I32_LT_U_BACK_A1) {
        ADDS_1;
        LOOP_IF(I32(4) < I32(5), 6)
      }
      vmcase(XOP_BR_I32_LT_U_BACK_A2) {
        ADDS_2;
        LOOP_IF(I32(7) < I32(8), 9)
      }
      vmcase(XOP_BR_I32_GT_S_BACK_A1) {
        ADDS_1;
        LOOP_IF((int32_t)I32(4) > (int32_t)I32(5), 6)
      }
      vmcase(XOP_BR_I32_GT_S_BACK_A2) {
        ADDS_2;
        LOOP_IF((int32_t)I32(7) > (int32_t)I32(8), 9)
      }
      vmcase(XOP_BR_I32_GT_U_BACK_A1) {
        ADDS_1;
        LOOP_IF(I32(4) > I32(5), 6)
      }
      vmcase(XOP_BR_I32_GT_U_BACK_A2) {
        ADDS_2;
        LOOP_IF(I32(7) > I32(8), 9)
      }
      vmcase(XOP_BR_I32_LE_S_BACK_A1) {
        ADDS_1;
        LOOP_IF((int32_t)I32(4) <= (int32_t)I32(5), 6)
      }
      vmcase(XOP_BR_I32_LE_S_BACK_A2) {
        ADDS_2;
        LOOP_IF((int32_t)I32(7) <= (int32_t)I32(8), 9)
      }
      vmcase(XOP_BR_I32_LE_U_BACK_A1) {
        ADDS_1;
        LOOP_IF(I32(4) <= I32(5), 6)
      }
      vmcase(XOP_BR_I32_LE_U_BACK_A2) {
        ADDS_2;
        LOOP_IF(I32(7) <= I32(8), 9)
      }
      vmcase(XOP_BR_I32_GE_S_BACK_A1) {
        ADDS_1;
        LOOP_IF((int32_t)I32(4) >= (int32_t)I32(5), 6)
      }
      vmcase(XOP_BR_I32_GE_S_BACK_A2) {
        ADDS_2;
        LOOP_IF((int32_t)I32(7) >= (int32_t)I32(8), 9)
      }
      vmcase(XOP_BR_I32_GE_U_BACK_A1) {
        ADDS_1;
        LOOP_IF(I32(4) >= I32(5), 6)
      }
      vmcase(XOP_BR_I32_GE_U_BACK_A2) {
        ADDS_2;
        LOOP_IF(I32(7) >= I32(8), 9)
      }
      vmcase(XOP_BR_TABLE) {
        uint32_t i = I32(1), n = W(2);
        JUMP(W(3 + (i < n ? i : n)));
        vmbreak;
      }
      vmcase(XOP_RETURN) goto do_return;
      vmcase(XOP_RETURN1) {
        fp[0] = S(1);
        goto do_return;
      }
      vmcase(OP_CALL) {
        callee = inst->funcs[W(1)];
        base = W(2);
        pc += 3;
        tail = false;
        goto do_call;
      }
      vmcase(OP_RETURN_CALL) {
        callee = inst->funcs[W(1)];
        base = W(2);
        pc += 3;
        tail = true;
        goto do_call;
      }
      vmcase(OP_CALL_REF) vmcase(OP_RETURN_CALL_REF) {
        callee = (kite_funcinst *)(uintptr_t)S(2);
        if (UNLIKELY(!callee)) TRAP(KITE_TRAP_NULL_REFERENCE, "null function reference");
        tail = W(0) == OP_RETURN_CALL_REF;
        base = W(3);
        pc += 4;
        goto do_call;
      }
      vmcase(OP_REF_AS_NON_NULL) {
        if (UNLIKELY(S(2) == KITE_REF_NULL)) TRAP(KITE_TRAP_NULL_REFERENCE, "null reference");
        S(1) = S(2);
        NEXT(3);
      }
      vmcase(XOP_BR_NULL) BRANCH_IF(S(1) == KITE_REF_NULL, 2)
      vmcase(XOP_BR_NULL_BACK) LOOP_IF(S(1) == KITE_REF_NULL, 2)
      vmcase(XOP_BR_NON_NULL) BRANCH_IF(S(1) != KITE_REF_NULL, 2)
      vmcase(XOP_BR_NON_NULL_BACK) LOOP_IF(S(1) != KITE_REF_NULL, 2)
      vmcase(OP_CALL_INDIRECT) vmcase(OP_RETURN_CALL_INDIRECT) {
        kite_tableinst *t = inst->tables[W(2)];
        uint64_t i = I64(3);
        if (UNLIKELY(i >= t->size)) TRAP(KITE_TRAP_TABLE_OOB, "undefined element");
        callee = (kite_funcinst *)(uintptr_t)t->elems[i];
        if (UNLIKELY(!callee)) {
          trap_index = i;
          TRAP(KITE_TRAP_INDIRECT_NULL, "uninitialized element");
        }
        /* Canonical types: equal types are one rtt; a subtype also matches. */
        const kite_rtt *want = inst->rtts[W(1)];
        if (UNLIKELY(callee->rtt != want && !kite_gc_func_matches(callee, want)))
          TRAP(KITE_TRAP_INDIRECT_TYPE, "indirect call type mismatch");
        tail = W(0) == OP_RETURN_CALL_INDIRECT;
        base = W(4);
        pc += 5;
        goto do_call;
      }

      /* ---- moves, constants, select ---- */
      vmcase(XOP_MOV) {
        S(1) = S(2);
        NEXT(3);
      }
      vmcase(XOP_MOV2) {
        S(1) = S(2);
        S(3) = S(4);
        NEXT(5);
      }
      vmcase(XOP_MOVN) {
        /* n >= 3: three moves, then the rest one by one */
        const uint32_t *end = pc + 2 + 2 * W(1);
        S(2) = S(3);
        S(4) = S(5);
        S(6) = S(7);
        for (const uint32_t *w = pc + 8; w != end; w += 2) fp[w[0]] = fp[w[1]];
        pc = end;
        vmbreak;
      }
      vmcase(XOP_MOV128) {
        uint64_t *d = &S(1), *src = &S(2);
        uint64_t lo = src[0], hi = src[1];
        d[0] = lo;
        d[1] = hi;
        NEXT(3);
      }
      vmcase(XOP_CONST64) {
        S(1) = (uint64_t)W(2) | (uint64_t)W(3) << 32;
        NEXT(4);
      }
      vmcase(XOP_CONST128) {
        uint64_t *d = &S(1);
        d[0] = (uint64_t)W(2) | (uint64_t)W(3) << 32;
        d[1] = (uint64_t)W(4) | (uint64_t)W(5) << 32;
        NEXT(6);
      }
      vmcase(OP_SELECT) {
        S(1) = I32(4) ? S(2) : S(3);
        NEXT(5);
      }
      vmcase(XOP_SELECT128) {
        uint64_t *src = I32(4) ? &S(2) : &S(3), *d = &S(1);
        uint64_t lo = src[0], hi = src[1];
        d[0] = lo;
        d[1] = hi;
        NEXT(5);
      }

      /* ---- globals ---- */
      vmcase(OP_GLOBAL_GET) {
        S(1) = inst->globals[W(2)]->slots[0];
        NEXT(3);
      }
      vmcase(OP_GLOBAL_SET) {
        inst->globals[W(2)]->slots[0] = S(1);
        NEXT(3);
      }
      vmcase(XOP_GLOBAL_GET128) {
        uint64_t *g = inst->globals[W(2)]->slots, *d = &S(1);
        d[0] = g[0];
        d[1] = g[1];
        NEXT(3);
      }
      vmcase(XOP_GLOBAL_SET128) {
        uint64_t *g = inst->globals[W(2)]->slots, *v = &S(1);
        g[0] = v[0];
        g[1] = v[1];
        NEXT(3);
      }

      /* ---- memory ---- */
      vmcase(OP_I32_LOAD) {
        EA(2, 3, 4);
        SET_I32(1, ld32(mem + ea));
        NEXT(4);
      }
      vmcase(OP_I64_LOAD) {
        EA(2, 3, 8);
        SET_I64(1, ld64(mem + ea));
        NEXT(4);
      }
      vmcase(OP_F32_LOAD) {
        EA(2, 3, 4);
        SET_I32(1, ld32(mem + ea));
        NEXT(4);
      }
      vmcase(OP_F64_LOAD) {
        EA(2, 3, 8);
        SET_I64(1, ld64(mem + ea));
        NEXT(4);
      }
      vmcase(OP_I32_LOAD8_S) {
        EA(2, 3, 1);
        SET_I32(1, (int32_t)(int8_t)mem[ea]);
        NEXT(4);
      }
      vmcase(OP_I32_LOAD8_U) {
        EA(2, 3, 1);
        SET_I32(1, mem[ea]);
        NEXT(4);
      }
      vmcase(OP_I32_LOAD16_S) {
        EA(2, 3, 2);
        SET_I32(1, (int32_t)(int16_t)ld16(mem + ea));
        NEXT(4);
      }
      vmcase(OP_I32_LOAD16_U) {
        EA(2, 3, 2);
        SET_I32(1, ld16(mem + ea));
        NEXT(4);
      }
      vmcase(OP_I64_LOAD8_S) {
        EA(2, 3, 1);
        SET_I64(1, (int64_t)(int8_t)mem[ea]);
        NEXT(4);
      }
      vmcase(OP_I64_LOAD8_U) {
        EA(2, 3, 1);
        SET_I64(1, mem[ea]);
        NEXT(4);
      }
      vmcase(OP_I64_LOAD16_S) {
        EA(2, 3, 2);
        SET_I64(1, (int64_t)(int16_t)ld16(mem + ea));
        NEXT(4);
      }
      vmcase(OP_I64_LOAD16_U) {
        EA(2, 3, 2);
        SET_I64(1, ld16(mem + ea));
        NEXT(4);
      }
      vmcase(OP_I64_LOAD32_S) {
        EA(2, 3, 4);
        SET_I64(1, (int64_t)(int32_t)ld32(mem + ea));
        NEXT(4);
      }
      vmcase(OP_I64_LOAD32_U) {
        EA(2, 3, 4);
        SET_I64(1, ld32(mem + ea));
        NEXT(4);
      }
      vmcase(OP_I32_STORE) {
        EA(1, 3, 4);
        st32(mem + ea, I32(2));
        NEXT(4);
      }
      vmcase(OP_I64_STORE) {
        EA(1, 3, 8);
        st64(mem + ea, I64(2));
        NEXT(4);
      }
      vmcase(OP_F32_STORE) {
        EA(1, 3, 4);
        st32(mem + ea, I32(2));
        NEXT(4);
      }
      vmcase(OP_F64_STORE) {
        EA(1, 3, 8);
        st64(mem + ea, I64(2));
        NEXT(4);
      }
      vmcase(OP_I32_STORE8) {
        EA(1, 3, 1);
        mem[ea] = (uint8_t)I32(2);
        NEXT(4);
      }
      vmcase(OP_I32_STORE16) {
        EA(1, 3, 2);
        st16(mem + ea, (uint16_t)I32(2));
        NEXT(4);
      }
      vmcase(OP_I64_STORE8) {
        EA(1, 3, 1);
        mem[ea] = (uint8_t)I64(2);
        NEXT(4);
      }
      vmcase(OP_I64_STORE16) {
        EA(1, 3, 2);
        st16(mem + ea, (uint16_t)I64(2));
        NEXT(4);
      }
      vmcase(OP_I64_STORE32) {
        EA(1, 3, 4);
        st32(mem + ea, (uint32_t)I64(2));
        NEXT(4);
      }
      /* Guarded accesses whose address is the sum of two slots (a fused i32.add). */
      vmcase(XOP_I32_LOAD_X) {
        EA_INDEXED(2, 3, 4);
        SET_I32(1, ld32(mem + ea));
        NEXT(5);
      }
      vmcase(XOP_I64_LOAD_X) {
        EA_INDEXED(2, 3, 4);
        SET_I64(1, ld64(mem + ea));
        NEXT(5);
      }
      vmcase(XOP_F32_LOAD_X) {
        EA_INDEXED(2, 3, 4);
        SET_I32(1, ld32(mem + ea));
        NEXT(5);
      }
      vmcase(XOP_F64_LOAD_X) {
        EA_INDEXED(2, 3, 4);
        SET_I64(1, ld64(mem + ea));
        NEXT(5);
      }
      vmcase(XOP_I32_LOAD8_S_X) {
        EA_INDEXED(2, 3, 4);
        SET_I32(1, (int32_t)(int8_t)mem[ea]);
        NEXT(5);
      }
      vmcase(XOP_I32_LOAD8_U_X) {
        EA_INDEXED(2, 3, 4);
        SET_I32(1, mem[ea]);
        NEXT(5);
      }
      vmcase(XOP_I32_LOAD16_S_X) {
        EA_INDEXED(2, 3, 4);
        SET_I32(1, (int32_t)(int16_t)ld16(mem + ea));
        NEXT(5);
      }
      vmcase(XOP_I32_LOAD16_U_X) {
        EA_INDEXED(2, 3, 4);
        SET_I32(1, ld16(mem + ea));
        NEXT(5);
      }
      vmcase(XOP_I64_LOAD8_S_X) {
        EA_INDEXED(2, 3, 4);
        SET_I64(1, (int64_t)(int8_t)mem[ea]);
        NEXT(5);
      }
      vmcase(XOP_I64_LOAD8_U_X) {
        EA_INDEXED(2, 3, 4);
        SET_I64(1, mem[ea]);
        NEXT(5);
      }
      vmcase(XOP_I64_LOAD16_S_X) {
        EA_INDEXED(2, 3, 4);
        SET_I64(1, (int64_t)(int16_t)ld16(mem + ea));
        NEXT(5);
      }
      vmcase(XOP_I64_LOAD16_U_X) {
        EA_INDEXED(2, 3, 4);
        SET_I64(1, ld16(mem + ea));
        NEXT(5);
      }
      vmcase(XOP_I64_LOAD32_S_X) {
        EA_INDEXED(2, 3, 4);
        SET_I64(1, (int64_t)(int32_t)ld32(mem + ea));
        NEXT(5);
      }
      vmcase(XOP_I64_LOAD32_U_X) {
        EA_INDEXED(2, 3, 4);
        SET_I64(1, ld32(mem + ea));
        NEXT(5);
      }
      vmcase(XOP_I32_STORE_X) {
        EA_INDEXED(1, 2, 4);
        st32(mem + ea, I32(3));
        NEXT(5);
      }
      vmcase(XOP_I64_STORE_X) {
        EA_INDEXED(1, 2, 4);
        st64(mem + ea, I64(3));
        NEXT(5);
      }
      vmcase(XOP_F32_STORE_X) {
        EA_INDEXED(1, 2, 4);
        st32(mem + ea, I32(3));
        NEXT(5);
      }
      vmcase(XOP_F64_STORE_X) {
        EA_INDEXED(1, 2, 4);
        st64(mem + ea, I64(3));
        NEXT(5);
      }
      vmcase(XOP_I32_STORE8_X) {
        EA_INDEXED(1, 2, 4);
        mem[ea] = (uint8_t)I32(3);
        NEXT(5);
      }
      vmcase(XOP_I32_STORE16_X) {
        EA_INDEXED(1, 2, 4);
        st16(mem + ea, (uint16_t)I32(3));
        NEXT(5);
      }
      vmcase(XOP_I64_STORE8_X) {
        EA_INDEXED(1, 2, 4);
        mem[ea] = (uint8_t)I64(3);
        NEXT(5);
      }
      vmcase(XOP_I64_STORE16_X) {
        EA_INDEXED(1, 2, 4);
        st16(mem + ea, (uint16_t)I64(3));
        NEXT(5);
      }
      vmcase(XOP_I64_STORE32_X) {
        EA_INDEXED(1, 2, 4);
        st32(mem + ea, (uint32_t)I64(3));
        NEXT(5);
      }
      /* f64 arithmetic with a memory operand (m), and the same storing the result back */
      vmcase(XOP_F64_ADD_RM) F64_MEM_OP(x + m, false)
      vmcase(XOP_F64_ADD_MR) F64_MEM_OP(m + x, false)
      vmcase(XOP_F64_SUB_RM) F64_MEM_OP(x - m, false)
      vmcase(XOP_F64_SUB_MR) F64_MEM_OP(m - x, false)
      vmcase(XOP_F64_MUL_RM) F64_MEM_OP(x * m, false)
      vmcase(XOP_F64_MUL_MR) F64_MEM_OP(m * x, false)
      vmcase(XOP_F64_ADD_RM_ST) F64_MEM_OP(x + m, true)
      vmcase(XOP_F64_ADD_MR_ST) F64_MEM_OP(m + x, true)
      vmcase(XOP_F64_SUB_RM_ST) F64_MEM_OP(x - m, true)
      vmcase(XOP_F64_SUB_MR_ST) F64_MEM_OP(m - x, true)
      vmcase(XOP_F64_MUL_RM_ST) F64_MEM_OP(x * m, true)
      vmcase(XOP_F64_MUL_MR_ST) F64_MEM_OP(m * x, true)
      vmcase(XOP_F64_AXPY) {
        EA_INDEXED(3, 4, 5);
        double k = F64(2), x = f64_of(ld64(mem + ea));
        uint64_t ea2 = (uint64_t)(uint32_t)(I32(6) + I32(7)) + W(8);
        double r = k * x + f64_of(ld64(mem + ea2)); /* two roundings: contraction is off */
        SET_F64(1, r);
        st64(mem + ea2, of_f64(r));
        NEXT(9);
      }
      vmcase(XOP_I32_LOAD_FUNNEL_STORE) {
        LOAD_FUNNEL_STORE(0);
        NEXT(12);
      }
      vmcase(XOP_I32_LOAD_FUNNEL_STORE2) {
        LOAD_FUNNEL_STORE(0);
        LOAD_FUNNEL_STORE(11);
        NEXT(23);
      }
      vmcase(XOP_ADDR64) {
        if (UNLIKELY(I64(1) > 0xFFFFFFFFu))
          TRAP(KITE_TRAP_MEMORY_OOB, "out of bounds memory access");
        NEXT(2);
      }
      vmcase(XOP_TRAP_OOB) TRAP(KITE_TRAP_MEMORY_OOB, "out of bounds memory access");
      vmcase(OP_MEMORY_SIZE) {
        SET_I64(1, inst->memories[W(2)]->pages);
        NEXT(3);
      }
      vmcase(OP_MEMORY_GROW) {
        kite_meminst *mi = inst->memories[W(3)];
        uint64_t r = kite_memory_grow(mi, I64(2));
        if (r == UINT64_MAX && !mi->limits.is64) r = 0xFFFFFFFFu;
        SET_I64(1, r);
        RELOAD_MEM();
        NEXT(4);
      }
      /* The same loads and stores on guarded memories: no check, a fault traps. */
      vmcase(XOP_I32_LOAD_G) {
        EA_GUARDED(2, 3);
        SET_I32(1, ld32(mem + ea));
        NEXT(4);
      }
      vmcase(XOP_I64_LOAD_G) {
        EA_GUARDED(2, 3);
        SET_I64(1, ld64(mem + ea));
        NEXT(4);
      }
      vmcase(XOP_F32_LOAD_G) {
        EA_GUARDED(2, 3);
        SET_I32(1, ld32(mem + ea));
        NEXT(4);
      }
      vmcase(XOP_F64_LOAD_G) {
        EA_GUARDED(2, 3);
        SET_I64(1, ld64(mem + ea));
        NEXT(4);
      }
      vmcase(XOP_I32_LOAD8_S_G) {
        EA_GUARDED(2, 3);
        SET_I32(1, (int32_t)(int8_t)mem[ea]);
        NEXT(4);
      }
      vmcase(XOP_I32_LOAD8_U_G) {
        EA_GUARDED(2, 3);
        SET_I32(1, mem[ea]);
        NEXT(4);
      }
      vmcase(XOP_I32_LOAD16_S_G) {
        EA_GUARDED(2, 3);
        SET_I32(1, (int32_t)(int16_t)ld16(mem + ea));
        NEXT(4);
      }
      vmcase(XOP_I32_LOAD16_U_G) {
        EA_GUARDED(2, 3);
        SET_I32(1, ld16(mem + ea));
        NEXT(4);
      }
      vmcase(XOP_I64_LOAD8_S_G) {
        EA_GUARDED(2, 3);
        SET_I64(1, (int64_t)(int8_t)mem[ea]);
        NEXT(4);
      }
      vmcase(XOP_I64_LOAD8_U_G) {
        EA_GUARDED(2, 3);
        SET_I64(1, mem[ea]);
        NEXT(4);
      }
      vmcase(XOP_I64_LOAD16_S_G) {
        EA_GUARDED(2, 3);
        SET_I64(1, (int64_t)(int16_t)ld16(mem + ea));
        NEXT(4);
      }
      vmcase(XOP_I64_LOAD16_U_G) {
        EA_GUARDED(2, 3);
        SET_I64(1, ld16(mem + ea));
        NEXT(4);
      }
      vmcase(XOP_I64_LOAD32_S_G) {
        EA_GUARDED(2, 3);
        SET_I64(1, (int64_t)(int32_t)ld32(mem + ea));
        NEXT(4);
      }
      vmcase(XOP_I64_LOAD32_U_G) {
        EA_GUARDED(2, 3);
        SET_I64(1, ld32(mem + ea));
        NEXT(4);
      }
      vmcase(XOP_I32_STORE_G) {
        EA_GUARDED(1, 3);
        st32(mem + ea, I32(2));
        NEXT(4);
      }
      vmcase(XOP_I64_STORE_G) {
        EA_GUARDED(1, 3);
        st64(mem + ea, I64(2));
        NEXT(4);
      }
      vmcase(XOP_F32_STORE_G) {
        EA_GUARDED(1, 3);
        st32(mem + ea, I32(2));
        NEXT(4);
      }
      vmcase(XOP_F64_STORE_G) {
        EA_GUARDED(1, 3);
        st64(mem + ea, I64(2));
        NEXT(4);
      }
      vmcase(XOP_I32_STORE8_G) {
        EA_GUARDED(1, 3);
        mem[ea] = (uint8_t)I32(2);
        NEXT(4);
      }
      vmcase(XOP_I32_STORE16_G) {
        EA_GUARDED(1, 3);
        st16(mem + ea, (uint16_t)I32(2));
        NEXT(4);
      }
      vmcase(XOP_I64_STORE8_G) {
        EA_GUARDED(1, 3);
        mem[ea] = (uint8_t)I64(2);
        NEXT(4);
      }
      vmcase(XOP_I64_STORE16_G) {
        EA_GUARDED(1, 3);
        st16(mem + ea, (uint16_t)I64(2));
        NEXT(4);
      }
      vmcase(XOP_I64_STORE32_G) {
        EA_GUARDED(1, 3);
        st32(mem + ea, (uint32_t)I64(2));
        NEXT(4);
      }
      vmcase(XOP_USE_MEM) {
        USE_MEMORY(inst->memories[W(1)]);
        NEXT(2);
      }
      vmcase(OP_MEMORY_FILL) {
        kite_meminst *mi = inst->memories[W(4)];
        uint64_t d = I64(1), n = I64(3);
        if (UNLIKELY(n > mi->size || d > mi->size - n))
          TRAP(KITE_TRAP_MEMORY_OOB, "out of bounds memory access");
        if (n) memset(mi->data + d, (int)(uint8_t)I32(2), (size_t)n);
        NEXT(6);
      }
      vmcase(OP_MEMORY_COPY) {
        kite_meminst *md = inst->memories[W(4)], *ms = inst->memories[W(5)];
        uint64_t d = I64(1), src = I64(2), n = I64(3);
        if (UNLIKELY(n > md->size || d > md->size - n || n > ms->size || src > ms->size - n))
          TRAP(KITE_TRAP_MEMORY_OOB, "out of bounds memory access");
        if (n) memmove(md->data + d, ms->data + src, (size_t)n);
        NEXT(6);
      }
      vmcase(OP_MEMORY_INIT) {
        kite_meminst *mi = inst->memories[W(5)];
        uint64_t d = I64(1), src = I64(2), n = I64(3);
        uint32_t seg = W(4);
        if (UNLIKELY(src + n > inst->data_len[seg] || n > mi->size || d > mi->size - n))
          TRAP(KITE_TRAP_MEMORY_OOB, "out of bounds memory access");
        if (n)
          memcpy(mi->data + d, inst->module->bytes + inst->module->datas[seg].offset_in_bytes + src,
                 (size_t)n);
        NEXT(6);
      }
      vmcase(OP_DATA_DROP) {
        inst->data_len[W(1)] = 0;
        NEXT(2);
      }

      /* ---- tables and references ---- */
      vmcase(OP_TABLE_GET) {
        kite_tableinst *t = inst->tables[W(3)];
        uint64_t i = I64(2);
        if (UNLIKELY(i >= t->size)) TRAP(KITE_TRAP_TABLE_OOB, "out of bounds table access");
        S(1) = t->elems[i];
        NEXT(4);
      }
      vmcase(OP_TABLE_SET) {
        kite_tableinst *t = inst->tables[W(3)];
        uint64_t i = I64(1);
        if (UNLIKELY(i >= t->size)) TRAP(KITE_TRAP_TABLE_OOB, "out of bounds table access");
        t->elems[i] = S(2);
        NEXT(4);
      }
      vmcase(OP_TABLE_SIZE) {
        SET_I64(1, inst->tables[W(2)]->size);
        NEXT(3);
      }
      vmcase(OP_TABLE_GROW) {
        kite_tableinst *t = inst->tables[W(4)];
        uint64_t r = kite_tableinst_grow(t, I64(3), S(2));
        if (r == UINT64_MAX && !t->limits.is64) r = 0xFFFFFFFFu;
        SET_I64(1, r);
        NEXT(5);
      }
      vmcase(OP_TABLE_FILL) {
        kite_tableinst *t = inst->tables[W(4)];
        uint64_t i = I64(1), n = I64(3);
        kite_ref v = S(2);
        if (UNLIKELY(n > t->size || i > t->size - n))
          TRAP(KITE_TRAP_TABLE_OOB, "out of bounds table access");
        for (uint64_t k = 0; k < n; k++) t->elems[i + k] = v;
        NEXT(6);
      }
      vmcase(OP_TABLE_COPY) {
        kite_tableinst *td = inst->tables[W(4)], *ts = inst->tables[W(5)];
        uint64_t d = I64(1), src = I64(2), n = I64(3);
        if (UNLIKELY(n > td->size || d > td->size - n || n > ts->size || src > ts->size - n))
          TRAP(KITE_TRAP_TABLE_OOB, "out of bounds table access");
        if (n) memmove(td->elems + d, ts->elems + src, (size_t)n * sizeof(kite_ref));
        NEXT(6);
      }
      vmcase(OP_TABLE_INIT) {
        kite_tableinst *t = inst->tables[W(5)];
        uint32_t seg = W(4);
        uint64_t d = I64(1), src = I64(2), n = I64(3);
        if (UNLIKELY(src + n > inst->elem_len[seg] || n > t->size || d > t->size - n))
          TRAP(KITE_TRAP_TABLE_OOB, "out of bounds table access");
        if (n) memcpy(t->elems + d, inst->elem_refs[seg] + src, (size_t)n * sizeof(kite_ref));
        NEXT(6);
      }
      vmcase(OP_ELEM_DROP) {
        inst->elem_len[W(1)] = 0;
        NEXT(2);
      }
      vmcase(OP_REF_FUNC) {
        S(1) = (kite_ref)(uintptr_t)inst->funcs[W(2)];
        NEXT(3);
      }
      vmcase(OP_REF_IS_NULL) {
        SET_I32(1, S(2) == KITE_REF_NULL);
        NEXT(3);
      }

      /* ---- i32 ---- */
      vmcase(OP_I32_EQZ) {
        SET_I32(1, I32(2) == 0);
        NEXT(3);
      }
      vmcase(OP_I32_EQ) {
        SET_I32(1, I32(2) == I32(3));
        NEXT(4);
      }
      vmcase(OP_I32_NE) {
        SET_I32(1, I32(2) != I32(3));
        NEXT(4);
      }
      vmcase(OP_I32_LT_S) {
        SET_I32(1, (int32_t)I32(2) < (int32_t)I32(3));
        NEXT(4);
      }
      vmcase(OP_I32_LT_U) {
        SET_I32(1, I32(2) < I32(3));
        NEXT(4);
      }
      vmcase(OP_I32_GT_S) {
        SET_I32(1, (int32_t)I32(2) > (int32_t)I32(3));
        NEXT(4);
      }
      vmcase(OP_I32_GT_U) {
        SET_I32(1, I32(2) > I32(3));
        NEXT(4);
      }
      vmcase(OP_I32_LE_S) {
        SET_I32(1, (int32_t)I32(2) <= (int32_t)I32(3));
        NEXT(4);
      }
      vmcase(OP_I32_LE_U) {
        SET_I32(1, I32(2) <= I32(3));
        NEXT(4);
      }
      vmcase(OP_I32_GE_S) {
        SET_I32(1, (int32_t)I32(2) >= (int32_t)I32(3));
        NEXT(4);
      }
      vmcase(OP_I32_GE_U) {
        SET_I32(1, I32(2) >= I32(3));
        NEXT(4);
      }
      vmcase(OP_I32_CLZ) {
        SET_I32(1, clz32(I32(2)));
        NEXT(3);
      }
      vmcase(OP_I32_CTZ) {
        SET_I32(1, ctz32(I32(2)));
        NEXT(3);
      }
      vmcase(OP_I32_POPCNT) {
        SET_I32(1, popcnt32(I32(2)));
        NEXT(3);
      }
      vmcase(OP_I32_ADD) {
        SET_I32(1, I32(2) + I32(3));
        NEXT(4);
      }
      vmcase(XOP_I32_FUNNEL) {
        SET_I32(1, (I32(2) << (I32(3) & 31)) | (I32(4) >> (I32(5) & 31)));
        NEXT(6);
      }
      vmcase(XOP_I32_XOR_ROTL) {
        SET_I32(1, rotl32(I32(2), I32(3)) ^ I32(4));
        NEXT(5);
      }
      vmcase(XOP_I32_XOR_AND) {
        SET_I32(1, (I32(2) ^ I32(3)) & I32(4));
        NEXT(5);
      }
      vmcase(XOP_I32_AND_XOR) {
        SET_I32(1, (I32(2) & I32(3)) ^ I32(4));
        NEXT(5);
      }
      vmcase(XOP_I32_AND_OR) {
        SET_I32(1, (I32(2) & I32(3)) | I32(4));
        NEXT(5);
      }
      vmcase(XOP_I32_ADD2) {
        SET_I32(1, I32(2) + I32(3));
        SET_I32(4, I32(5) + I32(6));
        NEXT(7);
      }
      vmcase(OP_I32_SUB) {
        SET_I32(1, I32(2) - I32(3));
        NEXT(4);
      }
      vmcase(OP_I32_MUL) {
        SET_I32(1, I32(2) * I32(3));
        NEXT(4);
      }
      vmcase(OP_I32_DIV_S) {
        uint32_t a = I32(2), b = I32(3);
        if (UNLIKELY(b == 0)) TRAP(KITE_TRAP_INT_DIV_ZERO, "integer divide by zero");
        if (UNLIKELY(a == 0x80000000u && b == 0xFFFFFFFFu))
          TRAP(KITE_TRAP_INT_OVERFLOW, "integer overflow");
        SET_I32(1, (int32_t)a / (int32_t)b);
        NEXT(4);
      }
      vmcase(OP_I32_DIV_U) {
        uint32_t a = I32(2), b = I32(3);
        if (UNLIKELY(b == 0)) TRAP(KITE_TRAP_INT_DIV_ZERO, "integer divide by zero");
        SET_I32(1, a / b);
        NEXT(4);
      }
      vmcase(OP_I32_REM_S) {
        uint32_t a = I32(2), b = I32(3);
        if (UNLIKELY(b == 0)) TRAP(KITE_TRAP_INT_DIV_ZERO, "integer divide by zero");
        SET_I32(1, b == 0xFFFFFFFFu ? 0 : (int32_t)a % (int32_t)b);
        NEXT(4);
      }
      vmcase(OP_I32_REM_U) {
        uint32_t a = I32(2), b = I32(3);
        if (UNLIKELY(b == 0)) TRAP(KITE_TRAP_INT_DIV_ZERO, "integer divide by zero");
        SET_I32(1, a % b);
        NEXT(4);
      }
      vmcase(OP_I32_AND) {
        SET_I32(1, I32(2) & I32(3));
        NEXT(4);
      }
      vmcase(OP_I32_OR) {
        SET_I32(1, I32(2) | I32(3));
        NEXT(4);
      }
      vmcase(OP_I32_XOR) {
        SET_I32(1, I32(2) ^ I32(3));
        NEXT(4);
      }
      vmcase(OP_I32_SHL) {
        SET_I32(1, I32(2) << (I32(3) & 31));
        NEXT(4);
      }
      vmcase(OP_I32_SHR_S) {
        SET_I32(1, shr_s32(I32(2), I32(3)));
        NEXT(4);
      }
      vmcase(OP_I32_SHR_U) {
        SET_I32(1, I32(2) >> (I32(3) & 31));
        NEXT(4);
      }
      vmcase(OP_I32_ROTL) {
        SET_I32(1, rotl32(I32(2), I32(3)));
        NEXT(4);
      }
      vmcase(OP_I32_ROTR) {
        SET_I32(1, rotr32(I32(2), I32(3)));
        NEXT(4);
      }

      /* ---- i64 ---- */
      vmcase(OP_I64_EQZ) {
        SET_I32(1, I64(2) == 0);
        NEXT(3);
      }
      vmcase(OP_I64_EQ) {
        SET_I32(1, I64(2) == I64(3));
        NEXT(4);
      }
      vmcase(OP_I64_NE) {
        SET_I32(1, I64(2) != I64(3));
        NEXT(4);
      }
      vmcase(OP_I64_LT_S) {
        SET_I32(1, (int64_t)I64(2) < (int64_t)I64(3));
        NEXT(4);
      }
      vmcase(OP_I64_LT_U) {
        SET_I32(1, I64(2) < I64(3));
        NEXT(4);
      }
      vmcase(OP_I64_GT_S) {
        SET_I32(1, (int64_t)I64(2) > (int64_t)I64(3));
        NEXT(4);
      }
      vmcase(OP_I64_GT_U) {
        SET_I32(1, I64(2) > I64(3));
        NEXT(4);
      }
      vmcase(OP_I64_LE_S) {
        SET_I32(1, (int64_t)I64(2) <= (int64_t)I64(3));
        NEXT(4);
      }
      vmcase(OP_I64_LE_U) {
        SET_I32(1, I64(2) <= I64(3));
        NEXT(4);
      }
      vmcase(OP_I64_GE_S) {
        SET_I32(1, (int64_t)I64(2) >= (int64_t)I64(3));
        NEXT(4);
      }
      vmcase(OP_I64_GE_U) {
        SET_I32(1, I64(2) >= I64(3));
        NEXT(4);
      }
      vmcase(OP_I64_CLZ) {
        SET_I64(1, clz64(I64(2)));
        NEXT(3);
      }
      vmcase(OP_I64_CTZ) {
        SET_I64(1, ctz64(I64(2)));
        NEXT(3);
      }
      vmcase(OP_I64_POPCNT) {
        SET_I64(1, popcnt64(I64(2)));
        NEXT(3);
      }
      vmcase(OP_I64_ADD) {
        SET_I64(1, I64(2) + I64(3));
        NEXT(4);
      }
      vmcase(OP_I64_SUB) {
        SET_I64(1, I64(2) - I64(3));
        NEXT(4);
      }
      vmcase(OP_I64_MUL) {
        SET_I64(1, I64(2) * I64(3));
        NEXT(4);
      }
      vmcase(OP_I64_DIV_S) {
        uint64_t a = I64(2), b = I64(3);
        if (UNLIKELY(b == 0)) TRAP(KITE_TRAP_INT_DIV_ZERO, "integer divide by zero");
        if (UNLIKELY(a == 0x8000000000000000ull && b == UINT64_MAX))
          TRAP(KITE_TRAP_INT_OVERFLOW, "integer overflow");
        SET_I64(1, (int64_t)a / (int64_t)b);
        NEXT(4);
      }
      vmcase(OP_I64_DIV_U) {
        uint64_t a = I64(2), b = I64(3);
        if (UNLIKELY(b == 0)) TRAP(KITE_TRAP_INT_DIV_ZERO, "integer divide by zero");
        SET_I64(1, a / b);
        NEXT(4);
      }
      vmcase(OP_I64_REM_S) {
        uint64_t a = I64(2), b = I64(3);
        if (UNLIKELY(b == 0)) TRAP(KITE_TRAP_INT_DIV_ZERO, "integer divide by zero");
        SET_I64(1, b == UINT64_MAX ? 0 : (int64_t)a % (int64_t)b);
        NEXT(4);
      }
      vmcase(OP_I64_REM_U) {
        uint64_t a = I64(2), b = I64(3);
        if (UNLIKELY(b == 0)) TRAP(KITE_TRAP_INT_DIV_ZERO, "integer divide by zero");
        SET_I64(1, a % b);
        NEXT(4);
      }
      vmcase(OP_I64_AND) {
        SET_I64(1, I64(2) & I64(3));
        NEXT(4);
      }
      vmcase(OP_I64_OR) {
        SET_I64(1, I64(2) | I64(3));
        NEXT(4);
      }
      vmcase(OP_I64_XOR) {
        SET_I64(1, I64(2) ^ I64(3));
        NEXT(4);
      }
      vmcase(OP_I64_SHL) {
        SET_I64(1, I64(2) << (I64(3) & 63));
        NEXT(4);
      }
      vmcase(OP_I64_SHR_S) {
        SET_I64(1, shr_s64(I64(2), I64(3)));
        NEXT(4);
      }
      vmcase(OP_I64_SHR_U) {
        SET_I64(1, I64(2) >> (I64(3) & 63));
        NEXT(4);
      }
      vmcase(OP_I64_ROTL) {
        SET_I64(1, rotl64(I64(2), I64(3)));
        NEXT(4);
      }
      vmcase(OP_I64_ROTR) {
        SET_I64(1, rotr64(I64(2), I64(3)));
        NEXT(4);
      }

      /* ---- f32 ---- */
      vmcase(OP_F32_EQ) {
        SET_I32(1, F32(2) == F32(3));
        NEXT(4);
      }
      vmcase(OP_F32_NE) {
        SET_I32(1, F32(2) != F32(3));
        NEXT(4);
      }
      vmcase(OP_F32_LT) {
        SET_I32(1, F32(2) < F32(3));
        NEXT(4);
      }
      vmcase(OP_F32_GT) {
        SET_I32(1, F32(2) > F32(3));
        NEXT(4);
      }
      vmcase(OP_F32_LE) {
        SET_I32(1, F32(2) <= F32(3));
        NEXT(4);
      }
      vmcase(OP_F32_GE) {
        SET_I32(1, F32(2) >= F32(3));
        NEXT(4);
      }
      vmcase(OP_F32_ABS) {
        SET_I32(1, I32(2) & 0x7FFFFFFFu);
        NEXT(3);
      }
      vmcase(OP_F32_NEG) {
        SET_I32(1, I32(2) ^ 0x80000000u);
        NEXT(3);
      }
      vmcase(OP_F32_COPYSIGN) {
        SET_I32(1, (I32(2) & 0x7FFFFFFFu) | (I32(3) & 0x80000000u));
        NEXT(4);
      }
      vmcase(OP_F32_CEIL) {
        SET_F32(1, ceil32(F32(2)));
        NEXT(3);
      }
      vmcase(OP_F32_FLOOR) {
        SET_F32(1, floor32(F32(2)));
        NEXT(3);
      }
      vmcase(OP_F32_TRUNC) {
        SET_F32(1, trunc32(F32(2)));
        NEXT(3);
      }
      vmcase(OP_F32_NEAREST) {
        SET_F32(1, nearest32(F32(2)));
        NEXT(3);
      }
      vmcase(OP_F32_SQRT) {
        SET_F32(1, sqrt32(F32(2)));
        NEXT(3);
      }
      vmcase(OP_F32_ADD) {
        SET_F32(1, F32(2) + F32(3));
        NEXT(4);
      }
      vmcase(OP_F32_SUB) {
        SET_F32(1, F32(2) - F32(3));
        NEXT(4);
      }
      vmcase(OP_F32_MUL) {
        SET_F32(1, F32(2) * F32(3));
        NEXT(4);
      }
      vmcase(OP_F32_DIV) {
        SET_F32(1, F32(2) / F32(3));
        NEXT(4);
      }
      vmcase(OP_F32_MIN) {
        SET_F32(1, fmin32(F32(2), F32(3)));
        NEXT(4);
      }
      vmcase(OP_F32_MAX) {
        SET_F32(1, fmax32(F32(2), F32(3)));
        NEXT(4);
      }

      /* ---- f64 ---- */
      vmcase(OP_F64_EQ) {
        SET_I32(1, F64(2) == F64(3));
        NEXT(4);
      }
      vmcase(OP_F64_NE) {
        SET_I32(1, F64(2) != F64(3));
        NEXT(4);
      }
      vmcase(OP_F64_LT) {
        SET_I32(1, F64(2) < F64(3));
        NEXT(4);
      }
      vmcase(OP_F64_GT) {
        SET_I32(1, F64(2) > F64(3));
        NEXT(4);
      }
      vmcase(OP_F64_LE) {
        SET_I32(1, F64(2) <= F64(3));
        NEXT(4);
      }
      vmcase(OP_F64_GE) {
        SET_I32(1, F64(2) >= F64(3));
        NEXT(4);
      }
      vmcase(OP_F64_ABS) {
        SET_I64(1, I64(2) & 0x7FFFFFFFFFFFFFFFull);
        NEXT(3);
      }
      vmcase(OP_F64_NEG) {
        SET_I64(1, I64(2) ^ 0x8000000000000000ull);
        NEXT(3);
      }
      vmcase(OP_F64_COPYSIGN) {
        SET_I64(1, (I64(2) & 0x7FFFFFFFFFFFFFFFull) | (I64(3) & 0x8000000000000000ull));
        NEXT(4);
      }
      vmcase(OP_F64_CEIL) {
        SET_F64(1, ceil64(F64(2)));
        NEXT(3);
      }
      vmcase(OP_F64_FLOOR) {
        SET_F64(1, floor64(F64(2)));
        NEXT(3);
      }
      vmcase(OP_F64_TRUNC) {
        SET_F64(1, trunc64(F64(2)));
        NEXT(3);
      }
      vmcase(OP_F64_NEAREST) {
        SET_F64(1, nearest64(F64(2)));
        NEXT(3);
      }
      vmcase(OP_F64_SQRT) {
        SET_F64(1, sqrt64(F64(2)));
        NEXT(3);
      }
      vmcase(OP_F64_ADD) {
        SET_F64(1, F64(2) + F64(3));
        NEXT(4);
      }
      vmcase(OP_F64_SUB) {
        SET_F64(1, F64(2) - F64(3));
        NEXT(4);
      }
      vmcase(OP_F64_MUL) {
        SET_F64(1, F64(2) * F64(3));
        NEXT(4);
      }
      vmcase(OP_F64_DIV) {
        SET_F64(1, F64(2) / F64(3));
        NEXT(4);
      }
      vmcase(OP_F64_MIN) {
        SET_F64(1, fmin64(F64(2), F64(3)));
        NEXT(4);
      }
      vmcase(OP_F64_MAX) {
        SET_F64(1, fmax64(F64(2), F64(3)));
        NEXT(4);
      }

      /* ---- conversions ---- */
      vmcase(OP_I32_WRAP_I64) {
        SET_I32(1, (uint32_t)I64(2));
        NEXT(3);
      }
      vmcase(OP_I32_TRUNC_F32_S) {
        float x = F32(2);
        if (UNLIKELY(x != x)) TRAP(KITE_TRAP_BAD_CONVERSION, "invalid conversion to integer");
        if (UNLIKELY(!(x >= -2147483648.0f && x < 2147483648.0f)))
          TRAP(KITE_TRAP_INT_OVERFLOW, "integer overflow");
        SET_I32(1, (int32_t)x);
        NEXT(3);
      }
      vmcase(OP_I32_TRUNC_F32_U) {
        float x = F32(2);
        if (UNLIKELY(x != x)) TRAP(KITE_TRAP_BAD_CONVERSION, "invalid conversion to integer");
        if (UNLIKELY(!(x > -1.0f && x < 4294967296.0f)))
          TRAP(KITE_TRAP_INT_OVERFLOW, "integer overflow");
        SET_I32(1, (uint32_t)x);
        NEXT(3);
      }
      vmcase(OP_I32_TRUNC_F64_S) {
        double x = F64(2);
        if (UNLIKELY(x != x)) TRAP(KITE_TRAP_BAD_CONVERSION, "invalid conversion to integer");
        if (UNLIKELY(!(x > -2147483649.0 && x < 2147483648.0)))
          TRAP(KITE_TRAP_INT_OVERFLOW, "integer overflow");
        SET_I32(1, (int32_t)x);
        NEXT(3);
      }
      vmcase(OP_I32_TRUNC_F64_U) {
        double x = F64(2);
        if (UNLIKELY(x != x)) TRAP(KITE_TRAP_BAD_CONVERSION, "invalid conversion to integer");
        if (UNLIKELY(!(x > -1.0 && x < 4294967296.0)))
          TRAP(KITE_TRAP_INT_OVERFLOW, "integer overflow");
        SET_I32(1, (uint32_t)x);
        NEXT(3);
      }
      vmcase(OP_I64_EXTEND_I32_S) {
        SET_I64(1, (int64_t)(int32_t)I32(2));
        NEXT(3);
      }
      vmcase(OP_I64_EXTEND_I32_U) {
        SET_I64(1, I32(2));
        NEXT(3);
      }
      vmcase(OP_I64_TRUNC_F32_S) {
        float x = F32(2);
        if (UNLIKELY(x != x)) TRAP(KITE_TRAP_BAD_CONVERSION, "invalid conversion to integer");
        if (UNLIKELY(!(x >= -9223372036854775808.0f && x < 9223372036854775808.0f)))
          TRAP(KITE_TRAP_INT_OVERFLOW, "integer overflow");
        SET_I64(1, (int64_t)x);
        NEXT(3);
      }
      vmcase(OP_I64_TRUNC_F32_U) {
        float x = F32(2);
        if (UNLIKELY(x != x)) TRAP(KITE_TRAP_BAD_CONVERSION, "invalid conversion to integer");
        if (UNLIKELY(!(x > -1.0f && x < 18446744073709551616.0f)))
          TRAP(KITE_TRAP_INT_OVERFLOW, "integer overflow");
        SET_I64(1, (uint64_t)x);
        NEXT(3);
      }
      vmcase(OP_I64_TRUNC_F64_S) {
        double x = F64(2);
        if (UNLIKELY(x != x)) TRAP(KITE_TRAP_BAD_CONVERSION, "invalid conversion to integer");
        if (UNLIKELY(!(x >= -9223372036854775808.0 && x < 9223372036854775808.0)))
          TRAP(KITE_TRAP_INT_OVERFLOW, "integer overflow");
        SET_I64(1, (int64_t)x);
        NEXT(3);
      }
      vmcase(OP_I64_TRUNC_F64_U) {
        double x = F64(2);
        if (UNLIKELY(x != x)) TRAP(KITE_TRAP_BAD_CONVERSION, "invalid conversion to integer");
        if (UNLIKELY(!(x > -1.0 && x < 18446744073709551616.0)))
          TRAP(KITE_TRAP_INT_OVERFLOW, "integer overflow");
        SET_I64(1, (uint64_t)x);
        NEXT(3);
      }
      vmcase(OP_F32_CONVERT_I32_S) {
        SET_F32(1, (float)(int32_t)I32(2));
        NEXT(3);
      }
      vmcase(OP_F32_CONVERT_I32_U) {
        SET_F32(1, (float)I32(2));
        NEXT(3);
      }
      vmcase(OP_F32_CONVERT_I64_S) {
        SET_F32(1, (float)(int64_t)I64(2));
        NEXT(3);
      }
      vmcase(OP_F32_CONVERT_I64_U) {
        SET_F32(1, (float)I64(2));
        NEXT(3);
      }
      vmcase(OP_F32_DEMOTE_F64) {
        SET_F32(1, (float)F64(2));
        NEXT(3);
      }
      vmcase(OP_F64_CONVERT_I32_S) {
        SET_F64(1, (double)(int32_t)I32(2));
        NEXT(3);
      }
      vmcase(OP_F64_CONVERT_I32_U) {
        SET_F64(1, (double)I32(2));
        NEXT(3);
      }
      vmcase(OP_F64_CONVERT_I64_S) {
        SET_F64(1, (double)(int64_t)I64(2));
        NEXT(3);
      }
      vmcase(OP_F64_CONVERT_I64_U) {
        SET_F64(1, (double)I64(2));
        NEXT(3);
      }
      vmcase(OP_F64_PROMOTE_F32) {
        SET_F64(1, (double)F32(2));
        NEXT(3);
      }
      vmcase(OP_I32_REINTERPRET_F32) {
        SET_I32(1, I32(2));
        NEXT(3);
      }
      vmcase(OP_I64_REINTERPRET_F64) {
        SET_I64(1, I64(2));
        NEXT(3);
      }
      vmcase(OP_F32_REINTERPRET_I32) {
        SET_I32(1, I32(2));
        NEXT(3);
      }
      vmcase(OP_F64_REINTERPRET_I64) {
        SET_I64(1, I64(2));
        NEXT(3);
      }

      /* ---- sign extension ---- */
      vmcase(OP_I32_EXTEND8_S) {
        SET_I32(1, (int32_t)(int8_t)I32(2));
        NEXT(3);
      }
      vmcase(OP_I32_EXTEND16_S) {
        SET_I32(1, (int32_t)(int16_t)I32(2));
        NEXT(3);
      }
      vmcase(OP_I64_EXTEND8_S) {
        SET_I64(1, (int64_t)(int8_t)I64(2));
        NEXT(3);
      }
      vmcase(OP_I64_EXTEND16_S) {
        SET_I64(1, (int64_t)(int16_t)I64(2));
        NEXT(3);
      }
      vmcase(OP_I64_EXTEND32_S) {
        SET_I64(1, (int64_t)(int32_t)I64(2));
        NEXT(3);
      }

      /* ---- saturating conversions ---- */
      vmcase(OP_I32_TRUNC_SAT_F32_S) {
        SET_I32(1, sat_i32(F32(2)));
        NEXT(3);
      }
      vmcase(OP_I32_TRUNC_SAT_F32_U) {
        SET_I32(1, sat_u32(F32(2)));
        NEXT(3);
      }
      vmcase(OP_I32_TRUNC_SAT_F64_S) {
        SET_I32(1, sat_i32(F64(2)));
        NEXT(3);
      }
      vmcase(OP_I32_TRUNC_SAT_F64_U) {
        SET_I32(1, sat_u32(F64(2)));
        NEXT(3);
      }
      vmcase(OP_I64_TRUNC_SAT_F32_S) {
        SET_I64(1, sat_i64(F32(2)));
        NEXT(3);
      }
      vmcase(OP_I64_TRUNC_SAT_F32_U) {
        SET_I64(1, sat_u64(F32(2)));
        NEXT(3);
      }
      vmcase(OP_I64_TRUNC_SAT_F64_S) {
        SET_I64(1, sat_i64(F64(2)));
        NEXT(3);
      }
      vmcase(OP_I64_TRUNC_SAT_F64_U) {
        SET_I64(1, sat_u64(F64(2)));
        NEXT(3);
      }

      /* ---- SIMD: lane arithmetic in simd.h, one function per instruction ---- */
      vmcase(OP_I8X16_SWIZZLE) SIMD2(i8x16_swizzle)
      vmcase(OP_I8X16_EQ) SIMD2(i8x16_eq)
      vmcase(OP_I8X16_NE) SIMD2(i8x16_ne)
      vmcase(OP_I8X16_LT_S) SIMD2(i8x16_lt_s)
      vmcase(OP_I8X16_LT_U) SIMD2(i8x16_lt_u)
      vmcase(OP_I8X16_GT_S) SIMD2(i8x16_gt_s)
      vmcase(OP_I8X16_GT_U) SIMD2(i8x16_gt_u)
      vmcase(OP_I8X16_LE_S) SIMD2(i8x16_le_s)
      vmcase(OP_I8X16_LE_U) SIMD2(i8x16_le_u)
      vmcase(OP_I8X16_GE_S) SIMD2(i8x16_ge_s)
      vmcase(OP_I8X16_GE_U) SIMD2(i8x16_ge_u)
      vmcase(OP_I16X8_EQ) SIMD2(i16x8_eq)
      vmcase(OP_I16X8_NE) SIMD2(i16x8_ne)
      vmcase(OP_I16X8_LT_S) SIMD2(i16x8_lt_s)
      vmcase(OP_I16X8_LT_U) SIMD2(i16x8_lt_u)
      vmcase(OP_I16X8_GT_S) SIMD2(i16x8_gt_s)
      vmcase(OP_I16X8_GT_U) SIMD2(i16x8_gt_u)
      vmcase(OP_I16X8_LE_S) SIMD2(i16x8_le_s)
      vmcase(OP_I16X8_LE_U) SIMD2(i16x8_le_u)
      vmcase(OP_I16X8_GE_S) SIMD2(i16x8_ge_s)
      vmcase(OP_I16X8_GE_U) SIMD2(i16x8_ge_u)
      vmcase(OP_I32X4_EQ) SIMD2(i32x4_eq)
      vmcase(OP_I32X4_NE) SIMD2(i32x4_ne)
      vmcase(OP_I32X4_LT_S) SIMD2(i32x4_lt_s)
      vmcase(OP_I32X4_LT_U) SIMD2(i32x4_lt_u)
      vmcase(OP_I32X4_GT_S) SIMD2(i32x4_gt_s)
      vmcase(OP_I32X4_GT_U) SIMD2(i32x4_gt_u)
      vmcase(OP_I32X4_LE_S) SIMD2(i32x4_le_s)
      vmcase(OP_I32X4_LE_U) SIMD2(i32x4_le_u)
      vmcase(OP_I32X4_GE_S) SIMD2(i32x4_ge_s)
      vmcase(OP_I32X4_GE_U) SIMD2(i32x4_ge_u)
      vmcase(OP_I64X2_EQ) SIMD2(i64x2_eq)
      vmcase(OP_I64X2_NE) SIMD2(i64x2_ne)
      vmcase(OP_I64X2_LT_S) SIMD2(i64x2_lt_s)
      vmcase(OP_I64X2_GT_S) SIMD2(i64x2_gt_s)
      vmcase(OP_I64X2_LE_S) SIMD2(i64x2_le_s)
      vmcase(OP_I64X2_GE_S) SIMD2(i64x2_ge_s)
      vmcase(OP_F32X4_EQ) SIMD2(f32x4_eq)
      vmcase(OP_F32X4_NE) SIMD2(f32x4_ne)
      vmcase(OP_F32X4_LT) SIMD2(f32x4_lt)
      vmcase(OP_F32X4_GT) SIMD2(f32x4_gt)
      vmcase(OP_F32X4_LE) SIMD2(f32x4_le)
      vmcase(OP_F32X4_GE) SIMD2(f32x4_ge)
      vmcase(OP_F64X2_EQ) SIMD2(f64x2_eq)
      vmcase(OP_F64X2_NE) SIMD2(f64x2_ne)
      vmcase(OP_F64X2_LT) SIMD2(f64x2_lt)
      vmcase(OP_F64X2_GT) SIMD2(f64x2_gt)
      vmcase(OP_F64X2_LE) SIMD2(f64x2_le)
      vmcase(OP_F64X2_GE) SIMD2(f64x2_ge)
      vmcase(OP_V128_AND) SIMD2(v128_and)
      vmcase(OP_V128_ANDNOT) SIMD2(v128_andnot)
      vmcase(OP_V128_OR) SIMD2(v128_or)
      vmcase(OP_V128_XOR) SIMD2(v128_xor)
      vmcase(OP_I8X16_NARROW_I16X8_S) SIMD2(i8x16_narrow_i16x8_s)
      vmcase(OP_I8X16_NARROW_I16X8_U) SIMD2(i8x16_narrow_i16x8_u)
      vmcase(OP_I8X16_ADD) SIMD2(i8x16_add)
      vmcase(OP_I8X16_ADD_SAT_S) SIMD2(i8x16_add_sat_s)
      vmcase(OP_I8X16_ADD_SAT_U) SIMD2(i8x16_add_sat_u)
      vmcase(OP_I8X16_SUB) SIMD2(i8x16_sub)
      vmcase(OP_I8X16_SUB_SAT_S) SIMD2(i8x16_sub_sat_s)
      vmcase(OP_I8X16_SUB_SAT_U) SIMD2(i8x16_sub_sat_u)
      vmcase(OP_I8X16_MIN_S) SIMD2(i8x16_min_s)
      vmcase(OP_I8X16_MIN_U) SIMD2(i8x16_min_u)
      vmcase(OP_I8X16_MAX_S) SIMD2(i8x16_max_s)
      vmcase(OP_I8X16_MAX_U) SIMD2(i8x16_max_u)
      vmcase(OP_I8X16_AVGR_U) SIMD2(i8x16_avgr_u)
      vmcase(OP_I16X8_Q15MULR_SAT_S) SIMD2(i16x8_q15mulr_sat_s)
      vmcase(OP_I16X8_NARROW_I32X4_S) SIMD2(i16x8_narrow_i32x4_s)
      vmcase(OP_I16X8_NARROW_I32X4_U) SIMD2(i16x8_narrow_i32x4_u)
      vmcase(OP_I16X8_ADD) SIMD2(i16x8_add)
      vmcase(OP_I16X8_ADD_SAT_S) SIMD2(i16x8_add_sat_s)
      vmcase(OP_I16X8_ADD_SAT_U) SIMD2(i16x8_add_sat_u)
      vmcase(OP_I16X8_SUB) SIMD2(i16x8_sub)
      vmcase(OP_I16X8_SUB_SAT_S) SIMD2(i16x8_sub_sat_s)
      vmcase(OP_I16X8_SUB_SAT_U) SIMD2(i16x8_sub_sat_u)
      vmcase(OP_I16X8_MUL) SIMD2(i16x8_mul)
      vmcase(OP_I16X8_MIN_S) SIMD2(i16x8_min_s)
      vmcase(OP_I16X8_MIN_U) SIMD2(i16x8_min_u)
      vmcase(OP_I16X8_MAX_S) SIMD2(i16x8_max_s)
      vmcase(OP_I16X8_MAX_U) SIMD2(i16x8_max_u)
      vmcase(OP_I16X8_AVGR_U) SIMD2(i16x8_avgr_u)
      vmcase(OP_I16X8_EXTMUL_LOW_I8X16_S) SIMD2(i16x8_extmul_low_i8x16_s)
      vmcase(OP_I16X8_EXTMUL_HIGH_I8X16_S) SIMD2(i16x8_extmul_high_i8x16_s)
      vmcase(OP_I16X8_EXTMUL_LOW_I8X16_U) SIMD2(i16x8_extmul_low_i8x16_u)
      vmcase(OP_I16X8_EXTMUL_HIGH_I8X16_U) SIMD2(i16x8_extmul_high_i8x16_u)
      vmcase(OP_I32X4_ADD) SIMD2(i32x4_add)
      vmcase(OP_I32X4_SUB) SIMD2(i32x4_sub)
      vmcase(OP_I32X4_MUL) SIMD2(i32x4_mul)
      vmcase(OP_I32X4_MIN_S) SIMD2(i32x4_min_s)
      vmcase(OP_I32X4_MIN_U) SIMD2(i32x4_min_u)
      vmcase(OP_I32X4_MAX_S) SIMD2(i32x4_max_s)
      vmcase(OP_I32X4_MAX_U) SIMD2(i32x4_max_u)
      vmcase(OP_I32X4_DOT_I16X8_S) SIMD2(i32x4_dot_i16x8_s)
      vmcase(OP_I32X4_EXTMUL_LOW_I16X8_S) SIMD2(i32x4_extmul_low_i16x8_s)
      vmcase(OP_I32X4_EXTMUL_HIGH_I16X8_S) SIMD2(i32x4_extmul_high_i16x8_s)
      vmcase(OP_I32X4_EXTMUL_LOW_I16X8_U) SIMD2(i32x4_extmul_low_i16x8_u)
      vmcase(OP_I32X4_EXTMUL_HIGH_I16X8_U) SIMD2(i32x4_extmul_high_i16x8_u)
      vmcase(OP_I64X2_ADD) SIMD2(i64x2_add)
      vmcase(OP_I64X2_SUB) SIMD2(i64x2_sub)
      vmcase(OP_I64X2_MUL) SIMD2(i64x2_mul)
      vmcase(OP_I64X2_EXTMUL_LOW_I32X4_S) SIMD2(i64x2_extmul_low_i32x4_s)
      vmcase(OP_I64X2_EXTMUL_HIGH_I32X4_S) SIMD2(i64x2_extmul_high_i32x4_s)
      vmcase(OP_I64X2_EXTMUL_LOW_I32X4_U) SIMD2(i64x2_extmul_low_i32x4_u)
      vmcase(OP_I64X2_EXTMUL_HIGH_I32X4_U) SIMD2(i64x2_extmul_high_i32x4_u)
      vmcase(OP_F32X4_ADD) SIMD2(f32x4_add)
      vmcase(OP_F32X4_SUB) SIMD2(f32x4_sub)
      vmcase(OP_F32X4_MUL) SIMD2(f32x4_mul)
      vmcase(OP_F32X4_DIV) SIMD2(f32x4_div)
      vmcase(OP_F32X4_MIN) SIMD2(f32x4_min)
      vmcase(OP_F32X4_MAX) SIMD2(f32x4_max)
      vmcase(OP_F32X4_PMIN) SIMD2(f32x4_pmin)
      vmcase(OP_F32X4_PMAX) SIMD2(f32x4_pmax)
      vmcase(OP_F64X2_ADD) SIMD2(f64x2_add)
      vmcase(OP_F64X2_SUB) SIMD2(f64x2_sub)
      vmcase(OP_F64X2_MUL) SIMD2(f64x2_mul)
      vmcase(OP_F64X2_DIV) SIMD2(f64x2_div)
      vmcase(OP_F64X2_MIN) SIMD2(f64x2_min)
      vmcase(OP_F64X2_MAX) SIMD2(f64x2_max)
      vmcase(OP_F64X2_PMIN) SIMD2(f64x2_pmin)
      vmcase(OP_F64X2_PMAX) SIMD2(f64x2_pmax)
      vmcase(OP_V128_NOT) SIMD1(v128_not)
      vmcase(OP_F32X4_DEMOTE_F64X2_ZERO) SIMD1(f32x4_demote_f64x2_zero)
      vmcase(OP_F64X2_PROMOTE_LOW_F32X4) SIMD1(f64x2_promote_low_f32x4)
      vmcase(OP_I8X16_ABS) SIMD1(i8x16_abs)
      vmcase(OP_I8X16_NEG) SIMD1(i8x16_neg)
      vmcase(OP_I8X16_POPCNT) SIMD1(i8x16_popcnt)
      vmcase(OP_F32X4_CEIL) SIMD1(f32x4_ceil)
      vmcase(OP_F32X4_FLOOR) SIMD1(f32x4_floor)
      vmcase(OP_F32X4_TRUNC) SIMD1(f32x4_trunc)
      vmcase(OP_F32X4_NEAREST) SIMD1(f32x4_nearest)
      vmcase(OP_F64X2_CEIL) SIMD1(f64x2_ceil)
      vmcase(OP_F64X2_FLOOR) SIMD1(f64x2_floor)
      vmcase(OP_F64X2_TRUNC) SIMD1(f64x2_trunc)
      vmcase(OP_F64X2_NEAREST) SIMD1(f64x2_nearest)
      vmcase(OP_I16X8_EXTADD_PAIRWISE_I8X16_S) SIMD1(i16x8_extadd_pairwise_i8x16_s)
      vmcase(OP_I16X8_EXTADD_PAIRWISE_I8X16_U) SIMD1(i16x8_extadd_pairwise_i8x16_u)
      vmcase(OP_I32X4_EXTADD_PAIRWISE_I16X8_S) SIMD1(i32x4_extadd_pairwise_i16x8_s)
      vmcase(OP_I32X4_EXTADD_PAIRWISE_I16X8_U) SIMD1(i32x4_extadd_pairwise_i16x8_u)
      vmcase(OP_I16X8_ABS) SIMD1(i16x8_abs)
      vmcase(OP_I16X8_NEG) SIMD1(i16x8_neg)
      vmcase(OP_I16X8_EXTEND_LOW_I8X16_S) SIMD1(i16x8_extend_low_i8x16_s)
      vmcase(OP_I16X8_EXTEND_HIGH_I8X16_S) SIMD1(i16x8_extend_high_i8x16_s)
      vmcase(OP_I16X8_EXTEND_LOW_I8X16_U) SIMD1(i16x8_extend_low_i8x16_u)
      vmcase(OP_I16X8_EXTEND_HIGH_I8X16_U) SIMD1(i16x8_extend_high_i8x16_u)
      vmcase(OP_I32X4_ABS) SIMD1(i32x4_abs)
      vmcase(OP_I32X4_NEG) SIMD1(i32x4_neg)
      vmcase(OP_I32X4_EXTEND_LOW_I16X8_S) SIMD1(i32x4_extend_low_i16x8_s)
      vmcase(OP_I32X4_EXTEND_HIGH_I16X8_S) SIMD1(i32x4_extend_high_i16x8_s)
      vmcase(OP_I32X4_EXTEND_LOW_I16X8_U) SIMD1(i32x4_extend_low_i16x8_u)
      vmcase(OP_I32X4_EXTEND_HIGH_I16X8_U) SIMD1(i32x4_extend_high_i16x8_u)
      vmcase(OP_I64X2_ABS) SIMD1(i64x2_abs)
      vmcase(OP_I64X2_NEG) SIMD1(i64x2_neg)
      vmcase(OP_I64X2_EXTEND_LOW_I32X4_S) SIMD1(i64x2_extend_low_i32x4_s)
      vmcase(OP_I64X2_EXTEND_HIGH_I32X4_S) SIMD1(i64x2_extend_high_i32x4_s)
      vmcase(OP_I64X2_EXTEND_LOW_I32X4_U) SIMD1(i64x2_extend_low_i32x4_u)
      vmcase(OP_I64X2_EXTEND_HIGH_I32X4_U) SIMD1(i64x2_extend_high_i32x4_u)
      vmcase(OP_F32X4_ABS) SIMD1(f32x4_abs)
      vmcase(OP_F32X4_NEG) SIMD1(f32x4_neg)
      vmcase(OP_F32X4_SQRT) SIMD1(f32x4_sqrt)
      vmcase(OP_F64X2_ABS) SIMD1(f64x2_abs)
      vmcase(OP_F64X2_NEG) SIMD1(f64x2_neg)
      vmcase(OP_F64X2_SQRT) SIMD1(f64x2_sqrt)
      vmcase(OP_I32X4_TRUNC_SAT_F32X4_S) SIMD1(i32x4_trunc_sat_f32x4_s)
      vmcase(OP_I32X4_TRUNC_SAT_F32X4_U) SIMD1(i32x4_trunc_sat_f32x4_u)
      vmcase(OP_F32X4_CONVERT_I32X4_S) SIMD1(f32x4_convert_i32x4_s)
      vmcase(OP_F32X4_CONVERT_I32X4_U) SIMD1(f32x4_convert_i32x4_u)
      vmcase(OP_I32X4_TRUNC_SAT_F64X2_S_ZERO) SIMD1(i32x4_trunc_sat_f64x2_s_zero)
      vmcase(OP_I32X4_TRUNC_SAT_F64X2_U_ZERO) SIMD1(i32x4_trunc_sat_f64x2_u_zero)
      vmcase(OP_F64X2_CONVERT_LOW_I32X4_S) SIMD1(f64x2_convert_low_i32x4_s)
      vmcase(OP_F64X2_CONVERT_LOW_I32X4_U) SIMD1(f64x2_convert_low_i32x4_u)
      vmcase(OP_I8X16_SHL) SIMD_SHIFT(i8x16_shl)
      vmcase(OP_I8X16_SHR_S) SIMD_SHIFT(i8x16_shr_s)
      vmcase(OP_I8X16_SHR_U) SIMD_SHIFT(i8x16_shr_u)
      vmcase(OP_I16X8_SHL) SIMD_SHIFT(i16x8_shl)
      vmcase(OP_I16X8_SHR_S) SIMD_SHIFT(i16x8_shr_s)
      vmcase(OP_I16X8_SHR_U) SIMD_SHIFT(i16x8_shr_u)
      vmcase(OP_I32X4_SHL) SIMD_SHIFT(i32x4_shl)
      vmcase(OP_I32X4_SHR_S) SIMD_SHIFT(i32x4_shr_s)
      vmcase(OP_I32X4_SHR_U) SIMD_SHIFT(i32x4_shr_u)
      vmcase(OP_I64X2_SHL) SIMD_SHIFT(i64x2_shl)
      vmcase(OP_I64X2_SHR_S) SIMD_SHIFT(i64x2_shr_s)
      vmcase(OP_I64X2_SHR_U) SIMD_SHIFT(i64x2_shr_u)
      vmcase(OP_V128_ANY_TRUE) SIMD_TO_I32(v128_any_true)
      vmcase(OP_I8X16_ALL_TRUE) SIMD_TO_I32(i8x16_all_true)
      vmcase(OP_I8X16_BITMASK) SIMD_TO_I32(i8x16_bitmask)
      vmcase(OP_I16X8_ALL_TRUE) SIMD_TO_I32(i16x8_all_true)
      vmcase(OP_I16X8_BITMASK) SIMD_TO_I32(i16x8_bitmask)
      vmcase(OP_I32X4_ALL_TRUE) SIMD_TO_I32(i32x4_all_true)
      vmcase(OP_I32X4_BITMASK) SIMD_TO_I32(i32x4_bitmask)
      vmcase(OP_I64X2_ALL_TRUE) SIMD_TO_I32(i64x2_all_true)
      vmcase(OP_I64X2_BITMASK) SIMD_TO_I32(i64x2_bitmask)

      vmcase(OP_V128_BITSELECT) {
        VLOAD(2, a_);
        VLOAD(3, b_);
        VLOAD(4, c_);
        v128_bitselect(&a_, &a_, &b_, &c_);
        VSTORE(1, a_);
        NEXT(5);
      }
      vmcase(OP_I8X16_SHUFFLE) {
        VLOAD(2, a_);
        VLOAD(3, b_);
        i8x16_shuffle(&r_, &a_, &b_, &W(4));
        VSTORE(1, r_);
        NEXT(8);
      }
      vmcase(OP_I8X16_SPLAT) {
        i8x16_splat(&r_, I32(2));
        VSTORE(1, r_);
        NEXT(3);
      }
      vmcase(OP_I16X8_SPLAT) {
        i16x8_splat(&r_, I32(2));
        VSTORE(1, r_);
        NEXT(3);
      }
      vmcase(OP_I32X4_SPLAT) vmcase(OP_F32X4_SPLAT) {
        i32x4_splat(&r_, I32(2));
        VSTORE(1, r_);
        NEXT(3);
      }
      vmcase(OP_I64X2_SPLAT) vmcase(OP_F64X2_SPLAT) {
        i64x2_splat(&r_, I64(2));
        VSTORE(1, r_);
        NEXT(3);
      }
      vmcase(OP_I8X16_EXTRACT_LANE_S) {
        VLOAD(2, a_);
        SET_I32(1, (int32_t)a_.i8[W(3) & 15]);
        NEXT(4);
      }
      vmcase(OP_I8X16_EXTRACT_LANE_U) {
        VLOAD(2, a_);
        SET_I32(1, a_.u8[W(3) & 15]);
        NEXT(4);
      }
      vmcase(OP_I16X8_EXTRACT_LANE_S) {
        VLOAD(2, a_);
        SET_I32(1, (int32_t)a_.i16[W(3) & 7]);
        NEXT(4);
      }
      vmcase(OP_I16X8_EXTRACT_LANE_U) {
        VLOAD(2, a_);
        SET_I32(1, a_.u16[W(3) & 7]);
        NEXT(4);
      }
      vmcase(OP_I32X4_EXTRACT_LANE) vmcase(OP_F32X4_EXTRACT_LANE) {
        VLOAD(2, a_);
        SET_I32(1, a_.u32[W(3) & 3]);
        NEXT(4);
      }
      vmcase(OP_I64X2_EXTRACT_LANE) vmcase(OP_F64X2_EXTRACT_LANE) {
        VLOAD(2, a_);
        SET_I64(1, a_.u64[W(3) & 1]);
        NEXT(4);
      }
      vmcase(OP_I8X16_REPLACE_LANE) {
        VLOAD(2, a_);
        a_.u8[W(4) & 15] = (uint8_t)I32(3);
        VSTORE(1, a_);
        NEXT(5);
      }
      vmcase(OP_I16X8_REPLACE_LANE) {
        VLOAD(2, a_);
        a_.u16[W(4) & 7] = (uint16_t)I32(3);
        VSTORE(1, a_);
        NEXT(5);
      }
      vmcase(OP_I32X4_REPLACE_LANE) vmcase(OP_F32X4_REPLACE_LANE) {
        VLOAD(2, a_);
        a_.u32[W(4) & 3] = I32(3);
        VSTORE(1, a_);
        NEXT(5);
      }
      vmcase(OP_I64X2_REPLACE_LANE) vmcase(OP_F64X2_REPLACE_LANE) {
        VLOAD(2, a_);
        a_.u64[W(4) & 1] = I64(3);
        VSTORE(1, a_);
        NEXT(5);
      }

      /* ---- relaxed SIMD: the deterministic choice of each (the non-relaxed result) ---- */
      vmcase(OP_I8X16_RELAXED_SWIZZLE) SIMD2(i8x16_swizzle)
      vmcase(OP_I32X4_RELAXED_TRUNC_F32X4_S) SIMD1(i32x4_trunc_sat_f32x4_s)
      vmcase(OP_I32X4_RELAXED_TRUNC_F32X4_U) SIMD1(i32x4_trunc_sat_f32x4_u)
      vmcase(OP_I32X4_RELAXED_TRUNC_F64X2_S_ZERO) SIMD1(i32x4_trunc_sat_f64x2_s_zero)
      vmcase(OP_I32X4_RELAXED_TRUNC_F64X2_U_ZERO) SIMD1(i32x4_trunc_sat_f64x2_u_zero)
      vmcase(OP_F32X4_RELAXED_MADD) SIMD3(f32x4_relaxed_madd)
      vmcase(OP_F32X4_RELAXED_NMADD) SIMD3(f32x4_relaxed_nmadd)
      vmcase(OP_F64X2_RELAXED_MADD) SIMD3(f64x2_relaxed_madd)
      vmcase(OP_F64X2_RELAXED_NMADD) SIMD3(f64x2_relaxed_nmadd)
      vmcase(OP_I8X16_RELAXED_LANESELECT) vmcase(OP_I16X8_RELAXED_LANESELECT)
          vmcase(OP_I32X4_RELAXED_LANESELECT) vmcase(OP_I64X2_RELAXED_LANESELECT)
              SIMD3(v128_bitselect)
      vmcase(OP_F32X4_RELAXED_MIN) SIMD2(f32x4_min)
      vmcase(OP_F32X4_RELAXED_MAX) SIMD2(f32x4_max)
      vmcase(OP_F64X2_RELAXED_MIN) SIMD2(f64x2_min)
      vmcase(OP_F64X2_RELAXED_MAX) SIMD2(f64x2_max)
      vmcase(OP_I16X8_RELAXED_Q15MULR_S) SIMD2(i16x8_q15mulr_sat_s)
      vmcase(OP_I16X8_RELAXED_DOT_I8X16_I7X16_S) SIMD2(i16x8_relaxed_dot_i8x16_i7x16_s)
      vmcase(OP_I32X4_RELAXED_DOT_I8X16_I7X16_ADD_S) SIMD3(i32x4_relaxed_dot_i8x16_i7x16_add_s)

      /* ---- wide arithmetic: two i64 results ---- */
      vmcase(OP_I64_ADD128) {
        uint64_t lo = I64(3) + I64(5);
        uint64_t hi = I64(4) + I64(6) + (lo < I64(3));
        SET_I64(1, lo);
        SET_I64(2, hi);
        NEXT(7);
      }
      vmcase(OP_I64_SUB128) {
        uint64_t lo = I64(3) - I64(5);
        uint64_t hi = I64(4) - I64(6) - (I64(3) < I64(5));
        SET_I64(1, lo);
        SET_I64(2, hi);
        NEXT(7);
      }
      vmcase(OP_I64_MUL_WIDE_S) {
        uint64_t lo, hi;
        mul_wide(I64(3), I64(4), true, &lo, &hi);
        SET_I64(1, lo);
        SET_I64(2, hi);
        NEXT(5);
      }
      vmcase(OP_I64_MUL_WIDE_U) {
        uint64_t lo, hi;
        mul_wide(I64(3), I64(4), false, &lo, &hi);
        SET_I64(1, lo);
        SET_I64(2, hi);
        NEXT(5);
      }

      /* ---- SIMD memory ---- */
      vmcase(OP_V128_LOAD) {
        EA(2, 3, 16);
        memcpy(&S(1), mem + ea, 16);
        NEXT(4);
      }
      vmcase(OP_V128_STORE) {
        EA(1, 3, 16);
        memcpy(mem + ea, &S(2), 16);
        NEXT(4);
      }
      vmcase(OP_V128_LOAD8X8_S) {
        EA(2, 3, 8);
        for (int i = 0; i < 8; i++) r_.i16[i] = (int8_t)mem[ea + i];
        VSTORE(1, r_);
        NEXT(4);
      }
      vmcase(OP_V128_LOAD8X8_U) {
        EA(2, 3, 8);
        for (int i = 0; i < 8; i++) r_.u16[i] = mem[ea + i];
        VSTORE(1, r_);
        NEXT(4);
      }
      vmcase(OP_V128_LOAD16X4_S) {
        EA(2, 3, 8);
        for (int i = 0; i < 4; i++) r_.i32[i] = (int16_t)ld16(mem + ea + 2 * i);
        VSTORE(1, r_);
        NEXT(4);
      }
      vmcase(OP_V128_LOAD16X4_U) {
        EA(2, 3, 8);
        for (int i = 0; i < 4; i++) r_.u32[i] = ld16(mem + ea + 2 * i);
        VSTORE(1, r_);
        NEXT(4);
      }
      vmcase(OP_V128_LOAD32X2_S) {
        EA(2, 3, 8);
        for (int i = 0; i < 2; i++) r_.i64[i] = (int32_t)ld32(mem + ea + 4 * i);
        VSTORE(1, r_);
        NEXT(4);
      }
      vmcase(OP_V128_LOAD32X2_U) {
        EA(2, 3, 8);
        for (int i = 0; i < 2; i++) r_.u64[i] = ld32(mem + ea + 4 * i);
        VSTORE(1, r_);
        NEXT(4);
      }
      vmcase(OP_V128_LOAD8_SPLAT) {
        EA(2, 3, 1);
        memset(r_.u8, mem[ea], 16);
        VSTORE(1, r_);
        NEXT(4);
      }
      vmcase(OP_V128_LOAD16_SPLAT) {
        EA(2, 3, 2);
        uint16_t v = ld16(mem + ea);
        for (int i = 0; i < 8; i++) r_.u16[i] = v;
        VSTORE(1, r_);
        NEXT(4);
      }
      vmcase(OP_V128_LOAD32_SPLAT) {
        EA(2, 3, 4);
        uint32_t v = ld32(mem + ea);
        for (int i = 0; i < 4; i++) r_.u32[i] = v;
        VSTORE(1, r_);
        NEXT(4);
      }
      vmcase(OP_V128_LOAD64_SPLAT) {
        EA(2, 3, 8);
        r_.u64[0] = r_.u64[1] = ld64(mem + ea);
        VSTORE(1, r_);
        NEXT(4);
      }
      vmcase(OP_V128_LOAD32_ZERO) {
        EA(2, 3, 4);
        memset(&r_, 0, sizeof r_);
        r_.u32[0] = ld32(mem + ea);
        VSTORE(1, r_);
        NEXT(4);
      }
      vmcase(OP_V128_LOAD64_ZERO) {
        EA(2, 3, 8);
        r_.u64[0] = ld64(mem + ea);
        r_.u64[1] = 0;
        VSTORE(1, r_);
        NEXT(4);
      }
      vmcase(OP_V128_LOAD8_LANE) {
        EA(2, 4, 1);
        VLOAD(3, r_);
        r_.u8[W(5) & 15] = mem[ea];
        VSTORE(1, r_);
        NEXT(6);
      }
      vmcase(OP_V128_LOAD16_LANE) {
        EA(2, 4, 2);
        VLOAD(3, r_);
        r_.u16[W(5) & 7] = ld16(mem + ea);
        VSTORE(1, r_);
        NEXT(6);
      }
      vmcase(OP_V128_LOAD32_LANE) {
        EA(2, 4, 4);
        VLOAD(3, r_);
        r_.u32[W(5) & 3] = ld32(mem + ea);
        VSTORE(1, r_);
        NEXT(6);
      }
      vmcase(OP_V128_LOAD64_LANE) {
        EA(2, 4, 8);
        VLOAD(3, r_);
        r_.u64[W(5) & 1] = ld64(mem + ea);
        VSTORE(1, r_);
        NEXT(6);
      }
      vmcase(OP_V128_STORE8_LANE) {
        EA(1, 3, 1);
        VLOAD(2, a_);
        mem[ea] = a_.u8[W(4) & 15];
        NEXT(5);
      }
      vmcase(OP_V128_STORE16_LANE) {
        EA(1, 3, 2);
        VLOAD(2, a_);
        st16(mem + ea, a_.u16[W(4) & 7]);
        NEXT(5);
      }
      vmcase(OP_V128_STORE32_LANE) {
        EA(1, 3, 4);
        VLOAD(2, a_);
        st32(mem + ea, a_.u32[W(4) & 3]);
        NEXT(5);
      }
      vmcase(OP_V128_STORE64_LANE) {
        EA(1, 3, 8);
        VLOAD(2, a_);
        st64(mem + ea, a_.u64[W(4) & 1]);
        NEXT(5);
      }

      /* An i32 add or and with a loaded word or byte (lower.c, fuse_load_op). */
      vmcase(XOP_I32_LOAD_ADD) {
        EA_INDEXED(3, 4, 5);
        SET_I32(1, I32(2) + ld32(mem + ea));
        NEXT(6);
      }
      vmcase(XOP_I32_LOAD_AND) {
        EA_INDEXED(3, 4, 5);
        SET_I32(1, I32(2) & ld32(mem + ea));
        NEXT(6);
      }
      vmcase(XOP_I32_LOAD8U_ADD) {
        EA_INDEXED(3, 4, 5);
        SET_I32(1, I32(2) + mem[ea]);
        NEXT(6);
      }
      vmcase(XOP_I32_LOAD8U_AND) {
        EA_INDEXED(3, 4, 5);
        SET_I32(1, I32(2) & mem[ea]);
        NEXT(6);
      }

      vmcase(XOP_I32_SHR_U_XOR) {
        SET_I32(1, (I32(2) >> (I32(3) & 31)) ^ I32(4));
        NEXT(5);
      }
      vmcase(XOP_I32_SHR_U_AND) {
        SET_I32(1, (I32(2) >> (I32(3) & 31)) & I32(4));
        NEXT(5);
      }
      vmcase(XOP_I64_SHR_U_XOR) {
        SET_I64(1, (I64(2) >> (I64(3) & 63)) ^ I64(4));
        NEXT(5);
      }
      vmcase(XOP_I32_ADD_STORE) {
        uint32_t v = I32(2) + I32(3);
        SET_I32(1, v);
        EA_INDEXED(4, 5, 6);
        st32(mem + ea, v);
        NEXT(7);
      }
      vmcase(XOP_I64_COPY) {
        uint64_t v = ld64(mem + (uint64_t)(uint32_t)(I32(1) + I32(2)) + W(3));
        st64(mem + (uint64_t)(uint32_t)(I32(4) + I32(5)) + W(6), v);
        NEXT(7);
      }

#include "interp_atomic.inc"
#include "interp_eh.inc"
#include "interp_gc.inc"

      /* Instructions the lowering never emits (they become moves, jumps or nothing). */
      vmcase(OP_NOP) vmcase(OP_BLOCK) vmcase(OP_LOOP) vmcase(OP_IF) vmcase(OP_ELSE) vmcase(OP_END)
          vmcase(OP_BR) vmcase(OP_BR_IF) vmcase(OP_BR_TABLE) vmcase(OP_RETURN) vmcase(OP_DROP)
              vmcase(OP_SELECT_T) vmcase(OP_LOCAL_GET) vmcase(OP_LOCAL_SET) vmcase(OP_LOCAL_TEE)
                  vmcase(OP_I32_CONST) vmcase(OP_I64_CONST) vmcase(OP_F32_CONST)
                      vmcase(OP_F64_CONST) vmcase(OP_REF_NULL) vmcase(OP_V128_CONST)
                          vmcase(OP_BR_ON_NULL) vmcase(OP_BR_ON_NON_NULL)
#if KITE_COMPUTED_GOTO
          /* Unused once every feature has its handlers. */
          L_unsupported : __attribute__((unused));
#else
                              default :
#endif
      TRAP(KITE_TRAP_HOST, "unsupported instruction");
    }
  }

do_call:
  /* pc is the return address; callee, base and tail are set. */
  CHARGE_OR_TRAP(pc - 1);
  if (UNLIKELY(depth >= max_depth && !tail)) {
    trap_pc = pc - 1;
    trap_code = KITE_TRAP_STACK_EXHAUSTED;
    trap_msg = "call stack exhausted";
    goto trap;
  }
  if (callee->host) {
    uint64_t *args = fp + base;
    uint32_t saved_sp = s->sp;
    uint32_t n = callee->nslots_params > callee->nslots_results ? callee->nslots_params
                                                                : callee->nslots_results;
    if (UNLIKELY(args + n > stack_end)) {
      trap_pc = pc - 1;
      trap_code = KITE_TRAP_STACK_EXHAUSTED;
      trap_msg = "call stack exhausted";
      goto trap;
    }
    s->sp = (uint32_t)(args + n - s->stack);
    s->depth = depth;
    gctx->lo = NULL; /* a fault in host code is not a wasm trap */
    if (metered) s->fuel = (uint64_t)fuel;
    bool ok = call_host(s, callee, args, err);
    if (metered) fuel = s->fuel > INT64_MAX ? INT64_MAX : (int64_t)s->fuel;
    gctx->fuel = fuel;
    s->sp = saved_sp;
    if (UNLIKELY(!ok)) {
      trap_pc = pc - 1;
      if (err->kind == KITE_ERR_RUNTIME && err->code == KITE_TRAP_EXCEPTION && s->exn) {
        /* A wasm exception came through the host function: unwind from the call (a tail
           call's frame is already gone). */
        kite_error_clear(err);
        if (tail) trap_pc = NULL;
        goto do_throw;
      }
      goto trap;
    }
    if (tail) {
      memmove(fp, args, callee->nslots_results * sizeof *fp);
      goto do_return;
    }
    RELOAD_MEM();
    vmresume;
  }
  {
    kite_xfunc *x = callee->code;
    if (UNLIKELY(!x)) {
      x = kite_exec_code(callee, err);
      if (!x) {
        trap_pc = pc - 1;
        goto trap;
      }
    }
    uint64_t *nfp = tail ? fp : fp + base;
    if (UNLIKELY(nfp + x->nslots > stack_end)) {
      trap_pc = pc - 1;
      trap_code = KITE_TRAP_STACK_EXHAUSTED;
      trap_msg = "call stack exhausted";
      goto trap;
    }
    if (tail) {
      /* The arguments move down to the frame's start; the caller's frame is gone. */
      memmove(fp, fp + base, callee->nslots_params * sizeof *fp);
    } else {
      frames[depth].pc = pc;
      frames[depth].fp = fp;
      frames[depth].func = func;
      depth++;
      fp = nfp;
    }
    gctx->func = callee;
    gctx->depth = depth;
    if (callee->inst != inst) {
      inst = callee->inst;
      RELOAD_MEM();
    }
    func = callee;
    ENTER(x);
    vmresume;
  }

do_return : {
  kite_frame *fr = &frames[--depth];
  if (UNLIKELY(!fr->pc)) {
    s->depth = depth;
    if (metered) s->fuel = (uint64_t)fuel;
    return true;
  }
  pc = fr->pc;
  fp = fr->fp;
  func = fr->func;
  gctx->func = func;
  gctx->depth = depth;
  /* Within one instance the memory cache is current: memory.grow reloads it, and so
     does every host call (the host may grow memory, or call wasm that does). */
  if (func->inst != inst) {
    inst = func->inst;
    RELOAD_MEM();
  }
  vmresume;
}

out_of_budget:
  /* The charge that failed is not paid: out of fuel leaves exactly 0. */
  fuel++;
  trap_msg = kite_trap_message((kite_trap_code)trap_code);
trap:
  if (UNLIKELY(trap_code == KITE_TRAP_MEMORY_OOB) && shared_memory_grew(inst, mem, &memsize)) {
    pc = trap_pc; /* bounds checks come first: the access had no effect yet */
    vmresume;
  }
  if (metered) s->fuel = fuel < 0 ? 0 : (uint64_t)fuel;
  s->depth = record_trace(s, func, trap_pc, depth);
  if (trap_code == KITE_TRAP_STACK_EXHAUSTED || trap_code == KITE_TRAP_OUT_OF_FUEL)
    kite_fail(err, KITE_ERR_EXHAUSTION, trap_code, 0, "%s", trap_msg);
  else if (trap_code == KITE_TRAP_INDIRECT_NULL)
    kite_fail(err, KITE_ERR_RUNTIME, trap_code, 0, "%s %llu", trap_msg,
              (unsigned long long)trap_index);
  else if (trap_code) kite_fail(err, KITE_ERR_RUNTIME, trap_code, 0, "%s", trap_msg);
  return false;
}

bool kite_exec_call(kite_store *s, kite_funcinst *f, uint64_t *slots, kite_error *err) {
  if (f->host) {
    if (s->depth >= s->engine->cfg.max_call_depth)
      return kite_fail(err, KITE_ERR_EXHAUSTION, KITE_TRAP_STACK_EXHAUSTED, 0,
                       "call stack exhausted");
    return call_host(s, f, slots, err);
  }
  if (!ensure_stacks(s, err)) return false;
  kite_xfunc *x = kite_exec_code(f, err);
  if (!x) return false;
  /* Each re-entry from a host function nests one C-level run: bound those separately
     from wasm frames, which cost no C stack. */
  if (s->depth >= s->nframes_cap || s->nesting >= KITE_MAX_NESTING ||
      s->sp + (uint64_t)x->nslots > s->stack_slots)
    return kite_fail(err, KITE_ERR_EXHAUSTION, KITE_TRAP_STACK_EXHAUSTED, 0,
                     "call stack exhausted");
  uint64_t *const fp = s->stack + s->sp;
  memcpy(fp, slots, f->nslots_params * sizeof *fp);
  const uint32_t saved_sp = s->sp, saved_depth = s->depth;
  kite_guard_ctx ctx;
  memset(&ctx, 0, sizeof ctx);
  bool guarded = kite_guard_enter(&ctx);
#if KITE_GUARD_PAGES
  if (guarded && sigsetjmp(ctx.jmp, 0)) {
    /* A load or store hit a guard region (guard.c jumped here). */
    kite_guard_leave(&ctx);
    if (s->engine->cfg.consume_fuel) s->fuel = ctx.fuel < 0 ? 0 : (uint64_t)ctx.fuel;
    record_trace(s, ctx.func, NULL, ctx.depth);
    s->depth = saved_depth;
    s->nesting--;
    s->sp = saved_sp;
    return kite_fail(err, KITE_ERR_RUNTIME, KITE_TRAP_MEMORY_OOB, 0, "out of bounds memory access");
  }
#endif
  s->nesting++;
  bool ok = run(s, f, fp, &ctx, err);
  s->nesting--;
  if (guarded) kite_guard_leave(&ctx);
  s->sp = saved_sp;
  if (ok) memcpy(slots, fp, f->nslots_results * sizeof *fp);
  return ok;
}
