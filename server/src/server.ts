// Assembles one coordinator process: Express (REST, static client), socket.io (volunteers),
// the lease sweeper. Everything it needs is passed in, so tests build it on port 0 with a
// temp SQLite file and a manual clock.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import { Server as SocketServer } from 'socket.io';
import { ERROR_CODES, TesseraError, VOLUNTEER_NAMESPACE } from '@tessera/shared';
import { TokenVerifier } from './auth/tokens';
import type { Clock } from './clock';
import { Coordinator, type RandomSource } from './coordinator';
import { errorHandler } from './api/httpErrors';
import { datasetRoutes } from './api/datasetRoutes';
import { gradientRoutes } from './api/gradientRoutes';
import { inferenceRoutes } from './api/inferenceRoutes';
import { openApiRoutes } from './api/openApiRoutes';
import { platformStats, statsRoutes } from './api/statsRoutes';
import { workloadRoutes } from './api/workloadRoutes';
import { ClusterNode } from './realtime/cluster/clusterNode';
import { clusterOptionsSchema, type ClusterTimingsInput } from './realtime/cluster/clusterOptions';
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
import { logOperations } from './ops/eventLog';
import { httpLogger, serverLogger, type Logger, type LogLevel } from './ops/logger';
import { metricsRoutes } from './ops/prometheus';
import { createRateLimits, type RateLimitOptionsInput } from './ops/rateLimit';
import { securityHeaders } from './ops/security';

/** JSON request bodies above this are refused with 413. */
export const MAX_BODY_BYTES = 256 * 1024;
/** socket.io messages above this close the connection. */
export const MAX_SOCKET_MESSAGE_BYTES = 1024 * 1024;
/** On close, connections still open this long after socket.io closed its own are cut. */
const CLOSE_GRACE_MS = 2_000;

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
  /**
   * Error lines as plain text (tests, simulations collect them); less severe lines are dropped.
   * Without it (and without `logger`) the server logs pino JSON lines on stdout.
   */
  log?: (message: string) => void;
  /** A pino logger to log through instead (ops/logger.ts). */
  logger?: Logger;
  /** The default logger's level; default the LOG_LEVEL environment variable, else info. */
  logLevel?: LogLevel;
  /** REST calls per minute per client address (ops/rateLimit.ts); default: no limits. */
  rateLimit?: RateLimitOptionsInput;
  /** Run the lease sweep on a timer (tests with a manual clock call expireLeases themselves). */
  sweep?: boolean;
  /** Randomness for scheduling decisions (run alone, spot checks); seeded in tests. */
  random?: RandomSource;
  /** The public dashboard's throttle, heartbeat and history sizes (dashboardOptions.ts). */
  dashboard?: DashboardOptionsInput;
  /** Timers the dashboard schedules with (tests pass ManualTimers). */
  dashboardTimers?: Timers;
  /**
   * Redis shared by the coordinator processes of one cluster (REDIS_URL): socket.io broadcasts
   * reach every node's sockets, and /api/stats and the dashboard count every node's volunteers
   * (realtime/cluster/). Unset: one process, nothing shared.
   */
  redisUrl?: string | undefined;
  /** This process's name in the cluster. Default `${hostname}:${pid}:${random}`. */
  instanceId?: string | undefined;
  /** Prefix of every Redis key and channel, so clusters or test runs can share a Redis. Default 'tessera'. */
  redisPrefix?: string | undefined;
  /** Heartbeat, expiry and cache timings of the cluster view (clusterOptions.ts); tests shorten them. */
  cluster?: ClusterTimingsInput;
}

/** A name unique to this process: host, pid, and randomness for a pid reused after a restart. */
export function defaultInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

export interface CoordinatorServer {
  coordinator: Coordinator;
  /** The Express app (the OpenAPI test lists its routes; socket.io wraps the http listener). */
  app: Express;
  http: HttpServer;
  io: SocketServer;
  dashboard: DashboardHandle;
  /** This process's name in the cluster (given or generated, with or without Redis). */
  instanceId: string;
  /** The Redis side of a cluster; null without redisUrl. */
  cluster: ClusterNode | null;
  /** The node's logger (ops/logger.ts), for the process that runs it to log through as well. */
  logger: Logger;
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

export function createCoordinatorServer(options: CoordinatorServerOptions): CoordinatorServer {
  const instanceId = options.instanceId ?? defaultInstanceId();
  const logger = serverLogger(options, instanceId);
  const log = (message: string) => logger.error(message);
  const scheduler = schedulerOptionsSchema.parse(options.scheduler ?? {});
  const dashboardOptions = dashboardOptionsSchema.parse(options.dashboard ?? {});
  const coordinator = new Coordinator(
    options.repository,
    options.clock,
    scheduler,
    options.random,
    logger,
  );
  const verifier = new TokenVerifier(options.repository, options.envToken);
  const cluster = options.redisUrl
    ? new ClusterNode(
        clusterOptionsSchema.parse({
          ...options.cluster,
          redisUrl: options.redisUrl,
          instanceId,
          ...(options.redisPrefix !== undefined ? { prefix: options.redisPrefix } : {}),
        }),
        log,
      )
    : null;
  // Who is online: this process's connections, or with Redis the whole cluster's.
  const online = cluster ? cluster.online : new OnlineVolunteers();
  coordinator.reads.online = online;
  const startedAt = Date.now();

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(securityHeaders());
  app.use(httpLogger(logger));
  app.use(
    metricsRoutes({
      registry: coordinator.counters.registry,
      instance: instanceId,
      stats: () => platformStats(coordinator, online),
      volunteerConnections: () => io.of(VOLUNTEER_NAMESPACE).sockets.size,
    }),
  );
  const limits = createRateLimits(
    options.rateLimit,
    options.redisUrl
      ? { redisUrl: options.redisUrl, prefix: options.redisPrefix ?? 'tessera' }
      : null,
    logger,
  );
  app.use('/api', limits.handler);
  app.use('/api', express.json({ limit: MAX_BODY_BYTES }));
  app.use(statsRoutes(coordinator, online, startedAt));
  app.use(openApiRoutes());
  app.use('/api', datasetRoutes(coordinator.datasets, verifier, options.clock));
  app.use('/api', inferenceRoutes(coordinator));
  app.use('/api', gradientRoutes(coordinator));
  app.use('/api', workloadRoutes(coordinator, verifier, online));
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
  // Every TCP connection, so close() can end the ones socket.io does not own.
  const connections = new Set<Socket>();
  http.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  const io = new SocketServer(http, {
    maxHttpBufferSize: MAX_SOCKET_MESSAGE_BYTES,
    serveClient: false,
    pingInterval: 10_000,
    pingTimeout: 10_000,
    ...(cluster ? { adapter: cluster.adapter() } : {}),
  });
  cluster?.start(coordinator);
  attachVolunteerNamespace(io, coordinator, online, log, cluster?.relay ?? null);
  const dashboard = attachDashboardNamespace(
    io,
    coordinator,
    online,
    dashboardOptions,
    options.dashboardTimers ?? systemTimers,
    log,
    cluster?.relay ?? null,
  );
  logOperations(io, coordinator, logger);

  let sweeper: NodeJS.Timeout | null = null;
  if (options.sweep !== false) {
    sweeper = setInterval(() => {
      coordinator
        .expireLeases()
        .catch((error: unknown) =>
          logger.error(
            { err: error },
            'lease sweep failed: expired leases wait for the next sweep',
          ),
        );
    }, scheduler.sweepIntervalMs);
    sweeper.unref();
  }

  return {
    coordinator,
    app,
    http,
    io,
    dashboard,
    instanceId,
    cluster,
    logger,
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
      // Closes every socket.io connection and the http server under it. The server closes once
      // its last connection has: one socket.io does not own (a REST request still running, an
      // upgrade still in its handshake when the engine closed) would hold it open for good, so
      // whatever is left after a short grace is cut.
      const closing = io.close();
      const cut = setTimeout(() => {
        for (const socket of connections) socket.destroy();
      }, CLOSE_GRACE_MS);
      await closing;
      clearTimeout(cut);
      // After io.close(): the adapter has stopped reading, and the disconnects are recorded.
      await cluster?.close();
      if (http.listening) await new Promise<void>((done) => http.close(() => done()));
      await limits.close();
      await coordinator.close();
    },
  };
}
