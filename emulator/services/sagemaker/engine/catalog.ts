import { sagemakerModel } from '../../../protocol/service-model.js';
import { engineFamilies, MODEL_REGISTRY_OPERATIONS, NOT_GENERIC, underivedFamilies } from './index.js';
import { familyOperations } from './engine.js';
import { keyedOperationFamilies } from './keyed/index.js';
import { LINEAGE_OPERATIONS } from '../lineage/index.js';
import { RESOURCE_EXTRA_OPERATIONS } from '../resource-extras.js';
import { JOB_UPDATE_OPERATIONS } from '../job-updates.js';
import { PIPELINE_EXTRA_OPERATIONS } from '../pipelines/service.js';
import { mlJobOperations } from '../ml-jobs-catalog.js';

/**
 * What localsage serves of SageMaker's API, for the README table and the contract test: the
 * hand-written services' operations, the engine's, the ones that make no sense offline (with
 * why), and the rest, not served yet.
 */

/** Operations of the hand-written services (operations.ts); the contract test checks this list against the running emulator. */
export const HAND_WRITTEN_OPERATIONS = [
  'CreateTrainingJob', 'DescribeTrainingJob', 'ListTrainingJobs', 'StopTrainingJob',
  'CreateHyperParameterTuningJob', 'DescribeHyperParameterTuningJob', 'ListHyperParameterTuningJobs',
  'ListTrainingJobsForHyperParameterTuningJob', 'StopHyperParameterTuningJob', 'DeleteHyperParameterTuningJob',
  'CreateTransformJob', 'DescribeTransformJob', 'ListTransformJobs', 'StopTransformJob',
  'CreateProcessingJob', 'DescribeProcessingJob', 'ListProcessingJobs', 'StopProcessingJob',
  'CreateModel', 'DescribeModel', 'ListModels', 'DeleteModel',
  'CreateEndpointConfig', 'DescribeEndpointConfig', 'ListEndpointConfigs', 'DeleteEndpointConfig',
  'CreateEndpoint', 'DescribeEndpoint', 'ListEndpoints', 'UpdateEndpoint', 'UpdateEndpointWeightsAndCapacities', 'DeleteEndpoint',
  'CreateInferenceComponent', 'DescribeInferenceComponent', 'ListInferenceComponents', 'UpdateInferenceComponent',
  'UpdateInferenceComponentRuntimeConfig', 'DeleteInferenceComponent',
  'CreateInferenceExperiment', 'DescribeInferenceExperiment', 'ListInferenceExperiments', 'UpdateInferenceExperiment',
  'StartInferenceExperiment', 'StopInferenceExperiment', 'DeleteInferenceExperiment',
  'AddTags', 'ListTags', 'DeleteTags',
  'CreatePipeline', 'UpdatePipeline', 'DescribePipeline', 'ListPipelines', 'DeletePipeline',
  'StartPipelineExecution', 'DescribePipelineExecution', 'ListPipelineExecutions', 'StopPipelineExecution',
  'RetryPipelineExecution', 'ListPipelineExecutionSteps', 'ListPipelineParametersForExecution',
  'DescribePipelineDefinitionForExecution',
  'Search', 'AssociateTrialComponent', 'DisassociateTrialComponent',
  ...LINEAGE_OPERATIONS,
  ...RESOURCE_EXTRA_OPERATIONS,
  ...JOB_UPDATE_OPERATIONS,
  ...PIPELINE_EXTRA_OPERATIONS,
  'RenderUiTemplate',
  ...mlJobOperations(),
];

/** Operations that have no meaning without AWS behind them, and why. */
export const OFFLINE_ONLY: [RegExp, string][] = [
  [/Presigned/, 'a presigned URL opens a hosted web UI (Studio, Jupyter, MLflow, a partner app); none runs here'],
  [/ServicecatalogPortfolio/, 'AWS Service Catalog integration'],
  [/Device|EdgeDeploymentStage/, 'SageMaker Edge Manager: physical edge devices'],
  [/ClusterNode|ClusterEvent|ClusterSoftware|ClusterHealthCheck|UltraServers/, 'HyperPod cluster hardware (nodes, volumes, health checks)'],
  [/TrainingPlanOfferings|ExtendTrainingPlan|TrainingPlanExtension|ReservedCapacity/, 'capacity bought from AWS (training plan offerings, reserved capacity)'],
  [/^StartSession$/, 'an SSM session into a Studio space'],
  [/SubscribedWorkteam/, 'AWS Marketplace vendor workforces'],
  [/^GetScalingConfigurationRecommendation$/, "recommendations from AWS's fleet telemetry"],
];

export type Coverage = 'hand-written' | 'engine' | 'offline-only' | 'not yet';

export interface OperationCoverage {
  op: string;
  coverage: Coverage;
  family?: string;
  reason?: string;
}

export function operationCoverage(): OperationCoverage[] {
  const engine = new Map<string, string>();
  for (const f of engineFamilies()) for (const op of familyOperations(f)) engine.set(op, f.name);
  for (const op of MODEL_REGISTRY_OPERATIONS) engine.set(op, 'ModelPackage');
  for (const [op, family] of keyedOperationFamilies()) engine.set(op, family);
  const hand = new Set(HAND_WRITTEN_OPERATIONS);
  const skipped = underivedFamilies();
  return Object.keys(sagemakerModel().operations).map((op): OperationCoverage => {
    if (hand.has(op)) return { op, coverage: 'hand-written' };
    if (engine.has(op)) return { op, coverage: 'engine', family: engine.get(op) };
    const offline = OFFLINE_ONLY.find(([re]) => re.test(op));
    if (offline) return { op, coverage: 'offline-only', reason: offline[1] };
    const family = /^(?:Create|Describe|List|Update|Delete|Start|Stop)(.+?)s?$/.exec(op)?.[1];
    const why = family && (NOT_GENERIC[family] ?? skipped[family] ?? NOT_GENERIC[family.replace(/ie$/, 'y')]);
    return { op, coverage: 'not yet', reason: why };
  });
}
