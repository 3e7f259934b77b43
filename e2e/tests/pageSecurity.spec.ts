// The coordinator's Content-Security-Policy (server/src/ops/security.ts) against the built client
// in real Chromium: every page, the contribute page while it computes on either backend
// included, runs without one violation. A violation is not a console error Playwright sees, so
// each page gets a `securitypolicyviolation` listener that logs one. (The workers' own
// violations cannot be watched this way: routing their scripts to add the listener stalls
// their socket.io connection. They import the same zod setting as the page,
// client/src/app/zodWithoutEval.ts, which is what a violation came from.)
// Named to run after dashboard.spec.ts, which expects a leaderboard of its own two tabs.
import { expect, test } from '@playwright/test';
import { RESEARCHER_TOKEN } from './support/coordinatorApi';
import { cancelWorkload } from './support/coordinatorMetrics';

const MARK = 'CSP violation:';
const LISTEN = `self.addEventListener('securitypolicyviolation', (e) => console.error('${MARK}', e.violatedDirective, e.blockedURI, e.sourceFile));`;

test('every page runs under the Content-Security-Policy without a violation', async ({
  page,
  request,
}) => {
  const violations: string[] = [];
  const onConsole = (text: string) => {
    if (text.startsWith(MARK)) violations.push(text);
  };
  page.on('console', (m) => onConsole(m.text()));
  await page.addInitScript(LISTEN);

  const home = await request.get('/');
  const csp = home.headers()['content-security-policy'] ?? '';
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");

  const submitted = await request.post('/api/workloads', {
    headers: { Authorization: `Bearer ${RESEARCHER_TOKEN}` },
    data: {
      kind: 'montecarlo',
      name: 'e2e csp',
      spec: { estimator: 'pi', samples: 2 ** 30, seed: 5, samplesPerUnit: 2 ** 16 },
      redundancy: { quorum: 1 },
    },
  });
  expect(submitted.status(), await submitted.text()).toBe(201);
  const id = ((await submitted.json()) as { id: string }).id;
  try {
    for (const path of ['/dashboard', '/submit', `/workloads/${id}`]) {
      await page.goto(path);
      await page.waitForLoadState('networkidle');
    }
    for (const backend of ['cpu', 'webgpu']) {
      await page.goto(`/?backend=${backend}&cpuWorkers=2`);
      await page.getByTestId('contribute').click();
      await expect(page.getByTestId('units-completed')).not.toHaveText(/Units completed:\s*0$/, {
        timeout: 30_000,
      });
      await page.getByTestId('contribute').click();
    }
  } finally {
    await cancelWorkload(request, id);
  }
  expect(violations).toEqual([]);
});
