// What the coordinator is told about this tab's device in hello: enough for capability routing
// and the dashboard, in the protocol's limits, and nothing that identifies the volunteer.
import type { DeviceInfo } from '@tessera/shared/protocol/volunteerProtocol';
import type { BackendStatus } from './workerMessages';

const MAX_USER_AGENT = 400;
const MAX_CORES = 1024;

export function deviceInfoFor(
  backend: BackendStatus,
  host: { hardwareConcurrency?: number; userAgent?: string },
): DeviceInfo {
  const info: DeviceInfo = { backend: backend.kind };
  if (backend.kind === 'webgpu') {
    info.adapter = backend.adapter;
    info.software = backend.software;
  }
  const cores = host.hardwareConcurrency;
  if (cores !== undefined && Number.isInteger(cores) && cores >= 1) {
    info.cores = Math.min(cores, MAX_CORES);
  }
  if (host.userAgent) info.userAgent = host.userAgent.slice(0, MAX_USER_AGENT);
  return info;
}
