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
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ExampleSet } from '../../shared/src/kinds/gradient/exampleSet';
import {
  GRADIENT_TOLERANCE,
  relativeL2Error,
} from '../../shared/src/kinds/gradient/gradientCompare';
import type { ModelConfig } from '../../shared/src/kinds/gradient/gradientModel';
import { evaluate } from '../../shared/src/kinds/gradient/gradientReference';
import { trainLocally } from '../../shared/src/kinds/gradient/localTrainer';
import type { OptimizerConfig } from '../../shared/src/kinds/gradient/optimizer';
import { loadMnist } from '../../server/src/datasets/mnist';
import {
  epochMs,
  finalParams,
  startBenchCoordinator,
  startVolunteerThreads,
  withCrew,
  type BenchCoordinator,
  type VolunteerThread,
} from './benchCoordinator';
import type { BenchRow } from './benchRow';

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

export interface ModelCase {
  label: string;
  config: ModelConfig;
  /** The model's fields of the submitted spec. */
  spec: { model: 'softmax' } | { model: 'mlp'; hidden: number | number[] };
}

/** How a run trains: batch and shards per step, steps, seed (as GRADIENT_ROUNDS_DEFAULTS). */
export interface RoundsSettings {
  batchSize: number;
  shards: number;
  steps: number;
  seed: number;
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
      config: { model: 'mlp', inputSize: 784, hidden: [hidden], classes: 10 },
      spec: { model: 'mlp', hidden },
    },
  ];
}

/** Seconds of each round from its boundaries (epoch ms): round i runs from b[i] to b[i + 1]. */
export function roundSeconds(boundaries: readonly number[]): number[] {
  return boundaries.slice(1).map((end, i) => (end - boundaries[i]!) / 1000);
}

const meanOf = (values: readonly number[]) =>
  values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);

/**
 * Seconds per round once running: the mean of every round after the first. The first is shown
 * apart: there volunteers download their data partitions (G1) and their threads' JIT warms up,
 * which the one-process baseline did before its clock started (localRounds).
 */
export function steadyRoundSeconds(seconds: readonly number[]): number {
  return meanOf(seconds.length > 1 ? seconds.slice(1) : seconds);
}

/** Mean after the first round, mean and p95 over every round, and the first round alone. */
function roundFigures(seconds: readonly number[]): string {
  const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;
  const sorted = [...seconds].sort((a, b) => a - b);
  const p95 = sorted[Math.ceil(0.95 * sorted.length) - 1]!;
  return (
    `${ms(steadyRoundSeconds(seconds))}/round after the first (${ms(meanOf(seconds))} mean ` +
    `over all, ${ms(p95)} p95), first ${ms(seconds[0]!)}`
  );
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

/**
 * One process training `c` with the coordinator's shards and steps (localTrainer.ts), after a
 * two-step JIT warm-up (as the volunteers warm up over their first units): the final parameters
 * and each round's boundaries, epoch ms.
 */
export function localRounds(
  c: ModelCase,
  train: ExampleSet,
  options: RoundsSettings,
  /**
   * The held-out set, evaluated after the last step as the coordinator does when it closes a
   * workload's last round (that round's time includes it on both sides).
   */
  heldOut: ExampleSet,
): { params: Float32Array; boundaries: number[] } {
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
  run(2);
  const boundaries = [epochMs()];
  const { params } = run(options.steps, () => boundaries.push(epochMs()));
  evaluate(c.config, params, heldOut);
  boundaries[boundaries.length - 1] = epochMs();
  return { params, boundaries };
}

interface Baseline {
  row: BenchRow;
  params: Float32Array;
  /** steadyRoundSeconds of its rounds. */
  steady: number;
}

function singleProcess(
  c: ModelCase,
  sets: { train: ExampleSet; test: ExampleSet },
  options: RoundsSettings,
): Baseline {
  const { params, boundaries } = localRounds(c, sets.train, options, sets.test);
  const perRound = roundSeconds(boundaries);
  return {
    params,
    steady: steadyRoundSeconds(perRound),
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

/** The bench's MNIST workload for model `c`, as localRounds trains it; its id. */
export async function submitRun(
  coordinator: BenchCoordinator,
  name: string,
  c: ModelCase,
  options: RoundsSettings,
  quorum: number,
  maxStaleness: number,
): Promise<string> {
  const view = await coordinator.client.submit({
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
  return view.id;
}

const problemRow = (name: string, steps: number, problem: string): BenchRow => ({
  name,
  work: steps,
  unit: 'rounds',
  seconds: Number.NaN,
  note: '',
  problem,
});

async function distributed(
  coordinator: BenchCoordinator,
  threads: VolunteerThread[],
  c: ModelCase,
  quorum: number,
  baseline: Baseline,
  options: RoundsSettings,
): Promise<BenchRow> {
  const name = `${c.label}, ${threads.length} volunteers (1 thread each), quorum ${quorum}`;
  let before = { in: 0, out: 0 };
  let after = { in: 0, out: 0 };
  let submitted = Number.NaN;
  // The coordinator runs on this thread: its event loop's active time over the run is what the
  // coordinator took of the cores the volunteers share (with the bench's own bookkeeping).
  let eluBefore = performance.eventLoopUtilization();
  let eluAfter = eluBefore;
  const run = await withCrew(
    coordinator,
    threads,
    `bench-${quorum}`,
    async () => {
      before = coordinator.wire.snapshot();
      eluBefore = performance.eventLoopUtilization();
      coordinator.roundCloses.length = 0;
      const id = await submitRun(coordinator, name, c, options, quorum, 0);
      submitted = epochMs();
      return id;
    },
    {
      atEnd: () => {
        after = coordinator.wire.snapshot();
        eluAfter = performance.eventLoopUtilization(eluBefore);
      },
    },
  );
  let problem = run.problem;
  const wire = { in: after.in - before.in, out: after.out - before.out };
  const units = threads.flatMap((t) => t.units).filter((u) => u.refused === null);
  const unitMs = units.reduce((sum, u) => sum + u.answeredAt - u.leasedAt, 0) / units.length;
  // Round v opens when its first unit is leased (round v - 1 has closed by then) and the
  // last round closes with the last result answered.
  const firstLease = (version: number) =>
    Math.min(...units.filter((u) => u.version === version).map((u) => u.leasedAt));
  const last = options.steps - 1;
  const boundaries = [
    submitted,
    ...Array.from({ length: last }, (_, v) => firstLease(v + 1)),
    Math.max(...units.filter((u) => u.version === last).map((u) => u.answeredAt)),
  ];
  if (problem === null && !boundaries.every(Number.isFinite)) {
    problem = 'a round has no reported unit';
  }
  let error = Number.NaN;
  if (problem === null) {
    error = relativeL2Error(await finalParams(coordinator, run.id), baseline.params);
    if (!(error <= GRADIENT_TOLERANCE)) {
      problem = `final parameters differ from one process: relative L2 ${error.toExponential(2)}`;
    }
  }
  if (problem !== null) return problemRow(name, options.steps, problem);
  const perRound = roundSeconds(boundaries);
  const seconds = perRound.reduce((sum, s) => sum + s, 0);
  const perRoundBytes = (bytes: number) => megabytes(bytes / options.steps);
  const closes = coordinator.roundCloses.map((close) => close.ms);
  const closeMean = closes.reduce((sum, ms) => sum + ms, 0) / Math.max(1, closes.length);
  return {
    name,
    work: options.steps,
    unit: 'rounds',
    seconds,
    // Per round once running (rounds after the first on both sides): see steadyRoundSeconds.
    relative: baseline.steady / steadyRoundSeconds(perRound),
    note:
      `${roundFigures(perRound)}; unit lease to answer ${unitMs.toFixed(0)} ms mean; ` +
      `round close ${closeMean.toFixed(0)} ms mean (${closes.length} closes); ` +
      `coordinator thread busy ${(eluAfter.active / options.steps).toFixed(0)} ms/round ` +
      `(mean over all, ${(eluAfter.utilization * 100).toFixed(0)}% of the run); ` +
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
  coordinator: BenchCoordinator,
  threads: VolunteerThread[],
  c: ModelCase,
  train: ExampleSet,
  maxStaleness: number,
  options: RoundsSettings,
): Promise<BenchRow> {
  const name =
    `${c.label}, ${threads.length} volunteers, one holding results ${STRAGGLER_SLOW_MS} ms, ` +
    (maxStaleness === 0 ? 'synchronous rounds' : `maxStaleness ${maxStaleness}`);
  const run = await withCrew(
    coordinator,
    threads,
    `straggler-${maxStaleness}`,
    () => submitRun(coordinator, name, c, options, 1, maxStaleness),
    { slowMs: (i) => (i === 0 ? STRAGGLER_SLOW_MS : 0) },
  );
  let problem = run.problem;
  let stale = 0;
  let error = Number.NaN;
  if (problem === null) {
    const result = (await coordinator.client.result(run.id)) as unknown as {
      steps: Array<{ versions?: number[] }>;
    };
    const versions = result.steps.map((s, step) => s.versions ?? Array(options.shards).fill(step));
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
    error = relativeL2Error(await finalParams(coordinator, run.id), replay.params);
    if (!(error <= GRADIENT_TOLERANCE)) {
      problem = `final parameters differ from the replay: relative L2 ${error.toExponential(2)}`;
    }
  }
  if (problem !== null) return problemRow(name, options.steps, problem);
  const seconds = run.seconds;
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
  options: {
    log?: (line: string) => void;
    /**
     * Only softmax with 2 volunteers (no MLP, no straggler rows): for profiling a round, e.g.
     * `node --import tsx --cpu-prof scripts/bench/profileRounds.ts`.
     */
    quick?: boolean;
  } & Partial<typeof GRADIENT_ROUNDS_DEFAULTS> = {},
): Promise<BenchRow[]> {
  const settings = { ...GRADIENT_ROUNDS_DEFAULTS, ...options };
  const log = options.log ?? (() => {});
  const crewSizes = options.quick ? [2] : [2, 8];
  const busyBefore = loadavg()[0]!;
  log(`gradient rounds: starting ${Math.max(...crewSizes)} volunteer threads`);
  const threads = await startVolunteerThreads(Math.max(...crewSizes));
  const coordinator = await startBenchCoordinator({
    dirPrefix: 'tessera-bench-rounds-',
    token: TOKEN,
    idleMs: settings.idleMs,
    runTimeoutMs: RUN_TIMEOUT_MS,
    pollMs: 20,
  });
  try {
    log('gradient rounds: loading MNIST');
    const mnist = await loadMnist();
    const { train } = mnist;
    const rows: BenchRow[] = [];
    const cases = modelCases(settings.hidden).slice(0, options.quick ? 1 : undefined);
    for (const c of cases) {
      log(`gradient rounds: ${c.label}, one process`);
      const baseline = singleProcess(c, mnist, settings);
      rows.push(baseline.row);
      const runs = crewSizes.map((n) => ({ n, quorum: 1 }));
      // One replicated run: every unit computed twice, by two different volunteers.
      if (c === cases[cases.length - 1] && !options.quick)
        runs.push({ n: Math.max(...crewSizes), quorum: 2 });
      for (const { n, quorum } of runs) {
        log(`gradient rounds: ${c.label}, ${n} volunteers, quorum ${quorum}`);
        rows.push(
          await distributed(coordinator, threads.slice(0, n), c, quorum, baseline, settings),
        );
      }
    }
    if (options.quick) return rows;
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
        "relative = one-process round time / this row's, both over the rounds after the first; " +
        'volunteers send their next request with their results and the coordinator holds it until ' +
        `the next round opens (L13; an empty answer after 5 s, then a re-ask after ${settings.idleMs} ms ` +
        `or at a work:available push); load average ${busyBefore.toFixed(1)} ` +
        'before the section (other work on the machine slows every row)',
    });
    return rows;
  } finally {
    await coordinator.close();
    await Promise.all(threads.map((t) => t.terminate()));
  }
}
