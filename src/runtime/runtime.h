/*
** runtime.h: engines, stores, instances and the runtime objects they own (function,
** table, memory, global and tag instances), linking and instantiation, and calling
** into wasm. This is the internal API that the CLI, the .wast runner and the public
** API wrappers are built on.
**
** Ownership:
** - An engine holds the configuration (allocator hook, features, limits). It outlives
**   every store made from it. Modules are decoded with kite_engine_alloc(engine).
** - A store owns every runtime object created in it (instances, host functions, host
**   memories/tables/globals/tags) and frees them all in kite_store_free. A store belongs
**   to one thread at a time.
** - A module (src/wasm/module.h) is not owned by the store: it must outlive every
**   instance made from it. One module may be instantiated in many stores, on many
**   threads; the lowered code the interpreter derives from it is shared and published
**   atomically.
**
** Names: the Module IR already uses kite_func, kite_table, kite_memory, kite_global and
** kite_tag for module-level declarations, so runtime objects are "instances" as in the
** specification: kite_funcinst, kite_tableinst, kite_meminst, kite_globalinst,
** kite_taginst.
*/
#ifndef KITE_RUNTIME_H
#define KITE_RUNTIME_H

#include "base.h"
#include "features.h"
#include "module.h"

typedef struct kite_engine kite_engine;
typedef struct kite_store kite_store;
typedef struct kite_instance kite_instance;
typedef struct kite_funcinst kite_funcinst;
typedef struct kite_tableinst kite_tableinst;
typedef struct kite_meminst kite_meminst;
typedef struct kite_globalinst kite_globalinst;
typedef struct kite_taginst kite_taginst;

/* ---- engine ---- */

typedef struct kite_engine_config {
  kite_alloc_fn alloc; /* NULL: malloc/realloc/free */
  void *alloc_ud;
  size_t alloc_limit;      /* bytes through the hook; 0: none */
  kite_features features;  /* proposals enabled (decoding, validation, execution) */
  uint32_t max_call_depth; /* wasm frames on one store's stack */
  uint32_t max_stack_slots; /* 64-bit value-stack slots (locals and temporaries) */
  uint64_t max_memory_pages; /* engine-wide cap on any memory's size (64 KiB pages) */
  uint64_t max_store_memory; /* cap on the bytes of all memories one store creates; 0: none */
  uint64_t max_table_elems;  /* engine-wide cap on any table's size */
  bool no_guard_pages;       /* force explicit bounds checks (no 8 GiB reservations) */
  bool consume_fuel;         /* meter fuel: calls and loop iterations cost one unit */
  uint64_t initial_fuel;     /* each new store's fuel when consume_fuel */
  uint32_t compile_threads;  /* threads validating a large module's code; 0: the CPUs */
} kite_engine_config;

/* Defaults: features KITE_FEATURES_2_0, call depth 20000, 4M stack slots (32 MiB,
   committed lazily), memories up to 65536 pages, tables up to 10M elements. */
void kite_engine_config_default(kite_engine_config *cfg);

/* NULL cfg: the defaults. Returns NULL only when the allocation fails. */
kite_engine *kite_engine_new(const kite_engine_config *cfg);
void kite_engine_free(kite_engine *e);
kite_alloc *kite_engine_alloc(kite_engine *e); /* for kite_decode, kite_wat_to_wasm, ... */
kite_features kite_engine_features(const kite_engine *e);
const kite_engine_config *kite_engine_get_config(const kite_engine *e);

/* ---- values ---- */

/*
** A reference as the interpreter holds it in a 64-bit slot, told apart by its low bits:
**   0            null (any heap type)
**   ...1         a host reference: (host << 1) | 1, the same value whether it is seen as
**                an externref or (after any.convert_extern) as an anyref, so both
**                conversions are the identity (the suite's `ref.extern N` / `ref.host N`)
**   ...10        an i31: (u31 << 2) | 2, unboxed
**   ...00, != 0  a pointer: a kite_funcinst (func hierarchy) or a GC object, kite_gcobj
**                (any hierarchy, and extern once externalised)
** A host value must therefore fit in 63 bits on 64-bit hosts (any pointer or small
** integer does). Use the helpers below, not the encoding.
*/
typedef uint64_t kite_ref;
#define KITE_REF_NULL ((kite_ref)0)
static inline kite_ref kite_ref_host(uintptr_t host) { return ((kite_ref)host << 1) | 1; }
static inline uintptr_t kite_ref_host_value(kite_ref r) { return (uintptr_t)(r >> 1); }
static inline bool kite_ref_is_host(kite_ref r) { return (r & 1) != 0; }
static inline bool kite_ref_is_i31(kite_ref r) { return (r & 3) == 2; }
static inline bool kite_ref_is_ptr(kite_ref r) { return r != 0 && (r & 3) == 0; }
static inline kite_ref kite_ref_i31(uint32_t x) { return ((kite_ref)(x & 0x7FFFFFFFu) << 2) | 2; }
static inline uint32_t kite_ref_i31_u(kite_ref r) { return (uint32_t)(r >> 2) & 0x7FFFFFFFu; }
static inline uint32_t kite_ref_i31_s(kite_ref r) {
  uint32_t u = kite_ref_i31_u(r);
  return (u & 0x40000000u) ? (u | 0x80000000u) : u;
}

/*
** Any WebAssembly 2.0 value with its type. Floats are raw IEEE bits so NaN payloads
** survive. For references, `type` is a reference type (kite_vt_ref(KITE_HT_FUNC, true)
** is funcref, KITE_HT_EXTERN externref) and `u.ref` the slot encoding above.
*/
typedef struct kite_value {
  kite_valtype type;
  union {
    uint32_t i32;
    uint64_t i64;
    uint32_t f32; /* bits */
    uint64_t f64; /* bits */
    uint8_t v128[16];
    kite_ref ref;
  } u;
} kite_value;

static inline kite_value kite_val_i32(uint32_t x) {
  kite_value v;
  memset(&v, 0, sizeof v);
  v.type = kite_vt(KITE_VT_I32);
  v.u.i32 = x;
  return v;
}
static inline kite_value kite_val_i64(uint64_t x) {
  kite_value v;
  memset(&v, 0, sizeof v);
  v.type = kite_vt(KITE_VT_I64);
  v.u.i64 = x;
  return v;
}
static inline kite_value kite_val_f32_bits(uint32_t bits) {
  kite_value v;
  memset(&v, 0, sizeof v);
  v.type = kite_vt(KITE_VT_F32);
  v.u.f32 = bits;
  return v;
}
static inline kite_value kite_val_f64_bits(uint64_t bits) {
  kite_value v;
  memset(&v, 0, sizeof v);
  v.type = kite_vt(KITE_VT_F64);
  v.u.f64 = bits;
  return v;
}
static inline kite_value kite_val_v128(const uint8_t bytes[16]) {
  kite_value v;
  memset(&v, 0, sizeof v);
  v.type = kite_vt(KITE_VT_V128);
  memcpy(v.u.v128, bytes, 16);
  return v;
}
/* A null reference of heap type ht (KITE_HT_FUNC, KITE_HT_EXTERN, ...). */
static inline kite_value kite_val_null(uint32_t ht) {
  kite_value v;
  memset(&v, 0, sizeof v);
  v.type = kite_vt_ref(ht, true);
  v.u.ref = KITE_REF_NULL;
  return v;
}
static inline kite_value kite_val_funcref(kite_funcinst *f) {
  kite_value v;
  memset(&v, 0, sizeof v);
  v.type = kite_vt_ref(KITE_HT_FUNC, true);
  v.u.ref = (kite_ref)(uintptr_t)f;
  return v;
}
/* An externref for a host value (the suite's `ref.extern N`); host < 2^63. */
static inline kite_value kite_val_externref(uintptr_t host) {
  kite_value v;
  memset(&v, 0, sizeof v);
  v.type = kite_vt_ref(KITE_HT_EXTERN, true);
  v.u.ref = kite_ref_host(host);
  return v;
}
static inline bool kite_val_is_null(const kite_value *v) { return v->u.ref == KITE_REF_NULL; }
static inline kite_funcinst *kite_val_func(const kite_value *v) {
  return (kite_funcinst *)(uintptr_t)v->u.ref;
}
/* The host value of a non-null externref. */
static inline uintptr_t kite_val_extern_host(const kite_value *v) {
  return kite_ref_host_value(v->u.ref);
}
/* The default value of a type: zero, or a null reference. */
kite_value kite_val_default(kite_valtype t);

/* ---- extern values: what imports and exports are ---- */

/* kite_extern (a kind and the object) is public: see kite.h. */

/* ---- runtime objects ---- */

/* Every object a store owns starts with this header (the store frees the list). */
typedef struct kite_object {
  struct kite_object *next;
  uint8_t kind; /* kite_externkind, or KITE_OBJ_INSTANCE */
} kite_object;
#define KITE_OBJ_INSTANCE 0x10
#define KITE_OBJ_FINALIZER 0x11

/* Host data the store releases when it is freed (host function finalizers, references
   to modules): `release` runs once and frees the object itself too. */
typedef struct kite_finalizer {
  kite_object obj;
  void (*release)(struct kite_finalizer *f, kite_store *s);
} kite_finalizer;

/*
** Fuel and interrupts (the interpreter polls both in one test at every function entry
** and loop back-edge; interp.c has the details and the memory-ordering argument).
**
** Fuel: a store of an engine with consume_fuel starts with initial_fuel units; each call
** into wasm from the host, each call that wasm code makes (to a wasm or a host
** function) and each taken branch back to a loop label costs one unit. The count depends only on the wasm
** program and its inputs, never on how Kite lowers or optimises it. The charge that
** finds no fuel left traps "all fuel consumed" (KITE_ERR_EXHAUSTION,
** KITE_TRAP_OUT_OF_FUEL) and leaves the store's fuel at 0; kite_store_set_fuel (kite.h)
** refills it, even from a host function while wasm runs.
**
** Interrupts: a store's request word, shared with any thread that may interrupt it and
** reference-counted because a handle may outlive the store. kite_interrupt_request
** stores KITE_INTERRUPT_FLOOR into `floor` (one relaxed atomic store, safe from any
** thread or a signal handler); the running code notices at its next poll (within a few
** microseconds even in a tight loop), clears the request and traps "interrupted"
** (KITE_ERR_RUNTIME, KITE_TRAP_INTERRUPTED). A request made while no wasm runs
** interrupts the next call.
*/
struct kite_interrupt {
  _Atomic(uint32_t) refs;
  _Atomic(int64_t) floor; /* 0, or KITE_INTERRUPT_FLOOR while a request is pending */
  kite_alloc *alloc;
};
#define KITE_INTERRUPT_FLOOR INT64_MAX

/* The store's interrupt word with one more reference (allocated on first use); NULL
   when out of memory. Drop it with kite_interrupt_unref. */
struct kite_interrupt *kite_store_interrupt_ref(kite_store *s);
void kite_interrupt_unref(struct kite_interrupt *h);
/* Ask the store's running (or next) wasm code to stop; any thread. */
void kite_interrupt_request(struct kite_interrupt *h);
/* Whether a request is pending, clearing it (the store's own thread, e.g. a blocking
   wait that polls for interrupts). */
bool kite_interrupt_take(struct kite_interrupt *h);

/*
** A host function: results[i].type is set before the call; the callback fills u. To
** trap, set *err (kite_fail with KITE_ERR_RUNTIME and a trap code, or any other kind,
** e.g. KITE_ERR_EXIT for WASI proc_exit) and return false.
*/
typedef bool (*kite_host_fn)(void *env, kite_store *s, const kite_value *args, uint32_t nargs,
                             kite_value *results, uint32_t nresults, kite_error *err);

struct kite_funcinst {
  kite_object obj;
  const kite_functype *type; /* wasm: in the module; host: a copy owned by this object */
  kite_instance *inst;       /* wasm functions: the defining instance; host: NULL */
  uint32_t index;            /* wasm: index in the module's function space */
  uint32_t nslots_params;    /* 64-bit slots the parameters take (v128: 2) */
  uint32_t nslots_results;
  kite_host_fn host;
  void *env;
  /* wasm: lowered code, cached here once lowered (atomic: an instance may be called
     from several threads, e.g. one that only exports a shared memory) */
  _Atomic(struct kite_xfunc *) code;
  const struct kite_rtt *rtt; /* its canonical type (call_indirect, casts, linking) */
};

struct kite_tableinst {
  kite_object obj;
  kite_store *store; /* the owner */
  kite_alloc *alloc; /* the owning store's */
  const kite_module *module; /* the defining module (its type indices); NULL: the host's */
  kite_valtype elem; /* a reference type */
  kite_limits limits; /* limits.min is the current size */
  uint32_t size;
  uint32_t max; /* effective maximum (declared max, capped by the engine) */
  kite_ref *elems;
  size_t cap; /* allocated elements */
  const struct kite_rtt *elem_rtt; /* elem's heap type when it is a type index; else NULL */
};

/*
** A linear memory. A shared memory (limits.shared) may be used by several stores on
** several threads at once: its address space (the maximum) is reserved up front so data
** never moves, growing is serialised by a lock and publishes size before pages, and the
** object is reference-counted (`sync`, atomics_wait.c): the creating store holds one
** reference and every store that instantiates a module importing it takes another, so
** the memory lives until the last of those stores is freed. size and pages are atomic
** so that another thread's memory.grow is seen (plain reads are sequentially consistent
** loads). The allocator it was made with (its engine's) must outlive every such store.
*/
struct kite_meminst {
  kite_object obj;
  kite_alloc *alloc; /* the creating store's */
  kite_limits limits; /* declared; limits.min is the initial size */
  uint8_t *data;
  _Atomic(uint64_t) size;  /* current size in bytes (pages << page_size_log2) */
  _Atomic(uint64_t) pages; /* current size in pages */
  uint64_t max_pages; /* effective maximum (declared max, capped by the engine) */
  size_t reserved;    /* bytes of address space reserved at data (guarded) or allocated */
  bool guarded;       /* data is an mmap reservation with PROT_NONE beyond size */
  struct kite_memsync *sync; /* shared memories: references, grow lock, waiters */
  /* An unshared memory's store, charged for its growth (max_store_memory); a shared one
     is charged its maximum once, by the store that creates it. */
  kite_store *owner;
};

struct kite_globalinst {
  kite_object obj;
  kite_store *store; /* the owner */
  const kite_module *module; /* the defining module (its type indices); NULL: the host's */
  kite_globaltype type;
  uint64_t slots[2]; /* the value in interpreter slot encoding (v128: both) */
  const struct kite_rtt *rtt; /* the type's heap type when it is a type index; else NULL */
};

struct kite_taginst {
  kite_object obj;
  const kite_functype *type;
  const kite_module *module; /* the defining module; NULL: made by the host */
  uint32_t typeidx;          /* the type's index in module */
  bool owns_type; /* host-created: the type is a copy after the object */
  const struct kite_rtt *rtt; /* the canonical function type (linking) */
};

/* ---- creating objects from the host (the spectest module, WASI, embedders) ---- */

/* `type` is copied. NULL on OOM (*err set). */
kite_funcinst *kite_func_new_host(kite_store *s, const kite_functype *type, kite_host_fn cb,
                                  void *env, kite_error *err);
/* A memory of limits->min pages (zeroed), growable to limits->max (or the engine cap). */
kite_meminst *kite_memory_new(kite_store *s, const kite_limits *limits, kite_error *err);
/* A table of limits->min elements, each `init` (its type must match elem). */
kite_tableinst *kite_table_new(kite_store *s, kite_valtype elem, const kite_limits *limits,
                               kite_value init, kite_error *err);
kite_globalinst *kite_global_new(kite_store *s, kite_globaltype type, kite_value init,
                                 kite_error *err);
/* `type` is copied. */
kite_taginst *kite_tag_new(kite_store *s, const kite_functype *type, kite_error *err);

/* ---- exceptions (exn.c) ---- */

/*
** An exception: its tag and payload (the tag's parameters in slot encoding). An exnref
** in a slot is the kite_exn pointer. The store owns every exception and frees them with
** itself; one that no exnref can reach (caught by catch or catch_all and never seen by
** wasm code or the host as a reference) is freed as soon as it is caught.
*/
typedef struct kite_exn {
  struct kite_exn *prev, *next; /* the store's list of live exceptions */
  kite_taginst *tag;
  uint32_t nslots;
  bool exposed; /* an exnref to it may exist: only the store frees it */
  uint64_t payload[];
} kite_exn;

/* A new exception with a copy of nslots payload slots; NULL on OOM. */
kite_exn *kite_exn_new(kite_store *s, kite_taginst *tag, const uint64_t *payload,
                       uint32_t nslots);
/* Free an exception no reference can reach any more. */
void kite_exn_free(kite_store *s, kite_exn *e);
/* Free every exception of the store (kite_store_free). */
void kite_exn_release_all(kite_store *s);
/* Make e (NULL: none) the store's pending exception, freeing the one it replaces unless
   an exnref to that one was made. */
void kite_exn_set_pending(kite_store *s, kite_exn *e);
/*
** Throw a wasm exception from a host function: `return kite_exn_throw(...)`. Creates
** the exception (args match the tag's parameters, else KITE_ERR_USAGE), makes it the
** store's pending exception and fails with KITE_ERR_RUNTIME, KITE_TRAP_EXCEPTION. wasm
** handlers of the calling code can catch it. A host that gets this error from
** kite_func_call and returns it unchanged lets the exception pass through it.
*/
bool kite_exn_throw(kite_store *s, kite_taginst *tag, const kite_value *args, uint32_t nargs,
                    kite_error *err);
/* The exception the last call that failed with KITE_TRAP_EXCEPTION ended with (NULL
   when it was caught since); it lives as long as the store. */
kite_exn *kite_store_exception(const kite_store *s);
/* Parameter i of an exception's payload, typed by its tag. */
kite_value kite_exn_arg(const kite_exn *e, uint32_t i);
static inline kite_value kite_val_exnref(kite_exn *e) {
  kite_value v;
  memset(&v, 0, sizeof v);
  v.type = kite_vt_ref(KITE_HT_EXN, true);
  v.u.ref = (kite_ref)(uintptr_t)e;
  return v;
}

/* ---- accessing objects ---- */

const kite_functype *kite_func_type(const kite_funcinst *f);

kite_value kite_global_get(const kite_globalinst *g);
/* false (with *err, KITE_ERR_USAGE) when the global is immutable or the type differs. */
bool kite_global_set(kite_globalinst *g, kite_value v, kite_error *err);

uint8_t *kite_memory_data(kite_meminst *m);
uint64_t kite_memory_size(const kite_meminst *m); /* in pages */
uint64_t kite_memory_size_bytes(const kite_meminst *m);
/* Grow by delta pages; returns the old size in pages, or -1 (UINT64_MAX) on failure
   (beyond the maximum, the engine cap, or no memory), as memory.grow does. */
uint64_t kite_memory_grow(kite_meminst *m, uint64_t delta);

uint64_t kite_table_size(const kite_tableinst *t);
/* false when idx is out of bounds. */
bool kite_table_get(const kite_tableinst *t, uint64_t idx, kite_value *out);
bool kite_table_set(kite_tableinst *t, uint64_t idx, kite_value v);
/* Grow by delta elements set to init; returns the old size or -1 (UINT64_MAX). */
uint64_t kite_table_grow(kite_tableinst *t, uint64_t delta, kite_value init);

/* ---- stores ---- */

kite_store *kite_store_new(kite_engine *e);
void kite_store_free(kite_store *s); /* frees every instance and object it owns */
kite_engine *kite_store_engine(const kite_store *s);

/* ---- backtraces ---- */

/* One wasm frame of a trap's backtrace, innermost first. */
typedef struct kite_trace_frame {
  const kite_module *module;     /* NULL for a host function frame */
  const kite_instance *instance; /* the function's instance; NULL for a host function */
  uint32_t func_index;           /* in the module's function space */
  kite_name name;                /* from the name section; len 0 when there is none */
  uint32_t offset;               /* byte offset in the module of the trapping/calling insn */
} kite_trace_frame;

#define KITE_TRACE_MAX 64
typedef struct kite_trace {
  uint32_t nframes;   /* frames recorded (at most KITE_TRACE_MAX) */
  uint32_t depth;     /* frames that were on the stack (may exceed nframes) */
  kite_trace_frame frames[KITE_TRACE_MAX];
} kite_trace;

/* The backtrace of the last trap in this store (cleared by each kite_func_call). */
const kite_trace *kite_store_trace(const kite_store *s);

/* ---- instances ---- */

/*
** Instantiate a validated module. imports[i] satisfies m->imports[i] (the caller
** resolved names). Linking errors: KITE_ERR_LINK "incompatible import type" (kind or
** type mismatch). Then, as the specification orders it: globals, tables and memories
** are created, element and data segments are applied in order (traps "out of bounds
** table access" / "out of bounds memory access" leave the instance partially
** initialised, as in the spec: tables and memories already written stay written),
** active and declarative element segments and active data segments are dropped, then
** the start function runs. On any error returns NULL with *err set; objects already
** created stay owned by the store (they may be reachable through imports elsewhere).
*/
kite_instance *kite_instantiate(kite_store *s, const kite_module *m, const kite_extern *imports,
                                uint32_t nimports, kite_error *err);

/* Look up an export by name (bytes, may contain NULs). */
bool kite_instance_export(const kite_instance *inst, const char *name, size_t len,
                          kite_extern *out);
const kite_module *kite_instance_module(const kite_instance *inst);
/* The instance's function / memory / ... at an index of the module's index space. */
kite_funcinst *kite_instance_func(const kite_instance *inst, uint32_t idx);
kite_meminst *kite_instance_memory(const kite_instance *inst, uint32_t idx);
kite_tableinst *kite_instance_table(const kite_instance *inst, uint32_t idx);
kite_globalinst *kite_instance_global(const kite_instance *inst, uint32_t idx);

/* ---- calling ---- */

/*
** Call a function (wasm or host). args must match the parameter types (checked:
** KITE_ERR_USAGE otherwise); results receive nresults values with their types. Traps
** come back as KITE_ERR_RUNTIME with a kite_trap_code and the suite's message,
** "call stack exhausted" as KITE_ERR_EXHAUSTION (code KITE_TRAP_STACK_EXHAUSTED); the
** backtrace is in kite_store_trace(s). May be called re-entrantly from a host function.
*/
bool kite_func_call(kite_store *s, kite_funcinst *f, const kite_value *args, uint32_t nargs,
                    kite_value *results, uint32_t nresults, kite_error *err);

/* ---- shared memories: synchronisation (atomics_wait.c) ---- */

/* The shared state of a shared memory; NULL on OOM. Freed by kite_memsync_unref. */
struct kite_memsync *kite_memsync_new(kite_alloc *a);
void kite_memsync_ref(struct kite_memsync *ms);
/* Drop a reference; true when it was the last (the state is freed). */
bool kite_memsync_unref(struct kite_memsync *ms);
void kite_memsync_lock(struct kite_memsync *ms);
void kite_memsync_unlock(struct kite_memsync *ms);

/* memory.atomic.wait results */
enum { KITE_WAIT_OK = 0, KITE_WAIT_NOT_EQUAL = 1, KITE_WAIT_TIMED_OUT = 2 };

/*
** memory.atomic.wait32/64 on a shared memory at a checked, aligned address: block until
** notified at that address or timeout_ns passes (negative: forever), unless the value
** there is not `expected` (4 or 8 bytes as `width` says). Returns KITE_WAIT_*, or -1
** when the store was interrupted (kite_interrupt) while waiting.
*/
int kite_atomic_wait(kite_store *s, kite_meminst *m, uint64_t addr, uint64_t expected,
                     unsigned width, int64_t timeout_ns);
/* memory.atomic.notify: wake up to `count` waiters at addr, oldest first; returns how
   many woke. 0 for an unshared memory (nobody can wait on it). */
uint32_t kite_atomic_notify(kite_meminst *m, uint64_t addr, uint32_t count);

/* Trap messages, as the official suite words them. */
const char *kite_trap_message(kite_trap_code code);

/* ---- internals shared by src/runtime and src/exec ---- */

/* A module instance. */
struct kite_instance {
  kite_object obj;
  kite_store *store;
  const kite_module *module;
  struct kite_exec_module *code; /* the module's lowered code (shared, see exec.h) */
  bool guarded; /* every 32-bit memory it uses is guarded: run the unchecked code */
  bool starting; /* its start function is running (kite_instantiate has not returned) */
  kite_funcinst **funcs;
  kite_funcinst *own_funcs; /* the defined functions, in one array */
  kite_tableinst **tables;
  kite_meminst **memories;
  kite_globalinst **globals;
  kite_taginst **tags;
  /* Element segments as evaluated references; length 0 once dropped. */
  kite_ref **elem_refs;
  uint32_t *elem_len;
  /* Data segments: length 0 once dropped (contents stay in the module). */
  uint32_t *data_len;
  /* The module's types as the store's canonical types, by type index. */
  const struct kite_rtt **rtts;
};

struct kite_store {
  kite_engine *engine;
  kite_alloc *alloc;
  kite_object *objects; /* every object owned, newest first */
  /* The interpreter's value stack (allocated on first call) and frame stack. */
  uint64_t *stack;
  uint32_t stack_slots;
  uint32_t sp;         /* first free slot: nested calls (host -> wasm) start here */
  struct kite_frame *frames;
  uint32_t nframes_cap;
  uint32_t depth;      /* frames in use */
  uint32_t nesting;    /* interpreter runs on the C stack (host -> wasm re-entry) */
  kite_trace trace;
  /* Live exceptions (exn.c), and the one the last failed call ended with. */
  struct kite_exn *exns;
  struct kite_exn *exn;
  /* Fuel left, when the engine meters fuel (consume_fuel). */
  uint64_t fuel;
  /* Bytes of the memories this store created (max_store_memory). */
  uint64_t memory_bytes;
  /* Set once a host asked for an interrupt handle; checked with fuel at calls and loop
     back-edges. */
  struct kite_interrupt *interrupt;
  /* Canonical types and the GC heap (gc_types.c, gc_heap.c). */
  struct kite_gc *gc;
};

/* The engine's type registry: recursion groups by their encoding (gc_types.c). */
typedef struct kite_typereg {
  _Atomic(int) lock;          /* a spin lock: registration is short */
  struct kite_rgroup **table; /* open addressing: NULL empty, else a group or a tombstone */
  uint32_t cap, used, count;  /* used: groups and tombstones */
} kite_typereg;
void kite_typereg_init(kite_typereg *r);
void kite_typereg_release(kite_typereg *r, kite_alloc *a); /* frees what is left */

struct kite_engine {
  kite_alloc alloc;
  kite_engine_config cfg;
  kite_typereg types; /* canonical types (gc_types.c) */
};

/* Link a new object into the store's list (after it was fully created). */
void kite_store_adopt(kite_store *s, kite_object *o, uint8_t kind);

/* Free an instance's arrays and the instance (the store calls it). */
void kite_instance_release(kite_store *s, kite_instance *inst);
/* Fill nslots_params / nslots_results from f->type. */
void kite_funcinst_init_slots(kite_funcinst *f);

/* Structural equality of function types (host types). */
bool kite_functype_eq(const kite_functype *a, const kite_functype *b);

/* Number of 64-bit slots a value of type t takes (v128: 2). */
static inline uint32_t kite_slots_of(kite_valtype t) { return t.kind == KITE_VT_V128 ? 2 : 1; }

/* Convert between kite_value and slots (the interpreter's encoding). */
void kite_value_to_slots(const kite_value *v, uint64_t *slots);
kite_value kite_value_from_slots(kite_valtype t, const uint64_t *slots);

/* Memory and table growth used by both the API and the interpreter. */
uint64_t kite_tableinst_grow(kite_tableinst *t, uint64_t delta, kite_ref init);
/* A store frees a memory it created: the memory and what it owns, or, when shared, the
   store's reference. */
void kite_meminst_drop(kite_meminst *m);
/* Store s takes a reference to shared memory m (it instantiates a module importing it). */
bool kite_meminst_share(kite_store *s, kite_meminst *m, kite_error *err);
/* Release what an object owns besides itself (the store frees the object). */
void kite_tableinst_release(kite_tableinst *t);

/* ---- GC: canonical types and the heap (gc_types.c, gc_heap.c) ---- */

/*
** Runtime types. Every defined type of every module instantiated with an engine maps
** to one canonical kite_rtt of the engine's registry: two types are equal
** (iso-recursive equivalence of their recursion groups) exactly when their rtts are
** the same pointer, across modules and across the engine's stores (which share host
** functions and memories). Declared subtyping is a display: supers[0..depth] lists the
** supertype chain from its root down to the type itself, so a <: b is one load and
** compare (Cohen's display). Rtts are immutable; each belongs to its recursion group
** in the registry, which lives as long as something uses it (gc_types.c).
*/
typedef struct kite_gcfield {
  uint32_t offset; /* in the object's payload */
  uint8_t kind;    /* storage type: KITE_VT_I8, KITE_VT_I16, ..., KITE_VT_REF */
  uint8_t size;    /* bytes: 1, 2, 4, 8 or 16 */
  uint8_t trace;   /* 1: a reference the collector follows (any and extern hierarchies) */
} kite_gcfield;

typedef struct kite_rtt {
  struct kite_rgroup *group; /* its recursion group in the engine's registry */
  uint8_t comp;              /* kite_compkind */
  bool final;
  uint32_t depth;                 /* declared supertypes above this type */
  const struct kite_rtt **supers; /* [0..depth]: the root first, this type last */
  uint32_t nfields;               /* structs: fields; arrays: 1 (the element) */
  kite_gcfield *fields;
  uint32_t size;                  /* structs: payload bytes; arrays: bytes per element */
  bool has_desc; /* custom descriptors: the payload starts with the descriptor (a kite_ref) */
} kite_rtt;

static inline bool kite_rtt_sub(const kite_rtt *a, const kite_rtt *b) {
  return a == b || (a->depth > b->depth && a->supers[b->depth] == b);
}

/* A struct or array on the heap: the header, then the payload (fields or elements). */
typedef struct kite_gcobj {
  const kite_rtt *rtt;
  uint32_t len;    /* arrays: elements */
  uint32_t marked; /* the collector's mark */
} kite_gcobj;
#define KITE_GCOBJ_HDR ((sizeof(kite_gcobj) + 15) & ~(size_t)15)
static inline uint8_t *kite_gcobj_data(kite_gcobj *o) { return (uint8_t *)o + KITE_GCOBJ_HDR; }

/* Custom descriptors: whether non-null reference r is an object whose descriptor is desc
   (ref.cast_desc_eq, br_on_cast_desc_eq). */
static inline bool kite_gc_desc_is(kite_ref r, kite_ref desc) {
  if (!kite_ref_is_ptr(r)) return false;
  kite_gcobj *o = (kite_gcobj *)(uintptr_t)r;
  kite_ref have;
  if (!o->rtt->has_desc) return false;
  memcpy(&have, kite_gcobj_data(o), sizeof have);
  return have == desc;
}

/* The store's heap (gc_heap.c). */
struct kite_gc {
  kite_alloc *alloc;
  KITE_VEC(kite_gcobj *) objs; /* every object */
  uintptr_t lo, hi;             /* the lowest and highest object address so far */
  KITE_VEC(uint64_t) candidates; /* a collection's conservative roots, sorted */
  size_t bytes;     /* of the objects in objs */
  size_t threshold; /* collect when an allocation would pass it */
  uint32_t inhibit;
  KITE_VEC(kite_gcobj *) mark_stack;
  bool mark_overflow; /* the mark stack could not grow: rescan marked objects */
  /* References the host holds: a set (open addressing, linear probing) of pointers. */
  struct kite_heapref **roots;
  size_t roots_cap, roots_len;
  uint64_t collections;
  uint64_t allocated;
};

/* The store's GC state; NULL on OOM. */
struct kite_gc *kite_gc_new(kite_alloc *a);
void kite_gc_free(struct kite_gc *g); /* every object */

/*
** The canonical types of a module's types: out[i] for type index i (out has m->ntypes
** entries, NULL on failure). Recursion groups are hashed by their structure, with
** references outside the group naming canonical types, as in kite_types_canon. Each
** call registers a use of the module's groups, which kite_gc_release_module ends.
*/
bool kite_gc_canon_module(kite_engine *e, const kite_module *m, const kite_rtt **out,
                          kite_error *err);
void kite_gc_release_module(kite_engine *e, const kite_module *m, const kite_rtt **rtts);
/* The canonical type of a host function type: `(type (func ...))` alone in its group.
   A use of it, which kite_gc_release_rtt ends. */
const kite_rtt *kite_gc_functype_rtt(kite_engine *e, const kite_functype *t, kite_error *err);
void kite_gc_release_rtt(kite_engine *e, const kite_rtt *t);
/* Field layout of a struct or array type of m, as its rtt has it (for lowering). */
kite_gcfield kite_gc_field(const kite_module *m, uint32_t typeidx, uint32_t fieldidx);

/*
** Matching of reference types across modules: a value type together with the rtt of
** its heap type when that is a type index (NULL otherwise).
*/
bool kite_gc_valtype_sub(kite_valtype a, const kite_rtt *ra, kite_valtype b,
                         const kite_rtt *rb);
/* Whether function f's type matches the canonical type `want` (call_indirect). */
bool kite_gc_func_matches(const kite_funcinst *f, const kite_rtt *want);
/* Whether a non-null reference is of heap type ht (an abstract KITE_HT_* or a type
   index whose canonical type is t; exact: t itself, not a subtype): ref.test, ref.cast,
   br_on_cast. */
bool kite_gc_ref_test(kite_ref r, uint32_t ht, const kite_rtt *t, bool exact);
/* In lowered code, a cast's heap type word: a type index with this bit is exact. */
#define KITE_HT_EXACT_BIT 0x40000000u

/*
** Allocation. Objects are zeroed. A collection may run first: its roots are the value
** stack up to stack_top (or the store's sp when that is higher; NULL: the sp), the
** globals, tables and element segments of the store, and the exception payloads.
** NULL with *err set (KITE_ERR_OOM) when there is no memory even after collecting.
*/
kite_gcobj *kite_gc_new_struct(kite_store *s, const kite_rtt *t, uint64_t *stack_top,
                               kite_error *err);
kite_gcobj *kite_gc_new_array(kite_store *s, const kite_rtt *t, uint32_t len,
                              uint64_t *stack_top, kite_error *err);
/* Collect now. */
void kite_gc_collect(kite_store *s, uint64_t *stack_top);
/* While inhibited (nestable), allocation never collects: instantiation holds new
   objects in C variables. */
void kite_gc_inhibit(kite_store *s, bool on);
/* Whether r is a live heap object of s. */
bool kite_gc_is_object(const kite_store *s, kite_ref r);

/*
** A reference the host holds through the public API: an object of the any hierarchy
** (a root of the collector until released) or an exposed exception (which lives as long
** as the store anyway). The store frees the ones left with itself.
*/
struct kite_heapref {
  kite_store *store;
  kite_ref ref;
  bool exn; /* ref is a kite_exn */
};
/* A new host reference to ref (exn: an exception, made exposed); NULL on OOM. */
struct kite_heapref *kite_gc_root_new(kite_store *s, kite_ref ref, bool exn);
/* Whether h is a live host reference of s (h is not dereferenced unless it is). */
bool kite_gc_root_owned(const kite_store *s, const struct kite_heapref *h);
/* Release h (which must be live in s). */
void kite_gc_root_free(kite_store *s, struct kite_heapref *h);

typedef struct kite_gc_stats {
  size_t objects, bytes;       /* live now (and not yet collected) */
  uint64_t collections;        /* so far */
  uint64_t allocated_bytes;    /* in total */
} kite_gc_stats;
void kite_gc_get_stats(const kite_store *s, kite_gc_stats *out);

/* Evaluate a GC instruction of a constant expression on stack (sp entries). */
struct kite_insn;
typedef struct kite_cval {
  uint64_t s[2];
} kite_cval;
bool kite_gc_const_insn(kite_instance *inst, const struct kite_insn *in, kite_cval *stack,
                        uint32_t *sp, uint32_t cap, kite_error *err);

/* Copy n elements of `size` bytes from little-endian bytes (array.new_data,
   array.init_data). */
void kite_gc_copy_le(uint8_t *dst, const uint8_t *src, uint64_t n, uint32_t size);

/* Field access in slot encoding (the payload is in the host's byte order). */
static inline void kite_gc_load(uint64_t *dst, const uint8_t *p, uint32_t kind, bool sign) {
  switch (kind) {
  case KITE_VT_I8: dst[0] = sign ? (uint32_t)(int32_t)(int8_t)p[0] : p[0]; break;
  case KITE_VT_I16: {
    uint16_t v;
    memcpy(&v, p, 2);
    dst[0] = sign ? (uint32_t)(int32_t)(int16_t)v : v;
    break;
  }
  case KITE_VT_I32:
  case KITE_VT_F32: {
    uint32_t v;
    memcpy(&v, p, 4);
    dst[0] = v;
    break;
  }
  case KITE_VT_V128: memcpy(dst, p, 16); break;
  default: memcpy(dst, p, 8); break;
  }
}
static inline void kite_gc_store(uint8_t *p, const uint64_t *src, uint32_t kind) {
  switch (kind) {
  case KITE_VT_I8: p[0] = (uint8_t)src[0]; break;
  case KITE_VT_I16: {
    uint16_t v = (uint16_t)src[0];
    memcpy(p, &v, 2);
    break;
  }
  case KITE_VT_I32:
  case KITE_VT_F32: {
    uint32_t v = (uint32_t)src[0];
    memcpy(p, &v, 4);
    break;
  }
  case KITE_VT_V128: memcpy(p, src, 16); break;
  default: memcpy(p, src, 8); break;
  }
}
/* Store one value into n consecutive elements of `size` bytes (array.new, array.fill). */
static inline void kite_gc_fill(uint8_t *p, uint64_t n, const uint64_t *src, uint32_t kind,
                                uint32_t size) {
  if (!n) return;
  kite_gc_store(p, src, kind);
  if (size == 1) {
    memset(p + 1, p[0], (size_t)n - 1);
    return;
  }
  /* Doubling copies: a few memcpy calls for any length. */
  size_t done = size, total = (size_t)n * size;
  while (done < total) {
    size_t k = done < total - done ? done : total - done;
    memcpy(p + done, p, k);
    done += k;
  }
}

#endif
