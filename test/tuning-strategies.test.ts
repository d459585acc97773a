import {
  ListHyperParameterTuningJobsCommand,
  paginateListHyperParameterTuningJobs,
} from '@aws-sdk/client-sagemaker';
import { describe, expect, it } from 'vitest';
import { KMEANS_IMAGE, ROLE } from './helpers/clients.js';
import { plantedClusters, toCsv } from './helpers/data.js';
import { channel, upload } from './helpers/pipeline.js';
import { useTuningEmulator } from './helpers/tuning-suite.js';
import { linearLearnerDefinition, listTuningChildren, tuneAndWait, tuningConfig } from './helpers/tuning.js';

const BUCKET = 'tuning-strategies';
const suite = useTuningEmulator(BUCKET, 300);

const children = (name: string) => listTuningChildren(suite.c.sagemaker, name);

const accuracy = { Type: 'Maximize', MetricName: 'validation:binary_classification_accuracy' } as const;

describe('tuning strategies, ranges and completion criteria', () => {
  it('Bayesian over every range type and scaling, AutoParameters included', async () => {
    const name = 'tune-bayes';
    const done = await tuneAndWait(suite.c.sagemaker, {
      HyperParameterTuningJobName: name,
      HyperParameterTuningJobConfig: tuningConfig({
        Strategy: 'Bayesian',
        ResourceLimits: { MaxNumberOfTrainingJobs: 5, MaxParallelTrainingJobs: 2 },
        ParameterRanges: {
          ContinuousParameterRanges: [
            { Name: 'learning_rate', MinValue: '0.001', MaxValue: '0.3', ScalingType: 'Logarithmic' },
            { Name: 'wd', MinValue: '0.0', MaxValue: '0.9', ScalingType: 'ReverseLogarithmic' },
            { Name: 'l1', MinValue: '0', MaxValue: '0.01', ScalingType: 'Linear' },
          ],
          IntegerParameterRanges: [{ Name: 'mini_batch_size', MinValue: '8', MaxValue: '64', ScalingType: 'Auto' }],
          CategoricalParameterRanges: [{ Name: 'use_bias', Values: ['true', 'false'] }],
          AutoParameters: [{ Name: 'positive_example_weight_mult', ValueHint: '1.0' }],
        },
      }),
      TrainingJobDefinition: linearLearnerDefinition(BUCKET, suite.uris, { epochs: '2' }),
    });
    expect(done.HyperParameterTuningJobStatus).toBe('Completed');
    expect(done.TrainingJobStatusCounters!.Completed).toBe(5);
    for (const s of await children(name)) {
      const t = s.TunedHyperParameters!;
      expect(Object.keys(t).sort()).toEqual(['l1', 'learning_rate', 'mini_batch_size', 'positive_example_weight_mult', 'use_bias', 'wd']);
      expect(Number(t.learning_rate)).toBeGreaterThanOrEqual(0.001);
      expect(Number(t.learning_rate)).toBeLessThanOrEqual(0.3);
      expect(Number(t.wd)).toBeGreaterThanOrEqual(0);
      expect(Number(t.wd)).toBeLessThanOrEqual(0.9);
      expect(Number(t.l1)).toBeLessThanOrEqual(0.01);
      expect(t.mini_batch_size).toMatch(/^\d+$/);
      expect(Number(t.mini_batch_size)).toBeGreaterThanOrEqual(8);
      expect(Number(t.mini_batch_size)).toBeLessThanOrEqual(64);
      expect(['true', 'false']).toContain(t.use_bias);
      expect(Number(t.positive_example_weight_mult)).toBeGreaterThan(0);
    }
  });

  it('TargetObjectiveMetricValue ends the job as soon as a child reaches it', async () => {
    const done = await tuneAndWait(suite.c.sagemaker, {
      HyperParameterTuningJobName: 'tune-target',
      HyperParameterTuningJobConfig: tuningConfig({
        HyperParameterTuningJobObjective: accuracy,
        ResourceLimits: { MaxNumberOfTrainingJobs: 10, MaxParallelTrainingJobs: 1 },
        TuningJobCompletionCriteria: { TargetObjectiveMetricValue: 0.5 },
      }),
      TrainingJobDefinition: linearLearnerDefinition(BUCKET, suite.uris, { epochs: '1' }),
    });
    expect(done.HyperParameterTuningJobStatus).toBe('Completed');
    expect((await children('tune-target')).length).toBe(1);
    expect(done.BestTrainingJob!.FinalHyperParameterTuningJobObjectiveMetric!.Value).toBeGreaterThanOrEqual(0.5);
  });

  it('BestObjectiveNotImproving and ConvergenceDetected end the job early', async () => {
    const flat = {
      // learning_rate over a range too narrow to matter: every job scores the same.
      ParameterRanges: { ContinuousParameterRanges: [{ Name: 'learning_rate', MinValue: '0.1', MaxValue: '0.1001' }] },
      HyperParameterTuningJobObjective: accuracy,
    };
    const notImproving = await tuneAndWait(suite.c.sagemaker, {
      HyperParameterTuningJobName: 'tune-flat',
      HyperParameterTuningJobConfig: tuningConfig({
        ...flat,
        ResourceLimits: { MaxNumberOfTrainingJobs: 10, MaxParallelTrainingJobs: 1 },
        TuningJobCompletionCriteria: { BestObjectiveNotImproving: { MaxNumberOfTrainingJobsNotImproving: 3 } },
      }),
      TrainingJobDefinition: linearLearnerDefinition(BUCKET, suite.uris, { epochs: '1' }),
    });
    expect(notImproving.HyperParameterTuningJobStatus).toBe('Completed');
    expect(notImproving.TuningJobCompletionDetails!.NumberOfTrainingJobsObjectiveNotImproving).toBe(3);
    expect((await children('tune-flat')).length).toBe(4);

    const converged = await tuneAndWait(suite.c.sagemaker, {
      HyperParameterTuningJobName: 'tune-converge',
      HyperParameterTuningJobConfig: tuningConfig({
        ...flat,
        ResourceLimits: { MaxNumberOfTrainingJobs: 12, MaxParallelTrainingJobs: 1 },
        TuningJobCompletionCriteria: { ConvergenceDetected: { CompleteOnConvergence: 'Enabled' } },
      }),
      TrainingJobDefinition: linearLearnerDefinition(BUCKET, suite.uris, { epochs: '1' }),
    });
    expect(converged.HyperParameterTuningJobStatus).toBe('Completed');
    expect(converged.TuningJobCompletionDetails!.ConvergenceDetectedTime).toBeInstanceOf(Date);
    expect((await children('tune-converge')).length).toBeLessThan(12);
  });

  it('warm start, IdenticalDataAndAlgorithm then TransferLearning: OverallBestTrainingJob spans the lineage', async () => {
    const def = linearLearnerDefinition(BUCKET, suite.uris, { epochs: '1' });
    const parent = await tuneAndWait(suite.c.sagemaker, { HyperParameterTuningJobName: 'tune-parent', HyperParameterTuningJobConfig: tuningConfig(), TrainingJobDefinition: def });
    const child = await tuneAndWait(suite.c.sagemaker, {
      HyperParameterTuningJobName: 'tune-warm',
      HyperParameterTuningJobConfig: tuningConfig({ Strategy: 'Bayesian', ResourceLimits: { MaxNumberOfTrainingJobs: 2, MaxParallelTrainingJobs: 1 } }),
      TrainingJobDefinition: def,
      WarmStartConfig: { ParentHyperParameterTuningJobs: [{ HyperParameterTuningJobName: 'tune-parent' }], WarmStartType: 'IdenticalDataAndAlgorithm' },
    });
    expect(child.HyperParameterTuningJobStatus).toBe('Completed');
    expect(child.WarmStartConfig!.WarmStartType).toBe('IdenticalDataAndAlgorithm');
    const all = [...(await children('tune-parent')), ...(await children('tune-warm'))];
    const best = Math.min(...all.map((s) => s.FinalHyperParameterTuningJobObjectiveMetric!.Value!));
    expect(child.OverallBestTrainingJob!.FinalHyperParameterTuningJobObjectiveMetric!.Value).toBe(best);
    expect(child.BestTrainingJob!.TuningJobName).toBe('tune-warm');
    expect(parent.OverallBestTrainingJob).toBeUndefined();

    // TransferLearning: a new range over the same hyperparameter names, parents of parents included.
    const transfer = await tuneAndWait(suite.c.sagemaker, {
      HyperParameterTuningJobName: 'tune-transfer',
      HyperParameterTuningJobConfig: tuningConfig({
        ResourceLimits: { MaxNumberOfTrainingJobs: 1, MaxParallelTrainingJobs: 1 },
        ParameterRanges: { ContinuousParameterRanges: [{ Name: 'learning_rate', MinValue: '0.05', MaxValue: '0.06' }] },
      }),
      TrainingJobDefinition: def,
      WarmStartConfig: { ParentHyperParameterTuningJobs: [{ HyperParameterTuningJobName: 'tune-warm' }], WarmStartType: 'TransferLearning' },
    });
    expect(transfer.HyperParameterTuningJobStatus).toBe('Completed');
    const lineage = [...all, ...(await children('tune-transfer'))].map((s) => s.FinalHyperParameterTuningJobObjectiveMetric!.Value!);
    expect(transfer.OverallBestTrainingJob!.FinalHyperParameterTuningJobObjectiveMetric!.Value).toBe(Math.min(...lineage));
  });

  it('TrainingJobDefinitions: each definition with its own ranges, jobs spread across them', async () => {
    const base = linearLearnerDefinition(BUCKET, suite.uris, { epochs: '1' });
    const objective = { Type: 'Minimize', MetricName: 'validation:objective_loss' } as const;
    const { ParameterRanges: _unused, HyperParameterTuningJobObjective: _o, ...config } = tuningConfig({ ResourceLimits: { MaxNumberOfTrainingJobs: 4, MaxParallelTrainingJobs: 2 } });
    const done = await tuneAndWait(suite.c.sagemaker, {
      HyperParameterTuningJobName: 'tune-multi',
      HyperParameterTuningJobConfig: config,
      TrainingJobDefinitions: [
        { ...base, DefinitionName: 'by-lr', TuningObjective: objective, HyperParameterRanges: { ContinuousParameterRanges: [{ Name: 'learning_rate', MinValue: '0.01', MaxValue: '0.2' }] } },
        { ...base, DefinitionName: 'by-wd', TuningObjective: objective, HyperParameterRanges: { ContinuousParameterRanges: [{ Name: 'wd', MinValue: '0.0001', MaxValue: '0.1', ScalingType: 'Logarithmic' }] } },
      ],
    });
    expect(done.HyperParameterTuningJobStatus).toBe('Completed');
    const jobs = await children('tune-multi');
    expect(jobs.map((s) => s.TrainingJobDefinitionName).sort()).toEqual(['by-lr', 'by-lr', 'by-wd', 'by-wd']);
    for (const s of jobs) expect(Object.keys(s.TunedHyperParameters!)).toEqual([s.TrainingJobDefinitionName === 'by-lr' ? 'learning_rate' : 'wd']);
  });

  it('k-means on test:msd', async () => {
    const clusters = plantedClusters(300, 3, 3, 9);
    const train = await upload(suite.c.s3, BUCKET, 'km/train.csv', toCsv(clusters.x.slice(0, 240)));
    const test = await upload(suite.c.s3, BUCKET, 'km/test.csv', toCsv(clusters.x.slice(240)));
    const done = await tuneAndWait(suite.c.sagemaker, {
      HyperParameterTuningJobName: 'tune-kmeans',
      HyperParameterTuningJobConfig: tuningConfig({
        HyperParameterTuningJobObjective: { Type: 'Minimize', MetricName: 'test:msd' },
        ParameterRanges: {
          IntegerParameterRanges: [{ Name: 'extra_center_factor', MinValue: '1', MaxValue: '4' }],
          CategoricalParameterRanges: [{ Name: 'init_method', Values: ['random', 'kmeans++'] }],
        },
      }),
      TrainingJobDefinition: {
        AlgorithmSpecification: { TrainingImage: KMEANS_IMAGE, TrainingInputMode: 'File' },
        RoleArn: ROLE,
        InputDataConfig: [channel('train', train, 'text/csv'), channel('test', test, 'text/csv')],
        OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/km-out` },
        ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
        StoppingCondition: { MaxRuntimeInSeconds: 600 },
        StaticHyperParameters: { k: '3', feature_dim: '3' },
      },
    });
    expect(done.HyperParameterTuningJobStatus).toBe('Completed');
    expect(done.ObjectiveStatusCounters!.Succeeded).toBe(3);
    expect(done.BestTrainingJob!.FinalHyperParameterTuningJobObjectiveMetric!.MetricName).toBe('test:msd');
  });

  it('children that all fail non-retryably fail the tuning job, with a FailureReason', async () => {
    const done = await tuneAndWait(suite.c.sagemaker, {
      HyperParameterTuningJobName: 'tune-failing',
      HyperParameterTuningJobConfig: tuningConfig({ ResourceLimits: { MaxNumberOfTrainingJobs: 6, MaxParallelTrainingJobs: 2 } }),
      // The algorithm rejects this value: every child ends Failed with a ClientError.
      TrainingJobDefinition: linearLearnerDefinition(BUCKET, suite.uris, { epochs: '0' }),
    });
    expect(done.HyperParameterTuningJobStatus).toBe('Failed');
    expect(done.FailureReason).toMatch(/non-retryable/);
    expect(done.TrainingJobStatusCounters!.NonRetryableError).toBeGreaterThanOrEqual(3);
    expect(done.TrainingJobStatusCounters!.InProgress).toBe(0);
    // A child still running when the tuning job gave up is stopped, and has no objective either.
    expect(done.ObjectiveStatusCounters!.Succeeded).toBe(0);
    expect(done.ObjectiveStatusCounters!.Failed).toBe(done.TrainingJobStatusCounters!.NonRetryableError! + done.TrainingJobStatusCounters!.Stopped!);
    expect(done.BestTrainingJob).toBeUndefined();
    expect((await children('tune-failing'))[0].FailureReason).toMatch(/^ClientError/);
  });

  it('ListHyperParameterTuningJobs: Name ascending by default, filters, sort and pagination', async () => {
    const names: string[] = [];
    for await (const page of paginateListHyperParameterTuningJobs({ client: suite.c.sagemaker, pageSize: 2 }, {})) {
      expect(page.HyperParameterTuningJobSummaries!.length).toBeLessThanOrEqual(2);
      names.push(...page.HyperParameterTuningJobSummaries!.map((s) => s.HyperParameterTuningJobName!));
    }
    expect(names.length).toBeGreaterThanOrEqual(8);
    expect(names).toEqual([...names].sort());
    const failed = await suite.c.sagemaker.send(new ListHyperParameterTuningJobsCommand({ StatusEquals: 'Failed' }));
    expect(failed.HyperParameterTuningJobSummaries!.map((s) => s.HyperParameterTuningJobName)).toEqual(['tune-failing']);
    const newest = await suite.c.sagemaker.send(new ListHyperParameterTuningJobsCommand({ SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 1 }));
    expect(newest.HyperParameterTuningJobSummaries![0].HyperParameterTuningJobName).toBe('tune-failing');
    expect(newest.NextToken).toBeDefined();
  });
});
