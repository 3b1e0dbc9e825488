/*
** decode_speed.c: how fast Kite decodes and validates a module, each stage timed on its
** own. Built with the library (build/decode_speed); see docs/performance.md.
**
**   decode_speed [-n N] [-j THREADS] [--features=2.0|3.0|all] FILE.wasm...
**
** Each file is read once, then decoded and validated N times (default 50): as two steps
** (kite_decode, then kite_validate_module: each timed on its own), and in one step
** (kite_decode_validate, what `kite run` and kite_compile use, which reads function
** bodies once). Validation uses THREADS threads (default 1; 0: one per CPU). Times are CPU
** time of this thread (steadier than wall time on a loaded machine), or wall time when
** THREADS is not 1 (other threads share the work); the best run of each is reported, with throughput in MB/s (10^6 bytes of the
** whole binary per second). Under valgrind --tool=callgrind use -n 1 for exact
** instruction counts.
*/
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "binary.h"
#include "valid.h"

static bool use_wall;

static double now(void) {
  struct timespec ts;
  clock_gettime(use_wall ? CLOCK_MONOTONIC : CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static unsigned char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  unsigned char *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      unsigned char *nb = realloc(buf, cap *= 2);
      if (!nb) free(buf);
      buf = nb;
    }
  }
  fclose(f);
  *len = n;
  return buf;
}

static int bench_file(const char *path, int runs, kite_features features, uint32_t threads) {
  size_t len;
  unsigned char *bytes = read_all(path, &len);
  if (!bytes) {
    fprintf(stderr, "decode_speed: cannot read %s\n", path);
    return 1;
  }
  kite_alloc a;
  kite_alloc_init(&a, NULL, NULL);
  double best_dec = 1e9, best_val = 1e9, best_one = 1e9;
  for (int i = 0; i < runs; i++) {
    kite_error err;
    kite_error_clear(&err);
    double t0 = now();
    kite_module *m = kite_decode(&a, bytes, len, features, NULL, &err);
    double t1 = now();
    if (!m) {
      fprintf(stderr, "%s: decode error at 0x%llx: %s\n", path, (unsigned long long)err.offset,
              err.msg);
      free(bytes);
      return 1;
    }
    bool ok = kite_validate_module_threads(m, features, threads, &err);
    double t2 = now();
    kite_module_free(m);
    if (!ok) {
      fprintf(stderr, "%s: validation error at 0x%llx: %s\n", path, (unsigned long long)err.offset,
              err.msg);
      free(bytes);
      return 1;
    }
    double t3 = now();
    m = kite_decode_validate_threads(&a, bytes, len, features, NULL, threads, &err);
    double t4 = now();
    kite_module_free(m);
    if (t1 - t0 < best_dec) best_dec = t1 - t0;
    if (t2 - t1 < best_val) best_val = t2 - t1;
    if (t4 - t3 < best_one) best_one = t4 - t3;
  }
  double mb = (double)len / 1e6;
  printf("%s: %zu bytes\n  decode   %8.3f ms %8.1f MB/s\n  validate %8.3f ms %8.1f MB/s\n"
         "  one step %8.3f ms %8.1f MB/s (decode and validate)\n",
         path, len, best_dec * 1e3, mb / best_dec, best_val * 1e3, mb / best_val, best_one * 1e3,
         mb / best_one);
  free(bytes);
  return 0;
}

int main(int argc, char **argv) {
  int runs = 50, rc = 0, nfiles = 0;
  kite_features features = KITE_FEATURES_3_0;
  uint32_t threads = 1;
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "-n") == 0 && i + 1 < argc) {
      runs = atoi(argv[++i]);
      if (runs < 1) runs = 1;
    } else if (strcmp(arg, "-j") == 0 && i + 1 < argc) {
      threads = (uint32_t)atoi(argv[++i]);
      use_wall = threads != 1;
    } else if (strcmp(arg, "--features=2.0") == 0) {
      features = KITE_FEATURES_2_0;
    } else if (strcmp(arg, "--features=3.0") == 0) {
      features = KITE_FEATURES_3_0;
    } else if (strcmp(arg, "--features=all") == 0) {
      features = KITE_FEATURES_ALL;
    } else if (arg[0] == '-') {
      fprintf(stderr, "usage: decode_speed [-n N] [-j THREADS] [--features=2.0|3.0|all] FILE.wasm...\n");
      return 2;
    } else {
      nfiles++;
      rc |= bench_file(arg, runs, features, threads);
    }
  }
  if (!nfiles) {
    fprintf(stderr, "usage: decode_speed [-n N] [-j THREADS] [--features=2.0|3.0|all] FILE.wasm...\n");
    return 2;
  }
  return rc;
}
