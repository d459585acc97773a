/**
 * The dashboard's tuning and endpoint pages over the services that fill them: hyperparameter
 * tuning (DescribeHyperParameterTuningJob, ListTrainingJobsForHyperParameterTuningJob), CloudWatch
 * (GetMetricData, DescribeAlarms) and Application Auto Scaling (DescribeScalingActivities). Each
 * part probes its operations through the AWS SDK first and skips, saying why, where the emulator
 * does not serve them; the pages' "not available" panels are checked in dashboard.test.ts.
 *
 * The emulator plays realistic timing 60 times faster, so CloudWatch minutes pass in a second
 * and target tracking acts within the test. Not faster: the endpoint page charts the last
 * emulator hour, and every invocation the test sends must still be inside it when the chart is
 * read (an hour is one real minute here; at 120x it was 30 s, which a loaded CI machine can use up).
 */
import {
  DescribeScalingActivitiesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateHyperParameterTuningJobCommand,
  DescribeHyperParameterTuningJobCommand,
  ListHyperParameterTuningJobsCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scalingClients, until, variantIds } from './helpers/autoscaling.js';
import { clients, LINEAR_LEARNER_IMAGE, ROLE } from './helpers/clients.js';
import { chartPoints, chartSizes, hasChromium, launchChromium, openDashboard } from './helpers/dashboard-browser.js';
import { separableBinary, toCsv } from './helpers/data.js';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { channel, deploy, ensureBucket, trainAndWait, upload } from './helpers/pipeline.js';

const NOT_SERVED = new Set(['UnknownOperationException', 'NotImplemented', 'InvalidAction', 'UnrecognizedClientException']);

/** Why an operation cannot be used here, or undefined when the emulator serves it. */
async function notServed(call: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await call();
    return undefined;
  } catch (e) {
    const err = e as Error;
    if (NOT_SERVED.has(err.name)) return `${err.name}: ${err.message}`;
    throw e;
  }
}

/** Full-page screenshots for a person to look at, when LOCALSAGE_DASHBOARD_SHOTS_DIR names a folder. */
async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.LOCALSAGE_DASHBOARD_SHOTS_DIR;
  if (dir) await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

describe.skipIf(!hasChromium)('dashboard pages over tuning, CloudWatch and Application Auto Scaling', () => {
  let emu: EmulatorProcess;
  let browser: Browser;
  let c: ReturnType<typeof clients>;

  beforeAll(async () => {
    emu = await startEmulatorProcess({ args: ['--timing', 'realistic', '--clock-scale', '60'] });
    c = clients(emu.url);
    browser = await launchChromium();
    await ensureBucket(c.s3, 'dash-svc');
    const data = separableBinary(400, 4, 5);
    await upload(c.s3, 'dash-svc', 'train/data.csv', toCsv(data.x.slice(0, 300), data.y.slice(0, 300)));
    await upload(c.s3, 'dash-svc', 'validation/data.csv', toCsv(data.x.slice(300), data.y.slice(300)));
  });
  afterAll(async () => {
    await browser?.close();
    await emu?.stop();
    if (emu) removeDir(emu.dataDir);
  });

  it('tuning: leaderboard by objective, objective over time, each hyperparameter against the objective', async (ctx) => {
    const why = await notServed(() => c.sagemaker.send(new ListHyperParameterTuningJobsCommand({})));
    if (why) {
      console.warn(`SKIPPED dashboard tuning page: the emulator does not serve tuning (${why})`);
      ctx.skip();
      return;
    }
    const name = 'dash-tune';
    await c.sagemaker.send(new CreateHyperParameterTuningJobCommand({
      HyperParameterTuningJobName: name,
      HyperParameterTuningJobConfig: {
        Strategy: 'Random',
        HyperParameterTuningJobObjective: { Type: 'Minimize', MetricName: 'validation:objective_loss' },
        ResourceLimits: { MaxNumberOfTrainingJobs: 4, MaxParallelTrainingJobs: 2 },
        ParameterRanges: {
          ContinuousParameterRanges: [{ Name: 'learning_rate', MinValue: '0.001', MaxValue: '0.5', ScalingType: 'Logarithmic' }],
          IntegerParameterRanges: [{ Name: 'mini_batch_size', MinValue: '10', MaxValue: '100', ScalingType: 'Linear' }],
          CategoricalParameterRanges: [{ Name: 'use_bias', Values: ['true', 'false'] }],
        },
        RandomSeed: 7,
      },
      TrainingJobDefinition: {
        AlgorithmSpecification: { TrainingImage: LINEAR_LEARNER_IMAGE, TrainingInputMode: 'File' },
        RoleArn: ROLE,
        InputDataConfig: [channel('train', 's3://dash-svc/train/', 'text/csv'), channel('validation', 's3://dash-svc/validation/', 'text/csv')],
        OutputDataConfig: { S3OutputPath: 's3://dash-svc/tuning-out' },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
        StoppingCondition: { MaxRuntimeInSeconds: 3600 },
        StaticHyperParameters: { predictor_type: 'binary_classifier', feature_dim: '4', epochs: '3' },
      },
    }));
    const { page, problems } = await openDashboard(browser, emu.url, `#/tuning/${name}`);
    const done = await until('the tuning job to end', () => c.sagemaker.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name })), (d) => !['InProgress', 'Stopping'].includes(d.HyperParameterTuningJobStatus!), 180_000);
    expect(done.HyperParameterTuningJobStatus).toBe('Completed');
    await page.waitForSelector('#tuning-summary .badge.Completed', { timeout: 30_000 });
    const ranked = done.ObjectiveStatusCounters!.Succeeded!;
    await page.waitForFunction((n) => [...document.querySelectorAll('#leaderboard tbody tr td:first-child')].filter((t) => t.textContent !== '–').length === n, ranked, { timeout: 30_000 });
    expect(await page.$$('#leaderboard tbody tr')).toHaveLength(4);
    // Rank 1 is the service's BestTrainingJob.
    const first = await page.$$eval('#leaderboard tbody tr:first-child td', (tds) => tds.map((t) => t.textContent));
    expect(first[0]).toBe('1');
    expect(first[1]).toBe(done.BestTrainingJob!.TrainingJobName);
    expect(Number(first[3])).toBeCloseTo(done.BestTrainingJob!.FinalHyperParameterTuningJobObjectiveMetric!.Value!, 3);
    const scored = ranked;
    await page.waitForFunction((n) => Number((document.querySelector('#objective-over-time .chart') as HTMLElement)?.dataset.points) === n, scored, { timeout: 30_000 });
    for (const hp of ['learning_rate', 'mini_batch_size', 'use_bias']) {
      const pts = await chartPoints(page, `[data-hyperparameter="${hp}"] .chart`);
      expect(pts, hp).toEqual([scored]);
    }
    for (const s of await chartSizes(page)) expect(s.w * s.h).toBeGreaterThan(0);
    await screenshot(page, 'tuning-job');
    const list = await openDashboard(browser, emu.url, '#/tuning');
    await list.page.waitForSelector('#tuning-list table');
    expect(await list.page.textContent('#tuning-list')).toContain(name);
    expect([...problems, ...list.problems]).toEqual([]);
    await page.close();
    await list.page.close();
  });

  it('endpoint: per-minute invocations from CloudWatch, scaling activities and the alarms that drove them', async (ctx) => {
    const { aas, cw } = scalingClients(emu.url);
    const why =
      (await notServed(() => cw.send(new DescribeAlarmsCommand({})))) ??
      (await notServed(() => aas.send(new DescribeScalingActivitiesCommand({ ServiceNamespace: 'sagemaker' }))));
    if (why) {
      console.warn(`SKIPPED dashboard endpoint metrics and scaling: ${why}`);
      ctx.skip();
      return;
    }
    const job = await trainAndWait(c.sagemaker, {
      name: 'dash-svc-job',
      image: LINEAR_LEARNER_IMAGE,
      hyperParameters: { predictor_type: 'binary_classifier', feature_dim: '4', epochs: '3' },
      channels: [channel('train', 's3://dash-svc/train/', 'text/csv')],
      output: 's3://dash-svc/output',
    });
    const ep = 'dash-svc-ep';
    await deploy(c.sagemaker, ep, LINEAR_LEARNER_IMAGE, job.ModelArtifacts!.S3ModelArtifacts!);
    const ids = variantIds(ep);
    await aas.send(new RegisterScalableTargetCommand({ ...ids, MinCapacity: 1, MaxCapacity: 3 }));
    await aas.send(new PutScalingPolicyCommand({
      ...ids,
      PolicyName: 'per-instance-10',
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 10, PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' } },
    }));
    // Load until target tracking scales out (each emulator minute is a second of wall time).
    let running = true;
    let sent = 0;
    const load = Promise.all(Array.from({ length: 3 }, async () => {
      while (running) {
        sent++;
        await c.runtime.send(new InvokeEndpointCommand({ EndpointName: ep, Body: Buffer.from('0.1,0.2,0.3,0.4'), ContentType: 'text/csv' }));
      }
    }));
    try {
      await until('a scale-out activity', () => aas.send(new DescribeScalingActivitiesCommand(ids)), (a) => (a.ScalingActivities ?? []).length > 0, 180_000);
    } finally {
      running = false;
      await load;
    }
    const { page, problems } = await openDashboard(browser, emu.url, `#/endpoints/${ep}`);
    await page.waitForSelector('#variants table');
    // Invocations per minute: the chart's first series (Invocations) adds up to what was sent,
    // once every minute it covers has been flushed.
    await page.waitForFunction((n) => Number((document.querySelector('#cloudwatch .chart') as HTMLElement)?.dataset.sum) === n, sent, { timeout: 60_000 });
    await page.waitForSelector('#scaling table tbody tr td .badge');
    expect(await page.textContent('#scaling')).toMatch(/Setting desired instance count to [23]\./);
    expect(Math.max(...(await chartPoints(page, '#scaling .chart')))).toBeGreaterThan(0);
    await page.waitForSelector('#alarms table');
    expect(await page.textContent('#alarms')).toContain(`TargetTracking-endpoint/${ep}/variant/AllTraffic-AlarmHigh`);
    for (const s of await chartSizes(page)) expect(s.w * s.h).toBeGreaterThan(0);
    await screenshot(page, 'endpoint');
    expect(problems).toEqual([]);
    await page.close();
  });
});
