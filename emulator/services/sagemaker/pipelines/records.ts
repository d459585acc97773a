import type { Scope } from '../../../storage/database.js';

export const PIPELINE_KIND = 'pipeline';
export const EXECUTION_KIND = 'pipeline-execution';

export interface PipelineRecord {
  PipelineArn: string;
  PipelineName: string;
  PipelineDisplayName?: string;
  PipelineDefinition: string;
  PipelineDescription?: string;
  RoleArn?: string;
  PipelineStatus: 'Active' | 'Deleting';
  CreationTime: Date | string;
  LastModifiedTime: Date | string;
  LastRunTime?: Date | string;
  ParallelismConfiguration?: { MaxParallelExecutionSteps?: number };
  PipelineVersionId?: number;
}

export type StepStatus = 'Starting' | 'Executing' | 'Stopping' | 'Stopped' | 'Failed' | 'Succeeded';

export interface StepRun {
  StepName: string;
  StepDisplayName?: string;
  StepDescription?: string;
  StepStatus: StepStatus;
  StartTime: string;
  EndTime?: string;
  FailureReason?: string;
  Metadata?: Record<string, unknown>;
  AttemptCount: number;
  CacheHitResult?: { SourcePipelineExecutionArn: string };
  /** Internal: the job the step follows, when a retry is due, the cache key, its properties. */
  job?: string;
  retryAt?: number;
  retries?: number;
  cacheKey?: string;
  properties?: unknown;
}

export type ExecutionStatus = 'Executing' | 'Stopping' | 'Stopped' | 'Failed' | 'Succeeded';

export interface ExecutionRecord {
  PipelineArn: string;
  PipelineExecutionArn: string;
  PipelineExecutionDisplayName?: string;
  PipelineExecutionDescription?: string;
  PipelineExecutionStatus: ExecutionStatus;
  FailureReason?: string;
  CreationTime: string;
  LastModifiedTime: string;
  ParallelismConfiguration?: { MaxParallelExecutionSteps?: number };
  PipelineVersionId?: number;
  /** Internal: what the execution runs and where it stands. */
  pipelineName: string;
  executionId: string;
  definition: string;
  parameters: Record<string, unknown>;
  steps: Record<string, StepRun>;
  clientToken?: string;
  parameterText?: Record<string, string>;
}

export interface Located {
  scope: Scope;
  record: ExecutionRecord;
}

/** arn:aws:sagemaker:<region>:<account>:pipeline/<name>/execution/<id> */
export function parseExecutionArn(arn: string): { pipeline: string; id: string } | undefined {
  const m = /^arn:aws[a-z-]*:sagemaker:[^:]*:\d{12}:pipeline\/([^/]+)\/execution\/([^/]+)$/.exec(arn);
  return m ? { pipeline: m[1]!, id: m[2]! } : undefined;
}

const TIME_FIELDS = new Set(['CreationTime', 'LastModifiedTime', 'LastRunTime', 'LastExecutionTime', 'StartTime', 'EndTime']);

/** Records hold times as ISO strings (JSON in SQLite); the wire serializer wants Dates for timestamp members. */
export function withDates<T extends object>(o: T): T {
  const out = { ...o } as Record<string, unknown>;
  for (const [k, v] of Object.entries(out)) if (TIME_FIELDS.has(k) && typeof v === 'string') out[k] = new Date(v);
  return out as T;
}

/** What the API shows of an execution: the record without its internal fields. */
export function publicExecution(r: ExecutionRecord) {
  const { pipelineName: _n, executionId: _i, definition: _d, parameters: _p, steps: _s, clientToken: _t, parameterText: _x, ...out } = r;
  return withDates(out);
}

export function publicStep(s: StepRun) {
  const { job: _j, retryAt: _r, retries: _t, cacheKey: _c, properties: _p, ...out } = s;
  return withDates(out);
}
