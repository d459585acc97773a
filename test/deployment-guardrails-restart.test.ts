/**
 * A guarded UpdateEndpoint cut short by a crash (SIGKILL) rolls back when the emulator starts
 * again on the same data: the endpoint is InService on its old configuration and serves, with
 * FailureReason and LastDeploymentConfig saying what happened. Realistic timing at
 * --clock-scale 120, so that the baking period is still running when the process dies.
 */
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  UpdateEndpointCommand,
  waitUntilEndpointInService,
  type DeploymentConfig,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, expect, it } from 'vitest';
import { until } from './helpers/autoscaling.js';
import { clients, LINEAR_LEARNER_IMAGE, ROLE } from './helpers/clients.js';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { trainBinaryOnSeparableData } from './helpers/pipeline.js';

const ARGS = ['--timing', 'realistic', '--clock-scale', '120'];
const started: EmulatorProcess[] = [];
afterAll(async () => {
  for (const e of started) await e.stop();
  for (const dir of new Set(started.map((e) => e.dataDir))) removeDir(dir);
});
async function start(dataDir?: string): Promise<EmulatorProcess> {
  const e = await startEmulatorProcess({ dataDir, args: ARGS });
  started.push(e);
  return e;
}

it('a blue/green update interrupted by a crash is rolled back on restart', async () => {
  const first = await start();
  let c = clients(first.url);
  const { job } = await trainBinaryOnSeparableData(c, { bucket: 'guardrails-restart', name: 'guardrails-restart', rows: 200, features: 3, seed: 5, hyperParameters: { epochs: '1', num_models: '1' } });
  await c.sagemaker.send(new CreateModelCommand({ ModelName: 'm', PrimaryContainer: { Image: LINEAR_LEARNER_IMAGE, ModelDataUrl: job.ModelArtifacts!.S3ModelArtifacts! }, ExecutionRoleArn: ROLE }));
  for (const name of ['old', 'new']) {
    await c.sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: name, ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'm', InitialInstanceCount: 2, InstanceType: 'ml.m5.large' }] }));
  }
  await c.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'old' }));
  await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { EndpointName: 'ep' });
  const dc: DeploymentConfig = { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 3600 } } };
  await c.sagemaker.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'new', DeploymentConfig: dc }));
  const baking = await until(
    'the baking period',
    () => c.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'ep' })),
    (d) => d.PendingDeploymentSummary?.ProductionVariants?.[0].VariantStatus?.[0].Status === 'Baking',
  );
  expect(baking.EndpointStatus).toBe('Updating');
  await first.kill();

  const second = await start(first.dataDir);
  c = clients(second.url);
  const after = await c.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'ep' }));
  expect(after.EndpointStatus).toBe('InService');
  expect(after.EndpointConfigName).toBe('old');
  expect(after.FailureReason).toMatch(/rolled back because localsage restarted/);
  expect(after.LastDeploymentConfig).toEqual(dc);
  expect(after.PendingDeploymentSummary).toBeUndefined();
  expect(after.ProductionVariants?.[0]).toMatchObject({ CurrentInstanceCount: 2 });
  const out = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'ep', Body: Buffer.from('0.1,0.2,0.3'), ContentType: 'text/csv' }));
  expect(out.InvokedProductionVariant).toBe('AllTraffic');
}, 240_000);
