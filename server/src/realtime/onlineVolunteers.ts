// Who is connected to this coordinator right now, by backend (identified connections only), and
// the read interface that REST, the dashboard and the engine ask "who is online" through: this
// node's table alone, or the whole cluster's (cluster/clusterOnlineVolunteers.ts).
import type { Backend } from '@tessera/shared';

export interface OnlineConnection {
  volunteerId: string;
  backend: Backend;
}

/** Who is online, as the readers see it. */
export interface OnlineView {
  /**
   * Brings the figures up to date before a read that wants them fresh (the cluster view reads
   * Redis at most once per cache period; this node's own table is always fresh). Never rejects.
   */
  refresh(): Promise<void>;
  /** The volunteers with at least one connection. */
  volunteerIds(): Set<string>;
  /** Identified connections. */
  total(): number;
  byBackend(): Record<Backend, number>;
}

/** Where the volunteer namespace records its connections. */
export interface OnlineTable extends OnlineView {
  add(connectionId: string, volunteerId: string, backend: Backend): void;
  remove(connectionId: string): void;
}

export class OnlineVolunteers implements OnlineTable {
  private readonly connections = new Map<string, OnlineConnection>();

  add(connectionId: string, volunteerId: string, backend: Backend): void {
    this.connections.set(connectionId, { volunteerId, backend });
  }

  remove(connectionId: string): void {
    this.connections.delete(connectionId);
  }

  /** This node's table is read directly: nothing to bring up to date. */
  refresh(): Promise<void> {
    return Promise.resolve();
  }

  entries(): IterableIterator<[string, OnlineConnection]> {
    return this.connections.entries();
  }

  /** The volunteers with at least one connection here. */
  volunteerIds(): Set<string> {
    return new Set([...this.connections.values()].map((c) => c.volunteerId));
  }

  total(): number {
    return this.connections.size;
  }

  byBackend(): Record<Backend, number> {
    const counts: Record<Backend, number> = { webgpu: 0, cpu: 0 };
    for (const { backend } of this.connections.values()) counts[backend] += 1;
    return counts;
  }
}
