// Opens a WebGPU device in Node: Dawn from the `webgpu` npm package over SwiftShader's Vulkan
// driver, so WGSL kernels run on a real WebGPU implementation on machines without a GPU. Used
// by the test helper (dawnDevice.ts) and the benchmarks; free of node:test so that a script
// importing it does not start a test run.
import { create, globals } from 'webgpu';

/** Debian's chromium package ships SwiftShader's Vulkan ICD here. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** How long close() waits for submitted GPU work before giving up on the device. */
export const DAWN_IDLE_GRACE_MS = 2_000;

export interface DawnGpu {
  readonly device: GPUDevice;
  /** e.g. "google swiftshader (SwiftShader driver 5.0.0)", for benchmark tables. */
  readonly adapterName: string;
  /** Validation, internal and out-of-memory errors nobody captured; drained by the reader. */
  readonly uncapturedErrors: string[];
  /**
   * Destroys the device and lets go of Dawn so the process can exit. Resolves false (device
   * left alone) when GPU work is still running after DAWN_IDLE_GRACE_MS.
   */
  close(): Promise<boolean>;
}

/** Resolves true when the queue drains within `ms`, false when work is still running. */
async function queueDrains(device: GPUDevice, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([device.queue.onSubmittedWorkDone().then(() => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Opens Dawn's Vulkan backend; throws (never returns null) when there is no adapter. */
export async function openDawnGpu(): Promise<DawnGpu> {
  // The Vulkan loader reads this when Dawn enumerates adapters, so setting it here, before
  // create(), is enough: callers need no environment of their own.
  process.env.VK_ICD_FILENAMES ??= SWIFTSHADER_ICD;
  // GPUBufferUsage, GPUMapMode and friends are globals in a browser; shared/ code uses them.
  Object.assign(globalThis, globals);
  let gpu: GPU | undefined = create(['backend=vulkan']);
  const adapter = await gpu.requestAdapter();
  if (!adapter) {
    gpu = undefined;
    // A GPU test that skips proves nothing, so a missing adapter is an error, not a skip.
    throw new Error(
      `no WebGPU adapter from Dawn (backend=vulkan, VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES}): ` +
        'install libvulkan1 and chromium (for SwiftShader), or point VK_ICD_FILENAMES at a Vulkan driver',
    );
  }
  const { vendor, architecture, description } = adapter.info;
  const adapterName = `${vendor} ${architecture} (${description})`;
  const device = await adapter.requestDevice();
  const uncapturedErrors: string[] = [];
  // Without a listener Dawn drops these, and a broken kernel just returns zeros.
  device.addEventListener('uncapturederror', (event) => {
    uncapturedErrors.push((event as GPUUncapturedErrorEvent).error.message);
  });
  return {
    device,
    adapterName,
    uncapturedErrors,
    async close() {
      const idle = await queueDrains(device, DAWN_IDLE_GRACE_MS);
      // A shader that never ends: SwiftShader has no watchdog, so destroy() would block this
      // thread forever in vkDeviceWaitIdle (before a test report is even written). Skip it.
      if (idle) device.destroy();
      // dawn.node keeps the event loop alive while the object from create() is reachable
      // (https://issues.chromium.org/issues/387965810). Dropping it is what lets the process
      // exit, even past a stuck shader (which then aborts in Dawn's teardown: non-zero exit).
      gpu = undefined;
      return idle;
    },
  };
}

/**
 * Runs `body` inside validation, internal and out-of-memory error scopes and throws with
 * Dawn's message when the GPU reported one, so a WGSL compile error fails with the compiler's
 * words instead of a wrong number.
 */
export async function withGpuErrorCheck<T>(
  dawn: Pick<DawnGpu, 'device' | 'uncapturedErrors'>,
  body: () => Promise<T>,
): Promise<T> {
  const { device } = dawn;
  device.pushErrorScope('validation');
  device.pushErrorScope('internal');
  device.pushErrorScope('out-of-memory');
  let result: T;
  try {
    result = await body();
  } finally {
    const errors = await Promise.all([
      device.popErrorScope(),
      device.popErrorScope(),
      device.popErrorScope(),
    ]);
    const messages = errors.flatMap((error) => (error ? [error.message] : []));
    messages.push(...dawn.uncapturedErrors.splice(0));
    if (messages.length > 0) throw new Error(`GPU error: ${messages.join('\n')}`);
  }
  return result;
}
