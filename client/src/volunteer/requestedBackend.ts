// Which backend the volunteer asked for, read from the page URL: ?backend=cpu forces the CPU
// fallback, ?backend=webgpu forces WebGPU (and fails loudly where it is impossible), anything
// else lets the worker choose.
import type { RequestedBackend } from './workerMessages';

export function requestedBackendFrom(search: string): RequestedBackend {
  const value = new URLSearchParams(search).get('backend')?.trim().toLowerCase();
  if (value === 'cpu' || value === 'webgpu') return value;
  return 'auto';
}
