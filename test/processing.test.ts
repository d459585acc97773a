/**
 * Processing jobs on the local container machinery, through the AWS SDK for JavaScript v3: an
 * image mapped to a local command gets its inputs under its /opt/ml tree, its config, its
 * environment and arguments; its outputs land in S3; a failure file, a crash and Stop end it as
 * AWS does; images localsage cannot run are refused at create time.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateExperimentCommand,
  CreateProcessingJobCommand,
  CreateTrialCommand,
  DescribeTrialComponentCommand,
  DescribeProcessingJobCommand,
  ListAssociationsCommand,
  ListProcessingJobsCommand,
  StopProcessingJobCommand,
  type CreateProcessingJobCommandInput,
} from '@aws-sdk/client-sagemaker';
import { CloudWatchLogsClient, DescribeLogStreamsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, ROLE } from './helpers/clients.js';
import { startEmulatorProcess, type EmulatorProcess } from './helpers/emulator-process.js';
import { alive } from './helpers/processes.js';

const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-processor:latest';
const CONTAINER = resolve(import.meta.dirname, 'fixtures/processing/container.mjs');

let emu: EmulatorProcess;
let c: ReturnType<typeof clients>;
let logs: CloudWatchLogsClient;
const tmp = mkdtempSync(join(tmpdir(), 'localsage-processing-'));

beforeAll(async () => {
  const config = join(tmp, 'images.json');
  writeFileSync(config, JSON.stringify({ images: [{ image: '123456789012.dkr.ecr.*.amazonaws.com/my-processor:*', command: [process.execPath, CONTAINER] }] }));
  emu = await startEmulatorProcess({ args: ['--image-config', config], env: { LOCALSAGE_FRAMEWORK_HOME: join(tmp, 'no-frameworks'), LOCALSAGE_DOCKER: '0' } });
  c = clients(emu.url);
  logs = new CloudWatchLogsClient({ endpoint: emu.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await c.s3.send(new CreateBucketCommand({ Bucket: 'proc' }));
  await c.s3.send(new PutObjectCommand({ Bucket: 'proc', Key: 'raw/a.csv', Body: '1\n2\n' }));
  await c.s3.send(new PutObjectCommand({ Bucket: 'proc', Key: 'raw/sub/b.csv', Body: '10\n' }));
}, 60_000);
afterAll(async () => {
  await emu?.stop();
});

function jobInput(name: string, args: string[], extra: Partial<CreateProcessingJobCommandInput> = {}): CreateProcessingJobCommandInput {
  return {
    ProcessingJobName: name,
    RoleArn: ROLE,
    AppSpecification: { ImageUri: IMAGE, ContainerArguments: args },
    ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 10 } },
    ProcessingInputs: [{ InputName: 'data', S3Input: { S3Uri: 's3://proc/raw', LocalPath: '/opt/ml/processing/input/data/', S3DataType: 'S3Prefix', S3InputMode: 'File' } }],
    ProcessingOutputConfig: { Outputs: [{ OutputName: 'result', S3Output: { S3Uri: `s3://proc/out/${name}`, LocalPath: '/opt/ml/processing/output', S3UploadMode: 'EndOfJob' } }] },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    ...extra,
  };
}

async function waitForJob(name: string, done = ['Completed', 'Failed', 'Stopped']) {
  for (;;) {
    const job = await c.sagemaker.send(new DescribeProcessingJobCommand({ ProcessingJobName: name }));
    if (done.includes(job.ProcessingJobStatus!)) return job;
    await new Promise((r) => setTimeout(r, 300));
  }
}

const text = async (key: string) => (await (await c.s3.send(new GetObjectCommand({ Bucket: 'proc', Key: key }))).Body!.transformToString());

describe('processing jobs', () => {
  it('run the container with inputs, config, environment and arguments, and upload the outputs', async () => {
    const arn = (await c.sagemaker.send(new CreateProcessingJobCommand(jobInput('sum-job', ['sum', '/opt/ml/processing/input/data', '/opt/ml/processing/output'], { Environment: { GREETING: 'hello' } })))).ProcessingJobArn;
    expect(arn).toBe('arn:aws:sagemaker:us-east-1:000000000000:processing-job/sum-job');
    const job = await waitForJob('sum-job');
    expect(job.FailureReason).toBeUndefined();
    expect(job.ProcessingJobStatus).toBe('Completed');
    expect(job.ExitMessage).toBe('summed');
    expect(job.ProcessingStartTime).toBeInstanceOf(Date);
    expect(job.ProcessingEndTime!.getTime()).toBeGreaterThanOrEqual(job.ProcessingStartTime!.getTime());
    expect(job.ProcessingInputs![0].S3Input!.S3DataDistributionType).toBe('FullyReplicated');
    expect(await text('out/sum-job/sum.txt')).toBe('13');
    expect(JSON.parse(await text('out/sum-job/nested/files.json'))).toEqual({ files: ['a.csv', 'sub/b.csv'], job: 'sum-job' });

    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/sagemaker/ProcessingJobs', logStreamNamePrefix: 'sum-job/' }));
    expect(streams.logStreams![0].logStreamName).toMatch(/^sum-job\/algo-1-\d+$/);
    const events = await logs.send(new GetLogEventsCommand({ logGroupName: '/aws/sagemaker/ProcessingJobs', logStreamName: streams.logStreams![0].logStreamName!, startFromHead: true }));
    expect(events.events!.map((e) => e.message)).toContain('processing mode=sum greeting=hello');

    const list = await c.sagemaker.send(new ListProcessingJobsCommand({ NameContains: 'sum-' }));
    expect(list.ProcessingJobSummaries!.map((s) => [s.ProcessingJobName, s.ProcessingJobStatus])).toEqual([['sum-job', 'Completed']]);
    const again = await c.sagemaker.send(new CreateProcessingJobCommand(jobInput('sum-job', ['sum']))).catch((e) => e);
    expect(again.name).toBe('ResourceInUse');
  });

  it("record the job's lineage: its image and inputs contributed to its trial component, which produced its outputs", async () => {
    const tc = await c.sagemaker.send(new DescribeTrialComponentCommand({ TrialComponentName: 'sum-job-aws-processing-job' }));
    expect(tc.Source).toEqual({ SourceArn: 'arn:aws:sagemaker:us-east-1:000000000000:processing-job/sum-job', SourceType: 'SageMakerProcessingJob' });
    const into = await c.sagemaker.send(new ListAssociationsCommand({ DestinationArn: tc.TrialComponentArn }));
    expect(into.AssociationSummaries!.map((a) => [a.SourceType, a.AssociationType]).sort()).toEqual([['DataSet', 'ContributedTo'], ['Image', 'ContributedTo']]);
    const out = await c.sagemaker.send(new ListAssociationsCommand({ SourceArn: tc.TrialComponentArn }));
    expect(out.AssociationSummaries!.map((a) => [a.DestinationType, a.AssociationType])).toEqual([['DataSet', 'Produced']]);
  });

  it('fail with the failure file as the reason, or the exit code as AWS words it', async () => {
    await c.sagemaker.send(new CreateProcessingJobCommand(jobInput('fail-job', ['fail'])));
    await c.sagemaker.send(new CreateProcessingJobCommand(jobInput('crash-job', ['crash'])));
    const failed = await waitForJob('fail-job');
    expect([failed.ProcessingJobStatus, failed.FailureReason]).toEqual(['Failed', 'ClientError: the input had no header row']);
    const crashed = await waitForJob('crash-job');
    expect([crashed.ProcessingJobStatus, crashed.FailureReason]).toEqual(['Failed', 'AlgorithmError: See job logs for more information']);
    const stopDone = await c.sagemaker.send(new StopProcessingJobCommand({ ProcessingJobName: 'crash-job' })).catch((e) => e);
    expect(stopDone.name).toBe('ValidationException');
  });

  it('stop: the whole process group ends and the job is Stopped', async () => {
    const pidFile = join(tmp, 'grandchild.pid');
    await c.sagemaker.send(new CreateProcessingJobCommand(jobInput('hang-job', ['hang', '/opt/ml/processing/input/data', pidFile])));
    while (!existsSync(pidFile) || !readFileSync(pidFile, 'utf8')) await new Promise((r) => setTimeout(r, 200));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await c.sagemaker.send(new StopProcessingJobCommand({ ProcessingJobName: 'hang-job' }));
    const job = await waitForJob('hang-job');
    expect(job.ProcessingJobStatus).toBe('Stopped');
    while (alive(pid)) await new Promise((r) => setTimeout(r, 200));
    expect(alive(pid)).toBe(false);
  });

  it('MaxRuntimeInSeconds ends the job and its processes', async () => {
    const pidFile = join(tmp, 'maxrt.pid');
    await c.sagemaker.send(new CreateProcessingJobCommand(jobInput('maxrt-job', ['hang', '/opt/ml/processing/input/data', pidFile], { StoppingCondition: { MaxRuntimeInSeconds: 2 } })));
    const job = await waitForJob('maxrt-job');
    expect([job.ProcessingJobStatus, job.FailureReason]).toEqual(['Stopped', 'Processing job exceeded MaxRuntimeInSeconds provided']);
    // On a loaded machine the limit may strike before the script wrote its pid; when it did, it is gone.
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
    while (pid && alive(pid)) await new Promise((r) => setTimeout(r, 200));
    expect(pid && alive(pid)).toBeFalsy();
  });

  it('with an ExperimentConfig, the job has its trial component in the trial', async () => {
    await c.sagemaker.send(new CreateExperimentCommand({ ExperimentName: 'proc-exp' }));
    await c.sagemaker.send(new CreateTrialCommand({ TrialName: 'proc-trial', ExperimentName: 'proc-exp' }));
    const { ProcessingJobArn } = await c.sagemaker.send(
      new CreateProcessingJobCommand(jobInput('exp-sum', ['sum', '/opt/ml/processing/input/data', '/opt/ml/processing/output'], { ExperimentConfig: { ExperimentName: 'proc-exp', TrialName: 'proc-trial' } })),
    );
    await waitForJob('exp-sum');
    const component = await c.sagemaker.send(new DescribeTrialComponentCommand({ TrialComponentName: 'exp-sum-aws-processing-job' }));
    expect(component.Source).toEqual({ SourceArn: ProcessingJobArn, SourceType: 'SageMakerProcessingJob' });
    expect(component.Status?.PrimaryStatus).toBe('Completed');
    expect(component.EndTime).toBeInstanceOf(Date);
  });

  it('refuse images localsage cannot run and unknown jobs', async () => {
    const other = await c.sagemaker.send(new CreateProcessingJobCommand({ ...jobInput('nope', []), AppSpecification: { ImageUri: '999999999999.dkr.ecr.us-east-1.amazonaws.com/other:1' } })).catch((e) => e);
    expect(other.name).toBe('ValidationException');
    expect(other.message).toContain('image config');
    const sklearn = await c.sagemaker.send(new CreateProcessingJobCommand({ ...jobInput('nope', []), AppSpecification: { ImageUri: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3' } })).catch((e) => e);
    expect(sklearn.message).toContain('localsage frameworks install sklearn');
    for (const LocalPath of ['/etc', '/opt/ml/processing/../../../etc']) {
      const escape = await c.sagemaker.send(new CreateProcessingJobCommand({ ...jobInput('escape', ['sum']), ProcessingOutputConfig: { Outputs: [{ OutputName: 'o', S3Output: { S3Uri: 's3://proc/x', LocalPath, S3UploadMode: 'EndOfJob' } }] } })).catch((e) => e);
      expect(escape.name).toBe('ValidationException');
    }
    const missing = await c.sagemaker.send(new DescribeProcessingJobCommand({ ProcessingJobName: 'missing' })).catch((e) => e);
    expect([missing.name, missing.message]).toEqual(['ValidationException', 'Could not find requested job with name missing']);
  });
});
