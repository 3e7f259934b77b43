// `npm run bench:gpu`: WGSL throughput on whatever Vulkan GPU Dawn finds (VK_ICD_FILENAMES picks
// the driver; SwiftShader when unset), sized for a real GPU. `npm run bench` sizes its runs so
// SwiftShader finishes in seconds; on a discrete GPU those runs last a few milliseconds and
// measure the submit and readback, not the kernel. Here every Monte Carlo kernel is first checked
// bit for bit against its TypeScript reference on a small task, then timed on tasks that double
// until one run lasts MIN_TIMED_SECONDS, so the figure is the kernel's steady rate. Ising runs
// one chain per unit (what a volunteer leases), so its figures show how far one lattice fills a
// GPU. Gradient units are checked against the reference within the validator's tolerance at
// every batch size. Baseline: the TypeScript reference on this machine's CPU, in this process.
//
// Last, whole training runs: the README's MNIST MLPs trained start to finish with every
// gradient computed on the GPU (parameters up, result back, per unit, as a volunteer does),
// against the same training with the TypeScript reference; accuracies and the distance between
// the two final parameter sets are reported (float32 sums in a different order drift apart a
// little over 120 Adam steps: a figure, not a check).
//
// Sections: pi, european-option, ising-2d, gradient, training (arguments pick some; default all).
// Options (env): TESSERA_BENCH_MNIST=<dir> reads the MNIST split from train.shard and
// test.shard there (shardCodec.ts; scripts/bench/device/mnistShard.ts writes them) instead of
// the npm package; TESSERA_BENCH_TRAIN_STEPS=<n> shortens the training runs (a quick check on
// SwiftShader); TESSERA_BENCH_JSON=<file> also writes the rows.
import { readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { loadMnist } from '../../server/src/datasets/mnist';
import { GpuKernelRunner } from '../../shared/src/gpu/gpuKernelRunner';
import { GradientGpu } from '../../shared/src/gpu/gradientGpu';
import type { AnyEstimator } from '../../shared/src/kinds/estimator';
import { batchIndices } from '../../shared/src/kinds/gradient/batchSchedule';
import {
  gatherExamples,
  sliceExamples,
  type ExampleSet,
} from '../../shared/src/kinds/gradient/exampleSet';
import { flopsPerExample, type ModelConfig } from '../../shared/src/kinds/gradient/gradientModel';
import { computeGradient, evaluate } from '../../shared/src/kinds/gradient/gradientReference';
import {
  gradientResultMismatch,
  relativeL2Error,
} from '../../shared/src/kinds/gradient/gradientCompare';
import { trainLocally, trainWith } from '../../shared/src/kinds/gradient/localTrainer';
import { initParameters } from '../../shared/src/kinds/gradient/parameterInit';
import { decodeShard } from '../../shared/src/kinds/gradient/shardCodec';
import { isingSpecSchema } from '../../shared/src/kinds/ising-2d/isingSpec';
import { ESTIMATORS } from '../../shared/src/kinds/registry';
import { openDawnGpu, withGpuErrorCheck, type DawnGpu } from '../../shared/test/gpu/dawnGpu';
import { fastest, formatRows, type BenchRow } from './benchRow';
import { timeFastest, timeFastestAsync, timeRunnerRuns } from './timing';

/** A timed task grows until one run takes at least this long (or reaches its cap). */
const MIN_TIMED_SECONDS = 0.5;
const REPEATS = 3;

const progress = (line: string) => process.stderr.write(`  .. ${line}\n`);

const OPTION_PARAMS = {
  spot: 100,
  strike: 100,
  rate: 0.05,
  volatility: 0.2,
  maturity: 1,
  type: 'call',
} as const;

interface CountedKernel {
  name: 'pi' | 'european-option';
  /** A task of `count` samples; the check task crosses a 2^32 counter boundary. */
  task(count: number, check: boolean): unknown;
  checkCount: number;
  startCount: number;
  maxCount: number;
}

const COUNTED: CountedKernel[] = [
  {
    name: 'pi',
    task: (count, check) => ({
      seed: 2 ** 40 + 12_345,
      start: check ? 2 * (2 ** 32 - 2 ** 20) : 0,
      count,
    }),
    checkCount: 2 ** 22 + 1,
    startCount: 2 ** 24,
    maxCount: 2 ** 38,
  },
  {
    name: 'european-option',
    task: (count, check) => ({
      seed: 2 ** 40 + 12_345,
      start: check ? 2 * (2 ** 32 - 2 ** 18) : 0,
      count,
      params: OPTION_PARAMS,
    }),
    checkCount: 2 ** 19 + 1,
    startCount: 2 ** 22,
    maxCount: 2 ** 34,
  },
];

function skippedRow(name: string, unit: string, why: string): BenchRow {
  return { name, work: 0, unit, seconds: Number.NaN, note: `skipped: ${why}` };
}

/** One untimed run (pipeline compile, warm-up), then REPEATS timed; the outputs of all. */
async function timeRuns(runner: GpuKernelRunner, estimator: AnyEstimator, task: unknown) {
  const plan = estimator.gpuPlan(task);
  const { outputs, seconds } = await timeRunnerRuns(runner, plan, REPEATS);
  return { outputs, seconds: fastest(seconds), dispatches: plan.dispatches.length };
}

function referenceRow(estimator: AnyEstimator, task: unknown, unit: string) {
  // The untimed first run gives the answer and warms the JIT.
  const { first: expected, seconds } = timeFastest(() => estimator.runReference(task), REPEATS);
  const row: BenchRow = {
    name: 'TypeScript reference, Node (CPU)',
    work: estimator.workOf(task),
    unit,
    seconds,
    note: `1 core of ${cpus()[0]?.model ?? 'this CPU'}; the reference the GPU is checked against`,
  };
  return { expected, row };
}

async function benchCounted(dawn: DawnGpu, kernel: CountedKernel): Promise<BenchRow[]> {
  const estimator = ESTIMATORS[kernel.name];
  const runner = new GpuKernelRunner(dawn.device);
  const checkTask = kernel.task(kernel.checkCount, true);
  progress(`${kernel.name}: TypeScript reference`);
  const { expected, row: tsRow } = referenceRow(estimator, checkTask, 'samples');
  progress(`${kernel.name}: WGSL check task`);
  const check = await withGpuErrorCheck(dawn, () => timeRuns(runner, estimator, checkTask));
  const wrong = check.outputs
    .map((output) => estimator.decodeGpuOutput(checkTask, output))
    .find((result) => !estimator.sameResult(result, expected));
  const problem = wrong
    ? `MISMATCH on the check task: ${JSON.stringify(wrong)} vs reference ${JSON.stringify(expected)}`
    : undefined;
  const rows: BenchRow[] = [tsRow];
  let count = kernel.startCount;
  for (;;) {
    progress(`${kernel.name}: WGSL, ${count.toLocaleString('en-US')} samples`);
    const task = kernel.task(count, false);
    const timed = await withGpuErrorCheck(dawn, () => timeRuns(runner, estimator, task));
    const consistent = timed.outputs.every((o) =>
      o.every((word, i) => word === timed.outputs[0]![i]),
    );
    rows.push({
      name: `WGSL, Dawn in Node (GPU), ${count.toLocaleString('en-US')} samples`,
      work: count,
      unit: 'samples',
      seconds: timed.seconds,
      note:
        `${dawn.adapterName}; ${timed.dispatches} dispatches; check task ${problem ? 'MISMATCH' : '= reference'}; ` +
        `${consistent ? 'repeat runs identical' : 'REPEAT RUNS DIFFER'}`,
      ...(problem ? { problem } : consistent ? {} : { problem: 'repeat runs differ' }),
    });
    if (timed.seconds >= MIN_TIMED_SECONDS || count * 4 > kernel.maxCount) break;
    count *= timed.seconds < MIN_TIMED_SECONDS / 8 ? 4 : 2;
  }
  const base = tsRow.work / tsRow.seconds;
  return rows.map((row) => ({ ...row, relative: row.work / row.seconds / base }));
}

/** One chain per task, as leased; the larger lattices give the GPU more sites per dispatch. */
const ISING_SHAPES = [
  { size: 32, burnIn: 100, sweeps: 900 },
  { size: 128, burnIn: 20, sweeps: 100 },
  { size: 256, burnIn: 10, sweeps: 50 },
  { size: 512, burnIn: 5, sweeps: 25 },
] as const;

async function benchIsing(dawn: DawnGpu): Promise<BenchRow[]> {
  const estimator = ESTIMATORS['ising-2d'];
  const runner = new GpuKernelRunner(dawn.device);
  const rows: BenchRow[] = [];
  for (const shape of ISING_SHAPES) {
    const spec = isingSpecSchema.parse({
      estimator: 'ising-2d',
      params: { ...shape, temperature: 2.269 },
      chains: 8,
      seed: 2 ** 40 + 12_345,
    });
    const task = estimator.taskFor(spec, 7);
    const label = `L ${shape.size}, ${shape.burnIn + shape.sweeps} sweeps`;
    progress(`ising-2d: ${label}`);
    const { expected, row: tsRow } = referenceRow(estimator, task, 'flips');
    const timed = await withGpuErrorCheck(dawn, () => timeRuns(runner, estimator, task));
    const wrong = timed.outputs
      .map((output) => estimator.decodeGpuOutput(task, output))
      .find((result) => !estimator.sameResult(result, expected));
    rows.push({ ...tsRow, name: `${tsRow.name}, ${label}`, relative: 1 });
    rows.push({
      name: `WGSL, Dawn in Node (GPU), ${label}`,
      work: tsRow.work,
      unit: 'flips',
      seconds: timed.seconds,
      relative: tsRow.seconds / timed.seconds,
      note: `${dawn.adapterName}; ${timed.dispatches} dispatches; ${wrong ? 'MISMATCH' : 'sums = reference'}`,
      ...(wrong
        ? { problem: `MISMATCH ${JSON.stringify(wrong)} vs ${JSON.stringify(expected)}` }
        : {}),
    });
  }
  return rows;
}

const GRADIENT_MODELS: Array<{ label: string; config: ModelConfig }> = [
  { label: 'softmax 784-10', config: { model: 'softmax', inputSize: 784, classes: 10 } },
  { label: 'mlp 784-64-10', config: { model: 'mlp', inputSize: 784, hidden: [64], classes: 10 } },
  { label: 'mlp 784-256-10', config: { model: 'mlp', inputSize: 784, hidden: [256], classes: 10 } },
];
const GRADIENT_BATCHES = [256, 1024, 4096] as const;

/** The fixed MNIST split (8,000 train, 2,000 held out), from shard files or the npm package. */
async function mnistSplit(): Promise<{ train: ExampleSet; test: ExampleSet }> {
  const dir = process.env.TESSERA_BENCH_MNIST;
  if (!dir) return loadMnist();
  const read = async (name: string) => {
    const bytes = await readFile(join(dir, name));
    return decodeShard(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  };
  return { train: await read('train.shard'), test: await read('test.shard') };
}

async function mnistExamples(): Promise<ExampleSet> {
  const { train } = await mnistSplit();
  const indices = batchIndices({ trainCount: train.count, batchSize: 4096, seed: 1 }, 0);
  return gatherExamples(train, indices);
}

async function benchGradient(dawn: DawnGpu): Promise<BenchRow[]> {
  const all = await mnistExamples();
  const rows: BenchRow[] = [];
  for (const { label, config } of GRADIENT_MODELS) {
    const params = initParameters(config, 1);
    const gpu = new GradientGpu(dawn.device, config, { maxBatch: Math.max(...GRADIENT_BATCHES) });
    try {
      for (const batch of GRADIENT_BATCHES) {
        if (batch > all.count) continue;
        const shard = sliceExamples(all, 0, batch);
        progress(`gradient: ${label}, batch ${batch}`);
        const { first: expected, seconds: ts } = timeFastest(
          () => computeGradient(config, params, shard),
          REPEATS,
        );
        const { seconds, last } = await withGpuErrorCheck(dawn, () =>
          timeFastestAsync(() => gpu.compute(params, shard), REPEATS),
        );
        const mismatch = gradientResultMismatch(last, expected);
        const gflops = (s: number) => ((flopsPerExample(config) * batch) / s / 1e9).toFixed(2);
        rows.push({
          name: `${label}, batch ${batch}, TypeScript reference (CPU)`,
          work: batch,
          unit: 'examples',
          seconds: ts,
          relative: 1,
          note: `1 core; ${gflops(ts)} GFLOP/s dense-equivalent (skips zero pixels)`,
        });
        rows.push({
          name: `${label}, batch ${batch}, WGSL, Dawn in Node (GPU)`,
          work: batch,
          unit: 'examples',
          seconds,
          relative: ts / seconds,
          note:
            `${dawn.adapterName}; ${gflops(seconds)} GFLOP/s; params up + result back per unit; ` +
            (mismatch === null ? 'within 1e-4 of reference' : `MISMATCH ${mismatch}`),
          ...(mismatch === null ? {} : { problem: `MISMATCH ${mismatch}` }),
        });
      }
    } finally {
      await gpu.destroy();
    }
  }
  return rows;
}

/** The e2e test's MLP recipe (batch 200 in 4 shards, Adam lr 0.01, 3 epochs = 120 steps). */
const TRAINING_RUNS: Array<{ label: string; config: ModelConfig }> = [
  { label: 'mlp 784-64-10', config: { model: 'mlp', inputSize: 784, hidden: [64], classes: 10 } },
  { label: 'mlp 784-256-10', config: { model: 'mlp', inputSize: 784, hidden: [256], classes: 10 } },
];

async function benchTraining(dawn: DawnGpu): Promise<BenchRow[]> {
  const { train, test } = await mnistSplit();
  const steps = Number(process.env.TESSERA_BENCH_TRAIN_STEPS ?? 120);
  const rows: BenchRow[] = [];
  for (const { label, config } of TRAINING_RUNS) {
    const options = {
      config,
      train,
      optimizer: { name: 'adam', lr: 0.01 } as const,
      batchSize: 200,
      steps,
      seed: 20261127,
      shards: 4,
    };
    progress(`training: ${label}, TypeScript reference`);
    let started = performance.now();
    const reference = trainLocally(options);
    const tsSeconds = (performance.now() - started) / 1000;
    const tsAccuracy = evaluate(config, reference.params, test).accuracy;
    progress(`training: ${label}, WGSL`);
    const gpu = new GradientGpu(dawn.device, config, { maxBatch: options.batchSize });
    let gpuSeconds: number;
    let trained: Float32Array;
    try {
      await gpu.compute(initParameters(config, 1), sliceExamples(train, 0, 50)); // compile
      started = performance.now();
      const run = await withGpuErrorCheck(dawn, () =>
        trainWith(options, (request) => gpu.compute(request.params, request.examples)),
      );
      gpuSeconds = (performance.now() - started) / 1000;
      trained = run.params;
    } finally {
      await gpu.destroy();
    }
    const gpuAccuracy = evaluate(config, trained, test).accuracy;
    const drift = relativeL2Error(trained, reference.params);
    const examples = steps * options.batchSize;
    rows.push({
      name: `${label}, ${steps} steps, TypeScript reference (CPU)`,
      work: steps,
      unit: 'steps',
      seconds: tsSeconds,
      relative: 1,
      note: `1 core; ${(examples / tsSeconds / 1000).toFixed(1)}k examples/s; held-out accuracy ${tsAccuracy.toFixed(4)}`,
    });
    rows.push({
      name: `${label}, ${steps} steps, WGSL, Dawn in Node (GPU)`,
      work: steps,
      unit: 'steps',
      seconds: gpuSeconds,
      relative: tsSeconds / gpuSeconds,
      note:
        `${dawn.adapterName}; ${steps * options.shards} units of ${options.batchSize / options.shards} examples; ` +
        `held-out accuracy ${gpuAccuracy.toFixed(4)}; final parameters rel L2 ${drift.toExponential(1)} from the reference run`,
    });
  }
  return rows;
}

async function main(): Promise<void> {
  const cpu = cpus();
  const dawn = await openDawnGpu();
  console.log(
    `tessera bench:gpu: node ${process.version}, ${cpu.length} x ${cpu[0]?.model ?? 'unknown cpu'}; ` +
      `GPU adapter: ${dawn.adapterName}\n`,
  );
  const sections: Array<{ id: string; title: string; run: () => Promise<BenchRow[]> }> = [
    ...COUNTED.map((kernel) => ({
      id: kernel.name,
      title: `${kernel.name} kernel, samples/s on the GPU (task doubled until a run takes ${MIN_TIMED_SECONDS} s), relative to the TypeScript reference`,
      run: () => benchCounted(dawn, kernel),
    })),
    {
      id: 'ising-2d',
      title:
        'ising-2d kernel, one chain per unit, spin flips/s, relative to the TypeScript reference',
      run: () => benchIsing(dawn),
    },
    {
      id: 'gradient',
      title: 'gradient unit (MNIST digits), examples/s, relative to the TypeScript reference',
      run: () => benchGradient(dawn),
    },
    {
      id: 'training',
      title:
        'MNIST training, batch 200 in 4 shards, Adam: every unit on the GPU vs the TypeScript reference',
      run: () => benchTraining(dawn),
    },
  ];
  const all: Array<{ title: string; rows: BenchRow[] }> = [];
  let problems = 0;
  try {
    // `npm run bench:gpu -- training gradient` runs the sections named; none named runs all.
    const wanted = process.argv.slice(2);
    for (const section of sections) {
      if (wanted.length > 0 && !wanted.includes(section.id)) continue;
      const started = performance.now();
      const rows = await section
        .run()
        .catch((e: unknown) => [skippedRow(section.title, '-', String(e).split('\n')[0]!)]);
      console.log(formatRows(section.title, rows));
      console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
      all.push({ title: section.title, rows });
      problems += rows.filter((row) => row.problem !== undefined).length;
    }
  } finally {
    await dawn.close();
  }
  const json = process.env.TESSERA_BENCH_JSON;
  if (json)
    await writeFile(json, JSON.stringify({ adapter: dawn.adapterName, sections: all }, null, 2));
  if (problems > 0) {
    console.error(`${problems} benchmark row(s) computed a wrong answer: see !!! above`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
