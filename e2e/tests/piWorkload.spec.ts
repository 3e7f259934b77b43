// The whole platform on one Monte Carlo workload: three volunteers (two WebGPU tabs on
// SwiftShader, one CPU-fallback tab) contribute to a pi workload submitted over REST; the
// coordinator must finish it with an estimate consistent with pi, and every tab must show what
// it computed on which device, without a single page or console error.
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { getResult, getWorkload, submitWorkload } from './support/coordinatorApi';
import { openVolunteerTab, unitsCompleted, type VolunteerTab } from './support/volunteerTab';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

/** 2^22 samples per unit: about half a second on the CPU fallback, similar on SwiftShader. */
const SAMPLES_PER_UNIT = 2 ** 22;
/**
 * 24 units, 48 replicas at quorum 2: many per tab, so each tab's count is seen to grow while
 * the workload runs; about 15 s on two cores with SwiftShader.
 */
const SAMPLES = SAMPLES_PER_UNIT * 24;
const COMPLETION_TIMEOUT_MS = 120_000;
const POLL_MS = 250;

interface PiResult {
  estimate: number;
  stderr: number;
  ci95: [number, number];
  samples: number;
}

test('three volunteers compute a pi workload to within 5 standard errors', async ({
  browser,
  request,
}) => {
  const tabs: VolunteerTab[] = [
    await openVolunteerTab(browser, 'webgpu-1', '/?backend=webgpu'),
    await openVolunteerTab(browser, 'webgpu-2', '/?backend=webgpu'),
    await openVolunteerTab(browser, 'cpu', '/?backend=cpu'),
  ];
  const [gpuTab, , cpuTab] = tabs as [VolunteerTab, VolunteerTab, VolunteerTab];

  for (const tab of tabs) {
    await tab.page.getByTestId('contribute').click();
    await expect(tab.page.getByTestId('contribute')).toHaveText('Stop');
  }
  for (const tab of tabs) {
    await expect(tab.page.getByTestId('connection'), tab.label).toHaveText('Connected');
  }
  for (const tab of tabs.slice(0, 2)) {
    await expect(tab.page.getByTestId('backend'), tab.label).toHaveText(/^WebGPU: \S/);
    await expect(tab.page.getByTestId('backend'), tab.label).toContainText(
      'forced by ?backend=webgpu',
    );
  }
  await expect(cpuTab.page.getByTestId('backend')).toHaveText(/^CPU fallback/);
  await expect(cpuTab.page.getByTestId('backend')).toContainText('forced by ?backend=cpu');

  const id = await submitWorkload(request, {
    kind: 'montecarlo',
    name: 'e2e pi',
    spec: { estimator: 'pi', samples: SAMPLES, seed: 7, samplesPerUnit: SAMPLES_PER_UNIT },
  });

  // Read every tab's count while the workload runs: the first non-zero reading, then a larger
  // one, both taken before the coordinator reported the workload completed.
  const firstCount = new Map<string, number>();
  const grewDuringRun = new Set<string>();
  const sawWorkloadName = new Set<string>();
  let tookRunningShot = false;
  const deadline = Date.now() + COMPLETION_TIMEOUT_MS;
  let status = '';
  for (;;) {
    const counts = await Promise.all(tabs.map((tab) => unitsCompleted(tab)));
    const computing = await Promise.all(
      tabs.map((tab) => tab.page.getByTestId('current-workload').textContent()),
    );
    const workload = await getWorkload(request, id);
    status = workload.status;
    if (status === 'completed') break;
    expect(['queued', 'running'], `workload ${id}: ${workload.failureReason ?? ''}`).toContain(
      status,
    );
    tabs.forEach((tab, i) => {
      const count = counts[i] ?? 0;
      const first = firstCount.get(tab.label);
      if (first === undefined && count > 0) firstCount.set(tab.label, count);
      if (first !== undefined && count > first) grewDuringRun.add(tab.label);
      if (computing[i]?.includes('e2e pi')) sawWorkloadName.add(tab.label);
    });
    if (sawWorkloadName.has(gpuTab.label) && !tookRunningShot) {
      tookRunningShot = true;
      await gpuTab.page.screenshot({ path: `${ARTIFACTS}contribute-desktop-running.png` });
    }
    expect(Date.now(), `workload ${id} still ${status}`).toBeLessThan(deadline);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }

  const result = await getResult<PiResult>(request, id);
  expect(result.samples).toBe(SAMPLES);
  expect(result.stderr).toBeGreaterThan(0);
  expect(Math.abs(result.estimate - Math.PI)).toBeLessThan(5 * result.stderr);
  expect(result.ci95[0]).toBeLessThan(result.estimate);
  expect(result.ci95[1]).toBeGreaterThan(result.estimate);

  for (const tab of tabs) {
    expect(firstCount.get(tab.label), `${tab.label} completed a unit`).toBeGreaterThan(0);
    expect(grewDuringRun.has(tab.label), `${tab.label}'s unit count grew during the run`).toBe(
      true,
    );
    expect(sawWorkloadName.has(tab.label), `${tab.label} showed the workload's name`).toBe(true);
  }

  // Credit arrives with validation; every tab took part, so each is credited eventually.
  for (const tab of tabs) {
    await expect
      .poll(async () => {
        const text = (await tab.page.getByTestId('credit').textContent()) ?? '';
        return Number.parseFloat(text.replaceAll(',', ''));
      }, `${tab.label}'s credit`)
      .toBeGreaterThan(0);
  }

  await gpuTab.page.screenshot({ path: `${ARTIFACTS}contribute-desktop.png`, fullPage: true });
  await gpuTab.page.setViewportSize({ width: 390, height: 844 });
  await gpuTab.page.screenshot({ path: `${ARTIFACTS}contribute-phone.png`, fullPage: true });
  await cpuTab.page.setViewportSize({ width: 390, height: 844 });
  await cpuTab.page.screenshot({ path: `${ARTIFACTS}contribute-phone-cpu.png`, fullPage: true });

  for (const tab of tabs) {
    await tab.page.getByTestId('contribute').click();
    await expect(tab.page.getByTestId('contribute'), tab.label).toHaveText('Contribute');
    await expect(tab.page.getByTestId('connection'), tab.label).toHaveText('Not connected');
  }
  for (const tab of tabs) {
    expect(tab.errors, `${tab.label} page/console errors`).toEqual([]);
    await tab.context.close();
  }
});
