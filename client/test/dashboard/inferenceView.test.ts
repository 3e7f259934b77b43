// The workload page's reading of an inference result (REST's, with every row's class, or the
// live feed's tally without them): the shape it needs, the predictions counted per class for the
// histogram, the downloads' addresses.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  classCounts,
  hashPrefix,
  inferenceDownloads,
  inferenceResultOf,
} from '../../src/workload/inferenceView';

const result = {
  final: false,
  status: 'running',
  unitsValidated: 1,
  unitsTotal: 3,
  rows: 6,
  rowsPredicted: 4,
  classes: 3,
  labeled: true,
  correct: 3,
  accuracy: 0.75,
  model: { workload: 'm1', version: 16, hash: 'ab'.repeat(32) },
  dataset: 'ds-0123456789abcdef01234567',
  predictions: [0, 2, 2, 1, null, null],
};

describe('an inference result on the workload page', () => {
  test('is read by shape; a gradient or Monte Carlo result is not one', () => {
    assert.equal(inferenceResultOf(result)?.rowsPredicted, 4);
    assert.equal(inferenceResultOf({ ...result, accuracy: undefined })?.accuracy, undefined);
    // The live feed's tally has no predictions: the page reads them from REST.
    const { predictions: _rows, ...tally } = result;
    assert.equal(inferenceResultOf({ ...tally, kind: 'inference' })?.predictions, undefined);
    assert.equal(inferenceResultOf({ final: true, estimate: 3.14 }), null);
    assert.equal(inferenceResultOf(null), null);
  });

  test('predictions so far are counted per class; rows not predicted are not', () => {
    assert.deepEqual(classCounts(result.predictions, 3), [1, 1, 2]);
    assert.deepEqual(classCounts([null, null], 2), [0, 0]);
  });

  test('the model hash is shown by its first 12 digits; the downloads are the result’s', () => {
    assert.equal(hashPrefix(result.model.hash), 'abababababab');
    assert.deepEqual(inferenceDownloads('a/b'), {
      csv: '/api/workloads/a%2Fb/result?format=csv',
      bin: '/api/workloads/a%2Fb/result?format=bin',
    });
  });
});
