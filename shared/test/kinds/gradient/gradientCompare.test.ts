// The rule replicas are judged by, and the wire form of a unit's result with its edge checks.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  gradientResultMismatch,
  relativeL2Error,
  sameGradientResult,
} from '../../../src/kinds/gradient/gradientCompare';
import type { GradientResult } from '../../../src/kinds/gradient/gradientReference';
import {
  decodeGradientResult,
  encodeGradientResult,
  gradientResultProblem,
  resultByteLength,
} from '../../../src/kinds/gradient/gradientResultCodec';

const base: GradientResult = {
  gradSum: Float32Array.from({ length: 100 }, (_, i) => Math.sin(i + 1)),
  lossSum: 123.25,
  count: 200,
  correct: 150,
};

/** `base` with every gradient value moved by a relative amount (the L2 error is `scale`). */
function nudged(scale: number): GradientResult {
  return { ...base, gradSum: base.gradSum.map((v) => v * (1 + scale)) };
}

describe('sameGradientResult', () => {
  test('relative L2 error is ||a - b|| / ||b||, and 0 for two zero vectors', () => {
    assert.equal(relativeL2Error([3, 4], [0, 5]), Math.sqrt(9 + 1) / 5);
    assert.equal(relativeL2Error([0, 0], [0, 0]), 0);
    assert.equal(relativeL2Error([1, 2], [1]), Number.POSITIVE_INFINITY);
    assert.equal(relativeL2Error([Number.NaN], [1]), Number.POSITIVE_INFINITY);
  });

  test('agrees within 1e-4 and not beyond', () => {
    assert.ok(sameGradientResult(nudged(5e-5), base));
    assert.ok(!sameGradientResult(nudged(5e-4), base));
    assert.match(gradientResultMismatch(nudged(5e-4), base) ?? '', /relative L2/);
    assert.ok(sameGradientResult(nudged(5e-4), base, 1e-3), 'a looser tolerance is honoured');
  });

  test('counts must match; correct may differ by 1% of the count; loss within the tolerance', () => {
    assert.ok(!sameGradientResult({ ...base, count: 199 }, base));
    assert.ok(sameGradientResult({ ...base, correct: 152 }, base));
    assert.ok(!sameGradientResult({ ...base, correct: 153 }, base));
    assert.ok(sameGradientResult({ ...base, lossSum: base.lossSum * (1 + 5e-5) }, base));
    assert.ok(!sameGradientResult({ ...base, lossSum: base.lossSum * (1 + 5e-4) }, base));
  });

  test('a NaN anywhere disagrees with everything, itself included', () => {
    const poisoned = { ...base, gradSum: Float32Array.from(base.gradSum) };
    poisoned.gradSum[7] = Number.NaN;
    assert.ok(!sameGradientResult(poisoned, poisoned));
    assert.ok(!sameGradientResult({ ...base, lossSum: Number.NaN }, base));
  });
});

describe('gradient result bytes', () => {
  test('round trip, at any byte offset', () => {
    const bytes = encodeGradientResult(base);
    assert.equal(bytes.byteLength, resultByteLength(100));
    assert.deepEqual(decodeGradientResult(bytes), base);
    // A result received inside a larger message: the view starts at an odd offset.
    const framed = new Uint8Array(bytes.byteLength + 3);
    framed.set(new Uint8Array(bytes), 3);
    assert.deepEqual(decodeGradientResult(framed.subarray(3)), base);
  });

  test('malformed bytes are refused with the reason', () => {
    const bytes = new Uint8Array(encodeGradientResult(base));
    assert.throws(() => decodeGradientResult(bytes.subarray(0, 20)), /result of 20 bytes/);
    assert.throws(
      () => decodeGradientResult(bytes.subarray(0, bytes.length - 4)),
      /header says 100/,
    );
    const badMagic = Uint8Array.from(bytes);
    badMagic[0] = 0;
    assert.throws(() => decodeGradientResult(badMagic), /magic/);
  });

  test('edge checks refuse wrong shapes, NaN, infinities and impossible counts', () => {
    const expected = { parameterCount: 100, count: 200 };
    assert.equal(gradientResultProblem(base, expected), null);
    assert.match(
      gradientResultProblem(base, { ...expected, parameterCount: 99 }) ?? '',
      /100 values/,
    );
    assert.match(gradientResultProblem(base, { ...expected, count: 100 }) ?? '', /count 200/);
    assert.match(gradientResultProblem({ ...base, correct: 201 }, expected) ?? '', /correct/);
    assert.match(gradientResultProblem({ ...base, lossSum: -5 }, expected) ?? '', /lossSum/);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const gradSum = Float32Array.from(base.gradSum);
      gradSum[42] = bad;
      assert.match(gradientResultProblem({ ...base, gradSum }, expected) ?? '', /value 42/);
    }
  });
});

test('a result decodes the same from a pooled Node Buffer at an odd offset (socket.io, SQLite)', () => {
  const result = { gradSum: Float32Array.of(1.5, -2, 3), lossSum: 4, count: 5, correct: 2 };
  const bytes = new Uint8Array(encodeGradientResult(result));
  const pooled = Buffer.concat([Buffer.alloc(7), Buffer.from(bytes)]).subarray(7);
  assert.deepEqual([...decodeGradientResult(pooled).gradSum], [1.5, -2, 3]);
});
