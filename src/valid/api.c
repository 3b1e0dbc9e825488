/*
** api.c: decoding and validating in one go, and the public kite_validate
** (WebAssembly.validate).
**
** It accepts WebAssembly 3.0 plus the threads proposal (shared memories and atomics),
** which the web platform ships alongside 3.0. Legacy exceptions, wide arithmetic and
** custom page sizes stay off: they are proposals a host opts into through the engine.
*/
#include "valid.h"

static void decode_names(void *m) { kite_decode_module_names(m); }

kite_module *kite_decoder_finish_validate_threads(kite_decoder *d, kite_features features,
                                                  uint32_t threads, kite_error *err) {
  if (d) {
    kite_decoder_defer_walks(d);
    kite_decoder_defer_names(d);
  }
  kite_module *m = kite_decoder_finish(d, err);
  if (!m) return NULL;
  /* The name section is decoded while other threads validate the code. */
  if (kite_validate_module_with(m, features, threads, decode_names, m, err)) return m;
  /* A malformed body or a missing data count section comes before any validation error. */
  kite_error first;
  kite_error_clear(&first);
  if (!kite_decode_check_code(m, features, &first)) *err = first;
  kite_module_free(m);
  return NULL;
}

kite_module *kite_decoder_finish_validate(kite_decoder *d, kite_features features,
                                          kite_error *err) {
  return kite_decoder_finish_validate_threads(d, features, 0, err);
}

kite_module *kite_decode_validate_threads(kite_alloc *a, const uint8_t *bytes, size_t len,
                                          kite_features features,
                                          const kite_decode_limits *limits, uint32_t threads,
                                          kite_error *err) {
  kite_decoder *d = kite_decoder_of_bytes(a, bytes, len, features, limits, err);
  return d ? kite_decoder_finish_validate_threads(d, features, threads, err) : NULL;
}

kite_module *kite_decode_validate(kite_alloc *a, const uint8_t *bytes, size_t len,
                                  kite_features features, const kite_decode_limits *limits,
                                  kite_error *err) {
  return kite_decode_validate_threads(a, bytes, len, features, limits, 0, err);
}

bool kite_validate(const uint8_t *bytes, size_t len, kite_error *err) {
  kite_error local;
  if (!err) err = &local;
  kite_error_clear(err);
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_features f = KITE_FEATURES_3_0 | KITE_FEATURE_BIT(FEAT_THREADS);
  kite_module *m = kite_decode_validate(&a, bytes, len, f, NULL, err);
  bool ok = m != NULL;
  kite_module_free(m);
  return ok;
}
