// Exact running sums of payoffs and squared payoffs for the TypeScript reference, without a
// BigInt per sample: the payoff's six 16-bit limbs and their pairwise products go into float64
// accumulators, which stay exact (below 2^53) between flushes into BigInt. The sums are unique
// integers, so this need not mirror the WGSL kernel's word-wise carries to agree with it.

/** A square-limb accumulator grows by < 6 * 2^32 per sample: 2^18 samples stay below 2^53. */
const FLUSH_EVERY = 2 ** 18;
const LIMBS = 6;

export class PayoffMoments {
  private readonly limbSums = new Float64Array(LIMBS);
  private readonly squareSums = new Float64Array(2 * LIMBS - 1);
  private readonly limbs = new Float64Array(LIMBS);
  private squaresFlushed = 0n;
  private sinceFlush = 0;

  /** Adds one payoff p = p0 + p1 * 2^32 + p2 * 2^64 (uint32 words). */
  add(p0: number, p1: number, p2: number): void {
    const l0 = p0 & 0xffff;
    const l1 = p0 >>> 16;
    const sums = this.limbSums;
    const squares = this.squareSums;
    sums[0]! += l0;
    sums[1]! += l1;
    if (p1 === 0 && p2 === 0) {
      // Most payoffs are below spot (2^32 units): three limb products instead of 21.
      squares[0]! += l0 * l0;
      squares[1]! += 2 * l0 * l1;
      squares[2]! += l1 * l1;
    } else {
      const limbs = this.limbs;
      limbs[0] = l0;
      limbs[1] = l1;
      limbs[2] = p1 & 0xffff;
      limbs[3] = p1 >>> 16;
      limbs[4] = p2 & 0xffff;
      limbs[5] = p2 >>> 16;
      for (let i = 2; i < LIMBS; i++) sums[i]! += limbs[i]!;
      for (let i = 0; i < LIMBS; i++) {
        const li = limbs[i]!;
        if (li === 0) continue;
        squares[2 * i]! += li * li;
        for (let j = i + 1; j < LIMBS; j++) squares[i + j]! += 2 * li * limbs[j]!;
      }
    }
    if (++this.sinceFlush === FLUSH_EVERY) this.flush();
  }

  private flush(): void {
    let total = 0n;
    for (let k = this.squareSums.length - 1; k >= 0; k--) {
      total = (total << 16n) + BigInt(this.squareSums[k]!);
    }
    this.squaresFlushed += total;
    this.squareSums.fill(0);
    this.sinceFlush = 0;
  }

  /** The exact sums so far (limb sums stay below 2^53 for the 2^31 samples a unit may hold). */
  totals(): { sum: bigint; sumSquares: bigint } {
    this.flush();
    let sum = 0n;
    for (let k = LIMBS - 1; k >= 0; k--) sum = (sum << 16n) + BigInt(this.limbSums[k]!);
    return { sum, sumSquares: this.squaresFlushed };
  }
}
