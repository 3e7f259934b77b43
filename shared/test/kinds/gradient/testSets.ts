// Example sets for the gradient tests: seeded, any shape, in both feature types. The uint8 sets
// look like MNIST to the kernels (about 70% zero bytes, the rest anywhere in 1..255), so the
// reference's zero-skipping and the GPU's byte unpacking are both exercised.
import { philox4x32 } from '../../../src/rng/philox';
import type { ExampleSet } from '../../../src/kinds/gradient/exampleSet';
import { makeBlobs } from '../../../src/kinds/gradient/syntheticBlobs';
import type { ModelConfig } from '../../../src/kinds/gradient/gradientModel';
import { initParameters } from '../../../src/kinds/gradient/parameterInit';

export interface SetShape {
  count: number;
  inputSize: number;
  classes: number;
  dtype: 'uint8' | 'float32';
  seed?: number;
}

/** Counter word 2 of the test data draws, apart from every production stream. */
const TEST_STREAM = 0x74657374;

function sparseBytes(count: number, inputSize: number, classes: number, seed: number): ExampleSet {
  const features = new Uint8Array(count * inputSize);
  const labels = new Uint8Array(count);
  const block = new Uint32Array(4);
  for (let n = 0; n < count; n++) {
    philox4x32(n, 0xffffffff, TEST_STREAM, 0, seed, 0, block);
    labels[n] = block[0]! % classes;
    for (let d = 0; d < inputSize; d++) {
      philox4x32(d, n, TEST_STREAM, 0, seed, 0, block);
      // Zero 70% of the time; otherwise a byte in 1..255.
      features[n * inputSize + d] = block[0]! % 10 < 7 ? 0 : 1 + (block[1]! % 255);
    }
  }
  return { dtype: 'uint8', count, inputSize, classes, features, labels };
}

export function testSet(shape: SetShape): ExampleSet {
  const seed = shape.seed ?? 7;
  return shape.dtype === 'uint8'
    ? sparseBytes(shape.count, shape.inputSize, shape.classes, seed)
    : makeBlobs({ ...shape, seed, separation: 1 });
}

/**
 * Initial parameters with every value nudged, biases included (initParameters leaves them at
 * 0, where a kernel that forgot a bias would still agree with the reference).
 */
export function testParams(config: ModelConfig, seed: number): Float32Array {
  return initParameters(config, seed).map((v, i) => v + 0.05 * Math.sin(seed + i));
}
