// The public dashboard and a workload's page in real Chromium against a real coordinator: while
// two tabs contribute (one WebGPU on SwiftShader, one CPU fallback), the dashboard's figures
// change without a reload (volunteers online, a workload's progress, throughput points), and
// the workload page, following the same live feed, ends showing the final result that REST
// gives. Screenshots of both pages at desktop and phone widths go to e2e/artifacts/.
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { getResult, submitWorkload } from './support/coordinatorApi';
import { openVolunteerTab, type VolunteerTab } from './support/volunteerTab';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

/** 2^21 samples per unit: a fraction of a second per unit, so progress moves in many steps. */
const SAMPLES_PER_UNIT = 2 ** 21;
/** 30 units, 60 replicas at quorum 2: long enough (about 10-20 s) to watch it move. */
const SAMPLES = SAMPLES_PER_UNIT * 30;
const COMPLETION_TIMEOUT_MS = 150_000;

interface PiResult {
  estimate: number;
  stderr: number;
  ci95: [number, number];
  samples: number;
  final: boolean;
}

async function fractionOf(page: Page, workloadId: string): Promise<number> {
  const bar = page.locator(`[data-workload-id="${workloadId}"] [role="progressbar"]`);
  return Number((await bar.getAttribute('data-fraction')) ?? 'NaN');
}

async function throughputPoints(page: Page): Promise<number> {
  return Number((await page.getByTestId('throughput-chart').getAttribute('data-points')) ?? '0');
}

async function shoot(page: Page, name: string, viewport: { width: number; height: number }) {
  await page.setViewportSize(viewport);
  // Let uPlot follow the new width before the picture is taken.
  await page.waitForTimeout(400);
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}

test('the dashboard updates live while two tabs contribute; the workload page shows the final result', async ({
  browser,
  request,
}) => {
  const watcher = await openVolunteerTab(browser, 'dashboard', '/dashboard');
  const dash = watcher.page;
  await expect(dash.getByTestId('feed-connection')).toHaveText('Live');
  // A reload would lose this mark: the values below must change in the same document.
  await dash.evaluate(() => {
    (window as unknown as { sameDocument: boolean }).sameDocument = true;
  });

  // Nobody contributes yet (earlier tests close their tabs): the tile says what to do.
  await expect(dash.getByTestId('volunteers-online')).toHaveText('0');
  await expect(dash.getByTestId('volunteers-empty')).toHaveText(
    'No volunteers yet — open / in a tab to contribute',
  );
  const existing = (await (await request.get('/api/workloads')).json()) as unknown[];
  if (existing.length === 0) {
    await expect(dash.getByTestId('workloads-empty')).toContainText(
      'No workloads yet — submit one at /submit or with the CLI',
    );
    await dash.screenshot({ path: `${ARTIFACTS}dashboard-empty-desktop.png`, fullPage: true });
  }

  const tabs: VolunteerTab[] = [
    await openVolunteerTab(browser, 'webgpu', '/?backend=webgpu'),
    await openVolunteerTab(browser, 'cpu', '/?backend=cpu'),
  ];
  for (const tab of tabs) {
    await tab.page.getByTestId('contribute').click();
    await expect(tab.page.getByTestId('contribute'), tab.label).toHaveText('Stop');
  }
  await expect(dash.getByTestId('volunteers-online')).toHaveText('2');
  await expect(dash.getByTestId('volunteers-split')).toContainText('WebGPU 1');
  await expect(dash.getByTestId('volunteers-split')).toContainText('CPU 1');

  const pointsBefore = await throughputPoints(dash);
  const id = await submitWorkload(request, {
    kind: 'montecarlo',
    name: 'dashboard e2e pi',
    spec: { estimator: 'pi', samples: SAMPLES, seed: 2026, samplesPerUnit: SAMPLES_PER_UNIT },
  });
  const row = dash.locator(`[data-workload-id="${id}"]`);
  await expect(row).toBeVisible();
  await expect(row.getByRole('link')).toHaveText('dashboard e2e pi');

  const workloadPage = await watcher.context.newPage();
  workloadPage.on('pageerror', (error) => watcher.errors.push(`workload page: ${error.message}`));
  await workloadPage.goto(`/workloads/${id}`);
  await expect(workloadPage.getByTestId('workload-name')).toHaveText('dashboard e2e pi');

  // Progress moves on the open dashboard: a partial value, then a larger one.
  await expect
    .poll(() => fractionOf(dash, id), { timeout: COMPLETION_TIMEOUT_MS })
    .toBeGreaterThan(0);
  const partial = await fractionOf(dash, id);
  expect(partial, 'progress seen part-way').toBeLessThan(1);
  await expect
    .poll(() => fractionOf(dash, id), { timeout: COMPLETION_TIMEOUT_MS })
    .toBeGreaterThan(partial);
  await expect(dash.getByTestId('throughput-now')).not.toHaveText(/^0 samples/);
  await expect.poll(() => throughputPoints(dash)).toBeGreaterThan(pointsBefore + 3);
  await expect(row.getByTestId('workload-estimate')).toContainText('±');

  await expect(workloadPage.getByTestId('workload-status')).toHaveText('running');
  // The pictures of a run in progress: taken part-way, when the charts have some history.
  await expect
    .poll(() => fractionOf(dash, id), { timeout: COMPLETION_TIMEOUT_MS })
    .toBeGreaterThanOrEqual(0.4);
  await shoot(dash, 'dashboard-desktop', DESKTOP);
  await shoot(workloadPage, 'workload-desktop-running', DESKTOP);

  await expect(row.getByTestId('workload-status')).toHaveText('completed', {
    timeout: COMPLETION_TIMEOUT_MS,
  });
  const result = await getResult<PiResult>(request, id);
  expect(result.final).toBe(true);
  expect(Math.abs(result.estimate - Math.PI)).toBeLessThan(5 * result.stderr);

  // The workload page, never reloaded, ends with the final answer REST gives.
  await expect(workloadPage.getByTestId('workload-status')).toHaveText('completed');
  await expect(workloadPage.getByTestId('workload-percent')).toHaveText('100%');
  await expect(workloadPage.getByTestId('result-state')).toHaveText('final');
  await expect(workloadPage.getByTestId('result-estimate')).toHaveText(String(result.estimate));
  await expect(workloadPage.getByTestId('result-samples')).toHaveText(String(SAMPLES));
  await expect(workloadPage.getByTestId('download-result')).toHaveAttribute(
    'href',
    `/api/workloads/${id}/result`,
  );
  const chartPoints = workloadPage.getByTestId('estimate-chart-estimate');
  expect(Number(await chartPoints.getAttribute('data-points'))).toBeGreaterThanOrEqual(2);

  // Credit shows on the leaderboard once results are validated.
  await expect(dash.getByTestId('leaderboard').locator('tbody tr')).toHaveCount(2);
  await expect(dash.getByTestId('validation-agreed')).not.toHaveText('0');

  await shoot(dash, 'dashboard-desktop-completed', DESKTOP);
  await shoot(dash, 'dashboard-phone', PHONE);
  await shoot(workloadPage, 'workload-desktop', DESKTOP);
  await shoot(workloadPage, 'workload-phone', PHONE);

  for (const tab of tabs) {
    await tab.page.getByTestId('contribute').click();
    await expect(tab.page.getByTestId('contribute'), tab.label).toHaveText('Contribute');
  }
  await expect(dash.getByTestId('volunteers-online')).toHaveText('0');
  expect(
    await dash.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument),
    'the dashboard was never reloaded',
  ).toBe(true);

  for (const tab of [...tabs, watcher]) {
    expect(tab.errors, `${tab.label} page/console errors`).toEqual([]);
    await tab.context.close();
  }
});
