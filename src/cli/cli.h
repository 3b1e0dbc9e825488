/*
** cli.h: the `kite` command. main.c dispatches `kite NAME ARGS...` through one table;
** each subcommand is `int cmd_NAME(int argc, char **argv)` in its own cmd_NAME.c, with
** argv[0] the subcommand's name. Every subcommand accepts `--help` (which `kite help
** NAME` uses) and returns one of the exit codes below. Adding a subcommand is a file,
** a declaration here and one row in main.c's table.
*/
#ifndef KITE_CLI_H
#define KITE_CLI_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "binary.h"

/* Exit codes shared by every subcommand. */
enum {
  CLI_OK = 0,   /* success */
  CLI_FAIL = 1, /* the input was rejected (invalid, malformed, unreadable, trapped) */
  CLI_USAGE = 2 /* the command line was wrong */
};

/* Built with AddressSanitizer, whose leak check wants every block freed and seen: the
   start-up heap stays off and `kite run` frees all it made before it exits. */
#if defined(__SANITIZE_ADDRESS__)
#define KITE_CLI_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KITE_CLI_ASAN 1
#endif
#endif

/* ---- subcommands ---- */

int cmd_validate(int argc, char **argv);
int cmd_objdump(int argc, char **argv);
int cmd_run(int argc, char **argv); /* cmd_run.c: run a module with WASI */
int cmd_wat2wasm(int argc, char **argv);
int cmd_wasm2wat(int argc, char **argv); /* cmd_wasm2wat.c: binary to text */
int cmd_wast(int argc, char **argv);

/* ---- shared helpers (cli_util.c) ---- */

/* Print "kite NAME: message" and a hint to stderr; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* True when `arg` asks for a subcommand's usage. */
static inline bool cli_is_help(const char *arg) { return strcmp(arg, "--help") == 0; }

/* Parse the value of --features=: "2.0", "3.0" (the default set) or "all". */
bool cli_parse_features(const char *value, kite_features *out);
/* Parse the value of --compile-threads: a count, 0 for the CPUs available. */
bool cli_parse_threads(const char *value, uint32_t *out);
/* What commands use without --features: WebAssembly 3.0 plus threads. */
#define CLI_DEFAULT_FEATURES (KITE_FEATURES_3_0 | KITE_FEATURE_BIT(FEAT_THREADS))

/* Read a whole file ("-" is stdin) into out (initialised by the caller). On failure sets
   *err (kind KITE_ERR_IO, "cannot read FILE: reason"). */
bool cli_read_file(const char *path, kite_buf *out, kite_error *err);

/*
** The bytes of a binary module named on the command line: the one place where every
** command turns a path into module bytes, so the text format plugs in here (a .wat file
** is parsed to binary). Errors carry a byte offset (binary) or line:col (text).
*/
bool cli_read_module_bytes(const char *path, kite_features features, kite_buf *out,
                           kite_error *err);

/* Read, decode and validate a module (kite_decode_validate_threads, with `threads`
   validating threads). A binary file is read straight into the module's own buffer.
   NULL on failure with *err set. */
kite_module *cli_compile_module(kite_alloc *a, const char *path, kite_features features,
                                uint32_t threads, kite_error *err);

/* Read and decode a module (not validated). NULL on failure with *err set. */
kite_module *cli_load_module(kite_alloc *a, const char *path, kite_features features,
                             kite_error *err);

/*
** Print an error about FILE to stderr the way every command does:
**   FILE:0xOFFSET: error: MESSAGE      (binary)
**   FILE:LINE:COL: error: MESSAGE      (text)
**   kite: MESSAGE                      (reading files, usage)
*/
void cli_print_error(const char *path, const kite_error *err);

/* Write a name (arbitrary bytes) with C-style escapes for anything not printable. */
void cli_print_name(FILE *f, kite_name name);

/* ---- the .wast runner (wast_run.c), driven by cmd_wast.c ---- */

struct kite_wast_cmd;
struct kite_wast_script;

enum { WAST_PASSED, WAST_FAILED, WAST_SKIPPED };

/* Called once per command run (and per command skipped), with why it failed or was
   skipped ("" when it passed). */
typedef void (*wast_outcome_fn)(void *ud, const struct kite_wast_cmd *cmd, int outcome,
                                const char *why);

/* Run every command of a script in a fresh engine and store with the `spectest` host
   module registered. Returns false only when the runner itself could not start (OOM). */
bool wast_run_script(const struct kite_wast_script *script, kite_features features,
                     wast_outcome_fn report, void *ud, kite_error *err);

/* ---- the start-up heap of kite run (cli_heap.c) ---- */

/* Modules at least this large start faster on the start-up heap. */
#define CLI_HEAP_MIN_MODULE ((size_t)512 * 1024)

typedef struct cli_heap {
  pthread_mutex_t lock;
  uint8_t *map; /* the mapping, NULL when there is none */
  size_t map_size;
  uint8_t *base, *top, *end; /* the region (huge-page aligned), its next free byte and how
                                far blocks may go */
  uint8_t *last;             /* the last block taken, which may grow in place */
  bool closed;               /* cli_heap_close was called */
  _Atomic(bool) spent;       /* closed and full: new blocks come from malloc */
} cli_heap;

/* Reserve a region for loading a module of module_size bytes; false when it cannot be
   mapped (then do not use the heap). */
bool cli_heap_init(cli_heap *h, size_t module_size);
/* The allocation hook (kite_alloc_fn) with ud = the heap: thread-safe. */
void *cli_heap_alloc(void *ud, void *p, size_t osize, size_t nsize);
/* From now on no new huge page: blocks come from what is left of the one in use, then
   from malloc (blocks in the region stay valid). */
void cli_heap_close(cli_heap *h);
/* Unmap the region: after every block in it was freed (the engine is gone). */
void cli_heap_free(cli_heap *h);

#endif
