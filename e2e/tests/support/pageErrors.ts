// Every uncaught exception and console error a page produces from now on, as lines a test can
// insist are absent.
import type { Page } from '@playwright/test';

export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`page exception: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}
