/**
 * The lineage SageMaker records by itself (AWS: "Amazon SageMaker AI–Created Tracking Entities"):
 *
 * - a job (training, processing, transform) is its trial component `<job>-aws-<kind>-job`; its
 *   image (Image), its input data (DataSet, by S3 URI) and a training job's checkpoint location
 *   (Checkpoint) are artifacts that ContributedTo it; what it writes is an artifact it Produced
 *   (a training job's model, ArtifactType Model, by ModelArtifacts.S3ModelArtifacts, once it has
 *   completed; a processing job's outputs and a transform job's results, DataSet);
 * - an endpoint is a context (ContextType Endpoint, source URI the endpoint ARN); each deployment
 *   to it (CreateEndpoint, UpdateEndpoint) is an action (ActionType ModelDeployment, source URI
 *   the endpoint config ARN) that is AssociatedWith the context, and to which each deployed
 *   model's data (Model), image (Image) and model package ContributedTo;
 * - a model package group is a context (ContextType ModelGroup); a model package is an artifact
 *   (ArtifactType ModelPackage, source URI its ARN) that ContributedTo its group, with its
 *   containers' model data and images ContributedTo it; each approval status it is given is an
 *   action (ActionType Approval) it ContributedTo, and that action is AssociatedWith the
 *   deployments of the package.
 *
 * So Dataset → TrainingJob → Model → ModelDeployment → Endpoint: an endpoint's ascendants are the
 * jobs and data behind it, which is the walk the SageMaker Python SDK's EndpointContext makes.
 * Artifacts are shared by source URI, so the model a training job produced is the model an
 * endpoint deploys. Entities stay when the resource is deleted: lineage is the record of what
 * happened. Recording never fails the caller's request; a failure is logged.
 */
import type { OperationHandler } from '../../../../protocol/aws-json.js';
import type { RequestContext } from '../../../../protocol/context.js';
import type { Scope } from '../../../../storage/database.js';
import type { ServiceDeps } from '../../../deps.js';
import type { JobKind, JobTrialComponents } from '../../search/job-components.js';
import { scopeOf } from '../../scope.js';
import { LineageGraph, serviceContext } from './graph.js';

type Doc = Record<string, any>;

const epochSeconds = (t: unknown) => Math.floor(new Date(t as string).getTime() / 1000);

export class AutoLineage {
  private readonly graph: LineageGraph;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly ops: () => Record<string, OperationHandler>,
    private readonly components: JobTrialComponents,
  ) {
    this.graph = new LineageGraph(deps, ops);
  }

  private async guard(what: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (e) {
      this.deps.log(`lineage: could not record ${what}: ${(e as Error).message}`);
    }
  }

  private call(op: string, req: Doc, ctx: RequestContext): Promise<Doc> {
    return Promise.resolve(this.ops()[op](req, ctx)) as Promise<Doc>;
  }

  /** The job's trial component ARN, made if it is missing. */
  private async component(kind: JobKind, jobName: string, job: Doc, ctx: RequestContext): Promise<string> {
    const name = await this.components.ensure(kind, jobName, job, ctx);
    return String((await this.call('DescribeTrialComponent', { TrialComponentName: name }, ctx)).TrialComponentArn);
  }

  /** A training job's inputs, when it is created. */
  trainingStarted = (req: Doc, ctx: RequestContext) => this.guard(`training job ${req.TrainingJobName}`, () => this.trainingInputs(req, ctx).then(() => undefined));

  private async trainingInputs(job: Doc, ctx: RequestContext): Promise<string> {
    const tc = await this.component('training', String(job.TrainingJobName), job, ctx);
    const spec = (job.AlgorithmSpecification ?? {}) as Doc;
    if (spec.TrainingImage) this.graph.link(ctx, await this.graph.artifact(ctx, spec.TrainingImage, 'Image'), tc, 'ContributedTo');
    else if (spec.AlgorithmName) this.graph.link(ctx, await this.graph.artifact(ctx, spec.AlgorithmName, 'Algorithm'), tc, 'ContributedTo');
    for (const channel of (job.InputDataConfig ?? []) as Doc[]) {
      const uri = channel.DataSource?.S3DataSource?.S3Uri;
      if (uri) this.graph.link(ctx, await this.graph.artifact(ctx, uri, 'DataSet'), tc, 'ContributedTo');
    }
    const checkpoint = job.CheckpointConfig?.S3Uri;
    if (checkpoint) this.graph.link(ctx, await this.graph.artifact(ctx, checkpoint, 'Checkpoint'), tc, 'ContributedTo');
    return tc;
  }

  /** A training job that ended (tuning jobs' training jobs included): its model, if it completed. */
  trainingFinished = (scope: Scope, name: string) =>
    this.guard(`training job ${name}`, async () => {
      const ctx = serviceContext(scope);
      const job = await this.call('DescribeTrainingJob', { TrainingJobName: name }, ctx);
      const tc = await this.trainingInputs(job, ctx);
      const model = job.ModelArtifacts?.S3ModelArtifacts;
      if (job.TrainingJobStatus === 'Completed' && model) this.graph.link(ctx, tc, await this.graph.artifact(ctx, model, 'Model'), 'Produced');
    });

  processingStarted = (req: Doc, ctx: RequestContext) =>
    this.guard(`processing job ${req.ProcessingJobName}`, async () => {
      const tc = await this.component('processing', String(req.ProcessingJobName), req, ctx);
      const image = req.AppSpecification?.ImageUri;
      if (image) this.graph.link(ctx, await this.graph.artifact(ctx, image, 'Image'), tc, 'ContributedTo');
      for (const input of (req.ProcessingInputs ?? []) as Doc[]) {
        const uri = input.S3Input?.S3Uri;
        if (uri) this.graph.link(ctx, await this.graph.artifact(ctx, uri, 'DataSet'), tc, 'ContributedTo');
      }
      for (const output of (req.ProcessingOutputConfig?.Outputs ?? []) as Doc[]) {
        const uri = output.S3Output?.S3Uri;
        if (uri) this.graph.link(ctx, tc, await this.graph.artifact(ctx, uri, 'DataSet'), 'Produced');
      }
    });

  transformStarted = (req: Doc, ctx: RequestContext) =>
    this.guard(`transform job ${req.TransformJobName}`, async () => {
      const tc = await this.component('transform', String(req.TransformJobName), req, ctx);
      const input = req.TransformInput?.DataSource?.S3DataSource?.S3Uri;
      if (input) this.graph.link(ctx, await this.graph.artifact(ctx, input, 'DataSet'), tc, 'ContributedTo');
      for (const a of await this.modelArtifacts(String(req.ModelName), ctx)) this.graph.link(ctx, a, tc, 'ContributedTo');
      const output = req.TransformOutput?.S3OutputPath;
      if (output) this.graph.link(ctx, tc, await this.graph.artifact(ctx, output, 'DataSet'), 'Produced');
    });

  /** The artifacts of a SageMaker model's containers: model data, image, model package. */
  private async modelArtifacts(modelName: string, ctx: RequestContext): Promise<string[]> {
    const model = await this.call('DescribeModel', { ModelName: modelName }, ctx);
    const containers = [model.PrimaryContainer, ...((model.Containers ?? []) as Doc[])].filter(Boolean) as Doc[];
    const out: string[] = [];
    for (const c of containers) {
      if (c.ModelDataUrl) out.push(await this.graph.artifact(ctx, c.ModelDataUrl, 'Model'));
      if (c.Image) out.push(await this.graph.artifact(ctx, c.Image, 'Image'));
      if (c.ModelPackageName) out.push(await this.packageArtifact(String(c.ModelPackageName), ctx));
    }
    return out;
  }

  private async packageArtifact(nameOrArn: string, ctx: RequestContext): Promise<string> {
    const pkg = await this.call('DescribeModelPackage', { ModelPackageName: nameOrArn }, ctx);
    return this.graph.artifact(ctx, pkg.ModelPackageArn, 'ModelPackage');
  }

  /** CreateEndpoint or UpdateEndpoint: the endpoint's context and a deployment of its config. */
  endpointDeployed = (req: Doc, ctx: RequestContext) =>
    this.guard(`endpoint ${req.EndpointName}`, async () => {
      const endpoint = await this.call('DescribeEndpoint', { EndpointName: req.EndpointName }, ctx);
      const name = String(endpoint.EndpointName);
      const context = await this.graph.context(ctx, `${name}-${epochSeconds(endpoint.CreationTime)}-aws-endpoint`, endpoint.EndpointArn, 'Endpoint', {
        Source: { SourceUri: endpoint.EndpointArn, SourceType: 'ARN' },
      });
      const config = await this.call('DescribeEndpointConfig', { EndpointConfigName: req.EndpointConfigName }, ctx);
      const deployment = await this.graph.action(ctx, `${name}-${epochSeconds(this.deps.clock.now())}-aws-model-deployment`, config.EndpointConfigArn, 'ModelDeployment', {
        Source: { SourceUri: config.EndpointConfigArn, SourceType: 'ARN' },
      });
      this.graph.link(ctx, deployment, context, 'AssociatedWith');
      for (const variant of (config.ProductionVariants ?? []) as Doc[]) {
        if (!variant.ModelName) continue;
        for (const a of await this.modelArtifacts(String(variant.ModelName), ctx)) {
          this.graph.link(ctx, a, deployment, 'ContributedTo');
          const approval = this.graph.latestAction(scopeOf(ctx), await this.sourceUriOf(a, ctx), 'Approval');
          if (approval) this.graph.link(ctx, approval, deployment, 'AssociatedWith');
        }
      }
    });

  private async sourceUriOf(artifactArn: string, ctx: RequestContext): Promise<string> {
    return String((await this.call('DescribeArtifact', { ArtifactArn: artifactArn }, ctx)).Source?.SourceUri);
  }

  /** CreateModelPackage: the group's context, the package's artifact, its containers, its approval. */
  modelPackageCreated = (req: Doc, out: Doc, ctx: RequestContext) =>
    this.guard(`model package ${out.ModelPackageArn}`, async () => {
      const pkg = await this.call('DescribeModelPackage', { ModelPackageName: out.ModelPackageArn }, ctx);
      const artifact = await this.graph.artifact(ctx, pkg.ModelPackageArn, 'ModelPackage');
      if (pkg.ModelPackageGroupName) {
        const group = await this.call('DescribeModelPackageGroup', { ModelPackageGroupName: pkg.ModelPackageGroupName }, ctx);
        const context = await this.graph.context(ctx, `${group.ModelPackageGroupName}-${epochSeconds(group.CreationTime)}-aws-model-package-group`, group.ModelPackageGroupArn, 'ModelGroup', {
          Source: { SourceUri: group.ModelPackageGroupArn, SourceType: 'ARN' },
        });
        this.graph.link(ctx, artifact, context, 'ContributedTo');
      }
      for (const c of (pkg.InferenceSpecification?.Containers ?? []) as Doc[]) {
        if (c.ModelDataUrl) this.graph.link(ctx, await this.graph.artifact(ctx, c.ModelDataUrl, 'Model'), artifact, 'ContributedTo');
        if (c.Image) this.graph.link(ctx, await this.graph.artifact(ctx, c.Image, 'Image'), artifact, 'ContributedTo');
      }
      // A status the caller chose is an approval; the default PendingManualApproval is none yet.
      if (req.ModelApprovalStatus) await this.approval(pkg, artifact, ctx);
    });

  /** UpdateModelPackage with a ModelApprovalStatus: an approval action for the new status. */
  modelPackageUpdated = (req: Doc, ctx: RequestContext) =>
    this.guard(`model package ${req.ModelPackageArn}`, async () => {
      if (!req.ModelApprovalStatus) return;
      const pkg = await this.call('DescribeModelPackage', { ModelPackageName: req.ModelPackageArn }, ctx);
      await this.approval(pkg, await this.graph.artifact(ctx, pkg.ModelPackageArn, 'ModelPackage'), ctx);
    });

  private async approval(pkg: Doc, artifact: string, ctx: RequestContext): Promise<void> {
    const status = pkg.ModelApprovalStatus as string | undefined;
    if (!status || !pkg.ModelPackageGroupName) return;
    const name = `${pkg.ModelPackageGroupName}-${pkg.ModelPackageVersion}-${status}-${epochSeconds(this.deps.clock.now())}-aws-approval`;
    const action = await this.graph.action(ctx, name.slice(-120).replace(/^-+/, ''), pkg.ModelPackageArn, 'Approval', {
      Source: { SourceUri: pkg.ModelPackageArn, SourceType: 'ARN' },
      Properties: { ModelApprovalStatus: status },
    });
    this.graph.link(ctx, artifact, action, 'ContributedTo');
  }
}
