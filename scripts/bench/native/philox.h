/* Philox4x32-10 for the native baselines, the C twin of shared/src/rng/philox.ts: counter c
 * (four words, replaced by the output block), key (k0, k1). 64-bit products make mulhi free. */
#ifndef TESSERA_PHILOX_H
#define TESSERA_PHILOX_H
#include <stdint.h>

#define PHILOX_M0 0xd2511f53u
#define PHILOX_M1 0xcd9e8d57u
#define PHILOX_W0 0x9e3779b9u
#define PHILOX_W1 0xbb67ae85u

static inline void philox4x32_10(uint32_t c[4], uint32_t k0, uint32_t k1) {
  for (int round = 0; round < 10; round++) {
    if (round > 0) {
      k0 += PHILOX_W0;
      k1 += PHILOX_W1;
    }
    uint64_t p0 = (uint64_t)PHILOX_M0 * c[0];
    uint64_t p1 = (uint64_t)PHILOX_M1 * c[2];
    uint32_t x0 = (uint32_t)(p1 >> 32) ^ c[1] ^ k0;
    uint32_t x2 = (uint32_t)(p0 >> 32) ^ c[3] ^ k1;
    c[0] = x0;
    c[1] = (uint32_t)p1;
    c[2] = x2;
    c[3] = (uint32_t)p0;
  }
}

#endif
