// pi kernel, WGSL. Twin of piReference.ts: same stream, same hit test, same integer answer.
//
// Bindings (MC_BINDINGS): @binding(0) uniform Params; @binding(1) storage array<atomic<u32>>
//   out[0] += hits of this dispatch (zeroed by the runner once per unit).
// Params: seed (key of every Philox call), pair_start (64-bit index of the dispatch's first
//   sample pair), pair_count pairs in this dispatch, pairs_per_invocation, half_last = 1 when
//   the dispatch's last pair holds only its even sample (odd sample count at the unit's end).
// RNG: Philox4x32-10, counter (pair_lo, pair_hi, PI_STREAM, 0), key (seed_lo, seed_hi).
// Invariants: pair_count <= 2^31 so the u32 hit sum cannot wrap; invocations past pair_count
//   add nothing; barriers are in uniform control flow.
import { philoxWgsl } from '../../rng/philox.wgsl';
import { MC_WORKGROUP_SIZE } from '../estimator';
import { PI_STREAM } from './piReference';

export const piWgsl = /* wgsl */ `
${philoxWgsl}
const PI_STREAM: u32 = ${PI_STREAM}u;

struct Params {
  seed: vec2<u32>,
  pair_start: vec2<u32>,
  pair_count: u32,
  pairs_per_invocation: u32,
  half_last: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<atomic<u32>>;
var<workgroup> workgroup_hits: atomic<u32>;

// x^2 + y^2 < 2^64 in exact 32-bit pieces: overflow of the 64-bit sum means outside.
fn inside_quarter_circle(x: u32, y: u32) -> u32 {
  let x_lo = x * x;
  let y_lo = y * y;
  let lo = x_lo + y_lo;
  let carry = select(0u, 1u, lo < x_lo);
  let x_hi = mulhi32(x, x);
  let s1 = x_hi + mulhi32(y, y);
  let s2 = s1 + carry;
  let overflow = (s1 < x_hi) || (s2 < s1);
  return select(1u, 0u, overflow);
}

@compute @workgroup_size(${MC_WORKGROUP_SIZE})
fn main(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  if (lid == 0u) {
    atomicStore(&workgroup_hits, 0u);
  }
  workgroupBarrier();
  var hits = 0u;
  let first = gid.x * params.pairs_per_invocation;
  if (first < params.pair_count) {
    let last = min(first + params.pairs_per_invocation, params.pair_count);
    for (var i = first; i < last; i = i + 1u) {
      let pair_lo = params.pair_start.x + i;
      let pair_hi = params.pair_start.y + select(0u, 1u, pair_lo < i);
      let r = philox4x32(vec4<u32>(pair_lo, pair_hi, PI_STREAM, 0u), params.seed);
      hits = hits + inside_quarter_circle(r.x, r.y);
      let only_even = params.half_last == 1u && i == params.pair_count - 1u;
      if (!only_even) {
        hits = hits + inside_quarter_circle(r.z, r.w);
      }
    }
  }
  atomicAdd(&workgroup_hits, hits);
  workgroupBarrier();
  if (lid == 0u) {
    atomicAdd(&out[0], atomicLoad(&workgroup_hits));
  }
}
`;
