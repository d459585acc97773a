/**
 * Application Auto Scaling's step scaling and scheduled actions, on small hand-checked cases: the
 * autoscaler on a VirtualClock, as test/helpers/autoscaler-harness.ts describes (with how "tick k"
 * is counted).
 */
import { describe, expect, it } from 'vitest';
import { applyAdjustment, parseSchedule, stepAdjustment } from '../core/autoscaling/index.js';
import { harness, IDS, MIN, T0 } from './helpers/autoscaler-harness.js';

describe('step scaling', () => {
  const steps = [
    { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 50, ScalingAdjustment: 1 },
    { MetricIntervalLowerBound: 50, MetricIntervalUpperBound: 100, ScalingAdjustment: 2 },
    { MetricIntervalLowerBound: 100, ScalingAdjustment: 3 },
  ];

  it('above the threshold: lower bound inclusive, upper exclusive', () => {
    expect(stepAdjustment(steps, 0, 'GreaterThanThreshold')).toBe(1);
    expect(stepAdjustment(steps, 49.999, 'GreaterThanThreshold')).toBe(1);
    expect(stepAdjustment(steps, 50, 'GreaterThanThreshold')).toBe(2);
    expect(stepAdjustment(steps, 100, 'GreaterThanThreshold')).toBe(3);
    expect(stepAdjustment(steps, 1e9, 'GreaterThanThreshold')).toBe(3);
    expect(stepAdjustment(steps, -1, 'GreaterThanThreshold')).toBeUndefined();
  });

  it('below the threshold: lower bound exclusive, upper inclusive', () => {
    const down = [
      { MetricIntervalLowerBound: -20, MetricIntervalUpperBound: 0, ScalingAdjustment: -1 },
      { MetricIntervalUpperBound: -20, ScalingAdjustment: -2 },
    ];
    expect(stepAdjustment(down, 0, 'LessThanThreshold')).toBe(-1);
    expect(stepAdjustment(down, -19.999, 'LessThanThreshold')).toBe(-1);
    expect(stepAdjustment(down, -20, 'LessThanThreshold')).toBe(-2);
    expect(stepAdjustment(down, -500, 'LessThanThreshold')).toBe(-2);
  });

  it('rounds percent changes like AWS and applies MinAdjustmentMagnitude', () => {
    expect(applyAdjustment('ChangeInCapacity', 5, 2)).toBe(7);
    expect(applyAdjustment('ExactCapacity', 5, 2)).toBe(2);
    expect(applyAdjustment('PercentChangeInCapacity', 20, 25)).toBe(25); // +5
    expect(applyAdjustment('PercentChangeInCapacity', 5, 30)).toBe(6); // +1.5 -> 1 (round down above 1)
    expect(applyAdjustment('PercentChangeInCapacity', 5, 10)).toBe(6); // +0.5 -> 1
    expect(applyAdjustment('PercentChangeInCapacity', 5, 10, 2)).toBe(7); // at least 2
    expect(applyAdjustment('PercentChangeInCapacity', 10, -5)).toBe(9); // -0.5 -> -1
    expect(applyAdjustment('PercentChangeInCapacity', 10, -15)).toBe(9); // -1.5 -> -1 (toward 0)
    expect(applyAdjustment('PercentChangeInCapacity', 10, -15, 3)).toBe(7);
  });

  it('rejects steps with gaps or overlaps', () => {
    const h = harness({ capacity: 1, series: {} });
    const put = (s: typeof steps) =>
      h.scaler.putScalingPolicy({ ...IDS, PolicyName: `s${s.length}`, PolicyType: 'StepScaling', StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity', StepAdjustments: s } });
    expect(() => put([steps[0], steps[2]])).toThrow(/gaps/);
    expect(() => put([steps[0], { MetricIntervalLowerBound: 40, MetricIntervalUpperBound: 100, ScalingAdjustment: 2 }])).toThrow(/overlap/);
  });

  it('the worked example: +2 fires, then +3 during the cooldown adds only 1 more', () => {
    // Alarm: Invocations > 100, 1 of 1. Minute 0 at 160 (breach 60 -> +2): tick 1, 5 -> 7.
    // Minute 1 at 230 (breach 130 -> +3): in the cooldown, from C0 = 5: 8, i.e. +1 more at tick 2.
    // Minute 2 at 160 (+2 from C0 = 5 is 7 < 8): nothing at tick 3.
    const h = harness({ capacity: 5, series: { Invocations: [160, 230, 160] } });
    h.scaler.putScalingPolicy({
      ...IDS,
      PolicyName: 'steps',
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity', StepAdjustments: steps, Cooldown: 300 },
    });
    h.scaler.putMetricAlarm({
      AlarmName: 'busy',
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocations',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 100,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: ['steps'],
    });
    h.run(4);
    expect(h.changes).toEqual([
      [1, 7],
      [2, 8],
    ]);
    expect(h.scaler.describeScalingActivities()[0].Cause).toBe('monitor alarm busy in state ALARM triggered policy steps');
  });
});

describe('scheduled actions', () => {
  it('at(): raising MinCapacity scales out at that minute; lowering MaxCapacity scales in', () => {
    // Capacity 2 in [1, 20]. At 00:10 min becomes 6 -> 6; at 00:20 max becomes 3 -> 3 (and min is
    // lowered to 1 in the same action so that min <= max).
    const h = harness({ capacity: 2, series: {} });
    h.scaler.putScheduledAction({ ...IDS, ScheduledActionName: 'morning', Schedule: 'at(2024-01-01T00:10:00)', ScalableTargetAction: { MinCapacity: 6 } });
    h.scaler.putScheduledAction({ ...IDS, ScheduledActionName: 'night', Schedule: 'at(2024-01-01T00:20:00)', ScalableTargetAction: { MinCapacity: 1, MaxCapacity: 3 } });
    h.run(30);
    expect(h.changes).toEqual([
      [10, 6],
      [20, 3],
    ]);
    const acts = h.scaler.describeScalingActivities().reverse();
    expect(acts.map((a) => a.Description)).toEqual([
      'Setting min capacity to 6.',
      'Setting desired instance count to 6.',
      'Setting min capacity to 1 and max capacity to 3.',
      'Setting desired instance count to 3.',
    ]);
    expect(acts[0].Cause).toBe('scheduled action name morning was triggered');
    expect(h.scaler.bounds(IDS)).toEqual({ min: 1, max: 3 });
  });

  it('rate() and cron() fire at the right times', () => {
    // cron(30 2 * * ? *): 02:30 every day. cron(0 9 ? * MON-FRI *) from Saturday 2024-01-06 is
    // Monday 2024-01-08 09:00 (AWS counts days of week 1 = SUN). rate(15 minutes) with StartTime
    // 00:05 fires at 00:05, 00:20, 00:35...
    const created = T0;
    expect(parseSchedule('cron(30 2 * * ? *)', { createdMs: created }).nextAtOrAfter(T0)).toBe(T0 + (2 * 60 + 30) * MIN);
    expect(parseSchedule('cron(0 9 ? * MON-FRI *)', { createdMs: created }).nextAtOrAfter(Date.UTC(2024, 0, 6))).toBe(Date.UTC(2024, 0, 8, 9));
    expect(parseSchedule('cron(0/20 * * * ? *)', { createdMs: created }).nextAtOrAfter(T0 + 21 * MIN)).toBe(T0 + 40 * MIN);
    const rate = parseSchedule('rate(15 minutes)', { createdMs: created, startMs: T0 + 5 * MIN });
    expect(rate.nextAtOrAfter(T0)).toBe(T0 + 5 * MIN);
    expect(rate.nextAtOrAfter(T0 + 5 * MIN + 1)).toBe(T0 + 20 * MIN);
    expect(parseSchedule('at(2024-01-01T00:10:00)', { createdMs: created }).nextAtOrAfter(T0 + 11 * MIN)).toBeUndefined();
    expect(() => parseSchedule('rate(5 fortnights)', { createdMs: created })).toThrow();
    expect(() => parseSchedule('cron(0 9 * * ? *)', { createdMs: created, timezone: 'Mars/Olympus_Mons' })).toThrow(/time zone/);

    // Through the scaler: every 15 minutes from 00:05 alternately min 4 / max 2 is not possible
    // with one action, so: rate action raising MinCapacity to 3 fires at 00:05 and scales 1 -> 3.
    const h = harness({ capacity: 1, series: {} });
    h.scaler.putScheduledAction({ ...IDS, ScheduledActionName: 'r', Schedule: 'rate(15 minutes)', StartTime: new Date(T0 + 5 * MIN), ScalableTargetAction: { MinCapacity: 3 } });
    h.run(40);
    expect(h.changes).toEqual([[5, 3]]);
    // It fired three times (00:05, 00:20, 00:35), each logging its min capacity change.
    expect(h.scaler.describeScalingActivities().filter((a) => a.Description === 'Setting min capacity to 3.')).toHaveLength(3);
  });
});
