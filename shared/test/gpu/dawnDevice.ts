// The Dawn device a Node test file runs WGSL on: opened once per process on first use (node
// --test runs each file in its own process) and closed in a root `after` hook, so the file's
// process exits by itself. No adapter is a failure, never a skip.
import { after } from 'node:test';
import { GpuKernelRunner } from '../../src/gpu/gpuKernelRunner';
import { openDawnGpu, type DawnGpu } from './dawnGpu';

export { withGpuErrorCheck } from './dawnGpu';

/** SwiftShader compiles and runs test kernels in well under this; a stuck shader must fail. */
export const GPU_TEST_TIMEOUT_MS = 30_000;

let opening: Promise<DawnGpu> | undefined;

/** The process's Dawn GPU (device + error log), opened on first call. */
export function dawnGpu(): Promise<DawnGpu> {
  opening ??= openDawnGpu();
  return opening;
}

/** The shared device and a kernel runner of the test file's own on it. */
export async function dawnKernelRunner(): Promise<{ dawn: DawnGpu; runner: GpuKernelRunner }> {
  const dawn = await dawnGpu();
  return { dawn, runner: new GpuKernelRunner(dawn.device) };
}

// Registered when this module is first imported, i.e. at a test file's top level, so the hook
// belongs to the root test and runs once, after every test of the file.
after(async () => {
  if (!opening) return;
  const dawn = await opening.catch(() => undefined);
  opening = undefined;
  if (dawn && !(await dawn.close())) {
    console.error(
      'dawnDevice: GPU work was still running after the last test (a stuck shader?); the ' +
        'device was left undestroyed and the process will end with an abort in Dawn teardown',
    );
  }
});
