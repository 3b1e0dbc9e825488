/*
** matmul: the PolyBench-style 2mm kernel, D = alpha * A * B * C + beta * D, in doubles with
** row-major arrays and i-k-j loop order. Dense multiply-add loops over memory.
** SIZE is the matrix dimension.
*/
#include "bench.h"

static void init(double *m, uint32_t n, uint32_t seed) {
  for (uint32_t i = 0; i < n; i++)
    for (uint32_t j = 0; j < n; j++)
      m[(size_t)i * n + j] = (double)((i * (j + seed) + 1) % n) / n;
}

/* out = alpha * a * b + beta * out */
static void gemm(double *out, const double *a, const double *b, uint32_t n, double alpha,
                 double beta) {
  for (uint32_t i = 0; i < n; i++) {
    double *row = out + (size_t)i * n;
    for (uint32_t j = 0; j < n; j++)
      row[j] *= beta;
    for (uint32_t k = 0; k < n; k++) {
      double aik = alpha * a[(size_t)i * n + k];
      const double *brow = b + (size_t)k * n;
      for (uint32_t j = 0; j < n; j++)
        row[j] += aik * brow[j];
    }
  }
}

int main(int argc, char **argv) {
  uint32_t n = bench_size(argc, argv, 760, 60);
  size_t cells = (size_t)n * n;
  double *a = bench_alloc(cells * sizeof(double)), *b = bench_alloc(cells * sizeof(double));
  double *c = bench_alloc(cells * sizeof(double)), *d = bench_alloc(cells * sizeof(double));
  double *tmp = bench_alloc(cells * sizeof(double));
  init(a, n, 1), init(b, n, 2), init(c, n, 3), init(d, n, 4);
  memset(tmp, 0, cells * sizeof(double));
  gemm(tmp, a, b, n, 1.5, 0.0);
  gemm(d, tmp, c, n, 1.0, 1.2);
  double sum = 0, diag = 0;
  for (size_t i = 0; i < cells; i++)
    sum += d[i];
  for (uint32_t i = 0; i < n; i++)
    diag += d[(size_t)i * n + i];
  uint64_t bits;
  memcpy(&bits, &sum, sizeof bits);
  printf("2mm n=%u: sum %.9e, trace %.9e, bits %016llx\n", n, sum, diag,
         (unsigned long long)bits);
  free(a), free(b), free(c), free(d), free(tmp);
  return 0;
}
