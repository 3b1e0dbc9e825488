/*
** valid.h: the validator. It checks a decoded module against the specification's
** validation rules (https://webassembly.github.io/spec/core/valid/) for the features
** enabled, in time linear in the module's size.
*/
#ifndef KITE_VALID_H
#define KITE_VALID_H

#include "binary.h"

/*
** Validate a decoded module. Returns true when valid; otherwise sets *err (kind
** KITE_ERR_COMPILE, code KITE_COMPILE_INVALID, or KITE_COMPILE_MALFORMED for the few
** malformations only found while walking code, or KITE_ERR_OOM), with the byte offset
** of the offending instruction or entry and the suite's wording ("type mismatch", ...).
** Scratch memory comes from m->alloc and is released before returning.
*/
bool kite_validate_module(const kite_module *m, kite_features features, kite_error *err);

/* Subtyping between value types of one module (the GC rules; for 2.0 modules it is
   reference-type subtyping over func/extern). */
bool kite_valtype_sub(const kite_module *m, kite_valtype a, kite_valtype b);

#endif
