// WGSL twin of optionPayoff.ts: one sample's payoff in exact integers, the same rounded
// operations in the same order. Paste after philoxWgsl and fixedMathWgsl.
// Exports: struct OptionConstants (optionConstants.ts's fields; put = 1 for a put);
//          option_payoff(|Z| in Q4.28, Z < 0, constants) -> vec3<u32>, the payoff in units
//          of spot * 2^-40, low word first.
export const optionPayoffWgsl = /* wgsl */ `
struct OptionConstants {
  drift: vec2<u32>,
  vol_mantissa: u32,
  vol_shift: u32,
  strike: vec2<u32>,
  put: u32,
}

// round(m / 2^r), ties to even, 1 <= r <= 31.
fn round_shift_right(m: u32, r: u32) -> u32 {
  let q = m >> r;
  let rest = m & ((1u << r) - 1u);
  let half = 1u << (r - 1u);
  let up = rest > half || (rest == half && (q & 1u) == 1u);
  return q + select(0u, 1u, up);
}

fn option_payoff(z_mag: u32, z_negative: u32, k: OptionConstants) -> vec3<u32> {
  let p_hi = mulhi32(k.vol_mantissa, z_mag);
  let p_lo = k.vol_mantissa * z_mag;
  let s = k.vol_shift;
  var v_lo: u32;
  var v_hi: u32;
  var round_bit: u32;
  if (s < 32u) {
    v_lo = (p_lo >> s) | (p_hi << (32u - s));
    v_hi = p_hi >> s;
    round_bit = (p_lo >> (s - 1u)) & 1u;
  } else if (s == 32u) {
    v_lo = p_hi;
    v_hi = 0u;
    round_bit = p_lo >> 31u;
  } else {
    v_lo = p_hi >> (s - 32u);
    v_hi = 0u;
    round_bit = (p_hi >> (s - 33u)) & 1u;
  }
  v_lo = v_lo + round_bit;
  v_hi = v_hi + select(0u, 1u, v_lo < round_bit);
  let d = k.drift;
  var y_lo: u32;
  var y_hi: u32;
  if (z_negative == 1u) {
    y_lo = d.x - v_lo;
    y_hi = d.y - v_hi - select(0u, 1u, d.x < v_lo);
  } else {
    y_lo = d.x + v_lo;
    y_hi = d.y + v_hi + select(0u, 1u, y_lo < d.x);
  }
  // y has 40 fractional bits; exp2 takes 32: round, ties to even.
  var f = (y_lo >> 8u) | (y_hi << 24u);
  var n = bitcast<i32>(y_hi) >> 8u;
  let rest = y_lo & 0xffu;
  if (rest > 0x80u || (rest == 0x80u && (f & 1u) == 1u)) {
    f = f + 1u;
    if (f == 0u) {
      n = n + 1;
    }
  }
  let m = fx_exp2_fraction(f);
  // S_T / S0 * 2^40 = m * 2^(n + 9), m in Q1.31.
  let shift = n + 9;
  var s0 = 0u;
  var s1 = 0u;
  var s2 = 0u;
  if (shift >= 0) {
    let sh = u32(min(shift, 63));
    let bit = sh & 31u;
    let low = m << bit;
    let high = select(m >> ((32u - bit) & 31u), 0u, bit == 0u);
    if (sh < 32u) {
      s0 = low;
      s1 = high;
    } else {
      s1 = low;
      s2 = high;
    }
  } else {
    let r = u32(-shift);
    if (r <= 31u) {
      s0 = round_shift_right(m, r);
    } else if (r == 32u) {
      s0 = select(0u, 1u, m > 0x80000000u);
    }
  }
  let k_lo = k.strike.x;
  let k_hi = k.strike.y;
  if (k.put == 0u) {
    let above = s2 != 0u || s1 > k_hi || (s1 == k_hi && s0 > k_lo);
    if (!above) {
      return vec3<u32>(0u);
    }
    let b0 = select(0u, 1u, s0 < k_lo);
    let b1 = select(0u, 1u, s1 < k_hi || (s1 == k_hi && b0 == 1u));
    return vec3<u32>(s0 - k_lo, s1 - k_hi - b0, s2 - b1);
  }
  let below = s2 == 0u && (s1 < k_hi || (s1 == k_hi && s0 < k_lo));
  if (!below) {
    return vec3<u32>(0u);
  }
  let b0 = select(0u, 1u, k_lo < s0);
  return vec3<u32>(k_lo - s0, k_hi - s1 - b0, 0u);
}
`;
