// The volunteer's controls on the contribute page, in real Chromium against a real coordinator:
// the CPU fallback computes several units at once on one connection, the throttle measurably
// slows a tab, Pause stops unit requests while keeping the connection, the display name reaches
// the coordinator, the automatic pauses (hidden tab, low battery) apply, and the settings
// survive a reload. Each test submits its own workload and cancels it, so no test's units feed
// another's, and tabs run one after the other so they do not share the CPU.
import { fileURLToPath } from 'node:url';
import { expect, test, type APIRequestContext } from '@playwright/test';
import { getWorkload, submitWorkload } from './support/coordinatorApi';
import { cancelWorkload, metricValue } from './support/coordinatorMetrics';
import { openVolunteerTab, unitsCompleted, type VolunteerTab } from './support/volunteerTab';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const POLL_MS = 100;

/**
 * A pi workload far larger than any test consumes, so work never runs out mid-measurement; one
 * replica per unit, so a single tab's results validate and its credit shows.
 */
async function submitEndlessPi(
  api: APIRequestContext,
  name: string,
  samplesPerUnit: number,
): Promise<string> {
  return submitWorkload(api, {
    kind: 'montecarlo',
    name,
    spec: { estimator: 'pi', samples: samplesPerUnit * 5_000, seed: 3, samplesPerUnit },
    redundancy: { quorum: 1, maxReplicas: 2, adaptive: false },
  });
}

async function startContributing(tab: VolunteerTab): Promise<void> {
  await tab.page.getByTestId('contribute').click();
  await expect(tab.page.getByTestId('contribute')).toHaveText('Stop');
  await expect(tab.page.getByTestId('connection'), tab.label).toHaveText('Connected');
}

async function stopAndClose(tab: VolunteerTab): Promise<void> {
  await tab.page.getByTestId('contribute').click();
  await expect(tab.page.getByTestId('contribute'), tab.label).toHaveText('Contribute');
  await expect(tab.page.getByTestId('connection'), tab.label).toHaveText('Not connected');
  expect(tab.errors, `${tab.label} page/console errors`).toEqual([]);
  await tab.context.close();
}

async function waitForUnits(tab: VolunteerTab, atLeast: number): Promise<number> {
  await expect.poll(() => unitsCompleted(tab), { timeout: 60_000 }).toBeGreaterThanOrEqual(atLeast);
  return unitsCompleted(tab);
}

/** Units this tab completes in `windowMs`, counted from the first completion after the start. */
async function unitsOver(tab: VolunteerTab, windowMs: number): Promise<number> {
  const before = await unitsCompleted(tab);
  // Start the window at a unit boundary, so a unit half done before it does not count.
  await expect.poll(() => unitsCompleted(tab), { timeout: 60_000 }).toBeGreaterThan(before);
  const start = await unitsCompleted(tab);
  await tab.page.waitForTimeout(windowMs);
  return (await unitsCompleted(tab)) - start;
}

test('the CPU fallback computes several units at once on one connection (?cpuWorkers=2)', async ({
  browser,
  request,
}) => {
  const tab = await openVolunteerTab(browser, 'cpu-x2', '/?backend=cpu&cpuWorkers=2');
  await startContributing(tab);
  await expect(tab.page.getByTestId('backend')).toHaveText(/^CPU fallback, 2 workers/);

  // 2^22 samples: about half a second per unit on one core, so both workers overlap long
  // enough for the coordinator to see two leases out to this one tab.
  const id = await submitEndlessPi(request, 'e2e two cpu workers', 2 ** 22);
  let maxServerInFlight = 0;
  let maxPageInFlight = 0;
  const deadline = Date.now() + 60_000;
  while ((maxServerInFlight < 2 || maxPageInFlight < 2) && Date.now() < deadline) {
    const workload = await getWorkload(request, id);
    maxServerInFlight = Math.max(maxServerInFlight, workload.progress.unitsInFlight);
    const onPage = Number((await tab.page.getByTestId('units-in-flight').textContent()) ?? 0);
    maxPageInFlight = Math.max(maxPageInFlight, onPage);
    await tab.page.waitForTimeout(POLL_MS);
  }
  expect(maxServerInFlight, 'leases out to the one CPU tab at once').toBe(2);
  expect(maxPageInFlight, 'units in flight shown on the page').toBe(2);
  await waitForUnits(tab, 4);
  await expect(tab.page.getByTestId('current-workload')).toContainText('e2e two cpu workers');
  // Credit arrives with validation (quorum 1 here): the page shows this tab's validated units.
  await expect(tab.page.getByTestId('credit')).toHaveText(/validated unit/);

  // The contribute page while it works, settings in view, at desktop and phone widths.
  await tab.page.screenshot({
    path: `${ARTIFACTS}contribute-controls-desktop.png`,
    fullPage: true,
  });
  await tab.page.setViewportSize({ width: 390, height: 844 });
  await tab.page.screenshot({ path: `${ARTIFACTS}contribute-controls-phone.png`, fullPage: true });

  await cancelWorkload(request, id);
  await stopAndClose(tab);
});

// On the CPU the rest follows each unit; on WebGPU (SwiftShader here) it follows each dispatch.
for (const backend of ['cpu', 'webgpu'] as const) {
  test(`a throttle of 25% does measurably fewer units than 100% in the same ${backend} tab`, async ({
    browser,
    request,
  }) => {
    const path = backend === 'cpu' ? '/?backend=cpu&cpuWorkers=1' : '/?backend=webgpu';
    const tab = await openVolunteerTab(browser, `${backend}-throttle`, path);
    await startContributing(tab);
    await expect(tab.page.getByTestId('backend')).toHaveText(
      backend === 'cpu' ? /^CPU fallback, 1 worker/ : /^WebGPU: /,
    );
    await expect(tab.page.getByTestId('throttle-value')).toHaveText('100% (no limit)');
    // Short units keep the counts large enough to compare on a loaded two-core machine.
    const samplesPerUnit = backend === 'cpu' ? 2 ** 20 : 2 ** 21;
    const id = await submitEndlessPi(request, `e2e throttle ${backend}`, samplesPerUnit);
    await waitForUnits(tab, 1);

    // Alternating windows, so load from elsewhere on the machine that comes and goes weighs on
    // both settings alike instead of on whichever ran while it lasted.
    const WINDOW_MS = 4_000;
    let atFull = 0;
    let atQuarter = 0;
    for (let round = 0; round < 2; round++) {
      await tab.page.getByTestId('throttle').fill('100');
      await expect(tab.page.getByTestId('throttle-value')).toHaveText('100% (no limit)');
      atFull += await unitsOver(tab, WINDOW_MS);
      await tab.page.getByTestId('throttle').fill('25');
      await expect(tab.page.getByTestId('throttle-value')).toHaveText('25% of the time');
      atQuarter += await unitsOver(tab, WINDOW_MS);
    }
    console.log(
      `throttle (${backend}): ${atFull} units at 100%, ${atQuarter} units at 25%, ` +
        `each over 2 × ${WINDOW_MS} ms`,
    );

    expect(
      atFull,
      'enough units at 100% for the comparison to mean something',
    ).toBeGreaterThanOrEqual(6);
    // The duty cycle gives about a quarter; 0.6 leaves room for a machine shared with other work.
    expect(atQuarter).toBeLessThan(0.6 * atFull);
    expect(atQuarter, 'a throttled tab still works').toBeGreaterThan(0);

    await cancelWorkload(request, id);
    await stopAndClose(tab);
  });
}

test('Pause finishes the unit in hand, then asks for no units until Resume', async ({
  browser,
  request,
}) => {
  const tab = await openVolunteerTab(browser, 'cpu-pause', '/?backend=cpu&cpuWorkers=1');
  await startContributing(tab);
  const id = await submitEndlessPi(request, 'e2e pause', 2 ** 21);
  await waitForUnits(tab, 2);

  await tab.page.getByTestId('pause').click();
  await expect(tab.page.getByTestId('pause')).toHaveText('Resume');
  await expect(tab.page.getByTestId('run-state')).toHaveText('Paused: you pressed Pause');
  await expect(tab.page.getByTestId('units-in-flight')).toHaveText('0');
  const unitsAtPause = await unitsCompleted(tab);
  const leasesAtPause = await metricValue(request, 'tessera_replicas_leased_total');
  expect(leasesAtPause).toBeGreaterThanOrEqual(unitsAtPause);

  // Several of the coordinator's retry intervals and many units' worth of time.
  await tab.page.waitForTimeout(5_000);
  expect(await unitsCompleted(tab), 'units completed while paused').toBe(unitsAtPause);
  expect(await metricValue(request, 'tessera_replicas_leased_total'), 'leases while paused').toBe(
    leasesAtPause,
  );
  expect((await getWorkload(request, id)).progress.unitsInFlight).toBe(0);
  // Paused, not stopped: the connection and identity stay.
  await expect(tab.page.getByTestId('connection')).toHaveText('Connected');
  await expect(tab.page.getByTestId('contribute')).toHaveText('Stop');

  await tab.page.getByTestId('pause').click();
  await expect(tab.page.getByTestId('pause')).toHaveText('Pause');
  await expect(tab.page.getByTestId('run-state')).toHaveText('Contributing');
  await expect.poll(() => unitsCompleted(tab), { timeout: 30_000 }).toBeGreaterThan(unitsAtPause);

  await cancelWorkload(request, id);
  await stopAndClose(tab);
});

test('the display name reaches the coordinator and settings survive a reload', async ({
  browser,
}) => {
  const tab = await openVolunteerTab(browser, 'settings', '/?backend=cpu&cpuWorkers=1');
  const { page } = tab;
  await page.getByTestId('display-name').fill('  e2e   Ada ');
  await page.getByTestId('display-name').press('Enter');
  // Saved names are normalised, and the field shows what was kept.
  await expect(page.getByTestId('display-name')).toHaveValue('e2e Ada');
  await page.getByTestId('throttle').fill('40');
  await page.getByTestId('pause-when-hidden').check();
  await page.getByTestId('battery-level').selectOption('30');

  await startContributing(tab);
  // The hello reply carries the name the coordinator stored.
  await expect(page.getByTestId('known-as')).toHaveText('The coordinator knows you as e2e Ada.');
  // Renaming while connected greets the coordinator again on the same connection.
  await page.getByTestId('display-name').fill('e2e Grace');
  await page.getByTestId('display-name').blur();
  await expect(page.getByTestId('known-as')).toHaveText('The coordinator knows you as e2e Grace.');
  await page.getByTestId('contribute').click();
  await expect(page.getByTestId('contribute')).toHaveText('Contribute');

  await page.reload();
  await expect(page.getByTestId('display-name')).toHaveValue('e2e Grace');
  await expect(page.getByTestId('throttle')).toHaveValue('40');
  await expect(page.getByTestId('throttle-value')).toHaveText('40% of the time');
  await expect(page.getByTestId('pause-when-hidden')).toBeChecked();
  await expect(page.getByTestId('battery-level')).toHaveValue('30');
  // The worker of the reloaded page got the stored settings: the name goes out in hello.
  await startContributing(tab);
  await expect(page.getByTestId('known-as')).toHaveText('The coordinator knows you as e2e Grace.');
  await stopAndClose(tab);
});

test('a hidden tab pauses when asked to, and so does a low battery', async ({ browser }) => {
  const tab = await openVolunteerTab(browser, 'auto-pause', '/?backend=cpu&cpuWorkers=1');
  const { page } = tab;
  // Headless Chromium never hides a tab nor runs on battery: the page's own signals are driven
  // here (visibilityState and the Battery API), and everything after them is the real code.
  await page.addInitScript(() => {
    let hidden = false;
    Object.defineProperty(document, 'visibilityState', {
      get: () => (hidden ? 'hidden' : 'visible'),
    });
    const battery = Object.assign(new EventTarget(), { charging: true, level: 0.1 });
    Object.defineProperty(navigator, 'getBattery', { value: () => Promise.resolve(battery) });
    Object.assign(window, {
      e2eSetHidden(value: boolean) {
        hidden = value;
        document.dispatchEvent(new Event('visibilitychange'));
      },
      e2eUnplug() {
        battery.charging = false;
        battery.dispatchEvent(new Event('chargingchange'));
      },
    });
  });
  await page.reload();
  await startContributing(tab);
  await expect(page.getByTestId('run-state')).toHaveText('Contributing');

  await page.getByTestId('pause-when-hidden').check();
  await page.evaluate(() =>
    (window as unknown as { e2eSetHidden(v: boolean): void }).e2eSetHidden(true),
  );
  await expect(page.getByTestId('run-state')).toHaveText('Paused: this tab is hidden');
  await page.evaluate(() =>
    (window as unknown as { e2eSetHidden(v: boolean): void }).e2eSetHidden(false),
  );
  await expect(page.getByTestId('run-state')).toHaveText('Contributing');

  // 10% charge, default level 20%: charging keeps it going, unplugging pauses it.
  await expect(page.getByTestId('battery-level')).toBeEnabled();
  await page.evaluate(() => (window as unknown as { e2eUnplug(): void }).e2eUnplug());
  await expect(page.getByTestId('run-state')).toHaveText('Paused: on battery at 10%, below 20%');
  await page.getByTestId('battery-level').selectOption('0');
  await expect(page.getByTestId('run-state')).toHaveText('Contributing');
  await stopAndClose(tab);
});
