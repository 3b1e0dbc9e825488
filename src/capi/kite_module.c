/*
** kite_module.c: compiling modules (whole or streamed), their reference counts, and
** introspection: imports, exports and custom sections (WebAssembly.Module and its
** static functions).
*/
#include <stdatomic.h>

#include "binary.h"
#include "capi.h"
#include "text.h"
#include "valid.h"

/* Validation threads call the allocation hook at once: with a hook of the embedder's
   (perhaps not thread-safe), only when it asked for threads itself. */
static uint32_t compile_threads(const kite_engine *e) {
  const kite_engine_config *cfg = kite_engine_get_config(e);
  return cfg->compile_threads == 0 && cfg->alloc ? 1 : cfg->compile_threads;
}

static kite_module *validate_or_free(kite_module *m, kite_engine *e, kite_error *err) {
  if (!m) return NULL;
  if (!kite_validate_module_threads(m, kite_engine_features(e), compile_threads(e), err)) {
    kite_module_free(m);
    return NULL;
  }
  return m;
}

kite_module *kite_capi_compile(kite_engine *e, const uint8_t *bytes, size_t len, kite_error *err) {
  kite_features f = kite_engine_features(e);
  return kite_decode_validate_threads(kite_engine_alloc(e), bytes, len, f, NULL,
                                      compile_threads(e), err);
}

kite_module *kite_compile(kite_engine *e, const uint8_t *bytes, size_t len, kite_error *err) {
  kite_error local;
  if (!err) err = &local;
  kite_error_clear(err);
  return kite_capi_compile(e, bytes, len, err);
}

/* ---- streaming ---- */

struct kite_compile_stream {
  kite_engine *engine;
  kite_decoder *decoder;
};

kite_compile_stream *kite_compile_stream_new(kite_engine *e) {
  kite_alloc *a = kite_engine_alloc(e);
  kite_compile_stream *cs = kite_malloc(a, sizeof *cs);
  if (!cs) return NULL;
  cs->engine = e;
  cs->decoder = kite_decoder_new(a, kite_engine_features(e), NULL);
  if (!cs->decoder) {
    kite_free(a, cs, sizeof *cs);
    return NULL;
  }
  return cs;
}

bool kite_compile_stream_feed(kite_compile_stream *cs, const uint8_t *bytes, size_t len,
                              kite_error *err) {
  kite_error local;
  if (!err) err = &local;
  kite_error_clear(err);
  return kite_decoder_feed(cs->decoder, bytes, len, err);
}

kite_module *kite_compile_stream_finish(kite_compile_stream *cs, kite_error *err) {
  kite_error local;
  if (!err) err = &local;
  kite_error_clear(err);
  kite_engine *e = cs->engine;
  kite_module *m = kite_decoder_finish(cs->decoder, err);
  kite_free(kite_engine_alloc(e), cs, sizeof *cs);
  return validate_or_free(m, e, err);
}

void kite_compile_stream_free(kite_compile_stream *cs) {
  if (!cs) return;
  kite_decoder_free(cs->decoder);
  kite_free(kite_engine_alloc(cs->engine), cs, sizeof *cs);
}

/* ---- the text format ---- */

uint8_t *kite_wat2wasm(kite_engine *e, const char *text, size_t len, size_t *out_len,
                       kite_error *err) {
  kite_error local;
  if (!err) err = &local;
  kite_error_clear(err);
  *out_len = 0;
  kite_alloc *a = kite_engine_alloc(e);
  kite_buf b;
  kite_buf_init(&b, a);
  if (!kite_wat_to_wasm(a, text, len, kite_engine_features(e), &b, err)) {
    kite_buf_free(&b);
    return NULL;
  }
  /* Hand out exactly len bytes, so that kite_bytes_free can give the hook the size. */
  uint8_t *p = kite_realloc(a, b.data, b.cap, b.len ? b.len : 1);
  if (!p) {
    kite_buf_free(&b);
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  *out_len = b.len;
  return p;
}

void kite_bytes_free(kite_engine *e, uint8_t *bytes, size_t len) {
  kite_free(kite_engine_alloc(e), bytes, len ? len : 1);
}

/* ---- references ---- */

kite_module *kite_module_retain(kite_module *m) {
  atomic_fetch_add(&m->extra_refs, 1);
  return m;
}

void kite_module_release(kite_module *m) {
  if (!m) return;
  /* Free on the release that finds no extra reference; a CAS loop so that two threads
     releasing the last two references cannot both see 0. */
  uint32_t n = atomic_load(&m->extra_refs);
  for (;;) {
    if (n == 0) {
      kite_module_free(m);
      return;
    }
    if (atomic_compare_exchange_weak(&m->extra_refs, &n, n - 1)) return;
  }
}

const uint8_t *kite_module_bytes(const kite_module *m, size_t *len) {
  if (len) *len = m->len;
  return m->bytes;
}

/* ---- introspection ---- */

uint32_t kite_module_import_count(const kite_module *m) { return m->nimports; }
uint32_t kite_module_export_count(const kite_module *m) { return m->nexports; }

bool kite_module_import(const kite_module *m, uint32_t i, kite_import_desc *out) {
  if (i >= m->nimports) return false;
  const kite_import *imp = &m->imports[i];
  out->module = (const char *)imp->module.ptr;
  out->module_len = imp->module.len;
  out->name = (const char *)imp->field.ptr;
  out->name_len = imp->field.len;
  kite_capi_import_type(m, imp, &out->type);
  return true;
}

bool kite_module_export(const kite_module *m, uint32_t i, kite_export_desc *out) {
  if (i >= m->nexports) return false;
  const kite_export *x = &m->exports[i];
  out->name = (const char *)x->name.ptr;
  out->name_len = x->name.len;
  kite_capi_export_type(m, x, &out->type);
  return true;
}

static bool name_is(kite_name n, const char *s, size_t len) {
  return n.len == len && (len == 0 || memcmp(n.ptr, s, len) == 0);
}

bool kite_module_find_export(const kite_module *m, const char *name, size_t name_len,
                             kite_export_desc *out) {
  for (uint32_t i = 0; i < m->nexports; i++)
    if (name_is(m->exports[i].name, name, name_len)) return kite_module_export(m, i, out);
  return false;
}

uint32_t kite_module_custom_section_count(const kite_module *m, const char *name, size_t name_len) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < m->ncustoms; i++) n += name_is(m->customs[i].name, name, name_len);
  return n;
}

bool kite_module_custom_section(const kite_module *m, const char *name, size_t name_len,
                                uint32_t index, const uint8_t **data, size_t *len) {
  for (uint32_t i = 0; i < m->ncustoms; i++) {
    const kite_custom *c = &m->customs[i];
    if (!name_is(c->name, name, name_len) || index-- != 0) continue;
    *data = m->bytes + c->offset;
    *len = c->len;
    return true;
  }
  return false;
}
