/*
** features.h: proposals as runtime flags (never #ifdefs). A kite_features value is a
** bit set of FEAT_* (the instruction features of opcodes.h) and the FEATX_* below,
** which add no instructions but change what decodes or validates.
*/
#ifndef KITE_FEATURES_H
#define KITE_FEATURES_H

#include <stdint.h>

#include "opcodes.h"

enum {
  FEATX_MULTI_VALUE = FEAT_COUNT,
  FEATX_MEMORY64,
  FEATX_MULTI_MEMORY,
  FEATX_EXTENDED_CONST,
  FEATX_CUSTOM_PAGE_SIZES,
  FEATX_COUNT
};

typedef uint32_t kite_features;

#define KITE_FEATURE_BIT(f) ((kite_features)1 << (f))
static inline int kite_has_feature(kite_features fs, unsigned f) { return (fs >> f) & 1; }

/* WebAssembly 2.0: what the 2.0 spec tests expect. */
#define KITE_FEATURES_2_0                                                                     \
  (KITE_FEATURE_BIT(FEAT_MVP) | KITE_FEATURE_BIT(FEAT_SIGN_EXT) |                             \
   KITE_FEATURE_BIT(FEAT_SAT_CONV) | KITE_FEATURE_BIT(FEAT_BULK) |                            \
   KITE_FEATURE_BIT(FEAT_REF_TYPES) | KITE_FEATURE_BIT(FEAT_SIMD) |                           \
   KITE_FEATURE_BIT(FEATX_MULTI_VALUE))

/* WebAssembly 3.0 as standardised: the default. */
#define KITE_FEATURES_3_0                                                                     \
  (KITE_FEATURES_2_0 | KITE_FEATURE_BIT(FEAT_RELAXED_SIMD) | KITE_FEATURE_BIT(FEAT_TAIL_CALL) | \
   KITE_FEATURE_BIT(FEAT_EH) | KITE_FEATURE_BIT(FEAT_FUNC_REFS) | KITE_FEATURE_BIT(FEAT_GC) |  \
   KITE_FEATURE_BIT(FEATX_MEMORY64) | KITE_FEATURE_BIT(FEATX_MULTI_MEMORY) |                   \
   KITE_FEATURE_BIT(FEATX_EXTENDED_CONST))

/* Everything Kite knows, proposals included (threads, legacy exceptions, wide
   arithmetic, custom page sizes, custom descriptors). */
#define KITE_FEATURES_ALL                                                                          \
  (KITE_FEATURES_3_0 | KITE_FEATURE_BIT(FEAT_THREADS) | KITE_FEATURE_BIT(FEAT_LEGACY_EH) |         \
   KITE_FEATURE_BIT(FEAT_WIDE_ARITH) | KITE_FEATURE_BIT(FEATX_CUSTOM_PAGE_SIZES) |                 \
   KITE_FEATURE_BIT(FEAT_CUSTOM_DESC))

#endif
