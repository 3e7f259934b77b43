// Gradient-unit throughput, examples/s (GFLOP/s in the note), on every engine a unit can run
// on: the TypeScript reference in Node (the CPU fallback), the WGSL kernels on Dawn/SwiftShader
// in Node, and the same GradientGpu in headless Chromium's WebGPU; for softmax and the
// 784-64-10 MLP on one 256-digit MNIST shard. FLOPs are counted densely (flopsPerExample): the
// GPU does every multiply, the reference skips zero pixels (~78% of MNIST), so its GFLOP/s is
// "dense-equivalent". Every engine's answer must equal the reference's within the validator's
// tolerance. Last, the bytes a unit moves on the wire.
import { existsSync } from 'node:fs';
import { loadMnist } from '../../server/src/datasets/mnist';
import { batchIndices } from '../../shared/src/kinds/gradient/batchSchedule';
import { gatherExamples } from '../../shared/src/kinds/gradient/exampleSet';
import { gradientResultMismatch } from '../../shared/src/kinds/gradient/gradientCompare';
import {
  flopsPerExample,
  parameterCount,
  type ModelConfig,
} from '../../shared/src/kinds/gradient/gradientModel';
import {
  computeGradient,
  type GradientResult,
} from '../../shared/src/kinds/gradient/gradientReference';
import { resultByteLength } from '../../shared/src/kinds/gradient/gradientResultCodec';
import { initParameters } from '../../shared/src/kinds/gradient/parameterInit';
import { decodeShard, encodeShard } from '../../shared/src/kinds/gradient/shardCodec';
import { openDawnGpu } from '../../shared/test/gpu/dawnGpu';
import type { GradientPageTiming } from './browserGradientTimer';
import { fastest, type BenchRow } from './benchRow';
import { base64Of, CHROMIUM_PATH, float32sOfBase64, openChromiumPage } from './chromiumPage';
import { timeFastest, timeOnGradientGpu } from './timing';

export interface GradientBenchOptions {
  /** Examples in the benchmark shard. */
  batch?: number;
  /** Timed units per engine; the fastest is reported. */
  repeats?: number;
  log?: (line: string) => void;
}

export const GRADIENT_BENCH_DEFAULTS = { batch: 256, repeats: 3 } as const;

const MODELS: Array<{ label: string; config: ModelConfig }> = [
  { label: 'softmax 784-10', config: { model: 'softmax', inputSize: 784, classes: 10 } },
  { label: 'mlp 784-64-10', config: { model: 'mlp', inputSize: 784, hidden: [64], classes: 10 } },
];

interface Case {
  label: string;
  config: ModelConfig;
  params: Float32Array;
  reference: GradientResult;
}

function gflops(config: ModelConfig, examples: number, seconds: number): string {
  return `${((flopsPerExample(config) * examples) / seconds / 1e9).toFixed(2)} GFLOP/s`;
}

function checked(engine: string, got: GradientResult, expected: GradientResult) {
  const mismatch = gradientResultMismatch(got, expected);
  if (mismatch === null) return { check: 'within 1e-4 of reference' };
  const text = `${engine}: ${mismatch}`;
  console.error(`\n!!!!!!!! GRADIENT KERNEL MISMATCH !!!!!!!!\n${text}\n`);
  return { check: 'MISMATCH', problem: `MISMATCH ${text}` };
}

function skipped(name: string, batch: number, why: string): BenchRow {
  return { name, work: batch, unit: 'examples', seconds: Number.NaN, note: `skipped: ${why}` };
}

function benchTypeScript(
  c: Case,
  shard: ReturnType<typeof decodeShard>,
  repeats: number,
): BenchRow {
  // The untimed first run warms the JIT.
  const best = timeFastest(() => computeGradient(c.config, c.params, shard), repeats).seconds;
  return {
    name: `${c.label}, TypeScript reference, Node`,
    work: shard.count,
    unit: 'examples',
    seconds: best,
    note: `1 core; ${gflops(c.config, shard.count, best)} dense-equivalent (skips zero pixels)`,
  };
}

async function benchDawn(
  cases: Case[],
  shardBytes: ArrayBuffer,
  repeats: number,
): Promise<BenchRow[]> {
  const dawn = await openDawnGpu();
  try {
    const shard = decodeShard(shardBytes);
    const rows: BenchRow[] = [];
    for (const c of cases) {
      const {
        seconds: best,
        last,
        setup,
      } = await timeOnGradientGpu(
        dawn,
        c.config,
        shard.count,
        (gpu) => gpu.compute(c.params, shard),
        repeats,
      );
      const { check, problem } = checked(`${c.label} on Dawn`, last, c.reference);
      rows.push({
        name: `${c.label}, WGSL, Dawn in Node`,
        work: shard.count,
        unit: 'examples',
        seconds: best,
        note: `${dawn.adapterName}; ${gflops(c.config, shard.count, best)}; runner + first unit ${setup.toFixed(2)} s; ${check}`,
        ...(problem ? { problem } : {}),
      });
    }
    return rows;
  } finally {
    await dawn.close();
  }
}

async function benchChromium(
  cases: Case[],
  shardBytes: ArrayBuffer,
  repeats: number,
): Promise<BenchRow[]> {
  const batch = decodeShard(shardBytes).count;
  const name = (c: Case) => `${c.label}, WGSL, headless Chromium WebGPU`;
  if (!existsSync(CHROMIUM_PATH))
    return cases.map((c) => skipped(name(c), batch, `no ${CHROMIUM_PATH}`));
  const browser = await openChromiumPage();
  try {
    const shardBase64 = Buffer.from(shardBytes).toString('base64');
    const rows: BenchRow[] = [];
    for (const c of cases) {
      const timing = await browser.call<GradientPageTiming>(
        'scripts/bench/browserGradientTimer.ts',
        'timeGradientInPage',
        [c.config, base64Of(c.params), shardBase64, 1, repeats],
      );
      const got: GradientResult = {
        gradSum: float32sOfBase64(timing.gradSumBase64),
        lossSum: timing.lossSum,
        correct: timing.correct,
        count: batch,
      };
      const best = fastest(timing.seconds);
      const { check, problem } = checked(`${c.label} in Chromium`, got, c.reference);
      rows.push({
        name: name(c),
        work: batch,
        unit: 'examples',
        seconds: best,
        note: `${timing.adapter}; chromium ${browser.page.context().browser()?.version()}; ${gflops(c.config, batch, best)}; ${check}`,
        ...(problem ? { problem } : {}),
      });
    }
    return rows;
  } finally {
    await browser.close();
  }
}

function wireRow(c: Case, shardBytes: number): BenchRow {
  const p = parameterCount(c.config);
  const down = 4 * p;
  const up = resultByteLength(p);
  return {
    name: `${c.label}, bytes per unit on the wire`,
    work: down + up,
    unit: 'bytes',
    seconds: Number.NaN,
    note:
      `params ${down.toLocaleString('en-US')} B down + result ${up.toLocaleString('en-US')} B up ` +
      `(${p.toLocaleString('en-US')} parameters, float32); shard ${shardBytes.toLocaleString('en-US')} B ` +
      'once per tab, cached by SHA-256',
  };
}

/** Measures every engine in turn (never in parallel: they would share the same cores). */
export async function benchGradientUnits(options: GradientBenchOptions = {}): Promise<BenchRow[]> {
  const batchSize = options.batch ?? GRADIENT_BENCH_DEFAULTS.batch;
  const repeats = options.repeats ?? GRADIENT_BENCH_DEFAULTS.repeats;
  const log = options.log ?? (() => {});
  log('gradient: loading MNIST');
  const { train } = await loadMnist();
  const shardBytes = encodeShard(
    gatherExamples(train, batchIndices({ trainCount: train.count, batchSize, seed: 1 }, 0)),
  );
  const shard = decodeShard(shardBytes);
  const cases: Case[] = MODELS.map(({ label, config }) => {
    const params = initParameters(config, 1);
    return { label, config, params, reference: computeGradient(config, params, shard) };
  });
  const rows: BenchRow[] = [];
  log('gradient: TypeScript reference');
  const tsRows = cases.map((c) => benchTypeScript(c, shard, repeats));
  rows.push(...tsRows);
  log('gradient: WGSL on Dawn');
  rows.push(
    ...(await benchDawn(cases, shardBytes, repeats).catch((e: unknown) =>
      cases.map((c) => skipped(`${c.label}, WGSL, Dawn in Node`, batchSize, String(e))),
    )),
  );
  log('gradient: WGSL in headless Chromium');
  rows.push(
    ...(await benchChromium(cases, shardBytes, repeats).catch((e: unknown) =>
      cases.map((c) =>
        skipped(`${c.label}, WGSL, headless Chromium WebGPU`, batchSize, String(e).split('\n')[0]!),
      ),
    )),
  );
  // Each row relative to its own model's TypeScript reference.
  const relative = rows.map((row) => {
    const model = cases.findIndex((c) => row.name.startsWith(c.label));
    const base = tsRows[model]!;
    return { ...row, relative: row.work / row.seconds / (base.work / base.seconds) };
  });
  return [...relative, ...cases.map((c) => wireRow(c, shardBytes.byteLength))];
}
