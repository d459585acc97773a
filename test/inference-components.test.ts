import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateInferenceComponentCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  DeleteInferenceComponentCommand,
  DescribeEndpointConfigCommand,
  DescribeInferenceComponentCommand,
  ListInferenceComponentsCommand,
  UpdateInferenceComponentCommand,
  UpdateInferenceComponentRuntimeConfigCommand,
  waitUntilEndpointInService,
  type DescribeInferenceComponentCommandOutput,
  type ProductionVariantInstanceType,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, InvokeEndpointWithResponseStreamCommand } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, KMEANS_IMAGE, LINEAR_LEARNER_IMAGE, rejection, ROLE } from './helpers/clients.js';
import { plantedClusters, toCsv } from './helpers/data.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { channel, deploy, trainAndWait, trainBinaryOnSeparableData, upload } from './helpers/pipeline.js';

let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
let cw: CloudWatchClient;
let linearUrl: string;
let kmeansUrl: string;
let binary: Awaited<ReturnType<typeof trainBinaryOnSeparableData>>['data'];
let clusters: ReturnType<typeof plantedClusters>;
const ARN = 'arn:aws:sagemaker:us-east-1:000000000000';

beforeAll(async () => {
  emu = await startEmulatorProcess();
  c = clients(emu.url);
  cw = new CloudWatchClient({ endpoint: emu.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  const linear = await trainBinaryOnSeparableData(c, { bucket: 'inference-components', name: 'ic-linear', rows: 300, features: 3, seed: 5, hyperParameters: { epochs: '3', num_models: '1' } });
  binary = linear.data;
  linearUrl = linear.job.ModelArtifacts!.S3ModelArtifacts!;
  clusters = plantedClusters(300, 3, 3, 9);
  const train = await upload(c.s3, 'inference-components', 'kmeans/train.csv', toCsv(clusters.x));
  const km = await trainAndWait(c.sagemaker, { name: 'ic-kmeans', image: KMEANS_IMAGE, hyperParameters: { k: '3', feature_dim: '3' }, channels: [channel('train', train, 'text/csv')], output: 's3://inference-components/out' });
  kmeansUrl = km.ModelArtifacts!.S3ModelArtifacts!;
  await c.sagemaker.send(new CreateModelCommand({ ModelName: 'ic-linear', PrimaryContainer: { Image: LINEAR_LEARNER_IMAGE, ModelDataUrl: linearUrl }, ExecutionRoleArn: ROLE }));
  await c.sagemaker.send(new CreateModelCommand({ ModelName: 'ic-kmeans', PrimaryContainer: { Image: KMEANS_IMAGE, ModelDataUrl: kmeansUrl }, ExecutionRoleArn: ROLE }));
}, 300_000);
afterAll(async () => {
  // A crash of the emulator shows in the suite's output rather than only as refused connections.
  if (emu && emu.proc.exitCode !== null) console.error(emu.output());
  await emu?.stop();
});

/** An endpoint whose configuration hosts inference components: a role, and no ModelName in its variants. */
async function componentEndpoint(name: string, instanceType: ProductionVariantInstanceType = 'ml.m5.xlarge', instances = 1): Promise<void> {
  await c.sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: name,
      ExecutionRoleArn: ROLE,
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          InstanceType: instanceType,
          InitialInstanceCount: instances,
          ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 1, MaxInstanceCount: instances },
          RoutingConfig: { RoutingStrategy: 'LEAST_OUTSTANDING_REQUESTS' },
        },
      ],
    }),
  );
  await c.sagemaker.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: name }));
  await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { EndpointName: name });
}

function component(name: string, endpoint: string, model: string, copies = 1, memoryMb = 1024) {
  return new CreateInferenceComponentCommand({
    InferenceComponentName: name,
    EndpointName: endpoint,
    VariantName: 'AllTraffic',
    Specification: { ModelName: model, ComputeResourceRequirements: { NumberOfCpuCoresRequired: 1, MinMemoryRequiredInMb: memoryMb } },
    RuntimeConfig: { CopyCount: copies },
  });
}

/** Polls DescribeInferenceComponent until the status leaves `passing` (the emulator's fast profile takes about a second). */
async function settle(name: string, passing: string): Promise<DescribeInferenceComponentCommandOutput> {
  for (let i = 0; i < 600; i++) {
    const d = await c.sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: name }));
    if (d.InferenceComponentStatus !== passing) return d;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} stayed ${passing}`);
}

async function invoke(endpoint: string, componentName: string | undefined, rows: number[][]) {
  const out = await c.runtime.send(
    new InvokeEndpointCommand({ EndpointName: endpoint, InferenceComponentName: componentName, Body: Buffer.from(toCsv(rows)), ContentType: 'text/csv', Accept: 'application/json' }),
  );
  return { variant: out.InvokedProductionVariant, predictions: JSON.parse(Buffer.from(out.Body!).toString()).predictions as Record<string, number>[] };
}

describe('inference components', () => {
  it('two components on one endpoint each answer with their own trained model', async () => {
    await componentEndpoint('ic-ep');
    const config = await c.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'ic-ep' }));
    expect(config.ExecutionRoleArn).toBe(ROLE);
    expect(config.ProductionVariants![0].ModelName).toBeUndefined();

    const created = await c.sagemaker.send(component('ic-ll', 'ic-ep', 'ic-linear'));
    expect(created.InferenceComponentArn).toBe(`${ARN}:inference-component/ic-ll`);
    await c.sagemaker.send(component('ic-km', 'ic-ep', 'ic-kmeans', 2));
    const creating = await c.sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: 'ic-ll' }));
    // Creating lasts the fast profile's 300 ms from the first Create; a loaded machine may answer
    // this Describe after it.
    if (creating.InferenceComponentStatus === 'Creating') expect(creating.RuntimeConfig).toEqual({ DesiredCopyCount: 1, CurrentCopyCount: 0 });
    else expect([creating.InferenceComponentStatus, creating.RuntimeConfig]).toEqual(['InService', { DesiredCopyCount: 1, CurrentCopyCount: 1 }]);

    const ll = await settle('ic-ll', 'Creating');
    const km = await settle('ic-km', 'Creating');
    expect(ll.InferenceComponentStatus).toBe('InService');
    expect(ll).toMatchObject({
      InferenceComponentName: 'ic-ll',
      EndpointName: 'ic-ep',
      EndpointArn: `${ARN}:endpoint/ic-ep`,
      VariantName: 'AllTraffic',
      Specification: { ModelName: 'ic-linear', ComputeResourceRequirements: { NumberOfCpuCoresRequired: 1, MinMemoryRequiredInMb: 1024 } },
      RuntimeConfig: { DesiredCopyCount: 1, CurrentCopyCount: 1 },
    });
    expect(km.RuntimeConfig).toEqual({ DesiredCopyCount: 2, CurrentCopyCount: 2 });

    // The linear learner separates the training rows; k-means puts each planted blob in one cluster.
    const linear = await invoke('ic-ep', 'ic-ll', binary.x.slice(0, 40));
    expect(linear.variant).toBe('AllTraffic');
    const correct = linear.predictions.filter((p, i) => p.predicted_label === binary.y[i]).length;
    expect(correct).toBeGreaterThanOrEqual(36);
    expect(linear.predictions[0]).toHaveProperty('score');
    const kmeans = await invoke('ic-ep', 'ic-km', clusters.x.slice(0, 30));
    expect(kmeans.predictions[0]).toHaveProperty('distance_to_cluster');
    const byBlob = new Map<number, Set<number>>();
    kmeans.predictions.forEach((p, i) => byBlob.set(clusters.assignment[i], (byBlob.get(clusters.assignment[i]) ?? new Set()).add(p.closest_cluster)));
    expect([...byBlob.values()].map((s) => s.size)).toEqual([1, 1, 1]);
    expect(new Set([...byBlob.values()].map((s) => [...s][0])).size).toBe(3);

    // Response streams route by the same header.
    const stream = await c.runtime.send(
      new InvokeEndpointWithResponseStreamCommand({ EndpointName: 'ic-ep', InferenceComponentName: 'ic-ll', Body: Buffer.from(toCsv(binary.x.slice(0, 2))), ContentType: 'text/csv', Accept: 'application/jsonlines' }),
    );
    let streamed = '';
    for await (const event of stream.Body!) if (event.PayloadPart?.Bytes) streamed += Buffer.from(event.PayloadPart.Bytes).toString();
    expect(streamed.trim().split('\n').map((l) => JSON.parse(l).predicted_label)).toEqual(linear.predictions.slice(0, 2).map((p) => p.predicted_label));
    // CloudWatch counts each component's requests under its InferenceComponentName; per copy for ic-km's two.
    const stat = async (component: string, MetricName: string) => {
      const out = await cw.send(
        new GetMetricStatisticsCommand({ Namespace: 'AWS/SageMaker', MetricName, Dimensions: [{ Name: 'InferenceComponentName', Value: component }], StartTime: new Date(Date.now() - 86_400_000), EndTime: new Date(Date.now() + 86_400_000), Period: 86_400, Statistics: ['Sum'] }),
      );
      return out.Datapoints!.reduce((t, d) => t + (d.Sum ?? 0), 0);
    };
    expect(await stat('ic-ll', 'Invocations')).toBe(2);
    expect(await stat('ic-km', 'Invocations')).toBe(1);
    expect(await stat('ic-km', 'InvocationsPerCopy')).toBe(0.5);
  });

  it('lists with its filters and sort, and refuses invocations as SageMaker does', async () => {
    await componentEndpoint('ic-other');
    await c.sagemaker.send(component('ic-zz', 'ic-other', 'ic-linear'));
    await settle('ic-zz', 'Creating');
    const onEp = await c.sagemaker.send(new ListInferenceComponentsCommand({ EndpointNameEquals: 'ic-ep', SortBy: 'Name', SortOrder: 'Ascending' }));
    expect(onEp.InferenceComponents!.map((s) => s.InferenceComponentName)).toEqual(['ic-km', 'ic-ll']);
    expect(onEp.InferenceComponents![0]).toMatchObject({ EndpointName: 'ic-ep', VariantName: 'AllTraffic', InferenceComponentStatus: 'InService' });
    const all = await c.sagemaker.send(new ListInferenceComponentsCommand({ VariantNameEquals: 'AllTraffic', StatusEquals: 'InService', NameContains: 'ic-', SortBy: 'Name', SortOrder: 'Descending' }));
    expect(all.InferenceComponents!.map((s) => s.InferenceComponentName)).toEqual(['ic-zz', 'ic-ll', 'ic-km']);
    const page = await c.sagemaker.send(new ListInferenceComponentsCommand({ MaxResults: 2, SortBy: 'Name', SortOrder: 'Ascending' }));
    expect(page.InferenceComponents!.length).toBe(2);
    const rest = await c.sagemaker.send(new ListInferenceComponentsCommand({ MaxResults: 2, SortBy: 'Name', SortOrder: 'Ascending', NextToken: page.NextToken }));
    expect(rest.InferenceComponents!.map((s) => s.InferenceComponentName)).toEqual(['ic-zz']);

    const noHeader = await rejection(c.runtime.send(new InvokeEndpointCommand({ EndpointName: 'ic-ep', Body: Buffer.from('1,2,3'), ContentType: 'text/csv' })));
    expect([noHeader.name, noHeader.$metadata.httpStatusCode, noHeader.message]).toEqual([
      'ValidationError',
      400,
      'Inference Component Name header is required for endpoints to which you plan to deploy inference components. Please include Inference Component Name header or consider using SageMaker models.',
    ]);
    // A component that lives on another endpoint is not found on this one.
    const elsewhere = await rejection(invoke('ic-ep', 'ic-zz', [[1, 2, 3]]));
    expect([elsewhere.name, elsewhere.$metadata.httpStatusCode]).toEqual(['ValidationError', 400]);
    expect(elsewhere.message).toMatch(/ic-zz/);
    await deploy(c.sagemaker, 'ic-plain', LINEAR_LEARNER_IMAGE, linearUrl);
    const notAllowed = await rejection(invoke('ic-plain', 'ic-ll', [[1, 2, 3]]));
    expect([notAllowed.name, notAllowed.message]).toEqual([
      'ValidationError',
      'Inference Component Name header is not allowed for endpoints to which you dont plan to deploy inference components. Please remove the Inference Component Name header and try again.',
    ]);
  });

  it('scales copies to zero and back, swaps the model by UpdateInferenceComponent, and deletes', async () => {
    await c.sagemaker.send(new UpdateInferenceComponentRuntimeConfigCommand({ InferenceComponentName: 'ic-ll', DesiredRuntimeConfig: { CopyCount: 0 } }));
    const updating = await c.sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: 'ic-ll' }));
    expect([updating.InferenceComponentStatus, updating.RuntimeConfig]).toEqual(['Updating', { DesiredCopyCount: 0, CurrentCopyCount: 1 }]);
    const busy = await rejection(c.sagemaker.send(new UpdateInferenceComponentRuntimeConfigCommand({ InferenceComponentName: 'ic-ll', DesiredRuntimeConfig: { CopyCount: 1 } })));
    expect(busy.name).toBe('ValidationException');
    expect((await settle('ic-ll', 'Updating')).RuntimeConfig).toEqual({ DesiredCopyCount: 0, CurrentCopyCount: 0 });
    const empty = await rejection(invoke('ic-ep', 'ic-ll', [[1, 2, 3]]));
    expect(empty.message).toBe(
      'Inference Component has no capacity to process this request. ApplicationAutoScaling may be in-progress (if configured) or try to increase the capacity by invoking UpdateInferenceComponentRuntimeConfig API.',
    );

    // The same component now hosts the k-means model, with one copy.
    await c.sagemaker.send(
      new UpdateInferenceComponentCommand({
        InferenceComponentName: 'ic-ll',
        Specification: { ModelName: 'ic-kmeans', ComputeResourceRequirements: { NumberOfCpuCoresRequired: 1, MinMemoryRequiredInMb: 512 } },
        RuntimeConfig: { CopyCount: 1 },
      }),
    );
    const swapped = await settle('ic-ll', 'Updating');
    expect([swapped.InferenceComponentStatus, swapped.Specification?.ModelName, swapped.RuntimeConfig?.CurrentCopyCount]).toEqual(['InService', 'ic-kmeans', 1]);
    expect((await invoke('ic-ep', 'ic-ll', clusters.x.slice(0, 1))).predictions[0]).toHaveProperty('closest_cluster');

    await c.sagemaker.send(new DeleteInferenceComponentCommand({ InferenceComponentName: 'ic-ll' }));
    const gone = await rejection(invoke('ic-ep', 'ic-ll', [[1, 2, 3]]));
    expect(gone.name).toBe('ValidationError');
    // Deleting lasts the fast profile's 100 ms (a loaded machine may answer after it): until the
    // component is not found, Describe shows Deleting and nothing else.
    const seen: string[] = [];
    const described = await rejection((async () => {
      for (;;) {
        seen.push((await c.sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: 'ic-ll' }))).InferenceComponentStatus!);
        await new Promise((r) => setTimeout(r, 100));
      }
    })());
    expect(seen.filter((x) => x !== 'Deleting')).toEqual([]);
    expect([described.name, described.$metadata.httpStatusCode, described.message]).toEqual(['ValidationException', 400, `Could not find inference component "${ARN}:inference-component/ic-ll".`]);
    // The other component on the endpoint still answers.
    expect((await invoke('ic-ep', 'ic-km', clusters.x.slice(0, 1))).predictions[0]).toHaveProperty('closest_cluster');
  });

  it('refuses bad requests with exact errors, and fails a component that does not fit its instance', async () => {
    const noEndpoint = await rejection(c.sagemaker.send(component('ic-x', 'nope', 'ic-linear')));
    expect([noEndpoint.name, noEndpoint.$metadata.httpStatusCode, noEndpoint.message]).toEqual(['ValidationException', 400, `Could not find endpoint "${ARN}:endpoint/nope".`]);
    const noModel = await rejection(c.sagemaker.send(component('ic-x', 'ic-ep', 'missing-model')));
    expect(noModel.message).toBe(`Could not find model "${ARN}:model/missing-model".`);
    const twice = await rejection(c.sagemaker.send(component('ic-km', 'ic-ep', 'ic-kmeans')));
    expect(twice.message).toBe(`Cannot create already existing inference component "${ARN}:inference-component/ic-km".`);
    const modelEndpoint = await rejection(c.sagemaker.send(component('ic-x', 'ic-plain', 'ic-linear')));
    expect(modelEndpoint.name).toBe('ValidationException');
    const badVariant = await rejection(c.sagemaker.send(new CreateInferenceComponentCommand({ ...component('ic-x', 'ic-ep', 'ic-linear').input, VariantName: 'Other' })));
    expect(badVariant.name).toBe('ValidationException');
    const noRuntime = await rejection(c.sagemaker.send(new CreateInferenceComponentCommand({ ...component('ic-x', 'ic-ep', 'ic-linear').input, RuntimeConfig: undefined })));
    expect(noRuntime.name).toBe('ValidationException');
    // The model layer refuses a missing required member before the service sees it.
    const noMemory = await rejection(
      c.sagemaker.send(new CreateInferenceComponentCommand({ ...component('ic-x', 'ic-ep', 'ic-linear').input, Specification: { ModelName: 'ic-linear', ComputeResourceRequirements: {} as never } })),
    );
    expect(noMemory.name).toBe('ValidationException');
    const missing = await rejection(c.sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: 'never' })));
    expect(missing.message).toBe(`Could not find inference component "${ARN}:inference-component/never".`);

    // An ml.m5.xlarge has 16 GiB: a copy needing 64 GiB cannot be placed.
    await c.sagemaker.send(component('ic-huge', 'ic-ep', 'ic-linear', 1, 65_536));
    const huge = await settle('ic-huge', 'Creating');
    expect(huge.InferenceComponentStatus).toBe('Failed');
    expect(huge.FailureReason).toMatch(/65536 MB/);
    // Two copies of 2 cores do not fit beside ic-km's two 1-core copies on the 4 vCPUs.
    await c.sagemaker.send(new CreateInferenceComponentCommand({ ...component('ic-wide', 'ic-ep', 'ic-linear', 2).input, Specification: { ModelName: 'ic-linear', ComputeResourceRequirements: { NumberOfCpuCoresRequired: 2, MinMemoryRequiredInMb: 256 } } }));
    const wide = await settle('ic-wide', 'Creating');
    expect(wide.InferenceComponentStatus).toBe('Failed');
    expect(wide.FailureReason).toMatch(/Insufficient capacity/);
  });

  it('DeleteEndpoint takes its components with it', async () => {
    await c.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'ic-other' }));
    const gone = await rejection(c.sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: 'ic-zz' })));
    expect(gone.message).toBe(`Could not find inference component "${ARN}:inference-component/ic-zz".`);
  });
});
