// Onsager's exact solution of the 2D Ising model (J = 1, no field, infinite lattice): the
// check for the ising-2d estimator. Only tests and the benchmark use it; exact values are never
// part of a workload's result.

/** Critical temperature, 2 / ln(1 + √2) ≈ 2.269185. */
export const ONSAGER_TC = 2 / Math.log(1 + Math.SQRT2);

/** Arithmetic–geometric mean: converges quadratically, 6 rounds reach double precision. */
export function agm(a: number, b: number): number {
  let x = a;
  let y = b;
  for (let i = 0; i < 64 && Math.abs(x - y) > 1e-16 * x; i++) {
    [x, y] = [(x + y) / 2, Math.sqrt(x * y)];
  }
  return (x + y) / 2;
}

/** Complete elliptic integral of the first kind, modulus k (|k| < 1): K = π / (2·AGM(1, k')). */
export function ellipticK(k: number): number {
  return Math.PI / (2 * agm(1, Math.sqrt(1 - k * k)));
}

/** Spontaneous magnetization per site, (1 − sinh(2/T)^−4)^(1/8) below Tc, 0 above. */
export function onsagerMagnetization(temperature: number): number {
  if (temperature >= ONSAGER_TC) return 0;
  return (1 - Math.sinh(2 / temperature) ** -4) ** (1 / 8);
}

/**
 * Energy per site, −coth(2β)[1 + (2/π)(2 tanh²(2β) − 1) K(k)] with β = 1/T and
 * k = 2 sinh(2β) / cosh²(2β).
 */
export function onsagerEnergy(temperature: number): number {
  const twoBeta = 2 / temperature;
  const k = (2 * Math.sinh(twoBeta)) / Math.cosh(twoBeta) ** 2;
  const tanh = Math.tanh(twoBeta);
  // At Tc, k = 1 and K diverges (logarithmically) while 2 tanh² − 1 vanishes: the term is 0.
  const term = k >= 1 ? 0 : (2 / Math.PI) * (2 * tanh * tanh - 1) * ellipticK(k);
  return -(1 / tanh) * (1 + term);
}
