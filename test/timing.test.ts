import { DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, LINEAR_LEARNER_IMAGE } from './helpers/clients.js';

import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { deploy, trainBinaryOnSeparableData } from './helpers/pipeline.js';

/**
 * The realistic timing profile on a clock running 600 times faster than wall time: a 6-minute
 * endpoint creation takes 0.6 s here and still reads 6 minutes in the resource's timestamps.
 */
let emu: EmulatorProcess;
beforeAll(async () => {
  emu = await startEmulatorProcess({ args: ['--timing', 'realistic', '--clock-scale', '600'] });
});
afterAll(async () => {
  await emu?.stop();
});

describe('realistic timing on a scaled clock', () => {
  it('spends AWS-like durations in each state, measured in emulator time', async () => {
    const c = clients(emu.url);
    const { job } = await trainBinaryOnSeparableData(c, { bucket: 'timing', name: 'timed', rows: 300, features: 3, seed: 2, hyperParameters: { epochs: '2', num_models: '1' } });
    expect(job.TrainingJobStatus).toBe('Completed');
    const seconds = (status: string) => {
      const t = job.SecondaryStatusTransitions!.find((x) => x.Status === status)!;
      return (t.EndTime!.getTime() - t.StartTime!.getTime()) / 1000;
    };
    expect(seconds('Starting')).toBeGreaterThanOrEqual(90);
    expect(seconds('Downloading')).toBeGreaterThanOrEqual(20);
    expect(seconds('Uploading')).toBeGreaterThanOrEqual(10);
    expect(job.BillableTimeInSeconds).toBeGreaterThanOrEqual(30);

    const wallBefore = Date.now();
    await deploy(c.sagemaker, 'timed', LINEAR_LEARNER_IMAGE, job.ModelArtifacts!.S3ModelArtifacts!);
    const wallAfter = Date.now();
    const ep = await c.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'timed' }));
    const creating = (ep.LastModifiedTime!.getTime() - ep.CreationTime!.getTime()) / 1000;
    expect(creating).toBeGreaterThanOrEqual(360);
    // Measured in emulator time: no more than the wall time this test saw the deployment take,
    // scaled 600 times (no fixed slack: model loading runs alongside the 6 minutes and a loaded
    // machine may stretch it past them).
    expect(creating).toBeLessThanOrEqual(((wallAfter - wallBefore) * 600) / 1000);
  });
});
