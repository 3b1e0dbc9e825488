/*
** test_valid_threads.c: validating function bodies on several threads must answer exactly
** what one thread answers: the same success, or the same first error (kind, code, offset,
** message), wherever the invalid functions are. Modules of a few hundred KB of code are
** generated with bodies of varied sizes, so the chunks the threads take cut them at many
** places; an invalid body is put at positions throughout (the first, the last, chunk
** edges), alone or followed by a second one that must not win. Allocation failures in
** any thread must end in a clean out-of-memory error or success, never a leak.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "valid.h"
#include "wasm_builder.h"

#define NFUNCS 3000

/* ThreadSanitizer runs this about 30 times slower: fewer thread counts and pairs there. */
#if defined(__SANITIZE_THREAD__)
static const uint32_t thread_counts[] = {2, 8};
#define PAIR_STEP 301
#else
static const uint32_t thread_counts[] = {2, 3, 4, 8, 0, 100};
#define PAIR_STEP 37
#endif

/* A deterministic size for function i: 1 to 48 repetitions of a 14-byte unit. */
static unsigned units_of(uint32_t i) { return 1 + (i * 2654435761u >> 7) % 48; }

/* A body (without its final end) of function type (i32) -> i32 with one i32 local. */
static size_t valid_body(uint32_t i, uint8_t *out) {
  size_t n = 0;
  for (unsigned u = 0; u < units_of(i); u++) {
    const uint8_t unit[] = {0x20, 0,    0x41, (uint8_t)(u & 0x3F), 0x6A, 0x21, 1,
                            0x02, 0x40, 0x20, 1,                   0x0D, 0,    0x0B};
    memcpy(out + n, unit, sizeof unit);
    n += sizeof unit;
  }
  out[n++] = 0x20;
  out[n++] = 1;
  return n;
}

typedef enum { BAD_NONE, BAD_TYPE, BAD_LOCAL, BAD_OPCODE, BAD_ARITY } bad_kind;

/* An invalid body: a valid prefix, then the fault, so that offsets differ. */
static size_t bad_body(uint32_t i, bad_kind kind, uint8_t *out) {
  size_t n = valid_body(i, out) - 2;
  switch (kind) {
  case BAD_TYPE: /* i32.add of an i64 */
    memcpy(out + n, (const uint8_t[]){0x42, 1, 0x20, 1, 0x6A}, 5);
    return n + 5;
  case BAD_LOCAL: /* local.get 7 */
    memcpy(out + n, (const uint8_t[]){0x20, 7}, 2);
    return n + 2;
  case BAD_OPCODE: /* 0xFF is no opcode: malformed */
    memcpy(out + n, (const uint8_t[]){0x20, 1, 0xFF}, 3);
    return n + 3;
  case BAD_ARITY: /* nothing left for the result */
    return n;
  default: return valid_body(i, out);
  }
}

/* A module of NFUNCS functions; function bad1 (and bad2, when not UINT32_MAX) invalid. */
static uint8_t *make_module(uint32_t bad1, bad_kind k1, uint32_t bad2, bad_kind k2, size_t *len) {
  wb_module M;
  wb_init(&M);
  uint32_t t = wb_type(&M, "i", "i");
  static uint8_t body[48 * 14 + 16];
  for (uint32_t i = 0; i < NFUNCS; i++) {
    size_t n = i == bad1 ? bad_body(i, k1, body) : i == bad2 ? bad_body(i, k2, body)
                                                             : valid_body(i, body);
    wb_func(&M, t, "i", body, n);
  }
  wb_export(&M, "f0", 0, 0);
  return wb_finish(&M, len);
}

typedef struct outcome {
  bool ok;
  kite_error err;
} outcome;

static bool same(const outcome *a, const outcome *b) {
  return a->ok == b->ok &&
         (a->ok || (a->err.kind == b->err.kind && a->err.code == b->err.code &&
                    a->err.offset == b->err.offset && strcmp(a->err.msg, b->err.msg) == 0));
}

/* Decode, then validate with `threads`. */
static outcome two_steps(const uint8_t *p, size_t n, uint32_t threads) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  outcome o;
  kite_error_clear(&o.err);
  kite_module *m = kite_decode(&a, p, n, KITE_FEATURES_3_0, NULL, &o.err);
  o.ok = m && kite_validate_module_threads(m, KITE_FEATURES_3_0, threads, &o.err);
  kite_module_free(m);
  CHECK_MSG(a.bytes == 0, "%zu bytes leaked", (size_t)a.bytes);
  return o;
}

/* Decode and validate in one step with `threads`. */
static outcome one_step(const uint8_t *p, size_t n, uint32_t threads) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  outcome o;
  kite_error_clear(&o.err);
  kite_module *m = kite_decode_validate_threads(&a, p, n, KITE_FEATURES_3_0, NULL, threads, &o.err);
  o.ok = m != NULL;
  kite_module_free(m);
  CHECK_MSG(a.bytes == 0, "%zu bytes leaked", (size_t)a.bytes);
  return o;
}

static void compare_all(const uint8_t *p, size_t n, const char *what, bool expect_ok) {
  outcome serial2 = two_steps(p, n, 1), serial1 = one_step(p, n, 1);
  CHECK_MSG(serial2.ok == expect_ok && serial1.ok == expect_ok, "%s: serial %s '%s'", what,
            serial2.ok ? "valid" : "invalid", serial2.err.msg);
  for (size_t i = 0; i < sizeof thread_counts / sizeof *thread_counts; i++) {
    outcome par2 = two_steps(p, n, thread_counts[i]), par1 = one_step(p, n, thread_counts[i]);
    CHECK_MSG(same(&serial2, &par2), "%s, %u threads, two steps: '%s' @0x%llx, serial '%s' @0x%llx",
              what, thread_counts[i], par2.err.msg, (unsigned long long)par2.err.offset,
              serial2.err.msg, (unsigned long long)serial2.err.offset);
    CHECK_MSG(same(&serial1, &par1), "%s, %u threads, one step: '%s' @0x%llx, serial '%s' @0x%llx",
              what, thread_counts[i], par1.err.msg, (unsigned long long)par1.err.offset,
              serial1.err.msg, (unsigned long long)serial1.err.offset);
  }
}

static void test_positions(void) {
  size_t n;
  uint8_t *p = make_module(UINT32_MAX, BAD_NONE, UINT32_MAX, BAD_NONE, &n);
  CHECK(n > 3 * KITE_PARALLEL_CODE_BYTES); /* big enough for several threads */
  compare_all(p, n, "valid", true);
  free(p);
  const uint32_t positions[] = {0, 1, 2, 97, 250, 499, 500, 501, 777, 999, 1000, 1234, 1500,
                                1733, 1998, NFUNCS - 1};
  const bad_kind kinds[] = {BAD_TYPE, BAD_LOCAL, BAD_OPCODE, BAD_ARITY};
  for (size_t i = 0; i < sizeof positions / sizeof *positions; i++) {
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
      char what[64];
      snprintf(what, sizeof what, "function %u, kind %d", positions[i], (int)kinds[k]);
      p = make_module(positions[i], kinds[k], UINT32_MAX, BAD_NONE, &n);
      compare_all(p, n, what, false);
      free(p);
    }
  }
  /* Two invalid functions far apart or close: the lower one's error, in every order of
     finishing. */
  const uint32_t pairs[][2] = {{0, NFUNCS - 1}, {3, 1990}, {1000, 1001}, {1500, 1800}, {10, 11}};
  for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
    char what[64];
    snprintf(what, sizeof what, "functions %u and %u", pairs[i][0], pairs[i][1]);
    p = make_module(pairs[i][0], BAD_LOCAL, pairs[i][1], BAD_TYPE, &n);
    compare_all(p, n, what, false);
    outcome o = one_step(p, n, 4);
    free(p);
    p = make_module(pairs[i][0], BAD_LOCAL, UINT32_MAX, BAD_NONE, &n);
    outcome only_first = one_step(p, n, 1);
    free(p);
    CHECK_MSG(same(&o, &only_first), "%s: not the lower function's error", what);
  }
}

/* Pairs of invalid functions close together all along the code: wherever the chunks
   are cut, some pair has its higher function found first by another thread. */
static void test_pair_sweep(void) {
  for (uint32_t x = 5; x + 20 < NFUNCS; x += PAIR_STEP) {
    size_t n;
    uint8_t *p = make_module(x, BAD_TYPE, x + 20, BAD_LOCAL, &n);
    outcome serial = one_step(p, n, 1);
    CHECK(!serial.ok);
    for (uint32_t t = 2; t <= 8; t *= 2) {
      outcome par = one_step(p, n, t);
      CHECK_MSG(same(&serial, &par), "functions %u and %u, %u threads: '%s' @0x%llx, serial '%s' @0x%llx",
                x, x + 20, t, par.err.msg, (unsigned long long)par.err.offset, serial.err.msg,
                (unsigned long long)serial.err.offset);
    }
    free(p);
  }
}

/* Fail each allocation of a parallel validation in turn. */
static void test_alloc_failures(void) {
  size_t n;
  uint8_t *p = make_module(UINT32_MAX, BAD_NONE, UINT32_MAX, BAD_NONE, &n);
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_error err;
  kite_error_clear(&err);
  kite_module *m = kite_decode(&a, p, n, KITE_FEATURES_3_0, NULL, &err);
  CHECK(m != NULL);
  if (m) {
    uint64_t before = a.count;
    CHECK(kite_validate_module_threads(m, KITE_FEATURES_3_0, 4, &err));
    uint64_t used = a.count - before;
    CHECK(used > 0);
    for (uint64_t k = 1; k <= used + 2; k++) {
      kite_error_clear(&err);
      a.fail_at = a.count + k;
      bool ok = kite_validate_module_threads(m, KITE_FEATURES_3_0, 4, &err);
      a.fail_at = 0;
      CHECK_MSG(ok || err.kind == KITE_ERR_OOM, "allocation %llu: '%s'", (unsigned long long)k,
                err.msg);
    }
  }
  kite_module_free(m);
  CHECK_MSG(a.bytes == 0, "%zu bytes leaked", (size_t)a.bytes);
  free(p);
}

/* The name section is decoded while other threads validate: the same names either way. */
static void test_names(void) {
  size_t n;
  uint8_t *p = make_module(UINT32_MAX, BAD_NONE, UINT32_MAX, BAD_NONE, &n);
  /* A "name" section naming every function f<i>. */
  wb_bytes map = {0}, sub = {0}, sec = {0};
  wb_uleb(&map, NFUNCS);
  for (uint32_t i = 0; i < NFUNCS; i++) {
    char name[16];
    snprintf(name, sizeof name, "f%u", i);
    wb_uleb(&map, i);
    wb_str(&map, name);
  }
  wb_str(&sub, "name");
  wb_byte(&sub, 1);
  wb_uleb(&sub, map.n);
  wb_put(&sub, map.p, map.n);
  wb_put(&sec, p, n);
  wb_byte(&sec, 0);
  wb_uleb(&sec, sub.n);
  wb_put(&sec, sub.p, sub.n);
  free(map.p);
  free(sub.p);
  free(p);
  for (size_t t = 0; t < 3; t++) {
    uint32_t threads = t == 0 ? 1 : t == 1 ? 2 : 0;
    kite_alloc a;
    kite_alloc_init(&a, NULL, NULL);
    kite_error err;
    kite_error_clear(&err);
    kite_module *m = kite_decode_validate_threads(&a, sec.p, sec.n, KITE_FEATURES_3_0, NULL,
                                                  threads, &err);
    CHECK_MSG(m && m->has_names, "%u threads: no names ('%s')", threads, err.msg);
    if (m && m->has_names) {
      const kite_namemap *fm = &m->names.maps[KITE_NAMES_FUNC];
      CHECK(fm->count == NFUNCS);
      const kite_name *nm = kite_namemap_find(fm, 1234);
      CHECK(nm && nm->len == 5 && memcmp(nm->ptr, "f1234", 5) == 0);
    }
    kite_module_free(m);
    CHECK(a.bytes == 0);
  }
  free(sec.p);
}

/* Below the size threshold every thread count validates on the calling thread. */
static void test_small(void) {
  wb_module M;
  wb_init(&M);
  uint32_t t = wb_type(&M, "i", "i");
  uint8_t body[48 * 14 + 16];
  for (uint32_t i = 0; i < 20; i++) wb_func(&M, t, "i", body, valid_body(i, body));
  wb_func(&M, t, "i", body, bad_body(3, BAD_TYPE, body));
  size_t n;
  uint8_t *p = wb_finish(&M, &n);
  compare_all(p, n, "small", false);
  free(p);
}

int main(void) {
  test_positions();
  test_pair_sweep();
  test_alloc_failures();
  test_small();
  test_names();
  return test_finish("test_valid_threads");
}
