// Runs inside headless Chromium (served, transpiled, by chromiumPage.ts): times gradient units
// with the same GradientGpu a volunteer's tab uses. Binary inputs and outputs cross the
// page boundary as base64 strings (page.evaluate speaks JSON).
import { GradientGpu } from '../../shared/src/gpu/gradientGpu';
import type { ModelConfig } from '../../shared/src/kinds/gradient/gradientModel';
import { decodeShard } from '../../shared/src/kinds/gradient/shardCodec';
import { fromBase64, pageDevice, timeInPage, toBase64 } from './browserPageGpu';

export interface GradientPageTiming {
  adapter: string;
  /** Seconds per timed unit, measured with performance.now() around compute(). */
  seconds: number[];
  /** The last unit's answer, for the caller to check against the reference. */
  gradSumBase64: string;
  lossSum: number;
  correct: number;
}

export async function timeGradientInPage(
  config: ModelConfig,
  paramsBase64: string,
  shardBase64: string,
  warmups: number,
  repeats: number,
): Promise<GradientPageTiming> {
  const params = new Float32Array(fromBase64(paramsBase64).buffer);
  const shard = decodeShard(fromBase64(shardBase64));
  const gpu = new GradientGpu(await pageDevice(), config, { maxBatch: shard.count });
  try {
    const { adapter, seconds, last } = await timeInPage(
      () => gpu.compute(params, shard),
      warmups,
      repeats,
    );
    return {
      adapter,
      seconds,
      gradSumBase64: toBase64(last.gradSum),
      lossSum: last.lossSum,
      correct: last.correct,
    };
  } finally {
    await gpu.destroy();
  }
}
