// What the other coordinator nodes must hear of: the coordinator's announcements ('workload',
// 'credited', 'workAvailable') happen only on the node whose transaction caused them, but every
// node's dashboard shows every workload and every node has idle tabs to wake. Announcements are
// gathered for relayDelayMs and published as one notice on `${prefix}:notices` (Redis pub/sub: a
// notice is a hint, stale after a second, not worth a stream entry). Each node turns the notices
// it receives into RemoteChanges events for its own namespaces, which act on their local sockets
// only; so one change reaches each socket once.
//
// Not the adapter's serverSideEmit: its pub/sub publish leaves a rejected promise unhandled when
// Redis is away (the process would crash); RedisConnection.publish drops the notice instead.
//
// A notice sent while Redis is away is lost. When Redis is back, 'resync' tells every listener
// to catch up on its own (the dashboard rereads every workload, idle tabs are woken to ask).
import { EventEmitter } from 'node:events';
import { z } from 'zod';
import type { Coordinator } from '../../coordinator';
import type { RedisConnection } from './redisConnection';

/** The pub/sub channel notices travel on (between coordinator nodes only). */
export const noticeChannel = (prefix: string) => `${prefix}:notices`;

/** Workload ids one notice may carry; past this the receivers reread everything instead. */
export const MAX_NOTICE_WORKLOADS = 1_000;

const noticeSchema = z.object({
  from: z.string(),
  workloads: z.array(z.string()).max(MAX_NOTICE_WORKLOADS),
  credited: z.boolean(),
  workAvailable: z.boolean(),
  /** Too many workloads changed to list: reread them all. */
  everything: z.boolean(),
});
export type ClusterNotice = z.infer<typeof noticeSchema>;

/** What other nodes did, for this node's namespaces. */
export interface RemoteChangeEvents {
  workload: [workloadId: string];
  credited: [];
  workAvailable: [];
  /** Notices may have been lost (Redis was away): catch up from the shared store. */
  resync: [];
}

export type RemoteChanges = EventEmitter<RemoteChangeEvents>;

export class ClusterRelay extends EventEmitter<RemoteChangeEvents> {
  private readonly workloads = new Set<string>();
  private credited = false;
  private workAvailable = false;
  private timer: NodeJS.Timeout | null = null;
  private coordinator: Coordinator | null = null;
  private readonly channel: string;

  constructor(
    private readonly redis: RedisConnection,
    private readonly options: { instanceId: string; prefix: string; relayDelayMs: number },
    private readonly log: (message: string) => void,
  ) {
    super();
    this.channel = noticeChannel(options.prefix);
  }

  /** Relays this coordinator's announcements and listens for the other nodes' notices. */
  attach(coordinator: Coordinator): void {
    this.coordinator = coordinator;
    coordinator.on('workload', this.onWorkload);
    coordinator.on('credited', this.onCredited);
    coordinator.on('workAvailable', this.onWorkAvailable);
    this.redis.subscribe(this.channel, this.onNotice);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.coordinator?.off('workload', this.onWorkload);
    this.coordinator?.off('credited', this.onCredited);
    this.coordinator?.off('workAvailable', this.onWorkAvailable);
    this.coordinator = null;
  }

  private readonly onWorkload = (workloadId: string): void => {
    this.workloads.add(workloadId);
    this.schedule();
  };

  private readonly onCredited = (): void => {
    this.credited = true;
    this.schedule();
  };

  private readonly onWorkAvailable = (): void => {
    this.workAvailable = true;
    this.schedule();
  };

  private readonly onNotice = (message: string): void => {
    if (!this.coordinator) return;
    let raw: unknown;
    try {
      raw = JSON.parse(message);
    } catch {
      raw = null;
    }
    const parsed = noticeSchema.safeParse(raw);
    if (!parsed.success) {
      this.log(`cluster: ignored a malformed notice on ${this.channel}`);
      return;
    }
    const notice = parsed.data;
    // Every subscriber hears its own notices too.
    if (notice.from === this.options.instanceId) return;
    if (notice.everything) this.emit('resync');
    else for (const id of notice.workloads) this.emit('workload', id);
    if (notice.credited) this.emit('credited');
    if (notice.workAvailable) this.emit('workAvailable');
  };

  private schedule(): void {
    if (this.timer || !this.coordinator) return;
    this.timer = setTimeout(() => this.flush(), this.options.relayDelayMs);
    this.timer.unref();
  }

  private flush(): void {
    this.timer = null;
    if (!this.coordinator) return;
    const everything = this.workloads.size > MAX_NOTICE_WORKLOADS;
    const notice: ClusterNotice = {
      from: this.options.instanceId,
      workloads: everything ? [] : [...this.workloads],
      credited: this.credited,
      workAvailable: this.workAvailable,
      everything,
    };
    this.workloads.clear();
    this.credited = false;
    this.workAvailable = false;
    this.redis.publish(this.channel, JSON.stringify(notice));
  }
}
