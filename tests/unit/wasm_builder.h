/*
** wasm_builder.h: building small binary modules by hand in unit tests (header-only).
**
**   wb_module M; wb_init(&M);
**   uint32_t t = wb_type(&M, "ii", "i");
**   uint32_t f = wb_func(&M, t, "", CODE(0x20, 0, 0x20, 1, 0x6A));  // body without end
**   wb_export(&M, "add", 0, f);
**   size_t n; uint8_t *bytes = wb_finish(&M, &n);   // free() it
**
** Value types in strings: i=i32 I=i64 f=f32 F=f64 v=v128 r=funcref e=externref.
*/
#ifndef KITE_WASM_BUILDER_H
#define KITE_WASM_BUILDER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct wb_bytes {
  uint8_t *p;
  size_t n, cap;
} wb_bytes;

static inline void wb_put(wb_bytes *b, const void *p, size_t n) {
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2 + 64;
    b->p = realloc(b->p, b->cap);
  }
  memcpy(b->p + b->n, p, n);
  b->n += n;
}
static inline void wb_byte(wb_bytes *b, uint8_t c) { wb_put(b, &c, 1); }
static inline void wb_uleb(wb_bytes *b, uint64_t v) {
  do {
    uint8_t c = v & 0x7F;
    v >>= 7;
    if (v) c |= 0x80;
    wb_byte(b, c);
  } while (v);
}
static inline void wb_str(wb_bytes *b, const char *s) {
  wb_uleb(b, strlen(s));
  wb_put(b, s, strlen(s));
}
static inline uint8_t wb_vt(char c) {
  switch (c) {
  case 'i': return 0x7F;
  case 'I': return 0x7E;
  case 'f': return 0x7D;
  case 'F': return 0x7C;
  case 'v': return 0x7B;
  case 'r': return 0x70;
  default: return 0x6F;
  }
}

typedef struct wb_module {
  wb_bytes types, imports, funcs, tables, mems, globals, exports, elems, code, datas;
  uint32_t ntypes, nimports, nfuncs, ntables, nmems, nglobals, nexports, nelems, ndatas;
  uint32_t nimported_funcs, nmems_own, nglobals_own, ntables_own;
  int start; /* -1: none */
  int datacount;
} wb_module;

static inline void wb_init(wb_module *m) {
  memset(m, 0, sizeof *m);
  m->start = -1;
  m->datacount = -1;
}

static inline uint32_t wb_type(wb_module *m, const char *params, const char *results) {
  wb_byte(&m->types, 0x60);
  wb_uleb(&m->types, strlen(params));
  for (const char *p = params; *p; p++) wb_byte(&m->types, wb_vt(*p));
  wb_uleb(&m->types, strlen(results));
  for (const char *p = results; *p; p++) wb_byte(&m->types, wb_vt(*p));
  return m->ntypes++;
}

static inline uint32_t wb_import_func(wb_module *m, const char *mod, const char *name, uint32_t type) {
  wb_str(&m->imports, mod);
  wb_str(&m->imports, name);
  wb_byte(&m->imports, 0x00);
  wb_uleb(&m->imports, type);
  m->nimports++;
  return m->nimported_funcs++;
}

static inline void wb_import_memory(wb_module *m, const char *mod, const char *name, uint32_t min,
                             int max) {
  wb_str(&m->imports, mod);
  wb_str(&m->imports, name);
  wb_byte(&m->imports, 0x02);
  wb_byte(&m->imports, max >= 0 ? 1 : 0);
  wb_uleb(&m->imports, min);
  if (max >= 0) wb_uleb(&m->imports, (uint32_t)max);
  m->nimports++;
  m->nmems++;
}

static inline void wb_import_global(wb_module *m, const char *mod, const char *name, char type, int mut) {
  wb_str(&m->imports, mod);
  wb_str(&m->imports, name);
  wb_byte(&m->imports, 0x03);
  wb_byte(&m->imports, wb_vt(type));
  wb_byte(&m->imports, (uint8_t)mut);
  m->nimports++;
  m->nglobals++;
}

static inline void wb_import_table(wb_module *m, const char *mod, const char *name, uint32_t min,
                            int max) {
  wb_str(&m->imports, mod);
  wb_str(&m->imports, name);
  wb_byte(&m->imports, 0x01);
  wb_byte(&m->imports, 0x70);
  wb_byte(&m->imports, max >= 0 ? 1 : 0);
  wb_uleb(&m->imports, min);
  if (max >= 0) wb_uleb(&m->imports, (uint32_t)max);
  m->nimports++;
  m->ntables++;
}

/* A function: locals as a type string (one entry per local), body without the final end. */
static inline uint32_t wb_func(wb_module *m, uint32_t type, const char *locals, const uint8_t *body,
                        size_t len) {
  wb_uleb(&m->funcs, type);
  wb_bytes f = {0};
  size_t nl = strlen(locals);
  wb_uleb(&f, nl);
  for (size_t i = 0; i < nl; i++) {
    wb_uleb(&f, 1);
    wb_byte(&f, wb_vt(locals[i]));
  }
  wb_put(&f, body, len);
  wb_byte(&f, 0x0B);
  wb_uleb(&m->code, f.n);
  wb_put(&m->code, f.p, f.n);
  free(f.p);
  return m->nimported_funcs + m->nfuncs++;
}
#define WB_CODE(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

static inline uint32_t wb_memory(wb_module *m, uint32_t min, int max) {
  wb_byte(&m->mems, max >= 0 ? 1 : 0);
  wb_uleb(&m->mems, min);
  if (max >= 0) wb_uleb(&m->mems, (uint32_t)max);
  m->nmems_own++;
  return m->nmems++;
}

static inline uint32_t wb_table(wb_module *m, char elem, uint32_t min, int max) {
  wb_byte(&m->tables, wb_vt(elem));
  wb_byte(&m->tables, max >= 0 ? 1 : 0);
  wb_uleb(&m->tables, min);
  if (max >= 0) wb_uleb(&m->tables, (uint32_t)max);
  m->ntables_own++;
  return m->ntables++;
}

/* A global with an initializer expression (without end). */
static inline uint32_t wb_global(wb_module *m, char type, int mut, const uint8_t *init, size_t len) {
  wb_byte(&m->globals, wb_vt(type));
  wb_byte(&m->globals, (uint8_t)mut);
  wb_put(&m->globals, init, len);
  wb_byte(&m->globals, 0x0B);
  m->nglobals_own++;
  return m->nglobals++;
}

static inline void wb_export(wb_module *m, const char *name, uint8_t kind, uint32_t idx) {
  wb_str(&m->exports, name);
  wb_byte(&m->exports, kind);
  wb_uleb(&m->exports, idx);
  m->nexports++;
}

/* Active element segment for table 0 at a constant offset, with function indices. */
static inline void wb_elem(wb_module *m, int32_t offset, const uint32_t *funcs, uint32_t n) {
  wb_byte(&m->elems, 0x00);
  wb_byte(&m->elems, 0x41);
  wb_uleb(&m->elems, (uint32_t)offset & 0x3F); /* small non-negative offsets only */
  wb_byte(&m->elems, 0x0B);
  wb_uleb(&m->elems, n);
  for (uint32_t i = 0; i < n; i++) wb_uleb(&m->elems, funcs[i]);
  m->nelems++;
}

/* Passive element segment of function indices. */
static inline void wb_elem_passive(wb_module *m, const uint32_t *funcs, uint32_t n) {
  wb_byte(&m->elems, 0x01);
  wb_byte(&m->elems, 0x00);
  wb_uleb(&m->elems, n);
  for (uint32_t i = 0; i < n; i++) wb_uleb(&m->elems, funcs[i]);
  m->nelems++;
}

/* Active data segment for memory 0 at offset (an i32.const with a small offset). */
static inline void wb_data(wb_module *m, uint32_t offset, const void *p, size_t n) {
  wb_byte(&m->datas, 0x00);
  wb_byte(&m->datas, 0x41);
  /* signed LEB of a non-negative value */
  uint32_t v = offset;
  for (;;) {
    uint8_t c = v & 0x7F;
    v >>= 7;
    if (v == 0 && !(c & 0x40)) {
      wb_byte(&m->datas, c);
      break;
    }
    wb_byte(&m->datas, c | 0x80);
  }
  wb_byte(&m->datas, 0x0B);
  wb_uleb(&m->datas, n);
  wb_put(&m->datas, p, n);
  m->ndatas++;
}

static inline void wb_data_passive(wb_module *m, const void *p, size_t n) {
  wb_byte(&m->datas, 0x01);
  wb_uleb(&m->datas, n);
  wb_put(&m->datas, p, n);
  m->ndatas++;
  m->datacount = (int)m->ndatas;
}

static inline void wb_section(wb_bytes *out, uint8_t id, uint32_t count, wb_bytes *content) {
  if (!count) return;
  wb_bytes s = {0};
  wb_uleb(&s, count);
  wb_put(&s, content->p, content->n);
  wb_byte(out, id);
  wb_uleb(out, s.n);
  wb_put(out, s.p, s.n);
  free(s.p);
}

static inline uint8_t *wb_finish(wb_module *m, size_t *len) {
  wb_bytes out = {0};
  wb_put(&out, "\0asm\1\0\0\0", 8);
  wb_section(&out, 1, m->ntypes, &m->types);
  wb_section(&out, 2, m->nimports, &m->imports);
  wb_section(&out, 3, m->nfuncs, &m->funcs);
  wb_section(&out, 4, m->ntables_own, &m->tables);
  wb_section(&out, 5, m->nmems_own, &m->mems);
  wb_section(&out, 6, m->nglobals_own, &m->globals);
  wb_section(&out, 7, m->nexports, &m->exports);
  if (m->start >= 0) {
    wb_bytes s = {0};
    wb_uleb(&s, (uint32_t)m->start);
    wb_byte(&out, 8);
    wb_uleb(&out, s.n);
    wb_put(&out, s.p, s.n);
    free(s.p);
  }
  wb_section(&out, 9, m->nelems, &m->elems);
  if (m->datacount >= 0) {
    wb_byte(&out, 12);
    wb_bytes s = {0};
    wb_uleb(&s, m->ndatas);
    wb_uleb(&out, s.n);
    wb_put(&out, s.p, s.n);
    free(s.p);
  }
  wb_section(&out, 10, m->nfuncs, &m->code);
  wb_section(&out, 11, m->ndatas, &m->datas);
  free(m->types.p);
  free(m->imports.p);
  free(m->funcs.p);
  free(m->tables.p);
  free(m->mems.p);
  free(m->globals.p);
  free(m->exports.p);
  free(m->elems.p);
  free(m->code.p);
  free(m->datas.p);
  *len = out.n;
  return out.p;
}

#endif
