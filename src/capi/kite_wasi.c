/*
** kite_wasi.c: WASI in kite.h: options (arguments, environment, preopens, listeners,
** stdio), contexts owned by a store, and running commands and reactors (over
** src/wasi).
*/
#include <stdio.h>

#include "capi.h"
#include "wasi.h"

typedef KITE_VEC(char *) string_vec;

struct kite_wasi_options {
  kite_alloc *alloc;
  string_vec args, env, listen;
  KITE_VEC(kite_wasi_preopen) preopens;
  int stdio[3];
};

kite_wasi_options *kite_wasi_options_new(kite_engine *e) {
  kite_alloc *a = kite_engine_alloc(e);
  kite_wasi_options *o = kite_calloc(a, 1, sizeof *o);
  if (!o) return NULL;
  o->alloc = a;
  o->stdio[0] = 0;
  o->stdio[1] = 1;
  o->stdio[2] = 2;
  return o;
}

static void free_string(kite_alloc *a, const char *s) {
  if (s) kite_free(a, (char *)s, strlen(s) + 1);
}

static void free_strings(kite_alloc *a, string_vec *v) {
  for (size_t i = 0; i < v->len; i++) free_string(a, v->data[i]);
  kite_vec_free(a, v);
}

void kite_wasi_options_free(kite_wasi_options *o) {
  if (!o) return;
  kite_alloc *a = o->alloc;
  free_strings(a, &o->args);
  free_strings(a, &o->env);
  free_strings(a, &o->listen);
  for (size_t i = 0; i < o->preopens.len; i++) {
    free_string(a, o->preopens.data[i].host);
    free_string(a, o->preopens.data[i].guest);
  }
  kite_vec_free(a, &o->preopens);
  kite_free(a, o, sizeof *o);
}

/* A copy of a + b (b may be NULL). */
static char *concat(kite_alloc *al, const char *a, const char *b) {
  size_t na = strlen(a), nb = b ? strlen(b) : 0;
  char *s = kite_malloc(al, na + nb + 1);
  if (!s) return NULL;
  memcpy(s, a, na);
  if (nb) memcpy(s + na, b, nb);
  s[na + nb] = 0;
  return s;
}

static bool push_string(kite_alloc *a, string_vec *v, char *s) {
  if (!s) return false;
  if (kite_vec_push(a, v, s)) return true;
  free_string(a, s);
  return false;
}

bool kite_wasi_options_arg(kite_wasi_options *o, const char *arg) {
  return push_string(o->alloc, &o->args, concat(o->alloc, arg, NULL));
}

bool kite_wasi_options_env(kite_wasi_options *o, const char *name, const char *value) {
  char *kv = concat(o->alloc, name, "=");
  if (!kv) return false;
  char *s = concat(o->alloc, kv, value);
  free_string(o->alloc, kv);
  return push_string(o->alloc, &o->env, s);
}

bool kite_wasi_options_preopen(kite_wasi_options *o, const char *host_dir, const char *guest_dir) {
  kite_wasi_preopen p;
  p.host = concat(o->alloc, host_dir, NULL);
  p.guest = concat(o->alloc, guest_dir, NULL);
  if (p.host && p.guest && kite_vec_push(o->alloc, &o->preopens, p)) return true;
  free_string(o->alloc, p.host);
  free_string(o->alloc, p.guest);
  return false;
}

bool kite_wasi_options_listen(kite_wasi_options *o, const char *address) {
  return push_string(o->alloc, &o->listen, concat(o->alloc, address, NULL));
}

void kite_wasi_options_stdio(kite_wasi_options *o, int in, int out, int err) {
  o->stdio[0] = in;
  o->stdio[1] = out;
  o->stdio[2] = err;
}

static void free_wasi(void *w) { kite_wasi_free(w); }

kite_wasi *kite_wasi_create(kite_store *s, const kite_wasi_options *o, kite_error *err) {
  kite_error local;
  if (!err) err = &local;
  kite_error_clear(err);
  kite_wasi_config cfg;
  kite_wasi_config_init(&cfg);
  if (o) {
    cfg.argv = (const char *const *)o->args.data;
    cfg.argc = o->args.len;
    cfg.envp = (const char *const *)o->env.data;
    cfg.envc = o->env.len;
    cfg.preopens = o->preopens.data;
    cfg.npreopens = o->preopens.len;
    cfg.listen = (const char *const *)o->listen.data;
    cfg.nlisten = o->listen.len;
    memcpy(cfg.stdio, o->stdio, sizeof cfg.stdio);
  }
  kite_wasi *w = kite_wasi_new(s->alloc, &cfg, err);
  if (!w) return NULL;
  if (!kite_capi_store_on_free(s, free_wasi, w, err)) return NULL;
  return w;
}

/* Instantiate m with WASI imports from w and the rest from imports. */
static kite_instance *instantiate(kite_wasi *w, kite_store *s, const kite_module *m,
                                  const kite_imports *imports, kite_error *err) {
  size_t n = m->nimports ? m->nimports : 1;
  kite_extern *externs = kite_calloc(s->alloc, n, sizeof *externs);
  bool *prefilled = kite_calloc(s->alloc, n, sizeof *prefilled);
  kite_instance *inst = NULL;
  if (!externs || !prefilled) {
    kite_fail(err, KITE_ERR_OOM, 0, 0, "out of memory");
    goto done;
  }
  for (uint32_t i = 0; i < m->nimports; i++) prefilled[i] = kite_wasi_is_import(&m->imports[i]);
  if (!kite_wasi_link(w, s, m, externs, err)) goto done;
  if (!kite_capi_resolve(m, kite_capi_imports_lookup, (void *)imports, prefilled, externs, err))
    goto done;
  inst = kite_capi_instantiate(s, m, externs, err);
done:
  kite_free(s->alloc, externs, n * sizeof *externs);
  kite_free(s->alloc, prefilled, n * sizeof *prefilled);
  return inst;
}

bool kite_wasi_run_command(kite_wasi *w, kite_store *s, const kite_module *m,
                           const kite_imports *imports, int *exit_code, kite_error *err) {
  kite_error local;
  if (!err) err = &local;
  kite_error_clear(err);
  *exit_code = 0;
  kite_instance *inst = instantiate(w, s, m, imports, err);
  bool ok =
      inst ? kite_wasi_run(w, s, inst, exit_code, err) : kite_wasi_exit_status(err, exit_code);
  if (!ok) kite_capi_drop_offset(err);
  return ok;
}

kite_instance *kite_wasi_instantiate(kite_wasi *w, kite_store *s, const kite_module *m,
                                     const kite_imports *imports, kite_error *err) {
  kite_error local;
  if (!err) err = &local;
  kite_error_clear(err);
  kite_instance *inst = instantiate(w, s, m, imports, err);
  if (!inst) {
    kite_capi_drop_offset(err);
    return NULL;
  }
  kite_wasi_bind(w, inst);
  kite_funcinst *init = kite_instance_export_func(inst, "_initialize");
  if (init && !kite_func_call(s, init, NULL, 0, NULL, 0, err)) {
    kite_capi_drop_offset(err);
    return NULL;
  }
  return inst;
}
