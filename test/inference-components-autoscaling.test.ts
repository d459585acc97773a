import {
  DescribeScalableTargetsCommand,
  DescribeScalingActivitiesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateInferenceComponentCommand,
  CreateModelCommand,
  DeleteInferenceComponentCommand,
  DescribeInferenceComponentCommand,
  waitUntilEndpointInService,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScalingEmulator, until, type scalingClients } from './helpers/autoscaling.js';
import { LINEAR_LEARNER_IMAGE, rejection, ROLE, type clients } from './helpers/clients.js';
import { removeDir, type EmulatorProcess } from './helpers/emulator-process.js';

let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
let s: ReturnType<typeof scalingClients>;
const ids = (name: string) => ({ ServiceNamespace: 'sagemaker', ResourceId: `inference-component/${name}`, ScalableDimension: 'sagemaker:inference-component:DesiredCopyCount' }) as const;

beforeAll(async () => {
  // Realistic durations played 120 times faster: a CloudWatch minute lasts half a second.
  let modelUrl: string;
  ({ emu, c, s, modelUrl } = await startScalingEmulator(['--timing', 'realistic', '--clock-scale', '120'], { bucket: 'ic-scaling', name: 'ic-scaling', seed: 4 }));
  await c.sagemaker.send(new CreateModelCommand({ ModelName: 'scaled-model', PrimaryContainer: { Image: LINEAR_LEARNER_IMAGE, ModelDataUrl: modelUrl }, ExecutionRoleArn: ROLE }));
  await c.sagemaker.send(
    new CreateEndpointConfigCommand({ EndpointConfigName: 'scaled', ExecutionRoleArn: ROLE, ProductionVariants: [{ VariantName: 'AllTraffic', InstanceType: 'ml.m5.2xlarge', InitialInstanceCount: 1 }] }),
  );
  await c.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'scaled', EndpointConfigName: 'scaled' }));
  await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 300, minDelay: 1, maxDelay: 1 }, { EndpointName: 'scaled' });
}, 300_000);
afterAll(async () => {
  await emu?.stop();
  if (emu) removeDir(emu.dataDir);
});

async function component(name: string): Promise<void> {
  await c.sagemaker.send(
    new CreateInferenceComponentCommand({
      InferenceComponentName: name,
      EndpointName: 'scaled',
      Specification: { ModelName: 'scaled-model', ComputeResourceRequirements: { NumberOfCpuCoresRequired: 1, MinMemoryRequiredInMb: 1024 } },
      RuntimeConfig: { CopyCount: 1 },
    }),
  );
  await until('the component in service', () => c.sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: name })), (d) => d.InferenceComponentStatus === 'InService');
}

describe('Application Auto Scaling of inference components (sagemaker:inference-component:DesiredCopyCount)', () => {
  it('a step policy driven by the component’s own Invocations adds copies through UpdateInferenceComponentRuntimeConfig', async () => {
    await component('busy');
    await s.aas.send(new RegisterScalableTargetCommand({ ...ids('busy'), MinCapacity: 1, MaxCapacity: 3 }));
    const { PolicyARN } = await s.aas.send(
      new PutScalingPolicyCommand({
        ...ids('busy'),
        PolicyName: 'more-copies',
        PolicyType: 'StepScaling',
        StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity', Cooldown: 60, StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }] },
      }),
    );
    await s.cw.send(
      new PutMetricAlarmCommand({
        AlarmName: 'busy-component',
        Namespace: 'AWS/SageMaker',
        MetricName: 'Invocations',
        Dimensions: [{ Name: 'InferenceComponentName', Value: 'busy' }],
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [PolicyARN!],
      }),
    );
    let running = true;
    const load = (async () => {
      while (running) {
        await c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'scaled', InferenceComponentName: 'busy', Body: Buffer.from('0.1,0.2,0.3'), ContentType: 'text/csv' })).catch(() => undefined);
      }
    })();
    try {
      const scaled = await until(
        'two copies in service',
        () => c.sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: 'busy' })),
        (d) => (d.RuntimeConfig?.CurrentCopyCount ?? 0) >= 2,
      );
      expect(scaled.RuntimeConfig!.DesiredCopyCount).toBeGreaterThanOrEqual(2);
    } finally {
      running = false;
      await load;
    }
    const activity = await until(
      'a successful activity',
      async () => (await s.aas.send(new DescribeScalingActivitiesCommand({ ...ids('busy') }))).ScalingActivities ?? [],
      (a) => a.some((x) => x.StatusCode === 'Successful'),
    );
    const first = activity[activity.length - 1];
    expect(first.ResourceId).toBe('inference-component/busy');
    expect([first.Description, first.StatusMessage]).toEqual(['Setting desired copy count to 2.', 'Successfully set desired copy count to 2. Change successfully fulfilled by sagemaker.']);
    // DeleteInferenceComponent deregisters its scalable target.
    await c.sagemaker.send(new DeleteInferenceComponentCommand({ InferenceComponentName: 'busy' }));
    expect((await s.aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker', ResourceIds: ['inference-component/busy'] }))).ScalableTargets).toEqual([]);
  }, 180_000);

  it('target tracking on SageMakerInferenceComponentInvocationsPerCopy follows InvocationsPerCopy; a missing component cannot be registered', async () => {
    await component('tracked');
    await s.aas.send(new RegisterScalableTargetCommand({ ...ids('tracked'), MinCapacity: 1, MaxCapacity: 4 }));
    await s.aas.send(
      new PutScalingPolicyCommand({
        ...ids('tracked'),
        PolicyName: 'per-copy',
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: { TargetValue: 100, PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerInferenceComponentInvocationsPerCopy' } },
      }),
    );
    const alarms = (await s.cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'TargetTracking-inference-component/tracked' }))).MetricAlarms!;
    expect(alarms.map((a) => [a.MetricName, a.Dimensions])).toEqual([
      ['InvocationsPerCopy', [{ Name: 'InferenceComponentName', Value: 'tracked' }]],
      ['InvocationsPerCopy', [{ Name: 'InferenceComponentName', Value: 'tracked' }]],
    ]);
    const missing = await rejection(s.aas.send(new RegisterScalableTargetCommand({ ...ids('nothing'), MinCapacity: 1, MaxCapacity: 2 })));
    expect([missing.name, missing.message]).toEqual(['ValidationException', "The target resource 'inference-component/nothing' does not exist or is not in a state that allows registration."]);
  });
});
