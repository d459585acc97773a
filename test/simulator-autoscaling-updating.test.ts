/**
 * Application Auto Scaling against an endpoint that refuses capacity changes while it is
 * Updating, on small hand-checked cases: the autoscaler on a VirtualClock, as
 * test/helpers/autoscaler-harness.ts describes (with how "tick k" is counted).
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../core/clock.js';
import { ApplicationAutoScaler, type MetricQuery } from '../core/autoscaling/index.js';
import { IDS, MIN, T0, tt } from './helpers/autoscaler-harness.js';

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
