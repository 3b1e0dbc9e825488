/*
** test_stream.c: streaming decoding gives exactly what whole decoding gives. For every
** module (hand-built ones, the committed fixtures, and every `module binary` of the
** official suite), decoding it whole, fed in two chunks split at every byte position,
** fed byte by byte, and in chunks of varying sizes must produce the same module (same
** section table, same entities) or the same error (same message and offset). Also:
** errors are reported by feed as soon as the bytes prove them.
*/
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary.h"
#include "test_util.h"
#include "wast_binary.h"

static kite_alloc alloc;

/* What a decode produced, flattened for comparison. */
typedef struct {
  kite_buf sum;
  kite_error err;
  bool ok;
} outcome;

static void put32(kite_buf *b, uint64_t v) {
  uint32_t x = (uint32_t)v;
  kite_buf_put(b, &x, sizeof x);
}

static void summarize(outcome *o, const kite_module *m) {
  kite_buf *b = &o->sum;
  put32(b, m->len);
  put32(b, m->nsections);
  for (uint32_t i = 0; i < m->nsections; i++) {
    const kite_section *s = &m->sections[i];
    put32(b, s->id), put32(b, s->offset), put32(b, s->start), put32(b, s->size), put32(b, s->count);
  }
  put32(b, m->ntypes), put32(b, m->nimports), put32(b, m->nfuncs), put32(b, m->ntables);
  put32(b, m->nmemories), put32(b, m->nglobals), put32(b, m->ntags), put32(b, m->nexports);
  put32(b, m->nelems), put32(b, m->ndatas), put32(b, m->ncustoms), put32(b, m->has_start);
  put32(b, m->has_datacount), put32(b, m->datacount), put32(b, m->has_names);
  put32(b, m->ndeclared_funcs);
  for (uint32_t i = 0; i < m->ndeclared_funcs; i++) put32(b, m->declared_funcs[i]);
  for (uint32_t i = m->nimported_funcs; i < m->nfuncs; i++) {
    put32(b, m->funcs[i].code_offset), put32(b, m->funcs[i].code_end),
        put32(b, m->funcs[i].nlocals);
  }
  for (uint32_t i = 0; i < m->nimports; i++) {
    kite_buf_put(b, m->imports[i].module.ptr, m->imports[i].module.len);
    kite_buf_put(b, m->imports[i].field.ptr, m->imports[i].field.len);
  }
  for (uint32_t i = 0; i < m->nexports; i++)
    kite_buf_put(b, m->exports[i].name.ptr, m->exports[i].name.len);
  for (uint32_t i = 0; i < m->ncustoms; i++) {
    kite_buf_put(b, m->customs[i].name.ptr, m->customs[i].name.len);
    put32(b, m->customs[i].offset), put32(b, m->customs[i].len), put32(b, m->customs[i].after);
  }
  kite_buf_put(b, m->bytes, m->len);
}

static void finish_outcome(outcome *o, kite_module *m) {
  o->ok = m != NULL;
  if (m) summarize(o, m);
  kite_module_free(m);
}

static void decode_whole(outcome *o, const uint8_t *p, size_t n, kite_features f) {
  kite_buf_init(&o->sum, &alloc);
  kite_error_clear(&o->err);
  finish_outcome(o, kite_decode(&alloc, p, n, f, NULL, &o->err));
}

/* Feed in chunks: sizes[i % nsizes] bytes at a time. */
static void decode_chunks(outcome *o, const uint8_t *p, size_t n, kite_features f,
                          const size_t *sizes, size_t nsizes) {
  kite_buf_init(&o->sum, &alloc);
  kite_error_clear(&o->err);
  kite_decoder *d = kite_decoder_new(&alloc, f, NULL);
  if (!d) {
    kite_fail(&o->err, KITE_ERR_OOM, 0, 0, "out of memory");
    o->ok = false;
    return;
  }
  size_t at = 0;
  for (size_t i = 0; at < n || i == 0; i++) {
    size_t k = sizes[i % nsizes];
    if (k > n - at) k = n - at;
    if (!kite_decoder_feed(d, p + at, k, &o->err)) break;
    at += k;
  }
  kite_error err;
  kite_error_clear(&err);
  kite_module *m = kite_decoder_finish(d, &err);
  /* finish reports the same error that feed did */
  if (kite_failed(&o->err)) {
    CHECK(!m && strcmp(err.msg, o->err.msg) == 0 && err.offset == o->err.offset);
  } else {
    o->err = err;
  }
  finish_outcome(o, m);
}

static int compared, mismatched;

static bool same(const outcome *a, const outcome *b) {
  if (a->ok != b->ok) return false;
  if (!a->ok)
    return a->err.kind == b->err.kind && strcmp(a->err.msg, b->err.msg) == 0 &&
           a->err.offset == b->err.offset;
  return a->sum.len == b->sum.len && memcmp(a->sum.data, b->sum.data, a->sum.len) == 0;
}

static void report(const char *what, const char *name, size_t at, const outcome *whole,
                   const outcome *o) {
  if (mismatched++ > 20) return;
  fprintf(stderr, "%s: %s (at %zu) differs: whole %s '%s' @%llu, streamed %s '%s' @%llu\n", name,
          what, at, whole->ok ? "ok" : "error", whole->ok ? "" : whole->err.msg,
          (unsigned long long)whole->err.offset, o->ok ? "ok" : "error", o->ok ? "" : o->err.msg,
          (unsigned long long)o->err.offset);
}

/* Compare every way of feeding `p` with decoding it whole: every two-chunk split when
   there are at most max_splits positions, else max_splits of them spread evenly. */
static void check_module_(const char *name, const uint8_t *p, size_t n, kite_features f,
                          size_t max_splits) {
  outcome whole, o;
  decode_whole(&whole, p, n, f);
  size_t step = n < max_splits ? 1 : n / max_splits;
  for (size_t k = 0; k <= n; k += step) {
    /* the first chunk may be empty: feeding nothing must be harmless */
    size_t sizes[3] = {0, k ? k : 1, n - k ? n - k : 1};
    decode_chunks(&o, p, n, f, k ? sizes + 1 : sizes, k ? 2 : 3);
    compared++;
    test_checks++;
    if (!same(&whole, &o)) test_failures++, report("two chunks", name, k, &whole, &o);
    kite_buf_free(&o.sum);
  }
  static const size_t one[] = {1}, varying[] = {1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233};
  decode_chunks(&o, p, n, f, one, 1);
  compared++;
  test_checks++;
  if (!same(&whole, &o)) test_failures++, report("byte by byte", name, 0, &whole, &o);
  kite_buf_free(&o.sum);
  decode_chunks(&o, p, n, f, varying, KITE_ARRAY_LEN(varying));
  compared++;
  test_checks++;
  if (!same(&whole, &o)) test_failures++, report("varying chunks", name, 0, &whole, &o);
  kite_buf_free(&o.sum);
  kite_buf_free(&whole.sum);
}

static void check_module(const char *name, const uint8_t *p, size_t n, kite_features f) {
  check_module_(name, p, n, f, 4096);
}

#define HDR "\0asm\1\0\0\0"
#define MOD(s) (const uint8_t *)(s), sizeof(s) - 1

static void test_hand_built(void) {
  static const struct {
    const char *name;
    const uint8_t *p;
    size_t n;
  } mods[] = {
      {"empty", MOD("")},
      {"header", MOD(HDR)},
      {"bad magic", MOD("\0asn\1\0\0\0")},
      {"bad version", MOD("\0asm\2\0\0\0")},
      {"func", MOD(HDR "\x01\x05\x01\x60\x01\x7f\x00"
                       "\x03\x02\x01\x00"
                       "\x07\x05\x01\x01\x66\x00\x00"
                       "\x0a\x06\x01\x04\x00\x20\x00\x1a\x0b"
                       "\x00\x05\x04name")},
      {"custom only", MOD(HDR "\x00\x03\x01\x61\x62"
                              "\x00\x01\x00")},
      {"section overruns", MOD(HDR "\x01\x03\x01\x60\x00"
                                   "\x00\x01\x00")},
      {"section size out of bounds", MOD(HDR "\x01\x08\x01\x60\x00\x00")},
      {"missing end", MOD(HDR "\x01\x04\x01\x60\x00\x00"
                              "\x03\x02\x01\x00"
                              "\x0a\x05\x01\x03\x00\x01\x01")},
      {"missing end before data", MOD(HDR "\x01\x04\x01\x60\x00\x00"
                                          "\x03\x02\x01\x00"
                                          "\x0a\x04\x01\x02\x00\x01"
                                          "\x0b\x03\x01\x01\x00")},
      {"illegal opcode", MOD(HDR "\x01\x04\x01\x60\x00\x00"
                                 "\x03\x02\x01\x00"
                                 "\x0a\x05\x01\x03\x00\xff\x0b"
                                 "\x00\x01\x00")},
      {"order", MOD(HDR "\x03\x01\x00"
                        "\x01\x01\x00")},
      {"bad id", MOD(HDR "\x01\x01\x00"
                         "\x20\x01\x00")},
      {"function without code", MOD(HDR "\x01\x04\x01\x60\x00\x00"
                                        "\x03\x02\x01\x00")},
      {"data count", MOD(HDR "\x0c\x01\x02"
                             "\x0b\x03\x01\x01\x00")},
      {"long leb", MOD(HDR "\x01\x80\x80\x80\x80\x80\x00")},
      {"custom name overrun", MOD(HDR "\x00\x01\x05\x61\x62\x63")},
      {"import name utf8", MOD(HDR "\x02\x07\x01\x01\xc0\x01\x61\x00\x00")},
  };
  for (size_t i = 0; i < KITE_ARRAY_LEN(mods); i++)
    check_module(mods[i].name, mods[i].p, mods[i].n, KITE_FEATURES_ALL);
}

/* feed reports an error as soon as the bytes so far prove it. */
static void test_early_errors(void) {
  kite_error err;
  kite_decoder *d = kite_decoder_new(&alloc, KITE_FEATURES_ALL, NULL);
  kite_error_clear(&err);
  CHECK(kite_decoder_feed(d, (const uint8_t *)"\0as", 3, &err));
  CHECK(!kite_decoder_feed(d, (const uint8_t *)"n", 1, &err) &&
        strcmp(err.msg, "magic header not detected") == 0 && err.offset == 0);
  /* later feeds keep failing with the same error */
  kite_error_clear(&err);
  CHECK(!kite_decoder_feed(d, (const uint8_t *)"\1", 1, &err) &&
        strcmp(err.msg, "magic header not detected") == 0);
  kite_decoder_free(d);

  /* a complete code section with an illegal opcode fails at once, more bytes to come */
  static const uint8_t bad[] = HDR "\x01\x04\x01\x60\x00\x00"
                                   "\x03\x02\x01\x00"
                                   "\x0a\x05\x01\x03\x00\xff\x0b";
  d = kite_decoder_new(&alloc, KITE_FEATURES_ALL, NULL);
  kite_error_clear(&err);
  CHECK(kite_decoder_feed(d, bad, sizeof bad - 2, &err));
  CHECK(!kite_decoder_feed(d, bad + sizeof bad - 2, 1, &err) &&
        strcmp(err.msg, "illegal opcode ff") == 0 && err.offset == 23);
  kite_error_clear(&err);
  CHECK(kite_decoder_finish(d, &err) == NULL && strcmp(err.msg, "illegal opcode ff") == 0);

  /* an out-of-order section fails when its id arrives */
  d = kite_decoder_new(&alloc, KITE_FEATURES_ALL, NULL);
  kite_error_clear(&err);
  CHECK(kite_decoder_feed(d, (const uint8_t *)HDR "\x03\x01\x00", 11, &err));
  CHECK(!kite_decoder_feed(d, (const uint8_t *)"\x01", 1, &err) &&
        strcmp(err.msg, "unexpected content after last section") == 0 && err.offset == 11);
  kite_decoder_free(d);

  /* running out of bytes is only an error at finish */
  d = kite_decoder_new(&alloc, KITE_FEATURES_ALL, NULL);
  kite_error_clear(&err);
  CHECK(kite_decoder_feed(d, (const uint8_t *)HDR "\x01\x04\x01\x60", 12, &err));
  CHECK(kite_decoder_finish(d, &err) == NULL && strcmp(err.msg, "length out of bounds") == 0 &&
        err.offset == 9);
}

static void check_fixture(const char *name) {
  char path[4096];
  if (snprintf(path, sizeof path, "%s/tests/fixtures/%s", test_source_dir(), name) >=
      (int)sizeof path)
    return;
  size_t n;
  uint8_t *p = test_read_file(path, &n);
  if (!p) return;
  kite_error err;
  kite_error_clear(&err);
  kite_module *m = kite_decode(&alloc, p, n, KITE_FEATURES_ALL, NULL, &err);
  CHECK_MSG(m != NULL, "%s: %s @%llu", name, err.msg, (unsigned long long)err.offset);
  kite_module_free(m);
  check_module_(name, p, n, KITE_FEATURES_ALL, 512);
  /* truncated at many places: streaming and whole must agree on the error */
  for (size_t cut = 0; cut < n; cut += n / 47 + 1)
    check_module_(name, p, cut, KITE_FEATURES_ALL, 8);
  free(p);
}

/* Every committed fixture: the .wasm files of tests/fixtures, built from C by clang. */
static void test_fixtures(void) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/tests/fixtures", test_source_dir());
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  int fixtures = 0;
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    if (n > 5 && strcmp(e->d_name + n - 5, ".wasm") == 0) check_fixture(e->d_name), fixtures++;
  }
  closedir(d);
  printf("fixtures: %d\n", fixtures);
}

/* Random byte changes to a valid module: decoding must never misbehave, and streamed
   decoding must still agree with whole decoding. A fixed seed keeps runs repeatable. */
static void test_mutations(void) {
  size_t n;
  char path[4096];
  snprintf(path, sizeof path, "%s/tests/fixtures/hello.wasm", test_source_dir());
  uint8_t *orig = test_read_file(path, &n);
  if (!orig) return;
  uint8_t *p = malloc(n);
  uint64_t seed = 0x9E3779B97F4A7C15ull;
  for (int round = 0; round < 300 && p; round++) {
    memcpy(p, orig, n);
    int changes = 1 + round % 4;
    for (int c = 0; c < changes; c++) {
      seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17; /* xorshift64 */
      size_t at = (size_t)(seed % n);
      p[at] = (uint8_t)(round & 1 ? p[at] ^ (1u << (seed >> 61)) : seed >> 56);
    }
    char name[64];
    snprintf(name, sizeof name, "hello.wasm mutation %d", round);
    check_module_(name, p, n, KITE_FEATURES_ALL, 8);
  }
  free(p);
  free(orig);
}

static void on_suite_module(void *ud, const char *file, int line, const uint8_t *bytes, size_t n,
                            const char *expect) {
  (void)ud, (void)expect;
  char name[512];
  snprintf(name, sizeof name, "%s:%d", file, line);
  check_module(name, bytes, n, wast_features(file));
}

static void test_suite(void) {
  const char *dir = test_suite_dir();
  if (!dir) return;
  CHECK(wast_suite_binary_modules(&alloc, dir, on_suite_module, NULL) > 0);
}

int main(void) {
  kite_alloc_init(&alloc, NULL, NULL);
  test_hand_built();
  test_early_errors();
  test_fixtures();
  test_mutations();
  test_suite();
  CHECK(alloc.bytes == 0);
  printf("streamed decodes compared: %d, %d differed\n", compared, mismatched);
  return test_finish("test_stream");
}
