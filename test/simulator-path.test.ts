/**
 * The request path's stages, each against queueing theory, and the whole closed loop against the
 * machine-repairman model. Every expected number is computed from a formula (or by hand) here.
 */
import { describe, expect, it } from 'vitest';
import { runScenario } from '../simulator/run.js';
import { parseScenario } from '../simulator/scenario.js';
import { summarize } from '../simulator/report/summary.js';
import { erlangC, machineRepairman } from './helpers/queueing.js';

const scenario = (o: Record<string, unknown>) => parseScenario({ seed: 5, ...o, serving: { instanceType: 'ml.m5.xlarge', ...(o.serving as object) } });
const stage = (s: ReturnType<typeof summarize>, name: string) => s.stages.find((x) => x.name === name)!;

describe('each stage alone', () => {
  it('an infinite-server stage is a pure delay: every round trip is exactly delay + service, whatever the load', () => {
    // 500 req/s Poisson for 5 min through a constant 200 ms network round trip; the instance
    // answers in a constant 1 ms on 64 workers (never queues at 500/s x 1 ms = 0.5 busy).
    // Each round trip is 200 + 1 = 201 ms; the network holds lambda x 200 ms = 100 requests on
    // average (Little's law), with no wait and no utilisation (it has no servers).
    const sc = scenario({ traffic: { phases: [{ openLoop: { rate: 500, duration: '5m' } }] }, path: { network: { latency: '200ms' } }, serving: { concurrency: 64, serviceTime: '1ms' } });
    const r = runScenario(sc);
    const s = summarize(r);
    const rec = r.model.recorder;
    expect(s.latencyMs.max).toBe(201);
    expect(rec.completedLatencySum / rec.completed).toBeCloseTo(201, 6);
    const net = stage(s, 'network');
    expect(net.meanMs).toBe(200);
    expect(net.meanWaitMs).toBe(0);
    expect(net.utilisation).toBeNull();
    expect(Math.abs(net.meanInStage! / 100 - 1)).toBeLessThan(0.02);
  });

  it('a stage with c servers is M/M/c: its mean wait matches Erlang C, its utilisation lambda / (c mu)', () => {
    // The load generator as the queue: c = 3 servers, overhead exponential mean 10 ms (mu = 100/s),
    // Poisson arrivals lambda = 240/s: a = 2.4, rho = 0.8. Wq = C(3, 2.4) / (3 x 100 - 240) s.
    const c = 3;
    const mu = 100;
    const lambda = 240;
    const wq = (erlangC(c, lambda / mu) / (c * mu - lambda)) * 1000;
    const sc = scenario({
      traffic: { phases: [{ openLoop: { rate: lambda, duration: '60m' } }] },
      path: { client: { overhead: { distribution: 'exponential', mean: '10ms' }, concurrency: c } },
      serving: { concurrency: 64, serviceTime: '0.1ms' },
    });
    const s = summarize(runScenario(sc));
    const client = stage(s, 'client');
    expect(Math.abs(client.meanWaitMs! / wq - 1)).toBeLessThan(0.05);
    expect(Math.abs(client.meanMs! / (wq + 1000 / mu) - 1)).toBeLessThan(0.03);
    expect(Math.abs(client.utilisation! / (lambda / (c * mu)) - 1)).toBeLessThan(0.02);
  });

  it('the instance stage is M/M/c too, and its utilisation is busy worker time over worker time in service', () => {
    // c = 4 workers, exponential service mean 10 ms, lambda = 320/s (rho 0.8), behind a 50 ms network.
    const sc = scenario({
      traffic: { phases: [{ openLoop: { rate: 320, duration: '60m' } }] },
      path: { network: { latency: '50ms' } },
      serving: { concurrency: 4, serviceTime: { distribution: 'exponential', mean: '10ms' } },
    });
    const s = summarize(runScenario(sc));
    const inst = stage(s, 'instance');
    const wq = (erlangC(4, 3.2) / (400 - 320)) * 1000;
    expect(Math.abs(inst.meanWaitMs! / wq - 1)).toBeLessThan(0.05);
    expect(Math.abs(inst.utilisation! / 0.8 - 1)).toBeLessThan(0.02);
    // The network's 50 ms adds to every round trip and does not change the instance's queue.
    expect(Math.abs(s.latencyMs.mean! / (50 + wq + 10) - 1)).toBeLessThan(0.03);
  });

  it('the gateway throttle is a token bucket: burst + rate x time pass, the rest get 429 at once', () => {
    // 2,000 req/s evenly spaced for 10 s into a bucket of 500 refilled at 1,000/s: the bucket
    // starts full, so 500 + 1,000 x 10 = 10,500 pass (to within the one token in the making) and
    // 20,000 - 10,500 = 9,500 are throttled.
    const sc = scenario({
      traffic: { phases: [{ openLoop: { rate: 2000, duration: '10s', arrivals: 'uniform' } }] },
      duration: '11s',
      path: { gateway: { throttle: { rate: 1000, burst: 500 } } },
      serving: { concurrency: 64, serviceTime: '1ms' },
    });
    const s = summarize(runScenario(sc));
    expect(s.requests.sent).toBe(19_999); // t = 0.5 ms ... 9,999.5 ms
    expect(Math.abs(s.requests.throttled - 9_500)).toBeLessThanOrEqual(2);
    expect(s.requests.ok + s.requests.throttled).toBe(s.requests.sent);
  });
});

describe('the closed loop across the path', () => {
  it('matches the machine-repairman model: N users, outside delay Z, c exponential servers', () => {
    // N = 12 users, outside time exponential mean Z = 40 ms (network round trip), one instance
    // with c = 2 workers of exponential service mean S = 10 ms. X and R from the formula.
    const N = 12;
    const Z = 40;
    const S = 10;
    const { X, R } = machineRepairman(N, 2, Z, S);
    const sc = scenario({
      traffic: { phases: [{ closedLoop: { users: N, holdFor: '60m' } }] },
      path: { network: { latency: { distribution: 'exponential', mean: `${Z}ms` } } },
      serving: { concurrency: 2, serviceTime: { distribution: 'exponential', mean: `${S}ms` } },
    });
    const r = runScenario(sc);
    const s = summarize(r);
    const rec = r.model.recorder;
    const measuredX = rec.completed / (sc.durationMs / 1000) / 1000; // per ms
    expect(Math.abs(measuredX / X - 1)).toBeLessThan(0.02);
    expect(Math.abs(stage(s, 'instance').meanMs! / R - 1)).toBeLessThan(0.03);
    // The round trip is the outside delay plus the instance's part (interactive response-time law).
    expect(Math.abs(rec.completedLatencySum / rec.completed / (Z + R) - 1)).toBeLessThan(0.02);
  });

  it('when the time goes outside, added instances add no throughput and CPU per instance falls', () => {
    // 300 users, 500 ms outside, 2 ms service on 4 workers: the instance is at 600/s x 2 ms / 4 =
    // 30 % busy, so X = N / (Z + ~S) ~= 597/s with one instance or three; CPU per instance is
    // 4 cores x 30 % = 120 % with one, a third of that with three.
    const run = (instances: number) =>
      summarize(
        runScenario(
          scenario({
            traffic: { phases: [{ closedLoop: { users: 300, holdFor: '10m' } }] },
            path: { network: { latency: '500ms' } },
            serving: { initialInstanceCount: instances, concurrency: 4, serviceTime: '2ms' },
          }),
        ),
      );
    const one = run(1);
    const three = run(3);
    expect(Math.abs(one.throughput.averagePerSecond! / (300 / 0.502) - 1)).toBeLessThan(0.01);
    expect(Math.abs(three.throughput.averagePerSecond! / one.throughput.averagePerSecond! - 1)).toBeLessThan(0.005);
    expect(Math.abs(three.cpuPerInstancePercent.average! / (one.cpuPerInstancePercent.average! / 3) - 1)).toBeLessThan(0.02);
  });

  it('InvocationsPerInstance divides each invocation by the instances in service when it arrives', () => {
    // 100 req/s evenly spaced on 2 instances for 2 minutes: 6,000 invocations a minute, 3,000 per instance.
    const sc = scenario({ traffic: { phases: [{ openLoop: { rate: 100, duration: '2m', arrivals: 'uniform' } }] }, serving: { initialInstanceCount: 2, serviceTime: '1ms' } });
    const rec = runScenario(sc).model.recorder;
    expect(rec.perMinuteInvocations[1]).toBe(6000);
    expect(rec.perMinuteInvocationsPerInstance[1]).toBeCloseTo(3000, 9);
  });
});
