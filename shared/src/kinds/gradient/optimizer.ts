// The optimizers that step a gradient workload's parameters from version v to v + 1: pure,
// deterministic state machines (inputs are never modified; the same inputs give the same bits
// on every engine: only +, -, *, / and sqrt, in float64, parameters rounded to float32 once).
//
// g is the aggregated mean gradient (robustAggregation.ts), theta the float32 parameters, and
// every update is per coordinate. With weight decay wd (L2, added to the gradient):
//   g' = g + wd * theta
// SGD with momentum mu (PyTorch's form: no dampening; v starts at 0, so v_1 = g'_1):
//   v <- mu * v + g'
//   theta <- theta - lr * v
// Adam (Kingma & Ba 2015, with the epsilon outside the square root, as PyTorch):
//   t <- t + 1
//   m <- beta1 * m + (1 - beta1) * g'
//   u <- beta2 * u + (1 - beta2) * g'^2
//   theta <- theta - lr * (m / (1 - beta1^t)) / (sqrt(u / (1 - beta2^t)) + epsilon)
// beta^t is kept in the state as a running product (beta1Power = beta1^t), not Math.pow, whose
// rounding the language leaves to each engine.

export const OPTIMIZER_NAMES = ['sgd', 'adam'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

export interface SgdConfig {
  name: 'sgd';
  lr: number;
  /** Default 0.9; 0 is plain SGD. */
  momentum?: number;
  /** L2 coefficient added to the gradient. Default 0. */
  weightDecay?: number;
}

export interface AdamConfig {
  name: 'adam';
  lr: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  epsilon?: number;
  /** L2 coefficient added to the gradient (Adam's, not AdamW's decoupled decay). Default 0. */
  weightDecay?: number;
}

export type OptimizerConfig = SgdConfig | AdamConfig;

export const OPTIMIZER_DEFAULTS = {
  momentum: 0.9,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0,
} as const;

export type OptimizerState =
  | { name: 'sgd'; step: number; velocity: Float64Array }
  | {
      name: 'adam';
      step: number;
      m: Float64Array;
      u: Float64Array;
      /** beta1^step and beta2^step, as running products. */
      beta1Power: number;
      beta2Power: number;
    };

function check(name: string, value: number, ok: boolean): void {
  if (!Number.isFinite(value) || !ok)
    throw new RangeError(`optimizer ${name} ${value} out of range`);
}

/** Throws a RangeError on a learning rate or coefficient no optimizer should run with. */
export function checkOptimizerConfig(config: OptimizerConfig): void {
  check('lr', config.lr, config.lr > 0);
  const wd = config.weightDecay ?? OPTIMIZER_DEFAULTS.weightDecay;
  check('weightDecay', wd, wd >= 0);
  if (config.name === 'sgd') {
    const mu = config.momentum ?? OPTIMIZER_DEFAULTS.momentum;
    check('momentum', mu, mu >= 0 && mu < 1);
  } else {
    const b1 = config.beta1 ?? OPTIMIZER_DEFAULTS.beta1;
    const b2 = config.beta2 ?? OPTIMIZER_DEFAULTS.beta2;
    const eps = config.epsilon ?? OPTIMIZER_DEFAULTS.epsilon;
    check('beta1', b1, b1 >= 0 && b1 < 1);
    check('beta2', b2, b2 >= 0 && b2 < 1);
    check('epsilon', eps, eps > 0);
  }
}

export function initialOptimizerState(config: OptimizerConfig, size: number): OptimizerState {
  checkOptimizerConfig(config);
  switch (config.name) {
    case 'sgd':
      return { name: 'sgd', step: 0, velocity: new Float64Array(size) };
    case 'adam':
      return {
        name: 'adam',
        step: 0,
        m: new Float64Array(size),
        u: new Float64Array(size),
        beta1Power: 1,
        beta2Power: 1,
      };
  }
}

/** One optimizer step: new parameters and new state; `params`, `state` and `grad` untouched. */
export function optimizerStep(
  config: OptimizerConfig,
  params: Float32Array,
  state: OptimizerState,
  grad: ArrayLike<number>,
): { params: Float32Array; state: OptimizerState } {
  const size = params.length;
  if (grad.length !== size)
    throw new RangeError(`gradient has ${grad.length} values, params ${size}`);
  if (state.name !== config.name)
    throw new RangeError(`state is ${state.name}, config ${config.name}`);
  const { lr } = config;
  const wd = config.weightDecay ?? OPTIMIZER_DEFAULTS.weightDecay;
  const next = new Float32Array(size);
  if (config.name === 'sgd' && state.name === 'sgd') {
    if (state.velocity.length !== size) throw new RangeError('state size differs from params');
    const mu = config.momentum ?? OPTIMIZER_DEFAULTS.momentum;
    const velocity = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      const theta = params[i]!;
      const v = mu * state.velocity[i]! + (grad[i]! + wd * theta);
      velocity[i] = v;
      next[i] = theta - lr * v;
    }
    return { params: next, state: { name: 'sgd', step: state.step + 1, velocity } };
  }
  if (config.name === 'adam' && state.name === 'adam') {
    if (state.m.length !== size || state.u.length !== size) {
      throw new RangeError('state size differs from params');
    }
    const b1 = config.beta1 ?? OPTIMIZER_DEFAULTS.beta1;
    const b2 = config.beta2 ?? OPTIMIZER_DEFAULTS.beta2;
    const eps = config.epsilon ?? OPTIMIZER_DEFAULTS.epsilon;
    const beta1Power = state.beta1Power * b1;
    const beta2Power = state.beta2Power * b2;
    const m = new Float64Array(size);
    const u = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      const theta = params[i]!;
      const g = grad[i]! + wd * theta;
      m[i] = b1 * state.m[i]! + (1 - b1) * g;
      u[i] = b2 * state.u[i]! + (1 - b2) * g * g;
      const mHat = m[i]! / (1 - beta1Power);
      const uHat = u[i]! / (1 - beta2Power);
      next[i] = theta - (lr * mHat) / (Math.sqrt(uHat) + eps);
    }
    return {
      params: next,
      state: { name: 'adam', step: state.step + 1, m, u, beta1Power, beta2Power },
    };
  }
  throw new RangeError('unreachable: optimizer name mismatch');
}
