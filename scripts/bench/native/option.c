/*
 * The european-option kernel in C, the benchmark's native baseline: the same stream and the same
 * fixed-point arithmetic as shared/src/kinds/european-option/optionReference.ts (and the
 * fixedpoint/ functions it uses), so its sums must equal the reference's exactly. With native
 * 64-bit products the rounded operations are one line each; the order and the rounding rules
 * (half up on dropped words, ties to even on dropped bits) are the TypeScript's.
 *
 * Usage: option SEED START COUNT DRIFT_LO DRIFT_HI VOL_MANTISSA VOL_SHIFT STRIKE_LO STRIKE_HI PUT
 *   (the OptionConstants of optionConstants.ts; START even; all decimal)
 * Prints: SUM_HEX SUM_SQUARES_HEX ELAPSED_SECONDS (time of the sampling loop only)
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "philox.h"

#define OPTION_STREAM 0x656f0000u

typedef unsigned __int128 u128;

/* --- fixedMath.ts ------------------------------------------------------------------------ */

static inline uint32_t mul_round32(uint32_t a, uint32_t b) {
  return (uint32_t)(((uint64_t)a * b + 0x80000000u) >> 32);
}
static inline uint32_t mul_round31(uint32_t a, uint32_t b) {
  uint64_t r = ((uint64_t)a * b + 0x40000000u) >> 31;
  return r > 0xffffffffu ? 0xffffffffu : (uint32_t)r;
}
static inline uint32_t mul_round_q163(uint32_t m, uint32_t c_hi, uint32_t c_lo) {
  uint64_t v = (uint64_t)m * c_hi + (((uint64_t)m * c_lo) >> 32);
  uint64_t r = (v >> 31) + ((v >> 30) & 1);
  return r > 0xffffffffu ? 0xffffffffu : (uint32_t)r;
}
static inline uint32_t halve_round(uint32_t v) { return (v >> 1) + (v & (v >> 1) & 1); }

static const uint32_t LOG2_INVERSE[4] = {0xb504f334u, 0xd744fccbu, 0xeac0c6e8u, 0xf5257d15u};
static const uint32_t LOG2_THRESHOLD[4] = {0xb504f334u, 0x9837f052u, 0x8b95c1e4u, 0x85aac368u};
#define INV_2 0x80000000u
#define INV_3 1431655765u
#define INV_4 0x40000000u
#define INV_5 858993459u
#define INV_6 715827883u
#define LOG2E_Q31 3098164009u

static inline uint32_t log2_mantissa(uint32_t m) {
  uint32_t bits = 0;
  for (int k = 0; k < 4; k++) {
    if (m >= LOG2_THRESHOLD[k]) {
      m = mul_round32(m, LOG2_INVERSE[k]);
      bits += 1u << (31 - k);
    }
  }
  uint32_t d = (m - 0x80000000u) * 2u;
  uint32_t q = INV_6;
  q = INV_5 - mul_round32(d, q);
  q = INV_4 - mul_round32(d, q);
  q = INV_3 - mul_round32(d, q);
  q = INV_2 - mul_round32(d, q);
  uint32_t ln = d - mul_round32(d, mul_round32(d, q));
  uint32_t total = bits + mul_round31(ln, LOG2E_Q31);
  return total < bits ? 0xffffffffu : total;
}

/* -log2(((hi:lo) | 1) / 2^64) * 2^32 */
static inline uint64_t neg_log2_uniform64(uint32_t hi, uint32_t lo) {
  uint64_t w = ((uint64_t)hi << 32) | (lo | 1u);
  int z = __builtin_clzll(w);
  uint32_t mantissa = (uint32_t)((w << z) >> 32);
  uint32_t exponent = 63 - z;
  uint32_t l = log2_mantissa(mantissa);
  return ((uint64_t)(64 - exponent) << 32) - l;
}

static inline uint32_t isqrt64_round(uint64_t x) {
  uint64_t r = (uint64_t)sqrt((double)x);
  if (r > 0xffffffffu) r = 0xffffffffu;
  while (r * r > x) r--;
  while (r < 0xffffffffu && (r + 1) * (r + 1) <= x) r++;
  return (x - r * r > r && r < 0xffffffffu) ? (uint32_t)(r + 1) : (uint32_t)r;
}

#define TWO_PI_Q29 3373259426u
static const uint32_t SIN_C[5] = {715827883u, 35791394u, 852176u, 11836u, 108u};
static const uint32_t COS_C[6] = {0x80000000u, 178956971u, 5965232u, 106522u, 1184u, 9u};

/* out = |cos|, |sin| (Q1.31), cos < 0, sin < 0 */
static inline void sincos_turn(uint32_t u, uint32_t out[4]) {
  uint32_t octant = u >> 29;
  uint32_t within = u & 0x1fffffffu;
  uint32_t r = (octant & 1) ? 0x20000000u - within : within;
  uint64_t p = (uint64_t)r * TWO_PI_Q29;
  uint32_t phi = (uint32_t)(p >> 29) + (uint32_t)((p >> 28) & 1);
  uint32_t phi2 = mul_round32(phi, phi);
  uint32_t qs = SIN_C[4];
  qs = SIN_C[3] - mul_round32(phi2, qs);
  qs = SIN_C[2] - mul_round32(phi2, qs);
  qs = SIN_C[1] - mul_round32(phi2, qs);
  qs = SIN_C[0] - mul_round32(phi2, qs);
  uint32_t sin32 = phi - mul_round32(mul_round32(phi, phi2), qs);
  uint32_t qc = COS_C[5];
  qc = COS_C[4] - mul_round32(phi2, qc);
  qc = COS_C[3] - mul_round32(phi2, qc);
  qc = COS_C[2] - mul_round32(phi2, qc);
  qc = COS_C[1] - mul_round32(phi2, qc);
  qc = COS_C[0] - mul_round32(phi2, qc);
  uint32_t cos31 = 0x80000000u - halve_round(mul_round32(phi2, qc));
  uint32_t sin31 = halve_round(sin32);
  int swap = ((octant + 1) & 2) != 0;
  out[0] = swap ? sin31 : cos31;
  out[1] = swap ? cos31 : sin31;
  out[2] = ((octant + 2) & 4) != 0;
  out[3] = octant >= 4;
}

static const uint32_t EXP2_HI[4] = {0xb504f333u, 0x9837f051u, 0x8b95c1e3u, 0x85aac367u};
static const uint32_t EXP2_LO[4] = {0xf9de6484u, 0x8db8a96fu, 0xea8bd6e7u, 0xcc487b15u};
#define LN2_Q32 2977044472u

static inline uint32_t exp2_fraction(uint32_t f) {
  uint32_t h = mul_round32(f & 0x0fffffffu, LN2_Q32);
  uint32_t q = 35791394u;
  q = 178956971u + mul_round32(h, q);
  q = 715827883u + mul_round32(h, q);
  q = 0x80000000u + mul_round32(h, q);
  uint32_t expm1 = h + mul_round32(h, mul_round32(h, q));
  uint32_t m = 0x80000000u + halve_round(expm1);
  for (int k = 0; k < 4; k++) {
    if ((f >> (31 - k)) & 1) m = mul_round_q163(m, EXP2_HI[k], EXP2_LO[k]);
  }
  return m;
}

/* --- boxMuller.ts -------------------------------------------------------------------------- */

#define TWO_LN2_Q31 2977044472u

static inline uint64_t radius_squared(uint32_t hi, uint32_t lo) {
  uint64_t sum;
  if (hi >= 0xff000000u) {
    uint64_t w = 0 - ((((uint64_t)hi) << 32) | (lo | 1u));
    uint32_t w_hi = (uint32_t)(w >> 32);
    uint32_t w_lo = (uint32_t)w;
    uint32_t wq = w_hi + (w_lo >> 31);
    uint32_t q = INV_4;
    q = INV_3 + mul_round32(wq, q);
    q = INV_2 + mul_round32(wq, q);
    uint32_t s = mul_round32(wq, q);
    uint64_t p = (uint64_t)w_hi * s + (((uint64_t)w_lo * s) >> 32);
    sum = w + p;
  } else {
    u128 product = (u128)neg_log2_uniform64(hi, lo) * TWO_LN2_Q31;
    return (uint64_t)(product >> 7) + (uint64_t)((product >> 6) & 1);
  }
  return (sum >> 7) + ((sum >> 6) & 1);
}

/* --- optionPayoff.ts --------------------------------------------------------------------- */

typedef struct {
  uint64_t drift; /* two's complement, 40 fractional bits */
  uint32_t vol_mantissa;
  uint32_t vol_shift;
  uint64_t strike; /* 40 fractional bits */
  int put;
} option_constants;

static inline uint32_t round_shift_right(uint32_t m, uint32_t r) {
  uint32_t q = m >> r;
  uint32_t rest = m & ((1u << r) - 1u);
  uint32_t half = 1u << (r - 1);
  return q + (rest > half || (rest == half && (q & 1)));
}

/* The payoff in units of spot * 2^-40 (below 2^80). */
static inline u128 option_payoff(uint32_t z_mag, uint32_t z_negative, const option_constants *k) {
  uint64_t p = (uint64_t)k->vol_mantissa * z_mag;
  uint32_t s = k->vol_shift;
  uint64_t v = (p >> s) + ((p >> (s - 1)) & 1);
  uint64_t y = z_negative ? k->drift - v : k->drift + v;
  uint64_t f = y >> 8; /* logical shift: the low 32 bits are the same as arithmetic */
  uint32_t rest = (uint32_t)y & 0xffu;
  int32_t n = (int32_t)(y >> 32) >> 8;
  if (rest > 0x80u || (rest == 0x80u && (f & 1))) {
    f += 1;
    if ((uint32_t)f == 0) n += 1;
  }
  uint32_t m = exp2_fraction((uint32_t)f);
  int32_t shift = n + 9;
  u128 st = 0;
  if (shift >= 0) {
    st = (u128)m << (shift > 63 ? 63 : shift);
  } else {
    uint32_t r = (uint32_t)(-shift);
    if (r <= 31) st = round_shift_right(m, r);
    else if (r == 32) st = m > 0x80000000u;
  }
  u128 strike = k->strike;
  if (!k->put) return st > strike ? st - strike : 0;
  return strike > st ? strike - st : 0;
}

/* --- the unit -------------------------------------------------------------------------------- */

static uint64_t parse_u64(const char *text, const char *what, uint64_t limit) {
  char *end = NULL;
  unsigned long long value = strtoull(text, &end, 10);
  if (end == text || *end != '\0' || value > limit) {
    fprintf(stderr, "option: %s must be a decimal integer <= %llu, got '%s'\n", what,
            (unsigned long long)limit, text);
    exit(2);
  }
  return value;
}

/* sum of squares: four 64-bit words, little-endian */
static inline void add_square(uint64_t acc[4], u128 p) {
  uint64_t lo = (uint64_t)p;
  uint64_t hi = (uint64_t)(p >> 64); /* < 2^16 */
  u128 ll = (u128)lo * lo;
  u128 lh = (u128)lo * hi * 2; /* < 2^81 */
  u128 hh = (u128)hi * hi;
  u128 t = (u128)acc[0] + (uint64_t)ll;
  acc[0] = (uint64_t)t;
  t = (t >> 64) + acc[1] + (uint64_t)(ll >> 64) + (uint64_t)lh;
  acc[1] = (uint64_t)t;
  t = (t >> 64) + acc[2] + (uint64_t)(lh >> 64) + (uint64_t)hh;
  acc[2] = (uint64_t)t;
  acc[3] += (uint64_t)(t >> 64);
}

int main(int argc, char **argv) {
  if (argc != 11) {
    fprintf(stderr,
            "usage: option SEED START COUNT DRIFT_LO DRIFT_HI VOL_MANTISSA VOL_SHIFT STRIKE_LO "
            "STRIKE_HI PUT\n");
    return 2;
  }
  const uint64_t u53 = (1ull << 53) - 1, u32 = 0xffffffffull;
  uint64_t seed = parse_u64(argv[1], "SEED", u53);
  uint64_t start = parse_u64(argv[2], "START", u53);
  uint64_t count = parse_u64(argv[3], "COUNT", u53);
  option_constants k;
  k.drift = parse_u64(argv[4], "DRIFT_LO", u32) | (parse_u64(argv[5], "DRIFT_HI", u32) << 32);
  k.vol_mantissa = (uint32_t)parse_u64(argv[6], "VOL_MANTISSA", u32);
  k.vol_shift = (uint32_t)parse_u64(argv[7], "VOL_SHIFT", 63);
  k.strike = parse_u64(argv[8], "STRIKE_LO", u32) | (parse_u64(argv[9], "STRIKE_HI", u32) << 32);
  k.put = (int)parse_u64(argv[10], "PUT", 1);
  if (start % 2 != 0 || k.vol_shift < 1) {
    fprintf(stderr, "option: START must be even and VOL_SHIFT >= 1\n");
    return 2;
  }
  uint32_t key0 = (uint32_t)seed, key1 = (uint32_t)(seed >> 32);
  uint64_t first_block = start / 2, blocks = (count + 1) / 2;

  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  u128 sum = 0;
  uint64_t squares[4] = {0, 0, 0, 0};
  for (uint64_t i = 0; i < blocks; i++) {
    uint64_t block = first_block + i;
    uint32_t c[4] = {(uint32_t)block, (uint32_t)(block >> 32), OPTION_STREAM, 0};
    philox4x32_10(c, key0, key1);
    uint32_t radius = isqrt64_round(radius_squared(c[0], c[1]));
    uint32_t angle[4];
    sincos_turn(c[2], angle);
    u128 p = option_payoff(mul_round31(radius, angle[0]), angle[2], &k);
    sum += p;
    add_square(squares, p);
    if (!(count % 2 == 1 && i == blocks - 1)) {
      p = option_payoff(mul_round31(radius, angle[1]), angle[3], &k);
      sum += p;
      add_square(squares, p);
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double elapsed = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
  printf("%016" PRIx64 "%016" PRIx64 " %016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64
         " %.9f\n",
         (uint64_t)(sum >> 64), (uint64_t)sum, squares[3], squares[2], squares[1], squares[0],
         elapsed);
  return 0;
}
