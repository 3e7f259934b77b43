// The random stream a researcher's kernel sees, in TypeScript: the twin of the harness's
// random_u32() and uniform() (wgslHarness.ts), for TypeScript ports of kernels (tests, the
// examples' references, the bench). Sample s of a workload owns the Philox4x32-10 blocks with
// counter (s_lo, s_hi, WGSL_STREAM, b) and key (seed_lo, seed_hi), b = 0, 1, 2, ...; its
// draws are the words x, y, z, w of block 0, then of block 1, and so on. So a sample's numbers
// depend only on (seed, s): not on the unit, the block, the device or the draws of others.
import { philox4x32, splitUint53 } from '../../rng/philox';
import { FixedPointSums } from './wgslFixedPoint';
import type { WgslResult } from './wgslSpec';

/** Counter word 2 of every draw of a researcher's kernel ("wg" in ASCII). */
export const WGSL_STREAM = 0x77670000;
const TWO_POW_32 = 4294967296;
/** uniform() = (24 random bits) * 2^-24: exact in float32, in [0, 1). */
const UNIFORM_SCALE = 2 ** -24;

export class WgslSampleStream {
  private readonly keyLo: number;
  private readonly keyHi: number;
  private sampleLo = 0;
  private sampleHi = 0;
  private nextBlock = 0;
  private used = 4;
  private readonly block = new Uint32Array(4);

  constructor(seed: number) {
    [this.keyLo, this.keyHi] = splitUint53(seed);
  }

  /** Rewinds to the first draw of sample `sample` (a non-negative safe integer). */
  begin(sample: number): void {
    [this.sampleLo, this.sampleHi] = splitUint53(sample);
    this.nextBlock = 0;
    this.used = 4;
  }

  /** The next 32 random bits of the current sample. */
  randomU32(): number {
    if (this.used === 4) {
      philox4x32(
        this.sampleLo,
        this.sampleHi,
        WGSL_STREAM,
        this.nextBlock,
        this.keyLo,
        this.keyHi,
        this.block,
      );
      this.nextBlock = (this.nextBlock + 1) % TWO_POW_32;
      this.used = 0;
    }
    return this.block[this.used++]!;
  }

  /** The next uniform float32 in [0, 1): the top 24 bits of randomU32() times 2^-24. */
  uniform(): number {
    return (this.randomU32() >>> 8) * UNIFORM_SCALE;
  }
}

/** A TypeScript port of a kernel's `sample()`: float32 values (use Math.fround). */
export type TypeScriptSample = (stream: WgslSampleStream) => ArrayLike<number>;

/**
 * Runs a TypeScript port of a kernel over the task's samples and sums exactly as the harness
 * does: equal to the GPU's result whenever the port computes the same float32 values.
 */
export function runTypeScriptKernel(
  task: { seed: number; start: number; count: number; outputs: readonly string[] },
  sample: TypeScriptSample,
): WgslResult {
  const stream = new WgslSampleStream(task.seed);
  const sums = new FixedPointSums(task.outputs);
  for (let i = 0; i < task.count; i++) {
    stream.begin(task.start + i);
    sums.add(sample(stream));
  }
  return sums.result();
}
