import {
  AddTagsCommand,
  CreateHyperParameterTuningJobCommand,
  DeleteHyperParameterTuningJobCommand,
  DescribeHyperParameterTuningJobCommand,
  DescribeTrainingJobCommand,
  ListHyperParameterTuningJobsCommand,
  ListTagsCommand,
  ListTrainingJobsForHyperParameterTuningJobCommand,
  StopHyperParameterTuningJobCommand,
  type HyperParameterTrainingJobSummary,
} from '@aws-sdk/client-sagemaker';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { describe, expect, it } from 'vitest';
import { rejection } from './helpers/clients.js';
import { useTuningEmulator } from './helpers/tuning-suite.js';
import { linearLearnerDefinition, tuneAndWait, tuningConfig, waitForTuning } from './helpers/tuning.js';

const BUCKET = 'tuning';
const suite = useTuningEmulator(BUCKET);

async function allChildren(name: string): Promise<HyperParameterTrainingJobSummary[]> {
  const out: HyperParameterTrainingJobSummary[] = [];
  let token: string | undefined;
  do {
    const page = await suite.c.sagemaker.send(new ListTrainingJobsForHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name, NextToken: token, MaxResults: 2 }));
    out.push(...page.TrainingJobSummaries!);
    token = page.NextToken;
  } while (token);
  return out;
}

/** The most children that were ever running at once, from their creation and end times. */
function maxOverlap(jobs: { CreationTime?: Date; TrainingEndTime?: Date; LastModifiedTime?: Date }[]): number {
  const events = jobs.flatMap((j) => [
    { t: j.CreationTime!.getTime(), d: 1 },
    { t: (j.TrainingEndTime ?? j.LastModifiedTime)!.getTime(), d: -1 },
  ]);
  events.sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let max = 0;
  for (const e of events) max = Math.max(max, (now += e.d));
  return max;
}

describe('hyperparameter tuning jobs through the JS SDK v3', () => {
  it('Random: children are ordinary training jobs; counters, best job, lists, tags and delete', async () => {
    const name = 'tune-random';
    const done = await tuneAndWait(suite.c.sagemaker, {
      HyperParameterTuningJobName: name,
      HyperParameterTuningJobConfig: tuningConfig({
        ResourceLimits: { MaxNumberOfTrainingJobs: 4, MaxParallelTrainingJobs: 2 },
        ParameterRanges: {
          ContinuousParameterRanges: [{ Name: 'learning_rate', MinValue: '0.001', MaxValue: '0.5', ScalingType: 'Logarithmic' }],
          IntegerParameterRanges: [{ Name: 'mini_batch_size', MinValue: '10', MaxValue: '100', ScalingType: 'Linear' }],
        },
      }),
      TrainingJobDefinition: linearLearnerDefinition(BUCKET, suite.uris),
      Tags: [{ Key: 'team', Value: 'ml' }],
    });
    expect(done.HyperParameterTuningJobStatus).toBe('Completed');
    expect(done.TrainingJobStatusCounters).toEqual({ Completed: 4, InProgress: 0, RetryableError: 0, NonRetryableError: 0, Stopped: 0 });
    expect(done.ObjectiveStatusCounters).toEqual({ Succeeded: 4, Pending: 0, Failed: 0 });
    expect(done.HyperParameterTuningEndTime!.getTime()).toBeGreaterThanOrEqual(done.CreationTime!.getTime());
    expect(done.ConsumedResources?.RuntimeInSeconds).toBeGreaterThanOrEqual(0);
    expect(done.TrainingJobDefinition!.StaticHyperParameters!._tuning_objective_metric).toBe('validation:objective_loss');
    expect(done.HyperParameterTuningJobArn).toBe(`arn:aws:sagemaker:us-east-1:000000000000:hyper-parameter-tuning-job/${name}`);

    const children = await allChildren(name);
    expect(children).toHaveLength(4);
    expect(children.map((s) => s.TrainingJobName)).toEqual([...children.map((s) => s.TrainingJobName!)].sort());
    const values = children.map((s) => s.FinalHyperParameterTuningJobObjectiveMetric!.Value!);
    expect(done.BestTrainingJob!.FinalHyperParameterTuningJobObjectiveMetric!.Value).toBe(Math.min(...values));
    expect(done.BestTrainingJob!.FinalHyperParameterTuningJobObjectiveMetric!.MetricName).toBe('validation:objective_loss');

    const details = await Promise.all(children.map((s) => suite.c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: s.TrainingJobName! }))));
    expect(maxOverlap(details)).toBeLessThanOrEqual(2);
    for (const [i, job] of details.entries()) {
      expect(job.TrainingJobName).toMatch(new RegExp(`^${name}-00${i + 1}-[0-9a-f]{8}$`));
      expect(job.TuningJobArn).toBe(done.HyperParameterTuningJobArn);
      expect(job.HyperParameters!._tuning_objective_metric).toBe('validation:objective_loss');
      expect(job.HyperParameters!.predictor_type).toBe('binary_classifier');
      const lr = Number(job.HyperParameters!.learning_rate);
      expect(lr).toBeGreaterThanOrEqual(0.001);
      expect(lr).toBeLessThanOrEqual(0.5);
      expect(job.HyperParameters!.mini_batch_size).toMatch(/^\d+$/);
      expect(children[i].TunedHyperParameters).toEqual({ learning_rate: job.HyperParameters!.learning_rate, mini_batch_size: job.HyperParameters!.mini_batch_size });
      const metric = job.FinalMetricDataList!.find((m) => m.MetricName === 'validation:objective_loss')!.Value;
      expect(children[i].FinalHyperParameterTuningJobObjectiveMetric!.Value).toBe(metric);
    }

    // Linear learner under a tuning job trains one model, whatever num_models says.
    const logs = new CloudWatchLogsClient({ endpoint: suite.emu.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const events = await logs.send(
      new FilterLogEventsCommand({ logGroupName: '/aws/sagemaker/TrainingJobs', logStreamNamePrefix: children[0].TrainingJobName, filterPattern: '"num_models forced to 1"' }),
    );
    expect(events.events!.length).toBe(1);

    const byValue = await suite.c.sagemaker.send(
      new ListTrainingJobsForHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name, SortBy: 'FinalObjectiveMetricValue', SortOrder: 'Ascending' }),
    );
    expect(byValue.TrainingJobSummaries!.map((s) => s.FinalHyperParameterTuningJobObjectiveMetric!.Value)).toEqual([...values].sort((a, b) => a - b));
    const stopped = await suite.c.sagemaker.send(new ListTrainingJobsForHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name, StatusEquals: 'Stopped' }));
    expect(stopped.TrainingJobSummaries).toEqual([]);

    const listed = await suite.c.sagemaker.send(new ListHyperParameterTuningJobsCommand({ NameContains: 'RANDOM' }));
    expect(listed.HyperParameterTuningJobSummaries!.map((s) => s.HyperParameterTuningJobName)).toEqual([name]);
    expect(listed.HyperParameterTuningJobSummaries![0].Strategy).toBe('Random');
    expect(listed.HyperParameterTuningJobSummaries![0].TrainingJobStatusCounters!.Completed).toBe(4);

    await suite.c.sagemaker.send(new AddTagsCommand({ ResourceArn: done.HyperParameterTuningJobArn, Tags: [{ Key: 'stage', Value: 'dev' }] }));
    const tags = await suite.c.sagemaker.send(new ListTagsCommand({ ResourceArn: done.HyperParameterTuningJobArn }));
    expect(tags.Tags).toEqual([{ Key: 'team', Value: 'ml' }, { Key: 'stage', Value: 'dev' }]);

    await suite.c.sagemaker.send(new DeleteHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }));
    const gone = await rejection(suite.c.sagemaker.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name })));
    expect(gone.name).toBe('ResourceNotFound');
    // The training jobs stay, as on AWS.
    expect((await suite.c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: children[0].TrainingJobName! }))).TrainingJobStatus).toBe('Completed');
  });

  it('Grid: every combination of categorical and integer ranges exactly once', async () => {
    const name = 'tune-grid';
    const done = await tuneAndWait(suite.c.sagemaker, {
      HyperParameterTuningJobName: name,
      HyperParameterTuningJobConfig: tuningConfig({
        Strategy: 'Grid',
        ResourceLimits: { MaxParallelTrainingJobs: 2 },
        ParameterRanges: {
          CategoricalParameterRanges: [{ Name: 'use_bias', Values: ['true', 'false'] }],
          IntegerParameterRanges: [{ Name: 'mini_batch_size', MinValue: '20', MaxValue: '21' }],
        },
      }),
      TrainingJobDefinition: linearLearnerDefinition(BUCKET, suite.uris, { epochs: '1' }),
    });
    expect(done.HyperParameterTuningJobStatus).toBe('Completed');
    const tuned = (await allChildren(name)).map((s) => `${s.TunedHyperParameters!.use_bias}/${s.TunedHyperParameters!.mini_batch_size}`);
    expect(tuned.sort()).toEqual(['false/20', 'false/21', 'true/20', 'true/21']);
  });

  it('Stop: the tuning job goes Stopping then Stopped, and so does every running child', async () => {
    const name = 'tune-stop';
    await suite.c.sagemaker.send(
      new CreateHyperParameterTuningJobCommand({
        HyperParameterTuningJobName: name,
        HyperParameterTuningJobConfig: tuningConfig({ ResourceLimits: { MaxNumberOfTrainingJobs: 6, MaxParallelTrainingJobs: 2 } }),
        TrainingJobDefinition: linearLearnerDefinition(BUCKET, suite.uris, { epochs: '400', mini_batch_size: '5' }),
      }),
    );
    let running = 0;
    for (let i = 0; i < 200 && running < 1; i++) {
      running = (await suite.c.sagemaker.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }))).TrainingJobStatusCounters!.InProgress!;
      if (!running) await new Promise((r) => setTimeout(r, 100));
    }
    await suite.c.sagemaker.send(new StopHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }));
    const status = (await suite.c.sagemaker.send(new DescribeHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name }))).HyperParameterTuningJobStatus;
    expect(['Stopping', 'Stopped']).toContain(status);
    const again = await rejection(suite.c.sagemaker.send(new StopHyperParameterTuningJobCommand({ HyperParameterTuningJobName: name })));
    expect(again.name).toBe('ValidationException');
    const done = await waitForTuning(suite.c.sagemaker, name);
    expect(done.HyperParameterTuningJobStatus).toBe('Stopped');
    const children = await allChildren(name);
    expect(children.length).toBeGreaterThan(0);
    expect(children.length).toBeLessThanOrEqual(2);
    for (const s of children) expect(s.TrainingJobStatus).toBe('Stopped');
    expect(done.TrainingJobStatusCounters!.Stopped).toBe(children.length);
  });
});
