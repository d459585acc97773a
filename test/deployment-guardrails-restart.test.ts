/**
 * A guarded UpdateEndpoint, and a rolling UpdateInferenceComponent, cut short by a crash
 * (SIGKILL) roll back when the emulator starts again on the same data: InService on the old
 * configuration (specification) and serving, with FailureReason and LastDeploymentConfig saying
 * what happened. Realistic timing at
 * --clock-scale 120, so that the baking period is still running when the process dies.
 */
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateInferenceComponentCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  DescribeInferenceComponentCommand,
  UpdateEndpointCommand,
  UpdateInferenceComponentCommand,
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

it('a blue/green update and a rolling component update interrupted by a crash are rolled back on restart', async () => {
  const first = await start();
  let c = clients(first.url);
  const { job } = await trainBinaryOnSeparableData(c, { bucket: 'guardrails-restart', name: 'guardrails-restart', rows: 200, features: 3, seed: 5, hyperParameters: { epochs: '1', num_models: '1' } });
  await c.sagemaker.send(new CreateModelCommand({ ModelName: 'm', PrimaryContainer: { Image: LINEAR_LEARNER_IMAGE, ModelDataUrl: job.ModelArtifacts!.S3ModelArtifacts! }, ExecutionRoleArn: ROLE }));
  for (const name of ['old', 'new']) {
    await c.sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: name, ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'm', InitialInstanceCount: 2, InstanceType: 'ml.m5.large' }] }));
  }
  await c.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'old' }));
  await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { EndpointName: 'ep' });
  // An inference component on its own endpoint, its rolling update baking when the process dies.
  await c.sagemaker.send(new CreateModelCommand({ ModelName: 'm2', PrimaryContainer: { Image: LINEAR_LEARNER_IMAGE, ModelDataUrl: job.ModelArtifacts!.S3ModelArtifacts! }, ExecutionRoleArn: ROLE }));
  await c.sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: 'ic-host', ExecutionRoleArn: ROLE, ProductionVariants: [{ VariantName: 'AllTraffic', InstanceType: 'ml.m5.2xlarge', InitialInstanceCount: 1 }] }));
  await c.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'ic-host', EndpointConfigName: 'ic-host' }));
  await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { EndpointName: 'ic-host' });
  const spec = (ModelName: string) => ({ ModelName, ComputeResourceRequirements: { NumberOfCpuCoresRequired: 1, MinMemoryRequiredInMb: 1024 } });
  await c.sagemaker.send(new CreateInferenceComponentCommand({ InferenceComponentName: 'ic', EndpointName: 'ic-host', VariantName: 'AllTraffic', Specification: spec('m'), RuntimeConfig: { CopyCount: 2 } }));
  const describeIc = () => c.sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: 'ic' }));
  await until('the component in service', describeIc, (d) => d.InferenceComponentStatus === 'InService');
  const icConfig = { RollingUpdatePolicy: { MaximumBatchSize: { Type: 'COPY_COUNT' as const, Value: 1 }, WaitIntervalInSeconds: 3600 } };
  await c.sagemaker.send(new UpdateInferenceComponentCommand({ InferenceComponentName: 'ic', Specification: spec('m2'), DeploymentConfig: icConfig }));
  expect((await describeIc()).InferenceComponentStatus).toBe('Updating');

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

  const ic = await c.sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: 'ic' }));
  expect(ic.InferenceComponentStatus).toBe('InService');
  expect(ic.Specification?.ModelName).toBe('m');
  expect(ic.RuntimeConfig).toEqual({ DesiredCopyCount: 2, CurrentCopyCount: 2 });
  expect(ic.FailureReason).toMatch(/rolled back because localsage restarted/);
  expect(ic.LastDeploymentConfig).toEqual(icConfig);
  const viaComponent = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'ic-host', InferenceComponentName: 'ic', Body: Buffer.from('0.1,0.2,0.3'), ContentType: 'text/csv' }));
  expect(viaComponent.InvokedProductionVariant).toBe('AllTraffic');
}, 240_000);
