// Philox4x32-10 in TypeScript against the Random123 known-answer vectors, and mulhi32 (the
// 16-bit-piece high product that both the TS and WGSL twins rely on) against BigInt.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mulhi32, philox4x32, splitUint53 } from '../../src/rng/philox';
import { hex, lcg32, MULHI_EDGE_VALUES, PHILOX_KAT } from './philoxVectors';

function mulhiBigInt(a: number, b: number): number {
  return Number((BigInt(a) * BigInt(b)) >> 32n);
}

describe('philox4x32 (TypeScript)', () => {
  for (const [index, kat] of PHILOX_KAT.entries()) {
    test(`matches Random123 known-answer vector ${index} (counter ${hex(kat.counter).join(' ')})`, () => {
      const out = philox4x32(...kat.counter, ...kat.key, new Uint32Array(4));
      assert.deepEqual(hex(out), hex(kat.expected));
    });
  }

  test('accepts counters and keys given as negative int32 (as Math.imul results are)', () => {
    const kat = PHILOX_KAT[1]!;
    const out = philox4x32(-1, -1, -1, -1, -1, -1, new Uint32Array(4));
    assert.deepEqual(hex(out), hex(kat.expected));
  });

  test('writes into the given array and returns it', () => {
    const out = new Uint32Array(4);
    assert.equal(philox4x32(0, 0, 0, 0, 0, 0, out), out);
  });
});

describe('mulhi32 (TypeScript) against BigInt', () => {
  test('every pair of edge values', () => {
    for (const a of MULHI_EDGE_VALUES) {
      for (const b of MULHI_EDGE_VALUES) {
        assert.equal(
          mulhi32(a, b),
          mulhiBigInt(a, b),
          `mulhi32(0x${a.toString(16)}, 0x${b.toString(16)})`,
        );
      }
    }
  });

  test('a seeded sweep of 200000 pairs', () => {
    const next = lcg32(0x5eed);
    for (let i = 0; i < 200_000; i++) {
      // An LCG's low bits are weak; mixing in a shifted draw reaches all 32 bits evenly.
      const a = (next() ^ (next() >>> 13)) >>> 0;
      const b = (next() ^ (next() >>> 13)) >>> 0;
      const expected = mulhiBigInt(a, b);
      if (mulhi32(a, b) !== expected) {
        assert.fail(
          `mulhi32(0x${a.toString(16)}, 0x${b.toString(16)}) = ${mulhi32(a, b)}, BigInt says ${expected}`,
        );
      }
    }
  });
});

describe('splitUint53', () => {
  test('splits around the 2^32 boundary and at 2^53 - 1', () => {
    assert.deepEqual(splitUint53(0), [0, 0]);
    assert.deepEqual(splitUint53(2 ** 32 - 1), [0xffffffff, 0]);
    assert.deepEqual(splitUint53(2 ** 32), [0, 1]);
    assert.deepEqual(splitUint53(Number.MAX_SAFE_INTEGER), [0xffffffff, 0x1fffff]);
  });

  test('refuses negative, fractional and unsafe values', () => {
    assert.throws(() => splitUint53(-1), RangeError);
    assert.throws(() => splitUint53(1.5), RangeError);
    assert.throws(() => splitUint53(2 ** 53), RangeError);
  });
});
