// `npm start`: one coordinator process, on the embedded SQLite store under TESSERA_DATA or, with
// DATABASE_URL, on PostgreSQL shared with any number of other processes (REDIS_URL joins their
// sockets). TESSERA_WORKERS=N (with DATABASE_URL) starts N processes on one port with
// node:cluster: the primary migrates the schema and mints the first token, then forks the
// workers and replaces any that dies.
import cluster from 'node:cluster';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureFirstToken } from './auth/tokens';
import { systemClock } from './clock';
import { configFromEnv, type CoordinatorConfig } from './config';
import type { Repository } from './engine/repository';
import { createCoordinatorServer } from './server';
import { PgRepository } from './repository/postgres/pgRepository';
import { SqliteRepository } from './repository/sqlite/sqliteRepository';

/** A worker that dies is replaced after this long (a crash loop does not spin the CPU). */
const RESPAWN_DELAY_MS = 1_000;

async function openRepository(config: CoordinatorConfig): Promise<Repository> {
  if (config.databaseUrl) {
    return PgRepository.open({
      url: config.databaseUrl,
      ...(config.dbSchema ? { schema: config.dbSchema } : {}),
    });
  }
  mkdirSync(config.dataDir, { recursive: true });
  return new SqliteRepository(join(config.dataDir, 'tessera.sqlite'));
}

/** Where the data lives, for the start line (never the password). */
function describeStore(config: CoordinatorConfig): string {
  if (!config.databaseUrl) return config.dataDir;
  const url = new URL(config.databaseUrl);
  const schema = config.dbSchema ? `, schema ${config.dbSchema}` : '';
  return `PostgreSQL ${url.hostname}:${url.port || 5432}${url.pathname}${schema}`;
}

async function announceFirstToken(config: CoordinatorConfig, repository: Repository) {
  if (config.envToken) return;
  const first = await ensureFirstToken(repository, config.dataDir, Date.now());
  if (first) {
    console.log(`Researcher token (shown once, also saved to ${first.path}):\n  ${first.token}`);
  }
}

async function runPrimary(config: CoordinatorConfig): Promise<void> {
  const repository = await openRepository(config);
  await announceFirstToken(config, repository);
  await repository.close();
  let stopping = false;
  const fork = () => cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    console.error(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    setTimeout(fork, RESPAWN_DELAY_MS);
  });
  for (let i = 0; i < config.workers; i++) fork();
  console.log(`Started ${config.workers} coordinator processes on port ${config.port}`);
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping the workers`);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function runNode(config: CoordinatorConfig): Promise<void> {
  const repository = await openRepository(config);
  if (!cluster.isWorker) await announceFirstToken(config, repository);
  const server = createCoordinatorServer({
    repository,
    clock: systemClock,
    envToken: config.envToken,
    scheduler: {
      ...(config.leaseDurationMs ? { leaseDurationMs: config.leaseDurationMs } : {}),
      ...(config.maxLeasesPerConnection
        ? { maxLeasesPerConnection: config.maxLeasesPerConnection }
        : {}),
    },
    rateLimit: { requestsPerMinute: config.rateLimit },
    logLevel: config.logLevel,
    instanceId: repository.instanceId,
    redisUrl: config.redisUrl,
    redisPrefix: config.redisPrefix,
  });
  const orphaned = await server.coordinator.releaseOrphanedLeases();
  if (orphaned > 0) {
    console.log(`Released ${orphaned} lease(s) held by coordinator processes that stopped`);
  }
  const port = await server.listen(config.port, config.host);
  const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  console.log(
    `Tessera coordinator listening on http://${shown}:${port} (data: ${describeStore(config)}; instance ${repository.instanceId})`,
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: closing connections and the store`);
    server
      .close()
      .then(() => repository.close())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        console.error(error);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function main(): Promise<void> {
  const config = configFromEnv(process.env);
  if (config.workers > 1 && !config.databaseUrl) {
    throw new Error(
      'TESSERA_WORKERS > 1 needs DATABASE_URL: the embedded SQLite store serves one process',
    );
  }
  if (config.redisUrl && !config.databaseUrl) {
    console.warn(
      'REDIS_URL without DATABASE_URL: processes on separate SQLite stores are not one coordinator; Redis only shares rate limits here',
    );
  }
  if (config.workers > 1 && cluster.isPrimary) await runPrimary(config);
  else await runNode(config);
}

main().catch((error: unknown) => {
  console.error(`tessera: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
