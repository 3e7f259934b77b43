// Gradient rounds over a real coordinator: seconds per round (one round = one training step:
// every shard of the batch leased, computed, returned and validated, then the optimizer step)
// with 2 and 8 simulated volunteers, against one process doing the same steps with the same
// shards (localTrainer.ts). The coordinator (Express + socket.io + SQLite in a temp folder) runs
// on this thread; each volunteer runs in its own worker thread (gradientVolunteerThread.ts) and
// computes with the TypeScript reference. All of them share this machine's cores, so with
// fewer cores than volunteers the figure measures the protocol's overhead (parameter and shard
// downloads, result uploads, validation, the round barrier) more than parallel speed-up.
// Bytes on the wire are counted on the coordinator's TCP sockets: HTTP and WebSocket framing
// included, TCP/IP headers not. The distributed run's final parameters must equal the single
// process's within the gradient tolerance (relative L2 1e-4), or the row is a problem.
import { rmSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { TesseraClient } from '../../shared/src/api/tesseraClient';
import type { ExampleSet } from '../../shared/src/kinds/gradient/exampleSet';
import {
  GRADIENT_TOLERANCE,
  relativeL2Error,
} from '../../shared/src/kinds/gradient/gradientCompare';
import type { ModelConfig } from '../../shared/src/kinds/gradient/gradientModel';
import { trainLocally } from '../../shared/src/kinds/gradient/localTrainer';
import type { OptimizerConfig } from '../../shared/src/kinds/gradient/optimizer';
import { systemClock } from '../../server/src/clock';
import { loadMnist } from '../../server/src/datasets/mnist';
import { createCoordinatorServer, type CoordinatorServer } from '../../server/src/server';
import { SqliteRepository } from '../../server/src/repository/sqlite/sqliteRepository';
import { tempDir } from '../../server/test/support/testCoordinator';
import type { BenchRow } from './benchRow';
import type { FromVolunteerThread, ToVolunteerThread } from './gradientVolunteerThread';

export const GRADIENT_ROUNDS_DEFAULTS = {
  batchSize: 512,
  shards: 8,
  steps: 20,
  hidden: 64,
  seed: 20261127,
  /**
   * How long an idle volunteer waits before asking again (and the scheduler's retryAfterMs): the
   * browser's default, so a round opens for its volunteers by the work:available push (L10).
   */
  idleMs: 2_000,
} as const;

/** A run that takes longer is reported as a problem, not waited for. */
const RUN_TIMEOUT_MS = 60_000;
const TOKEN = 'bench-token-gradient-rounds';

const OPTIMIZER: OptimizerConfig = { name: 'adam', lr: 0.005 };

interface ModelCase {
  label: string;
  config: ModelConfig;
  /** The model's fields of the submitted spec. */
  spec: { model: 'softmax' } | { model: 'mlp'; hidden: number };
}

function modelCases(hidden: number): ModelCase[] {
  return [
    {
      label: 'softmax 784-10',
      config: { model: 'softmax', inputSize: 784, classes: 10 },
      spec: { model: 'softmax' },
    },
    {
      label: `mlp 784-${hidden}-10`,
      config: { model: 'mlp', inputSize: 784, hidden, classes: 10 },
      spec: { model: 'mlp', hidden },
    },
  ];
}

const epochMs = () => performance.timeOrigin + performance.now();

/** Seconds of each round from its boundaries (epoch ms): round i runs from b[i] to b[i + 1]. */
function roundSeconds(boundaries: readonly number[]): number[] {
  return boundaries.slice(1).map((end, i) => (end - boundaries[i]!) / 1000);
}

/** Mean and p95 over every round, and the first round alone (it downloads the partitions). */
function roundFigures(seconds: readonly number[]): string {
  const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;
  const sorted = [...seconds].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, s) => sum + s, 0) / sorted.length;
  const p95 = sorted[Math.ceil(0.95 * sorted.length) - 1]!;
  return `${ms(mean)}/round mean, ${ms(p95)} p95, first ${ms(seconds[0]!)}`;
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

/** Bytes through the coordinator's TCP sockets (HTTP and socket.io alike), in and out. */
class WireCounter {
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
class VolunteerThread {
  readonly units: UnitReport[] = [];
  failure: string | null = null;
  private readonly waiting = new Map<string, (message: FromVolunteerThread) => void>();

  private constructor(private readonly worker: Worker) {
    worker.on('message', (message: FromVolunteerThread) => {
      if (message.type === 'unit') this.units.push(message);
      if (message.type === 'failed') this.failure ??= message.error.message;
      this.waiting.get(message.type)?.(message);
      this.waiting.delete(message.type);
    });
    worker.on('error', (error) => {
      this.failure ??= error.message;
    });
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

  private ask(message: ToVolunteerThread, reply: FromVolunteerThread['type']): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${reply} from thread`)), 30_000);
      this.waiting.set(reply, () => {
        clearTimeout(timer);
        resolve();
      });
      this.worker.postMessage(message);
    });
  }

  async join(url: string, displayName: string, idleMs: number, slowMs = 0): Promise<void> {
    this.units.length = 0;
    this.failure = null;
    await this.ask({ type: 'join', url, displayName, idleMs, slowMs }, 'joined');
  }

  leave(): Promise<void> {
    return this.ask({ type: 'leave' }, 'left');
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

interface Coordinator {
  server: CoordinatorServer;
  /** How long each round's close took (aggregate, optimizer, evaluation, next round, commit). */
  closeMs: number[];
  store: SqliteRepository;
  url: string;
  wire: WireCounter;
  client: TesseraClient;
  close(): Promise<void>;
}

async function startCoordinator(idleMs: number): Promise<Coordinator> {
  const dir = tempDir('tessera-bench-rounds-');
  const store = new SqliteRepository(join(dir, 'bench.sqlite'));
  const server = createCoordinatorServer({
    repository: store,
    clock: systemClock,
    envToken: TOKEN,
    clientDist: null,
    scheduler: { retryAfterMs: idleMs, leaseDurationMs: 30_000 },
    log: (line) => process.stderr.write(`  .. coordinator: ${line}\n`),
  });
  const wire = new WireCounter(server.http);
  const closeMs: number[] = [];
  const kind = server.coordinator.kinds.gradient;
  const settle = kind.settle.bind(kind);
  kind.settle = async (meta) => {
    const started = performance.now();
    const outcome = await settle(meta);
    if (outcome.opened || outcome.ended) closeMs.push(performance.now() - started);
    return outcome;
  };
  const port = await server.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  return {
    server,
    closeMs,
    store,
    url,
    wire,
    client: new TesseraClient({ baseUrl: url, token: TOKEN }),
    async close() {
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Baseline {
  row: BenchRow;
  params: Float32Array;
}

function singleProcess(
  c: ModelCase,
  train: ExampleSet,
  options: typeof GRADIENT_ROUNDS_DEFAULTS,
): Baseline {
  const run = (steps: number, onStep?: () => void) =>
    trainLocally({
      config: c.config,
      train,
      optimizer: OPTIMIZER,
      batchSize: options.batchSize,
      steps,
      seed: options.seed,
      shards: options.shards,
      ...(onStep ? { onStep } : {}),
    });
  run(2); // JIT warm-up, as the volunteers warm up over their first units
  const boundaries = [epochMs()];
  const { params } = run(options.steps, () => boundaries.push(epochMs()));
  const perRound = roundSeconds(boundaries);
  return {
    params,
    row: {
      name: `${c.label}, one process (localTrainer), this thread`,
      work: options.steps,
      unit: 'rounds',
      seconds: perRound.reduce((sum, s) => sum + s, 0),
      relative: 1,
      note: `${roundFigures(perRound)}; no wire`,
    },
  };
}

/** The bench's MNIST workload for model `c`, as the single process trains it. */
function submitRun(
  coordinator: Coordinator,
  name: string,
  c: ModelCase,
  options: typeof GRADIENT_ROUNDS_DEFAULTS,
  quorum: number,
  maxStaleness: number,
) {
  return coordinator.client.submit({
    kind: 'gradient',
    name,
    spec: {
      ...c.spec,
      dataset: 'mnist',
      optimizer: OPTIMIZER,
      batchSize: options.batchSize,
      steps: options.steps,
      shards: options.shards,
      seed: options.seed,
      // Held-out accuracy once, after the last step: the single process evaluates nothing.
      evalEvery: options.steps,
      maxStaleness,
    },
    redundancy: { quorum },
  });
}

async function distributed(
  coordinator: Coordinator,
  threads: VolunteerThread[],
  c: ModelCase,
  quorum: number,
  baseline: Baseline,
  options: typeof GRADIENT_ROUNDS_DEFAULTS,
): Promise<BenchRow> {
  const name = `${c.label}, ${threads.length} volunteers (1 thread each), quorum ${quorum}`;
  await Promise.all(
    threads.map((t, i) => t.join(coordinator.url, `bench-${quorum}-${i}`, options.idleMs)),
  );
  let problem: string | null = null;
  let boundaries: number[] = [];
  let wire = { in: 0, out: 0 };
  let params = new Float32Array(0);
  let unitMs = Number.NaN;
  try {
    const before = coordinator.wire.snapshot();
    coordinator.closeMs.length = 0;
    const view = await submitRun(coordinator, name, c, options, quorum, 0);
    const submitted = epochMs();
    // Polls the store in process, so that no researcher traffic adds to the wire count.
    const giveUp = Date.now() + RUN_TIMEOUT_MS;
    for (;;) {
      const record = await coordinator.server.coordinator.reads.workload(view.id);
      const failure = threads.find((t) => t.failure !== null)?.failure;
      if (failure) problem = `a volunteer failed: ${failure}`;
      else if (record && record.status !== 'running' && record.status !== 'queued') {
        if (record.status !== 'completed') problem = `workload ended ${record.status}`;
      } else if (Date.now() > giveUp) {
        problem = `stuck at ${record?.unitsValidated}/${record?.unitsTotal} units`;
      } else {
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      break;
    }
    const after = coordinator.wire.snapshot();
    wire = { in: after.in - before.in, out: after.out - before.out };
    const units = threads.flatMap((t) => t.units).filter((u) => u.refused === null);
    unitMs = units.reduce((sum, u) => sum + u.answeredAt - u.leasedAt, 0) / units.length;
    // Round v opens when its first unit is leased (round v - 1 has closed by then) and the
    // last round closes with the last result answered.
    const firstLease = (version: number) =>
      Math.min(...units.filter((u) => u.version === version).map((u) => u.leasedAt));
    const last = options.steps - 1;
    boundaries = [
      submitted,
      ...Array.from({ length: last }, (_, v) => firstLease(v + 1)),
      Math.max(...units.filter((u) => u.version === last).map((u) => u.answeredAt)),
    ];
    if (problem === null && !boundaries.every(Number.isFinite)) {
      problem = 'a round has no reported unit';
    }
    if (problem === null) {
      const response = await fetch(`${coordinator.url}/api/workloads/${view.id}/result?format=bin`);
      params = new Float32Array(await response.arrayBuffer());
    }
  } finally {
    await Promise.all(threads.map((t) => t.leave()));
  }
  const error = problem === null ? relativeL2Error(params, baseline.params) : Number.NaN;
  if (problem === null && !(error <= GRADIENT_TOLERANCE)) {
    problem = `final parameters differ from one process: relative L2 ${error.toExponential(2)}`;
  }
  if (problem !== null) {
    return { name, work: options.steps, unit: 'rounds', seconds: Number.NaN, note: '', problem };
  }
  const perRound = roundSeconds(boundaries);
  const seconds = perRound.reduce((sum, s) => sum + s, 0);
  const perRoundBytes = (bytes: number) => megabytes(bytes / options.steps);
  const closes = coordinator.closeMs;
  const closeMean = closes.reduce((sum, ms) => sum + ms, 0) / Math.max(1, closes.length);
  return {
    name,
    work: options.steps,
    unit: 'rounds',
    seconds,
    relative: baseline.row.seconds / seconds,
    note:
      `${roundFigures(perRound)}; unit lease to answer ${unitMs.toFixed(0)} ms mean; ` +
      `round close ${closeMean.toFixed(0)} ms mean (${closes.length} closes); ` +
      `wire ${perRoundBytes(wire.in + wire.out)}/round ` +
      `(${perRoundBytes(wire.out)} down, ${perRoundBytes(wire.in)} up); ` +
      `params rel L2 ${error.toExponential(1)} vs one process`,
  };
}

/** [A3] The straggler runs: one volunteer holds each result back this long. */
export const STRAGGLER_SLOW_MS = 400;
const STRAGGLER_STALENESS = 2;

/**
 * One slow volunteer among `threads`: the same steps with synchronous rounds and with bounded
 * staleness (SPEC A3), seconds per step from submit to completion. The synchronous run must
 * equal one process; the asynchronous one must equal one process replaying its versions.
 */
async function stragglerRun(
  coordinator: Coordinator,
  threads: VolunteerThread[],
  c: ModelCase,
  train: ExampleSet,
  maxStaleness: number,
  options: typeof GRADIENT_ROUNDS_DEFAULTS,
): Promise<BenchRow> {
  const name =
    `${c.label}, ${threads.length} volunteers, one holding results ${STRAGGLER_SLOW_MS} ms, ` +
    (maxStaleness === 0 ? 'synchronous rounds' : `maxStaleness ${maxStaleness}`);
  await Promise.all(
    threads.map((t, i) =>
      t.join(
        coordinator.url,
        `straggler-${maxStaleness}-${i}`,
        options.idleMs,
        i === 0 ? STRAGGLER_SLOW_MS : 0,
      ),
    ),
  );
  let problem: string | null = null;
  let seconds = Number.NaN;
  let stale = 0;
  let error = Number.NaN;
  try {
    const started = epochMs();
    const view = await submitRun(coordinator, name, c, options, 1, maxStaleness);
    const giveUp = Date.now() + RUN_TIMEOUT_MS;
    for (;;) {
      const record = await coordinator.server.coordinator.reads.workload(view.id);
      if (record && record.status !== 'running' && record.status !== 'queued') {
        if (record.status !== 'completed') problem = `workload ended ${record.status}`;
        break;
      }
      if (Date.now() > giveUp) {
        problem = `stuck at ${record?.unitsValidated}/${record?.unitsTotal} units`;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    seconds = (epochMs() - started) / 1000;
    if (problem === null) {
      const result = (await coordinator.client.result(view.id)) as unknown as {
        steps: Array<{ versions?: number[] }>;
      };
      const versions = result.steps.map(
        (s, step) => s.versions ?? Array(options.shards).fill(step),
      );
      stale = versions.flat().filter((v, i) => v < Math.floor(i / options.shards)).length;
      const replay = trainLocally({
        config: c.config,
        train,
        optimizer: OPTIMIZER,
        batchSize: options.batchSize,
        steps: options.steps,
        seed: options.seed,
        shards: options.shards,
        versionOf: (step, shard) => versions[step]![shard]!,
      });
      const response = await fetch(`${coordinator.url}/api/workloads/${view.id}/result?format=bin`);
      error = relativeL2Error(new Float32Array(await response.arrayBuffer()), replay.params);
      if (!(error <= GRADIENT_TOLERANCE)) {
        problem = `final parameters differ from the replay: relative L2 ${error.toExponential(2)}`;
      }
    }
  } finally {
    await Promise.all(threads.map((t) => t.leave()));
  }
  if (problem !== null) {
    return { name, work: options.steps, unit: 'rounds', seconds: Number.NaN, note: '', problem };
  }
  return {
    name,
    work: options.steps,
    unit: 'rounds',
    seconds,
    note:
      `${((seconds / options.steps) * 1000).toFixed(0)} ms/step from submit to completion; ` +
      `${stale} of ${options.steps * options.shards} units on older parameters; ` +
      `params rel L2 ${error.toExponential(1)} vs one process replaying the versions used`,
  };
}

export async function benchGradientRounds(
  options: { log?: (line: string) => void } & Partial<typeof GRADIENT_ROUNDS_DEFAULTS> = {},
): Promise<BenchRow[]> {
  const settings = { ...GRADIENT_ROUNDS_DEFAULTS, ...options };
  const log = options.log ?? (() => {});
  const crewSizes = [2, 8];
  const busyBefore = loadavg()[0]!;
  log(`gradient rounds: starting ${Math.max(...crewSizes)} volunteer threads`);
  const threads = await Promise.all(
    Array.from({ length: Math.max(...crewSizes) }, () => VolunteerThread.start()),
  );
  const coordinator = await startCoordinator(settings.idleMs);
  try {
    log('gradient rounds: loading MNIST');
    const { train } = await loadMnist();
    const rows: BenchRow[] = [];
    const cases = modelCases(settings.hidden);
    for (const c of cases) {
      log(`gradient rounds: ${c.label}, one process`);
      const baseline = singleProcess(c, train, settings);
      rows.push(baseline.row);
      const runs = crewSizes.map((n) => ({ n, quorum: 1 }));
      // One replicated run: every unit computed twice, by two different volunteers.
      if (c === cases[cases.length - 1]) runs.push({ n: Math.max(...crewSizes), quorum: 2 });
      for (const { n, quorum } of runs) {
        log(`gradient rounds: ${c.label}, ${n} volunteers, quorum ${quorum}`);
        rows.push(
          await distributed(coordinator, threads.slice(0, n), c, quorum, baseline, settings),
        );
      }
    }
    // [A3] What bounded staleness buys when one tab is slow: softmax (the cheap model), so the
    // straggler's hold-back dominates the step, not the machine's two cores.
    const softmax = cases[0]!;
    const stragglerCrew = threads.slice(0, Math.max(...crewSizes));
    const straggler: BenchRow[] = [];
    for (const maxStaleness of [0, STRAGGLER_STALENESS]) {
      log(`gradient rounds: one slow volunteer, maxStaleness ${maxStaleness}`);
      straggler.push(
        await stragglerRun(coordinator, stragglerCrew, softmax, train, maxStaleness, settings),
      );
    }
    const syncSeconds = straggler[0]!.seconds;
    rows.push(...straggler.map((row) => ({ ...row, relative: syncSeconds / row.seconds })));
    const cores = cpus().length;
    rows.push({
      name: 'setup (every row)',
      work: settings.steps,
      unit: 'rounds',
      seconds: Number.NaN,
      note:
        `each round: batch ${settings.batchSize} MNIST digits in ${settings.shards} shards, Adam; ` +
        `coordinator + volunteer threads share ${cores} core(s), so at most ${cores}x parallel; ` +
        `idle volunteers re-ask after ${settings.idleMs} ms or at a work:available push; load average ${busyBefore.toFixed(1)} ` +
        'before the section (other work on the machine slows every row)',
    });
    return rows;
  } finally {
    await coordinator.close();
    await Promise.all(threads.map((t) => t.terminate()));
  }
}
