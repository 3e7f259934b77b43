// Runs inside headless Chromium (served, transpiled, by chromiumPage.ts): what the page's timers
// (browserGradientTimer.ts, browserInferenceTimer.ts) share. Binary inputs and outputs cross
// the page boundary as base64 strings (page.evaluate speaks JSON).

export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** The bytes of `view` (a typed array, or part of one). */
export function toBase64(view: ArrayBufferView): string {
  let text = '';
  for (const byte of new Uint8Array(view.buffer, view.byteOffset, view.byteLength)) {
    text += String.fromCharCode(byte);
  }
  return btoa(text);
}

let device: Promise<GPUDevice> | undefined;

async function openDevice(): Promise<GPUDevice> {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter in this page (flags, secure context?)');
  return adapter.requestDevice();
}

/** The page's WebGPU device, opened on first use. */
export function pageDevice(): Promise<GPUDevice> {
  device ??= openDevice();
  return device;
}

/**
 * `warmups` untimed runs (they compile the pipelines, once per device, and wake SwiftShader's
 * threads) and one more, then `repeats` runs timed with performance.now(): the seconds of each
 * timed run, the last run's answer and the adapter's name.
 */
export async function timeInPage<T>(
  run: () => Promise<T>,
  warmups: number,
  repeats: number,
): Promise<{ adapter: string; seconds: number[]; last: T }> {
  for (let i = 0; i < warmups; i++) await run();
  const seconds: number[] = [];
  let last = await run();
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    last = await run();
    seconds.push((performance.now() - start) / 1000);
  }
  const info = (await navigator.gpu.requestAdapter())?.info;
  const adapter = info ? `${info.vendor} ${info.architecture}`.trim() : 'unknown';
  return { adapter, seconds, last };
}
