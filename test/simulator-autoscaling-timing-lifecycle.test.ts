/**
 * When Application Auto Scaling's alarms read their datapoints, the errors it answers with, the
 * lifecycle a live service needs, and ticks whose timers fire late, on small hand-checked cases:
 * the autoscaler on a VirtualClock, as test/helpers/autoscaler-harness.ts describes (with how
 * "tick k" is counted).
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../core/clock.js';
import { ApplicationAutoScaler, AutoScalingError, type MetricQuery } from '../core/autoscaling/index.js';
import { harness, IDS, MIN, repeat, T0, tt } from './helpers/autoscaler-harness.js';

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

/** A clock whose every timer fires 2.5 s late, as real and scaled clocks do on a busy machine. */
const lateClock = (virtual: VirtualClock) => ({ now: () => virtual.now(), schedule: (ms: number, fn: () => void) => virtual.schedule(ms + 2500, fn), sleep: (ms: number) => virtual.sleep(ms) });

describe('live clocks', () => {
  it('a tick whose timer fires late (as real and scaled clocks do) is still evaluated on its own periods, and acts when it runs', () => {
    // Every timer fires 2.5 s late and the process misses ticks; the scale-out of the first case
    // (2 -> 5 at tick 3) must still happen, decided on the periods that end at minute 3 and
    // stamped when that evaluation actually ran, 2.5 s later.
    const virtual = new VirtualClock(T0);
    const late = lateClock(virtual);
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
    expect(scaler.activityRecords().map((a) => [a.StartTime - T0, a.toCapacity])).toEqual([[3 * MIN + 2500, 5]]);
  });

  it('a late tick that runs after an update ended starts its scale-out after that update, not at the tick', () => {
    // 2 -> 5 at minute 3 (evaluated at 3:02.5); that update ends at 4:01, between tick 4 and its
    // late evaluation at 4:02.5, which sees 500 per instance and scales 5 -> 10. Stamped at
    // minute 4 it would have started a minute before the update it had to wait for had ended.
    const virtual = new VirtualClock(T0);
    let cap = 2;
    let updating = false;
    const scaler = new ApplicationAutoScaler({
      clock: lateClock(virtual),
      metrics: { datapoint: (q: MetricQuery, start: number) => (q.MetricName !== 'InvocationsPerInstance' || start < T0 ? undefined : start - T0 < 3 * MIN ? 250 : 500) },
    });
    const target = {
      desiredCapacity: () => cap,
      isUpdating: () => updating,
      setDesiredCapacity: (c: number, done: (o: { status: 'Successful' }) => void) => {
        cap = c;
        updating = true;
        virtual.schedule(T0 + 4 * MIN + 1000 - virtual.now(), () => ((updating = false), done({ status: 'Successful' })));
      },
    };
    scaler.registerScalableTarget({ ...IDS, MinCapacity: 1, MaxCapacity: 20 }, target);
    scaler.putScalingPolicy(tt('p', 100));
    scaler.start();
    virtual.advance(4 * MIN + 5000);
    const [first, second] = scaler.activityRecords();
    expect([first.StartTime - T0, first.EndTime! - T0, first.toCapacity]).toEqual([3 * MIN + 2500, 4 * MIN + 1000, 5]);
    expect([second.StartTime - T0, second.toCapacity]).toEqual([4 * MIN + 2500, 10]);
    expect(second.StartTime).toBeGreaterThanOrEqual(first.EndTime!);
  });

  it('an at() action whose time falls between the request and a later clock read still runs', () => {
    // PutScheduledAction arrives at 00:00:00.900 for at(00:00:01); by the time the scaler arms it,
    // a scaled clock already reads 00:00:01.100 (a real millisecond is many emulator ones). The
    // action is armed from the request's instant, so it runs.
    const virtual = new VirtualClock(T0 + 1100);
    let cap = 1;
    const scaler = new ApplicationAutoScaler({ clock: virtual, metrics: { datapoint: () => undefined } });
    scaler.registerScalableTarget({ ...IDS, MinCapacity: 1, MaxCapacity: 5 }, { desiredCapacity: () => cap, setDesiredCapacity: (c, done) => ((cap = c), done({ status: 'Successful' })) });
    scaler.putScheduledAction({ ...IDS, ScheduledActionName: 'edge', Schedule: 'at(2024-01-01T00:00:01)', ScalableTargetAction: { MinCapacity: 2 } }, { nowMs: T0 + 900 });
    virtual.advance(MIN);
    expect(cap).toBe(2);
    expect(scaler.bounds(IDS)).toEqual({ min: 2, max: 5 });
  });
});
