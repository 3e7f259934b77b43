/*
 * One ising-2d chain in C, the benchmark's native baseline: the same sites, draws and
 * thresholds as shared/src/kinds/ising-2d/isingReference.ts, so its sums must equal the
 * reference's exactly. Half-sweep h updates the sites with (x + y + h) even; the 4 such sites
 * of the 8-column strip g = y*(L/8) + x/8 use words 0..3 of Philox4x32-10 with counter
 * (h, chain, ISING_STREAM, g) and key (seed_lo, seed_hi). Cold start, periodic boundaries.
 *
 * Usage: ising SEED CHAIN SIZE BURNIN SWEEPS THRESHOLD4 THRESHOLD8   (decimal)
 * Prints: SUM_ABS_M SUM_M2 SUM_E SUM_E2 ELAPSED_SECONDS  (time of the sweeps only)
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "philox.h"

#define ISING_STREAM 0x69730000u

static uint64_t parse_u64(const char *text, const char *what, uint64_t limit) {
  char *end = NULL;
  unsigned long long value = strtoull(text, &end, 10);
  if (end == text || *end != '\0' || value > limit) {
    fprintf(stderr, "ising: %s must be a decimal integer <= %" PRIu64 ", got '%s'\n", what,
            limit, text);
    exit(2);
  }
  return value;
}

int main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: ising SEED CHAIN SIZE BURNIN SWEEPS THRESHOLD4 THRESHOLD8\n");
    return 2;
  }
  uint64_t seed = parse_u64(argv[1], "SEED", (1ull << 53) - 1);
  uint32_t chain = (uint32_t)parse_u64(argv[2], "CHAIN", 0xffffffffu);
  int n = (int)parse_u64(argv[3], "SIZE", 4096);
  uint64_t burn_in = parse_u64(argv[4], "BURNIN", 1u << 30);
  uint64_t sweeps = parse_u64(argv[5], "SWEEPS", 1u << 30);
  uint32_t threshold4 = (uint32_t)parse_u64(argv[6], "THRESHOLD4", 0xffffffffu);
  uint32_t threshold8 = (uint32_t)parse_u64(argv[7], "THRESHOLD8", 0xffffffffu);
  if (n < 8 || n % 8 != 0) {
    fprintf(stderr, "ising: SIZE must be a multiple of 8\n");
    return 2;
  }
  uint32_t key0 = (uint32_t)seed;
  uint32_t key1 = (uint32_t)(seed >> 32);
  int8_t *spin = malloc((size_t)n * n);
  if (!spin) return 1;
  for (int i = 0; i < n * n; i++) spin[i] = 1;
  int strips_per_row = n / 8;

  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int64_t sum_abs_m = 0, sum_m2 = 0, sum_e = 0, sum_e2 = 0;
  for (uint64_t k = 0; k < burn_in + sweeps; k++) {
    for (uint32_t h = (uint32_t)(2 * k); h <= (uint32_t)(2 * k + 1); h++) {
      for (int y = 0; y < n; y++) {
        int8_t *row = spin + (size_t)y * n;
        const int8_t *above = spin + (size_t)(y == 0 ? n - 1 : y - 1) * n;
        const int8_t *below = spin + (size_t)(y == n - 1 ? 0 : y + 1) * n;
        int offset = (int)((y + h) & 1);
        for (int j = 0; j < strips_per_row; j++) {
          uint32_t c[4];
          int drawn = 0;
          for (int i = 0; i < 4; i++) {
            int x = j * 8 + offset + 2 * i;
            int s = row[x];
            int left = row[x == 0 ? n - 1 : x - 1];
            int right = row[x == n - 1 ? 0 : x + 1];
            int delta_e = 2 * s * (left + right + above[x] + below[x]);
            if (delta_e > 0) {
              if (!drawn) {
                c[0] = h;
                c[1] = chain;
                c[2] = ISING_STREAM;
                c[3] = (uint32_t)(y * strips_per_row + j);
                philox4x32_10(c, key0, key1);
                drawn = 1;
              }
              if (c[i] >= (delta_e == 4 ? threshold4 : threshold8)) continue;
            }
            row[x] = (int8_t)-s;
          }
        }
      }
    }
    if (k < burn_in) continue;
    int64_t m = 0, bonds = 0;
    for (int y = 0; y < n; y++) {
      const int8_t *row = spin + (size_t)y * n;
      const int8_t *below = spin + (size_t)(y == n - 1 ? 0 : y + 1) * n;
      for (int x = 0; x < n; x++) {
        m += row[x];
        bonds += row[x] * (row[x == n - 1 ? 0 : x + 1] + below[x]);
      }
    }
    int64_t e = -bonds;
    sum_abs_m += m < 0 ? -m : m;
    sum_m2 += m * m;
    sum_e += e;
    sum_e2 += e * e;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double elapsed = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
  printf("%" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %.9f\n", sum_abs_m, sum_m2, sum_e,
         sum_e2, elapsed);
  free(spin);
  return 0;
}
