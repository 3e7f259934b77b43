// Who is online in the whole cluster. Each node keeps its own connection table (OnlineVolunteers,
// always right for its own sockets) and publishes it to Redis; readers see this node's table
// merged with the other nodes' as last read from Redis (at most once per onlineCacheMs).
//
// In Redis, under `${prefix}:online:`:
//   nodes          SET of the instance ids that publish a table
//   node:<id>      HASH connection id -> JSON { volunteerId, backend }, plus NODE_FIELD; it
//                  expires onlineTtlMs after the node's last heartbeat, so a node that dies
//                  (SIGKILL, partition) drops out within the TTL with nothing to clean up
// Writes are incremental (HSET/HDEL per connection change, gathered per tick) with a full
// rewrite after every (re)connection to Redis, so a Redis restart loses nothing for long.
// While Redis is away, readers get this node's own table plus the others' last known tables
// until those would have expired anyway (onlineTtlMs), then this node's table alone.
import type { Backend } from '@tessera/shared';
import { BACKENDS } from '@tessera/shared';
import { OnlineVolunteers, type OnlineConnection, type OnlineTable } from '../onlineVolunteers';
import type { ClusterOptions } from './clusterOptions';
import type { RedisConnection } from './redisConnection';

/** The field every live node table holds, so a node with no connections still shows as alive. */
export const NODE_FIELD = '@node';

/**
 * Reads every live node table in one atomic step and forgets the nodes whose table expired.
 * KEYS[1]: the set of node ids. ARGV[1]: the key prefix of a node table.
 * Returns { id, { field, value, ... }, id, ... }. (It names keys outside KEYS: standalone
 * Redis, not Redis Cluster.)
 */
export const READ_TABLES_SCRIPT = `
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local entries = redis.call('HGETALL', ARGV[1] .. id)
  if #entries == 0 then
    redis.call('SREM', KEYS[1], id)
  else
    out[#out + 1] = id
    out[#out + 1] = entries
  end
end
return out
`;

interface RemoteView {
  connections: number;
  byBackend: Record<Backend, number>;
  volunteerIds: Set<string>;
}

const EMPTY_VIEW: RemoteView = {
  connections: 0,
  byBackend: { webgpu: 0, cpu: 0 },
  volunteerIds: new Set(),
};

export function onlineKeys(prefix: string) {
  return {
    nodes: `${prefix}:online:nodes`,
    nodePrefix: `${prefix}:online:node:`,
    node: (instanceId: string) => `${prefix}:online:node:${instanceId}`,
  };
}

/** The other nodes' tables from the read script's reply; anything malformed is skipped. */
export function remoteViewOf(reply: unknown, ownId: string): RemoteView {
  const view: RemoteView = {
    connections: 0,
    byBackend: { webgpu: 0, cpu: 0 },
    volunteerIds: new Set(),
  };
  if (!Array.isArray(reply)) return view;
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const id = String(reply[i]);
    const entries: unknown = reply[i + 1];
    if (id === ownId || !Array.isArray(entries)) continue;
    for (let j = 0; j + 1 < entries.length; j += 2) {
      if (String(entries[j]) === NODE_FIELD) continue;
      let entry: Partial<OnlineConnection>;
      try {
        entry = JSON.parse(String(entries[j + 1])) as Partial<OnlineConnection>;
      } catch {
        continue;
      }
      if (typeof entry.volunteerId !== 'string') continue;
      if (!BACKENDS.includes(entry.backend as Backend)) continue;
      view.connections += 1;
      view.byBackend[entry.backend as Backend] += 1;
      view.volunteerIds.add(entry.volunteerId);
    }
  }
  return view;
}

/** Settles like `promise`, or rejects after `ms` (a hung Redis must not hold a request). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class ClusterOnlineVolunteers implements OnlineTable {
  /** This node's own connections: what it publishes, and always part of what it reads. */
  readonly local = new OnlineVolunteers();
  private readonly keys: ReturnType<typeof onlineKeys>;
  /** Connection changes not yet written: an entry to set, or null to delete. */
  private readonly pending = new Map<string, OnlineConnection | null>();
  private needsFullWrite = true;
  private heartbeatDue = false;
  private writing = false;
  private flushScheduled = false;
  private remote: RemoteView = EMPTY_VIEW;
  /** When `remote` was last read from Redis, and when a read was last tried. */
  private remoteAt = -Infinity;
  private readTriedAt = -Infinity;
  private reading: Promise<void> | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private writeFailing = false;
  private closed = false;

  constructor(
    private readonly redis: RedisConnection,
    private readonly options: ClusterOptions,
    private readonly log: (message: string) => void,
  ) {
    this.keys = onlineKeys(options.prefix);
    redis.onReady(() => {
      // Whatever this node had in Redis may be gone (a Redis restart): write it all again.
      this.needsFullWrite = true;
      this.pending.clear();
      this.readTriedAt = -Infinity;
      this.drain();
    });
  }

  start(): void {
    this.heartbeat = setInterval(() => {
      this.heartbeatDue = true;
      this.drain();
      void this.refresh();
    }, this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Stops the heartbeat and takes this node's table out of Redis at once (best effort). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (!this.redis.ready) return;
    const node = this.keys.node(this.options.instanceId);
    try {
      await withTimeout(
        this.redis.commands.multi().del(node).sRem(this.keys.nodes, this.options.instanceId).exec(),
        this.options.commandTimeoutMs,
      );
    } catch {
      // Redis away: the table expires by itself within onlineTtlMs.
    }
  }

  add(connectionId: string, volunteerId: string, backend: Backend): void {
    this.local.add(connectionId, volunteerId, backend);
    this.pending.set(connectionId, { volunteerId, backend });
    this.scheduleFlush();
  }

  remove(connectionId: string): void {
    this.local.remove(connectionId);
    this.pending.set(connectionId, null);
    this.scheduleFlush();
  }

  async refresh(): Promise<void> {
    const now = Date.now();
    if (this.closed || now - this.remoteAt < this.options.onlineCacheMs) return;
    if (!this.reading) {
      // One try per cache period: while Redis is away or slow, readers do not queue up on it.
      if (now - this.readTriedAt < this.options.onlineCacheMs) return;
      this.readTriedAt = now;
      this.reading = this.readRemote().finally(() => {
        this.reading = null;
      });
    }
    await this.reading;
  }

  volunteerIds(): Set<string> {
    this.refreshInBackground();
    const ids = this.local.volunteerIds();
    for (const id of this.currentRemote().volunteerIds) ids.add(id);
    return ids;
  }

  total(): number {
    this.refreshInBackground();
    return this.local.total() + this.currentRemote().connections;
  }

  byBackend(): Record<Backend, number> {
    this.refreshInBackground();
    const counts = this.local.byBackend();
    const remote = this.currentRemote().byBackend;
    for (const backend of BACKENDS) counts[backend] += remote[backend];
    return counts;
  }

  /** The other nodes' tables, while what was last read could not have expired yet. */
  private currentRemote(): RemoteView {
    if (Date.now() - this.remoteAt > this.options.onlineTtlMs) this.remote = EMPTY_VIEW;
    return this.remote;
  }

  /** Synchronous readers (the engine's) get the cache, and start a read if it is stale. */
  private refreshInBackground(): void {
    if (Date.now() - this.remoteAt >= this.options.onlineCacheMs) void this.refresh();
  }

  private async readRemote(): Promise<void> {
    if (!this.redis.ready) return;
    try {
      const reply = await withTimeout(
        this.redis.commands.eval(READ_TABLES_SCRIPT, {
          keys: [this.keys.nodes],
          arguments: [this.keys.nodePrefix],
        }),
        this.options.commandTimeoutMs,
      );
      this.remote = remoteViewOf(reply, this.options.instanceId);
      this.remoteAt = Date.now();
    } catch {
      // Redis away or slow: the last view holds until it would have expired (currentRemote).
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    // The connections of one tick go in one transaction.
    setImmediate(() => {
      this.flushScheduled = false;
      this.drain();
    });
  }

  /** One writer at a time; it loops until nothing is left to write or Redis fails. */
  private drain(): void {
    if (this.writing || this.closed) return;
    this.writing = true;
    void this.writeAll().finally(() => {
      this.writing = false;
    });
  }

  private async writeAll(): Promise<void> {
    while (!this.closed && (this.needsFullWrite || this.pending.size > 0 || this.heartbeatDue)) {
      if (!this.redis.ready) {
        // The next (re)connection writes everything (onReady).
        this.needsFullWrite = true;
        this.pending.clear();
        this.heartbeatDue = false;
        return;
      }
      try {
        await withTimeout(this.writeStep(), this.options.commandTimeoutMs);
        this.writeFailing = false;
      } catch (error) {
        this.needsFullWrite = true;
        this.pending.clear();
        this.heartbeatDue = false;
        // Once per run of failures, not once per heartbeat.
        if (!this.writeFailing && !this.closed) {
          this.log(
            `online table: writing to Redis failed (${String(error)}); other nodes may miss ` +
              "this one's volunteers until a heartbeat succeeds (retried every heartbeat)",
          );
        }
        this.writeFailing = true;
        return;
      }
    }
  }

  private async writeStep(): Promise<void> {
    const node = this.keys.node(this.options.instanceId);
    const ttl = this.options.onlineTtlMs;
    if (this.needsFullWrite) {
      this.needsFullWrite = false;
      this.pending.clear();
      this.heartbeatDue = false;
      const fields: Record<string, string> = { [NODE_FIELD]: this.options.instanceId };
      for (const [connectionId, c] of this.local.entries()) {
        fields[connectionId] = JSON.stringify({ volunteerId: c.volunteerId, backend: c.backend });
      }
      await this.redis.commands
        .multi()
        .del(node)
        .hSet(node, fields)
        .pExpire(node, ttl)
        .sAdd(this.keys.nodes, this.options.instanceId)
        .exec();
      return;
    }
    const changes = [...this.pending];
    this.pending.clear();
    this.heartbeatDue = false;
    const set: Record<string, string> = {};
    const deleted: string[] = [];
    for (const [connectionId, c] of changes) {
      if (c) set[connectionId] = JSON.stringify({ volunteerId: c.volunteerId, backend: c.backend });
      else deleted.push(connectionId);
    }
    const multi = this.redis.commands.multi().pExpire(node, ttl);
    if (Object.keys(set).length > 0) multi.hSet(node, set);
    if (deleted.length > 0) multi.hDel(node, deleted);
    multi.sAdd(this.keys.nodes, this.options.instanceId);
    const [kept] = await multi.exec();
    // The table had expired (the process stalled past the TTL): write it whole again.
    if (Number(kept) !== 1) this.needsFullWrite = true;
  }
}
