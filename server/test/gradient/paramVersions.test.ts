// Parameter versions from memory (kinds/gradient/paramVersions.ts): a version is read from the
// store once however many tabs ask at once, a round's close hands its version over before anyone
// asks, and a version the store does not hold is refused each time, never remembered.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ParamVersions } from '../../src/kinds/gradient/paramVersions';

describe('ParamVersions', () => {
  test('tabs asking at once for a version cause one store read; later asks none', async () => {
    let reads = 0;
    const versions = new ParamVersions(async (id, version) => {
      reads += 1;
      await new Promise((r) => setTimeout(r, 20));
      return new Uint8Array([version, id.length]);
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
    versions.committed('w-1', 7, new Uint8Array([7]));
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
});
