// Deterministic initial parameters from a workload seed: the same seed gives the same bits on
// every JavaScript engine, because only Philox (integer arithmetic) and +, -, *, / and sqrt
// (correctly rounded by IEEE 754) are used, in float64, with one rounding to float32 at the end.
//
// Weights are uniform in [-a, a] (variance a^2 / 3):
//   a layer feeding a ReLU (mlp W1 .. WL): He (Kaiming), a = sqrt(6 / fan-in), so
//     W1: sqrt(6 / D), W_l: sqrt(6 / H_{l-1})
//   the layer producing the logits (softmax W, mlp W{L+1}): Xavier/Glorot,
//     a = sqrt(6 / (fan-in + K)): sqrt(6 / (D + K)), sqrt(6 / (HL + K))
//   biases:     0
// RNG: Philox4x32-10, key (seed_lo, seed_hi), counter (block, 0, INIT_STREAM, tensor index);
// block j gives the tensor's elements 4j .. 4j+3, one uint32 word each. The tensor index is
// the tensor's place in the layout (W1 0, b1 1, W2 2, ...), so adding layers leaves the draws
// of a one-hidden-layer model as they were.
import { philox4x32, splitUint53 } from '../../rng/philox';
import { denseLayers, parameterLayout, type ModelConfig } from './gradientModel';

/** Counter word 2 of every initialization draw ("init" in ASCII). */
export const INIT_STREAM = 0x696e6974;

const TWO_POW_MINUS_32 = 1 / 4294967296;

/** A uint32 word as a float64 strictly inside (0, 1): (word + 0.5) / 2^32, exact. */
export function unitInterval(word: number): number {
  return (word + 0.5) * TWO_POW_MINUS_32;
}

/** Each tensor's a, by its index in the layout; 0 for the biases. */
function initScales(config: ModelConfig): number[] {
  return denseLayers(config).flatMap(({ inputs, outputs, relu }) => [
    relu ? Math.sqrt(6 / inputs) : Math.sqrt(6 / (inputs + outputs)),
    0,
  ]);
}

export function initParameters(config: ModelConfig, seed: number): Float32Array {
  const [keyLo, keyHi] = splitUint53(seed);
  const layout = parameterLayout(config);
  const params = new Float32Array(layout.size);
  const block = new Uint32Array(4);
  const scales = initScales(config);
  layout.tensors.forEach((slot, tensorIndex) => {
    const scale = scales[tensorIndex]!;
    if (scale === 0) return;
    for (let i = 0; i < slot.size; i++) {
      if (i % 4 === 0) philox4x32(i / 4, 0, INIT_STREAM, tensorIndex, keyLo, keyHi, block);
      const u = unitInterval(block[i % 4]!);
      params[slot.offset + i] = (2 * u - 1) * scale;
    }
  });
  return params;
}
