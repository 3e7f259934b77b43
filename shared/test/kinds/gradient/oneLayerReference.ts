// A frozen copy of gradientReference.ts's per-example loop as it was when the mlp had exactly
// one hidden layer (the layouts softmax W, b and mlp W1, b1, W2, b2): the reference for the
// test that the depth-generic reference reproduces the gradients of stored workloads bit for
// bit. Not to be edited: it is what "the old maths" means.
import { featureValue, type ExampleSet } from '../../../src/kinds/gradient/exampleSet';

export interface OneLayerShape {
  inputSize: number;
  /** 0 for softmax (no hidden layer). */
  hidden: number;
  classes: number;
}

export function oneLayerGradient(
  shape: OneLayerShape,
  params: Float32Array | Float64Array,
  set: ExampleSet,
): { gradSum: Float32Array; lossSum: number; correct: number } {
  const { inputSize: d, hidden, classes: k } = shape;
  const mlp = hidden > 0;
  const grad = new Float64Array(params.length);
  // softmax: W at 0, b at D*K; mlp: W1 at 0, b1 at D*H, W2 at D*H + H, b2 at D*H + H + H*K.
  const first = { offset: 0 };
  const second = { offset: mlp ? d * hidden : d * k };
  const third = { offset: d * hidden + hidden };
  const fourth = { offset: d * hidden + hidden + hidden * k };
  const nonzero = new Int32Array(d);
  const values = new Float64Array(d);
  const h = new Float64Array(hidden);
  const dh = new Float64Array(hidden);
  const z = new Float64Array(k);
  const delta = new Float64Array(k);
  let lossSum = 0;
  let correct = 0;
  for (let n = 0; n < set.count; n++) {
    let nnz = 0;
    for (let i = 0; i < d; i++) {
      const v = featureValue(set, n, i);
      if (v !== 0) {
        nonzero[nnz] = i;
        values[nnz++] = v;
      }
    }
    const out = mlp ? third : first;
    const outBias = mlp ? fourth : second;
    for (let c = 0; c < k; c++) z[c] = params[outBias.offset + c]!;
    if (!mlp) {
      for (let t = 0; t < nnz; t++) {
        const v = values[t]!;
        const row = out.offset + nonzero[t]! * k;
        for (let c = 0; c < k; c++) z[c] = z[c]! + v * params[row + c]!;
      }
    } else {
      const w1 = first.offset;
      const b1 = second.offset;
      for (let j = 0; j < hidden; j++) h[j] = params[b1 + j]!;
      for (let t = 0; t < nnz; t++) {
        const v = values[t]!;
        const row = w1 + nonzero[t]! * hidden;
        for (let j = 0; j < hidden; j++) h[j] = h[j]! + v * params[row + j]!;
      }
      for (let j = 0; j < hidden; j++) {
        const hj = h[j]! > 0 ? h[j]! : 0;
        h[j] = hj;
        if (hj === 0) continue;
        const row = out.offset + j * k;
        for (let c = 0; c < k; c++) z[c] = z[c]! + hj * params[row + c]!;
      }
    }
    const label = set.labels[n]!;
    let best = 0;
    for (let c = 1; c < k; c++) if (z[c]! > z[best]!) best = c;
    const m = z[best]!;
    let sum = 0;
    for (let c = 0; c < k; c++) {
      delta[c] = Math.exp(z[c]! - m);
      sum += delta[c]!;
    }
    lossSum += Math.log(sum) - (z[label]! - m);
    if (best === label) correct++;
    for (let c = 0; c < k; c++) delta[c] = delta[c]! / sum - (c === label ? 1 : 0);
    for (let c = 0; c < k; c++) grad[outBias.offset + c] = grad[outBias.offset + c]! + delta[c]!;
    if (!mlp) {
      for (let t = 0; t < nnz; t++) {
        const v = values[t]!;
        const row = out.offset + nonzero[t]! * k;
        for (let c = 0; c < k; c++) grad[row + c] = grad[row + c]! + v * delta[c]!;
      }
      continue;
    }
    const w1 = first.offset;
    const b1 = second.offset;
    for (let j = 0; j < hidden; j++) {
      const hj = h[j]!;
      const row = out.offset + j * k;
      let back = 0;
      for (let c = 0; c < k; c++) {
        grad[row + c] = grad[row + c]! + hj * delta[c]!;
        back += params[row + c]! * delta[c]!;
      }
      dh[j] = hj > 0 ? back : 0;
      grad[b1 + j] = grad[b1 + j]! + dh[j]!;
    }
    for (let t = 0; t < nnz; t++) {
      const v = values[t]!;
      const row = w1 + nonzero[t]! * hidden;
      for (let j = 0; j < hidden; j++) grad[row + j] = grad[row + j]! + v * dh[j]!;
    }
  }
  return { gradSum: Float32Array.from(grad), lossSum, correct };
}
