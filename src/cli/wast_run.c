/*
** wast_run.c: running a parsed .wast script. One engine and store per script, the
** `spectest` host module, a registry of instances by name, and one outcome per command
** (passed, failed with the reason, or skipped) reported to the caller, which counts
** them and knows the known failures.
**
** Messages: an assertion's expected text must begin the actual error's message (the
** suite's convention: "unexpected end" matches "unexpected end of section or
** function"). Kinds are checked too: assert_malformed wants a malformed module (a text,
** decoding or validator error whose code is KITE_COMPILE_MALFORMED), assert_invalid a
** validation error (KITE_COMPILE_INVALID) of a module that decodes, assert_unlinkable a
** link error, assert_trap and assert_uninstantiable a trap.
**
** Threads: `(thread $T (shared (module $M))* cmd*)` runs its commands on a new pthread
** with a runner of its own (its own store, registry, spectest and named instances, the
** script's engine); the instances named in `shared` are visible in it by name, so its
** modules can import their shared memories. The thread's outcomes are kept and handed
** to the caller when `(wait $T)` joins it (or at the end of the script), so outcomes are
** always reported from the calling thread, in a deterministic order.
*/
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "runtime.h"
#include "text.h"
#include "valid.h"

typedef struct named_module {
  kite_name name;
  kite_module *module;
} named_module;

typedef struct named_instance {
  kite_name name;
  kite_instance *inst; /* NULL: the spectest host module */
} named_instance;

struct script_thread;

typedef struct wast_runner {
  kite_engine *engine;
  kite_store *store;
  kite_alloc *alloc;
  kite_features features;
  wast_outcome_fn report;
  void *ud;
  KITE_VEC(kite_module *) modules; /* every module decoded: they outlive the store */
  KITE_VEC(named_module) defs;     /* named module definitions */
  KITE_VEC(named_instance) insts;  /* named instances */
  KITE_VEC(named_instance) registry;
  kite_module *last_module;
  kite_instance *last_instance;
  bool spectest_ready;
  kite_extern spectest[15];                 /* in the order of spectest_names */
  char why[1024];                           /* the current command's failure */
  KITE_VEC(struct script_thread *) threads; /* started by `thread`, not yet waited for */
} wast_runner;

/* ---- outcomes ---- */

static bool failf(wast_runner *R, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static bool failf(wast_runner *R, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(R->why, sizeof R->why, fmt, ap);
  va_end(ap);
  return false;
}

static bool fail_err(wast_runner *R, const char *what, const kite_error *err) {
  return failf(R, "%s: %s: %s", what, kite_errkind_name(err->kind), err->msg);
}

static bool name_eq(kite_name a, kite_name b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static bool name_is(kite_name a, const char *s) {
  return a.len == strlen(s) && memcmp(a.ptr, s, a.len) == 0;
}

/* A name for messages: printable, truncated. */
static const char *show_name(kite_name n, char *buf, size_t size) {
  size_t j = 0;
  for (uint32_t i = 0; i < n.len && j + 5 < size; i++) {
    uint8_t c = n.ptr[i];
    if (c >= 0x20 && c < 0x7f && c != '\\') buf[j++] = (char)c;
    else j += (size_t)snprintf(buf + j, size - j, "\\%02x", c);
  }
  buf[j] = 0;
  return buf;
}

/* ---- the spectest module ---- */

static bool spectest_print(void *env, kite_store *s, const kite_value *args, uint32_t nargs,
                           kite_value *results, uint32_t nresults, kite_error *err) {
  (void)env, (void)s, (void)args, (void)nargs, (void)results, (void)nresults, (void)err;
  return true; /* the reference interpreter prints; a test run stays quiet */
}

static const char *const spectest_names[] = {
    "print",         "print_i32",     "print_i64",  "print_f32",  "print_f64",
    "print_i32_f32", "print_f64_f64", "global_i32", "global_i64", "global_f32",
    "global_f64",    "table",         "table64",    "memory",     "shared_memory"};

/* Signatures of the print functions, in the order of spectest_names. */
static const char *const spectest_sigs[] = {"", "i", "I", "f", "F", "if", "FF"};

static kite_valtype sig_type(char c) {
  switch (c) {
  case 'i': return kite_vt(KITE_VT_I32);
  case 'I': return kite_vt(KITE_VT_I64);
  case 'f': return kite_vt(KITE_VT_F32);
  default: return kite_vt(KITE_VT_F64);
  }
}

static bool spectest_create(wast_runner *R, kite_error *err) {
  kite_store *s = R->store;
  for (unsigned i = 0; i < KITE_ARRAY_LEN(spectest_sigs); i++) {
    kite_valtype params[2];
    kite_functype ft = {(uint32_t)strlen(spectest_sigs[i]), 0, params, NULL};
    for (uint32_t k = 0; k < ft.nparams; k++) params[k] = sig_type(spectest_sigs[i][k]);
    kite_funcinst *f = kite_func_new_host(s, &ft, spectest_print, NULL, err);
    if (!f) return false;
    R->spectest[i].kind = KITE_EXTERN_FUNC;
    R->spectest[i].u.func = f;
  }
  /* The reference interpreter's values: 666 and 666.6. */
  static const uint8_t gkinds[4] = {KITE_VT_I32, KITE_VT_I64, KITE_VT_F32, KITE_VT_F64};
  kite_value ginit[4] = {kite_val_i32(666), kite_val_i64(666), kite_val_f32_bits(0x4426a666u),
                         kite_val_f64_bits(0x4084d4cccccccccdull)};
  for (unsigned i = 0; i < 4; i++) {
    kite_globaltype gt = {kite_vt(gkinds[i]), false};
    kite_globalinst *g = kite_global_new(s, gt, ginit[i], err);
    if (!g) return false;
    R->spectest[7 + i].kind = KITE_EXTERN_GLOBAL;
    R->spectest[7 + i].u.global = g;
  }
  for (unsigned i = 0; i < 2; i++) {
    kite_limits lim = {10, 20, true, false, i == 1, 16};
    kite_tableinst *t =
        kite_table_new(s, kite_vt_ref(KITE_HT_FUNC, true), &lim, kite_val_null(KITE_HT_FUNC), err);
    if (!t) return false;
    R->spectest[11 + i].kind = KITE_EXTERN_TABLE;
    R->spectest[11 + i].u.table = t;
  }
  return true;
}

/* Memories are made on first use: a shared one only matters to the threads suite. */
static bool spectest_lookup(wast_runner *R, kite_name field, kite_extern *out, kite_error *err) {
  if (!R->spectest_ready) {
    if (!spectest_create(R, err)) return false;
    R->spectest_ready = true;
  }
  for (unsigned i = 0; i < KITE_ARRAY_LEN(spectest_names); i++) {
    if (!name_is(field, spectest_names[i])) continue;
    if (i >= 13 && !R->spectest[i].u.memory) {
      kite_limits lim = {1, 2, true, i == 14, false, 16};
      kite_meminst *m = kite_memory_new(R->store, &lim, err);
      if (!m) return false;
      R->spectest[i].kind = KITE_EXTERN_MEMORY;
      R->spectest[i].u.memory = m;
    }
    *out = R->spectest[i];
    return true;
  }
  return kite_fail(err, KITE_ERR_LINK, 0, 0, "unknown import");
}

/* ---- modules and instances ---- */

static bool resolve_import(wast_runner *R, const kite_import *im, kite_extern *out,
                           kite_error *err) {
  for (size_t i = R->registry.len; i-- > 0;) {
    named_instance *reg = &R->registry.data[i];
    kite_name mod = {im->module.ptr, im->module.len};
    if (!name_eq(reg->name, mod)) continue;
    kite_name field = {im->field.ptr, im->field.len};
    if (!reg->inst) return spectest_lookup(R, field, out, err);
    if (!kite_instance_export(reg->inst, (const char *)field.ptr, field.len, out)) break;
    return true;
  }
  char m[64], f[64];
  kite_name mod = {im->module.ptr, im->module.len}, field = {im->field.ptr, im->field.len};
  return kite_fail(err, KITE_ERR_LINK, 0, 0, "unknown import \"%s\" \"%s\"",
                   show_name(mod, m, sizeof m), show_name(field, f, sizeof f));
}

static kite_instance *instantiate(wast_runner *R, const kite_module *m, kite_error *err) {
  kite_extern *imports = NULL;
  if (m->nimports) {
    imports = kite_calloc(R->alloc, m->nimports, sizeof *imports);
    if (!imports) {
      kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
      return NULL;
    }
  }
  kite_instance *inst = NULL;
  bool ok = true;
  for (uint32_t i = 0; ok && i < m->nimports; i++)
    ok = resolve_import(R, &m->imports[i], &imports[i], err);
  if (ok) inst = kite_instantiate(R->store, m, imports, m->nimports, err);
  kite_free(R->alloc, imports, m->nimports * sizeof *imports);
  return inst;
}

/* Bytes to a valid module: text (quote), decoding, validation. NULL with *err set. */
static kite_module *load_module(wast_runner *R, const kite_wast_module *wm, kite_error *err) {
  if (wm->kind == KITE_WAST_MOD_ERROR) {
    *err = wm->error;
    return NULL;
  }
  const uint8_t *bytes = wm->bytes;
  size_t len = wm->len;
  kite_buf text_out;
  kite_buf_init(&text_out, R->alloc);
  if (wm->kind == KITE_WAST_MOD_QUOTE) {
    if (!kite_wat_to_wasm(R->alloc, (const char *)wm->bytes, wm->len, R->features, &text_out,
                          err)) {
      kite_buf_free(&text_out);
      return NULL;
    }
    bytes = text_out.data;
    len = text_out.len;
  }
  kite_module *m = kite_decode_validate(R->alloc, bytes, len, R->features, NULL, err);
  kite_buf_free(&text_out);
  if (!m) return NULL;
  if (!kite_vec_push(R->alloc, &R->modules, m)) {
    kite_module_free(m);
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    return NULL;
  }
  return m;
}

static bool add_named_instance(wast_runner *R, kite_name name, kite_instance *inst) {
  named_instance ni = {name, inst};
  return !name.ptr || kite_vec_push(R->alloc, &R->insts, ni) || failf(R, "out of memory");
}

static bool add_named_module(wast_runner *R, kite_name name, kite_module *m) {
  named_module nm = {name, m};
  return !name.ptr || kite_vec_push(R->alloc, &R->defs, nm) || failf(R, "out of memory");
}

static bool run_module(wast_runner *R, const kite_wast_cmd *cmd) {
  kite_error err;
  kite_error_clear(&err);
  R->last_instance = NULL; /* a failed module is not invoked by later commands */
  kite_module *m = load_module(R, &cmd->module, &err);
  if (!m) return fail_err(R, "module failed to load", &err);
  R->last_module = m;
  if (!add_named_module(R, cmd->module.name, m)) return false;
  if (cmd->module.definition) return true;
  kite_instance *inst = instantiate(R, m, &err);
  if (!inst) return fail_err(R, "module failed to instantiate", &err);
  R->last_instance = inst;
  return add_named_instance(R, cmd->module.name, inst);
}

static kite_module *find_module(wast_runner *R, kite_name name) {
  if (!name.ptr) return R->last_module;
  for (size_t i = R->defs.len; i-- > 0;)
    if (name_eq(R->defs.data[i].name, name)) return R->defs.data[i].module;
  return NULL;
}

static kite_instance *find_instance(wast_runner *R, kite_name name) {
  if (!name.ptr) return R->last_instance;
  for (size_t i = R->insts.len; i-- > 0;)
    if (name_eq(R->insts.data[i].name, name)) return R->insts.data[i].inst;
  return NULL;
}

static bool run_instance(wast_runner *R, const kite_wast_cmd *cmd) {
  char buf[64];
  R->last_instance = NULL;
  kite_module *m = find_module(R, cmd->ref);
  if (!m)
    return failf(R, "unknown module $%s", cmd->ref.ptr ? show_name(cmd->ref, buf, sizeof buf) : "");
  kite_error err;
  kite_error_clear(&err);
  kite_instance *inst = instantiate(R, m, &err);
  if (!inst) return fail_err(R, "module failed to instantiate", &err);
  R->last_instance = inst;
  return add_named_instance(R, cmd->name, inst);
}

static bool run_register(wast_runner *R, const kite_wast_cmd *cmd) {
  char buf[64];
  kite_instance *inst = find_instance(R, cmd->ref);
  if (!inst)
    return failf(R, "no instance to register%s%s", cmd->ref.ptr ? " $" : "",
                 cmd->ref.ptr ? show_name(cmd->ref, buf, sizeof buf) : "");
  named_instance reg = {cmd->name, inst};
  return kite_vec_push(R->alloc, &R->registry, reg) || failf(R, "out of memory");
}

/* ---- values ---- */

static void show_value(const kite_value *v, char *buf, size_t size) {
  switch (v->type.kind) {
  case KITE_VT_I32:
    snprintf(buf, size, "i32:%" PRIu32 " (0x%" PRIx32 ")", v->u.i32, v->u.i32);
    break;
  case KITE_VT_I64:
    snprintf(buf, size, "i64:%" PRIu64 " (0x%" PRIx64 ")", v->u.i64, v->u.i64);
    break;
  case KITE_VT_F32: snprintf(buf, size, "f32:0x%08" PRIx32, v->u.f32); break;
  case KITE_VT_F64: snprintf(buf, size, "f64:0x%016" PRIx64, v->u.f64); break;
  case KITE_VT_V128: {
    size_t j = (size_t)snprintf(buf, size, "v128:");
    for (int i = 0; i < 16 && j < size; i++)
      j += (size_t)snprintf(buf + j, size - j, "%02x%s", v->u.v128[i],
                            i % 4 == 3 && i < 15 ? "_" : "");
    break;
  }
  case KITE_VT_REF:
    if (kite_val_is_null(v)) snprintf(buf, size, "ref.null");
    else if (v->type.ht == KITE_HT_EXTERN)
      snprintf(buf, size, "ref.extern %" PRIuPTR, kite_val_extern_host(v));
    else snprintf(buf, size, "ref 0x%" PRIx64, (uint64_t)v->u.ref);
    break;
  default: snprintf(buf, size, "(value of type 0x%02x)", v->type.kind); break;
  }
}

static void show_pattern(const kite_wast_value *p, char *buf, size_t size) {
  static const char *const nans[] = {"", "nan:canonical", "nan:arithmetic"};
  static const char *const shapes[] = {"i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2"};
  switch (p->kind) {
  case KITE_WAST_I32:
    snprintf(buf, size, "i32:%" PRIu32 " (0x%" PRIx32 ")", p->u.i32, p->u.i32);
    break;
  case KITE_WAST_I64:
    snprintf(buf, size, "i64:%" PRIu64 " (0x%" PRIx64 ")", p->u.i64, p->u.i64);
    break;
  case KITE_WAST_F32:
    if (p->nan[0]) snprintf(buf, size, "f32:%s", nans[p->nan[0]]);
    else snprintf(buf, size, "f32:0x%08" PRIx32, p->u.i32);
    break;
  case KITE_WAST_F64:
    if (p->nan[0]) snprintf(buf, size, "f64:%s", nans[p->nan[0]]);
    else snprintf(buf, size, "f64:0x%016" PRIx64, p->u.i64);
    break;
  case KITE_WAST_V128: {
    size_t j = (size_t)snprintf(buf, size, "v128 %s:", shapes[p->shape]);
    for (int i = 0; i < 16 && j < size; i++)
      j += (size_t)snprintf(buf + j, size - j, "%02x%s", p->u.v128[i],
                            i % 4 == 3 && i < 15 ? "_" : "");
    for (int i = 0; i < 4 && j < size; i++)
      if (p->nan[i]) j += (size_t)snprintf(buf + j, size - j, " lane%d=%s", i, nans[p->nan[i]]);
    break;
  }
  case KITE_WAST_REF_NULL: snprintf(buf, size, "ref.null"); break;
  case KITE_WAST_REF_EXTERN:
    if (p->has_payload) snprintf(buf, size, "ref.extern %" PRIu64, p->u.payload);
    else snprintf(buf, size, "ref.extern");
    break;
  case KITE_WAST_REF_HOST: snprintf(buf, size, "ref.host %" PRIu64, p->u.payload); break;
  case KITE_WAST_REF_FUNC: snprintf(buf, size, "ref.func"); break;
  case KITE_WAST_EITHER: snprintf(buf, size, "(either of %" PRIu32 ")", p->nalts); break;
  default: snprintf(buf, size, "a non-null reference"); break;
  }
}

static bool nan_matches(uint8_t pattern, uint64_t bits, bool is64) {
  uint64_t exp_quiet = is64 ? 0x7ff8000000000000ull : 0x7fc00000u;
  uint64_t abs = bits & (is64 ? 0x7fffffffffffffffull : 0x7fffffffu);
  if (pattern == KITE_WAST_NAN_CANONICAL) return abs == exp_quiet;
  return (abs & exp_quiet) == exp_quiet; /* arithmetic: any quiet NaN */
}

static bool match_v128(const kite_wast_value *p, const uint8_t *got) {
  unsigned lanes = p->shape == KITE_WAST_F32X4 ? 4 : p->shape == KITE_WAST_F64X2 ? 2 : 1;
  unsigned width = 16 / lanes;
  for (unsigned i = 0; i < lanes; i++) {
    const uint8_t *g = got + i * width, *e = p->u.v128 + i * width;
    if (lanes > 1 && p->nan[i]) {
      uint64_t bits = 0;
      for (unsigned k = 0; k < width; k++) bits |= (uint64_t)g[k] << (8 * k);
      if (!nan_matches(p->nan[i], bits, width == 8)) return false;
    } else if (memcmp(g, e, width) != 0) {
      return false;
    }
  }
  return true;
}

/* Whether a reference is a heap object of the composite kind comp. */
static bool is_gc_object(kite_store *s, kite_ref r, uint8_t comp) {
  return kite_gc_is_object(s, r) && ((const kite_gcobj *)(uintptr_t)r)->rtt->comp == comp;
}

/* Whether a non-null reference is a function: a pointer that is no GC object (an exnref
   is a pointer too, but only ever has an exn type). */
static bool is_funcref(kite_store *s, const kite_value *v) {
  return kite_ref_is_ptr(v->u.ref) && !kite_gc_is_object(s, v->u.ref) &&
         v->type.ht != KITE_HT_EXN && v->type.ht != KITE_HT_NOEXN;
}

/* Result patterns match as the reference interpreter's do: a null pattern matches any
   null, (ref.func) a function, (ref.any) anything but a function. */
static bool match_value(kite_store *s, const kite_wast_value *p, const kite_value *v) {
  bool is_ref = v->type.kind == KITE_VT_REF;
  switch (p->kind) {
  case KITE_WAST_I32: return v->type.kind == KITE_VT_I32 && v->u.i32 == p->u.i32;
  case KITE_WAST_I64: return v->type.kind == KITE_VT_I64 && v->u.i64 == p->u.i64;
  case KITE_WAST_F32:
    if (v->type.kind != KITE_VT_F32) return false;
    return p->nan[0] ? nan_matches(p->nan[0], v->u.f32, false) : v->u.f32 == p->u.i32;
  case KITE_WAST_F64:
    if (v->type.kind != KITE_VT_F64) return false;
    return p->nan[0] ? nan_matches(p->nan[0], v->u.f64, true) : v->u.f64 == p->u.i64;
  case KITE_WAST_V128: return v->type.kind == KITE_VT_V128 && match_v128(p, v->u.v128);
  case KITE_WAST_REF_NULL: return is_ref && kite_val_is_null(v);
  case KITE_WAST_REF_EXTERN:
    return is_ref && !kite_val_is_null(v) &&
           (!p->has_payload ||
            (kite_ref_is_host(v->u.ref) && kite_val_extern_host(v) == (uintptr_t)p->u.payload));
  case KITE_WAST_REF_HOST:
    /* An internalized host value keeps its encoding. */
    return is_ref && kite_ref_is_host(v->u.ref) &&
           kite_val_extern_host(v) == (uintptr_t)p->u.payload;
  case KITE_WAST_REF_I31: return is_ref && kite_ref_is_i31(v->u.ref);
  case KITE_WAST_REF_STRUCT: return is_ref && is_gc_object(s, v->u.ref, KITE_COMP_STRUCT);
  case KITE_WAST_REF_ARRAY: return is_ref && is_gc_object(s, v->u.ref, KITE_COMP_ARRAY);
  case KITE_WAST_REF_EQ:
    return is_ref && (kite_ref_is_i31(v->u.ref) || kite_gc_is_object(s, v->u.ref));
  case KITE_WAST_REF_FUNC: return is_ref && is_funcref(s, v);
  case KITE_WAST_REF_ANY: return is_ref && !kite_val_is_null(v) && !is_funcref(s, v);
  case KITE_WAST_EITHER:
    for (uint32_t i = 0; i < p->nalts; i++)
      if (match_value(s, &p->alts[i], v)) return true;
    return false;
  default:
    /* (ref), (ref.exn): non-null. */
    return is_ref && !kite_val_is_null(v);
  }
}

/* An argument for a parameter of type t. */
static bool make_arg(wast_runner *R, const kite_wast_value *a, kite_valtype t, kite_value *out) {
  uint8_t want;
  switch (a->kind) {
  case KITE_WAST_I32: want = KITE_VT_I32, *out = kite_val_i32(a->u.i32); break;
  case KITE_WAST_I64: want = KITE_VT_I64, *out = kite_val_i64(a->u.i64); break;
  case KITE_WAST_F32: want = KITE_VT_F32, *out = kite_val_f32_bits(a->u.i32); break;
  case KITE_WAST_F64: want = KITE_VT_F64, *out = kite_val_f64_bits(a->u.i64); break;
  case KITE_WAST_V128: want = KITE_VT_V128, *out = kite_val_v128(a->u.v128); break;
  case KITE_WAST_REF_NULL:
    want = KITE_VT_REF;
    *out = kite_val_null(t.ht);
    break;
  case KITE_WAST_REF_EXTERN:
  case KITE_WAST_REF_HOST:
    want = KITE_VT_REF;
    *out = kite_val_externref((uintptr_t)a->u.payload);
    break;
  default: return failf(R, "unsupported argument");
  }
  if (t.kind != want) return failf(R, "argument of the wrong type");
  out->type = t; /* a reference argument takes the parameter's exact type */
  return true;
}

/* ---- actions ---- */

typedef struct action_result {
  uint32_t n;
  kite_value vals[16];
  kite_value *heap; /* when more than 16 */
} action_result;

static kite_value *results_of(action_result *r) { return r->heap ? r->heap : r->vals; }

/*
** Run an action. Returns false with R->why set when the action cannot run at all (no
** such export, wrong arguments); otherwise true, with *err set when it trapped.
*/
static bool run_action(wast_runner *R, const kite_wast_action *a, action_result *res,
                       kite_error *err) {
  char buf[64];
  memset(res, 0, sizeof *res);
  kite_instance *inst = find_instance(R, a->instance);
  if (!inst)
    return failf(R, "no instance%s%s", a->instance.ptr ? " $" : "",
                 a->instance.ptr ? show_name(a->instance, buf, sizeof buf) : "");
  kite_extern ex;
  if (!kite_instance_export(inst, (const char *)a->field.ptr, a->field.len, &ex))
    return failf(R, "unknown export \"%s\"", show_name(a->field, buf, sizeof buf));
  if (a->kind == KITE_WAST_GET) {
    if (ex.kind != KITE_EXTERN_GLOBAL)
      return failf(R, "export \"%s\" is not a global", show_name(a->field, buf, sizeof buf));
    res->n = 1;
    res->vals[0] = kite_global_get(ex.u.global);
    return true;
  }
  if (ex.kind != KITE_EXTERN_FUNC)
    return failf(R, "export \"%s\" is not a function", show_name(a->field, buf, sizeof buf));
  const kite_functype *ft = kite_func_type(ex.u.func);
  if (ft->nparams != a->nargs)
    return failf(R, "\"%s\" takes %" PRIu32 " arguments, %" PRIu32 " given",
                 show_name(a->field, buf, sizeof buf), ft->nparams, a->nargs);
  kite_value argv[16], *args = argv;
  if (a->nargs > 16 && !(args = kite_calloc(R->alloc, a->nargs, sizeof *args)))
    return failf(R, "out of memory");
  if (ft->nresults > 16 && !(res->heap = kite_calloc(R->alloc, ft->nresults, sizeof *res->heap))) {
    if (args != argv) kite_free(R->alloc, args, a->nargs * sizeof *args);
    return failf(R, "out of memory");
  }
  bool ok = true;
  for (uint32_t i = 0; ok && i < a->nargs; i++)
    ok = make_arg(R, &a->args[i], ft->params[i], &args[i]);
  if (ok) {
    res->n = ft->nresults;
    kite_func_call(R->store, ex.u.func, args, a->nargs, results_of(res), res->n, err);
  }
  if (args != argv) kite_free(R->alloc, args, a->nargs * sizeof *args);
  return ok;
}

static void free_result(wast_runner *R, action_result *res) {
  if (res->heap) kite_free(R->alloc, res->heap, res->n * sizeof *res->heap);
  res->heap = NULL;
}

static bool msg_matches(const kite_error *err, kite_name expected) {
  size_t n = strlen(err->msg);
  return n >= expected.len && memcmp(err->msg, expected.ptr, expected.len) == 0;
}

static bool expect_error(wast_runner *R, const kite_error *err, kite_errkind kind, int code,
                         kite_name expected) {
  char buf[256];
  if (err->kind == KITE_OK)
    return failf(R, "expected \"%s\", but it succeeded", show_name(expected, buf, sizeof buf));
  bool kind_ok = err->kind == kind && (code == 0 || err->code == code);
  if (kind_ok && msg_matches(err, expected)) return true;
  return failf(R, "expected %s \"%s\", got %s%s \"%s\"", kite_errkind_name(kind),
               show_name(expected, buf, sizeof buf), kite_errkind_name(err->kind),
               err->kind == KITE_ERR_COMPILE
                   ? (err->code == KITE_COMPILE_INVALID ? " (invalid)" : " (malformed)")
                   : "",
               err->msg);
}

static bool run_assert_return(wast_runner *R, const kite_wast_cmd *cmd) {
  action_result res;
  kite_error err;
  kite_error_clear(&err);
  if (!run_action(R, &cmd->action, &res, &err)) return false;
  bool ok = true;
  if (err.kind != KITE_OK) {
    ok = fail_err(R, "unexpected error", &err);
  } else if (res.n != cmd->nresults) {
    ok = failf(R, "expected %" PRIu32 " results, got %" PRIu32, cmd->nresults, res.n);
  } else {
    kite_value *vals = results_of(&res);
    for (uint32_t i = 0; ok && i < res.n; i++) {
      if (match_value(R->store, &cmd->results[i], &vals[i])) continue;
      char want[160], got[160];
      show_pattern(&cmd->results[i], want, sizeof want);
      show_value(&vals[i], got, sizeof got);
      ok = failf(R, "result %" PRIu32 ": expected %s, got %s", i, want, got);
    }
  }
  free_result(R, &res);
  return ok;
}

static bool run_assert_action_error(wast_runner *R, const kite_wast_cmd *cmd, kite_errkind kind,
                                    int code) {
  action_result res;
  kite_error err;
  kite_error_clear(&err);
  if (!run_action(R, &cmd->action, &res, &err)) return false;
  free_result(R, &res);
  return expect_error(R, &err, kind, code, cmd->text);
}

/* assert_invalid, assert_malformed and their _custom variants: the module must not load. */
static bool run_assert_load_error(wast_runner *R, const kite_wast_cmd *cmd, int code) {
  kite_error err;
  kite_error_clear(&err);
  kite_module *m = load_module(R, &cmd->module, &err);
  (void)m;
  return expect_error(R, &err, KITE_ERR_COMPILE, code, cmd->text);
}

/* assert_unlinkable, assert_uninstantiable, assert_trap on a module. */
static bool run_assert_instantiate_error(wast_runner *R, const kite_wast_cmd *cmd,
                                         kite_errkind kind) {
  kite_error err;
  kite_error_clear(&err);
  kite_module *m = load_module(R, &cmd->module, &err);
  if (!m) return fail_err(R, "module failed to load", &err);
  kite_instance *inst = instantiate(R, m, &err);
  (void)inst;
  return expect_error(R, &err, kind, 0, cmd->text);
}

static bool run_command(wast_runner *R, const kite_wast_cmd *cmd) {
  switch (cmd->kind) {
  case KITE_WAST_MODULE: return run_module(R, cmd);
  case KITE_WAST_INSTANCE: return run_instance(R, cmd);
  case KITE_WAST_REGISTER: return run_register(R, cmd);
  case KITE_WAST_ACTION: {
    action_result res;
    kite_error err;
    kite_error_clear(&err);
    if (!run_action(R, &cmd->action, &res, &err)) return false;
    free_result(R, &res);
    return err.kind == KITE_OK || fail_err(R, "unexpected error", &err);
  }
  case KITE_WAST_ASSERT_RETURN: return run_assert_return(R, cmd);
  case KITE_WAST_ASSERT_TRAP:
    if (cmd->on_module) return run_assert_instantiate_error(R, cmd, KITE_ERR_RUNTIME);
    return run_assert_action_error(R, cmd, KITE_ERR_RUNTIME, 0);
  case KITE_WAST_ASSERT_EXHAUSTION: return run_assert_action_error(R, cmd, KITE_ERR_EXHAUSTION, 0);
  case KITE_WAST_ASSERT_EXCEPTION: {
    kite_name any = {(const uint8_t *)"", 0};
    action_result res;
    kite_error err;
    kite_error_clear(&err);
    if (!run_action(R, &cmd->action, &res, &err)) return false;
    free_result(R, &res);
    return expect_error(R, &err, KITE_ERR_RUNTIME, KITE_TRAP_EXCEPTION, any);
  }
  case KITE_WAST_ASSERT_INVALID: return run_assert_load_error(R, cmd, KITE_COMPILE_INVALID);
  case KITE_WAST_ASSERT_MALFORMED:
  case KITE_WAST_ASSERT_MALFORMED_CUSTOM:
    return run_assert_load_error(R, cmd, KITE_COMPILE_MALFORMED);
  case KITE_WAST_ASSERT_INVALID_CUSTOM: return run_assert_load_error(R, cmd, 0);
  case KITE_WAST_ASSERT_UNLINKABLE: return run_assert_instantiate_error(R, cmd, KITE_ERR_LINK);
  case KITE_WAST_ASSERT_UNINSTANTIABLE:
    return run_assert_instantiate_error(R, cmd, KITE_ERR_RUNTIME);
  default: return failf(R, "unknown command");
  }
}

/* ---- threads ---- */

typedef struct kept_outcome {
  const kite_wast_cmd *cmd;
  int result;
  char *why; /* NUL-terminated copy; NULL when empty */
} kept_outcome;

typedef struct script_thread {
  kite_name name;
  const kite_wast_cmd *cmd;
  pthread_t tid;
  wast_runner R; /* the thread's own runner */
  KITE_VEC(kept_outcome) outcomes;
  bool lost; /* an outcome could not be kept (out of memory) */
} script_thread;

static void run_commands(wast_runner *R, const kite_wast_cmd *cmds, uint32_t n, bool skip_all,
                         const char *skip_why);

static bool runner_init(wast_runner *R, kite_engine *engine, kite_features features,
                        wast_outcome_fn report, void *ud) {
  memset(R, 0, sizeof *R);
  R->engine = engine;
  R->alloc = kite_engine_alloc(engine);
  R->features = features;
  R->report = report;
  R->ud = ud;
  R->store = kite_store_new(engine);
  named_instance spectest = {{(const uint8_t *)"spectest", 8}, NULL};
  return R->store && kite_vec_push(R->alloc, &R->registry, spectest);
}

static void join_threads(wast_runner *R);

static void runner_free(wast_runner *R) {
  join_threads(R); /* threads may use this runner's instances */
  if (R->store) kite_store_free(R->store);
  for (size_t i = 0; i < R->modules.len; i++) kite_module_free(R->modules.data[i]);
  kite_vec_free(R->alloc, &R->modules);
  kite_vec_free(R->alloc, &R->defs);
  kite_vec_free(R->alloc, &R->insts);
  kite_vec_free(R->alloc, &R->registry);
  kite_vec_free(R->alloc, &R->threads);
}

/* A thread's runner reports here; the outcomes are replayed when the thread is joined. */
static void keep_outcome(void *ud, const kite_wast_cmd *cmd, int result, const char *why) {
  script_thread *t = ud;
  kite_alloc *a = t->R.alloc;
  kept_outcome k = {cmd, result, NULL};
  size_t n = why ? strlen(why) : 0;
  if (n && (k.why = kite_malloc(a, n + 1)) != NULL) memcpy(k.why, why, n + 1);
  if (!kite_vec_push(a, &t->outcomes, k)) {
    kite_free(a, k.why, k.why ? n + 1 : 0);
    t->lost = true;
  }
}

static void *thread_main(void *p) {
  script_thread *t = p;
  run_commands(&t->R, t->cmd->cmds, t->cmd->ncmds, false, NULL);
  runner_free(&t->R); /* joins the threads it started, whose outcomes it kept */
  return NULL;
}

/* Join a thread and report what it did through R, then free it. */
static void finish_thread(wast_runner *R, script_thread *t) {
  pthread_join(t->tid, NULL);
  for (size_t i = 0; i < t->outcomes.len; i++) {
    kept_outcome *k = &t->outcomes.data[i];
    R->report(R->ud, k->cmd, k->result, k->why ? k->why : "");
    kite_free(R->alloc, k->why, k->why ? strlen(k->why) + 1 : 0);
  }
  kite_vec_free(R->alloc, &t->outcomes);
  if (t->lost) R->report(R->ud, t->cmd, WAST_FAILED, "out of memory keeping the thread's outcomes");
  kite_free(R->alloc, t, sizeof *t);
}

static void join_threads(wast_runner *R) {
  for (size_t i = 0; i < R->threads.len; i++) finish_thread(R, R->threads.data[i]);
  R->threads.len = 0;
}

static bool share_with(wast_runner *R, script_thread *t, kite_name name) {
  char buf[64];
  kite_instance *inst = find_instance(R, name);
  kite_module *m = find_module(R, name);
  if (!inst && !m) return failf(R, "unknown module $%s", show_name(name, buf, sizeof buf));
  if (inst && !add_named_instance(&t->R, name, inst)) return false;
  return !m || add_named_module(&t->R, name, m);
}

static bool run_thread(wast_runner *R, const kite_wast_cmd *cmd) {
  script_thread *t = kite_calloc(R->alloc, 1, sizeof *t);
  if (!t) return failf(R, "out of memory");
  t->name = cmd->name;
  t->cmd = cmd;
  bool ok = runner_init(&t->R, R->engine, R->features, keep_outcome, t);
  if (!ok) failf(R, "out of memory");
  for (uint32_t i = 0; ok && i < cmd->nshared; i++) ok = share_with(R, t, cmd->shared[i]);
  if (ok && !kite_vec_push(R->alloc, &R->threads, t)) ok = failf(R, "out of memory");
  if (ok && pthread_create(&t->tid, NULL, thread_main, t) != 0) {
    R->threads.len--;
    ok = failf(R, "cannot start a thread");
  }
  if (!ok) {
    runner_free(&t->R);
    kite_free(R->alloc, t, sizeof *t);
  }
  return ok;
}

static bool run_wait(wast_runner *R, const kite_wast_cmd *cmd) {
  char buf[64];
  for (size_t i = R->threads.len; i-- > 0;) {
    script_thread *t = R->threads.data[i];
    if (!name_eq(t->name, cmd->name)) continue;
    memmove(&R->threads.data[i], &R->threads.data[i + 1],
            (R->threads.len - i - 1) * sizeof *R->threads.data);
    R->threads.len--;
    finish_thread(R, t);
    return true;
  }
  return failf(R, "no running thread $%s", show_name(cmd->name, buf, sizeof buf));
}

static void run_commands(wast_runner *R, const kite_wast_cmd *cmds, uint32_t n, bool skip_all,
                         const char *skip_why) {
  for (uint32_t i = 0; i < n; i++) {
    const kite_wast_cmd *cmd = &cmds[i];
    if (skip_all) {
      R->report(R->ud, cmd, WAST_SKIPPED, skip_why);
      if (cmd->kind == KITE_WAST_THREAD) run_commands(R, cmd->cmds, cmd->ncmds, true, skip_why);
      continue;
    }
    R->why[0] = 0;
    bool ok;
    if (cmd->kind == KITE_WAST_THREAD) {
      ok = run_thread(R, cmd);
      if (!ok) {
        R->report(R->ud, cmd, WAST_FAILED, R->why);
        run_commands(R, cmd->cmds, cmd->ncmds, true, "its thread did not start");
        continue;
      }
    } else if (cmd->kind == KITE_WAST_WAIT) {
      ok = run_wait(R, cmd);
    } else {
      ok = run_command(R, cmd);
    }
    R->report(R->ud, cmd, ok ? WAST_PASSED : WAST_FAILED, R->why);
  }
}

bool wast_run_script(const kite_wast_script *script, kite_features features, wast_outcome_fn report,
                     void *ud, kite_error *err) {
  kite_engine_config cfg;
  kite_engine_config_default(&cfg);
  cfg.features = features;
  kite_engine *engine = kite_engine_new(&cfg);
  if (!engine) return kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
  wast_runner R;
  bool ok = runner_init(&R, engine, features, report, ud);
  if (ok) run_commands(&R, script->cmds, script->ncmds, false, NULL);
  else kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
  runner_free(&R);
  kite_engine_free(engine);
  return ok;
}
