// Chooses what runs the units in this tab: a WebGPU device (with one GpuKernelRunner, so each
// kernel's pipeline is compiled once per tab and reused) or the estimators' TypeScript
// references on the CPU. The choice follows the volunteer's ?backend= request; 'auto' prefers
// WebGPU and says why when it falls back.
import { GpuKernelRunner } from '@tessera/shared/gpu/gpuKernelRunner';
import { describeAdapter, type AdapterDescription } from './adapterDescription';
import { WebGpuUnavailableError } from './volunteerErrors';
import type { BackendStatus, RequestedBackend } from './workerMessages';

export interface WebGpuBackend {
  kind: 'webgpu';
  device: GPUDevice;
  runner: GpuKernelRunner;
  adapter: AdapterDescription;
  /** Settles when the device is lost; a running unit races against it. */
  lost: Promise<GPUDeviceLostInfo>;
  /** Set once `lost` settles, so a later session knows not to reuse the device. */
  lostInfo: GPUDeviceLostInfo | null;
}

export interface CpuBackend {
  kind: 'cpu';
}

export type ComputeBackend = WebGpuBackend | CpuBackend;

export interface BackendChoice {
  backend: ComputeBackend;
  status: BackendStatus;
}

type Acquired = { ok: true; backend: WebGpuBackend } | { ok: false; reason: string };

/** Asks the browser for a GPU device; says in words why not when it cannot. */
export async function acquireWebGpu(gpu: GPU | undefined): Promise<Acquired> {
  if (!gpu) {
    return { ok: false, reason: 'this browser does not offer WebGPU to workers' };
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    return { ok: false, reason: `the WebGPU adapter request failed (${messageOf(error)})` };
  }
  if (!adapter) {
    return { ok: false, reason: 'the browser found no WebGPU adapter' };
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice();
  } catch (error) {
    return { ok: false, reason: `the WebGPU device request failed (${messageOf(error)})` };
  }
  // Validation errors not caught by an error scope would otherwise go to the console as
  // uncaptured errors; the unit executor scopes every run, so these are only a safety net.
  device.addEventListener('uncapturederror', (event) => event.preventDefault());
  const backend: WebGpuBackend = {
    kind: 'webgpu',
    device,
    runner: new GpuKernelRunner(device),
    adapter: describeAdapter(adapter.info),
    lost: device.lost,
    lostInfo: null,
  };
  void device.lost.then((info) => {
    backend.lostInfo = info;
  });
  return { ok: true, backend };
}

export async function chooseBackend(
  requested: RequestedBackend,
  gpu: GPU | undefined,
): Promise<BackendChoice> {
  if (requested === 'cpu') {
    return { backend: { kind: 'cpu' }, status: { kind: 'cpu', forced: true, reason: null } };
  }
  const acquired = await acquireWebGpu(gpu);
  if (acquired.ok) {
    const { adapter } = acquired.backend;
    return {
      backend: acquired.backend,
      status: {
        kind: 'webgpu',
        adapter: adapter.text,
        software: adapter.software,
        forced: requested === 'webgpu',
      },
    };
  }
  if (requested === 'webgpu') {
    throw new WebGpuUnavailableError(
      `WebGPU was requested (?backend=webgpu) but ${acquired.reason}.`,
    );
  }
  return {
    backend: { kind: 'cpu' },
    status: { kind: 'cpu', forced: false, reason: capitalised(acquired.reason) },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
