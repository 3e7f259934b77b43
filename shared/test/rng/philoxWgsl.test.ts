// The WGSL Philox4x32-10 (philox.wgsl.ts) run on Dawn/SwiftShader, compared word for word with
// the TypeScript twin on the Random123 known-answer vectors and ~1000 generated counters and
// keys, and the WGSL mulhi32 against the TypeScript one on every pair of edge values.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mulhi32, philox4x32 } from '../../src/rng/philox';
import { philoxWgsl } from '../../src/rng/philox.wgsl';
import type { DawnGpu } from '../gpu/dawnGpu';
import { dawnGpu, GPU_TEST_TIMEOUT_MS, withGpuErrorCheck } from '../gpu/dawnDevice';
import { hex, lcg32, MULHI_EDGE_VALUES, PHILOX_KAT } from './philoxVectors';

const WORKGROUP_SIZE = 64;

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

const SENTINEL = 0xdeadbeef;

/** Runs one entry point over `cases` cases; returns `outputWords` words, sentinels included. */
async function runCases(
  dawn: DawnGpu,
  entryPoint: string,
  input: Uint32Array<ArrayBuffer>,
  cases: number,
  outputWords: number,
): Promise<Uint32Array> {
  const { device } = dawn;
  return withGpuErrorCheck(dawn, async () => {
    const module = device.createShaderModule({ code: philoxWgslTestKernel });
    const pipeline = device.createComputePipeline({
      layout: 'auto',
      compute: { module, entryPoint },
    });
    const inputBuffer = device.createBuffer({
      size: input.byteLength,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(inputBuffer, 0, input);
    const outputBuffer = device.createBuffer({
      size: outputWords * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(outputBuffer, 0, new Uint32Array(outputWords).fill(SENTINEL));
    const countBuffer = device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(countBuffer, 0, Uint32Array.of(cases, 0, 0, 0));
    const readback = device.createBuffer({
      size: outputWords * 4,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    try {
      const bindGroup = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: inputBuffer } },
          { binding: 1, resource: { buffer: outputBuffer } },
          { binding: 2, resource: { buffer: countBuffer } },
        ],
      });
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      // One workgroup more than needed, so the early return is really exercised.
      pass.dispatchWorkgroups(Math.ceil(cases / WORKGROUP_SIZE) + 1);
      pass.end();
      encoder.copyBufferToBuffer(outputBuffer, 0, readback, 0, outputWords * 4);
      device.queue.submit([encoder.finish()]);
      await readback.mapAsync(GPUMapMode.READ);
      const words = new Uint32Array(readback.getMappedRange().slice(0));
      readback.unmap();
      return words;
    } finally {
      inputBuffer.destroy();
      outputBuffer.destroy();
      countBuffer.destroy();
      readback.destroy();
    }
  });
}

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
    const output = await runCases(dawn, 'philox_cases', input, cases.length, cases.length * 4 + 4);
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
    const output = await runCases(dawn, 'mulhi_cases', input, pairs.length, pairs.length * 4);
    for (const [i, [a, b]] of pairs.entries()) {
      const what = `0x${a.toString(16)} * 0x${b.toString(16)}`;
      assert.equal(output[i * 4], mulhi32(a, b), `mulhi32 of ${what}`);
      assert.equal(output[i * 4 + 1], Math.imul(a, b) >>> 0, `low word of ${what}`);
    }
  });
});
