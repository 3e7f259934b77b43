// The optimizers against values worked out by hand from the documented update equations, plus
// the properties the coordinator relies on: pure (inputs untouched), deterministic, and the
// state survives a round trip through bytes mid-run without changing the trajectory.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  initialOptimizerState,
  optimizerStep,
  type OptimizerConfig,
} from '../../../src/kinds/gradient/optimizer';
import {
  decodeOptimizerState,
  encodeOptimizerState,
} from '../../../src/kinds/gradient/optimizerStateCodec';

/** Float32 parameters equal to hand-computed float64 values, within float32 rounding. */
function assertParams(got: Float32Array, expected: number[], what: string): void {
  assert.equal(got.length, expected.length);
  expected.forEach((value, i) => {
    const tolerance = 2 ** -22 * Math.abs(value);
    assert.ok(Math.abs(got[i]! - value) <= tolerance, `${what}[${i}]: ${got[i]} vs ${value}`);
  });
}

function run(config: OptimizerConfig, grads: number[][]): Float32Array[] {
  let params: Float32Array = Float32Array.from([1, -2]);
  let state = initialOptimizerState(config, 2);
  const trajectory: Float32Array[] = [];
  for (const grad of grads) {
    ({ params, state } = optimizerStep(config, params, state, Float32Array.from(grad)));
    trajectory.push(params);
  }
  return trajectory;
}

describe('SGD with momentum and weight decay', () => {
  test('two steps match the hand computation', () => {
    // g' = g + 0.01 theta; v = 0.9 v + g'; theta -= 0.1 v
    // step 1: g' = (0.51, 0.23), v = (0.51, 0.23), theta = (0.949, -2.023)
    // step 2: g' = (0.5 + 0.00949, 0.25 - 0.02023) = (0.50949, 0.22977),
    //         v = (0.459 + 0.50949, 0.207 + 0.22977) = (0.96849, 0.43677),
    //         theta = (0.949 - 0.096849, -2.023 - 0.043677) = (0.852151, -2.066677)
    const [one, two] = run({ name: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0.01 }, [
      [0.5, 0.25],
      [0.5, 0.25],
    ]);
    assertParams(one!, [0.949, -2.023], 'step 1');
    assertParams(two!, [0.852151, -2.066677], 'step 2');
  });

  test('momentum 0 is plain gradient descent', () => {
    const [one, two] = run({ name: 'sgd', lr: 0.5, momentum: 0 }, [
      [1, -1],
      [0.5, 2],
    ]);
    assertParams(one!, [0.5, -1.5], 'step 1');
    assertParams(two!, [0.25, -2.5], 'step 2');
  });
});

describe('Adam', () => {
  test('two steps match the hand computation', () => {
    // step 1: m = 0.1 g, u = 0.001 g^2, so m^ = g, u^ = g^2: theta -= 0.1 g / (|g| + 1e-8),
    //         i.e. (1, -2) -> (0.9, -1.9) (the epsilon moves it by 2e-9)
    // step 2, g = (0.5, 0.5): m = (0.045 + 0.05, -0.0225 + 0.05) = (0.095, 0.0275),
    //         u = (0.999 * 0.00025 + 0.00025, 0.999 * 0.0000625 + 0.00025) = (0.00049975, 0.0003124375)
    //         m^ = m / 0.19 = (0.5, 0.144736842), u^ = u / 0.001999 = (0.25, 0.156297...)
    //         theta = (0.9 - 0.1 * 0.5 / 0.5, -1.9 - 0.1 * 0.144736842 / 0.395344) = (0.8, -1.93661034)
    const [one, two] = run({ name: 'adam', lr: 0.1 }, [
      [0.5, -0.25],
      [0.5, 0.5],
    ]);
    assertParams(one!, [0.9, -1.9], 'step 1');
    assertParams(two!, [0.8, -1.93661034], 'step 2');
  });

  test('keeps beta powers as running products in its state', () => {
    const config: OptimizerConfig = { name: 'adam', lr: 0.01, beta1: 0.5, beta2: 0.25 };
    let params: Float32Array = Float32Array.from([0, 0]);
    let state = initialOptimizerState(config, 2);
    for (let i = 0; i < 3; i++) {
      ({ params, state } = optimizerStep(config, params, state, Float32Array.from([1, 2])));
    }
    assert.equal(state.name, 'adam');
    if (state.name === 'adam') {
      assert.equal(state.step, 3);
      assert.equal(state.beta1Power, 0.125);
      assert.equal(state.beta2Power, 0.015625);
    }
  });
});

describe('optimizer steps are pure and deterministic', () => {
  for (const config of [
    { name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-4 },
    { name: 'adam', lr: 0.001, weightDecay: 1e-4 },
  ] satisfies OptimizerConfig[]) {
    test(`${config.name}: inputs untouched, same bits twice, state survives bytes mid-run`, () => {
      const size = 257;
      const params0 = Float32Array.from({ length: size }, (_, i) => Math.sin(i));
      const grads = [1, 2, 3, 4].map((s) =>
        Float32Array.from({ length: size }, (_, i) => Math.cos(i * s)),
      );
      const paramsCopy = Float32Array.from(params0);
      const trajectory = (viaBytes: boolean) => {
        let params: Float32Array = params0;
        let state = initialOptimizerState(config, size);
        for (const [s, grad] of grads.entries()) {
          const oldState = state;
          const stateBefore = new Uint8Array(encodeOptimizerState(oldState));
          const gradBefore = Float32Array.from(grad);
          ({ params, state } = optimizerStep(config, params, state, grad));
          assert.deepEqual(grad, gradBefore, `step ${s} changed the gradient`);
          assert.deepEqual(
            new Uint8Array(encodeOptimizerState(oldState)),
            stateBefore,
            `step ${s} changed the state`,
          );
          if (viaBytes) state = decodeOptimizerState(encodeOptimizerState(state));
        }
        return params;
      };
      const direct = trajectory(false);
      const restored = trajectory(true);
      assert.deepEqual(params0, paramsCopy, 'the initial parameters were modified');
      assert.deepEqual(restored, direct);
      assert.notDeepEqual(direct, params0);
    });
  }

  test('refuses bad settings and a state of the other optimizer', () => {
    assert.throws(() => initialOptimizerState({ name: 'sgd', lr: 0 }, 2), /lr/);
    assert.throws(
      () => initialOptimizerState({ name: 'sgd', lr: 0.1, momentum: 1 }, 2),
      /momentum/,
    );
    assert.throws(() => initialOptimizerState({ name: 'adam', lr: 0.1, beta2: 1 }, 2), /beta2/);
    const sgdState = initialOptimizerState({ name: 'sgd', lr: 0.1 }, 2);
    assert.throws(
      () => optimizerStep({ name: 'adam', lr: 0.1 }, new Float32Array(2), sgdState, [0, 0]),
      /state is sgd/,
    );
    assert.throws(
      () => optimizerStep({ name: 'sgd', lr: 0.1 }, new Float32Array(2), sgdState, [0, 0, 0]),
      /gradient has 3/,
    );
    assert.throws(() => decodeOptimizerState(new ArrayBuffer(12)), /optimizer state/);
  });
});
