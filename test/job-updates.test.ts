/**
 * DeleteTrainingJob, UpdateTrainingJob and DeleteProcessingJob on jobs that really run (the
 * container-contract fixtures mapped by an image config), through the AWS SDK for JavaScript v3.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateProcessingJobCommand,
  CreateTrainingJobCommand,
  DeleteProcessingJobCommand,
  DeleteTrainingJobCommand,
  DescribeProcessingJobCommand,
  DescribeTrainingJobCommand,
  ListTrainingJobsCommand,
  StopProcessingJobCommand,
  StopTrainingJobCommand,
  UpdateTrainingJobCommand,
  type CreateTrainingJobCommandInput,
} from '@aws-sdk/client-sagemaker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, rejection, ROLE } from './helpers/clients.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';

const TRAIN_IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:latest';
const PROC_IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-processor:latest';
const tmp = mkdtempSync(join(tmpdir(), 'localsage-job-updates-'));
let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;

beforeAll(async () => {
  const config = join(tmp, 'images.json');
  writeFileSync(
    config,
    JSON.stringify({
      images: [
        { image: '123456789012.dkr.ecr.*.amazonaws.com/my-model:*', command: [process.execPath, resolve(import.meta.dirname, 'fixtures/byom/contract-container.mjs')] },
        { image: '123456789012.dkr.ecr.*.amazonaws.com/my-processor:*', command: [process.execPath, resolve(import.meta.dirname, 'fixtures/processing/container.mjs')] },
      ],
    }),
  );
  emu = await startEmulatorProcess({ args: ['--image-config', config], env: { LOCALSAGE_FRAMEWORK_HOME: join(tmp, 'no-frameworks'), LOCALSAGE_DOCKER: '0' } });
  c = clients(emu.url);
  await c.s3.send(new CreateBucketCommand({ Bucket: 'jobs' }));
  await c.s3.send(new PutObjectCommand({ Bucket: 'jobs', Key: 'train/values.csv', Body: '1\n2\n3\n' }));
}, 60_000);
afterAll(async () => {
  await emu?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const trainingInput = (name: string, hps: Record<string, string>, extra: Partial<CreateTrainingJobCommandInput> = {}): CreateTrainingJobCommandInput => ({
  TrainingJobName: name,
  AlgorithmSpecification: { TrainingImage: TRAIN_IMAGE, TrainingInputMode: 'File' },
  RoleArn: ROLE,
  HyperParameters: hps,
  InputDataConfig: [{ ChannelName: 'train', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://jobs/train/' } } }],
  OutputDataConfig: { S3OutputPath: 's3://jobs/out' },
  ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
  StoppingCondition: { MaxRuntimeInSeconds: 3600 },
  ...extra,
});

async function trainingEnds(name: string) {
  for (;;) {
    const job = await c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
    if (['Completed', 'Failed', 'Stopped'].includes(job.TrainingJobStatus!)) return job;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('UpdateTrainingJob and DeleteTrainingJob', () => {
  it('updates a running job, refuses to delete it until it has ended, then deletes it and frees the name', async () => {
    await c.sagemaker.send(new CreateTrainingJobCommand(trainingInput('upd-run', { hang: join(tmp, 'hang.pids') }, { ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10, KeepAlivePeriodInSeconds: 60 } })));
    const arn = 'arn:aws:sagemaker:us-east-1:000000000000:training-job/upd-run';
    // Remote debugging can change only while the job downloads or trains.
    for (let s = ''; s !== 'Training'; await new Promise((r) => setTimeout(r, 100))) {
      s = (await c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'upd-run' }))).SecondaryStatus!;
    }
    const out = await c.sagemaker.send(
      new UpdateTrainingJobCommand({
        TrainingJobName: 'upd-run',
        ProfilerConfig: { S3OutputPath: 's3://jobs/profiler', ProfilingIntervalInMilliseconds: 500 },
        ProfilerRuleConfigurations: [{ RuleConfigurationName: 'LowGPU', RuleEvaluatorImage: '895741380848.dkr.ecr.us-east-1.amazonaws.com/sagemaker-debugger-rules:latest' }],
        ResourceConfig: { KeepAlivePeriodInSeconds: 600 },
        RemoteDebugConfig: { EnableRemoteDebug: true },
      }),
    );
    expect(out.TrainingJobArn).toBe(arn);
    const d = await c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'upd-run' }));
    expect(d.ProfilerConfig).toMatchObject({ S3OutputPath: 's3://jobs/profiler', ProfilingIntervalInMilliseconds: 500 });
    expect(d.ProfilingStatus).toBe('Enabled');
    expect(d.ProfilerRuleConfigurations!.map((r) => r.RuleConfigurationName)).toEqual(['LowGPU']);
    expect(d.ResourceConfig).toMatchObject({ InstanceType: 'ml.m5.large', KeepAlivePeriodInSeconds: 600 });
    expect(d.RemoteDebugConfig).toEqual({ EnableRemoteDebug: true });
    await c.sagemaker.send(new UpdateTrainingJobCommand({ TrainingJobName: 'upd-run', ProfilerConfig: { DisableProfiler: true } }));
    expect((await c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'upd-run' }))).ProfilingStatus).toBe('Disabled');

    const running = await rejection(c.sagemaker.send(new DeleteTrainingJobCommand({ TrainingJobName: 'upd-run' })));
    expect([running.name, running.message]).toEqual(['ResourceInUse', `Training job ${arn} is InProgress: only a job that has ended (Completed, Failed or Stopped) can be deleted.`]);

    await c.sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: 'upd-run' }));
    expect((await trainingEnds('upd-run')).TrainingJobStatus).toBe('Stopped');
    // Stopping it again: AWS's wording, as quoted in awslabs/benchmark-ai issue 928.
    const stopAgain = await rejection(c.sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: 'upd-run' })));
    expect([stopAgain.name, stopAgain.$metadata.httpStatusCode, stopAgain.message]).toEqual(['ValidationException', 400, 'The request was rejected because the training job is in status Stopped.']);
    // Once ended, the profiler can no longer change; the warm pool's retention still can.
    const late = await rejection(c.sagemaker.send(new UpdateTrainingJobCommand({ TrainingJobName: 'upd-run', ProfilerConfig: { DisableProfiler: false } })));
    expect([late.name, late.message]).toEqual(['ValidationException', 'The profiler of training job upd-run can only be updated while it is InProgress; it is Stopped.']);
    const lateDebug = await rejection(c.sagemaker.send(new UpdateTrainingJobCommand({ TrainingJobName: 'upd-run', RemoteDebugConfig: { EnableRemoteDebug: false } })));
    expect([lateDebug.name, lateDebug.message]).toEqual(['ValidationException', 'The remote debugging configuration of training job upd-run can only be updated while its SecondaryStatus is Downloading or Training; it is Stopped.']);
    await c.sagemaker.send(new UpdateTrainingJobCommand({ TrainingJobName: 'upd-run', ResourceConfig: { KeepAlivePeriodInSeconds: 0 } }));
    expect((await c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'upd-run' }))).ResourceConfig!.KeepAlivePeriodInSeconds).toBe(0);

    await c.sagemaker.send(new DeleteTrainingJobCommand({ TrainingJobName: 'upd-run' }));
    const gone = await rejection(c.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'upd-run' })));
    expect([gone.name, gone.message]).toEqual(['ValidationException', 'Requested resource not found.']);
    expect((await c.sagemaker.send(new ListTrainingJobsCommand({ NameContains: 'upd-run' }))).TrainingJobSummaries).toEqual([]);
    const again = await rejection(c.sagemaker.send(new DeleteTrainingJobCommand({ TrainingJobName: 'upd-run' })));
    expect([again.name, again.message]).toEqual(['ResourceNotFound', 'Training job upd-run does not exist.']);

    // The name is free: a new job under it runs to completion.
    await c.sagemaker.send(new CreateTrainingJobCommand(trainingInput('upd-run', {})));
    expect((await trainingEnds('upd-run')).TrainingJobStatus).toBe('Completed');
  });

  it('refuses an update with nothing to change, a warm pool update on a job without one, and a missing job', async () => {
    await c.sagemaker.send(new CreateTrainingJobCommand(trainingInput('upd-done', {})));
    await trainingEnds('upd-done');
    const empty = await rejection(c.sagemaker.send(new UpdateTrainingJobCommand({ TrainingJobName: 'upd-done' })));
    expect([empty.name, empty.message]).toEqual(['ValidationException', 'Specify at least one of ProfilerConfig, ProfilerRuleConfigurations, ResourceConfig or RemoteDebugConfig to update.']);
    const pool = await rejection(c.sagemaker.send(new UpdateTrainingJobCommand({ TrainingJobName: 'upd-done', ResourceConfig: { KeepAlivePeriodInSeconds: 60 } })));
    expect([pool.name, pool.message]).toEqual(['ValidationException', 'Training job upd-done was not created with a warm pool (ResourceConfig.KeepAlivePeriodInSeconds): its retention cannot be updated.']);
    const missing = await rejection(c.sagemaker.send(new UpdateTrainingJobCommand({ TrainingJobName: 'nope', ResourceConfig: { KeepAlivePeriodInSeconds: 60 } })));
    expect([missing.name, missing.message, missing.$metadata.httpStatusCode]).toEqual(['ResourceNotFound', 'Training job nope does not exist.', 400]);
  });
});

describe('DeleteProcessingJob', () => {
  it('deletes a job that has ended and refuses one that runs', async () => {
    const input = (name: string, args: string[]) => ({
      ProcessingJobName: name,
      RoleArn: ROLE,
      AppSpecification: { ImageUri: PROC_IMAGE, ContainerArguments: args },
      ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large' as const, VolumeSizeInGB: 10 } },
      ProcessingOutputConfig: { Outputs: [{ OutputName: 'o', S3Output: { S3Uri: `s3://jobs/proc/${name}`, LocalPath: '/opt/ml/processing/output', S3UploadMode: 'EndOfJob' as const } }] },
    });
    await c.sagemaker.send(new CreateProcessingJobCommand(input('proc-hang', ['hang', '', '/opt/ml/processing/output/pid'])));
    const running = await rejection(c.sagemaker.send(new DeleteProcessingJobCommand({ ProcessingJobName: 'proc-hang' })));
    expect(running.name).toBe('ResourceInUse');
    expect(running.message).toBe('Processing job arn:aws:sagemaker:us-east-1:000000000000:processing-job/proc-hang is InProgress: only a job that has ended (Completed, Failed or Stopped) can be deleted.');
    await c.sagemaker.send(new StopProcessingJobCommand({ ProcessingJobName: 'proc-hang' }));
    for (let status = ''; status !== 'Stopped'; await new Promise((r) => setTimeout(r, 200))) {
      status = (await c.sagemaker.send(new DescribeProcessingJobCommand({ ProcessingJobName: 'proc-hang' }))).ProcessingJobStatus!;
    }
    await c.sagemaker.send(new DeleteProcessingJobCommand({ ProcessingJobName: 'proc-hang' }));
    const gone = await rejection(c.sagemaker.send(new DescribeProcessingJobCommand({ ProcessingJobName: 'proc-hang' })));
    expect(gone.name).toBe('ValidationException');
    const again = await rejection(c.sagemaker.send(new DeleteProcessingJobCommand({ ProcessingJobName: 'proc-hang' })));
    expect([again.name, again.message]).toEqual(['ResourceNotFound', 'Processing job proc-hang does not exist.']);
  });
});
