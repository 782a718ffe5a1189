/**
 * Chromium for the dashboard's end-to-end tests: Debian's `chromium` driven by playwright-core
 * (which never downloads a browser), axe-core for accessibility, screenshots under
 * test-output/dashboard (git-ignored). Without Chromium the suite skips with a message, unless
 * KEYLEDGER_REQUIRE_CHROMIUM=1 (.ci/run sets it) makes it mandatory.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';

export const SCREENSHOT_DIR = join(__dirname, '..', '..', 'test-output', 'dashboard');
const CANDIDATES = [process.env['KEYLEDGER_CHROMIUM'], '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((path): path is string => !!path);

export function findChromium(): string | undefined {
  const found = CANDIDATES.find((path) => existsSync(path));
  if (!found && process.env['KEYLEDGER_REQUIRE_CHROMIUM'] === '1') {
    throw new Error(`KEYLEDGER_REQUIRE_CHROMIUM=1 but no Chromium at ${CANDIDATES.join(', ')} (apt-get install chromium).`);
  }
  if (!found) console.warn(`Skipping the dashboard's browser tests: no Chromium at ${CANDIDATES.join(', ')} (apt-get install chromium).`);
  return found;
}

export async function launchChromium(executablePath: string): Promise<Browser> {
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Serious and critical axe violations of the page as it is now: [] when there are none. */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.impact} ${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join(', ')})`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}
