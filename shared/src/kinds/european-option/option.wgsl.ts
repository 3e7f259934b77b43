// european-option kernel, WGSL. Twin of optionReference.ts: same stream, same fixed-point
// payoff, same exact integer sums.
//
// Bindings (MC_BINDINGS): @binding(0) uniform Params; @binding(1) storage array<atomic<u32>>,
//   10 words zeroed by the runner once per unit: out[0..4) = sum of payoffs, out[4..10) = sum
//   of squared payoffs, little-endian multiword integers in units of spot * 2^-40.
// Params: seed (key of every Philox call); block_start (64-bit index of the dispatch's first
//   block, two samples per block); block_count blocks in this dispatch; blocks_per_invocation;
//   half_last = 1 when the dispatch's last block holds only its even sample; put = 1 for a
//   put; drift, vol_mantissa, vol_shift, strike: the OptionConstants (optionConstants.ts),
//   which option_payoff (optionPayoff.wgsl.ts) takes as a struct.
// RNG: Philox4x32-10, counter (block_lo, block_hi, OPTION_STREAM, 0), key (seed_lo, seed_hi);
//   words x, y -> radius, z -> angle (fx_normal_pair), w unused.
// Invariants: every payoff < 2^80 (3 words); a unit holds <= 2^31 samples, so the sums stay
//   below 2^111 and 2^191 and the top words never wrap. Multiword atomic adds carry exactly:
//   atomicAdd returns the old word, and the invocation that wraps a word adds the carry to the
//   next, so the final words are the exact sum whatever the interleaving. Invocations past
//   block_count add nothing; barriers are in uniform control flow. No float arithmetic
//   decides a bit: the only f32 is fx_isqrt64_round's first guess, which exact integer steps
//   correct to the one right root.
import { boxMullerWgsl } from '../../fixedpoint/boxMuller.wgsl';
import { fixedMathWgsl } from '../../fixedpoint/fixedMath.wgsl';
import { philoxWgsl } from '../../rng/philox.wgsl';
import { MC_WORKGROUP_SIZE } from '../estimator';
import { optionPayoffWgsl } from './optionPayoff.wgsl';
import { OPTION_STREAM } from './optionReference';
import { PAYOFF_ACC_WORDS, PAYOFF_SUM_WORDS, payoffMomentsWgsl } from './payoffMoments.wgsl';

/** Output words: the payoff sum, then the sum of squares (the accumulator's layout). */
export const OPTION_SUM_WORDS = PAYOFF_SUM_WORDS;
export const OPTION_OUTPUT_WORDS = PAYOFF_ACC_WORDS;

export const optionWgsl = /* wgsl */ `
${philoxWgsl}
${fixedMathWgsl}
${boxMullerWgsl}
${optionPayoffWgsl}
${payoffMomentsWgsl}
const OPTION_STREAM: u32 = ${OPTION_STREAM}u;
const SUM_END: u32 = PAYOFF_SUM_WORDS;
const ACC_WORDS: u32 = PAYOFF_ACC_WORDS;

struct Params {
  seed: vec2<u32>,
  block_start: vec2<u32>,
  block_count: u32,
  blocks_per_invocation: u32,
  half_last: u32,
  put: u32,
  drift: vec2<u32>,
  vol_mantissa: u32,
  vol_shift: u32,
  strike: vec2<u32>,
  _pad: vec2<u32>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<atomic<u32>>;
var<workgroup> workgroup_acc: array<atomic<u32>, ${OPTION_OUTPUT_WORDS}>;

fn workgroup_add(index: u32, end: u32, value: u32) {
  var i = index;
  var carry = value;
  loop {
    if (carry == 0u || i >= end) {
      break;
    }
    let old = atomicAdd(&workgroup_acc[i], carry);
    carry = select(0u, 1u, old + carry < old);
    i = i + 1u;
  }
}

fn output_add(index: u32, end: u32, value: u32) {
  var i = index;
  var carry = value;
  loop {
    if (carry == 0u || i >= end) {
      break;
    }
    let old = atomicAdd(&out[i], carry);
    carry = select(0u, 1u, old + carry < old);
    i = i + 1u;
  }
}

@compute @workgroup_size(${MC_WORKGROUP_SIZE})
fn main(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  if (lid < ACC_WORDS) {
    atomicStore(&workgroup_acc[lid], 0u);
  }
  workgroupBarrier();
  var acc: array<u32, ${OPTION_OUTPUT_WORDS}>;
  let k = OptionConstants(
    params.drift,
    params.vol_mantissa,
    params.vol_shift,
    params.strike,
    params.put,
  );
  let first = gid.x * params.blocks_per_invocation;
  if (first < params.block_count) {
    let last = min(first + params.blocks_per_invocation, params.block_count);
    for (var i = first; i < last; i = i + 1u) {
      let block_lo = params.block_start.x + i;
      let block_hi = params.block_start.y + select(0u, 1u, block_lo < i);
      let r = philox4x32(vec4<u32>(block_lo, block_hi, OPTION_STREAM, 0u), params.seed);
      let z = fx_normal_pair(r.x, r.y, r.z);
      accumulate(&acc, option_payoff(z.x, z.z, k));
      let only_even = params.half_last == 1u && i == params.block_count - 1u;
      if (!only_even) {
        accumulate(&acc, option_payoff(z.y, z.w, k));
      }
    }
  }
  for (var j = 0u; j < SUM_END; j = j + 1u) {
    workgroup_add(j, SUM_END, acc[j]);
  }
  for (var j = SUM_END; j < ACC_WORDS; j = j + 1u) {
    workgroup_add(j, ACC_WORDS, acc[j]);
  }
  workgroupBarrier();
  if (lid == 0u) {
    for (var j = 0u; j < SUM_END; j = j + 1u) {
      output_add(j, SUM_END, atomicLoad(&workgroup_acc[j]));
    }
    for (var j = SUM_END; j < ACC_WORDS; j = j + 1u) {
      output_add(j, ACC_WORDS, atomicLoad(&workgroup_acc[j]));
    }
  }
}
`;
