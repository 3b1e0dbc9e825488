/*
** test_exec.c: the interpreter, instruction family by instruction family, on modules
** built as bytes: results, traps and their messages, calls, recursion limits.
*/
#include <math.h>
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

static kite_engine *engine;
static kite_store *store;
static kite_module *modules[1024];
static int nmodules;

static kite_module *load(uint8_t *bytes, size_t n) {
  kite_error err;
  kite_error_clear(&err);
  kite_module *m = kite_decode(kite_engine_alloc(engine), bytes, n, KITE_FEATURES_2_0, NULL, &err);
  free(bytes);
  CHECK_MSG(m != NULL, "decode: %s", err.msg);
  if (m && !kite_validate_module(m, KITE_FEATURES_2_0, &err)) {
    CHECK_MSG(false, "validate: %s at %llu", err.msg, (unsigned long long)err.offset);
    kite_module_free(m);
    return NULL;
  }
  if (m && nmodules < 1024) modules[nmodules++] = m;
  return m;
}

static kite_instance *instantiate(kite_module *m, const kite_extern *imports, uint32_t n,
                                  kite_error *err) {
  kite_error_clear(err);
  if (!m) return NULL;
  return kite_instantiate(store, m, imports, n, err);
}

static kite_funcinst *export_func(kite_instance *inst, const char *name) {
  kite_extern x;
  if (!inst || !kite_instance_export(inst, name, strlen(name), &x) || x.kind != KITE_EXTERN_FUNC)
    return NULL;
  return x.u.func;
}

/* A module with one exported function "f". */
static kite_funcinst *func1(const char *params, const char *results, const char *locals,
                            const uint8_t *body, size_t n) {
  wb_module M;
  wb_init(&M);
  wb_memory(&M, 1, 2);
  uint32_t t = wb_type(&M, params, results);
  uint32_t f = wb_func(&M, t, locals, body, n);
  wb_export(&M, "f", 0, f);
  size_t len;
  uint8_t *b = wb_finish(&M, &len);
  kite_error err;
  kite_instance *inst = instantiate(load(b, len), NULL, 0, &err);
  CHECK_MSG(inst != NULL, "instantiate: %s", err.msg);
  return export_func(inst, "f");
}

static kite_value call1(kite_funcinst *f, const kite_value *args, uint32_t nargs,
                        kite_error *err) {
  kite_value r[4];
  memset(r, 0, sizeof r);
  kite_error_clear(err);
  if (!f) {
    err->kind = KITE_ERR_USAGE;
    return r[0];
  }
  kite_func_call(store, f, args, nargs, r, f->type->nresults, err);
  return r[0];
}

/* ---- i32/i64 binary and unary operators, operands from locals and constants ---- */

static kite_funcinst *binop(char t, uint8_t op) {
  char params[3] = {t, t, 0}, res[2] = {t, 0};
  return func1(params, res, "", WB_CODE(0x20, 0, 0x20, 1, op));
}

static void check_i32(uint8_t op, uint32_t a, uint32_t b, uint32_t want) {
  kite_funcinst *f = binop('i', op);
  kite_value args[2] = {kite_val_i32(a), kite_val_i32(b)};
  kite_error err;
  kite_value r = call1(f, args, 2, &err);
  CHECK_MSG(err.kind == KITE_OK && r.u.i32 == want, "op 0x%02x(%u, %u) = %u, want %u (%s)", op,
            a, b, r.u.i32, want, err.msg);
}

static void check_i64(uint8_t op, uint64_t a, uint64_t b, uint64_t want) {
  kite_funcinst *f = binop('I', op);
  kite_value args[2] = {kite_val_i64(a), kite_val_i64(b)};
  kite_error err;
  kite_value r = call1(f, args, 2, &err);
  CHECK_MSG(err.kind == KITE_OK && r.u.i64 == want, "op 0x%02x(%llu, %llu) = %llu, want %llu (%s)",
            op, (unsigned long long)a, (unsigned long long)b, (unsigned long long)r.u.i64,
            (unsigned long long)want, err.msg);
}

static void check_trap(kite_funcinst *f, const kite_value *args, uint32_t n, const char *msg) {
  kite_error err;
  call1(f, args, n, &err);
  CHECK_MSG(err.kind == KITE_ERR_RUNTIME && strcmp(err.msg, msg) == 0, "want trap '%s', got %d '%s'",
            msg, err.kind, err.msg);
}

static void test_integers(void) {
  check_i32(0x6A, 1, 2, 3);
  check_i32(0x6A, 0xFFFFFFFF, 1, 0);
  check_i32(0x6B, 1, 2, 0xFFFFFFFF);
  check_i32(0x6C, 0x10000, 0x10000, 0);
  check_i32(0x6D, (uint32_t)-7, 2, (uint32_t)-3);
  check_i32(0x6E, (uint32_t)-7, 2, 0x7FFFFFFC);
  check_i32(0x6F, (uint32_t)-7, 2, (uint32_t)-1);
  check_i32(0x6F, 0x80000000u, 0xFFFFFFFFu, 0); /* INT_MIN % -1 */
  check_i32(0x70, 7, 4, 3);
  check_i32(0x74, 1, 33, 2); /* shift count modulo 32 */
  check_i32(0x75, 0x80000000u, 31, 0xFFFFFFFFu);
  check_i32(0x76, 0x80000000u, 63, 1);
  check_i32(0x77, 0x80000001u, 1, 3);
  check_i32(0x78, 3, 1, 0x80000001u);
  check_i32(0x48, (uint32_t)-1, 0, 1);
  check_i32(0x49, (uint32_t)-1, 0, 0);
  check_i64(0x7C, UINT64_MAX, 2, 1);
  check_i64(0x7F, (uint64_t)-9, 2, (uint64_t)-4);
  check_i64(0x81, 0x8000000000000000ull, UINT64_MAX, 0);
  check_i64(0x86, 1, 65, 2);
  check_i64(0x87, 0x8000000000000000ull, 63, UINT64_MAX);
  check_i64(0x89, 0x8000000000000001ull, 1, 3);
  check_i64(0x8A, 1, 1, 0x8000000000000000ull);

  kite_value a[2] = {kite_val_i32(1), kite_val_i32(0)};
  check_trap(binop('i', 0x6D), a, 2, "integer divide by zero");
  check_trap(binop('i', 0x70), a, 2, "integer divide by zero");
  kite_value o[2] = {kite_val_i32(0x80000000u), kite_val_i32(0xFFFFFFFFu)};
  check_trap(binop('i', 0x6D), o, 2, "integer overflow");
  kite_value o64[2] = {kite_val_i64(0x8000000000000000ull), kite_val_i64(UINT64_MAX)};
  check_trap(binop('I', 0x7F), o64, 2, "integer overflow");

  /* unary: clz ctz popcnt eqz, extend8_s */
  kite_error err;
  kite_value x = kite_val_i32(0x00F0);
  CHECK(call1(func1("i", "i", "", WB_CODE(0x20, 0, 0x67)), &x, 1, &err).u.i32 == 24);
  CHECK(call1(func1("i", "i", "", WB_CODE(0x20, 0, 0x68)), &x, 1, &err).u.i32 == 4);
  CHECK(call1(func1("i", "i", "", WB_CODE(0x20, 0, 0x69)), &x, 1, &err).u.i32 == 4);
  x = kite_val_i32(0);
  CHECK(call1(func1("i", "i", "", WB_CODE(0x20, 0, 0x67)), &x, 1, &err).u.i32 == 32);
  x = kite_val_i32(0x80);
  CHECK(call1(func1("i", "i", "", WB_CODE(0x20, 0, 0xC0)), &x, 1, &err).u.i32 == 0xFFFFFF80u);
  kite_value y = kite_val_i64(0);
  CHECK(call1(func1("I", "I", "", WB_CODE(0x20, 0, 0x79)), &y, 1, &err).u.i64 == 64);
  y = kite_val_i64(0xFFFFFFFFull);
  CHECK(call1(func1("I", "I", "", WB_CODE(0x20, 0, 0xC4)), &y, 1, &err).u.i64 == UINT64_MAX);
  /* constants folded into operands: (i32.const 10) - x */
  x = kite_val_i32(3);
  CHECK(call1(func1("i", "i", "", WB_CODE(0x41, 10, 0x20, 0, 0x6B)), &x, 1, &err).u.i32 == 7);
  /* i64.extend_i32_s, i32.wrap_i64 */
  x = kite_val_i32(0xFFFFFFFEu);
  CHECK(call1(func1("i", "I", "", WB_CODE(0x20, 0, 0xAC)), &x, 1, &err).u.i64 == (uint64_t)-2);
  CHECK(call1(func1("i", "I", "", WB_CODE(0x20, 0, 0xAD)), &x, 1, &err).u.i64 == 0xFFFFFFFEull);
  y = kite_val_i64(0x123456789ull);
  CHECK(call1(func1("I", "i", "", WB_CODE(0x20, 0, 0xA7)), &y, 1, &err).u.i32 == 0x23456789u);
}

/* ---- floats ---- */

static uint32_t fbits(float f) {
  uint32_t b;
  memcpy(&b, &f, 4);
  return b;
}
static uint64_t dbits(double d) {
  uint64_t b;
  memcpy(&b, &d, 8);
  return b;
}

static uint32_t f32op(uint8_t op, float a, float b) {
  kite_value args[2] = {kite_val_f32_bits(fbits(a)), kite_val_f32_bits(fbits(b))};
  kite_error err;
  return call1(func1("ff", "f", "", WB_CODE(0x20, 0, 0x20, 1, op)), args, 2, &err).u.f32;
}
static uint32_t f32un(uint8_t op, float a) {
  kite_value args[1] = {kite_val_f32_bits(fbits(a))};
  kite_error err;
  return call1(func1("f", "f", "", WB_CODE(0x20, 0, op)), args, 1, &err).u.f32;
}
static uint64_t f64op(uint8_t op, double a, double b) {
  kite_value args[2] = {kite_val_f64_bits(dbits(a)), kite_val_f64_bits(dbits(b))};
  kite_error err;
  return call1(func1("FF", "F", "", WB_CODE(0x20, 0, 0x20, 1, op)), args, 2, &err).u.f64;
}

static void test_floats(void) {
  CHECK(f32op(0x92, 1.5f, 2.25f) == fbits(3.75f));
  CHECK(f32op(0x96, -0.0f, 0.0f) == 0x80000000u); /* min(-0, +0) = -0 */
  CHECK(f32op(0x96, 0.0f, -0.0f) == 0x80000000u);
  CHECK(f32op(0x97, -0.0f, 0.0f) == 0);           /* max(-0, +0) = +0 */
  CHECK((f32op(0x96, NAN, 1.0f) & 0x7FC00000u) == 0x7FC00000u);
  CHECK((f32op(0x97, 1.0f, NAN) & 0x7FC00000u) == 0x7FC00000u);
  CHECK(f32op(0x98, 1.0f, -2.0f) == fbits(-1.0f)); /* copysign */
  CHECK(f32un(0x90, 2.5f) == fbits(2.0f));         /* nearest: half to even */
  CHECK(f32un(0x90, 3.5f) == fbits(4.0f));
  CHECK(f32un(0x90, -0.5f) == fbits(-0.0f));
  CHECK(f32un(0x8C, 0.0f) == 0x80000000u); /* neg flips the sign bit only */
  {
    kite_value a = kite_val_f32_bits(0x7FA00001u); /* a signalling NaN: neg/abs keep payload */
    kite_error err;
    CHECK(call1(func1("f", "f", "", WB_CODE(0x20, 0, 0x8C)), &a, 1, &err).u.f32 == 0xFFA00001u);
    CHECK(call1(func1("f", "f", "", WB_CODE(0x20, 0, 0x8B)), &a, 1, &err).u.f32 == 0x7FA00001u);
  }
  CHECK(f64op(0xA4, -0.0, 0.0) == 0x8000000000000000ull);
  CHECK(f64op(0xA5, -0.0, 0.0) == 0);
  CHECK(f64op(0xA3, 1.0, 4.0) == dbits(0.25));

  /* trapping conversions check the range before converting */
  kite_funcinst *t = func1("f", "i", "", WB_CODE(0x20, 0, 0xA8)); /* i32.trunc_f32_s */
  kite_value v = kite_val_f32_bits(fbits(2147483648.0f));
  check_trap(t, &v, 1, "integer overflow");
  v = kite_val_f32_bits(fbits(NAN));
  check_trap(t, &v, 1, "invalid conversion to integer");
  v = kite_val_f32_bits(fbits(-2147483648.0f));
  kite_error err;
  CHECK(call1(t, &v, 1, &err).u.i32 == 0x80000000u);
  kite_funcinst *tu = func1("F", "i", "", WB_CODE(0x20, 0, 0xAB)); /* i32.trunc_f64_u */
  kite_value d = kite_val_f64_bits(dbits(-0.9));
  CHECK(call1(tu, &d, 1, &err).u.i32 == 0 && err.kind == KITE_OK);
  d = kite_val_f64_bits(dbits(-1.0));
  check_trap(tu, &d, 1, "integer overflow");
  /* saturating */
  kite_funcinst *sat = func1("F", "I", "", WB_CODE(0x20, 0, 0xFC, 0x06)); /* i64.trunc_sat_f64_s */
  d = kite_val_f64_bits(dbits(1e30));
  CHECK(call1(sat, &d, 1, &err).u.i64 == 0x7FFFFFFFFFFFFFFFull);
  d = kite_val_f64_bits(dbits(-1e30));
  CHECK(call1(sat, &d, 1, &err).u.i64 == 0x8000000000000000ull);
  d = kite_val_f64_bits(dbits(NAN));
  CHECK(call1(sat, &d, 1, &err).u.i64 == 0);
  /* u64 -> f32 rounds once */
  kite_value u = kite_val_i64(0xFFFFFFFFFFFFFFFFull);
  CHECK(call1(func1("I", "f", "", WB_CODE(0x20, 0, 0xB5)), &u, 1, &err).u.f32 ==
        fbits(18446744073709551616.0f));
}

/* ---- control flow ---- */

static void test_control(void) {
  kite_error err;
  /* factorial with a loop: local 1 = acc */
  kite_funcinst *fac = func1("I", "I", "I",
                             WB_CODE(0x42, 1, 0x21, 1,                  /* acc = 1 */
                                     0x02, 0x40, 0x03, 0x40,            /* block loop */
                                     0x20, 0, 0x50, 0x0D, 1,            /* br_if 1 (n == 0) */
                                     0x20, 1, 0x20, 0, 0x7E, 0x21, 1,   /* acc *= n */
                                     0x20, 0, 0x42, 1, 0x7D, 0x21, 0,   /* n -= 1 */
                                     0x0C, 0, 0x0B, 0x0B,               /* br 0 end end */
                                     0x20, 1));
  kite_value n = kite_val_i64(20);
  CHECK(call1(fac, &n, 1, &err).u.i64 == 2432902008176640000ull);

  /* if/else with a result */
  kite_funcinst *sel = func1("i", "i", "",
                             WB_CODE(0x20, 0, 0x04, 0x7F, 0x41, 10, 0x05, 0x41, 20, 0x0B));
  kite_value c = kite_val_i32(1);
  CHECK(call1(sel, &c, 1, &err).u.i32 == 10);
  c = kite_val_i32(0);
  CHECK(call1(sel, &c, 1, &err).u.i32 == 20);

  /* br_table: 0 -> 100, 1 -> 101, else 102 */
  kite_funcinst *sw = func1("i", "i", "",
                            WB_CODE(0x02, 0x40, 0x02, 0x40, 0x02, 0x40,
                                    0x20, 0, 0x0E, 2, 0, 1, 2, 0x0B,
                                    0x41, 0xE4, 0x00, 0x0F, 0x0B,
                                    0x41, 0xE5, 0x00, 0x0F, 0x0B,
                                    0x41, 0xE6, 0x00));
  for (uint32_t i = 0; i < 4; i++) {
    kite_value a = kite_val_i32(i);
    CHECK(call1(sw, &a, 1, &err).u.i32 == (i < 2 ? 100 + i : 102));
  }
  /* br_table carrying a value to blocks with results */
  kite_funcinst *swv = func1("i", "i", "",
                             WB_CODE(0x02, 0x7F, 0x02, 0x7F,
                                     0x41, 7, 0x20, 0, 0x0E, 1, 0, 1, 0x0B,
                                     0x41, 1, 0x6A, 0x0B));
  kite_value a0 = kite_val_i32(0), a1 = kite_val_i32(5);
  CHECK(call1(swv, &a0, 1, &err).u.i32 == 8);
  CHECK(call1(swv, &a1, 1, &err).u.i32 == 7);

  /* local.get x; ... local.set x inside a block must not change the earlier read */
  kite_funcinst *keep = func1("i", "i", "",
                              WB_CODE(0x20, 0, 0x02, 0x40, 0x41, 5, 0x21, 0, 0x0B,
                                      0x20, 0, 0x6A)); /* old x + 5 */
  kite_value k = kite_val_i32(3);
  CHECK(call1(keep, &k, 1, &err).u.i32 == 8);
  /* local.get 0; local.get 1; local.set 0 ; result uses the old value */
  kite_funcinst *swap = func1("ii", "i", "",
                              WB_CODE(0x20, 0, 0x20, 1, 0x21, 0, 0x20, 0, 0x6B));
  kite_value sa[2] = {kite_val_i32(10), kite_val_i32(3)};
  CHECK(call1(swap, sa, 2, &err).u.i32 == 7);
  /* return of locals in swapped order: (local.get 1) (local.get 0) */
  kite_funcinst *rsw = func1("ii", "ii", "", WB_CODE(0x20, 1, 0x20, 0, 0x0F));
  kite_value r2[2];
  kite_error_clear(&err);
  CHECK(kite_func_call(store, rsw, sa, 2, r2, 2, &err));
  CHECK(r2[0].u.i32 == 3 && r2[1].u.i32 == 10);
  /* result forwarding into a local, then tee */
  kite_funcinst *tee = func1("i", "i", "i",
                             WB_CODE(0x20, 0, 0x41, 1, 0x6A, 0x22, 1, 0x20, 1, 0x6C));
  kite_value t = kite_val_i32(4);
  CHECK(call1(tee, &t, 1, &err).u.i32 == 25);
  /* select */
  kite_funcinst *s3 = func1("iii", "i", "", WB_CODE(0x20, 0, 0x20, 1, 0x20, 2, 0x1B));
  kite_value sv[3] = {kite_val_i32(1), kite_val_i32(2), kite_val_i32(0)};
  CHECK(call1(s3, sv, 3, &err).u.i32 == 2);
  sv[2] = kite_val_i32(7);
  CHECK(call1(s3, sv, 3, &err).u.i32 == 1);
  /* unreachable */
  check_trap(func1("", "", "", WB_CODE(0x00)), NULL, 0, "unreachable");
  /* br_if with a value to a block result, condition false then true */
  kite_funcinst *bri = func1("i", "i", "",
                             WB_CODE(0x02, 0x7F, 0x41, 42, 0x20, 0, 0x0D, 0, 0x1A, 0x41, 9, 0x0B));
  kite_value z = kite_val_i32(0), o = kite_val_i32(1);
  CHECK(call1(bri, &z, 1, &err).u.i32 == 9);
  CHECK(call1(bri, &o, 1, &err).u.i32 == 42);
  /* loop with a parameter (multi-value block type via type index) */
}

/* ---- calls, recursion, host functions ---- */

static bool host_add(void *env, kite_store *s, const kite_value *args, uint32_t nargs,
                     kite_value *results, uint32_t nresults, kite_error *err) {
  (void)env;
  (void)s;
  (void)nargs;
  (void)nresults;
  if (args[0].u.i32 == 99)
    return kite_fail(err, KITE_ERR_RUNTIME, KITE_TRAP_HOST, 0, "host says no");
  results[0].u.i32 = args[0].u.i32 + args[1].u.i32;
  return true;
}

static void test_calls(void) {
  kite_error err;
  /* recursive fib */
  {
    wb_module M;
    wb_init(&M);
    uint32_t t = wb_type(&M, "i", "i");
    uint32_t f = wb_func(&M, t, "",
                         WB_CODE(0x20, 0, 0x41, 2, 0x49, 0x04, 0x7F, 0x20, 0, 0x05,
                                 0x20, 0, 0x41, 1, 0x6B, 0x10, 0,
                                 0x20, 0, 0x41, 2, 0x6B, 0x10, 0, 0x6A, 0x0B));
    wb_export(&M, "fib", 0, f);
    size_t len;
    uint8_t *b = wb_finish(&M, &len);
    kite_instance *inst = instantiate(load(b, len), NULL, 0, &err);
    kite_value n = kite_val_i32(20);
    CHECK(call1(export_func(inst, "fib"), &n, 1, &err).u.i32 == 6765);
  }
  /* unbounded recursion: call stack exhausted, and the store stays usable */
  {
    kite_funcinst *inf = func1("", "", "", WB_CODE(0x10, 0));
    call1(inf, NULL, 0, &err);
    CHECK_MSG(err.kind == KITE_ERR_EXHAUSTION && strcmp(err.msg, "call stack exhausted") == 0,
              "got %d %s", err.kind, err.msg);
    CHECK(kite_store_trace(store)->depth > 1000);
    kite_funcinst *inf2 = func1("I", "I", "IIII", WB_CODE(0x20, 0, 0x10, 0));
    kite_value v = kite_val_i64(1);
    call1(inf2, &v, 1, &err);
    CHECK(err.kind == KITE_ERR_EXHAUSTION);
    kite_value a[2] = {kite_val_i32(2), kite_val_i32(3)};
    CHECK(call1(binop('i', 0x6A), a, 2, &err).u.i32 == 5);
  }
  /* host import, called from wasm; a host trap carries its message */
  {
    kite_valtype ii[2] = {kite_vt(KITE_VT_I32), kite_vt(KITE_VT_I32)};
    kite_functype ft = {2, 1, ii, ii};
    kite_funcinst *h = kite_func_new_host(store, &ft, host_add, NULL, &err);
    CHECK(h != NULL);
    wb_module M;
    wb_init(&M);
    uint32_t t = wb_type(&M, "ii", "i");
    uint32_t imp = wb_import_func(&M, "env", "add", t);
    uint32_t f = wb_func(&M, t, "", WB_CODE(0x20, 0, 0x20, 1, 0x10, (uint8_t)imp, 0x41, 1, 0x6A));
    wb_export(&M, "f", 0, f);
    size_t len;
    uint8_t *b = wb_finish(&M, &len);
    kite_extern x = {KITE_EXTERN_FUNC, {.func = h}};
    kite_instance *inst = instantiate(load(b, len), &x, 1, &err);
    CHECK_MSG(inst != NULL, "%s", err.msg);
    kite_value a[2] = {kite_val_i32(20), kite_val_i32(22)};
    CHECK(call1(export_func(inst, "f"), a, 2, &err).u.i32 == 43);
    a[0] = kite_val_i32(99);
    check_trap(export_func(inst, "f"), a, 2, "host says no");
    /* a wrong import type is a link error */
    wb_init(&M);
    t = wb_type(&M, "i", "i");
    wb_import_func(&M, "env", "add", t);
    b = wb_finish(&M, &len);
    inst = instantiate(load(b, len), &x, 1, &err);
    CHECK(inst == NULL && err.kind == KITE_ERR_LINK &&
          strcmp(err.msg, "incompatible import type") == 0);
  }
  /* call_indirect: ok, type mismatch, undefined and uninitialized elements */
  {
    wb_module M;
    wb_init(&M);
    uint32_t ti = wb_type(&M, "", "i");
    uint32_t tI = wb_type(&M, "", "I");
    uint32_t tc = wb_type(&M, "i", "i");
    uint32_t f0 = wb_func(&M, ti, "", WB_CODE(0x41, 11));
    uint32_t f1 = wb_func(&M, tI, "", WB_CODE(0x42, 12));
    uint32_t f2 = wb_func(&M, tc, "", WB_CODE(0x20, 0, 0x11, (uint8_t)ti, 0));
    wb_table(&M, 'r', 4, -1);
    uint32_t el[2] = {f0, f1};
    wb_elem(&M, 0, el, 2);
    wb_export(&M, "ci", 0, f2);
    size_t len;
    uint8_t *b = wb_finish(&M, &len);
    kite_instance *inst = instantiate(load(b, len), NULL, 0, &err);
    kite_funcinst *ci = export_func(inst, "ci");
    kite_value i = kite_val_i32(0);
    CHECK(call1(ci, &i, 1, &err).u.i32 == 11);
    i = kite_val_i32(1);
    check_trap(ci, &i, 1, "indirect call type mismatch");
    i = kite_val_i32(2);
    check_trap(ci, &i, 1, "uninitialized element 2");
    i = kite_val_i32(4);
    check_trap(ci, &i, 1, "undefined element");
    /* the backtrace names the function and offset */
    const kite_trace *tr = kite_store_trace(store);
    CHECK(tr->nframes == 1 && tr->frames[0].func_index == f2 && tr->frames[0].offset > 0);
  }
}

/* ---- memory ---- */

static void test_memory(void) {
  kite_error err;
  wb_module M;
  wb_init(&M);
  wb_memory(&M, 1, 3);
  uint32_t tl = wb_type(&M, "i", "i");
  uint32_t ts = wb_type(&M, "ii", "");
  uint32_t tg = wb_type(&M, "i", "i");
  uint32_t t3 = wb_type(&M, "iii", "");
  uint32_t ld = wb_func(&M, tl, "", WB_CODE(0x20, 0, 0x28, 2, 0));         /* i32.load */
  uint32_t ld8 = wb_func(&M, tl, "", WB_CODE(0x20, 0, 0x2C, 0, 1));        /* i32.load8_s offset 1 */
  uint32_t st = wb_func(&M, ts, "", WB_CODE(0x20, 0, 0x20, 1, 0x36, 2, 0)); /* i32.store */
  uint32_t gr = wb_func(&M, tg, "", WB_CODE(0x20, 0, 0x40, 0));            /* memory.grow */
  uint32_t fill = wb_func(&M, t3, "", WB_CODE(0x20, 0, 0x20, 1, 0x20, 2, 0xFC, 0x0B, 0));
  uint32_t copy = wb_func(&M, t3, "", WB_CODE(0x20, 0, 0x20, 1, 0x20, 2, 0xFC, 0x0A, 0, 0));
  uint32_t init = wb_func(&M, t3, "", WB_CODE(0x20, 0, 0x20, 1, 0x20, 2, 0xFC, 0x08, 1, 0));
  uint32_t drop = wb_func(&M, wb_type(&M, "", ""), "", WB_CODE(0xFC, 0x09, 1));
  wb_export(&M, "ld", 0, ld);
  wb_export(&M, "ld8", 0, ld8);
  wb_export(&M, "st", 0, st);
  wb_export(&M, "grow", 0, gr);
  wb_export(&M, "fill", 0, fill);
  wb_export(&M, "copy", 0, copy);
  wb_export(&M, "init", 0, init);
  wb_export(&M, "drop", 0, drop);
  wb_export(&M, "mem", 2, 0);
  wb_data(&M, 8, "\x01\x02\x03\x84", 4);
  wb_data_passive(&M, "hello", 5);
  size_t len;
  uint8_t *b = wb_finish(&M, &len);
  kite_instance *inst = instantiate(load(b, len), NULL, 0, &err);
  CHECK_MSG(inst != NULL, "%s", err.msg);
  if (!inst) return;
  kite_value a = kite_val_i32(8);
  CHECK(call1(export_func(inst, "ld"), &a, 1, &err).u.i32 == 0x84030201u);
  a = kite_val_i32(10);
  CHECK(call1(export_func(inst, "ld8"), &a, 1, &err).u.i32 == 0xFFFFFF84u);
  a = kite_val_i32(65533);
  check_trap(export_func(inst, "ld"), &a, 1, "out of bounds memory access");
  a = kite_val_i32(0xFFFFFFFFu);
  check_trap(export_func(inst, "ld8"), &a, 1, "out of bounds memory access");
  kite_value sv[2] = {kite_val_i32(65532), kite_val_i32(0xDEADBEEF)};
  call1(export_func(inst, "st"), sv, 2, &err);
  CHECK(err.kind == KITE_OK);
  a = kite_val_i32(65532);
  CHECK(call1(export_func(inst, "ld"), &a, 1, &err).u.i32 == 0xDEADBEEF);
  /* grow: old size, then -1 beyond the maximum */
  a = kite_val_i32(1);
  CHECK(call1(export_func(inst, "grow"), &a, 1, &err).u.i32 == 1);
  a = kite_val_i32(65536);
  CHECK(call1(export_func(inst, "ld"), &a, 1, &err).u.i32 == 0);
  a = kite_val_i32(2);
  CHECK(call1(export_func(inst, "grow"), &a, 1, &err).u.i32 == 0xFFFFFFFFu);
  a = kite_val_i32(1);
  CHECK(call1(export_func(inst, "grow"), &a, 1, &err).u.i32 == 2);
  /* fill, copy (overlapping), init, drop */
  kite_value f3[3] = {kite_val_i32(100), kite_val_i32(0xAB), kite_val_i32(4)};
  call1(export_func(inst, "fill"), f3, 3, &err);
  kite_extern mx;
  CHECK(kite_instance_export(inst, "mem", 3, &mx) && mx.kind == KITE_EXTERN_MEMORY);
  uint8_t *mem = kite_memory_data(mx.u.memory);
  CHECK(mem[100] == 0xAB && mem[103] == 0xAB && mem[104] == 0);
  kite_value c3[3] = {kite_val_i32(101), kite_val_i32(100), kite_val_i32(4)};
  call1(export_func(inst, "copy"), c3, 3, &err);
  CHECK(mem[104] == 0xAB && mem[105] == 0);
  kite_value i3[3] = {kite_val_i32(200), kite_val_i32(1), kite_val_i32(4)};
  call1(export_func(inst, "init"), i3, 3, &err);
  CHECK(memcmp(mem + 200, "ello", 4) == 0);
  i3[2] = kite_val_i32(5);
  check_trap(export_func(inst, "init"), i3, 3, "out of bounds memory access");
  call1(export_func(inst, "drop"), NULL, 0, &err);
  i3[1] = kite_val_i32(0);
  i3[2] = kite_val_i32(0);
  call1(export_func(inst, "init"), i3, 3, &err);
  CHECK(err.kind == KITE_OK); /* zero-length init of a dropped segment at offset 0 is fine */
  i3[1] = kite_val_i32(1);
  check_trap(export_func(inst, "init"), i3, 3, "out of bounds memory access");
  kite_value big[3] = {kite_val_i32(3 * 65536 - 2), kite_val_i32(0), kite_val_i32(3)};
  check_trap(export_func(inst, "fill"), big, 3, "out of bounds memory access");
  CHECK(mem[3 * 65536 - 2] == 0); /* nothing written on a trap */
}

/* ---- globals and multi-value ---- */

static void test_globals_multivalue(void) {
  kite_error err;
  wb_module M;
  wb_init(&M);
  uint32_t g = wb_global(&M, 'I', 1, WB_CODE(0x42, 5));
  uint32_t t = wb_type(&M, "I", "I");
  /* g += x; return g */
  uint32_t f = wb_func(&M, t, "", WB_CODE(0x23, (uint8_t)g, 0x20, 0, 0x7C, 0x24, (uint8_t)g, 0x23,
                                          (uint8_t)g));
  uint32_t tm = wb_type(&M, "ii", "ii");
  uint32_t tb = wb_type(&M, "ii", "ii");
  /* a block with params (ii) -> (ii) that swaps them by a call-free sequence */
  uint32_t sw = wb_func(&M, tm, "ii",
                        WB_CODE(0x20, 0, 0x20, 1, 0x02, (uint8_t)tb, 0x21, 2, 0x21, 3, 0x20, 2,
                                0x20, 3, 0x0B));
  (void)sw;
  /* call a multi-result function and subtract its results */
  uint32_t tc = wb_type(&M, "ii", "i");
  uint32_t c = wb_func(&M, tc, "", WB_CODE(0x20, 0, 0x20, 1, 0x10, (uint8_t)sw, 0x6B));
  wb_export(&M, "f", 0, f);
  wb_export(&M, "g", 3, g);
  wb_export(&M, "sw", 0, sw);
  wb_export(&M, "c", 0, c);
  size_t len;
  uint8_t *b = wb_finish(&M, &len);
  kite_instance *inst = instantiate(load(b, len), NULL, 0, &err);
  CHECK_MSG(inst != NULL, "%s", err.msg);
  if (!inst) return;
  kite_value x = kite_val_i64(10);
  CHECK(call1(export_func(inst, "f"), &x, 1, &err).u.i64 == 15);
  CHECK(call1(export_func(inst, "f"), &x, 1, &err).u.i64 == 25);
  kite_extern gx;
  CHECK(kite_instance_export(inst, "g", 1, &gx) && kite_global_get(gx.u.global).u.i64 == 25);
  kite_value args[2] = {kite_val_i32(7), kite_val_i32(3)}, r[2];
  kite_error_clear(&err);
  CHECK(kite_func_call(store, export_func(inst, "sw"), args, 2, r, 2, &err));
  CHECK_MSG(r[0].u.i32 == 3 && r[1].u.i32 == 7, "sw = %u %u", r[0].u.i32, r[1].u.i32);
  CHECK(call1(export_func(inst, "c"), args, 2, &err).u.i32 == (uint32_t)-4);
}

/* ---- instantiation: order, bounds, start, sharing one module between stores ---- */

static void test_instantiation(void) {
  kite_error err;
  /* A table written by an earlier segment stays written when a later one traps. */
  kite_valtype fr = kite_vt_ref(KITE_HT_FUNC, true);
  kite_limits lim = {3, 3, true, false, false, 16};
  kite_tableinst *tab = kite_table_new(store, fr, &lim, kite_val_null(KITE_HT_FUNC), &err);
  CHECK(tab != NULL);
  {
    wb_module M;
    wb_init(&M);
    wb_import_table(&M, "env", "t", 3, -1);
    uint32_t t = wb_type(&M, "", "");
    uint32_t f = wb_func(&M, t, "", WB_CODE(0x01));
    uint32_t e1[1] = {f}, e2[2] = {f, f};
    wb_elem(&M, 0, e1, 1);
    wb_elem(&M, 2, e2, 2); /* out of bounds */
    size_t len;
    uint8_t *b = wb_finish(&M, &len);
    kite_extern x = {KITE_EXTERN_TABLE, {.table = tab}};
    kite_instance *inst = instantiate(load(b, len), &x, 1, &err);
    CHECK(inst == NULL && err.kind == KITE_ERR_RUNTIME &&
          strcmp(err.msg, "out of bounds table access") == 0);
    kite_value v;
    CHECK(kite_table_get(tab, 0, &v) && !kite_val_is_null(&v));
    CHECK(kite_table_get(tab, 2, &v) && kite_val_is_null(&v));
  }
  /* start function runs after data segments */
  {
    wb_module M;
    wb_init(&M);
    wb_memory(&M, 1, -1);
    uint32_t t = wb_type(&M, "", "");
    uint32_t f = wb_func(&M, t, "", WB_CODE(0x41, 0, 0x41, 0, 0x2D, 0, 0, 0x41, 1, 0x6A, 0x3A, 0, 0));
    M.start = (int)f;
    wb_data(&M, 0, "\x29", 1);
    wb_export(&M, "m", 2, 0);
    size_t len;
    uint8_t *b = wb_finish(&M, &len);
    kite_module *m = load(b, len);
    kite_instance *inst = instantiate(m, NULL, 0, &err);
    CHECK_MSG(inst != NULL, "%s", err.msg);
    kite_extern mx;
    CHECK(inst && kite_instance_export(inst, "m", 1, &mx) && kite_memory_data(mx.u.memory)[0] == 42);
    /* the same module instantiated in a second store: separate memory, shared code */
    kite_store *s2 = kite_store_new(engine);
    kite_error_clear(&err);
    kite_instance *i2 = kite_instantiate(s2, m, NULL, 0, &err);
    CHECK(i2 != NULL);
    kite_extern mx2;
    CHECK(i2 && kite_instance_export(i2, "m", 1, &mx2) && mx2.u.memory != mx.u.memory &&
          kite_memory_data(mx2.u.memory)[0] == 42);
    CHECK(i2 && inst && i2->code == inst->code);
    kite_store_free(s2);
  }
}

/* ---- from text: SIMD, tail calls, function references, wide arithmetic (3.0) ---- */

static kite_instance *from_wat(const char *wat) {
  kite_error err;
  kite_error_clear(&err);
  kite_buf b;
  kite_buf_init(&b, kite_engine_alloc(engine));
  if (!kite_wat_to_wasm(kite_engine_alloc(engine), wat, strlen(wat), KITE_FEATURES_3_0 |
                        KITE_FEATURE_BIT(FEAT_WIDE_ARITH), &b, &err)) {
    CHECK_MSG(false, "wat: %s at %u:%u", err.msg, err.line, err.col);
    kite_buf_free(&b);
    return NULL;
  }
  kite_features f = KITE_FEATURES_3_0 | KITE_FEATURE_BIT(FEAT_WIDE_ARITH);
  kite_module *m = kite_decode(kite_engine_alloc(engine), b.data, b.len, f, NULL, &err);
  kite_buf_free(&b);
  if (!m || !kite_validate_module(m, f, &err)) {
    CHECK_MSG(false, "module: %s", err.msg);
    kite_module_free(m);
    return NULL;
  }
  if (nmodules < 1024) modules[nmodules++] = m;
  kite_error_clear(&err);
  kite_instance *inst = kite_instantiate(store, m, NULL, 0, &err);
  CHECK_MSG(inst != NULL, "instantiate: %s", err.msg);
  return inst;
}

static void test_simd(void) {
  kite_instance *inst = from_wat(
      "(module (memory 1)"
      " (func (export \"add\") (param i32 i32) (result i32)"
      "   (i32x4.extract_lane 2 (i32x4.add (i32x4.splat (local.get 0)) (i32x4.splat (local.get 1)))))"
      " (func (export \"shuffle\") (result i32)"
      "   (i8x16.extract_lane_u 0 (i8x16.shuffle 31 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0"
      "     (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)"
      "     (v128.const i8x16 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31))))"
      " (func (export \"lanes\") (result i64)"
      "   (v128.store (i32.const 16) (v128.const i64x2 0x1111 0x2222))"
      "   (i64x2.extract_lane 1 (v128.load64_lane 0 (i32.const 16) (v128.const i64x2 7 9))))"
      " (func (export \"bitmask\") (result i32)"
      "   (i8x16.bitmask (i8x16.lt_s (v128.const i8x16 -1 0 -1 0 0 0 0 0 0 0 0 0 0 0 0 -5)"
      "                              (v128.const i8x16 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0))))"
      " (func (export \"fmin\") (result i32)"
      "   (i32x4.extract_lane 0 (f32x4.min (v128.const f32x4 -0 1 2 3) (v128.const f32x4 0 1 2 3))))"
      " (func (export \"sat\") (result i32)"
      "   (i8x16.extract_lane_s 3 (i8x16.add_sat_s (v128.const i8x16 0 0 0 100 0 0 0 0 0 0 0 0 0 0 0 0)"
      "                                             (v128.const i8x16 0 0 0 100 0 0 0 0 0 0 0 0 0 0 0 0))))"
      " (func (export \"oob\") (param i32) (result i32)"
      "   (i32x4.extract_lane 0 (v128.load (local.get 0)))))");
  kite_error err;
  kite_value a[2] = {kite_val_i32(40), kite_val_i32(2)};
  CHECK(call1(export_func(inst, "add"), a, 2, &err).u.i32 == 42);
  CHECK(call1(export_func(inst, "shuffle"), NULL, 0, &err).u.i32 == 31);
  CHECK(call1(export_func(inst, "lanes"), NULL, 0, &err).u.i64 == 9);
  CHECK(call1(export_func(inst, "bitmask"), NULL, 0, &err).u.i32 == 0x8005);
  CHECK(call1(export_func(inst, "fmin"), NULL, 0, &err).u.i32 == 0x80000000u);
  CHECK(call1(export_func(inst, "sat"), NULL, 0, &err).u.i32 == 127);
  kite_value o = kite_val_i32(65521);
  check_trap(export_func(inst, "oob"), &o, 1, "out of bounds memory access");
}

static void test_3_0(void) {
  kite_instance *inst = from_wat(
      "(module (type $ii (func (param i64) (result i64)))"
      " (func $count (export \"count\") (param i64) (result i64)"
      "   (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 7))"
      "     (else (return_call $count (i64.sub (local.get 0) (i64.const 1))))))"
      " (func $id (param i64) (result i64) (local.get 0))"
      " (elem declare func $id)"
      " (func (export \"ref\") (param i32) (result i64)"
      "   (call_ref $ii (i64.const 5)"
      "     (select (result (ref null $ii)) (ref.func $id) (ref.null $ii) (local.get 0))))"
      " (func (export \"on_null\") (param i32) (result i32)"
      "   (block $null (result)"
      "     (br_on_null $null (select (result (ref null $ii)) (ref.func $id) (ref.null $ii)"
      "        (local.get 0)))"
      "     (drop) (return (i32.const 1)))"
      "   (i32.const 0))"
      " (func (export \"wide\") (param i64 i64) (result i64 i64)"
      "   (i64.mul_wide_s (local.get 0) (local.get 1))))");
  kite_error err;
  kite_value n = kite_val_i64(1000000); /* deep tail recursion runs in constant space */
  CHECK(call1(export_func(inst, "count"), &n, 1, &err).u.i64 == 7 && err.kind == KITE_OK);
  kite_value one = kite_val_i32(1), zero = kite_val_i32(0);
  CHECK(call1(export_func(inst, "ref"), &one, 1, &err).u.i64 == 5);
  check_trap(export_func(inst, "ref"), &zero, 1, "null function reference");
  CHECK(call1(export_func(inst, "on_null"), &one, 1, &err).u.i32 == 1);
  CHECK(call1(export_func(inst, "on_null"), &zero, 1, &err).u.i32 == 0);
  kite_value w[2] = {kite_val_i64((uint64_t)-3), kite_val_i64(5)}, r[2];
  kite_error_clear(&err);
  CHECK(kite_func_call(store, export_func(inst, "wide"), w, 2, r, 2, &err));
  CHECK(r[0].u.i64 == (uint64_t)-15 && r[1].u.i64 == UINT64_MAX);
}

int main(void) {
  kite_engine_config cfg;
  kite_engine_config_default(&cfg);
  cfg.max_call_depth = 5000;
  engine = kite_engine_new(&cfg);
  store = kite_store_new(engine);
  test_integers();
  test_floats();
  test_control();
  test_calls();
  test_memory();
  test_globals_multivalue();
  test_instantiation();
  test_simd();
  test_3_0();
  kite_store_free(store);
  for (int i = 0; i < nmodules; i++) kite_module_free(modules[i]);
  CHECK(kite_engine_alloc(engine)->bytes == sizeof(kite_engine));
  kite_engine_free(engine);
  return test_finish("test_exec");
}
