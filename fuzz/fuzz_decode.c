/*
** fuzz_decode: binary modules through the decoder and the validator.
**
** Properties checked besides "no crash, no leak, no undefined behaviour":
** - the streaming decoder, fed the same bytes in two or three chunks split at
**   data-chosen points, reaches the same result as kite_decode (the same error, with
**   the same kind, code, offset and message, or a module either way);
** - validating twice gives the same answer (the validator keeps no state);
** - a valid module prints (folded or flat) and disassembles without failing, its text
**   parses back to a valid module, and printing and parsing that one gives the same
**   bytes again (the first trip may shorten over-long LEB128s, later ones change nothing).
** The first bytes are the module itself, so the suite's modules are good seeds.
*/
#include "binary.h"
#include "fuzz_util.h"
#include "text.h"
#include "valid.h"

#define FEATURES KITE_FEATURES_ALL

static kite_module *decode_streaming(kite_alloc *a, const uint8_t *data, size_t size,
                                     uint64_t seed, kite_error *err) {
  kite_decoder *d = kite_decoder_new(a, FEATURES, NULL);
  if (!d) {
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  size_t cut1 = size ? (size_t)(seed % (size + 1)) : 0;
  size_t cut2 = cut1 + (size > cut1 ? (size_t)((seed >> 32) % (size - cut1 + 1)) : 0);
  kite_error ferr;
  kite_error_clear(&ferr);
  if (kite_decoder_feed(d, data, cut1, &ferr) && kite_decoder_feed(d, data + cut1, cut2 - cut1, &ferr))
    kite_decoder_feed(d, data + cut2, size - cut2, &ferr);
  kite_module *m = kite_decoder_finish(d, err);
  /* An error seen while feeding is the one finish reports. */
  if (kite_failed(&ferr) && (m || !fuzz_same_error(&ferr, err))) {
    fuzz_print_error("feed", &ferr);
    fuzz_print_error("finish", err);
    fuzz_die("streaming decoder: finish disagrees with feed");
  }
  return m;
}

/* Print m and parse the text; false (with the text in *text) when it fails to parse. */
static bool print_parse(kite_alloc *a, const kite_module *m, bool fold, kite_buf *text,
                        kite_buf *bin, kite_error *err) {
  kite_print_options opt = {fold};
  if (!kite_wasm_to_wat(m, &opt, text, err)) {
    fuzz_check_error(err, "kite_wasm_to_wat");
    if (err->kind == KITE_ERR_OOM) return false;
    fuzz_print_error("print", err);
    fuzz_die("a valid module did not print");
  }
  if (!kite_wat_to_wasm(a, (const char *)text->data, text->len, FEATURES, bin, err)) {
    fuzz_check_error(err, "kite_wat_to_wasm");
    if (fuzz_parse_limit(err)) return false;
    fprintf(stderr, "%.*s\n", (int)(text->len < 4000 ? text->len : 4000), (const char *)text->data);
    fuzz_print_error("reparse", err);
    fuzz_die("the printed text of a valid module does not parse");
  }
  return true;
}

/*
** The bytes may use LEB128s longer than needed, which text cannot keep, so the first
** round trip only has to parse; from then on printing and parsing is a fixed point.
*/
static void print_fixed_point(kite_alloc *a, const kite_module *m, bool fold) {
  kite_buf text1, bin1, text2, bin2;
  kite_buf_init(&text1, a);
  kite_buf_init(&bin1, a);
  kite_buf_init(&text2, a);
  kite_buf_init(&bin2, a);
  kite_error err;
  kite_error_clear(&err);
  kite_module *m1 = NULL;
  if (!print_parse(a, m, fold, &text1, &bin1, &err)) goto done;
  m1 = kite_decode(a, bin1.data, bin1.len, FEATURES, NULL, &err);
  if (!m1) {
    if (err.kind == KITE_ERR_OOM) goto done;
    fuzz_print_error("decode", &err);
    fuzz_die("the text of a valid module parses to bytes that do not decode");
  }
  if (!kite_validate_module(m1, FEATURES, &err)) {
    if (err.kind == KITE_ERR_OOM) goto done;
    fprintf(stderr, "%.*s\n", (int)(text1.len < 4000 ? text1.len : 4000), (const char *)text1.data);
    fuzz_print_error("validate", &err);
    fuzz_die("the text of a valid module parses to an invalid module");
  }
  if (!print_parse(a, m1, fold, &text2, &bin2, &err)) goto done;
  if (bin1.len != bin2.len || memcmp(bin1.data, bin2.data, bin1.len) != 0) {
    fprintf(stderr, "%.*s\n", (int)(text1.len < 4000 ? text1.len : 4000), (const char *)text1.data);
    fuzz_die("print and parse is not a fixed point");
  }
done:
  kite_module_free(m1);
  kite_buf_free(&text1);
  kite_buf_free(&bin1);
  kite_buf_free(&text2);
  kite_buf_free(&bin2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  kite_alloc a;
  fuzz_alloc_init(&a);
  uint64_t seed = fuzz_hash(data, size);

  kite_error err, serr;
  kite_error_clear(&err);
  kite_error_clear(&serr);
  kite_module *m = kite_decode(&a, data, size, FEATURES, NULL, &err);
  if (!m) fuzz_check_error(&err, "kite_decode");
  kite_module *sm = decode_streaming(&a, data, size, seed, &serr);
  if (!sm) fuzz_check_error(&serr, "kite_decoder_finish");
  /* Running into the allocation limit may happen on one path only. */
  if (err.kind != KITE_ERR_OOM && serr.kind != KITE_ERR_OOM &&
      ((m == NULL) != (sm == NULL) || (!m && !fuzz_same_error(&err, &serr)))) {
    if (!m) fuzz_print_error("whole", &err);
    if (!sm) fuzz_print_error("streaming", &serr);
    fuzz_die("streaming and whole decoding disagree");
  }
  kite_module_free(sm);

  if (m) {
    kite_error_clear(&err);
    bool valid = kite_validate_module(m, FEATURES, &err);
    if (!valid) fuzz_check_error(&err, "kite_validate_module");
    kite_error verr = err;
    kite_error_clear(&err);
    if (kite_validate_module(m, FEATURES, &err) != valid ||
        (!valid && verr.kind != KITE_ERR_OOM && !fuzz_same_error(&err, &verr)))
      fuzz_die("validating twice gives different answers");
    if (valid) {
      print_fixed_point(&a, m, seed & 1);
      kite_buf dis;
      kite_buf_init(&dis, &a);
      kite_error_clear(&err);
      if (!kite_disassemble(m, &dis, &err)) {
        fuzz_check_error(&err, "kite_disassemble");
        if (err.kind != KITE_ERR_OOM) fuzz_die("a valid module did not disassemble");
      }
      kite_buf_free(&dis);
    }
    kite_module_free(m);
  }
  fuzz_alloc_check(&a);
  return 0;
}
