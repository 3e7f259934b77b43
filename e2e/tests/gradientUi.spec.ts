// Gradient training through the pages, in real Chromium against a real coordinator: the /submit
// gradient form (its conditional fields, a coordinator refusal shown at its field) sends a small
// blobs workload; one CPU volunteer tab trains it while the workload page and the dashboard,
// opened before it started, follow it live to the final accuracy. Screenshots of the three pages
// land in e2e/artifacts/.
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { RESEARCHER_TOKEN, getResult } from './support/coordinatorApi';
import { pageErrors } from './support/pageErrors';
import { openVolunteerTab } from './support/volunteerTab';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const DESKTOP = { width: 1280, height: 900 };
/** 600 examples in batches of 50 for 2 epochs. */
const STEPS = 24;

interface GradientResult {
  final: boolean;
  accuracy: number;
  loss: number;
  parameterCount: number;
}

test('a gradient workload submitted from the form trains live on its page and the dashboard', async ({
  browser,
  request,
}) => {
  const context = await browser.newContext({ viewport: DESKTOP });
  const submit = await context.newPage();
  const submitErrors = pageErrors(submit);
  await submit.goto('/submit?type=gradient/train');
  await expect(submit.getByTestId('workload-type')).toHaveValue('gradient/train');
  // Opens on the MNIST softmax example; the blobs options and hidden units wait for their choice.
  await expect(submit.getByTestId('field-spec-dataset')).toHaveValue('mnist');
  await expect(submit.getByTestId('field-spec-optimizer-lr')).toHaveValue('0.01');
  await expect(submit.getByTestId('field-spec-hidden')).toHaveCount(0);
  await expect(submit.getByTestId('field-spec-blobs-train')).toHaveCount(0);
  await submit.getByTestId('token-input').fill(RESEARCHER_TOKEN);
  await submit.getByTestId('field-spec-dataset').selectOption('blobs');
  await submit.getByTestId('field-spec-blobs-train').fill('600');
  await submit.getByTestId('field-spec-blobs-test').fill('200');
  await submit.getByTestId('field-spec-optimizer-lr').fill('0.05');
  await submit.getByTestId('field-spec-batchSize').fill('5000');
  await submit.getByTestId('field-spec-seed').fill('11');
  await submit.getByTestId('field-name').fill('e2e gradient form');
  // One volunteer: each unit is computed once.
  await submit.getByText('Redundancy (advanced)').click();
  await submit.getByTestId('field-redundancy-quorum').fill('1');
  await submit.getByText('Training details (advanced)').click();
  await submit.getByTestId('field-spec-evalEvery').fill('4');
  await submit.screenshot({ path: `${ARTIFACTS}gradient-submit.png`, fullPage: true });

  // Only the coordinator knows the data's size: its refusal lands on the batch size.
  await submit.getByTestId('submit').click();
  await expect(submit.getByTestId('field-spec-batchSize-error')).toHaveText(
    '5000 is more than the 600 training examples',
  );
  await submit.getByTestId('field-spec-batchSize').scrollIntoViewIfNeeded();
  await submit.screenshot({ path: `${ARTIFACTS}gradient-submit-refused.png` });
  await submit.getByTestId('field-spec-batchSize').fill('50');
  await submit.getByTestId('submit').click();
  const href = (await submit.getByTestId('workload-link').getAttribute('href')) ?? '';
  const id = /^\/workloads\/([\w-]+)$/.exec(href)?.[1];
  expect(id, `link ${href}`).toBeTruthy();

  const workload = await context.newPage();
  const errors = pageErrors(workload);
  await workload.goto(href);
  await expect(workload.getByTestId('workload-steps')).toHaveText(`0 / ${STEPS} steps`);
  await expect(workload.getByTestId('training-empty')).toBeVisible();
  const dash = await context.newPage();
  const dashErrors = pageErrors(dash);
  await dash.goto('/dashboard');
  const row = dash.locator(`[data-workload-id="${id}"]`);
  await expect(row.getByTestId('workload-units')).toHaveText(`0 / ${STEPS} steps`);

  const volunteer = await openVolunteerTab(browser, 'cpu', '/?backend=cpu');
  await volunteer.page.getByTestId('contribute').click();

  // Both pages follow the run to its end without a reload.
  await expect(workload.getByTestId('workload-status')).toHaveText('completed', {
    timeout: 45_000,
  });
  const result = await getResult<GradientResult>(request, id!);
  expect(result.final).toBe(true);
  expect(result.accuracy).toBeGreaterThan(0.8);
  const accuracy = `${(result.accuracy * 100).toFixed(1)}%`;
  await expect(workload.getByTestId('workload-steps')).toHaveText(`${STEPS} / ${STEPS} steps`);
  await expect(workload.getByTestId('training-accuracy')).toHaveText(accuracy);
  await expect(workload.getByTestId('result-accuracy')).toHaveText(accuracy);
  await expect(workload.getByTestId('result-state')).toHaveText('final');
  await expect(workload.getByTestId('training-chart')).toHaveAttribute(
    'data-points',
    String(STEPS),
  );
  const params = workload.getByTestId('download-params');
  await expect(params).toHaveAttribute('href', `/api/workloads/${id}/result?format=bin`);
  const bytes = await request.get((await params.getAttribute('href'))!);
  expect((await bytes.body()).byteLength).toBe(4 * result.parameterCount);

  await expect(row.getByTestId('workload-status')).toHaveText('completed');
  await expect(row.getByTestId('workload-units')).toHaveText(`${STEPS} / ${STEPS} steps`);
  await expect(row.getByTestId('training-accuracy')).toHaveText(accuracy);
  const sparkPoints = Number(
    await row.getByTestId('training-sparkline').getAttribute('data-points'),
  );
  expect(sparkPoints).toBeGreaterThan(10);

  await workload.screenshot({ path: `${ARTIFACTS}gradient-workload.png`, fullPage: true });
  await dash.screenshot({ path: `${ARTIFACTS}gradient-dashboard.png`, fullPage: true });
  expect(volunteer.errors).toEqual([]);
  expect([...errors, ...dashErrors]).toEqual([]);
  // The browser logs the refused submission; nothing else went wrong on the form.
  expect(submitErrors).toEqual([
    'console: Failed to load resource: the server responded with a status of 400 (Bad Request)',
  ]);
  await volunteer.context.close();
  await context.close();
});
