/**
 * The event engine and the endpoint model against queueing theory and against hand-computed
 * traffic shapes. Expected values are analytic (Little's law, Erlang C) or counted by hand from
 * the scenario; none is copied from a run.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../core/clock.js';
import { MinHeap } from '../core/heap.js';
import { EventQueue } from '../simulator/engine/event-queue.js';
import { Rng } from '../core/random.js';
import { writeReport } from '../simulator/report/write.js';
import { runScenario } from '../simulator/run.js';
import { parseScenario } from '../simulator/scenario.js';
import { erlangC } from './helpers/queueing.js';

describe('event queue and clock', () => {
  it('pops in time order, first-scheduled first at equal times', () => {
    const q = new EventQueue(16); // small, so it has to grow
    const rng = new Rng(1);
    const want: [number, number][] = [];
    for (let i = 0; i < 5000; i++) {
      const t = rng.int(100); // many ties
      q.push(t, 0, i, 0);
      want.push([t, i]);
    }
    want.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const got: [number, number][] = [];
    while (q.size) {
      q.pop();
      got.push([q.lastTime, q.lastA]);
    }
    expect(got).toEqual(want);
  });

  it('the one heap (core/heap.ts): pops in key order, FIFO among equal keys, and replaceTop keeps the order', () => {
    const h = new MinHeap(2); // small, so it has to grow
    const rng = new Rng(9, 1);
    const ref: [number, number, number][] = []; // [key, insertion order, value]
    for (let i = 0; i < 500; i++) {
      const key = rng.int(50); // many equal keys
      h.push(key, i);
      ref.push([key, i, i]);
    }
    // Replace the top a few times: the replaced entry goes behind the others of its key.
    let order = 500;
    for (let i = 0; i < 20; i++) {
      ref.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      const [, , v] = ref.shift()!;
      const key = rng.int(50);
      h.replaceTop(key, v);
      ref.push([key, order++, v]);
    }
    ref.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const popped: [number, number][] = [];
    while (h.size) {
      const v = h.pop();
      popped.push([h.poppedKey, v]);
    }
    expect(popped).toEqual(ref.map(([k, , v]) => [k, v]));
  });

  it('VirtualClock keeps its contract: order, ties, cancel, timers scheduled while firing', () => {
    const c = new VirtualClock(1000);
    const log: string[] = [];
    c.schedule(10, () => {
      log.push(`a@${c.now()}`);
      c.schedule(0, () => log.push(`c@${c.now()}`));
    });
    const cancel = c.schedule(5, () => log.push('cancelled'));
    c.schedule(10, () => log.push(`b@${c.now()}`));
    c.schedule(30, () => log.push(`late@${c.now()}`));
    cancel();
    c.advance(20);
    expect(log).toEqual(['a@1010', 'b@1010', 'c@1010']);
    expect(c.now()).toBe(1020);
    expect(c.nextDueAt()).toBe(1030);
    c.advanceTo(1030);
    expect(log.at(-1)).toBe('late@1030');
    expect(c.nextDueAt()).toBe(Infinity);
  });
});

const base = (traffic: unknown, serving: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  parseScenario({ seed: 11, traffic: { phases: [traffic] }, serving: { instanceType: 'ml.m5.xlarge', ...serving }, ...extra });

describe('queueing theory', () => {
  it("Little's law on a closed loop: throughput x response time = users, within 2 %", () => {
    // 60 users, no think time, one instance with 4 workers, service lognormal mean 8 ms. In a
    // closed loop with no think time every user always has exactly one request in the system, so
    // N = X * R (Little's law) with N = 60.
    const sc = base({ closedLoop: { users: 60, holdFor: '10m' } }, { concurrency: 4, serviceTime: { distribution: 'lognormal', mean: '8ms', sigma: 0.6 } });
    const m = runScenario(sc).model.recorder;
    const X = m.completed / (sc.durationMs / 1000); // requests per second
    const R = m.completedLatencySum / m.completed / 1000; // seconds
    expect(Math.abs((X * R) / 60 - 1)).toBeLessThan(0.02);
    // And a saturated 4-worker queue completes 4 / E[S] = 500 requests per second (to sampling error).
    expect(Math.abs(X / 500 - 1)).toBeLessThan(0.02);
  });

  it("Little's law with think time: throughput x (response time + think time) = users, within 2 %", () => {
    // 40 users thinking exponential 50 ms, 2 instances x 2 workers, least-outstanding routing.
    const sc = base(
      { closedLoop: { users: 40, holdFor: '10m', thinkTime: { distribution: 'exponential', mean: '50ms' } } },
      { concurrency: 2, initialInstanceCount: 2, routing: 'least-outstanding-requests', serviceTime: { distribution: 'exponential', mean: '10ms' } },
    );
    const m = runScenario(sc).model.recorder;
    const X = m.completed / (sc.durationMs / 1000);
    const R = m.completedLatencySum / m.completed / 1000;
    expect(Math.abs((X * (R + 0.05)) / 40 - 1)).toBeLessThan(0.02);
  });

  it('M/M/c: mean waiting time matches Erlang C within 5 %', () => {
    // c = 4 workers, service exponential mean 10 ms (mu = 100/s), Poisson arrivals lambda = 320/s:
    // a = 3.2, rho = 0.8. Wq = C(c, a) / (c mu - lambda) = 0.5964 / 80 s = 7.455 ms.
    const c = 4;
    const mu = 100;
    const lambda = 320;
    const wq = (erlangC(c, lambda / mu) / (c * mu - lambda)) * 1000;
    expect(wq).toBeCloseTo(7.455, 2); // the hand computation above
    const sc = base({ openLoop: { rate: lambda, duration: '40m' } }, { concurrency: c, serviceTime: { distribution: 'exponential', mean: '10ms' } });
    const m = runScenario(sc).model.recorder;
    const measuredWq = m.completedLatencySum / m.completed - 1000 / mu; // W - E[S]
    expect(Math.abs(measuredWq / wq - 1)).toBeLessThan(0.05);
  });

  it('M/M/1 sanity: mean response time 1/(mu - lambda) within 5 %', () => {
    // mu = 200/s, lambda = 100/s: W = 1/(200 - 100) s = 10 ms.
    const sc = base({ openLoop: { rate: 100, duration: '60m' } }, { concurrency: 1, serviceTime: { distribution: 'exponential', mean: '5ms' } });
    const m = runScenario(sc).model.recorder;
    expect(Math.abs(m.completedLatencySum / m.completed / 10 - 1)).toBeLessThan(0.05);
  });
});

describe('traffic shapes', () => {
  it('staircase ramp: 1000 users over 10 minutes in 10 steps is +100 each minute, from 100 at t=0', () => {
    const sc = base({ closedLoop: { users: 1000, rampUp: '10m', steps: 10 } }, { concurrency: 4, serviceTime: '3ms' });
    const m = runScenario(sc).model.recorder;
    for (let k = 0; k < 10; k++) {
      expect(m.perSecondUsers[k * 60]).toBe(100 * (k + 1));
      expect(m.perSecondUsers[k * 60 + 59]).toBe(100 * (k + 1));
    }
  });

  it('linear ramp: user k of n starts at k x rampUp / n', () => {
    // 60 users over 60 s: one more each second; at the start of second s there are s + 1.
    const sc = base({ closedLoop: { users: 60, rampUp: '60s', holdFor: '10s' } }, { concurrency: 4, serviceTime: '3ms' });
    const m = runScenario(sc).model.recorder;
    for (const s of [0, 1, 30, 59, 65]) expect(m.perSecondUsers[s]).toBe(Math.min(60, s + 1));
  });

  it('open loop with uniform arrivals at a constant rate sends exactly rate x duration requests', () => {
    // 50 req/s evenly spaced for 10 s: arrivals at 20 ms, 40 ms, ... 9980 ms: 499 requests.
    const sc = base({ openLoop: { rate: 50, duration: '10s', arrivals: 'uniform' } }, { serviceTime: '1ms' });
    const m = runScenario(sc).model.recorder;
    expect(m.perPhaseSent[0]).toBe(499);
    expect(m.perSecondSent[0]).toBe(49); // 20 ms ... 980 ms
    expect(m.perSecondSent[1]).toBe(50);
  });

  it('a Poisson rate curve delivers the integral of the rate, within sampling error', () => {
    // Linear 0 -> 200/s over 10 min, then 200 -> 100 over 10 min: 600 x 100 + 600 x 150 = 150,000
    // expected arrivals; Poisson standard deviation sqrt(150,000) = 387, so 1 % is > 3 sigma.
    const sc = base({ openLoop: { curve: [[0, 0], ['10m', 200], ['20m', 100]] } }, { concurrency: 8, serviceTime: '1ms' });
    const m = runScenario(sc).model.recorder;
    expect(Math.abs(m.perPhaseSent[0] / 150_000 - 1)).toBeLessThan(0.01);
    // Minute 0 should see about 0.5 x (0 + 20) x 60 = 600 requests, minute 19 about 0.5 x (105 + 100) x 60 = 6150.
    expect(Math.abs(m.perMinuteInvocations[0] / 600 - 1)).toBeLessThan(0.15);
    expect(Math.abs(m.perMinuteInvocations[19] / 6150 - 1)).toBeLessThan(0.05);
  });

  it('replays a CSV trace of timestamps, relative to its first, at the right seconds', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-trace-'));
    const file = join(dir, 'trace.csv');
    writeFileSync(file, 'timestamp,path\n1700000000.0,/a\n1700000000.5,/a\n1700000002.25,/b\n1700000002.75,/b\n1700000002.8,/b\n');
    const sc = parseScenario(
      { traffic: { phases: [{ trace: { file: 'trace.csv', column: 'timestamp', duration: '5s' } }] }, serving: { instanceType: 'ml.m5.large', serviceTime: '1ms' } },
      { baseDir: dir },
    );
    const m = runScenario(sc).model.recorder;
    expect(Array.from(m.perSecondSent.subarray(0, 5))).toEqual([2, 0, 3, 0, 0]);
  });

  it('phases run in sequence and requests count toward the phase they were sent in', () => {
    // 10 s at 100 req/s then 5 s at 20 req/s, evenly spaced: 999 + 99 requests.
    const sc = parseScenario({
      traffic: { phases: [{ name: 'a', openLoop: { rate: 100, duration: '10s', arrivals: 'uniform' } }, { name: 'b', openLoop: { rate: 20, duration: '5s', arrivals: 'uniform' } }] },
      serving: { instanceType: 'ml.m5.large', serviceTime: '1ms' },
    });
    const m = runScenario(sc).model.recorder;
    expect(Array.from(m.perPhaseSent)).toEqual([999, 99]);
  });
});

describe('serving', () => {
  it('fails requests whose queue wait passes the timeout', () => {
    // One worker, constant 1 s service, 3 requests at once (uniform 1000/s for 3 ms): the first
    // waits 0, the second 1 s, the third 2 s. With a 1.5 s timeout exactly one times out.
    const sc = base({ openLoop: { rate: 1000, duration: '3ms', arrivals: 'uniform' } }, { concurrency: 1, serviceTime: '1s', queueTimeout: '1.5s' }, { duration: '10s' });
    const m = runScenario(sc).model.recorder;
    expect(m.perPhaseSent[0]).toBe(2); // 1 ms and 2 ms (3 ms is the phase end)
    const sc3 = base({ openLoop: { rate: 1000, duration: '3.5ms', arrivals: 'uniform' } }, { concurrency: 1, serviceTime: '1s', queueTimeout: '1.5s' }, { duration: '10s' });
    const m3 = runScenario(sc3).model.recorder;
    expect(m3.perPhaseSent[0]).toBe(3);
    expect(m3.perPhaseOk[0]).toBe(2);
    expect(m3.perPhaseTimeouts[0]).toBe(1);
  });

  it('a failed instance fails its requests and is replaced after the replacement time', () => {
    // Mean time between failures 2 min per instance over 30 min, 2 instances: failures happen;
    // each is replaced (desired count unchanged), so launches = failures.
    const sc = base(
      { openLoop: { rate: 200, duration: '30m' } },
      { initialInstanceCount: 2, concurrency: 4, serviceTime: '5ms', failures: { meanTimeBetweenFailures: '2m', replacement: '1m' } },
    );
    const r = runScenario(sc);
    const failed = r.model.fleet.instances.filter((i) => i.failed).length;
    expect(failed).toBeGreaterThan(3);
    expect(r.model.fleet.instances.length - 2).toBe(failed);
    const repl = r.model.fleet.instances.filter((i) => i.replacement && !Number.isNaN(i.inServiceAt));
    for (const i of repl) expect(i.inServiceAt - i.launchedAt).toBe(60_000);
  });

  it('warm-up: new instances serve after the warm-up; DesiredInstanceCount moves at once', () => {
    // Target tracking at 6000/min/instance; 1 instance saturated at 4 workers / 10 ms = 400/s =
    // 24,000/min -> at tick 3: ceil(1 x 24000 / 6000) = 4 desired at 180 s; warm-up constant 5 min
    // -> 4 in service at 480 s.
    const sc = parseScenario({
      endpoint: { name: 'e', variant: 'v' },
      traffic: { phases: [{ closedLoop: { users: 100, holdFor: '10m' } }] },
      serving: { instanceType: 'ml.m5.xlarge', concurrency: 4, serviceTime: '10ms', warmup: '5m' },
      scaling: {
        scalableTarget: { MinCapacity: 1, MaxCapacity: 4 },
        policies: [{ PolicyName: 'p', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: { TargetValue: 6000, PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' } } }],
      },
    });
    const r = runScenario(sc);
    const m = r.model.recorder;
    expect(m.perSecondDesired[179]).toBe(1);
    expect(m.perSecondDesired[181]).toBe(4);
    expect(m.perSecondInService[479]).toBe(1);
    expect(m.perSecondInService[481]).toBe(4);
    expect(r.activities[0]).toMatchObject({ StartTime: sc.startMs + 180_000, EndTime: sc.startMs + 480_000, StatusCode: 'Successful', Description: 'Setting desired instance count to 4.' });
  });
});

describe('scaling from a scenario file', () => {
  it('runs a step policy on CPUUtilization from a PutMetricAlarm and a scheduled action', () => {
    // One instance, 4 workers, 100 closed-loop users: saturated, so CPUUtilization = 4 busy
    // workers x 100 % = 400 % > 300 every minute. The alarm (1 of 1) fires at tick 1 (60 s):
    // ChangeInCapacity +1 -> 2. Its 120 s cooldown ends at 180 s; the alarm still fires (the
    // closed loop keeps every instance saturated), so +1 again -> 3 at 180 s, cooldown until 300 s.
    // At 00:05 the scheduled action raises MinCapacity to 5 -> 5 at 300 s, and the endpoint is
    // Updating until those instances are in service (warm-up 30 s: 330 s). The alarm at 300 s
    // (cooldown just over, base 5, +1 = 6) is refused: a Failed activity, no cooldown. At 360 s
    // the endpoint is InService again: 5 + 1 -> 6.
    const E = { EndpointName: 'e', VariantName: 'v' };
    const sc = parseScenario({
      endpoint: { name: 'e', variant: 'v' },
      traffic: { phases: [{ closedLoop: { users: 100, holdFor: '6m' } }] },
      serving: { instanceType: 'ml.m5.xlarge', concurrency: 4, serviceTime: '10ms', warmup: '30s' },
      scaling: {
        scalableTarget: { MinCapacity: 1, MaxCapacity: 6 },
        policies: [{ PolicyName: 'step-out', PolicyType: 'StepScaling', StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity', Cooldown: 120, StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }] } }],
        alarms: [
          {
            AlarmName: 'cpu-high',
            Namespace: '/aws/sagemaker/Endpoints',
            MetricName: 'CPUUtilization',
            Dimensions: Object.entries(E).map(([Name, Value]) => ({ Name, Value })),
            Statistic: 'Average',
            Period: 60,
            EvaluationPeriods: 1,
            Threshold: 300,
            ComparisonOperator: 'GreaterThanThreshold',
            AlarmActions: ['step-out'],
          },
        ],
        scheduledActions: [{ ScheduledActionName: 'morning', Schedule: 'at(2024-01-01T00:05:00)', ScalableTargetAction: { MinCapacity: 5 } }],
      },
    });
    const r = runScenario(sc);
    const changes = r.activities.filter((a) => a.toCapacity !== a.fromCapacity).map((a) => [(a.StartTime - sc.startMs) / 1000, a.toCapacity]);
    expect(changes).toEqual([
      [60, 2],
      [180, 3],
      [300, 5],
      [360, 6],
    ]);
    const refused = r.activities.filter((a) => a.StatusCode === 'Failed');
    expect(refused.map((a) => [(a.StartTime - sc.startMs) / 1000, a.Description])).toEqual([[300, 'Setting desired instance count to 6.']]);
    expect(refused[0].StatusMessage).toContain('Reason: Cannot update in-progress endpoint "arn:aws:sagemaker:us-east-1:000000000000:endpoint/e".');
    expect(r.activities[0].Cause).toBe('monitor alarm cpu-high in state ALARM triggered policy step-out');
    expect(r.model.recorder.perSecondInService[91]).toBe(2); // 60 s + 30 s warm-up
  });

  it('the Updating block and the re-evaluation against the larger fleet, end to end through the request path', () => {
    // 600 users started 1/60 s apart (ramp 10 s), 1 s constant network round trip, 1 ms service
    // on 4 workers (never queues): each user sends every 1.001 s, so a full minute carries
    // x = 600 x 60 / 1.001 = 35,964 invocations. Target 15,000, warm-up 5.5 min, cooldown 300 s.
    // tick 3 (180 s): minutes 0-2 breach; ceil(1 x 35,964 / 15,000) = 3; Updating until 8:30.
    // ticks 4-7: from the cooldown's base 1 the proposal stays 3: no attempt.
    // tick 8 (480 s): cooldown over, base 3, still 1 in service: ceil(3 x 2.398) = 8 -> refused.
    // 8:30: 3 in service. Minute 8 = 30 s at 1 + 30 s at 3 instances = x/2 + x/6 = 23,976.
    // tick 9 (540 s): ceil(3 x 23,976 / 15,000) = 5 -> 5 (in service at 14:30).
    // ticks 10-14: minute 9 on is x/3 = 11,988 < 15,000: AlarmHigh is OK, nothing more.
    const sc = parseScenario({
      endpoint: { name: 'e', variant: 'v' },
      traffic: { phases: [{ closedLoop: { users: 600, rampUp: '10s', holdFor: '15m' } }] },
      path: { network: { latency: '1s' } },
      serving: { instanceType: 'ml.m5.xlarge', concurrency: 4, serviceTime: '1ms', warmup: '5.5m' },
      scaling: {
        scalableTarget: { MinCapacity: 1, MaxCapacity: 10 },
        policies: [{ PolicyName: 'p', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: { TargetValue: 15000, ScaleOutCooldown: 300, PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' } } }],
      },
    });
    const r = runScenario(sc);
    const at = (a: { StartTime: number }) => (a.StartTime - sc.startMs) / 1000;
    expect(r.activities.filter((a) => a.StatusCode !== 'Failed').map((a) => [at(a), a.toCapacity, a.StatusCode])).toEqual([
      [180, 3, 'Successful'],
      [540, 5, 'Successful'],
    ]);
    expect(r.activities.filter((a) => a.StatusCode === 'Failed').map((a) => [at(a), a.Description])).toEqual([[480, 'Setting desired instance count to 8.']]);
    // The alarm history shows the refused attempt as an Action item under AlarmHigh.
    const actions = r.alarmHistory.filter((h) => h.historyItemType === 'Action');
    expect(actions.map((h) => [(h.at - sc.startMs) / 1000, h.AlarmName.includes('-AlarmHigh-')])).toEqual([[480, true]]);
    expect(actions[0].reason).toMatch(/^Action: invoked policy p; the scaling activity failed: Failed to set desired instance count to 8\. Reason: Cannot update in-progress endpoint/);
    const rec = r.model.recorder;
    expect(Math.abs(rec.perMinuteInvocations[5] / 35_964 - 1)).toBeLessThan(0.001);
    expect(Math.abs(rec.perMinuteInvocationsPerInstance[8] / 23_976 - 1)).toBeLessThan(0.002);
  });

  it('refuses an alarm on a metric the simulator does not publish', () => {
    const sc = parseScenario({
      traffic: { phases: [{ openLoop: { rate: 1, duration: '1m' } }] },
      serving: { instanceType: 'ml.m5.large', serviceTime: '1ms' },
      scaling: {
        scalableTarget: { MinCapacity: 1, MaxCapacity: 2 },
        policies: [{ PolicyName: 's', PolicyType: 'StepScaling', StepScalingPolicyConfiguration: { StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }] } }],
        alarms: [{ AlarmName: 'a', Namespace: 'AWS/SageMaker', MetricName: 'Invocations', Threshold: 1, ComparisonOperator: 'GreaterThanThreshold', AlarmActions: ['s'] }],
      },
    });
    expect(() => runScenario(sc)).toThrow(/scaling.alarms\[0\].*EndpointName=endpoint/);
  });
});

describe('determinism', () => {
  const scenario = (seed: number) =>
    parseScenario({
      seed,
      endpoint: { name: 'e', variant: 'v' },
      traffic: {
        phases: [
          { name: 'users', closedLoop: { users: 50, rampUp: '2m', holdFor: '3m', thinkTime: { distribution: 'exponential', mean: '20ms' } } },
          { name: 'curve', openLoop: { curve: [[0, 500], ['5m', 3000], ['10m', 100]] } },
        ],
      },
      serving: {
        instanceType: 'ml.c5.xlarge',
        concurrency: 4,
        routing: 'random',
        serviceTime: { distribution: 'percentiles', min: '1ms', p50: '3ms', p90: '6ms', p99: '15ms', max: '40ms' },
        failures: { meanTimeBetweenFailures: '10m' },
        warmup: { distribution: 'uniform', min: '1m', max: '2m' },
      },
      scaling: {
        scalableTarget: { MinCapacity: 1, MaxCapacity: 8 },
        policies: [{ PolicyName: 'p', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: { TargetValue: 20000, PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' }, ScaleInCooldown: 60 } }],
      },
      slo: { p99: '50ms' },
    });
  const filesOf = (dir: string) => Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f))]));

  it('the same scenario and seed give byte-identical report files; another seed does not', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'sim-det-'));
    writeReport(runScenario(scenario(5)), join(tmp, 'a'));
    writeReport(runScenario(scenario(5)), join(tmp, 'b'));
    writeReport(runScenario(scenario(6)), join(tmp, 'c'));
    const a = filesOf(join(tmp, 'a'));
    const b = filesOf(join(tmp, 'b'));
    const c = filesOf(join(tmp, 'c'));
    expect(Object.keys(a)).toEqual(['alarms.json', 'index.html', 'per-minute.csv', 'per-minute.json', 'per-second.csv', 'per-second.json', 'scaling-activities.json', 'summary.json']);
    for (const f of Object.keys(a)) expect(a[f].equals(b[f]), f).toBe(true);
    expect(a['per-second.csv'].equals(c['per-second.csv'])).toBe(false);
    // The run exercised scaling and failures, so the comparison covered those paths too.
    const summary = JSON.parse(a['summary.json'].toString());
    expect(summary.scaling.scaleOuts).toBeGreaterThan(0);
    expect(summary.instances.failures).toBeGreaterThan(0);
  });
});
