/*
** nbody: the Sun and the four giant planets under Newtonian gravity, integrated with a
** symplectic Euler step. Double-precision multiplies, divides and sqrt in short loops.
** SIZE is the number of steps in thousands. Only sqrt is used from libm, so the output is
** bit-for-bit the same on every IEEE-754 engine.
*/
#include "bench.h"
#include <math.h>

#define BODIES 5
static const double PI = 3.141592653589793;
static const double DAYS_PER_YEAR = 365.24;

typedef struct {
  double x, y, z, vx, vy, vz, mass;
} body;

static void init_system(body *b) {
  const double solar_mass = 4 * PI * PI;
  /* Positions in AU, velocities in AU/day (scaled to AU/year below), masses in Suns. */
  static const double data[BODIES][7] = {
      {0, 0, 0, 0, 0, 0, 1},
      {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
       1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05,
       9.54791938424326609e-04},
      {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
       -2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05,
       2.85885980666130812e-04},
      {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
       2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05,
       4.36624404335156298e-05},
      {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
       2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05,
       5.15138902046611451e-05}};
  for (int i = 0; i < BODIES; i++) {
    b[i] = (body){data[i][0],
                  data[i][1],
                  data[i][2],
                  data[i][3] * DAYS_PER_YEAR,
                  data[i][4] * DAYS_PER_YEAR,
                  data[i][5] * DAYS_PER_YEAR,
                  data[i][6] * solar_mass};
  }
  /* Give the Sun the momentum that makes the system's total zero. */
  double px = 0, py = 0, pz = 0;
  for (int i = 0; i < BODIES; i++) {
    px += b[i].vx * b[i].mass;
    py += b[i].vy * b[i].mass;
    pz += b[i].vz * b[i].mass;
  }
  b[0].vx = -px / solar_mass;
  b[0].vy = -py / solar_mass;
  b[0].vz = -pz / solar_mass;
}

static double energy(const body *b) {
  double e = 0;
  for (int i = 0; i < BODIES; i++) {
    e += 0.5 * b[i].mass * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
    for (int j = i + 1; j < BODIES; j++) {
      double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
      e -= b[i].mass * b[j].mass / sqrt(dx * dx + dy * dy + dz * dz);
    }
  }
  return e;
}

static void advance(body *b, double dt) {
  for (int i = 0; i < BODIES; i++) {
    for (int j = i + 1; j < BODIES; j++) {
      double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
      double d2 = dx * dx + dy * dy + dz * dz;
      double mag = dt / (d2 * sqrt(d2));
      b[i].vx -= dx * b[j].mass * mag;
      b[i].vy -= dy * b[j].mass * mag;
      b[i].vz -= dz * b[j].mass * mag;
      b[j].vx += dx * b[i].mass * mag;
      b[j].vy += dy * b[i].mass * mag;
      b[j].vz += dz * b[i].mass * mag;
    }
  }
  for (int i = 0; i < BODIES; i++) {
    b[i].x += dt * b[i].vx;
    b[i].y += dt * b[i].vy;
    b[i].z += dt * b[i].vz;
  }
}

int main(int argc, char **argv) {
  uint32_t steps = bench_size(argc, argv, 2500, 20) * 1000;
  body system[BODIES];
  init_system(system);
  printf("energy before: %.12f\n", energy(system));
  for (uint32_t s = 0; s < steps; s++)
    advance(system, 0.01);
  printf("energy after %u steps: %.12f\n", steps, energy(system));
  uint64_t bits;
  memcpy(&bits, &system[1].x, sizeof bits);
  printf("jupiter x bits: %016llx\n", (unsigned long long)bits);
  return 0;
}
