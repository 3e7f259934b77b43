// Inference throughput, rows/s, in three parts.
// 1. One block of MNIST digits through a trained MLP on every engine an inference unit can run
//    on, each checked against the TypeScript reference (inferenceEngines.ts).
// 2. An inference workload over a real coordinator (benchCoordinator.ts: Express + socket.io +
//    SQLite in a temp folder): a blobs CSV uploaded, a small MLP trained on it by volunteers,
//    then that model over every row by 2 and 8 volunteers (GradientVolunteer, one worker thread
//    each), from submit to completed, against one process predicting the same rows; the
//    coordinator's predictions must equal that process's. Bytes per row from the volunteers'
//    download tallies and the result format.
// 3. Training rounds of a 2-hidden-layer MLP on MNIST over the same coordinator with 2
//    volunteers, against one process (localTrainer.ts), with gradientRounds.ts's workload and
//    baseline; final parameters within the gradient tolerance.
// The coordinator and every volunteer thread share this machine's cores: with 2 cores, 8
// volunteers measure the protocol's overhead more than parallel speed-up.
import { cpus, loadavg } from 'node:os';
import type { ExampleSet } from '../../shared/src/kinds/gradient/exampleSet';
import {
  GRADIENT_TOLERANCE,
  relativeL2Error,
} from '../../shared/src/kinds/gradient/gradientCompare';
import { parameterCount, type ModelConfig } from '../../shared/src/kinds/gradient/gradientModel';
import type { OptimizerConfig } from '../../shared/src/kinds/gradient/optimizer';
import { shardByteLength } from '../../shared/src/kinds/gradient/shardCodec';
import { makeBlobs } from '../../shared/src/kinds/gradient/syntheticBlobs';
import {
  decodeInferenceResult,
  inferenceResultByteLength,
} from '../../shared/src/kinds/inference/inferenceResult';
import { predictRows } from '../../shared/src/kinds/inference/predictRows';
import { parseCsvDataset } from '../../server/src/datasets/csvDataset';
import { contentOf, featureStatistics } from '../../server/src/datasets/datasetCodec';
import { loadMnist } from '../../server/src/datasets/mnist';
import { standardize } from '../../server/src/datasets/uploadedSets';
import {
  epochMs,
  finalParams,
  startBenchCoordinator,
  startVolunteerThreads,
  withCrew,
  type BenchCoordinator,
  type VolunteerTally,
  type VolunteerThread,
} from './benchCoordinator';
import type { BenchRow } from './benchRow';
import { localRounds, roundSeconds, submitRun, type ModelCase } from './gradientRounds';
import { benchInferenceEngines, checked } from './inferenceEngines';
import { timeFastest } from './timing';

export const INFERENCE_BENCH_DEFAULTS = {
  /** MNIST digits (held-out set) per engine pass in part 1. */
  mnistRows: 1_024,
  /** Timed passes per engine in part 1, and of the one-process baselines; the fastest counts. */
  repeats: 3,
  /** The uploaded CSV of part 2: blobs, rows x features, `blobClasses` classes. */
  csvRows: 4_096,
  csvFeatures: 64,
  blobClasses: 4,
  rowsPerUnit: 256,
  /** Part 3: MNIST training steps, batch and shards per step. */
  trainSteps: 8,
  trainBatch: 512,
  trainShards: 8,
  /** Longest idle wait between work requests (a work:available push cuts it short). */
  idleMs: 2_000,
} as const;
type Settings = typeof INFERENCE_BENCH_DEFAULTS;

/** A workload that takes longer is reported as a problem, not waited for. */
const RUN_TIMEOUT_MS = 90_000;
const TOKEN = 'bench-token-inference';
const SEED = 20261127;
const BLOBS_OPTIMIZER: OptimizerConfig = { name: 'adam', lr: 0.05 };
const BLOBS_HIDDEN = [64, 32];
const TRAIN_HIDDEN = [128, 64];

const bytesText = (bytes: number) => `${Math.round(bytes).toLocaleString('en-US')} B`;
const msText = (seconds: number) => `${(seconds * 1000).toFixed(0)} ms`;

type Tally = VolunteerTally;

const sumOf = (
  tallies: readonly Tally[],
  field: 'partitionFetches' | 'partitionBytes' | 'paramBytes',
) => tallies.reduce((sum, t) => sum + t[field], 0);

// ---------------------------------------------------------------------------------------------
// Part 2: inference workloads over the coordinator

/** Seeded blobs as a labelled CSV (header f0..f{D-1},label; 4 decimals). */
function blobsCsv(settings: Settings): string {
  const d = settings.csvFeatures;
  const set = makeBlobs({
    count: settings.csvRows,
    inputSize: d,
    classes: settings.blobClasses,
    seed: SEED,
  });
  const lines = [[...Array.from({ length: d }, (_, j) => `f${j}`), 'label'].join(',')];
  for (let n = 0; n < set.count; n++) {
    const cells = Array.from(set.features.subarray(n * d, n * d + d), (x) => x.toFixed(4));
    lines.push([...cells, String(set.labels[n])].join(','));
  }
  return lines.join('\n') + '\n';
}

async function benchInferenceRuns(
  coordinator: BenchCoordinator,
  threads: readonly VolunteerThread[],
  crewSizes: readonly number[],
  settings: Settings,
  log: (line: string) => void,
): Promise<BenchRow[]> {
  const d = settings.csvFeatures;
  const k = settings.blobClasses;
  const config: ModelConfig = { model: 'mlp', inputSize: d, hidden: BLOBS_HIDDEN, classes: k };
  const label = `blobs ${[d, ...BLOBS_HIDDEN, k].join('-')} mlp`;
  const rowsTotal = settings.csvRows;
  log('inference: uploading the blobs CSV');
  const csv = blobsCsv(settings);
  const { dataset } = await coordinator.client.uploadDataset(csv, 'bench-blobs.csv');
  log('inference: training the blobs model (2 volunteers)');
  const training = await withCrew(coordinator, threads.slice(0, 2), 'train', () =>
    coordinator.client
      .submit({
        kind: 'gradient',
        name: 'bench inference: the model',
        spec: {
          model: 'mlp',
          hidden: BLOBS_HIDDEN,
          dataset: dataset.id,
          optimizer: BLOBS_OPTIMIZER,
          batchSize: 256,
          steps: 4,
          shards: 2,
          seed: 1,
        },
        redundancy: { quorum: 1 },
      })
      .then((view) => view.id),
  );
  if (training.problem !== null) {
    return [
      {
        name: `${label}, training the model`,
        work: rowsTotal,
        unit: 'rows',
        seconds: Number.NaN,
        note: '',
        problem: training.problem,
      },
    ];
  }
  const params = await finalParams(coordinator, training.id);
  // The rows as the coordinator serves them: standardised with the training data's statistics
  // (the same CSV here).
  const content = contentOf(parseCsvDataset(csv));
  const rows: ExampleSet = {
    dtype: 'float32',
    count: content.rows,
    inputSize: d,
    classes: k,
    features: standardize(content.values, d, featureStatistics(content)),
    labels: content.labels ?? new Uint8Array(content.rows),
  };
  log('inference: one process');
  const { first: expected, seconds: baseSeconds } = timeFastest(
    () => predictRows(config, params, rows),
    settings.repeats,
  );
  const baseRate = rowsTotal / baseSeconds;
  const out: BenchRow[] = [
    {
      name: `${label}, one process (predictRows), this thread`,
      work: rowsTotal,
      unit: 'rows',
      seconds: baseSeconds,
      relative: 1,
      note: `no wire; model trained over the coordinator (4 steps, batch 256, 2 shards)`,
    },
  ];
  const rowBytes = shardByteLength({ dtype: 'float32', count: settings.rowsPerUnit, inputSize: d });
  const resultBytes = inferenceResultByteLength(settings.rowsPerUnit, k);
  const modelBytes = 4 * parameterCount(config);
  const infer = (n: number, name: string) =>
    withCrew(coordinator, threads.slice(0, n), `infer-${n}`, () =>
      coordinator.client
        .submit({
          kind: 'inference',
          name,
          spec: { workload: training.id, dataset: dataset.id, rowsPerUnit: settings.rowsPerUnit },
          redundancy: { quorum: 1 },
        })
        .then((view) => view.id),
    );
  for (const n of crewSizes) {
    const name = `${label}, ${n} volunteers (1 thread each), ${settings.rowsPerUnit} rows/unit`;
    log(`inference: ${n} volunteers, ${settings.repeats} workloads`);
    // Each repeat is a fresh workload with fresh volunteers (model and rows downloaded again);
    // every answer is checked, the fastest run reported.
    let best: (Awaited<ReturnType<typeof infer>> & { check: string }) | null = null;
    let problem: string | null = null;
    for (let r = 0; r < settings.repeats && problem === null; r++) {
      const run = await infer(n, `${name} #${r + 1}`);
      if (run.problem !== null) {
        problem = run.problem;
        break;
      }
      const response = await fetch(`${coordinator.url}/api/workloads/${run.id}/result?format=bin`);
      const got = decodeInferenceResult(new Uint8Array(await response.arrayBuffer()));
      const verdict = checked(`${n} volunteers`, got, expected);
      problem = verdict.problem ?? null;
      if (best === null || run.seconds < best.seconds) best = { ...run, check: verdict.check };
    }
    if (problem !== null || best === null) {
      out.push({
        name,
        work: rowsTotal,
        unit: 'rows',
        seconds: Number.NaN,
        note: '',
        problem: problem ?? 'no run',
      });
      continue;
    }
    // Each unit's rows are fetched once (distinct hashes, quorum 1); the tally's `units` may
    // miss the last one, whose acknowledgement can arrive after the volunteer was let go.
    const units = sumOf(best.tallies, 'partitionFetches');
    const rowsDown = sumOf(best.tallies, 'partitionBytes');
    const up = units * resultBytes;
    const modelDown = sumOf(best.tallies, 'paramBytes');
    const fetchedBy = best.tallies.filter((t) => t.paramFetches > 0).length;
    out.push({
      name,
      work: rowsTotal,
      unit: 'rows',
      seconds: best.seconds,
      relative: rowsTotal / best.seconds / baseRate,
      note:
        `submit to completed, fastest of ${settings.repeats} workloads, quorum 1; ${units} units; ` +
        `wire ${((rowsDown + up) / rowsTotal).toFixed(0)} B/row ` +
        `(rows ${bytesText(rowsDown)} down + results ${bytesText(up)} up), plus the model ` +
        `${bytesText(modelDown)} down (${fetchedBy} of ${n} volunteers fetched it); ${best.check}`,
    });
  }
  out.push({
    name: `${label}, bytes per row on the wire (formats)`,
    work: Math.round((rowBytes + resultBytes) / settings.rowsPerUnit),
    unit: 'bytes',
    seconds: Number.NaN,
    note:
      `a ${settings.rowsPerUnit}-row unit: rows ${bytesText(rowBytes)} down (${d} float32 features + label byte, ` +
      `32 B header) + result ${bytesText(resultBytes)} up (class byte + ${k} float32 probabilities); ` +
      `model ${bytesText(modelBytes)} once per volunteer`,
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Part 3: training rounds of a 2-hidden-layer MLP

async function benchTrainingRounds(
  coordinator: BenchCoordinator,
  threads: readonly VolunteerThread[],
  settings: Settings,
  log: (line: string) => void,
): Promise<BenchRow[]> {
  const { train, test } = await loadMnist();
  const c: ModelCase = {
    label: `mlp ${[784, ...TRAIN_HIDDEN, 10].join('-')} training`,
    config: { model: 'mlp', inputSize: 784, hidden: TRAIN_HIDDEN, classes: 10 },
    spec: { model: 'mlp', hidden: TRAIN_HIDDEN },
  };
  const steps = settings.trainSteps;
  const rounds = {
    batchSize: settings.trainBatch,
    shards: settings.trainShards,
    steps,
    seed: SEED,
  };
  log(`${c.label}: one process`);
  // Its JIT warm-up matches the volunteers', who warmed up over part 2's units.
  const { params: expected, boundaries } = localRounds(c, train, rounds, test);
  const baseSeconds = (boundaries[boundaries.length - 1]! - boundaries[0]!) / 1000;
  const roundsText = (ends: readonly number[]) => {
    const seconds = roundSeconds(ends);
    const mean = seconds.reduce((sum, s) => sum + s, 0) / seconds.length;
    return `${msText(mean)}/round mean, first ${msText(seconds[0]!)}, slowest ${msText(Math.max(...seconds))}`;
  };
  const out: BenchRow[] = [
    {
      name: `${c.label}, one process (localTrainer), this thread`,
      work: steps,
      unit: 'rounds',
      seconds: baseSeconds,
      relative: 1,
      note: `${roundsText(boundaries)}; no wire`,
    },
  ];
  const n = 2;
  const name = `${c.label}, ${n} volunteers (1 thread each), quorum 1`;
  log(`${c.label}: ${n} volunteers`);
  coordinator.roundCloses.length = 0;
  let submitted = Number.NaN;
  const run = await withCrew(coordinator, threads.slice(0, n), 'rounds', () => {
    submitted = epochMs();
    return submitRun(coordinator, name, c, rounds, 1, 0);
  });
  let problem = run.problem;
  let error = Number.NaN;
  if (problem === null) {
    error = relativeL2Error(await finalParams(coordinator, run.id), expected);
    if (!(error <= GRADIENT_TOLERANCE)) {
      problem = `final parameters differ from one process: relative L2 ${error.toExponential(2)}`;
    }
  }
  const ends = [submitted, ...coordinator.roundCloses.map((close) => close.at)];
  if (problem === null && ends.length !== steps + 1) {
    problem = `${ends.length - 1} round closes seen for ${steps} steps`;
  }
  if (problem !== null) {
    out.push({ name, work: steps, unit: 'rounds', seconds: Number.NaN, note: '', problem });
    return out;
  }
  const seconds = (ends[ends.length - 1]! - submitted) / 1000;
  const down = sumOf(run.tallies, 'paramBytes') + sumOf(run.tallies, 'partitionBytes');
  out.push({
    name,
    work: steps,
    unit: 'rounds',
    seconds,
    relative: baseSeconds / seconds,
    note:
      `${roundsText(ends)} (first includes the MNIST partitions' download); ` +
      `${(down / steps / 1e6).toFixed(2)} MB/round down (params + partitions); ` +
      `params rel L2 ${error.toExponential(1)} vs one process`,
  });
  return out;
}

// ---------------------------------------------------------------------------------------------

export async function benchInference(
  options: { log?: (line: string) => void } & Partial<Settings> = {},
): Promise<BenchRow[]> {
  const settings = { ...INFERENCE_BENCH_DEFAULTS, ...options };
  const log = options.log ?? (() => {});
  const busyBefore = loadavg()[0]!;
  const rows = await benchInferenceEngines(settings, log);
  const crewSizes = [2, 8];
  log(`inference: starting ${Math.max(...crewSizes)} volunteer threads`);
  const threads = await startVolunteerThreads(Math.max(...crewSizes));
  const coordinator = await startBenchCoordinator({
    dirPrefix: 'tessera-bench-inference-',
    token: TOKEN,
    idleMs: settings.idleMs,
    runTimeoutMs: RUN_TIMEOUT_MS,
    pollMs: 10,
  });
  try {
    rows.push(...(await benchInferenceRuns(coordinator, threads, crewSizes, settings, log)));
    rows.push(...(await benchTrainingRounds(coordinator, threads, settings, log)));
  } finally {
    await coordinator.close();
    await Promise.all(threads.map((t) => t.terminate()));
  }
  const cores = cpus().length;
  rows.push({
    name: 'setup',
    work: settings.mnistRows,
    unit: 'rows',
    seconds: Number.NaN,
    note:
      `engines: ${settings.mnistRows} held-out MNIST digits as float32, models after 5 Adam steps; ` +
      `coordinator: ${settings.csvRows} x ${settings.csvFeatures} blobs CSV (${settings.blobClasses} classes); ` +
      `training: batch ${settings.trainBatch} MNIST digits in ${settings.trainShards} shards, Adam; ` +
      `coordinator + volunteer threads share ${cores} core(s); load average ${busyBefore.toFixed(1)} ` +
      'before the section (other work on the machine slows every row)',
  });
  return rows;
}
