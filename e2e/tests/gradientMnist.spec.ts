// Training on real data in real WebGPU tabs: two tabs (WGSL on SwiftShader) train the README's
// MNIST models through the coordinator, softmax to >= 0.88 and the 64-unit MLP to >= 0.92
// held-out accuracy on the fixed 2,000-digit split. While it trains, the test reads the progress
// a researcher sees (units validated, the steps so far with their loss, the latest accuracy)
// and checks it against the final result: every step's loss seen mid-run is the result's, the
// unit counts match the steps closed, and the tabs' own unit counters add up to the total.
// Quorum 1 (each shard computed once) keeps the run short; replicated gradients are checked in
// gradientWorkload.spec.ts and the server's gradient tests.
import { expect, test, type APIRequestContext } from '@playwright/test';
import { getResult, getWorkload, submitWorkload, RESEARCHER_TOKEN } from './support/coordinatorApi';
import { openVolunteerTab, unitsCompleted, type VolunteerTab } from './support/volunteerTab';

const TRAINING_TIMEOUT_MS = 240_000;

interface GradientStep {
  step: number;
  loss: number;
  accuracy?: number;
}

interface GradientResult {
  final: boolean;
  version: number;
  stepsTotal: number;
  steps: GradientStep[];
  loss: number | null;
  accuracy: number | null;
  parameterCount: number;
}

interface Snapshot {
  unitsValidated: number;
  unitsTotal: number;
  result: GradientResult;
}

async function openWebGpuTabs(browser: import('@playwright/test').Browser, count: number) {
  const tabs: VolunteerTab[] = [];
  for (let i = 0; i < count; i++) {
    const tab = await openVolunteerTab(browser, `webgpu-${i}`, '/?backend=webgpu');
    await tab.page.getByTestId('contribute').click();
    await expect(tab.page.getByTestId('connection'), tab.label).toHaveText('Connected');
    await expect(tab.page.getByTestId('backend'), tab.label).toHaveText(/^WebGPU: \S/);
    tabs.push(tab);
  }
  return tabs;
}

/** Polls progress and the partial result until the workload completes; every poll is kept. */
async function trainToCompletion(request: APIRequestContext, id: string): Promise<Snapshot[]> {
  const snapshots: Snapshot[] = [];
  const deadline = Date.now() + TRAINING_TIMEOUT_MS;
  for (;;) {
    // The result first: progress only grows, so the units counted after it cover its steps.
    // Before its first validated unit a workload has no result yet (409 NOT_READY).
    const response = await request.get(`/api/workloads/${id}/result`, {
      headers: { Authorization: `Bearer ${RESEARCHER_TOKEN}` },
    });
    const workload = await getWorkload(request, id);
    if (response.status() === 200) {
      snapshots.push({
        unitsValidated: workload.progress.unitsValidated,
        unitsTotal: workload.progress.unitsTotal,
        result: (await response.json()) as GradientResult,
      });
    } else {
      expect(response.status(), await response.text()).toBe(409);
    }
    if (workload.status === 'completed') return snapshots;
    expect(['queued', 'running'], `workload ${id}: ${workload.failureReason ?? ''}`).toContain(
      workload.status,
    );
    expect(Date.now(), `workload ${id} still ${workload.status}`).toBeLessThan(deadline);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** What the researcher watched mid-run must be what the final result says. */
function expectProgressAgrees(snapshots: Snapshot[], final: GradientResult, shards: number) {
  const byStep = new Map(final.steps.map((s) => [s.step, s]));
  let sawMidRun = false;
  for (const { unitsValidated, unitsTotal, result } of snapshots) {
    expect(unitsTotal).toBe(final.stepsTotal * shards);
    // Counted after the result was read: at least the units of every step it has closed.
    expect(unitsValidated).toBeGreaterThanOrEqual(result.version * shards);
    expect(result.steps.length).toBe(result.version);
    for (const step of result.steps) expect(byStep.get(step.step)).toEqual(step);
    const last = result.steps.at(-1);
    if (last) expect(result.loss).toBe(last.loss);
    if (!result.final && result.version > 0) sawMidRun = true;
  }
  expect(sawMidRun, 'no progress was visible while training ran').toBe(true);
}

const CASES = [
  {
    title: 'two WebGPU tabs train MNIST softmax to >= 0.88 held-out accuracy',
    spec: {
      model: 'softmax',
      dataset: 'mnist',
      optimizer: { name: 'adam', lr: 0.01 },
      batchSize: 200,
      epochs: 2,
      shards: 2,
      seed: 20261127,
      evalEvery: 20,
    },
    minAccuracy: 0.88,
  },
  {
    title: 'two WebGPU tabs train the MNIST MLP to >= 0.92 held-out accuracy',
    spec: {
      model: 'mlp',
      hidden: 64,
      dataset: 'mnist',
      optimizer: { name: 'adam', lr: 0.01 },
      batchSize: 200,
      epochs: 3,
      shards: 2,
      seed: 20261127,
      evalEvery: 20,
    },
    minAccuracy: 0.92,
  },
] as const;

for (const c of CASES) {
  test(c.title, async ({ browser, request }) => {
    test.setTimeout(TRAINING_TIMEOUT_MS + 60_000);
    const tabs = await openWebGpuTabs(browser, 2);
    const id = await submitWorkload(request, {
      kind: 'gradient',
      name: `e2e ${c.spec.model} mnist`,
      spec: c.spec,
      redundancy: { quorum: 1 },
    });
    const snapshots = await trainToCompletion(request, id);
    const result = await getResult<GradientResult>(request, id);
    const steps = c.spec.epochs * (8_000 / c.spec.batchSize);

    expect(result.final).toBe(true);
    expect(result.stepsTotal).toBe(steps);
    expect(result.version).toBe(steps);
    expect(result.steps.map((s) => s.step)).toEqual([...Array(steps).keys()]);
    expect(result.accuracy).toBeGreaterThanOrEqual(c.minAccuracy);
    // The last step is always evaluated, and the headline accuracy is that evaluation.
    expect(result.steps.at(-1)!.accuracy).toBe(result.accuracy);
    const early = result.steps.slice(0, 5).reduce((sum, s) => sum + s.loss, 0) / 5;
    const late = result.steps.slice(-5).reduce((sum, s) => sum + s.loss, 0) / 5;
    expect(late).toBeLessThan(early / 2);
    expectProgressAgrees(snapshots, result, c.spec.shards);

    const bin = await request.get(`/api/workloads/${id}/result?format=bin`, {
      headers: { Authorization: `Bearer ${RESEARCHER_TOKEN}` },
    });
    expect(bin.status()).toBe(200);
    expect((await bin.body()).byteLength).toBe(4 * result.parameterCount);

    // Every unit was computed in a WebGPU tab (a straggler's backup replica can add a few), and
    // both tabs took part.
    const counts = await Promise.all(tabs.map((tab) => unitsCompleted(tab)));
    expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(steps * c.spec.shards);
    for (const [i, tab] of tabs.entries()) {
      expect(counts[i], tab.label).toBeGreaterThan(0);
      expect(tab.errors, tab.label).toEqual([]);
    }
    console.log(
      `${c.spec.model}: ${steps} steps, accuracy ${result.accuracy}, loss ${early.toFixed(3)} -> ` +
        `${late.toFixed(3)}, units per tab ${counts.join(' + ')}`,
    );
    for (const tab of tabs) await tab.context.close();
  });
}
