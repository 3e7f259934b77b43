// WGSL twin of philox.ts, pasted in front of every kernel that draws random numbers.
// No u64 in WGSL: the high half of a 32x32 product is assembled from 16-bit pieces, exactly
// as mulhi32 does in TypeScript. Exports: mulhi32(a, b) -> u32; philox4x32(ctr, key) -> vec4<u32>.
export const philoxWgsl = /* wgsl */ `
const PHILOX_M0: u32 = 0xd2511f53u;
const PHILOX_M1: u32 = 0xcd9e8d57u;
const PHILOX_W0: u32 = 0x9e3779b9u;
const PHILOX_W1: u32 = 0xbb67ae85u;

fn mulhi32(a: u32, b: u32) -> u32 {
  let a_lo = a & 0xffffu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xffffu;
  let b_hi = b >> 16u;
  let lo_lo = a_lo * b_lo;
  let hi_lo = a_hi * b_lo;
  let lo_hi = a_lo * b_hi;
  let hi_hi = a_hi * b_hi;
  // cross = hi_lo + lo_hi + (lo_lo >> 16) can reach 2^33: track its carry separately.
  let cross1 = hi_lo + (lo_lo >> 16u);
  let cross = cross1 + lo_hi;
  let carry = select(0u, 0x10000u, cross < lo_hi);
  return hi_hi + (cross >> 16u) + carry;
}

fn philox4x32(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var x = ctr;
  var k = key;
  for (var round = 0u; round < 10u; round = round + 1u) {
    if (round > 0u) {
      k = k + vec2<u32>(PHILOX_W0, PHILOX_W1);
    }
    let hi0 = mulhi32(PHILOX_M0, x.x);
    let lo0 = PHILOX_M0 * x.x;
    let hi1 = mulhi32(PHILOX_M1, x.z);
    let lo1 = PHILOX_M1 * x.z;
    x = vec4<u32>(hi1 ^ x.y ^ k.x, lo1, hi0 ^ x.w ^ k.y, lo0);
  }
  return x;
}
`;
