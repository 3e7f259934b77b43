// Deterministic initial parameters from a workload seed: the same seed gives the same bits on
// every JavaScript engine, because only Philox (integer arithmetic) and +, -, *, / and sqrt
// (correctly rounded by IEEE 754) are used, in float64, with one rounding to float32 at the end.
//
// Weights are uniform in [-a, a] (variance a^2 / 3):
//   softmax W:  Xavier/Glorot, a = sqrt(6 / (D + K))
//   mlp W1:     He (Kaiming) for a ReLU layer, a = sqrt(6 / D)
//   mlp W2:     Xavier/Glorot, a = sqrt(6 / (H + K))
//   biases:     0
// RNG: Philox4x32-10, key (seed_lo, seed_hi), counter (block, 0, INIT_STREAM, tensor index);
// block j gives the tensor's elements 4j .. 4j+3, one uint32 word each.
import { philox4x32, splitUint53 } from '../../rng/philox';
import { parameterLayout, type ModelConfig } from './gradientModel';

/** Counter word 2 of every initialization draw ("init" in ASCII). */
export const INIT_STREAM = 0x696e6974;

const TWO_POW_MINUS_32 = 1 / 4294967296;

/** A uint32 word as a float64 strictly inside (0, 1): (word + 0.5) / 2^32, exact. */
export function unitInterval(word: number): number {
  return (word + 0.5) * TWO_POW_MINUS_32;
}

function initScale(config: ModelConfig, tensor: string): number {
  const { inputSize: d, classes: k } = config;
  switch (tensor) {
    case 'W':
      return Math.sqrt(6 / (d + k));
    case 'W1':
      return Math.sqrt(6 / d);
    case 'W2':
      return config.model === 'mlp' ? Math.sqrt(6 / (config.hidden + k)) : 0;
    default:
      return 0;
  }
}

export function initParameters(config: ModelConfig, seed: number): Float32Array {
  const [keyLo, keyHi] = splitUint53(seed);
  const layout = parameterLayout(config);
  const params = new Float32Array(layout.size);
  const block = new Uint32Array(4);
  layout.tensors.forEach((slot, tensorIndex) => {
    const scale = initScale(config, slot.name);
    if (scale === 0) return;
    for (let i = 0; i < slot.size; i++) {
      if (i % 4 === 0) philox4x32(i / 4, 0, INIT_STREAM, tensorIndex, keyLo, keyHi, block);
      const u = unitInterval(block[i % 4]!);
      params[slot.offset + i] = (2 * u - 1) * scale;
    }
  });
  return params;
}
