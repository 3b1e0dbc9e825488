/*
** kite_engine.c: engine configuration, engines, and the per-store controls of kite.h
** (fuel, interrupts, backtraces). Engines and stores themselves are the runtime's
** (src/runtime): kite_engine_new, kite_store_new and their frees are declared in kite.h
** and defined there.
*/
#include <stdlib.h>

#include "capi.h"

/*
** A configuration is allocated before any engine (and so before any allocation hook
** exists): it comes from the C library, the one allocation outside the hook.
*/
kite_engine_config *kite_engine_config_new(void) {
  kite_engine_config *cfg = malloc(sizeof *cfg);
  if (cfg) kite_engine_config_default(cfg);
  return cfg;
}

void kite_engine_config_free(kite_engine_config *cfg) { free(cfg); }

void kite_engine_config_set_features(kite_engine_config *cfg, uint64_t features) {
  cfg->features = kite_capi_features_in(features);
}

uint64_t kite_engine_config_features(const kite_engine_config *cfg) {
  return kite_capi_features_out(cfg->features);
}

void kite_engine_config_set_allocator(kite_engine_config *cfg, kite_alloc_fn fn, void *ud,
                                      size_t limit) {
  cfg->alloc = fn;
  cfg->alloc_ud = ud;
  cfg->alloc_limit = limit;
}

void kite_engine_config_set_max_memory_pages(kite_engine_config *cfg, uint64_t pages) {
  cfg->max_memory_pages = pages;
}

void kite_engine_config_set_max_store_memory(kite_engine_config *cfg, uint64_t bytes) {
  cfg->max_store_memory = bytes;
}

void kite_engine_config_set_max_table_elements(kite_engine_config *cfg, uint64_t elements) {
  cfg->max_table_elems = elements;
}

void kite_engine_config_set_max_call_depth(kite_engine_config *cfg, uint32_t frames) {
  cfg->max_call_depth = frames;
}

void kite_engine_config_set_max_stack_slots(kite_engine_config *cfg, uint32_t slots) {
  cfg->max_stack_slots = slots;
}

void kite_engine_config_set_fuel(kite_engine_config *cfg, bool consume_fuel,
                                 uint64_t initial_fuel) {
  cfg->consume_fuel = consume_fuel;
  cfg->initial_fuel = initial_fuel;
}

void kite_engine_config_set_compile_threads(kite_engine_config *cfg, uint32_t threads) {
  cfg->compile_threads = threads;
}

uint64_t kite_engine_features_enabled(const kite_engine *e) {
  return kite_capi_features_out(kite_engine_features(e));
}

/* ---- fuel ---- */

uint64_t kite_store_fuel(const kite_store *s) { return s->fuel; }
void kite_store_set_fuel(kite_store *s, uint64_t fuel) { s->fuel = fuel; }

/* ---- interrupts (the mechanism is the runtime's: runtime.h, src/exec/limits.c) ---- */

kite_interrupt *kite_store_interrupt_handle(kite_store *s) { return kite_store_interrupt_ref(s); }

void kite_interrupt_trigger(kite_interrupt *h) {
  if (h) kite_interrupt_request(h);
}

void kite_interrupt_release(kite_interrupt *h) { kite_interrupt_unref(h); }

/* ---- backtraces ---- */

uint32_t kite_store_backtrace(const kite_store *s, kite_backtrace_frame *frames, uint32_t max,
                              uint32_t *depth) {
  const kite_trace *tr = kite_store_trace(s);
  if (depth) *depth = tr->depth;
  uint32_t n = tr->nframes < max ? tr->nframes : max;
  for (uint32_t i = 0; i < n; i++) {
    const kite_trace_frame *f = &tr->frames[i];
    kite_backtrace_frame *o = &frames[i];
    memset(o, 0, sizeof *o);
    o->module = f->module;
    o->instance = f->instance;
    o->func_index = f->func_index;
    if (f->name.len) {
      o->name = (const char *)f->name.ptr;
      o->name_len = f->name.len;
    }
    o->module_offset = f->offset;
    if (f->module && f->func_index < f->module->nfuncs &&
        f->func_index >= f->module->nimported_funcs) {
      uint32_t body = f->module->funcs[f->func_index].body_offset;
      o->func_offset = f->offset >= body ? f->offset - body : 0;
    }
  }
  return tr->nframes;
}
