// TypeScript reference of one gradient unit: the CPU fallback, the coordinator's spot checks,
// the single-process trainer of the tests, and the oracle the WGSL kernels are checked against.
//
// For each example (x, y): logits z (gradientModel.ts), p = softmax(z), loss = -log p[y]
// computed as log(sum_k exp(z_k - m)) - (z_y - m) with m = max z (never overflows), and
// delta = p - onehot(y) = dLoss/dz. The unit returns sums over its examples:
//   gradSum = sum of dLoss/dparams (the parameters' layout), lossSum, count, and correct (the
//   examples whose first-highest logit is the label).
// Backward: softmax  dW = x^T delta, db = delta
//           mlp      dW2 = h^T delta, db2 = delta, dh = (delta W2^T) * [a > 0], dW1 = x^T dh, db1 = dh
// (a = x W1 + b1, h = relu(a); the ReLU derivative at exactly 0 is taken as 0).
// Arithmetic is float64 throughout (float32 parameters read exactly); gradSum is rounded to
// float32 once at the end. Zero features are skipped (MNIST is ~80% zeros): the same sums,
// because parameters are checked finite first (0 * Infinity would be NaN, not 0).
import { featureValue, type ExampleSet } from './exampleSet';
import { parameterLayout, type ModelConfig } from './gradientModel';

export interface GradientResult {
  /** Sum over the unit's examples of dLoss/dparams, in the parameters' layout. */
  gradSum: Float32Array;
  /** Sum over the unit's examples of the cross-entropy loss (natural log). */
  lossSum: number;
  /** Examples in the unit. */
  count: number;
  /** Examples whose first-highest logit is their label. */
  correct: number;
}

export interface Evaluation {
  /** Mean cross-entropy loss. */
  loss: number;
  /** Fraction of examples classified correctly. */
  accuracy: number;
  count: number;
}

/**
 * Parameters as the reference takes them: float32 as they travel, or float64 for tests that
 * differentiate the loss numerically.
 */
export type ParameterArray = Float32Array | Float64Array;

function checkInputs(config: ModelConfig, params: ParameterArray, set: ExampleSet): void {
  const size = parameterLayout(config).size;
  if (params.length !== size) {
    throw new RangeError(`params hold ${params.length} values, model ${config.model} has ${size}`);
  }
  if (set.inputSize !== config.inputSize || set.classes !== config.classes) {
    throw new RangeError(
      `examples are ${set.inputSize} features / ${set.classes} classes, model wants ` +
        `${config.inputSize} / ${config.classes}`,
    );
  }
  const bad = params.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new RangeError(`parameter ${bad} is ${params[bad]}`);
}

/** Runs every example forward, and backward into `grad` when given; returns loss and hits. */
function runExamples(
  config: ModelConfig,
  params: ParameterArray,
  set: ExampleSet,
  grad: Float64Array | null,
): { lossSum: number; correct: number } {
  const { inputSize: d, classes: k } = config;
  const hidden = config.model === 'mlp' ? config.hidden : 0;
  const [first, second, third, fourth] = parameterLayout(config).tensors;
  // softmax: W = first, b = second; mlp: W1, b1, W2, b2.
  const nonzero = new Int32Array(d);
  const values = new Float64Array(d);
  const h = new Float64Array(hidden);
  const dh = new Float64Array(hidden);
  const z = new Float64Array(k);
  const delta = new Float64Array(k);
  let lossSum = 0;
  let correct = 0;
  for (let n = 0; n < set.count; n++) {
    let nnz = 0;
    for (let i = 0; i < d; i++) {
      const v = featureValue(set, n, i);
      if (v !== 0) {
        nonzero[nnz] = i;
        values[nnz++] = v;
      }
    }
    // Forward.
    const out = config.model === 'mlp' ? third! : first!;
    const outBias = config.model === 'mlp' ? fourth! : second!;
    for (let c = 0; c < k; c++) z[c] = params[outBias.offset + c]!;
    if (config.model === 'softmax') {
      for (let t = 0; t < nnz; t++) {
        const v = values[t]!;
        const row = out.offset + nonzero[t]! * k;
        for (let c = 0; c < k; c++) z[c] = z[c]! + v * params[row + c]!;
      }
    } else {
      const w1 = first!.offset;
      const b1 = second!.offset;
      for (let j = 0; j < hidden; j++) h[j] = params[b1 + j]!;
      for (let t = 0; t < nnz; t++) {
        const v = values[t]!;
        const row = w1 + nonzero[t]! * hidden;
        for (let j = 0; j < hidden; j++) h[j] = h[j]! + v * params[row + j]!;
      }
      for (let j = 0; j < hidden; j++) {
        const hj = h[j]! > 0 ? h[j]! : 0;
        h[j] = hj;
        if (hj === 0) continue;
        const row = out.offset + j * k;
        for (let c = 0; c < k; c++) z[c] = z[c]! + hj * params[row + c]!;
      }
    }
    // Softmax cross-entropy.
    const label = set.labels[n]!;
    let best = 0;
    for (let c = 1; c < k; c++) if (z[c]! > z[best]!) best = c;
    const m = z[best]!;
    let sum = 0;
    for (let c = 0; c < k; c++) {
      delta[c] = Math.exp(z[c]! - m);
      sum += delta[c]!;
    }
    lossSum += Math.log(sum) - (z[label]! - m);
    if (best === label) correct++;
    if (!grad) continue;
    for (let c = 0; c < k; c++) delta[c] = delta[c]! / sum - (c === label ? 1 : 0);
    // Backward.
    for (let c = 0; c < k; c++) grad[outBias.offset + c] = grad[outBias.offset + c]! + delta[c]!;
    if (config.model === 'softmax') {
      for (let t = 0; t < nnz; t++) {
        const v = values[t]!;
        const row = out.offset + nonzero[t]! * k;
        for (let c = 0; c < k; c++) grad[row + c] = grad[row + c]! + v * delta[c]!;
      }
      continue;
    }
    const w1 = first!.offset;
    const b1 = second!.offset;
    for (let j = 0; j < hidden; j++) {
      const hj = h[j]!;
      const row = out.offset + j * k;
      let back = 0;
      for (let c = 0; c < k; c++) {
        grad[row + c] = grad[row + c]! + hj * delta[c]!;
        back += params[row + c]! * delta[c]!;
      }
      dh[j] = hj > 0 ? back : 0;
      grad[b1 + j] = grad[b1 + j]! + dh[j]!;
    }
    for (let t = 0; t < nnz; t++) {
      const v = values[t]!;
      const row = w1 + nonzero[t]! * hidden;
      for (let j = 0; j < hidden; j++) grad[row + j] = grad[row + j]! + v * dh[j]!;
    }
  }
  return { lossSum, correct };
}

/** One gradient unit: loss and gradient summed over every example of `set`. */
export function computeGradient(
  config: ModelConfig,
  params: ParameterArray,
  set: ExampleSet,
): GradientResult {
  checkInputs(config, params, set);
  const grad = new Float64Array(params.length);
  const { lossSum, correct } = runExamples(config, params, set, grad);
  return { gradSum: Float32Array.from(grad), lossSum, count: set.count, correct };
}

/** Mean loss and accuracy of the parameters on `set` (forward passes only). */
export function evaluate(config: ModelConfig, params: ParameterArray, set: ExampleSet): Evaluation {
  checkInputs(config, params, set);
  if (set.count === 0) return { loss: Number.NaN, accuracy: Number.NaN, count: 0 };
  const { lossSum, correct } = runExamples(config, params, set, null);
  return { loss: lossSum / set.count, accuracy: correct / set.count, count: set.count };
}
