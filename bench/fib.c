/*
** fib: naive doubly recursive Fibonacci, i.e. almost nothing but calls and returns.
** SIZE is n; the result is printed modulo 2^32 (it does not overflow below n = 48).
*/
#include "bench.h"

/* noinline keeps the compiler from unrolling the recursion into main. */
__attribute__((noinline)) static uint32_t fib(uint32_t n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char **argv) {
  uint32_t n = bench_size(argc, argv, 40, 24);
  printf("fib(%u) = %u\n", n, fib(n));
  return 0;
}
