// The flood behavior's burst (behavior 'flood'): after each unit it returned, a simulated
// volunteer sends a burst of hostile events at once; each must be refused and none may change
// anything. The burst is drawn from the volunteer's own seeded stream.
import type { Ack, ClientToServerEvents, Lease } from '@tessera/shared';
import type { VolunteerConnection } from './volunteerConnection';

/** A result this volunteer returned before, kept to be replayed later. */
export interface ReturnedResult {
  replicaId: number;
  result: unknown;
}

/**
 * One burst of `burst` hostile events for the unit just returned: a result for a replica that is
 * not this volunteer's (NOT_LEASED), the same result again (NOT_LEASED), an old result replayed,
 * malformed payloads (BAD_REQUEST), renewals and error reports for others' replicas. Tallies each
 * answer by code in `tab.tally.floodAnswers`.
 */
export async function floodBurst(
  tab: VolunteerConnection,
  lease: Lease,
  result: unknown,
  history: readonly ReturnedResult[],
  random: () => number,
  burst: number,
): Promise<void> {
  const foreignId = () => Math.max(1, lease.replicaId + Math.floor((random() - 0.5) * 400));
  const sends: Array<Promise<Ack<unknown>>> = [];
  for (let i = 0; i < burst; i++) {
    const old = history[Math.floor(random() * history.length)];
    const hostile: Array<[keyof ClientToServerEvents, unknown]> = [
      ['unit:result', { replicaId: lease.replicaId, result, elapsedMs: 1 }],
      [
        'unit:result',
        { replicaId: old?.replicaId ?? 1, result: old?.result ?? result, elapsedMs: 1 },
      ],
      ['unit:result', { replicaId: foreignId(), result, elapsedMs: 1 }],
      ['unit:result', { replicaId: String(lease.replicaId), result, junk: true }],
      ['unit:renew', { replicaId: foreignId() }],
      ['unit:error', { replicaId: foreignId(), error: { name: 'E', message: 'forged' } }],
      ['hello', { device: { backend: 'quantum' } }],
    ];
    const [event, payload] = hostile[Math.floor(random() * hostile.length)]!;
    sends.push(tab.call(event, payload));
  }
  for (const reply of await Promise.all(sends)) {
    tab.tally.flooded += 1;
    // call() reads a closed connection as a client-side INTERNAL; the coordinator's own
    // INTERNAL says 'internal error'. Tell them apart: the first is the coordinator dropping us.
    const code = reply.ok
      ? 'OK'
      : reply.error.code === 'INTERNAL' && reply.error.message !== 'internal error'
        ? 'DISCONNECTED'
        : reply.error.code;
    tab.tally.floodAnswers[code] = (tab.tally.floodAnswers[code] ?? 0) + 1;
  }
}
