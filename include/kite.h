/*
** kite.h: the public API of libkite, a WebAssembly engine.
**
** Shaped like the WebAssembly JS API: validate bytes, compile a Module, inspect it,
** instantiate it with imports, call exports. Errors are values (kite_error), typed like
** the JS API's CompileError, LinkError and RuntimeError. Nothing in the library prints
** or exits.
*/
#ifndef KITE_H
#define KITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
  KITE_TRAP_MEMORY_OOB,        /* out of bounds memory access */
  KITE_TRAP_TABLE_OOB,         /* out of bounds table access / undefined element */
  KITE_TRAP_INDIRECT_NULL,     /* uninitialized element */
  KITE_TRAP_INDIRECT_TYPE,     /* indirect call type mismatch */
  KITE_TRAP_INT_DIV_ZERO,      /* integer divide by zero */
  KITE_TRAP_INT_OVERFLOW,      /* integer overflow */
  KITE_TRAP_BAD_CONVERSION,    /* invalid conversion to integer */
  KITE_TRAP_NULL_REFERENCE,    /* null reference / null function */
  KITE_TRAP_CAST_FAILURE,      /* cast failure */
  KITE_TRAP_ARRAY_OOB,         /* out of bounds array access */
  KITE_TRAP_UNALIGNED_ATOMIC,  /* unaligned atomic */
  KITE_TRAP_EXCEPTION,         /* uncaught exception */
  KITE_TRAP_OUT_OF_FUEL,       /* all fuel consumed */
  KITE_TRAP_INTERRUPTED,       /* interrupted by the host */
  KITE_TRAP_HOST,              /* a host function reported an error */
  KITE_TRAP_STACK_EXHAUSTED    /* call stack exhausted (kind is KITE_ERR_EXHAUSTION) */
} kite_trap_code;

/*
** An error. `msg` uses the wording of the official test suite ("unexpected end",
** "type mismatch", "integer divide by zero", ...) so tests can compare prefixes.
*/
typedef struct kite_error {
  kite_errkind kind;
  int code;             /* an enum of the kind above */
  uint64_t offset;      /* byte offset in the binary, when has_offset */
  uint32_t line, col;   /* position in text (1-based), when line != 0 */
  bool has_offset;
  char msg[256];
} kite_error;

/*
** The allocation hook (Lua style): `nsize == 0` frees `p` (of `osize` bytes) and
** returns NULL; otherwise it resizes `p` from `osize` to `nsize` bytes (p may be NULL)
** and returns NULL on failure, leaving `p` untouched.
*/
typedef void *(*kite_alloc_fn)(void *ud, void *p, size_t osize, size_t nsize);

/* Name of an error kind, as the JS API would call it ("CompileError", ...). */
const char *kite_errkind_name(kite_errkind kind);

/*
** Validate a binary module (WebAssembly.validate). Returns true when valid; otherwise
** fills *err (if not NULL) with the first error, its byte offset and message.
*/
bool kite_validate(const uint8_t *bytes, size_t len, kite_error *err);

#ifdef __cplusplus
}
#endif
#endif
