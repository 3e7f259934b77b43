// Seeded generators for simulation and test choreography (who lies, delays, kill points, the
// coordinator's scheduling draws in a simulation): the same seed gives the same choices.
// Never used for results, which come from Philox.

/** mulberry32: a tiny 32-bit generator, uniform draws in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * An independent seed for stream `index` of a run seeded `seed`: each simulated volunteer draws
 * from its own stream, so its choices do not depend on how the others' events interleave.
 */
export function substreamSeed(seed: number, index: number): number {
  const mix = mulberry32((seed >>> 0) ^ Math.imul(index + 1, 0x9e3779b9));
  mix();
  return Math.floor(mix() * 4294967296);
}

/** A uniform integer in [lo, hi]. */
export function drawInt(random: () => number, lo: number, hi: number): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}
