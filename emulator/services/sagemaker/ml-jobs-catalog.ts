import { UNAVAILABLE_FAMILIES } from './unavailable-jobs/families.js';
import { unavailableJobOperations } from './unavailable-jobs/service.js';

/**
 * The job families that compute something (AutoML, Inference Recommender) and those localsage
 * cannot run offline (Neo compilation, edge packaging, optimization, labeling, generative AI
 * benchmarks and recommendations): their operations and reasons, for the engine's catalog and the
 * README, kept in one place apart from the other families.
 */
export const AUTOML_OPERATIONS = [
  'CreateAutoMLJob', 'CreateAutoMLJobV2', 'DescribeAutoMLJob', 'DescribeAutoMLJobV2', 'ListAutoMLJobs', 'ListCandidatesForAutoMLJob', 'StopAutoMLJob',
];

export const INFERENCE_RECOMMENDER_OPERATIONS = [
  'CreateInferenceRecommendationsJob', 'DescribeInferenceRecommendationsJob', 'ListInferenceRecommendationsJobs',
  'ListInferenceRecommendationsJobSteps', 'StopInferenceRecommendationsJob',
];

/** Every operation of these families, served by their hand-written services. */
export function mlJobOperations(): string[] {
  return [...AUTOML_OPERATIONS, ...INFERENCE_RECOMMENDER_OPERATIONS, ...unavailableJobOperations()];
}

/** Why the generic engine does not take these families. */
export const ML_JOB_FAMILIES: Record<string, string> = {
  AutoMLJob: 'hand-written service (automl/: trains real candidates)',
  AutoMLJobV2: 'hand-written service (automl/: trains real candidates)',
  InferenceRecommendationsJob: 'hand-written service (inference-recommender/: measured latency, simulated load tests)',
  ...Object.fromEntries(UNAVAILABLE_FAMILIES.map((f) => [f.name, 'unavailable-jobs/: a lifecycle that ends Failed with the reason'])),
};

/** The README's words on these families (under the generated operations section). */
export function mlJobReadmeLines(): string[] {
  return [
    'Jobs that compute something, hand-written (not metadata):',
    '',
    '- **AutoML** (`CreateAutoMLJob`, `CreateAutoMLJobV2` with `TabularJobConfig`, Describe, List, `ListCandidatesForAutoMLJob`,',
    '  Stop): the header CSV (or Parquet, `x-application-vnd.amazon+parquet`, read with hyparquet) is read from S3 (at',
    '  least 500 rows, as documented), the target column found, the problem',
    '  type and objective inferred when neither is given (both or neither, as on AWS: two distinct target values are',
    '  BinaryClassification, string values or at most 10 distinct integers MulticlassClassification, other numbers',
    '  Regression), 20 % held out for validation (`DataSplitConfig`) unless a validation channel is given. Feature',
    '  engineering is fitted on the training split: a column whose every non-empty value is a number is numeric (missing',
    '  values take the median, then it is standardised), a string column of mostly distinct values averaging three or',
    '  more words is free text (TF-IDF over its 100 most frequent tokens, smoothed idf, rows L2-normalised), any other',
    '  is categorical (one-hot over its 30 most frequent values seen at least twice, missing values take the most',
    '  frequent); a string target keeps its labels. Candidates are real',
    '  training jobs (`<job>-ll-001-…`, `<job>-xgb-002-…`, with `AutoMLJobArn`, listed by `ListTrainingJobs`): the built-in',
    '  Linear Learner and, where `localsage frameworks install xgboost` has run, the XGBoost algorithm, taking turns,',
    '  two at a time, up to `MaxCandidates` (250 when not given, as on AWS: set it for a quick run). Each algorithm',
    '  starts from three fixed configurations, then the tuning jobs\' Bayesian search over its space proposes the next',
    '  from the objectives its candidates reached (HPO mode; `Mode` ENSEMBLING is not modelled). Each objective is read',
    '  from the validation metrics the algorithm logs (Accuracy, F1, AUC, Precision, Recall, F1macro, PrecisionMacro,',
    '  RecallMacro, MSE, RMSE, MAE, R2; XGBoost reports no F1, precision or recall, so it is not a candidate for those).',
    '  Secondary statuses: Starting, AnalyzingData, FeatureEngineering, ModelTuning, MaxCandidatesReached (or',
    '  MaxAutoMLJobRuntimeReached, CandidateDefinitionsGenerated, Stopping, Stopped, Failed). A candidate a restart',
    '  killed is re-run with its configuration.',
    '  `InferenceContainers` have Autopilot\'s HPO shape: the data processing container (`sagemaker-sklearn-automl`,',
    '  `AUTOML_TRANSFORM_MODE=feature-transform`, served in-process from the fitted processing model under',
    '  `<output>/<job>/data-processor-models/`), the algorithm\'s image with the trained artifact and, for classification,',
    '  the processing container again as the inverse label transform. `CreateModel` from them makes a serial inference',
    '  pipeline (a model of several `Containers` chains them, each answer the next request) that takes raw CSV rows, the',
    '  data set\'s columns less the target in the same order, strings and empty cells included, and answers with the',
    '  original labels: `predicted_label` per line by default, or the keys `SAGEMAKER_INFERENCE_OUTPUT` names on the last',
    '  container (`predicted_label`, `probability`, `probabilities`, `labels`, as the SDKs\' `inference_response_keys` set),',
    '  as text/csv, application/json or application/jsonlines. Endpoints (capacity mode too), asynchronous inference,',
    '  batch transform (when every container is served in-process: Linear Learner candidates) and Inference Recommender',
    '  serve such pipelines, also from a model package registered with the containers (`InferenceExecutionConfig` Mode',
    '  Direct is not modelled: such a model serves its first container).',
    '  With `ModelDeployConfig` the job deploys the best candidate itself (DeployingModel: model, endpoint',
    '  configuration and endpoint named by `EndpointName` or `<job>-<8 hex>`, one ml.m5.large, then `ModelDeployResult`;',
    '  ModelDeploymentError when it fails). Other input (images, text or time-series problem types, manifests, compression)',
    '  fails the job with a reason; a date column is read as categorical (no datetime features). No explainability or',
    '  model insights reports, no candidate notebooks.',
    '- **Inference Recommender** (`CreateInferenceRecommendationsJob`, Describe, List, Stop,',
    '  `ListInferenceRecommendationsJobSteps`): an **estimate from the instance profiles**. The model (a `ModelName` or',
    '  a registered `ModelPackageVersionArn`) is invoked for real with the sample payload archive (`.tar.gz`), one',
    '  request at a time, and its measured latency percentiles drive an open-loop load test of one instance of each',
    '  candidate type in the what-if simulator, with the type\'s model-server workers and on-demand price',
    '  (core/instance-types.ts). `MaxInvocations` (per minute) is the highest rate whose latency percentile stays within',
    '  `ModelLatencyThresholds` (default: P95 within twice the measured P95), `ModelLatency` (ms) the percentile there,',
    '  `CostPerHour` the profile price, `CostPerInference` their ratio, `CpuUtilization` the share of the workers busy',
    '  at that rate. Types: `EndpointConfigurations`, else the package\'s `SupportedRealtimeInferenceInstanceTypes`, else',
    '  `ContainerConfig.SupportedInstanceTypes`, else the CPU profiles; a type without a profile fails its benchmark step.',
    '  No endpoint is created, an Advanced job\'s `TrafficPattern` is not replayed, and no `EnvironmentParameters` are tuned.',
    '',
    'Jobs whose product cannot be computed offline are served with a real lifecycle (Create, Describe, List, Stop,',
    'Delete, tags) that ends Failed after the control-plane transition, with a FailureReason that says what is missing:',
    '',
    ...UNAVAILABLE_FAMILIES.map((f) => `- ${f.name}: ${f.reason}`),
  ];
}
