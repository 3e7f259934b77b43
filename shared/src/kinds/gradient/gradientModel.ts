// The two models a gradient workload trains, and where each tensor lives in the ONE flat
// Float32Array that holds a model's parameters (so parameters and gradients travel as a
// single ArrayBuffer, and a gradient has exactly the parameters' layout).
//
// Layouts (row-major; D inputs, H hidden units, K classes):
//   softmax: W [D x K] at 0, b [K] at D*K                       -> logits = x W + b
//   mlp:     W1 [D x H] at 0, b1 [H] at D*H,
//            W2 [H x K] at D*H + H, b2 [K] at D*H + H + H*K    -> logits = relu(x W1 + b1) W2 + b2
// W[i, j] is element i*cols + j of its tensor: the weights from input i to unit j.

export const MODEL_NAMES = ['softmax', 'mlp'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** What fixes a model's shape. `hidden` is required for mlp and absent for softmax. */
export type ModelConfig =
  | { model: 'softmax'; inputSize: number; classes: number }
  | { model: 'mlp'; inputSize: number; hidden: number; classes: number };

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
  if (config.model === 'mlp') checkPositiveInteger('hidden', config.hidden, MAX_HIDDEN);
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

export function parameterLayout(config: ModelConfig): ParameterLayout {
  const { inputSize: d, classes: k } = config;
  switch (config.model) {
    case 'softmax':
      return slots([
        ['W', d, k],
        ['b', 1, k],
      ]);
    case 'mlp': {
      const h = config.hidden;
      return slots([
        ['W1', d, h],
        ['b1', 1, h],
        ['W2', h, k],
        ['b2', 1, k],
      ]);
    }
  }
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
 * multiply-add is 2, zero inputs included, as the GPU kernels do them):
 *   softmax: forward 2DK + K (bias), softmax + loss ~5K, backward 2DK (x^T d) + K (bias)
 *   mlp:     forward 2DH + 2H (bias, ReLU) + 2HK + K, softmax + loss ~5K,
 *            backward 2HK (h^T d) + K + 2HK (d W2^T) + H (mask) + 2DH (x^T dh) + H
 */
export function flopsPerExample(config: ModelConfig): number {
  const { inputSize: d, classes: k } = config;
  switch (config.model) {
    case 'softmax':
      return 4 * d * k + 7 * k;
    case 'mlp': {
      const h = config.hidden;
      return 4 * d * h + 6 * h * k + 4 * h + 7 * k;
    }
  }
}
