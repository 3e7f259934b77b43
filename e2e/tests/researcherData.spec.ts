// A researcher's own data in real browser tabs: a CSV uploaded over REST, a 2-hidden-layer MLP
// trained on it by two WebGPU tabs (SwiftShader; quorum 2, so every gradient is computed by
// both and must agree), then inference with the trained model over an unlabeled CSV by the same
// tabs (the WGSL forward pass), its predictions downloaded as CSV and checked against the
// clusters the rows were drawn from.
import { expect, test, type APIRequestContext } from '@playwright/test';
import {
  getResult,
  RESEARCHER_TOKEN,
  submitWorkload,
  waitForCompletion,
} from './support/coordinatorApi';
import { openVolunteerTab, unitsCompleted, type VolunteerTab } from './support/volunteerTab';

const FEATURES = 5;
const CLASSES = 3;

/** A seeded stream in [0, 1) (mulberry32): the test's data is the same on every run. */
function stream(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rows around three well-separated centres, each column on its own scale (as raw CSVs are). */
function clusters(
  rows: number,
  seed: number,
): { labels: number[]; csv: (labeled: boolean) => string } {
  const random = stream(seed);
  const labels: number[] = [];
  const values: number[][] = [];
  for (let n = 0; n < rows; n++) {
    const label = n % CLASSES;
    labels.push(label);
    values.push(
      Array.from({ length: FEATURES }, (_, j) => {
        const centre = ((label + j) % CLASSES) * 4;
        return (centre + (random() - 0.5) * 2) * 10 ** (j - 2) + 50 * j;
      }),
    );
  }
  const header = Array.from({ length: FEATURES }, (_, j) => `x${j}`);
  return {
    labels,
    csv: (labeled) =>
      [
        [...header, ...(labeled ? ['label'] : [])].join(','),
        ...values.map((v, n) =>
          [...v.map((x) => x.toPrecision(8)), ...(labeled ? [labels[n]] : [])].join(','),
        ),
      ].join('\n') + '\n',
  };
}

async function upload(request: APIRequestContext, csv: string, name: string) {
  const response = await request.post(`/api/datasets?name=${name}`, {
    headers: { Authorization: `Bearer ${RESEARCHER_TOKEN}`, 'Content-Type': 'text/csv' },
    data: csv,
  });
  // 201 stored, or 200: the same numbers are there already (content-addressed).
  expect([200, 201], await response.text()).toContain(response.status());
  return (await response.json()) as { id: string; rows: number; features: number; classes: number };
}

test('two WebGPU tabs train an MLP on an uploaded CSV, then predict an unlabeled one', async ({
  browser,
  request,
}) => {
  test.setTimeout(300_000);
  const train = clusters(240, 7);
  const fresh = clusters(90, 8);
  const trainSet = await upload(request, train.csv(true), 'clusters.csv');
  expect(trainSet).toMatchObject({ rows: 240, features: FEATURES, classes: CLASSES });
  const unlabeled = await upload(request, fresh.csv(false), 'new-rows.csv');

  const tabs: VolunteerTab[] = [
    await openVolunteerTab(browser, 'webgpu-a', '/?backend=webgpu'),
    await openVolunteerTab(browser, 'webgpu-b', '/?backend=webgpu'),
  ];
  for (const tab of tabs) {
    await tab.page.getByTestId('contribute').click();
    await expect(tab.page.getByTestId('connection'), tab.label).toHaveText('Connected');
    await expect(tab.page.getByTestId('backend'), tab.label).toHaveText(/^WebGPU: \S/);
  }

  const training = await submitWorkload(request, {
    kind: 'gradient',
    name: 'e2e uploaded clusters',
    spec: {
      model: 'mlp',
      hidden: [12, 6],
      dataset: trainSet.id,
      optimizer: { name: 'adam', lr: 0.05 },
      batchSize: 48,
      steps: 16,
      shards: 2,
      seed: 5,
      evalEvery: 8,
    },
    redundancy: { quorum: 2 },
  });
  await waitForCompletion(request, [training], 180_000);
  const trained = await getResult<{ accuracy: number; final: boolean }>(request, training);
  expect(trained.final).toBe(true);
  expect(trained.accuracy).toBeGreaterThan(0.9);

  const inference = await submitWorkload(request, {
    kind: 'inference',
    name: 'e2e predictions',
    spec: { workload: training, dataset: unlabeled.id, rowsPerUnit: 30 },
    redundancy: { quorum: 2 },
  });
  await waitForCompletion(request, [inference], 120_000);
  const predicted = await getResult<{ rows: number; predictions: number[] }>(request, inference);
  expect(predicted.rows).toBe(90);

  const csv = await request.get(`/api/workloads/${inference}/result?format=csv`);
  expect(csv.status()).toBe(200);
  expect(csv.headers()['content-type']).toMatch(/^text\/csv/);
  const lines = (await csv.text()).trim().split('\n');
  expect(lines[0]).toBe('row,class,p0,p1,p2');
  expect(lines).toHaveLength(91);
  const classes = lines.slice(1).map((line) => Number(line.split(',')[1]));
  expect(classes).toEqual(predicted.predictions);
  const right = classes.filter((c, n) => c === fresh.labels[n]).length;
  expect(right / 90, 'predictions match the clusters the rows came from').toBeGreaterThan(0.9);
  for (const line of lines.slice(1)) {
    const p = line.split(',').slice(2).map(Number);
    expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-3);
  }

  for (const tab of tabs) {
    // Quorum 2 with two tabs: each computed every unit of both workloads on its GPU.
    await expect.poll(() => unitsCompleted(tab), { message: tab.label }).toBe(2 * 16 + 3);
    expect(tab.errors, tab.label).toEqual([]);
    await tab.context.close();
  }
});
