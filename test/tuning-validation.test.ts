import {
  CreateHyperParameterTuningJobCommand,
  DescribeHyperParameterTuningJobCommand,
  ListHyperParameterTuningJobsCommand,
  StopHyperParameterTuningJobCommand,
  type CreateHyperParameterTuningJobRequest,
} from '@aws-sdk/client-sagemaker';
import { describe, expect, it } from 'vitest';
import { useTuningEmulator } from './helpers/tuning-suite.js';
import { linearLearnerDefinition, tuningConfig } from './helpers/tuning.js';

const BUCKET = 'tuning-validation';
const suite = useTuningEmulator(BUCKET, 40);

async function rejected(req: Partial<CreateHyperParameterTuningJobRequest>) {
  const full = {
    HyperParameterTuningJobName: 'bad-job',
    HyperParameterTuningJobConfig: tuningConfig(),
    TrainingJobDefinition: linearLearnerDefinition(BUCKET, suite.uris),
    ...req,
  } as CreateHyperParameterTuningJobRequest;
  try {
    await suite.c.sagemaker.send(new CreateHyperParameterTuningJobCommand(full));
  } catch (e) {
    const err = e as Error & { $metadata: { httpStatusCode?: number } };
    return { code: err.name, status: err.$metadata.httpStatusCode, message: err.message };
  }
  throw new Error('CreateHyperParameterTuningJob was accepted');
}

const ranges = (r: NonNullable<CreateHyperParameterTuningJobRequest['HyperParameterTuningJobConfig']>['ParameterRanges']) => ({
  HyperParameterTuningJobConfig: tuningConfig({ ParameterRanges: r }),
});

describe('CreateHyperParameterTuningJob validation', () => {
  it('an objective metric the built-in algorithm does not emit', async () => {
    const r = await rejected({ HyperParameterTuningJobConfig: tuningConfig({ HyperParameterTuningJobObjective: { Type: 'Minimize', MetricName: 'validation:msd' } }) });
    expect(r).toMatchObject({ code: 'ValidationException', status: 400 });
    expect(r.message).toMatch(/validation:msd/);
  });

  it('a custom image whose MetricDefinitions lack the objective', async () => {
    const def = linearLearnerDefinition(BUCKET, suite.uris);
    def.AlgorithmSpecification = { TrainingImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-algo:latest', TrainingInputMode: 'File', MetricDefinitions: [{ Name: 'loss', Regex: 'loss=(\\S+)' }] };
    const r = await rejected({ TrainingJobDefinition: def });
    expect(r).toMatchObject({ code: 'ValidationException', status: 400 });
    expect(r.message).toBe('A metric is required for this hyperparameter tuning job objective. Provide a metric in the metric definitions.');
  });

  it('a hyperparameter both static and tuned, and one the algorithm cannot tune', async () => {
    const both = await rejected({ TrainingJobDefinition: linearLearnerDefinition(BUCKET, suite.uris, { learning_rate: '0.1' }) });
    expect(both).toMatchObject({ code: 'ValidationException', status: 400 });
    expect(both.message).toMatch(/learning_rate/);
    const untunable = await rejected(ranges({ CategoricalParameterRanges: [{ Name: 'optimizer', Values: ['sgd', 'adam'] }] }));
    expect(untunable).toMatchObject({ code: 'ValidationException', status: 400 });
    expect(untunable.message).toMatch(/untunable hyperparameters: \[optimizer\]/);
  });

  it('scaling types that do not fit the range', async () => {
    const log = await rejected(ranges({ ContinuousParameterRanges: [{ Name: 'wd', MinValue: '0', MaxValue: '1', ScalingType: 'Logarithmic' }] }));
    expect(log).toMatchObject({ code: 'ValidationException', status: 400 });
    expect(log.message).toMatch(/Logarithmic.*MinValue greater than 0/);
    const rev = await rejected(ranges({ ContinuousParameterRanges: [{ Name: 'wd', MinValue: '0', MaxValue: '1', ScalingType: 'ReverseLogarithmic' }] }));
    expect(rev.message).toMatch(/ReverseLogarithmic/);
    const flipped = await rejected(ranges({ ContinuousParameterRanges: [{ Name: 'wd', MinValue: '0.5', MaxValue: '0.1' }] }));
    expect(flipped.message).toMatch(/greater than its MaxValue/);
    const nan = await rejected(ranges({ ContinuousParameterRanges: [{ Name: 'wd', MinValue: 'abc', MaxValue: '0.1' }] }));
    expect(nan.message).toMatch(/not a valid number/);
  });

  it('Grid and Hyperband constraints, and too few combinations', async () => {
    const gridMax = await rejected({ HyperParameterTuningJobConfig: tuningConfig({ Strategy: 'Grid', ParameterRanges: { CategoricalParameterRanges: [{ Name: 'use_bias', Values: ['true', 'false'] }] } }) });
    expect(gridMax.message).toMatch(/MaxNumberOfTrainingJobs is not supported for the Grid strategy/);
    const gridContinuous = await rejected({ HyperParameterTuningJobConfig: tuningConfig({ Strategy: 'Grid', ResourceLimits: { MaxParallelTrainingJobs: 1 } }) });
    expect(gridContinuous.message).toMatch(/continuous range/);
    const hyperband = await rejected({ HyperParameterTuningJobConfig: tuningConfig({ Strategy: 'Hyperband', TrainingJobEarlyStoppingType: 'Auto' }) });
    expect(hyperband.message).toMatch(/Hyperband/);
    const few = await rejected(ranges({ CategoricalParameterRanges: [{ Name: 'use_bias', Values: ['true', 'false'] }] }));
    expect(few.message).toBe(
      "You don't have enough combinations of hyperparameter ranges. The total number of hyperparameter combinations for the provided ranges [2.0] must be equal or greater than the value of MaxNumberOfJobs, [3]. Provide additional ranges.",
    );
    for (const r of [gridMax, gridContinuous, hyperband, few]) expect(r).toMatchObject({ code: 'ValidationException', status: 400 });
  });

  it('service-model constraints, a missing warm-start parent, and unknown jobs', async () => {
    const pattern = await rejected({ HyperParameterTuningJobName: 'bad_name!' });
    expect(pattern).toMatchObject({ code: 'ValidationException', status: 400 });
    const parallel = await rejected({ HyperParameterTuningJobConfig: tuningConfig({ ResourceLimits: { MaxNumberOfTrainingJobs: 3, MaxParallelTrainingJobs: 0 } }) });
    expect(parallel).toMatchObject({ code: 'ValidationException', status: 400 });
    const parent = await rejected({ WarmStartConfig: { ParentHyperParameterTuningJobs: [{ HyperParameterTuningJobName: 'nope' }], WarmStartType: 'TransferLearning' } });
    expect(parent.message).toMatch(/nope/);

    const missing = await suite.c.sagemaker.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: 'nope' })).catch((e: Error & { $metadata: { httpStatusCode?: number } }) => e);
    expect(missing).toMatchObject({ name: 'ResourceNotFound', $metadata: { httpStatusCode: 400 } });
    const stop = await suite.c.sagemaker.send(new StopHyperParameterTuningJobCommand({ HyperParameterTuningJobName: 'nope' })).catch((e: Error) => e);
    expect(stop).toMatchObject({ name: 'ResourceNotFound' });
    // Nothing was stored by any rejected request.
    expect((await suite.c.sagemaker.send(new ListHyperParameterTuningJobsCommand({}))).HyperParameterTuningJobSummaries).toEqual([]);
  });

  it('a name already taken is ResourceInUse', async () => {
    const req = {
      HyperParameterTuningJobName: 'taken',
      HyperParameterTuningJobConfig: tuningConfig({ ResourceLimits: { MaxNumberOfTrainingJobs: 1, MaxParallelTrainingJobs: 1 } }),
      TrainingJobDefinition: linearLearnerDefinition(BUCKET, suite.uris, { epochs: '1' }),
    };
    await suite.c.sagemaker.send(new CreateHyperParameterTuningJobCommand(req));
    const r = await rejected(req);
    expect(r).toMatchObject({ code: 'ResourceInUse', status: 400, message: 'A hyperparameter tuning job with the name, taken, already exists. Choose a different name.' });
    await suite.c.sagemaker.send(new StopHyperParameterTuningJobCommand({ HyperParameterTuningJobName: 'taken' })).catch(() => undefined);
  });
});
