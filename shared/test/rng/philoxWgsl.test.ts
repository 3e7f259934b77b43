// The WGSL Philox4x32-10 (philox.wgsl.ts) run on Dawn/SwiftShader, compared word for word with
// the TypeScript twin on the Random123 known-answer vectors and ~1000 generated counters and
// keys, and the WGSL mulhi32 against the TypeScript one on every pair of edge values.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mulhi32, philox4x32 } from '../../src/rng/philox';
import { philoxWgsl } from '../../src/rng/philox.wgsl';
import type { DawnGpu } from '../gpu/dawnGpu';
import { dawnGpu, GPU_TEST_TIMEOUT_MS } from '../gpu/dawnDevice';
import { runCases, SENTINEL, WORKGROUP_SIZE } from '../gpu/wgslCaseRunner';
import { hex, lcg32, MULHI_EDGE_VALUES, PHILOX_KAT } from './philoxVectors';

// Case i reads 8 input words (counter x4, key x2, 2 unused so cases stay 16-byte aligned) and
// writes 4 output words. Invocations past the case count return early: the count is not a
// multiple of 64, and a sentinel in the spare output words catches a stray write.
const philoxWgslTestKernel = /* wgsl */ `
${philoxWgsl}

@group(0) @binding(0) var<storage, read> input: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> output: array<vec4<u32>>;
@group(0) @binding(2) var<uniform> case_count: vec4<u32>;

@compute @workgroup_size(${WORKGROUP_SIZE})
fn philox_cases(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= case_count.x) {
    return;
  }
  let counter = input[2u * i];
  let key = input[2u * i + 1u].xy;
  output[i] = philox4x32(counter, key);
}

// Case i: input[i].xy = (a, b); output[i].x = mulhi32(a, b), .y = the low word a * b.
@compute @workgroup_size(${WORKGROUP_SIZE})
fn mulhi_cases(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= case_count.x) {
    return;
  }
  let a = input[i].x;
  let b = input[i].y;
  output[i] = vec4<u32>(mulhi32(a, b), a * b, 0u, 0u);
}
`;

interface PhiloxCase {
  counter: readonly [number, number, number, number];
  key: readonly [number, number];
}

/** The KAT inputs, counters around every word's carry, then LCG-drawn counters and keys. */
function philoxCases(): PhiloxCase[] {
  const cases: PhiloxCase[] = PHILOX_KAT.map(({ counter, key }) => ({ counter, key }));
  for (const low of [0xfffffffe, 0xffffffff, 0, 1]) {
    cases.push({ counter: [low, 0xffffffff, 0x70690000, 0], key: [42, 0] });
    cases.push({ counter: [low, 0, 0, 0xffffffff], key: [0xffffffff, 0x1fffff] });
  }
  const next = lcg32(0x9e3779b9);
  const draw = () => (next() ^ (next() >>> 11)) >>> 0;
  while (cases.length < 1003) {
    cases.push({ counter: [draw(), draw(), draw(), draw()], key: [draw(), draw()] });
  }
  return cases;
}

let dawn: DawnGpu;
before(
  async () => {
    dawn = await dawnGpu();
  },
  { timeout: GPU_TEST_TIMEOUT_MS },
);

describe('philox4x32 (WGSL on Dawn) against TypeScript', { timeout: GPU_TEST_TIMEOUT_MS }, () => {
  test('Random123 known-answer vectors, carry edges and 1000 generated counters and keys', async () => {
    const cases = philoxCases();
    const input = new Uint32Array(cases.length * 8);
    cases.forEach(({ counter, key }, i) => {
      input.set(counter, i * 8);
      input.set(key, i * 8 + 4);
    });
    // One spare case's worth of output holds sentinels that no invocation may touch.
    const output = await runCases(dawn, philoxWgslTestKernel, 'philox_cases', input, {
      cases: cases.length,
      outputWords: cases.length * 4 + 4,
    });
    const expected = new Uint32Array(4);
    for (const [i, { counter, key }] of cases.entries()) {
      philox4x32(...counter, ...key, expected);
      const got = output.subarray(i * 4, i * 4 + 4);
      assert.deepEqual(
        hex(got),
        hex(expected),
        `case ${i}: counter ${hex(counter)} key ${hex(key)}`,
      );
    }
    for (const [i, kat] of PHILOX_KAT.entries()) {
      assert.deepEqual(hex(output.subarray(i * 4, i * 4 + 4)), hex(kat.expected), `KAT ${i}`);
    }
    assert.deepEqual(
      hex(output.subarray(cases.length * 4)),
      hex([SENTINEL, SENTINEL, SENTINEL, SENTINEL]),
    );
  });
});

describe('mulhi32 (WGSL on Dawn) against TypeScript', { timeout: GPU_TEST_TIMEOUT_MS }, () => {
  test('every pair of edge values, high and low words', async () => {
    const pairs = MULHI_EDGE_VALUES.flatMap((a) => MULHI_EDGE_VALUES.map((b) => [a, b] as const));
    const input = new Uint32Array(pairs.length * 4);
    pairs.forEach(([a, b], i) => input.set([a, b], i * 4));
    const output = await runCases(dawn, philoxWgslTestKernel, 'mulhi_cases', input, {
      cases: pairs.length,
      outputWords: pairs.length * 4,
    });
    for (const [i, [a, b]] of pairs.entries()) {
      const what = `0x${a.toString(16)} * 0x${b.toString(16)}`;
      assert.equal(output[i * 4], mulhi32(a, b), `mulhi32 of ${what}`);
      assert.equal(output[i * 4 + 1], Math.imul(a, b) >>> 0, `low word of ${what}`);
    }
  });
});
