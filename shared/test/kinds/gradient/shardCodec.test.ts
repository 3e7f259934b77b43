// Data shards as bytes: round trips for both feature types (with and without padding), a
// content hash that is stable (pinned) and equal to SHA-256 of the bytes, and refusal of every
// kind of malformed shard.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { ExampleSet } from '../../../src/kinds/gradient/exampleSet';
import {
  SHARD_HEADER_BYTES,
  ShardFormatError,
  decodeShard,
  encodeShard,
  shardByteLength,
  shardHash,
} from '../../../src/kinds/gradient/shardCodec';
import { testSet } from './testSets';

// 7 x 5 = 35 feature bytes and 7 labels: both sections need padding.
const bytesSet = testSet({ count: 7, inputSize: 5, classes: 3, dtype: 'uint8' });
const floatSet = testSet({ count: 6, inputSize: 4, classes: 10, dtype: 'float32' });

function sameSet(got: ExampleSet, expected: ExampleSet): void {
  assert.equal(got.dtype, expected.dtype);
  assert.equal(got.count, expected.count);
  assert.equal(got.inputSize, expected.inputSize);
  assert.equal(got.classes, expected.classes);
  assert.deepEqual(Array.from(got.features), Array.from(expected.features));
  assert.deepEqual(Array.from(got.labels), Array.from(expected.labels));
}

describe('shard encoding', () => {
  test('uint8 and float32 shards round-trip; sizes follow the documented layout', () => {
    for (const set of [bytesSet, floatSet]) {
      const bytes = encodeShard(set);
      sameSet(decodeShard(bytes), set);
      sameSet(decodeShard(new Uint8Array(bytes)), set);
      assert.equal(bytes.byteLength, shardByteLength(set));
      assert.equal(bytes.byteLength % 4, 0);
    }
    assert.equal(shardByteLength(bytesSet), SHARD_HEADER_BYTES + 36 + 8);
    assert.equal(shardByteLength(floatSet), SHARD_HEADER_BYTES + 6 * 4 * 4 + 8);
    // A 256-digit MNIST shard: 32 + 256 * 784 + 256 bytes.
    assert.equal(shardByteLength({ dtype: 'uint8', count: 256, inputSize: 784 }), 200_992);
  });

  test('decoded features are views into the shard bytes (no copy)', () => {
    const bytes = encodeShard(floatSet);
    const decoded = decodeShard(bytes);
    assert.equal(decoded.features.buffer, bytes);
    assert.equal(decoded.features.byteOffset, SHARD_HEADER_BYTES);
  });

  test('a uint8 shard decodes at any byte offset; a float32 one needs 4-byte alignment', () => {
    const at = (bytes: ArrayBuffer, offset: number) => {
      const framed = new Uint8Array(bytes.byteLength + offset);
      framed.set(new Uint8Array(bytes), offset);
      return framed.subarray(offset);
    };
    sameSet(decodeShard(at(encodeShard(bytesSet), 3)), bytesSet);
    sameSet(decodeShard(at(encodeShard(floatSet), 8)), floatSet);
    assert.throws(() => decodeShard(at(encodeShard(floatSet), 2)), /aligned/);
  });

  test('the hash is SHA-256 of the bytes, stable across encodings and runs', async () => {
    const bytes = encodeShard(bytesSet);
    const hash = await shardHash(bytes);
    assert.match(hash, /^[0-9a-f]{64}$/);
    assert.equal(hash, createHash('sha256').update(new Uint8Array(bytes)).digest('hex'));
    assert.equal(await shardHash(encodeShard(bytesSet)), hash);
    const relabelled = {
      ...bytesSet,
      labels: Uint8Array.from(bytesSet.labels, (l) => (l + 1) % 3),
    };
    assert.notEqual(await shardHash(encodeShard(relabelled)), hash);
  });

  test('a tiny shard is byte for byte the documented layout (pinned with its hash)', async () => {
    const tiny: ExampleSet = {
      dtype: 'uint8',
      count: 3,
      inputSize: 2,
      classes: 2,
      features: Uint8Array.from([0, 1, 2, 3, 254, 255]),
      labels: Uint8Array.from([0, 1, 1]),
    };
    const bytes = encodeShard(tiny);
    const hex = Buffer.from(bytes).toString('hex');
    assert.equal(
      hex,
      '54475344' + // magic "TGSD"
        '0100' + // version 1
        '0100' + // dtype 1 = uint8
        '03000000' + // count
        '02000000' + // inputSize
        '02000000' + // classes
        '00'.repeat(12) + // reserved
        '00010203feff' +
        '0000' + // features, padded to 8
        '000101' +
        '00', // labels, padded to 4
    );
    // The encoding names every cached shard: it must not drift.
    assert.equal(await shardHash(bytes), PINNED_TINY_SHARD_HASH);
  });

  test('refuses sets that cannot be encoded', () => {
    assert.throws(
      () => encodeShard({ ...bytesSet, labels: bytesSet.labels.map(() => 3) }),
      /label 3/,
    );
    assert.throws(() => encodeShard({ ...bytesSet, count: 8 }), /features hold 35/);
    const nan: ExampleSet = {
      ...floatSet,
      dtype: 'float32',
      features: Float32Array.from(floatSet.features),
    };
    nan.features[5] = Number.NaN;
    assert.throws(() => encodeShard(nan), /feature 5 is NaN/);
  });
});

describe('shard decoding refuses malformed bytes', () => {
  const good = new Uint8Array(encodeShard(bytesSet));
  const labelsAt = SHARD_HEADER_BYTES + 36;
  /** A corruption that sets one byte. */
  const poke = (at: number, value: number) => (b: Uint8Array) => {
    b[at] = value;
    return b;
  };
  const corruptions: Record<string, (b: Uint8Array) => Uint8Array> = {
    'a truncated header': (b) => b.subarray(0, 20),
    'a bad magic': poke(1, 0),
    'an unknown version': poke(4, 2),
    'an unknown dtype': poke(6, 3),
    'non-zero reserved bytes': poke(25, 1),
    'a count that disagrees with the length': poke(8, 8),
    'four missing bytes': (b) => b.subarray(0, b.length - 4),
    'non-zero feature padding': poke(SHARD_HEADER_BYTES + 35, 9),
    'non-zero label padding': poke(labelsAt + 7, 1),
    'a label >= classes': poke(labelsAt + 2, 3),
  };
  for (const [name, corrupt] of Object.entries(corruptions)) {
    test(name, () => {
      assert.throws(() => decodeShard(corrupt(Uint8Array.from(good))), ShardFormatError);
    });
  }
});

const PINNED_TINY_SHARD_HASH = '2d56be5ed5bd9b31a0ce1f0c79135cb2abcff5e41486f301e322f9261cfd828c';
