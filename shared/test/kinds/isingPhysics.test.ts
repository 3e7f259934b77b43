// The ising-2d estimator against Onsager's exact solution, through the TypeScript reference (the
// WGSL kernel equals it bit for bit: isingKernel.test.ts). L = 32, 4 chains of 500 burn-in and
// 2500 measured sweeps per temperature, seeded, so the figures are fixed: at T = 2.0 and 1.5
// (below Tc) |m| and e land within 0.001 of the exact values, at T = 3.0 e within 0.001 (the
// finite-size shift at L = 32 is far below the 0.01 tolerance either side of Tc, where the
// correlation length is a few sites). A control run with every acceptance threshold computed
// for a 5% higher temperature misses by 0.04-0.08, so the tolerance can see a wrong kernel.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isingEstimator } from '../../src/kinds/ising-2d/isingEstimator';
import { acceptanceThreshold, runIsingReference } from '../../src/kinds/ising-2d/isingReference';
import { isingSpecSchema, type IsingEstimate } from '../../src/kinds/ising-2d/isingSpec';
import { agm, ellipticK, ONSAGER_TC, onsagerEnergy, onsagerMagnetization } from './onsager';

const TOLERANCE = 0.01;
const SHAPE = { size: 32, sweeps: 2500, burnIn: 500 };
const CHAINS = 4;

/** Runs every chain with the reference; `thresholdTemperature` breaks the kernel on purpose. */
function simulate(temperature: number, thresholdTemperature = temperature): IsingEstimate {
  const spec = isingSpecSchema.parse({
    estimator: 'ising-2d',
    params: { ...SHAPE, temperature },
    chains: CHAINS,
    seed: 2026,
  });
  let aggregate = isingEstimator.emptyAggregate();
  for (let chain = 0; chain < CHAINS; chain++) {
    const task = {
      ...isingEstimator.taskFor(spec, chain),
      threshold4: acceptanceThreshold(4, thresholdTemperature),
      threshold8: acceptanceThreshold(8, thresholdTemperature),
    };
    aggregate = isingEstimator.fold(aggregate, runIsingReference(task));
  }
  return isingEstimator.finalize(aggregate);
}

function within(what: string, got: number | null, exact: number, stderr: number | null): void {
  assert.ok(got !== null && stderr !== null, `${what}: no estimate`);
  assert.ok(
    Math.abs(got - exact) < TOLERANCE,
    `${what}: ${got.toFixed(5)} ± ${stderr.toFixed(5)}, exact ${exact.toFixed(5)}`,
  );
  // The run must resolve well below the tolerance, or passing would mean little.
  assert.ok(stderr < TOLERANCE / 4, `${what}: stderr ${stderr} too large for the check`);
}

describe('Onsager exact solution (the check itself)', () => {
  test('AGM and K(k) reproduce known values', () => {
    assert.ok(Math.abs(agm(1, Math.SQRT2) - 1.1981402347355922) < 1e-15);
    assert.equal(ellipticK(0), Math.PI / 2);
    assert.ok(Math.abs(ellipticK(Math.SQRT1_2) - 1.8540746773013719) < 1e-14);
  });
  test('energy is −√2 at Tc and magnetization vanishes there', () => {
    assert.ok(Math.abs(ONSAGER_TC - 2.269185314213022) < 1e-14);
    assert.ok(Math.abs(onsagerEnergy(ONSAGER_TC) + Math.SQRT2) < 1e-12);
    assert.equal(onsagerMagnetization(ONSAGER_TC), 0);
    assert.ok(Math.abs(onsagerMagnetization(2.0) - 0.911319377877496) < 1e-12);
  });
});

describe('ising-2d against Onsager (L = 32, TypeScript reference)', () => {
  for (const temperature of [2.0, 1.5]) {
    test(`T = ${temperature} (below Tc): |m| and e within ${TOLERANCE} of exact`, () => {
      const result = simulate(temperature);
      within(
        '|m|',
        result.magnetization.mean,
        onsagerMagnetization(temperature),
        result.magnetization.stderr,
      );
      within('e', result.energy.mean, onsagerEnergy(temperature), result.energy.stderr);
      assert.equal(result.chains, CHAINS);
      assert.ok(result.susceptibility.mean! > 0 && result.specificHeat.mean! > 0);
    });
  }

  test(`T = 3.0 (above Tc): e within ${TOLERANCE} of exact, |m| small`, () => {
    const result = simulate(3.0);
    within('e', result.energy.mean, onsagerEnergy(3.0), result.energy.stderr);
    // No spontaneous magnetization; at L = 32 the finite lattice leaves |m| ~ 1/√(L²/χ) ≈ 0.09.
    assert.ok(result.magnetization.mean! < 0.15, `|m| = ${result.magnetization.mean}`);
  });

  test('control: thresholds for a 5% higher temperature miss Onsager by more than the tolerance', () => {
    const result = simulate(2.0, 2.1);
    const missE = Math.abs(result.energy.mean! - onsagerEnergy(2.0));
    const missM = Math.abs(result.magnetization.mean! - onsagerMagnetization(2.0));
    assert.ok(missE > 2 * TOLERANCE, `e missed by only ${missE}`);
    assert.ok(missM > 2 * TOLERANCE, `|m| missed by only ${missM}`);
  });
});
