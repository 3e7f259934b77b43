// Runs inside headless Chromium (served, transpiled, by chromiumPage.ts): times gradient units
// with the same GradientGpu a volunteer's tab uses. Binary inputs and outputs cross the
// page boundary as base64 strings (page.evaluate speaks JSON).
import { GradientGpu } from '../../shared/src/gpu/gradientGpu';
import type { ModelConfig } from '../../shared/src/kinds/gradient/gradientModel';
import { decodeShard } from '../../shared/src/kinds/gradient/shardCodec';

export interface GradientPageTiming {
  adapter: string;
  /** Seconds per timed unit, measured with performance.now() around compute(). */
  seconds: number[];
  /** The last unit's answer, for the caller to check against the reference. */
  gradSumBase64: string;
  lossSum: number;
  correct: number;
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

let device: Promise<GPUDevice> | undefined;

async function openDevice(): Promise<GPUDevice> {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter in this page (flags, secure context?)');
  return adapter.requestDevice();
}

export async function timeGradientInPage(
  config: ModelConfig,
  paramsBase64: string,
  shardBase64: string,
  warmups: number,
  repeats: number,
): Promise<GradientPageTiming> {
  device ??= openDevice();
  const gpuDevice = await device;
  const params = new Float32Array(fromBase64(paramsBase64).buffer);
  const shard = decodeShard(fromBase64(shardBase64));
  const gpu = new GradientGpu(gpuDevice, config, { maxBatch: shard.count });
  try {
    // Warm-up units compile the pipelines (once per device) and wake SwiftShader's threads.
    for (let i = 0; i < warmups; i++) await gpu.compute(params, shard);
    const seconds: number[] = [];
    let last = await gpu.compute(params, shard);
    for (let i = 0; i < repeats; i++) {
      const start = performance.now();
      last = await gpu.compute(params, shard);
      seconds.push((performance.now() - start) / 1000);
    }
    const info = (await navigator.gpu.requestAdapter())?.info;
    return {
      adapter: info ? `${info.vendor} ${info.architecture}`.trim() : 'unknown',
      seconds,
      gradSumBase64: toBase64(
        new Uint8Array(last.gradSum.buffer, last.gradSum.byteOffset, last.gradSum.byteLength),
      ),
      lossSum: last.lossSum,
      correct: last.correct,
    };
  } finally {
    await gpu.destroy();
  }
}
