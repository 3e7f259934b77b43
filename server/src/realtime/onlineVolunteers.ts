// Who is connected to this coordinator right now, by backend (identified connections only).
import type { Backend } from '@tessera/shared';

export class OnlineVolunteers {
  private readonly connections = new Map<string, { volunteerId: string; backend: Backend }>();

  add(connectionId: string, volunteerId: string, backend: Backend): void {
    this.connections.set(connectionId, { volunteerId, backend });
  }

  remove(connectionId: string): void {
    this.connections.delete(connectionId);
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
