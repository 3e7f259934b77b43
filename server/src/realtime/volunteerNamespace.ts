// The /volunteer socket.io namespace: the protocol's edge. The handshake checks the protocol
// version; every event is rate-limited and parsed by its schema before the coordinator sees it;
// every reply is an ack `{ ok: true, ... } | { ok: false, error }` (unit:results: one reply per
// item inside an ok ack).
import type { Namespace, Server, Socket } from 'socket.io';
import type { z } from 'zod';
import {
  ERROR_CODES,
  MAX_RESULTS_PER_EVENT,
  PROTOCOL_VERSION,
  TesseraError,
  VOLUNTEER_NAMESPACE,
  handshakeAuthSchema,
  helloSchema,
  replicaRefSchema,
  toErrorBody,
  unitErrorSchema,
  waitCancelSchema,
  unitRequestSchema,
  unitResultSchema,
  unitResultsSchema,
  type Ack,
  type Backend,
  type ClientToServerEvents,
  type ResultItemReply,
  type ServerToClientEvents,
  type UnitResult,
} from '@tessera/shared';
import type { ConnectionIdentity, Coordinator } from '../coordinator';
import { toVolunteerSummary } from '../coordinator';
import { networkGroup } from '../scheduler/networkGroup';
import { HeldRequests } from './heldRequests';
import type { RemoteChanges } from './cluster/clusterRelay';
import type { OnlineTable } from './onlineVolunteers';
import { TokenBucket } from './rateLimiter';

/**
 * Events a connection may send per second on average, and in a burst. A well-behaved tab sends
 * two or three per unit. Monte Carlo leases are sized to seconds of work (L6), but a gradient
 * shard is what the researcher made it: small shards on a fast device take a few milliseconds
 * each, and such a tab asks and answers a couple of hundred times a second. Floods go far past.
 */
export const EVENTS_PER_SECOND = 400;
export const EVENT_BURST = 200;
/**
 * Events one public network group (an IPv4 address, an IPv6 /64) may send per second across all
 * its connections, and in a burst: many tabs behind one address share this. Loopback and private
 * addresses are exempt with the network-group rule (exemptPrivateNetworks), like a lab.
 */
export const EVENTS_PER_ADDRESS_PER_SECOND = 1_000;
export const ADDRESS_EVENT_BURST = 2_000;
/** Refused events after which a connection is dropped (each refused unit:results item counts). */
export const MAX_REFUSALS = 200;
/**
 * A unit:results event of k results costs 1 + ceil(k / RESULTS_PER_TOKEN) tokens from both
 * buckets: one for the event, whose fixed costs (a frame, a parse, a transaction) batching is
 * there to share, and one per 8 results for the per-item work that still scales with k. A full
 * batch of 64 costs 9, so a connection may return about 700 results a second, 7x what single
 * unit:result events allow: enough for any real tab, while a flood of batches still runs dry.
 */
export const RESULTS_PER_TOKEN = 8;

/** The token cost of a unit:results payload, read before it is parsed (so never trusted). */
export function resultsEventCost(payload: unknown): number {
  const results = (payload as { results?: unknown } | null)?.results;
  const k = Array.isArray(results) ? Math.min(results.length, MAX_RESULTS_PER_EVENT) : 0;
  return 1 + Math.ceil(k / RESULTS_PER_TOKEN);
}

interface SocketData {
  identity: ConnectionIdentity | null;
  backend: Backend;
  bucket: TokenBucket;
  refusals: number;
}

type VolunteerSocket = Socket<ClientToServerEvents, ServerToClientEvents, object, SocketData>;
type VolunteerNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, object, SocketData>;

export const volunteerRoom = (volunteerId: string) => `volunteer:${volunteerId}`;
/** [L10] Connections whose last unit:request found no work: the next 'work:available' wakes them. */
export const IDLE_ROOM = 'idle';

export function attachVolunteerNamespace(
  io: Server,
  coordinator: Coordinator,
  online: OnlineTable,
  log: (message: string) => void,
  remote: RemoteChanges | null = null,
): VolunteerNamespace {
  const nsp: VolunteerNamespace = io.of(VOLUNTEER_NAMESPACE);
  const held = new HeldRequests();

  nsp.use((socket, next) => {
    const auth = handshakeAuthSchema.safeParse(socket.handshake.auth);
    if (!auth.success || auth.data.protocolVersion !== PROTOCOL_VERSION) {
      const error = new Error(
        `protocol version mismatch: this coordinator speaks version ${PROTOCOL_VERSION}; reload the page`,
      ) as Error & { data: unknown };
      error.data = { code: ERROR_CODES.protocolMismatch, serverVersion: PROTOCOL_VERSION };
      next(error);
      return;
    }
    next();
  });

  // One bucket per public network group, dropped when its last connection goes.
  const addressBuckets = new Map<string, { bucket: TokenBucket; connections: number }>();
  const bucketForAddress = (group: string): TokenBucket => {
    let entry = addressBuckets.get(group);
    if (!entry) {
      entry = {
        bucket: new TokenBucket(
          coordinator.clock,
          ADDRESS_EVENT_BURST,
          EVENTS_PER_ADDRESS_PER_SECOND,
        ),
        connections: 0,
      };
      addressBuckets.set(group, entry);
    }
    entry.connections += 1;
    return entry.bucket;
  };
  const releaseAddress = (group: string | null): void => {
    const entry = group === null ? undefined : addressBuckets.get(group);
    if (entry && --entry.connections <= 0) addressBuckets.delete(group!);
  };

  nsp.on('connection', (socket: VolunteerSocket) => {
    socket.data.identity = null;
    socket.data.backend = 'cpu';
    socket.data.bucket = new TokenBucket(coordinator.clock, EVENT_BURST, EVENTS_PER_SECOND);
    socket.data.refusals = 0;
    const address = socket.handshake.address;
    const netGroup = networkGroup(address, coordinator.options.exemptPrivateNetworks);
    const addressBucket = netGroup === null ? null : bucketForAddress(netGroup);

    /** Counts refusals (refused events, refused items of a batch); past the limit, drops. */
    function refuse(code: string, count = 1): void {
      coordinator.counters.inc('tessera_events_refused_total', { code }, count);
      socket.data.refusals += count;
    }

    /**
     * Wraps a handler: rate limit (`cost` tokens, default 1), schema, identity, ack. A bad event
     * never throws past here.
     */
    function on<S extends z.ZodType, T extends object>(
      event: keyof ClientToServerEvents,
      schema: S,
      needsIdentity: boolean,
      handler: (payload: z.infer<S>, identity: ConnectionIdentity | null) => Promise<T>,
      cost: (payload: unknown) => number = () => 1,
    ): void {
      socket.on(event, async (payload: unknown, ack: unknown) => {
        const reply = typeof ack === 'function' ? (ack as (r: Ack<T>) => void) : () => undefined;
        try {
          const tokens = cost(payload);
          if (!socket.data.bucket.take(tokens) || (addressBucket && !addressBucket.take(tokens))) {
            throw new TesseraError(ERROR_CODES.rateLimited, 'too many events: slow down');
          }
          const parsed = schema.safeParse(payload);
          if (!parsed.success) {
            throw new TesseraError(
              ERROR_CODES.badRequest,
              `malformed ${event}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
            );
          }
          if (needsIdentity && !socket.data.identity) {
            throw new TesseraError(ERROR_CODES.notIdentified, 'say hello first');
          }
          reply({ ok: true, ...(await handler(parsed.data, socket.data.identity)) });
        } catch (error) {
          const body = toErrorBody(error);
          if (!(error instanceof TesseraError)) {
            log(`volunteer event ${event} failed: ${(error as Error)?.stack ?? String(error)}`);
          }
          refuse(body.code);
          reply({ ok: false, error: body });
        }
        if (socket.data.refusals > MAX_REFUSALS) socket.disconnect(true);
      });
    }

    on('hello', helloSchema, false, async (hello) => {
      const { volunteer, secret } = await coordinator.identify(
        hello.credentials,
        hello.displayName,
      );
      if (socket.data.identity && socket.data.identity.volunteerId !== volunteer.id) {
        throw new TesseraError(
          ERROR_CODES.conflict,
          'this connection already said hello as another volunteer',
        );
      }
      socket.data.identity = {
        volunteerId: volunteer.id,
        connectionId: socket.id,
        netGroup,
        backend: hello.device.backend,
      };
      socket.data.backend = hello.device.backend;
      online.add(socket.id, volunteer.id, hello.device.backend);
      await socket.join(volunteerRoom(volunteer.id));
      return {
        volunteer: toVolunteerSummary(volunteer),
        ...(secret !== undefined ? { secret } : {}),
        limits: { maxLeasesPerConnection: coordinator.options.maxLeasesPerConnection },
      };
    });

    on('unit:request', unitRequestSchema, true, async (payload, identity) => {
      const maxUnits = payload.maxUnits ?? 1;
      const until = Date.now() + (payload.waitMs ?? 0);
      let epoch = held.epoch;
      let leases = await coordinator.leaseBatch(identity!, maxUnits);
      // [L13] Held until work appears (each lane of a tab may hold one request), then asked again.
      while (
        leases.length === 0 &&
        Date.now() < until &&
        socket.connected &&
        held.heldBy(socket.id) < coordinator.options.maxLeasesPerConnection
      ) {
        const end = await held.wait(socket.id, until - Date.now(), epoch);
        if (end !== 'woken' || !socket.connected) break;
        epoch = held.epoch;
        leases = await coordinator.leaseBatch(identity!, maxUnits);
      }
      if (!socket.connected) {
        // Closed while leasing: its release may have run before these leases were written.
        if (leases.length > 0) await coordinator.releaseConnection(socket.id);
        return { lease: null, leases: [], retryAfterMs: coordinator.options.retryAfterMs };
      }
      // Joined before the reply goes out, so a wake-up can never fall between the two.
      if (leases.length === 0) await socket.join(IDLE_ROOM);
      else await socket.leave(IDLE_ROOM);
      const attachments = await coordinator.attachmentsFor(socket.id, leases);
      return {
        lease: leases[0] ?? null,
        leases,
        ...(attachments.length > 0 ? { attachments } : {}),
        retryAfterMs: coordinator.options.retryAfterMs,
      };
    });

    on('unit:renew', replicaRefSchema, true, async ({ replicaId }, identity) => ({
      deadline: await coordinator.renew(identity!.volunteerId, replicaId),
    }));

    on('unit:result', unitResultSchema, true, async (payload, identity) =>
      coordinator.submitResult(
        identity!.volunteerId,
        payload.replicaId,
        payload.result,
        payload.elapsedMs,
        identity!.connectionId,
      ),
    );

    // One event, one ack, a reply per item in item order. A malformed item is refused alone
    // (BAD_REQUEST in its slot), the rest go to the coordinator together; each refused item
    // counts as a refused event would, so a batch hides nothing from the refusal limit.
    on(
      'unit:results',
      unitResultsSchema,
      true,
      async ({ results }, identity) => {
        const replies: ResultItemReply[] = [];
        const items: UnitResult[] = [];
        const slots: number[] = [];
        results.forEach((raw, index) => {
          const parsed = unitResultSchema.safeParse(raw);
          if (parsed.success) {
            items.push(parsed.data);
            slots.push(index);
            return;
          }
          replies[index] = {
            ok: false,
            error: {
              code: ERROR_CODES.badRequest,
              message: `malformed unit:results item ${index}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
            },
          };
        });
        const answers = items.length > 0 ? await coordinator.submitResults(identity!, items) : [];
        answers.forEach((answer, i) => (replies[slots[i]!] = answer));
        for (const r of replies) if (!r.ok) refuse(r.error.code);
        return { replies };
      },
      resultsEventCost,
    );

    // [L13] A tab that pauses ends its held requests: they answer empty now, not with units later.
    on('unit:wait-cancel', waitCancelSchema, true, async () => ({
      cancelled: held.cancel(socket.id),
    }));

    on('unit:error', unitErrorSchema, true, async (payload, identity) => {
      await coordinator.reportError(
        identity!.volunteerId,
        payload.replicaId,
        `${payload.error.name}: ${payload.error.message}`,
      );
      return {};
    });

    socket.on('disconnect', () => {
      held.drop(socket.id);
      releaseAddress(netGroup);
      online.remove(socket.id);
      coordinator.releaseConnection(socket.id).catch((error: unknown) => {
        log(`releasing leases of ${socket.id} failed: ${String(error)}`);
      });
    });
  });

  // Credit pushes are coalesced per event-loop tick: a batch of results credits the same few
  // volunteers many times, and each push reads the volunteer's record once.
  const creditDue = new Set<string>();
  coordinator.on('credited', (volunteerIds) => {
    const idle = creditDue.size === 0;
    for (const id of volunteerIds) creditDue.add(id);
    if (!idle) return;
    setImmediate(() => {
      const ids = [...creditDue];
      creditDue.clear();
      for (const id of ids) {
        coordinator.reads
          .volunteerSummary(id)
          .then((summary) => {
            if (summary) nsp.to(volunteerRoom(id)).emit('credit', summary);
          })
          .catch((error: unknown) => log(`credit push failed: ${String(error)}`));
      }
    });
  });
  coordinator.on('workloadEnded', (workloadId) => {
    nsp.emit('workload:ended', { workloadId });
  });
  // [L10] One wake-up per tick however many units appeared in it; the woken leave the room and
  // join it again if they still find nothing, so each wake-up reaches a tab at most once.
  // Both steps are `local`, so they happen together in this tick. In a cluster each node wakes
  // its own idle tabs: for work that appeared here, and when another node's notice says some
  // appeared there (`remote`). Through the Redis adapter instead, the emit and the leave would
  // reach other nodes as two stream entries, and a tab could be woken, ask, find nothing, rejoin
  // the room and then be taken out by the late leave, missing the next wake-up. A tab woken by
  // two nodes at once asks twice; an extra ask is harmless (the client counts wake-ups).
  let wakePending = false;
  const wakeIdleTabs = () => {
    // Held requests look again at once (their replies carry the units: no push needed).
    held.wake();
    if (wakePending) return;
    wakePending = true;
    setImmediate(() => {
      wakePending = false;
      nsp.local.to(IDLE_ROOM).emit('work:available');
      nsp.local.in(IDLE_ROOM).socketsLeave(IDLE_ROOM);
    });
  };
  coordinator.on('workAvailable', wakeIdleTabs);
  remote?.on('workAvailable', wakeIdleTabs);
  remote?.on('resync', wakeIdleTabs);

  return nsp;
}
