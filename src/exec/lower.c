/*
** lower.c: lowering a validated function body to Kite's register-style code.
**
** The wasm operand stack becomes a virtual stack of operand descriptors. Each stack
** position owns a home slot in the frame's temporary area; a value is either in its
** home (TEMP), or still in the slot of the local it was read from (LOCAL), or in the
** function's constant pool (CONST). So `local.get` and `*.const` emit nothing, and an
** instruction reads its operands straight from the locals' and constants' slots.
**
** Invariants that keep this correct:
** - Before a local is written, every LOCAL reference to it on the virtual stack is
**   copied to its home (materialised).
** - On entry to a block, loop or if, every LOCAL entry is materialised (a write inside
**   the block may be skipped by a branch, so the copy must happen before the block).
** - At a join point (the end of a block, a loop head, a branch target) values are in
**   the label's home slots: branches and fallthrough move them there.
** - A result written by the last instruction to its home may be redirected to a local
**   by a following local.set/local.tee (the dst word is patched), unless a label or
**   another instruction came between.
** Validation already guaranteed types and stack heights, so nothing is checked twice.
*/
#include <assert.h>

#include "exec.h"

#include "binary.h"

/* The hot helpers are inline with their rare paths (growing an array) out of line. */
#if defined(__GNUC__)
#define LOWER_INLINE __attribute__((always_inline)) inline
#define LOWER_NOINLINE __attribute__((noinline))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define LOWER_INLINE inline
#define LOWER_NOINLINE
#define LIKELY(x) (x)
#endif

enum { W_TEMP, W_LOCAL, W_CONST, W_ADD };

typedef struct opnd {
  uint32_t slot;  /* where the value is now; W_ADD: the first addend */
  uint32_t slot2; /* W_ADD: the second addend */
  uint32_t home;  /* the slot this stack position owns */
  uint8_t where;  /* W_* */
  uint8_t kind;   /* KITE_VT_* */
} opnd;

typedef struct ctl {
  uint16_t kind;    /* OP_BLOCK, OP_LOOP, OP_IF, OP_ELSE; OP_COUNT for the function */
  bool unreachable; /* the rest of the block is dead code */
  uint32_t height;  /* virtual stack entries below the block's parameters */
  uint32_t base;    /* home slot of stack position `height` */
  uint32_t nparams, nresults;
  const kite_valtype *params, *results; /* NULL when `single` holds the one result */
  kite_valtype single;
  uint32_t loop_pc;   /* loop: code index of the head */
  int32_t fixups;     /* forward branches to patch at the end: list head, -1 */
  uint32_t else_at;   /* if: code index of the jump to the else branch; UINT32_MAX */
  uint32_t else_word; /* if: that jump's offset word */
  uint32_t eh_mark, eh_start, eh_end; /* try, try_table: see lower_eh.inc */
} ctl;

typedef struct fixup {
  uint32_t insn, word; /* the jump's first word, and the offset word to patch */
  int32_t next;
} fixup;

#define KITE_MAX_CONSTS 1024
/* Locals beyond this many slots are zeroed by memset on entry rather than copied from
   the frame template (functions with 50,000 locals exist). */
#define KITE_MAX_TEMPLATE_ZEROS 64

typedef struct lower {
  kite_alloc *a;
  kite_error *err;
  const kite_module *m;
  KITE_VEC(uint32_t) code;
  KITE_VEC(opnd) stack;
  KITE_VEC(ctl) ctls;
  KITE_VEC(fixup) fixups;
  KITE_VEC(uint32_t) map;
  /* The constant pool: counted and deduplicated by a first pass over the body, so
     constants sit below the temporaries (a callee's frame, which starts at the
     caller's argument slots, never covers them). */
  uint64_t *consts;
  uint32_t nconsts, const_base;
  uint32_t *const_hash; /* open addressing: index + 1, 0 when empty */
  uint32_t hash_cap;
  uint32_t max_consts; /* the pool's capacity: what the body can hold, at most KITE_MAX_CONSTS */
  uint32_t nlocals;    /* parameters and declared locals */
  uint32_t *local_slot;
  uint8_t *local_kind;
  /* Declared locals whose first access is a local.set of a constant at the function's
     top level: the frame template holds the constant, and that local.set (at wasm
     offset init_at[x]; 0 for none) emits nothing. */
  uint32_t *init_at;
  uint64_t *init_val;
  uint8_t *first; /* per local: FIRST_*, from the prescan */
  /* The arrays above (consts to first) share one allocation. */
  void *scratch;
  size_t scratch_size;
  uint32_t zero_end;  /* end of the locals zeroed on entry (the constants follow) */
  uint32_t local_end; /* first temporary slot */
  uint32_t cur, max;  /* next free home slot; the highest reached */
  bool last_dst_ok;   /* the last instruction wrote one result to last_dst_slot */
  uint32_t last_dst_pos, last_dst_slot;
  uint32_t last_at;    /* first word of the last instruction begun */
  bool last_dst_inner; /* ... the second result of a fused pair: not at word 1 */
  /* The last instruction, when the next one may be fused into it (same straight-line
     code, nothing emitted since): its opcode and its first word. */
  bool fuse_ok;
  uint32_t fuse_op, fuse_at;
  uint32_t fuse_offset; /* its wasm offset (a fused access traps as the access) */
  /* The same for the instruction before it, when both could fuse (loop branches take
     in the additions before their comparison). */
  bool fuse2_ok;
  uint32_t fuse2_op, fuse2_at;
  /* ... and the one before that (a load feeding a funnel shift, see fuse_funnel). */
  bool fuse3_ok;
  uint32_t fuse3_op, fuse3_at;
  /* The last I32_LOAD_FUNNEL_STORE (its first word), when a second may join it. */
  bool lfs_ok;
  uint32_t lfs_at;
  /* Copies to locals not emitted yet (see "pending copies"): pairs dst, src. */
  KITE_VEC(uint32_t) pend;
  uint32_t pend_at; /* the code index when the last one was recorded */
  /* An instruction fused across pend_at (begun before it): the copies go after it. */
  bool pend_dirty;
  uint32_t pend_touched; /* the lowest code index such a fusion changed */
  bool pend_no_patch;    /* recorded since the last instruction began: no redirecting */
  uint32_t offset;       /* wasm offset of the instruction being lowered */
  uint32_t map_last;     /* the wasm offset of the map's last entry */
  bool oom;
  bool unsupported;
  bool guarded; /* 32-bit memories have guard regions: emit unchecked accesses */
  /* Exception handlers (lower_eh.inc). */
  KITE_VEC(kite_xhandler) eh_handlers;
  KITE_VEC(kite_xcatch) eh_catches, eh_pending;
} lower;

/* ---- emitting ---- */

static LOWER_NOINLINE void emit_grow(lower *L, uint32_t w) {
  if (!kite_vec_push(L->a, &L->code, w)) L->oom = true;
}

/* The code is sized from the body up front: growing is rare. */
static LOWER_INLINE void emit(lower *L, uint32_t w) {
  if (LIKELY(L->code.len < L->code.cap)) L->code.data[L->code.len++] = w;
  else emit_grow(L, w);
}

/* An entry (code index, wasm offset) of the offset map. The map stays sorted by code
   index (kite_xfunc_offset searches it): an instruction dropped or taken into a fused
   one loses its entry (map_rewind). */
static LOWER_NOINLINE void map_grow(lower *L, uint32_t at, uint32_t offset) {
  if (!kite_vec_push(L->a, &L->map, at) || !kite_vec_push(L->a, &L->map, offset)) L->oom = true;
}

static inline void map_add(lower *L, uint32_t at, uint32_t offset) {
  if (LIKELY(L->map.len + 2 <= L->map.cap)) {
    L->map.data[L->map.len] = at;
    L->map.data[L->map.len + 1] = offset;
    L->map.len += 2;
  } else {
    map_grow(L, at, offset);
  }
}

/* Drop the map's entries from position len on. */
static void map_truncate(lower *L, size_t len) {
  L->map.len = len;
  L->map_last = len ? L->map.data[len - 1] : UINT32_MAX;
}

/* Drop the entries of code index `at` and later (the code there was undone). */
static void map_rewind(lower *L, uint32_t at) {
  size_t len = L->map.len;
  while (len >= 2 && L->map.data[len - 2] >= at) len -= 2;
  map_truncate(L, len);
}

/* Code from index p on moved up by n: so do the map's entries for it. */
static void map_shift(lower *L, uint32_t p, uint32_t n) {
  for (size_t i = L->map.len; i > 0 && L->map.data[i - 2] >= p; i -= 2) L->map.data[i - 2] += n;
}

/* Start an instruction: remember its wasm offset for backtraces. Inline in the hottest
   callers (value instructions, memory accesses, conditional branches, additions);
   begin elsewhere. */
static LOWER_INLINE uint32_t begin_inline(lower *L, uint32_t op) {
  uint32_t at = (uint32_t)L->code.len;
  if (L->pend_dirty && at > L->pend_touched) { /* the fused one ended: copies may go here */
    L->pend_at = at;
    L->pend_dirty = false;
  }
  L->pend_no_patch = false;
  L->last_at = at;
  L->last_dst_ok = false;
  L->last_dst_inner = false;
  L->fuse3_ok = L->fuse2_ok;
  L->fuse3_op = L->fuse2_op;
  L->fuse3_at = L->fuse2_at;
  L->fuse2_ok = L->fuse_ok;
  L->fuse2_op = L->fuse_op;
  L->fuse2_at = L->fuse_at;
  L->fuse_ok = false;
  if (L->map.len == 0 || L->map_last != L->offset) {
    map_add(L, at, L->offset);
    L->map_last = L->offset;
  }
  emit(L, op);
  return at;
}

static LOWER_NOINLINE uint32_t begin(lower *L, uint32_t op) { return begin_inline(L, op); }

static void emit_src(lower *L, opnd o) { emit(L, o.slot); }

/* Three words with one capacity check. */
static LOWER_INLINE void emit3(lower *L, uint32_t a, uint32_t b, uint32_t c) {
  if (LIKELY(L->code.len + 3 <= L->code.cap)) {
    uint32_t *w = L->code.data + L->code.len;
    w[0] = a;
    w[1] = b;
    w[2] = c;
    L->code.len += 3;
  } else {
    emit(L, a);
    emit(L, b);
    emit(L, c);
  }
}

/* A join point (a label): code after it never fuses with code before it. */
static void join_point(lower *L) {
  L->lfs_ok = false;
  L->last_dst_ok = false;
  L->fuse_ok = false;
  L->fuse2_ok = false;
  L->fuse3_ok = false;
}

/* The last instruction, starting at `at`, wrote its one result, of word dst_pos, to slot
   dst; `op` may have the next instruction fused into it. */
static void wrote_result(lower *L, uint32_t op, uint32_t at, uint32_t dst_pos, uint32_t dst) {
  L->last_dst_ok = true;
  L->last_dst_pos = dst_pos;
  L->last_dst_slot = dst;
  L->last_dst_inner = dst_pos != at + 1;
  L->last_at = at;
  L->fuse_ok = true;
  L->fuse_op = op;
  L->fuse_at = at;
  L->fuse_offset = L->offset;
}

/* Code before pend_at changes (a fusion took it in): the copies wait until the end of
   the instruction being built. */
static void pend_touch(lower *L, uint32_t at) {
  if (L->pend.len && at < L->pend_at) {
    if (!L->pend_dirty || at < L->pend_touched) L->pend_touched = at;
    L->pend_dirty = true;
  }
}

/* Undo the instructions from code index `at` on (to emit a fused one in their place),
   with their entries in the offset map. */
static void rewind_code(lower *L, uint32_t at) {
  pend_touch(L, at);
  L->code.len = at;
  map_rewind(L, at);
  L->fuse_ok = L->fuse2_ok = L->fuse3_ok = false;
}

/* Drop the last instruction (fusable, at fuse_at) to emit a fused one in its place: the
   one before it becomes the last again. */
static void drop_last_insn(lower *L) {
  uint32_t at = L->fuse_at;
  bool prev_ok = L->fuse2_ok;
  rewind_code(L, at);
  L->fuse_ok = prev_ok;
  L->fuse_op = L->fuse2_op;
  L->fuse_at = L->fuse2_at;
}

static uint32_t slots_of_kind(uint8_t kind) { return kind == KITE_VT_V128 ? 2 : 1; }

/*
** Pending copies. A local.set of another local's value (or of a constant) emits nothing
** at first: the copy is recorded, and reads of the destination read the source instead.
** The copies go out as one instruction (MOV, MOV2, MOVN) only when they must: before the
** source is written, and before any control instruction, call or label (where the
** locals must hold their values). So the copies of a loop body that renames its
** variables (SHA-2's a..h) cost one or two dispatches instead of one per pair.
** Invariants: no local is both a destination and a source, destinations are distinct,
** and no code emitted since pend_at reads a destination (reads were redirected) or
** writes a source (that flushes first; a copy into a source goes out with them, last,
** as the moves run in order). So the copies can also go in before any
** instruction emitted since pend_at: a compare that fuses with the branch after it, or
** an instruction whose result a local.set redirects into a source.
*/
#define KITE_MAX_PENDING 32

static bool pend_is_src(const lower *L, uint32_t slot) {
  for (size_t i = 1; i < L->pend.len; i += 2)
    if (L->pend.data[i] == slot) return true;
  return false;
}

/* The slot that holds local slot `slot`'s value now. */
static uint32_t pend_read(const lower *L, uint32_t slot) {
  for (size_t i = 0; i < L->pend.len; i += 2)
    if (L->pend.data[i] == slot) return L->pend.data[i + 1];
  return slot;
}

/* The local at `slot` is being written: its own pending copy is void. */
static void pend_drop_dst(lower *L, uint32_t slot) {
  for (size_t i = 0; i < L->pend.len; i += 2) {
    if (L->pend.data[i] == slot) {
      L->pend.data[i] = L->pend.data[L->pend.len - 2];
      L->pend.data[i + 1] = L->pend.data[L->pend.len - 1];
      L->pend.len -= 2;
      return;
    }
  }
}

/* Insert n words at code index p (an instruction boundary at or after pend_at, with no
   branch or label after it), moving the instructions after p up. Those keep their
   fusion state; anything before p can no longer fuse with what follows. */
static void insert_code(lower *L, uint32_t p, const uint32_t *words, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) emit(L, 0);
  if (L->oom) return;
  uint32_t *w = L->code.data;
  memmove(w + p + n, w + p, (L->code.len - n - p) * sizeof *w);
  memcpy(w + p, words, n * sizeof *w);
  map_shift(L, p, n);
  if (L->fuse_ok && L->fuse_at >= p) L->fuse_at += n;
  else L->fuse_ok = false;
  if (L->fuse2_ok && L->fuse2_at >= p) L->fuse2_at += n;
  else L->fuse2_ok = false;
  if (L->fuse3_ok && L->fuse3_at >= p) L->fuse3_at += n;
  else L->fuse3_ok = false;
  if (L->last_dst_ok && L->last_dst_pos >= p) L->last_dst_pos += n;
  else L->last_dst_ok = false;
  if (L->last_at >= p) L->last_at += n;
  L->lfs_ok = false;
}

/* Emit the pending copies at code index p (the end of the code: appended). */
static void pend_flush_at(lower *L, uint32_t p) {
  uint32_t n = (uint32_t)L->pend.len / 2;
  if (!n) return;
  L->pend.len = 0;
  if (L->pend_dirty) p = (uint32_t)L->code.len;
  else if (p < L->pend_at) p = L->pend_at;
  L->pend_dirty = false;
  uint32_t words[2 + 2 * KITE_MAX_PENDING], len = 0;
  if (p == L->code.len) {
    begin(L, n == 1 ? XOP_MOV : n == 2 ? XOP_MOV2 : XOP_MOVN);
    if (n > 2) emit(L, n);
    for (uint32_t i = 0; i < 2 * n; i++) emit(L, L->pend.data[i]);
    return;
  }
  words[len++] = n == 1 ? XOP_MOV : n == 2 ? XOP_MOV2 : XOP_MOVN;
  if (n > 2) words[len++] = n;
  for (uint32_t i = 0; i < 2 * n; i++) words[len++] = L->pend.data[i];
  insert_code(L, p, words, len);
}

static void pend_flush(lower *L) { pend_flush_at(L, (uint32_t)L->code.len); }

/* Flush before a conditional branch: ahead of the instructions that may fuse into it
   (a comparison, an i32.and before an i32.eqz, the additions a loop branch takes in). */
static void pend_flush_before_branch(lower *L) {
  if (!L->pend.len) return;
  uint32_t p = (uint32_t)L->code.len;
  if (L->fuse_ok) p = L->fuse_at;
  if (L->fuse_ok && L->fuse2_ok && L->fuse2_at < p) p = L->fuse2_at;
  pend_flush_at(L, p);
}

/* Record the copy dst <- src (src not a destination, dst not a source). */
static void pend_record(lower *L, uint32_t dst, uint32_t src) {
  if (L->pend.len >= 2 * KITE_MAX_PENDING) pend_flush(L); /* lookups stay short */
  if (!kite_vec_push(L->a, &L->pend, dst) || !kite_vec_push(L->a, &L->pend, src)) {
    L->oom = true;
    return;
  }
  /* No later local.set redirects an earlier result: code before pend_at stays before
     the copies, which may read that local. Fusing across is fine (pend_touch). */
  L->pend_at = (uint32_t)L->code.len;
  L->pend_dirty = false;
  L->pend_no_patch = true;
}

/* ---- the virtual stack ---- */

static LOWER_NOINLINE opnd *push_grow(lower *L, opnd o) {
  if (!kite_vec_push(L->a, &L->stack, o)) {
    L->oom = true;
    return NULL;
  }
  return &L->stack.data[L->stack.len - 1];
}

static LOWER_INLINE opnd *push(lower *L, uint8_t where, uint32_t slot, uint8_t kind) {
  opnd o = {slot, 0, L->cur, where, kind};
  if (where == W_TEMP) o.slot = o.home;
  L->cur += slots_of_kind(kind);
  if (L->cur > L->max) L->max = L->cur;
  if (!LIKELY(L->stack.len < L->stack.cap)) return push_grow(L, o);
  L->stack.data[L->stack.len] = o;
  return &L->stack.data[L->stack.len++];
}

static inline uint32_t push_temp(lower *L, uint8_t kind) {
  opnd *o = push(L, W_TEMP, 0, kind);
  return o ? o->home : 0;
}

/* Pop the top entry as it is, possibly a deferred addition (W_ADD). */
static inline opnd pop_raw(lower *L) {
  opnd o = L->stack.data[--L->stack.len];
  L->cur = o.home;
  return o;
}

static void materialize(lower *L, size_t i);

/* Whether the entry reads local slot `slot` (so it must be copied before the local changes). */
static bool reads_local(const opnd *o, uint32_t slot) {
  return (o->where == W_LOCAL && o->slot == slot) ||
         (o->where == W_ADD && (o->slot == slot || o->slot2 == slot));
}

/* Pop the top value, in a slot. */
static inline opnd pop(lower *L) {
  if (L->stack.data[L->stack.len - 1].where == W_ADD) materialize(L, L->stack.len - 1);
  return pop_raw(L);
}

static void truncate_stack(lower *L, uint32_t height) {
  if (L->stack.len > height) {
    L->cur = L->stack.data[height].home;
    L->stack.len = height;
  }
}

static void emit_add(lower *L, uint32_t dst, uint32_t a, uint32_t b);
static bool fuse_load_op(lower *L, uint32_t op, opnd a, opnd b, uint32_t dst);

static void emit_mov(lower *L, uint32_t dst, opnd src) {
  if (src.where == W_ADD) {
    emit_add(L, dst, src.slot, src.slot2);
    return;
  }
  if (src.kind != KITE_VT_V128 && L->fuse_ok && L->fuse_op == XOP_MOV) {
    /* Two moves in a row (copies between locals, results to a label's homes): one
       instruction, done in order. */
    uint32_t at = L->fuse_at;
    pend_touch(L, at);
    L->code.data[at] = XOP_MOV2;
    emit(L, dst);
    emit_src(L, src);
    wrote_result(L, XOP_MOV2, at, at + 3, dst);
    return;
  }
  uint32_t at = begin(L, src.kind == KITE_VT_V128 ? XOP_MOV128 : XOP_MOV);
  emit(L, dst);
  emit_src(L, src);
  if (src.kind != KITE_VT_V128) wrote_result(L, XOP_MOV, at, at + 1, dst);
}

static void materialize(lower *L, size_t i) {
  opnd *o = &L->stack.data[i];
  if (o->where == W_TEMP) return;
  opnd src = *o;
  emit_mov(L, src.home, src);
  o = &L->stack.data[i];
  o->where = W_TEMP;
  o->slot = o->home;
}

/* ---- reading instructions ---- */

/*
** The main pass reads the instructions it does not lower straight from their bytes, from
** a body the validator has already checked, through kite_read_insn_common: a field of
** another immediate kind keeps what an earlier instruction left in it, and nothing
** reads it (every use is behind the opcode's own kind). The rest goes to kite_read_insn,
** which fills the whole kite_insn.
*/
static LOWER_INLINE bool read_insn(kite_reader *r, kite_insn *in) {
  return kite_read_insn_common(r, KITE_FEATURES_ALL, in) ||
         kite_read_insn(r, KITE_FEATURES_ALL, in);
}

/*
** The class of each one-byte opcode, for the loops that handle the commonest
** instructions straight from the bytes (prescan and the main pass): derived from
** opcodes.def, with a few instructions of their own. BC_SLOW (prefixes, immediates of
** other shapes, instructions that change the block structure otherwise) goes through
** kite_read_insn.
*/
enum {
  BC_SLOW,
  BC_NONE,        /* no immediate */
  BC_INDEX,       /* one u32 index */
  BC_MEMARG,      /* a memory argument */
  BC_MEMARG_ZERO, /* ... of an access that may fuse with the zero constant as an index */
  BC_BLOCK,       /* block, loop, if, try: a block type */
  BC_END,
  BC_LOCAL_GET,
  BC_LOCAL_SET,
  BC_LOCAL_TEE,
  BC_I32_CONST,
  BC_I64_CONST,
  BC_F32_CONST,
  BC_F64_CONST
};

#define IS_OP(id, name) (OP_##id == OP_##name)
#define BYTE_CLASS(id, imm)                                                                        \
  (IS_OP(id, LOCAL_GET)   ? BC_LOCAL_GET                                                           \
   : IS_OP(id, LOCAL_SET) ? BC_LOCAL_SET                                                           \
   : IS_OP(id, LOCAL_TEE) ? BC_LOCAL_TEE                                                           \
   : IS_OP(id, END)       ? BC_END                                                                 \
   : IS_OP(id, DELEGATE)  ? BC_SLOW                                                                \
   : IS_OP(id, F64_LOAD) || IS_OP(id, I32_LOAD) || IS_OP(id, I32_LOAD8_U) || IS_OP(id, I32_STORE)  \
       ? BC_MEMARG_ZERO                                                                            \
   : (imm) == IMM_MEMARG ? BC_MEMARG                                                               \
   : (imm) == IMM_BLOCK  ? BC_BLOCK                                                                \
   : (imm) == IMM_NONE   ? BC_NONE                                                                 \
   : (imm) == IMM_I32    ? BC_I32_CONST                                                            \
   : (imm) == IMM_I64    ? BC_I64_CONST                                                            \
   : (imm) == IMM_F32    ? BC_F32_CONST                                                            \
   : (imm) == IMM_F64    ? BC_F64_CONST                                                            \
   : (imm) == IMM_LABEL || (imm) == IMM_FUNC || (imm) == IMM_TYPE || (imm) == IMM_GLOBAL ||        \
           (imm) == IMM_TABLE || (imm) == IMM_MEMORY || (imm) == IMM_TAG || (imm) == IMM_DATA ||   \
           (imm) == IMM_ELEM                                                                       \
       ? BC_INDEX                                                                                  \
       : BC_SLOW)

/* Indexed by the opcode byte (prefixed rows land past 255, unused; as kite_byteop_table). */
static const uint8_t byte_class[256 + OP_COUNT] = {
#define KITE_OPCODE(id, text, prefix, code, imm, sig, aux, feat)                                   \
  [(prefix) == 0 ? (code) : 256 + OP_##id] = BYTE_CLASS(id, imm),
#include "opcodes.def"
#undef KITE_OPCODE
};

/* Past a well-formed u32 LEB128 at p; NULL when it runs past end. */
static inline const uint8_t *skip_leb(const uint8_t *p, const uint8_t *end) {
  while (p < end)
    if (!(*p++ & 0x80)) return p;
  return NULL;
}

/* Past a memory argument of memory 0 (no memory index); NULL for anything else. */
static inline const uint8_t *skip_memarg(const uint8_t *p, const uint8_t *end) {
  if (p >= end || *p >= 0x40) return NULL;
  return skip_leb(p + 1, end);
}

/* ---- the constant pool ---- */

static uint32_t hash64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return (uint32_t)x;
}

/* Find (or, when `add`, insert) a constant; returns its index or UINT32_MAX. */
static inline uint32_t const_index(lower *L, uint64_t bits, bool add) {
  if (!L->hash_cap) return UINT32_MAX;
  uint32_t mask = L->hash_cap - 1, h = hash64(bits) & mask;
  for (;;) {
    uint32_t e = L->const_hash[h];
    if (!e) break;
    if (L->consts[e - 1] == bits) return e - 1;
    h = (h + 1) & mask;
  }
  if (!add || L->nconsts >= L->max_consts) return UINT32_MAX;
  L->consts[L->nconsts] = bits;
  L->const_hash[h] = ++L->nconsts;
  return L->nconsts - 1;
}

static void push_const(lower *L, uint64_t bits, uint8_t kind) {
  uint32_t k = const_index(L, bits, false);
  if (k == UINT32_MAX) {
    uint32_t dst = push_temp(L, kind);
    begin(L, XOP_CONST64);
    emit(L, dst);
    emit(L, (uint32_t)bits);
    emit(L, (uint32_t)(bits >> 32));
    return;
  }
  push(L, W_CONST, L->const_base + k, kind);
}

/* A declared local's first access: none, a read (or a write inside a block), a write
   at the top level, or a write of a constant at the top level. */
enum { FIRST_NONE, FIRST_READ, FIRST_WRITE, FIRST_CONST };

/* The state of the first pass. */
typedef struct scan {
  lower *L;
  const uint8_t *base; /* the module's bytes (offsets count from here) */
  uint8_t *first;      /* per local: FIRST_* */
  uint32_t nparams;
  int depth; /* of blocks */
  /* The end of the last scalar constant instruction, and its value: a local.set right
     there sets a constant. */
  const uint8_t *const_end;
  uint64_t const_bits;
} scan;

/* A local.get, local.set or local.tee (bc: BC_LOCAL_*) of local x, starting at p. */
static inline void scan_local(scan *s, uint8_t bc, uint32_t x, const uint8_t *p) {
  if (x < s->nparams || s->first[x]) return;
  if (bc == BC_LOCAL_GET) {
    s->first[x] = FIRST_READ;
  } else if (bc == BC_LOCAL_SET && p == s->const_end && !s->depth) {
    s->first[x] = FIRST_CONST;
    s->L->init_at[x] = (uint32_t)(p - s->base);
    s->L->init_val[x] = s->const_bits;
  } else {
    s->first[x] = s->depth ? FIRST_READ : FIRST_WRITE;
  }
}

/* A scalar constant instruction ending at end. */
static inline void scan_const(scan *s, uint64_t bits, const uint8_t *end) {
  const_index(s->L, bits, true);
  s->const_end = end;
  s->const_bits = bits;
}

/* Any instruction, read by kite_read_insn. */
static bool scan_slow(scan *s, kite_reader *r) {
  kite_insn in;
  const uint8_t *p = r->p;
  if (!kite_read_insn(r, KITE_FEATURES_ALL, &in)) return false;
  switch (in.op) {
  case OP_BLOCK:
  case OP_LOOP:
  case OP_IF:
  case OP_TRY:
  case OP_TRY_TABLE: s->depth++; break;
  case OP_END:
  case OP_DELEGATE: s->depth--; break;
  case OP_LOCAL_GET: scan_local(s, BC_LOCAL_GET, in.idx, p); break;
  case OP_LOCAL_SET: scan_local(s, BC_LOCAL_SET, in.idx, p); break;
  case OP_LOCAL_TEE: scan_local(s, BC_LOCAL_TEE, in.idx, p); break;
  case OP_I32_CONST: scan_const(s, (uint32_t)in.val.i32, r->p); break;
  case OP_I64_CONST: scan_const(s, (uint64_t)in.val.i64, r->p); break;
  case OP_F32_CONST: scan_const(s, in.val.f32, r->p); break;
  case OP_F64_CONST: scan_const(s, in.val.f64, r->p); break;
  case OP_REF_NULL: const_index(s->L, KITE_REF_NULL, true); break;
  case OP_F64_LOAD:
  case OP_I32_LOAD:
  case OP_I32_LOAD8_U:
  case OP_I32_STORE: const_index(s->L, 0, true); break; /* fused accesses' zero index */
  default: break;
  }
  return true;
}

/*
** First pass over the body: the distinct scalar constants, and which declared locals
** are written before anything can read them: those whose first access is a local.set
** or local.tee at the function's top level. Every path to a later read passes through
** that write (structured control cannot jump into the middle of the top level), so
** such locals need no zeroing on entry. The common instructions are skipped straight
** from their bytes (byte_class); the others (and any the fast path cannot read) go
** through scan_slow.
*/
static bool prescan(lower *L, kite_reader r, uint32_t nparams) {
  scan s = {L, r.base, L->first, nparams, 0, NULL, 0};
  const uint8_t *p = r.p, *end = r.end; /* p stays in a register */
  while (p < end) {
    const uint8_t *q = NULL;
    uint64_t v;
    uint8_t bc = byte_class[*p];
    switch (bc) {
    case BC_NONE: q = p + 1; break;
    case BC_INDEX: q = skip_leb(p + 1, end); break;
    case BC_MEMARG: q = skip_memarg(p + 1, end); break;
    case BC_MEMARG_ZERO:
      if ((q = skip_memarg(p + 1, end))) const_index(L, 0, true);
      break;
    case BC_BLOCK:
      if (p + 1 < end && kite_blocktype_is_simple(p[1])) {
        q = p + 2;
        s.depth++;
      }
      break;
    case BC_END:
      q = p + 1;
      s.depth--;
      break;
    case BC_LOCAL_GET:
    case BC_LOCAL_SET:
    case BC_LOCAL_TEE:
      if ((q = kite_leb_fast(p + 1, end, 32, false, &v))) scan_local(&s, bc, (uint32_t)v, p);
      break;
    case BC_I32_CONST:
      if ((q = kite_leb_fast(p + 1, end, 32, true, &v))) scan_const(&s, (uint32_t)v, q);
      break;
    case BC_I64_CONST:
      if ((q = kite_leb_fast(p + 1, end, 64, true, &v))) scan_const(&s, v, q);
      break;
    case BC_F32_CONST:
      if (end - p >= 5) scan_const(&s, kite_load_u32le(p + 1), q = p + 5);
      break;
    case BC_F64_CONST:
      if (end - p >= 9) scan_const(&s, kite_load_u64le(p + 1), q = p + 9);
      break;
    default: break;
    }
    if (q) {
      p = q;
    } else {
      r.p = p;
      if (!scan_slow(&s, &r)) return false;
      p = r.p;
    }
  }
  return true;
}

/* ---- labels and branches ---- */

static const kite_valtype *ctl_params(const ctl *c) { return c->params; }
static const kite_valtype *ctl_results(const ctl *c) {
  return c->results ? c->results : &c->single;
}

/* The values a branch to c carries: a loop's parameters, else its results. */
static uint32_t label_arity(const ctl *c, const kite_valtype **types) {
  if (c->kind == OP_LOOP) {
    *types = ctl_params(c);
    return c->nparams;
  }
  *types = ctl_results(c);
  return c->nresults;
}

static bool label_needs_moves(lower *L, const ctl *c) {
  const kite_valtype *t;
  uint32_t n = label_arity(c, &t), dst = c->base;
  for (uint32_t i = 0; i < n; i++) {
    opnd o = L->stack.data[L->stack.len - n + i];
    if (o.where != W_TEMP || o.home != dst) return true;
    dst += kite_slots_of(t[i]);
  }
  return false;
}

/* Move the top n values of types t into the home slots from c->base on (copying upwards
   is safe: a value's home is never below the home it moves to). */
static void emit_moves_to(lower *L, const ctl *c, const kite_valtype *t, uint32_t n) {
  uint32_t dst = c->base;
  for (uint32_t i = 0; i < n; i++) {
    opnd o = L->stack.data[L->stack.len - n + i];
    if (o.where != W_TEMP || o.home != dst) emit_mov(L, dst, o);
    dst += kite_slots_of(t[i]);
  }
}

/* Whether a value reads a slot below `total` (a local a result move may overwrite). */
static bool reads_result_area(const opnd *o, uint32_t total) {
  return (o->where == W_LOCAL && o->slot < total) ||
         (o->where == W_ADD && (o->slot < total || o->slot2 < total));
}

/* Return: results go to slots 0... A local read that an earlier move would overwrite
   is first copied to its home. The virtual stack is left as it is: a conditional
   return's fallthrough path must not see these copies. */
static void emit_return(lower *L) {
  const ctl *fc = &L->ctls.data[0];
  const kite_valtype *t = ctl_results(fc);
  uint32_t n = fc->nresults, total = 0;
  for (uint32_t i = 0; i < n; i++) total += kite_slots_of(t[i]);
  size_t first = L->stack.len - n;
  bool copied[16] = {false};
  for (uint32_t i = 0; i < n && i < 16; i++) {
    opnd o = L->stack.data[first + i];
    if (reads_result_area(&o, total)) {
      emit_mov(L, o.home, o);
      copied[i] = true;
    }
  }
  if (n == 1 && t[0].kind != KITE_VT_V128) {
    /* The common case: one move and the return in one instruction. */
    opnd o = L->stack.data[first];
    if (o.where == W_ADD && !copied[0]) emit_add(L, o.home, o.slot, o.slot2);
    begin(L, XOP_RETURN1);
    emit(L, o.where == W_ADD ? o.home : o.slot);
    return;
  }
  uint32_t dst = 0;
  for (uint32_t i = 0; i < n; i++) {
    opnd o = L->stack.data[first + i];
    if (i < 16 && copied[i]) {
      o.where = W_TEMP;
      o.slot = o.home;
    } else if (i >= 16 && reads_result_area(&o, total)) {
      L->unsupported = true; /* more than 16 results read from overlapping locals */
    }
    if (o.where != W_TEMP || o.home != dst) emit_mov(L, dst, o);
    dst += kite_slots_of(t[i]);
  }
  begin(L, XOP_RETURN);
}

static void emit_label_moves(lower *L, const ctl *c) {
  const kite_valtype *t;
  uint32_t n = label_arity(c, &t);
  emit_moves_to(L, c, t, n);
}

/* Fallthrough at else/end: the block's results (for a loop, not its branch values). */
static void emit_result_moves(lower *L, const ctl *c) {
  emit_moves_to(L, c, ctl_results(c), c->nresults);
}

static void add_fixup(lower *L, uint32_t depth, uint32_t insn, uint32_t word) {
  ctl *c = &L->ctls.data[depth];
  fixup f = {insn, word, c->fixups};
  if (!kite_vec_push(L->a, &L->fixups, f)) {
    L->oom = true;
    return;
  }
  c->fixups = (int32_t)L->fixups.len - 1;
}

/* The form of a branch instruction that jumps back to a loop head; 0 when it has none
   (its handler then tests the direction, as a branch table's does). */
static uint32_t loop_variant(uint32_t op) {
  switch (op) {
  case XOP_JMP: return XOP_JMP_BACK;
  case XOP_BR_NZ: return XOP_BR_NZ_BACK;
  case XOP_BR_Z: return XOP_BR_Z_BACK;
  case XOP_BR_NULL: return XOP_BR_NULL_BACK;
  case XOP_BR_NON_NULL: return XOP_BR_NON_NULL_BACK;
  case XOP_BR_AND_NZ: return XOP_BR_AND_NZ_BACK;
  case XOP_BR_AND_Z: return XOP_BR_AND_Z_BACK;
  case XOP_BR_I32_EQ: return XOP_BR_I32_EQ_BACK;
  case XOP_BR_I32_NE: return XOP_BR_I32_NE_BACK;
  case XOP_BR_I32_LT_S: return XOP_BR_I32_LT_S_BACK;
  case XOP_BR_I32_LT_U: return XOP_BR_I32_LT_U_BACK;
  case XOP_BR_I32_GT_S: return XOP_BR_I32_GT_S_BACK;
  case XOP_BR_I32_GT_U: return XOP_BR_I32_GT_U_BACK;
  case XOP_BR_I32_LE_S: return XOP_BR_I32_LE_S_BACK;
  case XOP_BR_I32_LE_U: return XOP_BR_I32_LE_U_BACK;
  case XOP_BR_I32_GE_S: return XOP_BR_I32_GE_S_BACK;
  case XOP_BR_I32_GE_U: return XOP_BR_I32_GE_U_BACK;
  case XOP_BR_I64_EQ: return XOP_BR_I64_EQ_BACK;
  case XOP_BR_I64_NE: return XOP_BR_I64_NE_BACK;
  case XOP_BR_I64_LT_S: return XOP_BR_I64_LT_S_BACK;
  case XOP_BR_I64_LT_U: return XOP_BR_I64_LT_U_BACK;
  case XOP_BR_I64_GT_S: return XOP_BR_I64_GT_S_BACK;
  case XOP_BR_I64_GT_U: return XOP_BR_I64_GT_U_BACK;
  case XOP_BR_I64_LE_S: return XOP_BR_I64_LE_S_BACK;
  case XOP_BR_I64_LE_U: return XOP_BR_I64_LE_U_BACK;
  case XOP_BR_I64_GE_S: return XOP_BR_I64_GE_S_BACK;
  case XOP_BR_I64_GE_U: return XOP_BR_I64_GE_U_BACK;
  default: return 0;
  }
}

/* Make the offset word at `word` of the jump starting at `insn` reach label `depth`
   (an index into ctls). */
static void link_jump(lower *L, uint32_t depth, uint32_t insn, uint32_t word) {
  ctl *c = &L->ctls.data[depth];
  if (c->kind == OP_LOOP) {
    L->code.data[word] = c->loop_pc - insn;
    uint32_t back = loop_variant(L->code.data[insn]);
    if (back) L->code.data[insn] = back;
  } else {
    add_fixup(L, depth, insn, word);
  }
}

/* Patch every forward branch to c so it lands at the current end of the code. */
static void resolve_fixups(lower *L, ctl *c) {
  uint32_t here = (uint32_t)L->code.len;
  for (int32_t i = c->fixups; i >= 0; i = L->fixups.data[i].next) {
    fixup f = L->fixups.data[i];
    L->code.data[f.word] = here - f.insn;
  }
  c->fixups = -1;
}

/* An unconditional branch to label `rel` (0: innermost). */
static void emit_br(lower *L, uint32_t rel) {
  uint32_t depth = (uint32_t)L->ctls.len - 1 - rel;
  if (depth == 0) {
    emit_return(L);
    return;
  }
  emit_label_moves(L, &L->ctls.data[depth]);
  uint32_t at = begin(L, XOP_JMP);
  emit(L, 0);
  if (!L->oom) link_jump(L, depth, at, at + 1);
}

/*
** A conditional jump on an i32 condition, taken when the condition is non-zero
** (when_true) or zero. When the condition was computed by a comparison just before
** (and nothing came between), the comparison and the jump become one instruction.
** Returns the jump's first word; its offset is its last word, *off_word.
*/
static uint32_t emit_cond_jump(lower *L, opnd cond, bool when_true, uint32_t *off_word) {
  if (L->last_dst_ok && !L->last_dst_inner && cond.where == W_TEMP &&
      cond.home == L->last_dst_slot) {
    uint32_t at = L->last_dst_pos - 1;
    uint32_t op = L->code.data[at], fused = 0;
    switch (op) {
    case OP_I32_EQ: fused = when_true ? XOP_BR_I32_EQ : XOP_BR_I32_NE; break;
    case OP_I32_NE: fused = when_true ? XOP_BR_I32_NE : XOP_BR_I32_EQ; break;
    case OP_I32_LT_S: fused = when_true ? XOP_BR_I32_LT_S : XOP_BR_I32_GE_S; break;
    case OP_I32_LT_U: fused = when_true ? XOP_BR_I32_LT_U : XOP_BR_I32_GE_U; break;
    case OP_I32_GT_S: fused = when_true ? XOP_BR_I32_GT_S : XOP_BR_I32_LE_S; break;
    case OP_I32_GT_U: fused = when_true ? XOP_BR_I32_GT_U : XOP_BR_I32_LE_U; break;
    case OP_I32_LE_S: fused = when_true ? XOP_BR_I32_LE_S : XOP_BR_I32_GT_S; break;
    case OP_I32_LE_U: fused = when_true ? XOP_BR_I32_LE_U : XOP_BR_I32_GT_U; break;
    case OP_I32_GE_S: fused = when_true ? XOP_BR_I32_GE_S : XOP_BR_I32_LT_S; break;
    case OP_I32_GE_U: fused = when_true ? XOP_BR_I32_GE_U : XOP_BR_I32_LT_U; break;
    case OP_I64_EQ: fused = when_true ? XOP_BR_I64_EQ : XOP_BR_I64_NE; break;
    case OP_I64_NE: fused = when_true ? XOP_BR_I64_NE : XOP_BR_I64_EQ; break;
    case OP_I64_LT_S: fused = when_true ? XOP_BR_I64_LT_S : XOP_BR_I64_GE_S; break;
    case OP_I64_LT_U: fused = when_true ? XOP_BR_I64_LT_U : XOP_BR_I64_GE_U; break;
    case OP_I64_GT_S: fused = when_true ? XOP_BR_I64_GT_S : XOP_BR_I64_LE_S; break;
    case OP_I64_GT_U: fused = when_true ? XOP_BR_I64_GT_U : XOP_BR_I64_LE_U; break;
    case OP_I64_LE_S: fused = when_true ? XOP_BR_I64_LE_S : XOP_BR_I64_GT_S; break;
    case OP_I64_LE_U: fused = when_true ? XOP_BR_I64_LE_U : XOP_BR_I64_GT_U; break;
    case OP_I64_GE_S: fused = when_true ? XOP_BR_I64_GE_S : XOP_BR_I64_LT_S; break;
    case OP_I64_GE_U: fused = when_true ? XOP_BR_I64_GE_U : XOP_BR_I64_LT_U; break;
    case OP_I32_EQZ: fused = when_true ? XOP_BR_Z : XOP_BR_NZ; break;
    case OP_I32_AND: fused = when_true ? XOP_BR_AND_NZ : XOP_BR_AND_Z; break; /* bit tests */
    default: break;
    }
    if (fused) {
      uint32_t a = L->code.data[at + 2], b = op == OP_I32_EQZ ? 0 : L->code.data[at + 3];
      bool two = op != OP_I32_EQZ;
      pend_touch(L, at);
      L->code.len = at; /* drop the comparison, and its map entry: the jump has its own */
      map_rewind(L, at);
      /* The instruction before the comparison is the last again. */
      bool was_last = L->fuse_ok && L->fuse_at == at;
      L->fuse_ok = was_last && L->fuse2_ok;
      L->fuse_op = L->fuse2_op;
      L->fuse_at = L->fuse2_at;
      const uint32_t *w = L->code.data + L->fuse_at;
      if (!two && L->fuse_ok && L->fuse_op == OP_I32_AND && L->fuse_at + 4 == at && w[1] == a &&
          w[1] >= L->local_end) {
        /* i32.eqz of an i32.and into a temporary: a bit test, the and dropped too */
        fused = fused == XOP_BR_Z ? XOP_BR_AND_Z : XOP_BR_AND_NZ;
        a = w[2];
        b = w[3];
        two = true;
        at = L->fuse_at;
        pend_touch(L, at);
        L->code.len = at;
        map_rewind(L, at);
        L->fuse_ok = false;
      }
      begin_inline(L, fused);
      emit(L, a);
      if (two) emit(L, b);
      *off_word = (uint32_t)L->code.len;
      emit(L, 0);
      return at;
    }
  }
  uint32_t at = begin_inline(L, when_true ? XOP_BR_NZ : XOP_BR_Z);
  emit_src(L, cond);
  *off_word = (uint32_t)L->code.len;
  emit(L, 0);
  return at;
}

/* The loop branch form that first does one addition (d a b) or two, then the branch's
   own operands; 0 when there is none. */
static uint32_t loop_branch_with_adds(uint32_t op, bool two) {
  switch (op) {
  case XOP_BR_NZ: return two ? XOP_BR_NZ_BACK_A2 : XOP_BR_NZ_BACK_A1;
  case XOP_BR_I32_EQ: return two ? XOP_BR_I32_EQ_BACK_A2 : XOP_BR_I32_EQ_BACK_A1;
  case XOP_BR_I32_NE: return two ? XOP_BR_I32_NE_BACK_A2 : XOP_BR_I32_NE_BACK_A1;
  case XOP_BR_I32_LT_S: return two ? XOP_BR_I32_LT_S_BACK_A2 : XOP_BR_I32_LT_S_BACK_A1;
  case XOP_BR_I32_LT_U: return two ? XOP_BR_I32_LT_U_BACK_A2 : XOP_BR_I32_LT_U_BACK_A1;
  case XOP_BR_I32_GT_S: return two ? XOP_BR_I32_GT_S_BACK_A2 : XOP_BR_I32_GT_S_BACK_A1;
  case XOP_BR_I32_GT_U: return two ? XOP_BR_I32_GT_U_BACK_A2 : XOP_BR_I32_GT_U_BACK_A1;
  case XOP_BR_I32_LE_S: return two ? XOP_BR_I32_LE_S_BACK_A2 : XOP_BR_I32_LE_S_BACK_A1;
  case XOP_BR_I32_LE_U: return two ? XOP_BR_I32_LE_U_BACK_A2 : XOP_BR_I32_LE_U_BACK_A1;
  case XOP_BR_I32_GE_S: return two ? XOP_BR_I32_GE_S_BACK_A2 : XOP_BR_I32_GE_S_BACK_A1;
  case XOP_BR_I32_GE_U: return two ? XOP_BR_I32_GE_U_BACK_A2 : XOP_BR_I32_GE_U_BACK_A1;
  default: return 0;
  }
}

/*
** A loop's closing branch (a conditional jump at `at` back to the loop head) takes in
** the one or two additions right before it (the counters' increments): one instruction
** per iteration instead of two. Returns the (possibly moved) jump's first word and sets
** *off_word to its offset word.
*/
static uint32_t absorb_additions(lower *L, uint32_t at, uint32_t *off_word) {
  if (!L->fuse2_ok || (L->fuse2_op != OP_I32_ADD && L->fuse2_op != XOP_I32_ADD2)) return at;
  bool two = L->fuse2_op == XOP_I32_ADD2;
  uint32_t start = L->fuse2_at, nadd = two ? 6 : 3;
  uint32_t fused = loop_branch_with_adds(L->code.data[at], two);
  if (!fused || start + 1 + nadd != at) return at;
  /* [ADD d a b][BR x y off] -> [BR_A1 d a b x y off]: the branch's operands move down
     over its opcode word. */
  uint32_t *w = L->code.data;
  uint32_t nops = (uint32_t)L->code.len - at - 1;
  memmove(w + at, w + at + 1, nops * sizeof *w);
  w[start] = fused;
  uint32_t offset = L->offset;
  rewind_code(L, start + 1 + nadd + nops);
  map_rewind(L, start);
  if (L->map_last != offset) {
    /* A trap here (fuel, an interrupt) is the branch's. */
    map_add(L, start, offset);
    L->map_last = offset;
  }
  *off_word = (uint32_t)L->code.len - 1;
  return start;
}

static void lower_br_if(lower *L, uint32_t rel) {
  opnd cond = pop(L);
  uint32_t depth = (uint32_t)L->ctls.len - 1 - rel;
  uint32_t word;
  if (depth != 0 && !label_needs_moves(L, &L->ctls.data[depth])) {
    uint32_t at = emit_cond_jump(L, cond, true, &word);
    if (L->oom) return;
    if (L->ctls.data[depth].kind == OP_LOOP) at = absorb_additions(L, at, &word);
    link_jump(L, depth, at, word);
    return;
  }
  uint32_t at = emit_cond_jump(L, cond, false, &word);
  emit_br(L, rel);
  if (!L->oom) L->code.data[word] = (uint32_t)L->code.len - at;
  join_point(L);
}

/*
** br_on_null: branch when the reference on top is null (dropping it), else keep it.
** br_on_non_null: branch with it when it is not null, else drop it.
*/
static void lower_br_on_null(lower *L, uint32_t rel, bool non_null) {
  uint32_t depth = (uint32_t)L->ctls.len - 1 - rel;
  opnd ref = L->stack.data[L->stack.len - 1];
  if (!non_null) pop(L); /* the label does not take the reference */
  bool direct = depth != 0 && !label_needs_moves(L, &L->ctls.data[depth]);
  uint32_t at = begin(L, (non_null == direct) ? XOP_BR_NON_NULL : XOP_BR_NULL);
  emit_src(L, ref);
  emit(L, 0);
  if (L->oom) return;
  if (direct) {
    link_jump(L, depth, at, at + 2);
  } else {
    emit_br(L, rel);
    L->code.data[at + 2] = (uint32_t)L->code.len - at;
  }
  join_point(L);
  if (non_null) pop(L);
  else push(L, ref.where, ref.slot, ref.kind);
}

static void lower_br_table(lower *L, const kite_insn *in) {
  opnd idx = pop(L);
  uint32_t n = in->count;
  uint32_t *labels = kite_calloc(L->a, (size_t)n + 1, sizeof *labels);
  uint32_t *stub = kite_calloc(L->a, L->ctls.len, sizeof *stub);
  if (!labels || !stub) {
    L->oom = true;
    goto done;
  }
  kite_reader r = in->items;
  for (uint32_t i = 0; i < n; i++) kite_read_u32(&r, &labels[i]);
  labels[n] = in->idx;
  uint32_t at = begin(L, XOP_BR_TABLE);
  emit_src(L, idx);
  emit(L, n);
  for (uint32_t i = 0; i <= n; i++) emit(L, 0);
  if (L->oom) goto done;
  for (uint32_t i = 0; i <= n; i++) {
    uint32_t depth = (uint32_t)L->ctls.len - 1 - labels[i];
    uint32_t word = at + 3 + i;
    if (depth != 0 && !label_needs_moves(L, &L->ctls.data[depth])) {
      link_jump(L, depth, at, word);
    } else {
      /* Values must move first: jump to a stub (one per label) that moves and jumps. */
      if (!stub[depth]) {
        stub[depth] = (uint32_t)L->code.len;
        emit_br(L, labels[i]);
      }
      L->code.data[word] = stub[depth] - at;
    }
    if (L->oom) break;
  }
done:
  kite_free(L->a, labels, ((size_t)n + 1) * sizeof *labels);
  kite_free(L->a, stub, L->ctls.len * sizeof *stub);
}

/* ---- blocks ---- */

static void set_blocktype(lower *L, ctl *c, const kite_blocktype *bt) {
  c->nparams = c->nresults = 0;
  c->params = c->results = NULL;
  if (bt->kind == KITE_BT_VAL) {
    c->single = bt->val;
    c->nresults = 1;
  } else if (bt->kind == KITE_BT_INDEX) {
    const kite_functype *ft = kite_module_functype(L->m, bt->index);
    c->nparams = ft->nparams;
    c->params = ft->params;
    c->nresults = ft->nresults;
    c->results = ft->results;
  }
}

static void lower_block(lower *L, const kite_insn *in) {
  opnd cond = {0, 0, 0, 0, 0};
  if (in->op == OP_IF) cond = pop(L);
  ctl c;
  memset(&c, 0, sizeof c);
  c.kind = (uint16_t)in->op;
  c.fixups = -1;
  c.else_at = UINT32_MAX;
  set_blocktype(L, &c, &in->bt);
  c.height = (uint32_t)L->stack.len - c.nparams;
  for (size_t i = 0; i < L->stack.len; i++) {
    uint8_t w = L->stack.data[i].where;
    if (w == W_LOCAL || w == W_ADD || (in->op != OP_BLOCK && i >= c.height)) materialize(L, i);
  }
  c.base = c.nparams ? L->stack.data[c.height].home : L->cur;
  if (in->op == OP_IF) c.else_at = emit_cond_jump(L, cond, false, &c.else_word);
  join_point(L);
  if (in->op == OP_LOOP) c.loop_pc = (uint32_t)L->code.len;
  if (!kite_vec_push(L->a, &L->ctls, c)) L->oom = true;
}

/* Restart the stack at the block's parameters, in their homes. */
static void reset_to_params(lower *L, ctl *c) {
  truncate_stack(L, c->height);
  L->cur = c->base;
  for (uint32_t i = 0; i < c->nparams; i++) push_temp(L, c->params[i].kind);
}

static void lower_else(lower *L) {
  ctl *c = &L->ctls.data[L->ctls.len - 1];
  if (!c->unreachable) {
    emit_result_moves(L, c);
    uint32_t at = begin(L, XOP_JMP);
    emit(L, 0);
    if (L->oom) return;
    add_fixup(L, (uint32_t)L->ctls.len - 1, at, at + 1);
    c = &L->ctls.data[L->ctls.len - 1];
  }
  L->code.data[c->else_word] = (uint32_t)L->code.len - c->else_at;
  c->else_at = UINT32_MAX;
  c->kind = OP_ELSE;
  c->unreachable = false;
  reset_to_params(L, c);
  join_point(L);
}

static void lower_end(lower *L) {
  ctl *c = &L->ctls.data[L->ctls.len - 1];
  if (L->ctls.len == 1) {
    if (!c->unreachable) emit_return(L);
    L->ctls.len = 0;
    return;
  }
  if (!c->unreachable) emit_result_moves(L, c);
  c = &L->ctls.data[L->ctls.len - 1];
  truncate_stack(L, c->height);
  L->cur = c->base;
  if (c->else_at != UINT32_MAX) L->code.data[c->else_word] = (uint32_t)L->code.len - c->else_at;
  resolve_fixups(L, c);
  const kite_valtype *t = ctl_results(c);
  uint32_t n = c->nresults;
  L->ctls.len--; /* before pushing: t points into the module or at c->single, still valid */
  for (uint32_t i = 0; i < n; i++) push_temp(L, t[i].kind);
  join_point(L);
}

static void set_unreachable(lower *L) {
  L->pend.len = 0; /* the rest is dead code: its copies would never run */
  ctl *c = &L->ctls.data[L->ctls.len - 1];
  c->unreachable = true;
  truncate_stack(L, c->height);
  L->cur = c->base;
}

/* ---- calls ---- */

/* Arguments must be in their homes, contiguous: the callee's frame starts there. */
static uint32_t place_args(lower *L, const kite_functype *ft) {
  size_t first = L->stack.len - ft->nparams;
  for (size_t i = first; i < L->stack.len; i++) materialize(L, i);
  uint32_t base = ft->nparams ? L->stack.data[first].home : L->cur;
  truncate_stack(L, (uint32_t)first);
  L->cur = base;
  return base;
}

static void push_results(lower *L, const kite_functype *ft) {
  for (uint32_t i = 0; i < ft->nresults; i++) push_temp(L, ft->results[i].kind);
}

/* ---- generic instructions: a fixed signature in opcodes.def ---- */

static void emit_op_u(lower *L, uint32_t op, uint32_t a) {
  begin(L, op);
  emit(L, a);
}

/*
** The "Sig" column of opcodes.def decoded at compile time, per opcode: how many operands
** and results, and the results' kinds (i=i32 I=i64 f=f32 F=f64 v=v128). A string literal
** indexed by a constant is folded in a static initialiser (gcc and clang accept it, with
** -pedantic too); the padding keeps every index inside the literal. np is 5 for the
** rows without a fixed signature ("").
*/
typedef struct sig_shape {
  uint8_t np, nr; /* operands, results */
  uint8_t res[2]; /* KITE_VT_* of the first two results */
  bool generic;   /* lowered by lower_generic (when the interpreter supports it) */
} sig_shape;

#define SIG_AT(s, i) ((s "\0\0\0\0\0\0\0\0")[(i)])
#define SIG_NP(s)                                                                                  \
  (SIG_AT(s, 0) == ':'   ? 0                                                                       \
   : SIG_AT(s, 1) == ':' ? 1                                                                       \
   : SIG_AT(s, 2) == ':' ? 2                                                                       \
   : SIG_AT(s, 3) == ':' ? 3                                                                       \
   : SIG_AT(s, 4) == ':' ? 4                                                                       \
                         : 5)
#define SIG_RES(s, i) SIG_AT(s, SIG_NP(s) + 1 + (i))
#define SIG_NR(s) (!SIG_RES(s, 0) ? 0 : !SIG_RES(s, 1) ? 1 : !SIG_RES(s, 2) ? 2 : 3)
#define SIG_KIND(c)                                                                                \
  ((c) == 'i'   ? KITE_VT_I32                                                                      \
   : (c) == 'I' ? KITE_VT_I64                                                                      \
   : (c) == 'f' ? KITE_VT_F32                                                                      \
   : (c) == 'F' ? KITE_VT_F64                                                                      \
                : KITE_VT_V128)

/* The instructions with a fixed signature that lower_insn hands to lower_generic: not
   the constants, i32.add (deferred, see lower_i32_add), v128.const, or GC's. */
#define SIG_GENERIC(id, imm, sig, feat)                                                            \
  (SIG_NP(sig) <= 4 && SIG_NR(sig) <= 2 && (imm) != IMM_V128 && (imm) != IMM_I32 &&                \
   (imm) != IMM_I64 && (imm) != IMM_F32 && (imm) != IMM_F64 && !IS_OP(id, I32_ADD) &&              \
   (feat) != FEAT_GC && (feat) != FEAT_CUSTOM_DESC)

static const sig_shape sig_shapes[OP_COUNT] = {
#define KITE_OPCODE(id, text, prefix, code, imm, sig, aux, feat)                                   \
  {SIG_NP(sig),                                                                                    \
   SIG_NR(sig),                                                                                    \
   {SIG_KIND(SIG_RES(sig, 0)), SIG_KIND(SIG_RES(sig, 1))},                                         \
   SIG_GENERIC(id, imm, sig, feat)},
#include "opcodes.def"
#undef KITE_OPCODE
};

/* The unchecked variant of a load or store, for guarded memories; 0 when none. */
static uint32_t guarded_variant(kite_opcode op) {
  switch (op) {
  case OP_I32_LOAD: return XOP_I32_LOAD_G;
  case OP_I64_LOAD: return XOP_I64_LOAD_G;
  case OP_F32_LOAD: return XOP_F32_LOAD_G;
  case OP_F64_LOAD: return XOP_F64_LOAD_G;
  case OP_I32_LOAD8_S: return XOP_I32_LOAD8_S_G;
  case OP_I32_LOAD8_U: return XOP_I32_LOAD8_U_G;
  case OP_I32_LOAD16_S: return XOP_I32_LOAD16_S_G;
  case OP_I32_LOAD16_U: return XOP_I32_LOAD16_U_G;
  case OP_I64_LOAD8_S: return XOP_I64_LOAD8_S_G;
  case OP_I64_LOAD8_U: return XOP_I64_LOAD8_U_G;
  case OP_I64_LOAD16_S: return XOP_I64_LOAD16_S_G;
  case OP_I64_LOAD16_U: return XOP_I64_LOAD16_U_G;
  case OP_I64_LOAD32_S: return XOP_I64_LOAD32_S_G;
  case OP_I64_LOAD32_U: return XOP_I64_LOAD32_U_G;
  case OP_I32_STORE: return XOP_I32_STORE_G;
  case OP_I64_STORE: return XOP_I64_STORE_G;
  case OP_F32_STORE: return XOP_F32_STORE_G;
  case OP_F64_STORE: return XOP_F64_STORE_G;
  case OP_I32_STORE8: return XOP_I32_STORE8_G;
  case OP_I32_STORE16: return XOP_I32_STORE16_G;
  case OP_I64_STORE8: return XOP_I64_STORE8_G;
  case OP_I64_STORE16: return XOP_I64_STORE16_G;
  case OP_I64_STORE32: return XOP_I64_STORE32_G;
  default: return 0;
  }
}

/* dst = a + b (i32); two in a row become one instruction. */
static void emit_add(lower *L, uint32_t dst, uint32_t a, uint32_t b) {
  uint32_t t = L->last_dst_slot;
  if (L->last_dst_ok && t >= L->local_end && (a == t) != (b == t)) {
    /* One addend is the temporary a load just wrote (this addition is its only use) */
    opnd oa = {a, 0, a, a == t ? W_TEMP : W_LOCAL, KITE_VT_I32};
    opnd ob = {b, 0, b, b == t ? W_TEMP : W_LOCAL, KITE_VT_I32};
    if (fuse_load_op(L, OP_I32_ADD, oa, ob, dst)) return;
  }
  if (L->fuse_ok && L->fuse_op == OP_I32_ADD) {
    uint32_t at = L->fuse_at;
    pend_touch(L, at);
    L->code.data[at] = XOP_I32_ADD2;
    emit(L, dst);
    emit(L, a);
    emit(L, b);
    wrote_result(L, XOP_I32_ADD2, at, at + 4, dst);
    return;
  }
  uint32_t at = begin_inline(L, OP_I32_ADD);
  emit(L, dst);
  emit(L, a);
  emit(L, b);
  wrote_result(L, OP_I32_ADD, at, at + 1, dst);
}

/*
** i32.add of locals and constants (the first operand may also be the temporary whose
** position the sum takes) is deferred as a W_ADD entry: a load or store takes it as its
** address, a local.set computes it straight into the local, and anything else
** materialises it where it is used. Its operands cannot change meanwhile: writes to a
** local materialise the entries that read it first, and no temporary above the entry's
** own is read.
*/
static void lower_i32_add(lower *L) {
  opnd b = L->stack.data[L->stack.len - 1], a = L->stack.data[L->stack.len - 2];
  if ((b.where == W_LOCAL || b.where == W_CONST) &&
      (a.where == W_LOCAL || a.where == W_CONST || a.where == W_TEMP)) {
    pop_raw(L);
    pop_raw(L);
    opnd *o = push(L, W_ADD, a.slot, KITE_VT_I32);
    if (o) o->slot2 = b.slot;
    return;
  }
  b = pop(L);
  a = pop(L);
  emit_add(L, push_temp(L, KITE_VT_I32), a.slot, b.slot);
}

/* The indexed form of a guarded load or store: the address is the sum of two slots. */
static uint32_t indexed_variant(uint32_t guarded_op) {
  switch (guarded_op) {
  case XOP_I32_LOAD_G: return XOP_I32_LOAD_X;
  case XOP_I64_LOAD_G: return XOP_I64_LOAD_X;
  case XOP_F32_LOAD_G: return XOP_F32_LOAD_X;
  case XOP_F64_LOAD_G: return XOP_F64_LOAD_X;
  case XOP_I32_LOAD8_S_G: return XOP_I32_LOAD8_S_X;
  case XOP_I32_LOAD8_U_G: return XOP_I32_LOAD8_U_X;
  case XOP_I32_LOAD16_S_G: return XOP_I32_LOAD16_S_X;
  case XOP_I32_LOAD16_U_G: return XOP_I32_LOAD16_U_X;
  case XOP_I64_LOAD8_S_G: return XOP_I64_LOAD8_S_X;
  case XOP_I64_LOAD8_U_G: return XOP_I64_LOAD8_U_X;
  case XOP_I64_LOAD16_S_G: return XOP_I64_LOAD16_S_X;
  case XOP_I64_LOAD16_U_G: return XOP_I64_LOAD16_U_X;
  case XOP_I64_LOAD32_S_G: return XOP_I64_LOAD32_S_X;
  case XOP_I64_LOAD32_U_G: return XOP_I64_LOAD32_U_X;
  case XOP_I32_STORE_G: return XOP_I32_STORE_X;
  case XOP_I64_STORE_G: return XOP_I64_STORE_X;
  case XOP_F32_STORE_G: return XOP_F32_STORE_X;
  case XOP_F64_STORE_G: return XOP_F64_STORE_X;
  case XOP_I32_STORE8_G: return XOP_I32_STORE8_X;
  case XOP_I32_STORE16_G: return XOP_I32_STORE16_X;
  case XOP_I64_STORE8_G: return XOP_I64_STORE8_X;
  case XOP_I64_STORE16_G: return XOP_I64_STORE16_X;
  case XOP_I64_STORE32_G: return XOP_I64_STORE32_X;
  default: return 0;
  }
}

/* Whether the address operand is the result of the i32.add just before (alone, or the
   second of a pair), in a temporary nothing else reads. */
static bool added_address(lower *L, opnd addr) {
  return L->fuse_ok && L->last_dst_ok && addr.where == W_TEMP && addr.home == L->last_dst_slot &&
         (L->fuse_op == OP_I32_ADD || L->fuse_op == XOP_I32_ADD2);
}

/*
** f64 arithmetic with a memory operand (matrix and vector code): an f64.add, f64.sub or
** f64.mul whose operand is the f64.load just before it becomes one instruction,
** `dst = x op mem` (_RM) or `dst = mem op x` (_MR), the address as an indexed access's
** (a + b wrapped to 32 bits, then the offset; a plain load's address gets the zero
** constant as b). When an f64.store of its result to the same address follows, it
** stores too (_ST): `a[i] += x` in one instruction.
*/
static uint32_t f64_mem_op(uint32_t op, bool mem_first) {
  switch (op) {
  case OP_F64_ADD: return mem_first ? XOP_F64_ADD_MR : XOP_F64_ADD_RM;
  case OP_F64_SUB: return mem_first ? XOP_F64_SUB_MR : XOP_F64_SUB_RM;
  case OP_F64_MUL: return mem_first ? XOP_F64_MUL_MR : XOP_F64_MUL_RM;
  default: return 0;
  }
}

static uint32_t f64_mem_op_store(uint32_t op) {
  switch (op) {
  case XOP_F64_ADD_RM: return XOP_F64_ADD_RM_ST;
  case XOP_F64_ADD_MR: return XOP_F64_ADD_MR_ST;
  case XOP_F64_SUB_RM: return XOP_F64_SUB_RM_ST;
  case XOP_F64_SUB_MR: return XOP_F64_SUB_MR_ST;
  case XOP_F64_MUL_RM: return XOP_F64_MUL_RM_ST;
  case XOP_F64_MUL_MR: return XOP_F64_MUL_MR_ST;
  default: return 0;
  }
}

/* Fuse the f64.load just emitted into the arithmetic op `op` (x op y); false when they
   do not fit. */
static bool fuse_f64_load(lower *L, uint32_t op, opnd x, opnd y, uint32_t dst) {
  if (!L->fuse_ok || !L->last_dst_ok || L->last_dst_inner) return false;
  if (L->fuse_op != XOP_F64_LOAD_G && L->fuse_op != XOP_F64_LOAD_X) return false;
  bool mem_first = x.where == W_TEMP && x.home == L->last_dst_slot;
  bool mem_second = !mem_first && y.where == W_TEMP && y.home == L->last_dst_slot;
  uint32_t fused = f64_mem_op(op, mem_first);
  if (!fused || (!mem_first && !mem_second)) return false;
  const uint32_t *w = L->code.data + L->fuse_at;
  uint32_t a = w[2], b, off;
  if (L->fuse_op == XOP_F64_LOAD_X) {
    b = w[3];
    off = w[4];
  } else {
    uint32_t zero = const_index(L, 0, false);
    if (zero == UINT32_MAX) return false;
    b = L->const_base + zero;
    off = w[3];
  }
  uint32_t at = L->fuse_at, offset = L->offset;
  L->offset = L->fuse_offset; /* a trap is the load's */
  drop_last_insn(L);
  begin(L, fused);
  L->offset = offset;
  emit(L, dst);
  emit(L, mem_first ? y.slot : x.slot);
  emit(L, a);
  emit(L, b);
  emit(L, off);
  wrote_result(L, fused, at, at + 1, dst);
  return true;
}

/* An f64.store of the value the fused op before it computed, to the address it read:
   that op stores too. */
static bool fuse_f64_store(lower *L, opnd addr, opnd value, uint32_t offset) {
  if (!L->fuse_ok) return false;
  uint32_t st = f64_mem_op_store(L->fuse_op);
  uint32_t *w = L->code.data + L->fuse_at;
  if (!st || value.slot != w[1] || offset != w[5]) return false;
  pend_touch(L, L->fuse_at);
  if (addr.where == W_ADD) {
    if (addr.slot != w[3] || addr.slot2 != w[4]) return false;
  } else {
    uint32_t zero = const_index(L, 0, false);
    if (zero == UINT32_MAX || addr.slot != w[3] || w[4] != L->const_base + zero) return false;
  }
  w[0] = st;
  L->fuse_ok = false;
  L->last_dst_ok = false;
  /* y[i] += a * x[i]: with the product of the instruction before, into a temporary, as
     the addend, one instruction does the lot (two roundings, as the two ops). */
  const uint32_t *m = L->code.data + L->fuse2_at;
  if (st == XOP_F64_ADD_RM_ST && L->fuse2_ok && L->fuse2_op == XOP_F64_MUL_RM &&
      L->fuse2_at + 6 == L->fuse_at && w[2] == m[1] && m[1] >= L->local_end) {
    uint32_t *d = L->code.data + L->fuse2_at;
    uint32_t k = m[2], a1 = m[3], b1 = m[4], o1 = m[5];
    uint32_t dst = w[1], a2 = w[3], b2 = w[4], o2 = w[5];
    uint32_t words[9] = {XOP_F64_AXPY, dst, k, a1, b1, o1, a2, b2, o2};
    memcpy(d, words, sizeof words);
    pend_touch(L, L->fuse2_at);
    L->code.len = L->fuse2_at + 9;
    L->fuse2_ok = false;
  }
  return true;
}

/*
** (x << a) | (y >> b), the shape of a funnel shift (musl's memcpy and memmove for
** misaligned copies, hand-written rotates): the i32.or of an i32.shl and an i32.shr_u
** just before it, in either order, becomes one instruction when neither shift reads
** the other's result.
*/
static bool fuse_funnel(lower *L, opnd a, opnd b, uint32_t dst) {
  if (!L->fuse_ok || !L->fuse2_ok || L->fuse2_at + 4 != L->fuse_at) return false;
  uint32_t op1 = L->fuse2_op, op2 = L->fuse_op;
  if (!((op1 == OP_I32_SHL && op2 == OP_I32_SHR_U) || (op1 == OP_I32_SHR_U && op2 == OP_I32_SHL)))
    return false;
  const uint32_t *w1 = L->code.data + L->fuse2_at, *w2 = L->code.data + L->fuse_at;
  if (a.where != W_TEMP || b.where != W_TEMP) return false;
  if (!((a.home == w1[1] && b.home == w2[1]) || (a.home == w2[1] && b.home == w1[1]))) return false;
  if (w2[2] == w1[1] || w2[3] == w1[1]) return false;
  const uint32_t *shl = op1 == OP_I32_SHL ? w1 : w2, *shr = op1 == OP_I32_SHL ? w2 : w1;
  uint32_t x = shl[2], k1 = shl[3], y = shr[2], k2 = shr[3], at = L->fuse2_at;
  /* An i32 load right before stays the instruction before (fuse_load_funnel_store). */
  bool load_before = L->fuse3_ok && ((L->fuse3_op == XOP_I32_LOAD_X && L->fuse3_at + 5 == at) ||
                                     (L->fuse3_op == XOP_I32_LOAD_G && L->fuse3_at + 4 == at));
  uint32_t load_op = L->fuse3_op, load_at = L->fuse3_at;
  rewind_code(L, at);
  if (load_before) {
    L->fuse_ok = true;
    L->fuse_op = load_op;
    L->fuse_at = load_at;
  }
  at = begin(L, XOP_I32_FUNNEL);
  emit(L, dst);
  emit(L, x);
  emit(L, k1);
  emit(L, y);
  emit(L, k2);
  wrote_result(L, XOP_I32_FUNNEL, at, at + 1, dst);
  return true;
}

/* Which operand (0 or 1) is the result of the instruction just before, in a temporary
   nothing else reads; -1 when neither. */
static int prev_result_operand(lower *L, opnd a, opnd b) {
  if (!L->fuse_ok || !L->last_dst_ok || L->last_dst_inner) return -1;
  if (a.where == W_TEMP && a.home == L->last_dst_slot) return 0;
  if (b.where == W_TEMP && b.home == L->last_dst_slot) return 1;
  return -1;
}

/*
** Bit logic of two operations (SHA-2's Ch, Maj and sigma, masks, xorshift mixing,
** rotate-xor chains): an i32.and, i32.or or i32.xor (or i64.xor) of the result of the
** operation just before it becomes one instruction, dst = (x op1 y) op2 z. Which pairs:
** those the benchmarks run most.
*/
static uint32_t logic_pair(uint32_t first, uint32_t second) {
  if (first == OP_I32_ROTL && second == OP_I32_XOR) return XOP_I32_XOR_ROTL;
  if (first == OP_I32_XOR && second == OP_I32_AND) return XOP_I32_XOR_AND;
  if (first == OP_I32_AND && second == OP_I32_XOR) return XOP_I32_AND_XOR;
  if (first == OP_I32_AND && second == OP_I32_OR) return XOP_I32_AND_OR;
  if (first == OP_I32_SHR_U && second == OP_I32_XOR) return XOP_I32_SHR_U_XOR;
  if (first == OP_I32_SHR_U && second == OP_I32_AND) return XOP_I32_SHR_U_AND;
  if (first == OP_I64_SHR_U && second == OP_I64_XOR) return XOP_I64_SHR_U_XOR;
  return 0;
}

static bool fuse_logic_pair(lower *L, uint32_t op, opnd a, opnd b, uint32_t dst) {
  int which = prev_result_operand(L, a, b);
  uint32_t fused = which < 0 ? 0 : logic_pair(L->fuse_op, op);
  if (!fused) return false;
  const uint32_t *w = L->code.data + L->fuse_at;
  uint32_t x = w[2], y = w[3], at = L->fuse_at;
  uint32_t z = which == 0 ? b.slot : a.slot;
  rewind_code(L, at);
  at = begin(L, fused);
  emit(L, dst);
  emit(L, x);
  emit(L, y);
  emit(L, z);
  wrote_result(L, fused, at, at + 1, dst);
  return true;
}

/*
** An i32.add or i32.and of the value an i32.load or i32.load8_u (guarded) just loaded
** (summing words, masking bytes) becomes one instruction, dst = x op mem, the address
** as an indexed access's (a plain load's gets the zero constant as its second addend).
*/
static uint32_t load_op_fused(uint32_t load, uint32_t op) {
  bool word = load == XOP_I32_LOAD_X || load == XOP_I32_LOAD_G;
  bool byte = load == XOP_I32_LOAD8_U_X || load == XOP_I32_LOAD8_U_G;
  if (!word && !byte) return 0;
  if (op == OP_I32_ADD) return word ? XOP_I32_LOAD_ADD : XOP_I32_LOAD8U_ADD;
  if (op == OP_I32_AND) return word ? XOP_I32_LOAD_AND : XOP_I32_LOAD8U_AND;
  return 0;
}

static bool fuse_load_op(lower *L, uint32_t op, opnd a, opnd b, uint32_t dst) {
  int which = prev_result_operand(L, a, b);
  uint32_t fused = which < 0 ? 0 : load_op_fused(L->fuse_op, op);
  if (!fused) return false;
  const uint32_t *w = L->code.data + L->fuse_at;
  uint32_t ea = w[2], eb, off;
  if (L->fuse_op == XOP_I32_LOAD_X || L->fuse_op == XOP_I32_LOAD8_U_X) {
    eb = w[3];
    off = w[4];
  } else {
    uint32_t zero = const_index(L, 0, false);
    if (zero == UINT32_MAX) return false;
    eb = L->const_base + zero;
    off = w[3];
  }
  uint32_t x = which == 0 ? b.slot : a.slot, offset = L->offset;
  L->offset = L->fuse_offset; /* a trap is the load's */
  drop_last_insn(L);
  uint32_t at = begin(L, fused);
  L->offset = offset;
  emit(L, dst);
  emit(L, x);
  emit(L, ea);
  emit(L, eb);
  emit(L, off);
  wrote_result(L, fused, at, at + 1, dst);
  return true;
}

/*
** The inner loop of a misaligned copy (musl's memcpy): an i32 load, a funnel shift of the
** loaded word and the one before, and an i32.store of that, one after the other, become
** one instruction: load (to its slot, as before), shift, store, in that order. Plain
** addresses use the zero constant as their second addend.
*/
static bool fuse_load_funnel_store(lower *L, opnd addr, opnd value, uint32_t offset) {
  if (!L->fuse_ok || L->fuse_op != XOP_I32_FUNNEL || !L->last_dst_ok || L->last_dst_inner ||
      value.where != W_TEMP || value.home != L->last_dst_slot || !L->fuse2_ok)
    return false;
  bool indexed = L->fuse2_op == XOP_I32_LOAD_X;
  if (!(indexed && L->fuse2_at + 5 == L->fuse_at) &&
      !(L->fuse2_op == XOP_I32_LOAD_G && L->fuse2_at + 4 == L->fuse_at))
    return false;
  uint32_t zero = const_index(L, 0, false);
  if (zero == UINT32_MAX) return false;
  zero += L->const_base;
  const uint32_t *ld = L->code.data + L->fuse2_at, *f = L->code.data + L->fuse_at;
  uint32_t words[11] = {ld[1],
                        ld[2],
                        indexed ? ld[3] : zero,
                        indexed ? ld[4] : ld[3],
                        f[2],
                        f[3],
                        f[4],
                        f[5],
                        addr.slot,
                        addr.where == W_ADD ? addr.slot2 : zero,
                        offset};
  uint32_t start = L->fuse2_at;
  rewind_code(L, start);
  if (L->lfs_ok && L->lfs_at + 12 == start &&
      L->code.data[L->lfs_at] == XOP_I32_LOAD_FUNNEL_STORE) {
    /* Right after another one (an unrolled copy loop): both in one instruction. A
       trap in the second is reported at the first's offset. */
    L->code.data[L->lfs_at] = XOP_I32_LOAD_FUNNEL_STORE2;
    for (int i = 0; i < 11; i++) emit(L, words[i]);
    L->lfs_ok = false;
    return true;
  }
  L->lfs_at = begin(L, XOP_I32_LOAD_FUNNEL_STORE);
  for (int i = 0; i < 11; i++) emit(L, words[i]);
  L->lfs_ok = true;
  return true;
}

/*
** An i64.store of the value the i64.load just before read, into a temporary nothing else
** reads (the word loop of memcpy and memmove): one instruction that loads and stores.
** Plain addresses use the zero constant as their second addend.
*/
static bool fuse_copy64(lower *L, opnd addr, opnd value, uint32_t offset) {
  if ((L->fuse_op != XOP_I64_LOAD_G && L->fuse_op != XOP_I64_LOAD_X) || !L->last_dst_ok ||
      L->last_dst_inner || value.where != W_TEMP || value.home != L->last_dst_slot ||
      addr.slot == value.slot || (addr.where == W_ADD && addr.slot2 == value.slot))
    return false;
  uint32_t zero = const_index(L, 0, false);
  if (zero == UINT32_MAX) return false;
  zero += L->const_base;
  const uint32_t *ld = L->code.data + L->fuse_at;
  bool indexed = L->fuse_op == XOP_I64_LOAD_X;
  uint32_t words[6] = {ld[2],
                       indexed ? ld[3] : zero,
                       indexed ? ld[4] : ld[3],
                       addr.slot,
                       addr.where == W_ADD ? addr.slot2 : zero,
                       offset};
  uint32_t offset_now = L->offset;
  L->offset = L->fuse_offset; /* a trap is the load's */
  rewind_code(L, L->fuse_at);
  begin(L, XOP_I64_COPY);
  L->offset = offset_now;
  for (int i = 0; i < 6; i++) emit(L, words[i]);
  return true;
}

/*
** An i32.store of the sum the i32.add just before computed (a pointer bumped and saved,
** a counter kept in memory): one instruction that adds, writes the sum's slot, then
** stores it at the indexed address (read after the sum is written, as in order).
*/
static bool fuse_add_store(lower *L, opnd addr, opnd value, uint32_t offset) {
  if (!L->fuse_ok || L->fuse_op != OP_I32_ADD || value.where == W_ADD) return false;
  const uint32_t *w = L->code.data + L->fuse_at;
  if (w[1] != value.slot) return false;
  uint32_t zero = const_index(L, 0, false);
  if (zero == UINT32_MAX) return false;
  uint32_t words[6] = {
      w[1], w[2], w[3], addr.slot, addr.where == W_ADD ? addr.slot2 : L->const_base + zero, offset};
  rewind_code(L, L->fuse_at);
  begin(L, XOP_I32_ADD_STORE);
  for (int i = 0; i < 6; i++) emit(L, words[i]);
  return true;
}

/* The fusions of a value instruction with one result with the instructions before
   (each needs the last one fusable); false when none applies. */
static inline bool fuse_value_op(lower *L, uint32_t op, opnd a, opnd b, uint32_t dst) {
  switch (op) {
  case OP_F64_ADD:
  case OP_F64_SUB:
  case OP_F64_MUL: return fuse_f64_load(L, op, a, b, dst);
  case OP_I32_OR: return fuse_funnel(L, a, b, dst) || fuse_logic_pair(L, op, a, b, dst);
  case OP_I32_AND: return fuse_load_op(L, op, a, b, dst) || fuse_logic_pair(L, op, a, b, dst);
  case OP_I32_XOR:
  case OP_I64_XOR: return fuse_logic_pair(L, op, a, b, dst);
  default: return false;
  }
}

/* A value instruction (no immediate): its operands, its results, and the fusions. The
   common shapes (one result of at most two operands) without loops over arrays. */
static void lower_value_op(lower *L, uint32_t op, sig_shape shape) {
  uint32_t np = shape.np, nr = shape.nr;
  if (nr == 1 && np <= 2) {
    opnd a = {0, 0, 0, 0, 0}, b = a;
    if (np == 2) b = pop(L);
    if (np >= 1) a = pop(L);
    uint32_t dst = push_temp(L, shape.res[0]);
    if (L->fuse_ok && np == 2 && fuse_value_op(L, op, a, b, dst)) return;
    uint32_t at = begin_inline(L, op);
    if (np == 2) {
      emit3(L, dst, a.slot, b.slot);
    } else {
      emit(L, dst);
      if (np == 1) emit(L, a.slot);
    }
    wrote_result(L, op, at, at + 1, dst);
    return;
  }
  opnd args[4];
  for (uint32_t i = np; i-- > 0;) args[i] = pop(L);
  uint32_t dst = nr ? push_temp(L, shape.res[0]) : 0;
  uint32_t dst2 = nr > 1 ? push_temp(L, shape.res[1]) : 0;
  if (L->fuse_ok && nr == 1 && np == 2 && fuse_value_op(L, op, args[0], args[1], dst)) return;
  uint32_t at = begin(L, op);
  uint32_t dst_pos = (uint32_t)L->code.len;
  if (nr) emit(L, dst);
  if (nr > 1) emit(L, dst2);
  for (uint32_t i = 0; i < np; i++) emit_src(L, args[i]);
  if (nr == 1) wrote_result(L, op, at, dst_pos, dst);
}

/*
** A load or store of memory 0 when it is a guarded 32-bit memory (the commonest
** memory access: no bounds checks). Its address may be a deferred i32.add, or the sum
** an i32.add just computed: the indexed form then adds (wrapping to 32 bits).
*/
static void lower_guarded_access(lower *L, const kite_insn *in, sig_shape shape) {
  uint32_t op = guarded_variant(in->op), indexed = indexed_variant(op);
  uint32_t offset = (uint32_t)in->mem.offset;
  opnd value = {0, 0, 0, 0, 0};
  if (shape.np > 1) value = pop(L);
  opnd addr = pop_raw(L);
  uint32_t dst = shape.nr ? push_temp(L, shape.res[0]) : 0;
  if (L->fuse_ok && op == XOP_F64_STORE_G && fuse_f64_store(L, addr, value, offset)) return;
  if (L->fuse_ok && op == XOP_I32_STORE_G &&
      (fuse_load_funnel_store(L, addr, value, offset) || fuse_add_store(L, addr, value, offset)))
    return;
  if (L->fuse_ok && op == XOP_I64_STORE_G && fuse_copy64(L, addr, value, offset)) return;
  uint32_t a, b; /* the addends of the indexed form */
  if (addr.where == W_ADD) {
    a = addr.slot;
    b = addr.slot2;
  } else if (added_address(L, addr)) {
    uint32_t at = L->fuse_at;
    if (L->fuse_op == OP_I32_ADD) {
      a = L->code.data[at + 2];
      b = L->code.data[at + 3];
      rewind_code(L, at);
    } else { /* the second addition of a pair: the first stays */
      a = L->code.data[at + 5];
      b = L->code.data[at + 6];
      L->code.data[at] = OP_I32_ADD;
      rewind_code(L, at + 4);
    }
  } else {
    uint32_t at = begin_inline(L, op);
    if (shape.nr) emit(L, dst);
    emit(L, addr.slot);
    if (shape.np > 1) emit(L, value.slot);
    emit(L, offset);
    if (shape.nr) wrote_result(L, op, at, at + 1, dst);
    return;
  }
  uint32_t at = begin(L, indexed);
  if (shape.nr) emit(L, dst);
  emit(L, a);
  emit(L, b);
  if (shape.np > 1) emit(L, value.slot);
  emit(L, offset);
  if (shape.nr) wrote_result(L, indexed, at, at + 1, dst);
}

static void lower_generic(lower *L, const kite_insn *in, const kite_opinfo *info) {
  sig_shape shape = sig_shapes[in->op];
  uint32_t np = shape.np, nr = shape.nr;
  opnd args[4];
  if (np > 4 || nr > 2) {
    L->unsupported = true;
    return;
  }
  if (info->imm == IMM_NONE) {
    lower_value_op(L, in->op, shape);
    return;
  }
  /* (guarded_variant names plain loads and stores only: an address and a value.) */
  if (info->imm == IMM_MEMARG && L->guarded && in->mem.mem == 0 && !L->m->memories[0].limits.is64 &&
      guarded_variant(in->op)) {
    lower_guarded_access(L, in, shape);
    return;
  }
  for (uint32_t i = np; i-- > 0;) args[i] = pop(L);
  uint32_t dst = nr ? push_temp(L, shape.res[0]) : 0;
  uint32_t dst2 = nr > 1 ? push_temp(L, shape.res[1]) : 0;
  /* Memory 0 is cached by the interpreter; an access to another memory switches the
     cache around the one instruction. */
  bool memop = info->imm == IMM_MEMARG || info->imm == IMM_MEMARG_LANE;
  bool other_mem = memop && in->mem.mem != 0;
  bool is64 = memop && L->m->memories[in->mem.mem].limits.is64;
  uint32_t op = in->op;
  if (memop && !is64 && L->guarded && guarded_variant(in->op)) op = guarded_variant(in->op);
  if (is64) {
    /* Memories never exceed 4 GiB (kite_memory_new caps them), so a 64-bit address
       must be below 2^32 and a static offset of 2^32 or more always traps. */
    if (in->mem.offset > UINT32_MAX) {
      begin(L, XOP_TRAP_OOB);
      return;
    }
    emit_op_u(L, XOP_ADDR64, args[0].slot);
  }
  if (other_mem) emit_op_u(L, XOP_USE_MEM, in->mem.mem);
  /* (No fusions here: the value instructions' are lower_value_op's, the guarded
     accesses' lower_guarded_access's.) */
  uint32_t at = begin_inline(L, op);
  uint32_t dst_pos = (uint32_t)L->code.len;
  if (nr) emit(L, dst);
  if (nr > 1) emit(L, dst2);
  for (uint32_t i = 0; i < np; i++) emit_src(L, args[i]);
  switch (info->imm) {
  case IMM_MEMARG:
    emit(L, (uint32_t)in->mem.offset);
    /* Atomics name their memory: wait/notify need the object, and every atomic access
       checks the current size of a memory other threads may grow. */
    if (info->feature == FEAT_THREADS) emit(L, in->mem.mem);
    break;
  case IMM_MEMARG_LANE:
    emit(L, (uint32_t)in->mem.offset);
    emit(L, in->lane);
    break;
  case IMM_LANE: emit(L, in->lane); break;
  case IMM_SHUFFLE:
    for (int i = 0; i < 16; i += 4) emit(L, kite_load_u32le(in->bytes + i));
    break;
  case IMM_NONE:
  case IMM_ZERO: break;
  default: L->unsupported = true; break;
  }
  if (other_mem) {
    emit_op_u(L, XOP_USE_MEM, 0);
  } else if (nr == 1) {
    wrote_result(L, op, at, dst_pos, dst);
  }
}

/* ---- locals ---- */

static inline void lower_local_get(lower *L, uint32_t x) {
  push(L, W_LOCAL, pend_read(L, L->local_slot[x]), L->local_kind[x]);
}

static void lower_local_set(lower *L, uint32_t x, bool tee) {
  uint32_t slot = L->local_slot[x];
  if (!tee && L->init_at[x] == L->offset && L->offset) {
    pop_raw(L); /* the constant the frame template already put there */
    return;
  }
  if (tee) {
    opnd top = L->stack.data[L->stack.len - 1];
    if (top.where == W_LOCAL && top.slot == slot) return;
  }
  opnd v = pop_raw(L); /* a deferred addition goes straight to the local */
  if (v.where == W_LOCAL && v.slot == slot) return; /* local.get x; local.set x */
  bool patch =
      L->last_dst_ok && !L->pend_no_patch && v.where == W_TEMP && v.home == L->last_dst_slot;
  for (size_t i = 0; i < L->stack.len; i++) {
    if (reads_local(&L->stack.data[i], slot)) {
      materialize(L, i);
      patch = false;
    }
  }
  bool conflict = pend_is_src(L, slot);
  pend_drop_dst(L, slot);
  if ((v.where == W_LOCAL || v.where == W_CONST) && v.kind != KITE_VT_V128) {
    pend_record(L, slot, v.slot);
    /* It overwrites what an earlier copy reads: all go out now, this one last. */
    if (conflict) pend_flush(L);
    if (tee) push(L, v.where, v.slot, v.kind);
    return;
  }
  if (conflict) {
    /* The pending copies read this local's old value: they go first, before the
       instruction whose result is redirected here, or here. */
    if (patch && !L->pend_dirty && L->last_at >= L->pend_at) {
      pend_flush_at(L, L->last_at);
    } else {
      patch = false;
      pend_flush(L);
    }
  }
  if (patch) {
    L->code.data[L->last_dst_pos] = slot;
    L->last_dst_ok = false;
    if (tee) push(L, W_LOCAL, slot, v.kind);
    return;
  }
  emit_mov(L, slot, v);
  if (tee && v.where == W_ADD) {
    push(L, W_LOCAL, slot, v.kind);
  } else if (tee) {
    opnd *o = push(L, v.where, v.slot, v.kind);
    if (o && v.where == W_TEMP) o->slot = o->home;
  }
}

#include "lower_eh.inc"
#include "lower_gc.inc"

/* ---- one instruction ---- */

/* Where the pending copies must go out before an instruction (see "pending copies"). */
static void pend_before(lower *L, const kite_insn *in, const kite_opinfo *info) {
  if (!L->pend.len) return;
  switch (in->op) {
  case OP_LOCAL_GET:
  case OP_LOCAL_SET:
  case OP_LOCAL_TEE:
  case OP_I32_CONST:
  case OP_I64_CONST:
  case OP_F32_CONST:
  case OP_F64_CONST:
  case OP_NOP:
  case OP_DROP:
  case OP_SELECT:
  case OP_SELECT_T:
  case OP_GLOBAL_GET:
  case OP_GLOBAL_SET: return;
  case OP_UNREACHABLE:
  case OP_RETURN: L->pend.len = 0; return; /* the locals are dead */
  case OP_BR_IF:
  case OP_IF: pend_flush_before_branch(L); return;
  case OP_END:
    if (L->ctls.len == 1) {
      L->pend.len = 0; /* the function's end: a return */
      return;
    }
    break;
  default:
    /* Value instructions (a fixed signature) neither branch nor touch locals. */
    if (info->sig[0] && info->feature != FEAT_GC && info->feature != FEAT_CUSTOM_DESC) return;
    break;
  }
  pend_flush(L);
}

static void lower_insn(lower *L, const kite_insn *in) {
  const kite_opinfo *info = &kite_opinfo_table[in->op];
  pend_before(L, in, info);
  switch (in->op) {
  case OP_UNREACHABLE:
    begin(L, OP_UNREACHABLE);
    set_unreachable(L);
    return;
  case OP_NOP: return;
  case OP_BLOCK:
  case OP_LOOP:
  case OP_IF: lower_block(L, in); return;
  case OP_ELSE: lower_else(L); return;
  case OP_END:
    lower_eh_end(L);
    lower_end(L);
    return;
  case OP_BR:
    emit_br(L, in->idx);
    set_unreachable(L);
    return;
  case OP_BR_IF: lower_br_if(L, in->idx); return;
  case OP_BR_TABLE:
    lower_br_table(L, in);
    set_unreachable(L);
    return;
  case OP_RETURN:
    emit_return(L);
    set_unreachable(L);
    return;
  case OP_CALL: {
    const kite_functype *ft = kite_module_func_type(L->m, in->idx);
    uint32_t base = place_args(L, ft);
    begin(L, OP_CALL);
    emit(L, in->idx);
    emit(L, base);
    push_results(L, ft);
    return;
  }
  case OP_RETURN_CALL: {
    const kite_functype *ft = kite_module_func_type(L->m, in->idx);
    uint32_t base = place_args(L, ft);
    begin(L, OP_RETURN_CALL);
    emit(L, in->idx);
    emit(L, base);
    set_unreachable(L);
    return;
  }
  case OP_CALL_INDIRECT:
  case OP_RETURN_CALL_INDIRECT: {
    const kite_functype *ft = kite_module_functype(L->m, in->idx);
    opnd idx = pop(L);
    uint32_t base = place_args(L, ft);
    begin(L, in->op);
    emit(L, in->idx);
    emit(L, in->idx2);
    emit_src(L, idx);
    emit(L, base);
    if (in->op == OP_RETURN_CALL_INDIRECT) set_unreachable(L);
    else push_results(L, ft);
    return;
  }
  case OP_CALL_REF:
  case OP_RETURN_CALL_REF: {
    const kite_functype *ft = kite_module_functype(L->m, in->idx);
    opnd ref = pop(L);
    uint32_t base = place_args(L, ft);
    begin(L, in->op);
    emit(L, in->idx);
    emit_src(L, ref);
    emit(L, base);
    if (in->op == OP_RETURN_CALL_REF) set_unreachable(L);
    else push_results(L, ft);
    return;
  }
  case OP_REF_AS_NON_NULL: {
    opnd v = pop(L);
    uint32_t dst = push_temp(L, KITE_VT_REF);
    begin(L, OP_REF_AS_NON_NULL);
    emit(L, dst);
    emit_src(L, v);
    return;
  }
  case OP_BR_ON_NULL:
  case OP_BR_ON_NON_NULL: lower_br_on_null(L, in->idx, in->op == OP_BR_ON_NON_NULL); return;
  case OP_DROP: pop_raw(L); return;
  case OP_I32_ADD: lower_i32_add(L); return;
  case OP_SELECT:
  case OP_SELECT_T: {
    opnd c = pop(L), b = pop(L), a = pop(L);
    uint32_t dst = push_temp(L, a.kind);
    uint32_t at = begin(L, a.kind == KITE_VT_V128 ? XOP_SELECT128 : OP_SELECT);
    emit(L, dst);
    emit_src(L, a);
    emit_src(L, b);
    emit_src(L, c);
    if (a.kind != KITE_VT_V128) wrote_result(L, OP_SELECT, at, at + 1, dst); /* local.set */
    return;
  }
  case OP_LOCAL_GET: lower_local_get(L, in->idx); return;
  case OP_LOCAL_SET: lower_local_set(L, in->idx, false); return;
  case OP_LOCAL_TEE: lower_local_set(L, in->idx, true); return;
  case OP_GLOBAL_GET: {
    uint8_t kind = L->m->globals[in->idx].type.type.kind;
    uint32_t dst = push_temp(L, kind);
    uint32_t at = begin(L, kind == KITE_VT_V128 ? XOP_GLOBAL_GET128 : OP_GLOBAL_GET);
    emit(L, dst);
    emit(L, in->idx);
    if (kind != KITE_VT_V128) wrote_result(L, OP_GLOBAL_GET, at, at + 1, dst);
    return;
  }
  case OP_GLOBAL_SET: {
    opnd v = pop(L);
    begin(L, v.kind == KITE_VT_V128 ? XOP_GLOBAL_SET128 : OP_GLOBAL_SET);
    emit_src(L, v);
    emit(L, in->idx);
    return;
  }
  case OP_I32_CONST: push_const(L, (uint32_t)in->val.i32, KITE_VT_I32); return;
  case OP_I64_CONST: push_const(L, (uint64_t)in->val.i64, KITE_VT_I64); return;
  case OP_F32_CONST: push_const(L, in->val.f32, KITE_VT_F32); return;
  case OP_F64_CONST: push_const(L, in->val.f64, KITE_VT_F64); return;
  case OP_REF_NULL: push_const(L, KITE_REF_NULL, KITE_VT_REF); return;
  case OP_V128_CONST: {
    uint32_t dst = push_temp(L, KITE_VT_V128);
    begin(L, XOP_CONST128);
    emit(L, dst);
    for (int i = 0; i < 16; i += 4) emit(L, kite_load_u32le(in->bytes + i));
    return;
  }
  case OP_REF_FUNC: {
    uint32_t dst = push_temp(L, KITE_VT_REF);
    begin(L, OP_REF_FUNC);
    emit(L, dst);
    emit(L, in->idx);
    return;
  }
  case OP_REF_IS_NULL: {
    opnd v = pop(L);
    uint32_t dst = push_temp(L, KITE_VT_I32);
    begin(L, OP_REF_IS_NULL);
    emit(L, dst);
    emit_src(L, v);
    return;
  }
  case OP_MEMORY_SIZE: {
    uint32_t dst = push_temp(L, KITE_VT_I32);
    begin(L, OP_MEMORY_SIZE);
    emit(L, dst);
    emit(L, in->idx);
    return;
  }
  case OP_MEMORY_GROW: {
    opnd d = pop(L);
    uint32_t dst = push_temp(L, KITE_VT_I32);
    begin(L, OP_MEMORY_GROW);
    emit(L, dst);
    emit_src(L, d);
    emit(L, in->idx);
    return;
  }
  case OP_TABLE_GET: {
    opnd i = pop(L);
    uint32_t dst = push_temp(L, KITE_VT_REF);
    begin(L, OP_TABLE_GET);
    emit(L, dst);
    emit_src(L, i);
    emit(L, in->idx);
    return;
  }
  case OP_TABLE_SET: {
    opnd v = pop(L), i = pop(L);
    begin(L, OP_TABLE_SET);
    emit_src(L, i);
    emit_src(L, v);
    emit(L, in->idx);
    return;
  }
  case OP_TABLE_SIZE: {
    uint32_t dst = push_temp(L, KITE_VT_I32);
    begin(L, OP_TABLE_SIZE);
    emit(L, dst);
    emit(L, in->idx);
    return;
  }
  case OP_TABLE_GROW: {
    opnd n = pop(L), v = pop(L);
    uint32_t dst = push_temp(L, KITE_VT_I32);
    begin(L, OP_TABLE_GROW);
    emit(L, dst);
    emit_src(L, v);
    emit_src(L, n);
    emit(L, in->idx);
    return;
  }
  case OP_TABLE_FILL:
  case OP_TABLE_COPY:
  case OP_TABLE_INIT:
  case OP_MEMORY_INIT:
  case OP_MEMORY_COPY:
  case OP_MEMORY_FILL: {
    opnd n = pop(L), b = pop(L), a = pop(L);
    begin(L, in->op);
    emit_src(L, a);
    emit_src(L, b);
    emit_src(L, n);
    emit(L, in->idx);
    emit(L, in->op == OP_TABLE_FILL || in->op == OP_MEMORY_FILL ? 0 : in->idx2);
    return;
  }
  case OP_ELEM_DROP:
  case OP_DATA_DROP: emit_op_u(L, in->op, in->idx); return;
  default: break;
  }
  if (info->feature == FEAT_GC || info->feature == FEAT_CUSTOM_DESC) {
    lower_gc(L, in);
    return;
  }
  /* (Exception handling's instructions have no fixed signature.) */
  if (info->sig[0] && info->imm != IMM_V128 && kite_exec_supports(in->op)) {
    lower_generic(L, in, info);
    return;
  }
  if (lower_eh_insn(L, in)) return;
  L->unsupported = true;
}

/* ---- the function ---- */

/*
** The main pass. The commonest instructions (local accesses, i32 constants and value
** instructions: about two thirds of all code) are lowered straight from their bytes;
** the others are read into a kite_insn, for lower_generic when they have a fixed
** signature (what lower_insn would do with them), else for lower_insn. False when an
** instruction cannot be read.
*/
static bool lower_body(lower *L, kite_reader *body) {
  kite_reader rd = *body, *r = &rd; /* a copy of the loop's own */
  const uint8_t *end = rd.end;
  uint32_t dead_depth = 0;
  kite_insn in;
  memset(&in, 0, sizeof in);
  /* The innermost block's rest is dead code (its ctl's `unreachable`): only lower_insn
     changes that. */
  bool dead = false;
  for (;;) {
    const uint8_t *p = r->p, *q;
    uint64_t v;
    L->offset = kite_reader_offset(r);
    if (LIKELY(!dead && p < end)) {
      /* (Every class is listed: a jump table rather than a chain of compares.) */
      switch (byte_class[*p]) {
      case BC_LOCAL_GET:
        if (!(q = kite_leb_fast(p + 1, end, 32, false, &v))) break;
        r->p = q;
        lower_local_get(L, (uint32_t)v);
        if (L->oom) return true;
        continue;
      case BC_LOCAL_SET:
      case BC_LOCAL_TEE:
        if (!(q = kite_leb_fast(p + 1, end, 32, false, &v))) break;
        r->p = q;
        lower_local_set(L, (uint32_t)v, byte_class[*p] == BC_LOCAL_TEE);
        if (L->oom) return true;
        continue;
      case BC_I32_CONST:
        if (!(q = kite_leb_fast(p + 1, end, 32, true, &v))) break;
        r->p = q;
        push_const(L, (uint32_t)v, KITE_VT_I32);
        if (L->oom) return true;
        continue;
      case BC_NONE: {
        /* Arithmetic, comparisons, conversions: nothing to read, and no pending copies
           to flush (see pend_before). */
        kite_opcode op = (kite_opcode)(kite_byteop_table[*p].op1 - 1);
        if (op == OP_I32_ADD) {
          r->p = p + 1;
          lower_i32_add(L);
        } else if (sig_shapes[op].generic && kite_exec_supports(op)) {
          r->p = p + 1;
          lower_value_op(L, op, sig_shapes[op]);
        } else {
          break;
        }
        if (L->oom) return true;
        continue;
      }
      case BC_SLOW:
      case BC_INDEX:
      case BC_MEMARG:
      case BC_MEMARG_ZERO:
      case BC_BLOCK:
      case BC_END:
      case BC_I64_CONST:
      case BC_F32_CONST:
      case BC_F64_CONST: break;
      }
    }
    if (!read_insn(r, &in)) return false;
    if (dead) {
      /* Dead code: only track nesting, to find this block's else or end. */
      switch (in.op) {
      case OP_BLOCK:
      case OP_LOOP:
      case OP_IF:
      case OP_TRY:
      case OP_TRY_TABLE: dead_depth++; continue;
      case OP_ELSE:
      case OP_CATCH:
      case OP_CATCH_ALL:
        if (dead_depth) continue;
        break;
      case OP_END:
      case OP_DELEGATE:
        if (dead_depth) {
          dead_depth--;
          continue;
        }
        break;
      default: continue;
      }
    }
    if (sig_shapes[in.op].generic && kite_exec_supports(in.op))
      lower_generic(L, &in, &kite_opinfo_table[in.op]);
    else lower_insn(L, &in);
    if (!L->ctls.len || L->oom || L->unsupported) return true;
    dead = L->ctls.data[L->ctls.len - 1].unreachable;
  }
}

static void lower_free_scratch(lower *L) {
  kite_vec_free(L->a, &L->stack);
  kite_vec_free(L->a, &L->ctls);
  kite_vec_free(L->a, &L->fixups);
  kite_vec_free(L->a, &L->pend);
  kite_free(L->a, L->scratch, L->scratch_size);
  L->scratch = NULL;
  eh_free_scratch(L);
}

void kite_xfunc_free(kite_alloc *a, kite_xfunc *x) {
  if (!x) return;
  kite_free(a, x->code, x->ncode * sizeof *x->code);
  if (x->ninit) kite_free(a, x->init, x->ninit * sizeof *x->init);
  kite_free(a, x->map, x->nmap * 2 * sizeof *x->map);
  kite_xeh_free(a, x->eh);
  kite_free(a, x, sizeof *x);
}

/*
** The frame: [parameters][locals read before written: zeroed][constants][locals written
** first][temporaries]. The zeroed locals and the constants are the frame template
** copied in on entry; the locals after them need nothing.
*/
/*
** The per-local arrays and the constant pool with its hash, in one block (most
** functions are small: one allocation instead of seven). The pool is sized by the body
** (a constant takes at least two bytes), and so is the hash: clearing a table for the
** largest pool on every call of a new function would cost more than lowering them.
*/
static bool alloc_scratch(lower *L, size_t body) {
  L->max_consts = body / 2 < KITE_MAX_CONSTS ? (uint32_t)(body / 2) : KITE_MAX_CONSTS;
  uint32_t hash_cap = 8;
  while (hash_cap < 2 * L->max_consts) hash_cap *= 2;
  size_t n = L->nlocals;
  size_t size = ((size_t)L->max_consts + 1 + n) * sizeof(uint64_t) +
                (2 * n + hash_cap) * sizeof(uint32_t) + 2 * n;
  uint8_t *b = kite_malloc(L->a, size);
  if (!b) {
    L->oom = true;
    return false;
  }
  L->scratch = b;
  L->scratch_size = size;
  L->hash_cap = hash_cap;
  L->consts = (uint64_t *)b;
  b += ((size_t)L->max_consts + 1) * sizeof(uint64_t);
  L->init_val = (uint64_t *)b;
  b += n * sizeof(uint64_t);
  L->local_slot = (uint32_t *)b;
  b += n * sizeof(uint32_t);
  L->init_at = (uint32_t *)b;
  b += n * sizeof(uint32_t);
  L->const_hash = (uint32_t *)b;
  b += (size_t)hash_cap * sizeof(uint32_t);
  L->first = b;
  b += n;
  /* init_at, const_hash and first start cleared */
  memset(L->init_at, 0, (size_t)(b - (uint8_t *)L->init_at));
  L->local_kind = b;
  return true;
}

static bool setup_locals(lower *L, const kite_functype *ft, const kite_func *fn, kite_reader body) {
  L->nlocals = ft->nparams + fn->nlocals;
  if (!alloc_scratch(L, (size_t)(body.end - body.p))) return false;
  uint8_t *first = L->first;
  bool ok = prescan(L, body, ft->nparams);
  uint32_t slot = 0, k = 0;
  for (uint32_t i = 0; i < ft->nparams; i++, k++) {
    L->local_slot[k] = slot;
    L->local_kind[k] = ft->params[i].kind;
    slot += kite_slots_of(ft->params[i]);
  }
  uint32_t param_end = slot;
  /* Two passes over the declared locals: the zeroed ones, then (after the constants)
     the others. */
  for (int pass = 0; pass < 2 && ok; pass++) {
    if (pass == 1) {
      L->zero_end = L->const_base = slot;
      slot += L->nconsts;
    }
    k = ft->nparams;
    for (uint32_t g = 0; g < fn->nlocalgroups; g++) {
      for (uint32_t i = 0; i < fn->localgroups[g].count; i++, k++) {
        if ((first[k] == FIRST_WRITE) != (pass == 1)) continue;
        L->local_slot[k] = slot;
        L->local_kind[k] = fn->localgroups[g].type.kind;
        slot += kite_slots_of(fn->localgroups[g].type);
      }
    }
  }
  L->local_end = slot;
  if (!ok || L->zero_end - param_end > KITE_MAX_TEMPLATE_ZEROS) {
    /* No template for the locals (a memset zeroes them): constants are set as written. */
    for (uint32_t i = 0; i < L->nlocals; i++) L->init_at[i] = 0;
  }
  return ok;
}

kite_xfunc *kite_lower(const kite_module *m, uint32_t funcidx, bool guarded, kite_alloc *a,
                       kite_error *err) {
  lower L;
  memset(&L, 0, sizeof L);
  L.guarded = guarded;
  L.a = a;
  L.err = err;
  L.m = m;
  const kite_func *fn = &m->funcs[funcidx];
  const kite_functype *ft = kite_module_functype(m, fn->type);
  kite_xfunc *x = NULL;
  uint32_t param_slots = 0;
  for (uint32_t i = 0; i < ft->nparams; i++) param_slots += kite_slots_of(ft->params[i]);
  kite_reader r = {m->bytes, m->bytes + fn->code_offset, m->bytes + fn->code_end, err};
  if (!setup_locals(&L, ft, fn, r)) goto fail;
  L.cur = L.max = L.local_end;
  /* Lowered code takes about 0.55 to 0.75 words per byte of body, its offset map about
     0.35: sized once, most functions never grow them. */
  size_t body = fn->code_end - fn->code_offset;
  if (!kite_vec_reserve_(a, (void **)&L.code.data, &L.code.cap, body * 3 / 4 + 16,
                         sizeof *L.code.data) ||
      !kite_vec_reserve_(a, (void **)&L.map.data, &L.map.cap, body / 2 + 8, sizeof *L.map.data)) {
    L.oom = true;
    goto fail;
  }

  ctl fc;
  memset(&fc, 0, sizeof fc);
  fc.kind = OP_COUNT;
  fc.fixups = -1;
  fc.else_at = UINT32_MAX;
  fc.nresults = ft->nresults;
  fc.results = ft->results;
  fc.base = L.cur;
  if (!kite_vec_push(a, &L.ctls, fc)) {
    L.oom = true;
    goto fail;
  }

  if (!lower_body(&L, &r)) goto fail;
  if (L.oom) goto fail;
  if (L.unsupported) {
    kite_fail(err, KITE_ERR_RUNTIME, KITE_TRAP_HOST, L.offset, "unsupported instruction");
    goto fail;
  }

  x = kite_calloc(a, 1, sizeof *x);
  if (!x) {
    L.oom = true;
    goto fail;
  }
  x->param_slots = param_slots;
  x->zero_end = L.zero_end;
  x->const_base = L.const_base;
  x->nslots = L.max;
  uint32_t result_slots = 0;
  for (uint32_t i = 0; i < ft->nresults; i++) result_slots += kite_slots_of(ft->results[i]);
  if (x->nslots < result_slots) x->nslots = result_slots;
  /* Shrink the arrays to size and hand them over. */
  x->ncode = (uint32_t)L.code.len;
  x->code = x->ncode ? kite_realloc(a, L.code.data, L.code.cap * sizeof *L.code.data,
                                    x->ncode * sizeof *L.code.data)
                     : NULL;
  if (!x->code) {
    x->code = L.code.data;
    x->ncode = (uint32_t)L.code.cap;
  }
  L.code.data = NULL;
  /* The frame's initial contents: the locals' zeros and the constants in one template,
     unless the locals are so many that a memset serves them better. */
  x->nconsts = L.nconsts;
  uint32_t nzero = L.zero_end - param_slots;
  if (nzero > KITE_MAX_TEMPLATE_ZEROS) nzero = 0;
  x->init_base = L.const_base - nzero;
  x->ninit = nzero + L.nconsts;
  /* Copied KITE_INIT_SMALL slots at once, or two at a time: the zeros that pad it land
     on locals written first and temporaries (dead on entry). */
  uint32_t ncopy = x->ninit <= KITE_INIT_SMALL ? KITE_INIT_SMALL : x->ninit + (x->ninit & 1);
  if (x->nslots < x->init_base + ncopy) x->nslots = x->init_base + ncopy;
  static const uint64_t no_init[KITE_INIT_SMALL];
  x->init = (uint64_t *)no_init; /* never written: ninit 0 means it is not ours */
  if (x->ninit) {
    x->ninit = ncopy;
    x->init = kite_calloc(a, x->ninit, sizeof *x->init);
    if (!x->init) {
      x->ninit = 0;
      L.oom = true;
      goto fail;
    }
    memcpy(x->init + nzero, L.consts, L.nconsts * sizeof *x->init);
    for (uint32_t i = ft->nparams; nzero && i < L.nlocals; i++)
      if (L.init_at[i]) x->init[L.local_slot[i] - x->init_base] = L.init_val[i];
  }
  x->nmap = (uint32_t)L.map.len / 2;
  if (L.map.len) {
    x->map =
        kite_realloc(a, L.map.data, L.map.cap * sizeof *L.map.data, L.map.len * sizeof *L.map.data);
    if (!x->map) {
      kite_vec_free(a, &L.map);
      x->nmap = 0;
    }
  } else {
    kite_vec_free(a, &L.map);
  }
  L.map.data = NULL;
#ifndef NDEBUG
  for (uint32_t i = 1; i < x->nmap; i++) assert(x->map[2 * i] > x->map[2 * i - 2]); /* sorted */
#endif
  if (!eh_finish(&L, x)) {
    L.oom = true;
    goto fail;
  }
  lower_free_scratch(&L);
  return x;

fail:
  if (L.oom) kite_fail(err, KITE_ERR_OOM, 0, L.offset, "out of memory");
  kite_vec_free(a, &L.code);
  kite_vec_free(a, &L.map);
  lower_free_scratch(&L);
  kite_xfunc_free(a, x);
  return NULL;
}

uint32_t kite_xfunc_offset(const kite_xfunc *x, uint32_t code_index) {
  uint32_t lo = 0, hi = x->nmap;
  if (!hi) return 0;
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (x->map[2 * mid] <= code_index) lo = mid;
    else hi = mid;
  }
  return x->map[2 * lo + 1];
}
