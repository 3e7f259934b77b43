// Assembles one coordinator process: Express (REST, static client), socket.io (volunteers),
// the lease sweeper. Everything it needs is passed in, so tests build it on port 0 with a
// temp SQLite file and a manual clock.
import { existsSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import { Server as SocketServer } from 'socket.io';
import { ERROR_CODES, TesseraError } from '@tessera/shared';
import { TokenVerifier } from './auth/tokens';
import type { Clock } from './clock';
import { Coordinator, type RandomSource } from './coordinator';
import { errorHandler } from './api/httpErrors';
import { gradientRoutes } from './api/gradientRoutes';
import { openApiRoutes } from './api/openApiRoutes';
import { statsRoutes } from './api/statsRoutes';
import { workloadRoutes } from './api/workloadRoutes';
import { attachDashboardNamespace, type DashboardHandle } from './realtime/dashboardNamespace';
import {
  dashboardOptionsSchema,
  type DashboardOptionsInput,
} from './realtime/dashboard/dashboardOptions';
import { systemTimers, type Timers } from './realtime/dashboard/timers';
import { OnlineVolunteers } from './realtime/onlineVolunteers';
import { attachVolunteerNamespace } from './realtime/volunteerNamespace';
import { schedulerOptionsSchema, type SchedulerOptionsInput } from './scheduler/schedulerOptions';
import type { Repository } from './engine/repository';

/** JSON request bodies above this are refused with 413. */
export const MAX_BODY_BYTES = 256 * 1024;
/** socket.io messages above this close the connection. */
export const MAX_SOCKET_MESSAGE_BYTES = 1024 * 1024;

export const DEFAULT_CLIENT_DIST = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../client/dist',
);

export interface CoordinatorServerOptions {
  repository: Repository;
  clock: Clock;
  envToken?: string | undefined;
  scheduler?: SchedulerOptionsInput;
  /** Built client to serve; null serves none (API-only). */
  clientDist?: string | null;
  log?: (message: string) => void;
  /** Run the lease sweep on a timer (tests with a manual clock call expireLeases themselves). */
  sweep?: boolean;
  /** Randomness for scheduling decisions (run alone, spot checks); seeded in tests. */
  random?: RandomSource;
  /** The public dashboard's throttle, heartbeat and history sizes (dashboardOptions.ts). */
  dashboard?: DashboardOptionsInput;
  /** Timers the dashboard schedules with (tests pass ManualTimers). */
  dashboardTimers?: Timers;
}

export interface CoordinatorServer {
  coordinator: Coordinator;
  /** The Express app (the OpenAPI test lists its routes; socket.io wraps the http listener). */
  app: Express;
  http: HttpServer;
  io: SocketServer;
  dashboard: DashboardHandle;
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

export function createCoordinatorServer(options: CoordinatorServerOptions): CoordinatorServer {
  const log = options.log ?? ((m: string) => console.error(m));
  const scheduler = schedulerOptionsSchema.parse(options.scheduler ?? {});
  const dashboardOptions = dashboardOptionsSchema.parse(options.dashboard ?? {});
  const coordinator = new Coordinator(options.repository, options.clock, scheduler, options.random);
  const verifier = new TokenVerifier(options.repository, options.envToken);
  const online = new OnlineVolunteers();
  coordinator.reads.online = online;
  const startedAt = Date.now();

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use('/api', express.json({ limit: MAX_BODY_BYTES }));
  app.use(statsRoutes(coordinator, online, startedAt));
  app.use(openApiRoutes());
  app.use('/api', gradientRoutes(coordinator));
  app.use('/api', workloadRoutes(coordinator, verifier));
  app.use('/api', (req) => {
    throw new TesseraError(ERROR_CODES.notFound, `no such endpoint: ${req.method} /api${req.path}`);
  });

  const dist = options.clientDist === undefined ? DEFAULT_CLIENT_DIST : options.clientDist;
  if (dist && existsSync(join(dist, 'index.html'))) {
    app.use(express.static(dist, { index: false, maxAge: '1h' }));
    // Client-side routes (/, /dashboard, /submit, ...) all load the single-page app.
    app.get(/^(?!\/(api|socket\.io)\/).*/, (_req, res) => {
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(join(dist, 'index.html'));
    });
  } else {
    app.get('/', (_req, res) => {
      res
        .status(503)
        .type('text/plain')
        .send('The web client is not built: run `npm run build` (npm start does it for you).\n');
    });
  }
  app.use(errorHandler(log));

  const http = createServer(app);
  const io = new SocketServer(http, {
    maxHttpBufferSize: MAX_SOCKET_MESSAGE_BYTES,
    serveClient: false,
    pingInterval: 10_000,
    pingTimeout: 10_000,
  });
  attachVolunteerNamespace(io, coordinator, online, log);
  const dashboard = attachDashboardNamespace(
    io,
    coordinator,
    online,
    dashboardOptions,
    options.dashboardTimers ?? systemTimers,
    log,
  );

  let sweeper: NodeJS.Timeout | null = null;
  if (options.sweep !== false) {
    sweeper = setInterval(() => {
      coordinator
        .expireLeases()
        .catch((error: unknown) => log(`lease sweep failed: ${String(error)}`));
    }, scheduler.sweepIntervalMs);
    sweeper.unref();
  }

  return {
    coordinator,
    app,
    http,
    io,
    dashboard,
    listen(port, host) {
      return new Promise((resolveListen, reject) => {
        http.once('error', reject);
        http.listen(port, host, () => {
          http.off('error', reject);
          resolveListen((http.address() as AddressInfo).port);
        });
      });
    },
    async close() {
      if (sweeper) clearInterval(sweeper);
      dashboard.close();
      // Closes every socket.io connection and the http server under it.
      await io.close();
      if (http.listening) await new Promise<void>((done) => http.close(() => done()));
    },
  };
}
