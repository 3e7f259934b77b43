// A gradient workload on the dashboard without sockets: its result read by shape (a diverged
// loss becomes null, other kinds are not training), and a long run's history kept bounded while
// deltas carry only new steps.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_REDUNDANCY, TRAINING_CURVE_POINTS } from '@tessera/shared';
import { trainingProgressOf, withoutSteps } from '../../src/realtime/dashboard/trainingProgress';
import { WorkloadTrack } from '../../src/realtime/dashboard/workloadTrack';
import type { WorkloadRecord } from '../../src/engine/views';

/** A gradient result as GradientService.summary gives it, `done` steps in. */
function gradientResult(done: number, total: number): Record<string, unknown> {
  const steps = Array.from({ length: done }, (_, step) => ({
    step,
    loss: 2 / (step + 1),
    ...((step + 1) % 10 === 0 ? { accuracy: step / total } : {}),
  }));
  const lastEval = steps.findLast((s) => 'accuracy' in s);
  return {
    kind: 'gradient',
    status: done === total ? 'completed' : 'running',
    final: done === total,
    version: done,
    stepsTotal: total,
    steps,
    loss: steps.at(-1)?.loss ?? null,
    accuracy: lastEval?.accuracy ?? null,
    parameterCount: 68,
    paramsUrl: '/api/workloads/w/result?format=bin',
  };
}

function record(validated: number): WorkloadRecord {
  return {
    id: 'w',
    name: 'training',
    kind: 'gradient',
    estimator: 'gradient',
    spec: {},
    redundancy: DEFAULT_REDUNDANCY,
    owner: null,
    priority: 0,
    status: 'running',
    unitsTotal: 2_000,
    unitsValidated: validated,
    unitsInFlight: 0,
    unitsFailed: 0,
    aggregate: null,
    failureReason: null,
    createdAt: 0,
    updatedAt: 0,
    completedAt: null,
  };
}

describe('trainingProgressOf', () => {
  test('reads a gradient result; a loss that is not a finite number becomes null', () => {
    const result = gradientResult(20, 40);
    (result.steps as Array<{ loss: number }>)[3]!.loss = Number.NaN;
    result.loss = Number.POSITIVE_INFINITY;
    const t = trainingProgressOf(result)!;
    assert.equal(t.stepsDone, 20);
    assert.equal(t.stepsTotal, 40);
    assert.equal(t.loss, null);
    assert.equal(t.accuracy, 19 / 40);
    assert.equal(t.steps.length, 20);
    assert.deepEqual(t.steps[3], { step: 3, loss: null, accuracy: null });
    assert.deepEqual(t.steps[9], { step: 9, loss: 0.2, accuracy: 9 / 40 });
  });

  test('a Monte Carlo result or a malformed one is not training', () => {
    assert.equal(trainingProgressOf({ estimate: 3.14, ci95: [3.1, 3.2] }), null);
    assert.equal(trainingProgressOf({ ...gradientResult(2, 4), steps: 'many' }), null);
    assert.equal(trainingProgressOf({ ...gradientResult(2, 4), accuracy: 1.5 }), null);
  });

  test('withoutSteps leaves everything else as it was', () => {
    const result = gradientResult(3, 4);
    const { steps: _steps, ...rest } = result;
    assert.deepEqual(withoutSteps(result), rest);
  });
});

describe('WorkloadTrack for a gradient workload', () => {
  test('a long run stays bounded; deltas carry only new steps; the small chart ends at the last', () => {
    let done = 0;
    const track = new WorkloadTrack(
      record(0),
      { seriesPoints: 16, stepPoints: 64, rateWindowMs: 10_000 },
      () => gradientResult(done, 1_000),
      0,
    );
    assert.deepEqual(track.summary(0).training, {
      stepsDone: 0,
      stepsTotal: 1_000,
      loss: null,
      accuracy: null,
      curve: [],
    });
    assert.equal(track.takeDelta(), null, 'nothing validated, nothing to push');

    const received = new Map<number, unknown>();
    for (done = 1; done <= 1_000; done += 7) {
      track.update(record(done * 2), done);
      const delta = track.takeDelta()!;
      assert.ok(delta.steps.length <= 7, `${delta.steps.length} steps in one delta`);
      assert.equal('steps' in delta.result!, false);
      for (const p of delta.steps) {
        assert.ok(!received.has(p.step), `step ${p.step} sent twice`);
        received.set(p.step, p);
      }
      const full = track.fullDetail();
      assert.ok(full.steps.length <= 64, `${full.steps.length} steps held`);
      assert.equal(full.steps.at(-1)!.step, done - 1);
      const training = track.summary(done).training!;
      assert.equal(training.stepsDone, done);
      assert.ok(training.curve.length <= TRAINING_CURVE_POINTS);
      assert.equal(training.curve.at(-1)!.step, done - 1);
    }
    assert.equal(track.summary(0).headline, null);
  });
});
