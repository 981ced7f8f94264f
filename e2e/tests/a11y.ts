// Accessibility, measured: axe-core's WCAG 2.1 A/AA rules on what is on
// screen, and no serious or critical violation allowed.
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

/** Runs axe on the page (or on `within`, a CSS selector such as a dialog)
 * in the dark and the light theme, and fails with each serious or critical
 * violation and where it is. */
export async function expectAccessible(page: Page, what: string, within?: string) {
  for (const colorScheme of ['dark', 'light'] as const) {
    await page.emulateMedia({ colorScheme });
    await expectAccessibleNow(page, `${what} (${colorScheme})`, within);
  }
}

async function expectAccessibleNow(page: Page, what: string, within?: string) {
  let axe = new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']);
  if (within) axe = axe.include(within);
  const { violations } = await axe.analyze();
  const serious = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => `${n.target.join(' ')} [${n.failureSummary ?? ''}]`).join(', ')}`);
  expect(serious, `accessibility of ${what}`).toEqual([]);
}

/** The open dialog, measured by itself. */
export async function expectDialogAccessible(page: Page, name: string) {
  await expect(page.getByRole('dialog', { name })).toBeVisible();
  await expectAccessible(page, `the ${name} dialog`, '[role="dialog"]');
}
