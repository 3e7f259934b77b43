/*
 * The pi kernel in C, the benchmark's native baseline: the same stream and hit test as
 * shared/src/kinds/pi/piReference.ts, so its hit count must equal the reference's exactly.
 * Sample s is half of Philox4x32-10 block floor(s / 2), counter (pair_lo, pair_hi, PI_STREAM, 0),
 * key (seed_lo, seed_hi): words (x, y) for the even sample, (z, w) for the odd one; a hit is
 * x^2 + y^2 < 2^64.
 *
 * Usage: pi SEED START COUNT   (START even; all three decimal, < 2^53)
 * Prints: HITS ELAPSED_SECONDS  (time of the sampling loop only)
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "philox.h"

#define PI_STREAM 0x70690000u

/* Each square is < 2^64; their sum is < 2^64 exactly when the addition does not wrap. */
static inline uint64_t inside_quarter_circle(uint32_t x, uint32_t y) {
  uint64_t xx = (uint64_t)x * x;
  uint64_t sum = xx + (uint64_t)y * y;
  return sum >= xx;
}

static uint64_t parse_u53(const char *text, const char *what) {
  char *end = NULL;
  unsigned long long value = strtoull(text, &end, 10);
  if (end == text || *end != '\0' || value >= (1ull << 53)) {
    fprintf(stderr, "pi: %s must be a decimal integer below 2^53, got '%s'\n", what, text);
    exit(2);
  }
  return value;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: pi SEED START COUNT\n");
    return 2;
  }
  uint64_t seed = parse_u53(argv[1], "SEED");
  uint64_t start = parse_u53(argv[2], "START");
  uint64_t count = parse_u53(argv[3], "COUNT");
  if (start % 2 != 0) {
    fprintf(stderr, "pi: START must be even (samples are drawn in pairs)\n");
    return 2;
  }
  uint32_t key0 = (uint32_t)seed;
  uint32_t key1 = (uint32_t)(seed >> 32);
  uint64_t first_pair = start / 2;
  uint64_t pairs = (count + 1) / 2;
  int last_has_one_sample = count % 2 == 1;

  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  uint64_t hits = 0;
  uint64_t full_pairs = last_has_one_sample ? pairs - 1 : pairs;
  for (uint64_t i = 0; i < full_pairs; i++) {
    uint64_t pair = first_pair + i;
    uint32_t c[4] = {(uint32_t)pair, (uint32_t)(pair >> 32), PI_STREAM, 0};
    philox4x32_10(c, key0, key1);
    hits += inside_quarter_circle(c[0], c[1]) + inside_quarter_circle(c[2], c[3]);
  }
  if (last_has_one_sample) {
    uint64_t pair = first_pair + pairs - 1;
    uint32_t c[4] = {(uint32_t)pair, (uint32_t)(pair >> 32), PI_STREAM, 0};
    philox4x32_10(c, key0, key1);
    hits += inside_quarter_circle(c[0], c[1]);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double elapsed = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
  printf("%" PRIu64 " %.9f\n", hits, elapsed);
  return 0;
}
