/*
** measure: runs one command and reports what it cost.
**   measure OUTFILE COMMAND [ARGS...]
** The command's stdout goes to OUTFILE (for comparing outputs), its stderr passes through.
** Prints one line: wall seconds, CPU seconds (user + system), peak RSS in KiB, exit status.
** CPU time is what the tables use by default: on a busy machine it moves far less than the
** wall clock does. Native only (the benchmark driver's helper, never built for wasm).
*/
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double seconds(struct timeval tv) { return (double)tv.tv_sec + tv.tv_usec / 1e6; }

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: measure OUTFILE COMMAND [ARGS...]\n");
    return 2;
  }
  int out = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0) {
    perror(argv[1]);
    return 2;
  }
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return 2;
  }
  if (pid == 0) {
    dup2(out, STDOUT_FILENO);
    close(out);
    execvp(argv[2], argv + 2);
    perror(argv[2]);
    _exit(127);
  }
  close(out);
  int status;
  struct rusage usage;
  if (wait4(pid, &status, 0, &usage) < 0) {
    perror("wait4");
    return 2;
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  double wall = (double)(end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
  double cpu = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  printf("%.6f %.6f %ld %d\n", wall, cpu, usage.ru_maxrss, code);
  return 0;
}
