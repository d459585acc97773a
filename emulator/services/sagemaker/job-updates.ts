/**
 * What may change on a training or processing job once it exists: DeleteTrainingJob and
 * DeleteProcessingJob for a job that has ended (its metadata is gone and the name free again;
 * its output in S3 stays), and UpdateTrainingJob for the settings AWS lets a job change: the
 * Debugger profiler and its rules while the job runs, remote debugging while it downloads or
 * trains, and the warm pool's KeepAlivePeriodInSeconds for a job created with a warm pool. The
 * jobs themselves are the hand-written services' records.
 */
import type { DescribeProcessingJobResponse, DescribeTrainingJobResponse } from '@aws-sdk/client-sagemaker';
import type { OperationHandler } from '../../protocol/aws-json.js';
import type { RequestContext } from '../../protocol/context.js';
import { resourceInUse, resourceNotFound, validation } from '../../protocol/errors.js';
import type { ServiceDeps } from '../deps.js';
import { scopeOf } from './scope.js';

const TRAINING_KIND = 'training-job';
const PROCESSING_KIND = 'processing-job';
const ENDED = ['Completed', 'Failed', 'Stopped'];

type Doc = Record<string, any>;

export const JOB_UPDATE_OPERATIONS = ['DeleteTrainingJob', 'UpdateTrainingJob', 'DeleteProcessingJob'];

export function jobUpdates(deps: ServiceDeps): Record<string, OperationHandler> {
  const training = (ctx: RequestContext, name: string) => {
    const found = deps.db.get<DescribeTrainingJobResponse>(scopeOf(ctx), TRAINING_KIND, name);
    if (!found) throw resourceNotFound(`Training job ${name} does not exist.`);
    return found.data;
  };
  return {
    DeleteTrainingJob: (req: Doc, ctx) => {
      const job = training(ctx, String(req.TrainingJobName));
      if (!ENDED.includes(job.TrainingJobStatus!)) {
        throw resourceInUse(`Training job ${job.TrainingJobArn} is ${job.TrainingJobStatus}: only a job that has ended (Completed, Failed or Stopped) can be deleted.`);
      }
      deps.db.delete(scopeOf(ctx), TRAINING_KIND, job.TrainingJobName!);
      return {};
    },
    DeleteProcessingJob: (req: Doc, ctx) => {
      const found = deps.db.get<DescribeProcessingJobResponse>(scopeOf(ctx), PROCESSING_KIND, String(req.ProcessingJobName));
      if (!found) throw resourceNotFound(`Processing job ${req.ProcessingJobName} does not exist.`);
      const job = found.data;
      if (!ENDED.includes(job.ProcessingJobStatus!)) {
        throw resourceInUse(`Processing job ${job.ProcessingJobArn} is ${job.ProcessingJobStatus}: only a job that has ended (Completed, Failed or Stopped) can be deleted.`);
      }
      deps.db.delete(scopeOf(ctx), PROCESSING_KIND, job.ProcessingJobName!);
      return {};
    },
    UpdateTrainingJob: (req: Doc, ctx) => {
      const job = training(ctx, String(req.TrainingJobName));
      const { ProfilerConfig, ProfilerRuleConfigurations, ResourceConfig, RemoteDebugConfig } = req;
      if (!ProfilerConfig && !ProfilerRuleConfigurations && !ResourceConfig && !RemoteDebugConfig) {
        throw validation('Specify at least one of ProfilerConfig, ProfilerRuleConfigurations, ResourceConfig or RemoteDebugConfig to update.');
      }
      if ((ProfilerConfig || ProfilerRuleConfigurations) && job.TrainingJobStatus !== 'InProgress') {
        throw validation(`The profiler of training job ${job.TrainingJobName} can only be updated while it is InProgress; it is ${job.TrainingJobStatus}.`);
      }
      // "You can update the remote debugging configuration when the SecondaryStatus of the job is
      // Downloading or Training" (UpdateTrainingJob API reference).
      if (RemoteDebugConfig && !['Downloading', 'Training'].includes(job.SecondaryStatus!)) {
        throw validation(`The remote debugging configuration of training job ${job.TrainingJobName} can only be updated while its SecondaryStatus is Downloading or Training; it is ${job.SecondaryStatus}.`);
      }
      const updated: Doc = { ...job, LastModifiedTime: new Date(deps.clock.now()) };
      if (ResourceConfig) {
        // A warm pool is asked for at create time; an update can only change how long it is kept.
        if (!job.ResourceConfig?.KeepAlivePeriodInSeconds) {
          throw validation(`Training job ${job.TrainingJobName} was not created with a warm pool (ResourceConfig.KeepAlivePeriodInSeconds): its retention cannot be updated.`);
        }
        updated.ResourceConfig = { ...job.ResourceConfig, KeepAlivePeriodInSeconds: ResourceConfig.KeepAlivePeriodInSeconds };
      }
      if (ProfilerConfig) {
        const { DisableProfiler, ...changes } = ProfilerConfig;
        updated.ProfilerConfig = { ...job.ProfilerConfig, ...changes, ...(DisableProfiler !== undefined ? { DisableProfiler } : {}) };
        updated.ProfilingStatus = DisableProfiler ? 'Disabled' : 'Enabled';
      }
      if (ProfilerRuleConfigurations) {
        const byName = new Map((job.ProfilerRuleConfigurations ?? []).map((r) => [r.RuleConfigurationName, r]));
        for (const r of ProfilerRuleConfigurations as Doc[]) byName.set(r.RuleConfigurationName, r as never);
        updated.ProfilerRuleConfigurations = [...byName.values()];
      }
      if (RemoteDebugConfig) updated.RemoteDebugConfig = { ...job.RemoteDebugConfig, ...RemoteDebugConfig };
      deps.db.update(scopeOf(ctx), TRAINING_KIND, job.TrainingJobName!, updated);
      return { TrainingJobArn: job.TrainingJobArn };
    },
  };
}
