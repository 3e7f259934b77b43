// How one gradient unit runs on the GPU: where everything lives in the kernels' `work` buffer
// and which dispatches of gradient.wgsl.ts, with which uniforms, make the forward and backward
// pass of a model (the same maths as gradientReference.ts, step by step); and the forward
// passes alone, which give inference its logits.
import type { FeatureDtype } from './exampleSet';
import {
  EPILOGUES,
  MATMUL_THREADS,
  PASS_FIELDS,
  REDUCE_WORKGROUP,
  type GradientEntryPoint,
  type PassUniform,
} from './gradient.wgsl';
import { MAX_LAYERS, denseLayers, parameterLayout, type ModelConfig } from './gradientModel';

/**
 * Float offsets in `work` for a unit of `batch` examples (hidden widths H1 .. HL; none for
 * softmax):
 *   [0, P) params | [P, 2P) gradSum | 2P lossSum | 2P + 1 correct |
 *   h1 (N x H1) | .. | hL (N x HL) | logits, then delta (N x K) | dh1 (N x H1) | .. | dhL |
 *   losses (N) | hits (N)
 * gradSum, lossSum and correct are contiguous: one copy reads a unit's whole answer back. With
 * one hidden layer this is the layout the kernels have always used.
 */
export interface WorkLayout {
  parameterCount: number;
  grad: number;
  sums: number;
  /** Where each hidden layer's activations h_l start (index l - 1); [] for softmax. */
  hidden: number[];
  /** Logits (N x K, row-major) after the forward passes; delta once softmax_xent ran. */
  delta: number;
  /** Where each hidden layer's d_l (dLoss/da_l) starts (index l - 1); [] for softmax. */
  dh: number[];
  losses: number;
  hits: number;
  /** Floats the unit uses. */
  size: number;
}

function hiddenWidths(config: ModelConfig): number[] {
  return config.model === 'mlp' ? config.hidden : [];
}

/** Where `sizes` start when laid back to back from `start`; and where the last one ends. */
function backToBack(start: number, sizes: number[]): { starts: number[]; end: number } {
  const starts: number[] = [];
  let at = start;
  for (const size of sizes) {
    starts.push(at);
    at += size;
  }
  return { starts, end: at };
}

export function workLayout(config: ModelConfig, batch: number): WorkLayout {
  const p = parameterLayout(config).size;
  const k = config.classes;
  const regions = hiddenWidths(config).map((h) => batch * h);
  const hidden = backToBack(2 * p + 2, regions);
  const delta = hidden.end;
  const dh = backToBack(delta + batch * k, regions);
  const losses = dh.end;
  const hits = losses + batch;
  return {
    parameterCount: p,
    grad: p,
    sums: 2 * p,
    hidden: hidden.starts,
    delta,
    dh: dh.starts,
    losses,
    hits,
    size: hits + batch,
  };
}

export interface PlannedPass {
  entryPoint: GradientEntryPoint;
  workgroups: [x: number, y: number];
  uniform: PassUniform;
}

const ZERO: PassUniform = Object.fromEntries(PASS_FIELDS.map((f) => [f, 0])) as PassUniform;

type MatmulSpec = Pick<
  PassUniform,
  'rows' | 'cols' | 'inner' | 'b_base' | 'b_inner' | 'b_col' | 'c_base' | 'c_row'
> &
  Partial<PassUniform>;

function matmul(spec: MatmulSpec, dtype: FeatureDtype): PlannedPass {
  const entryPoint =
    spec.cols <= 4 * MATMUL_THREADS.matmul_narrow.x ? 'matmul_narrow' : 'matmul_wide';
  const { x, y } = MATMUL_THREADS[entryPoint];
  return {
    entryPoint,
    workgroups: [Math.ceil(spec.cols / (4 * x)), Math.ceil(spec.rows / (4 * y))],
    uniform: { ...ZERO, x_uint8: dtype === 'uint8' ? 1 : 0, ...spec },
  };
}

/** Most dispatches a unit makes: an mlp of MAX_LAYERS hidden layers (4L + 5). */
export const MAX_PLAN_PASSES = 4 * MAX_LAYERS + 5;

/** A matrix A of the plan: which buffer and where, with its strides. */
type Operand = Pick<PassUniform, 'a_from_x' | 'a_base' | 'a_row' | 'a_inner'>;

/** The forward matmuls: layer by layer, ending with the logits (batch x K) at work.delta. */
function forwardPasses(config: ModelConfig, batch: number, dtype: FeatureDtype): PlannedPass[] {
  const work = workLayout(config, batch);
  return denseLayers(config).map((layer, l) => {
    const cols = layer.outputs;
    // h_l = relu(h_{l-1} W_l + b_l) with h_0 = x (N x D); the last layer's output is the logits.
    const input: Operand =
      l === 0
        ? { a_from_x: 1, a_base: 0, a_row: layer.inputs, a_inner: 1 }
        : { a_from_x: 0, a_base: work.hidden[l - 1]!, a_row: layer.inputs, a_inner: 1 };
    return matmul(
      {
        rows: batch,
        cols,
        inner: layer.inputs,
        ...input,
        b_base: layer.weight.offset,
        b_inner: cols,
        b_col: 1,
        c_base: layer.relu ? work.hidden[l]! : work.delta,
        c_row: cols,
        epilogue: layer.relu ? EPILOGUES.biasRelu : EPILOGUES.bias,
        aux_base: layer.bias.offset,
      },
      dtype,
    );
  });
}

/** The dispatches of one unit of `batch` examples, in order. */
export function gradientPlan(
  config: ModelConfig,
  batch: number,
  dtype: FeatureDtype,
): PlannedPass[] {
  const k = config.classes;
  const work = workLayout(config, batch);
  const layers = denseLayers(config);
  const xent: PlannedPass = {
    entryPoint: 'softmax_xent',
    workgroups: [Math.ceil(batch / REDUCE_WORKGROUP), 1],
    uniform: {
      ...ZERO,
      rows: batch,
      cols: k,
      c_base: work.delta,
      loss_base: work.losses,
      hit_base: work.hits,
    },
  };
  const columnSum = (src: number, cols: number, dst: number): PlannedPass => ({
    entryPoint: 'column_sum',
    workgroups: [cols, 1],
    uniform: { ...ZERO, rows: batch, cols, a_base: src, c_base: dst },
  });
  const sums: PlannedPass = {
    entryPoint: 'loss_sum',
    workgroups: [1, 1],
    uniform: {
      ...ZERO,
      rows: batch,
      loss_base: work.losses,
      hit_base: work.hits,
      c_base: work.sums,
    },
  };
  const backward: PlannedPass[] = [];
  // d_{L+1} = delta; per layer, top down: dW_l = h_{l-1}^T d_l, db_l = column sums of d_l,
  // and below the first layer d_{l-1} = (d_l W_l^T) * [h_{l-1} > 0].
  let d = work.delta;
  for (let l = layers.length - 1; l >= 0; l--) {
    const layer = layers[l]!;
    const cols = layer.outputs;
    const rows = layer.inputs;
    /** h_{l-1}^T (rows x N): x^T for the first layer. */
    const inputT: Operand =
      l === 0
        ? { a_from_x: 1, a_base: 0, a_row: 1, a_inner: rows }
        : { a_from_x: 0, a_base: work.hidden[l - 1]!, a_row: 1, a_inner: rows };
    backward.push(
      matmul(
        {
          rows,
          cols,
          inner: batch,
          ...inputT,
          b_base: d,
          b_inner: cols,
          b_col: 1,
          c_base: work.grad + layer.weight.offset,
          c_row: cols,
        },
        dtype,
      ),
      columnSum(d, cols, work.grad + layer.bias.offset),
    );
    if (l === 0) break;
    const below = work.dh[l - 1]!;
    backward.push(
      matmul(
        {
          rows: batch,
          cols: rows,
          inner: cols,
          a_from_x: 0,
          a_base: d,
          a_row: cols,
          a_inner: 1,
          b_base: layer.weight.offset,
          b_inner: 1,
          b_col: cols,
          c_base: below,
          c_row: rows,
          epilogue: EPILOGUES.reluMask,
          aux_base: work.hidden[l - 1]!,
        },
        dtype,
      ),
    );
    d = below;
  }
  return [...forwardPasses(config, batch, dtype), xent, ...backward, sums];
}

/** A forward-only unit: its dispatches, and where they leave the logits in `work`. */
export interface LogitsPlan {
  passes: PlannedPass[];
  /** Float offset of the logits in `work`: batch x K, row-major (row stride K). */
  logits: number;
  /** Floats of `work` the passes use (params first, as in workLayout). */
  size: number;
}

/**
 * Inference: the forward matmuls alone, over rows that need no labels (no pass reads the
 * labels binding). Uses workLayout's regions, so a buffer sized for a gradient unit of `batch`
 * examples serves it too; params go at work[0 .. P) as for a gradient unit.
 */
export function logitsPlan(config: ModelConfig, batch: number, dtype: FeatureDtype): LogitsPlan {
  const work = workLayout(config, batch);
  return {
    passes: forwardPasses(config, batch, dtype),
    logits: work.delta,
    size: work.delta + batch * config.classes,
  };
}

/** The passes' uniforms as u32 words, pass i at word i * slotBytes / 4 (slotBytes % 4 == 0). */
export function encodePassUniforms(
  passes: readonly PlannedPass[],
  slotBytes: number,
): Uint32Array<ArrayBuffer> {
  const words = new Uint32Array((passes.length * slotBytes) / 4);
  passes.forEach((pass, i) => {
    PASS_FIELDS.forEach((field, f) => {
      words[(i * slotBytes) / 4 + f] = pass.uniform[field];
    });
  });
  return words;
}
