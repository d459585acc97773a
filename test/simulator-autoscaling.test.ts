/**
 * Application Auto Scaling rules on small hand-checked cases. The autoscaler runs on a
 * VirtualClock with a fake metric source (one value per minute, or none) and a fake capacity
 * target that applies a new desired count at once, so every expected number below is worked
 * out by hand from the rules in the Application Auto Scaling User Guide; each case says how.
 *
 * Timing: the scaler evaluates at every minute boundary T0 + k min; the window it reads ends
 * there, so at "tick k" the latest datapoint is minute k-1, and a 3-of-3 alarm on minutes 0..2
 * goes to ALARM at tick 3.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../core/clock.js';
import {
  ApplicationAutoScaler,
  applyAdjustment,
  AutoScalingError,
  parseSchedule,
  stepAdjustment,
  type MetricQuery,
  type PutScalingPolicyRequest,
} from '../core/autoscaling/index.js';

const T0 = Date.UTC(2024, 0, 1); // a Monday, 00:00 UTC
const MIN = 60_000;
const RID = 'endpoint/e/variant/v';
const IDS = { ServiceNamespace: 'sagemaker', ResourceId: RID, ScalableDimension: 'sagemaker:variant:DesiredInstanceCount' } as const;

type Series = Record<string, (number | undefined)[]>;

function harness(opts: {
  capacity: number;
  min?: number;
  max?: number;
  series: Series;
  low?: { evaluationPeriods: number; datapointsToAlarm: number };
  high?: { evaluationPeriods: number; datapointsToAlarm: number };
}) {
  const clock = new VirtualClock(T0);
  let cap = opts.capacity;
  const changes: [number, number][] = []; // [tick (minutes since T0), new capacity]
  const metrics = {
    datapoint(q: MetricQuery, start: number, period: number) {
      expect(period).toBe(60);
      return opts.series[q.MetricName]?.[(start - T0) / MIN];
    },
  };
  let n = 0;
  const scaler = new ApplicationAutoScaler({
    clock,
    metrics,
    uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    targetTrackingAlarms: { high: opts.high, low: opts.low },
  });
  scaler.registerScalableTarget(
    { ...IDS, MinCapacity: opts.min ?? 1, MaxCapacity: opts.max ?? 20 },
    {
      desiredCapacity: () => cap,
      setDesiredCapacity: (c, done) => {
        cap = c;
        changes.push([(clock.now() - T0) / MIN, c]);
        done({ status: 'Successful' });
      },
    },
  );
  return {
    scaler,
    changes,
    clock,
    capacity: () => cap,
    run(minutes: number) {
      scaler.start();
      clock.advance(minutes * MIN);
    },
  };
}

function tt(name: string, target: number, extra: Record<string, unknown> = {}, metric = 'InvocationsPerInstance'): PutScalingPolicyRequest {
  return {
    ...IDS,
    PolicyName: name,
    PolicyType: 'TargetTrackingScaling',
    TargetTrackingScalingPolicyConfiguration: {
      TargetValue: target,
      ...(metric === 'InvocationsPerInstance'
        ? { PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' } }
        : { CustomizedMetricSpecification: { MetricName: metric, Namespace: '/aws/sagemaker/Endpoints', Dimensions: [], Statistic: 'Average' } }),
      ...extra,
    },
  };
}

const repeat = (v: number | undefined, n: number) => Array.from({ length: n }, () => v);

describe('target tracking', () => {
  it('scales proportionally: ceil(capacity x metric / target) once AlarmHigh has 3 of 3 datapoints', () => {
    // 2 instances at 250 per instance against a target of 100: ceil(2 x 250 / 100) = 5.
    // Minutes 0, 1, 2 breach; tick 3 is the first with 3 datapoints.
    const h = harness({ capacity: 2, series: { InvocationsPerInstance: repeat(250, 4) } });
    const { Alarms } = h.scaler.putScalingPolicy(tt('p', 100));
    h.run(4);
    expect(h.changes).toEqual([[3, 5]]);
    const [a] = h.scaler.describeScalingActivities();
    expect(a.Description).toBe('Setting desired instance count to 5.');
    const high = Alarms!.find((x) => x.AlarmName!.includes('-AlarmHigh-'))!.AlarmName!;
    expect(high).toMatch(/^TargetTracking-endpoint\/e\/variant\/v-AlarmHigh-[0-9a-f-]{36}$/);
    expect(a.Cause).toBe(`monitor alarm ${high} in state ALARM triggered policy p`);
    expect(a.StatusCode).toBe('Successful');
    expect(a.StartTime!.getTime()).toBe(T0 + 3 * MIN);
  });

  it('during the scale-out cooldown, raises capacity again only for a larger scale-out, then again when it ends', () => {
    // Capacity 2, target 100, ScaleOutCooldown 300 s. The fake metric does not react to capacity.
    // tick 3: minutes 0-2 at 150 -> ceil(2 x 1.5) = 3; cooldown until tick 8; chain base C0 = 2.
    // tick 4: latest (minute 3) is 250 -> from C0: ceil(2 x 2.5) = 5 > 3: a larger scale-out, at once;
    //         the cooldown restarts: until tick 9, base still 2.
    // ticks 5-8: ceil(2 x 2.5) = 5 = current: nothing (the capacity added counts toward it).
    // tick 9: cooldown over, base = current 5: ceil(5 x 2.5) = 13.
    const h = harness({ capacity: 2, series: { InvocationsPerInstance: [150, 150, 150, ...repeat(250, 10)] } });
    h.scaler.putScalingPolicy(tt('p', 100, { ScaleOutCooldown: 300 }));
    h.run(10);
    expect(h.changes).toEqual([
      [3, 3],
      [4, 5],
      [9, 13],
    ]);
  });

  it('does not scale out again inside the cooldown when the same load persists', () => {
    // Same start, metric stays 150: from C0 = 2 the proposal stays 3 = current until the cooldown
    // ends at tick 8, then ceil(3 x 1.5) = 5; its cooldown ends at tick 13: ceil(5 x 1.5) = 8.
    const h = harness({ capacity: 2, series: { InvocationsPerInstance: repeat(150, 14) } });
    h.scaler.putScalingPolicy(tt('p', 100, { ScaleOutCooldown: 300 }));
    h.run(14);
    expect(h.changes).toEqual([
      [3, 3],
      [8, 5],
      [13, 8],
    ]);
  });

  it('blocks scale-in during the scale-in cooldown; a scale-out happens at once and ends it', () => {
    // One-datapoint alarms make it quick. Capacity 10, target 100, ScaleInCooldown 600 s.
    // tick 1: minute 0 at 50 (< 90) -> ceil(10 x 0.5) = 5; scale-in blocked until tick 11.
    // tick 2: minute 1 at 50 -> would be ceil(5 x 0.5) = 3, but blocked.
    // tick 3: minute 2 at 300 -> scale out at once: ceil(5 x 3) = 15; the scale-in cooldown ends.
    // tick 4: minute 3 at 50 -> ceil(15 x 0.5) = 8, allowed (without the scale-out, blocked until tick 11).
    const one = { evaluationPeriods: 1, datapointsToAlarm: 1 };
    const h = harness({ capacity: 10, series: { InvocationsPerInstance: [50, 50, 300, 50] }, low: one, high: one });
    h.scaler.putScalingPolicy(tt('p', 100, { ScaleInCooldown: 600, ScaleOutCooldown: 0 }));
    h.run(5);
    expect(h.changes).toEqual([
      [1, 5],
      [3, 15],
      [4, 8],
    ]);
  });

  it('keeps scale-in blocked for the whole cooldown when nothing scales out', () => {
    // As above without the spike: tick 1 -> 5, then blocked until tick 11 -> ceil(5 x 0.5) = 3.
    const one = { evaluationPeriods: 1, datapointsToAlarm: 1 };
    const h = harness({ capacity: 10, series: { InvocationsPerInstance: repeat(50, 12) }, low: one, high: one });
    h.scaler.putScalingPolicy(tt('p', 100, { ScaleInCooldown: 600 }));
    h.run(12);
    expect(h.changes).toEqual([
      [1, 5],
      [11, 3],
    ]);
  });

  it('scales in only after 15 of 15 low datapoints (metric < 0.9 x target)', () => {
    // Capacity 4, target 100, metric 40: the first window of 15 low minutes (0-14) ends at tick 15;
    // ceil(4 x 0.4) = 2.
    const h = harness({ capacity: 4, series: { InvocationsPerInstance: repeat(40, 16) } });
    h.scaler.putScalingPolicy(tt('p', 100));
    h.run(16);
    expect(h.changes).toEqual([[15, 2]]);
  });

  it('needs 15 consecutive low datapoints: a missing minute (idle variant) restarts the count', () => {
    // Minute 5 has no datapoint: windows containing it have 14 present; the first full window is
    // minutes 6-20, evaluated at tick 21.
    const s = repeat(40, 22);
    s[5] = undefined;
    const h = harness({ capacity: 4, series: { InvocationsPerInstance: s } });
    h.scaler.putScalingPolicy(tt('p', 100));
    h.run(22);
    expect(h.changes).toEqual([[21, 2]]);
  });

  it('does not scale in at exactly 90 % of the target, nor with no data at all', () => {
    const h = harness({ capacity: 4, series: { InvocationsPerInstance: repeat(90, 20) } });
    h.scaler.putScalingPolicy(tt('p', 100));
    h.run(20);
    const idle = harness({ capacity: 4, series: {} });
    idle.scaler.putScalingPolicy(tt('p', 100));
    idle.run(20);
    expect(h.changes).toEqual([]);
    expect(idle.changes).toEqual([]);
  });

  it('with DisableScaleIn creates no low alarm and never removes capacity', () => {
    const h = harness({ capacity: 4, series: { InvocationsPerInstance: repeat(10, 20) } });
    const r = h.scaler.putScalingPolicy(tt('p', 100, { DisableScaleIn: true }));
    h.run(20);
    expect(r.Alarms!.map((a) => a.AlarmName!.includes('AlarmLow'))).toEqual([false]);
    expect(h.changes).toEqual([]);
  });

  it('clamps to MaxCapacity and MinCapacity, and logs AlreadyAtMaxCapacity once', () => {
    // Max: capacity 2, metric 1000 vs 100: ceil(2 x 10) = 20, clamped to 4 at tick 3; at tick 9
    // (cooldown over) the proposal is again above 4: not scaled, AlreadyAtMaxCapacity (once per streak).
    const hi = harness({ capacity: 2, max: 4, series: { InvocationsPerInstance: repeat(1000, 12) } });
    hi.scaler.putScalingPolicy(tt('p', 100));
    hi.run(12);
    expect(hi.changes).toEqual([[3, 4]]);
    const notScaled = hi.scaler.describeScalingActivities({ IncludeNotScaledActivities: true }).filter((a) => a.NotScaledReasons);
    expect(notScaled).toHaveLength(1);
    expect(notScaled[0].NotScaledReasons![0]).toMatchObject({ Code: 'AlreadyAtMaxCapacity', MaxCapacity: 4, CurrentCapacity: 4 });
    // Min: capacity 3, min 2, metric 10 vs 100: ceil(3 x 0.1) = 1, clamped to 2 at tick 15.
    const lo = harness({ capacity: 3, min: 2, series: { InvocationsPerInstance: repeat(10, 16) } });
    lo.scaler.putScalingPolicy(tt('p', 100));
    lo.run(16);
    expect(lo.changes).toEqual([[15, 2]]);
  });

  it('with several policies, the largest capacity wins both ways', () => {
    // Scale-out: invocations want ceil(2 x 150/100) = 3, CPU wants ceil(2 x 300/100) = 6 -> 6 at
    // tick 3; both policies asked, so both are in their scale-out cooldown (base 2) until tick 8:
    // their proposals 3 and 6 add nothing. Tick 8, from 6: max(ceil(6 x 1.5), ceil(6 x 3)) = 18.
    const out = harness({ capacity: 2, series: { InvocationsPerInstance: repeat(150, 9), CPUUtilization: repeat(300, 9) } });
    out.scaler.putScalingPolicy(tt('inv', 100));
    out.scaler.putScalingPolicy(tt('cpu', 100, {}, 'CPUUtilization'));
    out.run(8);
    expect(out.changes).toEqual([
      [3, 6],
      [8, 18],
    ]);
    // Scale-in: both low alarms fire at tick 15. Invocations (20 vs 100) want ceil(10 x 0.2) = 2,
    // CPU (45 vs 100) wants ceil(10 x 0.45) = 5 -> only to 5. Both start their 300 s scale-in
    // cooldown; at tick 20: max(ceil(5 x 0.2), ceil(5 x 0.45)) = 3.
    const inn = harness({ capacity: 10, series: { InvocationsPerInstance: repeat(20, 21), CPUUtilization: repeat(45, 21) } });
    inn.scaler.putScalingPolicy(tt('inv', 100));
    inn.scaler.putScalingPolicy(tt('cpu', 100, {}, 'CPUUtilization'));
    inn.run(21);
    expect(inn.changes).toEqual([
      [15, 5],
      [20, 3],
    ]);
  });
});

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

/**
 * An endpoint as SageMaker runs it: a capacity change sets DesiredInstanceCount at once and puts
 * the endpoint in Updating; the new count is in service `provisionMinutes` later, when it is
 * InService again. The load is fixed at `perMinute` invocations a minute whatever the fleet
 * (the closed loop is paced outside the instances), and InvocationsPerInstance is each request
 * divided by the instances in service when it arrives, summed over the minute.
 */
function updatingEndpoint(opts: {
  inService: number;
  perMinute: number;
  provisionMinutes: number;
  updatingUntilMinute?: number;
  blocks?: boolean;
  oneDatapointAlarms?: boolean;
}) {
  const clock = new VirtualClock(T0);
  let desired = opts.inService;
  let updatingUntil = T0 + (opts.updatingUntilMinute ?? 0) * MIN;
  const fleet: [number, number][] = [[-Infinity, opts.inService]]; // [from ms, instances in service]
  const changes: [number, number][] = [];
  const inServiceAt = (t: number) => fleet.filter(([from]) => from <= t).at(-1)![1];
  const metrics = {
    reads: [] as { start: number; now: number }[],
    datapoint(q: MetricQuery, start: number, period: number) {
      this.reads.push({ start, now: clock.now() });
      if (q.MetricName !== 'InvocationsPerInstance' || start < T0) return undefined; // no traffic before T0
      // Integral of perMinute / inService over the period, in whole seconds (fleet changes fall on them).
      let sum = 0;
      for (let s = 0; s < period; s++) sum += opts.perMinute / 60 / inServiceAt(start + s * 1000);
      return sum;
    },
  };
  let n = 0;
  const one = { evaluationPeriods: 1, datapointsToAlarm: 1 };
  const scaler = new ApplicationAutoScaler({
    clock,
    metrics,
    uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    targetTrackingAlarms: opts.oneDatapointAlarms ? { high: one, low: one } : {},
  });
  scaler.registerScalableTarget(
    { ...IDS, MinCapacity: 1, MaxCapacity: 10 },
    {
      desiredCapacity: () => desired,
      ...(opts.blocks === false ? {} : { isUpdating: () => clock.now() < updatingUntil }),
      setDesiredCapacity: (c, done) => {
        desired = c;
        changes.push([(clock.now() - T0) / MIN, c]);
        updatingUntil = clock.now() + opts.provisionMinutes * MIN;
        clock.schedule(opts.provisionMinutes * MIN, () => {
          fleet.push([clock.now(), c]);
          done({ status: 'Successful' });
        });
      },
    },
  );
  return {
    scaler,
    changes,
    metrics,
    run(minutes: number) {
      scaler.start();
      clock.advance(minutes * MIN);
    },
    failed: () =>
      scaler
        .activityRecords()
        .filter((a) => a.StatusCode === 'Failed')
        .map((a) => [(a.StartTime - T0) / MIN, a.Description]),
  };
}

describe('no scaling while the endpoint is Updating', () => {
  it('refuses every change until the scale-out is in service, then re-evaluates against the larger fleet', () => {
    // 1 instance, 72,000 invocations a minute that do not grow with the fleet, target 30,000,
    // ScaleOutCooldown 300 s, new instances in service 6.5 min after the change.
    // tick 3: minutes 0-2 at 72,000 -> ceil(1 x 2.4) = 3. Updating until 9.5; cooldown until tick 8, base 1.
    // ticks 4-7: from base 1 the proposal stays 3 = desired: no attempt.
    // tick 8: the cooldown is over, base = desired 3, metric still 72,000 (1 in service):
    //         ceil(3 x 2.4) = 8 -> refused (Updating): a Failed activity, no cooldown. tick 9: the same.
    // 9.5: 3 in service. Minute 9 = 30 s x 1,200/1 + 30 s x 1,200/3 = 36,000 + 12,000 = 48,000.
    // tick 10: minutes 7-9 all above 30,000 -> ceil(3 x 1.6) = 5. Updating until 16.5.
    // ticks 11-20: minute 10 on is 24,000 (then 14,400): below target, AlarmHigh is OK; AlarmLow
    //         needs 15 low minutes (10-24), so nothing before tick 25.
    const e = updatingEndpoint({ inService: 1, perMinute: 72_000, provisionMinutes: 6.5 });
    e.scaler.putScalingPolicy(tt('p', 30_000, { ScaleOutCooldown: 300 }));
    e.run(20);
    expect(e.changes).toEqual([
      [3, 3],
      [10, 5],
    ]);
    expect(e.failed()).toEqual([
      [8, 'Setting desired instance count to 8.'],
      [9, 'Setting desired instance count to 8.'],
    ]);
    const refused = e.scaler.describeScalingActivities().find((a) => a.StatusCode === 'Failed')!;
    expect(refused.StatusMessage).toMatch(
      /^Failed to set desired instance count to 8\. Reason: Cannot update in-progress endpoint "arn:aws:sagemaker:us-east-1:000000000000:endpoint\/e"\. \(Service: AmazonSageMaker; Status Code: 400; Error Code: ValidationException; Request ID: [0-9a-f-]{36}\)$/,
    );
    expect(refused.Cause).toMatch(/^monitor alarm TargetTracking-endpoint\/e\/variant\/v-AlarmHigh-.* in state ALARM triggered policy p$/);
    // The first scale-out ends when its instances are in service.
    const first = e.scaler.activityRecords().find((a) => a.StatusCode === 'Successful' && a.toCapacity === 3)!;
    expect(first.EndTime! - T0).toBe(9.5 * MIN);
  });

  it('without the Updating rule the same policy overshoots to 8 at tick 8 (the contrast)', () => {
    // Same inputs, a resource that never reports Updating: tick 8 applies ceil(3 x 2.4) = 8.
    const e = updatingEndpoint({ inService: 1, perMinute: 72_000, provisionMinutes: 6.5, blocks: false });
    e.scaler.putScalingPolicy(tt('p', 30_000, { ScaleOutCooldown: 300 }));
    e.run(9);
    expect(e.changes).toEqual([
      [3, 3],
      [8, 8],
    ]);
  });

  it('refuses a scale-in too, and the refused attempt starts no scale-in cooldown', () => {
    // 10 in service at 50 a minute each (500 in all), target 100, one-datapoint alarms; an update
    // already running until 2.5 min. tick 1: ceil(10 x 0.5) = 5, refused; tick 2: refused again;
    // tick 3: InService, applied (so the refusals did not start the 300 s cooldown); tick 4: still
    // 10 in service (the scale-in takes 6.5 min), ceil(5 x 0.5) = 3 but the scale-in cooldown
    // started at tick 3 blocks it before the Updating check: no third Failed activity.
    const e = updatingEndpoint({ inService: 10, perMinute: 500, provisionMinutes: 6.5, updatingUntilMinute: 2.5, oneDatapointAlarms: true });
    e.scaler.putScalingPolicy(tt('p', 100));
    e.run(5);
    expect(e.changes).toEqual([[3, 5]]);
    expect(e.failed()).toEqual([
      [1, 'Setting desired instance count to 5.'],
      [2, 'Setting desired instance count to 5.'],
    ]);
  });
});

describe('alarms read complete one-minute datapoints', () => {
  it('evaluates only at minute boundaries (plus the publishing delay), on periods that have ended', () => {
    // The scaler ticks every 10 s; a 3-of-3 alarm read at tick k asks for minutes k-3, k-2, k-1,
    // each wholly in the past. With evaluationDelaySeconds 30 the read happens at k min + 30 s
    // and still covers minutes k-3..k-1 (the minute in progress is never read).
    for (const delay of [0, 30]) {
      const clock = new VirtualClock(T0);
      const reads: { start: number; now: number }[] = [];
      const metrics = {
        datapoint(_q: MetricQuery, start: number) {
          reads.push({ start: start - T0, now: clock.now() - T0 });
          return 10;
        },
      };
      const scaler = new ApplicationAutoScaler({ clock, metrics, targetTrackingAlarms: { evaluationDelaySeconds: delay, low: { evaluationPeriods: 3, datapointsToAlarm: 3 } } });
      scaler.registerScalableTarget({ ...IDS, MinCapacity: 1, MaxCapacity: 4 }, { desiredCapacity: () => 1, setDesiredCapacity: () => {} });
      scaler.putScalingPolicy(tt('p', 100));
      scaler.start();
      clock.advance(2 * MIN + 50_000);
      const at = (k: number) => [-3, -2, -1].flatMap((d) => [{ start: (k + d) * MIN, now: k * MIN + delay * 1000 }, { start: (k + d) * MIN, now: k * MIN + delay * 1000 }]);
      // Both alarms (high and low) read the same three minutes at each evaluation.
      // With the delay the first read is at 0:30, for the window that ends at T0.
      const expected = [...(delay ? at(0) : []), ...at(1), ...at(2)].sort((a, b) => a.now - b.now || a.start - b.start);
      expect(reads.sort((a, b) => a.now - b.now || a.start - b.start)).toEqual(expected);
    }
  });
});

describe('errors and the lifecycle a live service needs', () => {
  const codeOf = (f: () => unknown): string | undefined => {
    try {
      f();
    } catch (e) {
      return e instanceof AutoScalingError ? e.code : `untyped: ${(e as Error).message}`;
    }
    return undefined;
  };

  it('refusals carry the AWS error code, not a prefixed message', () => {
    const h = harness({ capacity: 1, series: {} });
    const other = { ...IDS, ResourceId: 'endpoint/x/variant/y' };
    expect(codeOf(() => h.scaler.putScalingPolicy({ ...tt('p', 100), ResourceId: other.ResourceId }))).toBe('ObjectNotFoundException');
    expect(codeOf(() => h.scaler.registerScalableTarget({ ...other }, { desiredCapacity: () => 1, setDesiredCapacity: () => {} }))).toBe('ValidationException');
    expect(codeOf(() => h.scaler.deleteScalingPolicy({ ...IDS, PolicyName: 'nope' }))).toBe('ObjectNotFoundException');
    expect(codeOf(() => h.scaler.deregisterScalableTarget(other))).toBe('ObjectNotFoundException');
    expect(codeOf(() => h.scaler.deleteScheduledAction(IDS, 'nope'))).toBe('ObjectNotFoundException');
    const e = (() => {
      try {
        h.scaler.putScalingPolicy({ ...tt('p', 100), ResourceId: other.ResourceId });
      } catch (x) {
        return x as Error;
      }
    })();
    expect(e?.message).not.toMatch(/^ObjectNotFoundException/);
  });

  it('putting a policy again replaces it in place: same ARN, same alarm names, new target value', () => {
    // 1 instance at 250/instance. Target 300: no breach. Replaced at 100 before tick 3: ceil(250/100) = 3.
    const h = harness({ capacity: 1, series: { InvocationsPerInstance: repeat(250, 4) } });
    const first = h.scaler.putScalingPolicy(tt('p', 300));
    const second = h.scaler.putScalingPolicy(tt('p', 100));
    expect(second.PolicyARN).toBe(first.PolicyARN);
    expect(second.Alarms!.map((a) => a.AlarmName)).toEqual(first.Alarms!.map((a) => a.AlarmName));
    expect(h.scaler.alarmList()).toHaveLength(2);
    h.run(4);
    expect(h.changes).toEqual([[3, 3]]);
  });

  it('deregistering removes the policies and their alarms; a restored policy keeps its ids', () => {
    const h = harness({ capacity: 1, series: { InvocationsPerInstance: repeat(250, 4) } });
    const put = h.scaler.putScalingPolicy(tt('p', 100));
    h.scaler.deregisterScalableTarget(IDS);
    expect(h.scaler.alarmList()).toHaveLength(0);
    h.scaler.registerScalableTarget({ ...IDS, MinCapacity: 1, MaxCapacity: 5 }, { desiredCapacity: () => h.capacity(), setDesiredCapacity: () => {} });
    const again = h.scaler.putScalingPolicy(tt('p', 100), { PolicyARN: put.PolicyARN, AlarmNames: put.Alarms!.map((a) => a.AlarmName!) });
    expect(again).toEqual(put);
  });
});

describe('live clocks', () => {
  it('a tick whose timer fires late (as real and scaled clocks do) is still evaluated at its own time', () => {
    // Every timer fires 2.5 s late and the process misses ticks; the scale-out of the first case
    // (2 -> 5 at tick 3) must still happen, stamped at minute 3.
    const virtual = new VirtualClock(T0);
    const late = { now: () => virtual.now(), schedule: (ms: number, fn: () => void) => virtual.schedule(ms + 2500, fn), sleep: (ms: number) => virtual.sleep(ms) };
    let cap = 2;
    const scaler = new ApplicationAutoScaler({
      clock: late,
      metrics: { datapoint: (q: MetricQuery, start: number) => (q.MetricName === 'InvocationsPerInstance' && start >= T0 && start - T0 < 4 * MIN ? 250 : undefined) },
    });
    scaler.registerScalableTarget({ ...IDS, MinCapacity: 1, MaxCapacity: 20 }, { desiredCapacity: () => cap, setDesiredCapacity: (c, done) => ((cap = c), done({ status: 'Successful' })) });
    scaler.putScalingPolicy(tt('p', 100));
    scaler.start();
    virtual.advance(4 * MIN);
    expect(cap).toBe(5);
    expect(scaler.activityRecords().map((a) => [(a.StartTime - T0) / MIN, a.toCapacity])).toEqual([[3, 5]]);
  });
});
