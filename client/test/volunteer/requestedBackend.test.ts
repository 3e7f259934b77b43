// ?backend= parsing: only the two forcing values force anything.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestedBackendFrom } from '../../src/volunteer/requestedBackend';

test('?backend=cpu and ?backend=webgpu force, in any case', () => {
  assert.equal(requestedBackendFrom('?backend=cpu'), 'cpu');
  assert.equal(requestedBackendFrom('?x=1&backend=WebGPU'), 'webgpu');
});

test('no parameter, or anything else, leaves the choice to the worker', () => {
  assert.equal(requestedBackendFrom(''), 'auto');
  assert.equal(requestedBackendFrom('?backend=gpu'), 'auto');
  assert.equal(requestedBackendFrom('?backend='), 'auto');
});
