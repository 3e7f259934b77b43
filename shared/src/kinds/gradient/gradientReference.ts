// TypeScript reference of one gradient unit: the CPU fallback, the coordinator's spot checks,
// the single-process trainer of the tests, and the oracle the WGSL kernels are checked against.
// Its forward pass alone (forwardLogits, softmaxRows) is inference's CPU path and oracle.
//
// For each example (x, y): logits z (gradientModel.ts), p = softmax(z), loss = -log p[y]
// computed as log(sum_k exp(z_k - m)) - (z_y - m) with m = max z (never overflows), and
// delta = p - onehot(y) = dLoss/dz. The unit returns sums over its examples:
//   gradSum = sum of dLoss/dparams (the parameters' layout), lossSum, count, and correct (the
//   examples whose first-highest logit is the label).
// Forward, layer by layer (h0 = x): a_l = h_{l-1} W_l + b_l, h_l = relu(a_l), z = a_{L+1}.
// Backward, from d_{L+1} = delta down: dW_l = h_{l-1}^T d_l, db_l = d_l, and below the first
// layer d_{l-1} = (d_l W_l^T) * [a_{l-1} > 0] (the ReLU derivative at exactly 0 is taken as 0).
// softmax is the case of no hidden layer: dW = x^T delta, db = delta.
// Arithmetic is float64 throughout (float32 parameters read exactly); gradSum is rounded to
// float32 once at the end. Zero inputs of a layer (zero features: MNIST is ~80% zeros; and
// hidden units the ReLU cut) are skipped: the same sums, because parameters are checked finite
// first (0 * Infinity would be NaN, not 0), and a sum that starts at +0 is never -0, so adding
// a +-0 product changes no bit. Each layer adds its inputs in index order, so a model of one
// hidden layer sums exactly as this file did before depth became a parameter.
import { featureRowsProblem, featureValue, type ExampleSet, type FeatureRows } from './exampleSet';
import {
  MAX_CLASSES,
  denseLayers,
  parameterLayout,
  type DenseLayer,
  type ModelConfig,
} from './gradientModel';
import { firstNonFinite } from './finiteValues';

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

function checkParams(config: ModelConfig, params: ParameterArray): void {
  const size = parameterLayout(config).size;
  if (params.length !== size) {
    throw new RangeError(`params hold ${params.length} values, model ${config.model} has ${size}`);
  }
  const bad = firstNonFinite(params);
  if (bad >= 0) throw new RangeError(`parameter ${bad} is ${params[bad]}`);
}

function checkInputs(config: ModelConfig, params: ParameterArray, set: ExampleSet): void {
  checkParams(config, params);
  if (set.inputSize !== config.inputSize || set.classes !== config.classes) {
    throw new RangeError(
      `examples are ${set.inputSize} features / ${set.classes} classes, model wants ` +
        `${config.inputSize} / ${config.classes}`,
    );
  }
}

/** The index of the first-highest of values[offset .. offset + count). */
function firstHighest(values: ArrayLike<number>, offset: number, count: number): number {
  let best = 0;
  for (let c = 1; c < count; c++) if (values[offset + c]! > values[offset + best]!) best = c;
  return best;
}

/**
 * One example at a time through the model: the forward pass into `logits` and the hidden
 * activations, and the backward pass from a delta. Buffers are allocated once per call of the
 * exported functions, not per example.
 */
class DenseNet {
  private readonly layers: DenseLayer[];
  /** The first layer's input: indices and values of the example's non-zero features. */
  private readonly nonzero: Int32Array;
  private readonly values: Float64Array;
  private nnz = 0;
  /** h_l for l = 1 .. L (after the ReLU), at index l - 1. */
  private readonly hidden: Float64Array[];
  /** d_l of the hidden layers, at index l - 1. */
  private readonly dHidden: Float64Array[];
  /** The output layer's values: the logits after forward(), delta when backward() is called. */
  readonly logits: Float64Array;

  constructor(
    config: ModelConfig,
    private readonly params: ParameterArray,
  ) {
    this.layers = denseLayers(config);
    this.nonzero = new Int32Array(config.inputSize);
    this.values = new Float64Array(config.inputSize);
    const hiddenLayers = this.layers.slice(0, -1);
    this.hidden = hiddenLayers.map((layer) => new Float64Array(layer.outputs));
    this.dHidden = hiddenLayers.map((layer) => new Float64Array(layer.outputs));
    this.logits = new Float64Array(config.classes);
  }

  /** Runs row n of `rows` forward: logits (and the activations backward() needs). */
  forward(rows: FeatureRows, n: number): void {
    const { params, nonzero, values } = this;
    let nnz = 0;
    for (let i = 0; i < rows.inputSize; i++) {
      const v = featureValue(rows, n, i);
      if (v !== 0) {
        nonzero[nnz] = i;
        values[nnz++] = v;
      }
    }
    this.nnz = nnz;
    this.layers.forEach((layer, l) => {
      const cols = layer.outputs;
      const out = layer.relu ? this.hidden[l]! : this.logits;
      const bias = layer.bias.offset;
      const weights = layer.weight.offset;
      for (let c = 0; c < cols; c++) out[c] = params[bias + c]!;
      if (l === 0) {
        for (let t = 0; t < nnz; t++) {
          const v = values[t]!;
          const row = weights + nonzero[t]! * cols;
          for (let c = 0; c < cols; c++) out[c] = out[c]! + v * params[row + c]!;
        }
      } else {
        const input = this.hidden[l - 1]!;
        for (let j = 0; j < layer.inputs; j++) {
          const v = input[j]!;
          if (v === 0) continue;
          const row = weights + j * cols;
          for (let c = 0; c < cols; c++) out[c] = out[c]! + v * params[row + c]!;
        }
      }
      if (layer.relu) for (let c = 0; c < cols; c++) out[c] = out[c]! > 0 ? out[c]! : 0;
    });
  }

  /**
   * Adds this example's dLoss/dparams into `grad`, from delta = dLoss/dlogits held in
   * `logits`; forward() of the same example must come first.
   */
  backward(grad: Float64Array): void {
    const { params, nonzero, values, nnz } = this;
    let d = this.logits;
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const layer = this.layers[l]!;
      const cols = layer.outputs;
      const bias = layer.bias.offset;
      const weights = layer.weight.offset;
      for (let c = 0; c < cols; c++) grad[bias + c] = grad[bias + c]! + d[c]!;
      if (l === 0) {
        for (let t = 0; t < nnz; t++) {
          const v = values[t]!;
          const row = weights + nonzero[t]! * cols;
          for (let c = 0; c < cols; c++) grad[row + c] = grad[row + c]! + v * d[c]!;
        }
        break;
      }
      const input = this.hidden[l - 1]!;
      const below = this.dHidden[l - 1]!;
      for (let j = 0; j < layer.inputs; j++) {
        const v = input[j]!;
        // v is a ReLU output: > 0, or exactly 0 where the derivative is taken as 0.
        if (v === 0) {
          below[j] = 0;
          continue;
        }
        const row = weights + j * cols;
        let back = 0;
        for (let c = 0; c < cols; c++) {
          grad[row + c] = grad[row + c]! + v * d[c]!;
          back += params[row + c]! * d[c]!;
        }
        below[j] = back;
      }
      d = below;
    }
  }
}

/** Runs every example forward, and backward into `grad` when given; returns loss and hits. */
function runExamples(
  config: ModelConfig,
  params: ParameterArray,
  set: ExampleSet,
  grad: Float64Array | null,
): { lossSum: number; correct: number } {
  const k = config.classes;
  const net = new DenseNet(config, params);
  const z = net.logits;
  let lossSum = 0;
  let correct = 0;
  for (let n = 0; n < set.count; n++) {
    net.forward(set, n);
    // Softmax cross-entropy; z becomes delta in place.
    const label = set.labels[n]!;
    const best = firstHighest(z, 0, k);
    const m = z[best]!;
    const labelLogit = z[label]! - m;
    let sum = 0;
    for (let c = 0; c < k; c++) {
      z[c] = Math.exp(z[c]! - m);
      sum += z[c]!;
    }
    lossSum += Math.log(sum) - labelLogit;
    if (best === label) correct++;
    if (!grad) continue;
    for (let c = 0; c < k; c++) z[c] = z[c]! / sum - (c === label ? 1 : 0);
    net.backward(grad);
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

/**
 * The model's logits for every row (forward passes only; rows need no labels): count x K,
 * row-major, in float64 (the maths of computeGradient's forward pass, bit for bit).
 */
export function forwardLogits(
  config: ModelConfig,
  params: ParameterArray,
  rows: FeatureRows,
): Float64Array {
  checkParams(config, params);
  if (rows.inputSize !== config.inputSize) {
    throw new RangeError(`rows have ${rows.inputSize} features, model wants ${config.inputSize}`);
  }
  const problem = featureRowsProblem(rows);
  if (problem !== null) throw new RangeError(`bad rows: ${problem}`);
  const k = config.classes;
  const logits = new Float64Array(rows.count * k);
  const net = new DenseNet(config, params);
  for (let n = 0; n < rows.count; n++) {
    net.forward(rows, n);
    logits.set(net.logits, n * k);
  }
  return logits;
}

/** Per row: the predicted class and the softmax probabilities. */
export interface RowPredictions {
  /** Per row, the first-highest logit's index (ties go to the lower class). */
  classes: Uint8Array;
  /** count x K, row-major: exp(z - m) / sum exp(z - m) in float64, rounded to float32. */
  probabilities: Float32Array;
}

/**
 * Predictions from logits (count x K, row-major; float64 from forwardLogits or float32 from
 * the GPU): the one step both inference paths share, so they decide classes alike. Throws a
 * RangeError on a non-finite logit (an overflowed forward pass has no meaningful softmax).
 */
export function softmaxRows(
  logits: ArrayLike<number>,
  count: number,
  classes: number,
): RowPredictions {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`bad count ${count}`);
  if (!Number.isSafeInteger(classes) || classes < 1 || classes > MAX_CLASSES) {
    throw new RangeError(`classes must be an integer in [1, ${MAX_CLASSES}], got ${classes}`);
  }
  if (logits.length !== count * classes) {
    throw new RangeError(`logits hold ${logits.length} values, expected ${count} x ${classes}`);
  }
  const predicted = new Uint8Array(count);
  const probabilities = new Float32Array(count * classes);
  const e = new Float64Array(classes);
  for (let n = 0; n < count; n++) {
    const offset = n * classes;
    for (let c = 0; c < classes; c++) {
      if (!Number.isFinite(logits[offset + c]!)) {
        throw new RangeError(`logit ${c} of row ${n} is ${logits[offset + c]}`);
      }
    }
    const best = firstHighest(logits, offset, classes);
    const m = logits[offset + best]!;
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      e[c] = Math.exp(logits[offset + c]! - m);
      sum += e[c]!;
    }
    predicted[n] = best;
    for (let c = 0; c < classes; c++) probabilities[offset + c] = e[c]! / sum;
  }
  return { classes: predicted, probabilities };
}
