/*
** life.c: Conway's Game of Life on a torus, drawn in the terminal. The demo behind
** `make demo`: a C program built for wasm32-wasi and run by `kite run`. It exercises
** WASI's args, clocks (nanosleep is a poll_oneoff clock subscription), stdout and, when
** a directory is preopened as /out, file output.
**
** usage: life [GENERATIONS [WIDTH [HEIGHT [DELAY_MS]]]]
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_W = 200, MAX_H = 100 };

static uint8_t grid[2][MAX_H][MAX_W];

/* A small deterministic generator, so every run (native or wasm) draws the same thing. */
static uint32_t rng_state = 0x9e3779b9u;
static uint32_t next_random(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

static void place(int cur, int w, int h, int x, int y, const char *rows[]) {
  for (int r = 0; rows[r]; r++)
    for (int c = 0; rows[r][c]; c++)
      if (rows[r][c] == 'O') grid[cur][(y + r) % h][(x + c) % w] = 1;
}

static int count(int cur, int w, int h) {
  int population = 0;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) population += grid[cur][y][x];
  return population;
}

static void seed(int w, int h) {
  static const char *gun[] = {"........................O...........",
                              "......................O.O...........",
                              "............OO......OO............OO",
                              "...........O...O....OO............OO",
                              "OO........O.....O...OO..............",
                              "OO........O...O.OO....O.O...........",
                              "..........O.....O.......O...........",
                              "...........O...O....................",
                              "............OO......................",
                              NULL};
  static const char *r_pentomino[] = {".OO", "OO.", ".O.", NULL};
  place(0, w, h, 1, 1, gun);
  place(0, w, h, w * 2 / 3, h / 2, r_pentomino);
  /* a sprinkle of noise in the lower left */
  for (int i = 0; i < w * h / 40; i++) {
    uint32_t r = next_random();
    grid[0][h / 2 + (int)(r % (uint32_t)(h / 2))][(int)((r >> 8) % (uint32_t)(w / 3))] = 1;
  }
}

static int step(int cur, int w, int h) {
  int nxt = cur ^ 1, population = 0;
  for (int y = 0; y < h; y++) {
    int up = (y + h - 1) % h, down = (y + 1) % h;
    for (int x = 0; x < w; x++) {
      int left = (x + w - 1) % w, right = (x + 1) % w;
      int n = grid[cur][up][left] + grid[cur][up][x] + grid[cur][up][right] +
              grid[cur][y][left] + grid[cur][y][right] + grid[cur][down][left] +
              grid[cur][down][x] + grid[cur][down][right];
      uint8_t alive = n == 3 || (n == 2 && grid[cur][y][x]);
      grid[nxt][y][x] = alive;
      population += alive;
    }
  }
  return population;
}

static void draw(int cur, int w, int h, int gen, int population) {
  static char line[MAX_W * 3 + 2];
  fputs("\x1b[H", stdout); /* cursor home: redraw in place */
  printf("generation %5d   population %5d\x1b[K\n", gen, population);
  for (int y = 0; y < h; y += 2) { /* two rows per character cell */
    char *p = line;
    for (int x = 0; x < w; x++) {
      int top = grid[cur][y][x], bottom = y + 1 < h && grid[cur][y + 1][x];
      const char *glyph = top && bottom ? "\xe2\x96\x88" : top ? "\xe2\x96\x80"
                          : bottom      ? "\xe2\x96\x84"
                                        : " ";
      size_t n = strlen(glyph);
      memcpy(p, glyph, n);
      p += n;
    }
    *p = '\0';
    puts(line);
  }
  fflush(stdout);
}

static void save(int cur, int w, int h, int gen) {
  FILE *f = fopen("/out/life.txt", "w");
  if (!f) return; /* no directory preopened as /out: nothing to save */
  fprintf(f, "generation %d\n", gen);
  for (int y = 0; y < h; y++) {
    for (int x = 0; x < w; x++) fputc(grid[cur][y][x] ? 'O' : '.', f);
    fputc('\n', f);
  }
  fclose(f);
  printf("saved the last generation to /out/life.txt\n");
}

int main(int argc, char **argv) {
  int generations = argc > 1 ? atoi(argv[1]) : 200;
  int w = argc > 2 ? atoi(argv[2]) : 72;
  int h = argc > 3 ? atoi(argv[3]) : 36;
  int delay_ms = argc > 4 ? atoi(argv[4]) : 30;
  if (w < 8 || w > MAX_W || h < 8 || h > MAX_H || generations < 0 || delay_ms < 0) {
    fprintf(stderr, "usage: life [GENERATIONS [WIDTH(8-%d) [HEIGHT(8-%d) [DELAY_MS]]]]\n", MAX_W,
            MAX_H);
    return 2;
  }
  seed(w, h);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  fputs("\x1b[2J", stdout);
  int cur = 0, population = count(0, w, h);
  for (int gen = 0; gen <= generations; gen++) {
    if (gen > 0) {
      population = step(cur, w, h);
      cur ^= 1;
    }
    draw(cur, w, h, gen, population);
    if (delay_ms) {
      struct timespec pause = {delay_ms / 1000, (long)(delay_ms % 1000) * 1000000L};
      nanosleep(&pause, NULL);
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("%d generations of a %dx%d torus in %.2f s\n", generations, w, h, secs);
  save(cur, w, h, generations);
  return 0;
}
