// The /dashboard socket.io namespace: public and read-only. A watcher receives the latest
// snapshot with the whole history on connect, then throttled snapshots (DashboardPublisher).
// The only event it may send is `subscribe` (one workload's series and result), rate-limited
// and parsed by its schema; anything else is refused, and a connection that keeps sending
// refused events is dropped.
import type { Namespace, Server, Socket } from 'socket.io';
import {
  DASHBOARD_NAMESPACE,
  DASHBOARD_PROTOCOL_VERSION,
  ERROR_CODES,
  TesseraError,
  dashboardHandshakeSchema,
  dashboardSubscribeSchema,
  toErrorBody,
  type Ack,
  type DashboardClientToServerEvents,
  type DashboardServerToClientEvents,
  type DashboardSubscribeReply,
} from '@tessera/shared';
import type { Coordinator } from '../coordinator';
import { DashboardPublisher } from './dashboard/dashboardPublisher';
import type { DashboardOptions } from './dashboard/dashboardOptions';
import type { Timers } from './dashboard/timers';
import type { RemoteChanges } from './cluster/clusterRelay';
import type { OnlineView } from './onlineVolunteers';
import { TokenBucket } from './rateLimiter';

/** A watcher switches workloads now and then; only a misbehaving client comes near these. */
export const DASHBOARD_EVENTS_PER_SECOND = 5;
export const DASHBOARD_EVENT_BURST = 20;
/** Refused events after which a watcher is dropped. */
export const DASHBOARD_MAX_REFUSALS = 50;

interface SocketData {
  bucket: TokenBucket;
  refusals: number;
  following: string | null;
}

type DashboardSocket = Socket<
  DashboardClientToServerEvents,
  DashboardServerToClientEvents,
  object,
  SocketData
>;
type DashboardNsp = Namespace<
  DashboardClientToServerEvents,
  DashboardServerToClientEvents,
  object,
  SocketData
>;

export const workloadRoom = (workloadId: string) => `workload:${workloadId}`;

export interface DashboardHandle {
  namespace: DashboardNsp;
  publisher: DashboardPublisher;
  close(): void;
}

export function attachDashboardNamespace(
  io: Server,
  coordinator: Coordinator,
  online: OnlineView,
  options: DashboardOptions,
  timers: Timers,
  log: (message: string) => void,
  remote: RemoteChanges | null = null,
): DashboardHandle {
  const nsp: DashboardNsp = io.of(DASHBOARD_NAMESPACE);
  // Every node of a cluster runs its own publisher for its own watchers (`local`: with the
  // Redis adapter a plain emit would reach every node's watchers, who would get one copy per
  // node). Its figures are cluster-wide all the same: workloads, throughput and the leaderboard
  // come from the shared store, volunteers from the cluster online view, and the other nodes'
  // changes arrive as `remote` notices. So each tab gets one stream, from the node it is
  // connected to; a tab that reconnects elsewhere starts over with that node's full snapshot.
  // This needs no leader to elect and keeps working on each node while Redis is away.
  const publisher = new DashboardPublisher(
    coordinator,
    online,
    options,
    {
      watchers: () => nsp.sockets.size,
      broadcast: (snapshot) => nsp.local.emit('snapshot', snapshot),
      hasDetailWatchers: (id) => (nsp.adapter.rooms.get(workloadRoom(id))?.size ?? 0) > 0,
      sendDetail: (detail) =>
        nsp.local.to(workloadRoom(detail.workloadId)).emit('workload:detail', detail),
    },
    timers,
    log,
  );
  const onRemoteWorkload = (id: string) => publisher.noteWorkload(id);
  const onRemoteCredited = () => publisher.noteCredited();
  const onResync = () => publisher.resync();
  remote?.on('workload', onRemoteWorkload);
  remote?.on('credited', onRemoteCredited);
  remote?.on('resync', onResync);

  nsp.use((socket, next) => {
    const auth = dashboardHandshakeSchema.safeParse(socket.handshake.auth);
    if (!auth.success || auth.data.dashboardVersion !== DASHBOARD_PROTOCOL_VERSION) {
      const error = new Error(
        `dashboard protocol mismatch: this coordinator speaks version ${DASHBOARD_PROTOCOL_VERSION}; reload the page`,
      ) as Error & { data: unknown };
      error.data = {
        code: ERROR_CODES.protocolMismatch,
        serverVersion: DASHBOARD_PROTOCOL_VERSION,
      };
      next(error);
      return;
    }
    next();
  });

  nsp.on('connection', (socket: DashboardSocket) => {
    socket.data.bucket = new TokenBucket(
      coordinator.clock,
      DASHBOARD_EVENT_BURST,
      DASHBOARD_EVENTS_PER_SECOND,
    );
    socket.data.refusals = 0;
    socket.data.following = null;

    const refuse = (ack: unknown, error: unknown) => {
      const body = toErrorBody(error);
      if (!(error instanceof TesseraError)) {
        log(`dashboard event failed: ${(error as Error)?.stack ?? String(error)}`);
      }
      coordinator.counters.inc('tessera_events_refused_total', { code: body.code });
      if (typeof ack === 'function')
        (ack as (reply: Ack<never>) => void)({ ok: false, error: body });
      socket.data.refusals += 1;
      if (socket.data.refusals > DASHBOARD_MAX_REFUSALS) socket.disconnect(true);
    };

    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (event === 'subscribe') return;
      refuse(
        args.at(-1),
        new TesseraError(
          ERROR_CODES.badRequest,
          'the dashboard is read-only: the only event it accepts is subscribe',
        ),
      );
    });

    socket.on('subscribe', async (payload: unknown, ack: unknown) => {
      try {
        if (!socket.data.bucket.take()) {
          throw new TesseraError(ERROR_CODES.rateLimited, 'too many events: slow down');
        }
        const parsed = dashboardSubscribeSchema.safeParse(payload);
        if (!parsed.success) {
          throw new TesseraError(
            ERROR_CODES.badRequest,
            `malformed subscribe: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
          );
        }
        const { workloadId } = parsed.data;
        const detail = workloadId === null ? null : await publisher.detailFor(workloadId);
        if (workloadId !== null && !detail) {
          throw new TesseraError(ERROR_CODES.notFound, `no workload with id ${workloadId}`);
        }
        if (socket.data.following !== null) await socket.leave(workloadRoom(socket.data.following));
        socket.data.following = workloadId;
        if (workloadId !== null) await socket.join(workloadRoom(workloadId));
        const reply: Ack<DashboardSubscribeReply> = { ok: true, detail };
        if (typeof ack === 'function') (ack as (r: typeof reply) => void)(reply);
      } catch (error) {
        refuse(ack, error);
      }
    });

    const first = publisher.fullSnapshot();
    if (first) socket.emit('snapshot', first);
  });

  publisher.start();
  return {
    namespace: nsp,
    publisher,
    close: () => {
      remote?.off('workload', onRemoteWorkload);
      remote?.off('credited', onRemoteCredited);
      remote?.off('resync', onResync);
      publisher.close();
    },
  };
}
