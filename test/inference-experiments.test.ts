import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateInferenceExperimentCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DeleteEndpointCommand,
  DeleteInferenceExperimentCommand,
  DescribeInferenceExperimentCommand,
  ListInferenceExperimentsCommand,
  StartInferenceExperimentCommand,
  StopInferenceExperimentCommand,
  UpdateInferenceExperimentCommand,
  waitUntilEndpointInService,
  type CreateInferenceExperimentCommandInput,
  type DescribeInferenceExperimentCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, KMEANS_IMAGE, LINEAR_LEARNER_IMAGE, rejection, ROLE } from './helpers/clients.js';
import { plantedClusters, toCsv } from './helpers/data.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { channel, deploy, trainAndWait, trainBinaryOnSeparableData, upload } from './helpers/pipeline.js';

let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
let cw: CloudWatchClient;
let linearUrl: string;
const ARN = 'arn:aws:sagemaker:us-east-1:000000000000';
const ORDER = ['Creating', 'Created', 'Starting', 'Running', 'Stopping', 'Completed', 'Cancelled'];

beforeAll(async () => {
  emu = await startEmulatorProcess();
  c = clients(emu.url);
  cw = new CloudWatchClient({ endpoint: emu.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  const linear = await trainBinaryOnSeparableData(c, { bucket: 'shadow-tests', name: 'shadow-linear', rows: 200, features: 3, seed: 7, hyperParameters: { epochs: '2', num_models: '1' } });
  const data = plantedClusters(200, 3, 3, 4);
  const train = await upload(c.s3, 'shadow-tests', 'kmeans/train.csv', toCsv(data.x));
  const km = await trainAndWait(c.sagemaker, { name: 'shadow-kmeans', image: KMEANS_IMAGE, hyperParameters: { k: '3', feature_dim: '3' }, channels: [channel('train', train, 'text/csv')], output: 's3://shadow-tests/out' });
  // The endpoint serves the linear learner (model "shadowed", variant AllTraffic); k-means is the shadow.
  linearUrl = linear.job.ModelArtifacts!.S3ModelArtifacts!;
  await deploy(c.sagemaker, 'shadowed', LINEAR_LEARNER_IMAGE, linearUrl);
  await c.sagemaker.send(new CreateModelCommand({ ModelName: 'shadow-km', PrimaryContainer: { Image: KMEANS_IMAGE, ModelDataUrl: km.ModelArtifacts!.S3ModelArtifacts! }, ExecutionRoleArn: ROLE }));
}, 300_000);
afterAll(async () => {
  if (emu && emu.proc.exitCode !== null) console.error(emu.output());
  await emu?.stop();
});

function experiment(name: string, schedule?: { StartTime?: Date; EndTime?: Date }, sampling = 100): CreateInferenceExperimentCommandInput {
  const infra = { InfrastructureType: 'RealTimeInference' as const, RealTimeInferenceConfig: { InstanceType: 'ml.m5.large' as const, InstanceCount: 1 } };
  return {
    Name: name,
    Type: 'ShadowMode',
    RoleArn: ROLE,
    EndpointName: 'shadowed',
    Schedule: schedule,
    ModelVariants: [
      { ModelName: 'shadowed', VariantName: 'AllTraffic', InfrastructureConfig: infra },
      { ModelName: 'shadow-km', VariantName: 'Shadow', InfrastructureConfig: infra },
    ],
    ShadowModeConfig: { SourceModelVariantName: 'AllTraffic', ShadowModelVariants: [{ ShadowModelVariantName: 'Shadow', SamplingPercentage: sampling }] },
  };
}

/** Polls until the experiment reaches `status`, returning every status seen on the way. */
async function until(name: string, status: string): Promise<{ seen: string[]; last: DescribeInferenceExperimentCommandOutput }> {
  const seen: string[] = [];
  for (let i = 0; i < 1200; i++) {
    const last = await c.sagemaker.send(new DescribeInferenceExperimentCommand({ Name: name }));
    if (seen[seen.length - 1] !== last.Status) seen.push(last.Status!);
    if (last.Status === status) return { seen, last };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} never reached ${status}: saw ${seen.join(' -> ')}`);
}

const inOrder = (seen: string[]) => seen.every((s, i) => i === 0 || ORDER.indexOf(s) > ORDER.indexOf(seen[i - 1]));

async function invocations(variant: string, endpoint = 'shadowed'): Promise<number> {
  const out = await cw.send(
    new GetMetricStatisticsCommand({
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocations',
      Dimensions: [
        { Name: 'EndpointName', Value: endpoint },
        { Name: 'VariantName', Value: variant },
      ],
      StartTime: new Date(Date.now() - 86_400_000),
      EndTime: new Date(Date.now() + 86_400_000),
      Period: 86_400,
      Statistics: ['Sum'],
    }),
  );
  return out.Datapoints!.reduce((t, d) => t + (d.Sum ?? 0), 0);
}

async function invokeProduction(n: number): Promise<string[]> {
  const variants: string[] = [];
  for (let i = 0; i < n; i++) {
    const out = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'shadowed', Body: Buffer.from('0.5,-0.2,1.5'), ContentType: 'text/csv', Accept: 'application/json' }));
    variants.push(out.InvokedProductionVariant!);
    // The caller always gets the production model's answer, never the shadow's.
    expect(JSON.parse(Buffer.from(out.Body!).toString()).predictions[0]).toHaveProperty('predicted_label');
  }
  return variants;
}

async function shadowCountReaches(n: number, endpoint = 'shadowed'): Promise<number> {
  for (let i = 0; i < 300; i++) {
    const got = await invocations('Shadow', endpoint);
    if (got >= n) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
  return invocations('Shadow', endpoint);
}

describe('inference experiments (shadow tests)', () => {
  it('starts on its schedule, copies production requests to the shadow model for real, and stops on request', async () => {
    const start = new Date(Date.now() + 1500);
    const created = await c.sagemaker.send(new CreateInferenceExperimentCommand(experiment('exp-one', { StartTime: start, EndTime: new Date(start.getTime() + 3_600_000) })));
    expect(created.InferenceExperimentArn).toBe(`${ARN}:inference-experiment/exp-one`);
    const running = await until('exp-one', 'Running');
    expect(inOrder(running.seen)).toBe(true);
    expect(running.last).toMatchObject({
      Name: 'exp-one',
      Type: 'ShadowMode',
      RoleArn: ROLE,
      EndpointMetadata: { EndpointName: 'shadowed', EndpointConfigName: 'shadowed', EndpointStatus: 'InService' },
      ShadowModeConfig: { SourceModelVariantName: 'AllTraffic', ShadowModelVariants: [{ ShadowModelVariantName: 'Shadow', SamplingPercentage: 100 }] },
    });
    expect(running.last.Schedule!.StartTime!.getTime()).toBe(start.getTime());
    expect(running.last.ModelVariants!.map((v) => [v.VariantName, v.Status])).toEqual([
      ['AllTraffic', 'InService'],
      ['Shadow', 'InService'],
    ]);

    expect(new Set(await invokeProduction(12))).toEqual(new Set(['AllTraffic']));
    expect(await shadowCountReaches(12)).toBe(12);
    expect(await invocations('AllTraffic')).toBe(12);

    // Sampling at 0%: production answers, the shadow gets nothing more.
    await c.sagemaker.send(
      new UpdateInferenceExperimentCommand({ Name: 'exp-one', ShadowModeConfig: { SourceModelVariantName: 'AllTraffic', ShadowModelVariants: [{ ShadowModelVariantName: 'Shadow', SamplingPercentage: 0 }] } }),
    );
    await invokeProduction(5);
    expect(await invocations('AllTraffic')).toBe(17);
    // The update passes through Updating and returns to Running.
    await until('exp-one', 'Running');

    const promote = await rejection(c.sagemaker.send(new StopInferenceExperimentCommand({ Name: 'exp-one', ModelVariantActions: { AllTraffic: 'Promote' } })));
    expect([promote.name, promote.message]).toEqual(['ValidationException', 'The production variant "AllTraffic" cannot be promoted; only the shadow variant "Shadow" can.']);
    await c.sagemaker.send(new StopInferenceExperimentCommand({ Name: 'exp-one', ModelVariantActions: { Shadow: 'Remove', AllTraffic: 'Retain' }, DesiredState: 'Cancelled', Reason: 'seen enough' }));
    const cancelled = await until('exp-one', 'Cancelled');
    expect(inOrder(cancelled.seen)).toBe(true);
    expect(cancelled.last.StatusReason).toBe('seen enough');
    expect(cancelled.last.CompletionTime).toBeInstanceOf(Date);
    expect(cancelled.last.ModelVariants!.find((v) => v.VariantName === 'Shadow')!.Status).toBe('Deleted');
    await invokeProduction(3);
    expect(await invocations('Shadow')).toBe(12);

    const again = await rejection(c.sagemaker.send(new StartInferenceExperimentCommand({ Name: 'exp-one' })));
    expect([again.name, again.$metadata.httpStatusCode]).toEqual(['ConflictException', 400]);
  });

  it('completes at its EndTime, is started early by StartInferenceExperiment, lists and deletes', async () => {
    const later = new Date(Date.now() + 3_600_000);
    await c.sagemaker.send(new CreateInferenceExperimentCommand(experiment('exp-two', { StartTime: later, EndTime: new Date(later.getTime() + 3_600_000) })));
    // A second unfinished experiment on the same endpoint is refused.
    const busy = await rejection(c.sagemaker.send(new CreateInferenceExperimentCommand(experiment('exp-three'))));
    expect(busy.name).toBe('ResourceInUse');
    await until('exp-two', 'Created');
    await c.sagemaker.send(new StartInferenceExperimentCommand({ Name: 'exp-two' }));
    const running = await until('exp-two', 'Running');
    expect(running.last.Schedule!.StartTime!.getTime()).toBeLessThan(later.getTime());
    // Ending it a second from now: the emulator clock completes it.
    await c.sagemaker.send(new UpdateInferenceExperimentCommand({ Name: 'exp-two', Schedule: { EndTime: new Date(Date.now() + 1000) } }));
    const done = await until('exp-two', 'Completed');
    expect(done.last.ModelVariants!.find((v) => v.VariantName === 'Shadow')!.Status).toBe('Deleted');

    const listed = await c.sagemaker.send(new ListInferenceExperimentsCommand({ NameContains: 'exp-', Type: 'ShadowMode', SortBy: 'Name', SortOrder: 'Ascending' }));
    expect(listed.InferenceExperiments!.map((e) => [e.Name, e.Status])).toEqual([
      ['exp-one', 'Cancelled'],
      ['exp-two', 'Completed'],
    ]);
    const completed = await c.sagemaker.send(new ListInferenceExperimentsCommand({ StatusEquals: 'Completed' }));
    expect(completed.InferenceExperiments!.map((e) => e.Name)).toEqual(['exp-two']);

    expect((await c.sagemaker.send(new DeleteInferenceExperimentCommand({ Name: 'exp-two' }))).InferenceExperimentArn).toBe(`${ARN}:inference-experiment/exp-two`);
    const gone = await rejection(c.sagemaker.send(new DescribeInferenceExperimentCommand({ Name: 'exp-two' })));
    expect([gone.name, gone.$metadata.httpStatusCode, gone.message]).toEqual(['ResourceNotFound', 400, `Inference experiment ${ARN}:inference-experiment/exp-two does not exist.`]);
  });

  it('refuses what SageMaker refuses', async () => {
    const noEndpoint = await rejection(c.sagemaker.send(new CreateInferenceExperimentCommand({ ...experiment('bad'), EndpointName: 'nope' })));
    expect([noEndpoint.name, noEndpoint.message]).toEqual(['ValidationException', `Could not find endpoint "${ARN}:endpoint/nope".`]);
    const wrongSource = experiment('bad');
    wrongSource.ModelVariants![0].ModelName = 'shadow-km';
    expect((await rejection(c.sagemaker.send(new CreateInferenceExperimentCommand(wrongSource)))).name).toBe('ValidationException');
    const noModel = experiment('bad');
    noModel.ModelVariants![1].ModelName = 'missing';
    expect((await rejection(c.sagemaker.send(new CreateInferenceExperimentCommand(noModel)))).message).toBe(`Could not find model "${ARN}:model/missing".`);
    const backwards = await rejection(c.sagemaker.send(new CreateInferenceExperimentCommand(experiment('bad', { StartTime: new Date(Date.now() + 5000), EndTime: new Date() }))));
    expect(backwards.name).toBe('ValidationException');
    const taken = await rejection(c.sagemaker.send(new CreateInferenceExperimentCommand(experiment('exp-one'))));
    expect(taken.name).toBe('ResourceInUse');
    const missing = await rejection(c.sagemaker.send(new StopInferenceExperimentCommand({ Name: 'never', ModelVariantActions: { Shadow: 'Remove' } })));
    expect(missing.name).toBe('ResourceNotFound');
  });

  it('DeleteEndpoint cancels the shadow test running on it', async () => {
    await c.sagemaker.send(new CreateInferenceExperimentCommand(experiment('exp-four')));
    await until('exp-four', 'Running');
    await c.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'shadowed' }));
    const d = await c.sagemaker.send(new DescribeInferenceExperimentCommand({ Name: 'exp-four' }));
    expect([d.Status, d.StatusReason]).toEqual(['Cancelled', 'The endpoint "shadowed" was deleted.']);
  });

  it('an endpoint configuration with ShadowProductionVariants mirrors its production variant from the start', async () => {
    const shadowVariant = { VariantName: 'Shadow', ModelName: 'shadow-km', InstanceType: 'ml.m5.large' as const, InitialInstanceCount: 1, InitialVariantWeight: 1 };
    const production = { VariantName: 'AllTraffic', ModelName: 'shadowed', InstanceType: 'ml.m5.large' as const, InitialInstanceCount: 1 };
    const two = await rejection(
      c.sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: 'bad-shadow', ProductionVariants: [production, { ...production, VariantName: 'Other' }], ShadowProductionVariants: [shadowVariant] })),
    );
    expect([two.name, two.message]).toEqual(['ValidationException', 'If you use ShadowProductionVariants, you can only specify one variant for ProductionVariants and one variant for ShadowProductionVariants.']);
    const noModel = await rejection(c.sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: 'bad-shadow', ProductionVariants: [production], ShadowProductionVariants: [{ ...shadowVariant, ModelName: 'nope' }] })));
    expect(noModel.message).toBe(`Could not find model "${ARN}:model/nope".`);

    await c.sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: 'with-shadow', ProductionVariants: [production], ShadowProductionVariants: [shadowVariant] }));
    await c.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'with-shadow', EndpointConfigName: 'with-shadow' }));
    await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { EndpointName: 'with-shadow' });
    const ep = await c.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'with-shadow' }));
    expect(ep.ShadowProductionVariants!.map((v) => [v.VariantName, v.CurrentInstanceCount, v.DeployedImages![0].SpecifiedImage])).toEqual([['Shadow', 1, KMEANS_IMAGE]]);
    expect((await c.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'with-shadow' }))).ShadowProductionVariants![0].ModelName).toBe('shadow-km');

    for (let i = 0; i < 6; i++) {
      const out = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'with-shadow', Body: Buffer.from('0.5,-0.2,1.5'), ContentType: 'text/csv' }));
      expect(out.InvokedProductionVariant).toBe('AllTraffic');
    }
    // Equal weights: every request is copied to the shadow.
    expect(await shadowCountReaches(6, 'with-shadow')).toBe(6);
    // A shadow test cannot add a second shadow.
    const second = await rejection(c.sagemaker.send(new CreateInferenceExperimentCommand({ ...experiment('exp-five'), EndpointName: 'with-shadow' })));
    expect(second.name).toBe('ValidationException');
  });

  it('Stop with Promote makes the shadow the production variant through a new endpoint configuration', async () => {
    await deploy(c.sagemaker, 'promote-me', LINEAR_LEARNER_IMAGE, linearUrl);
    const input = experiment('exp-six');
    input.EndpointName = 'promote-me';
    input.ModelVariants![0].ModelName = 'promote-me';
    await c.sagemaker.send(new CreateInferenceExperimentCommand(input));
    await until('exp-six', 'Running');
    await c.sagemaker.send(new StopInferenceExperimentCommand({ Name: 'exp-six', ModelVariantActions: { AllTraffic: 'Remove', Shadow: 'Promote' } }));
    const done = await until('exp-six', 'Completed');
    expect(done.last.ModelVariants!.map((v) => [v.VariantName, v.Status])).toEqual([
      ['AllTraffic', 'Deleted'],
      ['Shadow', 'InService'],
    ]);
    await poll(() => c.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'promote-me' })), (ep) => ep.EndpointConfigName === 'exp-six-promoted' && ep.EndpointStatus === 'InService');
    const config = await c.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'exp-six-promoted' }));
    expect(config.ProductionVariants!.map((v) => [v.VariantName, v.ModelName, v.InstanceType, v.InitialInstanceCount])).toEqual([['Shadow', 'shadow-km', 'ml.m5.large', 1]]);
    // The k-means model now answers the endpoint's requests.
    const out = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'promote-me', Body: Buffer.from('0.5,-0.2,1.5'), ContentType: 'text/csv', Accept: 'application/json' }));
    expect(out.InvokedProductionVariant).toBe('Shadow');
    expect(JSON.parse(Buffer.from(out.Body!).toString()).predictions[0]).toHaveProperty('closest_cluster');
  });
});

async function poll<T>(read: () => Promise<T>, done: (t: T) => boolean): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const t = await read();
    if (done(t)) return t;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('gave up polling');
}
