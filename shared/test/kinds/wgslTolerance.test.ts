// When replicas of a researcher's kernel agree: exactly for kernels of correctly rounded
// operations, within the tolerance for kernels that call device-rounded functions; a sum moved by
// more than the tolerance allows (a liar) never agrees.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_INEXACT_TOLERANCE,
  inexactOperations,
  resultsAgree,
  toleranceFor,
} from '../../src/kinds/wgsl-kernel/wgslTolerance';
import type { WgslResult } from '../../src/kinds/wgsl-kernel/wgslSpec';
import { exampleSource } from './wgslPorts';

describe('wgsl tolerance', () => {
  test('exact kernels are found exact; exp, log, sqrt, division are found; comments do not count', () => {
    assert.deepEqual(inexactOperations(exampleSource('pi-kernel')), []);
    assert.equal(toleranceFor({ source: exampleSource('pi-kernel') }), 0);
    assert.deepEqual(inexactOperations(exampleSource('genz-gaussian')), ['exp']);
    const asian = inexactOperations(exampleSource('asian-option'));
    for (const op of ['exp', 'log', 'sqrt', 'sin', 'cos', '/']) assert.ok(asian.includes(op), op);
    const commented =
      '// exp(x) / 2 in a comment\n/* log(y) */ fn sample() -> array<f32, 1> { return array<f32, 1>(uniform() * 2.0); }';
    assert.deepEqual(inexactOperations(commented), []);
    assert.equal(
      toleranceFor({ source: exampleSource('asian-option') }),
      DEFAULT_INEXACT_TOLERANCE,
    );
    assert.equal(toleranceFor({ source: exampleSource('asian-option'), tolerance: 0 }), 0);
  });

  /** n samples of value x each (fixed point 2^32), optionally moved by `shift` units. */
  const result = (n: number, x: number, shift = 0n, rejected = 0): WgslResult => {
    const v = BigInt(Math.round(x * 2 ** 32));
    return {
      samples: n,
      names: ['a'],
      outputs: [
        {
          sum: (BigInt(n) * v + shift).toString(),
          sumSquares: ((BigInt(n) * v * v) >> 32n).toString(),
          rejected,
        },
      ],
    };
  };

  test('tolerance 0 is exact; a tolerance admits rounding and refuses a moved sum', () => {
    const a = result(1000, 5);
    assert.ok(resultsAgree(0, a, a));
    assert.ok(!resultsAgree(0, a, result(1000, 5, 1n)));
    // 1e-6 relative on every sample: within 1e-3.
    const rounded = result(1000, 5 * (1 + 1e-6));
    assert.ok(resultsAgree(1e-3, a, rounded));
    assert.ok(!resultsAgree(0, a, rounded));
    // One sample's value changed by 100 (a lie): far past 1e-3 of the sums.
    assert.ok(!resultsAgree(1e-3, a, result(1000, 5, 100n * 2n ** 32n)));
    assert.ok(!resultsAgree(1e-3, a, result(1000, 5, 0n, 1)), 'rejected counts must match');
    assert.ok(!resultsAgree(1e-3, a, result(999, 5)), 'sample counts must match');
  });
});
