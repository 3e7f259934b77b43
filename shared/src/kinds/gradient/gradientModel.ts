// The two models a gradient workload trains, and where each tensor lives in the ONE flat
// Float32Array that holds a model's parameters (so parameters and gradients travel as a
// single ArrayBuffer, and a gradient has exactly the parameters' layout).
//
// Layouts (row-major; D inputs, hidden widths H1 .. HL, K classes):
//   softmax: W [D x K] at 0, b [K] at D*K                       -> logits = x W + b
//   mlp:     W1 [D x H1], b1 [H1], W2 [H1 x H2], b2 [H2], ..., W{L+1} [HL x K], b{L+1} [K],
//            back to back in that order                        -> h0 = x,
//            h_l = relu(h_{l-1} W_l + b_l) for l = 1 .. L, logits = h_L W{L+1} + b{L+1}
//   With one hidden layer that is W1 [D x H] at 0, b1 [H] at D*H, W2 [H x K] at D*H + H,
//   b2 [K] at D*H + H + H*K: the layout stored workloads were trained with, unchanged.
// W[i, j] is element i*cols + j of its tensor: the weights from input i to unit j.

export const MODEL_NAMES = ['softmax', 'mlp'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/**
 * What fixes a model's shape. `hidden` (the widths of the hidden ReLU layers, input side
 * first) is required for mlp and absent for softmax.
 */
export type ModelConfig =
  | { model: 'softmax'; inputSize: number; classes: number }
  | { model: 'mlp'; inputSize: number; hidden: number[]; classes: number };

/** One tensor's place in the flat parameter array. */
export interface TensorSlot {
  name: string;
  offset: number;
  rows: number;
  /** 1 for a bias vector. */
  cols: number;
  /** rows * cols */
  size: number;
}

export interface ParameterLayout {
  tensors: TensorSlot[];
  /** Total parameter count: the length of params and of every gradient. */
  size: number;
}

/** Labels travel as one byte each in a shard, so K is capped there. */
export const MAX_CLASSES = 256;
/** Far above any browser-trainable layer; keeps every GPU grid inside WebGPU's 65,535 limit. */
export const MAX_HIDDEN = 4096;
/** Hidden layers an mlp may have; bounds the dispatches of a unit (gradientPlan.ts). */
export const MAX_LAYERS = 8;

function checkPositiveInteger(name: string, value: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new RangeError(`${name} must be an integer in [1, ${max}], got ${value}`);
  }
}

/** Throws a RangeError when the config describes no model this code can run. */
export function checkModelConfig(config: ModelConfig): void {
  checkPositiveInteger('inputSize', config.inputSize, 1 << 20);
  if (config.classes < 2) throw new RangeError(`classes must be >= 2, got ${config.classes}`);
  checkPositiveInteger('classes', config.classes, MAX_CLASSES);
  if (config.model === 'mlp') {
    const { hidden } = config;
    if (!Array.isArray(hidden) || hidden.length < 1 || hidden.length > MAX_LAYERS) {
      throw new RangeError(`hidden must list 1 to ${MAX_LAYERS} layer widths`);
    }
    hidden.forEach((width, l) => checkPositiveInteger(`hidden[${l}]`, width, MAX_HIDDEN));
  }
  const size = parameterLayout(config).size;
  // Offsets are u32 in WGSL and f32 indices must stay exact; 2^26 floats = 256 MiB is plenty.
  if (size > 1 << 26) throw new RangeError(`model has ${size} parameters, more than 2^26`);
}

function slots(specs: Array<[name: string, rows: number, cols: number]>): ParameterLayout {
  const tensors: TensorSlot[] = [];
  let offset = 0;
  for (const [name, rows, cols] of specs) {
    tensors.push({ name, offset, rows, cols, size: rows * cols });
    offset += rows * cols;
  }
  return { tensors, size: offset };
}

/** The widths a model's layers map between: [D, K] for softmax, [D, H1, .., HL, K] for mlp. */
export function layerWidths(config: ModelConfig): number[] {
  const { inputSize: d, classes: k } = config;
  return config.model === 'mlp' ? [d, ...config.hidden, k] : [d, k];
}

/** One dense layer: out = in W + b, then a ReLU on every layer but the last (the logits). */
export interface DenseLayer {
  weight: TensorSlot;
  bias: TensorSlot;
  /** Width of the layer's input (W's rows). */
  inputs: number;
  /** Width of its output (W's columns, b's size). */
  outputs: number;
  /** Whether a ReLU follows: every layer but the last. */
  relu: boolean;
}

/** The model's layers, input side first; the last one produces the logits. */
export function denseLayers(config: ModelConfig): DenseLayer[] {
  const { tensors } = parameterLayout(config);
  const count = tensors.length / 2;
  return Array.from({ length: count }, (_, l) => {
    const weight = tensors[2 * l]!;
    return {
      weight,
      bias: tensors[2 * l + 1]!,
      inputs: weight.rows,
      outputs: weight.cols,
      relu: l < count - 1,
    };
  });
}

export function parameterLayout(config: ModelConfig): ParameterLayout {
  const widths = layerWidths(config);
  if (config.model === 'softmax') {
    return slots([
      ['W', widths[0]!, widths[1]!],
      ['b', 1, widths[1]!],
    ]);
  }
  return slots(
    widths.slice(1).flatMap((outputs, l): Array<[string, number, number]> => [
      [`W${l + 1}`, widths[l]!, outputs],
      [`b${l + 1}`, 1, outputs],
    ]),
  );
}

export function parameterCount(config: ModelConfig): number {
  return parameterLayout(config).size;
}

/** The slot of the named tensor; throws on a name the model does not have. */
export function tensorSlot(config: ModelConfig, name: string): TensorSlot {
  const slot = parameterLayout(config).tensors.find((t) => t.name === name);
  if (!slot) throw new RangeError(`model ${config.model} has no tensor ${name}`);
  return slot;
}

/**
 * Floating-point operations of one example's forward + backward pass, counted densely (every
 * multiply-add is 2, zero inputs included, as the GPU kernels do them). Per layer of a inputs
 * and b outputs: forward 2ab + b (bias) + b (ReLU, hidden layers only); backward 2ab (weights'
 * gradient, in^T d) + b (bias gradient) and, for every layer but the first, 2ab (d W^T) + a
 * (ReLU mask); plus ~5K for softmax + loss. So:
 *   softmax: forward 2DK + K, softmax + loss ~5K, backward 2DK (x^T d) + K = 4DK + 7K
 *   mlp, one hidden layer: forward 2DH + 2H + 2HK + K, softmax + loss ~5K,
 *            backward 2HK (h^T d) + K + 2HK (d W2^T) + H (mask) + 2DH (x^T dh) + H
 *            = 4DH + 6HK + 4H + 7K
 */
export function flopsPerExample(config: ModelConfig): number {
  const widths = layerWidths(config);
  const last = widths.length - 2;
  let flops = 5 * config.classes;
  for (let l = 0; l <= last; l++) {
    const a = widths[l]!;
    const b = widths[l + 1]!;
    flops += 4 * a * b + 2 * b;
    if (l < last) flops += b;
    if (l > 0) flops += 2 * a * b + a;
  }
  return flops;
}
