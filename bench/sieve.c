/*
** sieve: the sieve of Eratosthenes over a byte array, run several times, then a
** segmented count of twin primes. Tight loops, array stores with strides, few calls.
** SIZE is the limit in thousands.
*/
#include "bench.h"

static uint32_t sieve(uint8_t *composite, uint32_t limit) {
  memset(composite, 0, limit + 1);
  composite[0] = composite[1] = 1;
  for (uint32_t i = 2; (uint64_t)i * i <= limit; i++)
    if (!composite[i])
      for (uint32_t j = i * i; j <= limit; j += i)
        composite[j] = 1;
  uint32_t count = 0;
  for (uint32_t i = 0; i <= limit; i++)
    count += !composite[i];
  return count;
}

int main(int argc, char **argv) {
  uint32_t limit = bench_size(argc, argv, 18000, 300) * 1000;
  uint8_t *composite = bench_alloc((size_t)limit + 1);
  uint32_t primes = 0;
  for (int round = 0; round < 4; round++)
    primes = sieve(composite, limit - (uint32_t)round);
  uint32_t twins = 0, last = 0;
  uint64_t sum = 0;
  for (uint32_t i = 3; i + 2 <= limit - 3; i += 2) {
    if (!composite[i]) {
      sum += i;
      last = i;
      twins += !composite[i + 2];
    }
  }
  printf("primes up to %u: %u, twin pairs: %u, largest odd: %u, sum: %llu\n", limit - 3,
         primes, twins, last, (unsigned long long)sum);
  free(composite);
  return 0;
}
