// Field errors read the same whoever worded them: zod's stock messages are put as the
// hand-written schemas put theirs, naming the field; hand-written ones pass through.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { z } from 'zod';
import { gradientSpecSchema } from '../../src/kinds/gradient/gradientSpec';
import { piSpecSchema } from '../../src/kinds/pi/piSpec';
import { fieldErrorsFromIssues } from '../../src/api/fieldErrors';

function errorsOf(schema: z.ZodType, v: unknown) {
  const issues = schema.safeParse(v).error?.issues ?? [];
  return Object.fromEntries(fieldErrorsFromIssues(issues).map((e) => [e.path, e.message]));
}

test('stock zod messages name the field and the bound', () => {
  assert.deepEqual(
    errorsOf(gradientSpecSchema, {
      model: 'softmax',
      dataset: 'mnist',
      optimizer: { name: 'adam', lr: 0 },
      batchSize: 0,
      epochs: 2,
      shards: 300,
      seed: 1.5,
      maxStaleness: 9,
      aggregation: 'avg',
      colour: 'red',
    }),
    {
      '': 'colour is not a field here',
      'optimizer.lr': 'lr must be > 0',
      batchSize: 'batchSize must be >= 1',
      shards: 'shards must be <= 256',
      seed: 'seed must be an integer',
      maxStaleness: 'maxStaleness must be <= 8',
      aggregation: 'aggregation must be mean, median or trimmed-mean',
    },
  );
  const missing = errorsOf(gradientSpecSchema, { model: 'softmax' });
  assert.equal(
    missing.dataset,
    'dataset must be "mnist", "blobs" or an uploaded dataset id ("ds-" and 24 hex digits)',
  );
  assert.equal(missing.batchSize, 'batchSize is required');
  assert.deepEqual(
    errorsOf(gradientSpecSchema, { model: 'softmax', batchSize: 'ten' }).batchSize,
    'batchSize must be a number',
  );
});

test('hand-written messages are kept as written', () => {
  assert.deepEqual(errorsOf(piSpecSchema, { estimator: 'pi', samples: 0, seed: -1 }), {
    samples: 'samples must be >= 1',
    seed: 'seed must be >= 0',
  });
});
