/*
** test_hostile.c: hostile modules against every stage, end to end. Each one must give a
** clean result (a module, an error with the suite's wording, a trap) and the process
** must live on, also under AddressSanitizer: deep nesting (100,000 blocks in binary,
** flat text, folded text and scripts), huge counts and giant LEB128s (decoded under a
** small allocation limit, so nothing is allocated for what is only claimed), 50,000
** locals, huge memory and table declarations, unbounded recursion (wasm and through
** the host), memory.grow and table.grow to the caps, small call-depth and value-stack
** caps (deep recursion, wide frames, a frame larger than the stack, 3,000 operands),
** the decoder's caps on counts and sizes, and loops that only fuel ends.
*/
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary.h"
#include "exec.h"
#include "runtime.h"
#include "test_util.h"
#include "text.h"
#include "valid.h"
#include "wasm_builder.h"

#define HDR "\0asm\1\0\0\0"
#define NEST 100000

/* ---- helpers ---- */

typedef struct env {
  kite_engine *engine;
  kite_store *store;
  kite_module *mods[16];
  int nmods;
} env;

static void env_open(env *E, const kite_engine_config *cfg) {
  memset(E, 0, sizeof *E);
  E->engine = kite_engine_new(cfg);
  E->store = E->engine ? kite_store_new(E->engine) : NULL;
  CHECK(E->store != NULL);
}

static void env_close(env *E) {
  kite_store_free(E->store);
  for (int i = 0; i < E->nmods; i++) kite_module_free(E->mods[i]);
  kite_engine_free(E->engine);
}

/* Decode and validate with the engine's features; NULL with *err on failure. */
static kite_module *compile(env *E, const uint8_t *bytes, size_t n, kite_error *err) {
  kite_error_clear(err);
  kite_features f = kite_engine_features(E->engine);
  kite_module *m = kite_decode(kite_engine_alloc(E->engine), bytes, n, f, NULL, err);
  if (m && !kite_validate_module(m, f, err)) {
    kite_module_free(m);
    m = NULL;
  }
  if (m && E->nmods < 16) E->mods[E->nmods++] = m;
  return m;
}

static kite_instance *instantiate(env *E, const uint8_t *bytes, size_t n, kite_error *err) {
  kite_module *m = compile(E, bytes, n, err);
  CHECK_MSG(m != NULL, "compile: %s", err->msg);
  if (!m) return NULL;
  return kite_instantiate(E->store, m, NULL, 0, err);
}

static kite_funcinst *export_func(kite_instance *inst, const char *name) {
  kite_extern x;
  if (!inst || !kite_instance_export(inst, name, strlen(name), &x) || x.kind != KITE_EXTERN_FUNC)
    return NULL;
  return x.u.func;
}

/* Call f with up to 2 arguments; its first result (zero when none). */
static kite_value call(env *E, kite_funcinst *f, const kite_value *args, uint32_t nargs,
                       kite_error *err) {
  kite_value r[2];
  memset(r, 0, sizeof r);
  kite_error_clear(err);
  if (!f) {
    kite_fail(err, KITE_ERR_USAGE, 0, 0, "no such function");
    return r[0];
  }
  kite_func_call(E->store, f, args, nargs, r, kite_func_type(f)->nresults, err);
  return r[0];
}

/* A module of one type, one function "f" (body given with its locals vector and
   without the final end), optional memory and table sections' contents. */
static uint8_t *one_func(const char *params, const char *results, const wb_bytes *body,
                         const char *mem, size_t memlen, const char *tab, size_t tablen,
                         size_t *len) {
  wb_bytes out = {0}, s = {0};
  wb_put(&out, HDR, 8);
  /* type */
  wb_byte(&s, 1);
  wb_byte(&s, 0x60);
  wb_uleb(&s, strlen(params));
  for (const char *p = params; *p; p++) wb_byte(&s, wb_vt(*p));
  wb_uleb(&s, strlen(results));
  for (const char *p = results; *p; p++) wb_byte(&s, wb_vt(*p));
  wb_byte(&out, 1);
  wb_uleb(&out, s.n);
  wb_put(&out, s.p, s.n);
  wb_put(&out, "\x03\x02\x01\x00", 4);
  if (tab) {
    wb_byte(&out, 4);
    wb_uleb(&out, tablen);
    wb_put(&out, tab, tablen);
  }
  if (mem) {
    wb_byte(&out, 5);
    wb_uleb(&out, memlen);
    wb_put(&out, mem, memlen);
  }
  wb_put(&out, "\x07\x05\x01\x01\x66\x00\x00", 7); /* export "f" func 0 */
  s.n = 0;
  wb_byte(&s, 1);
  wb_uleb(&s, body->n + 1);
  wb_put(&s, body->p, body->n);
  wb_byte(&s, 0x0B);
  wb_byte(&out, 10);
  wb_uleb(&out, s.n);
  wb_put(&out, s.p, s.n);
  free(s.p);
  *len = out.n;
  return out.p;
}

static void put_n(wb_bytes *b, const char *p, size_t len, size_t times) {
  for (size_t i = 0; i < times; i++) wb_put(b, p, len);
}

static bool wat(const char *src, size_t len, kite_buf *out, kite_error *err) {
  kite_error_clear(err);
  return kite_wat_to_wasm(out->alloc, src, len, KITE_FEATURES_ALL, out, err);
}

/* ---- deep nesting ---- */

static void check_prints(const kite_module *m) {
  for (int fold = 0; fold < 2; fold++) {
    kite_print_options opt = {fold != 0};
    kite_buf text;
    kite_buf_init(&text, m->alloc);
    kite_error err;
    kite_error_clear(&err);
    CHECK_MSG(kite_wasm_to_wat(m, &opt, &text, &err), "print (fold %d): %s", fold, err.msg);
    kite_buf_free(&text);
  }
  kite_buf dis;
  kite_buf_init(&dis, m->alloc);
  kite_error err;
  kite_error_clear(&err);
  CHECK_MSG(kite_disassemble(m, &dis, &err), "disassemble: %s", err.msg);
  kite_buf_free(&dis);
}

static void test_deep_binary(void) {
  env E;
  env_open(&E, NULL);
  static const struct {
    const char *name, *open;
    size_t openlen;
  } kinds[] = {{"block", "\x02\x40", 2}, {"loop", "\x03\x40", 2}, {"if", "\x41\x01\x04\x40", 4}};
  for (size_t k = 0; k < KITE_ARRAY_LEN(kinds); k++) {
    /* 100,000 nested blocks in one more; the innermost branches out of all of them */
    wb_bytes body = {0};
    wb_put(&body, "\x00\x02\x40", 3);
    put_n(&body, kinds[k].open, kinds[k].openlen, NEST);
    wb_byte(&body, 0x0C); /* br NEST: to the end of the outer block */
    wb_uleb(&body, NEST);
    put_n(&body, "\x0B", 1, NEST + 1);
    wb_put(&body, "\x41\x07", 2);
    size_t len;
    uint8_t *bytes = one_func("", "i", &body, NULL, 0, NULL, 0, &len);
    free(body.p);
    kite_error err;
    kite_module *m = compile(&E, bytes, len, &err);
    CHECK_MSG(m != NULL, "%s: %s", kinds[k].name, err.msg);
    if (m) {
      check_prints(m);
      kite_instance *inst = kite_instantiate(E.store, m, NULL, 0, &err);
      CHECK_MSG(inst != NULL, "%s: %s", kinds[k].name, err.msg);
      kite_value r = call(&E, export_func(inst, "f"), NULL, 0, &err);
      CHECK_MSG(err.kind == KITE_OK && r.u.i32 == 7, "%s: %s", kinds[k].name, err.msg);
    }
    free(bytes);
  }
  /* unbalanced: 100,000 blocks never closed */
  wb_bytes body = {0};
  wb_byte(&body, 0);
  put_n(&body, "\x02\x40", 2, NEST);
  size_t len;
  uint8_t *bytes = one_func("", "", &body, NULL, 0, NULL, 0, &len);
  free(body.p);
  kite_error err;
  CHECK(compile(&E, bytes, len, &err) == NULL && err.kind == KITE_ERR_COMPILE);
  free(bytes);
  env_close(&E);
}

static void test_deep_text(void) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_error err;
  /* flat: block ... end. The parser bounds its nesting ("nesting too deep"), so each
     form either parses or is refused with that error at a position. */
  wb_bytes src = {0};
  wb_put(&src, "(module (func (result i32) ", 27);
  put_n(&src, "block ", 6, NEST);
  put_n(&src, "end ", 4, NEST);
  wb_put(&src, "i32.const 7))", 13);
  kite_buf flat;
  kite_buf_init(&flat, &a);
  bool flat_ok = wat((const char *)src.p, src.n, &flat, &err);
  CHECK_MSG(flat_ok || (err.kind == KITE_ERR_COMPILE && err.line == 1 &&
                        strcmp(err.msg, "nesting too deep") == 0),
            "flat: %s", err.msg);
  /* folded: (block (block ...)) either parses to the same bytes or is refused cleanly */
  src.n = 0;
  wb_put(&src, "(module (func (result i32) ", 27);
  put_n(&src, "(block ", 7, NEST);
  put_n(&src, ")", 1, NEST);
  wb_put(&src, " i32.const 7))", 14);
  kite_buf folded;
  kite_buf_init(&folded, &a);
  if (wat((const char *)src.p, src.n, &folded, &err))
    CHECK(flat_ok && folded.len == flat.len && memcmp(folded.data, flat.data, flat.len) == 0);
  else CHECK_MSG(err.kind == KITE_ERR_COMPILE && err.line == 1, "folded: %d %s", err.kind, err.msg);
  kite_buf_free(&folded);
  kite_buf_free(&flat);
  /* parentheses only: an error, not a stack overflow */
  src.n = 0;
  put_n(&src, "(", 1, NEST);
  kite_buf out;
  kite_buf_init(&out, &a);
  CHECK(!wat((const char *)src.p, src.n, &out, &err) && err.kind == KITE_ERR_COMPILE);
  kite_buf_free(&out);
  /* the same as scripts */
  static const char *const prefixes[] = {"", "(module ", "(assert_invalid (module (func ",
                                         "(assert_return (invoke \"f\" "};
  for (size_t i = 0; i < KITE_ARRAY_LEN(prefixes); i++) {
    src.n = 0;
    wb_put(&src, prefixes[i], strlen(prefixes[i]));
    put_n(&src, "(block ", 7, NEST);
    put_n(&src, ")", 1, NEST);
    kite_wast_script script;
    kite_error_clear(&err);
    if (kite_wast_parse(&a, (const char *)src.p, src.n, KITE_FEATURES_ALL, &script, &err))
      kite_wast_free(&script);
    else CHECK_MSG(err.kind == KITE_ERR_COMPILE, "script %zu: %d %s", i, err.kind, err.msg);
  }
  free(src.p);
  CHECK(a.bytes == 0);
}

/* ---- huge counts and giant LEB128s ---- */

static void test_huge_counts(void) {
  /* Each is malformed; decoding under a 1 MiB allocation limit must say so (a compile
     error, not an out-of-memory one): claimed counts cost nothing until bytes back them. */
  static const struct {
    const char *what, *bytes;
    size_t len;
    const char *msg; /* prefix of the expected message, or NULL: any compile error */
  } cases[] = {
#define CASE(what, b, msg) {what, HDR b, sizeof(HDR b) - 1, msg}
      CASE("type count 2^32-1", "\x01\x05\xff\xff\xff\xff\x0f", NULL),
      CASE("import count 2^32-1", "\x02\x05\xff\xff\xff\xff\x0f", NULL),
      CASE("function count 2^32-1", "\x03\x05\xff\xff\xff\xff\x0f", NULL),
      CASE("table count 2^32-1", "\x04\x05\xff\xff\xff\xff\x0f", NULL),
      CASE("memory count 2^32-1", "\x05\x05\xff\xff\xff\xff\x0f", NULL),
      CASE("global count 2^32-1", "\x06\x05\xff\xff\xff\xff\x0f", NULL),
      CASE("export count 2^32-1", "\x07\x05\xff\xff\xff\xff\x0f", NULL),
      CASE("element count 2^32-1", "\x09\x05\xff\xff\xff\xff\x0f", NULL),
      CASE("code count 2^32-1", "\x0a\x05\xff\xff\xff\xff\x0f", NULL),
      CASE("data count 2^32-1", "\x0b\x05\xff\xff\xff\xff\x0f", NULL),
      CASE("params 2^32-1", "\x01\x07\x01\x60\xff\xff\xff\xff\x0f", NULL),
      CASE("struct fields 2^32-1", "\x01\x07\x01\x5f\xff\xff\xff\xff\x0f", NULL),
      CASE("rec group 2^32-1", "\x01\x07\x01\x4e\xff\xff\xff\xff\x0f", NULL),
      CASE("name length 2^32-1", "\x00\x05\xff\xff\xff\xff\x0f", NULL),
      CASE("section size 2^32-1", "\x01\xff\xff\xff\xff\x0f\x00", NULL),
      CASE("data length 2^32-1", "\x0b\x0a\x01\x01\xff\xff\xff\xff\x0f", NULL),
      CASE("elem items 2^32-1", "\x09\x07\x01\x01\x00\xff\xff\xff\xff\x0f", NULL),
      CASE("locals 2^32-1 in one group",
           "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x0a\x01\x08\x01\xff\xff\xff\xff\x0f\x7f"
           "\x0b",
           "too many locals"),
      CASE("locals 2 x 2^31 (overflows u32)",
           "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x10\x01\x0e\x02\x80\x80\x80\x80\x08\x7f"
           "\x80\x80\x80\x80\x08\x7f\x0b",
           "too many locals"),
      CASE("br_table 2^32-1 labels",
           "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x0c\x01\x0a\x00\x41\x00\x0e\xff\xff\xff"
           "\xff\x0f\x0b",
           NULL),
      CASE("select types 2^32-1",
           "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x0a\x01\x08\x00\x1c\xff\xff\xff\xff\x0f"
           "\x0b",
           NULL),
      CASE("u32 LEB of 6 bytes", "\x01\x06\x80\x80\x80\x80\x80\x00",
           "integer representation too long"),
      CASE("u32 LEB too large", "\x01\x05\xff\xff\xff\xff\x7f", "integer too large"),
      CASE("LEB of 20 bytes",
           "\x01\x14\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80"
           "\x00",
           "integer representation too long"),
      CASE("i64.const of 11 bytes",
           "\x01\x05\x01\x60\x00\x01\x7e\x03\x02\x01\x00\x0a\x10\x01\x0e\x00\x42\x80\x80\x80\x80"
           "\x80\x80\x80\x80\x80\x80\x00\x0b",
           "integer representation too long"),
      CASE("memory limits LEB of 11 bytes",
           "\x05\x0e\x01\x00\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", NULL),
#undef CASE
  };
  for (size_t i = 0; i < KITE_ARRAY_LEN(cases); i++) {
    kite_alloc a;
    kite_alloc_init(&a, NULL, NULL);
    a.limit = 1 << 20;
    kite_error err;
    kite_error_clear(&err);
    kite_module *m = kite_decode(&a, (const uint8_t *)cases[i].bytes, cases[i].len,
                                 KITE_FEATURES_ALL, NULL, &err);
    if (m) { /* some only fail validation */
      kite_validate_module(m, KITE_FEATURES_ALL, &err);
      kite_module_free(m);
    }
    CHECK_MSG(err.kind == KITE_ERR_COMPILE, "%s: %s %s", cases[i].what, kite_errkind_name(err.kind),
              err.msg);
    if (cases[i].msg)
      CHECK_MSG(strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) == 0, "%s: %s", cases[i].what,
                err.msg);
    CHECK(a.bytes == 0);
  }
  /* a "name" section claiming 2^32-1 function names is ignored, not allocated */
  static const char names[] = HDR "\x00\x0c\x04name\x01\x05\xff\xff\xff\xff\x0f";
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  a.limit = 1 << 20;
  kite_error err;
  kite_error_clear(&err);
  kite_module *m =
      kite_decode(&a, (const uint8_t *)names, sizeof names - 1, KITE_FEATURES_ALL, NULL, &err);
  CHECK_MSG(m != NULL && !m->has_names, "%s", err.msg);
  kite_module_free(m);
}

/* ---- 50,000 locals ---- */

static void test_many_locals(void) {
  env E;
  env_open(&E, NULL);
  kite_error err;
  /* 50,000 i64 locals: the last one is set and read back */
  wb_bytes body = {0};
  wb_put(&body, "\x01", 1);
  wb_uleb(&body, KITE_DEFAULT_MAX_LOCALS);
  wb_byte(&body, 0x7E);
  wb_put(&body, "\x42\x2a\x21", 3); /* i64.const 42, local.set 49999 */
  wb_uleb(&body, KITE_DEFAULT_MAX_LOCALS - 1);
  wb_byte(&body, 0x20); /* local.get 49999 */
  wb_uleb(&body, KITE_DEFAULT_MAX_LOCALS - 1);
  wb_byte(&body, 0x20); /* + local.get 0, which must be zero */
  wb_uleb(&body, 0);
  wb_byte(&body, 0x7C);
  size_t len;
  uint8_t *bytes = one_func("", "I", &body, NULL, 0, NULL, 0, &len);
  kite_instance *inst = instantiate(&E, bytes, len, &err);
  kite_funcinst *f = export_func(inst, "f");
  kite_value r = call(&E, f, NULL, 0, &err);
  CHECK_MSG(err.kind == KITE_OK && r.u.i64 == 42, "%s", err.msg);
  if (inst) check_prints(kite_instance_module(inst));
  free(bytes);
  /* one more is too many */
  body.n = 0;
  wb_put(&body, "\x01", 1);
  wb_uleb(&body, KITE_DEFAULT_MAX_LOCALS + 1);
  wb_byte(&body, 0x7E);
  wb_put(&body, "\x42\x00", 2);
  bytes = one_func("", "I", &body, NULL, 0, NULL, 0, &len);
  CHECK(compile(&E, bytes, len, &err) == NULL && strcmp(err.msg, "too many locals") == 0);
  free(bytes);
  /* 50,000 locals that recurse run out of value stack: exhaustion, not a crash */
  body.n = 0;
  wb_put(&body, "\x01", 1);
  wb_uleb(&body, KITE_DEFAULT_MAX_LOCALS);
  wb_byte(&body, 0x7E);
  wb_put(&body, "\x10\x00", 2); /* call 0 */
  bytes = one_func("", "I", &body, NULL, 0, NULL, 0, &len);
  f = export_func(instantiate(&E, bytes, len, &err), "f");
  call(&E, f, NULL, 0, &err);
  CHECK_MSG(err.kind == KITE_ERR_EXHAUSTION && strcmp(err.msg, "call stack exhausted") == 0, "%s",
            err.msg);
  free(bytes);
  free(body.p);
  /* text: 50,000 locals declared one by one */
  wb_bytes src = {0};
  wb_put(&src, "(module (func (local", 20);
  put_n(&src, " i32", 4, KITE_DEFAULT_MAX_LOCALS);
  wb_put(&src, ")))", 3);
  kite_buf out;
  kite_buf_init(&out, kite_engine_alloc(E.engine));
  CHECK_MSG(wat((const char *)src.p, src.n, &out, &err), "%s", err.msg);
  CHECK(compile(&E, out.data, out.len, &err) != NULL);
  kite_buf_free(&out);
  free(src.p);
  env_close(&E);
}

/* ---- huge memory and table declarations ---- */

static void test_huge_declarations(void) {
  kite_engine_config cfg;
  kite_engine_config_default(&cfg);
  cfg.features = KITE_FEATURES_3_0;
  cfg.max_memory_pages = 256;
  cfg.max_table_elems = 1000;
  env E;
  env_open(&E, &cfg);
  wb_bytes body = {0};
  wb_byte(&body, 0);
  static const struct {
    const char *what, *mem, *tab;
    size_t memlen, tablen;
    bool valid;
  } cases[] = {
      {"memory of 65536 pages", "\x01\x00\x80\x80\x04", NULL, 5, 0, true},
      {"memory of 65536 pages, maximum 65536", "\x01\x01\x80\x80\x04\x80\x80\x04", NULL, 8, 0,
       true},
      {"memory of 65537 pages", "\x01\x00\x81\x80\x04", NULL, 5, 0, false},
      {"memory64 of 2^48 pages", "\x01\x04\x80\x80\x80\x80\x80\x80\x40", NULL, 9, 0, true},
      {"memory64 of 2^48+1 pages", "\x01\x04\x81\x80\x80\x80\x80\x80\x40", NULL, 9, 0, false},
      {"table of 2^32-1 elements", NULL, "\x01\x70\x00\xff\xff\xff\xff\x0f", 0, 8, true},
      {"table of 2^32-1, maximum 2^32-1", NULL,
       "\x01\x70\x01\xff\xff\xff\xff\x0f\xff\xff\xff\xff\x0f", 0, 13, true},
      {"table64 of 2^40 elements", NULL, "\x01\x70\x04\x80\x80\x80\x80\x80\x20", 0, 9, true},
  };
  for (size_t i = 0; i < KITE_ARRAY_LEN(cases); i++) {
    size_t len;
    uint8_t *bytes =
        one_func("", "", &body, cases[i].mem, cases[i].memlen, cases[i].tab, cases[i].tablen, &len);
    kite_error err;
    kite_module *m = compile(&E, bytes, len, &err);
    CHECK_MSG((m != NULL) == cases[i].valid, "%s: %s", cases[i].what, err.msg);
    if (m) {
      /* beyond the engine's caps: instantiation fails cleanly */
      kite_error_clear(&err);
      CHECK_MSG(kite_instantiate(E.store, m, NULL, 0, &err) == NULL && err.kind != KITE_OK &&
                    err.msg[0],
                "%s: instantiated", cases[i].what);
    } else {
      CHECK_MSG(err.kind == KITE_ERR_COMPILE, "%s: %s", cases[i].what, err.msg);
    }
    free(bytes);
  }
  free(body.p);
  /* the store is still fine */
  kite_limits lim = {1, 2, true, false, false, 16};
  kite_error err;
  kite_error_clear(&err);
  CHECK(kite_memory_new(E.store, &lim, &err) != NULL);
  env_close(&E);
}

/* ---- unbounded recursion ---- */

typedef struct reenter {
  env *E;
  kite_funcinst *target;
  unsigned calls;
} reenter;

/* A host function that calls back into wasm, which calls it again. */
static bool host_reenter(void *ud, kite_store *s, const kite_value *args, uint32_t nargs,
                         kite_value *results, uint32_t nresults, kite_error *err) {
  (void)args, (void)nargs, (void)results, (void)nresults;
  reenter *R = ud;
  R->calls++;
  kite_value r[1];
  return kite_func_call(s, R->target, NULL, 0, r, 0, err);
}

static void test_recursion(void) {
  env E;
  env_open(&E, NULL);
  kite_error err;
  size_t len;
  /* direct, through a table (call_indirect), and with a wide frame */
  static const struct {
    const char *what, *code;
    size_t len;
  } cases[] = {
      {"direct", "\x00\x10\x00", 3},
      {"indirect", "\x00\x41\x00\x11\x00\x00", 6},
      {"wide frame", "\x01\xe8\x07\x7b\x10\x00", 6}, /* 1000 v128 locals */
  };
  for (size_t i = 0; i < KITE_ARRAY_LEN(cases); i++) {
    /* a table holding f, for call_indirect */
    wb_module M;
    wb_init(&M);
    uint32_t t = wb_type(&M, "", "");
    wb_table(&M, 'r', 1, 1);
    wb_bytes fb = {0};
    wb_put(&fb, cases[i].code, cases[i].len);
    wb_byte(&fb, 0x0B);
    wb_uleb(&M.funcs, t);
    wb_uleb(&M.code, fb.n);
    wb_put(&M.code, fb.p, fb.n);
    M.nfuncs++;
    free(fb.p);
    uint32_t f0 = 0;
    wb_elem(&M, 0, &f0, 1);
    wb_export(&M, "f", 0, 0);
    uint8_t *bytes = wb_finish(&M, &len);
    kite_funcinst *f = export_func(instantiate(&E, bytes, len, &err), "f");
    call(&E, f, NULL, 0, &err);
    CHECK_MSG(err.kind == KITE_ERR_EXHAUSTION && err.code == KITE_TRAP_STACK_EXHAUSTED &&
                  strcmp(err.msg, "call stack exhausted") == 0,
              "%s: %s %s", cases[i].what, kite_errkind_name(err.kind), err.msg);
    free(bytes);
  }
  /* through the host: wasm -> host -> wasm -> ... */
  reenter R = {&E, NULL, 0};
  kite_functype ft = {0, 0, NULL, NULL};
  kite_funcinst *host = kite_func_new_host(E.store, &ft, host_reenter, &R, &err);
  CHECK(host != NULL);
  wb_module M;
  wb_init(&M);
  uint32_t t = wb_type(&M, "", "");
  wb_import_func(&M, "env", "h", t);
  uint32_t f = wb_func(&M, t, "", WB_CODE(0x10, 0x00));
  wb_export(&M, "f", 0, f);
  uint8_t *bytes = wb_finish(&M, &len);
  kite_module *m = compile(&E, bytes, len, &err);
  free(bytes);
  kite_extern imp = {KITE_EXTERN_FUNC, {.func = host}};
  kite_error_clear(&err);
  kite_instance *inst = m ? kite_instantiate(E.store, m, &imp, 1, &err) : NULL;
  R.target = export_func(inst, "f");
  call(&E, R.target, NULL, 0, &err);
  CHECK_MSG(err.kind == KITE_ERR_EXHAUSTION && strcmp(err.msg, "call stack exhausted") == 0,
            "host re-entry: %s %s", kite_errkind_name(err.kind), err.msg);
  CHECK(R.calls > 10);
  /* and the store still runs code */
  wb_bytes body = {0};
  wb_put(&body, "\x00\x41\x05", 3);
  bytes = one_func("", "i", &body, NULL, 0, NULL, 0, &len);
  kite_value r = call(&E, export_func(instantiate(&E, bytes, len, &err), "f"), NULL, 0, &err);
  CHECK(err.kind == KITE_OK && r.u.i32 == 5);
  free(bytes);
  free(body.p);
  env_close(&E);
}

/* ---- growing to the caps ---- */

static void test_memory_grow(bool guard) {
  kite_engine_config cfg;
  kite_engine_config_default(&cfg);
  cfg.features = KITE_FEATURES_3_0;
  cfg.max_memory_pages = 300;
  cfg.no_guard_pages = !guard;
  env E;
  env_open(&E, &cfg);
  kite_error err;
  size_t len;
  /* grow(delta) = memory.grow; memory 1 with no maximum, and with maximum 10 */
  wb_bytes body = {0};
  wb_put(&body, "\x00\x20\x00\x40\x00", 5);
  for (int k = 0; k < 2; k++) {
    uint8_t *bytes = one_func("i", "i", &body, k ? "\x01\x01\x01\x0a" : "\x01\x00\x01", k ? 4 : 3,
                              NULL, 0, &len);
    kite_instance *inst = instantiate(&E, bytes, len, &err);
    kite_funcinst *grow = export_func(inst, "f");
    uint32_t cap = k ? 10 : 300, pages = 1;
    kite_value d = kite_val_i32(0xFFFFFFFFu);
    CHECK(call(&E, grow, &d, 1, &err).u.i32 == 0xFFFFFFFFu && err.kind == KITE_OK);
    d = kite_val_i32(0x10000);
    CHECK(call(&E, grow, &d, 1, &err).u.i32 == 0xFFFFFFFFu);
    d = kite_val_i32(1);
    for (;;) {
      kite_value r = call(&E, grow, &d, 1, &err);
      if (err.kind != KITE_OK || r.u.i32 == 0xFFFFFFFFu) break;
      CHECK(r.u.i32 == pages);
      pages++;
    }
    CHECK_MSG(pages == cap && err.kind == KITE_OK, "grew to %u of %u: %s", pages, cap, err.msg);
    kite_meminst *mem = inst ? kite_instance_memory(inst, 0) : NULL;
    CHECK(mem && kite_memory_size(mem) == cap);
    if (mem) { /* the whole memory is usable, up to the last byte */
      uint8_t *p = kite_memory_data(mem);
      p[(uint64_t)cap * 65536 - 1] = 1;
      CHECK(kite_memory_grow(mem, 1) == UINT64_MAX);
    }
    free(bytes);
  }
  free(body.p);
  /* memory64: grow by 2^63 pages fails */
  body = (wb_bytes){0};
  wb_put(&body, "\x00\x20\x00\x40\x00", 5);
  uint8_t *bytes = one_func("I", "I", &body, "\x01\x04\x01", 3, NULL, 0, &len);
  kite_funcinst *grow = export_func(instantiate(&E, bytes, len, &err), "f");
  kite_value d = kite_val_i64(1ull << 63);
  CHECK(call(&E, grow, &d, 1, &err).u.i64 == UINT64_MAX && err.kind == KITE_OK);
  d = kite_val_i64(UINT64_MAX);
  CHECK(call(&E, grow, &d, 1, &err).u.i64 == UINT64_MAX && err.kind == KITE_OK);
  free(bytes);
  free(body.p);
  env_close(&E);
}

static void test_table_grow(void) {
  kite_engine_config cfg;
  kite_engine_config_default(&cfg);
  cfg.features = KITE_FEATURES_3_0;
  cfg.max_table_elems = 5000;
  env E;
  env_open(&E, &cfg);
  kite_error err;
  size_t len;
  /* f(delta) = table.grow 0 (ref.null func) delta */
  wb_bytes body = {0};
  wb_put(&body, "\x00\xd0\x70\x20\x00\xfc\x0f\x00", 8);
  for (int k = 0; k < 2; k++) {
    uint8_t *bytes = one_func("i", "i", &body, NULL, 0,
                              k ? "\x01\x70\x01\x00\x64" : "\x01\x70\x00\x00", k ? 5 : 4, &len);
    kite_instance *inst = instantiate(&E, bytes, len, &err);
    kite_funcinst *grow = export_func(inst, "f");
    uint32_t cap = k ? 100 : 5000;
    kite_value d = kite_val_i32(0xFFFFFFFFu);
    CHECK(call(&E, grow, &d, 1, &err).u.i32 == 0xFFFFFFFFu && err.kind == KITE_OK);
    d = kite_val_i32(cap + 1);
    CHECK(call(&E, grow, &d, 1, &err).u.i32 == 0xFFFFFFFFu);
    d = kite_val_i32(cap - 1);
    CHECK(call(&E, grow, &d, 1, &err).u.i32 == 0);
    d = kite_val_i32(1);
    CHECK(call(&E, grow, &d, 1, &err).u.i32 == cap - 1);
    CHECK(call(&E, grow, &d, 1, &err).u.i32 == 0xFFFFFFFFu);
    kite_tableinst *tab = inst ? kite_instance_table(inst, 0) : NULL;
    CHECK(tab && kite_table_size(tab) == cap);
    free(bytes);
  }
  free(body.p);
  env_close(&E);
}

/* ---- call depth and value-stack caps ---- */

static kite_instance *instantiate_wat(env *E, const char *src, size_t n, kite_error *err) {
  kite_buf b;
  kite_buf_init(&b, kite_engine_alloc(E->engine));
  kite_instance *inst = NULL;
  bool ok = wat(src, n, &b, err);
  CHECK_MSG(ok, "wat: %s at %u:%u", err->msg, err->line, err->col);
  if (ok) inst = instantiate(E, b.data, b.len, err);
  kite_buf_free(&b);
  return inst;
}

/* A store's memories together stay within max_store_memory (here 40 pages): a module whose
   memories would pass it does not instantiate, memory.grow returns -1 at the cap (also
   spread over two memories and two instances), shared memories count their maximum, and
   the store keeps working. */
static void test_store_memory_cap(bool guard) {
  kite_engine_config cfg;
  kite_engine_config_default(&cfg);
  cfg.features = KITE_FEATURES_3_0 | KITE_FEATURE_BIT(FEAT_THREADS);
  cfg.max_store_memory = 40 * 65536;
  cfg.no_guard_pages = !guard;
  env E;
  env_open(&E, &cfg);
  kite_error err;
  static const char two[] =
      "(module (memory $a 10) (memory $b 10)"
      " (func (export \"grow_a\") (param i32) (result i32) (memory.grow $a (local.get 0)))"
      " (func (export \"grow_b\") (param i32) (result i32) (memory.grow $b (local.get 0)))"
      " (func (export \"poke\") (param i32) (result i32)"
      "  (i32.store $b (local.get 0) (i32.const 7)) (i32.load $b (local.get 0))))";
  kite_instance *inst = instantiate_wat(&E, two, sizeof two - 1, &err);
  CHECK_MSG(inst != NULL, "instantiate: %s", err.msg);
  kite_funcinst *grow_a = export_func(inst, "grow_a"), *grow_b = export_func(inst, "grow_b");
  kite_value d = kite_val_i32(11); /* 10 + 10 + 11 = 31 */
  CHECK(call(&E, grow_a, &d, 1, &err).u.i32 == 10 && err.kind == KITE_OK);
  d = kite_val_i32(10); /* 41 > 40 */
  CHECK(call(&E, grow_b, &d, 1, &err).u.i32 == 0xFFFFFFFFu && err.kind == KITE_OK);
  d = kite_val_i32(9); /* exactly 40 */
  CHECK(call(&E, grow_b, &d, 1, &err).u.i32 == 10 && err.kind == KITE_OK);
  d = kite_val_i32(1);
  CHECK(call(&E, grow_a, &d, 1, &err).u.i32 == 0xFFFFFFFFu && err.kind == KITE_OK);
  kite_meminst *b = inst ? kite_instance_memory(inst, 1) : NULL;
  CHECK(b && kite_memory_grow(b, 1) == UINT64_MAX && kite_memory_size(b) == 19);
  d = kite_val_i32(19 * 65536 - 4); /* the last word of memory b is usable */
  CHECK(call(&E, export_func(inst, "poke"), &d, 1, &err).u.i32 == 7 && err.kind == KITE_OK);
  /* A second instance in the full store: even one page is too much. */
  static const char one[] = "(module (memory 1))";
  CHECK(instantiate_wat(&E, one, sizeof one - 1, &err) == NULL && err.kind == KITE_ERR_LINK &&
        strcmp(err.msg, "memory size exceeds the limit") == 0);
  static const char none[] = "(module (func (export \"f\") (result i32) (i32.const 5)))";
  kite_instance *ok = instantiate_wat(&E, none, sizeof none - 1, &err);
  CHECK(ok && call(&E, export_func(ok, "f"), NULL, 0, &err).u.i32 == 5 && err.kind == KITE_OK);
  env_close(&E);

  /* A fresh store: a shared memory counts its maximum. */
  env_open(&E, &cfg);
  static const char shared_big[] = "(module (memory 1 41 shared))";
  CHECK(instantiate_wat(&E, shared_big, sizeof shared_big - 1, &err) == NULL &&
        err.kind == KITE_ERR_LINK);
  static const char shared_fits[] = "(module (memory 1 30 shared) (memory 10))";
  CHECK_MSG(instantiate_wat(&E, shared_fits, sizeof shared_fits - 1, &err) != NULL,
            "shared 30 + 10 pages: %s", err.msg);
  CHECK(instantiate_wat(&E, one, sizeof one - 1, &err) == NULL && err.kind == KITE_ERR_LINK);
  env_close(&E);
}

/* With small caps (100 frames, 2048 value-stack slots) each way to exceed them ends in
   "call stack exhausted" before the cap is passed, and the store then works as before. */
static void test_stack_caps(void) {
  kite_engine_config cfg;
  kite_engine_config_default(&cfg);
  cfg.features = KITE_FEATURES_3_0;
  cfg.max_call_depth = 100;
  cfg.max_stack_slots = 2048;
  env E;
  env_open(&E, &cfg);
  wb_bytes src = {0};
  static const char head[] =
      "(module (global $n (mut i32) (i32.const 0))\n"
      " (func (export \"n\") (result i32) (global.get $n))\n"
      " (func (export \"reset\") (global.set $n (i32.const 0)))\n"
      " (func (export \"add\") (param i32 i32) (result i32)\n"
      "  (i32.add (local.get 0) (local.get 1)))\n"
      " (func $rec (export \"rec\") (global.set $n (i32.add (global.get $n) (i32.const 1)))\n"
      "  (call $rec))\n"
      /* 100 locals a frame: the value stack ends it, not the frame count */
      " (func $wide (export \"wide\") (local";
  wb_put(&src, head, sizeof head - 1);
  put_n(&src, " i64", 4, 100);
  static const char mid[] =
      ")\n (global.set $n (i32.add (global.get $n) (i32.const 1))) (call $wide))\n"
      /* one frame larger than the whole value stack */
      " (func (export \"huge\") (local";
  wb_put(&src, mid, sizeof mid - 1);
  put_n(&src, " i64", 4, 3000);
  static const char deep[] = ") (global.set $n (i32.const 1)))\n"
                             /* 3000 operands on the stack at once */
                             " (func (export \"operands\") (result i32)\n";
  wb_put(&src, deep, sizeof deep - 1);
  put_n(&src, " i32.const 1", 12, 3000);
  put_n(&src, " i32.add", 8, 2999);
  wb_put(&src, "))", 2);
  kite_error err;
  kite_instance *inst = instantiate_wat(&E, (const char *)src.p, src.n, &err);
  free(src.p);
  kite_funcinst *n = export_func(inst, "n"), *reset = export_func(inst, "reset");
  static const struct {
    const char *name;
    uint32_t min, max; /* frames entered */
  } cases[] = {{"rec", 90, 100}, {"wide", 10, 21}, {"huge", 0, 0}, {"operands", 0, 0}};
  for (int round = 0; round < 3; round++) {
    for (size_t i = 0; i < KITE_ARRAY_LEN(cases); i++) {
      call(&E, reset, NULL, 0, &err);
      call(&E, export_func(inst, cases[i].name), NULL, 0, &err);
      CHECK_MSG(err.kind == KITE_ERR_EXHAUSTION && err.code == KITE_TRAP_STACK_EXHAUSTED &&
                    strcmp(err.msg, "call stack exhausted") == 0,
                "%s: %s %s", cases[i].name, kite_errkind_name(err.kind), err.msg);
      uint32_t entered = call(&E, n, NULL, 0, &err).u.i32;
      CHECK_MSG(entered >= cases[i].min && entered <= cases[i].max, "%s: %u frames", cases[i].name,
                entered);
      kite_value two[2] = {kite_val_i32(40), kite_val_i32(2)};
      CHECK(call(&E, export_func(inst, "add"), two, 2, &err).u.i32 == 42 && err.kind == KITE_OK);
    }
  }
  env_close(&E);
}

/* ---- decode-time caps on counts and sizes ---- */

/* A module with three of everything the caps count, and a 40-byte function body. */
static uint8_t *three_of_each(size_t *len) {
  wb_module M;
  wb_init(&M);
  uint32_t t = wb_type(&M, "", "");
  uint8_t body[40];
  memset(body, 0x01, sizeof body); /* nop */
  uint32_t f = wb_func(&M, t, "", body, sizeof body);
  for (int i = 0; i < 3; i++) {
    wb_memory(&M, 1, -1);
    wb_global(&M, 'i', 0, WB_CODE(0x41, 0x00));
    wb_elem_passive(&M, &f, 1);
    wb_data_passive(&M, "x", 1);
  }
  wb_export(&M, "a", 0, f);
  wb_export(&M, "b", 0, f);
  wb_export(&M, "c", 0, f);
  return wb_finish(&M, len);
}

static void test_decode_caps(void) {
  size_t len;
  uint8_t *bytes = three_of_each(&len);
  static const struct {
    size_t field; /* offset in kite_decode_limits */
    uint32_t over, at;
    const char *msg;
  } cases[] = {
#define CAP(f, over, at, msg) {offsetof(kite_decode_limits, f), over, at, msg}
      CAP(max_memories, 2, 3, "too many memories"),
      CAP(max_globals, 2, 3, "too many globals"),
      CAP(max_exports, 2, 3, "too many exports"),
      CAP(max_elems, 2, 3, "too many element segments"),
      CAP(max_datas, 2, 3, "too many data segments"),
      CAP(max_funcs, 0, 1, NULL), /* zero takes the default */
      CAP(max_func_size, 40, 42, "function body too large"),
#undef CAP
  };
  for (size_t i = 0; i < KITE_ARRAY_LEN(cases); i++) {
    for (int fits = 0; fits < 2; fits++) {
      kite_decode_limits lim;
      memset(&lim, 0, sizeof lim);
      memcpy((char *)&lim + cases[i].field, fits ? &cases[i].at : &cases[i].over, sizeof(uint32_t));
      kite_alloc a;
      kite_alloc_init(&a, NULL, NULL);
      kite_error err;
      kite_error_clear(&err);
      kite_module *m = kite_decode(&a, bytes, len, KITE_FEATURES_ALL, &lim, &err);
      if (fits || !cases[i].msg)
        CHECK_MSG(m != NULL && kite_validate_module(m, KITE_FEATURES_ALL, &err), "case %zu: %s", i,
                  err.msg);
      else
        CHECK_MSG(!m && err.kind == KITE_ERR_COMPILE && strcmp(err.msg, cases[i].msg) == 0,
                  "case %zu: %s", i, err.msg);
      kite_module_free(m);
      CHECK(a.bytes == 0);
    }
  }
  free(bytes);
  /* The default caps, each against a module that pays for its claims in bytes: one
     more function than the default cap allows (one byte each), one more data segment. */
  for (int k = 0; k < 2; k++) {
    uint32_t count = k ? KITE_DEFAULT_MAX_DATAS + 1 : KITE_DEFAULT_MAX_FUNCS + 1;
    wb_bytes s = {0}, out = {0};
    wb_uleb(&s, count);
    for (uint32_t i = 0; i < count; i++) wb_put(&s, k ? "\x01\x00" : "\x00", k ? 2 : 1);
    wb_put(&out, HDR "\x01\x04\x01\x60\x00\x00", 14);
    wb_byte(&out, k ? 11 : 3);
    wb_uleb(&out, s.n);
    wb_put(&out, s.p, s.n);
    free(s.p);
    kite_alloc a;
    kite_alloc_init(&a, NULL, NULL);
    kite_error err;
    kite_error_clear(&err);
    kite_module *m = kite_decode(&a, out.p, out.n, KITE_FEATURES_ALL, NULL, &err);
    CHECK_MSG(!m && strcmp(err.msg, k ? "too many data segments" : "too many functions") == 0,
              "default cap %d: %s", k, err.msg);
    kite_module_free(m);
    CHECK(a.bytes == 0);
    free(out.p);
  }
  /* A module larger than the size cap is refused before a byte of it is allocated. */
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_decode_limits lim;
  memset(&lim, 0, sizeof lim);
  lim.max_module_size = 1 << 20;
  kite_decoder *d = kite_decoder_new(&a, KITE_FEATURES_ALL, &lim);
  CHECK(d && kite_decoder_buffer(d, (1 << 20) + 1) == NULL);
  kite_error err;
  kite_error_clear(&err);
  CHECK(d && kite_decoder_finish(d, &err) == NULL && strcmp(err.msg, "module too large") == 0);
  CHECK(a.bytes == 0);
}

/* ---- fuel ---- */

static void test_fuel(void) {
  kite_engine_config cfg;
  kite_engine_config_default(&cfg);
  cfg.consume_fuel = true;
  cfg.initial_fuel = 100000;
  env E;
  env_open(&E, &cfg);
  kite_error err;
  size_t len;
  wb_bytes body = {0};
  wb_put(&body, "\x00\x03\x40\x0c\x00\x0b", 6); /* loop br 0 end */
  uint8_t *bytes = one_func("", "", &body, NULL, 0, NULL, 0, &len);
  call(&E, export_func(instantiate(&E, bytes, len, &err), "f"), NULL, 0, &err);
  CHECK_MSG(err.code == KITE_TRAP_OUT_OF_FUEL && strcmp(err.msg, "all fuel consumed") == 0, "%s",
            err.msg);
  free(bytes);
  free(body.p);
  env_close(&E);
}

int main(void) {
  test_deep_binary();
  test_deep_text();
  test_huge_counts();
  test_many_locals();
  test_huge_declarations();
  test_recursion();
  test_memory_grow(true);
  test_memory_grow(false);
  test_store_memory_cap(true);
  test_store_memory_cap(false);
  test_table_grow();
  test_stack_caps();
  test_decode_caps();
  test_fuel();
  return test_finish("hostile");
}
