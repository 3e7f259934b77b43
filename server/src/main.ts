// `npm start`: one coordinator process with the embedded SQLite store under TESSERA_DATA.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureFirstToken } from './auth/tokens';
import { systemClock } from './clock';
import { configFromEnv } from './config';
import { createCoordinatorServer } from './server';
import { SqliteRepository } from './repository/sqlite/sqliteRepository';

async function main(): Promise<void> {
  const config = configFromEnv(process.env);
  if (config.databaseUrl) {
    throw new Error(
      'DATABASE_URL is set, but this build only ships the embedded SQLite store: unset DATABASE_URL to run one coordinator on SQLite',
    );
  }
  mkdirSync(config.dataDir, { recursive: true });
  const repository = new SqliteRepository(join(config.dataDir, 'tessera.sqlite'));
  if (!config.envToken) {
    const first = await ensureFirstToken(repository, config.dataDir, Date.now());
    if (first) {
      console.log(`Researcher token (shown once, also saved to ${first.path}):\n  ${first.token}`);
    }
  }
  const server = createCoordinatorServer({
    repository,
    clock: systemClock,
    envToken: config.envToken,
    scheduler: config.leaseDurationMs ? { leaseDurationMs: config.leaseDurationMs } : {},
  });
  const orphaned = await server.coordinator.releaseOrphanedLeases();
  if (orphaned > 0) {
    console.log(`Released ${orphaned} lease(s) held by connections of the previous run`);
  }
  const port = await server.listen(config.port, config.host);
  const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  console.log(`Tessera coordinator listening on http://${shown}:${port} (data: ${config.dataDir})`);

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

main().catch((error: unknown) => {
  console.error(`tessera: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
