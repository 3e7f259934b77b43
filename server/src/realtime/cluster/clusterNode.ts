// One coordinator process as a node of a cluster that shares Redis (REDIS_URL): its Redis
// connections, the socket.io adapter, the cluster-wide online view and the notice relay. Built
// only when a Redis URL is given; without one the server runs exactly as a single process.
//
// Where each piece of cluster state lives:
//   work (workloads, units, replicas, credit)  the shared repository (PostgreSQL): never Redis
//   who is online                              each node's own table, published to Redis
//                                              (clusterOnlineVolunteers.ts), read as a union
//   broadcasts to sockets on other nodes       the Redis streams adapter (credit pushes,
//                                              workload:ended)
//   "something changed" hints                  notices over Redis pub/sub (clusterRelay.ts)
//   dashboard snapshots                        built by every node for its own watchers from the
//                                              shared store and the cluster online view
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { Coordinator } from '../../coordinator';
import { ClusterOnlineVolunteers } from './clusterOnlineVolunteers';
import type { ClusterOptions } from './clusterOptions';
import { ClusterRelay } from './clusterRelay';
import { RedisConnection } from './redisConnection';

/** Entries the adapter's stream keeps (approximate trimming): minutes of broadcasts. */
export const STREAM_MAX_LENGTH = 10_000;

export class ClusterNode {
  readonly redis: RedisConnection;
  readonly online: ClusterOnlineVolunteers;
  readonly relay: ClusterRelay;
  private started = false;

  constructor(
    readonly options: ClusterOptions,
    log: (message: string) => void,
  ) {
    this.redis = new RedisConnection(options.redisUrl, log);
    this.online = new ClusterOnlineVolunteers(this.redis, options, log);
    this.relay = new ClusterRelay(this.redis, options, log);
    let connectedBefore = false;
    this.redis.onReady(() => {
      // The first connection has nothing to catch up on; a reconnection may have missed notices.
      if (connectedBefore) this.relay.emit('resync');
      connectedBefore = true;
    });
  }

  get instanceId(): string {
    return this.options.instanceId;
  }

  /**
   * The socket.io adapter: Redis *streams*, not the pub/sub adapter. Each node reads the stream
   * from its last offset, so a node whose connection to Redis drops for a moment (or a Redis
   * restart with persistence) resumes where it stopped and gets the broadcasts it missed; with
   * pub/sub, whatever is published while a subscriber is disconnected is gone. What this node
   * publishes while Redis is away still reaches its own sockets at once (the publishing client
   * fails fast, see redisConnection.ts) and is not replayed to the others.
   */
  adapter(): ReturnType<typeof createAdapter> {
    const prefix = this.options.prefix;
    return createAdapter(this.redis.adapterClient, {
      streamName: `${prefix}:socket.io`,
      channelPrefix: `${prefix}:socket.io`,
      sessionKeyPrefix: `${prefix}:socket.io:session:`,
      maxLen: STREAM_MAX_LENGTH,
    });
  }

  /** Starts connecting (in the background: Redis may come later) and relaying. */
  start(coordinator: Coordinator): void {
    if (this.started) return;
    this.started = true;
    this.redis.start();
    this.online.start();
    this.relay.attach(coordinator);
  }

  /** After io.close() (the adapter's reader stops once every namespace has closed). */
  async close(): Promise<void> {
    this.relay.close();
    await this.online.close();
    this.redis.close();
  }
}
