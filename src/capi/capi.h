/*
** capi.h: what the public APIs' implementations share. include/kite.h is implemented in
** src/capi/kite_*.c (one file per area) and include/wasm.h in src/capi/wasm_*.c, both
** over the internal API (runtime.h, binary.h, valid.h, wasi.h).
**
** Conversions between public and internal values live here: kite_type <-> kite_valtype
** and kite_val <-> kite_value. A public reference holds a kite_funcinst pointer (funcref)
** or a host pointer (externref); the internal slot encoding (kite_ref) never leaves the
** library.
*/
#ifndef KITE_CAPI_H
#define KITE_CAPI_H

#include "runtime.h"

/* ---- types and values (kite_types.c) ---- */

kite_valtype kite_capi_valtype(kite_type t);
kite_type kite_capi_type(kite_valtype t);

/* The top of a heap type's hierarchy: KITE_HT_FUNC, KITE_HT_EXTERN, KITE_HT_EXN or
   KITE_HT_ANY (type indices count as functions: the interpreter has no GC objects). */
uint32_t kite_capi_heap_top(uint32_t ht);

/*
** Values between the public and the internal form. `rtt` is the canonical type of t's
** heap type when that is a type index (NULL when unknown: a host object's type): a
** funcref to a function type must hold a function of that type. GC objects and
** exceptions cross as handles (struct kite_heapref) of the store s.
*/
/* A public value as an internal one of type t (its payload is read per t). false with
   *err (KITE_ERR_USAGE) when the value cannot have that type. */
bool kite_capi_value_in(kite_store *s, const kite_val *v, kite_valtype t,
                        const struct kite_rtt *rtt, kite_value *out, kite_error *err);
/* An internal value as a public one (a GC object or exception gets a new handle of s);
   false with *err (KITE_ERR_OOM) when no handle could be made, then *out is null. */
bool kite_capi_value_out(kite_store *s, const kite_value *v, const struct kite_rtt *rtt,
                         kite_val *out, kite_error *err);
/* The canonical type of t's heap type in instance inst (NULL: none or unknown). */
const struct kite_rtt *kite_capi_rtt(const kite_instance *inst, kite_valtype t);

/* Only compile errors have a place in the binary: the runtime's errors carry offset 0,
   which the public API does not report as one. Returns false. */
static inline bool kite_capi_drop_offset(kite_error *err) {
  if (err && err->kind != KITE_ERR_COMPILE) {
    err->has_offset = false;
    err->offset = 0;
  }
  return false;
}

/* Internal feature flags from public KITE_FEATURE_* ones, and back. */
kite_features kite_capi_features_in(uint64_t flags);
uint64_t kite_capi_features_out(kite_features f);

/* The externtype of a module's import or export. */
void kite_capi_import_type(const kite_module *m, const kite_import *imp, kite_externtype *out);
void kite_capi_export_type(const kite_module *m, const kite_export *exp, kite_externtype *out);
void kite_capi_memory_desc(const kite_limits *l, kite_memory_desc *out);
void kite_capi_table_desc(kite_valtype elem, const kite_limits *l, kite_table_desc *out);
bool kite_capi_limits_from_memory(const kite_memory_desc *d, kite_limits *out, kite_error *err);

/* ---- modules and stores (kite_module.c, kite_instance.c) ---- */

/* Validate and compile with the engine's features; used by kite_compile and wasm.h. */
kite_module *kite_capi_compile(kite_engine *e, const uint8_t *bytes, size_t len, kite_error *err);

/* Keep m alive until s is freed (a finalizer object holding one reference). Adopt it
   before the instance, so the store frees the instance first. */
bool kite_capi_store_keep_module(kite_store *s, const kite_module *m, kite_error *err);

/* Register a function to run with `data` when s is freed. On OOM runs it now and fails. */
bool kite_capi_store_on_free(kite_store *s, void (*fn)(void *data), void *data, kite_error *err);

/*
** Resolve m's imports through a lookup callback into an array of m->nimports externs
** (allocated from s->alloc, freed with kite_capi_externs_free). Slots the callback
** leaves are "unknown import" (KITE_ERR_LINK), unless `prefilled` says an entry was set
** already (WASI).
*/
typedef bool (*kite_capi_lookup_fn)(void *ud, const kite_import *imp, kite_extern *out);
kite_extern *kite_capi_resolve(const kite_module *m, kite_capi_lookup_fn fn, void *ud,
                               const bool *prefilled, kite_extern *externs, kite_error *err);

/* Instantiate with resolved externs, keeping the module alive (both public APIs). */
kite_instance *kite_capi_instantiate(kite_store *s, const kite_module *m,
                                     const kite_extern *externs, kite_error *err);

bool kite_capi_imports_lookup(void *imports, const kite_import *imp, kite_extern *out);

/* ---- wasm.h (src/capi/wasm_*.c) ---- */

/*
** wasm.h's objects. Types, vectors, traps, frames and module handles are plain
** allocations the caller owns. Runtime objects (functions, globals, tables, memories,
** tags, instances, foreign objects) are "records": one per object, owned by the
** wasm_store_t and found again through its map, so that every reference to an object
** is the same pointer, host info set on one reference is seen through every other, an
** externref handed to wasm comes back as the same wasm_ref_t, and deleting a
** reference is a no-op. wasm_store_delete runs the records' finalizers and frees them.
**
** References to GC objects, i31 values and exceptions are not records: each wasm_ref_t
** (WREF_GC) is owned by whoever received it and holds its own root in the kite store
** (a struct kite_heapref; none for an i31): wasm_ref_copy makes another one,
** wasm_ref_delete releases it. The store keeps a list of them and frees those left when
** it is deleted.
**
** The wasm.h layer allocates with the C library: its types exist before, and apart
** from, any engine. Everything the runtime allocates still goes through the engine's
** hook.
*/
enum {
  WREF_FUNC,
  WREF_GLOBAL,
  WREF_TABLE,
  WREF_MEMORY,
  WREF_TAG,
  WREF_INSTANCE,
  WREF_FOREIGN,
  WREF_MODULE, /* not a record: a handle holding a module reference */
  WREF_TRAP,   /* not a record: owned by the caller */
  WREF_GC      /* not a record: a GC object, i31 or exception reference (see above) */
};

struct wasm_store_t;
struct wasm_trap_t;
struct wasm_val_vec_t;
struct wasm_val_t;

typedef struct wasm_capi_ref {
  uint8_t kind;   /* WREF_* */
  bool is_record; /* owned by the store: deleting a reference does nothing */
  struct wasm_store_t *store;
  void *obj; /* the kite object (kite_funcinst, ..., kite_instance); NULL for foreign */
  void *host_info;
  void (*host_finalizer)(void *);
  struct wasm_capi_ref *next; /* the store's list of records (WREF_GC: of those) */
  struct wasm_capi_ref *prev; /* WREF_GC only */
  kite_ref gc_value;          /* WREF_GC: the reference (obj: its kite_heapref, if any) */
  /* Host functions made by wasm_func_new*. */
  void *callback; /* wasm_func_callback_t or wasm_func_callback_with_env_t */
  bool with_env;
  void *env;
  void (*env_finalizer)(void *);
} wasm_capi_ref;

struct wasm_config_t {
  kite_engine_config cfg;
};

struct wasm_engine_t {
  kite_engine *engine;
};

struct wasm_store_t {
  struct wasm_engine_t *engine;
  kite_store *store;
  wasm_capi_ref *records;
  wasm_capi_ref **map; /* open addressing on obj */
  size_t map_cap, map_len;
  wasm_capi_ref *gc_refs; /* live WREF_GC references */
};

/* The record of an object in a store (created on first use); NULL when out of memory. */
wasm_capi_ref *wasm_capi_record(struct wasm_store_t *s, uint8_t kind, void *obj);
/* A new record with no object (foreign objects). */
wasm_capi_ref *wasm_capi_new_record(struct wasm_store_t *s, uint8_t kind, void *obj);

/* A trap from an error (its message, and the store's backtrace for runtime errors). */
struct wasm_trap_t *wasm_capi_trap_from_error(struct wasm_store_t *s, const kite_error *err);

/* A new WREF_GC reference to ref (an object or i31 of the any hierarchy, or with exn an
   exception); NULL on OOM. wasm_capi_gc_delete releases one. */
wasm_capi_ref *wasm_capi_gc_new(struct wasm_store_t *s, kite_ref ref, bool exn);
void wasm_capi_gc_delete(wasm_capi_ref *r);

/*
** Values between wasm.h and the runtime; rtt is the canonical type of t's heap type when
** that is a type index (NULL: unknown). In: a GC reference must be of the same store and
** match t (KITE_ERR_USAGE). Out: GC references become new WREF_GC references the caller
** owns; false with *err (KITE_ERR_USAGE for v128, KITE_ERR_OOM).
*/
bool wasm_capi_val_in(struct wasm_store_t *s, const struct wasm_val_t *v, kite_valtype t,
                      const struct kite_rtt *rtt, kite_value *out, kite_error *err);
bool wasm_capi_val_out(struct wasm_store_t *s, const kite_value *v, const struct kite_rtt *rtt,
                       struct wasm_val_t *out, kite_error *err);

/* wasm.h kinds from the runtime's. */
uint8_t wasm_capi_valkind(kite_valtype t);
uint8_t wasm_capi_externkind(uint8_t kite_kind);

#ifdef WASM_H /* the declarations that need wasm.h's types */
wasm_functype_t *wasm_capi_functype(const kite_functype *ft);
wasm_limits_t wasm_capi_limits(const kite_limits *l);
wasm_externtype_t *wasm_capi_externtype(const kite_externtype *t);
kite_valtype wasm_capi_kite_valtype(wasm_valkind_t k);
const kite_module *wasm_capi_module(const wasm_module_t *m);
bool wasm_capi_kite_functype(const wasm_functype_t *t, kite_valtype *buf, size_t n,
                             kite_functype *out);
#endif

#endif
