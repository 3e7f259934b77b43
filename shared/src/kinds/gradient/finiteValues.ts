// Finding a NaN or infinity among a model's values: parameters, gradients, features. A plain
// loop, not `array.findIndex((v) => !Number.isFinite(v))`: V8 runs that callback per element,
// ~12 ns each (0.6 ms for a 50,890-parameter MLP's gradient, paid for every result the
// coordinator takes and every unit a volunteer computes), the loop ~2 ns.

/** The index of the first value that is NaN or infinite, or -1 when every value is finite. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // Zero for every finite v; NaN for NaN and for either infinity.
    if (v - v !== 0) return i;
  }
  return -1;
}
