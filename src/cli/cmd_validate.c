/*
** cmd_validate.c: `kite validate FILE...`: decode and validate each module; print one
** line per rejected file; exit 0 only when every file is valid.
*/
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "valid.h"

static void usage(FILE *f) {
  fprintf(f, "usage: kite validate [--features=2.0|3.0|all] [--compile-threads=N] FILE...\n\n"
             "Check that each WebAssembly module is valid. Prints nothing and exits 0 when\n"
             "all are; otherwise prints FILE:0xOFFSET: error: MESSAGE for each invalid one\n"
             "and exits 1. FILE may be - for standard input.\n\n"
             "  --features=SET       2.0, 3.0 (the default: 3.0 plus threads) or all\n"
             "  --compile-threads=N  validate a large module's code on up to N threads\n"
             "                       (default 0: one per CPU, at most 8)\n");
}

/* True when the module at path is valid; otherwise prints why. A large module is
   loaded on a start-up heap of its own (cli_heap.c), as kite run does. */
static bool validate_file(kite_alloc *a, const char *path, kite_features features,
                          uint32_t threads) {
  kite_error err;
  kite_error_clear(&err);
  cli_heap heap;
  kite_alloc on_heap;
  struct stat sb;
  bool big = stat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
             (uint64_t)sb.st_size >= CLI_HEAP_MIN_MODULE &&
             (uint64_t)sb.st_size <= SIZE_MAX / 16 && cli_heap_init(&heap, (size_t)sb.st_size);
  if (big) {
    kite_alloc_init(&on_heap, cli_heap_alloc, &heap);
    a = &on_heap;
  }
  kite_module *m = cli_compile_module(a, path, features, threads, &err);
  bool valid = m != NULL;
  if (!valid) cli_print_error(path, &err);
  kite_module_free(m);
  if (big) cli_heap_free(&heap);
  return valid;
}

int cmd_validate(int argc, char **argv) {
  kite_features features = CLI_DEFAULT_FEATURES;
  uint32_t threads = 0;
  int nfiles = 0;
  bool only_files = false; /* after "--" */
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (only_files || arg[0] != '-' || arg[1] == '\0') {
      argv[1 + nfiles++] = argv[i]; /* files move to the front, in order */
    } else if (strcmp(arg, "--") == 0) {
      only_files = true;
    } else if (cli_is_help(arg)) {
      usage(stdout);
      return CLI_OK;
    } else if (strncmp(arg, "--features=", 11) == 0) {
      if (!cli_parse_features(arg + 11, &features))
        return cli_usage_error("validate", "unknown feature set '%s'", arg + 11);
    } else if (strncmp(arg, "--compile-threads=", 18) == 0) {
      if (!cli_parse_threads(arg + 18, &threads))
        return cli_usage_error("validate", "--compile-threads needs a number, not '%s'", arg + 18);
    } else {
      return cli_usage_error("validate", "unknown option '%s'", arg);
    }
  }
  if (nfiles == 0) return cli_usage_error("validate", "no input files");

  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  int status = CLI_OK;
  for (int i = 1; i <= nfiles; i++)
    if (!validate_file(&a, argv[i], features, threads)) status = CLI_FAIL;
  return status;
}
