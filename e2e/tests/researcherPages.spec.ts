// A researcher's own data through the pages, in real Chromium against a real coordinator: on
// /submit a CSV with a bad cell is refused with its line and column, a good one is uploaded
// through the file field and listed; an mlp is trained on it from the gradient form (its hidden
// widths typed "8, 4") by one CPU volunteer tab, while deleting the dataset is refused because
// the training uses it; then the inference form runs the trained model over the same rows, and
// the workload page shows the rows predicted, the accuracy, the class histogram, the model and
// the dataset, and a CSV download that works; the training's page names the dataset and links
// its model back to the inference form; a float32 .npy whose last column is the labels goes up
// through the same field; a 1.2 MB upload on a throttled connection shows how much is sent.
// Screenshots land in e2e/artifacts/.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { expect, test, type Browser } from '@playwright/test';
import { RESEARCHER_TOKEN, getResult, waitForCompletion } from './support/coordinatorApi';
import { pageErrors } from './support/pageErrors';
import { openVolunteerTab } from './support/volunteerTab';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const DESKTOP = { width: 1280, height: 900 };
const ROWS = 150;
const FEATURES = 4;
const CLASSES = 3;

/** Rows around three separated centres, seeded, so the same CSV every run. */
function clustersCsv(): string {
  let a = 11;
  const random = () => {
    a = (a * 1103515245 + 12345) % 2 ** 31;
    return a / 2 ** 31;
  };
  const lines = [[...Array.from({ length: FEATURES }, (_, j) => `x${j}`), 'label'].join(',')];
  for (let n = 0; n < ROWS; n++) {
    const label = n % CLASSES;
    const values = Array.from({ length: FEATURES }, (_, j) =>
      (((label + j) % CLASSES) * 3 + (random() - 0.5) + 10 * j).toFixed(4),
    );
    lines.push([...values, label].join(','));
  }
  return lines.join('\n') + '\n';
}

/** A float32 .npy (format 1.0) of `rows`, as np.save writes it. */
function npyFloat32(rows: number[][]): Buffer {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows.length}, ${rows[0]!.length}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const preamble = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
  preamble.writeUInt16LE(header.length, 8);
  const values = Float32Array.from(rows.flat());
  return Buffer.concat([preamble, Buffer.from(header, 'latin1'), Buffer.from(values.buffer)]);
}

/** /submit in a context of its own, the researcher token entered; its page errors recorded. */
async function openSubmit(browser: Browser) {
  const context = await browser.newContext({ viewport: DESKTOP });
  const submit = await context.newPage();
  const errors = pageErrors(submit);
  await submit.goto('/submit');
  await submit.getByTestId('token-input').fill(RESEARCHER_TOKEN);
  return { context, submit, errors };
}

function workloadIdOf(href: string | null): string {
  const id = /^\/workloads\/([\w-]+)$/.exec(href ?? '')?.[1];
  expect(id, `link ${href}`).toBeTruthy();
  return id!;
}

test('upload a CSV, train on it and predict it, all from the pages', async ({
  browser,
  request,
}) => {
  test.setTimeout(120_000);
  const { context, submit, errors: submitErrors } = await openSubmit(browser);
  const file = submit.getByTestId('dataset-file');

  // A bad cell: refused, and the place is said.
  await file.setInputFiles({
    name: 'broken.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('x0,x1,label\n1,2,0\n3,oops,1\n'),
  });
  const status = submit.getByTestId('upload-status');
  await expect(status).toContainText('broken.csv was refused');
  await expect(submit.getByTestId('upload-where')).toHaveText('line 3, column 2');
  await expect(submit.getByTestId('upload-problem')).toContainText('oops');
  await submit
    .getByTestId('datasets-panel')
    .screenshot({ path: `${ARTIFACTS}datasets-refused.png` });

  await file.setInputFiles({
    name: 'clusters.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(clustersCsv()),
  });
  await expect(status).toContainText('clusters.csv is stored as');
  await expect(submit.getByTestId('upload-shape')).toHaveText(
    `${ROWS} rows, ${FEATURES} features, labeled, ${CLASSES} classes`,
  );
  const datasetId = (await submit.getByTestId('upload-id').textContent()) ?? '';
  expect(datasetId).toMatch(/^ds-[0-9a-f]{24}$/);
  const row = submit.locator(`[data-dataset-id="${datasetId}"]`);
  await expect(row.getByTestId('dataset-name')).toHaveText('clusters.csv');
  await submit.getByTestId('datasets-panel').screenshot({ path: `${ARTIFACTS}datasets-panel.png` });

  // "Train a model on it" opens the gradient form on the upload.
  await submit.getByRole('button', { name: 'Train a model on it' }).click();
  await expect(submit.getByTestId('workload-type')).toHaveValue('gradient/train');
  await expect(submit.getByTestId('field-spec-dataset')).toHaveValue(datasetId);
  await submit.getByTestId('field-spec-model').selectOption('mlp');
  await submit.getByTestId('field-spec-hidden').fill('8, 4');
  await submit.getByTestId('field-spec-optimizer-lr').fill('0.05');
  await submit.getByTestId('field-spec-batchSize').fill('40');
  await submit.getByTestId('field-spec-epochs').fill('');
  await submit.getByTestId('field-spec-steps').fill('10');
  await submit.getByTestId('field-spec-seed').fill('3');
  await submit.getByTestId('field-name').fill('e2e clusters mlp');
  await submit.getByText('Redundancy (advanced)').click();
  await submit.getByTestId('field-redundancy-quorum').fill('1');
  await submit.getByTestId('submit').click();
  const training = workloadIdOf(await submit.getByTestId('workload-link').getAttribute('href'));

  // Queued training uses the dataset: deleting it is refused, and the page says why.
  await row.getByTestId('dataset-delete').click();
  await row.getByTestId('dataset-delete-confirm').click();
  await expect(submit.getByTestId('dataset-delete-error')).toContainText(
    `is used by workload ${training}`,
  );

  const volunteer = await openVolunteerTab(browser, 'cpu', '/?backend=cpu');
  await volunteer.page.getByTestId('contribute').click();
  await waitForCompletion(request, [training], 60_000);
  const trained = await getResult<{ accuracy: number }>(request, training);
  expect(trained.accuracy).toBeGreaterThan(0.8);

  // The inference form lists the trained model and the datasets it can read.
  await submit.getByTestId('workload-type').selectOption('inference/predict');
  const model = submit.getByTestId('field-spec-workload');
  await expect(model.locator(`option[value="${training}"]`)).toHaveText(
    `e2e clusters mlp (${training}) · mlp ${FEATURES} → 8 → 4 → ${CLASSES}, trained on clusters.csv`,
  );
  await model.selectOption(training);
  await submit.getByTestId('field-spec-dataset').selectOption(datasetId);
  await submit.getByTestId('field-spec-rowsPerUnit').fill('50');
  await submit.getByTestId('field-name').fill('e2e clusters predictions');
  // The redundancy section stays as it was left when the form changes.
  const quorum = submit.getByTestId('field-redundancy-quorum');
  if (!(await quorum.isVisible())) await submit.getByText('Redundancy (advanced)').click();
  await quorum.fill('1');
  await submit.screenshot({ path: `${ARTIFACTS}inference-submit.png`, fullPage: true });
  await submit.getByTestId('submit').click();
  await expect(submit.getByTestId('submitted')).toContainText('3 units');
  const href = await submit.getByTestId('workload-link').getAttribute('href');
  const inference = workloadIdOf(href);

  const page = await context.newPage();
  const errors = pageErrors(page);
  await page.goto(href!);
  await expect(page.getByTestId('workload-status')).toHaveText('completed', { timeout: 45_000 });
  await expect(page.getByTestId('inference-rows')).toHaveText(`${ROWS} / ${ROWS}`);
  const result = await getResult<{ accuracy: number; predictions: number[] }>(request, inference);
  await expect(page.getByTestId('inference-accuracy')).toHaveText(
    `${(result.accuracy * 100).toFixed(1)}%`,
  );
  const bars = page.getByTestId('class-bar');
  await expect(bars).toHaveCount(CLASSES);
  const counts = await bars.evaluateAll((items) => items.map((li) => Number(li.dataset.count)));
  const expected = Array.from(
    { length: CLASSES },
    (_, c) => result.predictions.filter((p) => p === c).length,
  );
  expect(counts).toEqual(expected);
  await expect(page.getByTestId('model-link')).toHaveAttribute('href', `/workloads/${training}`);
  await expect(page.getByTestId('model-hash')).toHaveText(/^[0-9a-f]{12}$/);
  await expect(page.getByTestId('result-dataset')).toContainText(`clusters.csv ${datasetId}`);
  await expect(page.getByTestId('download-bin')).toHaveAttribute(
    'href',
    `/api/workloads/${inference}/result?format=bin`,
  );
  await page.screenshot({ path: `${ARTIFACTS}inference-workload.png`, fullPage: true });

  // The CSV link downloads every row with its class and probabilities.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('download-csv').click(),
  ]);
  const csv = await readFile(await download.path(), 'utf8');
  const lines = csv.trim().split('\n');
  expect(lines[0]).toBe('row,class,p0,p1,p2');
  expect(lines).toHaveLength(ROWS + 1);
  expect(lines.slice(1).map((line) => Number(line.split(',')[1]))).toEqual(result.predictions);

  // The training's page names its uploaded dataset, and links its model to the inference form.
  await page.goto(`/workloads/${training}`);
  await expect(page.getByTestId('spec-dataset')).toContainText(`clusters.csv ${datasetId}`);
  await expect(page.getByTestId('predict-link')).toHaveAttribute(
    'href',
    `/submit?type=inference/predict&workload=${training}`,
  );
  await page.screenshot({ path: `${ARTIFACTS}uploaded-training-workload.png`, fullPage: true });
  await page.getByTestId('predict-link').click();
  await expect(page.getByTestId('field-spec-workload')).toHaveValue(training);

  // A NumPy array: the labels choice shows for an .npy, and its first column becomes the labels.
  await expect(submit.getByTestId('dataset-label-column')).toHaveCount(0);
  const npyRows = [0, 1, 2, 3, 4, 5].map((n) => [n % 2, n * 0.5, n % 3]);
  await file.setInputFiles({
    name: 'parity.npy',
    mimeType: 'application/octet-stream',
    buffer: npyFloat32(npyRows),
  });
  await expect(submit.getByTestId('dataset-label-column')).toHaveValue('none');
  await submit.getByTestId('dataset-label-column').selectOption('first');
  await submit.getByTestId('datasets-panel').screenshot({ path: `${ARTIFACTS}datasets-npy.png` });
  await submit.getByTestId('dataset-upload').click();
  await expect(status).toContainText('parity.npy is stored as');
  await expect(submit.getByTestId('upload-shape')).toHaveText(
    '6 rows, 2 features, labeled, 2 classes',
  );

  // On a phone the datasets table keeps its columns and scrolls sideways if it must.
  await submit.setViewportSize({ width: 390, height: 844 });
  await submit.getByTestId('datasets-panel').screenshot({ path: `${ARTIFACTS}datasets-phone.png` });

  expect(volunteer.errors).toEqual([]);
  expect(errors).toEqual([]);
  // The browser logs the refused upload (400) and the refused deletion (409); nothing else.
  expect(submitErrors).toEqual([
    'console: Failed to load resource: the server responded with a status of 400 (Bad Request)',
    'console: Failed to load resource: the server responded with a status of 409 (Conflict)',
  ]);
  await volunteer.context.close();
  await context.close();
});

test('a large upload says how much of it is sent', async ({ browser }) => {
  test.setTimeout(90_000);
  const { context, submit, errors } = await openSubmit(browser);
  // About 1.2 MB, sent at 512 KB/s: seconds on the way, long enough to watch it move.
  const lines = ['a,b,c,d,label'];
  for (let n = 0; lines.length < 60_000; n++) {
    lines.push(`${n % 97}.25,${n % 89}.5,${n % 83}.75,${n % 79},${n % 2}`);
  }
  const csv = Buffer.from(lines.join('\n') + '\n');
  const cdp = await context.newCDPSession(submit);
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: 512 * 1024,
  });
  await submit
    .getByTestId('dataset-file')
    .setInputFiles({ name: 'large.csv', mimeType: 'text/csv', buffer: csv });
  const progress = submit.getByTestId('upload-progress');
  const megabytes = (csv.length / (1024 * 1024)).toFixed(1);
  // Part of it sent, not all: the percentage moves while the bytes go.
  await expect(progress).toHaveText(
    new RegExp(`^[\\d.]+ (bytes|KB|MB) of ${megabytes} MB sent \\(([1-9]|[1-9]\\d)%\\)$`),
  );
  const first = await progress.textContent();
  await submit
    .getByTestId('datasets-panel')
    .screenshot({ path: `${ARTIFACTS}datasets-uploading.png` });
  await expect(progress).not.toHaveText(first ?? '');
  await expect(submit.getByTestId('upload-status')).toContainText('large.csv is stored as', {
    timeout: 60_000,
  });
  await expect(submit.getByTestId('upload-shape')).toHaveText(
    '59,999 rows, 4 features, labeled, 2 classes',
  );
  expect(errors).toEqual([]);
  await context.close();
});
