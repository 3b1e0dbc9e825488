/*
** test_api.c: the public embedding API (include/kite.h): engines and their limits,
** compiling (whole and streamed), module introspection, import objects,
** instantiation, calls, host functions and their finalizers, memories, tables,
** globals, tags, traps with backtraces, fuel, interrupts, and WASI.
*/
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kite.h"
#include "runtime.h"
#include "test_util.h"
#include "text.h"

/* ---- helpers ---- */

/* A binary module from text (the test's only use of an internal API). */
static uint8_t *wat(const char *src, size_t *len) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  kite_buf b;
  kite_buf_init(&b, &a);
  kite_error err;
  kite_error_clear(&err);
  kite_wat_options opt = {.debug_names = true};
  if (!kite_wat_to_wasm_ex(&a, src, strlen(src), KITE_FEATURES_ALL, &opt, &b, &err)) {
    fprintf(stderr, "wat: %s\n", err.msg);
    kite_buf_free(&b);
    return NULL;
  }
  uint8_t *p = malloc(b.len ? b.len : 1);
  memcpy(p, b.data, b.len);
  *len = b.len;
  kite_buf_free(&b);
  return p;
}

/* Append a custom section (name and contents shorter than 128 bytes). */
static uint8_t *add_custom(uint8_t *bytes, size_t *len, const char *name, const char *data) {
  size_t nn = strlen(name), nd = strlen(data);
  bytes = realloc(bytes, *len + 3 + nn + nd);
  uint8_t *p = bytes + *len;
  *p++ = 0;
  *p++ = (uint8_t)(1 + nn + nd);
  *p++ = (uint8_t)nn;
  memcpy(p, name, nn);
  memcpy(p + nn, data, nd);
  *len += 3 + nn + nd;
  return bytes;
}

static kite_module *compile_wat_customs(kite_engine *e, const char *src, bool customs) {
  size_t len;
  uint8_t *bytes = wat(src, &len);
  if (bytes && customs) {
    bytes = add_custom(bytes, &len, "hello", "abc");
    bytes = add_custom(bytes, &len, "other!", "");
    bytes = add_custom(bytes, &len, "hello", "de");
  }
  if (!bytes) return NULL;
  kite_error err;
  kite_module *m = kite_compile(e, bytes, len, &err);
  if (!m) fprintf(stderr, "compile: %s\n", err.msg);
  free(bytes);
  return m;
}

static kite_module *compile_wat(kite_engine *e, const char *src) {
  return compile_wat_customs(e, src, false);
}

static bool name_eq(const char *p, size_t n, const char *s) {
  return n == strlen(s) && memcmp(p, s, n) == 0;
}

/* ---- errors and validation ---- */

static void test_errors(void) {
  static const uint8_t bad_magic[] = {0, 'a', 's', 'x', 1, 0, 0, 0};
  kite_error err;
  CHECK(!kite_validate(bad_magic, sizeof bad_magic, &err));
  CHECK(err.kind == KITE_ERR_COMPILE && err.code == KITE_COMPILE_MALFORMED);
  CHECK(strcmp(err.msg, "magic header not detected") == 0);
  CHECK(strcmp(kite_errkind_name(err.kind), "CompileError") == 0);

  kite_engine *e = kite_engine_new(NULL);
  CHECK(!kite_compile(e, bad_magic, sizeof bad_magic, &err));
  CHECK(err.kind == KITE_ERR_COMPILE && err.has_offset && err.offset == 0);

  /* invalid: i32.add with one operand */
  size_t len;
  uint8_t *bytes = wat("(module (func (result i32) i32.const 1 i32.add))", &len);
  CHECK(!kite_compile(e, bytes, len, &err));
  CHECK(err.kind == KITE_ERR_COMPILE && err.code == KITE_COMPILE_INVALID);
  CHECK(strncmp(err.msg, "type mismatch", 13) == 0);
  free(bytes);
  CHECK(!kite_compile(e, bad_magic, sizeof bad_magic, NULL)); /* err may be NULL */

  kite_error_clear(&err);
  CHECK(!kite_error_set(&err, KITE_ERR_RUNTIME, KITE_TRAP_HOST, "boom %d", 7));
  CHECK(err.kind == KITE_ERR_RUNTIME && strcmp(err.msg, "boom 7") == 0);
  kite_error_set(&err, KITE_ERR_LINK, 0, "second"); /* the first error wins */
  CHECK(err.kind == KITE_ERR_RUNTIME);
  kite_engine_free(e);
}

/* ---- engine configuration ---- */

static void test_config(void) {
  kite_engine_config *cfg = kite_engine_config_new();
  CHECK(cfg != NULL);
  CHECK(kite_engine_config_features(cfg) == KITE_FEATURES_WASM_2_0);
  kite_engine_config_set_features(cfg, KITE_FEATURES_WASM_2_0 & ~KITE_FEATURE_SIMD);
  kite_engine *e = kite_engine_new(cfg);
  kite_engine_config_free(cfg); /* the engine keeps a copy */
  CHECK(kite_engine_features_enabled(e) == (KITE_FEATURES_WASM_2_0 & ~KITE_FEATURE_SIMD));
  /* A SIMD module does not compile without the feature. */
  size_t len;
  uint8_t *bytes = wat("(module (func (result v128) v128.const i64x2 1 2))", &len);
  kite_error err;
  CHECK(!kite_compile(e, bytes, len, &err));
  CHECK(err.kind == KITE_ERR_COMPILE);
  kite_engine_free(e);
  e = kite_engine_new(NULL);
  kite_module *m = kite_compile(e, bytes, len, &err);
  CHECK(m != NULL);
  kite_module_release(m);
  kite_engine_free(e);
  free(bytes);

  /* The memory cap applies whatever a module declares. */
  cfg = kite_engine_config_new();
  kite_engine_config_set_max_memory_pages(cfg, 4);
  e = kite_engine_new(cfg);
  kite_engine_config_free(cfg);
  kite_store *s = kite_store_new(e);
  kite_memory_desc md = {.initial = 1};
  kite_meminst *mem = kite_memory_create(s, &md, &err);
  CHECK(mem != NULL);
  CHECK(kite_memory_grow(mem, 3) == 1);
  CHECK(kite_memory_grow(mem, 1) == UINT64_MAX);
  CHECK(kite_memory_size(mem) == 4);
  kite_store_free(s);
  kite_engine_free(e);

  /* The call depth limit: exhaustion, not a crash. */
  cfg = kite_engine_config_new();
  kite_engine_config_set_max_call_depth(cfg, 100);
  e = kite_engine_new(cfg);
  kite_engine_config_free(cfg);
  s = kite_store_new(e);
  m = compile_wat(e, "(module (func (export \"f\") (param i32) (result i32)"
                     " local.get 0 i32.eqz if (result i32) i32.const 0 else"
                     " local.get 0 i32.const 1 i32.sub call 0 end))");
  kite_instance *inst = kite_instance_new(s, m, NULL, &err);
  kite_funcinst *f = kite_instance_export_func(inst, "f");
  kite_val arg = kite_i32(50), res;
  CHECK(kite_call(s, f, &arg, 1, &res, 1, &err) && res.of.i32 == 0);
  arg = kite_i32(1000);
  CHECK(!kite_call(s, f, &arg, 1, &res, 1, &err));
  CHECK(err.kind == KITE_ERR_EXHAUSTION && err.code == KITE_TRAP_STACK_EXHAUSTED);
  CHECK(strcmp(err.msg, "call stack exhausted") == 0);
  kite_module_release(m);
  kite_store_free(s);
  kite_engine_free(e);

  /* The table cap, and the value-stack limit (many locals per frame). */
  cfg = kite_engine_config_new();
  kite_engine_config_set_max_table_elements(cfg, 8);
  kite_engine_config_set_max_stack_slots(cfg, 4096);
  e = kite_engine_new(cfg);
  kite_engine_config_free(cfg);
  s = kite_store_new(e);
  kite_table_desc td = {.element = kite_type_funcref(), .initial = 4};
  kite_tableinst *t = kite_table_create(s, &td, kite_funcref(NULL), &err);
  CHECK(t != NULL && kite_table_grow_by(t, 4, kite_funcref(NULL)) == 4);
  CHECK(kite_table_grow_by(t, 1, kite_funcref(NULL)) == UINT64_MAX);
  m = compile_wat(e, "(module (func $f (export \"f\") (param i32) (result i32)"
                     " (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)"
                     " local.get 0 i32.eqz if (result i32) i32.const 0 else"
                     " local.get 0 i32.const 1 i32.sub call $f end))");
  inst = kite_instance_new(s, m, NULL, &err);
  arg = kite_i32(10);
  CHECK(kite_call(s, kite_instance_export_func(inst, "f"), &arg, 1, &res, 1, &err));
  arg = kite_i32(1000);
  CHECK(!kite_call(s, kite_instance_export_func(inst, "f"), &arg, 1, &res, 1, &err));
  CHECK(err.kind == KITE_ERR_EXHAUSTION && err.code == KITE_TRAP_STACK_EXHAUSTED);
  /* The store is still usable after exhaustion. */
  arg = kite_i32(10);
  CHECK(kite_call(s, kite_instance_export_func(inst, "f"), &arg, 1, &res, 1, &err));
  kite_module_release(m);
  kite_store_free(s);
  kite_engine_free(e);
}

/* An allocation hook that counts, to check that the engine frees everything. */
typedef struct counting {
  size_t live;
  size_t calls;
} counting;

static void *counting_alloc(void *ud, void *p, size_t osize, size_t nsize) {
  counting *c = ud;
  c->calls++;
  if (nsize == 0) {
    c->live -= osize;
    free(p);
    return NULL;
  }
  void *q = realloc(p, nsize);
  if (q) c->live = c->live - (p ? osize : 0) + nsize;
  return q;
}

static void test_allocator(void) {
  counting c = {0, 0};
  kite_engine_config *cfg = kite_engine_config_new();
  kite_engine_config_set_allocator(cfg, counting_alloc, &c, 0);
  kite_engine *e = kite_engine_new(cfg);
  kite_engine_config_free(cfg);
  kite_module *m = compile_wat(e, "(module (memory 1) (func (export \"f\")))");
  kite_store *s = kite_store_new(e);
  kite_error err;
  CHECK(kite_instance_new(s, m, NULL, &err) != NULL);
  kite_module_release(m);
  kite_store_free(s);
  CHECK(c.calls > 0);
  kite_engine_free(e);
  CHECK_MSG(c.live == 0, "%zu bytes left", c.live);

  /* A limit makes compiling fail with OutOfMemory, not a crash. */
  cfg = kite_engine_config_new();
  kite_engine_config_set_allocator(cfg, NULL, NULL, 64 * 1024);
  e = kite_engine_new(cfg);
  kite_engine_config_free(cfg);
  static uint8_t big[200000];
  size_t len;
  uint8_t *bytes = wat("(module (memory 1))", &len);
  memcpy(big, bytes, len);
  /* a custom section as large as the rest of the buffer */
  size_t body = sizeof big - len - 6;
  uint8_t *p = big + len;
  *p++ = 0;
  *p++ = (uint8_t)(0x80 | (body & 0x7f));
  *p++ = (uint8_t)(0x80 | ((body >> 7) & 0x7f));
  *p++ = (uint8_t)((body >> 14) & 0x7f);
  *p++ = 1;
  *p++ = 'x';
  CHECK(!kite_compile(e, big, sizeof big - 1, &err));
  CHECK(err.kind == KITE_ERR_OOM);
  free(bytes);
  kite_engine_free(e);
}

/* A hook that notes whether any call came from another thread than its owner's. */
typedef struct owned_hook {
  pthread_t owner;
  _Atomic(int) foreign;
} owned_hook;

static void *owned_alloc(void *ud, void *p, size_t osize, size_t nsize) {
  owned_hook *h = ud;
  (void)osize;
  if (!pthread_equal(pthread_self(), h->owner)) atomic_store(&h->foreign, 1);
  if (nsize == 0) {
    free(p);
    return NULL;
  }
  return realloc(p, nsize);
}

/* Compile threads: a module with more than 256 KiB of code, valid and not, compiles the
   same with any count; with a hook of the embedder's the default stays on its thread. */
static void test_compile_threads(void) {
  size_t cap = 8u << 20, n = 0;
  char *src = malloc(cap);
  n += (size_t)snprintf(src + n, cap - n, "(module");
  for (int f = 0; f < 4000; f++) {
    n += (size_t)snprintf(src + n, cap - n, " (func (param i32) (result i32) local.get 0");
    for (int k = 0; k < 16; k++)
      n += (size_t)snprintf(src + n, cap - n, " i32.const %d i32.add", f * 13 + k);
    n += (size_t)snprintf(src + n, cap - n, ")");
  }
  snprintf(src + n, cap - n, ")");
  size_t len;
  uint8_t *bytes = wat(src, &len);
  free(src);
  CHECK(bytes && len > 300000);
  if (!bytes) return;
  /* An invalid copy: an i32.add of function 2000 becomes an f32.add. */
  uint8_t *bad = malloc(len);
  memcpy(bad, bytes, len);
  size_t at = len * 4 / 5;
  while (at < len && bad[at] != 0x6A) at++;
  if (at < len) bad[at] = 0x92;
  kite_error want;
  for (int round = 0; round < 4; round++) {
    owned_hook h;
    h.owner = pthread_self();
    atomic_init(&h.foreign, 0);
    kite_engine_config *cfg = kite_engine_config_new();
    if (round >= 2) kite_engine_config_set_allocator(cfg, owned_alloc, &h, 0);
    kite_engine_config_set_compile_threads(cfg, round == 0 ? 1 : round == 3 ? 4 : 0);
    kite_engine *e = kite_engine_new(cfg);
    kite_engine_config_free(cfg);
    kite_error err;
    kite_module *m = kite_compile(e, bytes, len, &err);
    CHECK_MSG(m != NULL, "round %d: %s", round, err.msg);
    kite_module_release(m);
    m = kite_compile(e, bad, len, &err);
    CHECK(m == NULL);
    if (round == 0) want = err;
    if (round != 0)
      CHECK_MSG(err.offset == want.offset && strcmp(err.msg, want.msg) == 0,
                "round %d: '%s' @0x%llx, with one thread '%s' @0x%llx", round, err.msg,
                (unsigned long long)err.offset, want.msg, (unsigned long long)want.offset);
    if (round == 2) CHECK_MSG(!atomic_load(&h.foreign), "the embedder's hook was called from another thread");
    kite_engine_free(e);
  }
  free(bad);
  free(bytes);
}

/* An allocator that fails from the Nth allocation on, counting what is live. */
typedef struct failing {
  size_t live;
  uint64_t calls, fail_from;
} failing;

static void *failing_alloc(void *ud, void *p, size_t osize, size_t nsize) {
  failing *f = ud;
  if (nsize == 0) {
    f->live -= osize;
    free(p);
    return NULL;
  }
  if (++f->calls >= f->fail_from) return NULL;
  void *q = realloc(p, nsize);
  if (q) f->live = f->live - (p ? osize : 0) + nsize;
  return q;
}

static bool host_nop(void *data, kite_store *s, const kite_val *args, size_t nargs,
                     kite_val *results, size_t nresults, kite_error *err) {
  (void)data, (void)s, (void)args, (void)nargs, (void)err;
  for (size_t i = 0; i < nresults; i++) results[i] = kite_i32(3);
  return true;
}

static void count_finalizer(void *data) { ++*(int *)data; }

/* Every allocation of a whole embedding session fails in turn: each failure is an
   OutOfMemory error (never a crash), finalizers still run once, nothing leaks. */
static void test_allocation_failures(void) {
  size_t len;
  uint8_t *bytes = wat("(module (import \"h\" \"f\" (func $f (result i32)))\n"
                       " (memory (export \"m\") 1) (table 4 funcref) (elem (i32.const 0) $g)\n"
                       " (global (mut i32) (i32.const 0))\n"
                       " (func $g (export \"g\") (result i32) call $f i32.const 1 i32.add))",
                       &len);
  int succeeded_at = 0, bad = 0;
  for (uint64_t n = 1; n < 400 && !succeeded_at; n++) {
    failing f = {0, 0, n};
    int finalized = 0;
    kite_engine_config *cfg = kite_engine_config_new();
    kite_engine_config_set_allocator(cfg, failing_alloc, &f, 0);
    kite_engine *e = kite_engine_new(cfg);
    kite_engine_config_free(cfg);
    if (!e) continue;
    kite_error err;
    kite_module *m = kite_compile(e, bytes, len, &err);
    kite_store *s = m ? kite_store_new(e) : NULL;
    bool done = false;
    if (s) {
      kite_type i32 = kite_type_of(KITE_I32);
      kite_funcinst *h =
          kite_func_create(s, NULL, 0, &i32, 1, host_nop, &finalized, count_finalizer, &err);
      kite_imports *imp = h ? kite_imports_new(s) : NULL;
      bool added = imp && kite_imports_add(imp, "h", "f", kite_extern_func(h));
      kite_instance *inst = added ? kite_instance_new(s, m, imp, &err) : NULL;
      kite_val r;
      if (inst && kite_call(s, kite_instance_export_func(inst, "g"), NULL, 0, &r, 1, &err)) {
        done = r.of.i32 == 4;
      } else if (err.kind != KITE_ERR_OOM && imp && added) {
        bad++;
        fprintf(stderr, "allocation %llu: %s\n", (unsigned long long)n, err.msg);
      }
      kite_imports_free(imp);
      if (!h && finalized != 1) bad++; /* a failed creation finalizes at once */
    } else if (!m && err.kind != KITE_ERR_OOM) {
      bad++;
    }
    kite_store_free(s);
    kite_module_release(m);
    kite_engine_free(e);
    if (finalized != 1 && s) bad++;
    if (f.live != 0) {
      bad++;
      fprintf(stderr, "allocation %llu: %zu bytes leaked\n", (unsigned long long)n, f.live);
    }
    if (done) succeeded_at = (int)n;
  }
  CHECK_MSG(succeeded_at > 10, "succeeded at allocation %d", succeeded_at);
  CHECK_MSG(bad == 0, "%d bad outcomes", bad);
  free(bytes);
}

/* ---- compiling, streaming, introspection ---- */

static const char *intro_wat =
    "(module\n"
    "  (type $t (func (param i32 i64) (result f32)))\n"
    "  (import \"env\" \"f\" (func (type $t)))\n"
    "  (import \"env\" \"mem\" (memory 1 5))\n"
    "  (import \"env\" \"tab\" (table 2 funcref))\n"
    "  (import \"env\" \"g\" (global (mut i64)))\n"
    "  (import \"env\" \"tag\" (tag (param i32)))\n"
    "  (func $h (export \"h\") (param f64) (result i32 i64) i32.const 1 i64.const 2)\n"
    "  (table (export \"t\") 3 10 externref)\n"
    "  (global (export \"c\") f32 (f32.const 1.5))\n"
    "  (memory (export \"m\") i64 2)\n"
    ")";

static void test_introspection(void) {
  kite_engine_config *cfg = kite_engine_config_new();
  kite_engine_config_set_features(cfg, KITE_FEATURES_WASM_3_0);
  kite_engine *e = kite_engine_new(cfg);
  kite_engine_config_free(cfg);
  kite_module *m = compile_wat_customs(e, intro_wat, true);
  CHECK(m != NULL);
  if (!m) {
    kite_engine_free(e);
    return;
  }
  CHECK(kite_module_import_count(m) == 5);
  kite_import_desc im;
  CHECK(kite_module_import(m, 0, &im));
  CHECK(name_eq(im.module, im.module_len, "env") && name_eq(im.name, im.name_len, "f"));
  CHECK(im.type.kind == KITE_EXTERN_FUNC);
  CHECK(kite_functype_param_count(im.type.func) == 2);
  CHECK(kite_functype_param(im.type.func, 1).kind == KITE_I64);
  CHECK(kite_functype_result_count(im.type.func) == 1);
  CHECK(kite_functype_result(im.type.func, 0).kind == KITE_F32);
  CHECK(kite_module_import(m, 1, &im) && im.type.kind == KITE_EXTERN_MEMORY);
  CHECK(im.type.memory.initial == 1 && im.type.memory.has_maximum && im.type.memory.maximum == 5);
  CHECK(im.type.memory.page_size == 65536 && !im.type.memory.shared && !im.type.memory.is64);
  CHECK(kite_module_import(m, 2, &im) && im.type.kind == KITE_EXTERN_TABLE);
  CHECK(im.type.table.initial == 2 && !im.type.table.has_maximum);
  CHECK(im.type.table.element.kind == KITE_REF && im.type.table.element.heap == KITE_HEAP_FUNC);
  CHECK(im.type.table.element.nullable);
  CHECK(kite_module_import(m, 3, &im) && im.type.kind == KITE_EXTERN_GLOBAL);
  CHECK(im.type.global.value.kind == KITE_I64 && im.type.global.mutable_);
  CHECK(kite_module_import(m, 4, &im) && im.type.kind == KITE_EXTERN_TAG);
  CHECK(kite_functype_param_count(im.type.func) == 1);
  CHECK(!kite_module_import(m, 5, &im));

  CHECK(kite_module_export_count(m) == 4);
  kite_export_desc ex;
  CHECK(kite_module_export(m, 0, &ex) && name_eq(ex.name, ex.name_len, "h"));
  CHECK(ex.type.kind == KITE_EXTERN_FUNC && kite_functype_result_count(ex.type.func) == 2);
  CHECK(kite_module_export(m, 1, &ex) && ex.type.kind == KITE_EXTERN_TABLE);
  CHECK(ex.type.table.element.heap == KITE_HEAP_EXTERN && ex.type.table.maximum == 10);
  CHECK(kite_module_export(m, 2, &ex) && ex.type.kind == KITE_EXTERN_GLOBAL);
  CHECK(ex.type.global.value.kind == KITE_F32 && !ex.type.global.mutable_);
  CHECK(kite_module_export(m, 3, &ex) && ex.type.kind == KITE_EXTERN_MEMORY);
  CHECK(ex.type.memory.is64 && ex.type.memory.initial == 2);
  CHECK(!kite_module_export(m, 4, &ex));
  CHECK(kite_module_find_export(m, "c", 1, &ex) && ex.type.kind == KITE_EXTERN_GLOBAL);
  CHECK(!kite_module_find_export(m, "nope", 4, &ex));
  CHECK(strcmp(kite_externkind_name(KITE_EXTERN_MEMORY), "memory") == 0);

  CHECK(kite_module_custom_section_count(m, "hello", 5) == 2);
  CHECK(kite_module_custom_section_count(m, "other", 5) == 0);
  const uint8_t *data;
  size_t len;
  CHECK(kite_module_custom_section(m, "hello", 5, 0, &data, &len) && len == 3);
  CHECK(memcmp(data, "abc", 3) == 0);
  CHECK(kite_module_custom_section(m, "hello", 5, 1, &data, &len) && len == 2);
  CHECK(!kite_module_custom_section(m, "hello", 5, 2, &data, &len));

  char buf[64];
  CHECK(strcmp(kite_type_name(kite_type_funcref(), buf, sizeof buf), "funcref") == 0);
  CHECK(strcmp(kite_type_name(kite_type_of(KITE_V128), buf, sizeof buf), "v128") == 0);
  CHECK(strcmp(kite_type_name(kite_type_ref(3, false), buf, sizeof buf), "(ref 3)") == 0);

  size_t blen;
  const uint8_t *b = kite_module_bytes(m, &blen);
  CHECK(blen > 8 && memcmp(b, "\0asm", 4) == 0);
  kite_module *again = kite_module_retain(m);
  CHECK(again == m);
  kite_module_release(m);
  kite_module_release(again);
  kite_engine_free(e);
}

static void test_wat2wasm(void) {
  kite_engine *e = kite_engine_new(NULL);
  const char *text = "(module (func (export \"five\") (result i32) i32.const 5))";
  size_t len;
  kite_error err;
  uint8_t *bytes = kite_wat2wasm(e, text, strlen(text), &len, &err);
  CHECK(bytes != NULL && len > 8 && memcmp(bytes, "\0asm", 4) == 0);
  kite_store *s = kite_store_new(e);
  kite_instance *inst = kite_instantiate_bytes(s, bytes, len, NULL, NULL, &err);
  kite_val r;
  CHECK(inst && kite_call(s, kite_instance_export_func(inst, "five"), NULL, 0, &r, 1, &err));
  CHECK(r.of.i32 == 5);
  kite_bytes_free(e, bytes, len);
  const char *bad = "(module\n  (func (result i32) i32.konst 5))";
  CHECK(kite_wat2wasm(e, bad, strlen(bad), &len, &err) == NULL && len == 0);
  CHECK(err.kind == KITE_ERR_COMPILE && err.line == 2 && err.col > 1);
  kite_store_free(s);
  kite_engine_free(e);
}

/* Streaming compilation gives the same result wherever the bytes are split. */
static void test_streaming(void) {
  kite_engine *e = kite_engine_new(NULL);
  size_t len;
  uint8_t *bytes = wat("(module (func (export \"add\") (param i32 i32) (result i32)"
                       " local.get 0 local.get 1 i32.add) (memory 1) (data (i32.const 0) \"hi\"))",
                       &len);
  bytes = add_custom(bytes, &len, "c", "xyz");
  int same = 0;
  for (size_t split = 0; split <= len; split++) {
    kite_compile_stream *cs = kite_compile_stream_new(e);
    kite_error err;
    bool ok = kite_compile_stream_feed(cs, bytes, split, &err) &&
              kite_compile_stream_feed(cs, bytes + split, len - split, &err);
    kite_module *m = ok ? kite_compile_stream_finish(cs, &err) : NULL;
    if (!ok) kite_compile_stream_free(cs);
    size_t mlen = 0;
    if (m && kite_module_export_count(m) == 1 && kite_module_custom_section_count(m, "c", 1) == 1 &&
        kite_module_bytes(m, &mlen) && mlen == len &&
        memcmp(kite_module_bytes(m, &mlen), bytes, len) == 0)
      same++;
    kite_module_release(m);
  }
  CHECK_MSG(same == (int)len + 1, "%d of %zu splits", same, len + 1);
  /* Byte by byte. */
  kite_compile_stream *cs = kite_compile_stream_new(e);
  kite_error err;
  bool ok = true;
  for (size_t i = 0; i < len && ok; i++) ok = kite_compile_stream_feed(cs, bytes + i, 1, &err);
  kite_module *m = kite_compile_stream_finish(cs, &err);
  CHECK(ok && m != NULL);
  kite_module_release(m);

  /* A malformed stream fails at the same offset as kite_compile, at every split. */
  uint8_t bad[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 0, 0x99};
  kite_error whole;
  CHECK(!kite_compile(e, bad, sizeof bad, &whole));
  int agree = 0;
  for (size_t split = 0; split <= sizeof bad; split++) {
    cs = kite_compile_stream_new(e);
    kite_error e2;
    kite_module *mm = NULL;
    if (kite_compile_stream_feed(cs, bad, split, &e2) &&
        kite_compile_stream_feed(cs, bad + split, sizeof bad - split, &e2))
      mm = kite_compile_stream_finish(cs, &e2);
    else kite_compile_stream_free(cs);
    if (!mm && e2.kind == whole.kind && e2.offset == whole.offset && strcmp(e2.msg, whole.msg) == 0)
      agree++;
    kite_module_release(mm);
  }
  CHECK_MSG(agree == (int)sizeof bad + 1, "%d of %zu splits agree (%s)", agree, sizeof bad + 1,
            whole.msg);
  free(bytes);
  kite_engine_free(e);
}

/* ---- instances, calls, host functions ---- */

typedef struct host_state {
  int calls;
  int finalized;
  kite_funcinst *reenter; /* called back from the host function */
} host_state;

static bool host_add(void *data, kite_store *s, const kite_val *args, size_t nargs,
                     kite_val *results, size_t nresults, kite_error *err) {
  host_state *h = data;
  h->calls++;
  CHECK(nargs == 2 && nresults == 1);
  CHECK(args[0].type.kind == KITE_I32 && results[0].type.kind == KITE_I64);
  if (args[0].of.i32 < 0)
    return kite_error_set(err, KITE_ERR_RUNTIME, KITE_TRAP_HOST, "negative argument");
  int64_t extra = 0;
  if (h->reenter) {
    kite_val r;
    if (!kite_call(s, h->reenter, NULL, 0, &r, 1, err)) return false;
    extra = r.of.i32;
  }
  results[0] = kite_i64((int64_t)args[0].of.i32 + args[1].of.i64 + extra);
  return true;
}

static void host_finalize(void *data) { ((host_state *)data)->finalized++; }

static const char *calls_wat =
    "(module\n"
    "  (import \"host\" \"add\" (func $add (param i32 i64) (result i64)))\n"
    "  (func (export \"call_add\") (param i32) (result i64)\n"
    "    local.get 0 i64.const 100 call $add)\n"
    "  (func (export \"seven\") (result i32) i32.const 7)\n"
    "  (func (export \"all\") (param i32 i64 f32 f64 v128 funcref externref)\n"
    "    (result externref funcref v128 f64 f32 i64 i32)\n"
    "    local.get 6 local.get 5 local.get 4 local.get 3 local.get 2 local.get 1 local.get 0)\n"
    "  (func $fail (export \"fail\") (param i32) (result i32)\n"
    "    local.get 0 i32.const 0 i32.div_s)\n"
    "  (func $outer (export \"outer\") (result i32) i32.const 5 call $fail)\n"
    ")";

static void test_calls(void) {
  kite_engine *e = kite_engine_new(NULL);
  kite_store *s = kite_store_new(e);
  kite_module *m = compile_wat(e, calls_wat);
  CHECK(m != NULL);
  kite_error err;

  /* Missing import: LinkError. */
  CHECK(kite_instance_new(s, m, NULL, &err) == NULL);
  CHECK(err.kind == KITE_ERR_LINK && strstr(err.msg, "unknown import") != NULL);
  CHECK(!err.has_offset);

  host_state h = {0, 0, NULL};
  kite_type params[] = {kite_type_of(KITE_I32), kite_type_of(KITE_I64)};
  kite_type results[] = {kite_type_of(KITE_I64)};
  kite_funcinst *add =
      kite_func_create(s, params, 2, results, 1, host_add, &h, host_finalize, &err);
  CHECK(add != NULL);
  const kite_functype *ft = kite_func_type(add);
  CHECK(kite_functype_param_count(ft) == 2 && kite_functype_result_count(ft) == 1);

  /* Wrong type: LinkError "incompatible import type". */
  kite_imports *imp = kite_imports_new(s);
  kite_funcinst *wrong =
      kite_func_create(s, params, 1, results, 1, host_add, &h, host_finalize, &err);
  CHECK(kite_imports_add(imp, "host", "add", kite_extern_func(wrong)));
  CHECK(kite_instance_new(s, m, imp, &err) == NULL);
  CHECK(err.kind == KITE_ERR_LINK && strcmp(err.msg, "incompatible import type") == 0);
  /* Adding again replaces. */
  CHECK(kite_imports_add(imp, "host", "add", kite_extern_func(add)));
  kite_extern got;
  CHECK(kite_imports_get(imp, "host", 4, "add", 3, &got) && got.u.func == add);
  CHECK(!kite_imports_get(imp, "host", 4, "sub", 3, &got));
  /* Names are bytes: NULs included. */
  CHECK(kite_imports_add_bytes(imp, "a\0b", 3, "", 0, kite_extern_func(add)));
  CHECK(kite_imports_get(imp, "a\0b", 3, "", 0, &got) && got.u.func == add);
  CHECK(!kite_imports_get(imp, "a", 1, "", 0, &got));
  kite_instance *inst = kite_instance_new(s, m, imp, &err);
  CHECK(inst != NULL);
  kite_imports_free(imp);

  kite_funcinst *call_add = kite_instance_export_func(inst, "call_add");
  kite_val arg = kite_i32(5), res;
  CHECK(kite_call(s, call_add, &arg, 1, &res, 1, &err));
  CHECK(res.type.kind == KITE_I64 && res.of.i64 == 105 && h.calls == 1);
  /* Call the host function directly. */
  kite_val args2[2] = {kite_i32(1), kite_i64(2)};
  CHECK(kite_call(s, add, args2, 2, &res, 1, &err) && res.of.i64 == 3);
  /* A host function that calls back into the store. */
  h.reenter = kite_instance_export_func(inst, "seven");
  CHECK(kite_call(s, call_add, &arg, 1, &res, 1, &err) && res.of.i64 == 112);
  h.reenter = NULL;
  /* A host trap propagates with its message. */
  arg = kite_i32(-1);
  CHECK(!kite_call(s, call_add, &arg, 1, &res, 1, &err));
  CHECK(err.kind == KITE_ERR_RUNTIME && err.code == KITE_TRAP_HOST);
  CHECK(strcmp(err.msg, "negative argument") == 0);

  /* Usage errors. */
  CHECK(!kite_call(s, call_add, NULL, 0, &res, 1, &err) && err.kind == KITE_ERR_USAGE);
  kite_val wrong_kind = kite_i64(1);
  CHECK(!kite_call(s, call_add, &wrong_kind, 1, &res, 1, &err) && err.kind == KITE_ERR_USAGE);
  CHECK(!kite_call(s, call_add, &arg, 1, NULL, 0, &err) && err.kind == KITE_ERR_USAGE);

  /* Every value type through one function. */
  kite_funcinst *all = kite_instance_export_func(inst, "all");
  uint8_t v128[16];
  for (int i = 0; i < 16; i++) v128[i] = (uint8_t)(i * 3);
  int host_obj;
  kite_val in[7] = {
      kite_i32(-3),      kite_i64(INT64_MIN),      kite_f32(0), kite_f64(2.5), kite_vec128(v128),
      kite_funcref(add), kite_externref(&host_obj)};
  in[2].of.f32_bits = 0x7fa00001; /* a NaN with a payload */
  kite_val out[7];
  CHECK(kite_call(s, all, in, 7, out, 7, &err));
  CHECK(out[0].type.kind == KITE_REF && out[0].type.heap == KITE_HEAP_EXTERN);
  CHECK(out[0].of.host == &host_obj);
  CHECK(out[1].type.heap == KITE_HEAP_FUNC && out[1].of.func == add);
  CHECK(out[2].type.kind == KITE_V128 && memcmp(out[2].of.v128, v128, 16) == 0);
  CHECK(out[3].type.kind == KITE_F64 && out[3].of.f64 == 2.5);
  CHECK(out[4].type.kind == KITE_F32 && out[4].of.f32_bits == 0x7fa00001);
  CHECK(out[5].of.i64 == INT64_MIN && out[6].of.i32 == -3);
  in[5] = kite_funcref(NULL);
  in[6] = kite_externref(NULL);
  CHECK(kite_call(s, all, in, 7, out, 7, &err));
  CHECK(out[0].of.host == NULL && out[1].of.func == NULL);

  /* Traps: kind, code, message and a backtrace with names and offsets. */
  kite_funcinst *outer = kite_instance_export_func(inst, "outer");
  CHECK(!kite_call(s, outer, NULL, 0, &res, 1, &err));
  CHECK(err.kind == KITE_ERR_RUNTIME && err.code == KITE_TRAP_INT_DIV_ZERO);
  CHECK(strcmp(err.msg, "integer divide by zero") == 0);
  CHECK(!err.has_offset); /* the place is in the backtrace */
  kite_backtrace_frame frames[8];
  uint32_t depth;
  uint32_t n = kite_store_backtrace(s, frames, 8, &depth);
  CHECK(n == 2 && depth == 2);
  CHECK(frames[0].module == m && name_eq(frames[0].name, frames[0].name_len, "fail"));
  CHECK(frames[1].module == m && name_eq(frames[1].name, frames[1].name_len, "outer"));
  CHECK(frames[0].func_index == 4 && frames[1].func_index == 5);
  CHECK(frames[0].instance == inst && frames[1].instance == inst);
  size_t blen;
  const uint8_t *bytes = kite_module_bytes(m, &blen);
  CHECK(frames[0].module_offset < blen && bytes[frames[0].module_offset] == 0x6d); /* i32.div_s */
  CHECK(bytes[frames[1].module_offset] == 0x10);                                   /* call */
  CHECK(frames[0].func_offset > 0 && frames[0].func_offset < frames[0].module_offset);
  CHECK(kite_store_backtrace(s, frames, 1, NULL) == 2); /* copies one, reports two */

  kite_module_release(m); /* the instance keeps the module alive */
  kite_val r7;
  CHECK(kite_call(s, kite_instance_export_func(inst, "seven"), NULL, 0, &r7, 1, &err));
  CHECK(r7.of.i32 == 7);
  CHECK(kite_instance_module(inst) != NULL);
  CHECK(h.finalized == 0);
  kite_store_free(s);
  CHECK(h.finalized == 2); /* both host functions' finalizers ran once */
  kite_engine_free(e);
}

/* A failed creation runs the finalizer right away. */
static void test_host_failure(void) {
  kite_engine *e = kite_engine_new(NULL);
  kite_store *s = kite_store_new(e);
  host_state h = {0, 0, NULL};
  kite_error err;
  CHECK(kite_func_create(s, NULL, 0, NULL, 0, NULL, &h, host_finalize, &err) == NULL);
  CHECK(err.kind == KITE_ERR_USAGE && h.finalized == 1);
  kite_store_free(s);
  CHECK(h.finalized == 1);
  kite_engine_free(e);
}

/* ---- memories, tables, globals, tags ---- */

static void test_objects(void) {
  kite_engine *e = kite_engine_new(NULL);
  kite_store *s = kite_store_new(e);
  kite_error err;

  kite_memory_desc md = {.initial = 1, .maximum = 3, .has_maximum = true};
  kite_meminst *mem = kite_memory_create(s, &md, &err);
  CHECK(mem != NULL && kite_memory_size(mem) == 1);
  CHECK(kite_memory_size_bytes(mem) == 65536 && !kite_memory_is_shared(mem));
  uint8_t *data = kite_memory_data(mem);
  data[65535] = 42;
  CHECK(kite_memory_grow(mem, 1) == 1);
  data = kite_memory_data(mem); /* re-read after growing */
  CHECK(data[65535] == 42 && data[65536] == 0 && kite_memory_size_bytes(mem) == 131072);
  CHECK(kite_memory_grow(mem, 2) == UINT64_MAX);
  kite_memory_desc got;
  kite_memory_describe(mem, &got);
  CHECK(got.initial == 2 && got.maximum == 3 && got.page_size == 65536);
  kite_memory_desc bad = {.initial = 2, .maximum = 1, .has_maximum = true};
  CHECK(kite_memory_create(s, &bad, &err) == NULL && err.kind == KITE_ERR_USAGE);
  kite_memory_desc sh = {.initial = 1, .maximum = 2, .has_maximum = true, .shared = true};
  kite_meminst *shm = kite_memory_create(s, &sh, &err);
  CHECK(shm != NULL && kite_memory_is_shared(shm));

  kite_table_desc td = {
      .element = kite_type_externref(), .initial = 2, .maximum = 4, .has_maximum = true};
  int a, b;
  kite_tableinst *tab = kite_table_create(s, &td, kite_externref(&a), &err);
  CHECK(tab != NULL && kite_table_size(tab) == 2);
  kite_val v;
  CHECK(kite_table_read(tab, 1, &v, &err) && v.of.host == &a);
  CHECK(kite_table_write(tab, 1, kite_externref(&b), &err));
  CHECK(kite_table_read(tab, 1, &v, &err) && v.of.host == &b);
  CHECK(!kite_table_read(tab, 2, &v, &err) && err.kind == KITE_ERR_RUNTIME);
  CHECK(err.code == KITE_TRAP_TABLE_OOB);
  CHECK(!kite_table_write(tab, 0, kite_i32(1), &err) && err.kind == KITE_ERR_USAGE);
  CHECK(kite_table_grow_by(tab, 2, kite_externref(NULL)) == 2);
  CHECK(kite_table_grow_by(tab, 1, kite_externref(NULL)) == UINT64_MAX);
  CHECK(kite_table_read(tab, 3, &v, &err) && v.of.host == NULL);
  kite_table_desc tgot;
  kite_table_describe(tab, &tgot);
  CHECK(tgot.initial == 4 && tgot.element.heap == KITE_HEAP_EXTERN);
  kite_table_desc nonref = {.element = kite_type_of(KITE_I32), .initial = 1};
  CHECK(kite_table_create(s, &nonref, kite_i32(0), &err) == NULL);

  kite_global_desc gd = {.value = kite_type_of(KITE_F64), .mutable_ = true};
  kite_globalinst *g = kite_global_create(s, &gd, kite_f64(1.25), &err);
  CHECK(g != NULL && kite_global_value(g).of.f64 == 1.25);
  CHECK(kite_global_set_value(g, kite_f64(-8), &err) && kite_global_value(g).of.f64 == -8);
  CHECK(!kite_global_set_value(g, kite_i32(1), &err) && err.kind == KITE_ERR_USAGE);
  kite_global_desc cd = {.value = kite_type_of(KITE_I32), .mutable_ = false};
  kite_globalinst *c = kite_global_create(s, &cd, kite_i32(9), &err);
  CHECK(!kite_global_set_value(c, kite_i32(1), &err) && err.kind == KITE_ERR_USAGE);
  kite_global_desc dgot;
  kite_global_describe(g, &dgot);
  CHECK(dgot.value.kind == KITE_F64 && dgot.mutable_);

  kite_type tp[] = {kite_type_of(KITE_I32), kite_type_of(KITE_F32)};
  kite_taginst *tag = kite_tag_create(s, tp, 2, &err);
  CHECK(tag != NULL && kite_functype_param_count(kite_tag_type(tag)) == 2);

  /* Tables and tags imported and exported again, found by byte names. */
  kite_engine_config *cfg3 = kite_engine_config_new();
  kite_engine_config_set_features(cfg3, KITE_FEATURES_WASM_3_0);
  kite_engine *e3 = kite_engine_new(cfg3);
  kite_engine_config_free(cfg3);
  kite_store *s3 = kite_store_new(e3);
  kite_taginst *tag3 = kite_tag_create(s3, tp, 2, &err);
  kite_table_desc td3 = {.element = kite_type_funcref(), .initial = 1};
  kite_tableinst *tab3 = kite_table_create(s3, &td3, kite_funcref(NULL), &err);
  kite_module *m3 = compile_wat(e3, "(module (import \"x\" \"t\" (tag $t (param i32 f32)))\n"
                                    "  (import \"x\" \"tab\" (table 1 funcref))\n"
                                    "  (export \"t2\" (tag $t)) (export \"tab2\" (table 0)))");
  kite_imports *imp3 = kite_imports_new(s3);
  kite_imports_add(imp3, "x", "t", kite_extern_tag(tag3));
  kite_imports_add(imp3, "x", "tab", kite_extern_table(tab3));
  kite_instance *inst3 = kite_instance_new(s3, m3, imp3, &err);
  CHECK(inst3 != NULL);
  kite_extern x3;
  CHECK(inst3 && kite_instance_export(inst3, "t2", 2, &x3) && x3.kind == KITE_EXTERN_TAG);
  CHECK(inst3 && x3.u.tag == tag3);
  CHECK(inst3 && kite_instance_export_table(inst3, "tab2") == tab3);
  CHECK(inst3 && !kite_instance_export(inst3, "t", 1, &x3));
  /* A tag of another type does not link. */
  kite_taginst *other = kite_tag_create(s3, tp, 1, &err);
  kite_imports_add(imp3, "x", "t", kite_extern_tag(other));
  CHECK(kite_instance_new(s3, m3, imp3, &err) == NULL && err.kind == KITE_ERR_LINK);
  kite_imports_free(imp3);
  kite_module_release(m3);
  kite_store_free(s3);
  kite_engine_free(e3);

  /* Host objects imported into a module. */
  kite_module *m = compile_wat(
      e, "(module (import \"js\" \"mem\" (memory 1))\n"
         "  (import \"js\" \"tab\" (table 2 externref))\n"
         "  (import \"js\" \"g\" (global $g (mut f64)))\n"
         "  (func (export \"load\") (param i32) (result i32) local.get 0 i32.load8_u)\n"
         "  (func (export \"grow\") (result i32) i32.const 1 memory.grow)\n"
         "  (func (export \"get\") (param i32) (result externref) local.get 0 table.get 0)\n"
         "  (func (export \"bump\") global.get $g f64.const 1 f64.add global.set $g))");
  kite_imports *imp = kite_imports_new(s);
  kite_imports_add(imp, "js", "mem", kite_extern_memory(mem));
  kite_imports_add(imp, "js", "tab", kite_extern_table(tab));
  kite_imports_add(imp, "js", "g", kite_extern_global(g));
  kite_instance *inst = kite_instance_new(s, m, imp, &err);
  CHECK(inst != NULL);
  kite_val arg = kite_i32(65535), res;
  CHECK(kite_call(s, kite_instance_export_func(inst, "load"), &arg, 1, &res, 1, &err));
  CHECK(res.of.i32 == 42);
  /* Growing from wasm: the memory object sees it; pointers must be re-read. */
  CHECK(kite_call(s, kite_instance_export_func(inst, "grow"), NULL, 0, &res, 1, &err));
  CHECK(res.of.i32 == 2 && kite_memory_size(mem) == 3);
  kite_memory_data(mem)[3 * 65536 - 1] = 7;
  arg = kite_i32(3 * 65536 - 1);
  CHECK(kite_call(s, kite_instance_export_func(inst, "load"), &arg, 1, &res, 1, &err));
  CHECK(res.of.i32 == 7);
  arg = kite_i32(3 * 65536);
  CHECK(!kite_call(s, kite_instance_export_func(inst, "load"), &arg, 1, &res, 1, &err));
  CHECK(err.code == KITE_TRAP_MEMORY_OOB && strcmp(err.msg, "out of bounds memory access") == 0);
  arg = kite_i32(1);
  CHECK(kite_call(s, kite_instance_export_func(inst, "get"), &arg, 1, &res, 1, &err));
  CHECK(res.of.host == &b);
  CHECK(kite_call(s, kite_instance_export_func(inst, "bump"), NULL, 0, NULL, 0, &err));
  CHECK(kite_global_value(g).of.f64 == -7);
  CHECK(kite_instance_export_memory(inst, "load") == NULL); /* wrong kind */
  CHECK(kite_instance_export_table(inst, "load") == NULL);
  CHECK(kite_store_engine(s) == e);
  CHECK(kite_instance_export_func(inst, "nope") == NULL);

  /* Re-export to another instance through kite_imports_add_instance. */
  kite_imports *imp2 = kite_imports_new(s);
  CHECK(kite_imports_add_instance(imp2, "first", inst));
  kite_extern x;
  CHECK(kite_imports_get(imp2, "first", 5, "load", 4, &x) && x.kind == KITE_EXTERN_FUNC);
  kite_imports_free(imp2);
  kite_imports_free(imp);
  kite_module_release(m);
  kite_store_free(s);
  kite_engine_free(e);
}

/* ---- instantiate in one call, start functions, engines mixed up ---- */

static void test_instantiate_bytes(void) {
  kite_engine *e = kite_engine_new(NULL);
  kite_store *s = kite_store_new(e);
  size_t len;
  uint8_t *bytes = wat("(module (global $g (export \"g\") (mut i32) (i32.const 0))"
                       " (func $start global.get $g i32.const 1 i32.add global.set $g)"
                       " (start $start))",
                       &len);
  kite_module *m;
  kite_error err;
  kite_instance *inst = kite_instantiate_bytes(s, bytes, len, NULL, &m, &err);
  CHECK(inst != NULL && m != NULL);
  CHECK(kite_global_value(kite_instance_export_global(inst, "g")).of.i32 == 1);
  kite_instance *inst2 = kite_instance_new(s, m, NULL, &err);
  CHECK(kite_global_value(kite_instance_export_global(inst2, "g")).of.i32 == 1);
  /* A module of another engine is refused. */
  kite_engine *e2 = kite_engine_new(NULL);
  kite_store *s2 = kite_store_new(e2);
  CHECK(kite_instance_new(s2, m, NULL, &err) == NULL && err.kind == KITE_ERR_USAGE);
  kite_store_free(s2);
  kite_engine_free(e2);
  kite_module_release(m);
  /* A trapping start function: RuntimeError. */
  free(bytes);
  bytes = wat("(module (func unreachable) (start 0))", &len);
  CHECK(kite_instantiate_bytes(s, bytes, len, NULL, NULL, &err) == NULL);
  CHECK(err.kind == KITE_ERR_RUNTIME && err.code == KITE_TRAP_UNREACHABLE);
  CHECK(kite_instantiate_bytes(s, bytes, 3, NULL, NULL, &err) == NULL);
  CHECK(err.kind == KITE_ERR_COMPILE);
  free(bytes);
  kite_store_free(s);
  kite_engine_free(e);
}

/* ---- fuel and interrupts ---- */

static const char *loop_wat =
    "(module (func (export \"count\") (param i32) (result i32) (local i32)\n"
    "  (loop $l (local.set 1 (i32.add (local.get 1) (i32.const 1)))\n"
    "    (br_if $l (i32.lt_u (local.get 1) (local.get 0))))\n"
    "  local.get 1)\n"
    " (func (export \"forever\") (loop $l (br $l)))\n"
    " (func $leaf (result i32) i32.const 1)\n"
    " (func (export \"calls\") (param i32) (result i32)\n"
    "  (block $done (loop $l (br_if $done (i32.eqz (local.get 0)))\n"
    "    (drop (call $leaf)) (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br $l)))\n"
    "  i32.const 0))";

static void test_fuel(void) {
  kite_engine_config *cfg = kite_engine_config_new();
  kite_engine_config_set_fuel(cfg, true, 1000);
  kite_engine *e = kite_engine_new(cfg);
  kite_engine_config_free(cfg);
  kite_store *s = kite_store_new(e);
  CHECK(kite_store_fuel(s) == 1000);
  kite_module *m = compile_wat(e, loop_wat);
  kite_error err;
  kite_instance *inst = kite_instance_new(s, m, NULL, &err);
  kite_funcinst *count = kite_instance_export_func(inst, "count");
  kite_val arg = kite_i32(100), res;
  CHECK(kite_call(s, count, &arg, 1, &res, 1, &err) && res.of.i32 == 100);
  uint64_t used = 1000 - kite_store_fuel(s);
  CHECK_MSG(used >= 100 && used <= 102, "used %llu", (unsigned long long)used);
  arg = kite_i32(5000);
  CHECK(!kite_call(s, count, &arg, 1, &res, 1, &err));
  CHECK(err.kind == KITE_ERR_EXHAUSTION && err.code == KITE_TRAP_OUT_OF_FUEL);
  CHECK(strcmp(err.msg, "all fuel consumed") == 0 && kite_store_fuel(s) == 0);
  kite_backtrace_frame fr;
  CHECK(kite_store_backtrace(s, &fr, 1, NULL) == 1 && fr.func_index == 0);
  CHECK(!kite_call(s, count, &arg, 1, &res, 1, &err) && err.code == KITE_TRAP_OUT_OF_FUEL);
  kite_store_set_fuel(s, 10000);
  CHECK(kite_call(s, count, &arg, 1, &res, 1, &err) && res.of.i32 == 5000);
  /* Calls cost fuel too. */
  kite_store_set_fuel(s, 100000);
  arg = kite_i32(100);
  CHECK(kite_call(s, kite_instance_export_func(inst, "calls"), &arg, 1, &res, 1, &err));
  used = 100000 - kite_store_fuel(s);
  CHECK_MSG(used >= 200 && used <= 203, "used %llu", (unsigned long long)used);
  kite_store_set_fuel(s, 50);
  CHECK(!kite_call(s, kite_instance_export_func(inst, "forever"), NULL, 0, NULL, 0, &err));
  CHECK(err.code == KITE_TRAP_OUT_OF_FUEL);
  kite_module_release(m);
  kite_store_free(s);
  kite_engine_free(e);
}

static void *interrupt_later(void *h) {
  struct timespec ts = {0, 20 * 1000 * 1000};
  nanosleep(&ts, NULL);
  kite_interrupt_trigger(h);
  return NULL;
}

static void test_interrupt(void) {
  kite_engine *e = kite_engine_new(NULL);
  kite_store *s = kite_store_new(e);
  kite_module *m = compile_wat(e, loop_wat);
  kite_error err;
  kite_instance *inst = kite_instance_new(s, m, NULL, &err);
  kite_interrupt *h = kite_store_interrupt_handle(s);
  CHECK(h != NULL);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, interrupt_later, h) == 0);
  kite_funcinst *forever = kite_instance_export_func(inst, "forever");
  CHECK(!kite_call(s, forever, NULL, 0, NULL, 0, &err));
  CHECK(err.kind == KITE_ERR_RUNTIME && err.code == KITE_TRAP_INTERRUPTED);
  CHECK(strcmp(err.msg, "interrupted") == 0);
  pthread_join(t, NULL);
  /* The trap cleared the request. */
  kite_val arg = kite_i32(10), res;
  kite_funcinst *count = kite_instance_export_func(inst, "count");
  CHECK(kite_call(s, count, &arg, 1, &res, 1, &err) && res.of.i32 == 10);
  /* A request made while nothing runs interrupts the next call. */
  kite_interrupt_trigger(h);
  CHECK(!kite_call(s, count, &arg, 1, &res, 1, &err) && err.code == KITE_TRAP_INTERRUPTED);
  CHECK(kite_call(s, count, &arg, 1, &res, 1, &err));
  /* The handle outlives the store. */
  kite_interrupt *h2 = kite_store_interrupt_handle(s);
  CHECK(h2 == h);
  kite_interrupt_release(h2);
  kite_module_release(m);
  kite_store_free(s);
  kite_interrupt_trigger(h);
  kite_interrupt_release(h);
  kite_engine_free(e);
}

/* ---- WASI ---- */

static bool host_six(void *data, kite_store *s, const kite_val *args, size_t nargs,
                     kite_val *results, size_t nresults, kite_error *err) {
  (void)data, (void)s, (void)args, (void)nargs, (void)nresults, (void)err;
  results[0] = kite_i32(6);
  return true;
}

static void test_wasi(void) {
  kite_engine *e = kite_engine_new(NULL);
  kite_store *s = kite_store_new(e);
  kite_error err;
  /* A command that writes its second argument and its environment variable to a
     pipe, then exits with status 3. */
  kite_module *m = compile_wat(
      e, "(module\n"
         "  (import \"wasi_snapshot_preview1\" \"fd_write\"\n"
         "    (func $fd_write (param i32 i32 i32 i32) (result i32)))\n"
         "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32)))\n"
         "  (import \"wasi_snapshot_preview1\" \"args_get\" (func $args_get (param i32 i32) "
         "(result i32)))\n"
         "  (import \"env\" \"extra\" (func $extra (result i32)))\n"
         "  (memory (export \"memory\") 1)\n"
         "  (data (i32.const 100) \"hello\\n\")\n"
         "  (func (export \"_start\")\n"
         "    (i32.store (i32.const 0) (i32.const 100))\n"
         "    (i32.store (i32.const 4) (call $extra))\n"
         "    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))\n"
         "    (call $exit (i32.const 3))))");
  int fds[2];
  CHECK(pipe(fds) == 0);
  kite_wasi_options *o = kite_wasi_options_new(e);
  CHECK(kite_wasi_options_arg(o, "prog") && kite_wasi_options_arg(o, "x"));
  CHECK(kite_wasi_options_env(o, "A", "1"));
  kite_wasi_options_stdio(o, -1, fds[1], 2);
  kite_wasi *w = kite_wasi_create(s, o, &err);
  kite_wasi_options_free(o); /* the context keeps copies */
  CHECK(w != NULL);
  int code = -1;
  /* The non-WASI import is missing: LinkError. */
  CHECK(!kite_wasi_run_command(w, s, m, NULL, &code, &err) && err.kind == KITE_ERR_LINK);
  kite_type r = kite_type_of(KITE_I32);
  kite_funcinst *extra = kite_func_create(s, NULL, 0, &r, 1, host_six, NULL, NULL, &err);
  kite_imports *imp = kite_imports_new(s);
  kite_imports_add(imp, "env", "extra", kite_extern_func(extra));
  CHECK(kite_wasi_run_command(w, s, m, imp, &code, &err));
  CHECK(code == 3);
  char buf[16] = {0};
  CHECK(read(fds[0], buf, sizeof buf) == 6 && memcmp(buf, "hello\n", 6) == 0);
  close(fds[0]);
  close(fds[1]);
  kite_imports_free(imp);
  kite_module_release(m);

  /* A reactor: _initialize runs, then exports are called. */
  m = compile_wat(e, "(module (global $g (mut i32) (i32.const 0)) (memory (export \"memory\") 1)"
                     " (func (export \"_initialize\") i32.const 41 global.set $g)"
                     " (func (export \"get\") (result i32) global.get $g i32.const 1 i32.add))");
  kite_instance *inst = kite_wasi_instantiate(w, s, m, NULL, &err);
  CHECK(inst != NULL);
  kite_val res;
  CHECK(kite_call(s, kite_instance_export_func(inst, "get"), NULL, 0, &res, 1, &err));
  CHECK(res.of.i32 == 42);
  kite_module_release(m);

  /* WASI calls from a start function use the memory of the instance being created. */
  int sfd[2];
  CHECK(pipe(sfd) == 0);
  kite_wasi_options *so = kite_wasi_options_new(e);
  kite_wasi_options_stdio(so, -1, sfd[1], 2);
  kite_wasi *sw = kite_wasi_create(s, so, &err);
  kite_wasi_options_free(so);
  CHECK(sw != NULL);
  m = compile_wat(e,
                  "(module (import \"wasi_snapshot_preview1\" \"fd_write\"\n"
                  "  (func $w (param i32 i32 i32 i32) (result i32)))\n"
                  " (memory (export \"memory\") 1) (data (i32.const 16) \"start\\n\")\n"
                  " (global $rc (mut i32) (i32.const -1))\n"
                  " (func $s (i32.store (i32.const 0) (i32.const 16))\n"
                  "  (i32.store (i32.const 4) (i32.const 6))\n"
                  "  (global.set $rc (call $w (i32.const 1) (i32.const 0) (i32.const 1)"
                  " (i32.const 8))))\n"
                  " (start $s) (func (export \"rc\") (result i32) global.get $rc)\n"
                  " (func (export \"say\") (drop (call $w (i32.const 1) (i32.const 0)"
                  " (i32.const 1) (i32.const 8))))\n"
                  " (func (export \"poke\") (i32.store (i32.const 16) (i32.const 0x58585858))))");
  inst = kite_wasi_instantiate(sw, s, m, NULL, &err);
  CHECK(inst != NULL);
  CHECK(kite_call(s, kite_instance_export_func(inst, "rc"), NULL, 0, &res, 1, &err));
  CHECK(res.of.i32 == 0);
  char sbuf[16] = {0};
  CHECK(read(sfd[0], sbuf, sizeof sbuf) == 6 && memcmp(sbuf, "start\n", 6) == 0);
  /* Again with the same context: the new instance's start function writes from its own
     memory, not from the first instance's (changed by poke). */
  CHECK(kite_call(s, kite_instance_export_func(inst, "poke"), NULL, 0, NULL, 0, &err));
  kite_instance *inst2 = kite_wasi_instantiate(sw, s, m, NULL, &err);
  CHECK(inst2 != NULL);
  memset(sbuf, 0, sizeof sbuf);
  CHECK(read(sfd[0], sbuf, sizeof sbuf) == 6 && memcmp(sbuf, "start\n", 6) == 0);
  /* A third instance fails in its start function: the context stays with the second
     instance's memory, not the failed one's. */
  kite_module *bad = compile_wat(
      e, "(module (import \"wasi_snapshot_preview1\" \"fd_write\"\n"
         "  (func $w (param i32 i32 i32 i32) (result i32)))\n"
         " (memory (export \"memory\") 1) (data (i32.const 0) \"\\10\\00\\00\\00\\06\")\n"
         " (data (i32.const 16) \"other\\n\") (func $s unreachable) (start $s))");
  CHECK(kite_wasi_instantiate(sw, s, bad, NULL, &err) == NULL && err.kind == KITE_ERR_RUNTIME);
  kite_module_release(bad);
  CHECK(kite_call(s, kite_instance_export_func(inst2, "say"), NULL, 0, NULL, 0, &err));
  memset(sbuf, 0, sizeof sbuf);
  CHECK(read(sfd[0], sbuf, sizeof sbuf) == 6 && memcmp(sbuf, "start\n", 6) == 0);
  close(sfd[0]);
  close(sfd[1]);
  kite_module_release(m);

  /* A listener and a preopen. */
  o = kite_wasi_options_new(e);
  CHECK(kite_wasi_options_listen(o, "127.0.0.1:0"));
  CHECK(kite_wasi_options_preopen(o, ".", "/work"));
  CHECK(kite_wasi_create(s, o, &err) != NULL);
  kite_wasi_options_free(o);
  o = kite_wasi_options_new(e);
  kite_wasi_options_listen(o, "not an address");
  CHECK(kite_wasi_create(s, o, &err) == NULL && err.kind == KITE_ERR_USAGE);
  kite_wasi_options_free(o);

  /* A preopen that does not exist is reported at creation. */
  o = kite_wasi_options_new(e);
  kite_wasi_options_preopen(o, "/nonexistent/kite/dir", "/");
  CHECK(kite_wasi_create(s, o, &err) == NULL && err.kind == KITE_ERR_IO);
  kite_wasi_options_free(o);
  kite_store_free(s);
  kite_engine_free(e);
}

/* ---- references the host may and may not hold ---- */

static const char *refs_wat =
    "(module\n"
    "  (type $s (struct (field i32)))\n"
    "  (type $ii (func (param i32) (result i32)))\n"
    "  (global $g (export \"g\") (mut anyref) (ref.null any))\n"
    "  (table $t (export \"t\") 2 anyref)\n"
    "  (func (export \"mk\") (result (ref null $s)) (struct.new $s (i32.const 7)))\n"
    "  (func (export \"get\") (param (ref null $s)) (result i32)\n"
    "    (struct.get $s 0 (local.get 0)))\n"
    "  (func (export \"i31\") (result anyref) (ref.i31 (i32.const 5)))\n"
    "  (func (export \"keep\") (param anyref) (result anyref) (local.get 0))\n"
    "  (func (export \"ext\") (param anyref) (result externref)\n"
    "    (extern.convert_any (local.get 0)))\n"
    "  (func (export \"int\") (param externref) (result anyref)\n"
    "    (any.convert_extern (local.get 0)))\n"
    "  (func (export \"store\") (global.set $g (struct.new $s (i32.const 1)))\n"
    "    (table.set $t (i32.const 0) (global.get $g)))\n"
    "  (func $inc (export \"inc\") (type $ii) (i32.add (local.get 0) (i32.const 1)))\n"
    "  (func (export \"noop\"))\n"
    "  (func (export \"call\") (param (ref null $ii)) (param i32) (result i32)\n"
    "    (call_ref $ii (local.get 1) (local.get 0))))";

static void test_gc_refs(void) {
  kite_engine_config *cfg = kite_engine_config_new();
  kite_engine_config_set_features(cfg, KITE_FEATURES_WASM_3_0);
  kite_engine *e = kite_engine_new(cfg);
  kite_engine_config_free(cfg);
  kite_module *m = compile_wat(e, refs_wat);
  CHECK(m != NULL);
  if (!m) {
    kite_engine_free(e);
    return;
  }
  kite_store *s = kite_store_new(e);
  kite_error err;
  kite_instance *inst = kite_instance_new(s, m, NULL, &err);
  kite_module_release(m);
  CHECK(inst != NULL);
  kite_val r, args[2];
  /* A struct goes to the host as a handle, and comes back as itself. */
  CHECK(kite_call(s, kite_instance_export_func(inst, "mk"), NULL, 0, &r, 1, &err));
  CHECK(kite_val_is_heapref(r) && r.type.heap == KITE_HEAP_STRUCT && r.of.heapref != NULL);
  kite_val got;
  CHECK(kite_call(s, kite_instance_export_func(inst, "get"), &r, 1, &got, 1, &err));
  CHECK(got.of.i32 == 7);
  /* Externalised, it is still a handle to the struct, and internalised again, itself. */
  kite_val ext, in;
  CHECK(kite_call(s, kite_instance_export_func(inst, "ext"), &r, 1, &ext, 1, &err));
  CHECK(kite_val_is_heapref(ext) && ext.type.heap == KITE_HEAP_STRUCT);
  CHECK(kite_call(s, kite_instance_export_func(inst, "int"), &ext, 1, &in, 1, &err));
  CHECK(kite_val_is_heapref(in) && in.type.heap == KITE_HEAP_STRUCT);
  CHECK(kite_call(s, kite_instance_export_func(inst, "get"), &in, 1, &got, 1, &err));
  CHECK(got.of.i32 == 7);
  /* A struct handle passed where an externref is expected is that extern.convert_any. */
  CHECK(kite_call(s, kite_instance_export_func(inst, "int"), &r, 1, &in, 1, &err));
  CHECK(kite_call(s, kite_instance_export_func(inst, "get"), &in, 1, &got, 1, &err));
  CHECK(got.of.i32 == 7);
  kite_ref_release(s, in);
  kite_ref_release(s, ext);
  kite_ref_release(s, r);
  /* An i31 externalised reads as the i31, and goes back in as an externref. */
  args[0] = kite_i31ref(9);
  CHECK(kite_call(s, kite_instance_export_func(inst, "ext"), args, 1, &r, 1, &err));
  CHECK(r.type.heap == KITE_HEAP_I31 && r.of.i32 == 9);
  CHECK(kite_call(s, kite_instance_export_func(inst, "int"), &r, 1, &in, 1, &err));
  CHECK(in.type.heap == KITE_HEAP_I31 && in.of.i32 == 9);
  /* An i31 can, both ways: it is a value. */
  CHECK(kite_call(s, kite_instance_export_func(inst, "i31"), NULL, 0, &r, 1, &err));
  CHECK(r.type.kind == KITE_REF && r.type.heap == KITE_HEAP_I31 && !r.type.nullable);
  CHECK(r.of.i32 == 5);
  args[0] = kite_i31ref(-3);
  CHECK(kite_call(s, kite_instance_export_func(inst, "keep"), args, 1, &r, 1, &err));
  CHECK(r.type.heap == KITE_HEAP_I31 && r.of.i32 == -3);
  args[0] = kite_i31ref(0x40000000); /* 31 bits: wraps to the negative end */
  CHECK(kite_call(s, kite_instance_export_func(inst, "keep"), args, 1, &r, 1, &err));
  CHECK(r.of.i32 == -0x40000000);
  args[0] = kite_i31ref(1);
  CHECK(!kite_call(s, kite_instance_export_func(inst, "get"), args, 1, &r, 1, &err));
  CHECK(err.kind == KITE_ERR_USAGE); /* not a struct */
  /* Nor can a function be passed where a struct is expected. */
  args[0] = kite_funcref(kite_instance_export_func(inst, "inc"));
  args[0].type = kite_type_ref(0, true);
  CHECK(!kite_call(s, kite_instance_export_func(inst, "get"), args, 1, &r, 1, &err));
  CHECK(err.kind == KITE_ERR_USAGE);
  args[0].of.func = NULL;
  CHECK(!kite_call(s, kite_instance_export_func(inst, "get"), args, 1, &r, 1, &err));
  CHECK(err.kind == KITE_ERR_RUNTIME && err.code == KITE_TRAP_NULL_REFERENCE);
  /* A typed function reference must hold a function of that type. */
  args[0] = kite_funcref(kite_instance_export_func(inst, "inc"));
  args[0].type = kite_type_ref(1, true);
  args[1] = kite_i32(41);
  CHECK(kite_call(s, kite_instance_export_func(inst, "call"), args, 2, &r, 1, &err));
  CHECK(r.of.i32 == 42);
  args[0].of.func = kite_instance_export_func(inst, "noop");
  CHECK(!kite_call(s, kite_instance_export_func(inst, "call"), args, 2, &r, 1, &err));
  CHECK(err.kind == KITE_ERR_USAGE);
  /* A host value passes through anyref unchanged. */
  int token;
  args[0] = kite_externref(&token);
  args[0].type = kite_type_ref(KITE_HEAP_ANY, true);
  CHECK(kite_call(s, kite_instance_export_func(inst, "keep"), args, 1, &r, 1, &err));
  CHECK(r.of.host == &token);
  /* A global or a table element holding a struct reads as a handle to it. */
  kite_globalinst *g = kite_instance_export_global(inst, "g");
  CHECK(kite_call(s, kite_instance_export_func(inst, "store"), NULL, 0, NULL, 0, &err));
  kite_val gv = kite_global_value(g);
  CHECK(kite_val_is_heapref(gv) && gv.type.heap == KITE_HEAP_STRUCT);
  CHECK(kite_call(s, kite_instance_export_func(inst, "get"), &gv, 1, &got, 1, &err));
  CHECK(got.of.i32 == 1);
  kite_tableinst *t = kite_instance_export_table(inst, "t");
  kite_val elem;
  CHECK(kite_table_read(t, 0, &elem, &err) && kite_val_is_heapref(elem));
  CHECK(kite_call(s, kite_instance_export_func(inst, "get"), &elem, 1, &got, 1, &err));
  CHECK(got.of.i32 == 1);
  kite_ref_release(s, elem);
  kite_ref_release(s, gv);
  kite_val host_elem = kite_externref(&token);
  host_elem.type = kite_type_ref(KITE_HEAP_ANY, true);
  CHECK(kite_table_write(t, 1, host_elem, &err));
  CHECK(kite_table_read(t, 1, &elem, &err) && elem.of.host == &token);
  kite_val fake = kite_funcref(kite_instance_export_func(inst, "inc"));
  fake.type = kite_type_ref(KITE_HEAP_ANY, true);
  fake.of.host = NULL;
  CHECK(kite_global_set_value(g, fake, &err));
  kite_store_free(s);
  kite_engine_free(e);
}

/* ---- handles to GC objects and exceptions ---- */

static const char *handles_wat =
    "(module\n"
    "  (type $s (struct (field (mut i32)) (field i64)))\n"
    "  (type $a (array (mut i32)))\n"
    "  (type $t (struct (field f32)))\n"
    "  (tag $e (param i32))\n"
    "  (global $g (export \"g\") (mut (ref null $s)) (ref.null $s))\n"
    "  (table $tab (export \"tab\") 2 (ref null $s))\n"
    "  (func (export \"mk\") (param i32) (result (ref $s))\n"
    "    (struct.new $s (local.get 0) (i64.const 99)))\n"
    "  (func (export \"get0\") (param (ref null $s)) (result i32)\n"
    "    (struct.get $s 0 (local.get 0)))\n"
    "  (func (export \"get1\") (param (ref null $s)) (result i64)\n"
    "    (struct.get $s 1 (local.get 0)))\n"
    "  (func (export \"mkarr\") (param i32) (result (ref $a))\n"
    "    (array.new $a (i32.const 10) (local.get 0)))\n"
    "  (func (export \"sum\") (param (ref $a)) (result i32) (local $i i32) (local $n i32)\n"
    "    (block $done (loop $l\n"
    "      (br_if $done (i32.ge_u (local.get $i) (array.len (local.get 0))))\n"
    "      (local.set $n (i32.add (local.get $n) (array.get $a (local.get 0) (local.get $i))))\n"
    "      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
    "      (br $l)))\n"
    "    (local.get $n))\n"
    "  (func (export \"mkt\") (result structref) (struct.new $t (f32.const 1)))\n"
    "  (func (export \"eq\") (param eqref) (result eqref) (local.get 0))\n"
    "  (func (export \"arr\") (param arrayref) (result arrayref) (local.get 0))\n"
    "  (func (export \"churn\") (param $n i32)\n"
    "    (loop $l\n"
    "      (drop (array.new_default $a (i32.const 1024)))\n"
    "      (local.set $n (i32.sub (local.get $n) (i32.const 1)))\n"
    "      (br_if $l (local.get $n))))\n"
    "  (func (export \"catch\") (result exnref)\n"
    "    (block $h (result exnref)\n"
    "      (try_table (catch_all_ref $h) (throw $e (i32.const 42)))\n"
    "      (unreachable)))\n"
    "  (func (export \"rethrow\") (param exnref) (result i32)\n"
    "    (block $h (result i32)\n"
    "      (try_table (catch $e $h) (throw_ref (local.get 0)))\n"
    "      (unreachable))))";

typedef struct echo_state {
  kite_val kept; /* echo_host's argument, copied */
  bool copied;
} echo_state;

/* A host function taking a borrowed struct handle: it keeps a copy and returns it. */
static bool echo_host(void *data, kite_store *s, const kite_val *args, size_t nargs,
                      kite_val *results, size_t nresults, kite_error *err) {
  echo_state *st = data;
  (void)nargs;
  (void)nresults;
  st->copied = kite_val_is_heapref(args[0]) && kite_ref_copy(s, args[0], &st->kept, err);
  results[0] = args[0];
  return true;
}

static kite_instance *handles_instance(kite_engine *e, kite_store *s) {
  kite_module *m = compile_wat(e, handles_wat);
  CHECK(m != NULL);
  if (!m) return NULL;
  kite_error err;
  kite_instance *inst = kite_instance_new(s, m, NULL, &err);
  kite_module_release(m);
  CHECK(inst != NULL);
  return inst;
}

static void test_gc_handles(void) {
  kite_engine_config *cfg = kite_engine_config_new();
  kite_engine_config_set_features(cfg, KITE_FEATURES_WASM_3_0);
  kite_engine *e = kite_engine_new(cfg);
  kite_engine_config_free(cfg);
  kite_store *s = kite_store_new(e), *s2 = kite_store_new(e);
  kite_instance *inst = handles_instance(e, s), *inst2 = handles_instance(e, s2);
  if (!inst || !inst2) {
    kite_store_free(s);
    kite_store_free(s2);
    kite_engine_free(e);
    return;
  }
#define F(name) kite_instance_export_func(inst, name)
  kite_error err;
  kite_val st, arr, r, args[2];
  args[0] = kite_i32(1234);
  CHECK(kite_call(s, F("mk"), args, 1, &st, 1, &err));
  CHECK(kite_val_is_heapref(st) && st.type.heap == KITE_HEAP_STRUCT);
  args[0] = kite_i32(7);
  CHECK(kite_call(s, F("mkarr"), args, 1, &arr, 1, &err));
  CHECK(kite_val_is_heapref(arr) && arr.type.heap == KITE_HEAP_ARRAY);
  /* Collect (allocate far past the threshold) while only the host holds them. */
  kite_gc_stats before, after;
  kite_gc_get_stats(s, &before);
  args[0] = kite_i32(4000); /* 4000 arrays of 4 KiB */
  CHECK(kite_call(s, F("churn"), args, 1, NULL, 0, &err));
  kite_gc_get_stats(s, &after);
  CHECK(after.collections > before.collections);
  CHECK(after.objects < 4000);
  CHECK(kite_call(s, F("get0"), &st, 1, &r, 1, &err) && r.of.i32 == 1234);
  CHECK(kite_call(s, F("get1"), &st, 1, &r, 1, &err) && r.of.i64 == 99);
  CHECK(kite_call(s, F("sum"), &arr, 1, &r, 1, &err) && r.of.i32 == 70);
  /* Through abstract types: eqref, arrayref keep the handle's object. */
  CHECK(kite_call(s, F("eq"), &st, 1, &r, 1, &err) && kite_val_is_heapref(r));
  CHECK(r.type.heap == KITE_HEAP_STRUCT && r.of.heapref != st.of.heapref);
  CHECK(kite_call(s, F("get0"), &r, 1, args, 1, &err) && args[0].of.i32 == 1234);
  kite_ref_release(s, r);
  CHECK(kite_call(s, F("arr"), &arr, 1, &r, 1, &err) && r.type.heap == KITE_HEAP_ARRAY);
  kite_ref_release(s, r);
  /* Type mismatches are refused before running. */
  CHECK(!kite_call(s, F("sum"), &st, 1, &r, 1, &err) && err.kind == KITE_ERR_USAGE);
  CHECK(!kite_call(s, F("get0"), &arr, 1, &r, 1, &err) && err.kind == KITE_ERR_USAGE);
  CHECK(!kite_call(s, F("arr"), &st, 1, &r, 1, &err) && err.kind == KITE_ERR_USAGE);
  kite_val other;
  CHECK(kite_call(s, F("mkt"), NULL, 0, &other, 1, &err) && kite_val_is_heapref(other));
  CHECK(!kite_call(s, F("get0"), &other, 1, &r, 1, &err) && err.kind == KITE_ERR_USAGE);
  CHECK(!kite_call(s, F("rethrow"), &other, 1, &r, 1, &err) && err.kind == KITE_ERR_USAGE);
  kite_val ext = st;
  ext.type = kite_type_externref();
  ext.of.host = NULL; /* a null externref is not a struct reference's null either */
  CHECK(!kite_call(s, F("sum"), &ext, 1, &r, 1, &err) && err.kind == KITE_ERR_USAGE);
  /* Another module's struct types match by their canonical (structural) type. */
  kite_module *m3 = compile_wat(e, "(module (type $s (struct (field (mut i32)) (field i64)))\n"
                                   " (type $u (struct (field i32) (field i64)))\n"
                                   " (func (export \"same\") (param (ref $s)) (result i32)\n"
                                   "   (struct.get $s 0 (local.get 0)))\n"
                                   " (func (export \"other\") (param (ref $u)) (result i32)\n"
                                   "   (struct.get $u 0 (local.get 0))))");
  CHECK(m3 != NULL);
  kite_instance *inst3 = m3 ? kite_instance_new(s, m3, NULL, &err) : NULL;
  kite_module_release(m3);
  CHECK(inst3 != NULL);
  if (inst3) {
    CHECK(kite_call(s, kite_instance_export_func(inst3, "same"), &st, 1, &r, 1, &err));
    CHECK(r.of.i32 == 1234);
    CHECK(!kite_call(s, kite_instance_export_func(inst3, "other"), &st, 1, &r, 1, &err));
    CHECK(err.kind == KITE_ERR_USAGE);
  }
  /* Globals and tables: set from the host, checked by type, read back. */
  kite_globalinst *g = kite_instance_export_global(inst, "g");
  CHECK(kite_global_set_value(g, st, &err));
  CHECK(!kite_global_set_value(g, arr, &err) && err.kind == KITE_ERR_USAGE);
  CHECK(!kite_global_set_value(g, other, &err) && err.kind == KITE_ERR_USAGE);
  r = kite_global_value(g);
  CHECK(kite_val_is_heapref(r));
  CHECK(kite_call(s, F("get0"), &r, 1, args, 1, &err) && args[0].of.i32 == 1234);
  kite_ref_release(s, r);
  kite_tableinst *tab = kite_instance_export_table(inst, "tab");
  CHECK(kite_table_write(tab, 1, st, &err));
  CHECK(!kite_table_write(tab, 0, arr, &err) && err.kind == KITE_ERR_USAGE);
  CHECK(kite_table_read(tab, 1, &r, &err) && kite_val_is_heapref(r));
  CHECK(kite_call(s, F("get1"), &r, 1, args, 1, &err) && args[0].of.i64 == 99);
  kite_ref_release(s, r);
  /* A handle of another store is refused, and so is a released one. */
  CHECK(!kite_call(s2, kite_instance_export_func(inst2, "get0"), &st, 1, &r, 1, &err));
  CHECK(err.kind == KITE_ERR_USAGE);
  CHECK(!kite_global_set_value(kite_instance_export_global(inst2, "g"), st, &err));
  CHECK(err.kind == KITE_ERR_USAGE);
  kite_val copy;
  CHECK(kite_ref_copy(s, other, &copy, &err) && copy.of.heapref != other.of.heapref);
  kite_ref_release(s, other);
  CHECK(!kite_call(s, F("get0"), &other, 1, &r, 1, &err) && err.kind == KITE_ERR_USAGE);
  kite_ref_release(s, other); /* twice: nothing */
  kite_ref_release(s2, copy); /* another store's: nothing */
  /* Exceptions: an exnref from a caught exception, rethrown from the host's handle. */
  kite_val ex;
  CHECK(kite_call(s, F("catch"), NULL, 0, &ex, 1, &err));
  CHECK(kite_val_is_heapref(ex) && ex.type.heap == KITE_HEAP_EXN);
  args[0] = kite_i32(400);
  CHECK(kite_call(s, F("churn"), args, 1, NULL, 0, &err));
  CHECK(kite_call(s, F("rethrow"), &ex, 1, &r, 1, &err) && r.of.i32 == 42);
  CHECK(!kite_call(s, F("get0"), &ex, 1, &r, 1, &err) && err.kind == KITE_ERR_USAGE);
  CHECK(!kite_call(s2, kite_instance_export_func(inst2, "rethrow"), &ex, 1, &r, 1, &err));
  CHECK(err.kind == KITE_ERR_USAGE);
  kite_ref_release(s, ex);
  /* A host function gets borrowed handles (kite_ref_copy keeps one) and may return them. */
  kite_type sref = kite_type_ref(KITE_HEAP_STRUCT, true);
  echo_state echoed = {kite_i32(0), false};
  kite_funcinst *echo = kite_func_create(s, &sref, 1, &sref, 1, echo_host, &echoed, NULL, &err);
  CHECK(echo != NULL);
  CHECK(kite_call(s, echo, &st, 1, &r, 1, &err) && kite_val_is_heapref(r));
  CHECK(echoed.copied && kite_val_is_heapref(echoed.kept));
  CHECK(kite_call(s, F("get0"), &r, 1, args, 1, &err) && args[0].of.i32 == 1234);
  CHECK(kite_call(s, F("get0"), &echoed.kept, 1, args, 1, &err) && args[0].of.i32 == 1234);
  kite_ref_release(s, r);
  kite_ref_release(s, echoed.kept);
  /* The argument is checked against the host function's type, and so is its result. */
  CHECK(!kite_call(s, echo, &arr, 1, &r, 1, &err) && err.kind == KITE_ERR_USAGE);
  kite_type aref = kite_type_ref(KITE_HEAP_ARRAY, true);
  kite_funcinst *bad = kite_func_create(s, &aref, 1, &sref, 1, echo_host, &echoed, NULL, &err);
  CHECK(bad != NULL);
  CHECK(!kite_call(s, bad, &arr, 1, &r, 1, &err));
  CHECK(err.kind == KITE_ERR_RUNTIME && err.code == KITE_TRAP_HOST);
  CHECK(echoed.copied);
  kite_ref_release(s, echoed.kept);
  /* Released handles no longer keep their objects: after a collection only what the
     host still holds (st, arr, copy, and the global's and table's struct) is left. */
  kite_ref_release(s, arr);
  args[0] = kite_i32(4000);
  CHECK(kite_call(s, F("churn"), args, 1, NULL, 0, &err));
  CHECK(kite_call(s, F("get0"), &st, 1, &r, 1, &err) && r.of.i32 == 1234);
  CHECK(kite_call(s, F("sum"), &arr, 1, &r, 1, &err) == false && err.kind == KITE_ERR_USAGE);
  /* Many handles: each stays found among the others while some are released. */
  enum { MANY = 3000 };
  kite_val *many = calloc(MANY, sizeof *many);
  CHECK(many != NULL);
  int copied = 0;
  for (int i = 0; many && i < MANY; i++) copied += kite_ref_copy(s, st, &many[i], &err);
  CHECK(copied == MANY);
  for (int i = 0; many && i < MANY; i += 2) kite_ref_release(s, many[i]);
  int found = 0, refused = 0;
  for (int i = 0; many && i < MANY; i++) {
    kite_val again;
    if (kite_ref_copy(s, many[i], &again, &err)) {
      found += i % 2;
      kite_ref_release(s, again);
    } else {
      refused += err.kind == KITE_ERR_USAGE && i % 2 == 0;
    }
  }
  CHECK(found == MANY / 2 && refused == MANY / 2);
  for (int i = 1; many && i < MANY; i += 2) kite_ref_release(s, many[i]);
  CHECK(kite_call(s, F("get0"), &st, 1, &r, 1, &err) && r.of.i32 == 1234);
  free(many);
  /* st and copy are left to the store to free. */
#undef F
  kite_store_free(s);
  kite_store_free(s2);
  kite_engine_free(e);
}

/* Every allocation failure while making, copying and storing handles is KITE_ERR_OOM,
   and nothing leaks. */
static void test_handle_allocation_failures(void) {
  int succeeded_at = 0, bad = 0;
  for (uint64_t n = 0; n < 100 && !succeeded_at; n++) {
    failing f = {0, 0, UINT64_MAX};
    kite_engine_config *cfg = kite_engine_config_new();
    kite_engine_config_set_allocator(cfg, failing_alloc, &f, 0);
    kite_engine_config_set_features(cfg, KITE_FEATURES_WASM_3_0);
    kite_engine *e = kite_engine_new(cfg);
    kite_engine_config_free(cfg);
    kite_store *s = kite_store_new(e);
    kite_instance *inst = handles_instance(e, s);
    if (!inst) {
      kite_store_free(s);
      kite_engine_free(e);
      break;
    }
    f.fail_from = f.calls + n + 1; /* from here on, allocation n fails */
    kite_error err;
    kite_val st, copy, r, ex, arg = kite_i32(5);
    bool ok = kite_call(s, kite_instance_export_func(inst, "mk"), &arg, 1, &st, 1, &err);
    if (ok) {
      CHECK(kite_val_is_heapref(st));
      ok = kite_ref_copy(s, st, &copy, &err);
      if (ok) {
        ok = kite_global_set_value(kite_instance_export_global(inst, "g"), copy, &err);
        kite_ref_release(s, copy);
      }
      if (ok) {
        r = kite_global_value(kite_instance_export_global(inst, "g"));
        ok = kite_val_is_heapref(r); /* null when the handle could not be made */
        if (!ok) err.kind = KITE_ERR_OOM;
        kite_ref_release(s, r);
      }
      if (ok) ok = kite_call(s, kite_instance_export_func(inst, "catch"), NULL, 0, &ex, 1, &err);
      if (ok) kite_ref_release(s, ex);
      if (n % 2) kite_ref_release(s, st); /* else the store frees it */
    }
    if (!ok && err.kind != KITE_ERR_OOM) {
      bad++;
      fprintf(stderr, "handle allocation %llu: %s\n", (unsigned long long)n, err.msg);
    }
    kite_store_free(s);
    kite_engine_free(e);
    if (f.live != 0) {
      bad++;
      fprintf(stderr, "handle allocation %llu: %zu bytes leaked\n", (unsigned long long)n, f.live);
    }
    if (ok) succeeded_at = (int)n;
  }
  CHECK_MSG(succeeded_at > 2, "succeeded at allocation %d", succeeded_at);
  CHECK_MSG(bad == 0, "%d bad outcomes", bad);
}

int main(void) {
  test_errors();
  test_config();
  test_allocator();
  test_compile_threads();
  test_allocation_failures();
  test_introspection();
  test_streaming();
  test_wat2wasm();
  test_calls();
  test_host_failure();
  test_objects();
  test_instantiate_bytes();
  test_fuel();
  test_interrupt();
  test_wasi();
  test_gc_refs();
  test_gc_handles();
  test_handle_allocation_failures();
  return test_finish("test_api");
}
