/*
** kite.h: the public API of libkite, a WebAssembly engine.
**
** Shaped like the WebAssembly JS API: validate bytes, compile a Module, inspect it,
** instantiate it with imports, call exports. Errors are values (kite_error), typed like
** the JS API's CompileError, LinkError and RuntimeError. Nothing in the library prints
** or exits.
**
** The objects, and who frees them:
**
**   kite_engine_config  settings for an engine; made with kite_engine_config_new, freed
**                       with kite_engine_config_free (the engine keeps a copy).
**   kite_engine         configuration shared by modules and stores. Free it last, after
**                       every module and store made with it.
**   kite_module         a compiled, validated module (WebAssembly.Module). Immutable,
**                       reference-counted and safe to share between threads: every
**                       kite_compile / kite_module_retain is matched by one
**                       kite_module_release. Instances keep their module alive.
**   kite_store          owns every runtime object created in it (instances, functions,
**                       memories, tables, globals, tags, WASI contexts) and frees them all
**                       in kite_store_free. A store is used by one thread at a time; use one
**                       store per thread.
**   kite_instance, kite_funcinst, kite_meminst, kite_tableinst, kite_globalinst,
**   kite_taginst        runtime objects ("instances" in the specification's sense: a
**                       memory instance, a function instance, ...). Owned by their store:
**                       never freed one by one, valid until kite_store_free.
**   kite_imports        an import object being built; freed with kite_imports_free. It
**                       only refers to the externs it holds (their store owns them).
**   kite_functype       a function signature; always borrowed from a module or an object
**                       (valid as long as its owner).
**   kite_wasi_options   WASI settings; freed with kite_wasi_options_free (a context
**                       made from them keeps copies).
**
** Strings from a module (import and export names, custom section names) are byte ranges of
** the module's binary: not NUL-terminated, valid while the module lives.
**
** Threads: engines and modules may be used by any number of threads at once (the
** allocation hook must then be thread-safe). A store and everything in it belongs to one
** thread at a time, except shared memories (kite_memory_desc.shared): one may be
** imported by instances of several stores on several threads, stays alive while any
** store that created or imported it does, and grows atomically without moving.
** kite_interrupt_trigger may be called from any thread. docs/threads.md has the rules.
*/
#ifndef KITE_H
#define KITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KITE_VERSION "0.1.0"

/* The kind of an error, following the JS API's error classes. */
typedef enum kite_errkind {
  KITE_OK = 0,
  KITE_ERR_COMPILE,    /* malformed or invalid module: CompileError */
  KITE_ERR_LINK,       /* import resolution: LinkError */
  KITE_ERR_RUNTIME,    /* a trap: RuntimeError */
  KITE_ERR_EXHAUSTION, /* call stack or other resource exhausted */
  KITE_ERR_OOM,        /* the host ran out of memory (or the allocation limit) */
  KITE_ERR_EXIT,       /* the guest asked to exit (WASI proc_exit); code is the status */
  KITE_ERR_IO,         /* reading or writing a host file failed */
  KITE_ERR_USAGE       /* the API or command line was called wrongly */
} kite_errkind;

/* Codes within KITE_ERR_COMPILE: tests and hosts compare these, not messages. */
typedef enum kite_compile_code {
  KITE_COMPILE_MALFORMED = 1, /* the binary or text does not follow the format */
  KITE_COMPILE_INVALID = 2    /* well-formed but fails validation */
} kite_compile_code;

/* Codes within KITE_ERR_RUNTIME. */
typedef enum kite_trap_code {
  KITE_TRAP_UNREACHABLE = 1,
  KITE_TRAP_MEMORY_OOB,       /* out of bounds memory access */
  KITE_TRAP_TABLE_OOB,        /* out of bounds table access / undefined element */
  KITE_TRAP_INDIRECT_NULL,    /* uninitialized element */
  KITE_TRAP_INDIRECT_TYPE,    /* indirect call type mismatch */
  KITE_TRAP_INT_DIV_ZERO,     /* integer divide by zero */
  KITE_TRAP_INT_OVERFLOW,     /* integer overflow */
  KITE_TRAP_BAD_CONVERSION,   /* invalid conversion to integer */
  KITE_TRAP_NULL_REFERENCE,   /* null reference / null function */
  KITE_TRAP_CAST_FAILURE,     /* cast failure */
  KITE_TRAP_ARRAY_OOB,        /* out of bounds array access */
  KITE_TRAP_UNALIGNED_ATOMIC, /* unaligned atomic */
  KITE_TRAP_EXCEPTION,        /* uncaught exception */
  KITE_TRAP_OUT_OF_FUEL,      /* all fuel consumed */
  KITE_TRAP_INTERRUPTED,      /* interrupted by the host */
  KITE_TRAP_HOST,             /* a host function reported an error */
  KITE_TRAP_STACK_EXHAUSTED,  /* call stack exhausted (kind is KITE_ERR_EXHAUSTION) */
  KITE_TRAP_NOT_SHARED        /* expected shared memory (memory.atomic.wait on unshared) */
} kite_trap_code;

/*
** An error. `msg` uses the wording of the official test suite ("unexpected end",
** "type mismatch", "integer divide by zero", ...) so tests can compare prefixes.
*/
typedef struct kite_error {
  kite_errkind kind;
  int code;           /* an enum of the kind above */
  uint64_t offset;    /* byte offset in the binary, when has_offset (compile errors) */
  uint32_t line, col; /* position in text (1-based), when line != 0 */
  bool has_offset;
  char msg[256];
} kite_error;

/*
** The allocation hook (Lua style): `nsize == 0` frees `p` (of `osize` bytes) and
** returns NULL; otherwise it resizes `p` from `osize` to `nsize` bytes (p may be NULL)
** and returns NULL on failure, leaving `p` untouched.
*/
typedef void *(*kite_alloc_fn)(void *ud, void *p, size_t osize, size_t nsize);

/* ======================================================================== errors */

/* Name of an error kind, as the JS API would call it ("CompileError", ...). */
const char *kite_errkind_name(kite_errkind kind);

/*
** Validate a binary module (WebAssembly.validate). Returns true when valid; otherwise
** fills *err (if not NULL) with the first error, its byte offset and message.
*/
bool kite_validate(const uint8_t *bytes, size_t len, kite_error *err);

/*
** Set an error (for host functions that fail): the first error wins, so this does
** nothing when *err already holds one. Returns false, for `return kite_error_set(...)`.
** A host function that traps uses KITE_ERR_RUNTIME with KITE_TRAP_HOST (or any other
** trap code).
*/
bool kite_error_set(kite_error *err, kite_errkind kind, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* Clear an error to KITE_OK. */
void kite_error_clear(kite_error *err);

/* ======================================================================== handles */

typedef struct kite_engine_config kite_engine_config;
typedef struct kite_engine kite_engine;
typedef struct kite_store kite_store;
typedef struct kite_module kite_module;
typedef struct kite_instance kite_instance;
typedef struct kite_funcinst kite_funcinst;
typedef struct kite_tableinst kite_tableinst;
typedef struct kite_meminst kite_meminst;
typedef struct kite_globalinst kite_globalinst;
typedef struct kite_taginst kite_taginst;
typedef struct kite_functype kite_functype;
typedef struct kite_imports kite_imports;
typedef struct kite_compile_stream kite_compile_stream;
typedef struct kite_interrupt kite_interrupt;
typedef struct kite_wasi kite_wasi;
typedef struct kite_wasi_options kite_wasi_options;

/* ======================================================================== engine */

/* Proposals, as flags of a feature set. */
#define KITE_FEATURE_MVP (1ull << 0)
#define KITE_FEATURE_SIGN_EXT (1ull << 1)
#define KITE_FEATURE_SAT_CONV (1ull << 2) /* non-trapping float-to-int */
#define KITE_FEATURE_BULK_MEMORY (1ull << 3)
#define KITE_FEATURE_REFERENCE_TYPES (1ull << 4)
#define KITE_FEATURE_SIMD (1ull << 5)
#define KITE_FEATURE_RELAXED_SIMD (1ull << 6)
#define KITE_FEATURE_TAIL_CALL (1ull << 7)
#define KITE_FEATURE_EXCEPTIONS (1ull << 8)
#define KITE_FEATURE_LEGACY_EXCEPTIONS (1ull << 9)
#define KITE_FEATURE_FUNCTION_REFERENCES (1ull << 10)
#define KITE_FEATURE_GC (1ull << 11)
#define KITE_FEATURE_THREADS (1ull << 12)
#define KITE_FEATURE_WIDE_ARITHMETIC (1ull << 13)
#define KITE_FEATURE_MULTI_VALUE (1ull << 14)
#define KITE_FEATURE_MEMORY64 (1ull << 15)
#define KITE_FEATURE_MULTI_MEMORY (1ull << 16)
#define KITE_FEATURE_EXTENDED_CONST (1ull << 17)
#define KITE_FEATURE_CUSTOM_PAGE_SIZES (1ull << 18)
#define KITE_FEATURE_CUSTOM_DESCRIPTORS (1ull << 19) /* exact types, struct descriptors */

/* WebAssembly 2.0 (the default). */
#define KITE_FEATURES_WASM_2_0                                                                     \
  (KITE_FEATURE_MVP | KITE_FEATURE_SIGN_EXT | KITE_FEATURE_SAT_CONV | KITE_FEATURE_BULK_MEMORY |   \
   KITE_FEATURE_REFERENCE_TYPES | KITE_FEATURE_SIMD | KITE_FEATURE_MULTI_VALUE)
/* WebAssembly 3.0 as standardised. */
#define KITE_FEATURES_WASM_3_0                                                                     \
  (KITE_FEATURES_WASM_2_0 | KITE_FEATURE_RELAXED_SIMD | KITE_FEATURE_TAIL_CALL |                   \
   KITE_FEATURE_EXCEPTIONS | KITE_FEATURE_FUNCTION_REFERENCES | KITE_FEATURE_GC |                  \
   KITE_FEATURE_MEMORY64 | KITE_FEATURE_MULTI_MEMORY | KITE_FEATURE_EXTENDED_CONST)

/*
** A new configuration with the defaults: features KITE_FEATURES_WASM_2_0, call depth
** 20000 frames, 4M value-stack slots, memories up to 65536 pages, tables up to 10M
** elements, no fuel, malloc. NULL when out of memory.
*/
kite_engine_config *kite_engine_config_new(void);
void kite_engine_config_free(kite_engine_config *cfg);
/* The features modules may use: a KITE_FEATURE_* set (unknown bits are ignored). */
void kite_engine_config_set_features(kite_engine_config *cfg, uint64_t features);
uint64_t kite_engine_config_features(const kite_engine_config *cfg);
/* The allocation hook every allocation of the engine goes through (fn NULL: malloc),
   and a limit on the bytes it may hold at once (0: none). The hook may be called from
   several threads at once when the engine is shared, or when compile threads are set
   (kite_engine_config_set_compile_threads). */
void kite_engine_config_set_allocator(kite_engine_config *cfg, kite_alloc_fn fn, void *ud,
                                      size_t limit);
/* Limits. A memory grows no larger than max_memory_pages (64 KiB pages) whatever it
   declares; a table no larger than max_table_elements; a call deeper than
   max_call_depth frames, or needing more than max_stack_slots 64-bit value slots, is
   the "call stack exhausted" trap (KITE_ERR_EXHAUSTION). */
void kite_engine_config_set_max_memory_pages(kite_engine_config *cfg, uint64_t pages);
/* A cap on the bytes of all the memories one store creates together (0, the default:
   none). An unshared memory counts its current size, a shared one its maximum. Going
   over it fails the instantiation (KITE_ERR_LINK, "memory size exceeds the limit") or
   makes memory.grow return -1; the store stays usable. */
void kite_engine_config_set_max_store_memory(kite_engine_config *cfg, uint64_t bytes);
void kite_engine_config_set_max_table_elements(kite_engine_config *cfg, uint64_t elements);
void kite_engine_config_set_max_call_depth(kite_engine_config *cfg, uint32_t frames);
void kite_engine_config_set_max_stack_slots(kite_engine_config *cfg, uint32_t slots);
/* Fuel metering: when on, every store starts with `initial_fuel` units (change it with
   kite_store_set_fuel); each function call and each loop iteration (backward branch)
   costs one unit, and running out is the KITE_TRAP_OUT_OF_FUEL trap. */
void kite_engine_config_set_fuel(kite_engine_config *cfg, bool consume_fuel, uint64_t initial_fuel);
/* Threads that compiling one module may use: a module whose function bodies add up to
   more than 256 KiB has them validated by up to this many threads at once (the calling
   thread among them, the others started and finished within the call), each taking
   contiguous runs of bodies and at least 128 KiB in all; the result, and the first error of an invalid module, are
   those of validating on one thread. 0, the default: as many as the CPUs the process may
   run on, at most 8, unless the engine has its own allocation hook (the threads would
   call it at once): then 1, and a count set here says the hook is thread-safe. 1: the
   calling thread only. */
void kite_engine_config_set_compile_threads(kite_engine_config *cfg, uint32_t threads);

/* An engine (a copy of cfg; NULL: the defaults). NULL when out of memory. */
kite_engine *kite_engine_new(const kite_engine_config *cfg);
/* Free an engine; every module and store made with it must be freed first. */
void kite_engine_free(kite_engine *e);
uint64_t kite_engine_features_enabled(const kite_engine *e);

/* ======================================================================== stores */

/* A store (NULL when out of memory). Free with kite_store_free, which frees everything
   the store owns and runs the finalizers of its host functions. */
kite_store *kite_store_new(kite_engine *e);
void kite_store_free(kite_store *s);
kite_engine *kite_store_engine(const kite_store *s);

/* Fuel left (engines with fuel metering on), and setting it. */
uint64_t kite_store_fuel(const kite_store *s);
void kite_store_set_fuel(kite_store *s, uint64_t fuel);

/*
** Interrupting a running store from another thread: take a handle (reference-counted:
** valid until kite_interrupt_release, even after the store is freed) and trigger it.
** Wasm code running in the store then traps with KITE_TRAP_INTERRUPTED at its next
** call or loop iteration, or within a few milliseconds when it blocks in
** memory.atomic.wait; the trap clears the request. A request made while nothing runs
** interrupts the next call. NULL when out of memory.
*/
kite_interrupt *kite_store_interrupt_handle(kite_store *s);
void kite_interrupt_trigger(kite_interrupt *h);
void kite_interrupt_release(kite_interrupt *h);

/* One frame of a trap's backtrace, innermost first. */
typedef struct kite_backtrace_frame {
  const kite_module *module;     /* NULL for a host function */
  const kite_instance *instance; /* the instance the function belongs to; NULL for the host */
  uint32_t func_index;           /* in the module's function index space */
  const char *name;              /* from the name section (not NUL-terminated); NULL if none */
  size_t name_len;
  uint64_t module_offset; /* byte offset of the instruction in the module's binary */
  uint64_t func_offset;   /* the same, from the start of the function's body */
} kite_backtrace_frame;

/*
** The backtrace of the last trap in this store (cleared by the next call): copies up
** to `max` frames into `frames` and returns the number of frames recorded (at most 64;
** *depth, when not NULL, gets the number of frames that were on the stack). Valid until
** the next call into the store; names point into the modules.
*/
uint32_t kite_store_backtrace(const kite_store *s, kite_backtrace_frame *frames, uint32_t max,
                              uint32_t *depth);

/* ======================================================================== types */

/* Value type kinds (the binary format's codes). */
typedef enum kite_valkind {
  KITE_I32 = 0x7F,
  KITE_I64 = 0x7E,
  KITE_F32 = 0x7D,
  KITE_F64 = 0x7C,
  KITE_V128 = 0x7B,
  KITE_REF = 0x64 /* a reference: see kite_type.heap */
} kite_valkind;

/* Abstract heap types; any other heap value is a type index of the module. */
#define KITE_HEAP_EXN 0x80000069u
#define KITE_HEAP_ARRAY 0x8000006Au
#define KITE_HEAP_STRUCT 0x8000006Bu
#define KITE_HEAP_I31 0x8000006Cu
#define KITE_HEAP_EQ 0x8000006Du
#define KITE_HEAP_ANY 0x8000006Eu
#define KITE_HEAP_EXTERN 0x8000006Fu
#define KITE_HEAP_FUNC 0x80000070u
#define KITE_HEAP_NONE 0x80000071u
#define KITE_HEAP_NOEXTERN 0x80000072u
#define KITE_HEAP_NOFUNC 0x80000073u
#define KITE_HEAP_NOEXN 0x80000074u

/* A value type: a number or vector kind, or a reference (heap type and nullability). */
typedef struct kite_type {
  uint8_t kind;  /* kite_valkind */
  bool nullable; /* KITE_REF only */
  uint32_t heap; /* KITE_REF only: KITE_HEAP_* or a type index */
} kite_type;

static inline kite_type kite_type_of(kite_valkind kind) {
  kite_type t = {(uint8_t)kind, false, 0};
  return t;
}
static inline kite_type kite_type_ref(uint32_t heap, bool nullable) {
  kite_type t = {(uint8_t)KITE_REF, nullable, heap};
  return t;
}
static inline kite_type kite_type_funcref(void) { return kite_type_ref(KITE_HEAP_FUNC, true); }
static inline kite_type kite_type_externref(void) { return kite_type_ref(KITE_HEAP_EXTERN, true); }
/* The text format's name of a type ("i32", "funcref", "(ref null 3)") into buf;
   returns buf. */
const char *kite_type_name(kite_type t, char *buf, size_t size);

/* A function signature (borrowed). */
uint32_t kite_functype_param_count(const kite_functype *ft);
uint32_t kite_functype_result_count(const kite_functype *ft);
kite_type kite_functype_param(const kite_functype *ft, uint32_t i);
kite_type kite_functype_result(const kite_functype *ft, uint32_t i);

/* A memory's type (the JS API's MemoryDescriptor). Sizes are in pages. */
typedef struct kite_memory_desc {
  uint64_t initial, maximum; /* maximum only when has_maximum */
  bool has_maximum;
  bool shared;        /* threads: may be shared between threads (needs a maximum) */
  bool is64;          /* memory64: i64 addresses */
  uint32_t page_size; /* bytes per page: 65536, or 1 with custom page sizes (0: 65536) */
} kite_memory_desc;

/* A table's type (TableDescriptor). */
typedef struct kite_table_desc {
  kite_type element; /* a reference type */
  uint64_t initial, maximum;
  bool has_maximum;
  bool is64; /* i64 indices */
} kite_table_desc;

/* A global's type (GlobalDescriptor). */
typedef struct kite_global_desc {
  kite_type value;
  bool mutable_;
} kite_global_desc;

/* What an import or export is. */
typedef enum kite_externkind {
  KITE_EXTERN_FUNC = 0,
  KITE_EXTERN_TABLE = 1,
  KITE_EXTERN_MEMORY = 2,
  KITE_EXTERN_GLOBAL = 3,
  KITE_EXTERN_TAG = 4
} kite_externkind;

/* The type of an import or export: the kind, and the type for that kind. */
typedef struct kite_externtype {
  kite_externkind kind;
  const kite_functype *func; /* FUNC, and TAG (the tag's parameters) */
  kite_table_desc table;     /* TABLE */
  kite_memory_desc memory;   /* MEMORY */
  kite_global_desc global;   /* GLOBAL */
} kite_externtype;

/* Names of the extern kinds: "function", "table", "memory", "global", "tag" (as the
   JS API's Module.imports reports them). */
const char *kite_externkind_name(kite_externkind kind);

/* ======================================================================== values */

/*
** A value. `type` says what it is; for arguments only its kind is checked, against the
** parameter (and a reference's payload is read according to the parameter's type).
** Floats keep their NaN payloads: use f32_bits / f64_bits to see or set the bits.
** References: funcref payloads are function instances (NULL: ref.null func), and a
** reference to a function type index must hold a function of that type; externref
** payloads are host pointers (NULL: ref.null extern), and so are anyref payloads (a host
** pointer is the same reference as an externref or an anyref). An i31 (ref.i31) is the
** value type (ref i31), not nullable, with its signed 31-bit value in of.i32 (kite_i31ref
** makes one):
** it may be passed for anyref, eqref, i31ref and externref, and comes back that way.
** GC objects (structs, arrays) and exceptions reach the host as handles: type
** (ref struct), (ref array) or (ref exn), not nullable, with of.heapref set (see
** kite_val_is_heapref). A handle keeps its object alive (the collector treats it as a
** root) until kite_ref_release, or until the store is freed; the host owns every handle
** it gets from kite_call results, kite_global_value, kite_table_read and kite_ref_copy.
** A host function's arguments are borrowed: valid during the call only (kite_ref_copy
** keeps one). A handle passed in (an argument, a host function's result, a global or
** table write) must be live and of the same store, and its object must match the
** expected type (canonical type matching for type indices), else KITE_ERR_USAGE. An
** externref holding a GC object or an i31 (extern.convert_any) reaches the host as that
** handle or i31, and either may be passed for externref, as extern.convert_any of it.
*/
typedef struct kite_heapref kite_heapref;
typedef struct kite_val {
  kite_type type;
  union {
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
    uint32_t f32_bits;
    uint64_t f64_bits;
    uint8_t v128[16];
    kite_funcinst *func;
    void *host;
    kite_heapref *heapref;
  } of;
} kite_val;

/* Whether v is a handle to a GC object or an exception (of.heapref). */
static inline bool kite_val_is_heapref(kite_val v) {
  return v.type.kind == KITE_REF && !v.type.nullable &&
         (v.type.heap == KITE_HEAP_STRUCT || v.type.heap == KITE_HEAP_ARRAY ||
          v.type.heap == KITE_HEAP_EXN);
}

static inline kite_val kite_i32(int32_t x) {
  kite_val v;
  memset(&v, 0, sizeof v);
  v.type = kite_type_of(KITE_I32);
  v.of.i32 = x;
  return v;
}
static inline kite_val kite_i64(int64_t x) {
  kite_val v;
  memset(&v, 0, sizeof v);
  v.type = kite_type_of(KITE_I64);
  v.of.i64 = x;
  return v;
}
static inline kite_val kite_f32(float x) {
  kite_val v;
  memset(&v, 0, sizeof v);
  v.type = kite_type_of(KITE_F32);
  v.of.f32 = x;
  return v;
}
static inline kite_val kite_f64(double x) {
  kite_val v;
  memset(&v, 0, sizeof v);
  v.type = kite_type_of(KITE_F64);
  v.of.f64 = x;
  return v;
}
static inline kite_val kite_vec128(const uint8_t bytes[16]) {
  kite_val v;
  memset(&v, 0, sizeof v);
  v.type = kite_type_of(KITE_V128);
  memcpy(v.of.v128, bytes, 16);
  return v;
}
static inline kite_val kite_funcref(kite_funcinst *f) {
  kite_val v;
  memset(&v, 0, sizeof v);
  v.type = kite_type_funcref();
  v.of.func = f;
  return v;
}
static inline kite_val kite_externref(void *host) {
  kite_val v;
  memset(&v, 0, sizeof v);
  v.type = kite_type_externref();
  v.of.host = host;
  return v;
}
/* An i31 reference (ref.i31): x keeps its low 31 bits, read back sign-extended. */
static inline kite_val kite_i31ref(int32_t x) {
  kite_val v;
  memset(&v, 0, sizeof v);
  v.type = kite_type_ref(KITE_HEAP_I31, false);
  v.of.i32 = x;
  return v;
}

/* ======================================================================== modules */

/*
** Compile (decode and validate) a binary module with the engine's features
** (WebAssembly.Module). NULL on error: KITE_ERR_COMPILE with the byte offset and the
** suite's message, or KITE_ERR_OOM. The module holds its own copy of the bytes.
*/
kite_module *kite_compile(kite_engine *e, const uint8_t *bytes, size_t len, kite_error *err);

/*
** Streaming compilation (WebAssembly.compileStreaming): feed the binary in chunks of
** any size as they arrive. feed returns false as soon as the bytes seen prove the
** module malformed (with the same offset and message as kite_compile); finish
** validates and returns the module (or NULL with *err), and frees the stream either
** way. Abandon a stream with kite_compile_stream_free. The engine must outlive it.
*/
kite_compile_stream *kite_compile_stream_new(kite_engine *e);
bool kite_compile_stream_feed(kite_compile_stream *cs, const uint8_t *bytes, size_t len,
                              kite_error *err);
kite_module *kite_compile_stream_finish(kite_compile_stream *cs, kite_error *err);
void kite_compile_stream_free(kite_compile_stream *cs);

/*
** The text format: translate a .wat module (the WebAssembly text format, with the
** engine's features) to binary, as wabt's wat2wasm does. Returns the bytes (free them
** with kite_bytes_free) and their length, or NULL with *err (KITE_ERR_COMPILE with the
** line and column of the problem, or KITE_ERR_OOM).
*/
uint8_t *kite_wat2wasm(kite_engine *e, const char *text, size_t len, size_t *out_len,
                       kite_error *err);
void kite_bytes_free(kite_engine *e, uint8_t *bytes, size_t len);

/* Take another reference (returns m); each reference is released once. Thread-safe. */
kite_module *kite_module_retain(kite_module *m);
void kite_module_release(kite_module *m);

/* The module's binary (the bytes it was compiled from). */
const uint8_t *kite_module_bytes(const kite_module *m, size_t *len);

/* An import (ModuleImportDescriptor) and an export (ModuleExportDescriptor). */
typedef struct kite_import_desc {
  const char *module;
  size_t module_len;
  const char *name;
  size_t name_len;
  kite_externtype type;
} kite_import_desc;

typedef struct kite_export_desc {
  const char *name;
  size_t name_len;
  kite_externtype type;
} kite_export_desc;

/* WebAssembly.Module.imports / exports, in the module's order. The getters return
   false when i is out of range. */
uint32_t kite_module_import_count(const kite_module *m);
bool kite_module_import(const kite_module *m, uint32_t i, kite_import_desc *out);
uint32_t kite_module_export_count(const kite_module *m);
bool kite_module_export(const kite_module *m, uint32_t i, kite_export_desc *out);
/* Find an export by name; false when there is none. */
bool kite_module_find_export(const kite_module *m, const char *name, size_t name_len,
                             kite_export_desc *out);

/* WebAssembly.Module.customSections: the number of custom sections named `name`, and
   the contents of the i-th of them (false when there is none). */
uint32_t kite_module_custom_section_count(const kite_module *m, const char *name, size_t name_len);
bool kite_module_custom_section(const kite_module *m, const char *name, size_t name_len, uint32_t i,
                                const uint8_t **data, size_t *len);

/* ======================================================================== instances */

/* An import or export value: the kind and the object. */
typedef struct kite_extern {
  uint8_t kind; /* kite_externkind */
  union {
    kite_funcinst *func;
    kite_tableinst *table;
    kite_meminst *memory;
    kite_globalinst *global;
    kite_taginst *tag;
  } u;
} kite_extern;

static inline kite_extern kite_extern_func(kite_funcinst *f) {
  kite_extern x;
  x.kind = KITE_EXTERN_FUNC;
  x.u.func = f;
  return x;
}
static inline kite_extern kite_extern_table(kite_tableinst *t) {
  kite_extern x;
  x.kind = KITE_EXTERN_TABLE;
  x.u.table = t;
  return x;
}
static inline kite_extern kite_extern_memory(kite_meminst *m) {
  kite_extern x;
  x.kind = KITE_EXTERN_MEMORY;
  x.u.memory = m;
  return x;
}
static inline kite_extern kite_extern_global(kite_globalinst *g) {
  kite_extern x;
  x.kind = KITE_EXTERN_GLOBAL;
  x.u.global = g;
  return x;
}
static inline kite_extern kite_extern_tag(kite_taginst *t) {
  kite_extern x;
  x.kind = KITE_EXTERN_TAG;
  x.u.tag = t;
  return x;
}

/*
** An import object: (module name, field name) -> extern. Names are bytes (copied).
** Adding a name twice replaces the earlier entry. The objects must belong to the store
** the imports are used with, except shared memories, which any store may import. NULL /
** false when out of memory.
*/
kite_imports *kite_imports_new(kite_store *s);
void kite_imports_free(kite_imports *imp);
bool kite_imports_add(kite_imports *imp, const char *module, const char *name, kite_extern x);
bool kite_imports_add_bytes(kite_imports *imp, const char *module, size_t module_len,
                            const char *name, size_t name_len, kite_extern x);
/* Look an entry up; false when absent. */
bool kite_imports_get(const kite_imports *imp, const char *module, size_t module_len,
                      const char *name, size_t name_len, kite_extern *out);
/* Add every export of an instance under module name `module`. */
bool kite_imports_add_instance(kite_imports *imp, const char *module, const kite_instance *inst);

/*
** Instantiate a module (new WebAssembly.Instance): resolve each import by name in
** `imports` (NULL: none), create the module's objects, apply its segments and run its
** start function. Errors: KITE_ERR_LINK ("unknown import", "incompatible import type"),
** KITE_ERR_RUNTIME (a trap in a segment or the start function), KITE_ERR_EXHAUSTION,
** KITE_ERR_OOM, KITE_ERR_USAGE (the module was compiled by another engine). The
** instance belongs to the store and keeps the module alive until the store is freed.
*/
kite_instance *kite_instance_new(kite_store *s, const kite_module *m, const kite_imports *imports,
                                 kite_error *err);

/* Compile and instantiate in one call (WebAssembly.instantiate(bytes, imports)). When
   module_out is not NULL it receives a new reference to the module. */
kite_instance *kite_instantiate_bytes(kite_store *s, const uint8_t *bytes, size_t len,
                                      const kite_imports *imports, kite_module **module_out,
                                      kite_error *err);

/* An export of an instance by name (bytes); false when there is none. */
bool kite_instance_export(const kite_instance *inst, const char *name, size_t len,
                          kite_extern *out);
/* Shorthands for a NUL-terminated name and one kind; NULL when absent or another kind. */
kite_funcinst *kite_instance_export_func(const kite_instance *inst, const char *name);
kite_meminst *kite_instance_export_memory(const kite_instance *inst, const char *name);
kite_tableinst *kite_instance_export_table(const kite_instance *inst, const char *name);
kite_globalinst *kite_instance_export_global(const kite_instance *inst, const char *name);
const kite_module *kite_instance_module(const kite_instance *inst);

/* ======================================================================== functions */

/*
** A host function. `results[i].type` is set before the call; fill in the payloads. To
** trap, set *err (kite_error_set with KITE_ERR_RUNTIME, KITE_TRAP_HOST) and return
** false. The callback may call back into the store (kite_call).
*/
typedef bool (*kite_host_func)(void *data, kite_store *s, const kite_val *args, size_t nargs,
                               kite_val *results, size_t nresults, kite_error *err);

/*
** A host function of the given signature, owned by the store. `finalizer` (may be NULL)
** is called with `data` when the store is freed, or right away if creation fails.
*/
kite_funcinst *kite_func_create(kite_store *s, const kite_type *params, size_t nparams,
                                const kite_type *results, size_t nresults, kite_host_func cb,
                                void *data, void (*finalizer)(void *data), kite_error *err);

const kite_functype *kite_func_type(const kite_funcinst *f);

/*
** Call a function (an export, a host function, a table's element). args must match the
** parameters in number and kind, results must have room for the results (else
** KITE_ERR_USAGE). Traps come back as KITE_ERR_RUNTIME with a kite_trap_code and the
** suite's message, call stack exhaustion as KITE_ERR_EXHAUSTION; the backtrace is then
** in kite_store_backtrace.
*/
bool kite_call(kite_store *s, kite_funcinst *f, const kite_val *args, size_t nargs,
               kite_val *results, size_t nresults, kite_error *err);

/* Release the handle v holds (kite_val_is_heapref); nothing for any other value, nor for
   a handle of another store. Do not use a handle once released: the API rejects it
   (KITE_ERR_USAGE) or ignores it while it can tell, but a newer handle may take its
   place. */
void kite_ref_release(kite_store *s, kite_val v);
/* *out: a new handle to v's reference (any other value: v itself). KITE_ERR_USAGE when
   v's handle is not live in s, KITE_ERR_OOM. */
bool kite_ref_copy(kite_store *s, kite_val v, kite_val *out, kite_error *err);

/* ======================================================================== memories */

/* A memory from the host (new WebAssembly.Memory), zeroed; NULL with *err on failure. */
kite_meminst *kite_memory_create(kite_store *s, const kite_memory_desc *desc, kite_error *err);
void kite_memory_describe(const kite_meminst *m, kite_memory_desc *out);
/*
** The bytes of a memory. The pointer and the size stay valid until the memory grows
** (kite_memory_grow, or memory.grow in wasm code, including in any call into the
** store): re-read both after every call. Wasm memory is little-endian.
*/
uint8_t *kite_memory_data(kite_meminst *m);
uint64_t kite_memory_size_bytes(const kite_meminst *m);
uint64_t kite_memory_size(const kite_meminst *m); /* in pages */
/* Grow by delta pages; returns the old size in pages, or UINT64_MAX when the memory
   cannot grow that much (as memory.grow's -1). */
uint64_t kite_memory_grow(kite_meminst *m, uint64_t delta);
bool kite_memory_is_shared(const kite_meminst *m);

/* ======================================================================== tables */

/* A table of desc->initial elements set to init (new WebAssembly.Table). */
kite_tableinst *kite_table_create(kite_store *s, const kite_table_desc *desc, kite_val init,
                                  kite_error *err);
void kite_table_describe(const kite_tableinst *t, kite_table_desc *out);
uint64_t kite_table_size(const kite_tableinst *t);
/* Read and write elements: false (KITE_ERR_RUNTIME, KITE_TRAP_TABLE_OOB) out of bounds,
   KITE_ERR_USAGE for a value of the wrong type. */
bool kite_table_read(const kite_tableinst *t, uint64_t index, kite_val *out, kite_error *err);
bool kite_table_write(kite_tableinst *t, uint64_t index, kite_val v, kite_error *err);
/* Grow by delta elements set to init; the old size, or UINT64_MAX on failure. */
uint64_t kite_table_grow_by(kite_tableinst *t, uint64_t delta, kite_val init);

/* ======================================================================== globals */

kite_globalinst *kite_global_create(kite_store *s, const kite_global_desc *desc, kite_val init,
                                    kite_error *err);
void kite_global_describe(const kite_globalinst *g, kite_global_desc *out);
kite_val kite_global_value(const kite_globalinst *g);
/* KITE_ERR_USAGE when the global is immutable or the value's kind differs. */
bool kite_global_set_value(kite_globalinst *g, kite_val v, kite_error *err);

/* ======================================================================== tags */

/* A tag whose exceptions carry the given parameters (new WebAssembly.Tag). */
kite_taginst *kite_tag_create(kite_store *s, const kite_type *params, size_t nparams,
                              kite_error *err);
const kite_functype *kite_tag_type(const kite_taginst *t);

/* ======================================================================== WASI */

/*
** WASI preview1 for a guest: arguments, environment, preopened directories and
** listening sockets, stdio. Build options, then create a context in a store (the
** store owns it), then run a command or initialise a reactor.
*/
kite_wasi_options *kite_wasi_options_new(kite_engine *e);
void kite_wasi_options_free(kite_wasi_options *o);
/* Each returns false when out of memory. Strings are copied. */
bool kite_wasi_options_arg(kite_wasi_options *o, const char *arg); /* the first is argv[0] */
bool kite_wasi_options_env(kite_wasi_options *o, const char *name, const char *value);
/* Let the guest see host directory `host_dir` as `guest_dir`. */
bool kite_wasi_options_preopen(kite_wasi_options *o, const char *host_dir, const char *guest_dir);
/* Bind and listen on "HOST:PORT"; the guest accepts connections on it. */
bool kite_wasi_options_listen(kite_wasi_options *o, const char *address);
/* Host fds for the guest's stdin, stdout, stderr (-1: closed); default 0, 1, 2. */
void kite_wasi_options_stdio(kite_wasi_options *o, int in, int out, int err);

/* Create a WASI context owned by s (opens the preopens and binds the listeners now:
   KITE_ERR_IO when that fails). */
kite_wasi *kite_wasi_create(kite_store *s, const kite_wasi_options *o, kite_error *err);

/*
** Instantiate m with its wasi_snapshot_preview1 imports bound to w and its other imports
** from `imports` (may be NULL), then run it: a command's `_start`, or a reactor's
** `_initialize`. kite_wasi_run_command sets *exit_code to the status the guest gave
** proc_exit (0 when _start returns); a trap is false with *err. kite_wasi_instantiate
** runs `_initialize` when the module has it and returns the instance for calling its
** exports.
*/
bool kite_wasi_run_command(kite_wasi *w, kite_store *s, const kite_module *m,
                           const kite_imports *imports, int *exit_code, kite_error *err);
kite_instance *kite_wasi_instantiate(kite_wasi *w, kite_store *s, const kite_module *m,
                                     const kite_imports *imports, kite_error *err);

#ifdef __cplusplus
}
#endif
#endif
