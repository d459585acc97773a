/**
 * Live auto scaling: Application Auto Scaling and CloudWatch through the JS SDK, against a
 * running emulator whose realistic timing profile is played 120 times faster (--clock-scale 120:
 * an emulator minute is half a second, a 5-7 minute instance warm-up 2.5-3.5 s). Nothing here
 * asserts how fast anything happens: tests wait for states and then check what AWS would show.
 */
import {
  DeleteScalingPolicyCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  PutScheduledActionCommand,
  DescribeScheduledActionsCommand,
  RegisterScalableTargetCommand,
  type ScalingActivity,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeAlarmsCommand, GetMetricStatisticsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activities, deployUnderBusyStepPolicy, scalingClients, startLoad, startScalingEmulator, until, variantIds } from './helpers/autoscaling.js';
import { clients, LINEAR_LEARNER_IMAGE } from './helpers/clients.js';
import { removeDir, type EmulatorProcess } from './helpers/emulator-process.js';
import { deploy } from './helpers/pipeline.js';

let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
let s: ReturnType<typeof scalingClients>;
let modelUrl: string;

beforeAll(async () => {
  ({ emu, c, s, modelUrl } = await startScalingEmulator(['--timing', 'realistic', '--clock-scale', '120'], { bucket: 'scaling', name: 'scaling-job', seed: 5 }));
}, 180_000);
afterAll(async () => {
  await emu?.stop();
  if (emu) removeDir(emu.dataDir);
});

const describeEndpoint = (name: string) => c.sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
const variant = async (name: string) => (await describeEndpoint(name)).ProductionVariants![0];
const endedAt = (a: ScalingActivity) => a.EndTime?.getTime() ?? Infinity;

describe('target tracking on a live endpoint', () => {
  it('scales out under load: Desired at once, Updating, Current after the warm-up; alarms and activities as AWS shows them', async () => {
    const ep = 'tt-live';
    await deploy(c.sagemaker, ep, LINEAR_LEARNER_IMAGE, modelUrl);
    const target = await s.aas.send(new RegisterScalableTargetCommand({ ...variantIds(ep), MinCapacity: 1, MaxCapacity: 4 }));
    expect(target.ScalableTargetARN).toMatch(/^arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target\/[0-9a-f]{28}$/);
    const policy = (value: number) =>
      s.aas.send(
        new PutScalingPolicyCommand({
          ...variantIds(ep),
          PolicyName: 'invocations',
          PolicyType: 'TargetTrackingScaling',
          TargetTrackingScalingPolicyConfiguration: { TargetValue: value, PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' } },
        }),
      );
    const first = await policy(30_000);
    // Put again at a lower target: the same policy, updated in place.
    const second = await policy(10);
    expect(second.PolicyARN).toBe(first.PolicyARN);
    expect(second.PolicyARN).toMatch(new RegExp(`^arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:[0-9a-f-]{36}:resource/sagemaker/endpoint/${ep}/variant/AllTraffic:policyName/invocations$`));
    expect(second.Alarms!.map((a) => a.AlarmName).sort()).toEqual(first.Alarms!.map((a) => a.AlarmName).sort());
    const high = second.Alarms!.find((a) => a.AlarmName!.includes('-AlarmHigh-'))!.AlarmName!;
    expect(high).toMatch(new RegExp(`^TargetTracking-endpoint/${ep}/variant/AllTraffic-AlarmHigh-[0-9a-f-]{36}$`));
    const policies = await s.aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'sagemaker', ResourceId: variantIds(ep).ResourceId }));
    expect(policies.ScalingPolicies!.map((p) => p.TargetTrackingScalingPolicyConfiguration?.TargetValue)).toEqual([10]);

    const load = startLoad(c.runtime, ep, { workers: 4, maxRequests: 200_000 });
    let scaleOut: ScalingActivity;
    try {
      scaleOut = (await until('a scale-out activity', () => activities(s.aas, ep), (a) => a.length > 0))[0];
      // DesiredInstanceCount moved at once; the endpoint is Updating until the new instances serve.
      const during = await describeEndpoint(ep);
      const n = Number(/^Setting desired instance count to (\d+)\.$/.exec(scaleOut.Description!)![1]);
      expect(n).toBeGreaterThan(1);
      expect(n).toBeLessThanOrEqual(4);
      expect(scaleOut.Cause).toBe(`monitor alarm ${high} in state ALARM triggered policy invocations`);
      // The activity read again after the endpoint: still InProgress then means it was InProgress
      // when DescribeEndpoint answered (the warm-up may have ended between the two reads otherwise).
      const stillInProgress = (await activities(s.aas, ep)).find((x) => x.ActivityId === scaleOut.ActivityId)!.StatusCode === 'InProgress';
      if (stillInProgress) {
        expect(during.EndpointStatus).toBe('Updating');
        expect(during.ProductionVariants![0].DesiredInstanceCount).toBe(n);
        expect(during.ProductionVariants![0].CurrentInstanceCount).toBe(1);
        expect(scaleOut.StatusMessage).toBe('Waiting for change to be fulfilled by sagemaker.');
      }
      // (Its state now depends on the load of the last minutes; the activity's Cause shows it was in ALARM.)
      const alarms = await s.cw.send(new DescribeAlarmsCommand({ AlarmNames: [high] }));
      expect(alarms.MetricAlarms![0]).toMatchObject({
        MetricName: 'InvocationsPerInstance',
        Namespace: 'AWS/SageMaker',
        Threshold: 10,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        Period: 60,
        AlarmActions: [second.PolicyARN],
        Dimensions: [
          { Name: 'EndpointName', Value: ep },
          { Name: 'VariantName', Value: 'AllTraffic' },
        ],
      });
      await until('the scale-out to complete', () => activities(s.aas, ep), (a) => a.some((x) => x.ActivityId === scaleOut.ActivityId && x.StatusCode === 'Successful'));
      const endpointAfter = await describeEndpoint(ep);
      const later = (await activities(s.aas, ep)).filter((x) => x.StartTime! > scaleOut.StartTime! && x.StatusCode !== 'Failed');
      // The load is still running: once the cooldown is over the policy may already be adding more.
      if (later.length === 0) {
        expect(endpointAfter.EndpointStatus).toBe('InService');
        expect(endpointAfter.ProductionVariants![0].CurrentInstanceCount).toBe(n);
      } else {
        expect(endpointAfter.ProductionVariants![0].CurrentInstanceCount).toBeGreaterThanOrEqual(n);
      }
      const done = (await activities(s.aas, ep)).find((x) => x.ActivityId === scaleOut.ActivityId)!;
      expect(done.StatusMessage).toBe(`Successfully set desired instance count to ${n}. Change successfully fulfilled by sagemaker.`);
      // While the endpoint was Updating, no other capacity change started: any attempt then was refused.
      const all = await activities(s.aas, ep);
      for (const a of all) {
        if (a.ActivityId === scaleOut.ActivityId) continue;
        const overlaps = a.StartTime!.getTime() >= scaleOut.StartTime!.getTime() && a.StartTime!.getTime() < endedAt(done);
        if (overlaps) {
          expect(a.StatusCode).toBe('Failed');
          expect(a.StatusMessage).toMatch(/Cannot update in-progress endpoint/);
        }
      }
    } finally {
      await load.stop();
    }
  }, 240_000);
});

describe('step scaling from a user alarm', () => {
  it('drives the policy named in AlarmActions, one step at a time, blocked while the endpoint is Updating', async () => {
    const ep = 'step-live';
    await deployUnderBusyStepPolicy(c, s, modelUrl, ep, 'step-up', 0); // alarm step-live-busy
    const load = startLoad(c.runtime, ep, { workers: 2, maxRequests: 200_000 });
    try {
      await until('two successful scale-outs', () => activities(s.aas, ep), (a) => a.filter((x) => x.StatusCode === 'Successful').length >= 2);
    } finally {
      await load.stop();
    }
    const all = (await activities(s.aas, ep)).reverse(); // oldest first
    const successes = all.filter((a) => a.StatusCode === 'Successful');
    expect(successes.map((a) => a.Description)).toEqual(['Setting desired instance count to 2.', 'Setting desired instance count to 3.']);
    for (const a of successes) expect(a.Cause).toBe('monitor alarm step-live-busy in state ALARM triggered policy step-up');
    // The second scale-out started only after the first was in service...
    expect(successes[1].StartTime!.getTime()).toBeGreaterThanOrEqual(endedAt(successes[0]));
    // ...and the alarm stayed in ALARM every minute in between, so each evaluation during the
    // warm-up was refused: SageMaker does not take a capacity change while the endpoint is Updating.
    const blocked = all.filter((a) => a.StartTime!.getTime() > successes[0].StartTime!.getTime() && a.StartTime!.getTime() < endedAt(successes[0]));
    expect(blocked.length).toBeGreaterThan(0);
    for (const b of blocked) {
      expect(b.StatusCode).toBe('Failed');
      expect(b.StatusMessage).toContain(`Cannot update in-progress endpoint "arn:aws:sagemaker:us-east-1:000000000000:endpoint/${ep}"`);
    }
    expect((await variant(ep)).CurrentInstanceCount).toBe(3);
  }, 240_000);
});

describe('cooldowns', () => {
  it('a step policy raises capacity again only when its cooldown has ended', async () => {
    const ep = 'cooldown-live';
    // Cooldown 10 minutes: longer than the 5-7 minute warm-up, so the cooldown, not the Updating endpoint, decides.
    await deployUnderBusyStepPolicy(c, s, modelUrl, ep, 'slow-step', 600); // alarm cooldown-live-busy
    const load = startLoad(c.runtime, ep, { workers: 2, maxRequests: 300_000 });
    try {
      await until('two successful scale-outs', () => activities(s.aas, ep), (a) => a.filter((x) => x.StatusCode === 'Successful').length >= 2);
    } finally {
      await load.stop();
    }
    const all = (await activities(s.aas, ep, true)).reverse();
    const [first, second] = all.filter((a) => a.StatusCode === 'Successful');
    expect([first.Description, second.Description]).toEqual(['Setting desired instance count to 2.', 'Setting desired instance count to 3.']);
    // The second step came only once the cooldown was over.
    const gap = second.StartTime!.getTime() - first.StartTime!.getTime();
    expect(gap).toBeGreaterThanOrEqual(600_000);
    // Nothing else was attempted in between: during the cooldown the step computed from the
    // capacity the cooldown started from (1 + 1 = 2), which was already there.
    expect(all.filter((a) => a.StartTime! > first.StartTime! && a.StartTime! < second.StartTime!)).toEqual([]);
  }, 240_000);
});

describe('scheduled actions, idle variants, metrics', () => {
  it('a scheduled action raises MinCapacity and scales out to fit', async () => {
    const ep = 'sched-live';
    await deploy(c.sagemaker, ep, LINEAR_LEARNER_IMAGE, modelUrl);
    await s.aas.send(new RegisterScalableTargetCommand({ ...variantIds(ep), MinCapacity: 1, MaxCapacity: 5 }));
    // rate(): first run one interval after the action is created, on the emulator's clock (an
    // at() time computed here could already be past on a loaded machine: a minute is half a second).
    const when = 'rate(5 minutes)';
    await s.aas.send(new PutScheduledActionCommand({ ...variantIds(ep), ScheduledActionName: 'morning', Schedule: when, ScalableTargetAction: { MinCapacity: 2 } }));
    const described = await s.aas.send(new DescribeScheduledActionsCommand({ ServiceNamespace: 'sagemaker', ResourceId: variantIds(ep).ResourceId }));
    expect(described.ScheduledActions!.map((a) => [a.ScheduledActionName, a.Schedule, a.ScalableTargetAction?.MinCapacity])).toEqual([['morning', when, 2]]);
    const created = described.ScheduledActions![0].CreationTime!.getTime();
    const acts = await until('the scheduled scale-out', () => activities(s.aas, ep), (a) => a.some((x) => x.Description === 'Setting desired instance count to 2.'));
    const minSet = acts.find((x) => x.Description === 'Setting min capacity to 2.')!;
    expect(minSet.Cause).toBe('scheduled action name morning was triggered');
    expect(minSet.StartTime!.getTime() - created).toBeGreaterThanOrEqual(5 * 60_000);
    expect(acts.find((x) => x.Description === 'Setting desired instance count to 2.')?.Cause).toBe('minimum capacity was set to 2 by scheduled action morning');
    expect((await variant(ep)).DesiredInstanceCount).toBe(2);
    // The activity says the minimum was raised, so Describe shows it raised (not a second later).
    const targets = await s.aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker', ResourceIds: [variantIds(ep).ResourceId] }));
    expect(targets.ScalableTargets!.map((t) => [t.MinCapacity, t.MaxCapacity])).toEqual([[2, 5]]);
  }, 240_000);

  it('an idle variant publishes no datapoints, so target tracking never scales it in', async () => {
    const ep = 'idle-live';
    await deploy(c.sagemaker, ep, LINEAR_LEARNER_IMAGE, modelUrl);
    await s.aas.send(new RegisterScalableTargetCommand({ ...variantIds(ep), MinCapacity: 1, MaxCapacity: 4 }));
    // Start at 2 instances: above the minimum, so a scale-in would be possible if it were wanted.
    await s.aas.send(new RegisterScalableTargetCommand({ ...variantIds(ep), MinCapacity: 2 }));
    await until('2 instances in service', () => describeEndpoint(ep), (e) => e.EndpointStatus === 'InService' && e.ProductionVariants![0].CurrentInstanceCount === 2);
    await s.aas.send(new RegisterScalableTargetCommand({ ...variantIds(ep), MinCapacity: 1 }));
    const { Alarms } = await s.aas.send(
      new PutScalingPolicyCommand({
        ...variantIds(ep),
        PolicyName: 'tt',
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: { TargetValue: 100, ScaleInCooldown: 0, PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' } },
      }),
    );
    const low = Alarms!.find((a) => a.AlarmName!.includes('-AlarmLow-'))!.AlarmName!;
    const startedAt = (await describeEndpoint(ep)).LastModifiedTime!.getTime();
    // Let more than AlarmLow's 15 periods pass on the emulator's clock, read from the time
    // CloudWatch stamps on an alarm's configuration.
    const emulatorNow = async () => {
      await s.cw.send(new PutMetricAlarmCommand({ AlarmName: 'clock-probe', Namespace: 'Probe', MetricName: 'Nothing', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold' }));
      return (await s.cw.send(new DescribeAlarmsCommand({ AlarmNames: ['clock-probe'] }))).MetricAlarms![0].AlarmConfigurationUpdatedTimestamp!.getTime();
    };
    await until('20 emulator minutes', emulatorNow, (t) => t - startedAt > 20 * 60_000);
    const lowAlarm = (await s.cw.send(new DescribeAlarmsCommand({ AlarmNames: [low] }))).MetricAlarms![0];
    expect(lowAlarm.Threshold).toBe(90);
    expect(lowAlarm.EvaluationPeriods).toBe(15);
    expect(lowAlarm.StateValue).toBe('INSUFFICIENT_DATA');
    expect((await activities(s.aas, ep)).filter((a) => a.Cause?.includes(low))).toEqual([]);
    expect((await variant(ep)).DesiredInstanceCount).toBe(2);
    await s.aas.send(new DeleteScalingPolicyCommand({ ...variantIds(ep), PolicyName: 'tt' }));
    expect((await s.cw.send(new DescribeAlarmsCommand({ AlarmNames: [low] }))).MetricAlarms).toEqual([]);
  }, 240_000);

  it('GetMetricStatistics counts exactly the invocations and errors sent', async () => {
    const ep = 'metrics-live';
    await deploy(c.sagemaker, ep, LINEAR_LEARNER_IMAGE, modelUrl);
    const good = startLoad(c.runtime, ep, { workers: 3, maxRequests: 90 });
    const bad = startLoad(c.runtime, ep, { workers: 2, maxRequests: 7, body: 'not,a,number,row,x' });
    const g = await good.finished();
    const b = await bad.finished();
    expect(g).toEqual({ sent: 90, ok: 90, failed: 0 });
    expect(b).toEqual({ sent: 7, ok: 0, failed: 7 });
    const dims = [
      { Name: 'EndpointName', Value: ep },
      { Name: 'VariantName', Value: 'AllTraffic' },
    ];
    const stat = async (MetricName: string, Statistics: ('Sum' | 'SampleCount' | 'Average' | 'Maximum')[]) => {
      const out = await s.cw.send(
        new GetMetricStatisticsCommand({ Namespace: 'AWS/SageMaker', MetricName, Dimensions: dims, StartTime: new Date(Date.now() - 86_400_000), EndTime: new Date(Date.now() + 30 * 86_400_000), Period: 86_400, Statistics }),
      );
      return out.Datapoints!;
    };
    const sum = (dps: { Sum?: number }[]) => dps.reduce((t, d) => t + (d.Sum ?? 0), 0);
    expect(sum(await stat('Invocations', ['Sum']))).toBe(97);
    expect(sum(await stat('Invocation4XXErrors', ['Sum']))).toBe(7);
    expect(sum(await stat('Invocation5XXErrors', ['Sum']))).toBe(0);
    const latency = await stat('ModelLatency', ['SampleCount', 'Maximum']);
    expect(latency.reduce((t, d) => t + d.SampleCount!, 0)).toBe(97);
    expect(latency[0].Unit).toBe('Microseconds');
    // CPU and memory are published as each minute ends, for every invoked variant.
    const host = async (MetricName: string) =>
      (
        await s.cw.send(
          new GetMetricStatisticsCommand({ Namespace: '/aws/sagemaker/Endpoints', MetricName, Dimensions: dims, StartTime: new Date(Date.now() - 86_400_000), EndTime: new Date(Date.now() + 30 * 86_400_000), Period: 86_400, Statistics: ['Maximum', 'SampleCount'] }),
        )
      ).Datapoints!;
    const cpu = await until('a CPUUtilization datapoint', () => host('CPUUtilization'), (d) => d.length > 0);
    expect(cpu[0].Unit).toBe('Percent');
    expect(cpu[0].Maximum).toBeGreaterThan(0);
    expect(cpu[0].Maximum).toBeLessThanOrEqual(100);
    const memory = await until('a MemoryUtilization datapoint', () => host('MemoryUtilization'), (d) => d.length > 0);
    expect(memory[0].Maximum).toBeGreaterThan(0);
  }, 240_000);
});
