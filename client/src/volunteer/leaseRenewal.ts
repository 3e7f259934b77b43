// Keeps a replica's lease alive while its unit computes: renewal at half the lease duration
// (BullMQ's rule), so one missed renewal still leaves time for the next before the deadline.
import type { Lease } from '@tessera/shared/protocol/volunteerProtocol';
import type { CoordinatorConnection } from './coordinatorConnection';
import { CoordinatorRefusedError } from './volunteerErrors';

/** A floor so a misconfigured tiny lease cannot turn renewal into a flood. */
export const MIN_RENEW_INTERVAL_MS = 1_000;

/**
 * Starts renewing; returns the function that stops it. `lost` is called when the coordinator
 * refuses a renewal (the lease expired or went to someone else): the unit is then worthless.
 * A renewal that merely times out is not a loss: the deadline, not the network, decides.
 */
export function keepLeaseAlive(
  connection: Pick<CoordinatorConnection, 'request'>,
  lease: Pick<Lease, 'replicaId' | 'leaseDurationMs'>,
  lost: (error: CoordinatorRefusedError) => void,
): () => void {
  const interval = Math.max(MIN_RENEW_INTERVAL_MS, Math.floor(lease.leaseDurationMs / 2));
  const timer = setInterval(() => {
    connection.request('unit:renew', { replicaId: lease.replicaId }).catch((error: unknown) => {
      if (error instanceof CoordinatorRefusedError) lost(error);
    });
  }, interval);
  return () => clearInterval(timer);
}
