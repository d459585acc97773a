/**
 * Deployment guardrails, performed: UpdateEndpoint's blue/green (canary, linear) and rolling
 * deployments and UpdateInferenceComponent's rolling deployment, through the JS SDK (SageMaker,
 * SageMaker Runtime, CloudWatch) against an emulator whose realistic timing profile runs 120
 * times faster (--clock-scale 120: a 1200 s baking period is 10 s of wall time). Two
 * linear-learner models trained on different data tell the fleets apart: each answers the same
 * request with its own score. Nothing asserts how fast anything happens; the tests poll for
 * states, and count traffic shares only over runs of requests that started and ended inside
 * the same step (the same VariantStatus StartTime before and after).
 */
import { DeleteAlarmsCommand, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateInferenceComponentCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  DescribeInferenceComponentCommand,
  UpdateEndpointCommand,
  UpdateInferenceComponentCommand,
  waitUntilEndpointInService,
  type DeploymentConfig,
  type DescribeEndpointCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scalingClients, startScalingEmulator, until } from './helpers/autoscaling.js';
import { clients, LINEAR_LEARNER_IMAGE, rejection, ROLE } from './helpers/clients.js';
import { removeDir, type EmulatorProcess } from './helpers/emulator-process.js';
import { trainBinaryOnSeparableData } from './helpers/pipeline.js';

let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
let s: ReturnType<typeof scalingClients>;
let blueScore: number;
let greenScore: number;
const BODY = '0.7,-1.3,2.1';

beforeAll(async () => {
  let blueUrl: string;
  ({ emu, c, s, modelUrl: blueUrl } = await startScalingEmulator(['--timing', 'realistic', '--clock-scale', '120'], { bucket: 'guardrails', name: 'guardrails-blue', seed: 5 }));
  const green = await trainBinaryOnSeparableData(c, { bucket: 'guardrails', name: 'guardrails-green', rows: 200, features: 3, seed: 23, hyperParameters: { epochs: '1', num_models: '1' } });
  for (const [name, url] of [
    ['blue', blueUrl],
    ['green', green.job.ModelArtifacts!.S3ModelArtifacts!],
  ]) {
    await c.sagemaker.send(new CreateModelCommand({ ModelName: name, PrimaryContainer: { Image: LINEAR_LEARNER_IMAGE, ModelDataUrl: url }, ExecutionRoleArn: ROLE }));
  }
  await endpoint('scores', 'blue', 1);
  blueScore = await score('scores');
  await c.sagemaker.send(new UpdateEndpointCommand({ EndpointName: 'scores', EndpointConfigName: await config('scores-green', 'green', 1) }));
  await until('scores on green', () => describe_('scores'), (d) => d.EndpointStatus === 'InService' && d.EndpointConfigName === 'scores-green');
  greenScore = await score('scores');
}, 300_000);
afterAll(async () => {
  if (emu && emu.proc.exitCode !== null) console.error(emu.output());
  await emu?.stop();
  if (emu) removeDir(emu.dataDir);
});

const describe_ = (name: string) => c.sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));

async function config(name: string, model: string, instances: number): Promise<string> {
  await c.sagemaker.send(
    new CreateEndpointConfigCommand({ EndpointConfigName: name, ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: model, InitialInstanceCount: instances, InstanceType: 'ml.m5.large' }] }),
  );
  return name;
}

async function endpoint(name: string, model: string, instances: number): Promise<void> {
  await c.sagemaker.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: await config(`${name}-${model}`, model, instances) }));
  await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { EndpointName: name });
}

async function score(endpointName: string, component?: string): Promise<number> {
  const out = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: endpointName, InferenceComponentName: component, Body: Buffer.from(BODY), ContentType: 'text/csv', Accept: 'application/json' }));
  return JSON.parse(Buffer.from(out.Body!).toString()).predictions[0].score;
}

/** Which model answered each of `n` requests sent one after the other. */
async function fleets(endpointName: string, n: number, component?: string): Promise<{ blue: number; green: number }> {
  const seen = { blue: 0, green: 0 };
  for (let i = 0; i < n; i++) {
    const s = await score(endpointName, component);
    if (s === blueScore) seen.blue++;
    else if (s === greenScore) seen.green++;
    else throw new Error(`a score of neither model: ${s}`);
  }
  return seen;
}

const pendingStage = (d: DescribeEndpointCommandOutput) => d.PendingDeploymentSummary?.ProductionVariants?.[0].VariantStatus?.[0];

/**
 * Requests sent while the deployment stays in one Baking step (the same StartTime before and
 * after): the answers of that step, or undefined when the step changed meanwhile.
 */
async function duringStep(name: string, n: number, accept: (d: DescribeEndpointCommandOutput) => boolean) {
  const before = await describe_(name);
  const stage = pendingStage(before);
  if (stage?.Status !== 'Baking' || !accept(before)) return undefined;
  const seen = await fleets(name, n);
  const after = await describe_(name);
  const still = pendingStage(after);
  if (still?.Status !== 'Baking' || still.StartTime?.getTime() !== stage.StartTime?.getTime() || !accept(after)) return undefined;
  return { seen, startedAt: stage.StartTime!.getTime(), during: after };
}

async function alarm(name: string): Promise<void> {
  await s.cw.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocation5XXErrors',
      Dimensions: [
        { Name: 'EndpointName', Value: name },
        { Name: 'VariantName', Value: 'AllTraffic' },
      ],
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    }),
  );
}

describe('blue/green deployments', () => {
  it('canary: the green fleet starts, takes the canary share, then all traffic, and replaces the blue fleet', async () => {
    expect(greenScore).not.toBe(blueScore);
    await endpoint('canary', 'blue', 4);
    await config('canary-next', 'green', 4);
    await alarm('canary');
    const dc: DeploymentConfig = {
      BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'INSTANCE_COUNT', Value: 1 }, WaitIntervalInSeconds: 1200 },
        TerminationWaitInSeconds: 120,
        MaximumExecutionTimeoutInSeconds: 7200,
      },
      AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'canary' }] },
    };
    await c.sagemaker.send(new UpdateEndpointCommand({ EndpointName: 'canary', EndpointConfigName: 'canary-next', DeploymentConfig: dc }));
    const updating = await describe_('canary');
    expect(updating.EndpointStatus).toBe('Updating');
    expect(updating.EndpointConfigName).toBe('canary-blue');
    expect(updating.PendingDeploymentSummary?.EndpointConfigName).toBe('canary-next');
    expect(updating.PendingDeploymentSummary?.ProductionVariants?.[0]).toMatchObject({ VariantName: 'AllTraffic', DesiredInstanceCount: 4, InstanceType: 'ml.m5.large' });

    // The canary step: 1 of 4 instances, a quarter of the requests, exactly, over any 8 in a row.
    let canary: Awaited<ReturnType<typeof duringStep>>;
    await until('8 requests inside the canary step', async () => (canary = await duringStep('canary', 8, () => true)), (v) => v !== undefined);
    expect(canary!.seen).toEqual({ blue: 6, green: 2 });
    expect(canary!.during.EndpointConfigName).toBe('canary-blue');
    // The final baking period: a later step, all traffic on the green fleet, the blue one still there.
    const final = await until(
      '8 requests inside the final baking period',
      () => duringStep('canary', 8, (d) => pendingStage(d)!.StartTime!.getTime() > canary!.startedAt),
      (v) => v !== undefined,
    );
    expect(final!.seen).toEqual({ blue: 0, green: 8 });

    const done = await until('InService on the new configuration', () => describe_('canary'), (d) => d.EndpointStatus === 'InService');
    expect(done.EndpointConfigName).toBe('canary-next');
    expect(done.FailureReason).toBeUndefined();
    expect(done.PendingDeploymentSummary).toBeUndefined();
    expect(done.LastDeploymentConfig).toEqual(dc);
    expect(done.ProductionVariants?.[0]).toMatchObject({ VariantName: 'AllTraffic', CurrentInstanceCount: 4, DesiredInstanceCount: 4 });
    expect(await fleets('canary', 6)).toEqual({ blue: 0, green: 6 });
  }, 180_000);

  it('an alarm in ALARM during a baking period rolls traffic back: InService on the old configuration', async () => {
    await endpoint('rollback', 'blue', 2);
    await config('rollback-next', 'green', 2);
    await alarm('rollback');
    const dc: DeploymentConfig = {
      BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'LINEAR', LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 50 }, WaitIntervalInSeconds: 1200 } },
      AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'rollback' }] },
    };
    await c.sagemaker.send(new UpdateEndpointCommand({ EndpointName: 'rollback', EndpointConfigName: 'rollback-next', DeploymentConfig: dc }));
    // Half the traffic on the green fleet in the first linear step.
    const first = await until('4 requests inside the first linear step', () => duringStep('rollback', 4, () => true), (v) => v !== undefined);
    expect(first!.seen).toEqual({ blue: 2, green: 2 });
    await s.cw.send(new SetAlarmStateCommand({ AlarmName: 'rollback', StateValue: 'ALARM', StateReason: 'testing the rollback' }));
    const back = await until('rolled back', () => describe_('rollback'), (d) => d.EndpointStatus !== 'Updating');
    expect(back.EndpointStatus).toBe('InService');
    expect(back.EndpointConfigName).toBe('rollback-blue');
    expect(back.FailureReason).toMatch(/rolled back.*alarm.*\[rollback\]/);
    expect(back.LastDeploymentConfig).toEqual(dc);
    expect(back.PendingDeploymentSummary).toBeUndefined();
    expect(back.ProductionVariants?.[0]).toMatchObject({ CurrentInstanceCount: 2 });
    expect(await fleets('rollback', 6)).toEqual({ blue: 6, green: 0 });
    await s.cw.send(new DeleteAlarmsCommand({ AlarmNames: ['rollback'] }));
  }, 180_000);

  it('MaximumExecutionTimeoutInSeconds passing rolls the deployment back', async () => {
    await endpoint('timeout', 'blue', 2);
    await config('timeout-next', 'green', 2);
    // Ten linear steps of 300 s cannot finish in 600 s.
    const dc: DeploymentConfig = {
      BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration: { Type: 'LINEAR', LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 10 }, WaitIntervalInSeconds: 300 },
        MaximumExecutionTimeoutInSeconds: 600,
      },
    };
    await c.sagemaker.send(new UpdateEndpointCommand({ EndpointName: 'timeout', EndpointConfigName: 'timeout-next', DeploymentConfig: dc }));
    const back = await until('rolled back', () => describe_('timeout'), (d) => d.EndpointStatus !== 'Updating');
    expect(back.EndpointStatus).toBe('InService');
    expect(back.EndpointConfigName).toBe('timeout-blue');
    expect(back.FailureReason).toMatch(/MaximumExecutionTimeoutInSeconds \(600 seconds\)/);
    expect(await fleets('timeout', 4)).toEqual({ blue: 4, green: 0 });
  }, 180_000);

  it('refuses what SageMaker refuses', async () => {
    await endpoint('refusals', 'blue', 2);
    await config('refusals-next', 'green', 2);
    await c.sagemaker.send(
      new CreateEndpointConfigCommand({ EndpointConfigName: 'refusals-renamed', ProductionVariants: [{ VariantName: 'Other', ModelName: 'green', InitialInstanceCount: 2, InstanceType: 'ml.m5.large' }] }),
    );
    const update = (EndpointConfigName: string, DeploymentConfig: DeploymentConfig) => rejection(c.sagemaker.send(new UpdateEndpointCommand({ EndpointName: 'refusals', EndpointConfigName, DeploymentConfig })));
    const canary = (Value: number) => ({ BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'CANARY' as const, CanarySize: { Type: 'INSTANCE_COUNT' as const, Value }, WaitIntervalInSeconds: 0 } } });
    const refusals = [
      await update('refusals-next', canary(2)),
      await update('refusals-renamed', canary(1)),
      await update('refusals-next', { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'LINEAR', WaitIntervalInSeconds: 0 } } }),
      await update('refusals-next', { ...canary(1), RollingUpdatePolicy: { MaximumBatchSize: { Type: 'INSTANCE_COUNT', Value: 1 }, WaitIntervalInSeconds: 0 } }),
      await update('refusals-next', { ...canary(1), AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'no-such-alarm' }] } }),
    ];
    for (const e of refusals) {
      expect(e.name).toBe('ValidationException');
      expect(e.$metadata.httpStatusCode).toBe(400);
    }
    expect(refusals[0].message).toMatch(/CanarySize must be less than or equal to 50%/);
    expect(refusals[1].message).toMatch(/same variant names/);
    expect(refusals[2].message).toMatch(/LinearStepSize must be specified/);
    expect(refusals[3].message).toMatch(/Only one update policy/);
    expect(refusals[4].message).toMatch(/no-such-alarm/);
    // Nothing was started: the endpoint still serves its configuration, InService.
    expect((await describe_('refusals')).EndpointStatus).toBe('InService');
    // Without a DeploymentConfig: SageMaker's default deployment, the new configuration pending until it serves.
    await c.sagemaker.send(new UpdateEndpointCommand({ EndpointName: 'refusals', EndpointConfigName: 'refusals-next' }));
    const updating = await describe_('refusals');
    expect(updating.EndpointConfigName).toBe('refusals-blue');
    if (updating.EndpointStatus === 'Updating') expect(updating.PendingDeploymentSummary?.EndpointConfigName).toBe('refusals-next');
    const done = await until('InService on the new configuration', () => describe_('refusals'), (d) => d.EndpointStatus === 'InService');
    expect(done.EndpointConfigName).toBe('refusals-next');
    expect(done.PendingDeploymentSummary).toBeUndefined();
  }, 120_000);
});

describe('rolling deployments', () => {
  it('endpoint: batches of new instances start, bake, and replace old ones until the new fleet is whole', async () => {
    await endpoint('rolling', 'blue', 4);
    await config('rolling-next', 'green', 4);
    await alarm('rolling');
    const dc: DeploymentConfig = {
      RollingUpdatePolicy: { MaximumBatchSize: { Type: 'INSTANCE_COUNT', Value: 2 }, WaitIntervalInSeconds: 600, MaximumExecutionTimeoutInSeconds: 14_400 },
      AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'rolling' }] },
    };
    await c.sagemaker.send(new UpdateEndpointCommand({ EndpointName: 'rolling', EndpointConfigName: 'rolling-next', DeploymentConfig: dc }));
    // The first batch bakes beside all four old instances: 2 of 6 instances, a third of the requests.
    const counts = (d: DescribeEndpointCommandOutput) => [d.ProductionVariants![0].CurrentInstanceCount, d.PendingDeploymentSummary!.ProductionVariants![0].CurrentInstanceCount];
    const first = await until('6 requests while the first batch bakes', () => duringStep('rolling', 6, (d) => counts(d).join() === '4,2'), (v) => v !== undefined);
    expect(first!.seen).toEqual({ blue: 4, green: 2 });
    const done = await until('InService on the new configuration', () => describe_('rolling'), (d) => d.EndpointStatus === 'InService');
    expect(done.EndpointConfigName).toBe('rolling-next');
    expect(done.LastDeploymentConfig).toEqual(dc);
    expect(done.ProductionVariants?.[0]).toMatchObject({ CurrentInstanceCount: 4, DesiredInstanceCount: 4 });
    expect(await fleets('rolling', 4)).toEqual({ blue: 0, green: 4 });
  }, 180_000);

  it('endpoint: an alarm in a later batch brings the old instances back batch by batch', async () => {
    await endpoint('rolling-back', 'blue', 4);
    await config('rolling-back-next', 'green', 4);
    await alarm('rolling-back');
    const dc: DeploymentConfig = {
      RollingUpdatePolicy: { MaximumBatchSize: { Type: 'CAPACITY_PERCENT', Value: 50 }, WaitIntervalInSeconds: 600, RollbackMaximumBatchSize: { Type: 'INSTANCE_COUNT', Value: 1 } },
      AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'rolling-back' }] },
    };
    await c.sagemaker.send(new UpdateEndpointCommand({ EndpointName: 'rolling-back', EndpointConfigName: 'rolling-back-next', DeploymentConfig: dc }));
    const counts = (d: DescribeEndpointCommandOutput) => `${d.ProductionVariants![0].CurrentInstanceCount},${d.PendingDeploymentSummary?.ProductionVariants![0].CurrentInstanceCount}`;
    // The second batch baking: 2 old instances left beside 4 new ones.
    await until('the second batch baking', () => describe_('rolling-back'), (d) => pendingStage(d)?.Status === 'Baking' && counts(d) === '2,4');
    await s.cw.send(new SetAlarmStateCommand({ AlarmName: 'rolling-back', StateValue: 'ALARM', StateReason: 'testing the rollback' }));
    // One old instance comes back at a time: 3 old beside 3 new on the way.
    const seen = new Set<string>();
    const back = await until(
      'rolled back',
      async () => {
        const d = await describe_('rolling-back');
        seen.add(counts(d));
        return d;
      },
      (d) => d.EndpointStatus !== 'Updating',
    );
    expect(seen).toContain('3,3');
    expect(back.EndpointStatus).toBe('InService');
    expect(back.EndpointConfigName).toBe('rolling-back-blue');
    expect(back.FailureReason).toMatch(/\[rolling-back\]/);
    expect(back.ProductionVariants?.[0]).toMatchObject({ CurrentInstanceCount: 4, DesiredInstanceCount: 4 });
    expect(await fleets('rolling-back', 4)).toEqual({ blue: 4, green: 0 });
  }, 180_000);

  it('inference component: new copies replace old ones batch by batch; an alarm rolls a later update back', async () => {
    await c.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'ic-host',
        ExecutionRoleArn: ROLE,
        ProductionVariants: [{ VariantName: 'AllTraffic', InstanceType: 'ml.m5.2xlarge', InitialInstanceCount: 1 }],
      }),
    );
    await c.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'ic-host', EndpointConfigName: 'ic-host' }));
    await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { EndpointName: 'ic-host' });
    const spec = (ModelName: string) => ({ ModelName, ComputeResourceRequirements: { NumberOfCpuCoresRequired: 1, MinMemoryRequiredInMb: 1024 } });
    await c.sagemaker.send(new CreateInferenceComponentCommand({ InferenceComponentName: 'ic', EndpointName: 'ic-host', VariantName: 'AllTraffic', Specification: spec('blue'), RuntimeConfig: { CopyCount: 4 } }));
    const describeIc = () => c.sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: 'ic' }));
    await until('the component in service', describeIc, (d) => d.InferenceComponentStatus === 'InService');
    await alarm('ic-errors');
    const rolling = { MaximumBatchSize: { Type: 'COPY_COUNT' as const, Value: 2 }, WaitIntervalInSeconds: 600 };
    const dc = { RollingUpdatePolicy: rolling, AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'ic-errors' }] } };
    await c.sagemaker.send(new UpdateInferenceComponentCommand({ InferenceComponentName: 'ic', Specification: spec('green'), DeploymentConfig: dc }));
    expect((await describeIc()).InferenceComponentStatus).toBe('Updating');
    // While the first batch bakes both models answer: 2 new copies beside 4 old ones.
    const mixed = await until('both models answering', () => fleets('ic-host', 6, 'ic'), (seen) => seen.green > 0 && seen.blue > 0);
    expect(mixed.green + mixed.blue).toBe(6);
    const done = await until('the update done', describeIc, (d) => d.InferenceComponentStatus === 'InService');
    expect(done.Specification?.ModelName).toBe('green');
    expect(done.RuntimeConfig).toEqual({ DesiredCopyCount: 4, CurrentCopyCount: 4 });
    expect(done.LastDeploymentConfig).toEqual(dc);
    expect(done.FailureReason).toBeUndefined();
    expect(await fleets('ic-host', 4, 'ic')).toEqual({ blue: 0, green: 4 });

    // Back to the blue model, and an alarm while the first batch bakes: the green model stays.
    await c.sagemaker.send(new UpdateInferenceComponentCommand({ InferenceComponentName: 'ic', Specification: spec('blue'), DeploymentConfig: dc }));
    await until('the first batch serving', () => fleets('ic-host', 4, 'ic'), (seen) => seen.blue > 0);
    await s.cw.send(new SetAlarmStateCommand({ AlarmName: 'ic-errors', StateValue: 'ALARM', StateReason: 'testing the rollback' }));
    const back = await until('rolled back', describeIc, (d) => d.InferenceComponentStatus === 'InService');
    expect(back.Specification?.ModelName).toBe('green');
    expect(back.FailureReason).toMatch(/rolled back.*\[ic-errors\]/);
    expect(back.RuntimeConfig).toEqual({ DesiredCopyCount: 4, CurrentCopyCount: 4 });
    expect(await fleets('ic-host', 4, 'ic')).toEqual({ blue: 0, green: 4 });
  }, 240_000);
});
