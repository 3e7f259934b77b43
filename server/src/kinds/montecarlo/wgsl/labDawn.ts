// Opens the WebGPU device the kernel lab's child process runs researchers' kernels on: Dawn
// from the `webgpu` npm package, over SwiftShader's Vulkan driver where the machine has no GPU
// driver of its own. Only labWorker.ts imports this, so Dawn never loads into the coordinator
// process itself: a kernel that never ends can only take its child down with it.
import { create, globals } from 'webgpu';

/** Debian's chromium package ships SwiftShader's Vulkan ICD here. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export interface LabDevice {
  readonly device: GPUDevice;
  /** e.g. "google swiftshader (SwiftShader driver 5.0.0)": what nsPerSample was measured on. */
  readonly adapterName: string;
}

const instances: GPU[] = [];

/** Opens Dawn's Vulkan backend; throws when there is no adapter (the lab then says so). */
export async function openLabDevice(): Promise<LabDevice> {
  process.env.VK_ICD_FILENAMES ??= SWIFTSHADER_ICD;
  // GPUBufferUsage, GPUMapMode and friends are browser globals that shared/src/gpu uses.
  Object.assign(globalThis, globals);
  // Held for the life of the process: once the GPU object is garbage, Dawn tears down the
  // instance under the device (a crash), and this process lives as long as the lab wants it.
  const gpu = create(['backend=vulkan']);
  instances.push(gpu);
  const adapter = await gpu.requestAdapter();
  if (!adapter) {
    throw new Error(
      `no WebGPU adapter from Dawn (backend=vulkan, VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES}): ` +
        'install libvulkan1 and chromium (for SwiftShader), or point VK_ICD_FILENAMES at a Vulkan driver',
    );
  }
  const { vendor, architecture, description } = adapter.info;
  const device = await adapter.requestDevice();
  // Errors outside a scope would be dropped; the lab scopes everything it does.
  device.addEventListener('uncapturederror', () => {});
  return { device, adapterName: `${vendor} ${architecture} (${description})` };
}

/**
 * Runs `body` inside validation, internal and out-of-memory error scopes and returns what the
 * GPU reported there (empty when nothing), beside body's value.
 */
export async function withErrorScopes<T>(
  device: GPUDevice,
  body: () => T | Promise<T>,
): Promise<{ value: T | undefined; errors: string[] }> {
  device.pushErrorScope('validation');
  device.pushErrorScope('internal');
  device.pushErrorScope('out-of-memory');
  let value: T | undefined;
  let thrown: unknown;
  try {
    value = await body();
  } catch (error) {
    thrown = error;
  }
  const scoped = await Promise.all([
    device.popErrorScope(),
    device.popErrorScope(),
    device.popErrorScope(),
  ]);
  const errors = scoped.flatMap((error) => (error ? [error.message] : []));
  if (thrown !== undefined && errors.length === 0) throw thrown;
  return { value, errors };
}
