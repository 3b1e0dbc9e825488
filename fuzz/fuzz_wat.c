/*
** fuzz_wat: text modules through the wat parser.
**
** Property: a text the parser accepts gives bytes that decode; when that module
** validates, printing it (kite_wasm_to_wat, flat or folded as the data chooses) and
** parsing the text gives back exactly the same bytes. Errors must carry a position.
*/
#include "binary.h"
#include "fuzz_util.h"
#include "text.h"
#include "valid.h"

#define FEATURES KITE_FEATURES_ALL

static void show_text(const char *what, const kite_buf *t) {
  fprintf(stderr, "---- %s ----\n%.*s\n", what, (int)(t->len < 8000 ? t->len : 8000),
          (const char *)t->data);
}

static void print_same_bytes(kite_alloc *a, const kite_module *m, const kite_buf *bin, bool fold) {
  kite_print_options opt = {fold};
  kite_buf text, bin2;
  kite_buf_init(&text, a);
  kite_buf_init(&bin2, a);
  kite_error err;
  kite_error_clear(&err);
  if (!kite_wasm_to_wat(m, &opt, &text, &err)) {
    fuzz_check_error(&err, "kite_wasm_to_wat");
    if (err.kind != KITE_ERR_OOM) {
      fuzz_print_error("print", &err);
      fuzz_die("a valid module did not print");
    }
  } else if (!kite_wat_to_wasm(a, (const char *)text.data, text.len, FEATURES, &bin2, &err)) {
    fuzz_check_error(&err, "kite_wat_to_wasm");
    if (!fuzz_parse_limit(&err)) {
      show_text("printed", &text);
      fprintf(stderr, "  at %u:%u\n", err.line, err.col);
      fuzz_print_error("reparse", &err);
      fuzz_die("the printed text of a valid module does not parse");
    }
  } else if (bin2.len != bin->len || memcmp(bin2.data, bin->data, bin->len) != 0) {
    show_text("printed", &text);
    size_t i = 0;
    while (i < bin->len && i < bin2.len && bin->data[i] == bin2.data[i]) i++;
    fprintf(stderr, "  bytes differ at offset %zu (lengths %zu and %zu)\n", i, bin->len, bin2.len);
    fuzz_die("print and parse does not give back the same bytes");
  }
  kite_buf_free(&text);
  kite_buf_free(&bin2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kite_alloc a;
  fuzz_alloc_init(&a);
  kite_buf bin;
  kite_buf_init(&bin, &a);
  kite_error err;
  kite_error_clear(&err);
  if (!kite_wat_to_wasm(&a, (const char *)data, size, FEATURES, &bin, &err)) {
    fuzz_check_error(&err, "kite_wat_to_wasm");
    if (err.kind == KITE_ERR_COMPILE && err.line == 0) fuzz_die("a text error without a position");
  } else {
    kite_error_clear(&err);
    kite_module *m = kite_decode(&a, bin.data, bin.len, FEATURES, NULL, &err);
    if (!m) {
      fuzz_check_error(&err, "kite_decode");
      /* The text parser does not check everything the decoder does (e.g. some counts
         are only malformed in binary); only a crash or an OOM mismatch matters here. */
    } else {
      kite_error_clear(&err);
      if (kite_validate_module(m, FEATURES, &err))
        print_same_bytes(&a, m, &bin, fuzz_hash(data, size) & 1);
      else
        fuzz_check_error(&err, "kite_validate_module");
      kite_module_free(m);
    }
  }
  kite_buf_free(&bin);
  fuzz_alloc_check(&a);
  return 0;
}
