// What the datasets panel says while an upload is on its way (uploadProgress.ts); the bytes sent
// come from XMLHttpRequest in a page (e2e/tests/researcherPages.spec.ts watches them move).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { progressWords } from '../../src/submit/uploadProgress';

test('the bytes sent, of the file, as a percentage rounded down', () => {
  assert.equal(progressWords(0, 4 * 1024 * 1024), '0 bytes of 4.0 MB sent (0%)');
  assert.equal(progressWords(1288490, 4 * 1024 * 1024), '1.2 MB of 4.0 MB sent (30%)');
  // 99.9% is not yet all of it.
  assert.equal(progressWords(4 * 1024 * 1024 - 1, 4 * 1024 * 1024), '4.0 MB of 4.0 MB sent (99%)');
});

test('every byte sent: the coordinator is still checking the end', () => {
  assert.equal(
    progressWords(2048, 2048),
    'all 2.0 KB sent; the coordinator is checking the last of it…',
  );
});

test('an empty file says it is starting', () => {
  assert.equal(progressWords(0, 0), 'starting…');
});
