/*
** api.c: the public kite_validate (WebAssembly.validate).
**
** It accepts WebAssembly 3.0 plus the threads proposal (shared memories and atomics),
** which the web platform ships alongside 3.0. Legacy exceptions, wide arithmetic and
** custom page sizes stay off: they are proposals a host opts into through the engine.
*/
#include "valid.h"

bool kite_validate(const uint8_t *bytes, size_t len, kite_error *err) {
  kite_error local;
  if (!err) err = &local;
  kite_error_clear(err);
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_features f = KITE_FEATURES_3_0 | KITE_FEATURE_BIT(FEAT_THREADS);
  kite_module *m = kite_decode(&a, bytes, len, f, NULL, err);
  if (!m) return false;
  bool ok = kite_validate_module(m, f, err);
  kite_module_free(m);
  return ok;
}
