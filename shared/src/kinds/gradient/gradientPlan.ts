// How one gradient unit runs on the GPU: where everything lives in the kernels' `work` buffer
// and which dispatches of gradient.wgsl.ts, with which uniforms, make the forward and backward
// pass of a model (the same maths as gradientReference.ts, step by step).
import type { FeatureDtype } from './exampleSet';
import {
  EPILOGUES,
  MATMUL_THREADS,
  PASS_FIELDS,
  REDUCE_WORKGROUP,
  type GradientEntryPoint,
  type PassUniform,
} from './gradient.wgsl';
import { parameterLayout, tensorSlot, type ModelConfig } from './gradientModel';

/**
 * Float offsets in `work` for a unit of `batch` examples (H = 0 for softmax):
 *   [0, P) params | [P, 2P) gradSum | 2P lossSum | 2P + 1 correct |
 *   hidden h (N x H) | logits, then delta (N x K) | dh (N x H) | losses (N) | hits (N)
 * gradSum, lossSum and correct are contiguous: one copy reads a unit's whole answer back.
 */
export interface WorkLayout {
  parameterCount: number;
  grad: number;
  sums: number;
  hidden: number;
  delta: number;
  dh: number;
  losses: number;
  hits: number;
  /** Floats the unit uses. */
  size: number;
}

export function workLayout(config: ModelConfig, batch: number): WorkLayout {
  const p = parameterLayout(config).size;
  const h = config.model === 'mlp' ? config.hidden : 0;
  const k = config.classes;
  const hidden = 2 * p + 2;
  const delta = hidden + batch * h;
  const dh = delta + batch * k;
  const losses = dh + batch * h;
  const hits = losses + batch;
  return {
    parameterCount: p,
    grad: p,
    sums: 2 * p,
    hidden,
    delta,
    dh,
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

/** The dispatches of one unit of `batch` examples, in order. */
export function gradientPlan(
  config: ModelConfig,
  batch: number,
  dtype: FeatureDtype,
): PlannedPass[] {
  const d = config.inputSize;
  const k = config.classes;
  const work = workLayout(config, batch);
  const at = (tensor: string) => tensorSlot(config, tensor).offset;
  const fromX = { a_from_x: 1, a_base: 0 };
  /** A = x (N x D) */
  const x = { ...fromX, a_row: d, a_inner: 1 };
  /** A = x^T (D x N) */
  const xT = { ...fromX, a_row: 1, a_inner: d };
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
  if (config.model === 'softmax') {
    return [
      // logits = x W + b
      matmul(
        {
          rows: batch,
          cols: k,
          inner: d,
          ...x,
          b_base: at('W'),
          b_inner: k,
          b_col: 1,
          c_base: work.delta,
          c_row: k,
          epilogue: EPILOGUES.bias,
          aux_base: at('b'),
        },
        dtype,
      ),
      xent,
      // dW = x^T delta
      matmul(
        {
          rows: d,
          cols: k,
          inner: batch,
          ...xT,
          b_base: work.delta,
          b_inner: k,
          b_col: 1,
          c_base: work.grad + at('W'),
          c_row: k,
        },
        dtype,
      ),
      columnSum(work.delta, k, work.grad + at('b')),
      sums,
    ];
  }
  const h = config.hidden;
  return [
    // h = relu(x W1 + b1)
    matmul(
      {
        rows: batch,
        cols: h,
        inner: d,
        ...x,
        b_base: at('W1'),
        b_inner: h,
        b_col: 1,
        c_base: work.hidden,
        c_row: h,
        epilogue: EPILOGUES.biasRelu,
        aux_base: at('b1'),
      },
      dtype,
    ),
    // logits = h W2 + b2
    matmul(
      {
        rows: batch,
        cols: k,
        inner: h,
        a_base: work.hidden,
        a_row: h,
        a_inner: 1,
        b_base: at('W2'),
        b_inner: k,
        b_col: 1,
        c_base: work.delta,
        c_row: k,
        epilogue: EPILOGUES.bias,
        aux_base: at('b2'),
      },
      dtype,
    ),
    xent,
    // dW2 = h^T delta
    matmul(
      {
        rows: h,
        cols: k,
        inner: batch,
        a_base: work.hidden,
        a_row: 1,
        a_inner: h,
        b_base: work.delta,
        b_inner: k,
        b_col: 1,
        c_base: work.grad + at('W2'),
        c_row: k,
      },
      dtype,
    ),
    columnSum(work.delta, k, work.grad + at('b2')),
    // dh = (delta W2^T) * [h > 0]
    matmul(
      {
        rows: batch,
        cols: h,
        inner: k,
        a_base: work.delta,
        a_row: k,
        a_inner: 1,
        b_base: at('W2'),
        b_inner: 1,
        b_col: k,
        c_base: work.dh,
        c_row: h,
        epilogue: EPILOGUES.reluMask,
        aux_base: work.hidden,
      },
      dtype,
    ),
    // dW1 = x^T dh
    matmul(
      {
        rows: d,
        cols: h,
        inner: batch,
        ...xT,
        b_base: work.dh,
        b_inner: h,
        b_col: 1,
        c_base: work.grad + at('W1'),
        c_row: h,
      },
      dtype,
    ),
    columnSum(work.dh, h, work.grad + at('b1')),
    sums,
  ];
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
