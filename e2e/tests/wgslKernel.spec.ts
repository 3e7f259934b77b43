// Researchers' own WGSL kernels end to end, in real Chromium against a real coordinator:
// (a) on /submit, a kernel with a type error on line 2 is refused by the coordinator's compiler,
//     the message stands under the code editor with its line, the editor's gutter marks line 2,
//     and nothing is created; (b) two WebGPU tabs (SwiftShader) run the kernel examples in
//     examples/ and every output lands within 5 standard errors of the reference the example
//     carries; the workload page shows the outputs and the capable tabs. Screenshots go to /tmp
//     (the ones the feature's report names) and e2e/artifacts.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test, type APIRequestContext } from '@playwright/test';
import {
  RESEARCHER_TOKEN,
  getResult,
  submitWorkload,
  waitForCompletion,
} from './support/coordinatorApi';
import { pageErrors } from './support/pageErrors';
import { openVolunteerTab, unitsCompleted, type VolunteerTab } from './support/volunteerTab';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const DESKTOP = { width: 1280, height: 900 };

/** `let` of type i32 initialised with an f32: a type error at line 2 of the kernel. */
const TYPE_ERROR_KERNEL = `fn sample() -> array<f32, 1> {
  let x: i32 = uniform();
  return array<f32, 1>(f32(x));
}
`;

/**
 * The kernel examples and the sizes this test runs them at: small enough that two SwiftShader
 * tabs finish each in seconds, large enough that 5 standard errors is a real check.
 */
const KERNEL_EXAMPLES = [
  { file: 'pi-kernel.json', samples: 2 ** 20, samplesPerUnit: 2 ** 18 },
  { file: 'genz-gaussian.json', samples: 2 ** 18, samplesPerUnit: 2 ** 16 },
  { file: 'asian-option.json', samples: 2 ** 16, samplesPerUnit: 2 ** 14 },
] as const;
const COMPLETION_TIMEOUT_MS = 150_000;

interface KernelOutput {
  mean: number;
  stderr: number;
  ci95: [number, number];
  rejected: number;
}
interface KernelResult {
  outputs: Record<string, KernelOutput>;
  samples: number;
  final: boolean;
}

/**
 * An example file: the workload body as the CLI sends it, and the reference value per output
 * (examples/references/kernels.json: closed forms or long reference runs).
 */
interface KernelExample {
  body: { name?: string; kind: string; spec: Record<string, unknown> };
  reference: Record<string, number>;
}

function readExample(file: string): KernelExample {
  const body = JSON.parse(readFileSync(`${EXAMPLES}${file}`, 'utf8')) as KernelExample['body'];
  const references = JSON.parse(
    readFileSync(`${EXAMPLES}references/kernels.json`, 'utf8'),
  ) as Record<string, Record<string, number>>;
  const reference = references[file.replace(/\.json$/, '')];
  expect(reference, `${file} has its reference values`).toBeTruthy();
  return { body, reference: reference! };
}

async function workloadCount(request: APIRequestContext): Promise<number> {
  const response = await request.get('/api/workloads');
  expect(response.status()).toBe(200);
  return ((await response.json()) as unknown[]).length;
}

test('a kernel that does not compile is refused with its line marked in the editor', async ({
  browser,
  request,
}) => {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  const errors = pageErrors(page);
  await page.goto('/submit?type=montecarlo/wgsl');
  await expect(page.getByTestId('workload-type')).toHaveValue('montecarlo/wgsl');
  const editor = page.getByTestId('field-spec-source');
  // The form opens on the starter kernel (pi), in the code editor with its line numbers.
  await expect(editor).toHaveValue(/fn sample\(\) -> array<f32, 1>/);
  await expect(page.locator('.code-line-number').first()).toHaveText('1');
  await page.screenshot({ path: '/tmp/wgsl-submit.png', fullPage: true });

  const before = await workloadCount(request);
  await page.getByTestId('token-input').fill(RESEARCHER_TOKEN);
  await editor.fill(TYPE_ERROR_KERNEL);
  await page.getByTestId('field-spec-outputs').fill('x');
  await page.getByTestId('field-spec-samples').fill('2^16');
  await page.getByTestId('submit').click();

  const message = page.getByTestId('field-spec-source-error');
  await expect(message).toBeVisible();
  await expect(message).toHaveText(/^line 2(, column \d+)?: \S/);
  await expect(page.getByTestId('code-marked-line')).toHaveText('2');
  await expect(page.locator('.code-line-band')).toBeVisible();
  await expect(editor).toHaveAttribute('aria-invalid', 'true');
  await expect(editor).toBeFocused();
  await page.screenshot({ path: '/tmp/wgsl-submit-error.png', fullPage: true });
  await page.screenshot({ path: `${ARTIFACTS}wgsl-submit-error.png`, fullPage: true });
  expect(await workloadCount(request)).toBe(before);

  // Editing the kernel clears the mark; a good kernel goes through.
  await editor.fill(TYPE_ERROR_KERNEL.replace('let x: i32 = uniform();', 'let x = uniform();'));
  await expect(page.getByTestId('code-marked-line')).toHaveCount(0);
  await expect(message).toHaveCount(0);
  await page.getByTestId('submit').click();
  const link = page.getByTestId('workload-link');
  await expect(link).toBeVisible();
  const id = /^\/workloads\/([\w-]+)$/.exec((await link.getAttribute('href')) ?? '')?.[1];
  expect(id).toBeTruthy();
  // Its page, queued: the source as code, and that only tabs with WebGPU can run it.
  await link.click();
  await expect(page.getByTestId('workload-name')).toHaveText(/\S/);
  await expect(page.getByTestId('spec-source')).toContainText('let x = uniform();');
  await expect(page.getByTestId('workload-capable')).toContainText('WebGPU');
  await page.screenshot({ path: '/tmp/wgsl-workload-queued.png', fullPage: true });
  const cancelled = await request.delete(`/api/workloads/${id}`, {
    headers: { Authorization: `Bearer ${RESEARCHER_TOKEN}` },
  });
  expect(cancelled.status()).toBe(200);
  // The refusal's 400 is the browser's own console line for a failed fetch: expected here.
  expect(errors.filter((e) => !/status of 400 \(Bad Request\)/.test(e))).toEqual([]);
  await context.close();
});

test('two WebGPU tabs run the kernel examples, each output within 5 standard errors', async ({
  browser,
  request,
}) => {
  const examples = KERNEL_EXAMPLES.map((e) => ({ ...e, ...readExample(e.file) }));
  const tabs: VolunteerTab[] = [
    await openVolunteerTab(browser, 'webgpu-1', '/?backend=webgpu'),
    await openVolunteerTab(browser, 'webgpu-2', '/?backend=webgpu'),
  ];
  for (const tab of tabs) {
    await tab.page.getByTestId('contribute').click();
    await expect(tab.page.getByTestId('connection'), tab.label).toHaveText('Connected');
    await expect(tab.page.getByTestId('backend'), tab.label).toHaveText(/^WebGPU: \S/);
  }

  const ids: string[] = [];
  for (const example of examples) {
    expect(example.body.spec.estimator, example.file).toBe('wgsl');
    ids.push(
      await submitWorkload(request, {
        ...example.body,
        name: `e2e ${example.file}`,
        spec: {
          ...example.body.spec,
          samples: example.samples,
          samplesPerUnit: example.samplesPerUnit,
        },
      }),
    );
  }

  // The first workload's page while it runs: the capable tabs, then its outputs.
  const watcher = await browser.newContext({ viewport: DESKTOP });
  const page = await watcher.newPage();
  const watcherErrors = pageErrors(page);
  await page.goto(`/workloads/${ids[0]}`);
  await expect(page.getByTestId('workload-name')).toHaveText(`e2e ${examples[0]!.file}`);

  await waitForCompletion(request, ids, COMPLETION_TIMEOUT_MS);
  let units = 0;
  for (const [i, example] of examples.entries()) {
    const result = await getResult<KernelResult>(request, ids[i]!);
    expect(result.final, example.file).toBe(true);
    expect(result.samples, example.file).toBe(example.samples);
    expect(Object.keys(result.outputs), example.file).toEqual(example.body.spec.outputs);
    for (const [name, reference] of Object.entries(example.reference)) {
      const output = result.outputs[name]!;
      expect(output, `${example.file}: output ${name}`).toBeTruthy();
      expect(output.stderr, `${example.file}: ${name} stderr`).toBeGreaterThan(0);
      expect(output.rejected, `${example.file}: ${name} rejected`).toBe(0);
      expect(
        Math.abs(output.mean - reference),
        `${example.file}: ${name} = ${output.mean} ± ${output.stderr}, reference ${reference}`,
      ).toBeLessThan(5 * output.stderr);
    }
    units += Math.ceil(example.samples / example.samplesPerUnit);
  }

  await expect(page.getByTestId('result-state')).toHaveText('final');
  const firstOutput = (examples[0]!.body.spec.outputs as string[])[0]!;
  await expect(page.getByTestId(`kernel-output-${firstOutput}`)).toBeVisible();
  await page.screenshot({ path: '/tmp/wgsl-workload.png', fullPage: true });
  await page.screenshot({ path: `${ARTIFACTS}wgsl-workload.png`, fullPage: true });

  // Every unit at quorum 2 was computed by these two WebGPU tabs.
  const counts = await Promise.all(tabs.map((tab) => unitsCompleted(tab)));
  expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2 * units);
  for (const tab of tabs) {
    expect(tab.errors, `${tab.label} page/console errors`).toEqual([]);
    await tab.context.close();
  }
  expect(watcherErrors).toEqual([]);
  await watcher.close();
});
