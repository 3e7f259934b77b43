// The exact phrases the contribute page shows for the backend: people and the e2e test read
// "WebGPU: <adapter>" and "CPU fallback", with notes for software adapters and forcing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backendWords, creditWords } from '../../src/contribute/statusWords';
import { INITIAL_STATUS } from '../../src/volunteer/workerMessages';

test('a forced SwiftShader adapter reads "WebGPU: ..." with both notes', () => {
  const words = backendWords(
    { kind: 'webgpu', adapter: 'google swiftshader', software: true, forced: true },
    'webgpu',
    'running',
  );
  assert.deepEqual(words, {
    main: 'WebGPU: google swiftshader',
    notes: ['(software adapter: SwiftShader)', 'forced by ?backend=webgpu'],
  });
});

test('a hardware adapter chosen automatically has no notes', () => {
  const words = backendWords(
    { kind: 'webgpu', adapter: 'RTX 4090', software: false, forced: false },
    'auto',
    'running',
  );
  assert.deepEqual(words, { main: 'WebGPU: RTX 4090', notes: [] });
});

test('the CPU fallback says whether it was forced or why WebGPU was not used', () => {
  assert.deepEqual(backendWords({ kind: 'cpu', forced: true, reason: null }, 'cpu', 'running'), {
    main: 'CPU fallback',
    notes: ['forced by ?backend=cpu'],
  });
  assert.deepEqual(
    backendWords({ kind: 'cpu', forced: false, reason: 'No adapter' }, 'auto', 'running'),
    { main: 'CPU fallback', notes: ['(No adapter)'] },
  );
});

test('a forced WebGPU that failed says WebGPU is unavailable', () => {
  assert.equal(backendWords(null, 'webgpu', 'failed').main, 'WebGPU unavailable');
});

test('credit is shown to a tenth with the validated unit count', () => {
  const words = creditWords({ ...INITIAL_STATUS, credit: 46.137, unitsValidated: 11 });
  assert.equal(words, '46.1 (11 validated units)');
});
