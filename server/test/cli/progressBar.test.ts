// The CLI's progress display and ETA: exact lines for known inputs, a terminal redrawn in place,
// a log written to now and then; a gradient workload's training figures and summary in words.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { WorkloadView } from '@tessera/shared';
import { EtaEstimator, formatDuration } from '../../src/cli/eta';
import {
  PLAIN_LINE_MAX_INTERVAL_MS,
  PLAIN_LINE_MIN_INTERVAL_MS,
  ProgressReporter,
  progressLine,
} from '../../src/cli/progressBar';
import { gradientSummary } from '../../src/cli/trainingText';

function view(
  validated: number,
  total: number,
  status: WorkloadView['status'] = 'running',
  inFlight = 2,
): WorkloadView {
  return {
    id: 'w1',
    name: 'pi',
    kind: 'montecarlo',
    status,
    progress: {
      unitsTotal: total,
      unitsValidated: validated,
      unitsInFlight: inFlight,
      unitsFailed: 0,
      fraction: validated / total,
    },
    spec: { estimator: 'pi', samples: 1000, seed: 1, samplesPerUnit: 1024 },
    redundancy: { quorum: 2, maxReplicas: 4, maxErrors: 8, adaptive: false },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    completedAt: null,
    failureReason: null,
  };
}

function sink(isTTY: boolean, columns?: number) {
  const writes: string[] = [];
  return { writes, out: { isTTY, columns, write: (t: string) => writes.push(t) } };
}

describe('EtaEstimator', () => {
  test('the rate is taken over the window, not since the start', () => {
    const eta = new EtaEstimator(10_000);
    assert.equal(eta.etaMs(100), null, 'no ETA before any progress');
    eta.observe(0, 0);
    eta.observe(60_000, 6); // slow start: 0.1 unit/s
    assert.equal(eta.etaMs(100), 940_000);
    eta.observe(65_000, 16);
    eta.observe(70_000, 26); // now 2 units/s, and the slow start has left the window
    assert.equal(eta.rate(), 2);
    assert.equal(eta.etaMs(100), 37_000);
  });

  test('no progress means no ETA rather than infinity', () => {
    const eta = new EtaEstimator();
    eta.observe(0, 5);
    eta.observe(5_000, 5);
    assert.equal(eta.etaMs(10), null);
  });

  test('durations read short', () => {
    assert.equal(formatDuration(0), '0 s');
    assert.equal(formatDuration(42_400), '42 s');
    assert.equal(formatDuration(185_000), '3m 05s');
    assert.equal(formatDuration(7_620_000), '2h 07m');
    assert.equal(formatDuration(5 * 86_400_000), '5 days');
  });
});

describe('progressLine', () => {
  test('bar, units, percentage and ETA fit the terminal width', () => {
    const line = progressLine(view(12, 40), 65_000, 80);
    assert.equal(line, `[${'█'.repeat(9)}${'░'.repeat(21)}]  12/40 units  30.0%  ETA 1m 05s`);
    assert.ok(line.length < 80);
    const narrow = progressLine(view(12, 40), 65_000, 50);
    assert.ok(narrow.length < 50, narrow);
    assert.match(narrow, /^\[[█░]{10,}\]  12\/40 units  30\.0%  ETA 1m 05s$/);
    assert.equal(progressLine(view(12, 40), null, 30), '12/40 units  30.0%  ETA …');
  });

  test('says why there is no ETA', () => {
    assert.match(progressLine(view(0, 40, 'queued', 0), null), /waiting for volunteers$/);
    assert.match(progressLine(view(40, 40, 'completed', 0), null), /40\/40 units  100\.0%  done$/);
    assert.match(progressLine(view(3, 40, 'failed', 0), null), /failed$/);
  });
});

describe('ProgressReporter', () => {
  test('on a terminal: every update redraws one line; finish ends it', () => {
    const { writes, out } = sink(true, 100);
    const reporter = new ProgressReporter(out, () => 0);
    reporter.update(view(1, 4));
    reporter.update(view(2, 4));
    reporter.finish();
    assert.equal(writes.length, 3);
    assert.match(writes[0]!, /^\r\[.*\]  1\/4 units  25\.0%  ETA …\x1b\[K$/);
    assert.match(writes[1]!, /^\r\[.*\]  2\/4 units  50\.0%/);
    assert.equal(writes[2], '\n');
  });

  test('in a log: a line when progress changes, at most every few seconds, and the end', () => {
    const { writes, out } = sink(false);
    let now = 0;
    const reporter = new ProgressReporter(out, () => now);
    reporter.update(view(0, 4, 'queued', 0));
    now = 1_000;
    reporter.update(view(1, 4)); // changed, but too soon
    now = PLAIN_LINE_MIN_INTERVAL_MS;
    reporter.update(view(2, 4));
    now += PLAIN_LINE_MIN_INTERVAL_MS;
    reporter.update(view(2, 4)); // unchanged
    now += PLAIN_LINE_MAX_INTERVAL_MS;
    reporter.update(view(2, 4)); // unchanged for long: a sign of life
    now += 10;
    reporter.update(view(4, 4, 'completed', 0));
    reporter.finish();
    assert.deepEqual(writes, [
      '00:00:00 queued 0/4 units (0.0%), waiting for volunteers\n',
      '00:00:05 running 2/4 units (50.0%), ETA 5 s\n',
      '00:00:40 running 2/4 units (50.0%), ETA 40 s\n',
      '00:00:40 completed 4/4 units (100.0%), done\n',
    ]);
  });
});

describe('training figures (gradient workloads)', () => {
  const training = { step: 6, stepsTotal: 20, loss: 0.51234, accuracy: 0.81234 };

  test('a terminal line shows step, loss and accuracy before the ETA', () => {
    assert.equal(
      progressLine(view(12, 40), 65_000, 120, training),
      `[${'█'.repeat(9)}${'░'.repeat(21)}]  12/40 units  30.0%  step 6/20  loss 0.512  acc 0.8123  ETA 1m 05s`,
    );
    // The bar shrinks first, then goes; the figures stay.
    assert.equal(
      progressLine(view(12, 40), 65_000, 80, training),
      `[${'█'.repeat(3)}${'░'.repeat(7)}]  12/40 units  30.0%  step 6/20  loss 0.512  acc 0.8123  ETA 1m 05s`,
    );
    assert.equal(
      progressLine(view(12, 40), 65_000, 70, training),
      '12/40 units  30.0%  step 6/20  loss 0.512  acc 0.8123  ETA 1m 05s',
    );
  });

  test('a log line says them in words; accuracy only once evaluated', () => {
    const { writes, out } = sink(false);
    let now = 0;
    const reporter = new ProgressReporter(out, () => now);
    reporter.update(view(0, 40, 'queued', 0), null);
    now = PLAIN_LINE_MIN_INTERVAL_MS;
    reporter.update(view(2, 40), { step: 1, stepsTotal: 20, loss: 2.3026, accuracy: null });
    now += PLAIN_LINE_MIN_INTERVAL_MS;
    reporter.update(view(40, 40, 'completed', 0), {
      step: 20,
      stepsTotal: 20,
      loss: 0.0412,
      accuracy: 0.99,
    });
    assert.deepEqual(writes, [
      '00:00:00 queued 0/40 units (0.0%), waiting for volunteers\n',
      '00:00:05 running 2/40 units (5.0%), step 1/20, loss 2.30, ETA 1m 35s\n',
      '00:00:10 completed 40/40 units (100.0%), step 20/20, loss 0.0412, accuracy 0.9900, done\n',
    ]);
  });
});

describe('gradientSummary', () => {
  const result = {
    kind: 'gradient' as const,
    final: true,
    status: 'completed' as const,
    unitsValidated: 160,
    unitsTotal: 160,
    version: 80,
    stepsTotal: 80,
    steps: [],
    loss: 0.36712,
    accuracy: 0.90451,
    parameterCount: 7850,
    paramsUrl: '/api/workloads/w1/result?format=bin',
  };

  test('a trained model in words', () => {
    assert.equal(
      gradientSummary(result),
      'trained 80 steps: held-out accuracy 0.9045, final loss 0.367; 7,850 parameters',
    );
  });

  test('a run still going (or stopped short), a lost loss, nothing measured yet', () => {
    assert.equal(
      gradientSummary({ ...result, final: false, status: 'running', version: 40, accuracy: null }),
      'trained 40 of 80 steps so far: latest loss 0.367; 7,850 parameters',
    );
    assert.equal(
      gradientSummary({ ...result, loss: null }),
      'trained 80 steps: held-out accuracy 0.9045, final loss not finite; 7,850 parameters',
    );
    assert.equal(
      gradientSummary({ ...result, final: false, version: 0, loss: null, accuracy: null }),
      'trained 0 of 80 steps so far: no step finished yet; 7,850 parameters',
    );
  });
});
