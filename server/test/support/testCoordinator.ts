// A real coordinator for tests: a fresh SQLite file in a temp folder, port 0, optional manual clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/clock';
import type { Repository } from '../../src/engine/repository';
import { creditOf } from '../../src/engine/credit';
import { systemClock } from '../../src/clock';
import type { SchedulerOptionsInput } from '../../src/scheduler/schedulerOptions';
import { createCoordinatorServer, type CoordinatorServer } from '../../src/server';
import { SqliteRepository } from '../../src/repository/sqlite/sqliteRepository';

export const TEST_TOKEN = 'test-token-0123456789';

export interface TestCoordinator {
  server: CoordinatorServer;
  repository: SqliteRepository;
  url: string;
  dataDir: string;
  /** Closes the server and the store (the data folder stays until cleanup()). */
  stop(): Promise<void>;
  cleanup(): Promise<void>;
}

/** A volunteer's record as the repository holds it, with its credit as the API shows it. */
export async function volunteerRecord(repository: SqliteRepository, id: string) {
  const row = await repository.transaction(Date.now(), (tx) => tx.volunteer(id));
  return row ? { ...row, credit: creditOf(row.creditMicro) } : null;
}

/** A workload as the coordinator reads it. */
export async function workloadRecord(repository: SqliteRepository, id: string) {
  const [row] = await repository.transaction(Date.now(), (tx) => tx.workloadViews(id));
  return row ?? null;
}

export function tempDir(prefix = 'tessera-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startTestCoordinator(
  options: {
    clock?: Clock;
    scheduler?: SchedulerOptionsInput;
    dataDir?: string;
    sweep?: boolean;
  } = {},
): Promise<TestCoordinator> {
  const dataDir = options.dataDir ?? tempDir();
  const repository = new SqliteRepository(join(dataDir, 'tessera.sqlite'));
  const server = createCoordinatorServer({
    repository,
    clock: options.clock ?? systemClock,
    envToken: TEST_TOKEN,
    scheduler: options.scheduler ?? {},
    clientDist: null,
    sweep: options.sweep ?? true,
    log: () => undefined,
  });
  const port = await server.listen(0, '127.0.0.1');
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.close();
    await repository.close();
  };
  return {
    server,
    repository,
    url: `http://127.0.0.1:${port}`,
    dataDir,
    stop,
    async cleanup() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A real coordinator over a repository the caller opened (PostgreSQL in the tests that run a
 * suite on both stores), port 0; cleanup() closes the server and the repository.
 */
export async function startTestCoordinatorOn(
  repository: Repository,
  options: { scheduler?: SchedulerOptionsInput } = {},
): Promise<{ url: string; cleanup(): Promise<void> }> {
  const server = createCoordinatorServer({
    repository,
    clock: systemClock,
    envToken: TEST_TOKEN,
    scheduler: options.scheduler ?? {},
    clientDist: null,
    sweep: true,
    log: () => undefined,
  });
  const port = await server.listen(0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    async cleanup() {
      await server.close();
      await repository.close();
    },
  };
}

/** A JSON REST call with the test token. */
export async function api(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  token: string | null = TEST_TOKEN,
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (metrics, static pages): the text itself.
  }
  return { status: response.status, body: parsed };
}

export async function waitFor<T>(
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
