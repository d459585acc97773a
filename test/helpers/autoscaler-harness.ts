/**
 * A harness for the Application Auto Scaling rules on small hand-checked cases
 * (test/simulator-autoscaling-*.test.ts). The autoscaler runs on a VirtualClock with a fake metric
 * source (one value per minute, or none) and a fake capacity target that applies a new desired
 * count at once, so every expected number in those tests is worked out by hand from the rules in
 * the Application Auto Scaling User Guide; each case says how.
 *
 * Timing: the scaler evaluates at every minute boundary T0 + k min; the window it reads ends
 * there, so at "tick k" the latest datapoint is minute k-1, and a 3-of-3 alarm on minutes 0..2
 * goes to ALARM at tick 3.
 */
import { expect } from 'vitest';
import { VirtualClock } from '../../core/clock.js';
import { ApplicationAutoScaler, type MetricQuery, type PutScalingPolicyRequest } from '../../core/autoscaling/index.js';

export const T0 = Date.UTC(2024, 0, 1); // a Monday, 00:00 UTC
export const MIN = 60_000;
const RID = 'endpoint/e/variant/v';
export const IDS = { ServiceNamespace: 'sagemaker', ResourceId: RID, ScalableDimension: 'sagemaker:variant:DesiredInstanceCount' } as const;

export type Series = Record<string, (number | undefined)[]>;

export function harness(opts: {
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

export function tt(name: string, target: number, extra: Record<string, unknown> = {}, metric = 'InvocationsPerInstance'): PutScalingPolicyRequest {
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

export const repeat = (v: number | undefined, n: number) => Array.from({ length: n }, () => v);
