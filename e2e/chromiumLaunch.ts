// How every headless Chromium in this project starts: the Debian package, no downloads, and
// WebGPU on the CPU through SwiftShader. Used by the e2e config and the benchmark.
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  // Without these, Chromium keeps dialing out, and this network refuses every attempt.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // WebGPU on the CPU: navigator.gpu works in pages and Web Workers without a GPU.
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
];
