// Parameter versions from memory (kinds/gradient/paramVersions.ts): a version is read from the
// store once however many tabs ask at once, a round's close hands its version over before anyone
// asks, and a version the store does not hold is refused each time, never remembered, also when
// it was served from memory before its round closed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ParamVersions } from '../../src/kinds/gradient/paramVersions';

describe('ParamVersions', () => {
  test('tabs asking at once for a version cause one store read; later asks none', async () => {
    let reads = 0;
    const versions = new ParamVersions(async (id, version) => {
      reads += 1;
      await new Promise((r) => setTimeout(r, 20));
      return { bytes: new Uint8Array([version, id.length]), oldestHeld: 0 };
    });
    const asked = await Promise.all(Array.from({ length: 50 }, () => versions.get('w-1', 3)));
    assert.equal(reads, 1);
    for (const bytes of asked) assert.deepEqual([...bytes], [3, 3]);
    assert.deepEqual([...(await versions.get('w-1', 3))], [3, 3]);
    assert.equal(reads, 1);
    await versions.get('w-1', 4);
    assert.equal(reads, 2, 'another version is another read');
  });

  test('a committed version is served without reading the store', async () => {
    const versions = new ParamVersions(() => {
      throw new Error('read the store');
    });
    versions.committed('w-1', 7, new Uint8Array([7]), 7);
    assert.deepEqual([...(await versions.get('w-1', 7))], [7]);
  });

  test('a version the store does not hold is refused on every ask, not remembered', async () => {
    let reads = 0;
    const versions = new ParamVersions(async () => {
      reads += 1;
      throw new Error('parameter version 1 is not held');
    });
    await assert.rejects(versions.get('w-1', 1), /not held/);
    await assert.rejects(versions.get('w-1', 1), /not held/);
    assert.equal(reads, 2);
    assert.equal(versions.size, 0);
  });

  test('a version older than the store holds is not served from memory after its round closed', async () => {
    const held = new Map<number, Uint8Array>([[0, new Uint8Array([0])]]);
    let oldest = 0;
    const versions = new ParamVersions(async (_id, version) => {
      const bytes = held.get(version);
      if (!bytes) throw new Error(`parameter version ${version} is not held`);
      return { bytes, oldestHeld: oldest };
    });
    assert.deepEqual([...(await versions.get('w-1', 0))], [0]);
    // Round 0 closes (maxStaleness 0): version 1 is held, version 0 is dropped from the store.
    held.delete(0);
    held.set(1, new Uint8Array([1]));
    oldest = 1;
    versions.committed('w-1', 1, held.get(1)!, 1);
    await assert.rejects(versions.get('w-1', 0), /not held/);
    assert.deepEqual([...(await versions.get('w-1', 1))], [1]);
  });
});
