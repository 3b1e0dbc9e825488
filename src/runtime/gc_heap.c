/*
** gc_heap.c: the store's heap of structs and arrays, and its collector.
**
** Objects are allocated one by one through the store's allocator hook and never move.
** Collection is mark-sweep, triggered by allocation volume: when the bytes allocated
** since the last collection would pass the threshold (at least twice what survived it,
** plus the root set's size, so the work per collection stays proportional to the
** allocation between collections), or when an allocation fails.
**
** Roots:
** - The interpreter's value stack holds untyped 64-bit slots. It is scanned
**   conservatively: a slot is taken as an object when its value is the address of a
**   live object, which the hash set of object addresses answers in O(1). A number
**   that happens to equal an object's address only keeps that object alive longer;
**   objects never move, so nothing is ever rewritten. This needs no stack maps from
**   the lowering and stays correct whatever the interpreter keeps in its frames.
**   The scan covers the stack from its base up to the current frame's end (the
**   interpreter passes it at each allocation) or the store's sp, whichever is higher.
** - Globals, tables, and the element segments of every instance of the store.
** - The payloads of the store's live exceptions (exn.c frees them when caught, else
**   with the store; they are not heap objects, so an exnref field is never traced).
** - Host-held values: the public API has no handles for GC references yet, so objects
**   a host keeps outside wasm-visible places are only guaranteed until the next call
**   into wasm; everything is released when the store is freed.
** While instantiation evaluates constant expressions the new objects live in C
** variables, so it inhibits collection (kite_gc_inhibit).
**
** Objects reference each other through typed fields: a reference field whose type
** is in the any or extern hierarchy holds either a non-pointer (null, i31, host) or a
** live object, so marking follows it without a lookup; funcref fields are skipped.
** Marking uses an explicit stack; when the stack cannot grow, marked objects are
** rescanned until no object is left unvisited.
*/
#include "runtime.h"

#include "binary.h"

#define GC_MIN_THRESHOLD ((size_t)4 << 20)
/* The largest object (beyond it allocation fails as out of memory). */
#define GC_MAX_OBJECT ((uint64_t)1 << 32)

struct kite_gc *kite_gc_new(kite_alloc *a) {
  struct kite_gc *g = kite_calloc(a, 1, sizeof *g);
  if (!g) return NULL;
  g->alloc = a;
  g->threshold = GC_MIN_THRESHOLD;
  return g;
}

static size_t object_size(const kite_gcobj *o) {
  if (o->rtt->comp == KITE_COMP_ARRAY) return KITE_GCOBJ_HDR + (size_t)o->len * o->rtt->size;
  return KITE_GCOBJ_HDR + o->rtt->size;
}

void kite_gc_free(struct kite_gc *g) {
  if (!g) return;
  for (size_t i = 0; i < g->objs.len; i++)
    kite_free(g->alloc, g->objs.data[i], object_size(g->objs.data[i]));
  kite_vec_free(g->alloc, &g->objs);
  kite_vec_free(g->alloc, &g->mark_stack);
  kite_free(g->alloc, g->set, g->set_cap * sizeof *g->set);
  kite_free(g->alloc, g, sizeof *g);
}

void kite_gc_inhibit(kite_store *s, bool on) {
  if (on) s->gc->inhibit++;
  else s->gc->inhibit--;
}

/* ---- the address set ---- */

static size_t addr_hash(uintptr_t p) {
  uint64_t x = (uint64_t)p >> 4;
  x ^= x >> 29;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 32;
  return (size_t)x;
}

static void set_insert(struct kite_gc *g, uintptr_t p) {
  size_t mask = g->set_cap - 1, h = addr_hash(p) & mask;
  while (g->set[h]) h = (h + 1) & mask;
  g->set[h] = p;
}

static bool set_contains(const struct kite_gc *g, uintptr_t p) {
  if (!g->set_cap) return false;
  size_t mask = g->set_cap - 1, h = addr_hash(p) & mask;
  for (uintptr_t e; (e = g->set[h]) != 0; h = (h + 1) & mask)
    if (e == p) return true;
  return false;
}

/* Rebuild the set from objs at capacity cap (a power of two above 2 * objects). */
static void set_rebuild(struct kite_gc *g) {
  memset(g->set, 0, g->set_cap * sizeof *g->set);
  for (size_t i = 0; i < g->objs.len; i++) set_insert(g, (uintptr_t)g->objs.data[i]);
}

/* Room for one more object in objs and the set. */
static bool reserve_one(struct kite_gc *g) {
  if (!kite_vec_reserve_(g->alloc, (void **)&g->objs.data, &g->objs.cap, g->objs.len + 1,
                         sizeof *g->objs.data))
    return false;
  if ((g->objs.len + 1) * 2 <= g->set_cap) return true;
  size_t cap = g->set_cap ? g->set_cap * 2 : 256;
  uintptr_t *set = kite_calloc(g->alloc, cap, sizeof *set);
  if (!set) return false;
  kite_free(g->alloc, g->set, g->set_cap * sizeof *g->set);
  g->set = set;
  g->set_cap = cap;
  set_rebuild(g);
  return true;
}

bool kite_gc_is_object(const kite_store *s, kite_ref r) {
  return s->gc && kite_ref_is_ptr(r) && set_contains(s->gc, (uintptr_t)r);
}

/* ---- marking ---- */

static void mark_obj(struct kite_gc *g, kite_gcobj *o) {
  if (o->marked) return;
  o->marked = 1;
  if (!kite_vec_push(g->alloc, &g->mark_stack, o)) g->mark_overflow = true;
}

/* A value that may or may not be an object (stack slots, exnref fields). */
static void mark_maybe(struct kite_gc *g, uint64_t v) {
  if (kite_ref_is_ptr(v) && set_contains(g, (uintptr_t)v)) mark_obj(g, (kite_gcobj *)(uintptr_t)v);
}

static void mark_field(struct kite_gc *g, const uint8_t *p, uint8_t trace) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  if (trace == 1) {
    if (kite_ref_is_ptr(v)) mark_obj(g, (kite_gcobj *)(uintptr_t)v);
  } else {
    mark_maybe(g, v);
  }
}

static void trace_obj(struct kite_gc *g, kite_gcobj *o) {
  const kite_rtt *t = o->rtt;
  uint8_t *data = kite_gcobj_data(o);
  if (t->comp == KITE_COMP_ARRAY) {
    uint8_t trace = t->fields[0].trace;
    if (!trace) return;
    for (uint32_t i = 0; i < o->len; i++) mark_field(g, data + (size_t)i * t->size, trace);
    return;
  }
  for (uint32_t i = 0; i < t->nfields; i++)
    if (t->fields[i].trace) mark_field(g, data + t->fields[i].offset, t->fields[i].trace);
}

static void drain(struct kite_gc *g) {
  for (;;) {
    while (g->mark_stack.len) trace_obj(g, g->mark_stack.data[--g->mark_stack.len]);
    if (!g->mark_overflow) return;
    /* Some marked objects were never pushed: trace every marked object again. */
    g->mark_overflow = false;
    for (size_t i = 0; i < g->objs.len; i++)
      if (g->objs.data[i]->marked) trace_obj(g, g->objs.data[i]);
  }
}

static void mark_range(struct kite_gc *g, const uint64_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) mark_maybe(g, p[i]);
}

/* Roots held by the store's objects; returns the number of root slots scanned. */
static size_t mark_store_roots(kite_store *s) {
  struct kite_gc *g = s->gc;
  size_t n = 0;
  for (kite_object *o = s->objects; o; o = o->next) {
    switch (o->kind) {
    case KITE_EXTERN_GLOBAL: {
      kite_globalinst *gl = (kite_globalinst *)o;
      if (gl->type.type.kind == KITE_VT_REF) mark_maybe(g, gl->slots[0]);
      n++;
      break;
    }
    case KITE_EXTERN_TABLE: {
      kite_tableinst *t = (kite_tableinst *)o;
      if (t->elem_rtt ? t->elem_rtt->comp == KITE_COMP_FUNC
                      : (t->elem.ht == KITE_HT_FUNC || t->elem.ht == KITE_HT_NOFUNC))
        break; /* functions are not heap objects */
      mark_range(g, t->elems, t->size);
      n += t->size;
      break;
    }
    case KITE_OBJ_INSTANCE: {
      kite_instance *inst = (kite_instance *)o;
      if (!inst->elem_refs || !inst->elem_len) break;
      for (uint32_t i = 0; i < inst->module->nelems; i++) {
        if (!inst->elem_refs[i]) continue;
        mark_range(g, inst->elem_refs[i], inst->elem_len[i]);
        n += inst->elem_len[i];
      }
      break;
    }
    default: break;
    }
  }
  /* Exceptions live until caught or until the store dies: their payloads are roots. */
  for (kite_exn *e = s->exns; e; e = e->next) {
    mark_range(g, e->payload, e->nslots);
    n += e->nslots;
  }
  return n;
}

void kite_gc_collect(kite_store *s, uint64_t *stack_top) {
  struct kite_gc *g = s->gc;
  size_t roots = 0;
  if (s->stack) {
    uint64_t *top = s->stack + s->sp;
    if (stack_top && stack_top > top) top = stack_top;
    if (top > s->stack + s->stack_slots) top = s->stack + s->stack_slots;
    roots += (size_t)(top - s->stack);
    mark_range(g, s->stack, (size_t)(top - s->stack));
  }
  roots += mark_store_roots(s);
  drain(g);
  /* Sweep: free the unmarked, keep the rest in allocation order. */
  size_t keep = 0, bytes = 0;
  for (size_t i = 0; i < g->objs.len; i++) {
    kite_gcobj *o = g->objs.data[i];
    size_t size = object_size(o);
    if (o->marked) {
      o->marked = 0;
      g->objs.data[keep++] = o;
      bytes += size;
    } else {
      kite_free(g->alloc, o, size);
    }
  }
  g->objs.len = keep;
  g->bytes = bytes;
  if (g->set_cap) set_rebuild(g);
  g->collections++;
  size_t next = 2 * bytes + roots * sizeof(uint64_t);
  g->threshold = next > GC_MIN_THRESHOLD ? next : GC_MIN_THRESHOLD;
}

/* ---- allocation ---- */

static kite_gcobj *gc_alloc(kite_store *s, const kite_rtt *t, uint64_t size, uint32_t len,
                            uint64_t *stack_top, kite_error *err) {
  struct kite_gc *g = s->gc;
  if (size > GC_MAX_OBJECT) {
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  bool collected = false;
  if (!g->inhibit && g->bytes + size > g->threshold) {
    kite_gc_collect(s, stack_top);
    collected = true;
  }
  kite_gcobj *o = NULL;
  if (reserve_one(g)) o = kite_calloc(g->alloc, 1, (size_t)size);
  if (!o && !collected && !g->inhibit) {
    kite_gc_collect(s, stack_top);
    if (reserve_one(g)) o = kite_calloc(g->alloc, 1, (size_t)size);
  }
  if (!o) {
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  o->rtt = t;
  o->len = len;
  g->objs.data[g->objs.len++] = o;
  set_insert(g, (uintptr_t)o);
  g->bytes += (size_t)size;
  g->allocated += size;
  return o;
}

kite_gcobj *kite_gc_new_struct(kite_store *s, const kite_rtt *t, uint64_t *stack_top,
                               kite_error *err) {
  return gc_alloc(s, t, KITE_GCOBJ_HDR + t->size, 0, stack_top, err);
}

kite_gcobj *kite_gc_new_array(kite_store *s, const kite_rtt *t, uint32_t len,
                              uint64_t *stack_top, kite_error *err) {
  return gc_alloc(s, t, KITE_GCOBJ_HDR + (uint64_t)len * t->size, len, stack_top, err);
}

void kite_gc_get_stats(const kite_store *s, kite_gc_stats *out) {
  memset(out, 0, sizeof *out);
  if (!s->gc) return;
  out->objects = s->gc->objs.len;
  out->bytes = s->gc->bytes;
  out->collections = s->gc->collections;
  out->allocated_bytes = s->gc->allocated;
}

void kite_gc_copy_le(uint8_t *dst, const uint8_t *src, uint64_t n, uint32_t size) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  if (size > 1 && size <= 8) {
    for (uint64_t i = 0; i < n; i++, dst += size, src += size)
      for (uint32_t b = 0; b < size; b++) dst[b] = src[size - 1 - b];
    return;
  }
#endif
  if (n) memcpy(dst, src, (size_t)(n * size));
}

/* ---- constant expressions ---- */

static bool const_fail(kite_error *err, const kite_insn *in, const char *msg) {
  return kite_fail(err, KITE_ERR_USAGE, 0, in->offset, "%s", msg);
}

/* Store the n values of stack[from..] (one kite_cval each) into consecutive fields or
   elements of o. */
static void fill_from(kite_gcobj *o, const kite_cval *vals, uint32_t n) {
  const kite_rtt *t = o->rtt;
  uint8_t *data = kite_gcobj_data(o);
  for (uint32_t i = 0; i < n; i++) {
    const kite_gcfield *f = t->comp == KITE_COMP_ARRAY ? &t->fields[0] : &t->fields[i];
    uint8_t *p = t->comp == KITE_COMP_ARRAY ? data + (size_t)i * t->size : data + f->offset;
    kite_gc_store(p, vals[i].s, f->kind);
  }
}

bool kite_gc_const_insn(kite_instance *inst, const kite_insn *in, kite_cval *stack,
                        uint32_t *sp, uint32_t cap, kite_error *err) {
  kite_store *s = inst->store;
  uint32_t n = *sp;
  switch (in->op) {
  case OP_REF_I31:
    if (n < 1) break;
    stack[n - 1].s[0] = kite_ref_i31((uint32_t)stack[n - 1].s[0]);
    return true;
  case OP_ANY_CONVERT_EXTERN:
  case OP_EXTERN_CONVERT_ANY: return n >= 1 || const_fail(err, in, "invalid constant expression");
  case OP_STRUCT_NEW:
  case OP_STRUCT_NEW_DEFAULT: {
    const kite_rtt *t = inst->rtts[in->idx];
    uint32_t k = in->op == OP_STRUCT_NEW ? t->nfields : 0;
    if (n < k || (n == k && n >= cap)) break;
    kite_gcobj *o = kite_gc_new_struct(s, t, NULL, err);
    if (!o) return false;
    fill_from(o, stack + n - k, k);
    n -= k;
    stack[n].s[0] = (kite_ref)(uintptr_t)o;
    stack[n].s[1] = 0;
    *sp = n + 1;
    return true;
  }
  case OP_ARRAY_NEW:
  case OP_ARRAY_NEW_DEFAULT: {
    const kite_rtt *t = inst->rtts[in->idx];
    uint32_t k = in->op == OP_ARRAY_NEW ? 2 : 1;
    if (n < k) break;
    uint32_t len = (uint32_t)stack[n - 1].s[0];
    kite_cval init = k == 2 ? stack[n - 2] : (kite_cval){{0, 0}};
    kite_gcobj *o = kite_gc_new_array(s, t, len, NULL, err);
    if (!o) return false;
    if (k == 2)
      for (uint32_t i = 0; i < len; i++)
        kite_gc_store(kite_gcobj_data(o) + (size_t)i * t->size, init.s, t->fields[0].kind);
    n -= k;
    stack[n].s[0] = (kite_ref)(uintptr_t)o;
    stack[n].s[1] = 0;
    *sp = n + 1;
    return true;
  }
  case OP_ARRAY_NEW_FIXED: {
    const kite_rtt *t = inst->rtts[in->idx];
    uint32_t k = in->count;
    if (n < k || (k == 0 && n >= cap)) break;
    kite_gcobj *o = kite_gc_new_array(s, t, k, NULL, err);
    if (!o) return false;
    fill_from(o, stack + n - k, k);
    n -= k;
    stack[n].s[0] = (kite_ref)(uintptr_t)o;
    stack[n].s[1] = 0;
    *sp = n + 1;
    return true;
  }
  default: break;
  }
  return const_fail(err, in, "unsupported constant expression");
}
