/**
 * The lineage SageMaker records by itself, read back through @aws-sdk/client-sagemaker after a
 * real train → model → endpoint flow: the job's trial component, its data, image and model
 * artifacts, the endpoint's context and deployment action, the associations between them, and
 * QueryLineage from the endpoint back to the data. Also: one artifact per S3 URI across jobs,
 * ListTrialComponents by SourceArn, transform jobs, model packages and approvals (and an endpoint
 * deployed from an approved package), a pipeline step's job, and all of it still there after the
 * endpoint is deleted and after a restart.
 */
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateModelPackageCommand,
  CreatePipelineCommand,
  CreateTransformJobCommand,
  CreateTrialComponentCommand,
  DescribePipelineExecutionCommand,
  CreateModelPackageGroupCommand,
  DeleteEndpointCommand,
  DescribeArtifactCommand,
  DescribeContextCommand,
  DescribeTrialComponentCommand,
  ListActionsCommand,
  ListArtifactsCommand,
  ListAssociationsCommand,
  ListContextsCommand,
  ListPipelineExecutionStepsCommand,
  ListTagsCommand,
  ListTrialComponentsCommand,
  QueryLineageCommand,
  StartPipelineExecutionCommand,
  UpdateEndpointCommand,
  UpdateModelPackageCommand,
  waitUntilEndpointInService,
  waitUntilTransformJobCompletedOrStopped,
  type QueryLineageCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, LINEAR_LEARNER_IMAGE, ROLE } from './helpers/clients.js';
import { channel, deploy, trainAndWait, trainBinaryOnSeparableData } from './helpers/pipeline.js';
import { restartableEmulators } from './helpers/restartable.js';
import type { EmulatorProcess } from './helpers/emulator-process.js';

const start = restartableEmulators();
let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
let dataUri: string;
let modelUri: string;
let jobArn: string;
let endpointArn: string;

beforeAll(async () => {
  emu = await start();
  c = clients(emu.url);
  const { job } = await trainBinaryOnSeparableData(c, { bucket: 'lineage-auto', name: 'lin-train', rows: 120, features: 3, seed: 5 });
  expect(job.TrainingJobStatus).toBe('Completed');
  jobArn = job.TrainingJobArn!;
  dataUri = job.InputDataConfig![0].DataSource!.S3DataSource!.S3Uri!;
  modelUri = job.ModelArtifacts!.S3ModelArtifacts!;
  await deploy(c.sagemaker, 'lin-endpoint', LINEAR_LEARNER_IMAGE, modelUri);
}, 400_000);
afterAll(async () => emu?.stop());

const oneArtifact = async (uri: string) => {
  const listed = await c.sagemaker.send(new ListArtifactsCommand({ SourceUri: uri }));
  expect(listed.ArtifactSummaries).toHaveLength(1);
  return listed.ArtifactSummaries![0];
};

const endpointContext = async () => {
  const listed = await c.sagemaker.send(new ListContextsCommand({ SourceUri: endpointArn }));
  expect(listed.ContextSummaries).toHaveLength(1);
  return listed.ContextSummaries![0];
};

const ascendants = (arn: string): Promise<QueryLineageCommandOutput> =>
  c.sagemaker.send(new QueryLineageCommand({ StartArns: [arn], Direction: 'Ascendants', IncludeEdges: true, MaxResults: 50 }));

describe('lineage SageMaker creates', () => {
  it('makes a training job its trial component, with its data and image in and its model out', async () => {
    const tc = await c.sagemaker.send(new DescribeTrialComponentCommand({ TrialComponentName: 'lin-train-aws-training-job' }));
    expect(tc.Source).toEqual({ SourceArn: jobArn, SourceType: 'SageMakerTrainingJob' });
    const bySource = await c.sagemaker.send(new ListTrialComponentsCommand({ SourceArn: jobArn }));
    expect(bySource.TrialComponentSummaries!.map((s) => [s.TrialComponentName, s.TrialComponentSource?.SourceArn, s.Status?.PrimaryStatus])).toEqual([
      ['lin-train-aws-training-job', jobArn, 'Completed'],
    ]);
    const data = await oneArtifact(dataUri);
    expect(data.ArtifactType).toBe('DataSet');
    expect((await oneArtifact(LINEAR_LEARNER_IMAGE)).ArtifactType).toBe('Image');
    const model = await oneArtifact(modelUri);
    expect(model.ArtifactType).toBe('Model');
    expect((await c.sagemaker.send(new DescribeArtifactCommand({ ArtifactArn: model.ArtifactArn }))).Source!.SourceUri).toBe(modelUri);

    const into = await c.sagemaker.send(new ListAssociationsCommand({ DestinationArn: tc.TrialComponentArn }));
    expect(into.AssociationSummaries!.map((a) => [a.SourceType, a.AssociationType]).sort()).toEqual([['DataSet', 'ContributedTo'], ['Image', 'ContributedTo']]);
    const out = await c.sagemaker.send(new ListAssociationsCommand({ SourceArn: tc.TrialComponentArn }));
    expect(out.AssociationSummaries!.map((a) => [a.DestinationArn, a.DestinationType, a.AssociationType])).toEqual([[model.ArtifactArn, 'Model', 'Produced']]);
    const byType = await c.sagemaker.send(new ListAssociationsCommand({ DestinationType: 'SageMakerTrainingJob', SourceType: 'DataSet' }));
    expect(byType.AssociationSummaries!.map((a) => a.SourceArn)).toEqual([data.ArtifactArn]);
  });

  it('makes an endpoint a context whose ascendants are the deployment, the model, the job and its data', async () => {
    endpointArn = (await c.sagemaker.send(new ListContextsCommand({ ContextType: 'Endpoint' }))).ContextSummaries![0].Source!.SourceUri!;
    expect(endpointArn).toMatch(/:endpoint\/lin-endpoint$/);
    const context = await endpointContext();
    expect(context.ContextName).toMatch(/^lin-endpoint-\d+-aws-endpoint$/);
    const described = await c.sagemaker.send(new DescribeContextCommand({ ContextName: context.ContextName }));
    expect(described).toMatchObject({ ContextType: 'Endpoint', Source: { SourceUri: endpointArn } });

    const q = await ascendants(context.ContextArn!);
    const tcArn = (await c.sagemaker.send(new DescribeTrialComponentCommand({ TrialComponentName: 'lin-train-aws-training-job' }))).TrialComponentArn!;
    const data = (await oneArtifact(dataUri)).ArtifactArn!;
    const model = (await oneArtifact(modelUri)).ArtifactArn!;
    const deployment = (await c.sagemaker.send(new ListActionsCommand({ ActionType: 'ModelDeployment' }))).ActionSummaries![0].ActionArn!;
    const vertices = new Map(q.Vertices!.map((v) => [v.Arn, `${v.LineageType}/${v.Type}`]));
    expect(vertices.get(data)).toBe('Artifact/DataSet');
    expect(vertices.get(tcArn)).toBe('TrialComponent/TrainingJob');
    expect(vertices.get(model)).toBe('Artifact/Model');
    expect(vertices.get(deployment)).toBe('Action/ModelDeployment');
    expect(vertices.get(context.ContextArn!)).toBe('Context/Endpoint');
    const edges = q.Edges!.map((e) => `${e.SourceArn} ${e.AssociationType} ${e.DestinationArn}`);
    expect(edges).toEqual(expect.arrayContaining([
      `${data} ContributedTo ${tcArn}`,
      `${tcArn} Produced ${model}`,
      `${model} ContributedTo ${deployment}`,
      `${deployment} AssociatedWith ${context.ContextArn}`,
    ]));

    const datasets = await c.sagemaker.send(new QueryLineageCommand({ StartArns: [context.ContextArn!], Direction: 'Ascendants', IncludeEdges: false, Filters: { LineageTypes: ['Artifact'], Types: ['DataSet'] } }));
    expect(datasets.Vertices!.map((v) => v.Arn)).toEqual([data]);
    const downstream = await c.sagemaker.send(new QueryLineageCommand({ StartArns: [data], Direction: 'Descendants', IncludeEdges: false, Filters: { Types: ['Endpoint'] } }));
    expect(downstream.Vertices!.map((v) => v.Arn)).toEqual([context.ContextArn]);
  });

  it('keeps one artifact per S3 URI: a second job on the same data shares its DataSet', async () => {
    await trainAndWait(c.sagemaker, {
      name: 'lin-train-2', image: LINEAR_LEARNER_IMAGE, hyperParameters: { predictor_type: 'binary_classifier', feature_dim: '3' },
      channels: [channel('train', dataUri, 'text/csv')], output: 's3://lineage-auto/out2',
    });
    const data = await oneArtifact(dataUri);
    const uses = await c.sagemaker.send(new ListAssociationsCommand({ SourceArn: data.ArtifactArn }));
    expect(uses.AssociationSummaries!.map((a) => a.DestinationName).sort()).toEqual(['lin-train-2-aws-training-job', 'lin-train-aws-training-job']);
  });

  it('adopts a trial component made beforehand under the name SageMaker gives the job', async () => {
    await c.sagemaker.send(new CreateTrialComponentCommand({ TrialComponentName: 'lin-early-aws-training-job' }));
    await trainAndWait(c.sagemaker, {
      name: 'lin-early', image: LINEAR_LEARNER_IMAGE, hyperParameters: { predictor_type: 'binary_classifier', feature_dim: '3' },
      channels: [channel('train', dataUri, 'text/csv')], output: 's3://lineage-auto/early',
    });
    const tc = await c.sagemaker.send(new DescribeTrialComponentCommand({ TrialComponentName: 'lin-early-aws-training-job' }));
    expect(tc.Source?.SourceType).toBe('SageMakerTrainingJob');
    const into = await c.sagemaker.send(new ListAssociationsCommand({ DestinationArn: tc.TrialComponentArn, SourceType: 'DataSet' }));
    expect(into.AssociationSummaries).toHaveLength(1);
  });

  it('records a model package in its group and its approval', async () => {
    await c.sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'lin-group' }));
    const { ModelPackageArn } = await c.sagemaker.send(new CreateModelPackageCommand({
      ModelPackageGroupName: 'lin-group',
      InferenceSpecification: { Containers: [{ Image: LINEAR_LEARNER_IMAGE, ModelDataUrl: modelUri }], SupportedContentTypes: ['text/csv'], SupportedResponseMIMETypes: ['text/csv'] },
    }));
    await c.sagemaker.send(new UpdateModelPackageCommand({ ModelPackageArn, ModelApprovalStatus: 'Approved' }));
    const pkg = await oneArtifact(ModelPackageArn!);
    const groups = await c.sagemaker.send(new ListContextsCommand({ ContextType: 'ModelGroup' }));
    expect(groups.ContextSummaries!.map((g) => g.ContextName)).toEqual([expect.stringMatching(/^lin-group-\d+-aws-model-package-group$/)]);
    const approvals = await c.sagemaker.send(new ListActionsCommand({ ActionType: 'Approval', SourceUri: ModelPackageArn }));
    expect(approvals.ActionSummaries).toHaveLength(1);
    expect(approvals.ActionSummaries![0].Source!.SourceUri).toBe(ModelPackageArn);
    // The model package's ascendants reach the training data through the model it packages.
    const q = await ascendants(pkg.ArtifactArn!);
    expect(q.Vertices!.map((v) => v.Arn)).toContain((await oneArtifact(dataUri)).ArtifactArn);
    const out = await c.sagemaker.send(new ListAssociationsCommand({ SourceArn: pkg.ArtifactArn }));
    expect(out.AssociationSummaries!.map((a) => a.DestinationType).sort()).toEqual(['Approval', 'ModelGroup']);
  });

  it('makes a transform job its trial component, with its data and model in and its results out', async () => {
    await c.sagemaker.send(new CreateTransformJobCommand({
      TransformJobName: 'lin-transform', ModelName: 'lin-endpoint',
      TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: dataUri } }, ContentType: 'text/csv', SplitType: 'Line' },
      TransformOutput: { S3OutputPath: 's3://lineage-auto/scored' },
      TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
    }));
    // The rows carry their label, so the model refuses them and the job fails: its lineage, made
    // when it is created, is there either way.
    await waitUntilTransformJobCompletedOrStopped({ client: c.sagemaker, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { TransformJobName: 'lin-transform' }).catch(() => undefined);
    const tc = await c.sagemaker.send(new DescribeTrialComponentCommand({ TrialComponentName: 'lin-transform-aws-transform-job' }));
    expect(tc.Source!.SourceType).toBe('SageMakerTransformJob');
    const into = await c.sagemaker.send(new ListAssociationsCommand({ DestinationArn: tc.TrialComponentArn }));
    expect(into.AssociationSummaries!.map((a) => a.SourceArn).sort()).toEqual(
      [(await oneArtifact(dataUri)).ArtifactArn, (await oneArtifact(modelUri)).ArtifactArn, (await oneArtifact(LINEAR_LEARNER_IMAGE)).ArtifactArn].sort(),
    );
    const results = await oneArtifact('s3://lineage-auto/scored');
    const out = await c.sagemaker.send(new ListAssociationsCommand({ SourceArn: tc.TrialComponentArn }));
    expect(out.AssociationSummaries!.map((a) => [a.DestinationArn, a.AssociationType])).toEqual([[results.ArtifactArn, 'Produced']]);
    const q = await c.sagemaker.send(new QueryLineageCommand({ StartArns: [results.ArtifactArn!], Direction: 'Ascendants', IncludeEdges: false, Filters: { LineageTypes: ['TrialComponent'] } }));
    expect(q.Vertices!.map((v) => `${v.Type} ${v.Arn!.split('/')[1]}`).sort()).toEqual(['TrainingJob lin-train-aws-training-job', 'TransformJob lin-transform-aws-transform-job']);
  });

  it('puts an approval behind an endpoint that deploys an approved model package', async () => {
    const { ModelPackageArn } = await c.sagemaker.send(new CreateModelPackageCommand({
      ModelPackageGroupName: 'lin-group', ModelApprovalStatus: 'Approved',
      InferenceSpecification: { Containers: [{ Image: LINEAR_LEARNER_IMAGE, ModelDataUrl: modelUri }], SupportedContentTypes: ['text/csv'], SupportedResponseMIMETypes: ['text/csv'] },
    }));
    await c.sagemaker.send(new CreateModelCommand({ ModelName: 'lin-from-package', Containers: [{ ModelPackageName: ModelPackageArn }], ExecutionRoleArn: ROLE }));
    await c.sagemaker.send(new CreateEndpointConfigCommand({
      EndpointConfigName: 'lin-from-package',
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'lin-from-package', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
    }));
    const { EndpointArn } = await c.sagemaker.send(new CreateEndpointCommand({ EndpointName: 'lin-from-package', EndpointConfigName: 'lin-from-package' }));
    await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { EndpointName: 'lin-from-package' });
    const context = (await c.sagemaker.send(new ListContextsCommand({ SourceUri: EndpointArn }))).ContextSummaries![0];
    const q = await c.sagemaker.send(new QueryLineageCommand({ StartArns: [context.ContextArn!], Direction: 'Ascendants', IncludeEdges: false, MaxResults: 50 }));
    const types = q.Vertices!.map((v) => `${v.LineageType}/${v.Type}`);
    expect(types).toEqual(expect.arrayContaining(['Action/Approval', 'Artifact/ModelPackage', 'Artifact/DataSet', 'TrialComponent/TrainingJob']));
    const approval = q.Vertices!.find((v) => v.Type === 'Approval')!;
    expect((await c.sagemaker.send(new ListActionsCommand({ SourceUri: ModelPackageArn }))).ActionSummaries!.map((a) => a.ActionArn)).toEqual([approval.Arn]);

    // UpdateEndpoint is a second deployment to the same endpoint context.
    await c.sagemaker.send(new UpdateEndpointCommand({ EndpointName: 'lin-from-package', EndpointConfigName: 'lin-endpoint' }));
    await waitUntilEndpointInService({ client: c.sagemaker, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { EndpointName: 'lin-from-package' });
    const deployments = await c.sagemaker.send(new ListAssociationsCommand({ DestinationArn: context.ContextArn, SourceType: 'ModelDeployment' }));
    expect(deployments.AssociationSummaries).toHaveLength(2);
    expect(new Set(deployments.AssociationSummaries!.map((a) => a.AssociationType))).toEqual(new Set(['AssociatedWith']));
  });

  it("tags a pipeline step's job with the execution, and records the job's lineage like any other", async () => {
    const train = {
      Name: 'Train',
      Type: 'Training',
      Arguments: {
        AlgorithmSpecification: { TrainingImage: LINEAR_LEARNER_IMAGE, TrainingInputMode: 'File' },
        RoleArn: ROLE,
        InputDataConfig: [channel('train', dataUri, 'text/csv')],
        OutputDataConfig: { S3OutputPath: 's3://lineage-auto/pipeline' },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
        StoppingCondition: { MaxRuntimeInSeconds: 600 },
        HyperParameters: { predictor_type: 'binary_classifier', feature_dim: '3' },
      },
    };
    await c.sagemaker.send(new CreatePipelineCommand({
      PipelineName: 'lin-pipeline', RoleArn: ROLE, ClientRequestToken: 'lin-pipeline-create-token-000000',
      PipelineDefinition: JSON.stringify({ Version: '2020-12-01', Parameters: [], Steps: [train] }),
    }));
    const { PipelineExecutionArn } = await c.sagemaker.send(new StartPipelineExecutionCommand({ PipelineName: 'lin-pipeline', ClientRequestToken: 'lin-pipeline-start-token-0000000' }));
    let status = 'Executing';
    while (status === 'Executing') {
      await new Promise((r) => setTimeout(r, 200));
      status = (await c.sagemaker.send(new DescribePipelineExecutionCommand({ PipelineExecutionArn }))).PipelineExecutionStatus!;
    }
    expect(status).toBe('Succeeded');
    const steps = (await c.sagemaker.send(new ListPipelineExecutionStepsCommand({ PipelineExecutionArn }))).PipelineExecutionSteps!;
    const trainingJobArn = steps[0].Metadata!.TrainingJob!.Arn!;
    const tags = (await c.sagemaker.send(new ListTagsCommand({ ResourceArn: trainingJobArn }))).Tags!;
    expect(tags).toContainEqual({ Key: 'sagemaker:pipeline-execution-arn', Value: PipelineExecutionArn });
    const [tc] = (await c.sagemaker.send(new ListTrialComponentsCommand({ SourceArn: trainingJobArn }))).TrialComponentSummaries!;
    const into = await c.sagemaker.send(new ListAssociationsCommand({ DestinationArn: tc.TrialComponentArn, SourceType: 'DataSet' }));
    expect(into.AssociationSummaries!.map((a) => a.SourceArn)).toEqual([(await oneArtifact(dataUri)).ArtifactArn]);
  });

  it('keeps the entities after the endpoint is deleted and across a restart', async () => {
    const context = await endpointContext();
    await c.sagemaker.send(new DeleteEndpointCommand({ EndpointName: 'lin-endpoint' }));
    const before = await ascendants(context.ContextArn!);
    await emu.stop();
    emu = await start(emu.dataDir);
    c = clients(emu.url);
    const after = await ascendants(context.ContextArn!);
    const key = (q: QueryLineageCommandOutput) => q.Vertices!.map((v) => v.Arn).sort();
    expect(key(after)).toEqual(key(before));
    expect(after.Edges!.length).toBe(before.Edges!.length);
    expect(await oneArtifact(dataUri)).toBeTruthy();
  }, 120_000);
});
