// Builds the public dashboard's snapshots and decides when they go out. Coordinator events
// ('workload', 'credited') only mark what changed; a CoalescingThrottle turns any burst of them
// into at most `maxSnapshotsPerSecond` builds, and a heartbeat every `sampleIntervalMs` records
// a throughput point and sends a snapshot even when nothing changed, so charts keep moving.
// Each build reads the store a bounded number of times (platform counts, the changed
// workloads, the leaderboard when credit moved), whatever the number of watchers.
import {
  DASHBOARD_PROTOCOL_VERSION,
  FINAL_STATUSES,
  type DashboardSnapshot,
  type LeaderboardEntry,
  type ThroughputPoint,
  type ValidationFigures,
  type WorkloadDetail,
} from '@tessera/shared';
import type { Coordinator } from '../../coordinator';
import type { PlatformCounts } from '../../engine/repository';
import type { VolunteerStanding } from '../../engine/reads';
import type { WorkloadRecord } from '../../engine/views';
import type { OnlineView } from '../onlineVolunteers';
import { BoundedSeries } from './boundedSeries';
import { CoalescingThrottle } from './coalescingThrottle';
import type { DashboardOptions } from './dashboardOptions';
import type { Timers } from './timers';
import { WorkloadTrack } from './workloadTrack';

/** Where snapshots go: the socket.io namespace in production, a recorder in tests. */
export interface DashboardSink {
  /** Connected watchers; with none, builds only keep the history going. */
  watchers(): number;
  broadcast(snapshot: DashboardSnapshot): void;
  hasDetailWatchers(workloadId: string): boolean;
  sendDetail(detail: WorkloadDetail): void;
}

/** Characters of the volunteer id shown on the leaderboard: enough to tell two apart, no more. */
export const HANDLE_LENGTH = 6;

export function toLeaderboard(standings: VolunteerStanding[]): LeaderboardEntry[] {
  return standings.map((s, i) => ({
    rank: i + 1,
    displayName: s.displayName,
    handle: s.volunteerId.slice(0, HANDLE_LENGTH),
    credit: s.credit,
    unitsValidated: s.unitsValidated,
  }));
}

export function validationFigures(counts: PlatformCounts, refused: number): ValidationFigures {
  const r = counts.replicasByState;
  return {
    agreed: r.valid,
    disagreed: r.invalid,
    pending: r.returned,
    inFlight: r.in_flight,
    timedOut: r.timed_out,
    errored: r.errored,
    refused,
  };
}

/** Active first (running, then queued; oldest first, as they are leased), then the latest ended. */
function listingOrder(a: WorkloadRecord, b: WorkloadRecord): number {
  const rank = (w: WorkloadRecord) => (w.status === 'running' ? 0 : w.status === 'queued' ? 1 : 2);
  const byRank = rank(a) - rank(b);
  if (byRank !== 0) return byRank;
  if (rank(a) === 2) return (b.completedAt ?? b.updatedAt) - (a.completedAt ?? a.updatedAt);
  return a.createdAt - b.createdAt;
}

export class DashboardPublisher {
  private readonly tracks = new Map<string, WorkloadTrack>();
  /** Each tracked workload's latest public result, read before its track updates. */
  private readonly results = new Map<string, Record<string, unknown> | null>();
  private readonly dirty = new Set<string>();
  private readonly unreadable = new Set<string>();
  private loaded = false;
  private leaderboardDirty = true;
  private leaderboard: LeaderboardEntry[] = [];
  private readonly throughput: BoundedSeries<ThroughputPoint>;
  private throughputMark = 0;
  private sampleDue = true;
  private latest: DashboardSnapshot | null = null;
  private seq = 0;
  private heartbeat: unknown = null;
  private closed = false;
  private readonly throttle: CoalescingThrottle;

  constructor(
    private readonly coordinator: Coordinator,
    private readonly online: OnlineView,
    private readonly options: DashboardOptions,
    private readonly sink: DashboardSink,
    private readonly timers: Timers,
    private readonly log: (message: string) => void,
  ) {
    this.throughput = new BoundedSeries<ThroughputPoint>(options.throughputPoints, 'window');
    this.throttle = new CoalescingThrottle(
      () => this.build(),
      1000 / options.maxSnapshotsPerSecond,
      timers,
      (error) => {
        if (!this.closed) this.log(`dashboard snapshot failed: ${String(error)}`);
      },
    );
  }

  start(): void {
    this.coordinator.on('workload', this.onWorkload);
    this.coordinator.on('credited', this.onCredited);
    this.throttle.request();
    this.scheduleHeartbeat();
  }

  close(): void {
    this.closed = true;
    this.coordinator.off('workload', this.onWorkload);
    this.coordinator.off('credited', this.onCredited);
    if (this.heartbeat !== null) this.timers.clearTimeout(this.heartbeat);
    this.heartbeat = null;
    this.throttle.close();
  }

  /** What a new watcher receives first: the latest snapshot with the whole throughput history. */
  fullSnapshot(): DashboardSnapshot | null {
    if (!this.latest) return null;
    return {
      ...this.latest,
      full: true,
      throughput: { ...this.latest.throughput, points: this.throughput.all() },
    };
  }

  /** A workload's whole series and current result, or null when there is no such workload. */
  async detailFor(workloadId: string): Promise<WorkloadDetail | null> {
    let track = this.tracks.get(workloadId);
    if (!track) {
      const record = await this.coordinator.reads.workload(workloadId);
      if (!record) return null;
      track = await this.track(record, this.coordinator.clock.now());
    }
    return track.fullDetail();
  }

  /** A workload changed (here, or on another node of a cluster). */
  noteWorkload(workloadId: string): void {
    this.dirty.add(workloadId);
    if (this.sink.watchers() > 0) this.throttle.request();
  }

  /** Someone's validated credit changed (here, or on another node of a cluster). */
  noteCredited(): void {
    this.leaderboardDirty = true;
    if (this.sink.watchers() > 0) this.throttle.request();
  }

  /**
   * Changes may have gone unannounced (a cluster's notices lost while Redis was away): the next
   * build rereads every workload and the leaderboard from the store.
   */
  resync(): void {
    this.loaded = false;
    this.leaderboardDirty = true;
    if (this.sink.watchers() > 0) this.throttle.request();
  }

  private readonly onWorkload = (workloadId: string): void => this.noteWorkload(workloadId);

  private readonly onCredited = (): void => this.noteCredited();

  private scheduleHeartbeat(): void {
    this.heartbeat = this.timers.setTimeout(() => {
      if (this.closed) return;
      this.sampleDue = true;
      this.throttle.request();
      this.scheduleHeartbeat();
    }, this.options.sampleIntervalMs);
  }

  private async track(record: WorkloadRecord, now: number): Promise<WorkloadTrack> {
    this.results.set(record.id, await this.resultOf(record));
    const existing = this.tracks.get(record.id);
    if (existing) {
      existing.update(record, now);
      return existing;
    }
    const track = new WorkloadTrack(
      record,
      this.options,
      (r) => this.results.get(r.id) ?? null,
      now,
    );
    this.tracks.set(record.id, track);
    return track;
  }

  /**
   * A workload whose result cannot be computed (an estimator this build does not know, a
   * corrupt aggregate) still shows its progress; it is logged once, not on every snapshot.
   */
  private async resultOf(record: WorkloadRecord): Promise<Record<string, unknown> | null> {
    try {
      const kind = this.coordinator.plugin(record);
      return kind.summary ? kind.summary(record) : await this.coordinator.resultOf(record);
    } catch (error) {
      if (!this.unreadable.has(record.id)) {
        this.unreadable.add(record.id);
        this.log(`dashboard: no result for workload ${record.id}: ${String(error)}`);
      }
      return null;
    }
  }

  private async refreshWorkloads(now: number, heartbeat: boolean): Promise<void> {
    const store = this.coordinator.reads;
    if (!this.loaded) {
      this.dirty.clear();
      for (const record of await store.listWorkloads()) await this.track(record, now);
      this.loaded = true;
      return;
    }
    const ids = new Set(this.dirty);
    this.dirty.clear();
    // Some changes announce nothing (a lease that expired without failing its unit): the
    // heartbeat rereads every active workload so in-flight counts and rates stay true.
    if (heartbeat) for (const [id, t] of this.tracks) if (!t.ended) ids.add(id);
    for (const id of ids) {
      const record = await store.workload(id);
      if (record) await this.track(record, now);
      else {
        this.tracks.delete(id);
        this.results.delete(id);
      }
    }
    for (const [id, t] of this.tracks) if (!ids.has(id) && !t.ended) t.sampleProgress(now);
  }

  /** Ended workloads beyond the listing limit are forgotten unless someone follows one. */
  private pruneEnded(): WorkloadRecord[] {
    const records = [...this.tracks.values()].map((t) => t.record).sort(listingOrder);
    let ended = 0;
    const listed: WorkloadRecord[] = [];
    for (const record of records) {
      const isEnded = FINAL_STATUSES.includes(record.status);
      if (isEnded) ended += 1;
      if (!isEnded || ended <= this.options.recentEndedWorkloads) listed.push(record);
      else if (!this.sink.hasDetailWatchers(record.id)) this.tracks.delete(record.id);
    }
    return listed;
  }

  private async build(): Promise<void> {
    if (this.closed) return;
    const store = this.coordinator.reads;
    const now = this.coordinator.clock.now();
    const heartbeat = this.sampleDue;
    this.sampleDue = false;

    const counts = await store.counts(this.options.throughputWindowMs);
    await this.online.refresh();
    await this.refreshWorkloads(now, heartbeat);
    if (this.leaderboardDirty) {
      this.leaderboardDirty = false;
      this.leaderboard = toLeaderboard(await store.leaderboard(this.options.leaderboardSize));
    }
    if (this.closed) return;

    const windowSeconds = this.options.throughputWindowMs / 1000;
    const workPerSecond = counts.recent.work / windowSeconds;
    const unitsPerSecond = counts.recent.units / windowSeconds;
    if (heartbeat) this.throughput.push({ t: now, workPerSecond, unitsPerSecond });

    const listed = this.pruneEnded();
    let refused = 0;
    for (const [key, value] of this.coordinator.counters.entries()) {
      if (key.startsWith('tessera_results_refused_total')) refused += value;
    }
    this.seq += 1;
    const snapshot: DashboardSnapshot = {
      version: DASHBOARD_PROTOCOL_VERSION,
      seq: this.seq,
      at: now,
      full: false,
      volunteers: {
        online: this.online.total(),
        byBackend: this.online.byBackend(),
        known: counts.volunteersTotal,
      },
      throughput: {
        windowSeconds,
        workPerSecond,
        unitsPerSecond,
        unitsValidated: counts.unitsValidated,
        points: this.throughput.since(this.throughputMark),
      },
      workloads: listed.map((r) => this.tracks.get(r.id)!.summary(now)),
      workloadsByStatus: counts.workloadsByStatus,
      validation: validationFigures(counts, refused),
      leaderboard: this.leaderboard,
    };
    this.throughputMark = this.throughput.mark;
    this.latest = snapshot;
    if (this.sink.watchers() > 0) this.sink.broadcast(snapshot);
    for (const track of this.tracks.values()) {
      const delta = track.takeDelta();
      if (delta && this.sink.hasDetailWatchers(delta.workloadId)) this.sink.sendDetail(delta);
    }
  }
}
