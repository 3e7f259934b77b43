// The WGSL module around a researcher's kernel: a prelude (Philox, the random stream, the
// bindings), their source spliced in verbatim, then the entry point that runs `sample()` once
// per sample and sums its values exactly. Every module-scope name the harness declares starts
// with `tessera_` (its locals can shadow nothing), except the two the researcher calls:
// uniform() and random_u32().
//
// Bindings (MC_BINDINGS): @binding(0) the dispatch's params, read as var<storage, read>: the
//   researcher's `fn uniform()` shadows the `uniform` address space for the whole module, so
//   the harness cannot say var<uniform> (GpuKernelRunner's params buffer is usable as both);
//   @binding(1) storage array<atomic<u32>>, 9 words per output k, zeroed once per unit:
//   out[9k..9k+4) = sum of trunc(x * 2^32), 128-bit two's complement; out[9k+4..9k+8) = sum of
//   trunc(x^2 * 2^32), 128-bit unsigned; out[9k+8] = rejected values (NaN, Inf, |x| >= 2^31).
// Params: seed (lo, hi), first (64-bit index of the dispatch's first sample), count samples in
//   this dispatch, per_invocation samples per invocation.
// RNG: sample s draws from Philox4x32-10 blocks with counter (s_lo, s_hi, WGSL_STREAM, b), key
//   (seed_lo, seed_hi), b = 0, 1, ...: words x, y, z, w in order (wgslStream.ts is the twin).
// Invariants: the fixed-point step is integer-only, bit for bit wgslFixedPoint.ts; each
//   invocation sums its samples in function-scope 128-bit words, then its workgroup's, then
//   the unit's: modular 128-bit additions with carries (atomicAdd returns the old word:
//   old + v < old is a carry into the next word), exact whatever the interleaving; a unit of
//   <= 2^31 samples keeps |sum| < 2^94 and the squares < 2^125. Barriers are in uniform
//   control flow.
import { philoxWgsl } from '../../rng/philox.wgsl';
import { MC_WORKGROUP_SIZE } from '../estimator';
import { WGSL_WORDS_PER_OUTPUT } from './wgslFixedPoint';
import { WGSL_STREAM } from './wgslStream';

export { checkSourceShape, type SourceProblem } from './wgslSourceShape';

/** The harness's entry point. */
export const WGSL_ENTRY_POINT = 'tessera_main';

/** philox.wgsl.ts with its names moved under tessera_, out of the researcher's way. */
const tesseraPhilox = philoxWgsl.replace(/\b(mulhi32|philox4x32|PHILOX_\w+)\b/g, 'tessera_$1');

const PRELUDE = /* wgsl */ `// ---- Tessera harness: prelude ----
${tesseraPhilox.trim()}
const tessera_stream: u32 = ${WGSL_STREAM}u;

struct tessera_Params {
  seed: vec2<u32>,
  first: vec2<u32>,
  count: u32,
  per_invocation: u32,
}

@group(0) @binding(0) var<storage, read> tessera_params: tessera_Params;
@group(0) @binding(1) var<storage, read_write> tessera_out: array<atomic<u32>>;

var<private> tessera_key: vec2<u32>;
var<private> tessera_counter: vec4<u32>;
var<private> tessera_block: vec4<u32>;
var<private> tessera_used: u32;

// The next 32 bits of this sample's stream: words x, y, z, w of block 0, then block 1, ...
// (rotating the block keeps every index constant: no dynamic indexing in the hot path).
fn random_u32() -> u32 {
  if (tessera_used == 4u) {
    tessera_block = tessera_philox4x32(tessera_counter, tessera_key);
    tessera_counter.w = tessera_counter.w + 1u;
    tessera_used = 0u;
  }
  let tessera_word = tessera_block.x;
  tessera_block = tessera_block.yzwx;
  tessera_used = tessera_used + 1u;
  return tessera_word;
}

// The top 24 bits of random_u32() times 2^-24: exact in f32, in [0, 1).
fn uniform() -> f32 {
  return f32(random_u32() >> 8u) * 5.9604644775390625e-8;
}
// ---- the kernel's source ----
`;

/** Lines before the researcher's first line: harness line PRELUDE_LINES + n is their line n. */
export const PRELUDE_LINES = PRELUDE.split('\n').length - 1;

/** Everything after the source: the fixed-point sums and the entry point (K = outputCount). */
function postlude(outputCount: number): string {
  const words = outputCount * WGSL_WORDS_PER_OUTPUT;
  const outputs = Array.from({ length: outputCount }, (_, k) => k);
  const declare = outputs.map((k) => `  var tessera_sums_${k}: tessera_Sums;`).join('\n');
  const accumulate = outputs
    .map((k) => `      tessera_accumulate(&tessera_sums_${k}, tessera_values[${k}]);`)
    .join('\n');
  const flush = outputs
    .map((k) => `  tessera_group_flush(${k * WGSL_WORDS_PER_OUTPUT}u, tessera_sums_${k});`)
    .join('\n');
  return /* wgsl */ `
// ---- Tessera harness: exact sums and entry point ----
const tessera_words: u32 = ${words}u;
var<workgroup> tessera_group: array<atomic<u32>, ${words}>;

// One output's sums over an invocation's samples: 128-bit words, little-endian.
struct tessera_Sums {
  sum: vec4<u32>,
  squares: vec4<u32>,
  rejected: u32,
}

// a + b modulo 2^128.
fn tessera_add128(a: vec4<u32>, b: vec4<u32>) -> vec4<u32> {
  let x = a.x + b.x;
  let c0 = select(0u, 1u, x < b.x);
  let y0 = a.y + b.y;
  let y = y0 + c0;
  let c1 = select(0u, 1u, y0 < b.y) + select(0u, 1u, y < y0);
  let z0 = a.z + b.z;
  let z = z0 + c1;
  let c2 = select(0u, 1u, z0 < b.z) + select(0u, 1u, z < z0);
  return vec4<u32>(x, y, z, a.w + b.w + c2);
}

// v * 2^shift as 128 bits, truncated toward zero when shift < 0 (v < 2^48). Branch-free: on
// SIMD devices (SwiftShader, GPUs) lanes with different exponents would run every branch.
fn tessera_shift(v: vec2<u32>, shift: i32) -> vec4<u32> {
  let t = u32(max(shift, 0));
  let r = t & 31u;
  let spill = (32u - r) & 31u;
  let a = vec3<u32>(
    v.x << r,
    (v.y << r) | select(0u, v.x >> spill, r != 0u),
    select(0u, v.y >> spill, r != 0u),
  );
  let left = select(vec4<u32>(a, 0u), vec4<u32>(0u, a), t >= 32u);
  let u = u32(max(-shift, 0));
  let ru = u & 31u;
  let back = (32u - ru) & 31u;
  let low = select((v.x >> ru) | select(0u, v.y << back, ru != 0u), v.y >> ru, u >= 32u);
  let high = select(v.y >> ru, 0u, u >= 32u);
  let right = select(vec4<u32>(low, high, 0u, 0u), vec4<u32>(0u), u >= 64u);
  return select(right, left, shift >= 0);
}

// Adds x as trunc(x * 2^32) and trunc(x^2 * 2^32), read off its bits (twin: wgslFixedPoint.ts):
// |x| >= 2^31, NaN and Inf (exponent >= 158) count as rejected, |x| < 2^-32 (< 95) adds 0.
fn tessera_accumulate(sums: ptr<function, tessera_Sums>, x: f32) {
  let bits = bitcast<u32>(x);
  let e = (bits >> 23u) & 0xffu;
  let rejected = e >= 158u;
  (*sums).rejected = (*sums).rejected + select(0u, 1u, rejected);
  let m = select(0u, (bits & 0x7fffffu) | 0x800000u, e >= 95u && !rejected);
  let value = tessera_shift(vec2<u32>(m, 0u), i32(e) - 118);
  let negated = tessera_add128(~value, vec4<u32>(1u, 0u, 0u, 0u));
  (*sums).sum = tessera_add128((*sums).sum, select(value, negated, (bits >> 31u) != 0u));
  let square = vec2<u32>(m * m, tessera_mulhi32(m, m));
  (*sums).squares = tessera_add128((*sums).squares, tessera_shift(square, 2 * i32(e) - 268));
}

// Adds value at word index of an integer ending before word end, carrying upward.
fn tessera_group_add(index: u32, end: u32, value: u32) {
  var i = index;
  var carry = value;
  loop {
    if (carry == 0u || i >= end) {
      break;
    }
    let old = atomicAdd(&tessera_group[i], carry);
    carry = select(0u, 1u, old + carry < old);
    i = i + 1u;
  }
}

fn tessera_group_flush(base: u32, sums: tessera_Sums) {
  tessera_group_add(base, base + 4u, sums.sum.x);
  tessera_group_add(base + 1u, base + 4u, sums.sum.y);
  tessera_group_add(base + 2u, base + 4u, sums.sum.z);
  tessera_group_add(base + 3u, base + 4u, sums.sum.w);
  tessera_group_add(base + 4u, base + 8u, sums.squares.x);
  tessera_group_add(base + 5u, base + 8u, sums.squares.y);
  tessera_group_add(base + 6u, base + 8u, sums.squares.z);
  tessera_group_add(base + 7u, base + 8u, sums.squares.w);
  tessera_group_add(base + 8u, base + 9u, sums.rejected);
}

// The same carries into the unit's output words.
fn tessera_out_add(index: u32, value: u32) {
  let base = (index / ${WGSL_WORDS_PER_OUTPUT}u) * ${WGSL_WORDS_PER_OUTPUT}u;
  let offset = index - base;
  let end = base + select(select(9u, 8u, offset < 8u), 4u, offset < 4u);
  var i = index;
  var carry = value;
  loop {
    if (carry == 0u || i >= end) {
      break;
    }
    let old = atomicAdd(&tessera_out[i], carry);
    carry = select(0u, 1u, old + carry < old);
    i = i + 1u;
  }
}

@compute @workgroup_size(${MC_WORKGROUP_SIZE})
fn ${WGSL_ENTRY_POINT}(
  @builtin(global_invocation_id) tessera_gid: vec3<u32>,
  @builtin(local_invocation_index) tessera_lid: u32,
) {
  for (var w = tessera_lid; w < tessera_words; w = w + ${MC_WORKGROUP_SIZE}u) {
    atomicStore(&tessera_group[w], 0u);
  }
  workgroupBarrier();
  tessera_key = tessera_params.seed;
${declare}
  let tessera_first = tessera_gid.x * tessera_params.per_invocation;
  if (tessera_first < tessera_params.count) {
    let tessera_last = min(tessera_first + tessera_params.per_invocation, tessera_params.count);
    for (var tessera_i = tessera_first; tessera_i < tessera_last; tessera_i = tessera_i + 1u) {
      let tessera_lo = tessera_params.first.x + tessera_i;
      let tessera_hi = tessera_params.first.y + select(0u, 1u, tessera_lo < tessera_i);
      tessera_counter = vec4<u32>(tessera_lo, tessera_hi, tessera_stream, 0u);
      tessera_used = 4u;
      let tessera_values = sample();
${accumulate}
    }
  }
${flush}
  workgroupBarrier();
  for (var w = tessera_lid; w < tessera_words; w = w + ${MC_WORKGROUP_SIZE}u) {
    tessera_out_add(w, atomicLoad(&tessera_group[w]));
  }
}
`;
}

/** The full module for a kernel with `outputCount` outputs: prelude, source verbatim, entry. */
export function harnessSource(source: string, outputCount: number): string {
  return `${PRELUDE}${source}\n${postlude(outputCount)}`;
}

/**
 * The researcher's line for line `line` of harnessSource's module, or null when that line is
 * the harness's own. Without `source`, every line after the prelude is taken as theirs.
 */
export function mapHarnessLine(line: number, source?: string): number | null {
  const own = line - PRELUDE_LINES;
  const sourceLines = source === undefined ? Infinity : source.split('\n').length;
  return own >= 1 && own <= sourceLines ? own : null;
}
