import {
  CreateEndpointConfigCommand,
  DescribeEndpointCommand,
  UpdateEndpointCommand,
  UpdateEndpointWeightsAndCapacitiesCommand,
  waitUntilEndpointInService,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, LINEAR_LEARNER_IMAGE } from './helpers/clients.js';

import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { deploy, trainBinaryOnSeparableData } from './helpers/pipeline.js';

let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
let modelUrl: string;

beforeAll(async () => {
  emu = await startEmulatorProcess();
  c = clients(emu.url);
  const { job } = await trainBinaryOnSeparableData(c, { bucket: 'variants', name: 'variants-job', rows: 300, features: 3, seed: 3, hyperParameters: { epochs: '2', num_models: '1' } });
  modelUrl = job.ModelArtifacts!.S3ModelArtifacts!;
});
afterAll(async () => {
  await emu?.stop();
});

async function countVariants(endpoint: string, n: number) {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const out = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: endpoint, Body: Buffer.from('0.1,0.2,0.3'), ContentType: 'text/csv' }));
    counts[out.InvokedProductionVariant!] = (counts[out.InvokedProductionVariant!] ?? 0) + 1;
  }
  return counts;
}

describe('production variants', () => {
  it('routes by weight, reports summaries, and follows UpdateEndpointWeightsAndCapacities', async () => {
    await deploy(c.sagemaker, 'ab-test', LINEAR_LEARNER_IMAGE, modelUrl, [
      { name: 'A', weight: 3 },
      { name: 'B', weight: 1 },
    ]);
    const ep = await c.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'ab-test' }));
    expect(ep.EndpointStatus).toBe('InService');
    expect(ep.ProductionVariants!.map((v) => [v.VariantName, v.CurrentWeight, v.DesiredWeight, v.CurrentInstanceCount, v.DesiredInstanceCount])).toEqual([
      ['A', 3, 3, 1, 1],
      ['B', 1, 1, 1, 1],
    ]);
    const counts = await countVariants('ab-test', 400);
    // Binomial(400, 0.75): mean 300, sd ~8.7; 5 sd either side.
    expect(counts.A).toBeGreaterThan(256);
    expect(counts.A).toBeLessThan(344);

    await c.sagemaker.send(
      new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: 'ab-test', DesiredWeightsAndCapacities: [{ VariantName: 'A', DesiredWeight: 0, DesiredInstanceCount: 3 }] }),
    );
    const updating = await c.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'ab-test' }));
    const a = updating.ProductionVariants!.find((v) => v.VariantName === 'A')!;
    // Desired moves at once; Current after the warm-up (200-400 ms in the fast profile, which a
    // loaded machine may let pass before this Describe is answered).
    if (updating.EndpointStatus === 'Updating') expect([a.DesiredWeight, a.DesiredInstanceCount, a.CurrentInstanceCount]).toEqual([0, 3, 1]);
    else expect([updating.EndpointStatus, a.DesiredWeight, a.DesiredInstanceCount, a.CurrentInstanceCount]).toEqual(['InService', 0, 3, 3]);
    await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { EndpointName: 'ab-test' });
    const updated = await c.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'ab-test' }));
    const a2 = updated.ProductionVariants!.find((v) => v.VariantName === 'A')!;
    expect([a2.CurrentWeight, a2.CurrentInstanceCount]).toEqual([0, 3]);
    expect(await countVariants('ab-test', 50)).toEqual({ B: 50 });

    const missing = await c.sagemaker
      .send(new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: 'ab-test', DesiredWeightsAndCapacities: [{ VariantName: 'Z', DesiredWeight: 1 }] }))
      .catch((e) => e);
    expect(missing.name).toBe('ValidationException');
  });

  it('UpdateEndpoint moves to a new configuration through Updating', async () => {
    await deploy(c.sagemaker, 'upd', LINEAR_LEARNER_IMAGE, modelUrl);
    await c.sagemaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'upd-v2',
        ProductionVariants: [{ VariantName: 'Blue', ModelName: 'upd', InitialInstanceCount: 2, InstanceType: 'ml.c5.xlarge' }],
      }),
    );
    await c.sagemaker.send(new UpdateEndpointCommand({ EndpointName: 'upd', EndpointConfigName: 'upd-v2' }));
    expect((await c.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'upd' }))).EndpointStatus).toBe('Updating');
    const busy = await c.sagemaker.send(new UpdateEndpointCommand({ EndpointName: 'upd', EndpointConfigName: 'upd-v2' })).catch((e) => e);
    expect(busy.name).toBe('ValidationException');
    await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { EndpointName: 'upd' });
    const ep = await c.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'upd' }));
    expect(ep.EndpointConfigName).toBe('upd-v2');
    expect(ep.ProductionVariants!.map((v) => [v.VariantName, v.CurrentInstanceCount])).toEqual([['Blue', 2]]);
    expect(await countVariants('upd', 5)).toEqual({ Blue: 5 });
  });
});
