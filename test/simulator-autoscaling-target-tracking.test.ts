/**
 * Application Auto Scaling's target tracking rules, on small hand-checked cases: the autoscaler
 * on a VirtualClock, as test/helpers/autoscaler-harness.ts describes (with how "tick k" is counted).
 */
import { describe, expect, it } from 'vitest';
import { harness, MIN, repeat, T0, tt } from './helpers/autoscaler-harness.js';

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
