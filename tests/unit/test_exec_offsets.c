/*
** test_exec_offsets.c: the lowered code's offset map (code index -> wasm byte offset),
** which backtraces read. Fusions drop and move instructions; the map must stay sorted by
** code index and name the instruction that trapped, whatever fused before it.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "kite.h"
#include "module.h"
#include "test_util.h"

static kite_engine *engine;

/* Strictly increasing code indices: what the binary search of kite_xfunc_offset needs. */
static bool map_sorted(const kite_xfunc *x) {
  for (uint32_t i = 1; i < x->nmap; i++)
    if (x->map[2 * i] <= x->map[2 * i - 2]) return false;
  return true;
}

/* Lower every defined function of a binary, both variants, and check each map. */
static void check_maps(const char *what, const uint8_t *bytes, size_t len) {
  kite_error err;
  kite_error_clear(&err);
  kite_module *m = kite_compile(engine, bytes, len, &err);
  CHECK_MSG(m != NULL, "%s: %s", what, err.msg);
  if (!m) return;
  for (uint32_t f = m->nimported_funcs; f < m->nfuncs; f++) {
    for (int guarded = 0; guarded < 2; guarded++) {
      kite_xfunc *x = kite_lower(m, f, guarded, m->alloc, &err);
      CHECK_MSG(x != NULL, "%s: function %u: %s", what, f, err.msg);
      if (!x) continue;
      CHECK_MSG(map_sorted(x), "%s: function %u (guarded %d): offset map not sorted", what, f,
                guarded);
      kite_xfunc_free(m->alloc, x);
    }
  }
  kite_module_release(m);
}

/* The position of the only occurrence of pat in the binary (as a module offset). */
static size_t find_unique(const uint8_t *b, size_t len, const uint8_t *pat, size_t n) {
  size_t found = SIZE_MAX, count = 0;
  for (size_t i = 0; i + n <= len; i++) {
    if (memcmp(b + i, pat, n) == 0) {
      found = i;
      count++;
    }
  }
  CHECK(count == 1);
  return found;
}

/*
** Functions f0..f7: k additions (each a map entry, so the binary search takes
** other paths), then a bit test fused with its branch (local.get, i32.const, i32.and,
** i32.eqz, br_if: one instruction), then a division that traps. g0..g7: the same bit
** test as a loop's back edge, which runs out of fuel there.
*/
#define NFUNCS 8

static char *build_wat(void) {
  size_t cap = 16384, len = 0;
  char *w = malloc(cap);
  if (!w) return NULL;
  len += (size_t)snprintf(w + len, cap - len, "(module\n");
  for (int k = 0; k < NFUNCS; k++) {
    len += (size_t)snprintf(w + len, cap - len,
                            " (func (export \"f%d\") (param i32 i32) (result i32)\n", k);
    for (int i = 0; i < k; i++)
      len += (size_t)snprintf(w + len, cap - len,
                              "  (local.set 1 (i32.add (local.get 1) (i32.const %d)))\n", 100 + i);
    len += (size_t)snprintf(w + len, cap - len,
                            "  (block (br_if 0 (i32.eqz (i32.and (local.get 0) (i32.const %d)))))\n"
                            "  (i32.div_u (local.get 1) (local.get 0)))\n",
                            k + 1);
    len += (size_t)snprintf(w + len, cap - len, " (func (export \"g%d\") (param i32 i32)\n", k);
    for (int i = 0; i < k; i++)
      len += (size_t)snprintf(w + len, cap - len,
                              "  (local.set 1 (i32.add (local.get 1) (i32.const %d)))\n", 100 + i);
    len += (size_t)snprintf(
        w + len, cap - len,
        "  (loop (br_if 0 (i32.eqz (i32.and (local.get 0) (i32.const %d))))))\n", k + 1);
  }
  snprintf(w + len, cap - len, ")\n");
  return w;
}

static void check_trap_offset(kite_store *s, kite_instance *inst, const char *name, uint64_t want,
                              int trap) {
  kite_funcinst *f = kite_instance_export_func(inst, name);
  CHECK(f != NULL);
  if (!f) return;
  kite_val args[2] = {kite_i32(0), kite_i32(7)};
  kite_val res[1];
  kite_error err;
  kite_error_clear(&err);
  kite_store_set_fuel(s, 1000);
  bool ok = kite_call(s, f, args, 2, res, name[0] == 'f' ? 1 : 0, &err);
  CHECK_MSG(!ok && err.code == trap, "%s: %s", name, err.msg);
  kite_backtrace_frame fr[4];
  uint32_t n = kite_store_backtrace(s, fr, 4, NULL);
  CHECK(n == 1);
  if (n)
    CHECK_MSG(fr[0].module_offset == want, "%s: trap at %llu, expected %llu", name,
              (unsigned long long)fr[0].module_offset, (unsigned long long)want);
}

static void test_fused_bit_test(void) {
  char *wat = build_wat();
  CHECK(wat != NULL);
  if (!wat) return;
  kite_error err;
  kite_error_clear(&err);
  size_t len = 0;
  uint8_t *b = kite_wat2wasm(engine, wat, strlen(wat), &len, &err);
  free(wat);
  CHECK_MSG(b != NULL, "wat: %s", err.msg);
  if (!b) return;
  check_maps("bit tests", b, len);

  kite_store *s = kite_store_new(engine);
  kite_instance *inst = kite_instantiate_bytes(s, b, len, NULL, NULL, &err);
  CHECK_MSG(inst != NULL, "instantiate: %s", err.msg);
  for (int k = 0; inst && k < NFUNCS; k++) {
    /* local.get 0, i32.const k + 1, i32.and, i32.eqz, br_if 0, end */
    const uint8_t pat[] = {0x20, 0, 0x41, (uint8_t)(k + 1), 0x71, 0x45, 0x0d, 0, 0x0b};
    const size_t n = sizeof pat;
    /* f: the block's end, then local.get 1, local.get 0, i32.div_u */
    uint8_t fpat[16];
    memcpy(fpat, pat, n);
    memcpy(fpat + n, (const uint8_t[]){0x20, 1, 0x20, 0, 0x6e}, 5);
    size_t at = find_unique(b, len, fpat, n + 5);
    char name[8];
    snprintf(name, sizeof name, "f%d", k);
    if (at != SIZE_MAX) check_trap_offset(s, inst, name, at + n + 4, KITE_TRAP_INT_DIV_ZERO);
    /* g: the branch, back to the loop head, runs out of fuel */
    uint8_t gpat[16];
    memcpy(gpat, pat, n);
    gpat[n] = 0x0b; /* the function's end after the loop's */
    at = find_unique(b, len, gpat, n + 1);
    snprintf(name, sizeof name, "g%d", k);
    if (at != SIZE_MAX) check_trap_offset(s, inst, name, at + n - 3, KITE_TRAP_OUT_OF_FUEL);
  }
  kite_store_free(s);
  kite_bytes_free(engine, b, len);
}

/* Every function of the benchmark programs (many fusions of every kind). */
static void test_bench_maps(void) {
  static const char *const progs[] = {"fib",  "sieve",  "hash", "nbody", "lz",   "matmul",
                                      "json", "memops", "mix",  "simd",  "hello"};
  for (size_t i = 0; i < sizeof progs / sizeof *progs; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/bench/%s.wasm", test_source_dir(), progs[i]);
    size_t len;
    uint8_t *b = test_read_file(path, &len);
    CHECK_MSG(b != NULL, "cannot read %s", path);
    if (!b) continue;
    check_maps(progs[i], b, len);
    free(b);
  }
}

int main(void) {
  kite_engine_config *cfg = kite_engine_config_new();
  kite_engine_config_set_fuel(cfg, true, 1000);
  engine = kite_engine_new(cfg);
  kite_engine_config_free(cfg);
  CHECK(engine != NULL);
  if (engine) {
    test_fused_bit_test();
    test_bench_maps();
    kite_engine_free(engine);
  }
  return test_finish("exec_offsets");
}
