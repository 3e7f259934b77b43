// ising-2d kernel, WGSL. Twin of isingReference.ts: same sites, same draws, same thresholds,
// same integer M and E after every measured sweep.
//
// Bindings (MC_BINDINGS): @binding(0) uniform Params; @binding(1) storage array<atomic<u32>>
//   out[2t] += M, out[2t + 1] += E of measurement slot t (i32 bit patterns, zeroed by the
//   runner once per unit); @binding(2) (MC_BINDINGS.storage) storage array<atomic<u32>>
//   lattice, L²/32 words, zeroed once per unit and kept across its dispatches.
// Lattice layout: row y is cut into L/8 strips of 8 columns; strip g = y·(L/8) + j is byte
//   g % 4 of word g / 4, bit c for column 8j + c, 1 where the spin is −1. So the zero fill is
//   the cold start (every spin +1), and one load brings a strip.
// Params: seed (Philox key), chain, half_sweep h (h & 1 is the colour updated), size L,
//   threshold4/threshold8 (a flip raising E by 4/8 is accepted when its draw is below),
//   mode bits (UPDATE: run half-sweep h; MEASURE: first add the incoming lattice's M and E to
//   slot), slot, strips_per_invocation (strips g = gid + k·invocations, k below it).
// Each strip's 4 sites of the colour, x = 8j + ((y + h) & 1) + 2i, belong to one invocation.
//   Measuring, it adds the strip's 8 spins to M (the strips tile the lattice) and −s·(sum of 4
//   neighbours) of those 4 sites to E (every bond has one end of each colour, so each bond is
//   counted once), read before its own update. It flips its sites with one atomicXor on the
//   strip's word, whose other bytes belong to other strips; every bit another invocation
//   reads in this dispatch (a neighbour) is of the other colour, which nobody writes, so the
//   answer does not depend on scheduling.
// RNG: Philox4x32-10, counter (h, chain, ISING_STREAM, g), key (seed_lo, seed_hi); word i for
//   site i of the strip.
// Invariants: L is a multiple of 8; g >= L²/8 does nothing but join the barriers; |M| <= L²
//   and |E| <= 2L² < 2^31, so the u32 atomic sums wrap into the right i32; barriers sit in
//   uniform control flow (mode comes from the uniform buffer).
import { philoxWgsl } from '../../rng/philox.wgsl';
import { MC_WORKGROUP_SIZE } from '../estimator';
import { ISING_STREAM } from './isingReference';

/** Bits of Params.mode. */
export const ISING_MODE = { update: 1, measure: 2 } as const;

export const isingWgsl = /* wgsl */ `
${philoxWgsl}
const ISING_STREAM: u32 = ${ISING_STREAM}u;
const MODE_UPDATE: u32 = ${ISING_MODE.update}u;
const MODE_MEASURE: u32 = ${ISING_MODE.measure}u;

struct Params {
  seed: vec2<u32>,
  chain: u32,
  half_sweep: u32,
  size: u32,
  threshold4: u32,
  threshold8: u32,
  mode: u32,
  slot: u32,
  strips_per_invocation: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read_write> lattice: array<atomic<u32>>;
var<workgroup> workgroup_m: atomic<u32>;
var<workgroup> workgroup_e: atomic<u32>;

// The 8 down-bits of strip g: byte g % 4 of word g / 4.
fn strip_bits(g: u32) -> u32 {
  return (atomicLoad(&lattice[g >> 2u]) >> ((g & 3u) * 8u)) & 0xffu;
}

// One own site at strip column c: window bit c + 1 is the site (bits c and c + 2 its left and
// right neighbours), bit c of above/below its vertical neighbours. Returns (flip bit at c,
// the site's −s·h for E). u is its draw; ignored when nothing is updated.
fn site(window: u32, above: u32, below: u32, c: u32, u: u32) -> vec2<i32> {
  let s = 1 - 2 * i32((window >> (c + 1u)) & 1u);
  let downs = ((window >> c) & 1u) + ((window >> (c + 2u)) & 1u) + ((above >> c) & 1u) +
    ((below >> c) & 1u);
  let h = 4 - 2 * i32(downs);
  let delta_e = 2 * s * h;
  let threshold = select(params.threshold8, params.threshold4, delta_e == 4);
  let flip = select(0u, 1u, delta_e <= 0 || u < threshold);
  return vec2<i32>(i32(flip << c), -s * h);
}

// Strip g's half-sweep: updates its 4 sites of the colour when asked, and returns the strip's
// (M, E) contributions as they were before the update.
fn strip_step(g: u32, updating: bool) -> vec2<i32> {
  let size = params.size;
  let strips_per_row = size / 8u;
  let strips = size * strips_per_row;
  let y = g / strips_per_row;
  let j = g % strips_per_row;
  let left = select(g - 1u, g + strips_per_row - 1u, j == 0u);
  let right = select(g + 1u, g + 1u - strips_per_row, j == strips_per_row - 1u);
  let above = select(g - strips_per_row, g + strips - strips_per_row, y == 0u);
  let below = select(g + strips_per_row, g + strips_per_row - strips, y == size - 1u);
  let own = strip_bits(g);
  // Bit 0: the left strip's last column; bits 1..8: this strip; bit 9: the right strip's first.
  let window = (strip_bits(left) >> 7u) | (own << 1u) | ((strip_bits(right) & 1u) << 9u);
  let up_bits = strip_bits(above);
  let down_bits = strip_bits(below);
  // The half-sweep's colour in this row: own sites at strip columns offset + 2i.
  let offset = (y + params.half_sweep) & 1u;
  var r = vec4<u32>(0u);
  if (updating) {
    r = philox4x32(vec4<u32>(params.half_sweep, params.chain, ISING_STREAM, g), params.seed);
  }
  let a = site(window, up_bits, down_bits, offset, r.x);
  let b = site(window, up_bits, down_bits, offset + 2u, r.y);
  let c = site(window, up_bits, down_bits, offset + 4u, r.z);
  let d = site(window, up_bits, down_bits, offset + 6u, r.w);
  if (updating) {
    let flips = u32(a.x | b.x | c.x | d.x);
    if (flips != 0u) {
      atomicXor(&lattice[g >> 2u], flips << ((g & 3u) * 8u));
    }
  }
  return vec2<i32>(8 - 2 * i32(countOneBits(own)), a.y + b.y + c.y + d.y);
}

@compute @workgroup_size(${MC_WORKGROUP_SIZE})
fn main(
  @builtin(global_invocation_id) gid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let measuring = (params.mode & MODE_MEASURE) != 0u;
  let updating = (params.mode & MODE_UPDATE) != 0u;
  if (measuring) {
    if (lid == 0u) {
      atomicStore(&workgroup_m, 0u);
      atomicStore(&workgroup_e, 0u);
    }
    workgroupBarrier();
  }
  let strips = params.size * params.size / 8u;
  let invocations = groups.x * ${MC_WORKGROUP_SIZE}u;
  var measured = vec2<i32>(0);
  for (var k = 0u; k < params.strips_per_invocation; k = k + 1u) {
    let g = gid.x + k * invocations;
    if (g < strips) {
      measured = measured + strip_step(g, updating);
    }
  }
  if (measuring) {
    atomicAdd(&workgroup_m, bitcast<u32>(measured.x));
    atomicAdd(&workgroup_e, bitcast<u32>(measured.y));
    workgroupBarrier();
    if (lid == 0u) {
      atomicAdd(&out[2u * params.slot], atomicLoad(&workgroup_m));
      atomicAdd(&out[2u * params.slot + 1u], atomicLoad(&workgroup_e));
    }
  }
}
`;
