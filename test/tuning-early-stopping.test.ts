import { DescribeTrainingJobCommand } from '@aws-sdk/client-sagemaker';
import { describe, expect, it } from 'vitest';
import { useTuningEmulator } from './helpers/tuning-suite.js';
import { linearLearnerDefinition, listTuningChildren, tuneAndWait, tuningConfig } from './helpers/tuning.js';

const BUCKET = 'tuning-early';
const suite = useTuningEmulator(BUCKET, 400);

async function childJobs(name: string) {
  const summaries = await listTuningChildren(suite.c.sagemaker, name, 'CreationTime');
  return Promise.all(
    summaries.map(async (s) => ({ summary: s, job: await suite.c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: s.TrainingJobName! })) })),
  );
}

// Per-epoch validation loss, no shortcuts: the algorithm's own early stopping and scheduler off.
const statics = { epochs: '8', mini_batch_size: '100', early_stopping_patience: '100', use_lr_scheduler: 'false', optimizer: 'sgd' };

describe('early stopping of tuning children', () => {
  it('TrainingJobEarlyStoppingType Auto: the median rule stops a job far worse than the earlier ones; it ends Stopped and still counts', async () => {
    const name = 'tune-median';
    // Grid runs the combinations in order, one at a time: three good learning rates, then one
    // so small that the loss barely moves from where it started.
    const done = await tuneAndWait(suite.c.sagemaker, {
      HyperParameterTuningJobName: name,
      HyperParameterTuningJobConfig: tuningConfig({
        Strategy: 'Grid',
        TrainingJobEarlyStoppingType: 'Auto',
        ResourceLimits: { MaxParallelTrainingJobs: 1 },
        ParameterRanges: { CategoricalParameterRanges: [{ Name: 'learning_rate', Values: ['0.2', '0.25', '0.3', '0.0000001'] }] },
      }),
      TrainingJobDefinition: linearLearnerDefinition(BUCKET, suite.uris, statics),
    });
    expect(done.HyperParameterTuningJobStatus).toBe('Completed');
    const jobs = await childJobs(name);
    expect(jobs.map((j) => j.summary.TrainingJobStatus)).toEqual(['Completed', 'Completed', 'Completed', 'Stopped']);
    const stopped = jobs[3];
    expect(stopped.job.TrainingJobStatus).toBe('Stopped');
    expect(stopped.summary.ObjectiveStatus).toBe('Succeeded');
    const logged = stopped.job.FinalMetricDataList!.find((m) => m.MetricName === 'validation:objective_loss')!.Value;
    expect(stopped.summary.FinalHyperParameterTuningJobObjectiveMetric!.Value).toBe(logged);
    expect(done.TrainingJobStatusCounters).toMatchObject({ Completed: 3, Stopped: 1 });
    expect(done.ObjectiveStatusCounters).toMatchObject({ Succeeded: 4, Failed: 0 });
    expect(done.BestTrainingJob!.TrainingJobStatus).toBe('Completed');
  });

  it('Hyperband: children train up to MaxResource epochs; weak ones are stopped at a rung', async () => {
    const name = 'tune-hyperband';
    const definition = linearLearnerDefinition(BUCKET, suite.uris, statics);
    delete definition.StaticHyperParameters!.epochs;
    const done = await tuneAndWait(suite.c.sagemaker, {
      HyperParameterTuningJobName: name,
      HyperParameterTuningJobConfig: tuningConfig({
        Strategy: 'Hyperband',
        StrategyConfig: { HyperbandStrategyConfig: { MinResource: 1, MaxResource: 6 } },
        ResourceLimits: { MaxNumberOfTrainingJobs: 4, MaxParallelTrainingJobs: 1 },
        ParameterRanges: { CategoricalParameterRanges: [{ Name: 'learning_rate', Values: ['0.2', '0.0000001', '0.3', '0.00000001'] }] },
      }),
      TrainingJobDefinition: definition,
    });
    expect(done.HyperParameterTuningJobStatus).toBe('Completed');
    const jobs = await childJobs(name);
    expect(jobs).toHaveLength(4);
    for (const j of jobs) expect(j.job.HyperParameters!.epochs).toBe('6');
    const byRate = new Map(jobs.map((j) => [j.summary.TunedHyperParameters!.learning_rate, j.summary.TrainingJobStatus]));
    // The best learning rates train to the end; at least one tiny one is cut at a rung.
    const tiny = [byRate.get('0.0000001'), byRate.get('0.00000001')];
    expect(tiny).toContain('Stopped');
    expect(done.BestTrainingJob!.TrainingJobStatus).toBe('Completed');
    expect(['0.2', '0.3']).toContain(done.BestTrainingJob!.TunedHyperParameters!.learning_rate);
  });
});
