// The optimizer state as bytes, so a coordinator can persist it beside the parameters and a
// restart resumes the exact same trajectory. One ArrayBuffer of float64 (little-endian, as
// the platform; see shardCodec.ts), every value exact:
//   [0] kind: 1 = sgd, 2 = adam   [1] step   [2] beta1Power   [3] beta2Power   [4] size P
//   sgd:  [5 .. 5+P) velocity
//   adam: [5 .. 5+P) m, [5+P .. 5+2P) u
// (beta powers are 1 for sgd.)
import type { OptimizerState } from './optimizer';

const HEADER = 5;
const KIND = { sgd: 1, adam: 2 } as const;

export function encodeOptimizerState(state: OptimizerState): ArrayBuffer {
  const size = state.name === 'sgd' ? state.velocity.length : state.m.length;
  const words = new Float64Array(HEADER + (state.name === 'sgd' ? size : 2 * size));
  words[0] = KIND[state.name];
  words[1] = state.step;
  words[4] = size;
  if (state.name === 'sgd') {
    words[2] = 1;
    words[3] = 1;
    words.set(state.velocity, HEADER);
  } else {
    words[2] = state.beta1Power;
    words[3] = state.beta2Power;
    words.set(state.m, HEADER);
    words.set(state.u, HEADER + size);
  }
  return words.buffer;
}

export function decodeOptimizerState(bytes: ArrayBuffer): OptimizerState {
  if (bytes.byteLength % 8 !== 0 || bytes.byteLength < HEADER * 8) {
    throw new RangeError(`optimizer state of ${bytes.byteLength} bytes`);
  }
  const words = new Float64Array(bytes.slice(0));
  const [kind, step, beta1Power, beta2Power, size] = words;
  const exact = (n: number | undefined) => n !== undefined && Number.isSafeInteger(n) && n >= 0;
  if (!exact(step) || !exact(size)) throw new RangeError('optimizer state header is corrupt');
  const arrays = kind === KIND.sgd ? 1 : kind === KIND.adam ? 2 : 0;
  if (arrays === 0) throw new RangeError(`optimizer state kind ${kind}`);
  if (words.length !== HEADER + arrays * size!) {
    throw new RangeError(
      `optimizer state holds ${words.length - HEADER} values, header says ${arrays} x ${size}`,
    );
  }
  const part = (i: number) => words.slice(HEADER + i * size!, HEADER + (i + 1) * size!);
  return kind === KIND.sgd
    ? { name: 'sgd', step: step!, velocity: part(0) }
    : {
        name: 'adam',
        step: step!,
        m: part(0),
        u: part(1),
        beta1Power: beta1Power!,
        beta2Power: beta2Power!,
      };
}
