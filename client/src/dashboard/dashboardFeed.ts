// The browser's side of the /dashboard namespace, apart from React: one socket.io connection
// (reconnecting with backoff), every snapshot and detail parsed by the protocol's schemas, the
// incremental points merged into full histories, and listeners told of each new state. Any
// page can follow one workload's detail with follow(id).
import { io, type Socket } from 'socket.io-client';
import {
  DASHBOARD_NAMESPACE,
  DASHBOARD_PROTOCOL_VERSION,
  dashboardSnapshotSchema,
  workloadDetailSchema,
  type DashboardClientToServerEvents,
  type DashboardServerToClientEvents,
  type DashboardSnapshot,
  type SeriesMap,
  type StepPoint,
  type ThroughputPoint,
  type WorkloadDetail,
} from '@tessera/shared/protocol/dashboardProtocol';
import { mergePoints, mergeSteps } from './mergeSeries';

/** Throughput points a page keeps (the server keeps fewer; this bounds a long-open page). */
export const THROUGHPUT_POINTS_KEPT = 900;
/** Points per workload series a page keeps before halving their resolution. */
export const SERIES_POINTS_KEPT = 1_000;
/** Steps of a training curve a page keeps before thinning it (a chart is a few hundred pixels). */
export const STEP_POINTS_KEPT = 4_000;
export const SUBSCRIBE_TIMEOUT_MS = 10_000;
export const RECONNECT_DELAY_MS = 1_000;
export const RECONNECT_DELAY_MAX_MS = 15_000;

export type FeedConnection = 'connecting' | 'live' | 'reconnecting' | 'incompatible';

export interface FollowedWorkload {
  workloadId: string;
  series: SeriesMap;
  /** A gradient workload's training curve by step; empty for other kinds. */
  steps: StepPoint[];
  result: Record<string, unknown> | null;
  /** Why the workload cannot be followed (unknown id), or null. */
  error: string | null;
}

export interface FeedState {
  connection: FeedConnection;
  snapshot: DashboardSnapshot | null;
  throughput: ThroughputPoint[];
  followed: FollowedWorkload | null;
  /** A problem worth showing (an unreadable message, a refused connection), or null. */
  problem: string | null;
}

export const INITIAL_FEED_STATE: FeedState = {
  connection: 'connecting',
  snapshot: null,
  throughput: [],
  followed: null,
  problem: null,
};

type FeedSocket = Socket<DashboardServerToClientEvents, DashboardClientToServerEvents>;

export class DashboardFeed {
  private state: FeedState = INITIAL_FEED_STATE;
  private readonly listeners = new Set<(state: FeedState) => void>();
  private readonly socket: FeedSocket;
  private following: string | null = null;
  private closed = false;

  constructor(baseUrl = '') {
    this.socket = io(`${baseUrl}${DASHBOARD_NAMESPACE}`, {
      auth: { dashboardVersion: DASHBOARD_PROTOCOL_VERSION },
      // WebSocket only (as the volunteer's connection): one TCP connection that stays on one
      // coordinator process, so a cluster behind any load balancer needs no sticky sessions.
      transports: ['websocket'],
      reconnectionDelay: RECONNECT_DELAY_MS,
      reconnectionDelayMax: RECONNECT_DELAY_MAX_MS,
      randomizationFactor: 0.5,
    });
    this.socket.on('connect', () => {
      this.set({ connection: 'live', problem: null });
      if (this.following !== null) void this.requestDetail(this.following);
    });
    this.socket.on('disconnect', (reason) => {
      this.set({ connection: 'reconnecting' });
      // socket.io does not retry a disconnect the server asked for; a restarted coordinator
      // may still want us, so try again after the longest backoff.
      if (reason === 'io server disconnect') {
        setTimeout(() => {
          if (!this.closed) this.socket.connect();
        }, RECONNECT_DELAY_MAX_MS);
      }
    });
    this.socket.on('connect_error', (error: Error & { data?: { code?: string } }) => {
      if (error.data?.code === 'PROTOCOL_MISMATCH') {
        this.socket.disconnect();
        this.set({ connection: 'incompatible', problem: error.message });
        return;
      }
      this.set({ connection: 'reconnecting' });
    });
    this.socket.on('snapshot', (raw: unknown) => this.onSnapshot(raw));
    this.socket.on('workload:detail', (raw: unknown) => this.onDetail(raw));
  }

  getState(): FeedState {
    return this.state;
  }

  listen(listener: (state: FeedState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Follows one workload's series and result (null: none). Survives reconnections. */
  follow(workloadId: string | null): void {
    if (workloadId === this.following) return;
    this.following = workloadId;
    this.set({
      followed:
        workloadId === null
          ? null
          : { workloadId, series: {}, steps: [], result: null, error: null },
    });
    if (this.socket.connected) void this.requestDetail(workloadId);
  }

  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.socket.close();
  }

  private async requestDetail(workloadId: string | null): Promise<void> {
    try {
      const reply = await this.socket
        .timeout(SUBSCRIBE_TIMEOUT_MS)
        .emitWithAck('subscribe', { workloadId });
      if (workloadId !== this.following || workloadId === null) return;
      if (!reply.ok) {
        this.setFollowed({ error: reply.error.message });
        return;
      }
      const detail = reply.detail ? workloadDetailSchema.safeParse(reply.detail) : null;
      if (!detail?.success) {
        this.setFollowed({ error: 'the coordinator sent a workload detail this page cannot read' });
        return;
      }
      this.mergeDetail(detail.data);
    } catch {
      // No answer in time: the next reconnection asks again.
    }
  }

  private onSnapshot(raw: unknown): void {
    const parsed = dashboardSnapshotSchema.safeParse(raw);
    if (!parsed.success) {
      this.set({
        problem: 'The coordinator sent an update this page cannot read: reload the page.',
      });
      return;
    }
    const snapshot = parsed.data;
    const throughput = snapshot.full
      ? snapshot.throughput.points.slice(-THROUGHPUT_POINTS_KEPT)
      : mergePoints(
          this.state.throughput,
          snapshot.throughput.points,
          THROUGHPUT_POINTS_KEPT,
          'window',
        );
    this.set({ snapshot, throughput });
  }

  private onDetail(raw: unknown): void {
    const parsed = workloadDetailSchema.safeParse(raw);
    if (parsed.success && parsed.data.workloadId === this.following) this.mergeDetail(parsed.data);
  }

  private mergeDetail(detail: WorkloadDetail): void {
    const held = this.state.followed;
    const base: SeriesMap = detail.full || !held ? {} : held.series;
    const series: SeriesMap = { ...base };
    for (const [name, points] of Object.entries(detail.series)) {
      series[name] = mergePoints(series[name] ?? [], points, SERIES_POINTS_KEPT, 'halve');
    }
    const steps = mergeSteps(
      detail.full || !held ? [] : held.steps,
      detail.steps,
      STEP_POINTS_KEPT,
    );
    // In a delta a null result means "unchanged"; in a full detail, "none yet".
    const result = detail.result ?? (detail.full ? null : (held?.result ?? null));
    this.set({ followed: { workloadId: detail.workloadId, series, steps, result, error: null } });
  }

  private setFollowed(change: Partial<FollowedWorkload>): void {
    const held = this.state.followed;
    if (held) this.set({ followed: { ...held, ...change } });
  }

  private set(change: Partial<FeedState>): void {
    this.state = { ...this.state, ...change };
    for (const listener of this.listeners) listener(this.state);
  }
}
