/*
** exec.h: the interpreter. Lowering of validated function bodies to Kite's internal
** register-style code (lazily, per function, published atomically and shared by every
** instance of a module), the interpreter loop, traps and backtraces.
**
** Lowered code is an array of 32-bit words: an opcode (a kite_opcode for the wasm
** instructions kept as they are, or an XOP_* of xops.def) followed by its operands.
** Operands are frame slot indices: a frame is one array of 64-bit slots laid out as
** [parameters][declared locals][constants][temporaries]. Temporaries are the wasm
** operand stack, one home slot per stack position (v128 takes two). local.get and
** constants push no code: they leave a reference to the local's or the constant's slot
** on the lowering's virtual stack; constants are copied into the frame on entry.
*/
#ifndef KITE_EXEC_H
#define KITE_EXEC_H

#include "runtime.h"

/* Guard pages: 64-bit POSIX hosts. */
#if (defined(__unix__) || defined(__APPLE__)) && UINTPTR_MAX > 0xFFFFFFFFu
#define KITE_GUARD_PAGES 1
#else
#define KITE_GUARD_PAGES 0
#endif

/* Bytes a guarded 32-bit memory reserves: any 32-bit address plus any 32-bit offset
   plus the widest access stays inside. */
#define KITE_GUARD_RESERVE (((uint64_t)8 << 30) + 65536)

/* Whether faults in guard regions can become traps here (installs the handler once). */
bool kite_guard_available(void);

enum {
  XOP_FIRST_ = OP_COUNT - 1,
#define KITE_XOP(id) XOP_##id,
#include "xops.def"
#undef KITE_XOP
  XOP_END_
};
#define KITE_XOP_COUNT ((unsigned)XOP_END_)

/*
** Exception handlers of one function (lower_eh.inc), searched by eh.c when an exception
** unwinds through a frame. A handler covers the code of a try_table's body or a legacy
** try's body; among the handlers whose range holds a code position, those of inner
** blocks come first.
*/
#define KITE_XCATCH_ALL UINT32_MAX
#define KITE_XNONE UINT32_MAX
typedef struct kite_xcatch {
  uint32_t tag;    /* tag index; KITE_XCATCH_ALL for catch_all */
  uint32_t dst;    /* first slot of the payload */
  uint32_t exn;    /* slot of the exnref; KITE_XNONE: the clause takes none */
  uint32_t target; /* code index to continue at */
} kite_xcatch;
typedef struct kite_xhandler {
  uint32_t start, end;   /* code range [start, end) */
  uint32_t depth;        /* nesting of its block: the function's body is 0 */
  uint32_t delegate;     /* legacy delegate: depth of the target block; KITE_XNONE */
  uint32_t first, count; /* its clauses in catches[], in order */
} kite_xhandler;
typedef struct kite_xeh {
  uint32_t nhandlers, ncatches;
  kite_xhandler *handlers;
  kite_xcatch *catches;
} kite_xeh;

/* The clause that catches an exception of `tag` thrown at code index `at` of x, run by
   inst; NULL when none of x's handlers does. */
const kite_xcatch *kite_xeh_find(const kite_xeh *eh, uint32_t at, const kite_instance *inst,
                                 const kite_taginst *tag);
void kite_xeh_free(kite_alloc *a, kite_xeh *eh);

#define KITE_INIT_SMALL 8

/* One function's lowered code. Immutable once published. */
typedef struct kite_xfunc {
  uint32_t *code;
  uint32_t ncode;
  uint32_t nslots;      /* frame size in slots */
  uint32_t param_slots; /* slots [0, param_slots) hold the arguments */
  uint32_t zero_end;    /* slots [param_slots, zero_end) are zeroed on entry */
  uint32_t const_base;  /* slots [const_base, const_base + nconsts) get the constants;
                           locals written before any read follow them, uninitialised */
  uint32_t nconsts;
  /* Entry is one copy of init[0, ninit) to slots [init_base, ...): the zeroed locals and
     the constants together, or (many locals) only the constants after a memset of the
     locals. A small template is padded to KITE_INIT_SMALL slots (the frame has room for
     them; the extra zeros land on locals written first or temporaries), so that entry
     is one fixed-size copy; without one, init points to static zeros and ninit is 0. */
  uint32_t init_base, ninit;
  uint64_t *init;
  uint32_t nmap; /* pairs (code index, wasm byte offset), sorted by code index */
  uint32_t *map;
  kite_xeh *eh; /* exception handlers; NULL when there are none */
} kite_xfunc;

/* The lowered code of one module, attached to it (kite_module.ext). */
typedef struct kite_exec_module {
  kite_module_ext ext;
  const kite_module *module;
  uint32_t nfuncs; /* defined functions */
  /* Two variants per function: [0] bounds-checks every access, [1] relies on guard
     pages for 32-bit memories (used by instances whose memories are all guarded).
     Each table is allocated when its variant is first needed. */
  _Atomic(_Atomic(kite_xfunc *) *) funcs[2];
} kite_exec_module;

/* Attach (or find) the module's lowered-code table. NULL on OOM. */
kite_exec_module *kite_exec_module_get(const kite_module *m, kite_error *err);

/* The lowered code of a wasm function instance, lowering it on first use. */
kite_xfunc *kite_exec_code(kite_funcinst *f, kite_error *err);

/* Lower one defined function (lower.c), for guarded memories or not. NULL with *err
   set on OOM or an instruction the interpreter does not support. */
kite_xfunc *kite_lower(const kite_module *m, uint32_t funcidx, bool guarded, kite_alloc *a,
                       kite_error *err);
void kite_xfunc_free(kite_alloc *a, kite_xfunc *x);

/* Whether the interpreter has a handler for a wasm opcode (interp.c). */
bool kite_exec_supports(kite_opcode op);

/* Map a code position of x to the wasm byte offset of its instruction. */
uint32_t kite_xfunc_offset(const kite_xfunc *x, uint32_t code_index);

/* Free the store's interpreter stacks and drop its interrupt word. */
void kite_exec_store_release(kite_store *s);
void kite_exec_interrupt_release(kite_store *s); /* limits.c */

/* Call f with its arguments in slots (slot encoding); results replace them. The
   array must have room for max(parameter slots, result slots). */
bool kite_exec_call(kite_store *s, kite_funcinst *f, uint64_t *slots, kite_error *err);

/* A frame of the interpreter's call stack: the caller's state at a call. A frame with
   pc == NULL marks an entry from the host. */
typedef struct kite_frame {
  const uint32_t *pc;
  uint64_t *fp;
  kite_funcinst *func;
} kite_frame;

#endif
