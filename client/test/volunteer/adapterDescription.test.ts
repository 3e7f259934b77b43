// How adapter info becomes the page's words and the software flag: SwiftShader must be called
// software whichever field names it, and an adapter that names nothing still gets words.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeAdapter } from '../../src/volunteer/adapterDescription';

const blank = { vendor: '', architecture: '', device: '', description: '' };

test('headless Chromium SwiftShader (vendor and architecture only) is software', () => {
  assert.deepEqual(describeAdapter({ ...blank, vendor: 'google', architecture: 'swiftshader' }), {
    text: 'google swiftshader',
    software: true,
  });
});

test('a filled-in description is preferred to vendor and architecture', () => {
  const info = { ...blank, vendor: 'nvidia', architecture: 'ada', description: 'RTX 4090' };
  assert.deepEqual(describeAdapter(info), { text: 'RTX 4090', software: false });
});

test('SwiftShader named only in the description is still software', () => {
  const info = { ...blank, vendor: 'google', description: 'SwiftShader Device (Subzero)' };
  assert.equal(describeAdapter(info).software, true);
});

test('isFallbackAdapter marks software even without a recognised name', () => {
  assert.equal(describeAdapter({ ...blank, vendor: 'x', isFallbackAdapter: true }).software, true);
});

test('an adapter that names nothing is "unnamed adapter", and long names are cut to 200', () => {
  assert.equal(describeAdapter(blank).text, 'unnamed adapter');
  assert.equal(describeAdapter({ ...blank, description: 'a'.repeat(300) }).text.length, 200);
});
