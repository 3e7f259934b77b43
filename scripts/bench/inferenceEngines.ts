// Part 1 of the inference bench (inference.ts): one block of MNIST digits (float32 features)
// through a trained MLP on every engine an inference unit can run on: the TypeScript reference
// (predictRows: forwardLogits + softmaxRows, what a CPU tab runs), GradientGpu.logits +
// predictionsOf on Dawn/SwiftShader in Node, and the same in headless Chromium's WebGPU. Every
// engine's classes must equal the reference's (a handful of near-ties may flip: counted in the
// note) and its probabilities must be within INFERENCE_TOLERANCE.
import { existsSync } from 'node:fs';
import { batchIndices } from '../../shared/src/kinds/gradient/batchSchedule';
import { gatherExamples, type ExampleSet } from '../../shared/src/kinds/gradient/exampleSet';
import type { ModelConfig } from '../../shared/src/kinds/gradient/gradientModel';
import { trainLocally } from '../../shared/src/kinds/gradient/localTrainer';
import type { OptimizerConfig } from '../../shared/src/kinds/gradient/optimizer';
import {
  INFERENCE_TOLERANCE,
  type InferenceResult,
} from '../../shared/src/kinds/inference/inferenceResult';
import { predictionsOf, predictRows } from '../../shared/src/kinds/inference/predictRows';
import { loadMnist } from '../../server/src/datasets/mnist';
import { openDawnGpu } from '../../shared/test/gpu/dawnGpu';
import { fastest, type BenchRow } from './benchRow';
import type { InferencePageTiming } from './browserInferenceTimer';
import { base64Of, CHROMIUM_PATH, float32sOfBase64, openChromiumPage } from './chromiumPage';
import { timeFastest, timeOnGradientGpu } from './timing';

/** Rows whose class may differ from the reference (each a near-tie) before a row is a problem. */
const NEAR_TIES_ALLOWED = 3;
const OPTIMIZER: OptimizerConfig = { name: 'adam', lr: 0.005 };

const MNIST_MODELS: Array<{ label: string; config: ModelConfig }> = [
  {
    label: 'mlp 784-128-64-10',
    config: { model: 'mlp', inputSize: 784, hidden: [128, 64], classes: 10 },
  },
  { label: 'mlp 784-64-10', config: { model: 'mlp', inputSize: 784, hidden: [64], classes: 10 } },
];

// ---------------------------------------------------------------------------------------------
// Checking an engine's answer against the reference

interface Agreement {
  /** Rows whose class differs from the reference. */
  differ: number;
  /** Of those, rows whose reference top two probabilities are further apart than the tolerance. */
  notTies: number;
  /** Largest probability difference over every row (NaN when one is not finite). */
  maxDiff: number;
}

function agreement(got: InferenceResult, expected: InferenceResult): Agreement | string {
  const k = expected.classCount;
  if (got.classCount !== k || got.classes.length !== expected.classes.length) {
    return `${got.classes.length} rows x ${got.classCount} classes, expected ${expected.classes.length} x ${k}`;
  }
  let differ = 0;
  let notTies = 0;
  for (let n = 0; n < expected.classes.length; n++) {
    if (got.classes[n] === expected.classes[n]) continue;
    differ += 1;
    const row = Array.from(expected.probabilities.subarray(n * k, n * k + k)).sort((a, b) => b - a);
    if (row[0]! - row[1]! > INFERENCE_TOLERANCE) notTies += 1;
  }
  let maxDiff = 0;
  for (let i = 0; i < expected.probabilities.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(got.probabilities[i]! - expected.probabilities[i]!));
  }
  return { differ, notTies, maxDiff };
}

/** The note's check fragment, and a problem when the answer is wrong. */
export function checked(
  engine: string,
  got: InferenceResult,
  expected: InferenceResult,
): { check: string; problem?: string } {
  const a = agreement(got, expected);
  let problem: string | null = null;
  if (typeof a === 'string') problem = a;
  else if (a.notTies > 0) problem = `${a.notTies} rows predict another class (not near-ties)`;
  else if (a.differ > NEAR_TIES_ALLOWED) problem = `${a.differ} near-tie rows differ in class`;
  else if (!(a.maxDiff <= INFERENCE_TOLERANCE)) {
    problem = `probabilities differ by ${a.maxDiff.toExponential(2)}`;
  }
  if (problem !== null) {
    const text = `${engine}: ${problem}`;
    console.error(`\n!!!!!!!! INFERENCE MISMATCH !!!!!!!!\n${text}\n`);
    return { check: 'MISMATCH', problem: `MISMATCH ${text}` };
  }
  const agreed = a as Agreement;
  return {
    check:
      `classes ${agreed.differ === 0 ? 'all equal' : `equal but ${agreed.differ} near-tie(s)`}, ` +
      (agreed.maxDiff === 0
        ? 'probabilities identical'
        : `probabilities within ${agreed.maxDiff.toExponential(1)} of reference`),
  };
}

// ---------------------------------------------------------------------------------------------
// The engines over MNIST

interface EngineCase {
  label: string;
  config: ModelConfig;
  params: Float32Array;
  reference: InferenceResult;
}

function skipped(name: string, rows: number, why: string): BenchRow {
  return { name, work: rows, unit: 'rows', seconds: Number.NaN, note: `skipped: ${why}` };
}

/** MNIST digits as float32 features in [0, 1], as an uploaded dataset's rows arrive. */
function asFloat(set: ExampleSet): ExampleSet {
  if (set.dtype === 'float32') return set;
  const features = Float32Array.from(set.features, (b) => b / 255);
  return { ...set, dtype: 'float32', features };
}

function benchTypeScript(c: EngineCase, rows: ExampleSet, repeats: number): BenchRow {
  // The untimed first run warms the JIT.
  const { seconds } = timeFastest(() => predictRows(c.config, c.params, rows), repeats);
  return {
    name: `${c.label}, TypeScript reference, Node`,
    work: rows.count,
    unit: 'rows',
    seconds,
    note: '1 core; float64 forward pass + softmax',
  };
}

async function benchDawn(
  cases: EngineCase[],
  rows: ExampleSet,
  repeats: number,
): Promise<BenchRow[]> {
  const dawn = await openDawnGpu();
  try {
    const out: BenchRow[] = [];
    for (const c of cases) {
      const { seconds, last, setup } = await timeOnGradientGpu(
        dawn,
        c.config,
        rows.count,
        async (gpu) =>
          predictionsOf(await gpu.logits(c.params, rows), rows.count, c.config.classes),
        repeats,
      );
      const { check, problem } = checked(`${c.label} on Dawn`, last, c.reference);
      out.push({
        name: `${c.label}, WGSL, Dawn in Node`,
        work: rows.count,
        unit: 'rows',
        seconds,
        note: `${dawn.adapterName}; runner + first pass ${setup.toFixed(2)} s; ${check}`,
        ...(problem ? { problem } : {}),
      });
    }
    return out;
  } finally {
    await dawn.close();
  }
}

async function benchChromium(
  cases: EngineCase[],
  rows: ExampleSet,
  repeats: number,
): Promise<BenchRow[]> {
  const name = (c: EngineCase) => `${c.label}, WGSL, headless Chromium WebGPU`;
  if (!existsSync(CHROMIUM_PATH)) {
    return cases.map((c) => skipped(name(c), rows.count, `no ${CHROMIUM_PATH}`));
  }
  const browser = await openChromiumPage();
  try {
    const featuresBase64 = base64Of(rows.features);
    const out: BenchRow[] = [];
    for (const c of cases) {
      const timing = await browser.call<InferencePageTiming>(
        'scripts/bench/browserInferenceTimer.ts',
        'timeInferenceInPage',
        [c.config, base64Of(c.params), featuresBase64, rows.count, 1, repeats],
      );
      const got: InferenceResult = {
        classes: new Uint8Array(Buffer.from(timing.classesBase64, 'base64')),
        probabilities: float32sOfBase64(timing.probabilitiesBase64),
        classCount: c.config.classes,
      };
      const { check, problem } = checked(`${c.label} in Chromium`, got, c.reference);
      out.push({
        name: name(c),
        work: rows.count,
        unit: 'rows',
        seconds: fastest(timing.seconds),
        note: `${timing.adapter}; chromium ${browser.page.context().browser()?.version()}; ${check}`,
        ...(problem ? { problem } : {}),
      });
    }
    return out;
  } finally {
    await browser.close();
  }
}

export async function benchInferenceEngines(
  settings: { mnistRows: number; repeats: number },
  log: (line: string) => void,
): Promise<BenchRow[]> {
  log('inference: loading MNIST');
  const { train, test } = await loadMnist();
  const picked = batchIndices(
    { trainCount: test.count, batchSize: settings.mnistRows, seed: 1 },
    0,
  );
  const rows = asFloat(gatherExamples(test, picked));
  log('inference: training the MNIST models briefly (one process)');
  const cases: EngineCase[] = MNIST_MODELS.map(({ label, config }) => {
    // A few Adam steps, so that the probabilities are peaked as a trained model's are, not
    // near-uniform as at initialisation (where near-ties are common).
    const { params } = trainLocally({
      config,
      train,
      optimizer: OPTIMIZER,
      batchSize: 256,
      steps: 5,
      seed: 1,
    });
    return { label, config, params, reference: predictRows(config, params, rows) };
  });
  const out: BenchRow[] = [];
  log('inference: TypeScript reference');
  const tsRows = cases.map((c) => benchTypeScript(c, rows, settings.repeats));
  out.push(...tsRows);
  log('inference: WGSL on Dawn');
  out.push(
    ...(await benchDawn(cases, rows, settings.repeats).catch((e: unknown) =>
      cases.map((c) => skipped(`${c.label}, WGSL, Dawn in Node`, rows.count, String(e))),
    )),
  );
  log('inference: WGSL in headless Chromium');
  out.push(
    ...(await benchChromium(cases, rows, settings.repeats).catch((e: unknown) =>
      cases.map((c) =>
        skipped(
          `${c.label}, WGSL, headless Chromium WebGPU`,
          rows.count,
          String(e).split('\n')[0]!,
        ),
      ),
    )),
  );
  // Each row relative to its own model's TypeScript reference.
  return out.map((row) => {
    const model = cases.findIndex((c) => row.name.startsWith(`${c.label},`));
    const base = tsRows[model]!;
    return { ...row, relative: row.work / row.seconds / (base.work / base.seconds) };
  });
}
