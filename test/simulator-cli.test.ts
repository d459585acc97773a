/**
 * `localsage simulate` end to end, as a user runs it (a child process), and its HTML report in a
 * real headless Chromium (Debian's `chromium` package, driven by playwright-core): no console or
 * page errors, no network, every chart drawn with a non-zero size. Skips with a printed reason
 * where /usr/bin/chromium is missing (CI installs it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CHROMIUM = process.env.LOCALSAGE_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`simulator-cli.test: skipping the Chromium checks: ${CHROMIUM} not found (apt-get install -y chromium)`);

function simulate(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'emulator/cli.ts', 'simulate', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

async function openInChromium(file: string, screenshot: string): Promise<{ errors: string[]; rendered: number; sizes: { w: number; h: number }[] }> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) errors.push(`network request: ${r.url()}`);
    });
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    await page.waitForFunction(() => (window as unknown as { __chartsRendered: number }).__chartsRendered > 0, null, { timeout: 15_000 }).catch(() => {});
    const rendered = await page.evaluate(() => (window as unknown as { __chartsRendered: number }).__chartsRendered);
    const sizes = await page.$$eval('.uplot canvas, svg#sweep-chart', (els) => els.map((e) => ({ w: e.getBoundingClientRect().width, h: e.getBoundingClientRect().height })));
    await page.screenshot({ path: screenshot, fullPage: true });
    return { errors, rendered, sizes };
  } finally {
    await browser.close();
  }
}

describe('localsage simulate', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sim-cli-'));
  const out = join(tmp, 'seed-15000');

  it('writes the report folder for a seed scenario', () => {
    const r = simulate(['examples/seed-target-15000.yaml', '--out', out]);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain(`localsage: report written to ${join(out, 'index.html')}`);
    for (const f of ['summary.json', 'per-second.csv', 'per-second.json', 'per-minute.csv', 'per-minute.json', 'scaling-activities.json', 'alarms.json', 'index.html']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    // 20 minutes of a closed loop; the first phase is the 10-minute staircase ramp.
    expect(summary.durationSeconds).toBe(1200);
    expect(summary.phases.map((p: { name: string }) => p.name)).toEqual(['ramp-up', 'hold']);
    // One ml.m4.xlarge saturated at 4 workers / 3.333 ms = 1200 req/s serves ~72,000 invocations
    // a minute > 15,000: AlarmHigh has 3 of 3 datapoints at the end of minute 3 (180 s), and
    // ceil(1 x ~72,000 / 15,000) = 5 (any rate between 60,000 and 75,000 a minute gives 5).
    const log = JSON.parse(readFileSync(join(out, 'scaling-activities.json'), 'utf8')).ScalingActivities;
    const first = log[log.length - 1];
    expect(first.StartTime).toBe(Date.parse('2024-01-01T00:03:00Z') / 1000);
    expect(first.Description).toBe('Setting desired instance count to 5.');
    expect(first.Cause).toMatch(/^monitor alarm TargetTracking-endpoint\/kdd99-linear-learner\/variant\/AllTraffic-AlarmHigh-[0-9a-f-]{36} in state ALARM triggered policy invocations-per-instance-15000$/);
    expect(first.StatusCode).toBe('Successful');
    // It completes when the new instances are up: 5 to 7 minutes after the decision.
    expect(first.EndTime - first.StartTime).toBeGreaterThanOrEqual(300);
    expect(first.EndTime - first.StartTime).toBeLessThanOrEqual(420);
    // Never more than MaxCapacity.
    expect(summary.instances.maxDesired).toBeLessThanOrEqual(10);
    // The CSV has one row per second plus the header.
    expect(readFileSync(join(out, 'per-second.csv'), 'utf8').trim().split('\n')).toHaveLength(1201);
  });

  it('reports a scenario error with where it is and exits 2', () => {
    const r = simulate(['examples/seed-no-scaling.yaml', '--out', join(tmp, 'bad'), '--set', 'serving.concurrency=0']);
    expect(r.status).toBe(2);
    expect(r.out).toContain('serving.concurrency: must be an integer >= 1');
  });

  it('sweeps a grid and writes the comparison', () => {
    const sweepOut = join(tmp, 'sweep');
    const r = simulate([
      'examples/seed-target-30000.yaml',
      '--out',
      sweepOut,
      '--quiet',
      '--sweep',
      'scaling.policies[0].TargetTrackingScalingPolicyConfiguration.TargetValue=15000,30000',
      '--sweep',
      'serving.warmup=2m,6m',
    ]);
    expect(r.status, r.out).toBe(0);
    const csv = readFileSync(join(sweepOut, 'sweep.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(1 + 4);
    expect(csv[1]).toMatch(/^1,15000,2m,/); // scalars as written, ready for a spreadsheet
    for (const run of ['run-1', 'run-2', 'run-3', 'run-4']) expect(existsSync(join(sweepOut, run, 'index.html'))).toBe(true);
    // A shorter warm-up brings capacity sooner: with the same target it cannot cost less latency.
    const runs = JSON.parse(readFileSync(join(sweepOut, 'sweep.json'), 'utf8')).runs;
    expect(runs[0].summary.latencyMs.p99).toBeLessThanOrEqual(runs[1].summary.latencyMs.p99);
  });

  it.skipIf(!hasChromium)('the HTML report opens in headless Chromium without errors and its charts render', async () => {
    const shot = join(out, 'screenshot.png');
    const { errors, rendered, sizes } = await openInChromium(join(out, 'index.html'), shot);
    expect(errors).toEqual([]);
    expect(rendered).toBe(5);
    // uPlot draws each chart on a canvas (plus a cursor overlay canvas in some versions).
    expect(sizes.length).toBeGreaterThanOrEqual(5);
    for (const s of sizes) {
      expect(s.w).toBeGreaterThan(300);
      expect(s.h).toBeGreaterThan(100);
    }
    expect(existsSync(shot)).toBe(true);
  });

  it.skipIf(!hasChromium)('the sweep page opens in headless Chromium and its chart renders', async () => {
    const { errors, rendered, sizes } = await openInChromium(join(tmp, 'sweep', 'index.html'), join(tmp, 'sweep', 'screenshot.png'));
    expect(errors).toEqual([]);
    expect(rendered).toBe(1);
    expect(sizes[0].w).toBeGreaterThan(300);
  });

  it('the published entry point runs the command too', () => {
    const text = execFileSync(process.execPath, ['emulator/bin.mjs', 'simulate', '--help'], { encoding: 'utf8' });
    expect(text).toContain('--sweep');
  });
});
