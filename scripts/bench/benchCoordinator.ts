// What the benches over a real coordinator share (gradientRounds.ts, inference.ts): the
// coordinator (Express + socket.io + SQLite in a temp folder) on this thread, with its bytes on
// the wire counted and its gradient round closes timed, and simulated volunteers in worker
// threads (gradientVolunteerThread.ts), each with its own event loop, socket.io connection and
// HTTP client, so N volunteers compute N units at once as far as the machine's cores allow.
import { rmSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { TesseraClient } from '../../shared/src/api/tesseraClient';
import { systemClock } from '../../server/src/clock';
import { createCoordinatorServer, type CoordinatorServer } from '../../server/src/server';
import { SqliteRepository } from '../../server/src/repository/sqlite/sqliteRepository';
import { tempDir } from '../../server/test/support/testCoordinator';
import type {
  FromVolunteerThread,
  ToVolunteerThread,
  VolunteerTally,
} from './gradientVolunteerThread';

export type { VolunteerTally };

/** Epoch milliseconds: comparable across threads, unlike performance.now(). */
export const epochMs = () => performance.timeOrigin + performance.now();

/** Bytes through the coordinator's TCP sockets (HTTP and socket.io alike), in and out. */
export class WireCounter {
  private readonly open = new Set<Socket>();
  private closedIn = 0;
  private closedOut = 0;

  constructor(http: HttpServer) {
    http.on('connection', (socket: Socket) => {
      this.open.add(socket);
      socket.once('close', () => {
        this.open.delete(socket);
        this.closedIn += socket.bytesRead;
        this.closedOut += socket.bytesWritten;
      });
    });
  }

  /** Totals so far: `in` is what volunteers sent, `out` what the coordinator sent them. */
  snapshot(): { in: number; out: number } {
    let bytesIn = this.closedIn;
    let bytesOut = this.closedOut;
    for (const socket of this.open) {
      bytesIn += socket.bytesRead;
      bytesOut += socket.bytesWritten;
    }
    return { in: bytesIn, out: bytesOut };
  }
}

type UnitReport = Extract<FromVolunteerThread, { type: 'unit' }>;

/** A worker thread hosting one volunteer at a time; units it answers land in `units`. */
export class VolunteerThread {
  readonly units: UnitReport[] = [];
  failure: string | null = null;
  private readonly waiting = new Map<string, (message: FromVolunteerThread) => void>();

  private constructor(private readonly worker: Worker) {
    worker.on('message', (message: FromVolunteerThread) => {
      if (message.type === 'unit') this.units.push(message);
      if (message.type === 'failed') {
        this.fail(message.error.message);
        return;
      }
      this.waiting.get(message.type)?.(message);
      this.waiting.delete(message.type);
    });
    worker.on('error', (error) => this.fail(error.message));
    worker.on('exit', (code) => this.fail(`the volunteer thread exited (${code})`));
  }

  /** A failed join or leave, or a thread gone, is said at once, not when the wait runs out. */
  private fail(message: string): void {
    this.failure ??= message;
    const failed = { type: 'failed', error: { name: 'Error', message } } as const;
    for (const answer of this.waiting.values()) answer(failed);
    this.waiting.clear();
  }

  /** Worker threads do not inherit tsx's `--import` hooks on Node 20, so each registers them. */
  static start(): Promise<VolunteerThread> {
    const entry = new URL('./gradientVolunteerThread.ts', import.meta.url).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    const boot =
      `import(${JSON.stringify(tsx)})` +
      `.then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
    const worker = new Worker(boot, { eval: true, execArgv: [] });
    return new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', (message: FromVolunteerThread) => {
        worker.off('error', reject);
        if (message.type === 'loaded') resolve(new VolunteerThread(worker));
        else reject(new Error(`the thread said ${message.type} before loaded`));
      });
    });
  }

  private ask<T extends FromVolunteerThread['type']>(
    message: ToVolunteerThread,
    reply: T,
  ): Promise<Extract<FromVolunteerThread, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${reply} from thread`)), 30_000);
      this.waiting.set(reply, (answer) => {
        clearTimeout(timer);
        if (answer.type === 'failed') reject(new Error(`${message.type}: ${answer.error.message}`));
        else resolve(answer as Extract<FromVolunteerThread, { type: T }>);
      });
      this.worker.postMessage(message);
    });
  }

  async join(url: string, displayName: string, idleMs: number, slowMs = 0): Promise<void> {
    this.units.length = 0;
    this.failure = null;
    await this.ask({ type: 'join', url, displayName, idleMs, slowMs }, 'joined');
  }

  /** The volunteer's downloads and verdicts while it was connected. */
  async leave(): Promise<VolunteerTally> {
    return (await this.ask({ type: 'leave' }, 'left')).tally;
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

export interface BenchCoordinator {
  server: CoordinatorServer;
  url: string;
  /** The researcher's client, with the bench's token. */
  client: TesseraClient;
  wire: WireCounter;
  /** How long a volunteer waits before asking again (the scheduler's retryAfterMs too). */
  idleMs: number;
  /**
   * Each gradient round's close (aggregate, optimizer, evaluation, next round, commit; the last
   * one ends the workload): when it finished, epoch ms, and how long it took.
   */
  roundCloses: Array<{ at: number; ms: number }>;
  /**
   * Waits, polling the store in process (no HTTP, so no researcher traffic on the wire count),
   * until the workload ends: null when it completed, else why not.
   */
  ended(id: string, threads: readonly VolunteerThread[]): Promise<string | null>;
  close(): Promise<void>;
}

export async function startBenchCoordinator(options: {
  /** The temp folder's name prefix. */
  dirPrefix: string;
  token: string;
  idleMs: number;
  /** A workload that takes longer is reported as a problem, not waited for. */
  runTimeoutMs: number;
  /** How often ended() reads the workload's status. */
  pollMs: number;
}): Promise<BenchCoordinator> {
  const dir = tempDir(options.dirPrefix);
  const store = new SqliteRepository(join(dir, 'bench.sqlite'));
  const server = createCoordinatorServer({
    repository: store,
    clock: systemClock,
    envToken: options.token,
    clientDist: null,
    scheduler: { retryAfterMs: options.idleMs, leaseDurationMs: 30_000 },
    log: (line) => process.stderr.write(`  .. coordinator: ${line}\n`),
  });
  const wire = new WireCounter(server.http);
  const roundCloses: BenchCoordinator['roundCloses'] = [];
  const kind = server.coordinator.kinds.gradient;
  const settle = kind.settle.bind(kind);
  kind.settle = async (meta) => {
    const started = performance.now();
    const outcome = await settle(meta);
    if (outcome.opened || outcome.ended) {
      roundCloses.push({ at: epochMs(), ms: performance.now() - started });
    }
    return outcome;
  };
  const port = await server.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  return {
    server,
    url,
    client: new TesseraClient({ baseUrl: url, token: options.token }),
    wire,
    idleMs: options.idleMs,
    roundCloses,
    async ended(id, threads) {
      const giveUp = Date.now() + options.runTimeoutMs;
      for (;;) {
        const record = await server.coordinator.reads.workload(id);
        const failure = threads.find((t) => t.failure !== null)?.failure;
        if (failure) return `a volunteer failed: ${failure}`;
        if (record && record.status !== 'running' && record.status !== 'queued') {
          return record.status === 'completed' ? null : `workload ended ${record.status}`;
        }
        if (Date.now() > giveUp) {
          return `stuck at ${record?.unitsValidated}/${record?.unitsTotal} units`;
        }
        await new Promise((resolve) => setTimeout(resolve, options.pollMs));
      }
    },
    async close() {
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `count` volunteer threads, each with no volunteer yet. */
export function startVolunteerThreads(count: number): Promise<VolunteerThread[]> {
  return Promise.all(Array.from({ length: count }, () => VolunteerThread.start()));
}

export interface CrewRun {
  /** The workload's id ('' when submit failed). */
  id: string;
  /** From just before `submit` until the workload ended. */
  seconds: number;
  problem: string | null;
  /** Each volunteer's downloads, in `threads` order. */
  tallies: VolunteerTally[];
}

/**
 * Joins a fresh volunteer on each of `threads` (display names `${label}-${i}`; the one at i
 * holds each result back `slowMs(i)` ms), runs `submit` (it returns the workload's id) to the
 * workload's end, calls `atEnd` and lets the volunteers go.
 */
export async function withCrew(
  coordinator: BenchCoordinator,
  threads: readonly VolunteerThread[],
  label: string,
  submit: () => Promise<string>,
  options: { slowMs?: (i: number) => number; atEnd?: () => void } = {},
): Promise<CrewRun> {
  await Promise.all(
    threads.map((t, i) =>
      t.join(coordinator.url, `${label}-${i}`, coordinator.idleMs, options.slowMs?.(i) ?? 0),
    ),
  );
  let id = '';
  let seconds = Number.NaN;
  let problem: string | null = null;
  let tallies: VolunteerTally[] = [];
  try {
    const started = epochMs();
    id = await submit();
    problem = await coordinator.ended(id, threads);
    seconds = (epochMs() - started) / 1000;
    options.atEnd?.();
  } finally {
    tallies = await Promise.all(threads.map((t) => t.leave()));
  }
  return { id, seconds, problem, tallies };
}

/** A completed gradient workload's final parameters. */
export async function finalParams(
  coordinator: BenchCoordinator,
  id: string,
): Promise<Float32Array> {
  const { bytes } = await coordinator.client.resultBytes(id);
  return new Float32Array(bytes.slice().buffer);
}
