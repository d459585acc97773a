import type { Scope } from '../../../storage/database.js';
import type { CandidateAlgorithm, CandidatePlan } from './candidates.js';
import type { ProblemType } from './data.js';

export const AUTOML_KIND = 'automl-job';

export const automlArn = (scope: Scope, name: string) => `arn:aws:sagemaker:${scope.region}:${scope.accountId}:automl-job/${name.toLowerCase()}`;

export type AutoMLStatus = 'InProgress' | 'Stopping' | 'Stopped' | 'Completed' | 'Failed';

/** What the job works from, the same for CreateAutoMLJob (V1) and CreateAutoMLJobV2. */
export interface AutoMLSpec {
  /** The tabular problem; anything else (images, text, time series, text generation) fails with a reason. */
  problemConfig: 'Tabular' | string;
  training: string;
  validation?: string;
  /** The channels are Parquet (x-application-vnd.amazon+parquet) rather than header-present CSV. */
  parquet?: boolean;
  target: string;
  problemType?: ProblemType;
  objective?: string;
  maxCandidates?: number;
  maxRuntimePerTrainingJob?: number;
  maxJobRuntime?: number;
  algorithms?: string[];
  validationFraction?: number;
  definitionsOnly: boolean;
  outputPath: string;
  roleArn: string;
  /** Input localsage cannot read: the job fails with this reason in AnalyzingData. */
  unsupported?: string;
  /** ModelDeployConfig: deploy the best candidate to this endpoint once trained. */
  deploy?: { endpointName: string };
}

/** One candidate: a training job of the plan it follows. */
export interface CandidateRecord extends CandidatePlan {
  name: string;
  /** Set when this candidate re-runs one an emulator restart killed (it does not count against MaxCandidates). */
  retryOf?: string;
}

export interface AutoMLRecord {
  /** Which API created it: Describe echoes the request in that API's members. */
  version: 1 | 2;
  name: string;
  arn: string;
  /** The Create request as sent, less tags (Describe echoes its members). */
  request: Record<string, unknown>;
  spec: AutoMLSpec;
  status: AutoMLStatus;
  secondary: string;
  failureReason?: string;
  created: string;
  modified: string;
  ended?: string;
  /** Set by data analysis. */
  resolved?: {
    problemType: ProblemType;
    objective: string;
    features: string[];
    classes?: string[];
    /** The width of the encoded rows the candidates train on (Linear Learner's feature_dim). */
    encodedFeatures?: number;
    /** The data processing model (features.ts): the first inference container's, and the inverse label transform's. */
    processingModelUri?: string;
    labelVariance: number;
    trainUri: string;
    validationUri: string;
    /** The algorithms that take turns, each able to measure the objective. */
    algorithms: CandidateAlgorithm[];
  };
  candidates: CandidateRecord[];
  /** ModelDeployResult's endpoint, once InService; or why the deployment failed. */
  deployed?: string;
  deployError?: string;
  /** How a job that is ending will end, once its running candidates have. */
  ending?: { status: 'Completed' | 'Stopped' | 'Failed'; secondary: string; reason?: string };
}
