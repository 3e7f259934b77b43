// Runs a WGSL function over a list of cases on Dawn: case i reads input[i] (a vec4<u32>, or
// several for kernels that say so) and writes output[i] (a vec4<u32>). The kernel gets one workgroup more than the cases need, so
// the early return is exercised, and a sentinel past the last case catches a stray write.
import type { DawnGpu } from './dawnGpu';
import { withGpuErrorCheck } from './dawnDevice';

/** Workgroup size of every case kernel (bindings: input, output, case_count uniform). */
export const WORKGROUP_SIZE = 64;
export const SENTINEL = 0xdeadbeef;

/**
 * A kernel source with one entry point per function under test: `body` maps
 * `let v = input[i];` to the vec4<u32> stored in output[i].
 */
export function caseKernel(prelude: string, entries: Record<string, string>): string {
  const entryPoints = Object.entries(entries).map(
    ([name, body]) => /* wgsl */ `
@compute @workgroup_size(${WORKGROUP_SIZE})
fn ${name}(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= case_count.x) {
    return;
  }
  let v = input[i];
  output[i] = ${body};
}`,
  );
  return /* wgsl */ `
${prelude}
@group(0) @binding(0) var<storage, read> input: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> output: array<vec4<u32>>;
@group(0) @binding(2) var<uniform> case_count: vec4<u32>;
${entryPoints.join('\n')}
`;
}

/**
 * Runs `entryPoint` over `inputs`; returns `outputWords` words, sentinels included. By default
 * a case is 4 input words and 4 output words, with one spare vec4 of sentinels at the end.
 */
export async function runCases(
  dawn: DawnGpu,
  code: string,
  entryPoint: string,
  inputs: Uint32Array<ArrayBuffer>,
  shape: { cases: number; outputWords: number } = {
    cases: inputs.length / 4,
    outputWords: inputs.length + 4,
  },
): Promise<Uint32Array> {
  const { device } = dawn;
  const { cases, outputWords } = shape;
  return withGpuErrorCheck(dawn, async () => {
    const module = device.createShaderModule({ code });
    const pipeline = device.createComputePipeline({
      layout: 'auto',
      compute: { module, entryPoint },
    });
    const input = device.createBuffer({
      size: Math.max(16, inputs.byteLength),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(input, 0, inputs);
    const output = device.createBuffer({
      size: outputWords * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(output, 0, new Uint32Array(outputWords).fill(SENTINEL));
    const count = device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(count, 0, Uint32Array.of(cases, 0, 0, 0));
    const readback = device.createBuffer({
      size: outputWords * 4,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    try {
      const bindGroup = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: input } },
          { binding: 1, resource: { buffer: output } },
          { binding: 2, resource: { buffer: count } },
        ],
      });
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(Math.ceil(cases / WORKGROUP_SIZE) + 1);
      pass.end();
      encoder.copyBufferToBuffer(output, 0, readback, 0, outputWords * 4);
      device.queue.submit([encoder.finish()]);
      await readback.mapAsync(GPUMapMode.READ);
      const words = new Uint32Array(readback.getMappedRange().slice(0));
      readback.unmap();
      return words;
    } finally {
      input.destroy();
      output.destroy();
      count.destroy();
      readback.destroy();
    }
  });
}
