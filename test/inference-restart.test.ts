import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, CreateTransformJobCommand, DescribeTransformJobCommand, waitUntilEndpointInService } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointAsyncCommand } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { clients, LINEAR_LEARNER_IMAGE, ROLE } from './helpers/clients.js';
import { separableBinary } from './helpers/data.js';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { trainBinaryOnSeparableData, upload } from './helpers/pipeline.js';

let emu: EmulatorProcess | undefined;
afterAll(async () => {
  await emu?.stop();
  if (emu) removeDir(emu.dataDir);
});

describe('batch and asynchronous inference across a restart', () => {
  it('a job the emulator was running when it died ends Failed, saying why', async () => {
    // Realistic timing: the job is still starting its instances (minutes) when the process is killed.
    emu = await startEmulatorProcess({ args: ['--timing', 'realistic'] });
    let c = clients(emu.url);
    await c.sagemaker.send(new CreateModelCommand({ ModelName: 'm', PrimaryContainer: { Image: LINEAR_LEARNER_IMAGE, ModelDataUrl: 's3://none/model.tar.gz' }, ExecutionRoleArn: ROLE }));
    await c.sagemaker.send(
      new CreateTransformJobCommand({
        TransformJobName: 'interrupted',
        ModelName: 'm',
        TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://none/in/' } } },
        TransformOutput: { S3OutputPath: 's3://none/out' },
        TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
      }),
    );
    expect((await c.sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: 'interrupted' }))).TransformJobStatus).toBe('InProgress');
    await emu.kill();
    emu = await startEmulatorProcess({ dataDir: emu.dataDir });
    c = clients(emu.url);
    const job = await c.sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: 'interrupted' }));
    expect(job.TransformJobStatus).toBe('Failed');
    expect(job.FailureReason).toMatch(/^InternalServerError: .*restarted/);
  }, 120_000);

  it('asynchronous requests accepted before a crash are answered after the restart', async () => {
    if (emu) {
      await emu.stop();
      removeDir(emu.dataDir);
    }
    emu = await startEmulatorProcess();
    let c = clients(emu.url);
    const { job } = await trainBinaryOnSeparableData(c, { bucket: 'crash', name: 'crash-train', rows: 300, features: 3, seed: 8, hyperParameters: { epochs: '1', num_models: '1' } });
    await c.sagemaker.send(new CreateModelCommand({ ModelName: 'm', PrimaryContainer: { Image: LINEAR_LEARNER_IMAGE, ModelDataUrl: job.ModelArtifacts!.S3ModelArtifacts! }, ExecutionRoleArn: ROLE }));
    await c.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'a',
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'm', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
        AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://crash/out' }, ClientConfig: { MaxConcurrentInvocationsPerInstance: 1 } },
      }),
    );
    await c.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'a', EndpointConfigName: 'a' }));
    await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { EndpointName: 'a' });
    const input = await upload(c.s3, 'crash', 'in/rows.csv', separableBinary(20_000, 3, 1).x.map((r) => r.join(',')).join('\n'));
    // One instance, one request at a time: the second waits behind the first (which starts the model's worker).
    const sent = [];
    for (let i = 0; i < 2; i++) sent.push(await c.runtime.send(new InvokeEndpointAsyncCommand({ EndpointName: 'a', InputLocation: input, ContentType: 'text/csv' })));
    const keyOf = (uri: string) => uri.replace('s3://crash/', '');
    const answeredBefore = await c.s3.send(new HeadObjectCommand({ Bucket: 'crash', Key: keyOf(sent[1].OutputLocation!) })).then(() => true, () => false);
    await emu.kill();
    emu = await startEmulatorProcess({ dataDir: emu.dataDir });
    c = clients(emu.url);
    for (const s of sent) {
      let found = false;
      for (let i = 0; i < 300 && !found; i++) {
        found = await c.s3.send(new HeadObjectCommand({ Bucket: 'crash', Key: keyOf(s.OutputLocation!) })).then(() => true, () => false);
        if (!found) await new Promise((r) => setTimeout(r, 100));
      }
      expect(found, `${s.OutputLocation} after the restart`).toBe(true);
    }
    // What this test is about: the second request had not been answered when the process died.
    expect(answeredBefore).toBe(false);
  }, 240_000);
});
