/* hello: the smallest useful program, for start-up time. */
#include <stdio.h>

int main(void) {
  printf("Hello, world!\n");
  return 0;
}
