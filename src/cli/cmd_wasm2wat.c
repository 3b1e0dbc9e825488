/*
** cmd_wasm2wat.c: `kite wasm2wat IN.wasm [-o OUT.wat] [--fold]`: a binary module as
** text, in the layout of wabt's wasm2wat. The module is validated first (as wabt does)
** unless --no-check is given; the text parses back to the same bytes either way.
*/
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "text.h"
#include "valid.h"

static void usage(FILE *f) {
  fprintf(f, "usage: kite wasm2wat [-o OUT.wat] [--fold] [--no-check] [--features=SET] IN.wasm\n\n"
             "Print a binary module in the text format. The text reads back (kite wat2wasm) to\n"
             "the same bytes.\n\n"
             "  -o, --output=FILE  write the text to FILE instead of standard output\n"
             "  -f, --fold         folded expressions: (i32.add (local.get 0) (i32.const 1))\n"
             "  --no-check         print without validating the module first\n"
             "  --features=SET     2.0, 3.0 (the default: 3.0 plus threads) or all\n");
}

static bool write_output(const char *path, const kite_buf *text, kite_error *err) {
  FILE *f = path ? fopen(path, "wb") : stdout;
  if (!f) return kite_fail(err, KITE_ERR_IO, 0, 0, "cannot write %s", path);
  bool ok = fwrite(text->data, 1, text->len, f) == text->len;
  if (path) ok = fclose(f) == 0 && ok;
  else ok = fflush(f) == 0 && ok;
  if (!ok) return kite_fail(err, KITE_ERR_IO, 0, 0, "cannot write %s", path ? path : "output");
  return true;
}

int cmd_wasm2wat(int argc, char **argv) {
  kite_features features = CLI_DEFAULT_FEATURES;
  const char *in = NULL, *out = NULL;
  bool check = true;
  kite_print_options opt = {false};
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (cli_is_help(arg)) {
      usage(stdout);
      return CLI_OK;
    } else if (strcmp(arg, "-f") == 0 || strcmp(arg, "--fold") == 0 ||
               strcmp(arg, "--fold-exprs") == 0) {
      opt.fold = true;
    } else if (strcmp(arg, "--no-check") == 0) {
      check = false;
    } else if (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0) {
      if (++i >= argc) return cli_usage_error("wasm2wat", "%s needs a file name", arg);
      out = argv[i];
    } else if (strncmp(arg, "--output=", 9) == 0) {
      out = arg + 9;
    } else if (strncmp(arg, "--features=", 11) == 0) {
      if (!cli_parse_features(arg + 11, &features))
        return cli_usage_error("wasm2wat", "unknown feature set '%s'", arg + 11);
    } else if (arg[0] == '-' && arg[1] != '\0') {
      return cli_usage_error("wasm2wat", "unknown option '%s'", arg);
    } else if (in) {
      return cli_usage_error("wasm2wat", "only one input file, got '%s' and '%s'", in, arg);
    } else {
      in = arg;
    }
  }
  if (!in) return cli_usage_error("wasm2wat", "no input file");

  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_error err;
  kite_error_clear(&err);
  kite_buf bytes;
  kite_buf_init(&bytes, &a);
  kite_module *m = NULL;
  if (cli_read_module_bytes(in, features, &bytes, &err))
    m = kite_decode(&a, bytes.data, bytes.len, features, NULL, &err);
  kite_buf_free(&bytes);
  if (!m || (check && !kite_validate_module(m, features, &err))) {
    cli_print_error(in, &err);
    kite_module_free(m);
    return CLI_FAIL;
  }
  kite_buf text;
  kite_buf_init(&text, &a);
  bool ok = kite_wasm_to_wat(m, &opt, &text, &err) && write_output(out, &text, &err);
  if (!ok) cli_print_error(in, &err);
  kite_buf_free(&text);
  kite_module_free(m);
  return ok ? CLI_OK : CLI_FAIL;
}
