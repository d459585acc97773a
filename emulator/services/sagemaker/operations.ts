import type { OperationHandler } from '../../protocol/aws-json.js';
import type { ServiceDeps } from '../deps.js';
import type { ServingRegistry } from '../runtime/serving-registry.js';
import { ContainerRuntime } from '../../containers/index.js';
import { EndpointConfigService } from './endpoint-configs.js';
import { AutoMLService } from './automl/service.js';
import { createEngineOperations } from './engine/index.js';
import { EndpointService } from './endpoints.js';
import { InferenceRecommenderService } from './inference-recommender/service.js';
import { InferenceComponentService } from './inference-components.js';
import { InferenceExperimentService } from './inference-experiments.js';
import { ModelService } from './models.js';
import { PipelineService } from './pipelines/service.js';
import { jobUpdates } from './job-updates.js';
import { ProcessingJobService } from './processing-jobs.js';
import { renderUiTemplate } from './render-ui-template.js';
import { resourceExtras } from './resource-extras.js';
import { lineageOperations } from './lineage/index.js';
import { AutoLineage } from './lineage/auto/recorder.js';
import { JobTrialComponents } from './search/job-components.js';
import { moreSearchSources } from './search/more-resources.js';
import { SearchService } from './search/service.js';
import { TagService } from './engine/tags.js';
import { TrainingJobService } from './training-jobs.js';
import { TuningJobService } from './tuning/service.js';
import { TransformJobService } from './transform-jobs.js';
import { UnavailableJobService } from './unavailable-jobs/service.js';

/** The SageMaker control plane: the services and the operation table the protocol layer calls. */
export function createSageMaker(deps: ServiceDeps, serving: ServingRegistry) {
  const containers = new ContainerRuntime(deps);
  const training = new TrainingJobService(deps, containers);
  const models = new ModelService(deps, containers);
  const configs = new EndpointConfigService(deps);
  const endpoints = new EndpointService(deps, serving, containers);
  const components = new InferenceComponentService(deps, serving, containers);
  // Promoting a shadow variant goes through the finished operation table (built below).
  const experiments = new InferenceExperimentService(deps, serving, () => table);
  endpoints.onDelete.push((scope, name) => components.endpointDeleted(scope, name), (scope, name) => experiments.endpointDeleted(scope, name));
  const tags = new TagService(deps);
  const tuning = new TuningJobService(deps, training);
  const transforms = new TransformJobService(deps, training.slots);
  const processing = new ProcessingJobService(deps, containers);
  // AutoML's one-click deployment calls the finished operation table (built below).
  const automl = new AutoMLService(deps, training, containers, () => table);
  const recommender = new InferenceRecommenderService(deps, containers);
  const handWritten: Record<string, OperationHandler> = {
    CreateTrainingJob: (i, c) => training.create(i, c),
    ...training.records.operations(),
    StopTrainingJob: (i, c) => training.stop(i, c),
    CreateHyperParameterTuningJob: (i, c) => tuning.create(i, c),
    ...tuning.records.operations(),
    ListTrainingJobsForHyperParameterTuningJob: (i, c) => tuning.listTrainingJobs(i, c),
    StopHyperParameterTuningJob: (i, c) => tuning.stop(i, c),
    DeleteHyperParameterTuningJob: (i, c) => tuning.delete(i, c),
    CreateTransformJob: (i, c) => transforms.create(i, c),
    ...transforms.records.operations(),
    StopTransformJob: (i, c) => transforms.stop(i, c),
    CreateProcessingJob: (i, c) => processing.create(i, c),
    ...processing.records.operations(),
    StopProcessingJob: (i, c) => processing.stop(i, c),
    CreateModel: (i, c) => models.create(i, c),
    ...models.records.operations(),
    DeleteModel: (i, c) => models.delete(i, c),
    CreateEndpointConfig: (i, c) => configs.create(i, c),
    ...configs.records.operations(),
    DeleteEndpointConfig: (i, c) => configs.delete(i, c),
    CreateEndpoint: (i, c) => endpoints.create(i, c),
    ...endpoints.records.operations(),
    UpdateEndpoint: (i, c) => endpoints.update(i, c),
    UpdateEndpointWeightsAndCapacities: (i, c) => endpoints.updateWeightsAndCapacities(i, c),
    DeleteEndpoint: (i, c) => endpoints.delete(i, c),
    CreateInferenceComponent: (i, c) => components.create(i, c),
    DescribeInferenceComponent: (i, c) => components.describe(i, c),
    ListInferenceComponents: (i, c) => components.list(i, c),
    UpdateInferenceComponent: (i, c) => components.update(i, c),
    UpdateInferenceComponentRuntimeConfig: (i, c) => components.updateRuntimeConfig(i, c),
    DeleteInferenceComponent: (i, c) => components.delete(i, c),
    CreateInferenceExperiment: (i, c) => experiments.create(i, c),
    DescribeInferenceExperiment: (i, c) => experiments.describe(i, c),
    ListInferenceExperiments: (i, c) => experiments.list(i, c),
    UpdateInferenceExperiment: (i, c) => experiments.update(i, c),
    StartInferenceExperiment: (i, c) => experiments.start(i, c),
    StopInferenceExperiment: (i, c) => experiments.stop(i, c),
    DeleteInferenceExperiment: (i, c) => experiments.delete(i, c),
    AddTags: (i) => tags.add(i),
    ListTags: (i) => tags.list(i),
    DeleteTags: (i) => tags.delete(i),
    ...automl.operations(),
    ...recommender.operations(),
    ...new UnavailableJobService(deps).operations(),
  };
  // Hand-written services take precedence; the engine serves the other families from the model.
  // Pipelines run their steps through the finished operation table (built just below).
  let table: Record<string, OperationHandler> = {};
  const pipelines = new PipelineService(deps, () => table);
  Object.assign(handWritten, pipelines.operations());
  Object.assign(handWritten, lineageOperations(deps), jobUpdates(deps), { RenderUiTemplate: ((i, c) => renderUiTemplate(deps, i, c)) satisfies OperationHandler });
  const served = { ...createEngineOperations(deps, handWritten), ...handWritten };
  // Search and the experiments' associations read the other operations' answers.
  const linked = { ...served };
  const search = new SearchService(deps, linked, moreSearchSources(() => table));
  const jobComponents = new JobTrialComponents(deps, served, (r, c) => search.associate(r, c));
  // Every job gets its trial component (and its trial's, with an ExperimentConfig); Search sees it as Describe answers it.
  linked.DescribeTrialComponent = jobComponents.describe();
  // SageMaker's own lineage: jobs, endpoints and model packages record their entities.
  const lineage = new AutoLineage(deps, () => table, jobComponents);
  training.observe({ onLogLine: () => undefined, onFinished: (scope, name) => void lineage.trainingFinished(scope, name) });
  const after = (op: string, record: (req: Record<string, any>, out: any, ctx: Parameters<OperationHandler>[1]) => Promise<void>): OperationHandler =>
    async (req, ctx) => {
      const out = await served[op](req, ctx);
      await record(req, out, ctx);
      return out;
    };
  const operations: Record<string, OperationHandler> = {
    ...served,
    ...resourceExtras(deps, served),
    CreateTrainingJob: jobComponents.create('training', lineage.trainingStarted),
    CreateProcessingJob: jobComponents.create('processing', lineage.processingStarted),
    CreateTransformJob: jobComponents.create('transform', lineage.transformStarted),
    CreateEndpoint: after('CreateEndpoint', (req, _out, ctx) => lineage.endpointDeployed(req, ctx)),
    UpdateEndpoint: after('UpdateEndpoint', (req, _out, ctx) => lineage.endpointDeployed(req, ctx)),
    CreateModelPackage: after('CreateModelPackage', (req, out, ctx) => lineage.modelPackageCreated(req, out, ctx)),
    UpdateModelPackage: after('UpdateModelPackage', (req, _out, ctx) => lineage.modelPackageUpdated(req, ctx)),
    DescribeTrialComponent: linked.DescribeTrialComponent,
    Search: (i, c) => search.search(i, c),
    AssociateTrialComponent: (i, c) => search.associate(i, c),
    DisassociateTrialComponent: (i, c) => search.associate(i, c, true),
    ListTrials: (i, c) => search.listTrials(i, c),
    ListTrialComponents: (i, c) => search.listTrialComponents(i, c),
    DeleteExperiment: (i, c) => search.deleteGuarded('DeleteExperiment', i, c),
    DeleteTrial: (i, c) => search.deleteGuarded('DeleteTrial', i, c),
    DeleteTrialComponent: (i, c) => search.deleteGuarded('DeleteTrialComponent', i, c),
  };
  table = operations;
  return {
    operations,
    training,
    endpoints,
    components,
    async recover() {
      training.recover();
      // After training: children a restart killed are already marked, and get re-run.
      tuning.recover();
      automl.recover();
      recommender.recover();
      transforms.recover();
      processing.recover();
      await endpoints.recover();
      await components.recover();
      experiments.recover();
      // Last: the steps' jobs are recovered first, so a resumed execution sees their real state.
      pipelines.recover();
    },
    shutdown: async () => {
      tuning.shutdown();
      automl.shutdown();
      pipelines.shutdown();
      await Promise.all([training.shutdown(), transforms.shutdown(), processing.shutdown()]);
      await containers.shutdown();
    },
  };
}
