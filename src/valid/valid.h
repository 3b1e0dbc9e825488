/*
** valid.h: the validator. It checks a decoded module against the specification's
** validation rules (https://webassembly.github.io/spec/core/valid/) for the features
** enabled, in time linear in the module's size.
*/
#ifndef KITE_VALID_H
#define KITE_VALID_H

#include "binary.h"

/*
** Validate a decoded module. Returns true when valid; otherwise sets *err (kind
** KITE_ERR_COMPILE, code KITE_COMPILE_INVALID, or KITE_COMPILE_MALFORMED for the few
** malformations only found while walking code, or KITE_ERR_OOM), with the byte offset
** of the offending instruction or entry and the suite's wording ("type mismatch", ...).
** Scratch memory comes from m->alloc and is released before returning.
*/
bool kite_validate_module(const kite_module *m, kite_features features, kite_error *err);

/*
** The same with a number of threads for function bodies. When the bodies add up to more
** than KITE_PARALLEL_CODE_BYTES (below that, starting a thread in a new process costs
** about what it saves), they are split into contiguous chunks of about equal size,
** validated by up to `threads` threads at once (the calling thread among them), each
** with at least 128 KiB; the result is exactly the serial one, the first error being
** that of the lowest failing function. 0 picks the number of CPUs the process may run on (at most
** KITE_MAX_COMPILE_THREADS); 1 validates on the calling thread only. kite_validate_module
** is this with 0.
*/
#define KITE_PARALLEL_CODE_BYTES (256u * 1024)
#define KITE_MAX_COMPILE_THREADS 8u
bool kite_validate_module_threads(const kite_module *m, kite_features features, uint32_t threads,
                                  kite_error *err);
/* The same, running job(job_arg) on the calling thread once the other threads have
   started on the code (first, when there are none): work of the caller's that does not
   touch what validation reads. It runs when validation gets to the code, so always
   when the module is valid. */
bool kite_validate_module_with(const kite_module *m, kite_features features, uint32_t threads,
                               void (*job)(void *), void *job_arg, kite_error *err);

/*
** Decode and validate in one go: the same module, or the same first error, as
** kite_decode followed by kite_validate_module, in about half the time for code-heavy
** modules: function bodies are read once, by the validator. (The decoder's own walk of
** the bodies, which finds malformed instructions, runs only once something has failed,
** so that a malformation still takes precedence over any validation error.)
*/
kite_module *kite_decode_validate(kite_alloc *a, const uint8_t *bytes, size_t len,
                                  kite_features features, const kite_decode_limits *limits,
                                  kite_error *err);
/* The same for a decoder whose bytes were placed with kite_decoder_buffer (the features
   are the decoder's). Finishes and frees d. */
kite_module *kite_decoder_finish_validate(kite_decoder *d, kite_features features, kite_error *err);
/* Both with the number of validation threads of kite_validate_module_threads. */
kite_module *kite_decode_validate_threads(kite_alloc *a, const uint8_t *bytes, size_t len,
                                          kite_features features, const kite_decode_limits *limits,
                                          uint32_t threads, kite_error *err);
kite_module *kite_decoder_finish_validate_threads(kite_decoder *d, kite_features features,
                                                  uint32_t threads, kite_error *err);

/* Subtyping between value types of one module (the GC rules; for 2.0 modules it is
   reference-type subtyping over func/extern). Comparing two distinct defined types
   computes the module's type identities each time (and answers false when that runs out
   of memory): callers testing many pairs use kite_valtype_sub_canon. */
bool kite_valtype_sub(const kite_module *m, kite_valtype a, kite_valtype b);

/*
** Canonical type identities (iso-recursive type equivalence): out[i] is the smallest
** type index whose recursion group is equivalent to i's, at the same position, so two
** defined types are equal exactly when their entries are. A caller that compares many
** types (linking) computes this once. Returns NULL on OOM (*err set) or when the module
** has no types. Free with kite_free(a, p, m->ntypes * sizeof(uint32_t)).
*/
uint32_t *kite_types_canon(const kite_module *m, kite_alloc *a, kite_error *err);
/* kite_valtype_sub with identities from kite_types_canon (NULL when m has no types):
   no allocation, O(1) per test. */
bool kite_valtype_sub_canon(const kite_module *m, const uint32_t *canon, kite_valtype a,
                            kite_valtype b);

/* ---- internal to src/valid ---- */

/* A control frame of the code validator (the spec appendix's ctrl_frame). */
typedef struct kite_vframe {
  uint16_t op;          /* kite_opcode opening it (OP_BLOCK for the function body), or
                           OP_ELSE / OP_CATCH / OP_CATCH_ALL once in that arm */
  bool unreachable;     /* the rest of the frame is unreachable: the stack is polymorphic */
  bool has_single;      /* results are the single value type `single` */
  uint32_t height;      /* operand stack height at entry */
  uint32_t init_height; /* local-initialisation log height at entry */
  uint32_t nparams, nresults;
  /* The fast path's end check: the frame ends well when the stack is this high and its
     top value has kind single.kind (0 for no result: then the top is the frame's mark);
     0, which no stack height is, when the end needs the full check. */
  uint32_t end_height;
  const kite_valtype *params, *results; /* results unused when has_single */
  kite_valtype single;
} kite_vframe;

/* A single-byte opcode for the fast path: its fixed signature (Sig column) as value type
   kinds, decoded from opcodes.def once per validation (for the features enabled). */
typedef struct kite_vsig {
  uint8_t fast;        /* how the fast path handles the opcode (valid_code.c); 0: it does not */
  uint8_t npop, npush; /* at most 2 and 1 */
  uint8_t align;       /* memory accesses: log2 of the natural alignment */
  uint8_t pop[2];      /* the kinds popped, in stack order: pop[1] alone when npop is 1 */
  uint8_t push;
} kite_vsig;

typedef struct kite_vctx {
  const kite_module *m;
  kite_features f;
  kite_error *err;
  kite_alloc *a;
  uint32_t *canon; /* kite_types_canon, or NULL when there are no types */
  /* Code validation scratch, reused from function to function. The operand stack:
     kinds[i] is the kind (KITE_VT_*) of value i and refs[i] its whole type, kept for
     references only (the fast path handles number types alone, so kinds are enough for
     it); each control frame's values sit above a mark of kind 0 (valid_code.c). kinds
     has one more byte before it, also 0. */
  uint8_t *kinds;
  size_t nvals, kinds_cap;
  kite_valtype *refs;
  size_t refs_cap;
  KITE_VEC(kite_vframe) ctrls;
  KITE_VEC(uint32_t) init_log; /* locals set since frames opened, to undo at their end */
  /* Local i (of a non-defaultable type) is initialised when local_stamp[i] == stamp; a
     new body takes a new stamp, so nothing is cleared per function. */
  uint32_t *local_stamp;
  size_t stamp_cap;
  uint32_t stamp;
  /* Per local group of the body: one past its last local index, for binary search
     (a group may declare 50000 locals in three bytes, so they are never expanded). */
  uint32_t *group_end;
  size_t group_cap;
  /* The fast path for common instructions (valid_code.c): signatures by opcode byte, and
     the kinds of the body's first locals (0xFF for reference types, which it leaves to
     the general path), at most as many as the body has bytes, so filling stays linear. */
  kite_vsig sigs[256];
  const void *fast_handler[256]; /* sigs[byte].fast's handler, as a label address */
  uint8_t *local_kind;
  size_t local_kind_cap;
  uint32_t nlocal_kind;
  /* The kinds of the parameters of param_ft (at most eight), as eight bytes to store at
     once: consecutive bodies often share their type. */
  const kite_functype *param_ft;
  uint64_t param_kinds;
  /* kite_validate_module_with: the caller's job, run once by kite_valid_funcs. */
  void (*job)(void *);
  void *job_arg;
} kite_vctx;

/* valid_types.c */
bool kite_valid_types(kite_vctx *v);
bool kite_valid_valtype(kite_vctx *v, kite_valtype t, uint64_t offset);
bool kite_valid_heaptype(kite_vctx *v, uint32_t ht, uint64_t offset);
bool kite_vt_sub(const kite_vctx *v, kite_valtype a, kite_valtype b);
bool kite_ht_sub(const kite_vctx *v, uint32_t a, uint32_t b);
uint32_t kite_ht_top(const kite_module *m, uint32_t ht);
bool kite_vt_defaultable(kite_valtype t);
bool kite_vt_is_num_or_vec(kite_valtype t);
/* Write a value type's text form ("i32", "funcref", "(ref null 3)") into buf. */
void kite_vt_name(kite_valtype t, char *buf, size_t size);

/*
** valid_code.c. Validate a function body, or a constant expression yielding `want`
** whose global.get may see globals below `nglobals` (and only immutable ones).
*/
bool kite_valid_func(kite_vctx *v, uint32_t funcidx);
bool kite_valid_const_expr(kite_vctx *v, kite_expr e, kite_valtype want, uint32_t nglobals);
void kite_vctx_free_scratch(kite_vctx *v);
/* Prepare the fast path (v->sigs) before the first kite_valid_func. */
void kite_valid_code_init(kite_vctx *v);

/* valid_threads.c. Validate the bodies of functions [first, end) (v prepared by
   kite_valid_code_init), on up to `threads` threads (0: the CPUs available); v->job
   runs meanwhile. */
bool kite_valid_funcs(kite_vctx *v, uint32_t first, uint32_t end, uint32_t threads);

/* Fail with an invalid-module error (the suite's wording). */
bool kite_vfail(kite_vctx *v, uint64_t offset, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
