/*
** fuzz_exec: binary modules through decoding, validation, lowering, instantiation and
** the interpreter.
**
** Every defined function of a valid module is lowered. Modules are then instantiated
** with stub imports (host functions that return zeros, or trap when the data says so;
** fresh memories, tables, globals and tags of the imported types) and every exported
** function is called with data-chosen arguments. Traps, link errors and exhaustion are
** fine; crashes, leaks, undefined behaviour and an error without a kind are not.
**
** Each input runs twice, once with guard pages (lowered code without bounds checks for
** 32-bit memories) and once with explicit bounds checks; both runs must agree on every
** result, trap and exhaustion, and on the final contents of memories and globals.
**
** Termination: the store meters fuel (each call and loop iteration costs one unit), so
** every module ends. Memories and tables are capped small so that growing to the cap
** and filling or copying them in every loop iteration stays fast.
*/
#include "binary.h"
#include "exec.h"
#include "fuzz_util.h"
#include "runtime.h"
#include "valid.h"

#define MAX_PAGES 16 /* 1 MiB */
#define MAX_TABLE 10000
#define MAX_DEPTH 2000
#define MAX_EXPORT_CALLS 64
#define FUEL 20000 /* per store: shared by the start function and every export */

/* With FUZZ_EXEC_STATS set, how far inputs get is printed at exit. */
static struct {
  unsigned long inputs, valid, instantiated, calls, ok, traps, fuel_out, exhausted;
} stats;

static void print_stats(void) {
  fprintf(stderr,
          "fuzz_exec: %lu inputs, %lu valid, %lu instantiated; %lu calls: %lu returned, %lu "
          "trapped (%lu out of fuel), %lu exhausted\n",
          stats.inputs, stats.valid, stats.instantiated, stats.calls, stats.ok, stats.traps,
          stats.fuel_out, stats.exhausted);
}

typedef struct host_env {
  uint64_t rng;
  uint32_t calls;
} host_env;

static bool stub_fn(void *env, kite_store *s, const kite_value *args, uint32_t nargs,
                    kite_value *results, uint32_t nresults, kite_error *err) {
  (void)s, (void)args, (void)nargs;
  host_env *h = env;
  h->calls++;
  uint64_t r = fuzz_next(&h->rng);
  if ((r & 31) == 0)
    return kite_fail(err, KITE_ERR_RUNTIME, KITE_TRAP_HOST, 0, "host trap");
  for (uint32_t i = 0; i < nresults; i++) {
    kite_valtype t = results[i].type;
    results[i] = kite_val_default(t);
    if (t.kind == KITE_VT_I32) results[i].u.i32 = (uint32_t)fuzz_next(&h->rng);
    else if (t.kind == KITE_VT_I64) results[i].u.i64 = fuzz_next(&h->rng);
  }
  return true;
}

static uint64_t pick(uint64_t *rng) {
  static const uint64_t special[] = {0,          1,          UINT64_MAX, 0x80000000u, 0x7fffffffu,
                                     0xffffffffu, 1ull << 63, 0xffff,     65536,       0x7ff8000000000000ull};
  uint64_t r = fuzz_next(rng);
  return (r & 3) ? special[(r >> 8) % KITE_ARRAY_LEN(special)] : fuzz_next(rng);
}

static kite_value arg_value(kite_valtype t, uint64_t *rng) {
  kite_value v = kite_val_default(t);
  uint64_t x = pick(rng);
  switch (t.kind) {
  case KITE_VT_I32: v.u.i32 = (uint32_t)x; break;
  case KITE_VT_I64: v.u.i64 = x; break;
  case KITE_VT_F32: v.u.f32 = (uint32_t)x; break;
  case KITE_VT_F64: v.u.f64 = x; break;
  case KITE_VT_V128:
    memcpy(v.u.v128, &x, 8);
    x = pick(rng);
    memcpy(v.u.v128 + 8, &x, 8);
    break;
  default: break; /* references: null */
  }
  return v;
}

/* Stub objects for the imports; false when one cannot be made (then nothing runs). */
static bool make_imports(kite_store *s, const kite_module *m, kite_extern *ext, host_env *env) {
  for (uint32_t i = 0; i < m->nimports; i++) {
    const kite_import *im = &m->imports[i];
    kite_error err;
    kite_error_clear(&err);
    ext[i].kind = im->kind;
    switch (im->kind) {
    case KITE_EXTERN_FUNC:
      if (m->types[im->u.func].comp != KITE_COMP_FUNC) return false;
      ext[i].u.func = kite_func_new_host(s, kite_module_functype(m, im->u.func), stub_fn, env, &err);
      if (!ext[i].u.func) return false;
      break;
    case KITE_EXTERN_TABLE: {
      kite_valtype et = im->u.table.elem;
      if (!et.nullable) return false;
      ext[i].u.table = kite_table_new(s, et, &im->u.table.limits, kite_val_default(et), &err);
      if (!ext[i].u.table) return false;
      break;
    }
    case KITE_EXTERN_MEMORY:
      ext[i].u.memory = kite_memory_new(s, &im->u.memory.limits, &err);
      if (!ext[i].u.memory) return false;
      break;
    case KITE_EXTERN_GLOBAL: {
      kite_globaltype gt = im->u.global;
      if (gt.type.kind == KITE_VT_REF && !gt.type.nullable) return false;
      ext[i].u.global = kite_global_new(s, gt, kite_val_default(gt.type), &err);
      if (!ext[i].u.global) return false;
      break;
    }
    case KITE_EXTERN_TAG:
      if (m->types[im->u.tag.type].comp != KITE_COMP_FUNC) return false;
      ext[i].u.tag = kite_tag_new(s, kite_module_functype(m, im->u.tag.type), &err);
      if (!ext[i].u.tag) return false;
      break;
    default: return false;
    }
  }
  return true;
}

static void digest(uint64_t *h, const void *p, size_t n) {
  for (size_t i = 0; i < n; i++) *h = (*h ^ ((const uint8_t *)p)[i]) * 0x100000001b3ULL;
}

static void digest_error(uint64_t *h, const kite_error *err) {
  digest(h, &err->kind, sizeof err->kind);
  digest(h, &err->code, sizeof err->code);
  digest(h, err->msg, strlen(err->msg));
}

/* A value's digest: numbers by their bits; references only null or not (addresses
   differ from run to run). */
static void digest_value(uint64_t *h, const kite_value *v) {
  digest(h, &v->type.kind, 1);
  switch (v->type.kind) {
  case KITE_VT_I32:
  case KITE_VT_F32: digest(h, &v->u.i32, 4); break;
  case KITE_VT_I64:
  case KITE_VT_F64: digest(h, &v->u.i64, 8); break;
  case KITE_VT_V128: digest(h, v->u.v128, 16); break;
  default: {
    uint8_t null = v->u.ref == KITE_REF_NULL;
    digest(h, &null, 1);
  }
  }
}

static void check_call_error(const kite_error *err) {
  fuzz_check_error(err, "kite_func_call");
  switch (err->kind) {
  case KITE_ERR_RUNTIME:
  case KITE_ERR_EXHAUSTION:
  case KITE_ERR_OOM: break;
  default:
    fuzz_print_error("call", err);
    fuzz_die("a call failed with an unexpected kind of error");
  }
}

static void run_exports(kite_store *s, kite_instance *inst, const kite_module *m, uint64_t *rng,
                        uint64_t *h, bool count) {
  uint32_t calls = 0;
  for (uint32_t i = 0; i < m->nexports && calls < MAX_EXPORT_CALLS; i++) {
    const kite_export *ex = &m->exports[i];
    if (ex->kind != KITE_EXTERN_FUNC) continue;
    kite_funcinst *f = kite_instance_func(inst, ex->index);
    const kite_functype *ft = kite_func_type(f);
    kite_value *args = calloc(ft->nparams + 1, sizeof *args);
    kite_value *results = calloc(ft->nresults + 1, sizeof *results);
    if (!args || !results) fuzz_die("out of memory");
    for (uint32_t k = 0; k < ft->nparams; k++) args[k] = arg_value(ft->params[k], rng);
    kite_error err;
    kite_error_clear(&err);
    calls++;
    bool ok = kite_func_call(s, f, args, ft->nparams, results, ft->nresults, &err);
    if (!ok) check_call_error(&err);
    if (count) {
      stats.calls++;
      stats.ok += ok;
      stats.traps += err.kind == KITE_ERR_RUNTIME;
      stats.fuel_out += err.code == KITE_TRAP_OUT_OF_FUEL;
      stats.exhausted += err.kind == KITE_ERR_EXHAUSTION;
    }
    digest_error(h, &err);
    if (getenv("FUZZ_EXEC_TRACE")) {
      fprintf(stderr, "export %u (", i);
      for (uint32_t k = 0; k < ft->nparams; k++)
        fprintf(stderr, " %llx", (unsigned long long)args[k].u.i64);
      fprintf(stderr, "): %s %d %s", kite_errkind_name(err.kind), err.code, err.msg);
      for (uint32_t k = 0; ok && k < ft->nresults; k++)
        fprintf(stderr, " %016llx", (unsigned long long)results[k].u.i64);
      fprintf(stderr, "\n");
    }
    if (err.kind == KITE_OK)
      for (uint32_t k = 0; k < ft->nresults; k++) {
        if (results[k].type.kind != ft->results[k].kind) fuzz_die("a result of the wrong type");
        digest_value(h, &results[k]);
      }
    free(args);
    free(results);
  }
}

static void lower_all(const kite_module *m, kite_alloc *a) {
  for (uint32_t i = m->nimported_funcs; i < m->nfuncs; i++) {
    for (int guarded = 0; guarded < 2; guarded++) {
      kite_error err;
      kite_error_clear(&err);
      kite_xfunc *x = kite_lower(m, i, guarded, a, &err);
      if (x) kite_xfunc_free(a, x);
      else fuzz_check_error(&err, "kite_lower");
    }
  }
}

/* The final state an instance leaves: memory contents and global values. */
static void digest_state(uint64_t *h, kite_instance *inst, const kite_module *m) {
  for (uint32_t i = 0; i < m->nmemories; i++) {
    kite_meminst *mem = kite_instance_memory(inst, i);
    uint64_t n = kite_memory_size_bytes(mem);
    digest(h, &n, sizeof n);
    digest(h, kite_memory_data(mem), (size_t)n);
  }
  for (uint32_t i = 0; i < m->nglobals; i++) {
    kite_value v = kite_global_get(kite_instance_global(inst, i));
    digest_value(h, &v);
  }
}

/* One run of the input; returns the digest of everything observable. */
static uint64_t run_variant(const uint8_t *data, size_t size, bool no_guard_pages, bool count) {
  uint64_t h = 0xcbf29ce484222325ULL;
  size_t live = 0;
  kite_engine_config cfg;
  kite_engine_config_default(&cfg);
  cfg.alloc = fuzz_alloc_fn;
  cfg.alloc_ud = &live;
  cfg.alloc_limit = FUZZ_ALLOC_LIMIT;
  cfg.features = KITE_FEATURES_3_0;
  cfg.max_call_depth = MAX_DEPTH;
  cfg.max_stack_slots = 1u << 20;
  cfg.max_memory_pages = MAX_PAGES;
  cfg.max_table_elems = MAX_TABLE;
  cfg.consume_fuel = true;
  cfg.initial_fuel = FUEL;
  uint64_t rng = fuzz_hash(data, size);
  cfg.no_guard_pages = no_guard_pages;
  kite_engine *e = kite_engine_new(&cfg);
  if (!e) fuzz_die("no engine");
  size_t engine_bytes = live;
  kite_alloc *a = kite_engine_alloc(e);
  kite_features f = kite_engine_features(e);

  kite_error err;
  kite_error_clear(&err);
  kite_module *m = kite_decode(a, data, size, f, NULL, &err);
  if (!m) {
    fuzz_check_error(&err, "kite_decode");
  } else if (!kite_validate_module(m, f, &err)) {
    fuzz_check_error(&err, "kite_validate_module");
  } else {
    stats.valid += count;
    if (count) lower_all(m, a);
    kite_store *s = kite_store_new(e);
    if (!s) fuzz_die("no store");
    host_env env = {rng ^ 0x5eed, 0};
    kite_extern *ext = calloc(m->nimports + 1, sizeof *ext);
    if (!ext) fuzz_die("out of memory");
    if (make_imports(s, m, ext, &env)) {
      kite_error_clear(&err);
      kite_instance *inst = kite_instantiate(s, m, ext, m->nimports, &err);
      if (inst) {
        stats.instantiated += count;
        run_exports(s, inst, m, &rng, &h, count);
        digest_state(&h, inst, m);
      } else {
        fuzz_check_error(&err, "kite_instantiate");
        digest_error(&h, &err);
      }
    }
    free(ext);
    kite_store_free(s);
  }
  kite_module_free(m);
  if (live != engine_bytes) {
    fprintf(stderr, "fuzz: %zu bytes still allocated through the engine's hook\n",
            live - engine_bytes);
    abort();
  }
  kite_engine_free(e);
  return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (stats.inputs++ == 0 && getenv("FUZZ_EXEC_STATS")) atexit(print_stats);
  uint64_t guarded = run_variant(data, size, false, true);
  uint64_t checked = run_variant(data, size, true, false);
  if (guarded != checked) fuzz_die("guard pages and explicit bounds checks disagree");
  return 0;
}
