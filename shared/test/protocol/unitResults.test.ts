// unit:results at the schema: the envelope is strict and holds 1 to MAX_RESULTS_PER_EVENT items,
// whatever they are; each item is then held to unitResultSchema on its own, so one bad item
// is found alone. Binary results (a gradient's bytes) are items like any other.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MAX_RESULTS_PER_EVENT,
  unitRequestSchema,
  unitResultSchema,
  unitResultsSchema,
} from '../../src/protocol/volunteerProtocol';

const item = (replicaId: number) => ({ replicaId, result: { hits: 3, samples: 4 }, elapsedMs: 5 });
const items = (k: number) => Array.from({ length: k }, (_, i) => item(i + 1));

test('a batch of 1 to 64 results is a well-formed envelope', () => {
  assert.equal(MAX_RESULTS_PER_EVENT, 64);
  for (const k of [1, 2, 7, 63, 64]) {
    assert.ok(unitResultsSchema.safeParse({ results: items(k) }).success, `${k} results`);
  }
});

test('an empty, oversized, non-array or padded envelope is refused as a whole', () => {
  for (const bad of [
    { results: [] },
    { results: items(MAX_RESULTS_PER_EVENT + 1) },
    { results: item(1) },
    { results: items(2), extra: true },
    {},
    [item(1)],
    null,
    'results',
  ]) {
    assert.equal(unitResultsSchema.safeParse(bad).success, false, JSON.stringify(bad));
  }
});

test('the envelope leaves items to unitResultSchema: a malformed item does not fail it', () => {
  const results = [item(1), { replicaId: -1, result: 1, elapsedMs: 1 }, item(3)];
  const parsed = unitResultsSchema.safeParse({ results });
  assert.ok(parsed.success);
  const itemsOk = parsed.data.results.map((r) => unitResultSchema.safeParse(r).success);
  assert.deepEqual(itemsOk, [true, false, true]);
});

test('each item is held to the unit:result rules', () => {
  for (const bad of [
    { replicaId: 0, result: 1, elapsedMs: 1 },
    { replicaId: 1.5, result: 1, elapsedMs: 1 },
    { replicaId: '1', result: 1, elapsedMs: 1 },
    { replicaId: 1, result: 1, elapsedMs: -1 },
    { replicaId: 1, result: 1, elapsedMs: 8 * 24 * 3600 * 1000 },
    { replicaId: 1, result: 1 },
    { replicaId: 1, result: 1, elapsedMs: 1, junk: true },
  ]) {
    assert.equal(unitResultSchema.safeParse(bad).success, false, JSON.stringify(bad));
  }
});

test('binary results pass the envelope and the item schema untouched', () => {
  const bytes = new Uint8Array([1, 2, 3, 255]);
  const parsed = unitResultsSchema.safeParse({
    results: [{ replicaId: 9, result: bytes, elapsedMs: 2 }, item(10)],
  });
  assert.ok(parsed.success);
  const first = unitResultSchema.parse(parsed.data.results[0]);
  assert.equal(first.result, bytes, 'the same bytes, not a copy or a plain object');
});

test('a whole lease batch fits in one event: maxUnits and the batch share their bound', () => {
  assert.ok(unitRequestSchema.safeParse({ maxUnits: MAX_RESULTS_PER_EVENT }).success);
  assert.equal(unitRequestSchema.safeParse({ maxUnits: MAX_RESULTS_PER_EVENT + 1 }).success, false);
});
