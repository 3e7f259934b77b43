// Log lines for what an operator follows without the dashboard: volunteer connections opening
// and closing (connection and volunteer ids, backend, how long it stayed, why it closed) and
// workloads reaching a final status. Per-unit events are not logged here (the coordinator logs
// them at debug).
import type { Server } from 'socket.io';
import { VOLUNTEER_NAMESPACE } from '@tessera/shared';
import type { Coordinator } from '../coordinator';
import type { Logger } from './logger';

/** What the volunteer namespace keeps on a socket, as far as a log line needs it. */
interface SessionData {
  identity?: { volunteerId: string } | null;
  backend?: string;
}

export function logOperations(io: Server, coordinator: Coordinator, logger: Logger): void {
  coordinator.on('workloadEnded', (workloadId, status) => {
    logger.info({ workloadId, status }, `workload ${status}`);
  });
  io.of(VOLUNTEER_NAMESPACE).on('connection', (socket) => {
    const connectedAt = Date.now();
    const connectionId = socket.id;
    logger.info({ connectionId }, 'volunteer connected');
    socket.on('disconnect', (reason) => {
      const data = socket.data as SessionData;
      logger.info(
        {
          connectionId,
          volunteerId: data.identity?.volunteerId ?? null,
          backend: data.identity ? (data.backend ?? null) : null,
          reason,
          seconds: Math.round((Date.now() - connectedAt) / 1000),
        },
        'volunteer disconnected',
      );
    });
  });
}
