// Data-parallel training in real browser tabs: a WebGPU tab (SwiftShader) and a CPU-fallback
// tab train softmax on synthetic blobs through the coordinator. With quorum 2 every shard's
// gradient is computed by both, WGSL against the TypeScript reference, and they must agree
// within the tolerance for a round to close. The result's metrics and the binary parameter
// download are checked, and no tab may log an error.
import { expect, test } from '@playwright/test';
import { getResult, getWorkload, submitWorkload, RESEARCHER_TOKEN } from './support/coordinatorApi';
import { openVolunteerTab, unitsCompleted, type VolunteerTab } from './support/volunteerTab';

const COMPLETION_TIMEOUT_MS = 120_000;

interface GradientResult {
  final: boolean;
  stepsTotal: number;
  steps: Array<{ step: number; loss: number; accuracy?: number }>;
  accuracy: number;
  parameterCount: number;
}

test('a WebGPU tab and a CPU tab train softmax on blobs together', async ({ browser, request }) => {
  const tabs: VolunteerTab[] = [
    await openVolunteerTab(browser, 'webgpu', '/?backend=webgpu'),
    await openVolunteerTab(browser, 'cpu', '/?backend=cpu'),
  ];
  for (const tab of tabs) {
    await tab.page.getByTestId('contribute').click();
    await expect(tab.page.getByTestId('connection'), tab.label).toHaveText('Connected');
  }
  await expect(tabs[0]!.page.getByTestId('backend')).toHaveText(/^WebGPU: \S/);
  await expect(tabs[1]!.page.getByTestId('backend')).toHaveText(/^CPU fallback/);

  const id = await submitWorkload(request, {
    kind: 'gradient',
    name: 'e2e blobs',
    spec: {
      model: 'softmax',
      dataset: 'blobs',
      blobs: { train: 600, test: 200, inputSize: 16, classes: 4, seed: 3 },
      optimizer: { name: 'adam', lr: 0.05 },
      batchSize: 100,
      epochs: 2,
      shards: 2,
      seed: 11,
      evalEvery: 4,
    },
    redundancy: { quorum: 2 },
  });

  const deadline = Date.now() + COMPLETION_TIMEOUT_MS;
  for (;;) {
    const workload = await getWorkload(request, id);
    if (workload.status === 'completed') break;
    expect(['queued', 'running'], `workload ${id}: ${workload.failureReason ?? ''}`).toContain(
      workload.status,
    );
    expect(Date.now(), `workload ${id} still ${workload.status}`).toBeLessThan(deadline);
    await new Promise((r) => setTimeout(r, 250));
  }

  const result = await getResult<GradientResult>(request, id);
  expect(result.final).toBe(true);
  expect(result.stepsTotal).toBe(12);
  expect(result.steps.map((s) => s.step)).toEqual([...Array(12).keys()]);
  expect(result.steps[11]!.loss).toBeLessThan(result.steps[0]!.loss);
  expect(result.accuracy).toBeGreaterThan(0.8);
  const bin = await request.get(`/api/workloads/${id}/result?format=bin`, {
    headers: { Authorization: `Bearer ${RESEARCHER_TOKEN}` },
  });
  expect(bin.status()).toBe(200);
  expect(bin.headers()['content-type']).toBe('application/octet-stream');
  expect((await bin.body()).byteLength).toBe(4 * result.parameterCount);

  // Quorum 2 with two volunteers: each of the 24 units was computed by both tabs.
  for (const tab of tabs) {
    await expect.poll(() => unitsCompleted(tab), { message: tab.label }).toBe(24);
    expect(tab.errors, tab.label).toEqual([]);
  }
  for (const tab of tabs) await tab.context.close();
});
