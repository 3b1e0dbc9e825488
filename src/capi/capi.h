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

/* A public value as an internal one of type t (its payload is read per t). false with
   *err (KITE_ERR_USAGE) when the value cannot have that type. */
bool kite_capi_value_in(const kite_val *v, kite_valtype t, kite_value *out, kite_error *err);
kite_val kite_capi_value_out(const kite_value *v);

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
kite_module *kite_capi_compile(kite_engine *e, const uint8_t *bytes, size_t len,
                               kite_error *err);

/* Keep m alive until s is freed (a finalizer object holding one reference). Adopt it
   before the instance, so the store frees the instance first. */
bool kite_capi_store_keep_module(kite_store *s, const kite_module *m, kite_error *err);

/* Register a function to run with `data` when s is freed. On OOM runs it now and fails. */
bool kite_capi_store_on_free(kite_store *s, void (*fn)(void *data), void *data,
                             kite_error *err);

/*
** Resolve m's imports through a lookup callback into an array of m->nimports externs
** (allocated from s->alloc, freed with kite_capi_externs_free). Slots the callback
** leaves are "unknown import" (KITE_ERR_LINK), unless `prefilled` says an entry was set
** already (WASI).
*/
typedef bool (*kite_capi_lookup_fn)(void *ud, const kite_import *imp, kite_extern *out);
kite_extern *kite_capi_resolve(kite_store *s, const kite_module *m, kite_capi_lookup_fn fn,
                               void *ud, const bool *prefilled, kite_extern *externs,
                               kite_error *err);

/* Instantiate with resolved externs, keeping the module alive (both public APIs). */
kite_instance *kite_capi_instantiate(kite_store *s, const kite_module *m,
                                     const kite_extern *externs, kite_error *err);

bool kite_capi_imports_lookup(void *imports, const kite_import *imp, kite_extern *out);

#endif
