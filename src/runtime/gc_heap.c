/*
** gc_heap.c: the store's heap of structs and arrays, and its collector.
**
** Objects are allocated one by one through the store's allocator hook and never move;
** the heap keeps them in one array. Collection is mark-sweep, triggered by allocation
** volume: when the bytes allocated since the last collection would pass the threshold
** (twice what survived it, plus the root set's size, so the work per collection stays
** proportional to the allocation between collections), or when an allocation fails.
**
** Roots:
** - The interpreter's value stack holds untyped 64-bit slots. It is scanned
**   conservatively: a slot whose value could be an object's address (aligned, inside
**   the range objects were ever allocated in) is a candidate; the candidates are
**   sorted, and one pass over the heap's objects marks those whose address is among
**   them. So a slot never makes the collector touch memory that is not an object, and
**   allocation pays nothing for it (no address set to maintain). A number that happens
**   to equal an object's address only keeps that object alive longer; objects never
**   move, so nothing is rewritten. No stack maps are needed from the lowering, and the
**   scan stays correct whatever the interpreter keeps in its frames. It covers the
**   stack from its base to the current frame's end (the interpreter passes it at each
**   allocation) or the store's sp, whichever is higher.
** - The payloads of the store's live exceptions (exn.c frees them when caught, else
**   with the store), as candidates too.
** - Globals, tables and the element segments of every instance of the store, by their
**   types: a reference of the any or extern hierarchy that is a pointer is an object;
**   func and exn references never are.
** - Host-held references (struct kite_heapref, the public API's handles): each is a
**   root until the host releases it; the store frees the ones left with itself. The
**   store keeps them in a pointer set, so that a released or foreign handle is found
**   not to be the store's (and rejected) without being read.
** While instantiation evaluates constant expressions the new objects live in C
** variables, so it inhibits collection (kite_gc_inhibit).
**
** Objects reference each other through typed fields, followed the same way: pointers in
** fields of the any and extern hierarchies are objects; funcref and exnref fields are
** skipped. Marking uses an explicit stack; when the stack cannot grow, marked objects
** are rescanned until none is left unvisited. A collection that cannot get memory for
** its candidate list does not run (the allocation then fails as out of memory).
*/
#include <stdlib.h>

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
  g->lo = UINTPTR_MAX;
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
  kite_vec_free(g->alloc, &g->candidates);
  for (size_t i = 0; i < g->roots_cap; i++)
    if (g->roots[i]) kite_free(g->alloc, g->roots[i], sizeof *g->roots[i]);
  kite_free(g->alloc, g->roots, g->roots_cap * sizeof *g->roots);
  kite_free(g->alloc, g, sizeof *g);
}

void kite_gc_inhibit(kite_store *s, bool on) {
  if (on) s->gc->inhibit++;
  else s->gc->inhibit--;
}

bool kite_gc_is_object(const kite_store *s, kite_ref r) {
  const struct kite_gc *g = s->gc;
  if (!g || !kite_ref_is_ptr(r) || r < g->lo || r > g->hi) return false;
  for (size_t i = 0; i < g->objs.len; i++)
    if ((kite_ref)(uintptr_t)g->objs.data[i] == r) return true;
  return false;
}

/* ---- host references ---- */

static size_t root_home(const struct kite_heapref *h, size_t cap) {
  uint64_t x = (uint64_t)(uintptr_t)h;
  x ^= x >> 29;
  x *= 0x9E3779B97F4A7C15ull;
  return (size_t)(x >> 32) & (cap - 1);
}

static void root_put(struct kite_heapref **set, size_t cap, struct kite_heapref *h) {
  size_t i = root_home(h, cap);
  while (set[i]) i = (i + 1) & (cap - 1);
  set[i] = h;
}

/* The slot holding h, or SIZE_MAX. */
static size_t root_find(const struct kite_gc *g, const struct kite_heapref *h) {
  if (!g->roots_cap || !h) return SIZE_MAX;
  for (size_t i = root_home(h, g->roots_cap); g->roots[i]; i = (i + 1) & (g->roots_cap - 1))
    if (g->roots[i] == h) return i;
  return SIZE_MAX;
}

struct kite_heapref *kite_gc_root_new(kite_store *s, kite_ref ref, bool exn) {
  struct kite_gc *g = s->gc;
  if (!g) return NULL;
  if ((g->roots_len + 1) * 2 > g->roots_cap) {
    if (g->roots_cap > SIZE_MAX / 2 / sizeof *g->roots) return NULL;
    size_t cap = g->roots_cap ? g->roots_cap * 2 : 16;
    struct kite_heapref **set = kite_calloc(g->alloc, cap, sizeof *set);
    if (!set) return NULL;
    for (size_t i = 0; i < g->roots_cap; i++)
      if (g->roots[i]) root_put(set, cap, g->roots[i]);
    kite_free(g->alloc, g->roots, g->roots_cap * sizeof *g->roots);
    g->roots = set;
    g->roots_cap = cap;
  }
  struct kite_heapref *h = kite_malloc(g->alloc, sizeof *h);
  if (!h) return NULL;
  h->store = s;
  h->ref = ref;
  h->exn = exn;
  root_put(g->roots, g->roots_cap, h);
  g->roots_len++;
  if (exn) ((kite_exn *)(uintptr_t)ref)->exposed = true;
  return h;
}

bool kite_gc_root_owned(const kite_store *s, const struct kite_heapref *h) {
  return s->gc && root_find(s->gc, h) != SIZE_MAX;
}

void kite_gc_root_free(kite_store *s, struct kite_heapref *h) {
  struct kite_gc *g = s->gc;
  size_t i = root_find(g, h), mask = g->roots_cap - 1;
  if (i == SIZE_MAX) return;
  g->roots[i] = NULL;
  g->roots_len--;
  /* Close the gap: move back each later entry of the run that may not sit past it. */
  for (size_t j = (i + 1) & mask; g->roots[j]; j = (j + 1) & mask) {
    size_t home = root_home(g->roots[j], g->roots_cap);
    bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
    if (!movable) continue;
    g->roots[i] = g->roots[j];
    g->roots[j] = NULL;
    i = j;
  }
  kite_free(g->alloc, h, sizeof *h);
}

/* ---- marking ---- */

static void mark_obj(struct kite_gc *g, kite_gcobj *o) {
  if (o->marked) return;
  o->marked = 1;
  if (!kite_vec_push(g->alloc, &g->mark_stack, o)) g->mark_overflow = true;
}

/* A reference of the any or extern hierarchy (typed: a pointer is an object). */
static void mark_ref(struct kite_gc *g, kite_ref v) {
  if (kite_ref_is_ptr(v)) mark_obj(g, (kite_gcobj *)(uintptr_t)v);
}

static void trace_obj(struct kite_gc *g, kite_gcobj *o) {
  const kite_rtt *t = o->rtt;
  uint8_t *data = kite_gcobj_data(o);
  uint64_t v;
  if (t->comp == KITE_COMP_ARRAY) {
    if (t->fields[0].trace != 1) return;
    for (uint32_t i = 0; i < o->len; i++) {
      memcpy(&v, data + (size_t)i * sizeof v, sizeof v);
      mark_ref(g, v);
    }
    return;
  }
  if (t->has_desc) {
    memcpy(&v, data, sizeof v);
    mark_ref(g, v);
  }
  for (uint32_t i = 0; i < t->nfields; i++) {
    if (t->fields[i].trace != 1) continue;
    memcpy(&v, data + t->fields[i].offset, sizeof v);
    mark_ref(g, v);
  }
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

/* Whether references of heap type ht (abstract, or a type whose rtt is t) may be
   objects: the any and extern hierarchies. */
static bool traced_type(uint32_t ht, const kite_rtt *t) {
  if (kite_ht_is_index(ht)) return t && t->comp != KITE_COMP_FUNC;
  switch (ht) {
  case KITE_HT_FUNC:
  case KITE_HT_NOFUNC:
  case KITE_HT_EXN:
  case KITE_HT_NOEXN: return false;
  default: return true;
  }
}

static void mark_refs(struct kite_gc *g, const kite_ref *p, size_t n) {
  for (size_t i = 0; i < n; i++) mark_ref(g, p[i]);
}

/* Roots held by the store's objects, by type; returns the number of slots scanned. */
static size_t mark_store_roots(kite_store *s) {
  struct kite_gc *g = s->gc;
  size_t n = 0;
  for (kite_object *o = s->objects; o; o = o->next) {
    switch (o->kind) {
    case KITE_EXTERN_GLOBAL: {
      kite_globalinst *gl = (kite_globalinst *)o;
      if (gl->type.type.kind == KITE_VT_REF && traced_type(gl->type.type.ht, gl->rtt))
        mark_ref(g, gl->slots[0]);
      n++;
      break;
    }
    case KITE_EXTERN_TABLE: {
      kite_tableinst *t = (kite_tableinst *)o;
      if (!traced_type(t->elem.ht, t->elem_rtt)) break;
      mark_refs(g, t->elems, t->size);
      n += t->size;
      break;
    }
    case KITE_OBJ_INSTANCE: {
      kite_instance *inst = (kite_instance *)o;
      const kite_module *m = inst->module;
      if (!inst->elem_refs || !inst->elem_len || !inst->rtts) break;
      for (uint32_t i = 0; i < m->nelems; i++) {
        uint32_t ht = m->elems[i].type.ht;
        if (!inst->elem_refs[i] || !traced_type(ht, kite_ht_is_index(ht) ? inst->rtts[ht] : NULL))
          continue;
        mark_refs(g, inst->elem_refs[i], inst->elem_len[i]);
        n += inst->elem_len[i];
      }
      break;
    }
    default: break;
    }
  }
  for (size_t i = 0; i < g->roots_cap; i++)
    if (g->roots[i] && !g->roots[i]->exn) mark_ref(g, g->roots[i]->ref);
  return n + g->roots_len;
}

/* Add the values among p[0..n) that could be object addresses to the candidates. */
static bool add_candidates(struct kite_gc *g, const uint64_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint64_t v = p[i];
    if (!kite_ref_is_ptr(v) || v < g->lo || v > g->hi) continue;
    if (!kite_vec_push(g->alloc, &g->candidates, v)) return false;
  }
  return true;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static bool is_candidate(const struct kite_gc *g, uint64_t v) {
  size_t lo = 0, hi = g->candidates.len;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    uint64_t c = g->candidates.data[mid];
    if (c == v) return true;
    if (c < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return false;
}

/* The conservative roots: stack slots and exception payloads. False when the candidate
   list could not grow (then nothing may be collected). */
static bool mark_conservative_roots(kite_store *s, uint64_t *stack_top, size_t *nroots) {
  struct kite_gc *g = s->gc;
  g->candidates.len = 0;
  if (s->stack) {
    uint64_t *top = s->stack + s->sp;
    if (stack_top && stack_top > top) top = stack_top;
    if (top > s->stack + s->stack_slots) top = s->stack + s->stack_slots;
    *nroots += (size_t)(top - s->stack);
    if (!add_candidates(g, s->stack, (size_t)(top - s->stack))) return false;
  }
  for (kite_exn *e = s->exns; e; e = e->next) {
    *nroots += e->nslots;
    if (!add_candidates(g, e->payload, e->nslots)) return false;
  }
  if (!g->candidates.len) return true;
  qsort(g->candidates.data, g->candidates.len, sizeof *g->candidates.data, cmp_u64);
  for (size_t i = 0; i < g->objs.len; i++)
    if (is_candidate(g, (uint64_t)(uintptr_t)g->objs.data[i])) mark_obj(g, g->objs.data[i]);
  return true;
}

/* Collect; false (and nothing collected) when there was no memory to do it. */
static bool collect(kite_store *s, uint64_t *stack_top) {
  struct kite_gc *g = s->gc;
  size_t roots = 0;
  if (!mark_conservative_roots(s, stack_top, &roots)) {
    for (size_t i = 0; i < g->objs.len; i++) g->objs.data[i]->marked = 0;
    g->mark_stack.len = 0;
    g->mark_overflow = false;
    return false;
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
  g->collections++;
  size_t next = 2 * bytes + roots * sizeof(uint64_t);
  g->threshold = next > GC_MIN_THRESHOLD ? next : GC_MIN_THRESHOLD;
  return true;
}

void kite_gc_collect(kite_store *s, uint64_t *stack_top) { collect(s, stack_top); }

/* ---- allocation ---- */

static kite_gcobj *gc_alloc(kite_store *s, const kite_rtt *t, uint64_t size, uint32_t len,
                            uint64_t *stack_top, kite_error *err) {
  struct kite_gc *g = s->gc;
  if (size > GC_MAX_OBJECT) {
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  bool collected = false;
  if (!g->inhibit && g->bytes + size > g->threshold) collected = collect(s, stack_top);
  kite_gcobj *o = NULL;
  if (kite_vec_reserve_(g->alloc, (void **)&g->objs.data, &g->objs.cap, g->objs.len + 1,
                        sizeof *g->objs.data))
    o = kite_calloc(g->alloc, 1, (size_t)size);
  if (!o && !collected && !g->inhibit && collect(s, stack_top) &&
      kite_vec_reserve_(g->alloc, (void **)&g->objs.data, &g->objs.cap, g->objs.len + 1,
                        sizeof *g->objs.data))
    o = kite_calloc(g->alloc, 1, (size_t)size);
  if (!o) {
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  o->rtt = t;
  o->len = len;
  g->objs.data[g->objs.len++] = o;
  uintptr_t p = (uintptr_t)o;
  if (p < g->lo) g->lo = p;
  if (p > g->hi) g->hi = p;
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
  case OP_STRUCT_NEW_DEFAULT:
  case OP_STRUCT_NEW_DESC:
  case OP_STRUCT_NEW_DEFAULT_DESC: {
    const kite_rtt *t = inst->rtts[in->idx];
    bool desc = in->op == OP_STRUCT_NEW_DESC || in->op == OP_STRUCT_NEW_DEFAULT_DESC;
    uint32_t k = in->op == OP_STRUCT_NEW || in->op == OP_STRUCT_NEW_DESC ? t->nfields : 0;
    if (n < k + desc || (n == k && n >= cap)) break;
    kite_ref d = desc ? stack[--n].s[0] : KITE_REF_NULL;
    if (desc && d == KITE_REF_NULL)
      return kite_fail(err, KITE_ERR_RUNTIME, KITE_TRAP_NULL_REFERENCE, in->offset,
                       "null descriptor reference");
    kite_gcobj *o = kite_gc_new_struct(s, t, NULL, err);
    if (!o) return false;
    if (desc) memcpy(kite_gcobj_data(o), &d, sizeof d);
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
