/**
 * Capacity mode ("instances you can feel"): each instance serves with its type's model-server
 * workers and service time, requests beyond queue, and routing follows the variant's current
 * instance count.
 *
 * The queueing itself is checked on virtual time (the project's VirtualClock), where the
 * profile's figures hold exactly: throughput = instances x workers / service time. Through a
 * running emulator the checks are one-sided bounds that slowness cannot break: n requests on
 * I instances with W workers of service time S cannot all finish before n x S / (I x W).
 */
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { UpdateEndpointWeightsAndCapacitiesCommand, waitUntilEndpointInService } from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../core/clock.js';
import { INSTANCE_TYPES } from '../core/instance-types.js';
import { InstancePool } from '../emulator/services/runtime/capacity.js';
import { clients, LINEAR_LEARNER_IMAGE, ROLE } from './helpers/clients.js';
import { toCsv } from './helpers/data.js';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { trainBinaryOnSeparableData } from './helpers/pipeline.js';
import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand } from '@aws-sdk/client-sagemaker';

const flush = () => new Promise<void>((ok) => setImmediate(ok));

/**
 * Submits `n` requests now and runs virtual time (up to `until`), recording when each request got
 * a worker and when it finished. Each holds its worker for exactly the service time, so the peak
 * concurrency is the largest number of requests that started in one service-time window.
 */
async function load(pool: InstancePool, clock: VirtualClock, n: number, until = Infinity) {
  const started: number[] = [];
  const finished: number[] = [];
  for (let i = 0; i < n; i++) {
    void pool.serve(() => started.push(clock.now())).then(() => finished.push(clock.now()));
  }
  await flush();
  for (let next = clock.nextDueAt(); next !== Infinity && next <= until; next = clock.nextDueAt()) {
    clock.advanceTo(next);
    await flush();
  }
  const S = pool.profile.serviceTimeMs;
  const peak = Math.max(0, ...started.map((t) => started.filter((u) => u > t - S && u <= t).length));
  return { started, finished, peak };
}

describe('an instance pool on virtual time', () => {
  const profile = { name: 'test', modelServerWorkers: 2, serviceTimeMs: 10 };

  it('serves instances x workers at a time, each for the service time, the rest queue', async () => {
    const clock = new VirtualClock();
    const pool = new InstancePool(clock, profile, 3, 'LEAST_OUTSTANDING_REQUESTS');
    const { finished, peak } = await load(pool, clock, 30);
    expect(peak).toBe(3 * 2);
    expect(finished).toHaveLength(30);
    // Throughput is exactly instances x workers / service time: 6 requests every 10 ms.
    for (let t = 10; t <= 50; t += 10) expect(finished.filter((f) => f === t)).toHaveLength(6);
    expect(Math.max(...finished)).toBe((30 / (3 * 2)) * 10);
  });

  it('random routing (the default) spreads requests but never beats the pool capacity', async () => {
    const clock = new VirtualClock();
    const pool = new InstancePool(clock, profile, 3);
    const { finished, peak } = await load(pool, clock, 300);
    expect(finished).toHaveLength(300);
    expect(peak).toBeLessThanOrEqual(6);
    // Random placement leaves some workers idle while others queue: no faster than the capacity.
    for (let t = 10; t <= Math.max(...finished); t += 10) expect(finished.filter((f) => f <= t).length).toBeLessThanOrEqual((6 * t) / 10);
    expect(Math.max(...finished)).toBeGreaterThanOrEqual((300 / 6) * 10);
  });

  it('new instances take new requests at once; removed ones hand their queue on', async () => {
    const clock = new VirtualClock();
    const pool = new InstancePool(clock, profile, 1, 'LEAST_OUTSTANDING_REQUESTS');
    await load(pool, clock, 10, 0); // on the one instance: 2 served, 8 queued
    pool.setInstanceCount(3);
    expect(pool.instanceCount).toBe(3);
    const late = await load(pool, clock, 4); // arrive after the scale-out: the new instances take them
    expect(late.finished.slice(0, 4)).toEqual([10, 10, 10, 10]);

    const shrinking = new InstancePool(clock, profile, 2, 'LEAST_OUTSTANDING_REQUESTS');
    const start = clock.now();
    await load(shrinking, clock, 8, start);
    expect(shrinking.outstanding).toBe(8);
    shrinking.setInstanceCount(1);
    await load(shrinking, clock, 0);
    expect(shrinking.outstanding).toBe(0);
    // 4 were in service on two instances, 4 then queued behind one instance's 2 workers.
    expect(clock.now() - start).toBe(10 + 20);
  });

  it('scaled to zero, requests wait for an instance to come into service', async () => {
    const clock = new VirtualClock();
    const pool = new InstancePool(clock, profile, 0);
    await load(pool, clock, 3, 0);
    expect(pool.outstanding).toBe(0); // parked: not on any instance
    pool.setInstanceCount(1);
    await flush();
    expect(pool.outstanding).toBe(3);
    const rest = await load(pool, clock, 0);
    expect(pool.outstanding).toBe(0);
    expect(rest.started).toHaveLength(0); // nothing new was submitted; the parked three finished
    expect(clock.now()).toBe(20); // two workers: two at 0-10, the third at 10-20
  });
});

describe('capacity mode in a running emulator', () => {
  let emu: EmulatorProcess;
  let c: ReturnType<typeof clients>;
  let row: string;
  // ml.g4dn.xlarge: one model-server worker per GPU, so requests on one instance go one by one.
  const TYPE = 'ml.g4dn.xlarge';
  const { modelServerWorkers: W, serviceTimeMs: S } = INSTANCE_TYPES[TYPE];

  beforeAll(async () => {
    emu = await startEmulatorProcess({ args: ['--capacity-mode'] });
    c = clients(emu.url);
    const { data, job } = await trainBinaryOnSeparableData(c, { bucket: 'capacity', name: 'capacity', rows: 300, features: 3, seed: 2 });
    expect(job.TrainingJobStatus).toBe('Completed');
    await c.sagemaker.send(new CreateModelCommand({ ModelName: 'capacity', PrimaryContainer: { Image: LINEAR_LEARNER_IMAGE, ModelDataUrl: job.ModelArtifacts!.S3ModelArtifacts! }, ExecutionRoleArn: ROLE }));
    await c.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'capacity',
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'capacity', InitialInstanceCount: 4, InstanceType: TYPE, RoutingConfig: { RoutingStrategy: 'LEAST_OUTSTANDING_REQUESTS' } }],
      }),
    );
    await c.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'capacity', EndpointConfigName: 'capacity' }));
    await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { EndpointName: 'capacity' });
    row = toCsv([data.x[0]]).trim();
  });

  afterAll(async () => {
    await emu?.stop();
    if (emu) removeDir(emu.dataDir);
  });

  async function burst(n: number): Promise<number> {
    const t0 = performance.now();
    const out = await Promise.all(
      Array.from({ length: n }, () => c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'capacity', Body: Buffer.from(row), ContentType: 'text/csv' }))),
    );
    expect(out.every((o) => o.InvokedProductionVariant === 'AllTraffic')).toBe(true);
    return performance.now() - t0;
  }

  it('n concurrent requests take at least n x service time / (instances x workers), following CurrentInstanceCount', async () => {
    const n = 24;
    expect(await burst(n)).toBeGreaterThanOrEqual((n * S) / (4 * W));
    // Scale in to one instance: the emulator routes over CurrentInstanceCount, so the same burst
    // now queues behind a single worker.
    await c.sagemaker.send(new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: 'capacity', DesiredWeightsAndCapacities: [{ VariantName: 'AllTraffic', DesiredInstanceCount: 1 }] }));
    await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { EndpointName: 'capacity' });
    expect(await burst(n)).toBeGreaterThanOrEqual((n * S) / W);
  });
});
