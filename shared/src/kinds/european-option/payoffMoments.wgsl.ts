// The WGSL side of payoffMoments.ts: a kernel invocation's exact running sums of payoffs and
// squared payoffs, as multiword integers in a private array (little-endian u32 words: sum in
// words [0, 4), sum of squares in [4, 10)). Needs philoxWgsl's mulhi32.
// Exports: PAYOFF_ACC_WORDS, PAYOFF_SUM_WORDS, accumulate(&acc, payoff: vec3<u32>).
export const PAYOFF_SUM_WORDS = 4;
export const PAYOFF_SQUARE_WORDS = 6;
export const PAYOFF_ACC_WORDS = PAYOFF_SUM_WORDS + PAYOFF_SQUARE_WORDS;

export const payoffMomentsWgsl = /* wgsl */ `
const PAYOFF_SUM_WORDS: u32 = ${PAYOFF_SUM_WORDS}u;
const PAYOFF_ACC_WORDS: u32 = ${PAYOFF_ACC_WORDS}u;

// Adds value at word index of this invocation's accumulator, carrying up to word end - 1.
fn acc_add(acc: ptr<function, array<u32, ${PAYOFF_ACC_WORDS}>>, index: u32, end: u32, value: u32) {
  var i = index;
  var carry = value;
  loop {
    if (carry == 0u || i >= end) {
      break;
    }
    let old = (*acc)[i];
    let sum = old + carry;
    (*acc)[i] = sum;
    carry = select(0u, 1u, sum < old);
    i = i + 1u;
  }
}

fn acc_add_product(acc: ptr<function, array<u32, ${PAYOFF_ACC_WORDS}>>, index: u32, a: u32, b: u32) {
  acc_add(acc, index, PAYOFF_ACC_WORDS, a * b);
  acc_add(acc, index + 1u, PAYOFF_ACC_WORDS, mulhi32(a, b));
}

fn accumulate(acc: ptr<function, array<u32, ${PAYOFF_ACC_WORDS}>>, p: vec3<u32>) {
  acc_add(acc, 0u, PAYOFF_SUM_WORDS, p.x);
  acc_add(acc, 1u, PAYOFF_SUM_WORDS, p.y);
  acc_add(acc, 2u, PAYOFF_SUM_WORDS, p.z);
  // p^2 = x^2 + 2xy 2^32 + (2xz + y^2) 2^64 + 2yz 2^96 + z^2 2^128, from word PAYOFF_SUM_WORDS on.
  acc_add_product(acc, PAYOFF_SUM_WORDS, p.x, p.x);
  if (p.y != 0u || p.z != 0u) {
    acc_add_product(acc, PAYOFF_SUM_WORDS + 1u, p.x, p.y);
    acc_add_product(acc, PAYOFF_SUM_WORDS + 1u, p.x, p.y);
    acc_add_product(acc, PAYOFF_SUM_WORDS + 2u, p.x, p.z);
    acc_add_product(acc, PAYOFF_SUM_WORDS + 2u, p.x, p.z);
    acc_add_product(acc, PAYOFF_SUM_WORDS + 2u, p.y, p.y);
    acc_add_product(acc, PAYOFF_SUM_WORDS + 3u, p.y, p.z);
    acc_add_product(acc, PAYOFF_SUM_WORDS + 3u, p.y, p.z);
    acc_add_product(acc, PAYOFF_SUM_WORDS + 4u, p.z, p.z);
  }
}
`;
