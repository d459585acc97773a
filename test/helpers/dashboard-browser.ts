import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';

/** Debian's headless Chromium, driven by playwright-core (CI installs the `chromium` package). */
export const CHROMIUM = process.env.LOCALSAGE_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Opens a dashboard page and records every console error or warning, page error, failed HTTP
 * response and request that leaves the emulator; resolves once the page says it is rendered.
 */
export async function openDashboard(browser: Browser, emulatorUrl: string, hash: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (!r.url().startsWith(emulatorUrl) && !r.url().startsWith('data:')) problems.push(`request off the emulator: ${r.url()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  await page.goto(`${emulatorUrl}/_localsage/${hash}`, { waitUntil: 'load' });
  await page.waitForSelector('main[data-ready="true"]', { timeout: 30_000 });
  return { page, problems };
}

export const chartSizes = (page: Page) =>
  page.$$eval('.uplot canvas', (els) => els.map((e) => ({ w: e.getBoundingClientRect().width, h: e.getBoundingClientRect().height })));

/** The number of points each chart under `selector` holds (lineChart records it). */
export const chartPoints = (page: Page, selector: string) => page.$$eval(selector, (els) => els.map((e) => Number((e as HTMLElement).dataset.points ?? 0)));
