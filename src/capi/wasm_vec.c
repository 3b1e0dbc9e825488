/*
** wasm_vec.c: wasm.h's vectors and values.
**
** Every vector type has the same five functions; the element type decides what copying
** and deleting an element means (nothing for bytes, wasm_val_copy / wasm_val_delete for
** values, wasm_T_copy / wasm_T_delete for pointers), so each vector is defined by one
** line of DEFINE_VEC naming those two operations.
*/
#include <stdlib.h>

#include "wasm.h"

#include "capi.h"

#define DEFINE_VEC(name, elem, copy_elem, delete_elem)                                             \
  void wasm_##name##_vec_new_empty(wasm_##name##_vec_t *out) {                                     \
    out->size = 0;                                                                                 \
    out->data = NULL;                                                                              \
  }                                                                                                \
  void wasm_##name##_vec_new_uninitialized(wasm_##name##_vec_t *out, size_t size) {                \
    out->data = size ? calloc(size, sizeof(elem)) : NULL;                                          \
    out->size = out->data ? size : 0;                                                              \
  }                                                                                                \
  void wasm_##name##_vec_new(wasm_##name##_vec_t *out, size_t size, elem const src[]) {            \
    wasm_##name##_vec_new_uninitialized(out, size);                                                \
    if (out->size) memcpy(out->data, src, size * sizeof(elem));                                    \
  }                                                                                                \
  void wasm_##name##_vec_copy(wasm_##name##_vec_t *out, const wasm_##name##_vec_t *src) {          \
    wasm_##name##_vec_new_uninitialized(out, src->size);                                           \
    for (size_t i = 0; i < out->size; i++) copy_elem(&out->data[i], &src->data[i]);                \
  }                                                                                                \
  void wasm_##name##_vec_delete(wasm_##name##_vec_t *v) {                                          \
    if (!v) return;                                                                                \
    for (size_t i = 0; i < v->size; i++) delete_elem(&v->data[i]);                                 \
    free(v->data);                                                                                 \
    v->size = 0;                                                                                   \
    v->data = NULL;                                                                                \
  }

#define COPY_PLAIN(dst, src) (*(dst) = *(src))
#define DELETE_NOTHING(p) ((void)(p))
#define COPY_VAL(dst, src) wasm_val_copy((dst), (src))
#define DELETE_VAL(p) wasm_val_delete(p)

#define DEFINE_PTR_VEC(name)                                                                       \
  static void copy_##name##_elem(wasm_##name##_t **dst, wasm_##name##_t *const *src) {             \
    *dst = *src ? wasm_##name##_copy(*src) : NULL;                                                 \
  }                                                                                                \
  static void delete_##name##_elem(wasm_##name##_t **p) {                                          \
    if (*p) wasm_##name##_delete(*p);                                                              \
  }                                                                                                \
  DEFINE_VEC(name, wasm_##name##_t *, copy_##name##_elem, delete_##name##_elem)

DEFINE_VEC(byte, wasm_byte_t, COPY_PLAIN, DELETE_NOTHING)
DEFINE_VEC(val, wasm_val_t, COPY_VAL, DELETE_VAL)
DEFINE_PTR_VEC(valtype)
DEFINE_PTR_VEC(functype)
DEFINE_PTR_VEC(globaltype)
DEFINE_PTR_VEC(tabletype)
DEFINE_PTR_VEC(memorytype)
DEFINE_PTR_VEC(tagtype)
DEFINE_PTR_VEC(externtype)
DEFINE_PTR_VEC(importtype)
DEFINE_PTR_VEC(exporttype)
DEFINE_PTR_VEC(frame)
DEFINE_PTR_VEC(extern)

/* ---- values ---- */

void wasm_val_delete(wasm_val_t *v) {
  if (wasm_valkind_is_ref(v->kind) && v->of.ref) {
    wasm_ref_delete(v->of.ref);
    v->of.ref = NULL;
  }
}

void wasm_val_copy(wasm_val_t *out, const wasm_val_t *v) {
  *out = *v;
  if (wasm_valkind_is_ref(v->kind) && v->of.ref) out->of.ref = wasm_ref_copy(v->of.ref);
}
