/*
** cmd_wat2wasm.c: `kite wat2wasm IN.wat [-o OUT.wasm] [--debug-names] [--features=SET]`.
** The output compares equal to wabt's wat2wasm for the modules wabt accepts.
*/
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "text.h"

static const char usage[] =
    "usage: kite wat2wasm IN.wat [-o OUT.wasm] [--debug-names] [--features=2.0|3.0|all]\n"
    "Parse a module in the text format and write its binary (to stdout without -o).\n";

int cmd_wat2wasm(int argc, char **argv) {
  const char *in = NULL, *out_path = NULL;
  kite_features features = CLI_DEFAULT_FEATURES;
  kite_wat_options opt = {false};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (cli_is_help(a)) {
      fputs(usage, stdout);
      return CLI_OK;
    } else if (strcmp(a, "-o") == 0) {
      if (++i >= argc) return cli_usage_error(argv[0], "-o needs a file name");
      out_path = argv[i];
    } else if (strcmp(a, "--debug-names") == 0) {
      opt.debug_names = true;
    } else if (strncmp(a, "--features=", 11) == 0) {
      if (!cli_parse_features(a + 11, &features))
        return cli_usage_error(argv[0], "unknown feature set '%s'", a + 11);
    } else if (a[0] == '-' && a[1] != '\0') {
      return cli_usage_error(argv[0], "unknown option '%s'", a);
    } else if (in) {
      return cli_usage_error(argv[0], "only one input file");
    } else {
      in = a;
    }
  }
  if (!in) return cli_usage_error(argv[0], "no input file");

  kite_alloc alloc;
  kite_alloc_init(&alloc, NULL, NULL);
  kite_error err;
  kite_error_clear(&err);
  kite_buf src, wasm;
  kite_buf_init(&src, &alloc);
  kite_buf_init(&wasm, &alloc);
  int rc = CLI_FAIL;
  if (!cli_read_file(in, &src, &err) ||
      !kite_wat_to_wasm_ex(&alloc, (const char *)src.data, src.len, features, &opt, &wasm, &err)) {
    cli_print_error(in, &err);
    goto done;
  }
  FILE *f = out_path ? fopen(out_path, "wb") : stdout;
  if (!f) {
    fprintf(stderr, "kite: cannot write %s\n", out_path);
    goto done;
  }
  bool written = fwrite(wasm.data, 1, wasm.len, f) == wasm.len;
  if (out_path) written = (fclose(f) == 0) && written;
  else written = (fflush(f) == 0) && written;
  if (!written) {
    fprintf(stderr, "kite: cannot write %s\n", out_path ? out_path : "stdout");
    goto done;
  }
  rc = CLI_OK;
done:
  kite_buf_free(&src);
  kite_buf_free(&wasm);
  return rc;
}
