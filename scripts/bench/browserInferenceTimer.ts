// Runs inside headless Chromium (served, transpiled, by chromiumPage.ts): times inference over a
// block of rows with the same GradientGpu.logits + predictionsOf an inference tab uses. Binary
// inputs and outputs cross the page boundary as base64 strings (page.evaluate speaks JSON).
import { GradientGpu } from '../../shared/src/gpu/gradientGpu';
import type { ModelConfig } from '../../shared/src/kinds/gradient/gradientModel';
import { predictionsOf } from '../../shared/src/kinds/inference/predictRows';
import { fromBase64, pageDevice, timeInPage, toBase64 } from './browserPageGpu';

export interface InferencePageTiming {
  adapter: string;
  /** Seconds per timed pass over the rows: logits on the GPU, then softmax on the CPU. */
  seconds: number[];
  /** The last pass's answer, for the caller to check against the reference. */
  classesBase64: string;
  probabilitiesBase64: string;
}

/** `featuresBase64`: count x config.inputSize float32 features, row-major. */
export async function timeInferenceInPage(
  config: ModelConfig,
  paramsBase64: string,
  featuresBase64: string,
  count: number,
  warmups: number,
  repeats: number,
): Promise<InferencePageTiming> {
  const params = new Float32Array(fromBase64(paramsBase64).buffer);
  const rows = {
    dtype: 'float32' as const,
    features: new Float32Array(fromBase64(featuresBase64).buffer),
    count,
    inputSize: config.inputSize,
  };
  const gpu = new GradientGpu(await pageDevice(), config, { maxBatch: count });
  const pass = async () => predictionsOf(await gpu.logits(params, rows), count, config.classes);
  try {
    const { adapter, seconds, last } = await timeInPage(pass, warmups, repeats);
    return {
      adapter,
      seconds,
      classesBase64: toBase64(last.classes),
      probabilitiesBase64: toBase64(last.probabilities),
    };
  } finally {
    await gpu.destroy();
  }
}
