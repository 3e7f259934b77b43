// TypeScript reference of the ising-2d kernel: the CPU fallback, the server's spot checks and
// the oracle for the WGSL test. One chain of Metropolis checkerboard updates on an L×L
// periodic lattice, J = 1, no field, cold start (every spin +1).
//
// Sweep k is two half-sweeps h = 2k (sites with (x + y) even) and h = 2k + 1 (odd). In
// half-sweep h, row y is cut into 8-column strips; strip j of row y is group g = y·(L/8) + j,
// and its 4 sites of the half-sweep's colour, x = 8j + ((y + h) & 1) + 2i for i = 0..3, use
// word i of the Philox4x32-10 block with counter (h, chain, ISING_STREAM, g) and key
// (seed_lo, seed_hi). A flip raising the energy by ΔE ∈ {4, 8} is accepted when that word is
// below the task's threshold for ΔE; ΔE <= 0 is always accepted. The random numbers depend
// only on (seed, chain, h, site), never on who computes them or in which order.
//
// After each of the last `sweeps` sweeps the chain records M = Σ s and E = −Σ_bonds s·s'.
import { philox4x32, splitUint53 } from '../../rng/philox';
import type { IsingResult, IsingTask } from './isingSpec';

/** Counter word 2 of every ising-2d draw ("is" in ASCII), apart from pi's 0x70690000. */
export const ISING_STREAM = 0x69730000;
/** Sites of one colour per Philox block: one per output word. */
export const ISING_SITES_PER_GROUP = 4;
const STRIP = 2 * ISING_SITES_PER_GROUP;

/**
 * floor(exp(-ΔE/T)·2^32) in float64, for the coordinator to put in every task. Multiplying by
 * 2^32 is exact, so only Math.exp rounds; the result is below 2^32 for every T the spec takes.
 */
export function acceptanceThreshold(deltaE: number, temperature: number): number {
  return Math.min(0xffffffff, Math.floor(Math.exp(-deltaE / temperature) * 2 ** 32));
}

/** One half-sweep of the reference: updates `spins` (±1) in place. */
function halfSweep(
  spins: Int8Array,
  size: number,
  h: number,
  chain: number,
  key: readonly [number, number],
  threshold4: number,
  threshold8: number,
  block: Uint32Array,
): void {
  const stripsPerRow = size / STRIP;
  for (let y = 0; y < size; y++) {
    const row = y * size;
    const above = (y === 0 ? size - 1 : y - 1) * size;
    const below = (y === size - 1 ? 0 : y + 1) * size;
    const offset = (y + h) & 1;
    for (let j = 0; j < stripsPerRow; j++) {
      const group = y * stripsPerRow + j;
      // Philox only when some site of the strip needs a draw; a pure function, so skipping it
      // cannot change the answer.
      let drawn = false;
      for (let i = 0; i < ISING_SITES_PER_GROUP; i++) {
        const x = j * STRIP + offset + 2 * i;
        const s = spins[row + x]!;
        const left = spins[row + (x === 0 ? size - 1 : x - 1)]!;
        const right = spins[row + (x === size - 1 ? 0 : x + 1)]!;
        const deltaE = 2 * s * (left + right + spins[above + x]! + spins[below + x]!);
        if (deltaE > 0) {
          if (!drawn) {
            philox4x32(h, chain, ISING_STREAM, group, key[0], key[1], block);
            drawn = true;
          }
          if (block[i]! >= (deltaE === 4 ? threshold4 : threshold8)) continue;
        }
        spins[row + x] = -s;
      }
    }
  }
}

/** M and E of the whole lattice: each bond counted once, as (site, right) and (site, below). */
function measure(spins: Int8Array, size: number): { m: number; e: number } {
  let m = 0;
  let bonds = 0;
  for (let y = 0; y < size; y++) {
    const row = y * size;
    const below = (y === size - 1 ? 0 : y + 1) * size;
    for (let x = 0; x < size; x++) {
      const s = spins[row + x]!;
      m += s;
      bonds += s * (spins[row + (x === size - 1 ? 0 : x + 1)]! + spins[below + x]!);
    }
  }
  return { m, e: -bonds };
}

export function runIsingReference(task: IsingTask): IsingResult {
  const { size, burnIn, sweeps, chain, threshold4, threshold8 } = task;
  const key = splitUint53(task.seed);
  const spins = new Int8Array(size * size).fill(1);
  const block = new Uint32Array(4);
  let sumAbsM = 0;
  let sumM2 = 0;
  let sumE = 0;
  let sumE2 = 0;
  for (let k = 0; k < burnIn + sweeps; k++) {
    halfSweep(spins, size, 2 * k, chain, key, threshold4, threshold8, block);
    halfSweep(spins, size, 2 * k + 1, chain, key, threshold4, threshold8, block);
    if (k < burnIn) continue;
    const { m, e } = measure(spins, size);
    // Every partial sum is an integer below 2^53 (isingSpec.ts caps), so doubles are exact.
    sumAbsM += Math.abs(m);
    sumM2 += m * m;
    sumE += e;
    sumE2 += e * e;
  }
  return {
    chain,
    size,
    temperature: task.temperature,
    sweeps,
    sumAbsM,
    sumM2,
    sumE,
    sumE2,
  };
}
