/**
 * The web dashboard at /_localsage/ in a real headless Chromium (Debian's `chromium`, driven by
 * playwright-core), against a running emulator filled through the AWS SDK: every page renders
 * with no console or page error and no request leaving the emulator, charts have a non-zero
 * size, and a running training job's metric chart grows while it trains. Skips with a printed
 * reason where /usr/bin/chromium is missing (CI installs it).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateTrainingJobCommand, DescribeTrainingJobCommand, StopTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, LINEAR_LEARNER_IMAGE, ROLE } from './helpers/clients.js';
import { separableBinary, toCsv } from './helpers/data.js';
import { CHROMIUM, chartPoints, chartSizes, hasChromium, launchChromium, openDashboard } from './helpers/dashboard-browser.js';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { channel, deploy, ensureBucket, trainAndWait, upload } from './helpers/pipeline.js';

/** A GET with a Host header of our choosing (fetch does not let one set it). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = httpRequest(url, { headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => ok({ status: res.statusCode!, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

if (!hasChromium) console.warn(`dashboard.test: skipping the Chromium checks: ${CHROMIUM} not found (apt-get install -y chromium)`);
const ROOT = resolve(import.meta.dirname, '..');
/** Where the README's screenshot is written when LOCALSAGE_DASHBOARD_SCREENSHOT=1. */
const SCREENSHOT = join(ROOT, 'docs', 'dashboard-training-job.png');

describe.skipIf(!hasChromium)('dashboard in headless Chromium', () => {
  let emu: EmulatorProcess;
  let browser: Browser;
  const reportsDir = mkdtempSync(join(tmpdir(), 'localsage-reports-'));
  const c = () => clients(emu.url);

  beforeAll(async () => {
    // A real simulator report for the reports page.
    const sim = spawnSync(process.execPath, ['--import', 'tsx', 'emulator/cli.ts', 'simulate', 'examples/seed-target-15000.yaml', '--out', join(reportsDir, 'seed-15000'), '--quiet'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(sim.status, sim.stdout + sim.stderr).toBe(0);
    emu = await startEmulatorProcess({ args: ['--reports-dir', reportsDir] });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await emu?.stop();
    if (emu) removeDir(emu.dataDir);
    removeDir(reportsDir);
  });

  const open = (hash: string) => openDashboard(browser, emu.url, hash);
  const points = (page: Page) => chartPoints(page, '#metrics .chart');

  it('serves the app on the emulator port without taking any S3 path', async () => {
    const res = await fetch(`${emu.url}/_localsage`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/_localsage/');
    expect((await fetch(`${emu.url}/_localsage/`)).headers.get('content-type')).toMatch(/text\/html/);
    // A virtual-host request for the same path is S3's: a key in that bucket, here a missing one.
    const s3 = await rawGet(`${emu.url}/_localsage/`, { host: `some-bucket.localhost:${new URL(emu.url).port}` });
    expect(s3.status).toBe(404);
    expect(s3.body).toContain('<Code>NoSuchBucket</Code>');
    // Read-only: a mutating operation is refused, and an unknown service is "not served".
    const stop = await (await fetch(`${emu.url}/_localsage/api/sagemaker/StopTrainingJob`, { method: 'POST', body: '{"TrainingJobName":"x"}' })).json();
    expect(stop).toMatchObject({ status: 403, body: { __type: 'AccessDeniedException' } });
    const cw = await (await fetch(`${emu.url}/_localsage/api/nosuch/DescribeAlarms`, { method: 'POST', body: '{}' })).json();
    expect(cw).toMatchObject({ status: 501, body: { __type: 'NotImplemented' } });
    // Files are served from the assets and reports folders only.
    for (const escape of ['/_localsage/assets/..%2Fhandler.ts', '/_localsage/reports/..%2F..%2F..%2Fpackage.json', '/_localsage/vendor/..%2F..%2Fpackage.json']) {
      expect((await fetch(`${emu.url}${escape}`)).status, escape).toBe(404);
    }
    expect((await fetch(`${emu.url}/_localsage/reports/seed-15000/summary.json`)).status).toBe(200);
    // Validation is the protocol layer's: a bad input gets AWS's error.
    const bad = await (await fetch(`${emu.url}/_localsage/api/sagemaker/DescribeTrainingJob`, { method: 'POST', body: '{}' })).json();
    expect(bad.status).toBe(400);
    expect(bad.body.__type).toBe('ValidationException');
  });

  it("a running training job's metric chart grows; status, hyperparameters, logs and artifact render", async () => {
    const client = c();
    await ensureBucket(client.s3, 'dash');
    const data = separableBinary(3000, 6, 5);
    await upload(client.s3, 'dash', 'train/data.csv', toCsv(data.x, data.y));
    // Many epochs and no early stopping: the job reports a metric per epoch for a while. The test
    // stops it once it has seen the chart grow, so the machine's speed sets no deadline.
    await client.sagemaker.send(new CreateTrainingJobCommand({
      TrainingJobName: 'dash-running',
      AlgorithmSpecification: { TrainingImage: LINEAR_LEARNER_IMAGE, TrainingInputMode: 'File' },
      RoleArn: ROLE,
      InputDataConfig: [channel('train', 's3://dash/train/', 'text/csv')],
      OutputDataConfig: { S3OutputPath: 's3://dash/output' },
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
      HyperParameters: { predictor_type: 'binary_classifier', feature_dim: '6', epochs: '5000', num_models: '1', mini_batch_size: '50', early_stopping_patience: '5000' },
    }));
    const { page, problems } = await open('#/training/dash-running');
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLElement>('#metrics .chart')].some((e) => Number(e.dataset.points) > 0), null, { timeout: 60_000 });
    const first = Math.max(...(await points(page)));
    const status = await client.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'dash-running' }));
    expect(status.TrainingJobStatus).toBe('InProgress');
    await page.waitForFunction((n) => [...document.querySelectorAll<HTMLElement>('#metrics .chart')].some((e) => Number(e.dataset.points) > n), first, { timeout: 60_000 });
    expect(Math.max(...(await points(page)))).toBeGreaterThan(first);
    for (const s of await chartSizes(page)) {
      expect(s.w).toBeGreaterThan(0);
      expect(s.h).toBeGreaterThan(0);
    }
    await expect.poll(() => page.textContent('#logs pre'), { timeout: 30_000 }).toMatch(/#quality_metric: host=algo-1, epoch=\d+/);
    expect(await page.textContent('#hyperparameters')).toContain('early_stopping_patience');
    expect(await page.textContent('#status')).toContain('Training');
    if (process.env.LOCALSAGE_DASHBOARD_SCREENSHOT) {
      mkdirSync(join(ROOT, 'docs'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: false });
    }
    await client.sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: 'dash-running' }));
    await expect.poll(() => page.textContent('h1'), { timeout: 60_000 }).toContain('Stopped');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a finished job links its artifact; lists, S3, endpoints and reports render with no error', async () => {
    const client = c();
    const data = separableBinary(600, 4, 9);
    await upload(client.s3, 'dash', 'small/data.csv', toCsv(data.x, data.y));
    const job = await trainAndWait(client.sagemaker, {
      name: 'dash-done',
      image: LINEAR_LEARNER_IMAGE,
      hyperParameters: { predictor_type: 'binary_classifier', feature_dim: '4', epochs: '4' },
      channels: [channel('train', 's3://dash/small/', 'text/csv')],
      output: 's3://dash/output',
    });
    expect(job.TrainingJobStatus).toBe('Completed');
    await deploy(client.sagemaker, 'dash-ep', LINEAR_LEARNER_IMAGE, job.ModelArtifacts!.S3ModelArtifacts!);

    const done = await open('#/training/dash-done');
    await done.page.waitForSelector('#artifact a[download]');
    const href = await done.page.getAttribute('#artifact a[download]', 'href');
    const artifact = await fetch(`${emu.url}${href}`);
    expect(artifact.status).toBe(200);
    expect((await artifact.arrayBuffer()).byteLength).toBeGreaterThan(0);
    await done.page.waitForFunction(() => document.querySelectorAll('#metrics .uplot').length > 0);
    expect(done.problems).toEqual([]);
    await done.page.close();

    const pages: [string, (p: Page) => Promise<void>][] = [
      ['#/training', async (p) => expect(await p.textContent('main')).toContain('dash-done')],
      ['#/endpoints', async (p) => expect(await p.textContent('main')).toContain('dash-ep')],
      ['#/endpoints/dash-ep', async (p) => {
        await p.waitForSelector('#variants table');
        expect(await p.textContent('#variants')).toContain('AllTraffic');
        // CloudWatch and Application Auto Scaling: either served or a clear "not available" panel.
        await p.waitForFunction(() => ['#cloudwatch', '#scaling', '#alarms'].every((id) => { const e = document.querySelector(id); return !!e && (e.querySelector('table, .uplot') || e.classList.contains('na')); }));
      }],
      ['#/tuning', async (p) => { await p.waitForSelector('#tuning-list table, .na'); }],
      ['#/s3', async (p) => expect(await p.textContent('#buckets')).toContain('dash')],
      ['#/s3/dash?prefix=output%2Fdash-done%2Foutput%2F', async (p) => {
        await p.waitForSelector('#objects a[download]');
        expect(await p.textContent('#objects')).toContain('model.tar.gz');
      }],
      ['#/reports', async (p) => expect(await p.textContent('#report-list')).toContain('seed-15000')],
      ['#/reports/seed-15000', async (p) => {
        const frame = p.frameLocator('iframe.report');
        await frame.locator('.uplot canvas').first().waitFor({ timeout: 30_000 });
      }],
    ];
    for (const [hash, check] of pages) {
      const { page, problems } = await open(hash);
      await check(page);
      for (const s of await chartSizes(page)) expect(s.w * s.h, hash).toBeGreaterThan(0);
      const shots = process.env.LOCALSAGE_DASHBOARD_SHOTS_DIR;
      if (shots) await page.screenshot({ path: join(shots, `${hash.replace(/[^a-z0-9-]+/gi, '_')}.png`), fullPage: true });
      expect(problems, hash).toEqual([]);
      await page.close();
    }
  });
});

describe('--no-dashboard', () => {
  it('leaves /_localsage/ to S3, where no such bucket can exist', async () => {
    const emu = await startEmulatorProcess({ args: ['--no-dashboard'] });
    try {
      const res = await fetch(`${emu.url}/_localsage/`);
      expect(res.headers.get('content-type')).toMatch(/xml/);
      expect(await res.text()).toMatch(/<Code>(InvalidBucketName|NoSuchBucket)<\/Code>/);
    } finally {
      await emu.stop();
      removeDir(emu.dataDir);
    }
  });
});
