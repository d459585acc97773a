import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateInferenceComponentCommand,
  CreateInferenceExperimentCommand,
  CreateModelCommand,
  DescribeInferenceComponentCommand,
  DescribeInferenceExperimentCommand,
  waitUntilEndpointInService,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, describe, expect, it } from 'vitest';
import { clients, LINEAR_LEARNER_IMAGE, ROLE } from './helpers/clients.js';
import { toCsv } from './helpers/data.js';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { deploy, trainBinaryOnSeparableData } from './helpers/pipeline.js';

let emu: EmulatorProcess | undefined;
afterAll(async () => {
  await emu?.stop();
  if (emu) removeDir(emu.dataDir);
});

async function poll<T>(what: string, read: () => Promise<T>, done: (t: T) => boolean): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const t = await read();
    if (done(t)) return t;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('inference components and shadow tests across a crash', () => {
  it('a component in service answers again, and a running shadow test keeps mirroring', async () => {
    emu = await startEmulatorProcess();
    let c = clients(emu.url);
    const { job, data } = await trainBinaryOnSeparableData(c, { bucket: 'ic-crash', name: 'ic-crash', rows: 300, features: 3, seed: 2, hyperParameters: { epochs: '2', num_models: '1' } });
    const url = job.ModelArtifacts!.S3ModelArtifacts!;
    await c.sagemaker.send(new CreateModelCommand({ ModelName: 'ic-model', PrimaryContainer: { Image: LINEAR_LEARNER_IMAGE, ModelDataUrl: url }, ExecutionRoleArn: ROLE }));
    await c.sagemaker.send(
      new CreateEndpointConfigCommand({ EndpointConfigName: 'hosts', ExecutionRoleArn: ROLE, ProductionVariants: [{ VariantName: 'AllTraffic', InstanceType: 'ml.m5.xlarge', InitialInstanceCount: 1 }] }),
    );
    await c.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'hosts', EndpointConfigName: 'hosts' }));
    await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { EndpointName: 'hosts' });
    await c.sagemaker.send(
      new CreateInferenceComponentCommand({
        InferenceComponentName: 'survivor',
        EndpointName: 'hosts',
        Specification: { ModelName: 'ic-model', ComputeResourceRequirements: { NumberOfCpuCoresRequired: 1, MinMemoryRequiredInMb: 512 } },
        RuntimeConfig: { CopyCount: 1 },
      }),
    );
    await poll('the component', () => c.sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: 'survivor' })), (d) => d.InferenceComponentStatus === 'InService');

    await deploy(c.sagemaker, 'watched', LINEAR_LEARNER_IMAGE, url);
    const infra = { InfrastructureType: 'RealTimeInference' as const, RealTimeInferenceConfig: { InstanceType: 'ml.m5.large' as const, InstanceCount: 1 } };
    await c.sagemaker.send(
      new CreateInferenceExperimentCommand({
        Name: 'survives',
        Type: 'ShadowMode',
        RoleArn: ROLE,
        EndpointName: 'watched',
        ModelVariants: [
          { ModelName: 'watched', VariantName: 'AllTraffic', InfrastructureConfig: infra },
          { ModelName: 'ic-model', VariantName: 'Shadow', InfrastructureConfig: infra },
        ],
        ShadowModeConfig: { SourceModelVariantName: 'AllTraffic', ShadowModelVariants: [{ ShadowModelVariantName: 'Shadow', SamplingPercentage: 100 }] },
      }),
    );
    await poll('the experiment', () => c.sagemaker.send(new DescribeInferenceExperimentCommand({ Name: 'survives' })), (d) => d.Status === 'Running');

    const ask = () =>
      c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'hosts', InferenceComponentName: 'survivor', Body: Buffer.from(toCsv(data.x.slice(0, 20))), ContentType: 'text/csv', Accept: 'application/json' }));
    const before = JSON.parse(Buffer.from((await ask()).Body!).toString()).predictions;

    await emu.kill();
    emu = await startEmulatorProcess({ dataDir: emu.dataDir });
    c = clients(emu.url);
    expect((await c.sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: 'survivor' }))).InferenceComponentStatus).toBe('InService');
    // The same trained model answers, reloaded from its artifact.
    const out = await poll('the component to answer', () => ask().catch(() => undefined), (o) => o !== undefined);
    expect(JSON.parse(Buffer.from(out!.Body!).toString()).predictions).toEqual(before);
    expect(before).toHaveLength(20);

    expect((await c.sagemaker.send(new DescribeInferenceExperimentCommand({ Name: 'survives' }))).Status).toBe('Running');
    const cw = new CloudWatchClient({ endpoint: emu.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    const shadowCount = async () =>
      (
        await cw.send(
          new GetMetricStatisticsCommand({
            Namespace: 'AWS/SageMaker',
            MetricName: 'Invocations',
            Dimensions: [
              { Name: 'EndpointName', Value: 'watched' },
              { Name: 'VariantName', Value: 'Shadow' },
            ],
            StartTime: new Date(Date.now() - 86_400_000),
            EndTime: new Date(Date.now() + 86_400_000),
            Period: 86_400,
            Statistics: ['Sum'],
          }),
        )
      ).Datapoints!.reduce((t, d) => t + (d.Sum ?? 0), 0);
    // The shadow's model loads again after the restart; from then on each request is mirrored.
    await poll(
      'a mirrored request',
      async () => {
        await c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'watched', Body: Buffer.from('0.1,0.2,0.3'), ContentType: 'text/csv' }));
        return shadowCount();
      },
      (n) => n > 0,
    );
  }, 180_000);
});
