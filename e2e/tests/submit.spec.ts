// The /submit page in real Chromium against a real coordinator: a valid pi form creates the
// workload (checked over REST) and links to its live view; bad values show errors next to their
// fields and send nothing; a refused token is said at the token; the token is kept after first
// use. Screenshots at desktop and phone widths land in e2e/artifacts/.
import { fileURLToPath } from 'node:url';
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { RESEARCHER_TOKEN, getWorkload } from './support/coordinatorApi';
import { pageErrors } from './support/pageErrors';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const auth = { Authorization: `Bearer ${RESEARCHER_TOKEN}` };

async function workloadCount(request: APIRequestContext): Promise<number> {
  const response = await request.get('/api/workloads');
  expect(response.status()).toBe(200);
  return ((await response.json()) as unknown[]).length;
}

/** Cancels what a test submitted, so no other spec's volunteers spend time on it. */
async function cancel(request: APIRequestContext, id: string): Promise<void> {
  const response = await request.delete(`/api/workloads/${id}`, { headers: auth });
  expect(response.status(), await response.text()).toBe(200);
}

/** Every POST /api/workloads the page sends. */
function countSubmissions(page: Page): () => number {
  let posts = 0;
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/workloads') posts += 1;
  });
  return () => posts;
}

test('a valid pi form creates the workload and links to its live view', async ({
  browser,
  request,
}) => {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  const errors = pageErrors(page);
  await page.goto('/submit');
  await expect(page.getByRole('heading', { name: 'Submit a workload' })).toBeVisible();
  // Limits and defaults stand next to their fields.
  await expect(page.locator('#field-spec-samples-limits')).toHaveText(
    'integer, 1 to 2^50 · required',
  );
  await expect(page.locator('#field-spec-samplesPerUnit-limits')).toHaveText(
    'integer, 1,024 to 2^31 · default 2^24',
  );
  await page.screenshot({ path: `${ARTIFACTS}submit-desktop.png`, fullPage: true });

  await page.getByTestId('token-input').fill(RESEARCHER_TOKEN);
  await page.getByTestId('field-spec-samples').fill('2^22');
  await page.getByTestId('field-spec-seed').fill('77');
  await page.getByTestId('field-name').fill('e2e submit form');
  await page.getByTestId('submit').click();

  const link = page.getByTestId('workload-link');
  await expect(link).toBeVisible();
  const href = (await link.getAttribute('href')) ?? '';
  const id = /^\/workloads\/([\w-]+)$/.exec(href)?.[1];
  expect(id, `link ${href}`).toBeTruthy();
  await expect(page.getByTestId('submitted')).toContainText(
    '“e2e submit form” is queued: 1 unit, id',
  );
  await page.screenshot({ path: `${ARTIFACTS}submit-desktop-submitted.png`, fullPage: true });

  const view = await getWorkload(request, id!);
  const created = view as unknown as { name: string; spec: Record<string, unknown> };
  expect(created.name).toBe('e2e submit form');
  expect(created.spec).toEqual({
    estimator: 'pi',
    samples: 2 ** 22,
    seed: 77,
    samplesPerUnit: 2 ** 24,
  });
  await cancel(request, id!);

  await link.click();
  await expect(page).toHaveURL(new RegExp(`/workloads/${id}$`));

  // The token was kept: a fresh visit does not ask for it again.
  await page.goto('/submit');
  await expect(page.getByTestId('token-saved')).toBeVisible();
  await expect(page.getByTestId('token-input')).toHaveCount(0);

  // Another estimator's form, straight from the registry, with its nested params.
  await page.getByTestId('workload-type').selectOption('montecarlo/ising-2d');
  await expect(page.getByTestId('field-spec-params-temperature')).toHaveValue('2.269');
  await expect(page.locator('#field-spec-params-temperature-limits')).toHaveText(
    'number, > 0 and ≤ 100 · required',
  );
  await page.getByTestId('field-spec-chains').fill('2');
  await page.getByTestId('submit').click();
  const isingHref = (await page.getByTestId('workload-link').getAttribute('href')) ?? '';
  const isingId = isingHref.split('/').pop()!;
  expect(isingId).not.toBe(id);
  const ising = (await getWorkload(request, isingId)) as unknown as {
    spec: { estimator: string; chains: number };
  };
  expect(ising.spec.estimator).toBe('ising-2d');
  expect(ising.spec.chains).toBe(2);
  await cancel(request, isingId);

  expect(errors).toEqual([]);
  await context.close();
});

test('bad values show errors next to their fields and submit nothing', async ({
  browser,
  request,
}) => {
  const before = await workloadCount(request);
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  const errors = pageErrors(page);
  const submissions = countSubmissions(page);
  await page.goto('/submit');

  await page.getByTestId('token-input').fill(RESEARCHER_TOKEN);
  await page.getByTestId('field-spec-samples').fill('-5');
  await page.getByTestId('field-spec-seed').fill('1.5');
  await page.getByTestId('field-spec-samplesPerUnit').fill('lots');
  await page.getByTestId('submit').click();

  await expect(page.getByTestId('field-spec-samples-error')).toHaveText('samples must be >= 1');
  await expect(page.getByTestId('field-spec-seed-error')).toHaveText('seed must be an integer');
  await expect(page.getByTestId('field-spec-samplesPerUnit-error')).toHaveText(
    'enter a number (1000000, 1e6 or 2^20)',
  );
  await expect(page.getByTestId('field-spec-samples')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByTestId('field-spec-samples')).toBeFocused();
  await page.screenshot({ path: `${ARTIFACTS}submit-desktop-errors.png`, fullPage: true });

  // Redundancy errors open the advanced section they are in.
  await page.getByTestId('field-spec-samples').fill('2^20');
  await page.getByTestId('field-spec-seed').fill('1');
  await page.getByTestId('field-spec-samplesPerUnit').fill('');
  await page.getByText('Redundancy (advanced)').click();
  await page.getByTestId('field-redundancy-maxReplicas').fill('1');
  await page.getByText('Redundancy (advanced)').click();
  await page.getByTestId('submit').click();
  await expect(page.getByTestId('field-redundancy-maxReplicas-error')).toHaveText(
    'maxReplicas must be >= quorum',
  );
  await expect(page.getByTestId('field-spec-samples-error')).toHaveCount(0);
  await page.screenshot({
    path: `${ARTIFACTS}submit-desktop-redundancy-error.png`,
    fullPage: true,
  });
  expect(submissions()).toBe(0);

  // A token the coordinator refuses is said at the token, not as a field error.
  await page.getByTestId('field-redundancy-maxReplicas').fill('');
  await page.getByTestId('token-input').fill('not-a-token');
  await page.getByTestId('submit').click();
  await expect(page.getByTestId('token-error')).toHaveText(
    'The coordinator does not accept this token: check it and try again.',
  );
  expect(submissions()).toBe(1);
  await expect(page.getByTestId('submitted')).toHaveCount(0);
  expect(await page.evaluate(() => localStorage.getItem('tessera.researcherToken'))).toBeNull();
  expect(await workloadCount(request)).toBe(before);

  // The 401 is the one console error Chromium logs for a refused fetch.
  expect(errors.filter((e) => !/401/.test(e))).toEqual([]);
  await context.close();
});

test('the form reads well on a phone', async ({ browser, request }) => {
  const context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2 });
  const page = await context.newPage();
  await page.goto('/submit');
  await expect(page.getByTestId('token-input')).toBeVisible();
  // Nothing wider than the screen: no sideways scrolling.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: `${ARTIFACTS}submit-phone.png`, fullPage: true });

  await page.getByTestId('token-input').fill(RESEARCHER_TOKEN);
  await page.getByTestId('field-spec-samples').fill('0');
  await page.getByTestId('submit').click();
  await expect(page.getByTestId('field-spec-samples-error')).toBeVisible();
  await page.screenshot({ path: `${ARTIFACTS}submit-phone-errors.png`, fullPage: true });

  await page.getByTestId('field-spec-samples').fill('2^20');
  await page.getByTestId('submit').click();
  await expect(page.getByTestId('workload-link')).toBeInViewport();
  await page.screenshot({ path: `${ARTIFACTS}submit-phone-submitted.png` });
  const id = ((await page.getByTestId('workload-link').getAttribute('href')) ?? '')
    .split('/')
    .pop()!;
  await cancel(request, id);
  await context.close();
});
