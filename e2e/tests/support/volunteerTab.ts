// A volunteer for e2e tests: its own browser context (own localStorage, so its own identity),
// the contribute page, and every page error and console error it produced, the worker's
// included, so a test can insist on none.
import type { Browser, BrowserContext, ConsoleMessage, Page } from '@playwright/test';

export interface VolunteerTab {
  label: string;
  context: BrowserContext;
  page: Page;
  /** Uncaught exceptions and console errors, as "<source>: <text>" lines. */
  errors: string[];
}

export async function openVolunteerTab(
  browser: Browser,
  label: string,
  path: string,
): Promise<VolunteerTab> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors: string[] = [];
  const onConsole = (source: string) => (message: ConsoleMessage) => {
    if (message.type() === 'error') errors.push(`${source} console: ${message.text()}`);
  };
  page.on('pageerror', (error) => errors.push(`page exception: ${error.message}`));
  page.on('console', onConsole('page'));
  page.on('worker', (worker) => worker.on('console', onConsole('worker')));
  await page.goto(path);
  return { label, context, page, errors };
}

/** The number after "Units completed:" on the contribute page. */
export async function unitsCompleted(tab: VolunteerTab): Promise<number> {
  const text = (await tab.page.getByTestId('units-completed').textContent()) ?? '';
  const match = /Units completed:\s*([\d,]+)/.exec(text);
  if (!match?.[1]) throw new Error(`${tab.label}: unreadable unit count "${text}"`);
  return Number(match[1].replaceAll(',', ''));
}
