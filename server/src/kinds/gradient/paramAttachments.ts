// [L14] Parameters sent with leases. The reply that leases a tab its first unit of a round carries
// that round's parameter bytes (from ParamVersions' memory: the closing process holds them before
// any tab asks), so the tab computes at once instead of asking for them over HTTP: one round trip
// per round per tab less, which on a real network is most of a short round's overhead. What was
// sent is remembered per connection for the versions a tab keeps (VOLUNTEER_PARAMS_CACHE_VERSIONS)
// and not sent again; a version no longer held, or a model too large to ride on one socket
// message, is left to the tab's fetch of the task's paramsUrl, which serves the same bytes.
import type { LeaseAttachment } from '@tessera/shared';
import { VOLUNTEER_PARAMS_CACHE_VERSIONS } from '@tessera/shared/kinds/gradient/dataPartitions';
import type { GradientTask } from '@tessera/shared/kinds/gradient/gradientSpec';

/** Parameters larger than this are fetched by URL, never sent with a lease. */
export const MAX_ATTACHED_PARAMS_BYTES = 4 * 1024 * 1024;

export class ParamAttachments {
  /** Per connection, the parameter URLs it was sent, oldest first. */
  private readonly sent = new Map<string, string[]>();

  constructor(
    /** A version's bytes; throws when the version is not held any more. */
    private readonly bytesOf: (workloadId: string, version: number) => Promise<Uint8Array>,
  ) {}

  /** The task's parameters for the connection's lease reply, or null when it has them or may not. */
  async attach(
    connectionId: string,
    workloadId: string,
    task: Pick<GradientTask, 'paramsUrl' | 'version' | 'parameterCount'>,
  ): Promise<LeaseAttachment | null> {
    if (this.wasSent(connectionId, task.paramsUrl)) return null;
    if (task.parameterCount * Float32Array.BYTES_PER_ELEMENT > MAX_ATTACHED_PARAMS_BYTES) {
      return null;
    }
    let bytes: Uint8Array;
    try {
      bytes = await this.bytesOf(workloadId, task.version);
    } catch {
      // The round moved on: the tab's fetch is told so (404) and hands the unit back.
      return null;
    }
    // Another lane's reply on this connection may have taken it meanwhile.
    if (this.wasSent(connectionId, task.paramsUrl)) return null;
    const urls = this.sent.get(connectionId) ?? [];
    urls.push(task.paramsUrl);
    while (urls.length > VOLUNTEER_PARAMS_CACHE_VERSIONS) urls.shift();
    this.sent.set(connectionId, urls);
    // A view of the cached bytes: socket.io sends it as a binary attachment, copied on write.
    return { url: task.paramsUrl, bytes: bytes as unknown as ArrayBuffer };
  }

  private wasSent(connectionId: string, url: string): boolean {
    return this.sent.get(connectionId)?.includes(url) ?? false;
  }

  forget(connectionId: string): void {
    this.sent.delete(connectionId);
  }
}
