/*
** test_decode_fast.c: the decoder's fast paths for large modules (function bodies
** skimmed when their walks are deferred, function indices of element segments, the
** declared-function set, name maps) must give exactly what the general paths give:
** the same fields, and the same errors at the same offsets. Modules are built so that
** entries sit where fast paths give up: at the ends of sections and of the input, in
** longer encodings, around the size of the local-group chunks.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary.h"
#include "test_util.h"
#include "wasm_builder.h"

static kite_alloc alloc;

static void section(wb_bytes *out, uint8_t id, const wb_bytes *content) {
  wb_byte(out, id);
  wb_uleb(out, content->n);
  wb_put(out, content->p, content->n);
}

/* An over-long LEB128 of v in n bytes. */
static void uleb_padded(wb_bytes *b, uint32_t v, int n) {
  for (int i = 0; i < n; i++) {
    uint8_t c = v & 0x7f;
    v >>= 7;
    if (i < n - 1) c |= 0x80;
    wb_byte(b, c);
  }
}

/* Header, one type [] -> [], nfuncs functions of it; the caller appends the rest. */
static void module_start(wb_bytes *b, uint32_t nfuncs) {
  wb_put(b, "\0asm\1\0\0\0", 8);
  wb_bytes s = {0};
  wb_put(&s, "\x01\x60\x00\x00", 4);
  section(b, KITE_SEC_TYPE, &s);
  s.n = 0;
  wb_uleb(&s, nfuncs);
  for (uint32_t i = 0; i < nfuncs; i++) wb_byte(&s, 0);
  section(b, KITE_SEC_FUNCTION, &s);
  free(s.p);
}

/* ---- decoding two ways ---- */

typedef struct decoded {
  kite_module *m;
  kite_error err;
} decoded;

static decoded decode_plain(const wb_bytes *b, const kite_decode_limits *lim) {
  decoded d;
  kite_error_clear(&d.err);
  d.m = kite_decode(&alloc, b->p, b->n, KITE_FEATURES_ALL, lim, &d.err);
  return d;
}

/* As kite_decoder_finish_validate decodes (bodies skimmed, walked later), then the
   walks, so that errors compare with kite_decode's. */
static decoded decode_deferred(const wb_bytes *b, const kite_decode_limits *lim) {
  decoded d;
  kite_error_clear(&d.err);
  kite_decoder *dec = kite_decoder_new(&alloc, KITE_FEATURES_ALL, lim);
  uint8_t *buf = kite_decoder_buffer(dec, b->n);
  if (buf) memcpy(buf, b->p, b->n);
  kite_decoder_defer_walks(dec);
  d.m = kite_decoder_finish(dec, &d.err);
  if (d.m && !kite_decode_check_code(d.m, KITE_FEATURES_ALL, &d.err)) {
    kite_module_free(d.m);
    d.m = NULL;
  }
  return d;
}

static bool same_funcs(const kite_module *a, const kite_module *b) {
  if (a->nfuncs != b->nfuncs) return false;
  for (uint32_t i = a->nimported_funcs; i < a->nfuncs; i++) {
    const kite_func *x = &a->funcs[i], *y = &b->funcs[i];
    if (x->type != y->type || x->exact != y->exact || x->nlocalgroups != y->nlocalgroups ||
        x->nlocals != y->nlocals || x->code_offset != y->code_offset ||
        x->code_end != y->code_end || x->body_offset != y->body_offset)
      return false;
    if (x->nlocalgroups && (!x->localgroups || !y->localgroups)) return false;
    for (uint32_t g = 0; g < x->nlocalgroups; g++) {
      kite_localgroup p = x->localgroups[g], q = y->localgroups[g];
      if (p.count != q.count || memcmp(&p.type, &q.type, sizeof p.type) != 0) return false;
    }
  }
  return true;
}

/* Both ways agree; returns the plain module (or NULL) for further checks, *err set. */
static kite_module *decode_both_(int line, const wb_bytes *b, const kite_decode_limits *lim,
                                 kite_error *err) {
  decoded p = decode_plain(b, lim), d = decode_deferred(b, lim);
  bool same = (p.m != NULL) == (d.m != NULL);
  if (same && !p.m)
    same = p.err.kind == d.err.kind && p.err.offset == d.err.offset &&
           strcmp(p.err.msg, d.err.msg) == 0;
  if (same && p.m) same = same_funcs(p.m, d.m);
  CHECK_MSG(same, "line %d: plain %s '%s' @%llu, deferred %s '%s' @%llu", line,
            p.m ? "ok" : "error", p.m ? "" : p.err.msg, (unsigned long long)p.err.offset,
            d.m ? "ok" : "error", d.m ? "" : d.err.msg, (unsigned long long)d.err.offset);
  kite_module_free(d.m);
  if (err) *err = p.err;
  return p.m;
}
#define DECODE_BOTH(b, lim, err) decode_both_(__LINE__, b, lim, err)

static void expect_error_(int line, const wb_bytes *b, const kite_decode_limits *lim,
                          const char *msg, uint64_t offset) {
  kite_error err;
  kite_module *m = decode_both_(line, b, lim, &err);
  CHECK_MSG(!m && strcmp(err.msg, msg) == 0 && err.offset == offset,
            "line %d: expected '%s' @%llu, got %s '%s' @%llu", line, msg,
            (unsigned long long)offset, m ? "success" : "error", m ? "" : err.msg,
            (unsigned long long)err.offset);
  kite_module_free(m);
}
#define EXPECT_ERROR(b, lim, msg, offset) expect_error_(__LINE__, b, lim, msg, offset)

/* ---- function bodies ---- */

/* A body: `ngroups` groups (count, type bytes), then `pad` nops and end. */
typedef struct body_spec {
  uint32_t ngroups;
  uint32_t count;   /* of each group */
  const char *type; /* its encoding */
  uint32_t pad;
  int size_bytes; /* 0: minimal */
} body_spec;

static void put_body(wb_bytes *code, body_spec s) {
  wb_bytes body = {0};
  wb_uleb(&body, s.ngroups);
  for (uint32_t g = 0; g < s.ngroups; g++) {
    wb_uleb(&body, s.count);
    wb_put(&body, s.type, strlen(s.type));
  }
  for (uint32_t k = 0; k < s.pad; k++) wb_byte(&body, 0x01);
  wb_byte(&body, 0x0b);
  if (s.size_bytes) uleb_padded(code, (uint32_t)body.n, s.size_bytes);
  else wb_uleb(code, body.n);
  wb_put(code, body.p, body.n);
  free(body.p);
}

static void module_of_bodies(wb_bytes *b, const body_spec *specs, uint32_t n, uint32_t nfuncs) {
  b->n = 0;
  module_start(b, nfuncs);
  wb_bytes code = {0};
  wb_uleb(&code, n);
  for (uint32_t i = 0; i < n; i++) put_body(&code, specs[i]);
  section(b, KITE_SEC_CODE, &code);
  free(code.p);
}

static void test_bodies(void) {
  /* Thousands of bodies of every common and uncommon form, past several chunks of
     local groups: the skimmed ones must equal the ones read in full. */
  enum { N = 5000 };
  static body_spec specs[N];
  static const char *types[] = {"\x7f", "\x7e", "\x7d", "\x7c", "\x7b", "\x70", "\x63\x70", "\x6f"};
  uint32_t seed = 12345;
  for (uint32_t i = 0; i < N; i++) {
    seed = seed * 1103515245u + 12345u;
    uint32_t r = seed >> 8;
    body_spec s = {r % 4, 1 + (r >> 4) % 5, types[(r >> 8) % 4], (r >> 12) % 200, 0};
    switch ((r >> 20) % 16) {
    case 0: s.ngroups = 0; break;                    /* no locals */
    case 1: s.count = 200 + (r >> 4) % 1000; break;  /* two-byte counts */
    case 2: s.type = types[4 + (r >> 8) % 4]; break; /* v128 and references */
    case 3: s.pad = 16400; break;                    /* a three-byte size */
    case 4: s.size_bytes = 4; break;                 /* an over-long size */
    case 5: s.ngroups = 130, s.count = 1; break;     /* a two-byte group count */
    case 6: s.ngroups = 1100, s.count = 1; break;    /* more than a chunk */
    default: break;
    }
    specs[i] = s;
  }
  wb_bytes b = {0};
  module_of_bodies(&b, specs, N, N);
  kite_module *m = DECODE_BOTH(&b, NULL, NULL);
  CHECK(m && m->nfuncs == N);
  kite_module_free(m);

  /* Only bodies without locals, and bodies with locals only: the first chunk comes
     from a body of either kind. */
  for (uint32_t i = 0; i < N; i++) specs[i] = (body_spec){0, 0, "", 0, 0};
  module_of_bodies(&b, specs, N, N);
  m = DECODE_BOTH(&b, NULL, NULL);
  CHECK(m && m->funcs[N - 1].nlocalgroups == 0 && m->funcs[N - 1].code_end == b.n);
  kite_module_free(m);
  for (uint32_t i = 0; i < N; i++) specs[i] = (body_spec){1 + i % 3, 2, "\x7f", 0, 0};
  module_of_bodies(&b, specs, N, N);
  m = DECODE_BOTH(&b, NULL, NULL);
  CHECK(m && m->funcs[N - 1].nlocalgroups == 1 + (N - 1) % 3 &&
        m->funcs[N - 1].nlocals == 2 * (1 + (N - 1) % 3) &&
        m->funcs[N - 1].localgroups[(N - 1) % 3].type.kind == KITE_VT_I32);
  kite_module_free(m);

  /* More bodies than functions, and fewer. */
  body_spec one = {1, 1, "\x7f", 0, 0};
  body_spec three[3] = {one, one, one};
  module_of_bodies(&b, three, 3, 2);
  kite_module_free(DECODE_BOTH(&b, NULL, NULL));
  module_of_bodies(&b, three, 2, 3);
  kite_module_free(DECODE_BOTH(&b, NULL, NULL));
  free(b.p);
}

/* A module of two functions whose second body is `body` (its size byte included), the
   last bytes of the input; `at` is where that body's size is. */
static void second_body(wb_bytes *b, const char *body, size_t n, size_t *at) {
  b->n = 0;
  module_start(b, 2);
  wb_byte(b, KITE_SEC_CODE);
  wb_uleb(b, 1 + 3 + n);
  wb_byte(b, 2);
  wb_put(b, "\x02\x00\x0b", 3);
  *at = b->n;
  wb_put(b, body, n);
}
#define SECOND_BODY(b, s, at) second_body(b, s, sizeof(s) - 1, at)

static void test_body_errors(void) {
  wb_bytes b = {0};
  size_t at;
  /* a size of zero: the group count is missing */
  SECOND_BODY(&b, "\x00", &at);
  EXPECT_ERROR(&b, NULL, "unexpected end of section or function", at + 1);
  /* a size past the end of the input */
  SECOND_BODY(&b, "\x05\x00\x0b", &at);
  EXPECT_ERROR(&b, NULL, "length out of bounds", at);
  /* groups that run past the body (and the input) */
  SECOND_BODY(&b, "\x03\x02\x01\x7f", &at);
  EXPECT_ERROR(&b, NULL, "unexpected end of section or function", b.n);
  /* groups that run past the body, not the input */
  SECOND_BODY(&b, "\x03\x02\x01\x7f\x01\x7e\x0b", &at);
  kite_module_free(DECODE_BOTH(&b, NULL, NULL));
  /* a malformed type in the second group */
  SECOND_BODY(&b, "\x06\x02\x01\x7f\x01\x40\x0b", &at);
  EXPECT_ERROR(&b, NULL, "malformed reference type", at + 5);
  /* a group count beyond the body bytes */
  SECOND_BODY(&b, "\x02\x05\x0b", &at);
  EXPECT_ERROR(&b, NULL, "length out of bounds", at + 1);
  /* the last byte of the input is a one-byte size */
  SECOND_BODY(&b, "\x01", &at);
  EXPECT_ERROR(&b, NULL, "unexpected end of section or function", at + 1);
  /* a size's continuation byte is missing */
  SECOND_BODY(&b, "\x83", &at);
  EXPECT_ERROR(&b, NULL, "unexpected end of section or function", b.n);
  /* an empty body: one byte, no `end` */
  SECOND_BODY(&b, "\x01\x00", &at);
  EXPECT_ERROR(&b, NULL, "unexpected end of section or function", b.n);

  /* limits, found by the fast path's checks too */
  kite_decode_limits lim;
  memset(&lim, 0, sizeof lim);
  lim.max_locals = 200;
  SECOND_BODY(&b, "\x06\x02\x64\x7f\x64\x7e\x0b", &at);
  kite_module_free(DECODE_BOTH(&b, &lim, NULL));
  SECOND_BODY(&b, "\x06\x02\x64\x7f\x65\x7e\x0b", &at);
  EXPECT_ERROR(&b, &lim, "too many locals", at + 1);
  memset(&lim, 0, sizeof lim);
  lim.max_func_size = 4;
  SECOND_BODY(&b, "\x04\x01\x01\x7f\x0b", &at);
  kite_module_free(DECODE_BOTH(&b, &lim, NULL));
  SECOND_BODY(&b, "\x05\x01\x01\x7f\x01\x0b", &at);
  EXPECT_ERROR(&b, &lim, "function body too large", at);
  free(b.p);
}

/* ---- element segments and declared functions ---- */

/* A module of nfuncs functions (empty bodies) and one active element segment of the
   given encoded indices; the segment ends the element section, and the input too when
   `last` (no code section: then the counts disagree, which is found after). */
static void elem_module(wb_bytes *b, uint32_t nfuncs, const wb_bytes *indices, uint32_t n,
                        bool last, size_t *indices_at) {
  b->n = 0;
  module_start(b, nfuncs);
  wb_bytes s = {0};
  wb_put(&s, "\x01\x70\x00\x01", 4);
  section(b, KITE_SEC_TABLE, &s);
  s.n = 0;
  wb_put(&s, "\x01\x00\x41\x00\x0b", 5);
  wb_uleb(&s, n);
  wb_put(&s, indices->p, indices->n);
  wb_byte(b, KITE_SEC_ELEMENT);
  wb_uleb(b, s.n);
  *indices_at = b->n + (s.n - indices->n);
  wb_put(b, s.p, s.n);
  if (!last) {
    s.n = 0;
    wb_uleb(&s, nfuncs);
    for (uint32_t i = 0; i < nfuncs; i++) wb_put(&s, "\x02\x00\x0b", 3);
    section(b, KITE_SEC_CODE, &s);
  }
  free(s.p);
}

static void test_elems(void) {
  wb_bytes b = {0}, ix = {0};
  size_t at;
  /* every encoding length, and the last index at the very end of the section */
  static const uint32_t want[] = {5, 300, 70000, 3, 20000, 1, 127, 128, 16383, 16384, 2};
  static const int width[] = {1, 2, 3, 5, 4, 2, 1, 2, 2, 3, 1};
  for (size_t i = 0; i < KITE_ARRAY_LEN(want); i++) uleb_padded(&ix, want[i], width[i]);
  elem_module(&b, 70001, &ix, KITE_ARRAY_LEN(want), false, &at);
  kite_module *m = DECODE_BOTH(&b, NULL, NULL);
  CHECK(m && m->nelems == 1 && m->elems[0].count == KITE_ARRAY_LEN(want));
  for (size_t i = 0; m && i < KITE_ARRAY_LEN(want); i++) CHECK(m->elems[0].funcs[i] == want[i]);
  kite_module_free(m);
  /* the same at the end of the input */
  elem_module(&b, 70001, &ix, KITE_ARRAY_LEN(want), true, &at);
  EXPECT_ERROR(&b, NULL, "function and code section have inconsistent lengths", b.n);
  /* a two-byte index whose second byte is the last of the input, then one cut short */
  ix.n = 0;
  wb_put(&ix, "\x01\x85\x01", 3);
  elem_module(&b, 3, &ix, 2, true, &at);
  EXPECT_ERROR(&b, NULL, "function and code section have inconsistent lengths", b.n);
  ix.n = 0;
  wb_put(&ix, "\x01\x85", 2);
  elem_module(&b, 3, &ix, 2, true, &at);
  EXPECT_ERROR(&b, NULL, "unexpected end of section or function", b.n);
  /* too long, too large */
  ix.n = 0;
  wb_put(&ix, "\x01\x80\x80\x80\x80\x80\x00", 7);
  elem_module(&b, 3, &ix, 2, false, &at);
  EXPECT_ERROR(&b, NULL, "integer representation too long", at + 6);
  ix.n = 0;
  wb_put(&ix, "\x01\x80\x80\x80\x80\x10", 6);
  elem_module(&b, 3, &ix, 2, false, &at);
  EXPECT_ERROR(&b, NULL, "integer too large", at + 5);
  /* the segment overruns its section */
  ix.n = 0;
  wb_put(&ix, "\x01\x02", 2);
  elem_module(&b, 3, &ix, 3, false, &at);
  EXPECT_ERROR(&b, NULL, "section size mismatch", at - 6);

  /* Declared functions: sorted, without duplicates, those beyond the function space
     (invalid, reported by the validator) after the others. */
  static const uint32_t refs[] = {5, 2, 5, 1000000, 7, 1000000, 999999, 0, 63, 64, 2};
  ix.n = 0;
  for (size_t i = 0; i < KITE_ARRAY_LEN(refs); i++) wb_uleb(&ix, refs[i]);
  elem_module(&b, 65, &ix, KITE_ARRAY_LEN(refs), false, &at);
  m = DECODE_BOTH(&b, NULL, NULL);
  static const uint32_t declared[] = {0, 2, 5, 7, 63, 64, 999999, 1000000};
  CHECK(m && m->ndeclared_funcs == KITE_ARRAY_LEN(declared));
  for (size_t i = 0; m && i < m->ndeclared_funcs && i < KITE_ARRAY_LEN(declared); i++)
    CHECK(m->declared_funcs[i] == declared[i]);
  kite_module_free(m);
  /* none at all */
  ix.n = 0;
  elem_module(&b, 3, &ix, 0, false, &at);
  m = DECODE_BOTH(&b, NULL, NULL);
  CHECK(m && m->ndeclared_funcs == 0);
  kite_module_free(m);
  free(ix.p);
  free(b.p);
}

/* ---- name maps ---- */

static void put_name(wb_bytes *b, const char *s, size_t n) {
  wb_uleb(b, n);
  wb_put(b, s, n);
}

/* A module whose only section is a name section holding a function name map of the
   given entries; the map ends the input. */
static kite_module *names_module(wb_bytes *b, const uint32_t *idx, const char *const *names,
                                 uint32_t n) {
  wb_bytes map = {0}, sec = {0};
  wb_uleb(&map, n);
  for (uint32_t i = 0; i < n; i++) {
    wb_uleb(&map, idx[i]);
    put_name(&map, names[i], strlen(names[i]));
  }
  put_name(&sec, "name", 4);
  wb_byte(&sec, KITE_NAMES_FUNC);
  wb_uleb(&sec, map.n);
  wb_put(&sec, map.p, map.n);
  b->n = 0;
  wb_put(b, "\0asm\1\0\0\0", 8);
  section(b, KITE_SEC_CUSTOM, &sec);
  free(map.p);
  free(sec.p);
  kite_error err;
  kite_error_clear(&err);
  kite_module *m = kite_decode(&alloc, b->p, b->n, KITE_FEATURES_ALL, NULL, &err);
  CHECK_MSG(m != NULL, "%s", err.msg);
  return m;
}

static bool names_are(const kite_module *m, const uint32_t *idx, const char *const *names,
                      uint32_t n) {
  const kite_namemap *map = &m->names.maps[KITE_NAMES_FUNC];
  if (!m->has_names || map->count != n) return false;
  for (uint32_t i = 0; i < n; i++) {
    const kite_naming *x = &map->names[i];
    if (x->index != idx[i] || x->name.len != strlen(names[i]) ||
        memcmp(x->name.ptr, names[i], x->name.len) != 0)
      return false;
  }
  return true;
}

static void test_names(void) {
  wb_bytes b = {0};
  /* Lengths around the 8- and 16-byte loads; indices of one to five bytes; the last
     names are short and end the input (too close to it for an 8-byte load). */
  static const uint32_t idx[] = {0,     1,     2,     3,       127,     128,        200,
                                 16383, 16384, 70000, 3000000, 4000000, 4294967295u};
  static const char *const names[] = {"",
                                      "a",
                                      "abcdefg",
                                      "abcdefgh",
                                      "abcdefghi",
                                      "abcdefghijklmnop",
                                      "abcdefghijklmnopq",
                                      "a name longer than sixteen bytes",
                                      "\xc3\xa9t\xc3\xa9",
                                      "x\xe2\x82\xac",
                                      "\xf0\x9f\x98\x80",
                                      "ab",
                                      "c"};
  uint32_t n = KITE_ARRAY_LEN(idx);
  kite_module *m = names_module(&b, idx, names, n);
  CHECK(m && names_are(m, idx, names, n));
  kite_module_free(m);
  /* every prefix of the map: each name in turn ends the input */
  for (uint32_t k = 0; k <= n; k++) {
    m = names_module(&b, idx, names, k);
    CHECK_MSG(m && names_are(m, idx, names, k), "%u names", k);
    kite_module_free(m);
  }
  /* Not UTF-8, at each length class and position: the section is dropped whole. */
  static const char *const bad[] = {"\xff",
                                    "abc\x80",
                                    "abcdefg\xc3",
                                    "abcdefgh\xc3",
                                    "abcdefghijklmno\xc0",
                                    "abcdefghijklmnopqrstuvwxyz\xed\xa0\x80",
                                    "\xed\xa0\x80"};
  for (size_t i = 0; i < KITE_ARRAY_LEN(bad); i++) {
    for (int last = 0; last < 2; last++) {
      const char *list[3] = {"first", bad[i], "a name after it, for the 8-byte loads"};
      uint32_t ix[3] = {1, 2, 3};
      m = names_module(&b, ix, list, last ? 2 : 3);
      CHECK_MSG(m && !m->has_names, "bad name %zu", i);
      kite_module_free(m);
    }
  }
  /* A high byte beyond a short name (in the next entry) is not the name's. */
  {
    const char *list[2] = {"ab", "\xc3\xa9\xc3\xa9\xc3\xa9"};
    uint32_t ix[2] = {1, 2};
    m = names_module(&b, ix, list, 2);
    CHECK(m && names_are(m, ix, list, 2));
    kite_module_free(m);
  }
  /* out of order, duplicates */
  {
    const char *list[3] = {"a", "b", "c"};
    uint32_t down[3] = {1, 300, 200}, dup[3] = {1, 300, 300};
    m = names_module(&b, down, list, 3);
    CHECK(m && !m->has_names);
    kite_module_free(m);
    m = names_module(&b, dup, list, 3);
    CHECK(m && !m->has_names);
    kite_module_free(m);
  }
  /* a name length past the end of the map */
  {
    wb_bytes sec = {0};
    put_name(&sec, "name", 4);
    wb_put(&sec,
           "\x01\x05\x01\x07\x05"
           "abc",
           8);
    b.n = 0;
    wb_put(&b, "\0asm\1\0\0\0", 8);
    section(&b, KITE_SEC_CUSTOM, &sec);
    free(sec.p);
    kite_error err;
    kite_error_clear(&err);
    m = kite_decode(&alloc, b.p, b.n, KITE_FEATURES_ALL, NULL, &err);
    CHECK(m && !m->has_names);
    kite_module_free(m);
  }
  free(b.p);
}

int main(void) {
  kite_alloc_init(&alloc, NULL, NULL);
  test_bodies();
  test_body_errors();
  test_elems();
  test_names();
  CHECK(alloc.bytes == 0);
  return test_finish("test_decode_fast");
}
