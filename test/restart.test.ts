import { GetObjectCommand } from '@aws-sdk/client-s3';
import { CreateTrainingJobCommand, DescribeEndpointCommand, DescribeTrainingJobCommand, ListModelsCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { clients, LINEAR_LEARNER_IMAGE, ROLE } from './helpers/clients.js';
import { separableBinary, toCsv } from './helpers/data.js';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { channel, deploy, upload, trainBinaryOnSeparableData } from './helpers/pipeline.js';

const running: EmulatorProcess[] = [];
afterAll(async () => {
  for (const e of running) await e.stop();
  if (running[0]) removeDir(running[0].dataDir);
});

describe('restart', () => {
  it('a killed emulator comes back with every resource; interrupted jobs end Failed; endpoints serve again', async () => {
    const first = await startEmulatorProcess();
    running.push(first);
    let c = clients(first.url);
    const { data, job } = await trainBinaryOnSeparableData(c, {
      bucket: 'durable',
      name: 'before-restart',
      rows: 600,
      features: 4,
      seed: 17,
      hyperParameters: { epochs: '3', num_models: '2' },
    });
    await deploy(c.sagemaker, 'durable-ep', LINEAR_LEARNER_IMAGE, job.ModelArtifacts!.S3ModelArtifacts!);
    const row = toCsv([data.x[0]]);
    const before = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'durable-ep', Body: Buffer.from(row), ContentType: 'text/csv' }));

    // A long job, killed mid-run.
    const big = separableBinary(20000, 4, 18);
    await upload(c.s3, 'durable', 'big/data.csv', toCsv(big.x, big.y));
    await c.sagemaker.send(
      new CreateTrainingJobCommand({
        TrainingJobName: 'interrupted',
        AlgorithmSpecification: { TrainingImage: LINEAR_LEARNER_IMAGE, TrainingInputMode: 'File' },
        RoleArn: ROLE,
        InputDataConfig: [channel('train', 's3://durable/big/', 'text/csv')],
        OutputDataConfig: { S3OutputPath: 's3://durable/out' },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
        HyperParameters: { predictor_type: 'binary_classifier', feature_dim: '4', epochs: '500', mini_batch_size: '10' },
      }),
    );
    for (let i = 0; i < 100; i++) {
      if ((await c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'interrupted' }))).SecondaryStatus === 'Training') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await first.kill();

    const second = await startEmulatorProcess({ dataDir: first.dataDir });
    running.push(second);
    c = clients(second.url);
    const interrupted = await c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'interrupted' }));
    expect(interrupted.TrainingJobStatus).toBe('Failed');
    expect(interrupted.FailureReason).toMatch(/restart/);
    const done = await c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'before-restart' }));
    expect(done.TrainingJobStatus).toBe('Completed');
    expect(done.FinalMetricDataList).toEqual(job.FinalMetricDataList);
    expect((await c.sagemaker.send(new ListModelsCommand({}))).Models!.map((m) => m.ModelName)).toEqual(['durable-ep']);
    expect((await c.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'durable-ep' }))).EndpointStatus).toBe('InService');
    const after = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'durable-ep', Body: Buffer.from(row), ContentType: 'text/csv' }));
    expect(Buffer.from(after.Body!).toString()).toBe(Buffer.from(before.Body!).toString());
    const obj = await c.s3.send(new GetObjectCommand({ Bucket: 'durable', Key: 'train/data.csv' }));
    expect(await obj.Body!.transformToString()).toBe(toCsv(data.x, data.y));
  });
});
