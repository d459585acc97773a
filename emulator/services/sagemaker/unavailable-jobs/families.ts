/**
 * Job families whose product localsage cannot compute offline. They are served with a real
 * lifecycle (Create, Describe, List, Stop, Delete, tags) that ends Failed with a FailureReason
 * saying exactly what is missing, rather than answering 501 or faking a Completed job with no
 * output. Each entry says why; the README's operations section prints these reasons.
 */
export interface UnavailableFamily {
  /** The family's name in the service model (`CompilationJob`). */
  name: string;
  /** The status it starts in, and those of a failed, stopping and stopped job (the family's own spelling). */
  states: { running: string; failed: string; stopping: string; stopped: string };
  /** The Describe member that carries the reason. */
  reasonMember: string;
  reason: string;
  /** Describe's start and end time members, where the family has them. */
  times?: { start: string; end: string };
  /** Members of Describe and the List summary that derive from Create's input. */
  summary?: (input: Record<string, any>) => Record<string, unknown>;
}

/** The two spellings of job statuses in the service model (CompilationJobStatus vs LabelingJobStatus). */
const UPPER_CASE_STATES = { running: 'INPROGRESS', failed: 'FAILED', stopping: 'STOPPING', stopped: 'STOPPED' };
const PASCAL_CASE_STATES = { running: 'InProgress', failed: 'Failed', stopping: 'Stopping', stopped: 'Stopped' };

export const UNAVAILABLE_FAMILIES: UnavailableFamily[] = [
  {
    name: 'CompilationJob',
    states: UPPER_CASE_STATES,
    reasonMember: 'FailureReason',
    reason:
      'localsage cannot compile models: SageMaker Neo compiles for a target device or platform with its own compiler toolchain, which does not run offline. Deploy the uncompiled model instead.',
    times: { start: 'CompilationStartTime', end: 'CompilationEndTime' },
    summary: (i) => ({
      CompilationTargetDevice: i.OutputConfig?.TargetDevice,
      CompilationTargetPlatformOs: i.OutputConfig?.TargetPlatform?.Os,
      CompilationTargetPlatformArch: i.OutputConfig?.TargetPlatform?.Arch,
      CompilationTargetPlatformAccelerator: i.OutputConfig?.TargetPlatform?.Accelerator,
      // Required by Describe's shape: where the compiled model would have gone (nothing is written there).
      ModelArtifacts: { S3ModelArtifacts: i.OutputConfig?.S3OutputLocation },
    }),
  },
  {
    name: 'EdgePackagingJob',
    states: UPPER_CASE_STATES,
    reasonMember: 'EdgePackagingJobStatusMessage',
    reason:
      'localsage cannot package models for edge devices: an edge packaging job needs a COMPLETED SageMaker Neo compilation job, and localsage does not compile (CreateCompilationJob fails).',
  },
  {
    name: 'OptimizationJob',
    states: UPPER_CASE_STATES,
    reasonMember: 'FailureReason',
    reason:
      'localsage cannot optimize models: quantization, compilation and speculative decoding run in SageMaker\'s optimization containers on the deployment instance type\'s accelerators, which do not run offline.',
    times: { start: 'OptimizationStartTime', end: 'OptimizationEndTime' },
    summary: (i) => ({
      OptimizationTypes: (i.OptimizationConfigs ?? []).flatMap((c: Record<string, unknown>) =>
        Object.keys(c).map((k) => ({ ModelQuantizationConfig: 'Quantization', ModelCompilationConfig: 'Compilation', ModelShardingConfig: 'Sharding', ModelSpeculativeDecodingConfig: 'SpeculativeDecoding' })[k] ?? k),
      ),
    }),
  },
  {
    name: 'LabelingJob',
    states: PASCAL_CASE_STATES,
    reasonMember: 'FailureReason',
    reason:
      'localsage has no labeling workforce: a labeling job sends its data objects to human workers through the labeling portal (and may train an automated labeling model on AWS), none of which run offline.',
    summary: (i) => ({ WorkteamArn: i.HumanTaskConfig?.WorkteamArn }),
  },
  {
    name: 'AIBenchmarkJob',
    states: PASCAL_CASE_STATES,
    reasonMember: 'FailureReason',
    reason:
      'localsage cannot benchmark generative AI workloads: the benchmark drives the workload configuration against a SageMaker endpoint or inference component on accelerated instances, which do not run offline.',
    times: { start: 'StartTime', end: 'EndTime' },
  },
  {
    name: 'AIRecommendationJob',
    states: PASCAL_CASE_STATES,
    reasonMember: 'FailureReason',
    reason:
      'localsage cannot recommend deployments for generative AI models: the recommendation benchmarks the model on accelerated instance types, which do not run offline (CreateInferenceRecommendationsJob estimates CPU instance types for the models localsage serves).',
    times: { start: 'StartTime', end: 'EndTime' },
  },
];
