/**
 * `localsage simulate` end to end, as a user runs it (a child process), and its HTML report in a
 * real headless Chromium (Debian's `chromium` package, driven by playwright-core): no console or
 * page errors, no network, every chart drawn with a non-zero size. Skips with a printed reason
 * where /usr/bin/chromium is missing (CI installs it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
    // The round trip is ~831 ms outside the instance plus ~1.5 ms in it: R = 0.8325 s, so with u
    // users a minute carries ~60 u / 0.8325 invocations (the instance is far from saturated).
    // The staircase has 100 (k + 1) users in minute k: minute 1 ~14,400 < 15,000, minutes 2-4
    // above it, so AlarmHigh has 3 of 3 datapoints at the end of minute 4 (300 s), and
    // ceil(1 x ~36,000 / 15,000) = 3 (any rate between 30,000 and 45,000 a minute gives 3).
    const log = JSON.parse(readFileSync(join(out, 'scaling-activities.json'), 'utf8')).ScalingActivities;
    const first = log[log.length - 1];
    expect(first.StartTime).toBe(Date.parse('2024-01-01T00:05:00Z') / 1000);
    expect(first.Description).toBe('Setting desired instance count to 3.');
    expect(first.Cause).toMatch(/^monitor alarm TargetTracking-endpoint\/kdd99-linear-learner\/variant\/AllTraffic-AlarmHigh-[0-9a-f-]{36} in state ALARM triggered policy invocations-per-instance-15000$/);
    expect(first.StatusCode).toBe('Successful');
    // It completes when the new instances are up: 5 to 7 minutes after the decision.
    expect(first.EndTime - first.StartTime).toBeGreaterThanOrEqual(300);
    expect(first.EndTime - first.StartTime).toBeLessThanOrEqual(420);
    // In the 300 s scale-out cooldown the policy computes from the base 1: minute 6 has 700 users,
    // ~50,450 invocations: ceil(1 x 3.36) = 4 > 3, a larger scale-out, at the tick of 7 min; the
    // endpoint is still Updating (until 10-12 min), so SageMaker refuses it: a Failed activity.
    const refused = log.filter((a: { StatusCode: string }) => a.StatusCode === 'Failed').reverse();
    expect(refused[0].StartTime).toBe(Date.parse('2024-01-01T00:07:00Z') / 1000);
    expect(refused[0].Description).toBe('Setting desired instance count to 4.');
    expect(refused[0].StatusMessage).toMatch(/^Failed to set desired instance count to 4\. Reason: Cannot update in-progress endpoint "arn:aws:sagemaker:us-east-1:000000000000:endpoint\/kdd99-linear-learner"\. \(Service: AmazonSageMaker; Status Code: 400; Error Code: ValidationException; Request ID: [0-9a-f-]{36}\)$/);
    // Throughput in the hold phase is set by the users and the time outside: 1000 / 0.8325 s.
    expect(Math.abs(summary.phases[1].throughputPerSecond / (1000 / 0.8325) - 1)).toBeLessThan(0.01);
    // Where the time goes: nearly all of it on the network, the instance far from busy.
    const stages = Object.fromEntries(summary.stages.map((x: { name: string }) => [x.name, x]));
    expect(stages.network.shareOfRoundTrip).toBeGreaterThan(0.99);
    expect(stages.instance.utilisation).toBeLessThan(0.5);
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
    // The time goes outside the instance: neither the target nor the warm-up moves throughput
    // (1000 users / 0.8325 s in the hold phase), only the instances paid for.
    const runs = JSON.parse(readFileSync(join(sweepOut, 'sweep.json'), 'utf8')).runs;
    for (const run of runs) expect(Math.abs(run.summary.phases[1].throughputPerSecond / (1000 / 0.8325) - 1)).toBeLessThan(0.01);
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

  it('--replications reports each headline figure as a mean with a 95 % interval, in runs and sweeps', () => {
    // A small open loop: 50 req/s Poisson for 2 minutes on one instance. Throughput over seeds
    // scatters around 50/s, so the interval must hold 50 and be narrow.
    const file = join(tmp, 'small.yaml');
    writeFileSync(file, 'name: small\ntraffic: { phases: [ { openLoop: { rate: 50, duration: 2m } } ] }\nserving: { instanceType: ml.m5.large, serviceTime: 2ms }\n');
    const out = join(tmp, 'reps');
    const r = simulate([file, '--out', out, '--replications', '4']);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/over 4 replications \(seeds 1-4\)/);
    const reps = JSON.parse(readFileSync(join(out, 'replications.json'), 'utf8'));
    expect(reps.seeds).toEqual([1, 2, 3, 4]);
    const x = reps.intervals.throughputPerSecond;
    expect(x.n).toBe(4);
    expect(x.low).toBeLessThan(50);
    expect(x.high).toBeGreaterThan(50);
    expect(x.high - x.low).toBeLessThan(5);
    expect(readFileSync(join(out, 'replications.csv'), 'utf8').trim().split('\n')).toHaveLength(5);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('Across 4 replications');
    const sweepOut = join(tmp, 'reps-sweep');
    const s = simulate([file, '--out', sweepOut, '--quiet', '--replications', '2', '--sweep', 'serving.concurrency=1,2']);
    expect(s.status, s.out).toBe(0);
    const csv = readFileSync(join(sweepOut, 'sweep.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toContain('throughputPerSecond_mean,throughputPerSecond_low,throughputPerSecond_high');
    expect(csv).toHaveLength(3);
  });

  it('the published entry point runs the command too', () => {
    const text = execFileSync(process.execPath, ['emulator/bin.mjs', 'simulate', '--help'], { encoding: 'utf8' });
    expect(text).toContain('--sweep');
  });
});
