/*
** cmd_run.c: `kite run [OPTIONS] FILE [ARGS...]`: instantiate a module with WASI
** preview1 and run it: _start of a command, _initialize of a reactor, or one export
** with --invoke. The exit status is the guest's (proc_exit), 134 on a trap (as
** wasmtime: 128 + SIGABRT), 1 when the module cannot be loaded or linked, 2 for usage.
*/
#define _GNU_SOURCE
#define _DARWIN_C_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "runtime.h"
#include "valid.h"
#include "wasi.h"

extern char **environ;

enum { RUN_TRAP = 134 };

static void run_usage(FILE *f) {
  fprintf(f, "usage: kite run [OPTIONS] FILE.wasm|FILE.wat [ARGS...]\n"
             "       kite FILE [ARGS...]\n"
             "\n"
             "Run a WebAssembly module with WASI preview1 (wasi_snapshot_preview1). A command\n"
             "module's _start runs; a reactor's _initialize runs; with --invoke, one export is\n"
             "called. ARGS are the guest's arguments (after FILE, which is its argv[0]), or\n"
             "with --invoke the export's arguments.\n"
             "\n"
             "options:\n"
             "  --dir HOST[::GUEST]   preopen directory HOST; the guest sees it as GUEST\n"
             "                        (default: HOST as written). Paths cannot leave it.\n"
             "  --env NAME=VALUE      set a variable in the guest's environment; --env NAME\n"
             "                        passes the host's value of NAME\n"
             "  --inherit-env         pass the host's whole environment (--env overrides)\n"
             "  --listen HOST:PORT    preopen a listening TCP socket the guest can sock_accept\n"
             "                        on (after the preopened directories in fd order)\n"
             "  --invoke NAME         call export NAME instead of _start; ARGS are parsed by\n"
             "                        its parameter types, results printed one per line\n"
             "  --max-memory BYTES    cap the linear memories at BYTES, each and all together\n"
             "                        (rounded down to 64 KiB pages)\n"
             "  --fuel N              stop with a trap after N units of fuel: one per call and\n"
             "                        per loop iteration (deterministic)\n"
             "  --features=SET        2.0, 3.0 (default) or all\n"
             "  --compile-threads N   validate a large module's code on up to N threads\n"
             "                        (default 0: one per CPU, at most 8)\n"
             "  --                    end of options\n"
             "\n"
             "exit status: the guest's proc_exit status (0 when _start returns); 134 when it\n"
             "traps (the message and a backtrace go to stderr); 1 when the module does not\n"
             "load, validate or link; 2 for a wrong command line.\n");
}

typedef KITE_VEC(const char *) strvec;

typedef struct run_opts {
  KITE_VEC(kite_wasi_preopen) dirs;
  strvec env;
  strvec listen;
  KITE_VEC(char *) owned; /* strings built here, freed at the end */
  bool inherit_env;
  const char *invoke;
  const char *file;
  uint64_t max_memory;
  bool has_max_memory;
  uint64_t fuel;
  bool has_fuel;
  kite_features features;
  uint32_t compile_threads;
  int nargs;
  char **args; /* after FILE */
} run_opts;

/* "--name=value" or "--name value": the value, advancing *i; NULL if this is not it. */
static const char *opt_value(const char *name, int argc, char **argv, int *i, bool *missing) {
  const char *a = argv[*i];
  size_t n = strlen(name);
  if (strncmp(a, name, n) != 0) return NULL;
  if (a[n] == '=') return a + n + 1;
  if (a[n] != 0) return NULL;
  if (*i + 1 >= argc) {
    *missing = true;
    return NULL;
  }
  return argv[++*i];
}

static bool parse_u64(const char *s, uint64_t *out) {
  if (!*s || *s == '-') return false;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || *end) return false;
  *out = v;
  return true;
}

static char *dup_range(kite_alloc *a, const char *s, size_t n) {
  char *p = kite_malloc(a, n + 1);
  if (p) {
    memcpy(p, s, n);
    p[n] = 0;
  }
  return p;
}

static int parse_opts(kite_alloc *a, int argc, char **argv, run_opts *o) {
  int i = 1;
  for (; i < argc; i++) {
    const char *arg = argv[i];
    if (arg[0] != '-' || arg[1] == 0) break; /* FILE ("-" is stdin) */
    if (strcmp(arg, "--") == 0) {
      i++;
      break;
    }
    if (cli_is_help(arg) || strcmp(arg, "-h") == 0) {
      run_usage(stdout);
      return -1;
    }
    bool missing = false;
    const char *v;
    if ((v = opt_value("--dir", argc, argv, &i, &missing))) {
      const char *sep = strstr(v, "::");
      kite_wasi_preopen p = {v, v};
      if (sep) {
        char *host = dup_range(a, v, (size_t)(sep - v));
        if (!host || !kite_vec_push(a, &o->owned, host)) return CLI_FAIL;
        p.host = host;
        p.guest = sep + 2;
      }
      if (!*p.host || !*p.guest) return cli_usage_error("run", "empty directory in --dir %s", v);
      if (!kite_vec_push(a, &o->dirs, p)) return CLI_FAIL;
    } else if ((v = opt_value("--env", argc, argv, &i, &missing))) {
      if (!strchr(v, '=')) {
        /* --env NAME: the host's value, if it has one. */
        const char *hv = getenv(v);
        if (!hv) continue;
        size_t n = strlen(v), m = strlen(hv);
        char *s = kite_malloc(a, n + m + 2);
        if (!s || !kite_vec_push(a, &o->owned, s)) return CLI_FAIL;
        memcpy(s, v, n);
        s[n] = '=';
        memcpy(s + n + 1, hv, m + 1);
        v = s;
      }
      if (v[0] == '=') return cli_usage_error("run", "empty variable name in --env %s", v);
      if (!kite_vec_push(a, &o->env, v)) return CLI_FAIL;
    } else if (strcmp(arg, "--inherit-env") == 0) {
      o->inherit_env = true;
    } else if ((v = opt_value("--listen", argc, argv, &i, &missing))) {
      if (!kite_vec_push(a, &o->listen, v)) return CLI_FAIL;
    } else if ((v = opt_value("--invoke", argc, argv, &i, &missing))) {
      o->invoke = v;
    } else if ((v = opt_value("--max-memory", argc, argv, &i, &missing))) {
      if (!parse_u64(v, &o->max_memory))
        return cli_usage_error("run", "--max-memory needs a number of bytes, not '%s'", v);
      o->has_max_memory = true;
    } else if ((v = opt_value("--fuel", argc, argv, &i, &missing))) {
      if (!parse_u64(v, &o->fuel))
        return cli_usage_error("run", "--fuel needs a number, not '%s'", v);
      o->has_fuel = true;
    } else if ((v = opt_value("--compile-threads", argc, argv, &i, &missing))) {
      if (!cli_parse_threads(v, &o->compile_threads))
        return cli_usage_error("run", "--compile-threads needs a number, not '%s'", v);
    } else if ((v = opt_value("--features", argc, argv, &i, &missing))) {
      if (!cli_parse_features(v, &o->features))
        return cli_usage_error("run", "unknown feature set '%s' (2.0, 3.0 or all)", v);
    } else if (missing) {
      return cli_usage_error("run", "option %s needs a value", arg);
    } else {
      return cli_usage_error("run", "unknown option '%s'", arg);
    }
    if (missing) return cli_usage_error("run", "option %s needs a value", arg);
  }
  if (i >= argc) return cli_usage_error("run", "no module given");
  o->file = argv[i];
  o->args = argv + i + 1;
  o->nargs = argc - i - 1;
  return 0;
}

/* The guest's environment: the host's (with --inherit-env) unless --env names it. */
static bool build_env(kite_alloc *a, const run_opts *o, strvec *out) {
  if (o->inherit_env) {
    for (char **e = environ; *e; e++) {
      const char *eq = strchr(*e, '=');
      size_t n = eq ? (size_t)(eq - *e) : strlen(*e);
      bool overridden = false;
      for (size_t j = 0; j < o->env.len && !overridden; j++)
        overridden = strncmp(o->env.data[j], *e, n) == 0 && o->env.data[j][n] == '=';
      if (!overridden && !kite_vec_push(a, out, *e)) return false;
    }
  }
  for (size_t j = 0; j < o->env.len; j++)
    if (!kite_vec_push(a, out, o->env.data[j])) return false;
  return true;
}

/* ---- --invoke: arguments in, results out ---- */

static bool parse_int(const char *s, int bits, uint64_t *out) {
  char *end;
  errno = 0;
  if (*s == '-') {
    long long v = strtoll(s, &end, 0);
    if (errno || *end || !s[1]) return false;
    if (bits == 32 && v < INT32_MIN) return false;
    *out = bits == 32 ? (uint32_t)(int32_t)v : (uint64_t)v;
    return true;
  }
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || *end || !*s) return false;
  if (bits == 32 && v > UINT32_MAX) return false;
  *out = v;
  return true;
}

static bool parse_arg(const char *s, kite_valtype t, kite_value *out) {
  uint64_t u;
  char *end;
  switch (t.kind) {
  case KITE_VT_I32:
    if (!parse_int(s, 32, &u)) return false;
    *out = kite_val_i32((uint32_t)u);
    return true;
  case KITE_VT_I64:
    if (!parse_int(s, 64, &u)) return false;
    *out = kite_val_i64(u);
    return true;
  case KITE_VT_F32: {
    float f = strtof(s, &end);
    if (!*s || *end) return false;
    uint32_t bits;
    memcpy(&bits, &f, 4);
    *out = kite_val_f32_bits(bits);
    return true;
  }
  case KITE_VT_F64: {
    double d = strtod(s, &end);
    if (!*s || *end) return false;
    uint64_t bits;
    memcpy(&bits, &d, 8);
    *out = kite_val_f64_bits(bits);
    return true;
  }
  default: return false;
  }
}

/* Floats print in the shortest form that reads back to the same value. */
static void print_float(double d, int max_digits, bool is_f32) {
  if (isnan(d)) {
    printf("NaN\n");
    return;
  }
  if (isinf(d)) {
    printf(d < 0 ? "-inf\n" : "inf\n");
    return;
  }
  char buf[64];
  for (int p = 1; p <= max_digits; p++) {
    snprintf(buf, sizeof buf, "%.*g", p, d);
    if (is_f32 ? strtof(buf, NULL) == (float)d : strtod(buf, NULL) == d) break;
  }
  printf("%s\n", buf);
}

static void print_result(const kite_value *v) {
  switch (v->type.kind) {
  case KITE_VT_I32: printf("%" PRId32 "\n", (int32_t)v->u.i32); break;
  case KITE_VT_I64: printf("%" PRId64 "\n", (int64_t)v->u.i64); break;
  case KITE_VT_F32: {
    float f;
    memcpy(&f, &v->u.f32, 4);
    print_float(f, 9, true);
    break;
  }
  case KITE_VT_F64: {
    double d;
    memcpy(&d, &v->u.f64, 8);
    print_float(d, 17, false);
    break;
  }
  case KITE_VT_V128:
    printf("0x");
    for (int i = 15; i >= 0; i--) printf("%02x", v->u.v128[i]);
    printf("\n");
    break;
  default: printf(kite_val_is_null(v) ? "ref.null\n" : "ref\n"); break;
  }
}

/* ---- errors ---- */

static void print_trap(const kite_trace *t, const kite_error *err) {
  fprintf(stderr, "error: wasm trap: %s\n", err->msg);
  if (!t || t->nframes == 0) return;
  fprintf(stderr, "wasm backtrace:\n");
  for (uint32_t i = 0; i < t->nframes; i++) {
    const kite_trace_frame *f = &t->frames[i];
    if (!f->module) {
      fprintf(stderr, "  %3u: <host function>\n", i);
      continue;
    }
    fprintf(stderr, "  %3u: 0x%x - ", i, f->offset);
    if (f->name.len) cli_print_name(stderr, f->name);
    else fprintf(stderr, "<wasm function %u>", f->func_index);
    fputc('\n', stderr);
  }
  if (t->depth > t->nframes) fprintf(stderr, "  ... %u more frames\n", t->depth - t->nframes);
}

static bool is_trap(const kite_error *err) {
  return err->kind == KITE_ERR_RUNTIME || err->kind == KITE_ERR_EXHAUSTION;
}

/* ---- running ---- */

typedef struct run_state {
  kite_engine *engine;
  kite_store *store;
  kite_module *module;
  kite_wasi *wasi;
  kite_wasi_threads *threads; /* a wasi-threads program */
  kite_trace thread_trace;    /* the backtrace of a trap in a spawned thread */
  bool thread_ended;          /* a spawned thread ended the program */
  kite_extern *imports;
  uint32_t nimports;
  cli_heap heap; /* the engine's allocator while a large module starts (cli_heap.c) */
} run_state;

static int load(run_state *st, const run_opts *o, kite_error *err) {
  kite_engine_config cfg;
  kite_engine_config_default(&cfg);
  cfg.features = o->features;
  if (o->has_max_memory) {
    cfg.max_memory_pages = o->max_memory >> 16;
    cfg.max_store_memory = o->max_memory & ~(uint64_t)0xFFFF;
  }
  cfg.consume_fuel = o->has_fuel;
  cfg.initial_fuel = o->fuel;
  cfg.compile_threads = o->compile_threads;
  struct stat sb;
  if (stat(o->file, &sb) == 0 && S_ISREG(sb.st_mode) &&
      (uint64_t)sb.st_size >= CLI_HEAP_MIN_MODULE && (uint64_t)sb.st_size <= SIZE_MAX / 16 &&
      cli_heap_init(&st->heap, (size_t)sb.st_size)) {
    cfg.alloc = cli_heap_alloc;
    cfg.alloc_ud = &st->heap;
  }
  if (!(st->engine = kite_engine_new(&cfg))) {
    fprintf(stderr, "kite: out of memory\n");
    return CLI_FAIL;
  }
  st->module = cli_compile_module(kite_engine_alloc(st->engine), o->file, o->features,
                                  o->compile_threads, err);
  if (!st->module) {
    cli_print_error(o->file, err);
    return CLI_FAIL;
  }
  return 0;
}

static int link_imports(run_state *st, const run_opts *o, kite_error *err) {
  kite_alloc *a = kite_engine_alloc(st->engine);
  const kite_module *m = st->module;
  st->nimports = m->nimports;
  st->imports = kite_calloc(a, m->nimports ? m->nimports : 1, sizeof *st->imports);
  if (!st->imports) return CLI_FAIL;
  for (uint32_t i = 0; i < m->nimports; i++) {
    if (kite_wasi_is_import(&m->imports[i])) continue;
    if (st->threads && kite_wasi_threads_is_import(&m->imports[i])) continue;
    fprintf(stderr, "%s: error: unknown import: ", o->file);
    cli_print_name(stderr, m->imports[i].module);
    fprintf(stderr, "::");
    cli_print_name(stderr, m->imports[i].field);
    fprintf(stderr, " (only %s%s is provided)\n", KITE_WASI_MODULE,
            st->threads ? ", wasi::thread-spawn and env::memory" : "");
    return CLI_FAIL;
  }
  if (!kite_wasi_link(st->wasi, st->store, m, st->imports, err) ||
      (st->threads && !kite_wasi_threads_link(st->threads, st->store, st->imports, err))) {
    fprintf(stderr, "%s: error: %s\n", o->file, err->msg);
    return CLI_FAIL;
  }
  return 0;
}

static int invoke(run_state *st, kite_instance *inst, const run_opts *o, kite_error *err) {
  kite_alloc *a = kite_engine_alloc(st->engine);
  kite_extern x;
  if (!kite_instance_export(inst, o->invoke, strlen(o->invoke), &x) || x.kind != KITE_EXTERN_FUNC) {
    fprintf(stderr, "%s: error: no exported function '%s'\n", o->file, o->invoke);
    return CLI_FAIL;
  }
  const kite_functype *t = kite_func_type(x.u.func);
  if ((uint32_t)o->nargs != t->nparams) {
    fprintf(stderr, "%s: error: '%s' takes %u arguments, %d given\n", o->file, o->invoke,
            t->nparams, o->nargs);
    return CLI_USAGE;
  }
  kite_value *args = kite_calloc(a, t->nparams + 1, sizeof *args);
  kite_value *res = kite_calloc(a, t->nresults + 1, sizeof *res);
  int rc = CLI_FAIL;
  if (!args || !res) goto done;
  for (uint32_t i = 0; i < t->nparams; i++) {
    if (!parse_arg(o->args[i], t->params[i], &args[i])) {
      kite_buf tb;
      kite_buf_init(&tb, a);
      kite_valtype_text(st->module, t->params[i], &tb);
      kite_buf_byte(&tb, 0);
      fprintf(stderr, "%s: error: argument %u '%s' is not a valid %s\n", o->file, i + 1, o->args[i],
              tb.data ? (const char *)tb.data : "value");
      kite_buf_free(&tb);
      rc = CLI_USAGE;
      goto done;
    }
  }
  /* A reactor is initialised before any of its exports is used. */
  kite_funcinst *init = NULL;
  kite_extern ix;
  if (kite_instance_export(inst, "_initialize", 11, &ix) && ix.kind == KITE_EXTERN_FUNC)
    init = ix.u.func;
  int status = 0;
  if (init && !kite_func_call(st->store, init, NULL, 0, NULL, 0, err)) {
    rc = kite_wasi_exit_status(err, &status) ? (status & 0xff) : -1;
    goto done;
  }
  if (!kite_func_call(st->store, x.u.func, args, t->nparams, res, t->nresults, err)) {
    rc = kite_wasi_exit_status(err, &status) ? (status & 0xff) : -1;
    goto done;
  }
  for (uint32_t i = 0; i < t->nresults; i++) print_result(&res[i]);
  rc = CLI_OK;
done:
  kite_free(a, args, args ? (t->nparams + 1) * sizeof *args : 0);
  kite_free(a, res, res ? (t->nresults + 1) * sizeof *res : 0);
  return rc;
}

static int run(run_state *st, run_opts *o) {
  kite_error err;
  kite_error_clear(&err);
  int rc = load(st, o, &err);
  if (rc) return rc;
  kite_alloc *a = kite_engine_alloc(st->engine);
  strvec argv = {0};
  strvec env = {0};
  rc = CLI_FAIL;
  if (!kite_vec_push(a, &argv, o->file)) goto done;
  if (!o->invoke)
    for (int i = 0; i < o->nargs; i++)
      if (!kite_vec_push(a, &argv, o->args[i])) goto done;
  if (!build_env(a, o, &env)) goto done;
  kite_wasi_config cfg;
  kite_wasi_config_init(&cfg);
  cfg.argv = argv.data;
  cfg.argc = argv.len;
  cfg.envp = env.data;
  cfg.envc = env.len;
  cfg.preopens = o->dirs.data;
  cfg.npreopens = o->dirs.len;
  cfg.listen = o->listen.data;
  cfg.nlisten = o->listen.len;
  if (!(st->wasi = kite_wasi_new(a, &cfg, &err))) {
    fprintf(stderr, "kite run: %s\n", err.msg);
    rc = err.kind == KITE_ERR_USAGE ? CLI_USAGE : CLI_FAIL;
    goto done;
  }
  if (!(st->store = kite_store_new(st->engine))) goto done;
  if (kite_wasi_threads_used(st->module) &&
      !(st->threads = kite_wasi_threads_new(st->wasi, st->store, st->module, &err))) {
    fprintf(stderr, "%s: error: %s\n", o->file, err.msg);
    goto done;
  }
  if ((rc = link_imports(st, o, &err))) goto done;
  kite_instance *inst = kite_instantiate(st->store, st->module, st->imports, st->nimports, &err);
  int status = 0;
  /* The program ends with the main thread: the other threads stop now, and one that
     ended it first (proc_exit, a trap) decides the outcome. */
  if (st->threads && !inst)
    st->thread_ended = kite_wasi_threads_finish(st->threads, &err, &st->thread_trace);
  if (!inst) {
    if (kite_wasi_exit_status(&err, &status)) rc = status & 0xff; /* proc_exit in start */
    else if (is_trap(&err)) rc = -1;
    else {
      fprintf(stderr, "%s: error: %s\n", o->file, err.msg);
      rc = CLI_FAIL;
    }
    goto done;
  }
  /* What the program allocates from here on is its own business: malloc. */
  cli_heap_close(&st->heap);
  if (o->invoke) {
    kite_wasi_bind(st->wasi, inst);
    rc = invoke(st, inst, o, &err);
  } else if (kite_wasi_run(st->wasi, st->store, inst, &status, &err)) {
    rc = status & 0xff;
  } else {
    rc = -1;
  }
  if (st->threads &&
      (st->thread_ended = kite_wasi_threads_finish(st->threads, &err, &st->thread_trace)))
    rc = kite_wasi_exit_status(&err, &status) ? (status & 0xff) : -1;
done:
  if (rc == -1) {
    if (is_trap(&err)) {
      fflush(stdout);
      print_trap(st->thread_ended ? &st->thread_trace : kite_store_trace(st->store), &err);
      rc = RUN_TRAP;
    } else {
      fprintf(stderr, "%s: error: %s\n", o->file, err.msg);
      rc = CLI_FAIL;
    }
  }
  kite_vec_free(a, &argv);
  kite_vec_free(a, &env);
  return rc;
}

#if defined(KITE_CLI_ASAN)
/* Everything a run made, freed for the leak checker. */
static void free_run_state(run_state *st) {
  if (st->store) kite_store_free(st->store);
  kite_wasi_free(st->wasi);
  if (st->engine) {
    kite_alloc *ea = kite_engine_alloc(st->engine);
    kite_free(ea, st->imports,
              st->imports ? (st->nimports ? st->nimports : 1) * sizeof *st->imports : 0);
    kite_module_free(st->module);
    kite_engine_free(st->engine);
  }
  cli_heap_free(&st->heap);
}
#endif

int cmd_run(int argc, char **argv) {
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  run_opts o;
  memset(&o, 0, sizeof o);
  o.features = CLI_DEFAULT_FEATURES;
  int rc = parse_opts(&a, argc, argv, &o);
  if (rc == -1) rc = CLI_OK; /* --help */
  else if (rc == 0) {
    /* A guest writing to a closed pipe gets EPIPE, as under wasmtime, instead of the
       whole process dying of SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    run_state st;
    memset(&st, 0, sizeof st);
    rc = run(&st, &o);
    fflush(stdout);
    kite_wasi_threads_free(st.threads); /* joins any thread still running */
#if defined(KITE_CLI_ASAN)
    free_run_state(&st);
#else
    /* Otherwise the process ends here and the kernel takes everything back at once:
       freeing it piece by piece (unmapping a memory's 8 GiB reservation, the value
       stack, the start-up heap, then the module) took 0.09 ms of a 1 MB module's 1.9. */
#endif
  }
  for (size_t i = 0; i < o.owned.len; i++)
    kite_free(&a, o.owned.data[i], strlen(o.owned.data[i]) + 1);
  kite_vec_free(&a, &o.owned);
  kite_vec_free(&a, &o.dirs);
  kite_vec_free(&a, &o.env);
  kite_vec_free(&a, &o.listen);
  return rc;
}
