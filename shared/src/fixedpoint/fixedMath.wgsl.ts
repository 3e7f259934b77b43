// WGSL twin of fixedMath.ts: the same fixed-point functions, the same rounded operations in the
// same order, the constants interpolated from the TypeScript so there is one copy of each.
// Paste after philoxWgsl (it uses that file's mulhi32). No u64 in WGSL: 64-bit values travel as
// vec2<u32>(low word, high word). Every shift amount is kept in 0..31 by construction (WGSL
// takes larger ones modulo 32).
//
// Exports:
//   fx_mul_round32(a, b) -> u32          round(a b / 2^32)
//   fx_halve_round(v) -> u32             round(v / 2), ties to even
//   fx_mul_round31(a, b) -> u32          round(a b / 2^31), saturating
//   fx_mul_round_q163(m, c_hi, c_lo)     round(m c / 2^63), saturating
//   fx_log2_mantissa(m) -> u32           log2(m / 2^31) in Q0.32, m in [2^31, 2^32)
//   fx_neg_log2_uniform64(hi, lo)        -log2(((hi:lo) | 1) / 2^64) as vec2(fraction, integer)
//   fx_isqrt64_round(x: vec2) -> u32     round(sqrt(x)), saturating
//   fx_sincos_turn(u) -> vec4<u32>       (|cos|, |sin| in Q1.31, cos < 0, sin < 0) of u / 2^32 turn
//   fx_exp2_fraction(f) -> u32           2^(f / 2^32) in Q1.31
import {
  COS_COEFFICIENTS,
  EXP2_FACTORS,
  EXP_COEFFICIENTS,
  INV_2,
  INV_3,
  INV_4,
  INV_5,
  INV_6,
  LN2_Q32,
  LOG2E_Q31,
  LOG2_INVERSE,
  LOG2_THRESHOLD,
  SIN_COEFFICIENTS,
  TWO_PI_Q29,
} from './fixedMath';

const u = (value: number) => `${value >>> 0}u`;
const list = (values: readonly number[]) => values.map(u).join(', ');

export const fixedMathWgsl = /* wgsl */ `
fn fx_mul_round32(a: u32, b: u32) -> u32 {
  return mulhi32(a, b) + ((a * b) >> 31u);
}

fn fx_halve_round(v: u32) -> u32 {
  return (v >> 1u) + (v & (v >> 1u) & 1u);
}

fn fx_mul_round31(a: u32, b: u32) -> u32 {
  let hi = mulhi32(a, b);
  if (hi >= 0x80000000u) {
    return 0xffffffffu;
  }
  let lo = a * b;
  let base = (hi << 1u) | (lo >> 31u);
  return base + select((lo >> 30u) & 1u, 0u, base == 0xffffffffu);
}

fn fx_mul_round_q163(m: u32, c_hi: u32, c_lo: u32) -> u32 {
  let p1_hi = mulhi32(m, c_hi);
  let p1_lo = m * c_hi;
  let p2_hi = mulhi32(m, c_lo);
  let w1 = p1_lo + p2_hi;
  let w2 = p1_hi + select(0u, 1u, w1 < p1_lo);
  if (w2 >= 0x80000000u) {
    return 0xffffffffu;
  }
  let base = (w2 << 1u) | (w1 >> 31u);
  return base + select((w1 >> 30u) & 1u, 0u, base == 0xffffffffu);
}

const FX_LOG2_INVERSE = array<u32, 4>(${list(LOG2_INVERSE)});
const FX_LOG2_THRESHOLD = array<u32, 4>(${list(LOG2_THRESHOLD)});

fn fx_log2_mantissa(mantissa: u32) -> u32 {
  var m = mantissa;
  var bits = 0u;
  for (var k = 0u; k < 4u; k = k + 1u) {
    if (m >= FX_LOG2_THRESHOLD[k]) {
      m = fx_mul_round32(m, FX_LOG2_INVERSE[k]);
      bits = bits + (1u << (31u - k));
    }
  }
  let d = (m - 0x80000000u) * 2u;
  var q = ${u(INV_6)};
  q = ${u(INV_5)} - fx_mul_round32(d, q);
  q = ${u(INV_4)} - fx_mul_round32(d, q);
  q = ${u(INV_3)} - fx_mul_round32(d, q);
  q = ${u(INV_2)} - fx_mul_round32(d, q);
  let ln = d - fx_mul_round32(d, fx_mul_round32(d, q));
  let part = fx_mul_round31(ln, ${u(LOG2E_Q31)});
  let total = bits + part;
  return select(total, 0xffffffffu, total < bits);
}

fn fx_neg_log2_uniform64(hi: u32, lo: u32) -> vec2<u32> {
  let low = lo | 1u;
  var mantissa: u32;
  var exponent: u32;
  if (hi != 0u) {
    let z = countLeadingZeros(hi);
    if (z == 0u) {
      mantissa = hi;
    } else {
      mantissa = (hi << z) | (low >> (32u - z));
    }
    exponent = 63u - z;
  } else {
    let z = countLeadingZeros(low);
    mantissa = low << z;
    exponent = 31u - z;
  }
  let l = fx_log2_mantissa(mantissa);
  if (l == 0u) {
    return vec2<u32>(0u, 64u - exponent);
  }
  return vec2<u32>(0u - l, 63u - exponent);
}

fn fx_le64(a_hi: u32, a_lo: u32, b_hi: u32, b_lo: u32) -> bool {
  return a_hi < b_hi || (a_hi == b_hi && a_lo <= b_lo);
}

// floor(sqrt(x)) one bit at a time: 32 exact steps, the fallback when the fast guess is far off.
fn fx_isqrt64_bitwise(x: vec2<u32>) -> u32 {
  var r = 0u;
  for (var bit = 31u; bit < 32u; bit = bit - 1u) {
    let c = r | (1u << bit);
    if (fx_le64(mulhi32(c, c), c * c, x.y, x.x)) {
      r = c;
    }
  }
  return r;
}

// The f32 arithmetic here only guesses: whatever it returns on a given GPU, the exact integer
// checks below end at the one r with r^2 <= x < (r + 1)^2, so the result does not depend on
// it. Two Newton steps on the exact remainder x - r^2 bring even a crude f32 sqrt within a
// unit or two; a guess still more than 4 off (a driver with a broken sqrt) takes the bitwise
// path, so the correction loops run at most a few times.
fn fx_isqrt64_round(x: vec2<u32>) -> u32 {
  let guess = sqrt(f32(x.y) * 4294967296.0 + f32(x.x));
  var r = u32(clamp(guess, 1.0, 4294967040.0));
  for (var newton = 0u; newton < 2u; newton = newton + 1u) {
    let sq_lo = r * r;
    let sq_hi = mulhi32(r, r);
    let d_lo = x.x - sq_lo;
    let d_hi = x.y - sq_hi - select(0u, 1u, x.x < sq_lo);
    let delta = f32(bitcast<i32>(d_hi)) * 4294967296.0 + f32(d_lo);
    // The step is applied in integers: f32 cannot hold r itself to the unit near 2^32.
    let step = delta / (2.0 * f32(r));
    if (step >= 0.0) {
      r = r + min(u32(min(step + 0.5, 4294967040.0)), 4294967040u - r);
    } else {
      r = r - min(u32(min(0.5 - step, 4294967040.0)), r - 1u);
    }
  }
  let below = select(r - 4u, 0u, r < 4u);
  let above = r + 5u;
  let near = fx_le64(mulhi32(below, below), below * below, x.y, x.x) &&
    !fx_le64(mulhi32(above, above), above * above, x.y, x.x);
  if (!near) {
    r = fx_isqrt64_bitwise(x);
  }
  loop {
    if (fx_le64(mulhi32(r, r), r * r, x.y, x.x)) {
      break;
    }
    r = r - 1u;
  }
  loop {
    if (r == 0xffffffffu) {
      break;
    }
    let s = r + 1u;
    if (!fx_le64(mulhi32(s, s), s * s, x.y, x.x)) {
      break;
    }
    r = s;
  }
  let rem_lo = x.x - r * r;
  let rem_hi = x.y - mulhi32(r, r) - select(0u, 1u, x.x < r * r);
  if ((rem_hi != 0u || rem_lo > r) && r != 0xffffffffu) {
    return r + 1u;
  }
  return r;
}

fn fx_sincos_turn(angle: u32) -> vec4<u32> {
  let octant = angle >> 29u;
  let within = angle & 0x1fffffffu;
  let r = select(within, 0x20000000u - within, (octant & 1u) == 1u);
  let hi = mulhi32(r, ${u(TWO_PI_Q29)});
  let lo = r * ${u(TWO_PI_Q29)};
  let phi = ((hi << 3u) | (lo >> 29u)) + ((lo >> 28u) & 1u);
  let phi2 = fx_mul_round32(phi, phi);
  var qs = ${u(SIN_COEFFICIENTS[4])};
  qs = ${u(SIN_COEFFICIENTS[3])} - fx_mul_round32(phi2, qs);
  qs = ${u(SIN_COEFFICIENTS[2])} - fx_mul_round32(phi2, qs);
  qs = ${u(SIN_COEFFICIENTS[1])} - fx_mul_round32(phi2, qs);
  qs = ${u(SIN_COEFFICIENTS[0])} - fx_mul_round32(phi2, qs);
  let sin32 = phi - fx_mul_round32(fx_mul_round32(phi, phi2), qs);
  var qc = ${u(COS_COEFFICIENTS[5])};
  qc = ${u(COS_COEFFICIENTS[4])} - fx_mul_round32(phi2, qc);
  qc = ${u(COS_COEFFICIENTS[3])} - fx_mul_round32(phi2, qc);
  qc = ${u(COS_COEFFICIENTS[2])} - fx_mul_round32(phi2, qc);
  qc = ${u(COS_COEFFICIENTS[1])} - fx_mul_round32(phi2, qc);
  qc = ${u(COS_COEFFICIENTS[0])} - fx_mul_round32(phi2, qc);
  let t = fx_mul_round32(phi2, qc);
  let cos31 = 0x80000000u - fx_halve_round(t);
  let sin31 = fx_halve_round(sin32);
  let swap = ((octant + 1u) & 2u) != 0u;
  return vec4<u32>(
    select(cos31, sin31, swap),
    select(sin31, cos31, swap),
    select(0u, 1u, ((octant + 2u) & 4u) != 0u),
    select(0u, 1u, octant >= 4u),
  );
}

const FX_EXP2_FACTORS = array<vec2<u32>, 4>(
  ${EXP2_FACTORS.map(([hi, lo]) => `vec2<u32>(${u(hi)}, ${u(lo)})`).join(',\n  ')},
);

fn fx_exp2_fraction(f: u32) -> u32 {
  let g = f & 0x0fffffffu;
  let h = fx_mul_round32(g, ${u(LN2_Q32)});
  var q = ${u(EXP_COEFFICIENTS[3])};
  q = ${u(EXP_COEFFICIENTS[2])} + fx_mul_round32(h, q);
  q = ${u(EXP_COEFFICIENTS[1])} + fx_mul_round32(h, q);
  q = ${u(EXP_COEFFICIENTS[0])} + fx_mul_round32(h, q);
  let expm1 = h + fx_mul_round32(h, fx_mul_round32(h, q));
  var m = 0x80000000u + fx_halve_round(expm1);
  for (var k = 0u; k < 4u; k = k + 1u) {
    if (((f >> (31u - k)) & 1u) == 1u) {
      let c = FX_EXP2_FACTORS[k];
      m = fx_mul_round_q163(m, c.x, c.y);
    }
  }
  return m;
}
`;
