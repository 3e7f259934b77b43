// The physicist's estimators in real WebGPU tabs: a European option priced against the
// Black–Scholes closed form and a 2D Ising model against Onsager's exact energy, both computed
// by two SwiftShader WebGPU tabs and verified by quorum, with no page or console error.
import { expect, test } from '@playwright/test';
import { getResult, submitWorkload, waitForCompletion } from './support/coordinatorApi';
import { openVolunteerTab, unitsCompleted, type VolunteerTab } from './support/volunteerTab';

const COMPLETION_TIMEOUT_MS = 150_000;

/** Black–Scholes price of the call below (S 100, K 105, r 5%, σ 20%, T 1): the textbook value. */
const BLACK_SCHOLES_CALL = 8.021352235143176;
/**
 * Onsager's energy per site at T = 3 (infinite lattice), −0.8173; an L = 16 lattice sits within
 * about 0.003 of it, and this short run's statistical error is well under 0.01.
 */
const ONSAGER_ENERGY_T3 = -0.81726;

interface Estimate {
  estimate: number;
  stderr: number;
  samples: number;
}
interface IsingResult {
  energy: { mean: number; stderr: number };
  magnetization: { mean: number; stderr: number };
  chains: number;
}

test('WebGPU tabs price an option and simulate an Ising lattice, checked against closed forms', async ({
  browser,
  request,
}) => {
  const tabs: VolunteerTab[] = [
    await openVolunteerTab(browser, 'webgpu-1', '/?backend=webgpu'),
    await openVolunteerTab(browser, 'webgpu-2', '/?backend=webgpu'),
  ];
  for (const tab of tabs) {
    await tab.page.getByTestId('contribute').click();
    await expect(tab.page.getByTestId('connection'), tab.label).toHaveText('Connected');
    await expect(tab.page.getByTestId('backend'), tab.label).toHaveText(/^WebGPU: \S/);
  }

  const option = await submitWorkload(request, {
    kind: 'montecarlo',
    name: 'e2e option',
    spec: {
      estimator: 'european-option',
      params: { spot: 100, strike: 105, rate: 0.05, volatility: 0.2, maturity: 1, type: 'call' },
      samples: 8 * 2 ** 17,
      seed: 11,
      samplesPerUnit: 2 ** 17,
    },
  });
  const ising = await submitWorkload(request, {
    kind: 'montecarlo',
    name: 'e2e ising',
    spec: {
      estimator: 'ising-2d',
      params: { size: 16, temperature: 3, sweeps: 300, burnIn: 100 },
      chains: 6,
      seed: 5,
    },
  });
  await waitForCompletion(request, [option, ising], COMPLETION_TIMEOUT_MS);

  const price = await getResult<Estimate>(request, option);
  expect(price.samples).toBe(8 * 2 ** 17);
  expect(price.stderr).toBeGreaterThan(0);
  expect(Math.abs(price.estimate - BLACK_SCHOLES_CALL)).toBeLessThan(5 * price.stderr);

  const lattice = await getResult<IsingResult>(request, ising);
  expect(lattice.chains).toBe(6);
  expect(Math.abs(lattice.energy.mean - ONSAGER_ENERGY_T3)).toBeLessThan(0.02);
  expect(lattice.magnetization.mean).toBeLessThan(0.3); // disordered above Tc

  // 14 units at quorum 2 are 28 replicas, all computed by these two WebGPU tabs.
  const counts = await Promise.all(tabs.map((tab) => unitsCompleted(tab)));
  expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(28);
  for (const tab of tabs) {
    expect(tab.errors, `${tab.label} page/console errors`).toEqual([]);
    await tab.context.close();
  }
});
