// TypeScript reference of the pi kernel: the CPU fallback, the server's spot checks and the
// oracle for the WGSL test. Sample s of a workload is half of Philox block floor(s / 2) with
// counter (pair_lo, pair_hi, PI_STREAM, 0) and key (seed_lo, seed_hi): words (x, y) for the
// even sample, (z, w) for the odd one. A hit is x^2 + y^2 < 2^64 on the raw uint32 words,
// decided in exact integer arithmetic so every device agrees.
import { mulhi32, philox4x32, splitUint53 } from '../../rng/philox';
import type { PiResult, PiTask } from './piSpec';

/** Counter word 2 of every pi draw ("pi" in ASCII), so no other estimator shares the stream. */
export const PI_STREAM = 0x70690000;
const TWO_POW_32 = 4294967296;

/** 1 when (x, y), read as fractions of 2^32, lies strictly inside the quarter circle. */
export function insideQuarterCircle(x: number, y: number): number {
  const lo = (Math.imul(x, x) >>> 0) + (Math.imul(y, y) >>> 0);
  const hi = mulhi32(x, x) + mulhi32(y, y) + (lo >= TWO_POW_32 ? 1 : 0);
  return hi < TWO_POW_32 ? 1 : 0;
}

export function runPiReference(task: PiTask): PiResult {
  const [keyLo, keyHi] = splitUint53(task.seed);
  const firstPair = task.start / 2;
  const pairs = Math.ceil(task.count / 2);
  const lastHasOneSample = task.count % 2 === 1;
  const block = new Uint32Array(4);
  let hits = 0;
  for (let i = 0; i < pairs; i++) {
    const pair = firstPair + i;
    philox4x32(pair >>> 0, Math.floor(pair / TWO_POW_32), PI_STREAM, 0, keyLo, keyHi, block);
    hits += insideQuarterCircle(block[0]!, block[1]!);
    if (!(lastHasOneSample && i === pairs - 1)) {
      hits += insideQuarterCircle(block[2]!, block[3]!);
    }
  }
  return { hits, samples: task.count };
}
