// Inputs shared by the TypeScript and WGSL Philox tests: the Random123 known-answer vectors
// (copied from ../shared/data/philox4x32-10-kat.txt so the tests need no file outside the
// project), the mulhi32 edge values and a deterministic input generator.

/** Random123's kat_vectors lines for philox4x32, 10 rounds: counter, key, expected output. */
export const PHILOX_KAT: ReadonlyArray<{
  counter: readonly [number, number, number, number];
  key: readonly [number, number];
  expected: readonly [number, number, number, number];
}> = [
  {
    counter: [0x00000000, 0x00000000, 0x00000000, 0x00000000],
    key: [0x00000000, 0x00000000],
    expected: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
  },
  {
    counter: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    key: [0xffffffff, 0xffffffff],
    expected: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  },
  {
    counter: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    key: [0xa4093822, 0x299f31d0],
    expected: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  },
];

/** Values where a 16-bit-piece product can lose a carry or a sign: every pair is checked. */
export const MULHI_EDGE_VALUES: readonly number[] = [
  0, 1, 2, 0x7fff, 0x8000, 0xffff, 0x10000, 0x10001, 0x1ffff, 0x7fffffff, 0x80000000, 0x80000001,
  0xfffeffff, 0xffff0000, 0xffff0001, 0xfffffffe, 0xffffffff, 0xd2511f53, 0xcd9e8d57,
];

/** Numerical Recipes' 32-bit LCG: deterministic test inputs without Math.random. */
export function lcg32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
}

/** Words as 8-digit hex strings, so a failed comparison reads like the KAT file. */
export function hex(words: ArrayLike<number>): string[] {
  return Array.from(words, (w) => w.toString(16).padStart(8, '0'));
}
