/*
** valid_code.c: validating function bodies and constant expressions, after the
** algorithm of the specification's appendix
** (https://webassembly.github.io/spec/core/appendix/algorithm.html): an operand stack
** of value types where KITE_VT_BOT stands for the unknown type of unreachable code,
** and a stack of control frames that remember their stack height at entry.
**
** Instructions with a fixed signature (the Sig column of opcodes.def) are typed
** generically; this file types the rest by hand. Both stacks are growable arrays, so
** nesting depth never recurses on the C stack, and every instruction costs time
** proportional to its own size (immediates included), which keeps validation linear.
*/
#include <stdio.h>

#include "valid.h"

/* The state of one body (or constant expression) being validated. */
typedef struct body {
  kite_vctx *v;
  const kite_module *m;
  kite_features f;
  bool const_mode;
  uint32_t nglobals;           /* const mode: globals visible to global.get */
  const kite_valtype *results; /* of the function: `return` and tail calls */
  uint32_t nresults;
  uint32_t nlocals;
  const kite_functype *ft; /* function bodies: the type, for parameters */
  const kite_func *fn;     /* function bodies: local groups */
  kite_reader r;
  kite_insn in;
} body;

static bool oom(body *b) {
  return kite_fail(b->v->err, KITE_ERR_OOM, 0, b->in.offset, "out of memory");
}

static bool fail(body *b, const char *msg) { return kite_vfail(b->v, b->in.offset, "%s", msg); }

static bool malformed(body *b, const char *msg) {
  return kite_fail(b->v->err, KITE_ERR_COMPILE, KITE_COMPILE_MALFORMED, b->in.offset, "%s", msg);
}

static bool has(const body *b, unsigned feat) { return kite_has_feature(b->f, feat); }

static kite_vframe *top(body *b) { return &b->v->ctrls.data[b->v->ctrls.len - 1]; }

static const kite_valtype *frame_results(const kite_vframe *fr, uint32_t *n) {
  *n = fr->nresults;
  return fr->has_single ? &fr->single : fr->results;
}

/* Types a branch to this frame carries: a loop's parameters, else its results. */
static const kite_valtype *label_types(const kite_vframe *fr, uint32_t *n) {
  if (fr->op == OP_LOOP) {
    *n = fr->nparams;
    return fr->params;
  }
  return frame_results(fr, n);
}

/*
** ---- the operand stack ----
**
** v->kinds holds the kind of every value and v->refs the whole type of references (the
** other types are their kind). Every control frame opens with a mark of kind 0 (which
** is also KITE_VT_BOT: neither ever matches an operand the fast path wants), so the fast
** path sees where a frame's values begin without comparing heights; the general path
** only looks at values above the frame's height, which is the mark's index plus one.
*/
#define FRAME_MARK 0

/* Room for n values in kinds (contents kept). */
static bool reserve_kinds(kite_vctx *v, size_t n) {
  if (n <= v->kinds_cap) return true;
  size_t cap = v->kinds_cap ? 2 * v->kinds_cap : 64;
  if (cap < n) cap = n;
  uint8_t *old = v->kinds ? v->kinds - 1 : NULL;
  uint8_t *p = kite_realloc(v->a, old, old ? v->kinds_cap + 1 : 0, cap + 1);
  if (!p) return false;
  p[0] = 0;
  v->kinds = p + 1;
  v->kinds_cap = cap;
  return true;
}

static bool push_ref(body *b, kite_valtype t) {
  kite_vctx *v = b->v;
  size_t i = v->nvals;
  if (i >= v->refs_cap) {
    size_t cap = v->refs_cap ? 2 * v->refs_cap : 16;
    while (cap <= i) cap *= 2;
    kite_valtype *p =
        kite_realloc(v->a, v->refs, v->refs_cap * sizeof *v->refs, cap * sizeof *v->refs);
    if (!p) return oom(b);
    v->refs = p;
    v->refs_cap = cap;
  }
  v->refs[i] = t;
  return true;
}

static inline bool push(body *b, kite_valtype t) {
  kite_vctx *v = b->v;
  if (v->nvals == v->kinds_cap && !reserve_kinds(v, v->nvals + 1)) return oom(b);
  if (t.kind == KITE_VT_REF && !push_ref(b, t)) return false;
  v->kinds[v->nvals++] = t.kind;
  return true;
}

/* Value i of the stack. */
static kite_valtype stack_val(const kite_vctx *v, size_t i) {
  return v->kinds[i] == KITE_VT_REF ? v->refs[i] : kite_vt(v->kinds[i]);
}

static bool push_vals(body *b, const kite_valtype *ts, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (!push(b, ts[i])) return false;
  return true;
}

static void append_types(char *buf, size_t size, const kite_valtype *ts, size_t n) {
  size_t len = strlen(buf);
  if (len + 1 < size) buf[len++] = '[', buf[len] = 0;
  for (size_t i = 0; i < n && len + 1 < size; i++) {
    char name[48];
    kite_vt_name(ts[i], name, sizeof name);
    snprintf(buf + len, size - len, "%s%s", i ? " " : "", name);
    len = strlen(buf);
  }
  if (len + 1 < size) buf[len++] = ']', buf[len] = 0;
}

/* "type mismatch: <what> requires [want] but stack has [the top values]". */
static bool mismatch(body *b, const char *what, const kite_valtype *want, uint32_t n,
                     size_t shown) {
  char msg[200];
  snprintf(msg, sizeof msg, "type mismatch: %s requires ", what);
  append_types(msg, sizeof msg, want, n < 16 ? n : 16);
  size_t len = strlen(msg);
  snprintf(msg + len, sizeof msg - len, " but stack has ");
  if (shown > 16) shown = 16;
  kite_valtype have[16];
  for (size_t i = 0; i < shown; i++) have[i] = stack_val(b->v, b->v->nvals - shown + i);
  append_types(msg, sizeof msg, have, shown);
  return fail(b, msg);
}

/* Check that the top of the stack matches `want` (bottom to top), without popping. */
static bool check_top(body *b, const kite_valtype *want, uint32_t n) {
  kite_vframe *fr = top(b);
  size_t avail = b->v->nvals - fr->height;
  size_t have = n < avail ? n : avail;
  if (have < n && !fr->unreachable) return mismatch(b, "instruction", want, n, have);
  size_t first = b->v->nvals - have;
  for (size_t i = 0; i < have; i++)
    if (!kite_vt_sub(b->v, stack_val(b->v, first + i), want[n - have + i]))
      return mismatch(b, "instruction", want, n, have);
  return true;
}

static bool pop_vals(body *b, const kite_valtype *want, uint32_t n) {
  if (!check_top(b, want, n)) return false;
  size_t avail = b->v->nvals - top(b)->height;
  b->v->nvals -= n < avail ? n : avail;
  return true;
}

static bool pop(body *b, kite_valtype want) { return pop_vals(b, &want, 1); }

/* Pop a value that must match `want`, and tell what it was (bottom when unknown). */
static bool pop_get(body *b, kite_valtype want, kite_valtype *got) {
  if (!check_top(b, &want, 1)) return false;
  kite_vframe *fr = top(b);
  if (b->v->nvals > fr->height) *got = stack_val(b->v, --b->v->nvals);
  else *got = kite_vt(KITE_VT_BOT);
  return true;
}

static bool pop_kind(body *b, uint8_t kind) { return pop(b, kite_vt(kind)); }

/* Pop `n` values of one type; n may be huge (array.new_fixed), so stop at the frame. */
static bool pop_same(body *b, kite_valtype want, uint32_t n) {
  kite_vframe *fr = top(b);
  size_t avail = b->v->nvals - fr->height;
  if (avail < n && !fr->unreachable) return mismatch(b, "instruction", &want, 1, avail ? 1 : 0);
  size_t have = n < avail ? n : avail;
  for (size_t i = 0; i < have; i++)
    if (!pop(b, want)) return false;
  return true;
}

static bool pop_any(body *b, kite_valtype *out) {
  kite_vframe *fr = top(b);
  if (b->v->nvals == fr->height) {
    if (!fr->unreachable)
      return fail(b, "type mismatch: instruction requires [any] but stack has []");
    *out = kite_vt(KITE_VT_BOT);
    return true;
  }
  *out = stack_val(b->v, --b->v->nvals);
  return true;
}

/* Pop a reference of any type; the unknown type becomes (ref bot). */
static bool pop_ref(body *b, kite_valtype *out) {
  if (!pop_any(b, out)) return false;
  if (out->kind == KITE_VT_BOT) {
    *out = kite_vt_ref(KITE_HT_BOT, false);
    return true;
  }
  if (out->kind != KITE_VT_REF) {
    b->v->nvals++; /* show it in the message */
    kite_valtype want = kite_vt_ref(KITE_HT_ANY, true);
    return mismatch(b, "instruction", &want, 1, 1);
  }
  return true;
}

static void set_unreachable(body *b) {
  kite_vframe *fr = top(b);
  b->v->nvals = fr->height;
  fr->unreachable = true;
}

/* ---- control frames ---- */

static bool is_num_kind(uint8_t k) { return k >= KITE_VT_V128 && k <= KITE_VT_I32; }

/*
** Cache the fast path's end check (kite_vframe.end_height) of a frame once its op,
** height and results are set: a frame with no result, or one of a number type, ends well
** exactly when its values are that result, which the fast path sees from the stack's
** height and top kind. An if without else must pass its parameters for its results, so
** it only gets the check when it has neither.
*/
static void set_end_check(kite_vframe *fr) {
  uint32_t nr = fr->nresults;
  bool simple = nr == 0 || (nr == 1 && fr->has_single && is_num_kind(fr->single.kind));
  if (fr->op == OP_IF && (nr || fr->nparams)) simple = false;
  fr->end_height = simple ? fr->height + nr : 0;
}

static bool push_ctrl(body *b, uint16_t op, const kite_valtype *params, uint32_t np,
                      const kite_valtype *results, uint32_t nr, bool has_single,
                      kite_valtype single) {
  if (!push(b, kite_vt(FRAME_MARK))) return false;
  kite_vframe fr;
  memset(&fr, 0, sizeof fr);
  fr.op = op;
  fr.height = (uint32_t)b->v->nvals;
  fr.init_height = (uint32_t)b->v->init_log.len;
  fr.params = params;
  fr.nparams = np;
  fr.results = results;
  fr.nresults = nr;
  fr.has_single = has_single;
  fr.single = single;
  if (nr == 1 && !has_single) { /* a type index with one result: the same, found faster */
    fr.has_single = true;
    fr.single = results[0];
  }
  set_end_check(&fr);
  if (!kite_vec_push(b->v->a, &b->v->ctrls, fr)) return oom(b);
  return push_vals(b, params, np);
}

/* Locals first set inside the frame become unset again when it ends. */
static void undo_inits(body *b, uint32_t height) {
  kite_vctx *v = b->v;
  while (v->init_log.len > height) v->local_stamp[v->init_log.data[--v->init_log.len]] = 0;
}

/* The end of a block, or of an if/try arm: exactly the results must remain. */
static bool end_arm(body *b) {
  kite_vframe *fr = top(b);
  uint32_t nr;
  const kite_valtype *rs = frame_results(fr, &nr);
  size_t avail = b->v->nvals - fr->height;
  if (avail > nr) return mismatch(b, "block", rs, nr, avail);
  return pop_vals(b, rs, nr);
}

static bool block_sig(body *b, const kite_blocktype *bt, const kite_valtype **params, uint32_t *np,
                      const kite_valtype **results, uint32_t *nr, bool *has_single,
                      kite_valtype *single) {
  *params = *results = NULL;
  *np = *nr = 0;
  *has_single = false;
  if (bt->kind == KITE_BT_VAL) {
    if (!kite_valid_valtype(b->v, bt->val, b->in.offset)) return false;
    *has_single = true;
    *single = bt->val;
    *nr = 1;
  } else if (bt->kind == KITE_BT_INDEX) {
    if (bt->index >= b->m->ntypes || b->m->types[bt->index].comp != KITE_COMP_FUNC)
      return kite_vfail(b->v, b->in.offset, "unknown type %u", bt->index);
    const kite_functype *ft = kite_module_functype(b->m, bt->index);
    *params = ft->params;
    *np = ft->nparams;
    *results = ft->results;
    *nr = ft->nresults;
  }
  return true;
}

static bool open_block(body *b, uint16_t op) {
  const kite_valtype *ps, *rs;
  uint32_t np, nr;
  bool single;
  kite_valtype one = kite_vt(0);
  if (!block_sig(b, &b->in.bt, &ps, &np, &rs, &nr, &single, &one)) return false;
  if (op == OP_IF && !pop_kind(b, KITE_VT_I32)) return false;
  if (!pop_vals(b, ps, np)) return false;
  return push_ctrl(b, op, ps, np, rs, nr, single, one);
}

static bool do_end(body *b) {
  kite_vframe *fr = top(b);
  if (!end_arm(b)) return false;
  if (fr->op == OP_IF) {
    /* No else: the parameters must pass for the results. */
    fr->unreachable = false;
    if (!push_vals(b, fr->params, fr->nparams) || !end_arm(b)) return false;
  }
  fr = top(b);
  kite_vframe done = *fr;
  undo_inits(b, done.init_height);
  b->v->ctrls.len--;
  b->v->nvals = done.height - 1; /* below the mark */
  if (b->v->ctrls.len == 0) return true;
  uint32_t nr;
  const kite_valtype *rs = frame_results(&done, &nr);
  return push_vals(b, rs, nr);
}

/* Start a new arm (else, catch, catch_all) of the top frame. */
static bool new_arm(body *b, uint16_t op) {
  if (!end_arm(b)) return false;
  kite_vframe *fr = top(b);
  undo_inits(b, fr->init_height);
  fr->op = op;
  fr->unreachable = false;
  set_end_check(fr);
  b->v->nvals = fr->height;
  return true;
}

static bool label(body *b, uint32_t l, kite_vframe **out) {
  if (l >= b->v->ctrls.len) return kite_vfail(b->v, b->in.offset, "unknown label %u", l);
  *out = &b->v->ctrls.data[b->v->ctrls.len - 1 - l];
  return true;
}

/* ---- module lookups ---- */

static bool get_func(body *b, uint32_t idx, const kite_functype **ft) {
  if (idx >= b->m->nfuncs) return kite_vfail(b->v, b->in.offset, "unknown function %u", idx);
  *ft = kite_module_func_type(b->m, idx);
  return true;
}

static bool get_functype(body *b, uint32_t idx, const kite_functype **ft) {
  if (idx >= b->m->ntypes) return kite_vfail(b->v, b->in.offset, "unknown type %u", idx);
  if (b->m->types[idx].comp != KITE_COMP_FUNC) return fail(b, "type mismatch: not a function type");
  *ft = kite_module_functype(b->m, idx);
  return true;
}

static bool get_table(body *b, uint32_t idx, const kite_table **t) {
  if (idx >= b->m->ntables) return kite_vfail(b->v, b->in.offset, "unknown table %u", idx);
  *t = &b->m->tables[idx];
  return true;
}

static bool get_memory(body *b, uint32_t idx, const kite_memory **mem) {
  if (idx >= b->m->nmemories) return kite_vfail(b->v, b->in.offset, "unknown memory %u", idx);
  *mem = &b->m->memories[idx];
  return true;
}

static bool get_tag(body *b, uint32_t idx, const kite_functype **ft) {
  if (idx >= b->m->ntags) return kite_vfail(b->v, b->in.offset, "unknown tag %u", idx);
  uint32_t t = b->m->tags[idx].type;
  if (t >= b->m->ntypes || b->m->types[t].comp != KITE_COMP_FUNC)
    return kite_vfail(b->v, b->in.offset, "unknown type %u", t);
  *ft = kite_module_functype(b->m, t);
  return true;
}

static bool need_data(body *b, uint32_t idx) {
  if (idx >= b->m->ndatas) return kite_vfail(b->v, b->in.offset, "unknown data segment %u", idx);
  /* The binary format needs the count before the code to allow single-pass decoding. */
  if (!b->m->has_datacount) return malformed(b, "data count section required");
  return true;
}

static bool get_elem(body *b, uint32_t idx, const kite_elem **e) {
  if (idx >= b->m->nelems) return kite_vfail(b->v, b->in.offset, "unknown elem segment %u", idx);
  *e = &b->m->elems[idx];
  return true;
}

static kite_valtype addr_type(bool is64) { return kite_vt(is64 ? KITE_VT_I64 : KITE_VT_I32); }

static bool is_declared(const kite_module *m, uint32_t f) {
  uint32_t lo = 0, hi = m->ndeclared_funcs;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (m->declared_funcs[mid] == f) return true;
    if (m->declared_funcs[mid] < f) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

/* ---- generic typing from the Sig column ---- */

static kite_valtype sig_type(char c) {
  switch (c) {
  case 'i': return kite_vt(KITE_VT_I32);
  case 'I': return kite_vt(KITE_VT_I64);
  case 'f': return kite_vt(KITE_VT_F32);
  case 'F': return kite_vt(KITE_VT_F64);
  default: return kite_vt(KITE_VT_V128);
  }
}

static bool apply_sig(body *b, const char *sig, bool addr64) {
  kite_valtype ps[8];
  uint32_t np = 0;
  const char *s = sig;
  for (; *s && *s != ':' && np < 8; s++) ps[np++] = sig_type(*s);
  if (addr64 && np > 0 && sig[0] == 'i') ps[0] = kite_vt(KITE_VT_I64);
  if (!pop_vals(b, ps, np)) return false;
  if (*s == ':') s++;
  for (; *s; s++)
    if (!push(b, sig_type(*s))) return false;
  return true;
}

/* Memory access with a memarg: memory, alignment, offset, lane; then the Sig. */
static bool memory_access(body *b, const kite_opinfo *info) {
  const kite_memory *mem = NULL;
  const kite_insn *in = &b->in;
  if (!get_memory(b, in->mem.mem, &mem)) return false;
  if (info->prefix == 0xFE) {
    if (in->mem.align != info->aux) return fail(b, "atomic alignment must be natural");
  } else if (in->mem.align > info->aux) {
    return fail(b, "alignment must not be larger than natural");
  }
  if (!mem->limits.is64 && in->mem.offset > UINT32_MAX) return fail(b, "offset out of range");
  if (info->imm == IMM_MEMARG_LANE && in->lane >= (16u >> info->aux))
    return fail(b, "invalid lane index");
  return apply_sig(b, info->sig, mem->limits.is64);
}

/* ---- instructions typed by hand ---- */

static bool do_br_table(body *b) {
  kite_insn *in = &b->in;
  if (!pop_kind(b, KITE_VT_I32)) return false;
  kite_vframe *def = NULL;
  if (!label(b, in->idx, &def)) return false;
  uint32_t arity;
  label_types(def, &arity);
  kite_reader items = in->items;
  for (uint32_t i = 0; i < in->count; i++) {
    uint32_t l;
    if (!kite_read_u32(&items, &l)) return false;
    kite_vframe *fr = NULL;
    if (!label(b, l, &fr)) return false;
    uint32_t n;
    const kite_valtype *ts = label_types(fr, &n);
    if (n != arity) return fail(b, "type mismatch: br_table targets have different arities");
    if (!check_top(b, ts, n)) return false;
  }
  const kite_valtype *ts = label_types(def, &arity);
  if (!pop_vals(b, ts, arity)) return false;
  set_unreachable(b);
  return true;
}

static bool results_match(body *b, const kite_functype *ft) {
  if (ft->nresults != b->nresults) return fail(b, "type mismatch: tail call results differ");
  for (uint32_t i = 0; i < ft->nresults; i++)
    if (!kite_vt_sub(b->v, ft->results[i], b->results[i]))
      return fail(b, "type mismatch: tail call results differ");
  return true;
}

static bool do_call(body *b, const kite_functype *ft, bool tail) {
  if (!pop_vals(b, ft->params, ft->nparams)) return false;
  if (tail) {
    if (!results_match(b, ft)) return false;
    set_unreachable(b);
    return true;
  }
  return push_vals(b, ft->results, ft->nresults);
}

static bool do_call_indirect(body *b, bool tail) {
  const kite_table *t = NULL;
  const kite_functype *ft = NULL;
  if (!get_table(b, b->in.idx2, &t)) return false;
  if (!get_functype(b, b->in.idx, &ft)) return false;
  if (!kite_vt_sub(b->v, t->elem, kite_vt_ref(KITE_HT_FUNC, true)))
    return fail(b, "type mismatch: call_indirect table is not a function table");
  if (!pop(b, addr_type(t->limits.is64))) return false;
  return do_call(b, ft, tail);
}

static bool do_call_ref(body *b, bool tail) {
  const kite_functype *ft = NULL;
  if (!get_functype(b, b->in.idx, &ft)) return false;
  if (!pop(b, kite_vt_ref(b->in.idx, true))) return false;
  return do_call(b, ft, tail);
}

static kite_valtype local_type(const body *b, uint32_t idx) {
  if (idx < b->ft->nparams) return b->ft->params[idx];
  const uint32_t *ends = b->v->group_end;
  uint32_t lo = 0, hi = b->fn->nlocalgroups;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (ends[mid] <= idx) lo = mid + 1;
    else hi = mid;
  }
  return b->fn->localgroups[lo].type;
}

static bool do_local(body *b) {
  kite_insn *in = &b->in;
  kite_vctx *v = b->v;
  if (in->idx >= b->nlocals) return kite_vfail(v, in->offset, "unknown local %u", in->idx);
  kite_valtype t = local_type(b, in->idx);
  bool tracked = !kite_vt_defaultable(t) && in->idx >= b->ft->nparams;
  if (in->op == OP_LOCAL_GET) {
    if (tracked && v->local_stamp[in->idx] != v->stamp)
      return kite_vfail(v, in->offset, "uninitialized local %u", in->idx);
    return push(b, t);
  }
  if (!pop(b, t)) return false;
  if (tracked && v->local_stamp[in->idx] != v->stamp) {
    v->local_stamp[in->idx] = v->stamp;
    if (!kite_vec_push(v->a, &v->init_log, in->idx)) return oom(b);
  }
  return in->op == OP_LOCAL_TEE ? push(b, t) : true;
}

static bool do_global(body *b) {
  kite_insn *in = &b->in;
  uint32_t limit = b->const_mode ? b->nglobals : b->m->nglobals;
  if (in->idx >= limit) return kite_vfail(b->v, in->offset, "unknown global %u", in->idx);
  const kite_globaltype *gt = &b->m->globals[in->idx].type;
  if (in->op == OP_GLOBAL_GET) {
    if (b->const_mode && gt->mut) return fail(b, "constant expression required");
    return push(b, gt->type);
  }
  if (!gt->mut) return fail(b, "immutable global");
  return pop(b, gt->type);
}

static bool do_select(body *b) {
  kite_insn *in = &b->in;
  if (in->op == OP_SELECT_T) {
    if (in->count != 1) return fail(b, "invalid result arity");
    if (!kite_valid_valtype(b->v, in->vt, in->offset)) return false;
    if (!pop_kind(b, KITE_VT_I32) || !pop(b, in->vt) || !pop(b, in->vt)) return false;
    return push(b, in->vt);
  }
  kite_valtype t1, t2;
  if (!pop_kind(b, KITE_VT_I32) || !pop_any(b, &t1) || !pop_any(b, &t2)) return false;
  bool num1 = t1.kind == KITE_VT_BOT || kite_vt_is_num_or_vec(t1);
  bool num2 = t2.kind == KITE_VT_BOT || kite_vt_is_num_or_vec(t2);
  if (!num1 || !num2) return fail(b, "type mismatch: select without type needs numeric operands");
  if (t1.kind != t2.kind && t1.kind != KITE_VT_BOT && t2.kind != KITE_VT_BOT)
    return fail(b, "type mismatch: select operands differ");
  return push(b, t1.kind == KITE_VT_BOT ? t2 : t1);
}

static bool do_table(body *b) {
  kite_insn *in = &b->in;
  const kite_table *t = NULL, *t2 = NULL;
  const kite_elem *e = NULL;
  switch (in->op) {
  case OP_TABLE_GET:
    if (!get_table(b, in->idx, &t) || !pop(b, addr_type(t->limits.is64))) return false;
    return push(b, t->elem);
  case OP_TABLE_SET:
    if (!get_table(b, in->idx, &t)) return false;
    return pop(b, t->elem) && pop(b, addr_type(t->limits.is64));
  case OP_TABLE_SIZE:
    if (!get_table(b, in->idx, &t)) return false;
    return push(b, addr_type(t->limits.is64));
  case OP_TABLE_GROW:
    if (!get_table(b, in->idx, &t)) return false;
    if (!pop(b, addr_type(t->limits.is64)) || !pop(b, t->elem)) return false;
    return push(b, addr_type(t->limits.is64));
  case OP_TABLE_FILL:
    if (!get_table(b, in->idx, &t)) return false;
    return pop(b, addr_type(t->limits.is64)) && pop(b, t->elem) &&
           pop(b, addr_type(t->limits.is64));
  case OP_TABLE_COPY:
    if (!get_table(b, in->idx, &t) || !get_table(b, in->idx2, &t2)) return false;
    if (!kite_vt_sub(b->v, t2->elem, t->elem)) return fail(b, "type mismatch: table element types");
    return pop(b, addr_type(t->limits.is64 && t2->limits.is64)) &&
           pop(b, addr_type(t2->limits.is64)) && pop(b, addr_type(t->limits.is64));
  case OP_TABLE_INIT:
    if (!get_table(b, in->idx2, &t) || !get_elem(b, in->idx, &e)) return false;
    if (!kite_vt_sub(b->v, e->type, t->elem)) return fail(b, "type mismatch: element segment type");
    return pop_kind(b, KITE_VT_I32) && pop_kind(b, KITE_VT_I32) &&
           pop(b, addr_type(t->limits.is64));
  default: /* OP_ELEM_DROP */ return get_elem(b, in->idx, &e);
  }
}

static bool do_memory(body *b) {
  kite_insn *in = &b->in;
  const kite_memory *mem = NULL, *mem2 = NULL;
  switch (in->op) {
  case OP_MEMORY_SIZE:
    if (!get_memory(b, in->idx, &mem)) return false;
    return push(b, addr_type(mem->limits.is64));
  case OP_MEMORY_GROW:
    if (!get_memory(b, in->idx, &mem) || !pop(b, addr_type(mem->limits.is64))) return false;
    return push(b, addr_type(mem->limits.is64));
  case OP_MEMORY_FILL:
    if (!get_memory(b, in->idx, &mem)) return false;
    return pop(b, addr_type(mem->limits.is64)) && pop_kind(b, KITE_VT_I32) &&
           pop(b, addr_type(mem->limits.is64));
  case OP_MEMORY_COPY:
    if (!get_memory(b, in->idx, &mem) || !get_memory(b, in->idx2, &mem2)) return false;
    return pop(b, addr_type(mem->limits.is64 && mem2->limits.is64)) &&
           pop(b, addr_type(mem2->limits.is64)) && pop(b, addr_type(mem->limits.is64));
  case OP_MEMORY_INIT:
    if (!get_memory(b, in->idx2, &mem) || !need_data(b, in->idx)) return false;
    return pop_kind(b, KITE_VT_I32) && pop_kind(b, KITE_VT_I32) &&
           pop(b, addr_type(mem->limits.is64));
  default: /* OP_DATA_DROP */ return need_data(b, in->idx);
  }
}

/* A reference type, exact when `exact` (custom descriptors; ht is then a type index). */
static kite_valtype exact_ref(uint32_t ht, bool nullable, bool exact) {
  kite_valtype t = kite_vt_ref(ht, nullable);
  t.exact = exact;
  return t;
}

static bool do_ref(body *b) {
  kite_insn *in = &b->in;
  kite_valtype t;
  switch (in->op) {
  case OP_REF_NULL:
    if (!kite_valid_heaptype(b->v, in->ht, in->offset)) return false;
    return push(b, exact_ref(in->ht, true, in->exact));
  case OP_REF_IS_NULL:
    if (!pop_ref(b, &t)) return false;
    return push(b, kite_vt(KITE_VT_I32));
  case OP_REF_FUNC: {
    const kite_functype *ft = NULL;
    if (!get_func(b, in->idx, &ft)) return false;
    if (!b->const_mode && !is_declared(b->m, in->idx))
      return fail(b, "undeclared function reference");
    if (has(b, FEAT_FUNC_REFS)) {
      const kite_func *f = &b->m->funcs[in->idx];
      return push(b, exact_ref(f->type, false, f->exact && has(b, FEAT_CUSTOM_DESC)));
    }
    return push(b, kite_vt_ref(KITE_HT_FUNC, true));
  }
  case OP_REF_AS_NON_NULL:
    if (!pop_ref(b, &t)) return false;
    return push(b, exact_ref(t.ht, false, t.exact));
  case OP_REF_EQ:
    return pop(b, kite_vt_ref(KITE_HT_EQ, true)) && pop(b, kite_vt_ref(KITE_HT_EQ, true)) &&
           push(b, kite_vt(KITE_VT_I32));
  default: return fail(b, "illegal opcode");
  }
}

/* br_on_null, br_on_non_null. */
static bool do_br_on_null(body *b) {
  kite_insn *in = &b->in;
  kite_vframe *fr = NULL;
  kite_valtype t;
  if (!label(b, in->idx, &fr)) return false;
  if (!pop_ref(b, &t)) return false;
  uint32_t n;
  fr = &b->v->ctrls.data[b->v->ctrls.len - 1 - in->idx];
  const kite_valtype *ts = label_types(fr, &n);
  if (in->op == OP_BR_ON_NULL) {
    if (!pop_vals(b, ts, n) || !push_vals(b, ts, n)) return false;
    return push(b, exact_ref(t.ht, false, t.exact));
  }
  if (n == 0 || ts[n - 1].kind != KITE_VT_REF)
    return fail(b, "type mismatch: br_on_non_null target must take a reference");
  if (!push(b, exact_ref(t.ht, false, t.exact))) return false;
  fr = &b->v->ctrls.data[b->v->ctrls.len - 1 - in->idx];
  ts = label_types(fr, &n);
  return pop_vals(b, ts, n) && push_vals(b, ts, n - 1);
}

/* ---- GC ---- */

static kite_valtype unpacked(kite_valtype t) {
  return t.kind == KITE_VT_I8 || t.kind == KITE_VT_I16 ? kite_vt(KITE_VT_I32) : t;
}

static bool is_packed(kite_valtype t) { return t.kind == KITE_VT_I8 || t.kind == KITE_VT_I16; }

/* What an allocation of type idx makes: an exact reference with custom descriptors. */
static kite_valtype made_ref(const body *b, uint32_t idx) {
  return exact_ref(idx, false, has(b, FEAT_CUSTOM_DESC));
}

static bool get_comp(body *b, uint32_t idx, uint8_t comp, const kite_subtype **st) {
  if (idx >= b->m->ntypes) return kite_vfail(b->v, b->in.offset, "unknown type %u", idx);
  *st = &b->m->types[idx];
  if ((*st)->comp != comp)
    return fail(b, comp == KITE_COMP_STRUCT ? "type mismatch: not a struct type"
                                            : "type mismatch: not an array type");
  return true;
}

static bool do_struct(body *b) {
  kite_insn *in = &b->in;
  const kite_subtype *st = NULL;
  if (!get_comp(b, in->idx, KITE_COMP_STRUCT, &st)) return false;
  uint32_t nf = st->u.strukt.nfields;
  const kite_fieldtype *fs = st->u.strukt.fields;
  bool desc = in->op == OP_STRUCT_NEW_DESC || in->op == OP_STRUCT_NEW_DEFAULT_DESC;
  switch (in->op) {
  case OP_STRUCT_NEW:
  case OP_STRUCT_NEW_DEFAULT:
  case OP_STRUCT_NEW_DESC:
  case OP_STRUCT_NEW_DEFAULT_DESC:
    /* custom descriptors: a type with a descriptor is allocated with one, exactly its own */
    if (st->has_descriptor && !desc)
      return fail(b, "type with descriptor requires descriptor allocation");
    if (!st->has_descriptor && desc)
      return fail(b, "type without descriptor requires non-descriptor allocation");
    if (desc && !pop(b, exact_ref(st->descriptor, true, true))) return false;
    break;
  default: break;
  }
  switch (in->op) {
  case OP_STRUCT_NEW:
  case OP_STRUCT_NEW_DESC:
    for (uint32_t i = nf; i-- > 0;)
      if (!pop(b, unpacked(fs[i].type))) return false;
    return push(b, made_ref(b, in->idx));
  case OP_STRUCT_NEW_DEFAULT:
  case OP_STRUCT_NEW_DEFAULT_DESC:
    for (uint32_t i = 0; i < nf; i++)
      if (!kite_vt_defaultable(fs[i].type))
        return fail(b, "type mismatch: field is not defaultable");
    return push(b, made_ref(b, in->idx));
  default: break;
  }
  if (in->idx2 >= nf) return kite_vfail(b->v, in->offset, "unknown field %u", in->idx2);
  const kite_fieldtype *ft = &fs[in->idx2];
  if (in->op == OP_STRUCT_SET) {
    if (!ft->mut) return fail(b, "immutable field");
    return pop(b, unpacked(ft->type)) && pop(b, kite_vt_ref(in->idx, true));
  }
  if ((in->op == OP_STRUCT_GET) == is_packed(ft->type))
    return fail(b, is_packed(ft->type) ? "type mismatch: packed field needs struct.get_s/u"
                                       : "type mismatch: field is not packed");
  return pop(b, kite_vt_ref(in->idx, true)) && push(b, unpacked(ft->type));
}

static bool elem_fits(body *b, const kite_elem *e, const kite_fieldtype *ft) {
  if (!kite_vt_sub(b->v, e->type, ft->type)) return fail(b, "type mismatch: element segment type");
  return true;
}

static bool data_fits(body *b, const kite_fieldtype *ft) {
  if (!kite_vt_is_num_or_vec(unpacked(ft->type)) && !is_packed(ft->type))
    return fail(b, "array type is not numeric or vector");
  return true;
}

static bool do_array(body *b) {
  kite_insn *in = &b->in;
  const kite_subtype *st = NULL, *st2 = NULL;
  const kite_elem *e = NULL;
  kite_valtype i32 = kite_vt(KITE_VT_I32);
  if (in->op == OP_ARRAY_LEN) return pop(b, kite_vt_ref(KITE_HT_ARRAY, true)) && push(b, i32);
  if (!get_comp(b, in->idx, KITE_COMP_ARRAY, &st)) return false;
  const kite_fieldtype *ft = &st->u.array;
  kite_valtype elt = unpacked(ft->type), ref = kite_vt_ref(in->idx, true);
  kite_valtype made = made_ref(b, in->idx);
  switch (in->op) {
  case OP_ARRAY_NEW: return pop(b, i32) && pop(b, elt) && push(b, made);
  case OP_ARRAY_NEW_DEFAULT:
    if (!kite_vt_defaultable(ft->type))
      return fail(b, "type mismatch: array type is not defaultable");
    return pop(b, i32) && push(b, made);
  case OP_ARRAY_NEW_FIXED: return pop_same(b, elt, in->count) && push(b, made);
  case OP_ARRAY_NEW_DATA:
    if (!data_fits(b, ft) || !need_data(b, in->idx2)) return false;
    return pop(b, i32) && pop(b, i32) && push(b, made);
  case OP_ARRAY_NEW_ELEM:
    if (!get_elem(b, in->idx2, &e) || !elem_fits(b, e, ft)) return false;
    return pop(b, i32) && pop(b, i32) && push(b, made);
  case OP_ARRAY_GET:
  case OP_ARRAY_GET_S:
  case OP_ARRAY_GET_U:
    if ((in->op == OP_ARRAY_GET) == is_packed(ft->type))
      return fail(b, is_packed(ft->type) ? "type mismatch: packed array needs array.get_s/u"
                                         : "type mismatch: array is not packed");
    return pop(b, i32) && pop(b, ref) && push(b, elt);
  default: break;
  }
  if (!ft->mut) return fail(b, "immutable array");
  switch (in->op) {
  case OP_ARRAY_SET: return pop(b, elt) && pop(b, i32) && pop(b, ref);
  case OP_ARRAY_FILL: return pop(b, i32) && pop(b, elt) && pop(b, i32) && pop(b, ref);
  case OP_ARRAY_COPY: {
    if (!get_comp(b, in->idx2, KITE_COMP_ARRAY, &st2)) return false;
    kite_fieldtype src = st2->u.array, dst = *ft;
    src.mut = dst.mut = false; /* storage types only */
    bool ok = is_packed(src.type) || is_packed(dst.type) ? src.type.kind == dst.type.kind
                                                         : kite_vt_sub(b->v, src.type, dst.type);
    if (!ok) return fail(b, "array types do not match");
    return pop(b, i32) && pop(b, i32) && pop(b, kite_vt_ref(in->idx2, true)) && pop(b, i32) &&
           pop(b, ref);
  }
  case OP_ARRAY_INIT_DATA:
    if (!data_fits(b, ft) || !need_data(b, in->idx2)) return false;
    return pop(b, i32) && pop(b, i32) && pop(b, i32) && pop(b, ref);
  default: /* OP_ARRAY_INIT_ELEM */
    if (!get_elem(b, in->idx2, &e) || !elem_fits(b, e, ft)) return false;
    return pop(b, i32) && pop(b, i32) && pop(b, i32) && pop(b, ref);
  }
}

/* ---- custom descriptors ---- */

/* The descriptor type of a cast target, which must have one. */
static bool target_descriptor(body *b, uint32_t ht, uint32_t *out) {
  if (!kite_valid_heaptype(b->v, ht, b->in.offset)) return false;
  if (kite_ht_is_index(ht) && b->m->types[ht].has_descriptor) {
    *out = b->m->types[ht].descriptor;
    return true;
  }
  char name[64];
  if (kite_ht_is_index(ht)) snprintf(name, sizeof name, "%u", ht);
  else snprintf(name, sizeof name, "%s", kite_abstract_heaptype_text(ht));
  return kite_vfail(b->v, b->in.offset, "type %s does not have a descriptor", name);
}

static bool do_desc(body *b) {
  kite_insn *in = &b->in;
  uint32_t y;
  kite_valtype t;
  switch (in->op) {
  case OP_REF_GET_DESC: {
    if (in->idx >= b->m->ntypes) return kite_vfail(b->v, in->offset, "unknown type %u", in->idx);
    const kite_subtype *st = &b->m->types[in->idx];
    if (!st->has_descriptor) return fail(b, "type without descriptor");
    if (!pop_get(b, kite_vt_ref(in->idx, true), &t)) return false;
    /* exact when the operand is exactly of this type (or can only be null) */
    bool exact = t.kind != KITE_VT_REF || !kite_ht_is_index(t.ht) ||
                 (t.exact && kite_ht_sub(b->v, t.ht, in->idx) && kite_ht_sub(b->v, in->idx, t.ht));
    return push(b, exact_ref(st->descriptor, false, exact));
  }
  case OP_REF_CAST_DESC_EQ:
  case OP_REF_CAST_DESC_EQ_NULL: {
    if (!target_descriptor(b, in->ht, &y)) return false;
    if (!pop(b, exact_ref(y, true, in->exact))) return false;
    if (!pop(b, kite_vt_ref(kite_ht_top(b->m, in->ht), true))) return false;
    return push(b, exact_ref(in->ht, in->op == OP_REF_CAST_DESC_EQ_NULL, in->exact));
  }
  default: return malformed(b, "illegal opcode");
  }
}

/* (ref null1 ht1) minus (ref null2 ht2): what fails a cast. */
static kite_valtype ref_diff(kite_valtype a, kite_valtype b2) {
  return exact_ref(a.ht, a.nullable && !b2.nullable, a.exact);
}

static bool do_cast(body *b) {
  kite_insn *in = &b->in;
  bool test = in->op == OP_REF_TEST || in->op == OP_REF_TEST_NULL;
  bool null = in->op == OP_REF_TEST_NULL || in->op == OP_REF_CAST_NULL;
  if (!kite_valid_heaptype(b->v, in->ht, in->offset)) return false;
  if (!pop(b, kite_vt_ref(kite_ht_top(b->m, in->ht), true))) return false;
  return push(b, test ? kite_vt(KITE_VT_I32) : exact_ref(in->ht, null, in->exact));
}

static bool do_br_on_cast(body *b) {
  kite_insn *in = &b->in;
  kite_vframe *fr = NULL;
  bool desc = in->op == OP_BR_ON_CAST_DESC_EQ || in->op == OP_BR_ON_CAST_DESC_EQ_FAIL;
  bool on_success = in->op == OP_BR_ON_CAST || in->op == OP_BR_ON_CAST_DESC_EQ;
  uint32_t y;
  if (!label(b, in->idx, &fr)) return false;
  if (!kite_valid_heaptype(b->v, in->ht, in->offset) ||
      !kite_valid_heaptype(b->v, in->ht2, in->offset))
    return false;
  /* br_on_cast_desc_eq*: the descriptor to compare with is on top of the reference */
  if (desc && (!target_descriptor(b, in->ht2, &y) || !pop(b, exact_ref(y, true, in->exact2))))
    return false;
  kite_valtype rt1 = exact_ref(in->ht, in->flags & 1, in->exact);
  kite_valtype rt2 = exact_ref(in->ht2, (in->flags >> 1) & 1, in->exact2);
  /* Custom descriptors relax the target to any type of the source's hierarchy. */
  bool related = has(b, FEAT_CUSTOM_DESC) ? kite_ht_top(b->m, rt1.ht) == kite_ht_top(b->m, rt2.ht)
                                          : kite_vt_sub(b->v, rt2, rt1);
  if (!related) return fail(b, "type mismatch: cast target is not a subtype");
  if (!pop(b, rt1)) return false;
  kite_valtype on_branch = on_success ? rt2 : ref_diff(rt1, rt2);
  kite_valtype on_fall = on_success ? ref_diff(rt1, rt2) : rt2;
  uint32_t n;
  const kite_valtype *ts = label_types(fr, &n);
  if (n == 0) return fail(b, "type mismatch: branch target takes no reference");
  if (!push(b, on_branch)) return false;
  fr = &b->v->ctrls.data[b->v->ctrls.len - 1 - in->idx];
  ts = label_types(fr, &n);
  return pop_vals(b, ts, n) && push_vals(b, ts, n - 1) && push(b, on_fall);
}

static bool do_gc_misc(body *b) {
  kite_valtype t;
  switch (b->in.op) {
  case OP_REF_I31: return pop_kind(b, KITE_VT_I32) && push(b, kite_vt_ref(KITE_HT_I31, false));
  case OP_I31_GET_S:
  case OP_I31_GET_U: return pop(b, kite_vt_ref(KITE_HT_I31, true)) && push(b, kite_vt(KITE_VT_I32));
  case OP_ANY_CONVERT_EXTERN:
    if (!pop_get(b, kite_vt_ref(KITE_HT_EXTERN, true), &t)) return false;
    return push(b, kite_vt_ref(KITE_HT_ANY, t.kind != KITE_VT_BOT && t.nullable));
  default: /* OP_EXTERN_CONVERT_ANY */
    if (!pop_get(b, kite_vt_ref(KITE_HT_ANY, true), &t)) return false;
    return push(b, kite_vt_ref(KITE_HT_EXTERN, t.kind != KITE_VT_BOT && t.nullable));
  }
}

/* ---- exceptions ---- */

static bool do_try_table(body *b) {
  kite_insn *in = &b->in;
  kite_reader items = in->items;
  kite_valtype exnref = kite_vt_ref(KITE_HT_EXN, false);
  for (uint32_t i = 0; i < in->count; i++) {
    kite_catch c;
    if (!kite_read_catch(&items, &c)) return false;
    kite_valtype ts[2] = {exnref, exnref};
    const kite_valtype *tp = ts;
    uint32_t n = 0;
    const kite_functype *ft = NULL;
    if (c.kind == KITE_CATCH || c.kind == KITE_CATCH_REF) {
      if (!get_tag(b, c.tag, &ft)) return false;
    }
    kite_vframe *fr = NULL;
    if (!label(b, c.label, &fr)) return false;
    uint32_t nl;
    const kite_valtype *lts = label_types(fr, &nl);
    uint32_t want = (ft ? ft->nparams : 0) + (c.kind & 1);
    if (nl != want) return fail(b, "type mismatch: catch label arity");
    if (ft) {
      tp = ft->params;
      n = ft->nparams;
    }
    for (uint32_t j = 0; j < n; j++)
      if (!kite_vt_sub(b->v, tp[j], lts[j])) return fail(b, "type mismatch: catch label types");
    if ((c.kind & 1) && !kite_vt_sub(b->v, exnref, lts[nl - 1]))
      return fail(b, "type mismatch: catch label types");
  }
  return open_block(b, OP_TRY_TABLE);
}

static bool do_legacy_eh(body *b) {
  kite_insn *in = &b->in;
  kite_vframe *fr = top(b);
  const kite_functype *ft = NULL;
  switch (in->op) {
  case OP_TRY: return open_block(b, OP_TRY);
  case OP_CATCH:
    if (b->v->ctrls.len < 2 || (fr->op != OP_TRY && fr->op != OP_CATCH))
      return malformed(b, "END opcode expected");
    if (!get_tag(b, in->idx, &ft) || !new_arm(b, OP_CATCH)) return false;
    return push_vals(b, ft->params, ft->nparams);
  case OP_CATCH_ALL:
    if (b->v->ctrls.len < 2 || (fr->op != OP_TRY && fr->op != OP_CATCH))
      return malformed(b, "END opcode expected");
    return new_arm(b, OP_CATCH_ALL);
  case OP_DELEGATE: {
    if (b->v->ctrls.len < 2 || fr->op != OP_TRY) return malformed(b, "END opcode expected");
    if (!end_arm(b)) return false;
    kite_vframe done = *fr;
    undo_inits(b, done.init_height);
    b->v->ctrls.len--;
    b->v->nvals = done.height - 1; /* below the mark */
    if (in->idx >= b->v->ctrls.len)
      return kite_vfail(b->v, in->offset, "unknown label %u", in->idx);
    uint32_t nr;
    const kite_valtype *rs = frame_results(&done, &nr);
    return push_vals(b, rs, nr);
  }
  default: /* OP_RETHROW */
    if (!label(b, in->idx, &fr)) return false;
    if (fr->op != OP_CATCH && fr->op != OP_CATCH_ALL) return fail(b, "invalid rethrow label");
    set_unreachable(b);
    return true;
  }
}

/* ---- the instruction loop ---- */

static bool const_allowed(const body *b, kite_opcode op) {
  switch (op) {
  case OP_I32_CONST:
  case OP_I64_CONST:
  case OP_F32_CONST:
  case OP_F64_CONST:
  case OP_V128_CONST:
  case OP_REF_NULL:
  case OP_REF_FUNC:
  case OP_GLOBAL_GET:
  case OP_END: return true;
  case OP_I32_ADD:
  case OP_I32_SUB:
  case OP_I32_MUL:
  case OP_I64_ADD:
  case OP_I64_SUB:
  case OP_I64_MUL: return has(b, FEATX_EXTENDED_CONST);
  case OP_STRUCT_NEW:
  case OP_STRUCT_NEW_DEFAULT:
  case OP_ARRAY_NEW:
  case OP_ARRAY_NEW_DEFAULT:
  case OP_ARRAY_NEW_FIXED:
  case OP_REF_I31:
  case OP_ANY_CONVERT_EXTERN:
  case OP_EXTERN_CONVERT_ANY: return has(b, FEAT_GC);
  case OP_STRUCT_NEW_DESC:
  case OP_STRUCT_NEW_DEFAULT_DESC: return has(b, FEAT_CUSTOM_DESC);
  default: return false;
  }
}

static bool do_insn(body *b) {
  kite_insn *in = &b->in;
  const kite_opinfo *info = &kite_opinfo_table[in->op];
  if (b->const_mode && !const_allowed(b, in->op)) return fail(b, "constant expression required");
  switch (info->imm) {
  case IMM_MEMARG:
  case IMM_MEMARG_LANE: return memory_access(b, info);
  case IMM_LANE:
    if (in->lane >= info->aux) return fail(b, "invalid lane index");
    return apply_sig(b, info->sig, false);
  case IMM_SHUFFLE:
    for (int i = 0; i < 16; i++)
      if (in->bytes[i] >= 32) return fail(b, "invalid lane index");
    return apply_sig(b, info->sig, false);
  default: break;
  }
  if (info->sig[0]) return apply_sig(b, info->sig, false);

  kite_vframe *fr = NULL;
  const kite_functype *ft = NULL;
  uint32_t n;
  const kite_valtype *ts;
  switch (in->op) {
  case OP_UNREACHABLE: set_unreachable(b); return true;
  case OP_NOP: return true;
  case OP_BLOCK:
  case OP_LOOP:
  case OP_IF: return open_block(b, (uint16_t)in->op);
  case OP_ELSE:
    if (top(b)->op != OP_IF) return malformed(b, "END opcode expected");
    fr = top(b);
    if (!new_arm(b, OP_ELSE)) return false;
    fr = top(b);
    return push_vals(b, fr->params, fr->nparams);
  case OP_END: return do_end(b);
  case OP_BR:
    if (!label(b, in->idx, &fr)) return false;
    ts = label_types(fr, &n);
    if (!pop_vals(b, ts, n)) return false;
    set_unreachable(b);
    return true;
  case OP_BR_IF:
    if (!label(b, in->idx, &fr) || !pop_kind(b, KITE_VT_I32)) return false;
    fr = &b->v->ctrls.data[b->v->ctrls.len - 1 - in->idx];
    ts = label_types(fr, &n);
    return pop_vals(b, ts, n) && push_vals(b, ts, n);
  case OP_BR_TABLE: return do_br_table(b);
  case OP_RETURN:
    if (!pop_vals(b, b->results, b->nresults)) return false;
    set_unreachable(b);
    return true;
  case OP_CALL:
  case OP_RETURN_CALL:
    if (!get_func(b, in->idx, &ft)) return false;
    return do_call(b, ft, in->op == OP_RETURN_CALL);
  case OP_CALL_INDIRECT:
  case OP_RETURN_CALL_INDIRECT: return do_call_indirect(b, in->op == OP_RETURN_CALL_INDIRECT);
  case OP_CALL_REF:
  case OP_RETURN_CALL_REF: return do_call_ref(b, in->op == OP_RETURN_CALL_REF);
  case OP_DROP: {
    kite_valtype t;
    return pop_any(b, &t);
  }
  case OP_SELECT:
  case OP_SELECT_T: return do_select(b);
  case OP_LOCAL_GET:
  case OP_LOCAL_SET:
  case OP_LOCAL_TEE: return do_local(b);
  case OP_GLOBAL_GET:
  case OP_GLOBAL_SET: return do_global(b);
  case OP_TABLE_GET:
  case OP_TABLE_SET:
  case OP_TABLE_SIZE:
  case OP_TABLE_GROW:
  case OP_TABLE_FILL:
  case OP_TABLE_COPY:
  case OP_TABLE_INIT:
  case OP_ELEM_DROP: return do_table(b);
  case OP_MEMORY_SIZE:
  case OP_MEMORY_GROW:
  case OP_MEMORY_FILL:
  case OP_MEMORY_COPY:
  case OP_MEMORY_INIT:
  case OP_DATA_DROP: return do_memory(b);
  case OP_REF_NULL:
  case OP_REF_IS_NULL:
  case OP_REF_FUNC:
  case OP_REF_AS_NON_NULL:
  case OP_REF_EQ: return do_ref(b);
  case OP_BR_ON_NULL:
  case OP_BR_ON_NON_NULL: return do_br_on_null(b);
  case OP_THROW:
    if (!get_tag(b, in->idx, &ft) || !pop_vals(b, ft->params, ft->nparams)) return false;
    set_unreachable(b);
    return true;
  case OP_THROW_REF:
    if (!pop(b, kite_vt_ref(KITE_HT_EXN, true))) return false;
    set_unreachable(b);
    return true;
  case OP_TRY_TABLE: return do_try_table(b);
  case OP_TRY:
  case OP_CATCH:
  case OP_CATCH_ALL:
  case OP_DELEGATE:
  case OP_RETHROW: return do_legacy_eh(b);
  case OP_STRUCT_NEW:
  case OP_STRUCT_NEW_DEFAULT:
  case OP_STRUCT_NEW_DESC:
  case OP_STRUCT_NEW_DEFAULT_DESC:
  case OP_STRUCT_GET:
  case OP_STRUCT_GET_S:
  case OP_STRUCT_GET_U:
  case OP_STRUCT_SET: return do_struct(b);
  case OP_ARRAY_NEW:
  case OP_ARRAY_NEW_DEFAULT:
  case OP_ARRAY_NEW_FIXED:
  case OP_ARRAY_NEW_DATA:
  case OP_ARRAY_NEW_ELEM:
  case OP_ARRAY_GET:
  case OP_ARRAY_GET_S:
  case OP_ARRAY_GET_U:
  case OP_ARRAY_SET:
  case OP_ARRAY_LEN:
  case OP_ARRAY_FILL:
  case OP_ARRAY_COPY:
  case OP_ARRAY_INIT_DATA:
  case OP_ARRAY_INIT_ELEM: return do_array(b);
  case OP_REF_TEST:
  case OP_REF_TEST_NULL:
  case OP_REF_CAST:
  case OP_REF_CAST_NULL: return do_cast(b);
  case OP_BR_ON_CAST:
  case OP_BR_ON_CAST_FAIL:
  case OP_BR_ON_CAST_DESC_EQ:
  case OP_BR_ON_CAST_DESC_EQ_FAIL: return do_br_on_cast(b);
  case OP_REF_GET_DESC:
  case OP_REF_CAST_DESC_EQ:
  case OP_REF_CAST_DESC_EQ_NULL: return do_desc(b);
  case OP_REF_I31:
  case OP_I31_GET_S:
  case OP_I31_GET_U:
  case OP_ANY_CONVERT_EXTERN:
  case OP_EXTERN_CONVERT_ANY: return do_gc_misc(b);
  default: return malformed(b, "illegal opcode");
  }
}

/* ---- the fast path ---- */

/* What the fast path does with an opcode (kite_vsig.fast). */
enum {
  FAST_NO,      /* leave it to the general path */
  FAST_SIG,     /* no immediates; the fixed signature */
  FAST_UNARY,   /* no immediates; one operand, one result */
  FAST_BINARY,  /* no immediates; two operands, one result */
  FAST_UN_I32,  /* [i32] -> [i32] */
  FAST_BIN_I32, /* [i32 i32] -> [i32] */
  FAST_BIN_I64, /* [i64 i64] -> [i64] */
  FAST_LOAD,    /* a memarg (memory 0, 32-bit); an address, one result */
  FAST_STORE,   /* a memarg (memory 0, 32-bit); an address and a value, no result */
  FAST_CONST32, /* i32.const */
  FAST_CONST64, /* i64.const */
  FAST_CONSTF32,
  FAST_CONSTF64,
  FAST_LOCAL_GET,
  FAST_LOCAL_SET,
  FAST_LOCAL_TEE,
  FAST_GLOBAL_GET,
  FAST_GLOBAL_SET,
  FAST_DROP,
  FAST_SELECT,
  FAST_NOP,
  FAST_UNREACHABLE,
  FAST_BLOCK, /* block, loop, if */
  FAST_END,
  FAST_BR,
  FAST_BR_IF,
  FAST_RETURN,
  FAST_CALL,
  FAST_COUNT
};

/* The kind of the locals the fast path leaves to the general path (references): no
   value on the stack has it. */
#define LOCAL_SLOW 0xFF
/*
** Locals below this have their kind in v->local_kind whatever the body declares (LOCAL_SLOW
** past its own), and the next LOCAL_KIND_MIN bytes always read LOCAL_SLOW, the kinds of
** the locals from LOCAL_KIND_MIN on coming after them (local_kind_at): so the byte after
** local.get, set or tee indexes the kinds directly, and one comparison tells a local of
** a number type with a one-byte index from everything else.
*/
#define LOCAL_KIND_MIN 128

/* Where local idx's kind is in v->local_kind. */
static inline uint32_t local_kind_at(uint32_t idx) {
  return idx < LOCAL_KIND_MIN ? idx : idx + LOCAL_KIND_MIN;
}

static uint8_t fast_kind(const kite_vctx *v, kite_opcode op, kite_imm imm, const kite_vsig *vs) {
  switch (op) {
  case OP_LOCAL_GET: return FAST_LOCAL_GET;
  case OP_LOCAL_SET: return FAST_LOCAL_SET;
  case OP_LOCAL_TEE: return FAST_LOCAL_TEE;
  case OP_GLOBAL_GET: return FAST_GLOBAL_GET;
  case OP_GLOBAL_SET: return FAST_GLOBAL_SET;
  case OP_DROP: return FAST_DROP;
  case OP_SELECT: return FAST_SELECT;
  case OP_NOP: return FAST_NOP;
  case OP_UNREACHABLE: return FAST_UNREACHABLE;
  case OP_BLOCK:
  case OP_LOOP:
  case OP_IF: return FAST_BLOCK;
  case OP_END: return FAST_END;
  case OP_BR: return FAST_BR;
  case OP_BR_IF: return FAST_BR_IF;
  case OP_RETURN: return FAST_RETURN;
  case OP_CALL: return FAST_CALL;
  default: break;
  }
  if (!kite_opinfo_table[op].sig[0]) return FAST_NO;
  unsigned shape = vs->npop * 2 + vs->npush; /* (operands, results) */
  const kite_module *m = v->m;
  bool mem32 = m->nmemories && !m->memories[0].limits.is64;
  switch (imm) {
  case IMM_NONE:
    if (shape == 1 * 2 + 1)
      return vs->pop[1] == KITE_VT_I32 && vs->push == KITE_VT_I32 ? FAST_UN_I32 : FAST_UNARY;
    if (shape == 2 * 2 + 1) {
      bool same = vs->pop[0] == vs->pop[1] && vs->push == vs->pop[1];
      if (same && vs->push == KITE_VT_I32) return FAST_BIN_I32;
      if (same && vs->push == KITE_VT_I64) return FAST_BIN_I64;
      return FAST_BINARY;
    }
    return FAST_SIG;
  case IMM_I32: return shape == 1 ? FAST_CONST32 : FAST_NO;
  case IMM_I64: return shape == 1 ? FAST_CONST64 : FAST_NO;
  case IMM_F32: return shape == 1 ? FAST_CONSTF32 : FAST_NO;
  case IMM_F64: return shape == 1 ? FAST_CONSTF64 : FAST_NO;
  case IMM_MEMARG:
    if (!mem32) return FAST_NO;
    return shape == 1 * 2 + 1 ? FAST_LOAD : shape == 2 * 2 ? FAST_STORE : FAST_NO;
  default: return FAST_NO;
  }
}

static const uint8_t *fast_run(kite_vctx *v, const uint8_t *p, const uint8_t *end);

void kite_valid_code_init(kite_vctx *v) {
  memset(v->sigs, 0, sizeof v->sigs);
  for (unsigned byte = 0; byte < 256; byte++) {
    kite_byteop bo = kite_byteop_table[byte];
    if (!bo.op1 || !kite_has_feature(v->f, bo.feature)) continue;
    kite_opcode op = (kite_opcode)(bo.op1 - 1);
    const kite_opinfo *info = &kite_opinfo_table[op];
    kite_vsig *vs = &v->sigs[byte];
    uint8_t pop[3];
    const char *c = info->sig;
    for (; *c && *c != ':'; c++) {
      if (vs->npop == KITE_ARRAY_LEN(vs->pop)) goto skip;
      pop[vs->npop++] = sig_type(*c).kind;
    }
    /* Aligned to the top of the stack. */
    for (unsigned i = 0; i < vs->npop; i++) vs->pop[2 - vs->npop + i] = pop[i];
    if (*c == ':') c++;
    for (; *c; c++) {
      if (vs->npush == 1) goto skip;
      vs->push = sig_type(*c).kind;
      vs->npush++;
    }
    vs->align = info->aux;
    vs->fast = fast_kind(v, op, (kite_imm)bo.imm, vs);
    continue;
  skip:
    memset(vs, 0, sizeof *vs);
  }
  fast_run(v, NULL, NULL);
}

/* Are the n values below `top` exactly of the number types ts? A frame's mark (or
   anything but a number) stops the match, so it never looks below the frame. */
static inline bool kinds_are(const uint8_t *top, const kite_valtype *ts, uint32_t n) {
  for (uint32_t i = n; i-- > 0;) {
    uint8_t k = *--top;
    if (k != ts[i].kind || !is_num_kind(k)) return false;
  }
  return true;
}

/* Whether a branch to the frame may carry values: not when it is a loop without
   parameters, or a frame whose cached end check (set_end_check) says it has no result. */
static inline bool carries(const kite_vframe *fr) {
  return fr->op == OP_LOOP ? fr->nparams != 0 : fr->end_height != fr->height;
}

/* The index of the first byte of w (loaded little-endian) that has its top bit clear,
   which must have one. */
static inline unsigned first_stop(uint64_t w) { return kite_ctz64(~w & 0x8080808080808080ull) / 8; }

/*
** Skip a well-formed signed LEB128 of `bits` (32 or 64) value bits whose value is not
** needed (constants): eight bytes at once find its end. NULL when it is malformed or
** runs past `end`. Forced inline: as a call (gcc's choice) with `bits` not constant,
** constants took a fifth of validation's time.
*/
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline const uint8_t *
skip_sleb(const uint8_t *p, const uint8_t *end, unsigned bits) {
  if (end - p >= 8) {
    uint64_t w = kite_load_u64le(p);
    if (bits == 32) {
      /* At most five bytes; the fifth has 4 value bits and 3 unused ones that copy the
         sign: it is below 8 or from 0x78. */
      uint64_t stop = ~w & 0x0000008080808080ull;
      if (!stop) return NULL;
      if (stop & 0x80808080u) return p + first_stop(w) + 1;
      return (uint8_t)(p[4] + 8) < 16 ? p + 5 : NULL;
    }
    /* Up to eight bytes of the ten allowed need no more checks. */
    if (~w & 0x8080808080808080ull) return p + first_stop(w) + 1;
  }
  uint64_t v;
  return kite_leb_fast(p, end, bits, true, &v);
}

/* The rest of a u32 index or offset at p of more than one byte; NULL when it is
   malformed or runs past end. */
static inline const uint8_t *u32_rest(const uint8_t *p, const uint8_t *end, uint32_t *out) {
  uint64_t v = 0;
  p = kite_leb_fast(p, end, 32, false, &v);
  *out = (uint32_t)v;
  return p;
}

/* A u32 index or offset at p, which is below end; NULL when it is malformed or runs
   past end. */
static inline const uint8_t *fast_u32(const uint8_t *p, const uint8_t *end, uint32_t *out) {
  if (*p < 0x80) {
    *out = *p;
    return p + 1;
  }
  return u32_rest(p, end, out);
}

/* The handlers' label addresses are kept in v->fast_handler, so there must be only one
   copy of fast_run's code. */
#if defined(__GNUC__) && !defined(__clang__)
#define FAST_THREADED 1
#define FAST_RUN_ATTR __attribute__((noinline, noclone))
#elif defined(__GNUC__)
#define FAST_THREADED 1
#define FAST_RUN_ATTR __attribute__((noinline))
#else
#define FAST_THREADED 0
#define FAST_RUN_ATTR
#endif

/*
** Validate a run of common instructions without a kite_insn: fixed signatures over
** numbers, locals of number types, globals, constants, accesses to a 32-bit memory 0,
** drop, select, blocks with no type or one number type, end, branches, calls and return;
** each only when it is well-formed and its operands match exactly (number types, no
** subtyping). Only the kinds of the stack are looked at, through pointers to its top
** and to the frame's first value, with no call and no allocation: run() reserved room
** for as many values as there are bytes left, and no instruction here pushes more
** values than it has bytes (but call, which checks). It stops, having left the
** instruction untouched, at the first one it does not handle, so the general path reads
** that one and reports any error exactly.
**
** It only starts on a body whose last byte is end (any other is malformed, which the
** general path reports), so that dispatch needs no bound check: only end can run on
** the last byte, and it checks itself that it was not the last before going on. Every
** other handler has a byte after its opcode, so it reads the first byte of an
** immediate as it is; handlers with immediates make sure these end before the last
** byte.
**
** Returns where it stopped. Without p, it only fills v->fast_handler: the handler of
** each opcode byte.
*/
FAST_RUN_ATTR static const uint8_t *fast_run(kite_vctx *v, const uint8_t *p, const uint8_t *end) {
#if FAST_THREADED
  /* Threaded dispatch straight on the opcode byte: each handler jumps to the next one
     itself, so the branch predictor sees one indirect jump per handler. */
  static const void *const handler[] = {[FAST_NO] = &&fast_no,
                                        [FAST_SIG] = &&fast_sig,
                                        [FAST_UNARY] = &&fast_unary,
                                        [FAST_BINARY] = &&fast_binary,
                                        [FAST_UN_I32] = &&fast_un_i32,
                                        [FAST_BIN_I32] = &&fast_bin_i32,
                                        [FAST_BIN_I64] = &&fast_bin_i64,
                                        [FAST_LOAD] = &&fast_load,
                                        [FAST_STORE] = &&fast_store,
                                        [FAST_CONST32] = &&fast_const32,
                                        [FAST_CONST64] = &&fast_const64,
                                        [FAST_CONSTF32] = &&fast_constf32,
                                        [FAST_CONSTF64] = &&fast_constf64,
                                        [FAST_LOCAL_GET] = &&fast_local_get,
                                        [FAST_LOCAL_SET] = &&fast_local_set,
                                        [FAST_LOCAL_TEE] = &&fast_local_tee,
                                        [FAST_GLOBAL_GET] = &&fast_global_get,
                                        [FAST_GLOBAL_SET] = &&fast_global_set,
                                        [FAST_DROP] = &&fast_drop,
                                        [FAST_SELECT] = &&fast_select,
                                        [FAST_NOP] = &&fast_nop,
                                        [FAST_UNREACHABLE] = &&fast_unreachable,
                                        [FAST_BLOCK] = &&fast_block,
                                        [FAST_END] = &&fast_end,
                                        [FAST_BR] = &&fast_br,
                                        [FAST_BR_IF] = &&fast_br_if,
                                        [FAST_RETURN] = &&fast_return,
                                        [FAST_CALL] = &&fast_call};
  /* Every kind needs its entry: a new last one without it fails here. */
  _Static_assert(sizeof handler / sizeof *handler == FAST_COUNT, "a fast kind has no handler");
  if (!p) {
    for (unsigned i = 0; i < 256; i++) v->fast_handler[i] = handler[v->sigs[i].fast];
    return NULL;
  }
#define FAST_LABEL(name)                                                                           \
  name:
#define FAST_NEXT() goto * v->fast_handler[*p]
#else
  if (!p) return NULL;
#define FAST_LABEL(name)
#define FAST_NEXT() continue
#endif
  if (!v->ctrls.len || p >= end || end[-1] != 0x0B) return p;
  const uint8_t *const last = end - 1;
  uint8_t *sp = v->kinds + v->nvals; /* one past the top */
  /* The innermost frame (kept along with v->ctrls.len), and its first value (just above
     its mark): looked up when needed, which keeps registers for the common
     instructions. */
  kite_vframe *top = &v->ctrls.data[v->ctrls.len - 1];
#define FRAME top
#define FLOOR (v->kinds + FRAME->height)
  const uint8_t *const local_kind = v->local_kind;
  const uint8_t *q;
  uint32_t idx;
  /* An instruction with immediates: whether they may start at p + 1 and take `bytes`
     bytes without the body's last. One byte is the common case, with its own bound. The
     body has at least the byte of its size before it, so last - 1 is in the module. */
  const uint8_t *const last1 = last - 1;
#define IMM_ROOM(bytes) ((bytes) == 1 ? p < last1 : last - p > (bytes))
#if FAST_THREADED
  FAST_NEXT(); /* the switch below is only the way in for the other builds */
#endif
  for (;;) {
    switch (v->sigs[*p].fast) {
    case FAST_UN_I32:
      FAST_LABEL(fast_un_i32)
      if (sp[-1] != KITE_VT_I32) goto done;
      p++;
      FAST_NEXT();
    case FAST_BIN_I32:
      FAST_LABEL(fast_bin_i32) {
        /* Reads below a mark at kinds[0] the zero byte before it. */
        static const uint8_t i32_i32[2] = {KITE_VT_I32, KITE_VT_I32};
        if (memcmp(sp - 2, i32_i32, 2) != 0) goto done;
        sp--;
        p++;
        FAST_NEXT();
      }
    case FAST_BIN_I64:
      FAST_LABEL(fast_bin_i64) {
        static const uint8_t i64_i64[2] = {KITE_VT_I64, KITE_VT_I64};
        if (memcmp(sp - 2, i64_i64, 2) != 0) goto done;
        sp--;
        p++;
        FAST_NEXT();
      }
    case FAST_UNARY:
      FAST_LABEL(fast_unary) {
        const kite_vsig *sg = &v->sigs[*p];
        if (sp[-1] != sg->pop[1]) goto done;
        sp[-1] = sg->push;
        p++;
        FAST_NEXT();
      }
    case FAST_BINARY:
      FAST_LABEL(fast_binary) {
        const kite_vsig *sg = &v->sigs[*p];
        if (memcmp(sp - 2, sg->pop, 2) != 0) goto done;
        sp[-2] = sg->push;
        sp--;
        p++;
        FAST_NEXT();
      }
    case FAST_SIG:
      FAST_LABEL(fast_sig) {
        const kite_vsig *sg = &v->sigs[*p];
        if (sg->npop == 2 ? memcmp(sp - 2, sg->pop, 2) != 0 : sg->npop && sp[-1] != sg->pop[1])
          goto done;
        sp -= sg->npop;
        if (sg->npush) *sp++ = sg->push;
        p++;
        FAST_NEXT();
      }
    case FAST_LOAD:
      FAST_LABEL(fast_load) {
        /* Flags up to the natural alignment: memory 0; then a 32-bit offset. */
        const kite_vsig *sg = &v->sigs[*p];
        if (!IMM_ROOM(2) || p[1] > sg->align || sp[-1] != KITE_VT_I32) goto done;
        if (!(q = fast_u32(p + 2, last, &idx))) goto done;
        sp[-1] = sg->push;
        p = q;
        FAST_NEXT();
      }
    case FAST_STORE:
      FAST_LABEL(fast_store) {
        const kite_vsig *sg = &v->sigs[*p];
        if (!IMM_ROOM(2) || p[1] > sg->align || memcmp(sp - 2, sg->pop, 2) != 0) goto done;
        if (!(q = fast_u32(p + 2, last, &idx))) goto done;
        sp -= 2;
        p = q;
        FAST_NEXT();
      }
    case FAST_CONST32:
      FAST_LABEL(fast_const32)
      if (!IMM_ROOM(1)) goto done;
      if (p[1] < 0x80) {
        p += 2;
      } else if (IMM_ROOM(5)) {
        /* The first four bytes at once. A fifth has 4 value bits, 3 unused ones that
           copy the sign and no continuation: it is below 8, or from 0x78 to 0x7F. */
        uint32_t w = kite_load_u32le(p + 1);
        if (~w & 0x80808080u) p += 2 + first_stop(w);
        else if (p[5] < 8 || (uint8_t)(p[5] - 0x78) < 8) p += 6;
        else goto done;
      } else {
        if (!(q = skip_sleb(p + 1, last, 32))) goto done;
        p = q;
      }
      *sp++ = KITE_VT_I32;
      FAST_NEXT();
    case FAST_CONST64:
      FAST_LABEL(fast_const64)
      if (!IMM_ROOM(1)) goto done;
      if (p[1] < 0x80) {
        p += 2;
      } else {
        if (!(q = skip_sleb(p + 1, last, 64))) goto done;
        p = q;
      }
      *sp++ = KITE_VT_I64;
      FAST_NEXT();
    case FAST_CONSTF32:
      FAST_LABEL(fast_constf32)
      if (!IMM_ROOM(4)) goto done;
      *sp++ = KITE_VT_F32;
      p += 5;
      FAST_NEXT();
    case FAST_CONSTF64:
      FAST_LABEL(fast_constf64)
      if (!IMM_ROOM(8)) goto done;
      *sp++ = KITE_VT_F64;
      p += 9;
      FAST_NEXT();
    case FAST_LOCAL_GET:
      FAST_LABEL(fast_local_get) {
        if (!IMM_ROOM(1)) goto done;
        uint8_t k = local_kind[p[1]];
        if (k != LOCAL_SLOW) {
          p += 2;
        } else {
          if (p[1] < 0x80 || !(q = u32_rest(p + 1, last, &idx)) || idx >= v->nlocal_kind) goto done;
          k = local_kind[local_kind_at(idx)];
          if (k == LOCAL_SLOW) goto done;
          p = q;
        }
        *sp++ = k;
        FAST_NEXT();
      }
    case FAST_LOCAL_SET:
      FAST_LABEL(fast_local_set)
      /* No value has kind LOCAL_SLOW. */
      if (!IMM_ROOM(1)) goto done;
      if (sp[-1] == local_kind[p[1]]) {
        p += 2;
      } else {
        if (p[1] < 0x80 || !(q = u32_rest(p + 1, last, &idx)) || idx >= v->nlocal_kind ||
            sp[-1] != local_kind[local_kind_at(idx)])
          goto done;
        p = q;
      }
      sp--;
      FAST_NEXT();
    case FAST_LOCAL_TEE:
      FAST_LABEL(fast_local_tee)
      if (!IMM_ROOM(1)) goto done;
      if (sp[-1] == local_kind[p[1]]) {
        p += 2;
      } else {
        if (p[1] < 0x80 || !(q = u32_rest(p + 1, last, &idx)) || idx >= v->nlocal_kind ||
            sp[-1] != local_kind[local_kind_at(idx)])
          goto done;
        p = q;
      }
      FAST_NEXT();
    case FAST_GLOBAL_GET:
      FAST_LABEL(fast_global_get) {
        if (!IMM_ROOM(1) || !(q = fast_u32(p + 1, last, &idx)) || idx >= v->m->nglobals) goto done;
        uint8_t k = v->m->globals[idx].type.type.kind;
        if (!is_num_kind(k)) goto done;
        *sp++ = k;
        p = q;
        FAST_NEXT();
      }
    case FAST_GLOBAL_SET:
      FAST_LABEL(fast_global_set) {
        if (!IMM_ROOM(1) || !(q = fast_u32(p + 1, last, &idx)) || idx >= v->m->nglobals) goto done;
        const kite_globaltype *gt = &v->m->globals[idx].type;
        if (!gt->mut || !is_num_kind(gt->type.kind) || sp[-1] != gt->type.kind) goto done;
        sp--;
        p = q;
        FAST_NEXT();
      }
    case FAST_DROP:
      FAST_LABEL(fast_drop)
      if (sp[-1] == FRAME_MARK) goto done;
      sp--;
      p++;
      FAST_NEXT();
    case FAST_SELECT:
      FAST_LABEL(fast_select) {
        uint8_t k = sp[-2];
        if (sp[-1] != KITE_VT_I32 || !is_num_kind(k) || sp[-3] != k) goto done;
        sp -= 2;
        p++;
        FAST_NEXT();
      }
    case FAST_NOP:
      FAST_LABEL(fast_nop)
      p++;
      FAST_NEXT();
    case FAST_UNREACHABLE:
      FAST_LABEL(fast_unreachable)
      sp = FLOOR;
      FRAME->unreachable = true;
      p++;
      FAST_NEXT();
    case FAST_BLOCK:
      FAST_LABEL(fast_block) {
        /* No type, or one number type (v128 is left to the general path). */
        if (v->ctrls.len == v->ctrls.cap || !IMM_ROOM(1)) goto done;
        uint8_t bt = p[1];
        if (!kite_blocktype_is_simple(bt)) goto done;
        static const uint16_t block_op[3] = {OP_BLOCK, OP_LOOP, OP_IF}; /* 0x02, 0x03, 0x04 */
        uint16_t op = block_op[*p - 0x02];
        if (op == OP_IF) {
          if (sp[-1] != KITE_VT_I32) goto done;
          sp--;
        }
        *sp++ = FRAME_MARK;
        kite_vframe *fr = ++top;
        v->ctrls.len++;
        uint32_t height = (uint32_t)(sp - v->kinds);
        *fr = (kite_vframe){.op = op,
                            .height = height,
                            .init_height = (uint32_t)v->init_log.len,
                            .end_height = height};
        if (bt != 0x40) {
          fr->has_single = true;
          fr->single = kite_vt(bt);
          fr->nresults = 1;
          /* set_end_check's rule: an if with a result needs an else. */
          fr->end_height = op == OP_IF ? 0 : height + 1;
        }
        p += 2;
        FAST_NEXT();
      }
    case FAST_END:
      FAST_LABEL(fast_end) {
        /* Locals to forget are left to the general path. */
        const kite_vframe *fr = FRAME;
        uint8_t *floor = v->kinds + fr->height;
        if (v->init_log.len != fr->init_height) goto done;
        if (sp != v->kinds + fr->end_height || sp[-1] != fr->single.kind) {
          /* Not the cached case (set_end_check): only more than one result at the
             body's end; an if without else passes its parameters for its results, which
             is left to the general path unless both are empty. */
          uint32_t nr;
          const kite_valtype *rs = frame_results(fr, &nr);
          if (fr->op == OP_IF && (fr->nparams || nr)) goto done;
          if ((size_t)(sp - floor) != nr || nr < 2 || v->ctrls.len > 1 || !kinds_are(sp, rs, nr))
            goto done;
        }
        p++;
        if (--v->ctrls.len == 0) goto done; /* the end of the body */
        top--;
        /* The result, if any, moves down over the mark: one value less either way. */
        floor[-1] = sp[-1];
        sp--;
        if (p > last) goto done; /* that was the last byte, not the body's end */
        FAST_NEXT();
      }
    case FAST_BR:
      FAST_LABEL(fast_br) {
        if (!IMM_ROOM(1) || !(q = fast_u32(p + 1, last, &idx)) || idx >= v->ctrls.len) goto done;
        if (carries(top - idx)) {
          uint32_t n;
          const kite_valtype *ts = label_types(top - idx, &n);
          if (!kinds_are(sp, ts, n)) goto done;
        }
        sp = FLOOR;
        FRAME->unreachable = true;
        p = q;
        FAST_NEXT();
      }
    case FAST_BR_IF:
      FAST_LABEL(fast_br_if) {
        if (!IMM_ROOM(1) || !(q = fast_u32(p + 1, last, &idx)) || idx >= v->ctrls.len ||
            sp[-1] != KITE_VT_I32)
          goto done;
        if (carries(top - idx)) {
          uint32_t n;
          const kite_valtype *ts = label_types(top - idx, &n);
          if (!kinds_are(sp - 1, ts, n)) goto done;
        }
        sp--;
        p = q;
        FAST_NEXT();
      }
    case FAST_RETURN:
      FAST_LABEL(fast_return) {
        /* The body's frame has the function's results. */
        uint32_t n;
        const kite_valtype *ts = frame_results(&v->ctrls.data[0], &n);
        if (!kinds_are(sp, ts, n)) goto done;
        sp = FLOOR;
        FRAME->unreachable = true;
        p++;
        FAST_NEXT();
      }
    case FAST_CALL:
      FAST_LABEL(fast_call) {
        if (!IMM_ROOM(1) || !(q = fast_u32(p + 1, last, &idx)) || idx >= v->m->nfuncs) goto done;
        const kite_functype *ft = kite_module_func_type(v->m, idx);
        if (!kinds_are(sp, ft->params, ft->nparams) ||
            ft->nresults > (size_t)(v->kinds + v->kinds_cap - sp) + ft->nparams)
          goto done;
        for (uint32_t i = 0; i < ft->nresults; i++)
          if (!is_num_kind(ft->results[i].kind)) goto done;
        sp -= ft->nparams;
        for (uint32_t i = 0; i < ft->nresults; i++) *sp++ = ft->results[i].kind;
        p = q;
        FAST_NEXT();
      }
    default: FAST_LABEL(fast_no) goto done;
    }
  }
#undef FAST_LABEL
#undef FAST_NEXT
#undef FRAME
#undef FLOOR
#undef IMM_ROOM
done:
  v->nvals = (size_t)(sp - v->kinds);
  return p;
}

/* Read and validate one instruction with the general path. Out of line: inlined, it made
   run() save many registers for each body. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static bool
general_insn(body *b) {
  if (b->r.p >= b->r.end) {
    b->in.offset = (uint32_t)(b->r.p - b->m->bytes);
    return malformed(b, "END opcode expected");
  }
  if (!kite_read_insn(&b->r, b->f, &b->in)) {
    if (!kite_failed(b->v->err))
      kite_fail(b->v->err, KITE_ERR_COMPILE, KITE_COMPILE_MALFORMED, kite_reader_offset(&b->r),
                "illegal opcode");
    return false;
  }
  return do_insn(b);
}

/* Room on the stacks for a body (or constant expression) of `size` bytes: its frame,
   and as many values as it has bytes, which the fast path relies on (fast_run). */
static inline bool reserve_body(kite_vctx *v, size_t size) {
  size_t room = size + 2; /* the frame's mark and one value more */
  if (room > v->kinds_cap && !reserve_kinds(v, room)) return false;
  return v->ctrls.cap ||
         kite_vec_reserve_(v->a, (void **)&v->ctrls.data, &v->ctrls.cap, 1, sizeof *v->ctrls.data);
}

/* Open the frame of a body or constant expression (reserve_body made room): its mark
   alone on the stack, no local set yet. */
static inline void begin_body(kite_vctx *v, const kite_valtype *results, uint32_t nresults) {
  v->init_log.len = 0;
  v->kinds[0] = FRAME_MARK;
  v->nvals = 1;
  kite_vframe *fr = &v->ctrls.data[0];
  /* set_end_check's rule, spelt out for a block at height 1. */
  *fr = (kite_vframe){.op = OP_BLOCK,
                      .height = 1,
                      .nresults = nresults,
                      .end_height = nresults == 0,
                      .results = results};
  if (nresults == 1) {
    fr->has_single = true;
    fr->single = results[0];
    if (is_num_kind(results[0].kind)) fr->end_height = 2;
  }
  v->ctrls.len = 1;
}

/* Run the instructions of [p, end) with the general path, handing over to the fast path
   after each one (but in constant expressions); the stacks are as the instructions
   before p left them (begin_body for none). b->r and b->in are set here. */
static bool run(body *b, const uint8_t *p, const uint8_t *end) {
  kite_vctx *v = b->v;
  b->r = (kite_reader){.base = b->m->bytes, .p = p, .end = end, .err = v->err};
  b->in.offset = (uint32_t)(p - b->m->bytes);
  while (v->ctrls.len > 0) {
    if (!general_insn(b)) return false;
    if (!b->const_mode && v->ctrls.len > 0) {
      size_t room = v->nvals + (size_t)(b->r.end - b->r.p) + 1;
      if (room > v->kinds_cap && !reserve_kinds(v, room)) return oom(b);
      b->r.p = fast_run(v, b->r.p, b->r.end);
    }
  }
  if (b->r.p != b->r.end) {
    b->in.offset = (uint32_t)(b->r.p - b->m->bytes);
    return malformed(b, "section size mismatch");
  }
  return true;
}

/* Grow a scratch array of uint32_t to at least n entries (contents not kept). */
static bool grow_u32(kite_vctx *v, uint32_t **p, size_t *cap, size_t n) {
  size_t ncap = *cap ? *cap : 16;
  while (ncap < n) ncap *= 2;
  kite_free(v->a, *p, *cap * sizeof(uint32_t));
  *cap = 0;
  *p = kite_calloc(v->a, ncap, sizeof(uint32_t));
  if (!*p) return false;
  *cap = ncap;
  return true;
}

static inline bool ensure_u32(kite_vctx *v, uint32_t **p, size_t *cap, size_t n) {
  return n <= *cap || grow_u32(v, p, cap, n);
}

/* Room for n local kinds; new entries read LOCAL_SLOW. */
static bool reserve_local_kinds(kite_vctx *v, uint64_t n) {
  if (n <= v->local_kind_cap) return true;
  size_t cap = v->local_kind_cap ? v->local_kind_cap : 2 * LOCAL_KIND_MIN;
  while (cap < n) cap *= 2;
  uint8_t *p = kite_realloc(v->a, v->local_kind, v->local_kind_cap, cap);
  if (!p) return false;
  memset(p + v->local_kind_cap, LOCAL_SLOW, cap - v->local_kind_cap);
  v->local_kind = p;
  v->local_kind_cap = cap;
  return true;
}

static uint8_t local_kind_of(kite_valtype t) { return is_num_kind(t.kind) ? t.kind : LOCAL_SLOW; }

/* Eight copies of k at p: one store where a short loop would take several. */
static inline void put8(uint8_t *p, uint8_t k) {
  uint64_t w = 0x0101010101010101ull * k;
  memcpy(p, &w, 8);
}

/* How many local kinds the fast path has for a body of `size` bytes at most, and the
   room they take (reserve_local_kinds): eight bytes of slack after them. */
static uint64_t local_kinds_max(size_t size) { return (uint64_t)size + 16; }
static uint64_t local_kinds_room(size_t size) {
  uint64_t n = local_kinds_max(size);
  return (n < LOCAL_KIND_MIN ? LOCAL_KIND_MIN : n) + LOCAL_KIND_MIN + 8;
}

/* Kind k for locals [i, i + count). A short run among the first LOCAL_KIND_MIN may write
   up to eight bytes past its end, but never into the bytes after them, which must stay
   LOCAL_SLOW; past the last local, the caller writes over it. */
static inline void put_kinds(uint8_t *kinds, uint32_t i, uint32_t count, uint8_t k) {
  if (i + count <= LOCAL_KIND_MIN - 8) { /* the common case */
    if (count <= 8) put8(kinds + i, k);
    else memset(kinds + i, k, count);
  } else if (i >= LOCAL_KIND_MIN) {
    memset(kinds + i + LOCAL_KIND_MIN, k, count);
  } else {
    uint32_t low = count < LOCAL_KIND_MIN - i ? count : LOCAL_KIND_MIN - i;
    memset(kinds + i, k, low);
    memset(kinds + 2 * LOCAL_KIND_MIN, k, count - low);
  }
}

/*
** The kinds of the first locals for the fast path (room reserved): as many as the body
** has bytes (plus a few), so that a body declaring 50000 locals in three bytes costs no
** more to set up. Short groups are written eight bytes at a time (the array has eight
** bytes of slack), and what lies past the last local among the first LOCAL_KIND_MIN
** (from this body's writes or the previous body's locals) goes back to LOCAL_SLOW.
** *nlocals is the count of all locals. Returns whether check_locals has nothing to
** report: every local group is of a number type, and there are at most UINT32_MAX.
*/
static bool fill_local_kinds(kite_vctx *v, const kite_func *fn, const kite_functype *ft,
                             uint64_t *nlocals) {
  uint64_t n = local_kinds_max(fn->code_end - fn->code_offset);
  uint8_t *kinds = v->local_kind;
  uint64_t total = ft->nparams;
  uint32_t i = 0, np = total < n ? ft->nparams : (uint32_t)n;
  if (ft == v->param_ft) {
    /* Eight bytes, of which those past the parameters are written over below. */
    memcpy(kinds, &v->param_kinds, 8);
    i = np;
  } else {
    uint32_t low = np < LOCAL_KIND_MIN ? np : LOCAL_KIND_MIN;
    for (; i < low; i++) kinds[i] = local_kind_of(ft->params[i]);
    for (; i < np; i++) kinds[local_kind_at(i)] = local_kind_of(ft->params[i]);
    if (ft->nparams <= 8) {
      v->param_ft = ft;
      memcpy(&v->param_kinds, kinds, 8);
    }
  }
  bool plain = true;
  for (uint32_t g = 0; g < fn->nlocalgroups; g++) {
    uint64_t count = fn->localgroups[g].count;
    uint8_t k = local_kind_of(fn->localgroups[g].type);
    plain &= k != LOCAL_SLOW;
    total += count;
    if (count > n - i) count = n - i;
    put_kinds(kinds, i, (uint32_t)count, k);
    i += (uint32_t)count;
  }
  if (i < LOCAL_KIND_MIN) {
    /* Short runs wrote up to i + 8. */
    uint32_t stale = v->nlocal_kind < LOCAL_KIND_MIN ? v->nlocal_kind : LOCAL_KIND_MIN;
    if (stale <= i + 8 && i + 8 <= LOCAL_KIND_MIN) put8(kinds + i, LOCAL_SLOW);
    else
      memset(kinds + i, LOCAL_SLOW,
             (stale > i + 8            ? stale
              : i + 8 < LOCAL_KIND_MIN ? i + 8
                                       : LOCAL_KIND_MIN) -
                 i);
  }
  v->nlocal_kind = i;
  *nlocals = total;
  return plain && total <= UINT32_MAX;
}

/*
** The locals as the general path sees them: each group's type valid, one past each
** group's last index (local_type's search), no more than UINT32_MAX, and fresh stamps
** when some need initialising. Errors are those of the first group at fault.
*/
static bool check_locals(kite_vctx *v, const kite_func *fn, const kite_functype *ft) {
  uint64_t nlocals = ft->nparams;
  if (!ensure_u32(v, &v->group_end, &v->group_cap, fn->nlocalgroups))
    return kite_fail(v->err, KITE_ERR_OOM, 0, fn->body_offset, "out of memory");
  bool tracked = false;
  for (uint32_t g = 0; g < fn->nlocalgroups; g++) {
    kite_valtype t = fn->localgroups[g].type;
    if (!is_num_kind(t.kind)) {
      if (!kite_valid_valtype(v, t, fn->body_offset)) return false;
      tracked |= !kite_vt_defaultable(t);
    }
    nlocals += fn->localgroups[g].count;
    if (nlocals > UINT32_MAX)
      return kite_fail(v->err, KITE_ERR_COMPILE, KITE_COMPILE_MALFORMED, fn->body_offset,
                       "too many locals");
    v->group_end[g] = (uint32_t)nlocals;
  }
  if (tracked) {
    /* Stamps restart when they wrap, after clearing every entry once. */
    if (!ensure_u32(v, &v->local_stamp, &v->stamp_cap, (size_t)nlocals))
      return kite_fail(v->err, KITE_ERR_OOM, 0, fn->body_offset, "out of memory");
    if (++v->stamp == 0) {
      memset(v->local_stamp, 0, v->stamp_cap * sizeof(uint32_t));
      v->stamp = 1;
    }
  }
  return true;
}

/* The rest of a body from p, where the fast path stopped, with the general path; the
   locals are checked unless `checked`. Out of line, so that kite_valid_func stays small. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static bool
finish_func(kite_vctx *v, const kite_func *fn, const kite_functype *ft, uint64_t nlocals,
            bool checked, const uint8_t *p) {
  if (!checked && !check_locals(v, fn, ft)) return false;
  body b; /* b.in is left to run() and kite_read_insn: clearing it costs more than the rest */
  b.v = v;
  b.m = v->m;
  b.f = v->f;
  b.const_mode = false;
  b.nglobals = 0;
  b.results = ft->results;
  b.nresults = ft->nresults;
  b.nlocals = (uint32_t)nlocals;
  b.ft = ft;
  b.fn = fn;
  return run(&b, p, v->m->bytes + fn->code_end);
}

/*
** A body costs little besides its instructions: its local kinds are filled in one pass
** over the groups, which also tells whether the general path would find anything wrong
** with them, and it starts in the fast path at once. The general path's own state is
** only made when the fast path stops before the body's end (finish_func): bodies with
** locals of other types have theirs checked first, as their errors come before any
** instruction's.
*/
bool kite_valid_func(kite_vctx *v, uint32_t funcidx) {
  const kite_module *m = v->m;
  const kite_func *fn = &m->funcs[funcidx];
  const kite_functype *ft = kite_module_functype(m, fn->type);
  const uint8_t *p = m->bytes + fn->code_offset, *end = m->bytes + fn->code_end;
  size_t size = (size_t)(end - p);
  if (!reserve_local_kinds(v, local_kinds_room(size)))
    return kite_fail(v->err, KITE_ERR_OOM, 0, fn->body_offset, "out of memory");
  if (!reserve_body(v, size))
    return kite_fail(v->err, KITE_ERR_OOM, 0, fn->code_offset, "out of memory");
  uint64_t nlocals;
  bool plain = fill_local_kinds(v, fn, ft, &nlocals);
  if (!plain && !check_locals(v, fn, ft)) return false;
  begin_body(v, ft->results, ft->nresults);
  p = fast_run(v, p, end);
  if (v->ctrls.len == 0 && p == end) return true;
  return finish_func(v, fn, ft, nlocals, !plain, p);
}

bool kite_valid_const_expr(kite_vctx *v, kite_expr e, kite_valtype want, uint32_t nglobals) {
  const uint8_t *p = v->m->bytes + e.offset;
  if (!reserve_body(v, 0)) return kite_fail(v->err, KITE_ERR_OOM, 0, e.offset, "out of memory");
  begin_body(v, &want, 1);
  body b;
  memset(&b, 0, sizeof b);
  b.v = v;
  b.m = v->m;
  b.f = v->f;
  b.const_mode = true;
  b.nglobals = nglobals;
  b.results = &want;
  b.nresults = 1;
  return run(&b, p, p + e.len);
}

void kite_vctx_free_scratch(kite_vctx *v) {
  if (v->kinds) kite_free(v->a, v->kinds - 1, v->kinds_cap + 1);
  kite_free(v->a, v->refs, v->refs_cap * sizeof *v->refs);
  v->kinds = NULL;
  v->refs = NULL;
  v->nvals = v->kinds_cap = v->refs_cap = 0;
  kite_vec_free(v->a, &v->ctrls);
  kite_vec_free(v->a, &v->init_log);
  kite_free(v->a, v->local_stamp, v->stamp_cap * sizeof(uint32_t));
  kite_free(v->a, v->group_end, v->group_cap * sizeof(uint32_t));
  kite_free(v->a, v->local_kind, v->local_kind_cap);
  v->local_kind = NULL;
  v->local_kind_cap = 0;
  v->nlocal_kind = 0;
  v->local_stamp = v->group_end = NULL;
  v->stamp_cap = v->group_cap = 0;
}
