// WGSL twin of boxMuller.ts. Paste after philoxWgsl and fixedMathWgsl.
// Exports: fx_radius_squared(hi, lo) -> vec2<u32>(low, high) of -2 ln(u) * 2^56;
//          fx_normal_pair(x, y, z) -> vec4<u32>(|Z0|, |Z1| in Q4.28, Z0 < 0, Z1 < 0).
import { INV_2, INV_3, INV_4 } from './fixedMath';
import { NEAR_ONE_HIGH_WORD, TWO_LN2_Q31 } from './boxMuller';

export const boxMullerWgsl = /* wgsl */ `
const FX_TWO_LN2_Q31: u32 = ${TWO_LN2_Q31}u;
const FX_NEAR_ONE_HIGH_WORD: u32 = ${NEAR_ONE_HIGH_WORD}u;

fn fx_radius_squared(hi: u32, lo: u32) -> vec2<u32> {
  var sum_lo: u32;
  var sum_hi: u32;
  if (hi >= FX_NEAR_ONE_HIGH_WORD) {
    let w_lo = 0u - (lo | 1u);
    let w_hi = 0xffffffffu - hi;
    let w = w_hi + (w_lo >> 31u);
    var q = ${INV_4}u;
    q = ${INV_3}u + fx_mul_round32(w, q);
    q = ${INV_2}u + fx_mul_round32(w, q);
    let s = fx_mul_round32(w, q);
    let tail = mulhi32(w_lo, s);
    let p_lo = w_hi * s + tail;
    let p_hi = mulhi32(w_hi, s) + select(0u, 1u, p_lo < tail);
    sum_lo = w_lo + p_lo;
    sum_hi = w_hi + p_hi + select(0u, 1u, sum_lo < w_lo);
  } else {
    let t = fx_neg_log2_uniform64(hi, lo);
    let l1 = t.x * FX_TWO_LN2_Q31;
    let h1 = mulhi32(t.x, FX_TWO_LN2_Q31);
    let l2 = t.y * FX_TWO_LN2_Q31;
    let h2 = mulhi32(t.y, FX_TWO_LN2_Q31);
    let w1 = h1 + l2;
    let w2 = h2 + select(0u, 1u, w1 < h1);
    let round_bit = (l1 >> 6u) & 1u;
    let x_lo = ((l1 >> 7u) | (w1 << 25u)) + round_bit;
    let x_hi = ((w1 >> 7u) | (w2 << 25u)) + select(0u, 1u, x_lo < round_bit);
    return vec2<u32>(x_lo, x_hi);
  }
  let round_bit = (sum_lo >> 6u) & 1u;
  let x_lo = ((sum_lo >> 7u) | (sum_hi << 25u)) + round_bit;
  let x_hi = (sum_hi >> 7u) + select(0u, 1u, x_lo < round_bit);
  return vec2<u32>(x_lo, x_hi);
}

fn fx_normal_pair(x: u32, y: u32, z: u32) -> vec4<u32> {
  let radius = fx_isqrt64_round(fx_radius_squared(x, y));
  let angle = fx_sincos_turn(z);
  return vec4<u32>(
    fx_mul_round31(radius, angle.x),
    fx_mul_round31(radius, angle.y),
    angle.z,
    angle.w,
  );
}
`;
